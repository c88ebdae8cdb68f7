"""Handoffs (sales -> CS), their promises and stakeholders."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Column, Numeric, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.models.base import UTCDateTime, utcnow

DRAFT, SUBMITTED, ACCEPTED = "draft", "submitted", "accepted"


class Handoff(SQLModel, table=True):
    __tablename__ = "handoffs"
    __table_args__ = (
        # A deal that closes twice (or a webhook delivered twice) gets one handoff.
        UniqueConstraint("team_id", "crm_source", "crm_deal_id", name="uq_handoffs_team_crm_deal"),
        # A modal submitted twice creates one handoff.
        UniqueConstraint("team_id", "form_id", name="uq_handoffs_team_form"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    customer_id: int | None = Field(default=None, foreign_key="customers.id", index=True)
    status: str = Field(default=DRAFT, max_length=16)
    form_id: str | None = Field(default=None, max_length=64)
    version: int = 0

    crm_source: str | None = Field(default=None, max_length=32)
    crm_deal_id: str | None = Field(default=None, max_length=64)
    crm_deal_name: str | None = Field(default=None, max_length=255)
    crm_company_id: str | None = Field(default=None, max_length=64)
    crm_owner_email: str | None = Field(default=None, max_length=255)
    crm_close_date: date | None = None

    customer_name: str | None = Field(default=None, max_length=255)
    products_sold: str | None = Field(default=None, sa_type=Text)
    arr: Decimal | None = Field(default=None, sa_column=Column(Numeric(18, 2), nullable=True))
    currency: str | None = Field(default=None, max_length=3)
    contract_start: date | None = None
    term_months: int | None = None
    renewal_date: date | None = None
    why_bought: str | None = Field(default=None, sa_type=Text)
    business_goals: str | None = Field(default=None, sa_type=Text)
    success_criteria: str | None = Field(default=None, sa_type=Text)
    stakeholders_text: str | None = Field(default=None, sa_type=Text)
    promises_text: str | None = Field(default=None, sa_type=Text)
    risks: str | None = Field(default=None, sa_type=Text)
    kickoff_date: date | None = None
    ae_user_id: str | None = Field(default=None, max_length=32)
    se_user_id: str | None = Field(default=None, max_length=32)
    csm_user_id: str | None = Field(default=None, max_length=32)
    icp_fit: str | None = Field(default=None, max_length=16)
    competitors: str | None = Field(default=None, sa_type=Text)
    tech_requirements: str | None = Field(default=None, sa_type=Text)
    links: str | None = Field(default=None, sa_type=Text)
    feature_requests: str | None = Field(default=None, sa_type=Text)

    submitted_by: str | None = Field(default=None, max_length=32)
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    accepted_by: str | None = Field(default=None, max_length=32)
    accepted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    bad_fit_by: str | None = Field(default=None, max_length=32)
    bad_fit_reason: str | None = Field(default=None, sa_type=Text)
    bad_fit_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    card_channel: str | None = Field(default=None, max_length=32)
    card_ts: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Promise(SQLModel, table=True):
    __tablename__ = "promises"

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    handoff_id: int = Field(foreign_key="handoffs.id", index=True)
    customer_id: int | None = Field(default=None, foreign_key="customers.id", index=True)
    position: int = 0
    text: str = Field(sa_type=Text)
    owner_user_id: str | None = Field(default=None, max_length=32)
    owner_name: str | None = Field(default=None, max_length=255)
    due_date: date | None = None
    status: str = Field(default="open", max_length=16)  # open | done
    done_by: str | None = Field(default=None, max_length=32)  # who marked it done (Mark done in App Home)
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Stakeholder(SQLModel, table=True):
    __tablename__ = "stakeholders"

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    handoff_id: int = Field(foreign_key="handoffs.id", index=True)
    customer_id: int | None = Field(default=None, foreign_key="customers.id", index=True)
    position: int = 0
    role: str | None = Field(default=None, max_length=100)
    role_key: str | None = Field(default=None, max_length=32)
    name: str = Field(max_length=255)
    title: str | None = Field(default=None, max_length=255)
    email: str | None = Field(default=None, max_length=255)
