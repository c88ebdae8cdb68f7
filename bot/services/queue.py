"""Claiming due rows (outbox, inbox) so that several processes never work on the same row at once."""

from datetime import datetime, timedelta

from sqlalchemy import case, or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from bot.models import ChannelHold, OutboxMessage, WebhookEvent

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


def hold_channel(db: Session, team_id: str, channel: str, until: datetime) -> None:
    """Hold `channel` until `until` (a 429's Retry-After) for every process; an existing longer hold stays."""
    insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(ChannelHold).values(team_id=team_id, channel=channel, held_until=until)
    later = case(
        (stmt.excluded.held_until > ChannelHold.held_until, stmt.excluded.held_until), else_=ChannelHold.held_until
    )
    db.exec(stmt.on_conflict_do_update(index_elements=["team_id", "channel"], set_={"held_until": later}))  # type: ignore[call-overload]


def held_until(db: Session, team_id: str, channel: str, now: datetime) -> datetime | None:
    """When the hold on `channel` ends, if one is still running at `now`."""
    until = db.exec(
        select(ChannelHold.held_until).where(ChannelHold.team_id == team_id, ChannelHold.channel == channel)
    ).first()
    return until if until is not None and until > now else None
