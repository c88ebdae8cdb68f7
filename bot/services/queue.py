"""Claiming due rows (outbox, inbox) so that several processes never work on the same row at once."""

from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from bot.models import OutboxMessage, WebhookEvent

Row = type[OutboxMessage] | type[WebhookEvent]
ACTIVE = ("pending", "sending")


def due_ids(db: Session, model: Row, now: datetime, limit: int = 50) -> list[int]:
    """Ids of rows that are due and not leased by another worker, oldest first."""
    stmt = (
        select(model.id)
        .where(col(model.status).in_(ACTIVE), col(model.next_attempt_at) <= now)
        .where(or_(col(model.lease_until).is_(None), col(model.lease_until) < now))
        .order_by(col(model.id))
        .limit(limit)
    )
    return list(db.exec(stmt))


def claim(db: Session, model: Row, row_id: int, now: datetime, lease: timedelta) -> bool:
    """Atomically lease one row for `lease`; False when another worker got it first."""
    result = db.exec(  # type: ignore[call-overload]
        update(model)
        .where(col(model.id) == row_id, col(model.status).in_(ACTIVE), col(model.next_attempt_at) <= now)
        .where(or_(col(model.lease_until).is_(None), col(model.lease_until) < now))
        .values(lease_until=now + lease, attempts=model.attempts + 1)
    )
    return result.rowcount == 1


def backoff(attempts: int, *, base: float = 2.0, cap: float = 300.0) -> timedelta:
    """Exponential backoff for the n-th failed attempt (1 -> 2 s, 2 -> 4 s ... capped)."""
    return timedelta(seconds=min(cap, base ** max(1, attempts)))
