"""Touches: the calls, meetings, emails and notes a CSM logs from the customer card (**Log a touch**).

A touch is what a CSM did with the customer and when; the card lists the latest ones and the weekly digest
says, for each customer at risk, how long ago the last one was, so a team lead sees which accounts nobody has
spoken to. One row per submitted form: the idempotency key is the modal's view id, so Slack delivering the same
submission twice stores it once. No Slack here; bot/services/customer.py reads and records through it for
the card, bot/services/digest.py for the digest.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from bot.models import Touch
from bot.viewdata.customer import TOUCH_KINDS, TOUCH_NOTE_MAX, TouchItem

log = logging.getLogger("baton.touches")

MAX_ON_CARD = 3
BACKDATE_DAYS = 90  # a touch can be logged up to this many days after it happened
CHUNK = 500


@dataclass(frozen=True)
class TouchInput:
    kind: str
    note: str
    on: date


def validate(
    kind: str | None, note: str | None, on: str | None, today: date
) -> tuple[TouchInput | None, dict[str, tuple[str, dict]]]:
    """Check the Log a touch form server-side: (input, {}) or (None, {field: (error code, params)}).
    Fields: kind, note, date."""
    errors: dict[str, tuple[str, dict]] = {}
    kind = (kind or "").strip()
    if kind not in TOUCH_KINDS:
        errors["kind"] = ("touch_kind", {})
    text = (note or "").strip()
    if not text:
        errors["note"] = ("touch_note_required", {})
    elif len(text) > TOUCH_NOTE_MAX:
        errors["note"] = ("note_too_long", {"max": TOUCH_NOTE_MAX, "length": len(text)})
    day: date | None = today
    if on:
        try:
            day = date.fromisoformat(on)
        except ValueError:
            day = None
            errors["date"] = ("touch_date", {})
    if day is not None and day > today:
        errors["date"] = ("touch_future", {})
    elif day is not None and day < today - timedelta(days=BACKDATE_DAYS):
        errors["date"] = ("touch_too_old", {"days": BACKDATE_DAYS})
    if errors or day is None:
        return None, errors
    return TouchInput(kind, text, day), {}


def store(
    db: Session, team_id: str, customer_id: int, touch: TouchInput, user_id: str, *, idem: str, now: datetime
) -> bool:
    """Store the touch once per `idem` (True: stored now; False: this submission was already stored). The
    caller has checked the customer is this team's (bot/services/customer.py `log_touch`)."""
    values = {
        "team_id": team_id,
        "customer_id": customer_id,
        "kind": touch.kind,
        "note": touch.note,
        "touched_on": touch.on,
        "created_by": user_id,
        "idem_key": idem[:64],
        "created_at": now,
    }
    insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    table = Touch.__table__
    stmt = insert(table).values(**values).on_conflict_do_nothing(index_elements=["team_id", "idem_key"])
    stored = db.connection().execute(stmt.returning(table.c.id)).first() is not None  # rowcount: -1 on psycopg
    if stored:
        log.info("touch (%s) for customer %s by %s", touch.kind, customer_id, user_id)
    return stored


def recent(db: Session, team_id: str, customer_id: int, limit: int = MAX_ON_CARD) -> tuple[TouchItem, ...]:
    """The customer's latest touches, newest first (by the day they happened, then as logged)."""
    t = Touch.__table__
    stmt = (
        sa_select(t.c.kind, t.c.note, t.c.created_by, t.c.touched_on)
        .where(t.c.team_id == team_id, t.c.customer_id == customer_id)
        .order_by(t.c.touched_on.desc(), t.c.id.desc())
        .limit(limit)
    )
    return tuple(TouchItem(kind, note, by, on) for kind, note, by, on in db.connection().execute(stmt))


def last_touched(db: Session, team_id: str, customer_ids: Sequence[int]) -> dict[int, date]:
    """Each customer's latest touch day (customers without one are absent): one grouped read of the
    (team, customer, day) index per CHUNK ids."""
    t = Touch.__table__
    ids = sorted(set(customer_ids))
    out: dict[int, date] = {}
    for i in range(0, len(ids), CHUNK):
        stmt = (
            sa_select(t.c.customer_id, func.max(t.c.touched_on))
            .where(t.c.team_id == team_id, t.c.customer_id.in_(ids[i : i + CHUNK]))
            .group_by(t.c.customer_id)
        )
        out.update((cid, day) for cid, day in db.connection().execute(stmt))
    return out


def any_logged(db: Session, team_id: str) -> bool:
    """Whether this team logs touches at all (the digest says "no touch logged" only then)."""
    t = Touch.__table__
    return db.connection().execute(sa_select(t.c.id).where(t.c.team_id == team_id).limit(1)).first() is not None
