"""Delivery plumbing: webhook inbox, Slack outbox and channel holds, processed Slack events, Slack user cache."""

from datetime import datetime

from sqlalchemy import Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.models.base import UTCDateTime, utcnow


class WebhookEvent(SQLModel, table=True):
    """A CRM delivery stored before we answer 2xx; processed after the answer."""

    __tablename__ = "webhook_events"
    __table_args__ = (UniqueConstraint("source", "event_key", name="uq_webhook_events_source_key"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=32)
    event_key: str = Field(max_length=255)
    payload: str = Field(sa_type=Text)
    status: str = Field(default="pending", max_length=16, index=True)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, sa_type=Text)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    processed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class OutboxMessage(SQLModel, table=True):
    """A Slack call that matters, recorded before it is sent and retried until it lands."""

    __tablename__ = "slack_outbox"
    __table_args__ = (UniqueConstraint("team_id", "idem_key", name="uq_slack_outbox_team_key"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    idem_key: str = Field(max_length=255)
    method: str = Field(max_length=64)
    payload: str = Field(sa_type=Text)
    status: str = Field(default="pending", max_length=16, index=True)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sending_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_channel: str | None = Field(default=None, max_length=32)
    sent_ts: str | None = Field(default=None, max_length=32)
    last_error: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ChannelHold(SQLModel, table=True):
    """A channel Slack rate-limited (429): no process posts to it before `held_until` (every process reads it)."""

    __tablename__ = "slack_channel_holds"

    team_id: str = Field(max_length=32, primary_key=True)
    channel: str = Field(max_length=32, primary_key=True)
    held_until: datetime = Field(sa_type=UTCDateTime, index=True)


class SlackEvent(SQLModel, table=True):
    """Events API deliveries already handled, so Slack's retries have no second effect."""

    __tablename__ = "slack_events"

    team_id: str = Field(max_length=32, primary_key=True)
    event_id: str = Field(max_length=64, primary_key=True)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class SlackUser(SQLModel, table=True):
    """Cached users.info answers (locale, email, name)."""

    __tablename__ = "slack_users"

    team_id: str = Field(max_length=32, primary_key=True)
    user_id: str = Field(max_length=32, primary_key=True)
    locale: str | None = Field(default=None, max_length=16)
    email: str | None = Field(default=None, max_length=255)
    name: str | None = Field(default=None, max_length=255)
    tz: str | None = Field(default=None, max_length=64)
    fetched_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
