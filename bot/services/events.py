"""Slack Events API bookkeeping: which deliveries took effect already, and the help reply to a mention."""

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bot.models import SlackEvent
from bot.services import outbox


class EventKind(outbox.OutboxKind):
    """The outbox messages Events API handling queues (drawn at send time by bot/renderers/events.py)."""

    HELP = "reply.help"  # the help reply in a mention's thread


def record_event(db: Session, team_id: str, event_id: str, now: datetime) -> bool:
    """Record a delivery's event_id; False when it was recorded before (a retry by Slack)."""
    try:
        with db.begin_nested():
            db.add(SlackEvent(team_id=team_id, event_id=event_id, received_at=now))
    except IntegrityError:
        return False
    return True


def queue_help(db: Session, team_id: str, event_id: str, event: dict, *, now: datetime) -> bool:
    """Queue the help reply in the mention's thread, once per event."""
    params = {
        "channel": event["channel"],
        "thread_ts": event.get("thread_ts") or event["ts"],
        "user": event.get("user"),
    }
    return outbox.enqueue(db, team_id, f"event:{event_id}:help", EventKind.HELP, params, now=now)
