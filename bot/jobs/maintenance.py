"""Housekeeping: forget delivery records once no retry can still arrive, VoC drafts nobody used, old
scheduled-message records and expired mutes.

Deletes go in batches, each its own short write transaction (SQLite has one write lock): the rows to forget
are found by a read, then deleted by primary key DELETE_BATCH at a time, so a backlog (the first prune after a
long outage, a year of occurrences) never holds the lock for long."""

from datetime import timedelta

from sqlalchemy import delete, tuple_
from sqlalchemy import select as sa_select
from sqlmodel import col

from bot.models import ChannelHold, Occurrence, OutboxMessage, ReminderMute, SlackEvent, WebhookEvent
from bot.services import voc

# Slack retries events for ~5 minutes and HubSpot deliveries for ~24 hours; keep well beyond both.
KEEP_EVENTS = timedelta(days=2)
KEEP_WEBHOOKS = timedelta(days=7)
KEEP_SENT = timedelta(days=30)
# Occurrence keys stop repeats (a renewal step counts as done for a date within ~180 days of the new one);
# kept for well over a year so no ladder, digest week or nudge can come round again.
KEEP_OCCURRENCES = timedelta(days=400)
DELETE_BATCH = 1_000  # rows per write transaction (a few ms on SQLite)


def prune(deps) -> int:
    """Delete processed event ids, finished webhook rows and sent outbox rows past their retention, VoC
    drafts past their day, scheduled-message records past a year, and mutes and channel holds that have run out."""
    now = deps.clock()
    n = _delete_in_batches(deps, SlackEvent, col(SlackEvent.received_at) < now - KEEP_EVENTS)
    n += _delete_in_batches(
        deps,
        WebhookEvent,
        col(WebhookEvent.status).in_(("done", "ignored")),
        col(WebhookEvent.received_at) < now - KEEP_WEBHOOKS,
    )
    n += _delete_in_batches(
        deps,
        OutboxMessage,
        col(OutboxMessage.status).in_(("sent", "dropped")),
        col(OutboxMessage.created_at) < now - KEEP_SENT,
    )
    with deps.sessions.begin() as db:  # drafts live a day: a handful of rows
        n += voc.purge_drafts(db, now=now)
    n += _delete_in_batches(deps, Occurrence, col(Occurrence.due_at) < now - KEEP_OCCURRENCES)
    n += _delete_in_batches(deps, ReminderMute, col(ReminderMute.until).is_not(None), col(ReminderMute.until) < now)
    n += _delete_in_batches(deps, ChannelHold, col(ChannelHold.held_until) < now)
    return n


def _delete_in_batches(deps, model, *where) -> int:
    """Delete the rows of `model` matching `where`: find DELETE_BATCH keys (a read, no lock), delete those by
    key in their own transaction (the condition again, in case a row changed meanwhile), until none is left."""
    pk = list(model.__table__.primary_key.columns)
    deleted = 0
    while True:
        with deps.sessions.begin() as db:
            keys = list(db.connection().execute(sa_select(*pk).where(*where).limit(DELETE_BATCH)))
        if not keys:
            return deleted
        match = pk[0].in_([k[0] for k in keys]) if len(pk) == 1 else tuple_(*pk).in_([tuple(k) for k in keys])
        with deps.sessions.begin() as db:
            deleted += db.exec(delete(model).where(match, *where)).rowcount  # type: ignore[call-overload]
        if len(keys) < DELETE_BATCH:
            return deleted
