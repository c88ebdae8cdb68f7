"""A health file's write path: the staged merge counts as the row-by-row upsert does, and an import stopped by
SIGTERM leaves nothing half-visible (before the merge: nothing; after: every snapshot, its refresh queued and
finished by the worker's roll job)."""

import os
import random
import signal
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.cli import import_health_file
from bot.db import Sessions, make_engine
from bot.jobs import health as health_job
from bot.models import HealthRefresh, HealthScore, HealthSnapshot
from bot.services import imports
from tests.conftest import TEAM
from tests.services.conftest import add_customer

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)
SIGNALS = ("nps", "csat", "active_users", "open_tickets")


@pytest.fixture
def sessions(database_url):
    engine = make_engine(database_url)
    yield Sessions(engine)
    engine.dispose()


def _file(tmp_path: Path, rows: list[tuple[str, date, str, float, str]]) -> Path:
    path = tmp_path / "health.csv"
    with path.open("w") as f:
        f.write("customer,date,signal,value,source\n")
        for ref, day, signal, value, source in rows:
            f.write(f"{ref},{day.isoformat()},{signal},{value:g},{source}\n")
    return path


def _stored(sessions) -> dict:
    with sessions.begin() as db:
        return {(s.customer_id, s.signal, s.as_of, s.source): s.value for s in db.exec(select(HealthSnapshot))}


@pytest.mark.parametrize("seed", range(3))
def test_the_staged_merge_counts_and_stores_as_the_row_by_row_upsert(sessions, tmp_path, seed):
    """Inserts, updates, unchanged rows and a key repeated in the file: the staged path's counts and stored values
    equal those of `upsert_snapshots` (run first on a copy of the same state, then rolled back)."""
    rng = random.Random(seed)
    ids = [add_customer(sessions, f"Customer {i}", external_id=f"c{i}") for i in range(5)]
    day0 = NOW.date() - timedelta(days=5)

    def random_rows(n):
        return [
            (
                rng.randrange(5),
                day0 + timedelta(days=rng.randrange(4)),
                rng.choice(SIGNALS),
                rng.randint(1, 4),
                rng.choice(("csv", "crm")),
            )
            for _ in range(n)
        ]

    first = random_rows(60)
    import_health_file(sessions, _file(tmp_path, [(f"c{c}", d, s, v, src) for c, d, s, v, src in first]), TEAM, now=NOW)
    second = random_rows(200)  # overlaps the first: unchanged and updated keys, and keys repeated within the file
    rows = [(ids[c], s, d, src, float(v)) for c, d, s, v, src in second]
    conn = sessions.engine.connect()
    trans = conn.begin()
    expected = imports.upsert_snapshots(Session(bind=conn), TEAM, rows, now=NOW)
    trans.rollback()
    conn.close()
    want_stored = {**_stored(sessions), **{r[:4]: r[4] for r in rows}}
    result = import_health_file(
        sessions, _file(tmp_path, [(f"c{c}", d, s, v, src) for c, d, s, v, src in second]), TEAM, now=NOW
    )
    assert (result.inserted, result.updated, result.unchanged) == (
        expected.inserted,
        expected.updated,
        expected.unchanged,
    )
    assert result.changed == expected.changed
    assert _stored(sessions) == want_stored
    with sessions.begin() as db:
        assert db.exec(select(HealthRefresh)).all() == []  # the import refreshed everything it queued


def _run(database_url: str, path: Path, stop_at: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "import_process.py"), database_url, str(path), TEAM, stop_at],
        cwd=ROOT,
        env={**os.environ, "PYTHON_DOTENV_DISABLED": "1"},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _stop_at(database_url: str, path: Path, phase: str) -> tuple[int, str]:
    child = _run(database_url, path, phase)
    try:
        assert child.stdout.readline().strip() == phase, child.stderr.read()
        child.send_signal(signal.SIGTERM)
        _out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
    return child.returncode, err


def _big_file(sessions, tmp_path: Path) -> Path:
    for i in range(20):
        add_customer(sessions, f"Customer {i}", external_id=f"c{i}")
    day0 = NOW.date() - timedelta(days=30)
    rows = [
        (f"c{i}", day0 + timedelta(days=d), s, (i + d) % 5 + 1, "csv")
        for i in range(20)
        for d in range(30)
        for s in SIGNALS
    ]
    return _file(tmp_path, rows)


def test_sigterm_before_the_merge_leaves_nothing(sessions, database_url, tmp_path):
    """Stopped once every row is staged: exit 130, "nothing was written", and no snapshot, score or queued refresh."""
    code, err = _stop_at(database_url, _big_file(sessions, tmp_path), "staged")
    assert code == 130 and "interrupted: nothing was written" in err
    with sessions.begin() as db:
        assert db.exec(select(HealthSnapshot)).all() == []
        assert db.exec(select(HealthScore)).all() == []
        assert db.exec(select(HealthRefresh)).all() == []


def test_sigterm_after_the_merge_keeps_every_snapshot_and_the_worker_scores_them(
    sessions, database_url, tmp_path, baton
):
    """Stopped after the merge committed: every row of the file is stored, the refresh is queued, and the
    worker's roll job scores them all (no customer left with snapshots and no scores)."""
    code, err = _stop_at(database_url, _big_file(sessions, tmp_path), "merged")
    assert code == 130 and "the snapshots are stored" in err
    with sessions.begin() as db:
        assert len(db.exec(select(HealthSnapshot)).all()) == 20 * 30 * len(SIGNALS)
        assert len(db.exec(select(HealthRefresh)).all()) == 20
    health_job.roll(baton.deps)
    with sessions.begin() as db:
        assert db.exec(select(HealthRefresh)).all() == []
        assert {s.customer_id for s in db.exec(select(HealthScore))} == {
            s.customer_id for s in db.exec(select(HealthSnapshot))
        }
