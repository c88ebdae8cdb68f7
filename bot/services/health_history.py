"""Loading a team's health snapshots as in-memory histories ({signal: [Point, ...]}) for the health maths."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import bindparam, func, or_, tuple_
from sqlalchemy import select as sa_select
from sqlmodel import Session

from bot.models import HealthSnapshot

CHUNK = 100  # customers per query when scoring many: bounds memory (~0.4k points each) and IN lists


@dataclass(frozen=True)
class Point:
    """One signal value as of a day."""

    as_of: date
    value: float


History = Mapping[str, Sequence[Point]]


def chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for i in range(0, len(ids), CHUNK):
        yield ids[i : i + CHUNK]


def _history_statement():
    """Built once: statement construction costs more than the query itself on a card's path."""
    snap = HealthSnapshot.__table__
    older = snap.alias("older")
    team, ids, since = bindparam("team_id"), bindparam("ids", expanding=True), bindparam("since")
    carried = (
        sa_select(older.c.customer_id, older.c.signal, func.max(older.c.as_of))
        .where(older.c.team_id == team, older.c.customer_id.in_(ids), older.c.as_of < since)
        .group_by(older.c.customer_id, older.c.signal)
    )
    return (
        sa_select(snap.c.customer_id, snap.c.signal, snap.c.as_of, snap.c.value)
        .where(snap.c.team_id == team, snap.c.customer_id.in_(ids))
        .where(or_(snap.c.as_of >= since, tuple_(snap.c.customer_id, snap.c.signal, snap.c.as_of).in_(carried)))
        .order_by(snap.c.customer_id, snap.c.signal, snap.c.as_of, snap.c.id)
    )


_HISTORY = _history_statement()


def load_histories(
    db: Session, team_id: str, customer_ids: Sequence[int], since: date
) -> dict[int, dict[str, list[Point]]]:
    """Snapshots on or after `since`, plus each signal's last value before it (the value in force on `since`),
    per customer and signal, ordered by day then insertion; one query per 500 customers."""
    out: dict[int, dict[str, list[Point]]] = {cid: {} for cid in customer_ids}
    conn = db.connection()
    for ids in chunks(customer_ids):
        rows = conn.execute(_HISTORY, {"team_id": team_id, "ids": list(ids), "since": since}).all()
        for customer_id, signal, as_of, value in rows:
            out[customer_id].setdefault(signal, []).append(Point(as_of, value))
    return out


def load_history(db: Session, team_id: str, customer_id: int, since: date) -> dict[str, list[Point]]:
    """One customer's points by signal, oldest first: every snapshot on or after `since` plus each signal's
    last value before it (so a value still in force on `since` is not lost). One team-scoped query."""
    return load_histories(db, team_id, [customer_id], since)[customer_id]
