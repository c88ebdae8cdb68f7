"""Health: dated signal values per customer, the daily score history, and API tokens that feed them."""

from datetime import date, datetime

from sqlalchemy import Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.models.base import UTCDateTime, utcnow


class HealthSnapshot(SQLModel, table=True):
    """One signal's value for one customer as of a date, from one source; stored once per key."""

    __tablename__ = "health_snapshots"
    __table_args__ = (
        # Also the index for reading one customer's history (team_id, customer_id prefix) from a day on. Ordered by
        # day before signal so a day's signals of a customer share a leaf: the morning export's new day touches one
        # leaf per customer (by signal first it was one per customer and signal, 800,000 at 100,000 customers).
        UniqueConstraint("team_id", "customer_id", "as_of", "signal", "source", name="uq_health_snapshots_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    customer_id: int = Field(foreign_key="customers.id")
    signal: str = Field(max_length=32)
    as_of: date
    value: float
    source: str = Field(default="manual", max_length=32)
    note: str | None = Field(default=None, sa_type=Text)
    recorded_by: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class HealthScore(SQLModel, table=True):
    """The score a customer had on a day (history for trends and band crossings)."""

    __tablename__ = "health_scores"
    __table_args__ = (
        UniqueConstraint("team_id", "customer_id", "day", name="uq_health_scores_day"),
        # One day of every customer (digest, crossings), read from the index alone: a day's rows are spread over as
        # many table pages as there are customers (a rebuild or an import writes each customer's days together).
        Index("ix_health_scores_team_day", "team_id", "day", "customer_id", "band", "score"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    customer_id: int = Field(foreign_key="customers.id", index=True)
    day: date
    score: float
    band: str = Field(max_length=16)
    # At risk or Unhealthy days: the signal pulling the score down most (health.top_driver), for the digest.
    driver_signal: str | None = Field(default=None, max_length=32)
    driver_value: float | None = None
    computed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ApiToken(SQLModel, table=True):
    """A per-team API token; only its SHA-256 is stored (the token is shown once at creation)."""

    __tablename__ = "api_tokens"

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    name: str = Field(max_length=100)
    token_hash: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class HealthState(SQLModel, table=True):
    """A customer's health kept up to date on write (bot/services/health_state.py): per signal the latest value and
    the recent points the score and risk rules need, the last daily score, and how far the daily scores go.

    `health_scores` holds one row for each day from `scored_from` through `computed_through` on which the customer
    had a score; `fingerprint` names the health settings those scores were computed with."""

    __tablename__ = "health_states"
    __table_args__ = (UniqueConstraint("team_id", "customer_id", name="uq_health_states_customer"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    customer_id: int = Field(foreign_key="customers.id")
    first_data: date  # the customer's earliest snapshot
    data_through: date  # its latest snapshot
    scored_from: date  # daily scores are complete from this day on
    computed_through: date  # ... through this day
    score: float | None = None  # on computed_through
    band: str | None = Field(default=None, max_length=16)
    fingerprint: str = Field(max_length=16)
    # JSON {signal: [day ordinals, values, peak day ordinals, peak values]} (the peak lists for relative signals)
    signals: str = Field(sa_type=Text)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class HealthRefresh(SQLModel, table=True):
    """A customer whose health state must be refreshed from `since` on: written with the snapshots of a file in
    its one merge transaction, removed by the refresh (the import itself, or the worker after a crash)."""

    __tablename__ = "health_refresh_queue"

    team_id: str = Field(max_length=32, primary_key=True)
    customer_id: int = Field(foreign_key="customers.id", primary_key=True)
    since: date
    queued_at: datetime = Field(sa_type=UTCDateTime)
