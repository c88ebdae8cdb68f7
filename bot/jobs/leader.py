"""Which worker runs the schedules.

PostgreSQL: every worker asks for one session-level advisory lock on its own connection; the one that gets it
leads, the others stand by and ask again on each tick, so a deploy that overlaps old and new workers hands
over cleanly (the lock goes when the old process or its connection does). SQLite has no such lock across
processes and runs one worker: an exclusive lock on a file next to the database makes a second worker refuse
to start instead of sending alongside the first.
"""

import fcntl
import logging
import os
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

log = logging.getLogger("baton.worker")

LOCK_KEY = 0x0BA7_0005_C4ED  # one bigint for "the Baton scheduler"


class AnotherWorker(RuntimeError):
    """A second worker on a SQLite database; the message says what to do."""


class PostgresLeader:
    """Leads while it holds the advisory lock on its own (autocommit) connection."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._conn: Connection | None = None
        self._leading = False

    def is_leader(self) -> bool:
        """True while this worker holds the lock; tries to take it when it does not (a standby taking over)."""
        if self._leading and self._alive():
            return True
        if self._leading:
            log.warning("lost the scheduler lock (database connection gone); standing by")
            self._leading = False
        try:
            if self._conn is None or self._conn.closed:
                self._conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            got = bool(self._conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY}).scalar())
        except Exception:
            log.exception("cannot ask PostgreSQL for the scheduler lock; standing by")
            self._drop()
            return False
        if got and not self._leading:
            log.info("this worker now runs the schedules (advisory lock %s held)", LOCK_KEY)
        self._leading = got
        return got

    def _alive(self) -> bool:
        try:
            self._conn.execute(text("SELECT 1"))  # type: ignore[union-attr]
            return True
        except Exception:
            self._drop()
            return False

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.invalidate()
                self._conn.close()
            except Exception:
                pass
        self._conn = None

    def release(self) -> None:
        if self._conn is not None and self._leading:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
            except Exception:
                pass
        self._leading = False
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class SqliteLeader:
    """The only worker on a SQLite database file, by an exclusive lock on `<database>.worker.lock`."""

    def __init__(self, database: str | None):
        self.path = Path(f"{database}.worker.lock") if database and database != ":memory:" else None
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise AnotherWorker naming the process that has it."""
        if self.path is None:
            return
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise AnotherWorker(
                f"baton: another worker (pid {holder}) is already running on this SQLite database "
                f"({self.path.with_suffix('')}). "
                "SQLite supports one worker: stop the other one first, or use PostgreSQL, where workers can overlap "
                "during a deploy and elect one leader."
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd

    def is_leader(self) -> bool:
        return True

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def leader_for(engine: Engine) -> PostgresLeader | SqliteLeader:
    url = engine.url
    if url.get_backend_name() == "postgresql":
        return PostgresLeader(engine)
    return SqliteLeader(url.database)
