"""Voice of the customer: capture (one note per source, every reporter kept), drafts, and reading notes back.

A note's identity is its `source_key`: a Slack message logged for a customer is `msg:{channel}:{ts}:{customer}`,
typed text is `text:{customer}:{hash of the normalised quote}`, a handoff's feature request is
`handoff:{handoff}:{hash}`. Logging the same thing again adds the reporter to the existing note and changes
nothing else, so retries, double clicks and two people logging one message never make two notes.
"""

import hashlib
import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import delete, func, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from bot.errors import UserError
from bot.models import Customer, Handoff, RoadmapItem, VocDraft, VocLink, VocNote, VocReporter
from bot.models.voc import CATEGORIES, IMPORTANCES
from bot.services import roadmap
from bot.text import clean_quote
from bot.viewdata.voc import DEFAULT_CATEGORY, DEFAULT_IMPORTANCE, MAX_AREA, MAX_QUOTE

DRAFT_TTL = timedelta(days=1)
SOURCE_KINDS = ("message", "command", "modal", "handoff")


class VocError(UserError):
    """A capture that cannot be done (`voc.err.<code>`)."""

    prefix = "voc.err."


@dataclass(frozen=True)
class VocInput:
    """A checked capture, ready to store."""

    customer_id: int
    quote: str
    category: str = DEFAULT_CATEGORY
    importance: str = DEFAULT_IMPORTANCE
    product_area: str | None = None
    source_kind: str = "modal"
    source_channel: str | None = None
    source_ts: str | None = None
    source_author_id: str | None = None
    permalink: str | None = None


@dataclass(frozen=True)
class Logged:
    note: VocNote
    created: bool  # False: the note existed; the reporter was added to it
    reporters: tuple[str, ...]


def validate(
    customer_id: str | int | None,
    quote: str | None,
    category: str | None,
    importance: str | None,
    product_area: str | None,
) -> tuple[dict, dict[str, tuple[str, dict]]]:
    """Check a capture form: ({field: value}, {}) or ({}, {field: (error code, params)}); codes are i18n keys."""
    errors: dict[str, tuple[str, dict]] = {}
    cid: int | None = None
    if customer_id in (None, ""):
        errors["customer"] = ("customer_required", {})
    else:
        try:
            cid = int(customer_id)
        except (TypeError, ValueError):
            errors["customer"] = ("customer_required", {})
    text = clean_quote(quote)
    if not text:
        errors["quote"] = ("quote_required", {})
    elif len(text) > MAX_QUOTE:
        errors["quote"] = ("quote_too_long", {"max": MAX_QUOTE, "length": len(text)})
    cat = (category or DEFAULT_CATEGORY).strip()
    if cat not in CATEGORIES:
        errors["category"] = ("bad_category", {})
    imp = (importance or DEFAULT_IMPORTANCE).strip()
    if imp not in IMPORTANCES:
        errors["importance"] = ("bad_importance", {})
    area = (product_area or "").strip() or None
    if area is not None and len(area) > MAX_AREA:
        errors["product_area"] = ("area_too_long", {"max": MAX_AREA, "length": len(area)})
    if errors:
        return {}, errors
    return {"customer_id": cid, "quote": text, "category": cat, "importance": imp, "product_area": area}, {}


def _digest(text: str) -> str:
    folded = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip().casefold()
    return hashlib.sha256(folded.encode()).hexdigest()[:24]


def source_key(inp: VocInput, *, handoff_id: int | None = None) -> str:
    """What makes two captures the same note (see the module docstring)."""
    if inp.source_channel and inp.source_ts:
        return f"msg:{inp.source_channel}:{inp.source_ts}:{inp.customer_id}"
    if handoff_id is not None:
        return f"handoff:{handoff_id}:{_digest(inp.quote)}"
    return f"text:{inp.customer_id}:{_digest(inp.quote)}"


def _insert(db: Session):
    return pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert


def log_voc(
    db: Session, team_id: str, inp: VocInput, user_id: str, *, now: datetime, handoff_id: int | None = None
) -> Logged:
    """Store the note once and add `user_id` to its reporters. VocError("unknown_customer") when the customer
    is not this team's."""
    customer = db.get(Customer, inp.customer_id)
    if customer is None or customer.team_id != team_id:
        raise VocError("unknown_customer")
    if inp.source_kind not in SOURCE_KINDS:
        raise ValueError(f"unknown source kind {inp.source_kind!r}")
    key = source_key(inp, handoff_id=handoff_id)
    insert = _insert(db)
    stmt = (
        insert(VocNote)
        .values(
            team_id=team_id,
            customer_id=inp.customer_id,
            quote=inp.quote[:MAX_QUOTE],
            category=inp.category,
            importance=inp.importance,
            product_area=inp.product_area,
            source_kind=inp.source_kind,
            source_key=key[:255],
            source_channel=inp.source_channel,
            source_ts=inp.source_ts,
            source_author_id=inp.source_author_id,
            permalink=inp.permalink,
            created_by=user_id,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["team_id", "source_key"])
        .returning(VocNote.id)
    )
    new_id = db.exec(stmt).first()  # type: ignore[call-overload]
    created = new_id is not None
    note = db.exec(select(VocNote).where(VocNote.team_id == team_id, VocNote.source_key == key[:255])).one()
    if not created and inp.permalink and not note.permalink:
        set_permalink(db, team_id, note.id, inp.permalink)
    db.exec(
        insert(VocReporter)  # type: ignore[call-overload]
        .values(voc_id=note.id, user_id=user_id, team_id=team_id, created_at=now)
        .on_conflict_do_nothing(index_elements=["voc_id", "user_id"])
    )
    return Logged(note, created, reporters(db, team_id, note.id))


def set_permalink(db: Session, team_id: str, voc_id: int, permalink: str) -> None:
    """Give the note its source's link, fetched after it was stored; a link it already has is kept."""
    db.exec(
        update(VocNote)  # type: ignore[call-overload]
        .where(col(VocNote.id) == voc_id, col(VocNote.team_id) == team_id, col(VocNote.permalink).is_(None))
        .values(permalink=permalink[:500])
    )


def edit_note(
    db: Session,
    team_id: str,
    voc_id: int,
    user_id: str,
    *,
    quote: str | None,
    category: str,
    importance: str,
    product_area: str | None,
    now: datetime,
) -> VocNote:
    """The first reporter's Edit: the quote (None keeps it), category, importance and product area, checked by
    `validate` before. The customer, the source and the identity (`source_key`) stay: logging the original text
    again still joins this note. VocError("note_gone") for a note that is not the team's, VocError("not_yours",
    user=...) for anyone but the one who logged it. The row is locked while it is changed."""
    note = db.exec(select(VocNote).where(VocNote.id == voc_id, VocNote.team_id == team_id).with_for_update()).first()
    if note is None:
        raise VocError("note_gone")
    if note.created_by != user_id:
        raise VocError("not_yours", user=f"<@{note.created_by}>")
    if quote is not None:
        note.quote = quote[:MAX_QUOTE]
    note.category, note.importance, note.product_area = category, importance, product_area
    note.updated_at = now
    db.add(note)
    db.flush()
    return note


def reporters(db: Session, team_id: str, voc_id: int) -> tuple[str, ...]:
    """Who logged the note, first reporter first."""
    rows = db.exec(
        select(VocReporter.user_id)
        .where(VocReporter.team_id == team_id, VocReporter.voc_id == voc_id)
        .order_by(col(VocReporter.created_at), col(VocReporter.user_id))
    )
    return tuple(rows)


def get_note(db: Session, team_id: str, voc_id: int) -> VocNote | None:
    """The team's note, or None (also for another team's id)."""
    note = db.get(VocNote, voc_id)
    return note if note is not None and note.team_id == team_id else None


def notes_for_message(db: Session, team_id: str, channel: str, ts: str) -> list[VocNote]:
    """Notes logged from one Slack message (one per customer)."""
    return list(
        db.exec(
            select(VocNote)
            .where(VocNote.team_id == team_id, VocNote.source_channel == channel, VocNote.source_ts == ts)
            .order_by(col(VocNote.id))
        )
    )


@dataclass(frozen=True)
class NoteWithItems:
    note: VocNote
    items: tuple[tuple[int, str, str], ...]  # (item id, title, status) of the roadmap items it is tagged to


def latest_for_customer(db: Session, team_id: str, customer_id: int, limit: int = 3) -> list[NoteWithItems]:
    """The customer's newest notes with their roadmap items (two queries)."""
    notes = list(
        db.exec(
            select(VocNote)
            .where(VocNote.team_id == team_id, VocNote.customer_id == customer_id)
            .order_by(col(VocNote.created_at).desc(), col(VocNote.id).desc())
            .limit(limit)
        )
    )
    items = _items_of(db, team_id, [n.id for n in notes])
    return [NoteWithItems(n, items[n.id]) for n in notes]


def _items_of(db: Session, team_id: str, voc_ids: list[int]) -> dict[int, tuple[tuple[int, str, str], ...]]:
    """{note id: its roadmap items (id, title, status)} in one query (none when `voc_ids` is empty)."""
    items: dict[int, list[tuple[int, str, str]]] = {i: [] for i in voc_ids}
    if voc_ids:
        rows = db.exec(
            select(VocLink.voc_id, RoadmapItem.id, RoadmapItem.title, RoadmapItem.status)
            .join(RoadmapItem, col(RoadmapItem.id) == VocLink.item_id)
            .where(VocLink.team_id == team_id, col(VocLink.voc_id).in_(voc_ids))
            .order_by(col(RoadmapItem.id))
        )
        for voc_id, item_id, title, status in rows:
            items[voc_id].append((item_id, title, status))
    return {i: tuple(v) for i, v in items.items()}


def count_for_customer(db: Session, team_id: str, customer_id: int) -> int:
    return db.exec(select(func.count()).where(VocNote.team_id == team_id, VocNote.customer_id == customer_id)).one()


@dataclass(frozen=True)
class NoteRow:
    """A note with its customer's name and roadmap items (what `/voc list` and the full-note view show)."""

    note: VocNote
    customer: str
    items: tuple[tuple[int, str, str], ...]  # (item id, title, status)


def _rows_with_items(db: Session, team_id: str, pairs: list[tuple[VocNote, str]]) -> list[NoteRow]:
    items = _items_of(db, team_id, [n.id for n, _ in pairs])
    return [NoteRow(n, name, items[n.id]) for n, name in pairs]


def latest_notes(db: Session, team_id: str, *, customer_id: int | None = None, limit: int = 10) -> list[NoteRow]:
    """The team's newest notes (or one customer's), with customer names and roadmap items (two queries)."""
    stmt = (
        select(VocNote, Customer.name)
        .join(Customer, col(Customer.id) == VocNote.customer_id)
        .where(VocNote.team_id == team_id, Customer.team_id == team_id)
    )
    if customer_id is not None:
        stmt = stmt.where(VocNote.customer_id == customer_id)
    stmt = stmt.order_by(col(VocNote.created_at).desc(), col(VocNote.id).desc()).limit(limit)
    return _rows_with_items(db, team_id, [(n, name) for n, name in db.exec(stmt)])


def note_detail(db: Session, team_id: str, voc_id: int) -> NoteRow | None:
    """One of the team's notes with its customer and roadmap items, or None (also for another team's id)."""
    row = db.exec(
        select(VocNote, Customer.name)
        .join(Customer, col(Customer.id) == VocNote.customer_id)
        .where(VocNote.id == voc_id, VocNote.team_id == team_id, Customer.team_id == team_id)
    ).first()
    return _rows_with_items(db, team_id, [tuple(row)])[0] if row else None


# --- the handoff form's feature requests ------------------------------------------------------------------

_BULLET = re.compile(r"^\s*(?:[-*•·▪◦‣]|\d+[.)])\s*")


def split_requests(text: str | None) -> list[str]:
    """The handoff field's feature requests, one per line (bullets and numbering dropped, duplicates once)."""
    out: dict[str, str] = {}
    for line in (text or "").splitlines():
        item = clean_quote(_BULLET.sub("", line))
        if item:
            out.setdefault(_digest(item), item[:MAX_QUOTE])
    return list(out.values())


def notes_from_handoff(db: Session, team_id: str, handoff: Handoff, user_id: str, *, now: datetime) -> list[Logged]:
    """Each feature request typed into the handoff form becomes a feature-request note of that customer."""
    if handoff.customer_id is None or handoff.team_id != team_id:
        return []
    return [
        log_voc(
            db,
            team_id,
            VocInput(handoff.customer_id, quote, "feature_request", DEFAULT_IMPORTANCE, source_kind="handoff"),
            user_id,
            now=now,
            handoff_id=handoff.id,
        )
        for quote in split_requests(handoff.feature_requests)
    ]


# --- drafts: text waiting for its customer ----------------------------------------------------------------


def create_draft(
    db: Session,
    team_id: str,
    user_id: str,
    quote: str,
    *,
    now: datetime,
    channel: str | None = None,
    ts: str | None = None,
    author: str | None = None,
) -> VocDraft:
    draft = VocDraft(
        team_id=team_id,
        user_id=user_id,
        quote=clean_quote(quote)[:MAX_QUOTE],
        source_channel=channel,
        source_ts=ts,
        source_author_id=author,
        created_at=now,
    )
    db.add(draft)
    db.flush()
    return draft


def get_draft(db: Session, team_id: str, user_id: str, draft_id: int, *, now: datetime) -> VocDraft | None:
    """The user's own unexpired draft, or None (another user's or team's draft is never handed out)."""
    draft = db.get(VocDraft, draft_id)
    if draft is None or draft.team_id != team_id or draft.user_id != user_id:
        return None
    return draft if now - draft.created_at <= DRAFT_TTL else None


def purge_drafts(db: Session, *, now: datetime) -> int:
    """Forget drafts older than DRAFT_TTL; returns how many."""
    result = db.exec(delete(VocDraft).where(col(VocDraft.created_at) < now - DRAFT_TTL))  # type: ignore[call-overload]
    return result.rowcount or 0


def capture(
    db: Session,
    team_id: str,
    user_id: str,
    inp: VocInput,
    *,
    now: datetime,
    draft_id: int | None = None,
    item_id: int | None = None,
) -> Logged:
    """A submitted Log as VoC form, stored in the caller's transaction: the whole text of draft `draft_id` when
    the prefilled quote was left as is, the note (or its new reporter), and its tag to roadmap item `item_id`.
    VocError (`draft_expired` under the quote, else the capture's), RoadmapError for an unknown item."""
    if draft_id is not None:
        draft = get_draft(db, team_id, user_id, draft_id, now=now)
        if draft is None:
            raise VocError("draft_expired", field="quote")
        inp = replace(inp, quote=draft.quote)  # left as prefilled: the whole message
    logged = log_voc(db, team_id, inp, user_id, now=now)
    if item_id is not None:
        roadmap.tag(db, team_id, logged.note.id, item_id, user_id, now=now)
    return logged


def log_draft(
    db: Session, team_id: str, user_id: str, draft_id: int, customer_id: int, *, now: datetime
) -> Logged | None:
    """The `/voc` draft `draft_id` logged for the customer the user picked (None: the draft expired)."""
    draft = get_draft(db, team_id, user_id, draft_id, now=now)
    if draft is None:
        return None
    return log_voc(db, team_id, VocInput(customer_id, draft.quote, source_kind="command"), user_id, now=now)


@dataclass(frozen=True)
class ThreadTags:
    """What links posted in a roadmap item's thread tagged: the item's title and the customers whose notes were
    tagged now, and those already tagged."""

    title: str
    tagged: tuple[str, ...]
    already: tuple[str, ...]


def tag_messages(
    db: Session,
    team_id: str,
    channel: str,
    thread_ts: str,
    links: list[tuple[str, str]],
    user_id: str,
    *,
    now: datetime,
) -> ThreadTags | None:
    """Tag the notes logged from the linked messages (channel, ts) to the roadmap item whose thread this is
    (None: the thread is no item's)."""
    item = roadmap.item_for_thread(db, team_id, channel, thread_ts)
    if item is None:
        return None
    tagged: list[str] = []
    already: list[str] = []
    for link_channel, link_ts in links:
        for note in notes_for_message(db, team_id, link_channel, link_ts):
            name = db.get(Customer, note.customer_id).name
            new = roadmap.tag(db, team_id, note.id, item.id, user_id, now=now)
            (tagged if new is not None else already).append(name)
    return ThreadTags(item.title, tuple(tagged), tuple(already))
