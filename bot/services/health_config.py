"""Health score settings: weights, bands, staleness limits, ranges and card redaction, per team and segment.

Defaults come from the signal registry (`bot.signals.SIGNALS`). A TOML file (see
`docs/health.example.toml`) can override them at four levels, most specific winning key by key:
default < `[segments.X]` < `[teams.T]` < `[teams.T.segments.X]`. Every combination the file mentions is built
and validated when the file is loaded, so a bad file fails at start-up, never while scoring.
"""

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from os import PathLike
from types import MappingProxyType
from typing import Any

from bot.signals import SIGNALS, canonical_signal

# Fields of a customer card that can be hidden when the card is shared in a channel.
REDACTABLE = frozenset(
    {"arr", "renewal", "risks", "promises", "handoff", "voc", "owner", "drivers", "score", "touches"}
)
DEFAULT_REDACT = frozenset({"arr", "risks", "promises", "touches"})  # touches: the CS team's own notes

_LAYER_KEYS = {"health", "share"}
_HEALTH_KEYS = {"healthy", "at_risk", "weights", "stale_days", "ranges"}


class HealthConfigError(ValueError):
    """The health settings are invalid; the message names the offending key."""


def _number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise HealthConfigError(f"{where}: must be a number (got {value!r})")
    return float(value)


def _weight(value: object, where: str) -> float:
    weight = _number(value, where)
    if weight < 0:
        raise HealthConfigError(f"{where}: weight must not be negative (got {value!r})")
    return weight


def _stale_days(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise HealthConfigError(f"{where}: must be a whole number of days, at least 1 (got {value!r})")
    return value


def _range(value: object, where: str) -> tuple[float, float]:
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise HealthConfigError(f"{where}: must be a pair [lo, hi] (got {value!r})")
    lo, hi = _number(value[0], f"{where}[0]"), _number(value[1], f"{where}[1]")
    if lo >= hi:
        raise HealthConfigError(f"{where}: lo must be below hi (got [{value[0]}, {value[1]}])")
    return lo, hi


def _band(value: object, where: str) -> float:
    band = _number(value, where)
    if not 0 <= band <= 100:
        raise HealthConfigError(f"{where}: must be between 0 and 100 (got {value!r})")
    return band


def _redact(value: object, where: str) -> frozenset[str]:
    if isinstance(value, str) or not isinstance(value, list | tuple | set | frozenset):
        raise HealthConfigError(f"{where}: must be a list of card fields (got {value!r})")
    fields = set()
    for item in value:
        key = item.strip().lower() if isinstance(item, str) else item
        if key not in REDACTABLE:
            allowed = ", ".join(sorted(REDACTABLE))
            raise HealthConfigError(f"{where}: unknown card field {item!r} (allowed: {allowed})")
        fields.add(key)
    return frozenset(fields)


def _signal_map(raw: object, where: str, check) -> dict[str, Any]:
    """Canonicalise a signal -> value table (aliases accepted), checking each value with `check`."""
    if not isinstance(raw, Mapping):
        raise HealthConfigError(f"{where}: must be a table of signal = value (got {raw!r})")
    out: dict[str, Any] = {}
    for key, value in raw.items():
        name = canonical_signal(str(key))
        if name is None:
            raise HealthConfigError(f"{where}.{key}: unknown signal (known: {', '.join(SIGNALS)})")
        if name in out:
            raise HealthConfigError(f"{where}.{key}: signal {name!r} is given twice")
        out[name] = check(value, f"{where}.{key}")
    return out


def _default_weights() -> dict[str, float]:
    return {name: float(spec.weight) for name, spec in SIGNALS.items()}


@dataclass(frozen=True)
class HealthConfig:
    """How one customer is scored. Signals absent from `weights` (or weighted 0) are not scored; `stale_days`
    and `ranges` take overrides and are completed from each SignalSpec, so they hold every signal."""

    weights: Mapping[str, float] = field(default_factory=_default_weights)
    healthy: float = 70
    at_risk: float = 40
    stale_days: Mapping[str, int] = field(default_factory=dict)
    ranges: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    redact: frozenset[str] = DEFAULT_REDACT

    def __post_init__(self):
        weights = _signal_map(self.weights, "weights", _weight)
        stale = {name: spec.stale_days for name, spec in SIGNALS.items()}
        stale.update(_signal_map(self.stale_days, "stale_days", _stale_days))
        ranges = {name: (float(spec.lo), float(spec.hi)) for name, spec in SIGNALS.items()}
        ranges.update(_signal_map(self.ranges, "ranges", _range))
        healthy, at_risk = _band(self.healthy, "healthy"), _band(self.at_risk, "at_risk")
        if healthy <= at_risk:
            raise HealthConfigError(f"healthy ({self.healthy:g}) must be above at_risk ({self.at_risk:g})")
        if not any(w > 0 for w in weights.values()):
            raise HealthConfigError("weights: at least one signal needs a weight above 0")
        object.__setattr__(self, "weights", MappingProxyType(weights))
        object.__setattr__(self, "stale_days", MappingProxyType(stale))
        object.__setattr__(self, "ranges", MappingProxyType(ranges))
        object.__setattr__(self, "healthy", healthy)
        object.__setattr__(self, "at_risk", at_risk)
        object.__setattr__(self, "redact", _redact(self.redact, "redact"))


DEFAULT = HealthConfig()


# --- layered rules -------------------------------------------------------------------------------------------


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _check_keys(raw: object, allowed: set[str], where: str) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise HealthConfigError(f"{where or 'settings'}: must be a table (got {raw!r})")
    for key in raw:
        if key not in allowed:
            raise HealthConfigError(f"{_join(where, key)}: unknown key (allowed: {', '.join(sorted(allowed))})")
    return raw


def _parse_layer(raw: object, where: str, allowed: set[str]) -> tuple[dict[str, Any], Mapping[str, Any]]:
    """One level's overrides as {field: value} (maps stay partial), plus the raw table for nested levels."""
    table = _check_keys(raw, allowed, where)
    layer: dict[str, Any] = {}
    prefix = _join(where, "health")
    health = _check_keys(table.get("health", {}), _HEALTH_KEYS, prefix)
    if "healthy" in health:
        layer["healthy"] = _band(health["healthy"], f"{prefix}.healthy")
    if "at_risk" in health:
        layer["at_risk"] = _band(health["at_risk"], f"{prefix}.at_risk")
    if "weights" in health:
        layer["weights"] = _signal_map(health["weights"], f"{prefix}.weights", _weight)
    if "stale_days" in health:
        layer["stale_days"] = _signal_map(health["stale_days"], f"{prefix}.stale_days", _stale_days)
    if "ranges" in health:
        layer["ranges"] = _signal_map(health["ranges"], f"{prefix}.ranges", _range)
    share = _check_keys(table.get("share", {}), {"redact"}, _join(where, "share"))
    if "redact" in share:
        layer["redact"] = _redact(share["redact"], _join(where, "share.redact"))
    return layer, table


def _apply(config: HealthConfig, layer: Mapping[str, Any]) -> HealthConfig:
    changes: dict[str, Any] = {}
    for key, value in layer.items():
        if key in ("weights", "stale_days", "ranges"):
            changes[key] = {**getattr(config, key), **value}
        else:
            changes[key] = value
    return replace(config, **changes) if changes else config


def _segment_key(segment: str) -> str:
    return segment.strip().lower()


def _segments(raw: object, where: str) -> dict[str, dict[str, Any]]:
    if not isinstance(raw, Mapping):
        raise HealthConfigError(f"{where}: must be a table of segments (got {raw!r})")
    out: dict[str, dict[str, Any]] = {}
    for name, table in raw.items():
        key = _segment_key(str(name))
        if not key or key in out:
            raise HealthConfigError(f"{where}.{name}: segment {key!r} is empty or given twice")
        out[key], _ = _parse_layer(table, f"{where}.{name}", _LAYER_KEYS)
    return out


class HealthRules:
    """The HealthConfig for each (team, segment); built by `load_health_rules`, `HealthRules()` is defaults."""

    def __init__(self, configs: Mapping[tuple[str | None, str | None], HealthConfig] | None = None):
        self._configs = dict(configs or {})
        self._configs.setdefault((None, None), DEFAULT)

    @property
    def default(self) -> HealthConfig:
        return self._configs[(None, None)]

    def for_customer(self, team_id: str, segment: str | None) -> HealthConfig:
        """Team + segment overrides layered on the defaults (segment matched case-insensitively)."""
        team = team_id if (team_id, None) in self._configs else None
        seg = _segment_key(segment) if segment else None
        return self._configs.get((team, seg)) or self._configs[(team, None)]


def health_rules_from_dict(data: Mapping[str, Any], source: str = "health settings") -> HealthRules:
    """Validate parsed settings (the TOML document as a dict) and build every combination they mention."""
    try:
        base_layer, top = _parse_layer(data, "", _LAYER_KEYS | {"teams", "segments"})
        segments = _segments(top.get("segments", {}), "segments")
        teams_raw = top.get("teams", {})
        if not isinstance(teams_raw, Mapping):
            raise HealthConfigError(f"teams: must be a table of team ids (got {teams_raw!r})")
        teams: dict[str, tuple[dict[str, Any], dict[str, dict[str, Any]]]] = {}
        for team_id, table in teams_raw.items():
            layer, raw = _parse_layer(table, f"teams.{team_id}", _LAYER_KEYS | {"segments"})
            teams[str(team_id)] = (layer, _segments(raw.get("segments", {}), f"teams.{team_id}.segments"))
    except HealthConfigError as e:
        raise HealthConfigError(f"{source}: {e}") from None

    def build(context: str, *layers: Mapping[str, Any]) -> HealthConfig:
        config = DEFAULT
        try:
            for layer in layers:
                config = _apply(config, layer)
        except HealthConfigError as e:
            raise HealthConfigError(f"{source}: {context}: {e}") from None
        return config

    configs: dict[tuple[str | None, str | None], HealthConfig] = {(None, None): build("[health]", base_layer)}
    for seg, seg_layer in segments.items():
        configs[(None, seg)] = build(f"segments.{seg}", base_layer, seg_layer)
    for team_id, (team_layer, team_segments) in teams.items():
        configs[(team_id, None)] = build(f"teams.{team_id}", base_layer, team_layer)
        for seg in segments.keys() | team_segments.keys():
            context = f"teams.{team_id}.segments.{seg}" if seg in team_segments else f"teams.{team_id} + segments.{seg}"
            configs[(team_id, seg)] = build(
                context, base_layer, segments.get(seg, {}), team_layer, team_segments.get(seg, {})
            )
    return HealthRules(configs)


def load_health_rules(path: str | PathLike[str] | None) -> HealthRules:
    """Read the health settings TOML file at `path` (None: the defaults); raises HealthConfigError."""
    if path is None:
        return HealthRules()
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except OSError as e:
        raise HealthConfigError(f"{path}: cannot read health settings ({e.strerror or e})") from None
    except tomllib.TOMLDecodeError as e:
        raise HealthConfigError(f"{path}: not valid TOML ({e})") from None
    return health_rules_from_dict(data, str(path))
