"""The onboarding playbook's schedule: the daily reminders to each open milestone's owner.

The service (bot/services/onboarding.py) makes the playbook's tasks and says which reminder is due for whom,
showing what (plain OnboardingState); this job draws each with the Block Kit builder at plan time (the drawn
parts are stored with the occurrence) and hands them to the engine.
"""

from sqlmodel import Session

from bot.blocks import reminders as rb
from bot.services import onboarding
from bot.services import schedules as engine
from bot.services.schedules import Context, Message, Part, Planned, Schedule, Skip


def plan(db: Session, ctx: Context) -> list[Planned]:
    """Remind each open task's owner on its reminder days (the tasks of newly accepted handoffs are made by
    `prepare` just before)."""
    out: list[Planned] = []
    for due in onboarding.due_reminders(db, ctx):
        if isinstance(due, Skip):
            out.append(due)
            continue
        blocks, text = rb.onboarding_reminder(due.state, ctx.locale_for(due.user), key=due.key)
        out.append(
            Message(
                key=due.key,
                kind=due.kind,
                parts=[Part(text, blocks)],
                user=due.user,
                data={"task": due.state.task_id},
                customer_id=due.state.customer_id,
                subject=due.subject,
                step=due.step,
                due_at=due.due_at,
            )
        )
    return out


SCHEDULE = Schedule(
    name=onboarding.NAME,
    description="onboarding playbook: kickoff, activation and training reminders to the owner",
    fires=engine.at_reminders_time,
    useful_for=engine.until_next_day,
    plan=plan,
    prepare=onboarding.prepare,
)
