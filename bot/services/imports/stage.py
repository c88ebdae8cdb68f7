"""The fast write path of a health file: the valid rows staged in a temporary table (COPY on PostgreSQL, one
executemany per batch on SQLite, where a TEMP table lives outside the main database and its write lock), then
merged in ONE transaction of set-based SQL: the counts of the report, the upsert, and the customers whose health
state must be refreshed queued (`health_refresh_queue`) — so a file's snapshots become visible all together or
not at all, and a crash after the merge leaves the refresh to the worker instead of losing it.

The counts follow `write.upsert_snapshots` exactly: rows in file order, a key's first row compared with the stored
value (none: inserted), each later row of the same key with the row before it (equal: unchanged, else updated);
the last row of a key is the value stored."""

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from sqlalchemy import bindparam, case, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from bot.models import HealthRefresh, HealthSnapshot
from bot.services.imports.formats import SnapshotRow
from bot.services.imports.report import Counts

_KEY = "customer_id, signal, as_of, source"
_JOIN = (
    "LEFT JOIN health_snapshots h ON h.team_id = :team AND h.customer_id = {t}.customer_id "
    "AND h.signal = {t}.signal AND h.as_of = {t}.as_of AND h.source = {t}.source"
)


class Staging:
    """The staged rows of one import, on one connection (temporary tables are the connection's own)."""

    def __init__(self, conn: Connection):
        self.conn = conn
        self.seq = 0
        self.pg = conn.dialect.name == "postgresql"
        conn.exec_driver_sql("DROP TABLE IF EXISTS import_rows")
        conn.exec_driver_sql("DROP TABLE IF EXISTS import_last")
        temp = "CREATE TEMPORARY TABLE" if self.pg else "CREATE TEMP TABLE"
        conn.exec_driver_sql(
            f"{temp} import_rows (seq INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, signal VARCHAR(32) NOT NULL, "
            "as_of DATE NOT NULL, source VARCHAR(32) NOT NULL, value FLOAT NOT NULL)"
        )

    def add(self, rows: Sequence[SnapshotRow]) -> None:
        """Stage a batch of valid rows (customer id, signal, as_of, source, value) in file order."""
        start = self.seq
        self.seq += len(rows)
        if self.pg:
            cursor = self.conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            with cursor.copy("COPY import_rows (seq, customer_id, signal, as_of, source, value) FROM STDIN") as copy:
                for i, (cid, signal, as_of, source, value) in enumerate(rows, start):
                    copy.write_row((i, cid, signal, as_of, source, value))
            return
        self.conn.exec_driver_sql(
            "INSERT INTO import_rows (seq, customer_id, signal, as_of, source, value) VALUES (?, ?, ?, ?, ?, ?)",
            [
                (i, cid, signal, as_of.isoformat(), source, value)
                for i, (cid, signal, as_of, source, value) in enumerate(rows, start)
            ],
        )

    def merge(self, team_id: str, now: datetime, recorded_by: str | None = None) -> Counts:
        """Count, upsert and queue the refresh, in the caller's transaction; returns the counts (with `changed`)."""
        conn, counts = self.conn, Counts()
        if not self.seq:
            return counts
        params = {"team": team_id}
        window = "PARTITION BY i.customer_id, i.signal, i.as_of, i.source ORDER BY i.seq"
        inserted, unchanged, total = conn.execute(
            text(
                "SELECT coalesce(sum(CASE WHEN prev IS NULL AND stored IS NULL THEN 1 ELSE 0 END), 0), "
                "coalesce(sum(CASE WHEN coalesce(prev, stored) = value THEN 1 ELSE 0 END), 0), count(*) FROM ("
                f"SELECT i.value, LAG(i.value) OVER ({window}) AS prev, h.value AS stored FROM import_rows i "
                + _JOIN.format(t="i")
                + ") r"
            ),
            params,
        ).one()
        counts.inserted, counts.unchanged = int(inserted), int(unchanged)
        counts.updated = int(total) - counts.inserted - counts.unchanged
        temp = "CREATE TEMPORARY TABLE" if self.pg else "CREATE TEMP TABLE"
        conn.exec_driver_sql(
            f"{temp} import_last AS SELECT {_KEY}, value FROM ("
            f"SELECT {_KEY}, value, ROW_NUMBER() OVER (PARTITION BY {_KEY} ORDER BY seq DESC) AS n FROM import_rows"
            ") r WHERE n = 1"
        )
        changed = conn.execute(
            text(
                "SELECT l.customer_id, min(l.as_of) FROM import_last l "
                + _JOIN.format(t="l")
                + " WHERE h.value IS NULL OR h.value <> l.value GROUP BY l.customer_id"
            ),
            params,
        ).all()
        for cid, as_of in changed:
            counts.note(cid, as_of if isinstance(as_of, date) else date.fromisoformat(as_of))
        if changed:
            upsert = text(
                "INSERT INTO health_snapshots (team_id, customer_id, signal, as_of, source, value, recorded_by, "
                f"created_at) SELECT :team, {_KEY}, value, :by, :now FROM import_last WHERE true "
                "ON CONFLICT (team_id, customer_id, signal, as_of, source) DO UPDATE SET value = excluded.value "
                "WHERE health_snapshots.value <> excluded.value"
            ).bindparams(bindparam("now", type_=HealthSnapshot.__table__.c.created_at.type))
            conn.execute(upsert, {**params, "by": recorded_by, "now": now})
            queue_refresh(conn, team_id, counts.changed.items(), now)
        conn.exec_driver_sql("DROP TABLE import_last")
        return counts

    def close(self) -> None:
        self.conn.exec_driver_sql("DROP TABLE IF EXISTS import_rows")


def queue_refresh(conn: Connection, team_id: str, changed: Iterable[tuple[int, date]], now: datetime) -> None:
    """Ask for each customer's health state to be refreshed from `since` (the earliest of every request)."""
    rows = [{"team_id": team_id, "customer_id": cid, "since": since, "queued_at": now} for cid, since in changed]
    if not rows:
        return
    table = HealthRefresh.__table__
    ins = (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)(table)
    stmt = ins.on_conflict_do_update(
        index_elements=["team_id", "customer_id"],
        set_={
            "since": case((ins.excluded.since < table.c.since, ins.excluded.since), else_=table.c.since),
            "queued_at": ins.excluded.queued_at,  # a refresh that read the older request leaves this one queued
        },
    )
    for i in range(0, len(rows), 5000):
        conn.execute(stmt, rows[i : i + 5000])
