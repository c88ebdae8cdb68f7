"""The explainable health score: normalise each signal's latest value, weight, band, drivers, trend, risks."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from bot.models import Customer, HealthScore, HealthSnapshot
from bot.services.health_config import HealthConfig, HealthRules
from bot.services.signals import SIGNALS

HEALTHY, AT_RISK, UNHEALTHY = "healthy", "at_risk", "unhealthy"
SPARK = "▁▂▃▄▅▆▇█"
PEAK_WINDOW = 90
HISTORY_DAYS = 120  # enough for 30-day trend + 90-day peaks


@dataclass(frozen=True)
class Point:
    as_of: date
    value: float


History = Mapping[str, Sequence[Point]]


@dataclass(frozen=True)
class Driver:
    signal: str
    value: float
    as_of: date
    normalised: float
    weight_share: float
    impact: float  # score points relative to a neutral 50; negative pulls the score down


@dataclass(frozen=True)
class Stale:
    signal: str
    as_of: date
    age_days: int


@dataclass(frozen=True)
class Risk:
    code: str
    params: dict


@dataclass(frozen=True)
class Score:
    score: float | None
    band: str | None
    drivers_down: tuple[Driver, ...]
    drivers_up: tuple[Driver, ...]
    used: tuple[Driver, ...]
    missing: tuple[str, ...]
    stale: tuple[Stale, ...]
    as_of: date


@dataclass(frozen=True)
class Trend:
    score_7d_ago: float | None
    score_30d_ago: float | None
    delta_7d: float | None
    delta_30d: float | None
    weekly: tuple[float | None, ...]
    sparkline: str


def _latest(points: Sequence[Point], day: date) -> Point | None:
    best = None
    for p in points:
        if p.as_of <= day and (best is None or p.as_of > best.as_of):
            best = p
    return best


def _peak(points: Sequence[Point], day: date) -> float | None:
    since = day - timedelta(days=PEAK_WINDOW)
    values = [p.value for p in points if since < p.as_of <= day]
    return max(values) if values else None


def normalise(signal: str, value: float, config: HealthConfig, peak: float | None = None) -> float:
    """The value mapped to 0..100 (100 = healthiest) by the signal's direction and [lo, hi] range."""
    spec = SIGNALS[signal]
    if spec.relative:
        value = (100.0 if value > 0 else 0.0) if not peak else value / peak * 100
    lo, hi = config.ranges.get(signal, (spec.lo, spec.hi))
    fraction = min(1.0, max(0.0, (value - lo) / (hi - lo)))
    return round(100 * (fraction if spec.direction == "up" else 1 - fraction), 2)


def band_for(score: float | None, config: HealthConfig) -> str | None:
    if score is None:
        return None
    if score >= config.healthy:
        return HEALTHY
    return AT_RISK if score >= config.at_risk else UNHEALTHY


def score_at(history: History, day: date, config: HealthConfig) -> Score:
    """The score on `day` from each signal's latest value at or before it; missing signals are left out
    and the remaining weights renormalised (never counted as zero)."""
    picked: list[tuple[str, Point, float, float]] = []  # signal, point, normalised, weight
    missing, stale = [], []
    for signal, weight in config.weights.items():
        if weight <= 0 or signal not in SIGNALS:
            continue
        points = history.get(signal, ())
        point = _latest(points, day)
        if point is None:
            missing.append(signal)
            continue
        peak = _peak(points, day) if SIGNALS[signal].relative else None
        picked.append((signal, point, normalise(signal, point.value, config, peak), weight))
        age = (day - point.as_of).days
        if age > config.stale_days.get(signal, SIGNALS[signal].stale_days):
            stale.append(Stale(signal, point.as_of, age))
    total = sum(w for *_, w in picked)
    if not picked or total <= 0:
        return Score(None, None, (), (), (), tuple(missing), tuple(stale), day)
    drivers = tuple(
        Driver(s, p.value, p.as_of, n, round(w / total, 4), round(w / total * (n - 50), 2)) for s, p, n, w in picked
    )
    score = round(sum(d.weight_share * d.normalised for d in drivers), 1)
    down = tuple(sorted((d for d in drivers if d.impact < 0), key=lambda d: d.impact)[:3])
    up = tuple(sorted((d for d in drivers if d.impact > 0), key=lambda d: -d.impact)[:3])
    return Score(score, band_for(score, config), down, up, drivers, tuple(missing), tuple(stale), day)


def sparkline(values: Iterable[float | None]) -> str:
    """One bar per value on a fixed 0..100 scale (so a flat healthy line looks high), blank for no data."""
    out = []
    for v in values:
        if v is None:
            out.append(" ")
        else:
            out.append(SPARK[min(len(SPARK) - 1, max(0, int(v / 100 * len(SPARK))))])
    return "".join(out)


def trend(history: History, today: date, config: HealthConfig, weeks: int = 8) -> Trend:
    """Score now vs 7 and 30 days ago, and the score at the end of each of the last `weeks` weeks."""
    now = score_at(history, today, config).score
    s7 = score_at(history, today - timedelta(days=7), config).score
    s30 = score_at(history, today - timedelta(days=30), config).score
    weekly = tuple(score_at(history, today - timedelta(weeks=w), config).score for w in range(weeks - 1, -1, -1))

    def delta(then: float | None) -> float | None:
        return round(now - then, 1) if now is not None and then is not None else None

    return Trend(s7, s30, delta(s7), delta(s30), weekly, sparkline(weekly))


def risks(
    history: History, today: date, config: HealthConfig, renewal_date: date | None, band: str | None
) -> list[Risk]:
    """The risk signals that call for attention now."""
    found: list[Risk] = []

    def latest(signal: str, day: date = today) -> Point | None:
        return _latest(history.get(signal, ()), day)

    for signal in ("active_users", "logins_30d"):
        now, before = latest(signal), latest(signal, today - timedelta(days=14))
        if now and before and before.value > 0 and now.value <= 0.7 * before.value:
            pct = round((before.value - now.value) / before.value * 100)
            found.append(Risk("usage_drop", {"signal": signal, "before": before.value, "after": now.value, "pct": pct}))
            break
    spikes = (("tickets_30d", 30, 5), ("open_tickets", 14, 4))
    for signal, days, floor in spikes:
        now, before = latest(signal), latest(signal, today - timedelta(days=days))
        if now and before and now.value >= floor and now.value >= 2 * before.value:
            found.append(Risk("ticket_spike", {"signal": signal, "before": before.value, "after": now.value}))
            break
    nps = latest("nps")
    if nps and nps.value <= 6:
        found.append(Risk("nps_detractor", {"value": nps.value}))
    overdue = latest("overdue_invoices")
    if overdue and overdue.value > 0:
        found.append(Risk("overdue_invoice", {"count": int(overdue.value)}))
    if renewal_date is not None and band not in (None, HEALTHY):
        days_left = (renewal_date - today).days
        if 0 <= days_left <= 90:
            found.append(Risk("renewal_soon_not_healthy", {"days": days_left, "band": band}))
    return found


# --- database ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerHealth:
    score: Score
    trend: Trend
    risks: tuple[Risk, ...]
    freshness: dict[str, date]  # latest as_of per signal


def load_history(db: Session, team_id: str, customer_id: int, since: date) -> dict[str, list[Point]]:
    """One customer's snapshots since `since`, by signal (one query; the team scopes it)."""
    rows = db.exec(
        select(HealthSnapshot.signal, HealthSnapshot.as_of, HealthSnapshot.value)
        .where(HealthSnapshot.team_id == team_id, HealthSnapshot.customer_id == customer_id)
        .where(col(HealthSnapshot.as_of) >= since)
        .order_by(col(HealthSnapshot.as_of))
    )
    history: dict[str, list[Point]] = {}
    for signal, as_of, value in rows:
        history.setdefault(signal, []).append(Point(as_of, value))
    return history


def customer_health(db: Session, team_id: str, customer: Customer, today: date, config: HealthConfig) -> CustomerHealth:
    """Score, trend, risks and data freshness for one customer, from one read of its recent snapshots."""
    history = load_history(db, team_id, customer.id, today - timedelta(days=HISTORY_DAYS))
    score = score_at(history, today, config)
    freshness = {signal: max(p.as_of for p in points) for signal, points in history.items() if points}
    return CustomerHealth(
        score,
        trend(history, today, config),
        tuple(risks(history, today, config, customer.renewal_date, score.band)),
        freshness,
    )


def record_daily_scores(
    db: Session, team_id: str, customer_ids: Iterable[int], day: date, rules: HealthRules, *, now: datetime
) -> int:
    """Compute and store (upsert) the score of each customer on `day`; returns how many were stored."""
    stored = 0
    insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    for customer_id in set(customer_ids):
        customer = db.get(Customer, customer_id)
        if customer is None or customer.team_id != team_id:
            continue
        config = rules.for_customer(team_id, customer.segment)
        score = score_at(load_history(db, team_id, customer_id, day - timedelta(days=HISTORY_DAYS)), day, config)
        if score.score is None:
            continue
        values = {"score": score.score, "band": score.band, "computed_at": now}
        stmt = insert(HealthScore).values(team_id=team_id, customer_id=customer_id, day=day, **values)
        stmt = stmt.on_conflict_do_update(index_elements=["team_id", "customer_id", "day"], set_=values)
        db.exec(stmt)  # type: ignore[call-overload]
        stored += 1
    return stored


def band_crossings(db: Session, team_id: str, start: date, end: date) -> list[tuple[int, str, str, date]]:
    """(customer id, from band, to band, day) for every change of band between consecutive stored days."""
    rows = db.exec(
        select(HealthScore.customer_id, HealthScore.day, HealthScore.band)
        .where(HealthScore.team_id == team_id, col(HealthScore.day) >= start, col(HealthScore.day) <= end)
        .order_by(col(HealthScore.customer_id), col(HealthScore.day))
    )
    out, previous = [], {}
    for customer_id, day, band in rows:
        before = previous.get(customer_id)
        if before is not None and before != band:
            out.append((customer_id, before, band, day))
        previous[customer_id] = band
    return out
