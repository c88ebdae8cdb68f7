"""revenue ledger: ARR movements, renewal outcomes and NPS responses; every customer with an ARR gets an opening
`new` movement (and a churned one its churn), so its current ARR is the sum of its movements from the start

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _s(length: int):
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "arr_movements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", _s(32), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("kind", _s(16), nullable=False),
        sa.Column("amount", sa.Numeric(18, 2), nullable=False),
        sa.Column("currency", _s(3), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("source", _s(16), nullable=False),
        sa.Column("ref", _s(128), nullable=False),
        sa.Column("recorded_by", _s(64), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount > 0", name="ck_arr_movements_amount_positive"),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "source", "ref", name="uq_arr_movements_ref"),
    )
    op.create_index("ix_arr_movements_team_day", "arr_movements", ["team_id", "effective_on"])
    op.create_index("ix_arr_movements_customer", "arr_movements", ["team_id", "customer_id", "effective_on"])
    op.create_table(
        "renewal_outcomes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", _s(32), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("renewal_date", sa.Date(), nullable=False),
        sa.Column("outcome", _s(16), nullable=False),
        sa.Column("arr_before", sa.Numeric(18, 2), nullable=True),
        sa.Column("arr_after", sa.Numeric(18, 2), nullable=True),
        sa.Column("currency", _s(3), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("source", _s(16), nullable=False),
        sa.Column("recorded_by", _s(64), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "customer_id", "renewal_date", name="uq_renewal_outcomes_customer_date"),
    )
    op.create_index("ix_renewal_outcomes_team_date", "renewal_outcomes", ["team_id", "renewal_date"])
    op.create_table(
        "nps_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", _s(32), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("respondent", _s(255), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("responded_on", sa.Date(), nullable=False),
        sa.Column("source", _s(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("score >= 0 AND score <= 10", name="ck_nps_responses_score"),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "customer_id", "respondent", "responded_on", name="uq_nps_responses_answer"),
    )
    op.create_index("ix_nps_responses_team_day", "nps_responses", ["team_id", "responded_on"])
    _opening_movements()


def _opening_movements() -> None:
    """Each customer's ARR as an opening `new` movement on its contract start (else the day it was created); a
    churned customer's churn on the day it was last updated. Its `arr` stays what it was (for a churned one,
    the ARR it churned with)."""
    pg = op.get_bind().dialect.name == "postgresql"
    day = "CAST({} AS DATE)" if pg else "date({})"
    now = "CURRENT_TIMESTAMP" if pg else "strftime('%Y-%m-%d %H:%M:%f', 'now')"
    has_arr = "arr > 0 AND currency IS NOT NULL AND length(trim(currency)) = 3"
    op.execute(
        "INSERT INTO arr_movements (team_id, customer_id, kind, amount, currency, effective_on, source, ref,"
        " recorded_by, created_at) SELECT team_id, id, 'new', arr, upper(trim(currency)),"
        f" COALESCE(contract_start, {day.format('created_at')}), 'opening', 'opening:' || id, 'migration', {now}"
        f" FROM customers WHERE {has_arr}"
    )
    start = f"COALESCE(contract_start, {day.format('created_at')})"
    op.execute(
        "INSERT INTO arr_movements (team_id, customer_id, kind, amount, currency, effective_on, source, ref,"
        " recorded_by, created_at) SELECT team_id, id, 'churn', arr, upper(trim(currency)),"
        f" CASE WHEN {day.format('updated_at')} > {start} THEN {day.format('updated_at')} ELSE {start} END,"
        f" 'opening', 'opening-churn:' || id, 'migration', {now}"
        f" FROM customers WHERE stage = 'churned' AND {has_arr}"
    )


def downgrade() -> None:
    op.drop_index("ix_nps_responses_team_day", table_name="nps_responses")
    op.drop_table("nps_responses")
    op.drop_index("ix_renewal_outcomes_team_date", table_name="renewal_outcomes")
    op.drop_table("renewal_outcomes")
    op.drop_index("ix_arr_movements_customer", table_name="arr_movements")
    op.drop_index("ix_arr_movements_team_day", table_name="arr_movements")
    op.drop_table("arr_movements")
