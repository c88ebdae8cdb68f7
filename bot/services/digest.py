"""The weekly at-risk digest: which customers are At risk or Unhealthy, how they moved this week, and what is
overdue in onboarding, posted to each digest channel once per week (`digest.schedule`, team time zone).

Read from the stored daily scores (`HealthScore`), not recomputed from the snapshots: scoring 10,000 customers
from their raw history takes seconds, reading their latest stored score takes milliseconds. Only the top
driver needs the snapshots, and only for the customers listed, and only two facts per signal: the latest value
and (for the relative signals) the 90-day peak; both come from aggregate queries, then `health.score_at` does
the same arithmetic as the customer card on that reduced history, so the driver is the card's driver.

The digest describes the fire's local day (a digest sent late during its week still says what it would have
said on time; a manual run describes now). Mutes never hide anyone here: they silence reminders only.
"""

import heapq
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, or_, tuple_
from sqlalchemy import select as sa_select
from sqlmodel import Session

from bot.models import Customer, HealthScore, HealthSnapshot, HealthState, SlackUser
from bot.services import health, health_state, onboarding, touches
from bot.services.health_config import HealthRules
from bot.services.schedules import Context
from bot.signals import SIGNALS, canonical_signal
from bot.viewdata.digest import MAX_LINES, SCORE_WINDOW_DAYS, Crossing, Digest, Driver, Line

NAME = "digest"
KIND = "digest"
BAD = (health.UNHEALTHY, health.AT_RISK)  # worst first: the order of the digest's groups
WEEK = 7
PREVIOUS_WINDOW_DAYS = 7  # the score "a week ago" is the latest stored in [day-14, day-7]
_CHUNK = 500  # customers per IN list
_MAX_DAYS_LISTED = 64  # latest-value days passed as a list; beyond, the keys are matched by a subquery


# --- the data ----------------------------------------------------------------------------------------------


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


# --- queries -----------------------------------------------------------------------------------------------


def _chunks(ids: Sequence[int]) -> list[Sequence[int]]:
    return [ids[i : i + _CHUNK] for i in range(0, len(ids), _CHUNK)]


def latest_scores(db: Session, team_id: str, day: date, since: date) -> dict[int, tuple[date, float, str]]:
    """Each customer's latest stored score in [since, day]: {id: (day, score, band)}; churned customers left out."""
    hs = HealthScore.__table__
    latest = (
        sa_select(hs.c.customer_id, func.max(hs.c.day).label("day"))
        .where(hs.c.team_id == team_id, hs.c.day >= since, hs.c.day <= day)
        .group_by(hs.c.customer_id)
        .subquery()
    )
    cust = Customer.__table__
    stmt = (
        sa_select(hs.c.customer_id, hs.c.day, hs.c.score, hs.c.band)
        .join(latest, and_(hs.c.customer_id == latest.c.customer_id, hs.c.day == latest.c.day))
        .join(cust, cust.c.id == hs.c.customer_id)
        .where(hs.c.team_id == team_id, cust.c.team_id == team_id, cust.c.stage != "churned")
    )
    return {cid: (d, score, band) for cid, d, score, band in db.connection().execute(stmt)}


def scores_before(
    db: Session, team_id: str, ids: Sequence[int], day: date, since: date
) -> dict[int, tuple[date, float]]:
    """For `ids`, the latest stored score in [since, day]: {id: (day, score)}. Daily scores are stored for every
    day, so first the row of `day` itself (index seeks); the grouped look-back only for those without one."""
    hs = HealthScore.__table__
    out: dict[int, tuple[date, float]] = {}
    conn = db.connection()
    for chunk in _chunks(ids):
        stmt = sa_select(hs.c.customer_id, hs.c.score).where(
            hs.c.team_id == team_id, hs.c.customer_id.in_(chunk), hs.c.day == day
        )
        out.update({cid: (day, score) for cid, score in conn.execute(stmt)})
    for chunk in _chunks([cid for cid in ids if cid not in out]):
        latest = (
            sa_select(hs.c.customer_id, func.max(hs.c.day).label("day"))
            .where(hs.c.team_id == team_id, hs.c.customer_id.in_(chunk), hs.c.day >= since, hs.c.day <= day)
            .group_by(hs.c.customer_id)
            .subquery()
        )
        stmt = (
            sa_select(hs.c.customer_id, hs.c.day, hs.c.score)
            .join(latest, and_(hs.c.customer_id == latest.c.customer_id, hs.c.day == latest.c.day))
            .where(hs.c.team_id == team_id)
        )
        out.update({cid: (d, score) for cid, d, score in conn.execute(stmt)})
    return out


def reduced_histories(
    db: Session, team_id: str, ids: Sequence[int], day: date, *, days_listed: int = _MAX_DAYS_LISTED
) -> dict[int, dict[str, list]]:
    """Per customer, the only snapshots a score on `day` depends on: per stored signal name, the latest value
    at or before `day` (of two on that day, the later-inserted, as in `health.load_history`) and, for relative
    signals, the peak of the 90-day window before it. `health.score_at` on this history gives exactly the score
    and drivers it gives on the full history.

    Three queries per 500 customers, none reading every snapshot row: the latest day per signal (an aggregate the
    unique index covers), the peaks (relative signals' rows in the window only), then the latest rows themselves
    (index seeks on customer, signal and day)."""
    snap = HealthSnapshot.__table__
    window = day - timedelta(days=health.PEAK_DAYS)
    out: dict[int, dict[str, list]] = {cid: {} for cid in ids}
    conn = db.connection()
    for chunk in _chunks(ids):
        base = (snap.c.team_id == team_id, snap.c.customer_id.in_(chunk), snap.c.as_of <= day)
        latest_day = (
            sa_select(snap.c.customer_id, snap.c.signal, func.max(snap.c.as_of).label("as_of"))
            .where(*base)
            .group_by(snap.c.customer_id, snap.c.signal)
        )
        keys: dict[tuple[int, str], date] = {(cid, signal): as_of for cid, signal, as_of in conn.execute(latest_day)}
        if not keys:
            continue
        signals = sorted({signal for _cid, signal in keys})
        relative = [s for s in signals if (name := canonical_signal(s)) is not None and SIGNALS[name].relative]
        peaks: dict[tuple[int, str], float] = {}
        if relative:
            peak_stmt = (
                sa_select(snap.c.customer_id, snap.c.signal, func.max(snap.c.value))
                .where(*base, snap.c.signal.in_(relative), snap.c.as_of >= window)
                .group_by(snap.c.customer_id, snap.c.signal)
            )
            peaks = {(cid, signal): peak for cid, signal, peak in conn.execute(peak_stmt)}
        days = sorted(set(keys.values()))
        if len(days) <= days_listed:  # the usual case: everyone's latest value is from the last few days
            where = (*base, snap.c.signal.in_(signals), snap.c.as_of.in_(days))
        else:
            latest_keys = latest_day.subquery()
            pick = sa_select(latest_keys.c.customer_id, latest_keys.c.signal, latest_keys.c.as_of)
            where = (*base, tuple_(snap.c.customer_id, snap.c.signal, snap.c.as_of).in_(pick))
        latest = (
            sa_select(snap.c.customer_id, snap.c.signal, snap.c.as_of, snap.c.value)
            .where(*where)
            .order_by(snap.c.customer_id, snap.c.signal, snap.c.as_of, snap.c.id)
        )
        last: dict[tuple[int, str], health.Point] = {}
        for cid, signal, as_of, value in conn.execute(latest):
            # Ordered by day, then id: the last row of a signal is its latest day's later-inserted value.
            last[(cid, signal)] = health.Point(as_of, value)
        for (cid, signal), point in last.items():  # in the database's signal order, as load_history
            peak = peaks.get((cid, signal))
            # The peak is dated at the window's start, so it never counts as the latest value.
            out[cid][signal] = [health.Point(window, peak), point] if peak is not None else [point]
    return out


def top_drivers(
    db: Session, team_id: str, customers: dict[int, tuple[date, str | None]], rules: HealthRules
) -> dict[int, Driver]:
    """The top driver of each customer's score on its score day: {id: (score day, segment)} in, {id: Driver}
    out (the signal pulling the score down most; when none pulls down, the weakest signal)."""
    by_day: dict[date, list[int]] = defaultdict(list)
    for cid, (day, _segment) in customers.items():
        by_day[day].append(cid)
    out: dict[int, Driver] = {}
    states = health_state.signals_on(db, team_id, customers, rules)
    for day, ids in by_day.items():
        # The state answers for nearly everyone; the raw snapshots only for a state that cannot (see signals_on).
        rest = sorted(cid for cid in ids if cid not in states)
        histories = reduced_histories(db, team_id, rest, day) if rest else {}
        for cid in ids:
            config = rules.for_customer(team_id, customers[cid][1])
            if cid in states:
                score = health.score_series(states[cid], day, config)
            else:
                score = health.score_at(histories[cid], day, config)
            d = health.top_driver(score)
            if d is not None:
                out[cid] = Driver(d.signal, d.value)
    return out


def _states_on(
    db: Session, team_id: str, day: date, since: date
) -> tuple[dict[int, tuple[date, float, str]], list[int], list[int]]:
    """The customers with a health state: their score of `day` from the daily rows (one read of that day from the
    `(team, day, customer, band, score)` index), skipping churned customers and those whose latest snapshot is
    older than `since`. Also returned: the states not scored through `day` yet (scored from their signals by the
    caller), and the customers without a state whose scores are read the old way (rows from before states)."""
    hs, st, cust = HealthScore.__table__, HealthState.__table__, Customer.__table__
    conn = db.connection()
    stmt = (
        sa_select(hs.c.customer_id, hs.c.score, hs.c.band)
        .join(st, and_(st.c.team_id == hs.c.team_id, st.c.customer_id == hs.c.customer_id))
        .join(cust, cust.c.id == hs.c.customer_id)
        .where(hs.c.team_id == team_id, hs.c.day == day, st.c.data_through >= since, cust.c.stage != "churned")
    )
    current = {cid: (day, score, band) for cid, score, band in conn.execute(stmt)}
    behind = list(
        conn.execute(
            sa_select(st.c.customer_id)
            .join(cust, cust.c.id == st.c.customer_id)
            .where(
                st.c.team_id == team_id,
                st.c.computed_through < day,
                st.c.data_through >= since,
                cust.c.stage != "churned",
            )
        ).scalars()
    )
    has_state = sa_select(st.c.id).where(st.c.team_id == cust.c.team_id, st.c.customer_id == cust.c.id).exists()
    has_rows = (
        sa_select(hs.c.id)
        .where(hs.c.team_id == cust.c.team_id, hs.c.customer_id == cust.c.id, hs.c.day >= since, hs.c.day <= day)
        .exists()
    )
    # Customers without a state first (an anti-join of two indexes: normally none), then which of those have rows:
    # asked at once, the planner probed every customer's scores before the (cheap) missing-state test.
    stateless = list(
        conn.execute(
            sa_select(cust.c.id).where(cust.c.team_id == team_id, cust.c.stage != "churned", ~has_state)
        ).scalars()
    )
    legacy = [
        cid
        for chunk in _chunks(stateless)
        for cid in conn.execute(sa_select(cust.c.id).where(cust.c.id.in_(chunk), has_rows)).scalars()
    ]
    return current, behind, legacy


def _stored_drivers(db: Session, team_id: str, ids: Sequence[int], day: date) -> dict[int, Driver]:
    """The top driver stored with these customers' daily rows of `day` (At risk and Unhealthy days have one)."""
    hs = HealthScore.__table__
    out = {}
    for chunk in _chunks(ids):
        stmt = sa_select(hs.c.customer_id, hs.c.driver_signal, hs.c.driver_value).where(
            hs.c.team_id == team_id, hs.c.customer_id.in_(chunk), hs.c.day == day, hs.c.driver_signal.is_not(None)
        )
        out.update((cid, Driver(signal, value)) for cid, signal, value in db.connection().execute(stmt))
    return out


def _latest_of(db: Session, team_id: str, ids: Sequence[int], day: date, since: date) -> dict:
    """`latest_scores` for these customers only."""
    hs = HealthScore.__table__
    out: dict[int, tuple[date, float, str]] = {}
    for chunk in _chunks(ids):
        latest = (
            sa_select(hs.c.customer_id, func.max(hs.c.day).label("day"))
            .where(hs.c.team_id == team_id, hs.c.customer_id.in_(chunk), hs.c.day >= since, hs.c.day <= day)
            .group_by(hs.c.customer_id)
            .subquery()
        )
        stmt = (
            sa_select(hs.c.customer_id, hs.c.day, hs.c.score, hs.c.band)
            .join(latest, and_(hs.c.customer_id == latest.c.customer_id, hs.c.day == latest.c.day))
            .where(hs.c.team_id == team_id)
        )
        out.update({cid: (d, score, band) for cid, d, score, band in db.connection().execute(stmt)})
    return out


def current_scores(
    db: Session, team_id: str, day: date, since: date, rules: HealthRules
) -> tuple[dict[int, tuple[date, float, str]], list[int]]:
    """Each live customer's score for the digest of `day` ({id: (score day, score, band)}): from the health
    state's daily rows; for states not scored through `day` yet, from their signals; for customers without a
    state, their latest stored score in [since, day] (as before states existed). Also the ids of those last two
    kinds (their stored rows, if any, are not `day`'s)."""
    current, behind, legacy = _states_on(db, team_id, day, since)
    if behind:
        for cid, (score, band) in health_state.current_scores(db, team_id, behind, day, rules).items():
            current[cid] = (day, score, band)
    if legacy:
        current.update(_latest_of(db, team_id, legacy, day, since))
    return current, [*behind, *legacy]


def week_crossings(
    db: Session, team_id: str, start: date, end: date, unsure: Iterable[int] = ()
) -> list[tuple[int, str, str, date]]:
    """`health.band_crossings` of [start, end], read only for the customers who can have one: those whose band at
    `end` differs from the day before `start` (or who have no row that day), found by two indexed reads of one day
    each, and the `unsure` ones (no state, or a state not scored through `end`: their rows may stop earlier). A
    state scored through `end` has a row on `end` whenever it has one earlier in the week (a score, once there,
    stays), so nobody else can have crossed."""
    hs = HealthScore.__table__
    before = hs.alias("before")
    changed = (
        sa_select(hs.c.customer_id)
        .select_from(
            hs.outerjoin(
                before,
                and_(
                    before.c.team_id == hs.c.team_id,
                    before.c.customer_id == hs.c.customer_id,
                    before.c.day == start - timedelta(days=1),
                ),
            )
        )
        .where(hs.c.team_id == team_id, hs.c.day == end, or_(before.c.band.is_(None), before.c.band != hs.c.band))
    )
    maybe = set(db.connection().execute(changed).scalars()) | set(unsure)
    return health.band_crossings(db, team_id, start, end, maybe) if maybe else []


# --- the digest ----------------------------------------------------------------------------------------------


# What ranking needs of every customer At risk or worse (tens of thousands at 100,000 customers), and what a
# shown line needs besides.
_RANK_COLUMNS = tuple(
    Customer.__table__.c[name] for name in ("id", "team_id", "stage", "name", "arr", "currency", "renewal_date")
)
_LINE_COLUMNS = tuple(
    Customer.__table__.c[name] for name in ("id", "segment", "owner_user_id", "owner_email", "renewal_date")
)


def _names(db: Session, team_id: str, user_ids: Iterable[str]) -> dict[str, str]:
    """The display names Baton has cached for these Slack users (bot/slack_users.py), so a digest row can name
    its owner without mentioning them; users never looked up are absent."""
    users = SlackUser.__table__
    ids = sorted(set(user_ids))
    out: dict[str, str] = {}
    for i in range(0, len(ids), _CHUNK):
        stmt = sa_select(users.c.user_id, users.c.name).where(
            users.c.team_id == team_id, users.c.user_id.in_(ids[i : i + _CHUNK]), users.c.name.is_not(None)
        )
        out.update((uid, name) for uid, name in db.connection().execute(stmt) if name.strip())
    return out


def _owners(lines: Sequence[Line]) -> tuple[tuple[str, int], ...]:
    """Each owner of the listed customers with how many they own, most first (then by id): the summary line
    mentions each once."""
    counts: dict[str, int] = defaultdict(int)
    for line in lines:
        if line.owner_user_id:
            counts[line.owner_user_id] += 1
    return tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


WHOLE_TEAM = 20_000  # asked for more customers than this, one read of the team's rows beats IN lists of 500


def _columns(db: Session, ids: Sequence[int], columns: tuple, team_id: str | None = None) -> dict[int, Any]:
    """`columns` of these customers (the first column is the id). For many of them and a `team_id`, one read of
    the team's rows, kept for those asked (200 IN lists of 500 cost 1.7 s at 100,000 customers on PostgreSQL)."""
    if team_id is not None and len(ids) > WHOLE_TEAM:
        wanted = set(ids)
        team = Customer.__table__.c.team_id
        rows = db.connection().execute(sa_select(*columns).where(team == team_id))
        return {c.id: c for c in rows if c.id in wanted}
    out = {}
    for chunk in _chunks(ids):
        out.update((c.id, c) for c in db.connection().execute(sa_select(*columns).where(columns[0].in_(chunk))))
    return out


def build(db: Session, team_id: str, day: date, rules: HealthRules) -> Digest:
    """The digest for `day` (the team's local date): scores as stored on or before it, change against the
    score a week before, crossings of the 7 days ending on it, onboarding items overdue on it.

    Every customer At risk or worse is ranked and counted (bands, ARR), but only the first MAX_LINES, all the
    digest shows, get a line: their week-ago score, top driver, owner and renewal are read for them alone. Those
    that need action this week (got worse this week, or renew within 90 days) come first, by ARR; then the rest,
    worst first."""
    current, unsure = current_scores(db, team_id, day, day - timedelta(days=SCORE_WINDOW_DAYS), rules)
    bad = {cid: v for cid, v in current.items() if v[2] in BAD}
    crossing_rows = week_crossings(db, team_id, day - timedelta(days=WEEK - 1), day, unsure)
    net = health.net_crossings(crossing_rows)
    customers = {
        cid: c
        for cid, c in _columns(db, sorted(set(bad) | set(net)), _RANK_COLUMNS, team_id).items()
        if c.team_id == team_id and c.stage != "churned"
    }
    listed = [cid for cid in bad if cid in customers]
    counts = dict.fromkeys(BAD, 0)
    arr: dict[str, Decimal] = defaultdict(Decimal)
    per_currency: dict[str, int] = defaultdict(int)
    without = 0
    ranks = {}
    for cid in listed:
        c, band, score = customers[cid], bad[cid][2], bad[cid][1]
        counts[band] += 1
        currency = (c.currency or "").strip().upper() or None
        amount = Decimal(c.arr) if c.arr is not None else None
        if amount is None or not currency:
            without += 1
        else:
            arr[currency] += amount
            per_currency[currency] += 1
        ranks[cid] = (BAD.index(band), score, amount, currency, c.name.casefold(), cid)
    urgent = {cid for cid in listed if health.needs_action(net.get(cid), customers[cid].renewal_date, day)}
    main = max(per_currency, key=lambda cur: (per_currency[cur], cur)) if per_currency else None

    def rank(cid: int) -> tuple:
        band, score, amount, currency, name, _ = ranks[cid]
        if cid in urgent:  # needs action this week: by ARR, the main currency's first
            return (0, 0 if currency == main else 1 if amount is not None else 2, -(amount or 0), name, cid)
        return (1, band, score, -(amount or 0), name, cid)

    shown = heapq.nsmallest(MAX_LINES, listed, key=rank)
    week_ago = day - timedelta(days=WEEK)
    previous = scores_before(db, team_id, shown, week_ago, week_ago - timedelta(days=PREVIOUS_WINDOW_DAYS))
    details = _columns(db, shown, _LINE_COLUMNS)
    not_stored = set(unsure)  # scored from signals, or a stored row of another day
    drivers = _stored_drivers(db, team_id, [cid for cid in shown if cid not in not_stored], day)
    drivers.update(
        top_drivers(
            db, team_id, {cid: (bad[cid][0], details[cid].segment) for cid in shown if cid not in drivers}, rules
        )
    )
    touched = touches.last_touched(db, team_id, shown)
    names = _names(db, team_id, (details[cid].owner_user_id for cid in shown if details[cid].owner_user_id))
    lines = []
    for cid in shown:
        c, more = customers[cid], details[cid]
        score_day, score, band = bad[cid]
        before = previous.get(cid)
        change = round(score - before[1], 1) if before is not None and before[0] < score_day else None
        lines.append(
            Line(
                customer_id=cid,
                name=c.name,
                band=band,
                score=score,
                change=change,
                driver=drivers.get(cid),
                owner_user_id=more.owner_user_id,
                owner_email=more.owner_email,
                arr=Decimal(c.arr) if c.arr is not None else None,
                currency=(c.currency or "").strip().upper() or None,
                days_to_renewal=(more.renewal_date - day).days if more.renewal_date else None,
                urgent=cid in urgent,
                owner_name=names.get(more.owner_user_id) if more.owner_user_id else None,
                last_touch=touched.get(cid),
            )
        )
    crossings = sorted(
        (
            Crossing(cid, customers[cid].name, before, after, when)
            for cid, (before, after, when) in net.items()
            if cid in customers
        ),
        key=lambda x: (x.name.casefold(), x.customer_id),
    )
    return Digest(
        day=day,
        week=iso_week(day),
        scored=len(current),
        lines=tuple(lines),
        counts=counts,
        arr_at_risk={c: arr[c] for c in sorted(arr, key=lambda c: (-per_currency[c], c))},  # most customers first
        without_arr=without,
        newly_at_risk=tuple(x for x in crossings if x.before == health.HEALTHY and x.after in BAD),
        worsened=tuple(x for x in crossings if x.before == health.AT_RISK and x.after == health.UNHEALTHY),
        recovered=tuple(x for x in crossings if x.before in BAD and x.after == health.HEALTHY),
        overdue=tuple(onboarding.overdue_tasks(db, team_id, day)),
        crossings=tuple(crossings),
        urgent=len(urgent),
        urgent_by_band={band: sum(1 for cid in urgent if bad[cid][2] == band) for band in BAD},
        owners=_owners(lines),
        touches=bool(touched) or touches.any_logged(db, team_id),
    )


def key_for(ctx: Context, channel: str) -> str:
    if ctx.manual:
        return f"digest:manual:{ctx.now:%Y%m%dT%H%M%S}:{channel}"
    return f"digest:{iso_week(ctx.cfg.local(ctx.fire).date())}:{channel}"
