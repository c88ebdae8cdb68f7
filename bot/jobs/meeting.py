"""The cross-team meeting reminder's schedule: the day before each meeting, the agenda in the meeting channel.

The service (bot/services/meeting.py) knows when meetings fall and reads the plain Agenda; this job draws it
with the Block Kit builder (bot/blocks/meeting.py) at plan time (the drawn parts are stored with the occurrence).
"""

from datetime import timedelta

from sqlmodel import Session

from bot.blocks.meeting import meeting_agenda
from bot.services import meeting
from bot.services.schedules import Context, Message, Part, Planned, Schedule


def plan(db: Session, ctx: Context) -> list[Planned]:
    """One message in the meeting channel for the meeting after this fire (a manual run: the next meeting)."""
    cfg = ctx.cfg
    channel = cfg.optional("meeting.channel")
    if not channel:
        return []
    day, key = meeting.due_meeting(ctx, channel)
    start = cfg.at(day, "meeting.time")
    blocks, text = meeting_agenda(meeting.agenda(db, cfg, ctx.today, start, ctx.rules), cfg.locale)
    return [
        Message(
            key=key,
            kind=meeting.KIND,
            parts=[Part(text, blocks)],
            channel=channel,
            subject=day.isoformat(),
            data={"meeting": start.isoformat()},
        )
    ]


SCHEDULE = Schedule(
    name=meeting.NAME,
    description="cross-team meeting reminder with the agenda, the day before (meeting.* settings)",
    fires=meeting.fires,
    useful_for=meeting.useful_for,
    plan=plan,
    lookback=timedelta(days=40),  # a monthly meeting's reminder is found even after a long outage
    enabled=lambda cfg: bool(cfg.optional("meeting.channel")),
)
