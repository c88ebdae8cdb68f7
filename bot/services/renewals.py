"""The renewal ladder: at 120, 90, 60 and 30 days before each renewal date (team setting `renewal.days`) a DM
to the owner CSM, and at the `renewal.ae_days` steps one to the AE, with the customer's state.

Each step is an occurrence keyed `renewal:{customer}:{renewal date}:{step}` (`:ae` for the AE's), so a step
is sent once. The daily scan sends, per customer, only the due step nearest the renewal (a worker that was
down for a month sends the T-60 reminder, not T-120, T-90 and T-60 at once) and records the older unsent
steps as superseded. A step counts as done when it was sent for a renewal date within SAME_CYCLE_DAYS of the
current one, so moving the renewal date re-plans the ladder without repeating a step, while next year's
renewal starts a new ladder. A snoozed reminder comes back on the first scan on or after its snooze date
(key suffix `:s1`, `:s2`, ...).

Scale: one query for the customers renewing within the ladder, a bulk check of the keys due today, and the
customer's state (health, promises, VoC) computed only for the customers actually reminded.
"""

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import case, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from bot.models import Customer, HealthScore, Occurrence, Promise, VocNote
from bot.services import health_state
from bot.services import schedules as engine
from bot.services.customer import latest_ratings
from bot.services.health_config import HealthRules
from bot.services.reminders import FINAL, HANDED, Outcome, day_of, find, snooze_round, snoozed_due
from bot.services.schedules import Context, Message, Part, Skip
from bot.viewdata.reminders import RenewalState

NAME = "renewals"
KIND = "renewal"  # the owner CSM's reminder
KIND_AE = "renewal.ae"  # the AE's reminder at the renewal.ae_days steps
KIND_HANDED = "renewal.handed"  # the AE's DM when the CSM clicks Hand to AE
KINDS = (KIND, KIND_AE)
# The first scan (Baton just installed) sends the steps whose day came in the last week, not a reminder for
# every customer within 120 days of renewal (hundreds of DMs per CSM at once); the others are recorded as
# skipped and their next step comes on its day. After that, every step still ahead of its renewal is caught up.
INSTALL_CATCH_UP_DAYS = 7
SAME_CYCLE_DAYS = 180  # a step sent for a renewal date this close to the current one counts as done
TREND_DAYS = 30
CHURNED = "churned"
CHUNK = 500


@dataclass(frozen=True)
class _Candidate:
    customer_id: int
    renewal_date: date
    owner: str | None
    ae: str | None


def step_key(customer_id: int, renewal_date: date, step: int, *, ae: bool = False) -> str:
    return f"{KIND}:{customer_id}:{renewal_date.isoformat()}:{step}" + (":ae" if ae else "")


def due_steps(steps: Iterable[int], renewal_date: date, today: date) -> list[int]:
    """The steps whose day has come (renewal date - step <= today), nearest the renewal first."""
    left = (renewal_date - today).days
    return sorted(s for s in steps if s >= left)


# --- the customer's state, in bulk --------------------------------------------------------------------------


def states(db: Session, team_id: str, customer_ids: Sequence[int], today: date, rules: HealthRules):
    """RenewalState per customer id (a few queries per CHUNK customers, whatever their number)."""
    ids = sorted(set(customer_ids))
    out: dict[int, RenewalState] = {}
    if not ids:
        return out
    scores = health_state.current_scores(db, team_id, ids, today, rules)
    before = _stored_scores(db, team_id, ids, today - timedelta(days=TREND_DAYS))
    promises = _promise_counts(db, team_id, ids, today)
    voc = _latest_voc(db, team_id, ids)
    ratings = latest_ratings(db, team_id, ids, today)
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i : i + CHUNK]
        for c in db.exec(select(Customer).where(Customer.team_id == team_id, col(Customer.id).in_(chunk))):
            if c.renewal_date is None:
                continue
            score, band = scores.get(c.id, (None, None))  # type: ignore[arg-type]
            then = before.get(c.id)  # type: ignore[arg-type]
            open_, late = promises.get(c.id, (0, 0))  # type: ignore[arg-type]
            quote, heard = voc.get(c.id, (None, None))  # type: ignore[arg-type]
            out[c.id] = RenewalState(  # type: ignore[index]
                customer_id=c.id,  # type: ignore[arg-type]
                name=c.name,
                renewal_date=c.renewal_date,
                days_left=(c.renewal_date - today).days,
                arr=c.arr,
                currency=c.currency,
                owner_user_id=c.owner_user_id,
                ae_user_id=c.ae_user_id,
                score=score,
                band=band,
                delta_30d=(score - then) if score is not None and then is not None else None,
                open_promises=open_,
                overdue_promises=late,
                voc_quote=quote,
                voc_on=heard,
                rating=ratings.get(c.id),  # type: ignore[arg-type]
            )
    return out


def _stored_scores(db: Session, team_id: str, ids: Sequence[int], day: date) -> dict[int, float]:
    """Each customer's daily score stored on `day` (or up to a week before, when a day was missed)."""
    hs = HealthScore.__table__
    out: dict[int, float] = {}
    for i in range(0, len(ids), CHUNK):
        stmt = (
            sa_select(hs.c.customer_id, hs.c.score)
            .where(
                hs.c.team_id == team_id,
                hs.c.customer_id.in_(ids[i : i + CHUNK]),
                hs.c.day <= day,
                hs.c.day > day - timedelta(days=7),
            )
            .order_by(hs.c.day.desc())
        )
        for cid, score in db.connection().execute(stmt):
            out.setdefault(cid, score)
    return out


def _promise_counts(db: Session, team_id: str, ids: Sequence[int], today: date) -> dict[int, tuple[int, int]]:
    p = Promise.__table__
    out: dict[int, tuple[int, int]] = {}
    late = func.coalesce(func.sum(case((p.c.due_date < today, 1), else_=0)), 0)
    for i in range(0, len(ids), CHUNK):
        stmt = (
            sa_select(p.c.customer_id, func.count(), late)
            .where(p.c.team_id == team_id, p.c.status == "open", p.c.customer_id.in_(ids[i : i + CHUNK]))
            .group_by(p.c.customer_id)
        )
        for cid, total, overdue in db.connection().execute(stmt):
            out[cid] = (int(total), int(overdue))
    return out


def _latest_voc(db: Session, team_id: str, ids: Sequence[int]) -> dict[int, tuple[str, date]]:
    """Each customer's latest VoC note (quote, day); uses the (team, customer, created_at) index."""
    v = VocNote.__table__
    out: dict[int, tuple[str, date]] = {}
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i : i + CHUNK]
        latest = (
            sa_select(v.c.customer_id, func.max(v.c.created_at).label("at"))
            .where(v.c.team_id == team_id, v.c.customer_id.in_(chunk))
            .group_by(v.c.customer_id)
            .subquery()
        )
        stmt = (
            sa_select(v.c.customer_id, v.c.quote, v.c.created_at)
            .join(latest, (latest.c.customer_id == v.c.customer_id) & (latest.c.at == v.c.created_at))
            .where(v.c.team_id == team_id)
            .order_by(v.c.id.desc())
        )
        for cid, quote, at in db.connection().execute(stmt):
            out.setdefault(cid, (quote, at.date()))
    return out


# --- the daily scan -----------------------------------------------------------------------------------------


def _candidates(db: Session, team_id: str, today: date, horizon: int) -> list[_Candidate]:
    """Customers (not churned) renewing today or within `horizon` days: the only ones with a step due."""
    c = Customer.__table__
    stmt = sa_select(c.c.id, c.c.renewal_date, c.c.owner_user_id, c.c.ae_user_id).where(
        c.c.team_id == team_id,
        c.c.renewal_date >= today,
        c.c.renewal_date <= today + timedelta(days=horizon),
        c.c.stage != CHURNED,
    )
    return [_Candidate(*row) for row in db.connection().execute(stmt)]


def _sent_steps(
    db: Session, team_id: str, customer_ids: Sequence[int]
) -> dict[tuple[int, str], list[tuple[int, date]]]:
    """(customer, kind) -> [(step, renewal date)] of every ladder step recorded (sent or skipped alike)."""
    out: dict[tuple[int, str], list[tuple[int, date]]] = defaultdict(list)
    for i in range(0, len(customer_ids), CHUNK):
        stmt = sa_select(Occurrence.customer_id, Occurrence.kind, Occurrence.step, Occurrence.subject).where(
            Occurrence.team_id == team_id,
            col(Occurrence.kind).in_(KINDS),
            col(Occurrence.customer_id).in_(customer_ids[i : i + CHUNK]),
            col(Occurrence.step).is_not(None),
        )
        for cid, kind, step, subject in db.exec(stmt):  # type: ignore[call-overload]
            try:
                out[(cid, kind)].append((step, date.fromisoformat(subject)))
            except (TypeError, ValueError):
                continue
    return out


def _first_scan(db: Session, team_id: str, at: datetime) -> bool:
    """No ladder occurrence due before this scan's time (`at`): Baton's renewal reminders start with this scan.
    Rows this scan recorded itself (due at `at`) do not count, so a first scan cut off between two of its write
    transactions and run again still treats the rest as the first scan's."""
    stmt = select(Occurrence.id).where(
        Occurrence.team_id == team_id,
        Occurrence.schedule == NAME,
        col(Occurrence.due_at) < at,
        col(Occurrence.kind).in_(KINDS),
    )
    return db.exec(stmt.limit(1)).first() is None


def _done_for(history: list[tuple[int, date]], step: int, renewal_date: date) -> date | None:
    """The renewal date a step was already recorded for in this renewal cycle, if any."""
    for s, d in history:
        if s == step and abs((d - renewal_date).days) <= SAME_CYCLE_DAYS:
            return d
    return None


@dataclass
class _Send:
    key: str
    kind: str
    customer_id: int
    renewal_date: date
    step: int
    user: str
    snooze: int = 0
    base: str = ""


@dataclass(frozen=True)
class Due:
    """A ladder reminder the scan sends: to whom, under which key, showing what (the job draws it)."""

    key: str
    kind: str
    user: str
    state: RenewalState
    subject: str  # the renewal date the step is for
    step: int
    due_at: datetime
    role: str  # csm | ae
    csp: bool  # the step that asks for the Success Plan
    base: str  # the step's key before any snooze
    snooze: int  # how many snoozes it comes back after


def due_reminders(db: Session, ctx: Context) -> list[Due | Skip]:
    """Today's ladder steps: the nearest due unsent step per customer and role, snoozed ones coming back,
    older unsent steps recorded as superseded (the skips first, then the reminders); states computed only for
    the customers reminded."""
    cfg, today, team = ctx.cfg, day_of(ctx), ctx.team_id
    steps, ae_steps = cfg.days("renewal.days"), cfg.days("renewal.ae_days")
    if not steps and not ae_steps:
        return []
    horizon = max((*steps, *ae_steps))
    candidates = _candidates(db, team, today, horizon)
    ladders = ((KIND, steps, False), (KIND_AE, ae_steps, True))
    wanted: dict[str, tuple[_Candidate, str, list[int]]] = {}  # key of the nearest due step -> what it is
    for cand in candidates:
        for kind, ladder, ae in ladders:
            due = due_steps(ladder, cand.renewal_date, today)
            if due:
                wanted[step_key(cand.customer_id, cand.renewal_date, due[0], ae=ae)] = (cand, kind, due)
    existing = engine.existing_keys(db, team, list(wanted))
    fresh = {k: v for k, v in wanted.items() if k not in existing}
    history = _sent_steps(db, team, sorted({cand.customer_id for cand, _, _ in fresh.values()}))
    mutes = engine.Mutes(db, team, ctx.now)
    out: list[Due | Skip] = []
    sends: list[_Send] = []
    at = cfg.at(today, "reminders.time")
    installing = bool(fresh) and _first_scan(db, team, at)
    for key, (cand, kind, due) in fresh.items():
        past = history.get((cand.customer_id, kind), [])
        ae = kind == KIND_AE
        nearest, older = due[0], due[1:]
        common = {"customer_id": cand.customer_id, "subject": cand.renewal_date.isoformat(), "due_at": at}
        late = (today - (cand.renewal_date - timedelta(days=nearest))).days
        if installing and late > INSTALL_CATCH_UP_DAYS:
            reason = f"the T-{nearest} day was {late} days before Baton's renewal reminders started"
            out.append(Skip(key, kind, reason, step=nearest, **common))
            continue
        for s in older:
            if _done_for(past, s, cand.renewal_date) is None:
                reason = f"superseded by the T-{nearest} reminder (the T-{s} day passed unsent)"
                out.append(
                    Skip(step_key(cand.customer_id, cand.renewal_date, s, ae=ae), kind, reason, step=s, **common)
                )
        before = _done_for(past, nearest, cand.renewal_date)
        if before is not None:
            reason = (
                f"T-{nearest} already reminded for the renewal date {before.isoformat()} (moved to {cand.renewal_date})"
            )
            out.append(Skip(key, kind, reason, step=nearest, **common))
            continue
        user = cand.ae if ae else cand.owner
        skip = _why_not(user, ae, cand, mutes, kind)
        if skip:
            out.append(Skip(key, kind, skip, step=nearest, **common))
            continue
        sends.append(_Send(key, kind, cand.customer_id, cand.renewal_date, nearest, user, base=key))  # type: ignore[arg-type]
    sends.extend(_snoozed(db, ctx, today, {c.customer_id: c for c in candidates}, ladders, mutes, out))
    found = states(db, team, [s.customer_id for s in sends], today, ctx.rules)
    csp = cfg.int("renewal.csp_days")
    due: list[Due] = []
    for s in sends:
        state = found.get(s.customer_id)
        if state is None:
            continue
        role = "ae" if s.kind == KIND_AE else "csm"
        subject = s.renewal_date.isoformat()
        csp_step = s.step == csp and role == "csm"
        due.append(Due(s.key, s.kind, s.user, state, subject, s.step, at, role, csp_step, s.base, s.snooze))
    return [*out, *due]


def _why_not(user: str | None, ae: bool, cand: _Candidate, mutes: engine.Mutes, kind: str) -> str | None:
    if not user:
        return "no AE on record for the customer" if ae else "no owner CSM on record for the customer (set its owner)"
    if ae and user == cand.owner:
        return "the AE is also the owner CSM, who gets the CSM reminder"
    if mutes.muted(user, cand.customer_id, kind):
        return f"muted by {user}"
    return None


def _snoozed(db: Session, ctx: Context, today: date, by_id: dict[int, _Candidate], ladders, mutes, out: list):
    """Snoozed ladder reminders whose snooze ends by today, still the step due for the same renewal date."""
    sends: list[_Send] = []
    ladder_of = {kind: (steps, ae) for kind, steps, ae in ladders}
    rows = [r for r in snoozed_due(db, ctx.cfg, NAME, today, ctx.now) if r.kind in KINDS and r.customer_id in by_id]
    keys = {}
    for row in rows:
        cand = by_id[row.customer_id]  # type: ignore[index]
        steps, ae = ladder_of[row.kind]
        due = due_steps(steps, cand.renewal_date, today)
        if row.subject != cand.renewal_date.isoformat() or not due or due[0] != row.step:
            continue  # the renewal moved or a nearer step is due: that one is (or was) sent instead
        base, n = snooze_round(row)
        keys[f"{base}:s{n + 1}"] = (row, cand, base, n + 1, ae)
    existing = engine.existing_keys(db, ctx.team_id, list(keys))
    at = ctx.cfg.at(today, "reminders.time")
    for key, (row, cand, base, n, ae) in keys.items():
        if key in existing:
            continue
        user = cand.ae if ae else cand.owner
        skip = _why_not(user, ae, cand, mutes, row.kind)
        if skip:
            out.append(
                Skip(key, row.kind, skip, customer_id=cand.customer_id, subject=row.subject, step=row.step, due_at=at)
            )
            continue
        sends.append(_Send(key, row.kind, cand.customer_id, cand.renewal_date, row.step, user, n, base))  # type: ignore[arg-type]
    return sends


# --- Hand to AE ---------------------------------------------------------------------------------------------


def hand_to_ae(
    db: Session,
    team_id: str,
    key: str,
    user: str,
    *,
    now: datetime,
    today: date,
    rules: HealthRules,
    draw: Callable[[RenewalState, str, str, int, str], list[Part]],
) -> Outcome:
    """The CSM hands a renewal to the AE: the reminder is marked handed (by whom, when) and the AE gets a DM
    with the customer's state through the outbox (once per step, however often the button is clicked).
    `draw(state, ae, key, step, by)` gives the DM's parts (the caller draws them; services draw no Block Kit)."""
    row = find(db, team_id, key)
    if row is None or row.kind != KIND or row.customer_id is None:
        return Outcome("gone")
    customer = db.get(Customer, row.customer_id)
    if customer is None or customer.team_id != team_id:
        return Outcome("gone", row=row)
    if user not in (row.recipient, customer.owner_user_id):
        return Outcome("not_yours", row=row)
    if row.status in FINAL:
        return Outcome("already", row=row)
    if not customer.ae_user_id:
        return Outcome("no_ae", row=row, customer=customer.name)
    state = states(db, team_id, [customer.id], today, rules).get(customer.id)  # type: ignore[list-item]
    if state is None:  # the renewal date was removed since the reminder
        return Outcome("gone", row=row)
    base, _n = snooze_round(row)
    ae = customer.ae_user_id
    message = Message(
        key=f"{base}:handed",
        kind=KIND_HANDED,
        parts=draw(state, ae, f"{base}:handed", row.step or 0, user),
        user=ae,
        customer_id=customer.id,
        subject=row.subject,
        step=row.step,
        due_at=now,
        data={"base": base, "from": row.key, "by": user},
    )
    engine.record(db, team_id, NAME, [message], fire=now, now=now)
    row.status, row.acted_by, row.acted_at, row.snoozed_until = HANDED, user, now, None
    row.data = json.dumps({**engine.data_of(row), "handed_to": ae})
    db.add(row)
    return Outcome("ok", row=row, customer=customer.name, other=ae)
