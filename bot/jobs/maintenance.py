"""Housekeeping: forget delivery records once no retry can still arrive, VoC drafts nobody used, old
scheduled-message records and expired mutes."""

from datetime import timedelta

from sqlalchemy import delete
from sqlmodel import col

from bot.models import Occurrence, OutboxMessage, ReminderMute, SlackEvent, WebhookEvent
from bot.services import voc

# Slack retries events for ~5 minutes and HubSpot deliveries for ~24 hours; keep well beyond both.
KEEP_EVENTS = timedelta(days=2)
KEEP_WEBHOOKS = timedelta(days=7)
KEEP_SENT = timedelta(days=30)
# Occurrence keys stop repeats (a renewal step counts as done for a date within ~180 days of the new one);
# kept for well over a year so no ladder, digest week or nudge can come round again.
KEEP_OCCURRENCES = timedelta(days=400)


def prune(deps) -> int:
    """Delete processed event ids, finished webhook rows and sent outbox rows past their retention, VoC
    drafts past their day, scheduled-message records past a year, and mutes that have run out."""
    now = deps.clock()
    with deps.sessions.begin() as db:
        n = db.exec(delete(SlackEvent).where(col(SlackEvent.received_at) < now - KEEP_EVENTS)).rowcount
        n += db.exec(
            delete(WebhookEvent).where(
                col(WebhookEvent.status).in_(("done", "ignored")), col(WebhookEvent.received_at) < now - KEEP_WEBHOOKS
            )
        ).rowcount
        n += db.exec(
            delete(OutboxMessage).where(
                col(OutboxMessage.status).in_(("sent", "dropped")), col(OutboxMessage.created_at) < now - KEEP_SENT
            )
        ).rowcount
        n += voc.purge_drafts(db, now=now)
        n += db.exec(delete(Occurrence).where(col(Occurrence.due_at) < now - KEEP_OCCURRENCES)).rowcount
        n += db.exec(
            delete(ReminderMute).where(col(ReminderMute.until).is_not(None), col(ReminderMute.until) < now)
        ).rowcount
    return n
