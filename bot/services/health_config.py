"""Health score settings: weights, bands, staleness and ranges, per team and per segment, from a TOML file.

Most specific wins, key by key: team+segment > team > segment > file defaults > built-in defaults.
See docs/health.example.toml for every option.
"""

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType

from bot.services.signals import SIGNALS, canonical_signal

REDACTABLE = frozenset({"arr", "renewal", "risks", "promises", "handoff", "voc", "owner", "drivers", "score"})


class HealthConfigError(ValueError):
    """The health settings file is invalid; the message names the key."""


def _frozen(d: Mapping) -> Mapping:
    return MappingProxyType(dict(d))


@dataclass(frozen=True)
class HealthConfig:
    """The rules one customer is scored with."""

    weights: Mapping[str, float] = field(default_factory=lambda: _frozen({s.name: s.weight for s in SIGNALS.values()}))
    healthy: float = 70.0
    at_risk: float = 40.0
    stale_days: Mapping[str, int] = field(
        default_factory=lambda: _frozen({s.name: s.stale_days for s in SIGNALS.values()})
    )
    ranges: Mapping[str, tuple[float, float]] = field(
        default_factory=lambda: _frozen({s.name: (s.lo, s.hi) for s in SIGNALS.values()})
    )
    redact: frozenset[str] = frozenset({"arr", "risks", "promises"})


DEFAULT = HealthConfig()


def _signal(name: str, where: str) -> str:
    canonical = canonical_signal(name)
    if canonical is None:
        raise HealthConfigError(f"{where}.{name}: unknown signal (known: {', '.join(sorted(SIGNALS))})")
    return canonical


def _number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise HealthConfigError(f"{where}: must be a number, got {value!r}")
    return float(value)


def _apply(base: HealthConfig, table: Mapping, where: str) -> HealthConfig:
    """Layer one `[...health]` table (and an optional `[share]`) over `base`."""
    health = table.get("health", {})
    if not isinstance(health, Mapping):
        raise HealthConfigError(f"{where}.health: must be a table")
    unknown = set(health) - {"healthy", "at_risk", "weights", "stale_days", "ranges"}
    if unknown:
        raise HealthConfigError(f"{where}.health: unknown key(s) {', '.join(sorted(unknown))}")
    changes: dict = {}
    for key in ("healthy", "at_risk"):
        if key in health:
            value = _number(health[key], f"{where}.health.{key}")
            if not 0 <= value <= 100:
                raise HealthConfigError(f"{where}.health.{key}: must be between 0 and 100")
            changes[key] = value
    if "weights" in health:
        weights = dict(base.weights)
        for name, value in health["weights"].items():
            w = _number(value, f"{where}.health.weights.{name}")
            if w < 0:
                raise HealthConfigError(f"{where}.health.weights.{name}: must not be negative")
            weights[_signal(name, f"{where}.health.weights")] = w
        changes["weights"] = _frozen(weights)
    if "stale_days" in health:
        stale = dict(base.stale_days)
        for name, value in health["stale_days"].items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise HealthConfigError(f"{where}.health.stale_days.{name}: must be a whole number of days >= 1")
            stale[_signal(name, f"{where}.health.stale_days")] = value
        changes["stale_days"] = _frozen(stale)
    if "ranges" in health:
        ranges = dict(base.ranges)
        for name, value in health["ranges"].items():
            key = f"{where}.health.ranges.{name}"
            if not isinstance(value, list) or len(value) != 2:
                raise HealthConfigError(f"{key}: must be [lo, hi]")
            lo, hi = _number(value[0], key), _number(value[1], key)
            if lo >= hi:
                raise HealthConfigError(f"{key}: lo must be below hi")
            ranges[_signal(name, f"{where}.health.ranges")] = (lo, hi)
        changes["ranges"] = _frozen(ranges)
    share = table.get("share", {})
    if "redact" in share:
        redact = share["redact"]
        if not isinstance(redact, list) or not all(isinstance(x, str) for x in redact):
            raise HealthConfigError(f"{where}.share.redact: must be a list of field names")
        unknown = set(redact) - REDACTABLE
        if unknown:
            raise HealthConfigError(
                f"{where}.share.redact: unknown field(s) {', '.join(sorted(unknown))} "
                f"(allowed: {', '.join(sorted(REDACTABLE))})"
            )
        changes["redact"] = frozenset(redact)
    result = replace(base, **changes)
    if result.healthy <= result.at_risk:
        raise HealthConfigError(f"{where}.health: healthy ({result.healthy}) must be above at_risk ({result.at_risk})")
    if not any(w > 0 for w in result.weights.values()):
        raise HealthConfigError(f"{where}.health.weights: at least one signal needs a weight above 0")
    return result


class HealthRules:
    """All configured rules; `for_customer` picks the layered config for a team and segment."""

    def __init__(self, data: Mapping | None = None):
        data = data or {}
        unknown = set(data) - {"health", "share", "teams", "segments"}
        if unknown:
            raise HealthConfigError(f"unknown top-level key(s) {', '.join(sorted(unknown))}")
        self._data = data
        self.default = _apply(DEFAULT, data, "(file)")
        self._cache: dict[tuple[str, str | None], HealthConfig] = {}
        # Validate every layer now, so a bad file fails at start-up rather than on a customer.
        for segment, table in data.get("segments", {}).items():
            _apply(self.default, table, f"segments.{segment}")
        for team, table in data.get("teams", {}).items():
            team_config = _apply(self.default, table, f"teams.{team}")
            for segment, seg_table in table.get("segments", {}).items():
                _apply(team_config, seg_table, f"teams.{team}.segments.{segment}")

    def for_customer(self, team_id: str, segment: str | None) -> HealthConfig:
        key = (team_id, segment)
        if key not in self._cache:
            config = self.default
            if segment and segment in self._data.get("segments", {}):
                config = _apply(config, self._data["segments"][segment], f"segments.{segment}")
            team = self._data.get("teams", {}).get(team_id)
            if team is not None:
                config = _apply(config, team, f"teams.{team_id}")
                if segment and segment in team.get("segments", {}):
                    config = _apply(config, team["segments"][segment], f"teams.{team_id}.segments.{segment}")
            self._cache[key] = config
        return self._cache[key]


def load_health_rules(path: str | None) -> HealthRules:
    """Rules from the TOML file at `path` (BATON_HEALTH_CONFIG), or the built-in defaults when None."""
    if path is None:
        return HealthRules()
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise HealthConfigError(f"cannot read {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise HealthConfigError(f"{path} is not valid TOML: {exc}") from exc
    return HealthRules(data)
