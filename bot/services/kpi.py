"""Shared KPIs from the revenue ledger alone (arr_movements, nps_responses): per currency, per period, for all of a
team's customers or one segment, owner or ICP fit. No Slack here; the figures are plain data
(bot/viewdata/kpi.py) that /kpi, the monthly post and the CLI draw.

Definitions (period P = [start, end], both days included; a customer's ARR on a day is the sum of its movements
in one currency up to and including that day: new, expansion and reactivation add, contraction and churn take
away; "at the start" means at the end of the day before `start`):

- Start cohort: the customers with ARR > 0 at the start. Customers without ARR then (new in P, returning after an
  earlier churn, or with movements only after P) are not in it. Currencies are never added: a customer is in the
  cohort of the currency its ARR was in.
- Logo retention = cohort customers with ARR > 0 at the end / cohort customers. One that churned and came back
  (reactivation) within P is retained; one whose ARR was taken to 0 by a contraction is lost, like a churn (what
  counts is the ARR at the end, not the kind of movement). Logo churn = 1 - logo retention.
- GRR = (start ARR - contraction - churn) / start ARR, over the cohort's movements in P, where a churn that a
  reactivation in P undid counts only for what was not won back, and no customer loses more than it started with:
  lost = sum over the cohort of min(start ARR, contraction + max(0, churn - reactivation)). So 0 <= GRR <= 100 %;
  expansion never lifts it.
- NRR = (start ARR + expansion + reactivation - contraction - churn) / start ARR over the cohort: its ARR at the
  end over its ARR at the start. Reactivation within P counts (the customer is back, at its new ARR); a `new`
  movement of a customer already in the cohort counts as expansion.
- Expansion rate = the cohort's expansion in P / start ARR.
- NPS = % promoters (9-10) - % detractors (0-6) among the respondents who answered in P, each respondent (per
  customer) counted once with their latest answer in P. Not per currency.
- LTV = ARPA x gross margin / annual churn rate, where ARPA = ARR of the customers with ARR > 0 at the end / their
  number, the gross margin is the team's `kpi.gross_margin` (default 0.80), and the annual churn rate is the logo
  churn over the 6 months ending at the end (the same rule as logo churn, with those 6 months as the period)
  annualised as 1 - (1 - six-month churn)^2. None when that churn is 0.

A segment, owner (customers.owner_user_id) or ICP fit (the icp_fit of the customer's latest submitted or accepted
handoff) filter keeps the customers that have it today: Baton keeps no history of them. A period that has not
ended is computed to `today` (its end is today). Each KPI comes with the previous period's (the month, quarter or
year before), computed in the same query.

Everything is aggregated in SQL: one pass over the team's movements, grouped by customer and
currency, gives each customer's balance at the five days that matter, and an outer query sums those per currency
(a few rows reach Python whatever the number of customers).
"""

import re
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import Integer, and_, case, cast, extract, func, literal, or_, select, text
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session

from bot.errors import UserError
from bot.models import ArrMovement, Customer, Handoff, NpsResponse
from bot.models.handoff import ACCEPTED, SUBMITTED
from bot.services.ledger import TAKES
from bot.services.team_config import TeamConfig
from bot.viewdata.handoff import ICP_FITS
from bot.viewdata.kpi import (
    DEFAULT_GROSS_MARGIN,
    MONTH,
    QUARTER,
    TRAILING_MONTHS,
    YEAR,
    CohortRow,
    CohortTable,
    CurrencyKpis,
    Filter,
    KpiReport,
    Kpis,
    Nps,
    Period,
)

NAME = KIND = "kpi"
# A balance above half a cent is ARR: SQLite sums NUMERIC as floating point, so 0.1 + 0.2 - 0.3 is not 0 there.
EPSILON = Decimal("0.005")
CENT = Decimal("0.01")
_PERIOD_RE = re.compile(r"(\d{4})(?:-(0?[1-9]|1[0-2])|-?[qQ]([1-4]))?")


class KpiError(UserError):
    """A KPI request Baton cannot answer (`kpi.err.<code>`)."""

    prefix = "kpi.err."


# --- periods -------------------------------------------------------------------------------------------------


def parse_period(text: str) -> Period | None:
    """`2026-11` (a month), `2026-Q4` (a quarter), `2026` (a year); None when `text` is not a period."""
    m = _PERIOD_RE.fullmatch(text.strip())
    if not m:
        return None
    year = int(m.group(1))
    if not 1900 < year < 3000:
        return None
    if m.group(2):
        return Period(MONTH, year, int(m.group(2)))
    if m.group(3):
        return Period(QUARTER, year, int(m.group(3)))
    return Period(YEAR, year)


def last_month(today: date) -> Period:
    """The month that ended most recently (on the 1st: the month before)."""
    return Period.month_of(today).previous()


def months_back(day: date, months: int) -> date:
    """The same day `months` earlier, or that month's last day when it is shorter (Aug 31 -> Feb 28)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = index // 12, index % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def gross_margin(cfg: TeamConfig) -> Decimal:
    raw = cfg.values.get("kpi.gross_margin") or ""
    return Decimal(raw) if raw else DEFAULT_GROSS_MARGIN


# --- the figures ---------------------------------------------------------------------------------------------


def _customers_in(db: Session, team_id: str, flt: Filter):
    """The customer ids the filter keeps (a subquery), or None for all of the team's."""
    if flt.empty:
        return None
    c = Customer.__table__
    where = [c.c.team_id == team_id]
    if flt.segment:
        wanted = _segment_key(flt.segment)
        where.append(c.c.segment.in_([s for s in segments(db, team_id) if _segment_key(s) == wanted]))
    if flt.owner:
        where.append(c.c.owner_user_id == flt.owner)
    if flt.icp_fit:
        h = Handoff.__table__
        latest = (
            select(
                h.c.customer_id,
                h.c.icp_fit,
                func.row_number()
                .over(
                    partition_by=h.c.customer_id,
                    order_by=(func.coalesce(h.c.submitted_at, h.c.created_at).desc(), h.c.id.desc()),
                )
                .label("rn"),
            )
            .where(h.c.team_id == team_id, h.c.status.in_((SUBMITTED, ACCEPTED)), h.c.customer_id.is_not(None))
            .subquery()
        )
        fits = select(latest.c.customer_id).where(latest.c.rn == 1, latest.c.icp_fit == flt.icp_fit)
        where.append(c.c.id.in_(fits))
    return select(c.c.id).where(*where)


def _lit(value) -> ColumnElement:
    """A constant written into the SQL, not bound: SQLite computes an aggregate that appears twice once only when
    the two are the same text (bound parameters are numbered apart), and reads literals a little faster."""
    return literal(value, literal_execute=True)


def _one_of(column, values) -> ColumnElement:
    """column = a OR column = b: SQLite tests an IN list through a temporary index, slower for two values."""
    return or_(*(column == _lit(v) for v in sorted(values)))


def _when(cond: ColumnElement, value) -> ColumnElement:
    return case((cond, value), else_=_lit(0))


def _money(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT)


def _movement_sums(db: Session, team_id: str, flt: Filter, current: Period, end: date):
    """One pass over the team's movements: per currency, the outer sums of both periods."""
    m = ArrMovement.__table__
    prev = current.previous()
    start, prev_start = current.start, prev.start
    window = months_back(end + timedelta(days=1), TRAILING_MONTHS)
    prev_window = months_back(start, TRAILING_MONTHS)
    signed = case((_one_of(m.c.kind, TAKES), -m.c.amount), else_=m.c.amount)  # the ledger allows its 5 kinds only
    day = m.c.effective_on

    def after(day_from: date):
        return func.sum(_when(day >= _lit(day_from), signed))

    def kinds(lo: date, hi: date, *names: str):
        return func.sum(_when(and_(day >= _lit(lo), day <= _lit(hi), _one_of(m.c.kind, names)), m.c.amount))

    # A balance before day X is the total less what came on or after X: each row evaluates its signed amount
    # once (for the total: the five copies below are one aggregate), and the cheap date tests fail at once for
    # the old rows, most of them.
    total = func.sum(signed)
    cols = {
        "b_wp": total - after(prev_window),
        "b_w": total - after(window),
        "b_ps": total - after(prev_start),
        "b_s": total - after(start),
        "b_e": total - after(end + timedelta(days=1)),
    }
    for tag, lo, hi in (("c", start, end), ("p", prev_start, start - timedelta(days=1))):
        cols[f"ex_{tag}"] = kinds(lo, hi, "expansion", "new")
        cols[f"ct_{tag}"] = kinds(lo, hi, "contraction")
        cols[f"ch_{tag}"] = kinds(lo, hi, "churn")
        cols[f"re_{tag}"] = kinds(lo, hi, "reactivation")
    where = [m.c.team_id == team_id]
    keep = _customers_in(db, team_id, flt)
    if keep is not None:
        where.append(m.c.customer_id.in_(keep))
    per = (
        select(m.c.currency, *(v.label(k) for k, v in cols.items()))
        .where(*where)
        .group_by(m.c.customer_id, m.c.currency)
        .subquery()
    )
    b_wp, b_w, b_ps, b_s, b_e = per.c.b_wp, per.c.b_w, per.c.b_ps, per.c.b_s, per.c.b_e
    eps = _lit(float(EPSILON))

    def figures(tag: str, b0, b1, wb):
        ex, ct, ch, re_ = (getattr(per.c, f"{k}_{tag}") for k in ("ex", "ct", "ch", "re"))
        in_cohort = b0 > eps
        unreturned = case((ch > re_, ch - re_), else_=literal(0))
        loss = ct + unreturned
        return {
            f"{tag}_cohort": func.sum(_when(in_cohort, 1)),
            f"{tag}_retained": func.sum(_when(and_(in_cohort, b1 > eps), 1)),
            f"{tag}_start_arr": func.sum(_when(in_cohort, b0)),
            f"{tag}_cohort_end_arr": func.sum(_when(in_cohort, b1)),
            f"{tag}_expansion": func.sum(_when(in_cohort, ex)),
            f"{tag}_contraction": func.sum(_when(in_cohort, ct)),
            f"{tag}_churn": func.sum(_when(in_cohort, ch)),
            f"{tag}_reactivation": func.sum(_when(in_cohort, re_)),
            f"{tag}_lost": func.sum(_when(in_cohort, case((loss > b0, b0), else_=loss))),
            f"{tag}_new_customers": func.sum(_when(and_(b0 <= eps, b1 > eps), 1)),
            f"{tag}_new_arr": func.sum(_when(and_(b0 <= eps, b1 > eps), b1)),
            f"{tag}_active": func.sum(_when(b1 > eps, 1)),
            f"{tag}_active_arr": func.sum(_when(b1 > eps, b1)),
            f"{tag}_window_cohort": func.sum(_when(wb > eps, 1)),
            f"{tag}_window_retained": func.sum(_when(and_(wb > eps, b1 > eps), 1)),
        }

    outer = {
        **figures("c", b_s, b_e, b_w),
        **figures("p", b_ps, b_s, b_wp),
    }
    stmt = select(per.c.currency, *(v.label(k) for k, v in outer.items())).group_by(per.c.currency)
    if db.get_bind().dialect.name == "postgresql":
        # A parallel plan ships every customer's partial NUMERIC sums from the workers to be merged: at 100k
        # customers that doubles the time (1.25 s against 0.65 s). For this transaction only.
        db.connection().execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
    return [row._mapping for row in db.connection().execute(stmt)]


_COUNTS = ("cohort", "retained", "new_customers", "active", "window_cohort", "window_retained")
_SUMS = ("start_arr", "cohort_end_arr", "expansion", "contraction", "churn", "reactivation", "lost", "new_arr",
         "active_arr")  # fmt: skip


def _currency_kpis(row, tag: str, margin: Decimal) -> CurrencyKpis:
    values = {k: int(row[f"{tag}_{k}"] or 0) for k in _COUNTS}
    values |= {k: _money(row[f"{tag}_{k}"]) for k in _SUMS}
    return CurrencyKpis(currency=row["currency"], gross_margin=margin, **values)


def _has_figures(k: CurrencyKpis) -> bool:
    return bool(k.cohort or k.active or k.window_cohort)


def nps(db: Session, team_id: str, flt: Filter, start: date, end: date, *, split: date | None = None) -> list[Nps]:
    """Promoters, passives and detractors among the latest answer of each respondent (per customer) in
    [start, end]; with `split`, of [start, split) and [split, end] apart, in the same scan."""
    r = NpsResponse.__table__
    where = [r.c.team_id == team_id, r.c.responded_on >= start, r.c.responded_on <= end]
    keep = _customers_in(db, team_id, flt)
    if keep is not None:
        where.append(r.c.customer_id.in_(keep))
    part = case((r.c.responded_on >= split, _lit(1)), else_=_lit(0)) if split else _lit(0)
    order = func.row_number().over(
        partition_by=(part, r.c.customer_id, r.c.respondent), order_by=(r.c.responded_on.desc(), r.c.id.desc())
    )
    answers = select(part.label("part"), r.c.score, order.label("n")).where(*where).subquery()
    score = answers.c.score
    stmt = (
        select(
            answers.c.part,
            func.sum(_when(score >= 9, 1)),
            func.sum(_when(and_(score >= 7, score <= 8), 1)),
            func.sum(_when(score <= 6, 1)),
        )
        .where(answers.c.n == 1)
        .group_by(answers.c.part)
    )
    found = {int(p): Nps(int(a or 0), int(b or 0), int(c or 0)) for p, a, b, c in db.connection().execute(stmt)}
    return [found.get(i, Nps()) for i in range(2 if split else 1)]


def report(
    db: Session,
    team_id: str,
    period: Period,
    today: date,
    *,
    flt: Filter = Filter(),  # noqa: B008 - frozen, never changed
    margin: Decimal = DEFAULT_GROSS_MARGIN,
) -> KpiReport:
    """The KPIs of `period` (to `today` if it has not ended) and of the period before it, for the team's
    customers the filter keeps. KpiError("future") when the period has not started."""
    if period.start > today:
        raise KpiError("future", period=period.name, example=last_month(today).name)
    end = min(period.end, today)
    prev = period.previous()
    current: dict[str, CurrencyKpis] = {}
    previous: dict[str, CurrencyKpis] = {}
    for row in _movement_sums(db, team_id, flt, period, end):
        now_, before = _currency_kpis(row, "c", margin), _currency_kpis(row, "p", margin)
        if _has_figures(now_):
            current[now_.currency] = now_
        if _has_figures(before):
            previous[before.currency] = before
    nps_before, nps_now = nps(db, team_id, flt, prev.start, end, split=period.start)
    return KpiReport(
        team_id=team_id,
        filter=flt,
        current=Kpis(period, end, current, nps_now),
        previous=Kpis(prev, prev.end, previous, nps_before),
        gross_margin=margin,
    )


# --- what a filter can name ----------------------------------------------------------------------------------


def _segment_key(text: str) -> str:
    """Segments match whatever their case and spacing (`Mid  market ` is `mid market`)."""
    return " ".join(text.split()).casefold()


def segments(db: Session, team_id: str) -> list[str]:
    """The team's segments as customers spell them."""
    c = Customer.__table__
    stmt = select(c.c.segment).where(c.c.team_id == team_id, c.c.segment.is_not(None)).distinct()
    return sorted({s for s in db.connection().execute(stmt).scalars() if s and s.strip()}, key=_segment_key)


def find_segment(db: Session, team_id: str, text: str) -> str:
    """The segment `text` names (any case and spacing), as customers spell it, or KpiError("unknown_segment")
    listing the team's segments. A filter on it keeps every spelling of it."""
    wanted = _segment_key(text)
    known = segments(db, team_id)
    for s in known:
        if _segment_key(s) == wanted:
            return " ".join(s.split())
    shown = list(dict.fromkeys(" ".join(s.split()) for s in known))
    raise KpiError("unknown_segment", segment=text.strip(), known=", ".join(shown) or "—")


def icp_fit_of(word: str) -> str | None:
    """`icp:good` -> good (one of the handoff form's ICP fits), else None."""
    head, sep, value = word.partition(":")
    if sep and head.casefold() in ("icp", "fit") and value.casefold() in ICP_FITS:
        return value.casefold()
    return None


# --- cohorts ---------------------------------------------------------------------------------------------------


def _quarter_index(day) -> ColumnElement:
    """year * 4 + quarter - 1 of a date column, in SQL (both dialects through extract)."""
    return cast(extract("year", day), Integer) * 4 + (cast(extract("month", day), Integer) - 1) // 3


def _quarter(index: int) -> Period:
    return Period(QUARTER, index // 4, index % 4 + 1)


def cohorts(db: Session, team_id: str, today: date, *, currency: str | None = None) -> list[CohortTable]:
    """ARR retention by start quarter, one table per currency: each cohort is the customers whose first movement
    in the currency fell in that quarter; cell k is their ARR at the end of the k-th quarter after it (the
    current quarter: today) over their ARR at the end of the start quarter. Two grouped queries: the customers'
    first quarters, then the movements summed by (first quarter, quarter)."""
    m = ArrMovement.__table__
    where = [m.c.team_id == team_id, m.c.effective_on <= today]
    if currency:
        where.append(m.c.currency == currency)
    first = (
        select(m.c.customer_id, m.c.currency, func.min(m.c.effective_on).label("first_on"))
        .where(*where)
        .group_by(m.c.customer_id, m.c.currency)
        .subquery()
    )
    # The quarters are computed in subqueries and grouped by name: PostgreSQL would not match an expression in
    # GROUP BY with the same one in SELECT (each carries its own bound constants).
    starts = select(first.c.customer_id, first.c.currency, _quarter_index(first.c.first_on).label("q0")).subquery()
    signed = case((m.c.kind.in_(sorted(TAKES)), -m.c.amount), else_=m.c.amount)  # the ledger allows its 5 kinds only
    joined = and_(starts.c.customer_id == m.c.customer_id, starts.c.currency == m.c.currency)
    moves = (
        select(m.c.currency, starts.c.q0, _quarter_index(m.c.effective_on).label("q"), signed.label("delta"))
        .select_from(m.join(starts, joined))
        .where(*where)
        .subquery()
    )
    stmt = select(moves.c.currency, moves.c.q0, moves.c.q, func.sum(moves.c.delta)).group_by(
        moves.c.currency, moves.c.q0, moves.c.q
    )
    deltas: dict[str, dict[int, dict[int, Decimal]]] = defaultdict(lambda: defaultdict(dict))
    for cur, start_q, quarter, delta in db.connection().execute(stmt):
        deltas[cur][int(start_q)][int(quarter)] = _money(delta)
    counts: dict[str, dict[int, int]] = defaultdict(dict)
    count_stmt = select(starts.c.currency, starts.c.q0, func.count()).group_by(starts.c.currency, starts.c.q0)
    for cur, start_q, n in db.connection().execute(count_stmt):
        counts[cur][int(start_q)] = int(n)
    now_q = today.year * 4 + (today.month - 1) // 3
    tables = []
    for cur in sorted(deltas):
        rows = []
        for start_q in sorted(deltas[cur]):
            running, cells, base = Decimal(0), [], Decimal(0)
            for k, quarter in enumerate(range(start_q, now_q + 1)):
                running += deltas[cur][start_q].get(quarter, Decimal(0))
                if k == 0:
                    base = running
                cells.append((running / base) if base > EPSILON else None)
            rows.append(CohortRow(_quarter(start_q), counts[cur].get(start_q, 0), base, cells))
        tables.append(CohortTable(cur, rows))
    return tables
