"""Each customer's health kept up to date on write, so no read turns a customer's raw history into objects.

The state (`HealthState`, one row per customer) holds per signal the latest value and only the points the score
and the risk rules can still need: the value in force over the risk rules' look-back (14 or 30 days) and, for the
signals scored against their own 90-day peak, the sliding-window maxima (a decreasing run of daily maxima: an
older value no higher than a newer one can never be a peak again). Beside it, `health_scores` gets one row per
day on which the customer had a score, from `scored_from` through `computed_through`.

Writes (`refresh`): given the earliest day each customer's snapshots changed, the state moves forward from its
own points when the change is newer than everything it holds (a daily import: only the new rows are read), and
is replayed from the raw snapshots of the 90 days before the change otherwise (a back-dated import); either way
the daily scores from the change on are replaced, so importing past dates fills their scores. `roll` carries
everyone's daily score forward to today (peaks leave the window with time), and rebuilds any customer whose
state is missing, incomplete or computed with other health settings. `rebuild` replays everything from the raw
snapshots and gives the same rows as writes made one by one.

Reads: `customer_health` (the card), `current_scores` (the ladder, the scan, roadmap tallies), `series_at` (the
digest's drivers) use the state and the stored daily scores, with the same arithmetic as `services/health.py`
(the state's signals answer `latest(day)` and `peak(day)` like its in-memory series). When the state cannot
answer exactly (none yet, other settings, snapshots dated after the day asked), they fall back to the raw
history, so a reader never sees a wrong score.
"""

import bisect
import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, delete, func, insert
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from bot.models import Customer, HealthRefresh, HealthScore, HealthSnapshot, HealthState
from bot.models.base import utcnow
from bot.services import health
from bot.services.health_config import HealthConfig, HealthRules
from bot.services.health_history import Point, load_histories
from bot.signals import ALIASES, SIGNALS, canonical_signal
from bot.viewdata.health import CustomerHealth

_STORED_NAMES = sorted(set(SIGNALS) | set(ALIASES))  # every name a stored snapshot can have
CURRENT_CHUNK = 5000  # customers per read of current scores
CHUNK = 200  # customers per unit of work when many are refreshed (short write transactions on SQLite)
REPLAY_CHUNK = 10  # customers whose raw history is read at once when replayed (years of daily data: ~20 MB)
PEAK_DAYS = health.PEAK_DAYS
HORIZON_DAYS = 1
# How far back the risk rules read a signal's value (health._risks): the points kept for each signal.
LOOKBACK: dict[str, int] = dict.fromkeys(SIGNALS, 0)
for _signal in health.USAGE_DROP_SIGNALS:
    LOOKBACK[_signal] = max(LOOKBACK[_signal], health.USAGE_DROP_DAYS)
for _signal, _days, _minimum in health.TICKET_SPIKES:
    LOOKBACK[_signal] = max(LOOKBACK[_signal], _days)


_PRINTS: dict[
    int, tuple[HealthConfig, str]
] = {}  # id(config) -> (config, its fingerprint): configs live as long as the rules


def horizon(today: date) -> date:
    """The last day daily scores are kept for: tomorrow (UTC), so a team whose local date is already tomorrow
    finds its day stored too. A score for a day to come is exact until a snapshot dated on or before it arrives,
    and such a snapshot re-scores every day from its own on."""
    return today + timedelta(days=HORIZON_DAYS)


def fingerprint(config: HealthConfig) -> str:
    """A short name for what the score depends on in `config` (weights, ranges, bands): equal configs, equal names."""
    known = _PRINTS.get(id(config))
    if known is not None and known[0] is config:
        return known[1]
    weights = sorted((k, v) for k, v in config.weights.items() if v > 0)
    ranges = sorted((k, list(v)) for k, v in config.ranges.items())
    text = json.dumps([weights, ranges, config.healthy, config.at_risk], separators=(",", ":"))
    print_ = hashlib.sha256(text.encode()).hexdigest()[:16]
    if len(_PRINTS) > 1000:
        _PRINTS.clear()
    _PRINTS[id(config)] = (config, print_)
    return print_


# --- one signal ------------------------------------------------------------------------------------------------


class SignalState:
    """One signal's points: `latest(day)` and `peak(day)` as health's series give them, for any day from the
    latest point on (and back over the signal's look-back). Points arrive in (day, insertion) order; days are
    held as ordinals, so a state loads from its JSON without building a date per point."""

    __slots__ = ("days", "values", "peak_days", "peak_values", "lookback", "relative")

    def __init__(self, signal: str):
        self.lookback = LOOKBACK[signal]
        self.relative = SIGNALS[signal].relative
        self.days: list[int] = []  # in force: one point per day with a value, the day's last value
        self.values: list[float] = []
        self.peak_days: list[int] = []  # relative signals: daily maxima, values strictly decreasing
        self.peak_values: list[float] = []

    def add(self, as_of: date, value: float) -> None:
        """Apply a value dated `as_of` (no earlier than any applied before), then forget what no later day needs."""
        day = as_of.toordinal()
        days, values = self.days, self.values
        if days and days[-1] == day:
            values[-1] = value  # of two values on one day the later one is in force
        else:
            days.append(day)
            values.append(value)
        # Keep the newest point at or before day - lookback (in force then) and everything after it.
        cut = bisect.bisect_right(days, day - self.lookback) - 1
        if cut > 0:
            del days[:cut], values[:cut]
        if self.relative:
            peak_days, peak_values = self.peak_days, self.peak_values
            while peak_values and peak_values[-1] <= value:
                peak_days.pop()
                peak_values.pop()
            if not peak_days or peak_days[-1] != day:  # else the day already has a higher value
                peak_days.append(day)
                peak_values.append(value)
            start = bisect.bisect_left(peak_days, day - PEAK_DAYS)
            if start:
                del peak_days[:start], peak_values[:start]

    def latest(self, day: date) -> Point | None:
        i = bisect.bisect_right(self.days, day.toordinal())
        return Point(date.fromordinal(self.days[i - 1]), self.values[i - 1]) if i else None

    def peak(self, day: date) -> float | None:
        n = day.toordinal()
        lo = bisect.bisect_left(self.peak_days, n - PEAK_DAYS)
        hi = bisect.bisect_right(self.peak_days, n)
        return self.peak_values[lo] if lo < hi else None  # decreasing: the first in the window is its maximum

    def had_peak_on(self, ordinal: int) -> bool:
        """Whether a peak candidate is dated `ordinal` (the day it leaves the window, the peak may change)."""
        i = bisect.bisect_left(self.peak_days, ordinal)
        return i < len(self.peak_days) and self.peak_days[i] == ordinal

    def dump(self) -> list:
        if self.relative:
            return [self.days, self.values, self.peak_days, self.peak_values]
        return [self.days, self.values]

    @classmethod
    def load(cls, signal: str, data: list) -> "SignalState":
        s = cls(signal)
        s.days, s.values = data[0], data[1]
        if s.relative and len(data) > 2:
            s.peak_days, s.peak_values = data[2], data[3]
        return s


Signals = dict[str, SignalState]
Scored = tuple[date, float, str, str | None, float | None]  # day, score, band, top driver's signal and value


def dump_signals(signals: Signals) -> str:
    return json.dumps({name: s.dump() for name, s in signals.items()}, separators=(",", ":"))


def load_signals(text: str) -> Signals:
    return {name: SignalState.load(name, data) for name, data in json.loads(text).items() if name in SIGNALS}


# --- replay ------------------------------------------------------------------------------------------------------


def _by_day(history: Mapping[str, Sequence[Point]]) -> dict[date, list[tuple[str, float]]]:
    """{day: [(canonical signal, value), ...]}, each signal's values in their stored order; unknown names dropped."""
    out: dict[date, list[tuple[str, float]]] = {}
    for name, points in history.items():
        signal = canonical_signal(name)
        if signal is None:
            continue
        for p in points:
            out.setdefault(p.as_of, []).append((signal, p.value))
    return out


def replay(
    signals: Signals,
    history: Mapping[str, Sequence[Point]],
    start: date,
    end: date,
    config: HealthConfig,
) -> list[Scored]:
    """Apply `history`'s points in day order to `signals` (points before `start` silently, as the base), then
    score every day from `start` through `end`: [(day, score, band, driver signal, driver value)] for the days
    with a score (the driver on At risk and Unhealthy days only)."""
    events = _by_day(history)
    days = sorted(events)
    i = 0
    while i < len(days) and days[i] < start:
        for signal, value in events[days[i]]:
            signals.setdefault(signal, SignalState(signal)).add(days[i], value)
        i += 1
    out: list[Scored] = []
    day = start
    one = timedelta(days=1)
    scored = None
    first = True
    while day <= end:
        moved = first
        if i < len(days) and days[i] == day:
            for signal, value in events[day]:
                signals.setdefault(signal, SignalState(signal)).add(day, value)
            i += 1
            moved = True
        if not moved:  # without a new value only a peak leaving the 90-day window changes the score
            gone = day.toordinal() - PEAK_DAYS - 1
            moved = any(s.relative and s.had_peak_on(gone) for s in signals.values())
        if moved:
            # The digest names the top driver of the customers it lists: stored on At risk and Unhealthy days.
            scored = health.score_and_driver(signals, day, config)  # type: ignore[arg-type]  # as health's series
        if scored is not None:
            out.append((day, *scored))
        first = False
        day += one
    return out


# --- database: writes --------------------------------------------------------------------------------------------


def _segments(db: Session, team_id: str, ids: Sequence[int]) -> dict[int, str | None]:
    c = Customer.__table__
    rows = db.connection().execute(sa_select(c.c.id, c.c.segment).where(c.c.team_id == team_id, c.c.id.in_(ids)))
    return dict(rows.all())


def _states(db: Session, team_id: str, ids: Sequence[int], *, with_signals: bool = True) -> dict[int, dict]:
    t = HealthState.__table__
    columns = [c for c in t.c if with_signals or c.name != "signals"]
    rows = db.connection().execute(sa_select(*columns).where(t.c.team_id == team_id, t.c.customer_id.in_(ids)))
    return {row.customer_id: row._asdict() for row in rows}


def _new_rows(db: Session, team_id: str, ids: Sequence[int], since: date) -> dict[int, dict[str, list[Point]]]:
    """Snapshots dated `since` or later of `ids`, per customer and signal in stored order (day, then insertion)."""
    snap = HealthSnapshot.__table__
    out: dict[int, dict[str, list[Point]]] = {cid: {} for cid in ids}
    stmt = (
        sa_select(snap.c.customer_id, snap.c.signal, snap.c.as_of, snap.c.value)
        # The unique index (team, customer, as_of, ...) seeks each customer to `since`; names filter unknown signals.
        .where(
            snap.c.team_id == team_id,
            snap.c.customer_id.in_(ids),
            snap.c.signal.in_(_STORED_NAMES),
            snap.c.as_of >= since,
        )
        .order_by(snap.c.customer_id, snap.c.signal, snap.c.as_of, snap.c.id)
    )
    for cid, signal, as_of, value in db.connection().execute(stmt):
        out[cid].setdefault(signal, []).append(Point(as_of, value))
    return out


@dataclass
class _Plan:
    """One customer's refresh: its signals after the replay, the daily scores from `replace_from` on, the state."""

    customer_id: int
    signals: Signals
    replace_from: date
    scores: list[Scored]
    first_data: date
    data_through: date
    scored_from: date
    computed_through: date
    fingerprint: str


def refresh(
    db: Session,
    team_id: str,
    changed: Mapping[int, date],
    today: date,
    rules: HealthRules,
    *,
    now: datetime | None = None,
) -> int:
    """Bring the state and daily scores of the customers in `changed` ({id: earliest day written}) up to date
    after their snapshots changed, through `horizon(today)` (or their latest snapshot, if later), in the caller's
    transaction. Ids of another team are ignored. Returns the number of daily scores written."""
    written = 0
    ids = sorted(changed)
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i : i + CHUNK]
        plans = _plan_chunk(db, team_id, {cid: changed[cid] for cid in chunk}, today, rules)
        written += _store(db, team_id, plans, now or utcnow())
    return written


def _plan_chunk(db: Session, team_id: str, changed: Mapping[int, date], today: date, rules: HealthRules) -> list[_Plan]:
    segments = _segments(db, team_id, list(changed))
    if not segments:
        return []
    states = _states(db, team_id, list(segments))
    configs = {cid: rules.for_customer(team_id, segment) for cid, segment in segments.items()}
    forward: dict[int, date] = {}  # moved on from the state: only the snapshots from the change on are read
    replayed: dict[int, date] = {}  # replayed from the raw snapshots of the 90 days before the change
    for cid in segments:
        state = states.get(cid)
        if (
            state is not None
            and changed[cid] > state["data_through"]
            and state["fingerprint"] == fingerprint(configs[cid])
        ):
            forward[cid] = changed[cid]
        else:
            replayed[cid] = changed[cid]
    plans: list[_Plan] = []
    if forward:
        new = _new_rows(db, team_id, sorted(forward), min(forward.values()))
        for cid, since in forward.items():
            state = states[cid]
            # Rows before `since` are older than the state's latest point: already in it.
            history = {name: [p for p in points if p.as_of >= since] for name, points in new[cid].items()}
            plans.append(_forward(cid, load_signals(state["signals"]), history, state, today, configs[cid]))
    for since, group in _group_by(replayed).items():
        floor = date.min if since == date.min else since - timedelta(days=PEAK_DAYS)
        for ids in chunked(group, REPLAY_CHUNK):  # a few customers' raw history at a time: memory stays flat
            raw = load_histories(db, team_id, ids, floor)
            for cid in ids:
                plan = _replayed(cid, raw.pop(cid), since, states.get(cid), today, configs[cid])
                if plan is not None:
                    plans.append(plan)
    return plans


def _forward(
    cid: int, signals: Signals, history: Mapping[str, Sequence[Point]], state: Mapping, today: date, config
) -> _Plan:
    last = max((p.as_of for points in history.values() for p in points), default=state["data_through"])
    data_through = max(last, state["data_through"])
    end = max(horizon(today), data_through)
    start = min(
        min((p.as_of for points in history.values() for p in points), default=end + timedelta(days=1)),
        state["computed_through"] + timedelta(days=1),
    )
    return _Plan(
        cid,
        signals,
        start,
        replay(signals, history, start, end, config),
        state["first_data"],
        data_through,
        state["scored_from"],
        max(end, state["computed_through"]),
        fingerprint(config),
    )


def _replayed(
    cid: int, history: Mapping[str, Sequence[Point]], since: date, state: Mapping | None, today: date, config
) -> _Plan | None:
    days = [p.as_of for name, points in history.items() if canonical_signal(name) for p in points]
    if not days:
        return None
    first_raw, data_through = min(days), max(days)
    end = max(horizon(today), data_through)
    start = max(since, first_raw)  # no score before the first snapshot
    signals: Signals = {}
    scores = replay(signals, history, start, end, config)
    complete = state is not None and state["fingerprint"] == fingerprint(config)
    if complete:
        scored_from = min(since, state["scored_from"])  # type: ignore[index]
        first_data = min(first_raw, state["first_data"])  # type: ignore[index]
    else:
        # Without a state, the rows before `since` are of unknown quality: complete only when there were none
        # (no snapshot before `since`, so the history read here starts at the first one).
        scored_from = since if first_raw < since else first_raw
        first_data = first_raw
    return _Plan(cid, signals, since, scores, first_data, data_through, scored_from, end, fingerprint(config))


def _group_by(replayed: Mapping[int, date]) -> dict[date, list[int]]:
    out: dict[date, list[int]] = {}
    for cid, since in sorted(replayed.items()):
        out.setdefault(since, []).append(cid)
    return out


def _store(db: Session, team_id: str, plans: Sequence[_Plan], now: datetime) -> int:
    """Replace each plan's daily scores from its `replace_from` on and upsert its state: a few statements per chunk."""
    if not plans:
        return 0
    conn = db.connection()
    hs = HealthScore.__table__
    by_start: dict[date, list[int]] = {}
    for plan in plans:
        by_start.setdefault(plan.replace_from, []).append(plan.customer_id)
    for start, ids in by_start.items():
        conn.execute(delete(hs).where(hs.c.team_id == team_id, hs.c.customer_id.in_(ids), hs.c.day >= start))
    rows = [
        {
            "team_id": team_id,
            "customer_id": p.customer_id,
            "day": d,
            "score": score,
            "band": band,
            "driver_signal": signal,
            "driver_value": value,
            "computed_at": now,
        }
        for p in plans
        for d, score, band, signal, value in p.scores
    ]
    if rows:
        conn.execute(insert(hs), rows)
    states = []
    for p in plans:
        last = p.scores[-1] if p.scores and p.scores[-1][0] == p.computed_through else None
        states.append(
            {
                "team_id": team_id,
                "customer_id": p.customer_id,
                "first_data": p.first_data,
                "data_through": p.data_through,
                "scored_from": p.scored_from,
                "computed_through": p.computed_through,
                "score": last[1] if last else None,
                "band": last[2] if last else None,
                "fingerprint": p.fingerprint,
                "signals": dump_signals(p.signals),
                "updated_at": now,
            }
        )
    _upsert_states(db, states)
    return len(rows)


_STATE_UPDATED = (
    "first_data",
    "data_through",
    "scored_from",
    "computed_through",
    "score",
    "band",
    "fingerprint",
    "signals",
    "updated_at",
)


def _upsert_states(db: Session, rows: list[dict]) -> None:
    dialect = db.get_bind().dialect.name
    ins = (pg_insert if dialect == "postgresql" else sqlite_insert)(HealthState.__table__)
    stmt = ins.on_conflict_do_update(
        index_elements=["team_id", "customer_id"], set_={name: ins.excluded[name] for name in _STATE_UPDATED}
    )
    db.connection().execute(stmt, rows)


# --- database: keeping up and starting over -----------------------------------------------------------------------


def rebuild(
    db: Session, team_id: str, customer_ids: Sequence[int], today: date, rules: HealthRules, *, now=None
) -> int:
    """Replay the customers' whole raw history: their state and every daily score, as writes made one by one
    would have left them. Returns the number of daily scores written."""
    return refresh(db, team_id, dict.fromkeys(customer_ids, date.min), today, rules, now=now)


def customers_to_rebuild(db: Session, team_id: str, rules: HealthRules, *, limit: int | None = None) -> list[int]:
    """Customers whose state cannot be moved forward: snapshots but no state, daily scores incomplete (from before
    the state existed), or computed with other health settings (changed settings or segment)."""
    c, t, snap = Customer.__table__, HealthState.__table__, HealthSnapshot.__table__
    has_data = sa_select(snap.c.id).where(snap.c.team_id == c.c.team_id, snap.c.customer_id == c.c.id).exists()
    has_state = sa_select(t.c.id).where(t.c.team_id == c.c.team_id, t.c.customer_id == c.c.id).exists()
    conn = db.connection()
    missing = conn.execute(
        sa_select(c.c.id).where(c.c.team_id == team_id, ~has_state, has_data).order_by(c.c.id).limit(limit)
    ).scalars()
    out = list(missing)
    rows = conn.execute(
        sa_select(t.c.customer_id, t.c.fingerprint, t.c.scored_from, t.c.first_data, c.c.segment)
        .join(c, c.c.id == t.c.customer_id)
        .where(t.c.team_id == team_id)
        .order_by(t.c.customer_id)
    )
    prints: dict[str | None, str] = {}
    for cid, print_, scored_from, first_data, segment in rows:
        if limit is not None and len(out) >= limit:
            break
        if segment not in prints:
            prints[segment] = fingerprint(rules.for_customer(team_id, segment))
        if print_ != prints[segment] or scored_from > first_data:
            out.append(cid)
    return sorted(out)


def behind(db: Session, team_id: str, today: date, *, limit: int) -> list[int]:
    """Up to `limit` customers whose daily scores stop before `horizon(today)`."""
    t = HealthState.__table__
    stmt = (
        sa_select(t.c.customer_id)
        .where(t.c.team_id == team_id, t.c.computed_through < horizon(today))
        .order_by(t.c.customer_id)
        .limit(limit)
    )
    return list(db.connection().execute(stmt).scalars())


def carry_forward(db: Session, team_id: str, ids: Sequence[int], today: date, rules: HealthRules, *, now=None) -> int:
    """Score the days from each state's last computed day through `horizon(today)` from the state alone (values in force
    stay, peaks leave the window); states computed with other settings are rebuilt instead."""
    through = horizon(today)
    segments = _segments(db, team_id, ids)
    states = _states(db, team_id, list(segments))
    plans: list[_Plan] = []
    stale: list[int] = []
    for cid, state in states.items():
        config = rules.for_customer(team_id, segments[cid])
        if state["fingerprint"] != fingerprint(config):
            stale.append(cid)
            continue
        start = state["computed_through"] + timedelta(days=1)
        if start > through:
            continue
        signals = load_signals(state["signals"])
        plans.append(
            _Plan(
                cid,
                signals,
                start,
                replay(signals, {}, start, through, config),
                state["first_data"],
                state["data_through"],
                state["scored_from"],
                through,
                state["fingerprint"],
            )
        )
    written = _store(db, team_id, plans, now or utcnow())
    if stale:
        written += rebuild(db, team_id, stale, today, rules, now=now)
    return written


# --- database: reads -------------------------------------------------------------------------------------------------


def _usable(state: Mapping | None, config: HealthConfig) -> bool:
    """The state answers for its settings, and its daily scores are complete (from the first snapshot on)."""
    return (
        state is not None
        and state["fingerprint"] == fingerprint(config)
        and state["scored_from"] <= state["first_data"]
    )


def _stored(db: Session, team_id: str, customer_id: int, days: Iterable[date]) -> dict[date, float]:
    hs = HealthScore.__table__
    stmt = sa_select(hs.c.day, hs.c.score).where(
        hs.c.team_id == team_id, hs.c.customer_id == customer_id, hs.c.day.in_(sorted(set(days)))
    )
    return dict(db.connection().execute(stmt).all())


def customer_health(db: Session, team_id: str, customer: Customer, today: date, config: HealthConfig) -> CustomerHealth:
    """Score, trend, risks and freshness for one customer's card: one read of its state and one of the daily
    scores the trend shows (the raw history only when the state cannot answer for `today` exactly)."""
    if customer.id is None or customer.team_id != team_id:
        raise ValueError("customer does not belong to this team")
    state = _states(db, team_id, [customer.id]).get(customer.id)
    if not _usable(state, config) or state["data_through"] > today:  # type: ignore[index]
        return health.customer_health(db, team_id, customer, today, config)
    signals = load_signals(state["signals"])  # type: ignore[index]
    score = health.score_series(signals, today, config)
    through = state["computed_through"]  # type: ignore[index]
    wanted = [d for d in health.trend_days(today) if d <= through]
    stored = _stored(db, team_id, customer.id, wanted) if wanted else {}

    def score_on(day: date) -> float | None:
        if day > through:  # not stored yet: no snapshot since, so the state scores it
            return health._score_value(signals, day, config)  # type: ignore[arg-type]
        return stored.get(day)

    freshness = {}
    for signal, s in signals.items():
        point = s.latest(today)
        if point is not None:
            freshness[signal] = point.as_of
    return CustomerHealth(
        score,
        health.trend_from(score_on, today, score.score),
        tuple(health.risks_series(signals, today, customer.renewal_date, score.band)),
        freshness,
    )


def current_scores(
    db: Session, team_id: str, customer_ids: Iterable[int], day: date, rules: HealthRules
) -> dict[int, tuple[float, str]]:
    """Each customer's (score, band) on `day` from the state: the daily score of that day (one joined read per
    5,000 customers), or the state's signals for a day after the last one stored; customers without a usable
    signal, or of another team, are left out. Customers without a state but with snapshots (before the roll job
    built theirs) and states computed with other settings are scored from the raw history."""
    out: dict[int, tuple[float, str]] = {}
    ids = sorted(set(customer_ids))
    hs, st, cust = HealthScore.__table__, HealthState.__table__, Customer.__table__
    conn = db.connection()
    for i in range(0, len(ids), CURRENT_CHUNK):
        chunk = ids[i : i + CURRENT_CHUNK]
        stmt = (
            sa_select(
                cust.c.id,
                cust.c.segment,
                st.c.fingerprint,
                st.c.scored_from,
                st.c.first_data,
                st.c.computed_through,
                hs.c.score,
                hs.c.band,
            )
            .select_from(
                cust.outerjoin(st, and_(st.c.team_id == cust.c.team_id, st.c.customer_id == cust.c.id)).outerjoin(
                    hs, and_(hs.c.team_id == cust.c.team_id, hs.c.customer_id == cust.c.id, hs.c.day == day)
                )
            )
            .where(cust.c.team_id == team_id, cust.c.id.in_(chunk))
        )
        later: dict[int, str | None] = {}
        raw: list[int] = []
        for cid, segment, print_, scored_from, first_data, through, score, band in conn.execute(stmt):
            if print_ is None:
                raw.append(cid)  # no state: no snapshot at all (left out below), or none scored since states exist
            elif print_ != fingerprint(rules.for_customer(team_id, segment)):
                raw.append(cid)  # computed with other settings
            elif day > through:
                later[cid] = segment  # not stored yet: no snapshot since, so the state's signals score it
            elif score is not None:
                out[cid] = (score, band)
            elif day < scored_from and scored_from > first_data:
                raw.append(cid)  # a day before the state's daily scores begin
        if later:
            for cid, state in _states(db, team_id, sorted(later)).items():
                config = rules.for_customer(team_id, later[cid])
                value = health._score_value(load_signals(state["signals"]), day, config)  # type: ignore[arg-type]
                if value is not None:
                    out[cid] = (value, health.band_for(value, config))
        if raw:
            snap = HealthSnapshot.__table__
            with_data = list(
                conn.execute(
                    sa_select(snap.c.customer_id)
                    .where(snap.c.team_id == team_id, snap.c.customer_id.in_(raw))
                    .group_by(snap.c.customer_id)
                ).scalars()
            )
            if with_data:
                out.update(health.current_scores(db, team_id, with_data, day, rules))
    return out


def signals_on(
    db: Session, team_id: str, customers: Mapping[int, tuple[date, str | None]], rules: HealthRules
) -> dict[int, Signals]:
    """For the digest's drivers: each customer's state signals when they answer for its day ({id: (day, segment)}):
    the state's settings match and no snapshot is dated after the day. Others are left out (read them raw)."""
    out: dict[int, Signals] = {}
    ids = sorted(customers)
    for i in range(0, len(ids), CHUNK * 5):
        for cid, state in _states(db, team_id, ids[i : i + CHUNK * 5]).items():
            day, segment = customers[cid]
            if (
                state["fingerprint"] == fingerprint(rules.for_customer(team_id, segment))
                and state["data_through"] <= day
            ):
                out[cid] = load_signals(state["signals"])
    return out


def count(db: Session, team_id: str | None = None) -> int:
    t = HealthState.__table__
    stmt = sa_select(func.count()).select_from(t)
    if team_id is not None:
        stmt = stmt.where(t.c.team_id == team_id)
    return int(db.connection().execute(stmt).scalar_one())


def chunked(ids: Sequence[int], size: int = CHUNK) -> Iterator[Sequence[int]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def customers_with_snapshots(db: Session, team_id: str) -> list[int]:
    """The team's customers that have at least one snapshot (one index probe each)."""
    c, snap = Customer.__table__, HealthSnapshot.__table__
    has_data = sa_select(snap.c.id).where(snap.c.team_id == c.c.team_id, snap.c.customer_id == c.c.id).exists()
    return list(db.connection().execute(sa_select(c.c.id).where(c.c.team_id == team_id, has_data)).scalars())


# --- the refresh queue ---------------------------------------------------------------------------------------------


def refresh_queued(db: Session, team_id: str, today: date, rules: HealthRules, *, limit: int = CHUNK, now=None) -> int:
    """Refresh up to `limit` queued customers (the oldest ids first) and take them off the queue, unless a newer
    request came in meanwhile (it stays for the next call). Returns how many were taken; 0: the queue is empty."""
    q = HealthRefresh.__table__
    conn = db.connection()
    rows = conn.execute(
        sa_select(q.c.customer_id, q.c.since, q.c.queued_at)
        .where(q.c.team_id == team_id)
        .order_by(q.c.customer_id)
        .limit(limit)
    ).all()
    if not rows:
        return 0
    refresh(db, team_id, {cid: since for cid, since, _at in rows}, today, rules, now=now)
    for cid, _since, at in rows:
        conn.execute(delete(q).where(q.c.team_id == team_id, q.c.customer_id == cid, q.c.queued_at == at))
    return len(rows)


def queued_teams(db: Session) -> list[str]:
    q = HealthRefresh.__table__
    return list(db.connection().execute(sa_select(q.c.team_id).distinct()).scalars())
