from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event

from bot.models import Customer, HealthScore, HealthSnapshot
from bot.services import health as h
from bot.services import health_state
from bot.services.health_config import DEFAULT, HealthConfig, health_rules_from_dict
from bot.signals import SIGNALS
from tests.conftest import TEAM

TODAY = date(2026, 11, 23)
OTHER_TEAM = "T222"


def ago(days: int) -> date:
    return TODAY - timedelta(days=days)


def hist(**series: list[tuple[int, float]]) -> dict[str, list[h.Point]]:
    """History from {signal: [(days ago, value), ...]}."""
    return {signal: [h.Point(ago(d), v) for d, v in points] for signal, points in series.items()}


def only(**weights: float) -> HealthConfig:
    """A config scoring only the given signals."""
    return HealthConfig(weights=weights)


# ---------------------------------------------------------------------------------------------- normalise


@pytest.mark.parametrize(
    ("signal", "value", "config", "expected"),
    [
        ("license_utilisation", 60, DEFAULT, 50.0),  # up, 30..90
        ("license_utilisation", 30, DEFAULT, 0.0),
        ("license_utilisation", 90, DEFAULT, 100.0),
        ("license_utilisation", 100, DEFAULT, 100.0),  # clamped above
        ("license_utilisation", 10, DEFAULT, 0.0),  # clamped below
        ("open_tickets", 0, DEFAULT, 100.0),  # down, 0..10: fewer is better
        ("open_tickets", 2, DEFAULT, 80.0),
        ("open_tickets", 10, DEFAULT, 0.0),
        ("open_tickets", 15, DEFAULT, 0.0),  # clamped
        ("last_meeting_days", 52, DEFAULT, 50.0),  # down, 14..90
        ("last_meeting_days", 5, DEFAULT, 100.0),
        ("nps", 7, DEFAULT, 70.0),
        ("csat", 3, DEFAULT, 50.0),
        ("champion_present", 1, DEFAULT, 100.0),
        ("champion_present", 0, DEFAULT, 0.0),
        ("license_utilization", 60, DEFAULT, 50.0),  # alias
        (SIGNALS["csm_rating"], 2, DEFAULT, 25.0),  # a SignalSpec works too
        ("nps", 7.5, HealthConfig(ranges={"nps": (5, 10)}), 50.0),  # configured range
        ("nps", 4, HealthConfig(ranges={"nps": (5, 10)}), 0.0),
        ("open_tickets", 1, HealthConfig(ranges={"open_tickets": (0, 4)}), 75.0),
    ],
)
def test_normalise_direction_range_and_clamping(signal, value, config, expected):
    """Values map linearly from [lo, hi] to 0..100, reversed when fewer is better, clamped outside."""
    assert h.normalise(signal, value, config, None) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("value", "peak", "config", "expected"),
    [
        (75, 100, DEFAULT, 50.0),  # 75% of peak on 50..100
        (100, 100, DEFAULT, 100.0),
        (120, 150, DEFAULT, 60.0),  # 80% of peak
        (40, 100, DEFAULT, 0.0),  # 40% of peak is below lo
        (10, None, DEFAULT, 100.0),  # no peak known: any use counts as full
        (10, 0, DEFAULT, 100.0),
        (0, None, DEFAULT, 0.0),
        (0, 0, DEFAULT, 0.0),
        (30, 60, HealthConfig(ranges={"active_users": (0, 100)}), 50.0),
    ],
)
def test_normalise_relative_signals_against_their_peak(value, peak, config, expected):
    """Relative signals are scored as a percentage of the customer's own 90-day peak."""
    assert h.normalise("active_users", value, config, peak) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("series", "expected"),
    [
        ([(60, 200), (0, 150)], 50.0),  # peak 200, today 75%
        ([(91, 1000), (90, 200), (0, 150)], 50.0),  # 91 days ago is outside the peak window, 90 inside
        ([(91, 1000), (0, 150)], 100.0),  # today is its own peak
        ([(30, 100), (10, 100), (0, 50)], 0.0),  # half of peak
    ],
)
def test_score_uses_the_90_day_peak_for_relative_signals(series, expected):
    """score_at takes a relative signal's peak from the last 90 days of its history."""
    score = h.score_at(hist(active_users=series), TODAY, only(active_users=1))
    assert score.score == expected
    assert score.used[0].value == series[-1][1]


# ------------------------------------------------------------------------------------------- weighted score

WEIGHTED = only(key_feature_use=10, license_utilisation=30, nps=10)


@pytest.mark.parametrize(
    ("series", "config", "expected", "missing"),
    [
        # key_feature_use 40 -> 50, license_utilisation 90 -> 100, nps 2 -> 20
        ({"key_feature_use": [(0, 40)], "license_utilisation": [(0, 90)], "nps": [(0, 2)]}, WEIGHTED, 74.0, ()),
        ({"key_feature_use": [(0, 40)], "license_utilisation": [(0, 90)]}, WEIGHTED, 87.5, ("nps",)),  # 3500/40
        ({"key_feature_use": [(0, 40)], "nps": [(0, 2)]}, WEIGHTED, 35.0, ("license_utilisation",)),  # 700/20
        ({"nps": [(0, 2)]}, WEIGHTED, 20.0, ("key_feature_use", "license_utilisation")),
        ({"nps": [(0, 8)], "csat": [(0, 4)]}, DEFAULT, 78.3, tuple(n for n in SIGNALS if n not in ("nps", "csat"))),
        ({"nps": [(5, 9), (3, 2), (1, 6)]}, only(nps=1), 60.0, ()),  # the latest value counts
        ({"nps": [(1, 6), (5, 9), (3, 2)]}, only(nps=1), 60.0, ()),  # in any order
        ({"nps": [(0, 6), (-1, 10)]}, only(nps=1), 60.0, ()),  # a future value is not used yet
        ({"nps": [(0, 2)], "mood": [(0, 1)]}, only(nps=1), 20.0, ()),  # unknown signals are ignored
        ({"license_utilization": [(0, 60)]}, only(license_utilisation=1), 50.0, ()),  # alias in history
    ],
)
def test_weighted_average_renormalises_missing_signals(series, config, expected, missing):
    """The score is the weighted average over the signals that have a value; missing ones never count as 0."""
    score = h.score_at(hist(**series), TODAY, config)
    assert score.score == expected
    assert score.missing == missing
    assert score.as_of == TODAY
    assert sum(d.weight_share for d in score.used) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("config", "used", "score"),
    [
        (only(nps=0, csat=5), ["csat"], 100.0),
        (only(csat=5), ["csat"], 100.0),  # absent from the weights: same as 0
        (only(nps=1, csat=1), ["nps", "csat"], 50.0),
    ],
)
def test_weight_zero_disables_a_signal(config, used, score):
    """A signal weighted 0 neither counts nor shows as missing."""
    result = h.score_at(hist(nps=[(0, 0)], csat=[(0, 5)]), TODAY, config)
    assert [d.signal for d in result.used] == used
    assert result.score == score
    assert result.missing == ()


@pytest.mark.parametrize("history", [{}, hist(nps=[(-3, 9)]), hist(mood=[(0, 5)])])
def test_no_usable_signal_gives_no_score(history):
    """With no usable signal there is no score and no band (not zero, not unhealthy)."""
    score = h.score_at(history, TODAY, DEFAULT)
    assert (score.score, score.band, score.used, score.drivers_down, score.drivers_up) == (None, None, (), (), ())
    assert score.missing == tuple(SIGNALS)


# ---------------------------------------------------------------------------------------------- staleness


@pytest.mark.parametrize(
    ("signal", "age", "config", "stale"),
    [
        ("license_utilisation", 7, DEFAULT, False),  # limit 7 days: exactly 7 is fine
        ("license_utilisation", 8, DEFAULT, True),
        ("nps", 120, DEFAULT, False),
        ("nps", 121, DEFAULT, True),
        ("csm_rating", 61, DEFAULT, True),
        ("nps", 31, HealthConfig(stale_days={"nps": 30}), True),
        ("license_utilisation", 8, HealthConfig(stale_days={"license_utilisation": 14}), False),
    ],
)
def test_staleness_per_signal_limit(signal, age, config, stale):
    """A value older than its signal's limit is flagged with its age, and still counts."""
    score = h.score_at(hist(**{signal: [(age, 5)]}), TODAY, config)
    assert [d.signal for d in score.used] == [signal]
    assert score.stale == ((h.Stale(signal, ago(age), age),) if stale else ())


def test_unweighted_stale_signals_are_not_flagged():
    """Only signals that count are checked for staleness."""
    score = h.score_at(hist(nps=[(200, 5)], csat=[(0, 5)]), TODAY, only(csat=1))
    assert score.stale == ()


# -------------------------------------------------------------------------------------------------- bands


@pytest.mark.parametrize(
    ("score", "config", "band"),
    [
        (70.0, DEFAULT, "healthy"),
        (69.9, DEFAULT, "at_risk"),
        (40.0, DEFAULT, "at_risk"),
        (39.9, DEFAULT, "unhealthy"),
        (100.0, DEFAULT, "healthy"),
        (0.0, DEFAULT, "unhealthy"),
        (80.0, HealthConfig(healthy=80, at_risk=50), "healthy"),
        (79.9, HealthConfig(healthy=80, at_risk=50), "at_risk"),
        (50.0, HealthConfig(healthy=80, at_risk=50), "at_risk"),
        (49.9, HealthConfig(healthy=80, at_risk=50), "unhealthy"),
    ],
)
def test_band_boundaries(score, config, band):
    """Bands at their exact boundaries, default (70/40) and configured."""
    assert h.band_for(score, config) == band


@pytest.mark.parametrize(
    ("nps", "config", "band"),
    [
        (7, only(nps=1), "healthy"),  # exactly 70
        (4, only(nps=1), "at_risk"),  # exactly 40
        (3, only(nps=1), "unhealthy"),
        (7, HealthConfig(weights={"nps": 1}, healthy=75, at_risk=70), "at_risk"),
    ],
)
def test_score_carries_its_band(nps, config, band):
    """score_at bands the rounded score with the config's thresholds."""
    assert h.score_at(hist(nps=[(0, nps)]), TODAY, config).band == band


# ------------------------------------------------------------------------------------------------ drivers

SIX = only(key_feature_use=1, license_utilisation=1, open_tickets=1, nps=1, csat=1, csm_rating=1)
SIX_VALUES = {
    "key_feature_use": [(0, 10)],  # 0
    "license_utilisation": [(0, 30)],  # 0
    "open_tickets": [(0, 2)],  # 80
    "nps": [(0, 4)],  # 40
    "csat": [(0, 5)],  # 100
    "csm_rating": [(0, 2)],  # 25
}


@pytest.mark.parametrize(
    ("direction", "expected"),
    [
        # share 1/6 each; impact = share * (normalised - 50); ties broken by name
        ("down", [("key_feature_use", -50 / 6), ("license_utilisation", -50 / 6), ("csm_rating", -25 / 6)]),
        ("up", [("csat", 50 / 6), ("open_tickets", 30 / 6)]),
    ],
)
def test_drivers_ordering_and_impact(direction, expected):
    """Top 3 drivers each way, strongest first, with their impact in score points."""
    score = h.score_at(hist(**SIX_VALUES), TODAY, SIX)
    drivers = score.drivers_down if direction == "down" else score.drivers_up
    assert [(d.signal, d.impact) for d in drivers] == [(s, pytest.approx(i)) for s, i in expected]
    assert score.score == 40.8  # 245 / 6
    assert sum(d.impact for d in score.used) == pytest.approx(245 / 6 - 50)  # impacts explain the score


def test_driver_fields_and_neutral_signals():
    """A driver carries value, date, normalised score and weight share; a signal at exactly 50 pulls neither way."""
    config = only(license_utilisation=3, nps=1)
    score = h.score_at(hist(license_utilisation=[(2, 60)], nps=[(1, 9)]), TODAY, config)
    assert score.drivers_down == ()
    assert score.drivers_up == (h.Driver("nps", 9, ago(1), pytest.approx(90.0), 0.25, pytest.approx(10.0)),)
    assert score.used[0] == h.Driver("license_utilisation", 60, ago(2), 50.0, 0.75, 0.0)
    assert score.score == 60.0


# -------------------------------------------------------------------------------------------------- risks


def R(code, **params):
    return h.Risk(code, params)


@pytest.mark.parametrize(
    ("series", "renewal_in", "band", "expected"),
    [
        (
            {"active_users": [(14, 100), (0, 70)]},
            None,
            None,
            [R("usage_drop", signal="active_users", before=100, after=70, pct=30.0)],
        ),
        ({"active_users": [(14, 100), (0, 71)]}, None, None, []),  # 29% down
        (
            {"active_users": [(20, 100), (0, 60)]},
            None,
            None,
            [R("usage_drop", signal="active_users", before=100, after=60, pct=40.0)],
        ),
        ({"active_users": [(13, 100), (0, 10)]}, None, None, []),  # nothing known 14 days ago
        ({"active_users": [(14, 0), (0, 0)]}, None, None, []),
        (
            {"logins_30d": [(15, 1000), (14, 10), (0, 7)]},
            None,
            None,
            [R("usage_drop", signal="logins_30d", before=10, after=7, pct=30.0)],
        ),
        ({"tickets_30d": [(30, 3), (0, 6)]}, None, None, [R("ticket_spike", signal="tickets_30d", before=3, after=6)]),
        ({"tickets_30d": [(30, 3), (0, 5)]}, None, None, []),  # not doubled
        ({"tickets_30d": [(30, 2), (0, 4)]}, None, None, []),  # doubled but under 5
        ({"tickets_30d": [(40, 0), (0, 5)]}, None, None, [R("ticket_spike", signal="tickets_30d", before=0, after=5)]),
        ({"tickets_30d": [(29, 1), (0, 9)]}, None, None, []),  # no value 30 days ago
        (
            {"open_tickets": [(14, 2), (0, 4)]},
            None,
            None,
            [R("ticket_spike", signal="open_tickets", before=2, after=4)],
        ),
        ({"open_tickets": [(14, 2), (0, 3)]}, None, None, []),  # under 4
        ({"open_tickets": [(14, 3), (0, 5)]}, None, None, []),  # not doubled
        ({"nps": [(0, 6)]}, None, None, [R("nps_detractor", value=6)]),
        ({"nps": [(0, 7)]}, None, None, []),
        ({"nps": [(10, 3), (0, 9)]}, None, None, []),  # only the latest answer counts
        ({"nps": [(-2, 1)]}, None, None, []),  # future-dated
        ({"overdue_invoices": [(0, 2)]}, None, None, [R("overdue_invoice", count=2)]),
        ({"overdue_invoices": [(5, 2), (0, 0)]}, None, None, []),
        ({}, 90, "at_risk", [R("renewal_soon_not_healthy", days=90, band="at_risk")]),
        ({}, 0, "unhealthy", [R("renewal_soon_not_healthy", days=0, band="unhealthy")]),
        ({}, 30, None, [R("renewal_soon_not_healthy", days=30, band=None)]),  # no score is not healthy
        ({}, 91, "at_risk", []),
        ({}, -1, "unhealthy", []),  # renewal date passed
        ({}, 30, "healthy", []),
        ({}, None, "unhealthy", []),
        (
            {"nps": [(0, 5)], "overdue_invoices": [(0, 1)], "active_users": [(14, 10), (0, 5)]},
            60,
            "at_risk",
            [
                R("usage_drop", signal="active_users", before=10, after=5, pct=50.0),
                R("nps_detractor", value=5),
                R("overdue_invoice", count=1),
                R("renewal_soon_not_healthy", days=60, band="at_risk"),
            ],
        ),
    ],
)
def test_risk_rules(series, renewal_in, band, expected):
    """Each risk rule fires at its boundary and not just outside it, in a fixed order."""
    renewal = None if renewal_in is None else TODAY + timedelta(days=renewal_in)
    assert h.risks(hist(**series), TODAY, DEFAULT, renewal, band) == expected


# -------------------------------------------------------------------------------------------------- trend


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([0], "▁"),
        ([12.4], "▁"),
        ([12.5], "▂"),
        ([50], "▅"),
        ([87.4], "▇"),
        ([87.5], "█"),
        ([100], "█"),
        ([-5, 130], "▁█"),  # clamped
        ([70, 71, 72], "▆▆▆"),  # fixed 0..100 scale, not min/max
        ([None, 40, None], " ▄ "),
        ([], ""),
    ],
)
def test_sparkline_characters(values, expected):
    """One bar per value on the fixed 0..100 scale (12.5 points per step), a space for no score."""
    assert h.sparkline(values) == expected


# nps only: scores are nps * 10 of the latest answer at or before each day
TREND_HISTORY = hist(nps=[(56, 1), (40, 3), (30, 5), (20, 6), (7, 8), (0, 9)])


@pytest.mark.parametrize(
    ("history", "expected"),
    [
        (TREND_HISTORY, h.Trend(80.0, 50.0, 10.0, 40.0, (10.0, 10.0, 30.0, 50.0, 50.0, 60.0, 80.0, 90.0), "▁▁▃▅▅▅▇█")),
        (hist(nps=[(20, 6), (0, 3)]), h.Trend(60.0, None, -30.0, None, (None,) * 5 + (60.0, 60.0, 30.0), "     ▅▅▃")),
        (hist(nps=[(0, 5)]), h.Trend(None, None, None, None, (None,) * 7 + (50.0,), "       ▅")),
        ({}, h.Trend(None, None, None, None, (None,) * 8, " " * 8)),
    ],
)
def test_trend_deltas_and_weekly_sparkline(history, expected):
    """Trend: score 7 and 30 days ago, deltas to today, 8 weekly scores ending today and their sparkline."""
    assert h.trend(history, TODAY, only(nps=1)) == expected


# ---------------------------------------------------------------------------------------------- database


def add_customer(db, name="Acme", team=TEAM, segment=None, renewal=None) -> int:
    customer = Customer(team_id=team, name=name, name_key=name.lower(), segment=segment, renewal_date=renewal)
    db.add(customer)
    db.flush()
    return customer.id


def add_snapshots(db, customer_id, team=TEAM, source="manual", day=TODAY, **series):
    """Snapshots from {signal: [(days before `day`, value), ...]}."""
    for signal, points in series.items():
        for days, value in points:
            db.add(
                HealthSnapshot(
                    team_id=team,
                    customer_id=customer_id,
                    signal=signal,
                    as_of=day - timedelta(days=days),
                    value=value,
                    source=source,
                )
            )
    db.flush()


class QueryCounter:
    """Counts the SQL statements an engine runs while active."""

    def __init__(self, engine):
        self.engine, self.count = engine, 0

    def _count(self, *_args):
        self.count += 1

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *_exc):
        event.remove(self.engine, "before_cursor_execute", self._count)


FULL_SERIES = {
    "active_users": [(140, 500), (100, 400), (60, 200), (20, 180), (0, 150)],
    "license_utilisation": [(50, 90), (35, 80), (8, 60)],  # 8 days old: stale
    "nps": [(130, 4)],  # older than the history window, still the value in force (and stale)
    "tickets_30d": [(45, 2), (30, 3), (0, 8)],
    "overdue_invoices": [(3, 1)],
}


def test_load_history_is_one_team_scoped_query_with_the_value_in_force(baton):
    """load_history reads one customer's points since a day, oldest first, plus each signal's last earlier value,
    in one query, never another team's rows."""
    with baton.deps.sessions.begin() as db:
        cid = add_customer(db)
        add_snapshots(db, cid, nps=[(200, 2), (130, 4)], csat=[(10, 3), (40, 4)])
        add_snapshots(db, cid, source="survey", csat=[(10, 5)])  # same day, recorded later: listed last
        add_snapshots(db, cid, team=OTHER_TEAM, nps=[(1, 0)], csat=[(1, 1)])  # same customer id, other team
    with baton.deps.sessions.begin() as db, QueryCounter(baton.deps.sessions.engine) as queries:
        history = h.load_history(db, TEAM, cid, ago(30))
    assert queries.count == 1
    assert history == {
        "nps": [h.Point(ago(130), 4)],
        "csat": [h.Point(ago(40), 4), h.Point(ago(10), 3), h.Point(ago(10), 5)],
    }


def test_customer_health_matches_the_full_history_in_one_query(baton):
    """customer_health loads one window once and gives the same score, trend and risks as the full history."""
    renewal = TODAY + timedelta(days=45)
    with baton.deps.sessions.begin() as db:
        cid = add_customer(db, renewal=renewal)
        add_snapshots(db, cid, **FULL_SERIES)
        customer = db.get(Customer, cid)
    with baton.deps.sessions.begin() as db, QueryCounter(baton.deps.sessions.engine) as queries:
        result = h.customer_health(db, TEAM, customer, TODAY, DEFAULT)
    assert queries.count == 1
    full = hist(**FULL_SERIES)
    score = h.score_at(full, TODAY, DEFAULT)
    assert result.score == score
    assert result.trend == h.trend(full, TODAY, DEFAULT)
    assert list(result.risks) == h.risks(full, TODAY, DEFAULT, renewal, score.band)
    assert [s.signal for s in result.score.stale] == ["license_utilisation", "nps"]
    # active_users 150 of a 200 peak -> 50; license 60 -> 50; tickets 8 -> 60; nps 4 -> 40; overdue 1 -> 50;
    # weights 15, 15, 5, 10, 5 -> 0.3 * 50 + 0.3 * 50 + 0.1 * 60 + 0.2 * 40 + 0.1 * 50
    assert (result.score.score, result.score.band) == (49.0, "at_risk")
    assert [r.code for r in result.risks] == [
        "ticket_spike",
        "nps_detractor",
        "overdue_invoice",
        "renewal_soon_not_healthy",
    ]
    assert result.freshness == {
        "active_users": TODAY,
        "license_utilisation": ago(8),
        "nps": ago(130),
        "tickets_30d": TODAY,
        "overdue_invoices": ago(3),
    }


def test_customer_health_refuses_another_teams_customer(baton):
    """A customer from another team is never scored under this team."""
    with baton.deps.sessions.begin() as db:
        customer = db.get(Customer, add_customer(db, team=OTHER_TEAM))
        with pytest.raises(ValueError):
            h.customer_health(db, TEAM, customer, TODAY, DEFAULT)


def test_team_isolation(baton):
    """Another team's snapshots are never counted, even under the same customer id."""
    with baton.deps.sessions.begin() as db:
        cid = add_customer(db)
        add_snapshots(db, cid, nps=[(0, 9)])
        add_snapshots(db, cid, team=OTHER_TEAM, nps=[(0, 0)], csat=[(0, 1)], overdue_invoices=[(0, 3)])
        result = h.customer_health(db, TEAM, db.get(Customer, cid), TODAY, DEFAULT)
        assert [d.signal for d in result.score.used] == ["nps"]
        assert result.score.score == 90.0
        assert result.risks == ()
        assert result.freshness == {"nps": TODAY}


RULES = health_rules_from_dict({"segments": {"enterprise": {"health": {"weights": {"nps": 3}}}}})


def test_refresh_scores_each_day_with_segment_rules_and_again_the_same(baton, clock):
    """A refresh stores one row per customer and day (today and tomorrow), each customer scored with its segment's
    weights; another team's ids and unknown ids are ignored; a later value the same day re-scores the day."""
    tomorrow = TODAY + timedelta(days=1)
    with baton.deps.sessions.begin() as db:
        smb = add_customer(db, "Small", segment="smb")
        big = add_customer(db, "Big", segment="Enterprise")
        empty = add_customer(db, "Empty")
        other = add_customer(db, "Elsewhere", team=OTHER_TEAM)
        for cid in (smb, big):
            add_snapshots(db, cid, nps=[(0, 9)], csat=[(0, 1)])  # nps 90, csat 0
        add_snapshots(db, other, team=OTHER_TEAM, nps=[(0, 9)])
        changed = dict.fromkeys([smb, big, empty, other, 999_999], TODAY)
        assert health_state.refresh(db, TEAM, changed, TODAY, RULES, now=clock()) == 4
    # smb default weights nps 10 / csat 5 -> 60.0; enterprise nps 3 / csat 5 -> 33.75 -> 33.8
    assert {(r.customer_id, r.day, r.score, r.band) for r in baton.all(HealthScore)} == {
        (smb, TODAY, 60.0, "at_risk"),
        (smb, tomorrow, 60.0, "at_risk"),
        (big, TODAY, 33.8, "unhealthy"),
        (big, tomorrow, 33.8, "unhealthy"),
    }
    clock.advance(hours=1)
    with baton.deps.sessions.begin() as db:
        add_snapshots(db, smb, source="survey", csat=[(0, 5)])  # csat 100 recorded later the same day
        assert health_state.refresh(db, TEAM, {smb: TODAY}, TODAY, RULES, now=clock()) == 2
        rows = h.score_history(db, TEAM, smb, ago(1))
        assert [(r.day, r.score, r.band, r.computed_at) for r in rows] == [
            (TODAY, 93.3, "healthy", clock()),
            (tomorrow, 93.3, "healthy", clock()),
        ]
    assert len(baton.all(HealthScore)) == 4


def test_daily_history_over_days_and_score_history(baton, clock):
    """Snapshots of several past days give one row per day from the first, read back oldest first from a day."""
    with baton.deps.sessions.begin() as db:
        cid = add_customer(db)
        add_snapshots(db, cid, nps=[(3, 8), (2, 5), (1, 2)])
        health_state.refresh(db, TEAM, {cid: ago(3)}, TODAY, RULES, now=clock())
    with baton.deps.sessions.begin() as db:
        rows = h.score_history(db, TEAM, cid, ago(2))
        assert [(r.day, r.score, r.band) for r in rows] == [
            (ago(2), 50.0, "at_risk"),
            (ago(1), 20.0, "unhealthy"),
            (TODAY, 20.0, "unhealthy"),
            (TODAY + timedelta(days=1), 20.0, "unhealthy"),
        ]
        assert h.score_history(db, OTHER_TEAM, cid, ago(30)) == []


def add_scores(db, team, customer_id, bands: dict[int, str]):
    score = {"healthy": 80.0, "at_risk": 50.0, "unhealthy": 20.0}
    for days, band in bands.items():
        db.add(
            HealthScore(
                team_id=team,
                customer_id=customer_id,
                day=ago(days),
                score=score[band],
                band=band,
                computed_at=datetime.now(UTC),
            )
        )
    db.flush()


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (10, 0, [("a", "healthy", "at_risk", 7), ("b", "at_risk", "healthy", 5), ("a", "at_risk", "unhealthy", 2)]),
        (5, 0, [("b", "at_risk", "healthy", 5), ("a", "at_risk", "unhealthy", 2)]),  # b's previous day is day 12
        (4, 3, []),
        (2, 2, [("a", "at_risk", "unhealthy", 2)]),
        (30, 20, []),
    ],
)
def test_band_crossings(baton, start, end, expected):
    """A crossing is a stored day whose band differs from the customer's previous stored day, for one team."""
    with baton.deps.sessions.begin() as db:
        a, b = add_customer(db, "A"), add_customer(db, "B")
        other = add_customer(db, "Other", team=OTHER_TEAM)
        add_scores(db, TEAM, a, {9: "healthy", 8: "healthy", 7: "at_risk", 3: "at_risk", 2: "unhealthy"})
        add_scores(db, TEAM, b, {12: "at_risk", 5: "healthy", 1: "healthy"})
        add_scores(db, OTHER_TEAM, other, {6: "healthy", 4: "unhealthy"})
        names = {a: "a", b: "b"}
        crossings = h.band_crossings(db, TEAM, ago(start), ago(end))
    assert [(names[c], before, after, day) for c, before, after, day in crossings] == [
        (name, before, after, ago(days)) for name, before, after, days in expected
    ]


def test_band_crossings_match_a_day_by_day_reading_of_random_histories(baton):
    """On random histories with gaps (the previous stored day often lies before the range), for every range and
    for a subset of customers, the crossings are exactly those a day-by-day reading finds."""
    import random

    rng = random.Random(11)
    bands = ("healthy", "at_risk", "unhealthy")
    histories: dict[int, dict[int, str]] = {}
    with baton.deps.sessions.begin() as db:
        for i in range(12):
            cid = add_customer(db, f"R{i}")
            histories[cid] = {d: rng.choice(bands) for d in range(40) if rng.random() < 0.45}
            add_scores(db, TEAM, cid, histories[cid])
    for start, end in ((20, 0), (7, 0), (13, 6), (39, 30), (3, 3)):
        expected = []
        for cid, days in histories.items():
            ordered = sorted(days.items(), reverse=True)  # oldest first (days ago, descending)
            for (_d0, b0), (d1, b1) in zip(ordered, ordered[1:], strict=False):
                if end <= d1 <= start and b0 != b1:
                    expected.append((cid, b0, b1, ago(d1)))
        expected.sort(key=lambda r: (r[3], r[0]))
        with baton.deps.sessions.begin() as db:
            assert h.band_crossings(db, TEAM, ago(start), ago(end)) == expected, (start, end)
            some = sorted(histories)[::2]
            subset = [r for r in expected if r[0] in some]
            assert h.band_crossings(db, TEAM, ago(start), ago(end), some) == subset, (start, end)


def test_the_trend_shortcut_gives_exactly_the_full_scores():
    """The sparkline's weekly scores skip the explanation; on random histories (out of order, gaps, several
    values a day) they must equal the full computation to the last bit."""
    import random

    rng = random.Random(7)
    today = date(2026, 11, 23)
    for _ in range(200):
        history = {}
        for name in rng.sample(sorted(SIGNALS), rng.randint(0, len(SIGNALS))):
            spec = SIGNALS[name]
            hi = spec.hi if spec.hi is not None else 500
            points = [
                h.Point(today - timedelta(days=rng.randint(0, 150)), float(rng.randint(int(spec.lo), int(hi))))
                for _ in range(rng.randint(1, 40))
            ]
            history[name] = points
        series = h._prepare(history)
        for back in (0, 7, 30, 49, 140):
            day = today - timedelta(days=back)
            assert h._score_value(series, day, DEFAULT) == h._score(series, day, DEFAULT).score
