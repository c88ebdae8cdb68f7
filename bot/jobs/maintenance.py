"""Housekeeping: forget delivery records once no retry can still arrive, and VoC drafts nobody used."""

from datetime import timedelta

from sqlalchemy import delete
from sqlmodel import col

from bot.models import OutboxMessage, SlackEvent, WebhookEvent
from bot.services import voc

# Slack retries events for ~5 minutes and HubSpot deliveries for ~24 hours; keep well beyond both.
KEEP_EVENTS = timedelta(days=2)
KEEP_WEBHOOKS = timedelta(days=7)
KEEP_SENT = timedelta(days=30)


def prune(deps) -> int:
    """Delete processed event ids, finished webhook rows and sent outbox rows past their retention, and VoC
    drafts past their day (they can no longer be used)."""
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
    return n
