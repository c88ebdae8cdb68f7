"""KPIs from the ledger against hand-computed figures (bot/services/kpi.py's definitions), on SQLite and
PostgreSQL: mid-period joins, churn and reactivation within a period, contraction to zero, customers that start
after the period, currency mix, empty periods, the GRR cap, LTV without churn, NPS per respondent, filters."""

import itertools
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from bot.models import Handoff, NpsResponse
from bot.services import kpi, ledger
from bot.viewdata.kpi import MONTH, QUARTER, YEAR, Filter, Period
from tests.conftest import TEAM
from tests.services.conftest import add_customer

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
TODAY = NOW.date()
NOV = Period(MONTH, 2026, 11)
_refs = itertools.count(1)


def move(sessions, cid: int, kind: str, amount, on: str, currency: str = "USD", team: str = TEAM) -> None:
    with sessions.begin() as db:
        assert ledger.record(
            db, team, cid, kind, Decimal(str(amount)), currency, date.fromisoformat(on),
            source="csv", ref=f"t{next(_refs)}", by=None, now=NOW,
        )  # fmt: skip


def answer(sessions, cid: int, respondent: str, score: int, on: str, team: str = TEAM) -> None:
    with sessions.begin() as db:
        db.add(
            NpsResponse(
                team_id=team, customer_id=cid, respondent=respondent, score=score,
                responded_on=date.fromisoformat(on), source="csv",
            )
        )  # fmt: skip


def pct(value) -> float | None:
    return None if value is None else round(float(value) * 100, 2)


@pytest.fixture
def book(sessions) -> dict[str, int]:
    """Eight USD customers around November 2026 (see each line), and NPS answers in October and November."""
    ids = {}
    for name, segment, owner in (
        ("A", "Enterprise", "U1"),
        ("B", "Enterprise", "U2"),
        ("C", "SMB", "U1"),
        ("D", "SMB", "U2"),
        ("E", "SMB", "U1"),
        ("F", "SMB", "U2"),
        ("G", "SMB", "U1"),
        ("H", "SMB", "U2"),
    ):
        ids[name] = add_customer(sessions, name, segment=segment, owner_user_id=owner)
    move(sessions, ids["A"], "new", 100, "2026-01-10")  # untouched
    move(sessions, ids["B"], "new", 200, "2026-02-01")
    move(sessions, ids["B"], "expansion", 50, "2026-11-15")
    move(sessions, ids["C"], "new", 300, "2026-03-01")
    move(sessions, ids["C"], "contraction", 100, "2026-11-05")
    move(sessions, ids["D"], "new", 400, "2026-04-01")
    move(sessions, ids["D"], "churn", 400, "2026-11-20")  # lost
    move(sessions, ids["E"], "new", 100, "2026-05-01")
    move(sessions, ids["E"], "churn", 100, "2026-11-03")  # churned and back within November: retained
    move(sessions, ids["E"], "reactivation", 150, "2026-11-25")
    move(sessions, ids["F"], "new", 500, "2026-11-10")  # joins mid-period: not in the cohort
    move(sessions, ids["G"], "new", 50, "2026-12-02")  # only after the period
    move(sessions, ids["H"], "new", 100, "2026-06-01")
    move(sessions, ids["H"], "contraction", 100, "2026-11-12")  # contracted to zero: a lost logo too
    answer(sessions, ids["A"], "alice@a.com", 10, "2026-11-02")
    answer(sessions, ids["A"], "alice@a.com", 6, "2026-11-20")  # her latest in November: a detractor
    answer(sessions, ids["A"], "bob@a.com", 9, "2026-11-05")
    answer(sessions, ids["B"], "carol@b.com", 7, "2026-11-06")
    answer(sessions, ids["B"], "dave@b.com", 3, "2026-10-15")  # October's only answer
    answer(sessions, ids["B"], "dave@b.com", 9, "2026-11-28")
    answer(sessions, ids["C"], "alice@a.com", 10, "2026-11-09")  # the same person at another customer: counted
    answer(sessions, ids["A"], "bob@a.com", 0, "2026-12-01")  # after November: not counted
    return ids


def test_november_by_hand(sessions, book):
    """Cohort A B C D E H (start ARR 1,200): 4 of 6 retained, lost 600 (C 100, D 400, H 100; E's churn won
    back), cohort end ARR 700, expansion 50; 5 active at the end (1,200: ARPA 240); trailing six months from
    Jun 1: A B C D E, of which D was lost (1 of 5), annual churn 36 %, LTV 240 x 0.8 / 0.36; NPS 3 promoters, 1 passive,
    1 detractor = 40."""
    with sessions.begin() as db:
        r = kpi.report(db, TEAM, NOV, TODAY)
    usd = r.current.currencies["USD"]
    assert (usd.cohort, usd.retained, usd.start_arr, usd.cohort_end_arr) == (6, 4, 1200, 700)
    assert (usd.expansion, usd.contraction, usd.churn, usd.reactivation, usd.lost) == (50, 200, 500, 150, 600)
    assert pct(usd.logo_retention) == 66.67 and pct(usd.logo_churn) == 33.33
    assert pct(usd.grr) == 50.0 and pct(usd.nrr) == 58.33 and pct(usd.expansion_rate) == 4.17
    assert (usd.active, usd.active_arr, usd.arpa) == (5, 1200, 240)
    assert (usd.new_customers, usd.new_arr) == (1, 500)
    assert (usd.window_cohort, usd.window_retained) == (5, 4)
    assert pct(usd.churn_6m) == 20.0 and pct(usd.annual_churn) == 36.0
    assert usd.ltv == Decimal("533.33")
    assert (r.current.nps.promoters, r.current.nps.passives, r.current.nps.detractors) == (3, 1, 1)
    assert r.current.nps.score == 40
    assert not r.current.partial and r.current.end == date(2026, 11, 30)


def test_the_previous_period_comes_with_it_and_zero_churn_has_no_ltv(sessions, book):
    """October: the same six in the cohort, nothing moved (100 % everywhere); its trailing six months (from
    May 1: A B C D) lost nobody, so there is no LTV; dave's 3 is October's NPS."""
    with sessions.begin() as db:
        r = kpi.report(db, TEAM, NOV, TODAY)
    oct_ = r.previous.currencies["USD"]
    assert r.previous.period == Period(MONTH, 2026, 10)
    assert (oct_.cohort, oct_.retained, oct_.start_arr, oct_.cohort_end_arr, oct_.lost) == (6, 6, 1200, 1200, 0)
    assert pct(oct_.grr) == pct(oct_.nrr) == pct(oct_.logo_retention) == 100.0
    assert oct_.expansion_rate == 0
    assert (oct_.window_cohort, oct_.window_retained) == (4, 4)
    assert oct_.churn_6m == 0 and oct_.ltv is None
    assert (r.previous.nps.detractors, r.previous.nps.responses, r.previous.nps.score) == (1, 1, -100)


def test_quarter_and_year(sessions, book):
    """2026-Q4 is the same as November here (nothing moved in October or in December before the 4th, except
    G's new ARR on Dec 2, which is a join); the year 2026 has no start cohort at all (everyone started in it)."""
    with sessions.begin() as db:
        q4 = kpi.report(db, TEAM, Period(QUARTER, 2026, 4), TODAY)
        year = kpi.report(db, TEAM, Period(YEAR, 2026), TODAY)
    usd = q4.current.currencies["USD"]
    assert q4.current.partial and q4.current.end == TODAY
    assert (usd.cohort, usd.retained, usd.start_arr, usd.cohort_end_arr, usd.lost) == (6, 4, 1200, 700, 600)
    assert (usd.active, usd.new_customers) == (6, 2)  # F and G joined
    assert q4.previous.period == Period(QUARTER, 2026, 3)
    whole = year.current.currencies["USD"]
    assert whole.cohort == 0 and whole.logo_retention is None and whole.grr is None and whole.nrr is None
    assert whole.active == 6 and whole.arpa == Decimal("1250") / 6
    assert year.previous.currencies == {}  # 2025: nobody


def test_an_empty_team_has_no_figures(sessions):
    """No movements and no answers: no currency, NPS None, no error."""
    with sessions.begin() as db:
        r = kpi.report(db, TEAM, NOV, TODAY)
    assert r.current.currencies == {} and r.previous.currencies == {}
    assert r.current.nps.score is None and r.currencies == []


def test_a_period_that_has_not_started_is_refused(sessions):
    with sessions.begin() as db, pytest.raises(kpi.KpiError) as exc:
        kpi.report(db, TEAM, Period(MONTH, 2027, 1), TODAY)
    assert exc.value.code == "future"


def test_currencies_are_never_added(sessions):
    """A KRW customer has its own figures; a customer that moved from USD to KRW in November is a lost USD logo
    and a new KRW customer (the ledger's churn + new), never one retained customer."""
    usd = add_customer(sessions, "U")
    krw = add_customer(sessions, "K")
    switch = add_customer(sessions, "S")
    move(sessions, usd, "new", 100, "2026-01-01")
    move(sessions, krw, "new", 1_000_000, "2026-01-01", "KRW")
    move(sessions, krw, "expansion", 500_000, "2026-11-10", "KRW")
    move(sessions, switch, "new", 100, "2026-01-01")
    move(sessions, switch, "churn", 100, "2026-11-15")
    move(sessions, switch, "new", 130_000, "2026-11-15", "KRW")
    with sessions.begin() as db:
        r = kpi.report(db, TEAM, NOV, TODAY)
    u, k = r.current.currencies["USD"], r.current.currencies["KRW"]
    assert (u.cohort, u.retained, u.start_arr, u.cohort_end_arr) == (2, 1, 200, 100)
    assert (k.cohort, k.retained, k.start_arr, k.cohort_end_arr) == (1, 1, 1_000_000, 1_500_000)
    assert pct(k.nrr) == 150.0 and pct(k.grr) == 100.0 and pct(k.expansion_rate) == 50.0
    assert (k.active, k.active_arr, k.new_customers) == (2, 1_630_000, 1)
    assert r.currencies == ["KRW", "USD"]  # the larger book first


def test_grr_is_capped_and_never_credits_gains(sessions):
    """X churned and came back three times larger, and expanded: GRR stays 100 % while NRR is 400 %. Y expanded
    then contracted below its start: its loss is its start ARR at most (GRR 0 % of Y, not negative)."""
    x = add_customer(sessions, "X")
    move(sessions, x, "new", 100, "2026-01-01")
    move(sessions, x, "churn", 100, "2026-11-02")
    move(sessions, x, "reactivation", 300, "2026-11-09")
    move(sessions, x, "expansion", 100, "2026-11-16")
    with sessions.begin() as db:
        only_x = kpi.report(db, TEAM, NOV, TODAY).current.currencies["USD"]
    assert pct(only_x.grr) == 100.0 and pct(only_x.nrr) == 400.0 and only_x.lost == 0
    y = add_customer(sessions, "Y")
    move(sessions, y, "new", 100, "2026-01-01")
    move(sessions, y, "expansion", 200, "2026-11-03")
    move(sessions, y, "contraction", 250, "2026-11-10")
    with sessions.begin() as db:
        both = kpi.report(db, TEAM, NOV, TODAY).current.currencies["USD"]
    assert both.lost == 100 and pct(both.grr) == 50.0  # (200 - 100) / 200
    assert pct(both.nrr) == 225.0  # (400 + 50) / 200


def test_a_partial_reactivation_counts_what_was_not_won_back(sessions):
    """Churned 100, reactivated at 60 within the period: 40 lost for GRR, retained as a logo, NRR 60 %."""
    z = add_customer(sessions, "Z")
    move(sessions, z, "new", 100, "2026-01-01")
    move(sessions, z, "churn", 100, "2026-11-02")
    move(sessions, z, "reactivation", 60, "2026-11-20")
    with sessions.begin() as db:
        k = kpi.report(db, TEAM, NOV, TODAY).current.currencies["USD"]
    assert (k.lost, pct(k.grr), pct(k.nrr), k.retained) == (40, 60.0, 60.0, 1)


def test_movements_on_the_first_day_belong_to_the_period(sessions):
    """A customer new on Nov 1 is a November join; one churned on Nov 1 was in November's cohort."""
    joined, left = add_customer(sessions, "J"), add_customer(sessions, "L")
    move(sessions, joined, "new", 100, "2026-11-01")
    move(sessions, left, "new", 100, "2026-10-31")
    move(sessions, left, "churn", 100, "2026-11-01")
    with sessions.begin() as db:
        k = kpi.report(db, TEAM, NOV, TODAY).current.currencies["USD"]
    assert (k.cohort, k.retained, k.new_customers) == (1, 0, 1)


def test_segment_owner_and_icp_filters(sessions, book):
    """Enterprise is A and B (case-insensitive); owner U1 is A C E (and G); ICP fit reads each customer's
    latest submitted or accepted handoff (a later draft does not count)."""
    with sessions.begin() as db:
        for cid, fit, status, at in (
            (book["C"], "good", "submitted", datetime(2026, 3, 1, tzinfo=UTC)),
            (book["C"], "bad", "accepted", datetime(2026, 4, 1, tzinfo=UTC)),
            (book["D"], "bad", "submitted", datetime(2026, 4, 1, tzinfo=UTC)),
            (book["A"], "bad", "submitted", datetime(2026, 1, 1, tzinfo=UTC)),
            (book["A"], "good", "draft", datetime(2026, 2, 1, tzinfo=UTC)),
        ):
            db.add(Handoff(team_id=TEAM, customer_id=cid, icp_fit=fit, status=status, submitted_at=at))
    with sessions.begin() as db:
        ent = kpi.report(db, TEAM, NOV, TODAY, flt=Filter(segment="enterprise")).current
        u1 = kpi.report(db, TEAM, NOV, TODAY, flt=Filter(owner="U1")).current
        bad = kpi.report(db, TEAM, NOV, TODAY, flt=Filter(icp_fit="bad")).current
        good = kpi.report(db, TEAM, NOV, TODAY, flt=Filter(icp_fit="good")).current
        assert kpi.find_segment(db, TEAM, "ENTERPRISE") == "Enterprise"
        with pytest.raises(kpi.KpiError) as exc:
            kpi.find_segment(db, TEAM, "Mid-market")
    assert exc.value.params["known"] == "Enterprise, SMB"
    e = ent.currencies["USD"]
    assert (e.cohort, e.start_arr, e.cohort_end_arr) == (2, 300, 350)
    assert (ent.nps.promoters, ent.nps.passives, ent.nps.detractors) == (2, 1, 1)
    o = u1.currencies["USD"]
    assert (o.cohort, o.retained, o.start_arr, o.cohort_end_arr) == (3, 3, 500, 450)
    b = bad.currencies["USD"]
    assert (b.cohort, b.retained, b.start_arr) == (3, 2, 800)  # A, C (its latest), D
    assert good.currencies == {}


def test_other_teams_are_not_counted(sessions, book):
    other = add_customer(sessions, "Other", team="T999")
    move(sessions, other, "new", 10_000, "2026-01-01", team="T999")
    answer(sessions, other, "x@o.com", 0, "2026-11-11", team="T999")
    with sessions.begin() as db:
        r = kpi.report(db, TEAM, NOV, TODAY)
    assert r.current.currencies["USD"].start_arr == 1200 and r.current.nps.responses == 5


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("2026-11", Period(MONTH, 2026, 11)),
        ("2026-1", Period(MONTH, 2026, 1)),
        ("2026-Q4", Period(QUARTER, 2026, 4)),
        ("2026q1", Period(QUARTER, 2026, 1)),
        ("2026", Period(YEAR, 2026)),
        ("2026-13", None),
        ("2026-Q5", None),
        ("November", None),
        ("12026", None),
    ],
)
def test_period_names(text, period):
    assert kpi.parse_period(text) == period


def test_periods_step_back_across_years():
    assert Period(MONTH, 2026, 1).previous() == Period(MONTH, 2025, 12)
    assert Period(QUARTER, 2026, 1).previous() == Period(QUARTER, 2025, 4)
    assert Period(QUARTER, 2026, 4).end == date(2026, 12, 31)
    assert Period(MONTH, 2028, 2).end == date(2028, 2, 29)
    assert kpi.last_month(date(2026, 12, 1)) == NOV
    assert kpi.months_back(date(2026, 8, 31), 6) == date(2026, 2, 28)


def test_cohorts_by_start_quarter(sessions):
    """Q1 2026: P (100) and Q (200) start; Q expands 100 in Q2, P churns in Q3: 100 %, 133 %, 100 %, 100 %.
    Q2 2026: R (50) starts, contracts to 25 in Q4 (to date): 100 %, 100 %, 50 %. KRW has its own table."""
    p, q, r, k = (add_customer(sessions, n) for n in "PQRK")
    move(sessions, p, "new", 100, "2026-01-15")
    move(sessions, q, "new", 200, "2026-03-31")
    move(sessions, q, "expansion", 100, "2026-04-02")
    move(sessions, p, "churn", 100, "2026-08-01")
    move(sessions, r, "new", 50, "2026-05-01")
    move(sessions, r, "contraction", 25, "2026-12-01")
    move(sessions, k, "new", 1000, "2026-10-01", "KRW")
    with sessions.begin() as db:
        tables = kpi.cohorts(db, TEAM, TODAY)
        only = kpi.cohorts(db, TEAM, TODAY, currency="KRW")
    assert [t.currency for t in tables] == ["KRW", "USD"]
    usd = tables[1]
    assert [(row.quarter.name, row.customers, row.start_arr) for row in usd.rows] == [
        ("2026-Q1", 2, 300),
        ("2026-Q2", 1, 50),
    ]
    assert [pct(c) for c in usd.rows[0].cells] == [100.0, 133.33, 100.0, 100.0]
    assert [pct(c) for c in usd.rows[1].cells] == [100.0, 100.0, 50.0]
    assert [t.currency for t in only] == ["KRW"] and [pct(c) for c in only[0].rows[0].cells] == [100.0]
