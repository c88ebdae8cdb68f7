"""Nudges: the small reminders that keep a handoff moving and a promise kept.

Two schedules:
- `nudges`, every 15 minutes within the team's working hours (`nudge.hours`, Monday to Friday, team zone):
  a handoff draft (the CRM's deal-closed draft) not submitted `nudge.draft_hours` after it was created DMs
  its AE, and after `nudge.lead_hours` DMs the sales lead (`nudge.sales_lead`; nobody when unset); a handoff
  submitted and not accepted after `nudge.accept_days` business days (Saturday and Sunday do not count) is
  raised in the channel its card is in, with a link to the card and its Accept button. Something that falls
  due at night or on a weekend waits for the next working quarter-hour.
- `promises`, Monday to Friday at `reminders.time`: each open promise past its due date DMs its owner (the
  promise's owner, else the customer's owner), once.

Each nudge has its own key (`nudge:draft:12:ae`, `nudge:draft:12:lead`, `nudge:accept:12`,
`promise:7:overdue`), so none is sent twice; what was submitted, accepted or done before its time produces
nothing, and a muted recipient gets a recorded skip. Something first seen long after it fell due (a draft
or a promise left for over 30 days when nudges start) is skipped with a reason, not sent: old news is noise.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlmodel import Session, col, select

from bot.models import DRAFT, SUBMITTED, Customer, Handoff, Promise
from bot.services.schedules import Context, Mutes, Skip, daily_fires, existing_keys
from bot.services.team_config import TeamConfig

NUDGES, PROMISES = "nudges", "promises"  # schedule names
KIND_DRAFT, KIND_LEAD, KIND_ACCEPT, KIND_PROMISE = "nudge.draft", "nudge.lead", "nudge.accept", "nudge.promise"
STEP = timedelta(minutes=15)
TOO_OLD = timedelta(days=30)  # first seen this long after it fell due: skipped, not sent
CHURNED = "churned"


# --- working time --------------------------------------------------------------------------------------


def working_hours(cfg: TeamConfig) -> tuple[time, time]:
    start, end = cfg.raw("nudge.hours").split("-")
    h1, m1 = start.split(":")
    h2, m2 = end.split(":")
    return time(int(h1), int(m1)), time(int(h2), int(m2))


def working_fires(cfg: TeamConfig, start: datetime, end: datetime) -> list[datetime]:
    """Every 15 minutes from the opening time until the closing time, Monday to Friday, in the team's zone
    (built as local times, so the hours hold across DST changes); UTC, in [start, end)."""
    opening, closing = working_hours(cfg)
    out: set[datetime] = set()
    day = cfg.local(start).date() - timedelta(days=1)
    last = cfg.local(end).date() + timedelta(days=1)
    while day <= last:
        if day.weekday() < 5:
            at = datetime.combine(day, opening)
            stop = datetime.combine(day, closing)
            while at < stop:
                moment = at.replace(tzinfo=cfg.tz).astimezone(start.tzinfo)
                if start <= moment < end:
                    out.add(moment)
                at += STEP
        day += timedelta(days=1)
    return sorted(out)


def weekday_fires(cfg: TeamConfig, start: datetime, end: datetime) -> list[datetime]:
    """Monday to Friday at `reminders.time`, in the team's zone."""
    return [f for f in daily_fires(cfg, "reminders.time", start, end) if cfg.local(f).weekday() < 5]


def add_business_days(moment: datetime, days: int) -> datetime:
    """`moment` (local, aware) plus `days` business days: Friday 16:00 + 1 is Monday 16:00; something that
    happens on a weekend counts from Monday 00:00, so Saturday + 1 is Tuesday 00:00."""
    tz = moment.tzinfo
    day, clock = moment.date(), moment.time().replace(tzinfo=None)
    if day.weekday() >= 5:
        day, clock = day + timedelta(days=7 - day.weekday()), time(0)
    added = 0
    while added < days:
        day += timedelta(days=1)
        if day.weekday() < 5:
            added += 1
    return datetime.combine(day, clock, tzinfo=tz)


def business_days_between(start: date, end: date) -> int:
    """Weekdays after `start` up to and including `end`."""
    n, day = 0, start
    while day < end:
        day += timedelta(days=1)
        if day.weekday() < 5:
            n += 1
    return n


# --- handoffs ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DraftNudge:
    """A DM about a handoff draft not submitted, to its AE or (`to_lead`) the sales lead (the job draws it)."""

    key: str
    kind: str
    user: str
    customer_id: int | None
    subject: str
    handoff_id: int
    customer: str
    deal: str | None
    arr: Decimal | None
    currency: str | None
    age_hours: float  # since the draft was created
    ae: str | None
    to_lead: bool


@dataclass(frozen=True)
class AcceptNudge:
    """A post in the card's channel about a handoff nobody accepted (the job draws it)."""

    key: str
    customer_id: int | None
    subject: str
    handoff_id: int
    customer: str
    arr: Decimal | None
    currency: str | None
    ae: str | None
    submitted: date  # local
    business_days: int  # waiting since it was submitted
    card_channel: str
    card_ts: str


@dataclass(frozen=True)
class PromiseNudge:
    """A DM to the owner of a promise past its due date (the job draws it)."""

    key: str
    user: str
    customer_id: int | None
    subject: str
    due_at: datetime
    promise_id: int
    handoff_id: int
    customer: str
    promise: str
    due: date
    days_overdue: int
    card_channel: str | None
    card_ts: str | None
    as_owner: bool  # reminded as the customer's owner (the promise has none)


def _draft_nudges(db: Session, ctx: Context, mutes: Mutes) -> list[DraftNudge | Skip]:
    cfg, now = ctx.cfg, ctx.now
    draft_after = timedelta(hours=cfg.int("nudge.draft_hours"))
    lead = cfg.optional("nudge.sales_lead")
    lead_after = timedelta(hours=cfg.int("nudge.lead_hours"))
    first = min(draft_after, lead_after) if lead else draft_after
    rows = list(
        db.exec(
            select(Handoff, Customer.name, Customer.stage)
            .join(Customer, col(Customer.id) == Handoff.customer_id, isouter=True)
            .where(Handoff.team_id == ctx.team_id, Handoff.status == DRAFT, col(Handoff.created_at) <= now - first)
            .order_by(col(Handoff.created_at), col(Handoff.id))
        )
    )
    keys = [f"nudge:draft:{h.id}:{who}" for h, _n, _s in rows for who in ("ae", "lead")]
    done = existing_keys(db, ctx.team_id, keys)
    out: list[DraftNudge | Skip] = []
    for h, name, stage in rows:
        age = now - h.created_at
        customer = name or h.customer_name or h.crm_deal_name or ""
        targets = [("ae", h.ae_user_id, KIND_DRAFT, draft_after)]
        if lead:
            targets.append(("lead", lead, KIND_LEAD, lead_after))
        for who, user, kind, after in targets:
            key = f"nudge:draft:{h.id}:{who}"
            if key in done or age < after:
                continue
            common = {"key": key, "kind": kind, "customer_id": h.customer_id, "subject": f"handoff:{h.id}"}
            due = h.created_at + after
            if stage == CHURNED:
                out.append(Skip(reason="the customer has churned", due_at=due, **common))
            elif now - due > TOO_OLD:
                out.append(Skip(reason=f"stale: the draft was already {age.days} days old", due_at=due, **common))
            elif not user:
                out.append(Skip(reason="no AE: the deal owner is not in Slack", due_at=due, **common))
            elif mutes.muted(user, h.customer_id, kind):
                out.append(Skip(reason="muted", due_at=due, **common))
            else:
                out.append(
                    DraftNudge(
                        user=user,
                        handoff_id=h.id,  # type: ignore[arg-type]
                        customer=customer,
                        deal=h.crm_deal_name,
                        arr=h.arr,
                        currency=h.currency,
                        age_hours=age.total_seconds() / 3600,
                        ae=h.ae_user_id,
                        to_lead=who == "lead",
                        **common,
                    )
                )
    return out


def _accept_nudges(db: Session, ctx: Context) -> list[AcceptNudge | Skip]:
    cfg, now = ctx.cfg, ctx.now
    days = cfg.int("nudge.accept_days")
    rows = list(
        db.exec(
            select(Handoff, Customer.name, Customer.stage)
            .join(Customer, col(Customer.id) == Handoff.customer_id, isouter=True)
            .where(
                Handoff.team_id == ctx.team_id,
                Handoff.status == SUBMITTED,
                col(Handoff.submitted_at).is_not(None),
                col(Handoff.submitted_at) <= now - timedelta(days=days),  # business days are at least as long
            )
            .order_by(col(Handoff.submitted_at), col(Handoff.id))
        )
    )
    done = existing_keys(db, ctx.team_id, [f"nudge:accept:{h.id}" for h, _n, _s in rows])
    out: list[AcceptNudge | Skip] = []
    for h, name, stage in rows:
        key = f"nudge:accept:{h.id}"
        submitted = cfg.local(h.submitted_at)
        due = add_business_days(submitted, days)
        if key in done or now < due:
            continue
        if not h.card_channel or not h.card_ts:
            continue  # the card is not posted yet: nothing to point at; asked again on the next run
        common = {"key": key, "customer_id": h.customer_id, "subject": f"handoff:{h.id}"}
        if stage == CHURNED:
            out.append(Skip(reason="the customer has churned", kind=KIND_ACCEPT, due_at=due, **common))
            continue
        if h.bad_fit_at is not None:
            out.append(Skip(reason="flagged as a bad fit: CS has seen it", kind=KIND_ACCEPT, due_at=due, **common))
            continue
        if now - due > TOO_OLD:
            reason = "stale: submitted over 30 days before nudges started"
            out.append(Skip(reason=reason, kind=KIND_ACCEPT, due_at=due, **common))
            continue
        out.append(
            AcceptNudge(
                handoff_id=h.id,  # type: ignore[arg-type]
                customer=name or h.customer_name or "",
                arr=h.arr,
                currency=h.currency,
                ae=h.ae_user_id or h.submitted_by,
                submitted=submitted.date(),
                business_days=max(days, business_days_between(submitted.date(), ctx.today)),
                card_channel=h.card_channel,
                card_ts=h.card_ts,
                **common,
            )
        )
    return out


def due_handoff_nudges(db: Session, ctx: Context) -> list[DraftNudge | AcceptNudge | Skip]:
    """Draft and acceptance nudges due now, or why each is skipped (only ever run within working hours, or by
    hand)."""
    mutes = Mutes(db, ctx.team_id, ctx.now)
    return [*_draft_nudges(db, ctx, mutes), *_accept_nudges(db, ctx)]


# --- promises ------------------------------------------------------------------------------------------------


def due_promise_nudges(db: Session, ctx: Context) -> list[PromiseNudge | Skip]:
    """One DM per open promise past its due date, to its owner (else the customer's owner), or why it is skipped."""
    today = ctx.today
    rows = list(
        db.exec(
            select(
                Promise, Customer.name, Customer.owner_user_id, Customer.stage, Handoff.card_channel, Handoff.card_ts
            )
            .join(Customer, col(Customer.id) == Promise.customer_id, isouter=True)
            .join(Handoff, col(Handoff.id) == Promise.handoff_id)
            .where(
                Promise.team_id == ctx.team_id,
                Promise.status == "open",
                col(Promise.due_date).is_not(None),
                col(Promise.due_date) < today,
            )
            .order_by(col(Promise.due_date), col(Promise.id))
        )
    )
    done = existing_keys(db, ctx.team_id, [f"promise:{p.id}:overdue" for p, *_ in rows])
    mutes = Mutes(db, ctx.team_id, ctx.now)
    out: list[PromiseNudge | Skip] = []
    for p, name, customer_owner, stage, card_channel, card_ts in rows:
        key = f"promise:{p.id}:overdue"
        if key in done:
            continue
        overdue = (today - p.due_date).days
        due_at = ctx.cfg.at(p.due_date + timedelta(days=1), "reminders.time")
        common = {"key": key, "customer_id": p.customer_id, "subject": f"promise:{p.id}", "due_at": due_at}
        owner = p.owner_user_id or customer_owner
        if stage == CHURNED:
            out.append(Skip(reason="the customer has churned", kind=KIND_PROMISE, **common))
        elif timedelta(days=overdue) > TOO_OLD:
            out.append(Skip(reason=f"stale: already {overdue} days overdue", kind=KIND_PROMISE, **common))
        elif not owner:
            reason = "nobody to remind: neither the promise nor the customer has an owner"
            out.append(Skip(reason=reason, kind=KIND_PROMISE, **common))
        elif mutes.muted(owner, p.customer_id, KIND_PROMISE):
            out.append(Skip(reason="muted", kind=KIND_PROMISE, **common))
        else:
            out.append(
                PromiseNudge(
                    user=owner,
                    promise_id=p.id,  # type: ignore[arg-type]
                    handoff_id=p.handoff_id,
                    customer=name or "",
                    promise=p.text,
                    due=p.due_date,
                    days_overdue=overdue,
                    card_channel=card_channel,
                    card_ts=card_ts,
                    as_owner=not p.owner_user_id,
                    **common,
                )
            )
    return out
