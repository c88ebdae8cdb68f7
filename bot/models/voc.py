"""Voice of the customer and the roadmap it feeds: notes, who reported them, roadmap items and the tags between."""

from datetime import datetime

from sqlalchemy import Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.models.base import UTCDateTime, utcnow

CATEGORIES = ("feature_request", "bug", "complaint", "praise", "question", "other")
IMPORTANCES = ("nice_to_have", "important", "critical", "blocker")  # lowest first
STATUSES = ("planned", "in_progress", "shipped")


class VocNote(SQLModel, table=True):
    """One thing a customer said, tied to that customer; stored once per source (`source_key`)."""

    __tablename__ = "voc_notes"
    __table_args__ = (
        # The same Slack message logged for the same customer twice is one note (both reporters are kept).
        UniqueConstraint("team_id", "source_key", name="uq_voc_notes_source"),
        Index("ix_voc_notes_customer", "team_id", "customer_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    customer_id: int = Field(foreign_key="customers.id")
    quote: str = Field(sa_type=Text)
    category: str = Field(default="other", max_length=24)
    importance: str = Field(default="important", max_length=16)
    product_area: str | None = Field(default=None, max_length=100)
    source_kind: str = Field(max_length=16)  # message | command | modal | handoff
    source_key: str = Field(max_length=255)
    source_channel: str | None = Field(default=None, max_length=32)
    source_ts: str | None = Field(default=None, max_length=32)
    source_author_id: str | None = Field(default=None, max_length=32)
    permalink: str | None = Field(default=None, max_length=500)
    created_by: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class VocReporter(SQLModel, table=True):
    """A person who logged a note (one row per person, however often they log it)."""

    __tablename__ = "voc_reporters"

    voc_id: int = Field(foreign_key="voc_notes.id", primary_key=True)
    user_id: str = Field(max_length=32, primary_key=True)
    team_id: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class VocDraft(SQLModel, table=True):
    """Text waiting for a customer: `/voc` with an ambiguous name, or a reacted-to message; expires after a day."""

    __tablename__ = "voc_drafts"

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    user_id: str = Field(max_length=32)
    quote: str = Field(sa_type=Text)
    source_channel: str | None = Field(default=None, max_length=32)
    source_ts: str | None = Field(default=None, max_length=32)
    source_author_id: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class RoadmapItem(SQLModel, table=True):
    """A product bet whose thread in the roadmap channel collects the VoC behind it."""

    __tablename__ = "roadmap_items"
    __table_args__ = (UniqueConstraint("team_id", "source_key", name="uq_roadmap_items_source"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    title: str = Field(max_length=150)
    description: str | None = Field(default=None, sa_type=Text)
    status: str = Field(default="planned", max_length=16)
    source_key: str | None = Field(default=None, max_length=255)  # the PM message it was made from, if any
    created_by: str = Field(max_length=32)
    channel: str | None = Field(default=None, max_length=32)  # the parent message, once posted
    ts: str | None = Field(default=None, max_length=32)
    version: int = 0  # bumped on every change of the tally or status: one parent update per version
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    shipped_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class VocLink(SQLModel, table=True):
    """A note tagged to a roadmap item (once per pair, whoever tags it and however often)."""

    __tablename__ = "voc_links"
    __table_args__ = (
        UniqueConstraint("voc_id", "item_id", name="uq_voc_links_pair"),
        Index("ix_voc_links_item", "team_id", "item_id"),
        # Ids are never reused (SQLite would reuse a deleted max id): outbox keys name the link by its id,
        # so an untag then re-tag must get a new id to be posted again.
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    voc_id: int = Field(foreign_key="voc_notes.id")
    item_id: int = Field(foreign_key="roadmap_items.id")
    tagged_by: str = Field(max_length=32)
    thread_ts: str | None = Field(default=None, max_length=32)  # the note's post in the item's thread
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
