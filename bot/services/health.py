"""The explainable health score: each signal's latest value normalised, weighted and banded, with the drivers,
trend, stale signals and risk signals that explain it, and the daily score history behind trends and alerts.

The maths works on an in-memory history ({signal: [Point, ...]}) so a customer's card needs one query; the
database functions load that history, and store and read the daily scores (SQLite and PostgreSQL alike).
"""

import bisect
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, timedelta
from typing import Protocol

from sqlalchemy import case, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from bot.models import Customer, HealthScore
from bot.services.health_config import HealthConfig, HealthRules
from bot.services.health_history import History, Point, chunks, load_histories, load_history
from bot.signals import SIGNALS, SignalSpec, canonical_signal
from bot.viewdata.health import AT_RISK, HEALTHY, UNHEALTHY, CustomerHealth, Driver, Risk, Score, Stale, Trend

SPARK = "▁▂▃▄▅▆▇█"  # each bar covers 12.5 points of the fixed 0..100 scale
TOP_DRIVERS = 3
PEAK_DAYS = 90  # relative signals are scored against the customer's own peak over this many days
WEEKS = 8  # points in the sparkline
# Enough for every score the card shows: the oldest weekly point (7 weeks ago) plus its 90-day peak window.
# load_history also carries the value in force on the first day, so older-but-current values are not lost.
HISTORY_DAYS = 7 * (WEEKS - 1) + PEAK_DAYS
# Risk rules (domain.md: alert on sharp drops, not on every wiggle).
USAGE_DROP_SIGNALS = ("active_users", "logins_30d")
USAGE_DROP_DAYS, USAGE_DROP_PCT = 14, 30
TICKET_SPIKES = (("tickets_30d", 30, 5), ("open_tickets", 14, 4))  # signal, look-back days, minimum value
TICKET_SPIKE_FACTOR = 2
NPS_DETRACTOR_MAX = 6
RENEWAL_SOON_DAYS = 90
URGENT_RENEWAL_DAYS = 90  # a customer At risk or worse renewing this soon needs action this week


class SeriesLike(Protocol):
    """What the score reads of one signal: the value in force on a day and its 90-day peak."""

    def latest(self, day: date) -> Point | None: ...

    def peak(self, day: date) -> float | None: ...


# --- maths -------------------------------------------------------------------------------------------------


class _Series:
    """One signal's points sorted by day (stable, so of two values on one day the later-listed one wins)."""

    __slots__ = ("days", "points", "values")

    def __init__(self, points: Iterable[Point]):
        points = list(points)
        days = [p.as_of for p in points]
        if any(a > b for a, b in zip(days, days[1:], strict=False)):  # the database sorts them already
            points.sort(key=lambda p: p.as_of)
            days = [p.as_of for p in points]
        self.points, self.days = points, days
        self.values = [p.value for p in points]

    def latest(self, day: date) -> Point | None:
        i = bisect.bisect_right(self.days, day)
        return self.points[i - 1] if i else None

    def peak(self, day: date) -> float | None:
        lo = bisect.bisect_left(self.days, day - timedelta(days=PEAK_DAYS))
        hi = bisect.bisect_right(self.days, day)
        return max(self.values[lo:hi], default=None)


def _prepare(history: History) -> dict[str, _Series]:
    """Canonical signal name -> sorted series; unknown signal names are dropped."""
    grouped: dict[str, list[Point]] = {}
    for name, points in history.items():
        signal = canonical_signal(name)
        if signal is not None:
            grouped.setdefault(signal, []).extend(points)
    return {signal: _Series(points) for signal, points in grouped.items()}


def _spec(spec_or_name: SignalSpec | str) -> SignalSpec:
    if isinstance(spec_or_name, SignalSpec):
        return spec_or_name
    name = canonical_signal(spec_or_name)
    if name is None:
        raise KeyError(f"unknown signal {spec_or_name!r}")
    return SIGNALS[name]


def normalise(spec_or_name: SignalSpec | str, value: float, config: HealthConfig, peak: float | None) -> float:
    """`value` mapped linearly from [lo, hi] to 0..100 (clamped; reversed when lower is better). A relative
    signal is first turned into a percentage of `peak` (its 90-day peak); with no peak, any use counts 100%."""
    spec = _spec(spec_or_name)
    if spec.relative:
        value = value / peak * 100 if peak else (100.0 if value > 0 else 0.0)
    lo, hi = config.ranges.get(spec.name, (spec.lo, spec.hi))
    fraction = min(1.0, max(0.0, (value - lo) / (hi - lo)))
    return 100.0 * (fraction if spec.direction == "up" else 1.0 - fraction)


def band_for(score: float, config: HealthConfig) -> str:
    """healthy (>= config.healthy), at_risk (>= config.at_risk) or unhealthy."""
    if score >= config.healthy:
        return HEALTHY
    return AT_RISK if score >= config.at_risk else UNHEALTHY


def _score(series: Mapping[str, _Series], day: date, config: HealthConfig) -> Score:
    picked: list[tuple[SignalSpec, Point, float, float]] = []  # spec, point, normalised, weight
    missing: list[str] = []
    stale: list[Stale] = []
    for name, spec in SIGNALS.items():
        weight = config.weights.get(name, 0.0)
        if weight <= 0:
            continue
        s = series.get(name)
        point = s.latest(day) if s else None
        if point is None:
            missing.append(name)
            continue
        peak = s.peak(day) if spec.relative else None
        picked.append((spec, point, normalise(spec, point.value, config, peak), weight))
        age = (day - point.as_of).days
        if age > config.stale_days.get(name, spec.stale_days):
            stale.append(Stale(name, point.as_of, age))
    if not picked:
        return Score(None, None, (), (), (), tuple(missing), (), day)
    total = sum(weight for *_, weight in picked)
    used = tuple(
        Driver(spec.name, point.value, point.as_of, norm, weight / total, weight / total * (norm - 50))
        for spec, point, norm, weight in picked
    )
    score = round(sum(d.weight_share * d.normalised for d in used), 1)
    down = sorted((d for d in used if d.impact < 0), key=lambda d: (d.impact, d.signal))
    up = sorted((d for d in used if d.impact > 0), key=lambda d: (-d.impact, d.signal))
    return Score(
        score,
        band_for(score, config),
        tuple(down[:TOP_DRIVERS]),
        tuple(up[:TOP_DRIVERS]),
        used,
        tuple(missing),
        tuple(stale),
        day,
    )


def _score_value(series: Mapping[str, _Series], day: date, config: HealthConfig) -> float | None:
    """`_score(series, day, config).score` without the explanation (same arithmetic, so the same number)."""
    picked: list[tuple[float, float]] = []  # normalised, weight
    for name, spec in SIGNALS.items():
        weight = config.weights.get(name, 0.0)
        if weight <= 0:
            continue
        s = series.get(name)
        point = s.latest(day) if s else None
        if point is None:
            continue
        peak = s.peak(day) if spec.relative else None
        picked.append((normalise(spec, point.value, config, peak), weight))
    if not picked:
        return None
    total = sum(weight for _, weight in picked)
    return round(sum(weight / total * norm for norm, weight in picked), 1)


def score_and_driver(
    series: Mapping[str, SeriesLike], day: date, config: HealthConfig
) -> tuple[float, str, str | None, float | None] | None:
    """(score, band, top driver's signal, its value) on `day`, the driver only when the band is not healthy: what
    `_score` and `top_driver` give, in one pass without the explanation (the same arithmetic, so the same result)."""
    picked: list[tuple[str, float, float, float]] = []  # signal, value, normalised, weight
    for name, spec in SIGNALS.items():
        weight = config.weights.get(name, 0.0)
        if weight <= 0:
            continue
        s = series.get(name)
        point = s.latest(day) if s else None
        if point is None:
            continue
        peak = s.peak(day) if spec.relative else None
        picked.append((name, point.value, normalise(spec, point.value, config, peak), weight))
    if not picked:
        return None
    total = sum(p[3] for p in picked)
    score = round(sum(weight / total * norm for _n, _v, norm, weight in picked), 1)
    band = band_for(score, config)
    if band == HEALTHY:
        return score, band, None, None
    down = [(weight / total * (norm - 50), name, value) for name, value, norm, weight in picked]
    down = [d for d in down if d[0] < 0]
    if down:
        _impact, name, value = min(down)
    else:
        _norm, name, value = min((norm, name, value) for name, value, norm, _w in picked)
    return score, band, name, value


def score_at(history: History, day: date, config: HealthConfig) -> Score:
    """The score on `day` from each signal's latest value at or before it. Signals weighted 0 or with no value
    are left out and the other weights renormalised (never counted as zero); rounded to 1 decimal."""
    return _score(_prepare(history), day, config)


def sparkline(values: Iterable[float | None]) -> str:
    """One bar per value on the fixed 0..100 scale (a flat healthy line stays high), a space for no score."""
    top = len(SPARK) - 1
    return "".join(" " if v is None else SPARK[min(top, max(0, int(v * len(SPARK) / 100)))] for v in values)


def _delta(now: float | None, then: float | None) -> float | None:
    return round(now - then, 1) if now is not None and then is not None else None


def trend_days(today: date) -> list[date]:
    """The past days a trend shows: the end of each of the last WEEKS - 1 weeks, and 30 days ago."""
    return [today - timedelta(weeks=w) for w in range(WEEKS - 1, 0, -1)] + [today - timedelta(days=30)]


def trend_from(score_on: Callable[[date], float | None], today: date, now: float | None) -> Trend:
    """The trend from a day's score (`score_on`, for the days of `trend_days`) and today's score `now`."""
    weekly = tuple(now if w == 0 else score_on(today - timedelta(weeks=w)) for w in range(WEEKS - 1, -1, -1))
    s7 = weekly[-2]  # one week ago
    s30 = score_on(today - timedelta(days=30))
    return Trend(s7, s30, _delta(now, s7), _delta(now, s30), weekly, sparkline(weekly))


def _trend(series: Mapping[str, _Series], today: date, config: HealthConfig, now: float | None) -> Trend:
    return trend_from(lambda day: _score_value(series, day, config), today, now)


def top_driver(score: Score) -> Driver | None:
    """What the digest names for a score: the signal pulling it down most; when none pulls down, the weakest."""
    if score.drivers_down:
        return score.drivers_down[0]
    if score.used:
        return min(score.used, key=lambda u: (u.normalised, u.signal))
    return None


def score_series(series: Mapping[str, SeriesLike], day: date, config: HealthConfig) -> Score:
    """`score_at` on series already prepared (health_state's signals answer latest/peak the same way)."""
    return _score(series, day, config)  # type: ignore[arg-type]


def risks_series(
    series: Mapping[str, SeriesLike], today: date, renewal_date: date | None, band: str | None
) -> list[Risk]:
    """`risks` on series already prepared."""
    return _risks(series, today, renewal_date, band)  # type: ignore[arg-type]


def trend(history: History, today: date, config: HealthConfig) -> Trend:
    """The score 7 and 30 days ago and the changes since, and a sparkline of the last 8 weekly scores."""
    series = _prepare(history)
    return _trend(series, today, config, _score(series, today, config).score)


def _risks(series: Mapping[str, _Series], today: date, renewal_date: date | None, band: str | None) -> list[Risk]:
    found: list[Risk] = []

    def then_and_now(signal: str, days: int) -> tuple[Point | None, Point | None]:
        s = series.get(signal)
        return (s.latest(today - timedelta(days=days)), s.latest(today)) if s else (None, None)

    for signal in USAGE_DROP_SIGNALS:
        before, after = then_and_now(signal, USAGE_DROP_DAYS)
        # after <= 70% of before, compared without division so an exact 30% drop counts.
        if before and after and before.value > 0 and after.value * 100 <= before.value * (100 - USAGE_DROP_PCT):
            pct = round((before.value - after.value) / before.value * 100, 1)
            found.append(
                Risk("usage_drop", {"signal": signal, "before": before.value, "after": after.value, "pct": pct})
            )
    for signal, days, minimum in TICKET_SPIKES:
        before, after = then_and_now(signal, days)
        if before and after and after.value >= minimum and after.value >= TICKET_SPIKE_FACTOR * before.value:
            found.append(Risk("ticket_spike", {"signal": signal, "before": before.value, "after": after.value}))
    _, nps = then_and_now("nps", 0)
    if nps and nps.value <= NPS_DETRACTOR_MAX:
        found.append(Risk("nps_detractor", {"value": nps.value}))
    _, overdue = then_and_now("overdue_invoices", 0)
    if overdue and overdue.value > 0:
        found.append(Risk("overdue_invoice", {"count": int(overdue.value)}))
    if renewal_date is not None and band != HEALTHY:
        days_left = (renewal_date - today).days
        if 0 <= days_left <= RENEWAL_SOON_DAYS:
            found.append(Risk("renewal_soon_not_healthy", {"days": days_left, "band": band}))
    return found


def risks(
    history: History, today: date, config: HealthConfig, renewal_date: date | None, band: str | None
) -> list[Risk]:
    """The risk signals firing today: usage down >= 30% in 14 days, a ticket spike, an NPS detractor, an overdue
    invoice, a renewal within 90 days while not healthy (also when there is no score: band None)."""
    del config  # the rules have fixed thresholds for now; the config is part of the signature for later ones
    return _risks(_prepare(history), today, renewal_date, band)


# --- database ----------------------------------------------------------------------------------------------


def customer_health(db: Session, team_id: str, customer: Customer, today: date, config: HealthConfig) -> CustomerHealth:
    """Score, trend, risks and freshness for one customer, from one read of its last HISTORY_DAYS of snapshots."""
    if customer.id is None or customer.team_id != team_id:
        raise ValueError("customer does not belong to this team")
    series = _prepare(load_history(db, team_id, customer.id, today - timedelta(days=HISTORY_DAYS)))
    score = _score(series, today, config)
    freshness = {}
    for signal, s in series.items():
        point = s.latest(today)
        if point is not None:
            freshness[signal] = point.as_of
    return CustomerHealth(
        score,
        _trend(series, today, config, score.score),
        tuple(_risks(series, today, customer.renewal_date, score.band)),
        freshness,
    )


def _chunked_scores(
    db: Session, team_id: str, customer_ids: Iterable[int], day: date, rules: HealthRules
) -> Iterator[tuple[list[int], dict[int, tuple[float, str]]]]:
    """Per chunk of history CHUNK ids: the team's customers among them, and the (score, band) on `day` of those with
    a usable signal (team and segment rules; one history query per chunk, so memory stays bounded)."""
    for ids in chunks(sorted(set(customer_ids))):
        segments = dict(
            db.exec(
                select(Customer.id, Customer.segment).where(Customer.team_id == team_id, col(Customer.id).in_(ids))
            ).all()
        )
        if not segments:
            continue
        histories = load_histories(db, team_id, list(segments), day - timedelta(days=PEAK_DAYS))
        scores: dict[int, tuple[float, str]] = {}
        for customer_id, segment in segments.items():
            config = rules.for_customer(team_id, segment)
            value = _score_value(_prepare(histories[customer_id]), day, config)
            if value is not None:
                scores[customer_id] = (value, band_for(value, config))
        yield list(segments), scores


def current_scores(
    db: Session, team_id: str, customer_ids: Iterable[int], day: date, rules: HealthRules
) -> dict[int, tuple[float, str]]:
    """Each customer's (score, band) on `day`, computed from the snapshots; customers without a usable signal,
    or of another team, are left out."""
    out: dict[int, tuple[float, str]] = {}
    for _customers, scores in _chunked_scores(db, team_id, customer_ids, day, rules):
        out.update(scores)
    return out


def score_history(db: Session, team_id: str, customer_id: int, since: date) -> list[HealthScore]:
    """A customer's stored daily scores from `since` on, oldest first."""
    return list(
        db.exec(
            select(HealthScore)
            .where(
                HealthScore.team_id == team_id, HealthScore.customer_id == customer_id, col(HealthScore.day) >= since
            )
            .order_by(col(HealthScore.day))
            .execution_options(populate_existing=True)  # rows may have been upserted in this session
        )
    )


def band_crossings(
    db: Session, team_id: str, start: date, end: date, customer_ids: Iterable[int] | None = None
) -> list[tuple[int, str, str, date]]:
    """(customer id, from band, to band, day) for each stored day in [start, end] whose band differs from the
    customer's previous stored day (which may lie before `start`); ordered by day, then customer. With
    `customer_ids`, only theirs (500 per query)."""
    if customer_ids is not None:
        ids = sorted(set(customer_ids))
        rows = [
            row
            for i in range(0, len(ids), 500)
            for row in _band_crossings(db, team_id, start, end, HealthScore.customer_id.in_(ids[i : i + 500]))  # type: ignore[attr-defined]
        ]
        return sorted(rows, key=lambda r: (r[3], r[0]))
    return _band_crossings(db, team_id, start, end, None)


def _band_crossings(db: Session, team_id: str, start: date, end: date, only) -> list[tuple[int, str, str, date]]:
    """One pass over the days in [start - 1, end]: each row's previous band is the row before it (a window,
    LAG), the day before `start` only feeding the first; a customer with no row that day looks further back
    (one seek for it, not one per row; the roll job stores every day, so that is rare)."""
    hs = HealthScore.__table__
    window = {"partition_by": hs.c.customer_id, "order_by": hs.c.day}
    days = (
        sa_select(
            hs.c.customer_id,
            hs.c.day,
            hs.c.band,
            func.lag(hs.c.band).over(**window).label("lag_band"),
            func.row_number().over(**window).label("rn"),
        )
        .where(hs.c.team_id == team_id, hs.c.day >= start - timedelta(days=1), hs.c.day <= end)
        .where(*([only] if only is not None else []))
        .subquery()
    )
    prev = hs.alias("prev")
    before_start = (
        sa_select(prev.c.band)
        .where(prev.c.team_id == team_id, prev.c.customer_id == days.c.customer_id, prev.c.day < start)
        .order_by(prev.c.day.desc())
        .limit(1)
        .scalar_subquery()
    )
    previous = case((days.c.rn == 1, before_start), else_=days.c.lag_band)
    stmt = sa_select(days.c.customer_id, previous, days.c.band, days.c.day).where(days.c.day >= start)
    # For some customers, no ORDER BY (band_crossings sorts them): asked for rows ordered by day, SQLite's planner
    # took the (team, day) index and walked every customer's week for each chunk of 500 (1.9 s a chunk at
    # 100,000 customers) instead of seeking each customer's week by the (team, customer, day) key.
    if only is None:
        stmt = stmt.order_by(days.c.day, days.c.customer_id)
    rows = db.connection().execute(stmt)
    return [(cid, before, after, day) for cid, before, after, day in rows if before is not None and before != after]


def net_crossings(rows: Iterable[tuple[int, str, str, date]]) -> dict[int, tuple[str, str, date]]:
    """Per customer, (band before the first of these crossings, band after the last, day of the last), from
    `band_crossings` rows (ordered by day); customers back where they started are left out."""
    out: dict[int, tuple[str, str, date]] = {}
    for cid, before, after, day in rows:
        first = out[cid][0] if cid in out else before
        out[cid] = (first, after, day)
    return {cid: v for cid, v in out.items() if v[0] != v[1]}


def needs_action(crossing: tuple[str, str, date] | None, renewal: date | None, day: date) -> bool:
    """Whether a customer At risk or worse needs action this week (the digest and the meeting agenda list these
    first): its week's net crossing (`net_crossings`) made it worse (into At risk, or into Unhealthy), or it
    renews within URGENT_RENEWAL_DAYS of `day`."""
    if crossing is not None:
        before, after, _when = crossing
        if after in (UNHEALTHY, AT_RISK) and (before == HEALTHY or (before == AT_RISK and after == UNHEALTHY)):
            return True
    return renewal is not None and day <= renewal <= day + timedelta(days=URGENT_RENEWAL_DAYS)
