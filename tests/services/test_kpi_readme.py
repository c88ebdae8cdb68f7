"""README's worked example ("## KPIs"), computed by the service: the figures the README derives by hand."""

from datetime import date
from decimal import Decimal

from bot.services import kpi
from bot.viewdata.kpi import MONTH, Period
from tests import kpi_example


def test_the_readme_example(sessions):
    """November 2026: cohort Acme Birch Cedar Delta ($700), 3 retained (75 %), lost $350 (Birch 50, Cedar 300;
    Delta's churn was won back): GRR 50 %; cohort ARR at the end $420: NRR 60 %; expansion $50: 7.1 %; ARPA
    $820 / 4 = $205; trailing six months from Jun 1: 1 of 4 lost, 1 - 0.75^2 = 43.75 % a year; LTV $205 x 0.8 /
    0.4375 = $374.86; NPS (2 promoters - 1 detractor) / 4 = 25. October: 100 % across, no churn, no LTV."""
    kpi_example.seed(sessions)
    with sessions.begin() as db:
        r = kpi.report(db, kpi_example.TEAM, Period(MONTH, 2026, 11), date(2026, 12, 4))
    nov, oct_ = r.current.currencies["USD"], r.previous.currencies["USD"]
    assert (nov.cohort, nov.retained, nov.start_arr, nov.lost, nov.cohort_end_arr) == (4, 3, 700, 350, 420)
    assert (nov.expansion, nov.contraction, nov.churn, nov.reactivation) == (50, 50, 400, 120)
    assert (nov.logo_retention, nov.logo_churn, nov.grr, nov.nrr) == (
        Decimal("0.75"),
        Decimal("0.25"),
        Decimal("0.5"),
        Decimal("0.6"),
    )
    assert round(nov.expansion_rate, 4) == Decimal("0.0714")
    assert (nov.active, nov.active_arr, nov.arpa) == (4, 820, 205)
    assert (nov.window_cohort, nov.window_retained, nov.churn_6m, nov.annual_churn) == (
        4,
        3,
        Decimal("0.25"),
        Decimal("0.4375"),
    )
    assert nov.ltv == Decimal("374.86")
    assert (r.current.nps.promoters, r.current.nps.passives, r.current.nps.detractors, r.current.nps.score) == (
        2,
        1,
        1,
        25,
    )
    assert (oct_.cohort, oct_.retained, oct_.start_arr, oct_.cohort_end_arr, oct_.arpa) == (4, 4, 700, 700, 175)
    assert (oct_.grr, oct_.nrr, oct_.expansion_rate, oct_.window_cohort, oct_.ltv) == (1, 1, 0, 3, None)
    assert r.previous.nps.score is None
