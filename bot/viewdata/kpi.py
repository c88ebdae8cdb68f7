"""What the KPI service (bot/services/kpi.py) returns and the KPI builders draw: periods, per-currency figures
and NPS counts, with each ratio derived from the counts and sums it is made of (so a reader can check it by
hand). Stdlib only."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

MONTH, QUARTER, YEAR = "month", "quarter", "year"
DEFAULT_GROSS_MARGIN = Decimal("0.80")
TRAILING_MONTHS = 6  # LTV's churn rate: logo churn over the 6 months ending at the period's end, annualised


def add_months(day: date, months: int) -> date:
    """The first of the month `months` after `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True, order=True)
class Period:
    """A calendar month, quarter or year: named 2026-11, 2026-Q4, 2026."""

    kind: Literal["month", "quarter", "year"]
    year: int
    number: int = 1  # the month (1-12) or the quarter (1-4); 1 for a year

    @property
    def months(self) -> int:
        return {MONTH: 1, QUARTER: 3, YEAR: 12}[self.kind]

    @property
    def start(self) -> date:
        if self.kind == MONTH:
            return date(self.year, self.number, 1)
        if self.kind == QUARTER:
            return date(self.year, 3 * self.number - 2, 1)
        return date(self.year, 1, 1)

    @property
    def end(self) -> date:
        """The last day (inclusive)."""
        return add_months(self.start, self.months) - timedelta(days=1)

    @property
    def name(self) -> str:
        if self.kind == MONTH:
            return f"{self.year}-{self.number:02d}"
        if self.kind == QUARTER:
            return f"{self.year}-Q{self.number}"
        return str(self.year)

    def previous(self) -> "Period":
        return self.shift(-1)

    def shift(self, n: int) -> "Period":
        if self.kind == YEAR:
            return Period(YEAR, self.year + n)
        per_year = 12 if self.kind == MONTH else 4
        index = self.year * per_year + self.number - 1 + n
        return Period(self.kind, index // per_year, index % per_year + 1)

    @staticmethod
    def month_of(day: date) -> "Period":
        return Period(MONTH, day.year, day.month)

    @staticmethod
    def quarter_of(day: date) -> "Period":
        return Period(QUARTER, day.year, (day.month - 1) // 3 + 1)


@dataclass(frozen=True)
class Filter:
    """Which customers the KPIs are about: all of the team's, or one segment, owner or ICP fit (their values
    today: Baton keeps no history of them)."""

    segment: str | None = None
    owner: str | None = None  # a Slack user id
    icp_fit: str | None = None

    @property
    def empty(self) -> bool:
        return not (self.segment or self.owner or self.icp_fit)


def ratio(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    """part / whole, None when whole is 0 (no cohort: no rate)."""
    if not whole:
        return None
    return Decimal(part) / Decimal(whole)


@dataclass(frozen=True)
class CurrencyKpis:
    """One currency's figures over one period [start, end] (see bot/services/kpi.py for the definitions).

    cohort: customers with ARR > 0 in this currency at the start (the day before `start`); retained: those of
    them with ARR > 0 at the end; the money sums are the cohort's movements in the period, by kind; lost: the
    ARR GRR counts as lost (contraction, plus churn not undone by a reactivation in the period, at most each
    customer's starting ARR); active / active_arr: customers with ARR > 0 at the end and their ARR; window_*:
    the logo cohort and retained of the trailing 6 months ending at `end` (LTV's churn rate)."""

    currency: str
    cohort: int = 0
    retained: int = 0
    start_arr: Decimal = Decimal(0)
    cohort_end_arr: Decimal = Decimal(0)
    expansion: Decimal = Decimal(0)
    contraction: Decimal = Decimal(0)
    churn: Decimal = Decimal(0)
    reactivation: Decimal = Decimal(0)
    lost: Decimal = Decimal(0)
    new_customers: int = 0
    new_arr: Decimal = Decimal(0)
    active: int = 0
    active_arr: Decimal = Decimal(0)
    window_cohort: int = 0
    window_retained: int = 0
    gross_margin: Decimal = DEFAULT_GROSS_MARGIN

    @property
    def logo_retention(self) -> Decimal | None:
        return ratio(self.retained, self.cohort)

    @property
    def logo_churn(self) -> Decimal | None:
        kept = self.logo_retention
        return None if kept is None else 1 - kept

    @property
    def grr(self) -> Decimal | None:
        kept = ratio(self.start_arr - self.lost, self.start_arr)
        return None if kept is None else min(Decimal(1), max(Decimal(0), kept))

    @property
    def nrr(self) -> Decimal | None:
        return ratio(self.cohort_end_arr, self.start_arr)

    @property
    def expansion_rate(self) -> Decimal | None:
        return ratio(self.expansion, self.start_arr)

    @property
    def arpa(self) -> Decimal | None:
        return ratio(self.active_arr, self.active)

    @property
    def churn_6m(self) -> Decimal | None:
        """Logo churn over the trailing 6 months."""
        kept = ratio(self.window_retained, self.window_cohort)
        return None if kept is None else 1 - kept

    @property
    def annual_churn(self) -> Decimal | None:
        """The 6-month churn annualised: 1 - (1 - churn_6m)^2 (two half-years in a row)."""
        six = self.churn_6m
        return None if six is None else 1 - (1 - six) ** 2

    @property
    def ltv(self) -> Decimal | None:
        """ARPA x gross margin / annual churn rate; None when there is no churn (or no customer)."""
        arpa, rate = self.arpa, self.annual_churn
        if arpa is None or not rate:
            return None
        return (arpa * self.gross_margin / rate).quantize(Decimal("0.01"), ROUND_HALF_UP)


@dataclass(frozen=True)
class Nps:
    """NPS counts of a period: each respondent's latest answer in it, by group."""

    promoters: int = 0
    passives: int = 0
    detractors: int = 0

    @property
    def responses(self) -> int:
        return self.promoters + self.passives + self.detractors

    @property
    def score(self) -> Decimal | None:
        """% promoters - % detractors, from -100 to 100; None without responses."""
        share = ratio(self.promoters - self.detractors, self.responses)
        return None if share is None else share * 100


@dataclass(frozen=True)
class Kpis:
    """One period's figures: per currency (never added up) and NPS (no currency)."""

    period: Period
    end: date  # the period's last day, or today while the period is under way
    currencies: dict[str, CurrencyKpis] = field(default_factory=dict)
    nps: Nps = field(default_factory=Nps)

    @property
    def partial(self) -> bool:
        return self.end < self.period.end


@dataclass(frozen=True)
class KpiReport:
    """What `/kpi` and the monthly post show: a period's KPIs against the previous period's."""

    team_id: str
    filter: Filter
    current: Kpis
    previous: Kpis
    gross_margin: Decimal = DEFAULT_GROSS_MARGIN

    @property
    def currencies(self) -> list[str]:
        """Every currency either period has figures in, the largest ARR first."""
        found = {**self.previous.currencies, **self.current.currencies}
        return sorted(found, key=lambda c: (-_size(self.current.currencies.get(c)), c))


def _size(k: CurrencyKpis | None) -> Decimal:
    return (k.active_arr + k.start_arr) if k else Decimal(0)


@dataclass(frozen=True)
class CohortRow:
    """One start quarter's ARR retention: its customers' ARR at the end of each quarter since, as a share of
    their ARR at the end of the start quarter (cells[0] is 1 when that ARR is above 0)."""

    quarter: Period
    customers: int
    start_arr: Decimal
    cells: list[Decimal | None]


@dataclass(frozen=True)
class CohortTable:
    currency: str
    rows: list[CohortRow]
