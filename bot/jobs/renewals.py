"""The renewal ladder's schedule: the daily DMs to the CSM (and AE) before each renewal date.

The service (bot/services/renewals.py) says which step is due for whom and what the customer's state is (plain
RenewalState), or why a step is skipped; this job draws each reminder with the Block Kit builder at plan time
(the drawn parts are stored with the occurrence) and hands them to the engine.
"""

from sqlmodel import Session

from bot.blocks import outcomes as ob
from bot.blocks import reminders as rb
from bot.services import renewal_outcomes, renewals
from bot.services import schedules as engine
from bot.services.schedules import Context, Message, Part, Planned, Schedule, Skip


def plan(db: Session, ctx: Context) -> list[Planned]:
    """Today's ladder steps: the nearest due unsent step per customer and role, snoozed ones coming back,
    older unsent steps recorded as superseded; states computed only for the customers reminded. Then the
    question after each passed renewal date without an outcome (services/renewal_outcomes.py)."""
    out: list[Planned] = []
    for due in renewals.due_reminders(db, ctx):
        if isinstance(due, Skip):
            out.append(due)
            continue
        blocks, text = rb.renewal_reminder(
            due.state,
            ctx.locale_for(due.user),
            key=due.key,
            step=due.step,
            role=due.role,
            csp=due.csp,
            again=due.snooze > 0,
        )
        out.append(
            Message(
                key=due.key,
                kind=due.kind,
                parts=[Part(text, blocks)],
                user=due.user,
                customer_id=due.state.customer_id,
                subject=due.subject,
                step=due.step,
                due_at=due.due_at,
                data={"base": due.base, "snooze": due.snooze, "role": due.role},
            )
        )
    for ask in renewal_outcomes.due_asks(db, ctx, renewals.SAME_CYCLE_DAYS):
        if isinstance(ask, Skip):
            out.append(ask)
            continue
        view = ob.AskView(ask.customer_id, ask.name, ask.renewal_date, ask.arr, ask.currency, ask.n)
        blocks, text = ob.outcome_ask(view, ctx.locale_for(ask.user), key=ask.key)
        out.append(
            Message(
                key=ask.key,
                kind=renewal_outcomes.KIND_ASK,
                parts=[Part(text, blocks)],
                user=ask.user,
                customer_id=ask.customer_id,
                subject=ask.renewal_date.isoformat(),
                due_at=ask.due_at,
                data={"n": ask.n},
            )
        )
    return out


SCHEDULE = Schedule(
    name=renewals.NAME,
    description="renewal ladder: DMs to the CSM (and AE) before each renewal date, then the outcome question",
    fires=engine.at_reminders_time,
    useful_for=engine.until_next_day,
    plan=plan,
)
