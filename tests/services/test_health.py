"""Health score maths (table-driven) and its database functions."""

from datetime import date, timedelta

import pytest

from bot.models import Customer, HealthScore, HealthSnapshot
from bot.services import health as h
from bot.services.health_config import DEFAULT, HealthConfig, HealthConfigError, HealthRules, load_health_rules

TODAY = date(2026, 11, 23)


def hist(**series: list[tuple[int, float]]) -> dict[str, list[h.Point]]:
    """History from {signal: [(days ago, value), ...]}."""
    return {s: [h.Point(TODAY - timedelta(days=d), v) for d, v in pts] for s, pts in series.items()}


def only(**weights: float) -> HealthConfig:
    return HealthConfig(weights={**dict.fromkeys(DEFAULT.weights, 0), **weights})


@pytest.mark.parametrize(
    ("signal", "value", "peak", "expected"),
    [
        ("license_utilisation", 90, None, 100.0),  # at hi
        ("license_utilisation", 30, None, 0.0),  # at lo
        ("license_utilisation", 60, None, 50.0),
        ("license_utilisation", 100, None, 100.0),  # clamped
        ("open_tickets", 0, None, 100.0),  # lower is better
        ("open_tickets", 10, None, 0.0),
        ("open_tickets", 5, None, 50.0),
        ("nps", 7, None, 70.0),
        ("active_users", 75, 100, 50.0),  # relative to the 90-day peak: 75% of peak, range 50..100
        ("active_users", 100, 100, 100.0),
        ("active_users", 10, None, 100.0),  # no peak yet: any usage counts as full
        ("active_users", 0, None, 0.0),
    ],
)
def test_normalise(signal, value, peak, expected):
    """Each signal maps to 0..100 by its direction and range, clamped; relative signals use their peak."""
    assert h.normalise(signal, value, DEFAULT, peak) == expected


def test_weighted_average_renormalises_missing_signals():
    """Missing signals are left out and the rest reweighted, never counted as zero."""
    config = only(license_utilisation=15, nps=10, csat=5)
    history = hist(license_utilisation=[(1, 60)], nps=[(3, 10)])  # csat missing
    score = h.score_at(history, TODAY, config)
    assert score.score == pytest.approx((15 * 50 + 10 * 100) / 25, abs=0.05)
    assert score.missing == ("csat",)
    assert {d.signal: d.weight_share for d in score.used} == {"license_utilisation": 0.6, "nps": 0.4}


def test_weight_zero_disables_a_signal():
    """A signal with weight 0 neither counts nor shows as missing."""
    score = h.score_at(hist(nps=[(0, 0)], csat=[(0, 5)]), TODAY, only(csat=5))
    assert score.score == 100.0 and score.missing == ()


def test_no_data_gives_no_score():
    """With no usable signal there is no score and no band (not zero, not unhealthy)."""
    score = h.score_at({}, TODAY, DEFAULT)
    assert (score.score, score.band) == (None, None)


@pytest.mark.parametrize(
    ("score", "config", "band"),
    [
        (70.0, DEFAULT, "healthy"),
        (69.9, DEFAULT, "at_risk"),
        (40.0, DEFAULT, "at_risk"),
        (39.9, DEFAULT, "unhealthy"),
        (75.0, HealthConfig(healthy=80, at_risk=50), "at_risk"),
        (49.0, HealthConfig(healthy=80, at_risk=50), "unhealthy"),
    ],
)
def test_bands(score, config, band):
    """Bands at their exact boundaries, default and configured."""
    assert h.band_for(score, config) == band


def test_stale_signals_are_flagged_but_used():
    """A value older than its signal's limit is flagged with its age and still counts."""
    score = h.score_at(hist(license_utilisation=[(8, 90)], nps=[(100, 9)]), TODAY, DEFAULT)
    assert [(s.signal, s.age_days) for s in score.stale] == [("license_utilisation", 8)]
    assert {d.signal for d in score.used} == {"license_utilisation", "nps"}


def test_drivers_sorted_by_impact():
    """Drivers pulling down come most negative first; pulling up most positive first; impact in points."""
    config = only(license_utilisation=10, open_tickets=10, nps=10, csat=10)
    history = hist(license_utilisation=[(0, 30)], open_tickets=[(0, 2)], nps=[(0, 4)], csat=[(0, 5)])
    score = h.score_at(history, TODAY, config)
    assert [d.signal for d in score.drivers_down] == ["license_utilisation", "nps"]
    assert [d.signal for d in score.drivers_up] == ["csat", "open_tickets"]
    assert score.drivers_down[0].impact == -12.5  # 0.25 share * (0 - 50)


@pytest.mark.parametrize(
    ("series", "renewal_days", "band", "codes"),
    [
        ({"active_users": [(14, 100), (0, 70)]}, None, None, ["usage_drop"]),  # exactly 30% down
        ({"active_users": [(14, 100), (0, 71)]}, None, None, []),
        ({"logins_30d": [(20, 1000), (0, 500)]}, None, None, ["usage_drop"]),
        ({"tickets_30d": [(30, 3), (0, 6)]}, None, None, ["ticket_spike"]),
        ({"tickets_30d": [(30, 2), (0, 4)]}, None, None, []),  # doubled but below the floor of 5
        ({"open_tickets": [(14, 2), (0, 4)]}, None, None, ["ticket_spike"]),
        ({"nps": [(0, 6)]}, None, None, ["nps_detractor"]),
        ({"nps": [(0, 7)]}, None, None, []),
        ({"overdue_invoices": [(0, 1)]}, None, None, ["overdue_invoice"]),
        ({"overdue_invoices": [(0, 0)]}, None, None, []),
        ({}, 90, "at_risk", ["renewal_soon_not_healthy"]),
        ({}, 91, "at_risk", []),
        ({}, 30, "healthy", []),
        ({}, -1, "unhealthy", []),
    ],
)
def test_risk_signals(series, renewal_days, band, codes):
    """Each risk rule fires at its boundary and not just inside it."""
    renewal = TODAY + timedelta(days=renewal_days) if renewal_days is not None else None
    found = h.risks(hist(**series), TODAY, DEFAULT, renewal, band)
    assert [r.code for r in found] == codes


def test_trend_deltas_and_sparkline():
    """Δ7d/Δ30d compare with the score then; the sparkline has one bar per week on a 0..100 scale."""
    config = only(license_utilisation=1)
    history = hist(license_utilisation=[(60, 90), (30, 60), (7, 45), (0, 36)])
    t = h.trend(history, TODAY, config)
    assert (t.score_30d_ago, t.score_7d_ago) == (50.0, 25.0)
    assert (t.delta_30d, t.delta_7d) == (-40.0, -15.0)
    assert len(t.weekly) == 8 and len(t.sparkline) == 8
    assert t.sparkline[0] == "█" and t.sparkline[-1] == "▁"
    assert h.sparkline([None, 0, 50, 100]) == " ▁▅█"


def test_config_layers_team_over_segment_over_default():
    """Most specific wins, key by key."""
    rules = HealthRules(
        {
            "health": {"healthy": 75, "weights": {"nps": 20}},
            "segments": {"enterprise": {"health": {"weights": {"nps": 30, "csat": 1}}}},
            "teams": {
                "T1": {"health": {"at_risk": 50}, "segments": {"enterprise": {"health": {"weights": {"nps": 40}}}}}
            },
        }
    )
    assert rules.for_customer("T2", None).weights["nps"] == 20
    assert rules.for_customer("T2", "enterprise").weights["nps"] == 30
    team_ent = rules.for_customer("T1", "enterprise")
    assert (team_ent.weights["nps"], team_ent.weights["csat"], team_ent.healthy, team_ent.at_risk) == (40, 1, 75, 50)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"health": {"weights": {"bogus": 1}}}, "unknown signal"),
        ({"health": {"weights": {"nps": -1}}}, "must not be negative"),
        ({"health": {"healthy": 40, "at_risk": 50}}, "must be above at_risk"),
        ({"health": {"healthy": 140}}, "between 0 and 100"),
        ({"health": {"ranges": {"nps": [5, 5]}}}, "lo must be below hi"),
        ({"share": {"redact": ["password"]}}, "unknown field"),
        ({"teams": {"T1": {"health": {"weights": {"nope": 1}}}}}, "teams.T1.health.weights.nope"),
        ({"colour": "blue"}, "unknown top-level"),
    ],
)
def test_config_errors_name_the_key(data, message):
    """An invalid settings file is refused with a message naming the key."""
    with pytest.raises(HealthConfigError, match=message.replace(".", r"\.")):
        HealthRules(data)


def test_load_health_rules_from_toml(tmp_path):
    """The documented example file loads; aliases such as license_utilization are accepted."""
    path = tmp_path / "health.toml"
    path.write_text('[health]\nhealthy = 72\n[health.weights]\nlicense_utilization = 30\n[share]\nredact = ["arr"]\n')
    rules = load_health_rules(str(path))
    assert rules.default.healthy == 72 and rules.default.weights["license_utilisation"] == 30
    assert rules.default.redact == frozenset({"arr"})
    assert load_health_rules(None).default == DEFAULT


def _customer(baton, team="T111", name="ACME") -> int:
    with baton.deps.sessions.begin() as db:
        c = Customer(team_id=team, name=name, name_key=name.lower(), renewal_date=TODAY + timedelta(days=60))
        db.add(c)
        db.flush()
        return c.id


def _snap(baton, cid, signal, days_ago, value, team="T111"):
    with baton.deps.sessions.begin() as db:
        db.add(
            HealthSnapshot(
                team_id=team,
                customer_id=cid,
                signal=signal,
                as_of=TODAY - timedelta(days=days_ago),
                value=value,
                source="test",
            )
        )


def test_customer_health_reads_once_and_scopes_by_team(baton):
    """customer_health scores from this team's snapshots only, with trend, risks and freshness."""
    cid = _customer(baton)
    _snap(baton, cid, "nps", 2, 3)
    _snap(baton, cid, "nps", 1, 10, team="T999")  # another team's row for the same id never counts
    with baton.deps.sessions.begin() as db:
        customer = db.get(Customer, cid)
        result = h.customer_health(db, "T111", customer, TODAY, only(nps=10))
    assert result.score.score == 30.0 and result.score.band == "unhealthy"
    assert result.freshness == {"nps": TODAY - timedelta(days=2)}
    assert [r.code for r in result.risks] == ["nps_detractor", "renewal_soon_not_healthy"]


def test_record_daily_scores_upserts_and_band_crossings(baton, clock):
    """Recording twice keeps one row per day (updated); a band change between days is a crossing."""
    cid = _customer(baton)
    rules = HealthRules({"health": {"weights": dict.fromkeys(DEFAULT.weights, 0) | {"nps": 1}}})
    _snap(baton, cid, "nps", 1, 9)
    with baton.deps.sessions.begin() as db:
        assert h.record_daily_scores(db, "T111", [cid], TODAY - timedelta(days=1), rules, now=clock()) == 1
    _snap(baton, cid, "nps", 0, 3)
    for _ in range(2):
        with baton.deps.sessions.begin() as db:
            h.record_daily_scores(db, "T111", [cid], TODAY, rules, now=clock())
    rows = sorted(baton.all(HealthScore), key=lambda r: r.day)
    assert [(r.score, r.band) for r in rows] == [(90.0, "healthy"), (30.0, "unhealthy")]
    with baton.deps.sessions.begin() as db:
        assert h.band_crossings(db, "T111", TODAY - timedelta(days=7), TODAY) == [(cid, "healthy", "unhealthy", TODAY)]
        assert h.record_daily_scores(db, "T999", [cid], TODAY, rules, now=clock()) == 0


def test_documented_example_file_is_valid():
    """docs/health.example.toml loads and means what it says."""
    from pathlib import Path

    rules = load_health_rules(str(Path(__file__).resolve().parents[2] / "docs" / "health.example.toml"))
    assert rules.for_customer("T0123ABCD", "enterprise").healthy == 75
    assert rules.for_customer("T1", "enterprise").weights["csm_rating"] == 20
