"""One customer's whole picture for the card (account, health, handoff summary, promises) and the CSM's rating.

Reads a handful of rows per card: the customer, its latest submitted or accepted handoff, its open promises
(counted in SQL, at most MAX_PROMISES rows read) and its recent health snapshots (one query in
`health.customer_health`). No Slack here; the builders in `bot/blocks/customer.py` draw it.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import bindparam, case, func
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from bot.errors import UserError
from bot.models import ACCEPTED, SUBMITTED, Customer, Handoff, HealthSnapshot, Promise
from bot.services import health_state, outbox, touches, voc
from bot.services.health_config import HealthRules
from bot.viewdata.customer import (
    NOTE_MAX,
    RATING_MAX,
    RATING_MIN,
    CsmRating,
    CustomerStatus,
    HandoffSummary,
    PromiseItem,
    VocNote,
)

log = logging.getLogger("baton.customer")

MAX_PROMISES = 20  # read per card (the card shows fewer); the totals are counted in SQL
RATING_SIGNAL, RATING_SOURCE = "csm_rating", "slack"
RATING_CHUNK = 500


class CustomerKind(outbox.OutboxKind):
    """The outbox messages the customer feature queues (drawn at send time by bot/renderers/customer.py)."""

    SHARE = "customer.share"


class CustomerNotFound(UserError, LookupError):
    """No such customer in this team (deleted, or an id from another workspace): `customer.gone`."""

    prefix = "customer."

    def __init__(self, customer_id: int | None = None):
        super().__init__("gone")
        self.customer_id = customer_id


def get_customer(db: Session, team_id: str, customer_id: int) -> Customer:
    """The team's customer, or CustomerNotFound (also for another team's id)."""
    customer = db.get(Customer, customer_id)
    if customer is None or customer.team_id != team_id:
        raise CustomerNotFound(customer_id)
    return customer


def share_card(
    db: Session, team_id: str, customer_id: int, channel: str, user_id: str, action_ts: str, *, now: datetime
) -> bool:
    """Queue the card for everyone in `channel`, once per click (a click delivered twice has the same
    action_ts); CustomerNotFound when the customer is gone. True when newly queued."""
    get_customer(db, team_id, customer_id)
    key = f"customer.share:{channel}:{customer_id}:{user_id}:{action_ts}"
    params = {"customer_id": customer_id, "channel": channel, "user": user_id}
    return outbox.enqueue(db, team_id, key, CustomerKind.SHARE, params, now=now)


def latest_handoff(db: Session, team_id: str, customer_id: int) -> Handoff | None:
    """The customer's most recent submitted or accepted handoff (drafts are not shown)."""
    return db.exec(
        select(Handoff)
        .where(Handoff.team_id == team_id, Handoff.customer_id == customer_id)
        .where(col(Handoff.status).in_((SUBMITTED, ACCEPTED)))
        .order_by(col(Handoff.submitted_at).desc(), col(Handoff.id).desc())
    ).first()


def latest_voc(db: Session, team_id: str, customer_id: int, limit: int = 3) -> tuple[VocNote, ...]:
    """The customer's latest VoC notes, newest first, with the roadmap items each is tagged to (two queries,
    one when there are none)."""
    return tuple(voc_note(row) for row in voc.latest_for_customer(db, team_id, customer_id, limit))


def voc_note(row: "voc.NoteWithItems | voc.NoteRow") -> VocNote:
    """A stored note with its roadmap items, as the builders draw it."""
    return VocNote(
        text=row.note.quote,
        source=row.note.source_kind,
        heard_on=row.note.created_at.date(),
        voc_id=row.note.id,
        category=row.note.category,
        importance=row.note.importance,
        items=tuple((title, status) for _id, title, status in row.items),
    )


def _promise_statements():
    """Built once (a card's path is hot: building statements costs more than running them)."""
    p = Promise.__table__
    team, customer, today = bindparam("team_id"), bindparam("customer_id"), bindparam("today")
    where = (p.c.team_id == team, p.c.customer_id == customer, p.c.status == "open")
    overdue = case((p.c.due_date < today, 1), else_=0)
    counts = sa_select(func.count(), func.coalesce(func.sum(overdue), 0)).where(*where)
    rows = (
        sa_select(p.c.text, p.c.owner_user_id, p.c.owner_name, p.c.due_date, p.c.id)
        .where(*where)
        .order_by(p.c.due_date.is_(None), p.c.due_date, p.c.id)  # dated first
        .limit(MAX_PROMISES)
    )
    return counts, rows


_PROMISE_COUNTS, _PROMISE_ROWS = _promise_statements()


def _open_promises(db: Session, team_id: str, customer_id: int, today: date) -> tuple[list[PromiseItem], int, int]:
    conn = db.connection()
    params = {"team_id": team_id, "customer_id": customer_id, "today": today}
    total, late = conn.execute(_PROMISE_COUNTS, params).one()
    items = [
        PromiseItem(text, owner, owner_name, due, due is not None and due < today, pid)
        for text, owner, owner_name, due, pid in conn.execute(_PROMISE_ROWS, params).all()
    ]
    return items, int(total), int(late)


def _handoff_statement():
    h = Handoff.__table__
    return (
        sa_select(h.c.id, h.c.status, h.c.why_bought, h.c.business_goals, h.c.success_criteria)
        .where(h.c.team_id == bindparam("team_id"), h.c.customer_id == bindparam("customer_id"))
        .where(h.c.status.in_((SUBMITTED, ACCEPTED)))
        .order_by(h.c.submitted_at.desc(), h.c.id.desc())
        .limit(1)
    )


_HANDOFF_SUMMARY = _handoff_statement()


def handoff_summary(db: Session, team_id: str, customer_id: int) -> "HandoffSummary | None":
    """What the card shows of the latest submitted or accepted handoff (same choice as `latest_handoff`)."""
    row = db.connection().execute(_HANDOFF_SUMMARY, {"team_id": team_id, "customer_id": customer_id}).first()
    return HandoffSummary(*row) if row else None


def customer_status(db: Session, team_id: str, customer_id: int, today: date, rules: HealthRules) -> CustomerStatus:
    """Everything the customer card shows; raises CustomerNotFound. A failing health computation leaves
    `health` None (logged) rather than losing the rest of the card."""
    customer = get_customer(db, team_id, customer_id)
    config = rules.for_customer(team_id, customer.segment)
    try:
        picture = health_state.customer_health(db, team_id, customer, today, config)
    except Exception:
        log.exception("health of customer %s could not be computed", customer_id)
        picture = None
    promises, total, late = _open_promises(db, team_id, customer_id, today)
    return CustomerStatus(
        customer_id=customer_id,
        name=customer.name,
        stage=customer.stage,
        segment=customer.segment,
        owner_user_id=customer.owner_user_id,
        owner_email=customer.owner_email,
        ae_user_id=customer.ae_user_id,
        ae_email=customer.ae_email,
        arr=customer.arr,
        currency=customer.currency,
        renewal_date=customer.renewal_date,
        days_to_renewal=(customer.renewal_date - today).days if customer.renewal_date else None,
        health=picture,
        handoff=handoff_summary(db, team_id, customer_id),
        promises=tuple(promises),
        open_promises=total,
        overdue_promises=late,
        voc=latest_voc(db, team_id, customer_id),
        redact=config.redact,
        today=today,
        rating=latest_rating(db, team_id, customer_id, picture.freshness.get(RATING_SIGNAL) if picture else None),
        crm_source=customer.crm_source,
        crm_id=customer.crm_company_id,
        touches=touches.recent(db, team_id, customer_id),
    )


# --- the CSM's own rating -------------------------------------------------------------------------------


def latest_rating(db: Session, team_id: str, customer_id: int, day: date | None) -> CsmRating | None:
    """The CSM's rating of `day` (the health picture's latest `csm_rating`; None: there is none), with its note:
    one seek of the snapshots' (team, customer, day, signal) key."""
    if day is None:
        return None
    row = db.exec(
        select(HealthSnapshot.value, HealthSnapshot.note, HealthSnapshot.recorded_by, HealthSnapshot.as_of)
        .where(
            HealthSnapshot.team_id == team_id,
            HealthSnapshot.customer_id == customer_id,
            HealthSnapshot.as_of == day,
            HealthSnapshot.signal == RATING_SIGNAL,
        )
        .order_by(col(HealthSnapshot.note).is_(None), col(HealthSnapshot.id).desc())  # the one with a note first
        .limit(1)
    ).first()
    if row is None:
        return None
    value, note, by, as_of = row
    return CsmRating(int(round(value)), note, by, as_of)


def log_touch(
    db: Session, team_id: str, customer_id: int, touch: touches.TouchInput, user_id: str, *, idem: str, now: datetime
) -> str:
    """Log a touch on the card: stored once per `idem` (the modal's view id); returns the customer's name.
    Raises CustomerNotFound for a customer not in this team (deleted, or another workspace's id)."""
    customer = get_customer(db, team_id, customer_id)
    touches.store(db, team_id, customer_id, touch, user_id, idem=idem, now=now)
    return customer.name


RATING_LOOKBACK_DAYS = 180  # a renewal DM shows the CSM's latest rating of the last half year, with its date


def latest_ratings(
    db: Session, team_id: str, customer_ids: Sequence[int], today: date, *, days: int = RATING_LOOKBACK_DAYS
) -> dict[int, CsmRating]:
    """Each customer's latest CSM rating within `days` (the one with a note first on its day), for many
    customers at once: one ranged read of the snapshots' (team, customer, day, signal) key per CHUNK ids."""
    hs = HealthSnapshot.__table__
    out: dict[int, CsmRating] = {}
    ids = sorted(set(customer_ids))
    for i in range(0, len(ids), RATING_CHUNK):
        stmt = (
            sa_select(hs.c.customer_id, hs.c.value, hs.c.note, hs.c.recorded_by, hs.c.as_of)
            .where(
                hs.c.team_id == team_id,
                hs.c.customer_id.in_(ids[i : i + RATING_CHUNK]),
                hs.c.as_of > today - timedelta(days=days),
                hs.c.as_of <= today,
                hs.c.signal == RATING_SIGNAL,
            )
            .order_by(hs.c.as_of.desc(), hs.c.note.is_(None), hs.c.id.desc())
        )
        for cid, value, note, by, as_of in db.connection().execute(stmt):
            if cid not in out:
                out[cid] = CsmRating(int(round(value)), note, by, as_of)
    return out


@dataclass(frozen=True)
class RatingInput:
    rating: int
    note: str | None


def validate_rating(rating: str | None, note: str | None) -> tuple[RatingInput | None, dict[str, tuple[str, dict]]]:
    """Check the Update health form server-side: (input, {}) or (None, {field: (error code, params)})."""
    errors: dict[str, tuple[str, dict]] = {}
    value: int | None = None
    raw = (rating or "").strip()
    if not raw:
        errors["rating"] = ("rating_required", {})
    elif not raw.isascii() or not raw.isdigit() or not RATING_MIN <= int(raw) <= RATING_MAX:
        errors["rating"] = ("rating_range", {"min": RATING_MIN, "max": RATING_MAX})
    else:
        value = int(raw)
    text = (note or "").strip() or None
    if text is not None and len(text) > NOTE_MAX:
        errors["note"] = ("note_too_long", {"max": NOTE_MAX, "length": len(text)})
    if errors or value is None:
        return None, errors
    return RatingInput(value, text), {}


def record_csm_rating(
    db: Session,
    team_id: str,
    customer_id: int,
    rating: RatingInput,
    user_id: str,
    today: date,
    now: datetime,
    rules: HealthRules,
) -> None:
    """Store the rating as today's `csm_rating` snapshot from Slack, one row per customer and day (a later
    rating the same day replaces the earlier one, so a submission repeated by Slack stores one row), then
    refresh the customer's daily score."""
    customer = get_customer(db, team_id, customer_id)
    values = {
        "team_id": team_id,
        "customer_id": customer_id,
        "signal": RATING_SIGNAL,
        "as_of": today,
        "source": RATING_SOURCE,
        "value": float(rating.rating),
        "note": rating.note,
        "recorded_by": user_id,
        "created_at": now,
    }
    insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(HealthSnapshot).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=["team_id", "customer_id", "signal", "as_of", "source"],
        set_={"value": stmt.excluded.value, "note": stmt.excluded.note, "recorded_by": stmt.excluded.recorded_by},
    )
    db.exec(stmt)  # type: ignore[call-overload]
    health_state.refresh(db, team_id, {customer_id: today}, today, rules, now=now)
    log.info("csm rating %s for customer %s by %s", rating.rating, customer.id, user_id)
