"""Scheduled messages: each occurrence (digest for week W to channel C, reminder step for customer X) is one
row with a unique key, plus per-team settings and the reminder mutes people set from the messages."""

from datetime import date, datetime

from sqlalchemy import Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.models.base import UTCDateTime, utcnow

# Occurrence statuses: queued (claimed and in the outbox), sent (Slack ts known), skipped (stale or
# superseded, never sent), acknowledged / handed (someone acted on it), snoozed (asks again later).
QUEUED, SENT, SKIPPED = "queued", "sent", "skipped"


class Occurrence(SQLModel, table=True):
    """One scheduled message, claimed (inserted) before it is sent and marked with Slack's ts after."""

    __tablename__ = "schedule_occurrences"
    __table_args__ = (
        UniqueConstraint("team_id", "key", name="uq_schedule_occurrences_team_key"),
        Index("ix_schedule_occurrences_team_kind_customer", "team_id", "kind", "customer_id"),
        Index("ix_schedule_occurrences_team_schedule_due", "team_id", "schedule", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    key: str = Field(max_length=255)
    schedule: str = Field(max_length=32)  # the schedule that produced it (digest, renewals, ...)
    kind: str = Field(max_length=32)  # what it is (digest, renewal, onboarding.kickoff, nudge.draft, ...)
    customer_id: int | None = Field(default=None)
    subject: str | None = Field(default=None, max_length=64)  # e.g. handoff:12, promise:7, 2026-12-01
    step: int | None = None  # renewal: days before the renewal date
    due_at: datetime = Field(sa_type=UTCDateTime)
    status: str = Field(default=QUEUED, max_length=16)
    reason: str | None = Field(default=None, sa_type=Text)  # why it was skipped
    recipient: str | None = Field(default=None, max_length=32)  # channel id, or user id for a DM
    content: str | None = Field(default=None, sa_type=Text)  # JSON: the parts as they were built
    data: str | None = Field(default=None, sa_type=Text)  # JSON: what the message's buttons need
    channel: str | None = Field(default=None, max_length=32)  # where it landed
    ts: str | None = Field(default=None, max_length=32)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    acted_by: str | None = Field(default=None, max_length=32)
    acted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    snoozed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TeamSetting(SQLModel, table=True):
    """A schedule setting changed for one team (`python -m bot config set`); absent keys use the defaults."""

    __tablename__ = "team_settings"

    team_id: str = Field(max_length=32, primary_key=True)
    key: str = Field(max_length=64, primary_key=True)
    value: str = Field(sa_type=Text)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_by: str | None = Field(default=None, max_length=64)


class ReminderMute(SQLModel, table=True):
    """A person's mute: one customer's reminders (kind "*"), or one reminder kind for all customers
    (customer_id 0), until a time or for good (until None). Digests ignore mutes."""

    __tablename__ = "reminder_mutes"

    team_id: str = Field(max_length=32, primary_key=True)
    user_id: str = Field(max_length=32, primary_key=True)
    customer_id: int = Field(default=0, primary_key=True)  # 0: every customer
    kind: str = Field(default="*", max_length=32, primary_key=True)  # "*": every kind
    until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class OnboardingTask(SQLModel, table=True):
    """One onboarding playbook milestone of an accepted handoff (kickoff, activation, training) and its due
    date; done when the owner marks it so from a reminder."""

    __tablename__ = "onboarding_tasks"
    __table_args__ = (
        UniqueConstraint("team_id", "handoff_id", "milestone", name="uq_onboarding_tasks_handoff_milestone"),
        Index("ix_onboarding_tasks_team_open_due", "team_id", "done_at", "due_date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    customer_id: int = Field(foreign_key="customers.id", index=True)
    handoff_id: int = Field(foreign_key="handoffs.id")
    milestone: str = Field(max_length=32)  # kickoff, activation, training
    due_date: date
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    done_by: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
