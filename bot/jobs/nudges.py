"""The nudges' two schedules: handoff nudges every 15 minutes in working hours, overdue promises on weekdays.

The service (bot/services/nudges.py) knows when they fire and which nudge is due for whom (plain DraftNudge,
AcceptNudge, PromiseNudge records) or why one is skipped; this job draws each with the Block Kit builders
(bot/blocks/nudges.py) at plan time (the drawn parts are stored with the occurrence).
"""

from datetime import timedelta
from decimal import Decimal

from sqlmodel import Session

from bot.blocks import nudges as nb
from bot.money import format_amount_short
from bot.services import nudges
from bot.services.nudges import KIND_ACCEPT, KIND_PROMISE, AcceptNudge, DraftNudge, PromiseNudge
from bot.services.schedules import Context, Message, Part, Planned, Schedule, Skip
from bot.viewdata.meeting import card_url


def _amount(arr: Decimal | None, currency: str | None, locale: str) -> str | None:
    return format_amount_short(arr, currency or "", locale).strip() if arr is not None else None


def _draft(n: DraftNudge, ctx: Context) -> Message:
    locale = ctx.locale_for(n.user)
    blocks, text = nb.draft_nudge(
        locale,
        key=n.key,
        kind=n.kind,
        handoff_id=n.handoff_id,
        customer_id=n.customer_id,
        customer=n.customer,
        deal=n.deal,
        amount=_amount(n.arr, n.currency, locale),
        age=nb.age_text(n.age_hours, locale),
        ae=n.ae,
        to_lead=n.to_lead,
    )
    return Message(
        key=n.key,
        kind=n.kind,
        parts=[Part(text, blocks)],
        user=n.user,
        customer_id=n.customer_id,
        subject=n.subject,
        data={"handoff_id": n.handoff_id},
    )


def _accept(n: AcceptNudge, ctx: Context) -> Message:
    locale = ctx.cfg.locale
    blocks, text = nb.accept_nudge(
        locale,
        handoff_id=n.handoff_id,
        customer=n.customer,
        amount=_amount(n.arr, n.currency, locale),
        ae=n.ae,
        submitted=n.submitted,
        age=nb.plural(locale, "bdays", n.business_days),
        url=card_url(n.card_channel, n.card_ts),
    )
    return Message(
        key=n.key,
        kind=KIND_ACCEPT,
        parts=[Part(text, blocks)],
        channel=n.card_channel,
        customer_id=n.customer_id,
        subject=n.subject,
        data={"handoff_id": n.handoff_id},
    )


def plan_handoffs(db: Session, ctx: Context) -> list[Planned]:
    """Draft and acceptance nudges due now (only ever run within working hours, or by hand)."""
    out: list[Planned] = []
    for n in nudges.due_handoff_nudges(db, ctx):
        if isinstance(n, Skip):
            out.append(n)
        elif isinstance(n, DraftNudge):
            out.append(_draft(n, ctx))
        else:
            out.append(_accept(n, ctx))
    return out


def _promise(n: PromiseNudge, ctx: Context) -> Message:
    locale = ctx.locale_for(n.user)
    blocks, text = nb.promise_nudge(
        locale,
        key=n.key,
        kind=KIND_PROMISE,
        customer_id=n.customer_id,
        customer=n.customer,
        promise=n.promise,
        due=n.due,
        days_overdue=n.days_overdue,
        url=card_url(n.card_channel, n.card_ts),
        as_owner=n.as_owner,
    )
    return Message(
        key=n.key,
        kind=KIND_PROMISE,
        parts=[Part(text, blocks)],
        user=n.user,
        customer_id=n.customer_id,
        subject=n.subject,
        due_at=n.due_at,
        data={"promise_id": n.promise_id, "handoff_id": n.handoff_id},
    )


def plan_promises(db: Session, ctx: Context) -> list[Planned]:
    """One DM per open promise past its due date, to its owner (else the customer's owner)."""
    return [n if isinstance(n, Skip) else _promise(n, ctx) for n in nudges.due_promise_nudges(db, ctx)]


SCHEDULES = [
    Schedule(
        name=nudges.NUDGES,
        description="handoff nudges: drafts not submitted (AE, sales lead), handoffs not accepted (CS channel); "
        "every 15 min in working hours",
        fires=nudges.working_fires,
        useful_for=lambda _cfg, _fire: timedelta(hours=1),  # each run looks at everything due, so the next covers
        plan=plan_handoffs,
        lookback=timedelta(days=4),  # across a weekend
    ),
    Schedule(
        name=nudges.PROMISES,
        description="overdue promise reminders to their owners, Mon-Fri at reminders.time",
        fires=nudges.weekday_fires,
        useful_for=lambda _cfg, _fire: timedelta(hours=9),  # not after the working day; the next run catches up
        plan=plan_promises,
        lookback=timedelta(days=4),
    ),
]
