"""health snapshots' unique key ordered (team, customer, as_of, signal, source): a day's signals of a customer share
one index leaf, so the morning export's new day touches a leaf per customer instead of one per customer and signal

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 13:30:00

SQLite cannot drop a unique constraint in place: the table is rebuilt (rows copied in id order, ids kept). That
takes about 25 s per 7 million snapshots and needs the table's size again in free disk for the copy; PostgreSQL
swaps the constraint in one ALTER TABLE (the new index is built while the table is locked for writes).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "uq_health_snapshots_key"
BY_DAY = ["team_id", "customer_id", "as_of", "signal", "source"]
BY_SIGNAL = ["team_id", "customer_id", "signal", "as_of", "source"]


def _swap(columns: list[str]) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"ALTER TABLE health_snapshots DROP CONSTRAINT {NAME}, ADD CONSTRAINT {NAME} UNIQUE ({', '.join(columns)})"
        )
        return
    with op.batch_alter_table("health_snapshots", recreate="always") as batch_op:
        batch_op.drop_constraint(NAME, type_="unique")
        batch_op.create_unique_constraint(NAME, columns)


def upgrade() -> None:
    _swap(BY_DAY)


def downgrade() -> None:
    _swap(BY_SIGNAL)
