"""health states: each customer's health kept up to date on write; daily scores carry their top driver

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 01:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "health_states",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("first_data", sa.Date(), nullable=False),
        sa.Column("data_through", sa.Date(), nullable=False),
        sa.Column("scored_from", sa.Date(), nullable=False),
        sa.Column("computed_through", sa.Date(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("band", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("fingerprint", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("signals", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "customer_id", name="uq_health_states_customer"),
    )

    op.add_column(
        "health_scores", sa.Column("driver_signal", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True)
    )
    op.add_column("health_scores", sa.Column("driver_value", sa.Float(), nullable=True))
    op.create_index("ix_health_scores_team_day", "health_scores", ["team_id", "day"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_health_scores_team_day", table_name="health_scores")
    with op.batch_alter_table("health_scores") as batch:
        batch.drop_column("driver_value")
        batch.drop_column("driver_signal")
    op.drop_table("health_states")
