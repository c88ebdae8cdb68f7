"""slack channel holds: a 429's Retry-After seen by every process

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 17:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "slack_channel_holds",
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("held_until", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("team_id", "channel"),
    )
    op.create_index(op.f("ix_slack_channel_holds_held_until"), "slack_channel_holds", ["held_until"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_slack_channel_holds_held_until"), table_name="slack_channel_holds")
    op.drop_table("slack_channel_holds")
