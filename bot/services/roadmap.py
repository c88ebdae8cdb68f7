"""Roadmap items fed by VoC: create, tag and untag notes, status changes with the ship fan-out, and the tally.

Every change that moves a tally bumps the item's `version` in the same transaction and queues one parent-message
update keyed by that version, so a retried event or a double click (which changes nothing the second time)
queues nothing more, and two concurrent changes each get their own version. Slack posts go through the outbox:

- `roadmap.parent.post`   {item_id}            key `roadmap:{item}:parent`
- `roadmap.parent.update` {item_id}            key `roadmap:{item}:v{version}`
- `roadmap.voc.post`      {link_id, item_id}   key `roadmap:link:{link}:post`
- `roadmap.voc.delete`    {channel, ts}        key `roadmap:link:{link}:delete`
- `roadmap.shipped_dm`    {item_id, user_id}   key `roadmap:{item}:shipped:{user}` (once per owner, ever)
"""

from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import delete, func, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from bot.errors import UserError
from bot.models import Customer, RoadmapItem, VocLink, VocNote
from bot.models.voc import IMPORTANCES, STATUSES
from bot.services import health, health_state, outbox, team_config
from bot.services.health_config import HealthRules
from bot.viewdata.roadmap import MAX_TITLE, Fx, ItemSummary, LinkedNote, RankedItem, Tally

RENEWAL_WINDOW = timedelta(days=90)
TOP_QUOTES = 3
OPEN = ("planned", "in_progress")


class RoadmapKind(outbox.OutboxKind):
    """The outbox messages the roadmap queues (drawn at send time by bot/renderers/roadmap.py)."""

    PARENT_POST = "roadmap.parent.post"  # the item's parent message in the roadmap channel
    PARENT_UPDATE = "roadmap.parent.update"  # one per version; the newest sent shows everything
    VOC_POST = "roadmap.voc.post"  # a tagged note's post in the item's thread
    VOC_DELETE = "roadmap.voc.delete"  # that post taken down (untagged)
    SHIPPED_DM = "roadmap.shipped_dm"  # the DM to each owner when the item ships


class RoadmapError(UserError):
    """A roadmap change that cannot be done (`roadmap.err.<code>`)."""

    prefix = "roadmap.err."


def _insert(db: Session):
    return pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert


def clean_title(title: str | None) -> str:
    """A title as stored: one line, trimmed; RoadmapError when empty or longer than MAX_TITLE."""
    text = " ".join((title or "").split())
    if not text:
        raise RoadmapError("title_required")
    if len(text) > MAX_TITLE:
        raise RoadmapError("title_too_long", max=MAX_TITLE, length=len(text))
    return text


def get_item(db: Session, team_id: str, item_id: int) -> RoadmapItem:
    item = db.get(RoadmapItem, item_id)
    if item is None or item.team_id != team_id:
        raise RoadmapError("unknown_item")
    return item


def create_item(
    db: Session,
    team_id: str,
    title: str,
    user_id: str,
    channel: str,
    *,
    now: datetime,
    description: str | None = None,
    source_key: str | None = None,
) -> tuple[RoadmapItem, bool]:
    """Create the item and queue its parent message in `channel`; an item made from the same message again
    (`source_key`) is returned as it is (created False)."""
    values = {
        "team_id": team_id,
        "title": clean_title(title),
        "description": (description or "").strip() or None,
        "status": "planned",
        "source_key": source_key[:255] if source_key else None,
        "created_by": user_id,
        "channel": channel,
        "version": 0,
        "created_at": now,
        "updated_at": now,
    }
    stmt = _insert(db)(RoadmapItem).values(**values)
    if source_key:
        stmt = stmt.on_conflict_do_nothing(index_elements=["team_id", "source_key"])
    new_id = db.exec(stmt.returning(RoadmapItem.id)).first()  # type: ignore[call-overload]
    if new_id is None:
        item = db.exec(
            select(RoadmapItem).where(RoadmapItem.team_id == team_id, RoadmapItem.source_key == source_key)
        ).one()
        return item, False
    item = db.get(RoadmapItem, new_id[0])
    outbox.enqueue(db, team_id, f"roadmap:{item.id}:parent", RoadmapKind.PARENT_POST, {"item_id": item.id}, now=now)
    return item, True


def _bump(db: Session, team_id: str, item_id: int, now: datetime) -> int:
    """New version of the item (atomic increment) and its parent-message update queued."""
    version = db.exec(
        update(RoadmapItem)  # type: ignore[call-overload]
        .where(col(RoadmapItem.id) == item_id, col(RoadmapItem.team_id) == team_id)
        .values(version=RoadmapItem.version + 1, updated_at=now)
        .returning(RoadmapItem.version)
    ).scalar_one()
    outbox.enqueue(
        db, team_id, f"roadmap:{item_id}:v{version}", RoadmapKind.PARENT_UPDATE, {"item_id": item_id}, now=now
    )
    return version


def tag(db: Session, team_id: str, voc_id: int, item_id: int, user_id: str, *, now: datetime) -> VocLink | None:
    """Tag the note to the item: the note is posted in the item's thread and the tally updated. Returns the new
    link, or None when it was already tagged (nothing changes)."""
    note = db.get(VocNote, voc_id)
    if note is None or note.team_id != team_id:
        raise RoadmapError("unknown_voc")
    item = get_item(db, team_id, item_id)
    row = db.exec(
        _insert(db)(VocLink)  # type: ignore[call-overload]
        .values(team_id=team_id, voc_id=voc_id, item_id=item_id, tagged_by=user_id, created_at=now)
        .on_conflict_do_nothing(index_elements=["voc_id", "item_id"])
        .returning(VocLink.id)
    ).first()
    if row is None:
        return None
    link = db.get(VocLink, row[0])
    # The item id lets the sender find a post whose first attempt landed unconfirmed, if the link is gone by the retry.
    params = {"link_id": link.id, "item_id": item_id}
    outbox.enqueue(db, team_id, f"roadmap:link:{link.id}:post", RoadmapKind.VOC_POST, params, now=now)
    _bump(db, team_id, item_id, now)
    if item.status == "shipped":  # already shipped: this customer's owner hears it now (once, like the others)
        customer = db.get(Customer, note.customer_id)
        owner = (customer.owner_user_id or customer.ae_user_id) if customer else None
        if owner:
            _queue_ship_dm(db, team_id, item_id, owner, now)
    return link


def untag(db: Session, team_id: str, voc_id: int, item_id: int, *, now: datetime) -> bool:
    """Remove the tag (and the note's post in the thread); False when it was not tagged."""
    row = db.exec(
        delete(VocLink)  # type: ignore[call-overload]
        .where(col(VocLink.team_id) == team_id, col(VocLink.voc_id) == voc_id, col(VocLink.item_id) == item_id)
        .returning(VocLink.id, VocLink.thread_ts)
    ).first()
    if row is None:
        return False
    link_id, thread_ts = row
    item = get_item(db, team_id, item_id)
    if thread_ts and item.channel:
        outbox.enqueue(
            db,
            team_id,
            f"roadmap:link:{link_id}:delete",
            RoadmapKind.VOC_DELETE,
            {"channel": item.channel, "ts": thread_ts},
            now=now,
        )
    # A post still queued finds its link gone and is dropped; one in flight is deleted when it lands
    # (the renderer's on_sent in bot/renderers/roadmap.py checks that the link still exists).
    _bump(db, team_id, item_id, now)
    return True


def set_status(db: Session, team_id: str, item_id: int, status: str, user_id: str, *, now: datetime) -> bool:
    """Move the item to `status`; False when it already was there. The first time an item ships, every owner
    of a customer whose VoC is tagged to it gets one DM (the AE when the customer has no owner); a customer
    tagged after the ship gets its owner's DM when tagged. Never twice per owner and item."""
    if status not in STATUSES:
        raise RoadmapError("bad_status")
    item = get_item(db, team_id, item_id)
    changed = db.exec(
        update(RoadmapItem)  # type: ignore[call-overload]
        .where(col(RoadmapItem.id) == item_id, col(RoadmapItem.status) != status)
        .values(status=status, updated_at=now)
        .returning(RoadmapItem.id)
    ).first()
    if changed is None:
        return False
    if status == "shipped" and item.shipped_at is None:
        db.exec(
            update(RoadmapItem)  # type: ignore[call-overload]
            .where(col(RoadmapItem.id) == item_id, col(RoadmapItem.shipped_at).is_(None))
            .values(shipped_at=now)
        )
        for owner in ship_recipients(db, team_id, item_id):
            _queue_ship_dm(db, team_id, item_id, owner, now)
    _bump(db, team_id, item_id, now)
    db.refresh(item)
    return True


def _queue_ship_dm(db: Session, team_id: str, item_id: int, owner: str, now: datetime) -> None:
    params = {"item_id": item_id, "user_id": owner}
    outbox.enqueue(db, team_id, f"roadmap:{item_id}:shipped:{owner}", RoadmapKind.SHIPPED_DM, params, now=now)


def ship_recipients(db: Session, team_id: str, item_id: int) -> list[str]:
    """Owners (else AEs) of the customers whose notes are tagged to the item, each once."""
    rows = db.exec(
        select(func.coalesce(Customer.owner_user_id, Customer.ae_user_id))
        .distinct()
        .select_from(VocLink)
        .join(VocNote, col(VocNote.id) == VocLink.voc_id)
        .join(Customer, col(Customer.id) == VocNote.customer_id)
        .where(VocLink.team_id == team_id, VocLink.item_id == item_id)
    )
    return sorted(u for u in rows if u)


def linked_notes(db: Session, team_id: str, item_id: int, *, customer_owner: str | None = None) -> list[LinkedNote]:
    """The notes tagged to the item with their customers, newest first (optionally one owner's customers)."""
    stmt = (
        select(
            VocNote.id,
            VocNote.quote,
            VocNote.importance,
            VocNote.category,
            Customer.id,
            Customer.name,
            Customer.arr,
            Customer.currency,
            Customer.renewal_date,
            func.coalesce(Customer.owner_user_id, Customer.ae_user_id),
            VocNote.created_at,
        )
        .select_from(VocLink)
        .join(VocNote, col(VocNote.id) == VocLink.voc_id)
        .join(Customer, col(Customer.id) == VocNote.customer_id)
        .where(VocLink.team_id == team_id, VocLink.item_id == item_id)
        .order_by(col(VocNote.created_at).desc(), col(VocNote.id).desc())
    )
    notes = [LinkedNote(*row) for row in db.exec(stmt)]
    if customer_owner is not None:
        notes = [n for n in notes if n.owner_user_id == customer_owner]
    return notes


def _importance_rank(importance: str) -> int:
    return IMPORTANCES.index(importance) if importance in IMPORTANCES else 0


def tally(db: Session, team_id: str, item_id: int, today: date, rules: HealthRules) -> Tally:
    """The item's live tally (what its parent message shows)."""
    notes = linked_notes(db, team_id, item_id)
    customers: dict[int, LinkedNote] = {}
    for n in notes:
        customers.setdefault(n.customer_id, n)
    arr: dict[str, Decimal] = defaultdict(Decimal)
    for c in customers.values():
        if c.arr is not None:
            arr[c.currency or ""] += c.arr
    renewing = sum(
        1 for c in customers.values() if c.renewal_date and today <= c.renewal_date <= today + RENEWAL_WINDOW
    )
    bands = health_state.current_scores(db, team_id, customers, today, rules)
    at_risk = sum(1 for _s, band in bands.values() if band == health.AT_RISK)
    unhealthy = sum(1 for _s, band in bands.values() if band == health.UNHEALTHY)
    top = sorted(
        notes,
        key=lambda n: (-_importance_rank(n.importance), -(n.arr or 0), -n.created_at.timestamp(), -n.voc_id),
    )[:TOP_QUOTES]
    return Tally(
        notes=len(notes),
        customers=len(customers),
        arr=tuple(sorted(arr.items(), key=lambda kv: (-kv[1], kv[0]))),
        renewing=renewing,
        at_risk=at_risk,
        unhealthy=unhealthy,
        top=tuple(top),
        fx=team_config.fx_rates(db, team_id),
    )


def ranked_items(
    db: Session, team_id: str, default_currency: str, *, statuses: tuple[str, ...] = OPEN
) -> list[RankedItem]:
    """Items by ARR weight: the ARR of distinct customers asking for each, in the default currency (with the
    team's fx.rates, in their main currency, each currency they have a rate for converted), then the number of
    customers, then the newest first."""
    items = list(
        db.exec(select(RoadmapItem).where(RoadmapItem.team_id == team_id, col(RoadmapItem.status).in_(statuses)))
    )
    if not items:
        return []
    pairs = (
        select(VocLink.item_id.label("item_id"), VocNote.customer_id.label("customer_id"))  # type: ignore[attr-defined]
        .join(VocNote, col(VocNote.id) == VocLink.voc_id)
        .where(VocLink.team_id == team_id, col(VocLink.item_id).in_([i.id for i in items]))
        .distinct()
        .subquery()
    )
    rows = db.exec(
        select(pairs.c.item_id, Customer.currency, func.count(), func.sum(Customer.arr))
        .join(Customer, col(Customer.id) == pairs.c.customer_id)
        .group_by(pairs.c.item_id, Customer.currency)
    )
    per_item: dict[int, dict[str, Decimal]] = defaultdict(dict)
    counts: dict[int, int] = defaultdict(int)
    for item_id, currency, count, total in rows:
        counts[item_id] += count
        if total is not None:
            per_item[item_id][currency or ""] = Decimal(total)
    fx = team_config.fx_rates(db, team_id)
    ranked = [
        RankedItem(
            ItemSummary(item.id, item.title, item.status, item.channel, item.ts, item.created_at),
            counts[item.id],
            tuple(sorted(per_item[item.id].items(), key=lambda kv: (-kv[1], kv[0]))),
            _weight(per_item[item.id], default_currency, fx),
            fx,
        )
        for item in items
    ]
    ranked.sort(key=lambda r: (-r.weight, -r.customers, -r.item.created_at.timestamp(), -r.item.id))
    return ranked


def _weight(arr: dict[str, Decimal], default_currency: str, fx: Fx | None) -> Decimal:
    """What an item's ARR weighs: the default currency's; with rates, every currency they cover, converted into
    their main currency (one without a rate counts for nothing, as before)."""
    if fx is None:
        return arr.get(default_currency, Decimal(0))
    base, pairs = fx
    rates = {code: Decimal(rate) for code, rate in pairs} | {base: Decimal(1)}
    return sum((amount * rates[code] for code, amount in arr.items() if code in rates), Decimal(0))


def open_items(db: Session, team_id: str, limit: int = 100) -> list[RoadmapItem]:
    """Items a note can be tagged to (planned or in progress), newest first; at most `limit` (a select's cap)."""
    return list(
        db.exec(
            select(RoadmapItem)
            .where(RoadmapItem.team_id == team_id, col(RoadmapItem.status).in_(OPEN))
            .order_by(col(RoadmapItem.created_at).desc(), col(RoadmapItem.id).desc())
            .limit(limit)
        )
    )


def item_for_thread(db: Session, team_id: str, channel: str, thread_ts: str) -> RoadmapItem | None:
    """The item whose parent message starts this thread, if any."""
    return db.exec(
        select(RoadmapItem).where(
            RoadmapItem.team_id == team_id, RoadmapItem.channel == channel, RoadmapItem.ts == thread_ts
        )
    ).first()
