"""Keeping App Home current: a redraw of someone's Home tab is queued in the outbox (bot/renderers/home.py draws
it from the data at send time, `views.publish`).

Debounced: every change for one person within the same DEBOUNCE seconds is one row, keyed by that window and
sent when it ends, so a burst of changes (an import, a handoff saved and accepted) costs one `views.publish`
per person, within Slack's rate limits. Opening the tab redraws it at once (its own key, the event's id)."""

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.services import outbox

DEBOUNCE = 30  # seconds


class HomeKind(outbox.OutboxKind):
    """The outbox messages of App Home (drawn at send time by bot/renderers/home.py)."""

    PUBLISH = "views.publish.home"


def queue_refresh(db: Session, team_id: str, users: Iterable[str | None], *, now: datetime) -> int:
    """Queue a redraw of each person's Home tab at the end of the current window (nobody twice per window);
    in the caller's transaction, with the change that calls for it. Returns how many were new."""
    stamp = now.timestamp()
    epoch = int(stamp) // DEBOUNCE * DEBOUNCE
    due = now + timedelta(seconds=epoch + DEBOUNCE - stamp)
    new = 0
    for user in sorted({u for u in users if u}):
        new += outbox.enqueue(
            db, team_id, f"home:{user}:{epoch}", HomeKind.PUBLISH, {"user": user}, now=now, not_before=due
        )
    return new


def queue_opened(db: Session, team_id: str, user: str, event_id: str, *, now: datetime) -> bool:
    """Draw the Home tab now for someone who just opened it (once per event)."""
    return queue_now(db, team_id, user, f"opened:{event_id}", now=now)


def queue_now(db: Session, team_id: str, user: str, reason: str, *, now: datetime) -> bool:
    """Draw someone's Home tab now, after their own click on it (`reason` keys it: once per click)."""
    return outbox.enqueue(db, team_id, f"home:{user}:{reason}", HomeKind.PUBLISH, {"user": user}, now=now)
