"""The revenue ledger: dated ARR movements per customer, renewal outcomes and NPS survey answers. Retention, GRR,
NRR, NPS and LTV (bot/services/kpi.py) are computed from these rows alone; a customer's current ARR is the sum
of its movements (bot/services/ledger.py keeps `customers.arr` equal to it)."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Column, Index, Numeric, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.models.base import UTCDateTime, utcnow

MOVEMENT_KINDS = ("new", "expansion", "contraction", "churn", "reactivation")
OUTCOMES = ("renewed", "expanded", "contracted", "churned")


class ArrMovement(SQLModel, table=True):
    """One change of a customer's ARR on a day: `amount` is always positive, `kind` says which way it goes
    (new, expansion, reactivation add; contraction, churn take away). Recorded once per (source, ref): a webhook
    redelivered, a file imported twice or a button clicked twice adds nothing."""

    __tablename__ = "arr_movements"
    __table_args__ = (
        UniqueConstraint("team_id", "source", "ref", name="uq_arr_movements_ref"),
        Index("ix_arr_movements_team_day", "team_id", "effective_on"),
        Index("ix_arr_movements_customer", "team_id", "customer_id", "effective_on"),
        CheckConstraint("amount > 0", name="ck_arr_movements_amount_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    customer_id: int = Field(foreign_key="customers.id")
    kind: str = Field(max_length=16)  # MOVEMENT_KINDS
    amount: Decimal = Field(sa_column=Column(Numeric(18, 2), nullable=False))
    currency: str = Field(max_length=3)
    effective_on: date
    source: str = Field(max_length=16)  # opening | handoff | crm | renewal | csv | api | stage | slack
    ref: str = Field(max_length=128)  # what recorded it, unique per source (the idempotency key)
    recorded_by: str | None = Field(default=None, max_length=64)  # a Slack user id, or what (a file, a token)
    note: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class RenewalOutcome(SQLModel, table=True):
    """What happened at a renewal: renewed as it was, expanded, contracted or churned, with ARR before and after
    and why. One per customer and renewal date; its ARR change is also a movement (source renewal)."""

    __tablename__ = "renewal_outcomes"
    __table_args__ = (
        UniqueConstraint("team_id", "customer_id", "renewal_date", name="uq_renewal_outcomes_customer_date"),
        Index("ix_renewal_outcomes_team_date", "team_id", "renewal_date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    customer_id: int = Field(foreign_key="customers.id")
    renewal_date: date
    outcome: str = Field(max_length=16)  # OUTCOMES
    arr_before: Decimal | None = Field(default=None, sa_column=Column(Numeric(18, 2), nullable=True))
    arr_after: Decimal | None = Field(default=None, sa_column=Column(Numeric(18, 2), nullable=True))
    currency: str | None = Field(default=None, max_length=3)
    reason: str | None = Field(default=None, sa_type=Text)
    source: str = Field(max_length=16)  # slack | csv | api
    recorded_by: str | None = Field(default=None, max_length=64)
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class NpsResponse(SQLModel, table=True):
    """One answer to an NPS survey: who at which customer, the 0-10 score, their comment, when. NPS is computed
    over respondents, never by averaging accounts."""

    __tablename__ = "nps_responses"
    __table_args__ = (
        UniqueConstraint("team_id", "customer_id", "respondent", "responded_on", name="uq_nps_responses_answer"),
        Index("ix_nps_responses_team_day", "team_id", "responded_on"),
        CheckConstraint("score >= 0 AND score <= 10", name="ck_nps_responses_score"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    customer_id: int = Field(foreign_key="customers.id")
    respondent: str = Field(max_length=255)  # an email or the survey tool's respondent id
    score: int
    comment: str | None = Field(default=None, sa_type=Text)
    responded_on: date
    source: str = Field(max_length=16)  # csv | api
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
