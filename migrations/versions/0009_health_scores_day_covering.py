"""health scores' day index covers what a day's read needs (customer, band, score): the digest and the crossings
read one day of every customer from the index alone instead of a table page per customer

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 13:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_health_scores_team_day", table_name="health_scores")
    op.create_index(
        "ix_health_scores_team_day", "health_scores", ["team_id", "day", "customer_id", "band", "score"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_health_scores_team_day", table_name="health_scores")
    op.create_index("ix_health_scores_team_day", "health_scores", ["team_id", "day"], unique=False)
