from pathlib import Path

import pytest

from bot.services.health_config import (
    DEFAULT,
    DEFAULT_REDACT,
    HealthConfig,
    HealthConfigError,
    HealthRules,
    health_rules_from_dict,
    load_health_rules,
)
from bot.signals import SIGNALS

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "health.example.toml"


def rules_from(tmp_path: Path, text: str) -> HealthRules:
    path = tmp_path / "health.toml"
    path.write_text(text, encoding="utf-8")
    return load_health_rules(str(path))


# ------------------------------------------------------------------------------------------------ defaults


@pytest.mark.parametrize(
    ("attribute", "expected"),
    [
        ("weights", {name: spec.weight for name, spec in SIGNALS.items()}),
        ("stale_days", {name: spec.stale_days for name, spec in SIGNALS.items()}),
        ("ranges", {name: (spec.lo, spec.hi) for name, spec in SIGNALS.items()}),
        ("healthy", 70),
        ("at_risk", 40),
        ("redact", frozenset({"arr", "risks", "promises", "touches"})),
    ],
)
def test_defaults_come_from_the_signal_registry(attribute, expected):
    """DEFAULT takes every weight, staleness limit and range from SIGNALS, bands 70/40 and the redact set."""
    value = getattr(DEFAULT, attribute)
    assert (dict(value) if attribute in ("weights", "stale_days", "ranges") else value) == expected


@pytest.mark.parametrize(("team", "segment"), [("T111", None), ("T111", "enterprise"), ("T999", "smb")])
def test_no_file_means_defaults(team, segment):
    """Without a settings file every team and segment is scored with DEFAULT."""
    assert load_health_rules(None).for_customer(team, segment) == DEFAULT
    assert HealthRules().for_customer(team, segment) == DEFAULT


def test_direct_config_completes_stale_days_and_ranges():
    """A HealthConfig built in code keeps only the given weights and completes staleness and ranges."""
    config = HealthConfig(weights={"license_utilization": 2}, stale_days={"nps": 30}, ranges={"nps": (5, 10)})
    assert dict(config.weights) == {"license_utilisation": 2.0}
    assert config.stale_days["nps"] == 30 and config.stale_days["csat"] == SIGNALS["csat"].stale_days
    assert config.ranges["nps"] == (5.0, 10.0) and config.ranges["csat"] == (1.0, 5.0)
    assert config.redact == DEFAULT_REDACT


def test_config_is_read_only():
    """The shared DEFAULT cannot be changed by accident."""
    with pytest.raises(TypeError):
        DEFAULT.weights["nps"] = 99  # type: ignore[index]


# ----------------------------------------------------------------------------------------------- layering

LAYERED = """
[health]
healthy = 72

[health.weights]
nps = 20

[segments.enterprise.health.weights]
nps = 30
csat = 7

[segments.enterprise.health.ranges]
nps = [5, 10]

[segments.enterprise.share]
redact = ["arr"]

[teams.T1.health.weights]
nps = 40

[teams.T1.segments.enterprise.health.weights]
csat = 9

[teams.T1.segments.enterprise.health.stale_days]
tickets = 3

[teams.T2.segments.smb.health]
at_risk = 50
"""


@pytest.mark.parametrize(
    ("team", "segment", "expected"),
    [
        ("T9", None, {"nps": 20, "csat": 5, "healthy": 72, "at_risk": 40, "nps_range": (0, 10)}),
        ("T9", "enterprise", {"nps": 30, "csat": 7, "nps_range": (5, 10), "redact": {"arr"}}),
        ("T9", " Enterprise ", {"nps": 30, "csat": 7}),
        ("T9", "startup", {"nps": 20, "csat": 5}),
        ("T1", None, {"nps": 40, "csat": 5, "healthy": 72}),
        ("T1", "enterprise", {"nps": 40, "csat": 9, "nps_range": (5, 10), "tickets_stale": 3, "redact": {"arr"}}),
        ("T1", "smb", {"nps": 40, "csat": 5, "at_risk": 40, "tickets_stale": 7}),
        ("T2", "smb", {"nps": 20, "at_risk": 50, "healthy": 72}),
        ("T2", "enterprise", {"nps": 30, "csat": 7, "at_risk": 40}),
        ("T2", None, {"nps": 20, "at_risk": 40}),
    ],
)
def test_layering_most_specific_wins_key_by_key(tmp_path, team, segment, expected):
    """team+segment > team > segment > file top level > built-in defaults, each key on its own."""
    config = rules_from(tmp_path, LAYERED).for_customer(team, segment)
    actual = {
        "nps": config.weights["nps"],
        "csat": config.weights["csat"],
        "healthy": config.healthy,
        "at_risk": config.at_risk,
        "nps_range": config.ranges["nps"],
        "tickets_stale": config.stale_days["tickets_30d"],
        "redact": set(config.redact),
    }
    assert {key: actual[key] for key in expected} == expected
    assert config.weights["active_users"] == 15  # untouched keys keep the default


def test_aliases_are_accepted_in_every_table(tmp_path):
    """Signal aliases work as keys and land on the canonical name."""
    text = """
[health.weights]
license_utilization = 3
[health.stale_days]
champion = 5
[health.ranges]
days_since_last_meeting = [7, 60]
"""
    config = rules_from(tmp_path, text).for_customer("T1", None)
    assert config.weights["license_utilisation"] == 3
    assert config.stale_days["champion_present"] == 5
    assert config.ranges["last_meeting_days"] == (7, 60)


def test_example_file_documents_the_defaults_and_loads(tmp_path):
    """docs/health.example.toml is valid, restates the built-in defaults exactly and shows every level."""
    rules = load_health_rules(str(EXAMPLE))
    assert rules.default == DEFAULT
    assert rules.for_customer("T_OTHER", None) == DEFAULT
    team_enterprise = rules.for_customer("T0123ABCD", "enterprise")
    assert (team_enterprise.healthy, team_enterprise.at_risk) == (75, 45)
    assert team_enterprise.weights["csm_rating"] == 25  # team+segment beats segment (20)
    assert team_enterprise.weights["champion_present"] == 10  # team, via an alias
    assert team_enterprise.ranges["license_utilisation"] == (50, 95)  # segment
    assert team_enterprise.stale_days["nps"] == 180
    assert team_enterprise.redact == {"arr", "risks", "promises", "owner"}
    assert rules.for_customer("T_OTHER", "smb").weights["last_meeting_days"] == 0


# --------------------------------------------------------------------------------------------- validation

ALL_ZERO = "\n".join(f"{name} = 0" for name in SIGNALS)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[health.weights]\nfoo = 1", "health.weights.foo: unknown signal"),
        ("[teams.T1.health.stale_days]\nbar = 3", "teams.T1.health.stale_days.bar: unknown signal"),
        ("[segments.smb.health.ranges]\nbaz = [1, 2]", "segments.smb.health.ranges.baz: unknown signal"),
        (
            "[teams.T1.segments.smb.health.weights]\nqux = 1",
            "teams.T1.segments.smb.health.weights.qux: unknown signal",
        ),
        ("[segments.smb.health.weights]\nnps = -1", "segments.smb.health.weights.nps: weight must not be negative"),
        ('[health.weights]\nnps = "high"', "health.weights.nps: must be a number"),
        ("[health.weights]\nnps = true", "health.weights.nps: must be a number"),
        ("[health.weights]\nlicense_utilisation = 1\nlicense_utilization = 2", "given twice"),
        (f"[health.weights]\n{ALL_ZERO}", "at least one signal needs a weight above 0"),
        ("[health]\nhealthy = 40\nat_risk = 40", "[health]: healthy (40) must be above at_risk (40)"),
        ("[health]\nhealthy = 30", "healthy (30) must be above at_risk (40)"),
        ("[teams.T1.health]\nat_risk = 75", "teams.T1: healthy (70) must be above at_risk (75)"),
        (
            "[segments.smb.health]\nat_risk = 65\n[teams.T1.health]\nhealthy = 60",
            "teams.T1 + segments.smb: healthy (60) must be above at_risk (65)",
        ),
        ("[health]\nhealthy = 101", "health.healthy: must be between 0 and 100"),
        ("[teams.T1.health]\nat_risk = -1", "teams.T1.health.at_risk: must be between 0 and 100"),
        ("[health.ranges]\nnps = [5, 5]", "health.ranges.nps: lo must be below hi"),
        ("[health.ranges]\nnps = [8, 2]", "health.ranges.nps: lo must be below hi"),
        ("[health.ranges]\nnps = [1]", "health.ranges.nps: must be a pair [lo, hi]"),
        ('[health.ranges]\nnps = [1, "x"]', "health.ranges.nps[1]: must be a number"),
        ("[health.stale_days]\nnps = 0", "health.stale_days.nps: must be a whole number of days"),
        ("[health.stale_days]\nnps = 1.5", "health.stale_days.nps: must be a whole number of days"),
        ('[share]\nredact = ["arr", "salary"]', "share.redact: unknown card field 'salary'"),
        ('[teams.T1.share]\nredact = ["x"]', "teams.T1.share.redact: unknown card field 'x'"),
        ('[share]\nredact = "arr"', "share.redact: must be a list"),
        ("[health]\nheathy = 70", "health.heathy: unknown key"),
        ("[scoring]\nx = 1", "scoring: unknown key"),
        ("[teams.T1]\ncolour = 1", "teams.T1.colour: unknown key"),
        ("[segments.smb.segments.x.health]\nhealthy = 80", "segments.smb.segments: unknown key"),
        ("[share]\nhide = []", "share.hide: unknown key"),
        ("[health]\nhealthy = ", "not valid TOML"),
    ],
)
def test_invalid_settings_name_the_key(tmp_path, text, message):
    """Every invalid setting is refused at load time with a message naming the key (and the file)."""
    with pytest.raises(HealthConfigError) as error:
        rules_from(tmp_path, text)
    assert message in str(error.value)
    assert str(tmp_path / "health.toml") in str(error.value)


def test_missing_file_is_a_config_error(tmp_path):
    """A settings path that does not exist fails clearly instead of silently using the defaults."""
    with pytest.raises(HealthConfigError, match="cannot read health settings"):
        load_health_rules(str(tmp_path / "nope.toml"))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"weights": {"nope": 1}}, "weights.nope: unknown signal"),
        ({"weights": {"nps": -2}}, "weights.nps: weight must not be negative"),
        ({"weights": {"nps": 0}}, "at least one signal"),
        ({"healthy": 50, "at_risk": 60}, "healthy (50) must be above at_risk (60)"),
        ({"healthy": 120}, "healthy: must be between 0 and 100"),
        ({"ranges": {"nps": (3, 1)}}, "ranges.nps: lo must be below hi"),
        ({"stale_days": {"nps": -1}}, "stale_days.nps: must be a whole number"),
        ({"redact": frozenset({"password"})}, "redact: unknown card field 'password'"),
    ],
)
def test_config_built_in_code_is_validated_too(kwargs, message):
    """HealthConfig checks its own fields, so a config from code or a table obeys the same rules."""
    with pytest.raises(HealthConfigError) as error:
        HealthConfig(**kwargs)
    assert message in str(error.value)


def test_rules_from_a_dict():
    """Settings already parsed (e.g. read from a table) go through the same validation and layering."""
    rules = health_rules_from_dict({"teams": {"T1": {"health": {"healthy": 80}}}})
    assert rules.for_customer("T1", None).healthy == 80
    assert rules.for_customer("T2", None) == DEFAULT
    with pytest.raises(HealthConfigError, match=r"^team table: teams\.T1\.health\.weights\.x: unknown signal"):
        health_rules_from_dict({"teams": {"T1": {"health": {"weights": {"x": 1}}}}}, "team table")
