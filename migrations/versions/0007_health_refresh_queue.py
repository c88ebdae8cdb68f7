"""health refresh queue: customers whose health state an import's merge asked to refresh; customers by update time

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "health_refresh_queue",
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"]),
        sa.PrimaryKeyConstraint("team_id", "customer_id"),
    )

    op.create_index("ix_customers_team_updated", "customers", ["team_id", "updated_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_customers_team_updated", table_name="customers")
    op.drop_table("health_refresh_queue")
