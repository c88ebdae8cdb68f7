"""Customers: one row per account, scoped by Slack team."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Column, Index, Numeric, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.models.base import UTCDateTime, utcnow


class Customer(SQLModel, table=True):
    __tablename__ = "customers"
    __table_args__ = (
        UniqueConstraint("team_id", "name_key", name="uq_customers_team_name_key"),
        UniqueConstraint("team_id", "crm_source", "crm_company_id", name="uq_customers_team_crm_company"),
        UniqueConstraint("team_id", "external_id", name="uq_customers_team_external_id"),
        Index("ix_customers_team_domain", "team_id", "domain"),
        Index("ix_customers_team_updated", "team_id", "updated_at"),  # the lookup's changed rows
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    name: str = Field(max_length=255)
    name_key: str = Field(max_length=255)
    crm_source: str | None = Field(default=None, max_length=32)
    crm_company_id: str | None = Field(default=None, max_length=64)
    external_id: str | None = Field(default=None, max_length=128)
    aliases: str | None = Field(default=None, sa_type=Text)  # one per line
    domain: str | None = Field(default=None, max_length=255)
    segment: str | None = Field(default=None, max_length=64)
    owner_email: str | None = Field(default=None, max_length=255)
    ae_email: str | None = Field(default=None, max_length=255)
    arr: Decimal | None = Field(default=None, sa_column=Column(Numeric(18, 2), nullable=True))
    currency: str | None = Field(default=None, max_length=3)
    contract_start: date | None = None
    renewal_date: date | None = None
    owner_user_id: str | None = Field(default=None, max_length=32)
    ae_user_id: str | None = Field(default=None, max_length=32)
    stage: str = Field(default="onboarding", max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Set on every UPDATE that does not set it (onupdate): the lookup index fetches the rows changed since its build.
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, sa_column_kwargs={"onupdate": utcnow})


class Touch(SQLModel, table=True):
    """A touch a CSM logged from the customer card (a call, a meeting, an email, a note), shown on the card and
    in the weekly digest. One row per submitted form (`idem_key`: the modal's view id), however often Slack
    delivers it."""

    __tablename__ = "customer_touches"
    __table_args__ = (
        UniqueConstraint("team_id", "idem_key", name="uq_customer_touches_idem"),
        Index("ix_customer_touches_customer", "team_id", "customer_id", "touched_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    customer_id: int = Field(foreign_key="customers.id")
    kind: str = Field(max_length=16)  # call | meeting | email | note
    note: str = Field(sa_type=Text)
    touched_on: date
    created_by: str = Field(max_length=32)
    idem_key: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
