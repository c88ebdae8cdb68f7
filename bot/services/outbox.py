"""Recording Slack posts that matter before they are sent (bot/outbox.py sends them, bot/renderers/ draws them)."""

import json
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from bot.models import OutboxMessage


class OutboxKind(StrEnum):
    """Base of every feature's message kinds (e.g. bot/services/handoff.py `HandoffKind`): each member's value is
    the `method` stored in the outbox row, and names exactly one renderer in bot/renderers/."""


def enqueue(
    db: Session,
    team_id: str,
    idem_key: str,
    kind: str,
    params: dict[str, Any],
    *,
    now: datetime,
    not_before: datetime | None = None,
) -> bool:
    """Record a message to send once; a second call with the same key is a no-op. Returns True if new.

    `kind` (an `OutboxKind` member) names a renderer in bot/renderers/; `params` are what it needs (ids, not
    blocks), so the message is drawn from the latest data when it is actually sent; not before `not_before` when
    given (a debounce: changes until then are drawn by the one send).
    """
    return enqueue_many(db, team_id, kind, [(idem_key, params)], now=now, not_before=not_before) == 1


def enqueue_many(
    db: Session,
    team_id: str,
    kind: str,
    messages: list[tuple[str, dict[str, Any]]],
    *,
    now: datetime,
    not_before: datetime | None = None,
) -> int:
    """Record many messages of one kind, each (idem_key, params), in one executemany; a key recorded before
    is left alone, as with `enqueue`. Returns how many were new."""
    rows = [
        {
            "team_id": team_id,
            "idem_key": key[:255],
            "method": str(kind),
            "payload": json.dumps(params, sort_keys=True, default=str),
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": max(now, not_before) if not_before else now,
            "created_at": now,
        }
        for key, params in messages
    ]
    if not rows:
        return 0
    insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(OutboxMessage).on_conflict_do_nothing(index_elements=["team_id", "idem_key"]).returning(OutboxMessage.id)
    )
    # One executemany (sent as multi-row inserts, "insertmanyvalues"); RETURNING, not rowcount: psycopg reports
    # -1 for INSERT .. ON CONFLICT through SQLAlchemy.
    return len(db.connection().execute(stmt, rows).all())
