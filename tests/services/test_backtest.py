"""The health score's backtest (bot/services/backtest.py): the maths on hand-checked cases, a small database
fixture worked out by hand, the empty cases, bulk reads, and the planted synthetic population."""

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event, insert

from bot.models import HealthScore, HealthSnapshot, RenewalOutcome
from bot.services import backtest as bt
from bot.services import backtest_data
from bot.services.health import score_at
from bot.services.health_config import HealthConfig, HealthRules
from bot.services.health_history import load_history
from tests.conftest import TEAM
from tests.services.conftest import add_customer

R = date(2026, 6, 1)  # the renewals of the hand fixture
D90 = R - timedelta(days=90)


def brute_auc(scores, churned):
    pairs = [
        (p, n)
        for p, cp in zip(scores, churned, strict=True)
        if cp
        for n, cn in zip(scores, churned, strict=True)
        if not cn
    ]
    return sum(1.0 if p < n else 0.5 if p == n else 0.0 for p, n in pairs) / len(pairs)


# --- pure maths --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scores", "churned", "expected"),
    [
        ([10, 20, 30, 40], [True, True, False, False], 1.0),
        ([10, 20, 30, 40], [False, False, True, True], 0.0),
        ([50, 50], [True, False], 0.5),
        ([10, 20, 20, 30], [True, True, False, False], 0.875),  # one tied pair counts half: 3.5 / 4
        ([10, 20, 30], [True, True, True], None),
        ([10, 20, 30], [False, False, False], None),
        ([], [], None),
    ],
)
def test_auc_on_hand_checked_cases(scores, churned, expected):
    """AUC is P(churner scores lower than a kept one) + half the ties; None without both kinds."""
    assert bt.auc(scores, churned) == expected


def test_auc_equals_pair_counting_on_random_data_with_ties():
    """The rank formula gives what counting every (churner, kept) pair gives, ties included."""
    rng = random.Random(3)
    for _ in range(50):
        n = rng.randint(2, 40)
        scores = [rng.randint(0, 8) for _ in range(n)]
        churned = [rng.random() < 0.3 for _ in range(n)]
        if all(churned) or not any(churned):
            continue
        assert bt.auc(scores, churned) == pytest.approx(brute_auc(scores, churned))


@pytest.mark.parametrize(
    ("k", "expected"),
    [
        (1, 1.0),  # 10 churned
        (2, 0.75),  # 10, then one of the two 20s (one churned): 1.5 / 2
        (3, 2 / 3),  # 10, both 20s
        (5, 0.6),
        (9, 0.6),  # k beyond the list: the whole list
        (0, None),
    ],
)
def test_precision_at_k_shares_the_cut_among_ties(k, expected):
    """precision@k counts churners among the k lowest; the scores tied at the cut share its remaining places."""
    scores = [10, 20, 20, 30, 40]
    churned = [True, False, True, False, True]
    assert bt.precision_at_k(scores, churned, k) == pytest.approx(expected) if expected else expected is None


def test_suggested_weights_follow_the_lift_over_chance():
    """max(0, AUC - 0.5) scaled to 100; a signal no better than chance gets 0; none better: no suggestion."""
    assert bt.suggest_weights({"nps": 0.8, "csat": 0.6, "csm_rating": 0.45}) == {"nps": 75, "csat": 25, "csm_rating": 0}
    assert bt.suggest_weights({"nps": 0.5, "csat": 0.3}) is None
    assert bt.suggest_weights({"nps": None}) is None


def test_weights_toml_diff_names_each_changed_weight():
    """The diff shows the old and new value of each changed signal and leaves unchanged ones as context."""
    table, diff = bt.weights_toml({"nps": 10, "csat": 5}, {"nps": 0, "csat": 5})
    assert table == "[health.weights]\nnps = 0\ncsat = 5"
    assert diff == "[health.weights]\n-nps = 10\n+nps = 0\n csat = 5"


# --- a hand-checked database fixture -------------------------------------------------------------------------


def _outcome(cid, outcome, arr, currency="USD", day=R):
    return {
        "team_id": TEAM,
        "customer_id": cid,
        "renewal_date": day,
        "outcome": outcome,
        "arr_before": Decimal(arr),
        "arr_after": Decimal(0 if outcome == "churned" else arr),
        "currency": currency,
        "source": "csv",
    }


def _score(cid, day, score, band):
    return {"team_id": TEAM, "customer_id": cid, "day": day, "score": score, "band": band}


@pytest.fixture
def hand(sessions):
    """Six renewals on R, scores 90 days before:
    a churned  30 unhealthy (stored that day)      ARR 100
    b churned  55 at risk   (stored 3 days before) ARR 300
    c renewed  55 at risk                          ARR 50
    d renewed  80 healthy                          ARR 70
    e contracted 60 at risk                        ARR 40
    f churned  no score, no snapshots              ARR 200
    g churned  no stored score; snapshots give nps 9 -> 90 healthy, KRW 1,000,000."""
    ids = {name: add_customer(sessions, f"Hand {name}") for name in "abcdefg"}
    with sessions.begin() as db:
        conn = db.connection()
        conn.execute(
            insert(HealthScore),
            [
                _score(ids["a"], D90, 30.0, "unhealthy"),
                _score(ids["b"], D90 - timedelta(days=3), 55.0, "at_risk"),
                _score(ids["b"], D90 - timedelta(days=9), 90.0, "healthy"),  # outside the 7-day window
                _score(ids["b"], D90 + timedelta(days=1), 95.0, "healthy"),  # after the horizon day
                _score(ids["c"], D90, 55.0, "at_risk"),
                _score(ids["d"], D90, 80.0, "healthy"),
                _score(ids["e"], D90, 60.0, "at_risk"),
            ],
        )
        conn.execute(
            insert(HealthSnapshot),
            [
                {
                    "team_id": TEAM,
                    "customer_id": ids["g"],
                    "signal": "nps",
                    "as_of": D90 - timedelta(days=200),
                    "value": 9.0,
                    "source": "csv",
                },
            ],
        )
        conn.execute(
            insert(RenewalOutcome),
            [
                _outcome(ids["a"], "churned", 100),
                _outcome(ids["b"], "churned", 300),
                _outcome(ids["c"], "renewed", 50),
                _outcome(ids["d"], "renewed", 70),
                _outcome(ids["e"], "contracted", 40),
                _outcome(ids["f"], "churned", 200),
                _outcome(ids["g"], "churned", 1_000_000, "KRW"),
            ],
        )
    return ids


def test_hand_fixture_figures_are_exact(sessions, hand):
    """Scores a 30, b 55 (3 days early), c 55, d 80, e 60, g 90 (recomputed), f none; churned a, b, g."""
    with sessions.begin() as db:
        report = bt.backtest(db, TEAM, HealthRules(), [90])
    assert (report.outcomes, report.churned) == (7, 4)
    h = report.horizons[0]
    assert h.sources == {"stored": 4, "earlier": 1, "recomputed": 1, "none": 1}
    assert (h.scored, h.churned, h.contracted) == (6, 3, 1)
    # churners a 30, b 55, g 90 against kept c 55, d 80, e 60: a beats 3, b ties c and beats d, e, g beats none
    assert h.auc == pytest.approx((3 + 2.5 + 0) / 9)
    # k = 3 churners: 30 (a), then 55 and 55 (b churned, c not) both fit: a + b = 2 of 3
    assert (h.k, h.precision_at_k) == (3, pytest.approx(2 / 3))
    assert h.base_rate == pytest.approx(0.5)
    krw, usd = h.arr_recall  # by currency
    # USD churned ARR: a 100 + b 300 flagged, f 200 unscored (missed): 400 / 600; KRW: g healthy, missed
    assert (usd.currency, usd.flagged_churned_arr, usd.churned_arr, usd.recall) == ("USD", "400.00", "600.00", 2 / 3)
    assert (krw.currency, krw.flagged_churned_arr, krw.recall) == ("KRW", "0.00", 0.0)
    assert [(b.band, b.renewals, b.churned, b.contracted) for b in h.bands] == [
        ("healthy", 2, 1, 0),
        ("at_risk", 3, 1, 1),
        ("unhealthy", 1, 1, 0),
    ]
    assert [(s.signal, s.renewals, s.churned) for s in h.signals] == [("nps", 1, 1)]


def test_k_overrides_the_list_length(sessions, hand):
    """--k 1: only the lowest score (a, churned)."""
    with sessions.begin() as db:
        h = bt.backtest(db, TEAM, HealthRules(), [90], k=1).horizons[0]
    assert (h.k, h.precision_at_k) == (1, 1.0)


# --- empty and degenerate cases --------------------------------------------------------------------------------


def test_no_outcomes_gives_a_clear_note(sessions):
    """A team with no renewal outcomes: a note, no figures, no crash."""
    add_customer(sessions, "Lonely")
    with sessions.begin() as db:
        report = bt.backtest(db, TEAM, HealthRules())
    assert report.note == "no renewal outcomes recorded: nothing to backtest"
    assert report.horizons == [] and report.suggestion is None


def test_no_churners_leaves_auc_and_precision_out(sessions):
    """Every renewal kept: AUC and precision are None with a note; the bands are still counted."""
    ids = [add_customer(sessions, f"Kept {i}") for i in range(3)]
    with sessions.begin() as db:
        conn = db.connection()
        conn.execute(insert(HealthScore), [_score(c, D90, 50.0 + i, "at_risk") for i, c in enumerate(ids)])
        conn.execute(insert(RenewalOutcome), [_outcome(c, "renewed", 10) for c in ids])
    with sessions.begin() as db:
        h = bt.backtest(db, TEAM, HealthRules(), [90]).horizons[0]
    assert (h.auc, h.precision_at_k, h.churned, h.k) == (None, None, 0, 0)
    assert "no churned renewal" in h.note
    assert h.arr_recall == []
    assert [b.renewals for b in h.bands] == [0, 3, 0]


def test_no_scores_at_all_says_so(sessions):
    """Outcomes but neither stored scores nor snapshots: every renewal unscored, a note, no crash."""
    cid = add_customer(sessions, "Dark")
    with sessions.begin() as db:
        db.connection().execute(insert(RenewalOutcome), [_outcome(cid, "churned", 10)])
    with sessions.begin() as db:
        report = bt.backtest(db, TEAM, HealthRules())
    h = report.horizons[0]
    assert (h.scored, h.sources["none"], h.auc) == (0, 1, None)
    assert "no renewal has a score 90 days before it" in h.note
    assert h.arr_recall[0].recall == 0.0
    assert report.suggestion is None


# --- the snapshot read is the product's scoring ---------------------------------------------------------------


def test_recomputed_scores_equal_score_at_on_random_histories(sessions):
    """Sub-scores read in bulk, weighted, give health.score_at's score on the full history: aliases, several
    sources a day, values older than the 90-day window, relative signals' peaks."""
    rng = random.Random(11)
    names = ["active_users", "logins", "nps", "tickets_30d", "license_utilization", "csm_rating"]
    ids = [add_customer(sessions, f"Random {i}") for i in range(12)]
    start = date(2025, 1, 1)
    rows = []
    for cid in ids:
        for name in rng.sample(names, rng.randint(1, len(names))):
            for _ in range(rng.randint(1, 25)):
                day = start + timedelta(days=rng.randint(0, 400))
                for source in rng.sample(["csv", "api"], rng.randint(1, 2)):
                    value = rng.randint(1, 5) if name == "csm_rating" else rng.randint(0, 100)
                    rows.append((cid, name, day, source, float(value)))
    rows = list({(c, n, d, s): v for c, n, d, s, v in rows}.items())
    with sessions.begin() as db:
        db.connection().execute(
            insert(HealthSnapshot),
            [
                {"team_id": TEAM, "customer_id": c, "signal": n, "as_of": d, "source": s, "value": v}
                for (c, n, d, s), v in rows
            ],
        )
    config = HealthConfig()
    points = [(cid, start + timedelta(days=rng.randint(-20, 450))) for cid in ids for _ in range(6)]
    with sessions.begin() as db:
        series = bt.signal_series(db, TEAM, points)
        for (cid, day), s in zip(points, series, strict=True):
            expected = score_at(load_history(db, TEAM, cid, date(2000, 1, 1)), day, config).score
            assert bt.weighted_score(bt.subscores_from(s, day, config), config.weights) == expected, (cid, day)


def test_reads_in_bulk_not_per_renewal(sessions, database_url):
    """600 renewals cost a handful of queries per horizon (chunks of 500 points), not one per renewal."""
    ids = [add_customer(sessions, f"Bulk {i}") for i in range(600)]
    with sessions.begin() as db:
        conn = db.connection()
        conn.execute(insert(HealthScore), [_score(c, D90, float(i % 100), "at_risk") for i, c in enumerate(ids)])
        conn.execute(
            insert(RenewalOutcome), [_outcome(c, "churned" if i % 5 == 0 else "renewed", 10) for i, c in enumerate(ids)]
        )
    statements = []
    engine = sessions.engine
    listener = lambda *a: statements.append(a[2])  # noqa: E731 - conn, cursor, statement, ...
    event.listen(engine, "before_cursor_execute", listener)
    try:
        with sessions.begin() as db:
            report = bt.backtest(db, TEAM, HealthRules(), [90, 60])
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert report.horizons[0].scored == 600
    # per horizon: scores 2 chunks, windows 2 chunks, carried values at most 2 chunks; plus the outcomes
    assert len(statements) <= 1 + 2 * 6, len(statements)


# --- the planted population ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def planted_accounts():
    return list(
        backtest_data.population(
            300, seed=5, end=date(2026, 11, 30), snapshot_every=14, score_every=7, config=HealthConfig(), team_id=TEAM
        )
    )


def test_planted_signal_is_found_and_noise_is_not(sessions, planted_accounts):
    """The signal that drives churn reaches AUC >= 0.8, pure noise stays near 0.5, the score lies between, and the
    suggested weights do better than the current ones on the later renewals they were not fitted on."""
    for i in range(0, len(planted_accounts), 100):
        with sessions.begin() as db:
            backtest_data.write_accounts(db, TEAM, planted_accounts[i : i + 100])
    with sessions.begin() as db:
        report = bt.backtest(db, TEAM, HealthRules())
    assert report.outcomes == sum(len(a.outcomes) for a in planted_accounts)
    assert 50 <= report.churned <= report.outcomes // 2
    for h in report.horizons:
        by = {s.signal: s.auc for s in h.signals}
        assert by[backtest_data.PLANTED] >= 0.8, h.horizon
        assert 0.4 <= by[backtest_data.NOISE] <= 0.6, h.horizon
        assert 0.65 <= h.auc < by[backtest_data.PLANTED], h.horizon
        assert h.sources["none"] == 0 and h.sources["recomputed"] == 0
        assert h.precision_at_k > 2 * h.base_rate
    s = report.suggestion
    assert s is not None and s.train > s.test > 0
    assert s.weights[backtest_data.PLANTED] == max(s.weights.values())
    assert s.weights[backtest_data.NOISE] <= 5
    assert s.auc_suggested_test > s.auc_current_test


def test_sample_bounds_the_per_signal_read(sessions, planted_accounts):
    """With --sample 100 the per-signal figures read 100 renewals; the score's figures still cover every one."""
    with sessions.begin() as db:
        backtest_data.write_accounts(db, TEAM, planted_accounts[:60])
    with sessions.begin() as db:
        h = bt.backtest(db, TEAM, HealthRules(), [90], sample=100).horizons[0]
    assert h.signals_sampled == 100 < h.renewals == h.scored
    assert max(s.renewals for s in h.signals) == 100
