"""Short write transactions: SQLite has one write lock, so no job may hold it long. The daily scans plan with
reads only and record in short batches, a handoff submitted while a scan runs goes through, and pruning
deletes in batches. Write transactions are observed with SQLAlchemy's engine events (from a transaction's
first write, where SQLite takes the lock, to its commit)."""

import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event, func, insert, select

from bot.cli import import_health_file
from bot.jobs import maintenance
from bot.jobs import onboarding as onboarding_job
from bot.jobs import renewals as renewals_job
from bot.jobs.schedules import defaults, run_schedule
from bot.models import ACCEPTED, Customer, Handoff, Occurrence, OnboardingTask, OutboxMessage
from bot.services import health_state, onboarding, renewals, team_config
from bot.services import schedules as engine
from bot.text import normalize_key
from tests.conftest import TEAM
from tests.flows import ack_body, open_handoff, submit_handoff

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
CHUNK = 100  # planned messages per write transaction here (the product's 1,000 would need 3,000 customers)
RENEWING = 3 * CHUNK + 50  # customers whose T-90 reminder is due: four batches at least
ACCEPTED_HANDOFFS = 2 * onboarding.PREPARE_HANDOFFS + 50  # handoffs whose kickoff is due: three playbook batches


@dataclass
class Span:
    """One write transaction: the statements from its first write to its commit, with their row counts."""

    thread: int
    started: float
    statements: list[tuple[str, int]] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, prefix: str) -> int:
        return sum(1 for s, _ in self.statements if s.startswith(prefix))

    def rows(self, prefix: str) -> int:
        return sum(max(n, 0) for s, n in self.statements if s.startswith(prefix))


class WriteSpans:
    """Records every write transaction on an engine (engine events, nothing patched)."""

    def __init__(self, eng):
        self.engine, self.spans, self._open, self._lock = eng, [], {}, threading.Lock()
        self._listeners = [
            ("before_cursor_execute", self._before),
            ("after_cursor_execute", self._after),
            ("commit", self._end),
            ("rollback", self._end),
        ]
        for name, fn in self._listeners:
            event.listen(eng, name, fn)

    def close(self) -> None:
        for name, fn in self._listeners:
            event.remove(self.engine, name, fn)

    def _before(self, conn, _cursor, statement, _params, _context, _many):
        verb = statement.lstrip().split(None, 1)[0].upper()
        with self._lock:
            if conn not in self._open and verb in WRITES:
                self._open[conn] = Span(threading.get_ident(), time.perf_counter())

    def _after(self, conn, cursor, statement, _params, _context, _many):
        with self._lock:
            span = self._open.get(conn)
            if span is not None:
                span.statements.append((" ".join(statement.split()), cursor.rowcount))

    def _end(self, conn):
        with self._lock:
            span = self._open.pop(conn, None)
            if span is not None:
                span.seconds = time.perf_counter() - span.started
                self.spans.append(span)


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch):
    monkeypatch.setattr(engine, "RECORD_CHUNK", CHUNK)


@pytest.fixture
def spans(baton):
    recorder = WriteSpans(baton.deps.sessions.engine)
    yield recorder
    recorder.close()


def team(baton):
    with baton.deps.sessions.begin() as db:
        return team_config.load(db, TEAM, defaults(baton.deps))


def seed(baton, cfg, fire) -> None:
    """RENEWING customers 90 days from renewal (their CSM's T-90 reminder is due on the fire's day), and
    ACCEPTED_HANDOFFS handoffs accepted a week before it (their kickoff is due that day)."""
    now, today = baton.clock(), cfg.local(fire).date()
    customers = [
        {"team_id": TEAM, "name": f"Renewing {i}", "name_key": f"renewing {i}", "owner_user_id": "U_CSM",
         "renewal_date": today + timedelta(days=90), "arr": Decimal("1000"), "currency": "USD", "stage": "active",
         "created_at": now, "updated_at": now}
        for i in range(RENEWING)
    ]  # fmt: skip
    onboarding_customers = [
        {"team_id": TEAM, "name": f"Onboarding {i}", "name_key": f"onboarding {i}", "owner_user_id": "U_CSM2",
         "stage": "onboarding", "created_at": now, "updated_at": now}
        for i in range(ACCEPTED_HANDOFFS)
    ]  # fmt: skip
    with baton.deps.sessions.begin() as db:
        db.connection().execute(insert(Customer), customers)
        db.connection().execute(insert(Customer), onboarding_customers)
        ids = db.connection().execute(select(Customer.id).where(Customer.name.startswith("Onboarding "))).scalars()
        accepted = fire - timedelta(days=7)
        db.connection().execute(
            insert(Handoff),
            [
                {"team_id": TEAM, "customer_id": cid, "status": ACCEPTED, "version": 0, "customer_name": "x",
                 "csm_user_id": "U_CSM2", "accepted_at": accepted, "accepted_by": "U_CSM2", "created_at": accepted,
                 "updated_at": accepted}
                for cid in ids
            ],
        )  # fmt: skip


def occurrence_count(baton, *where) -> int:
    with baton.db() as db:
        return db.connection().execute(select(func.count()).select_from(Occurrence).where(*where)).scalar_one()


@pytest.mark.parametrize(
    ("schedule", "expected"), [(renewals_job.SCHEDULE, RENEWING), (onboarding_job.SCHEDULE, ACCEPTED_HANDOFFS)]
)
def test_a_scan_plans_outside_any_write_transaction_and_records_in_short_batches(baton, spans, schedule, expected):
    """A daily scan holds no write transaction while it plans, records RECORD_CHUNK reminders per write
    transaction in bulk (one insert of occurrences, one of their outbox rows), creates new playbooks in
    batches, and each write transaction is short (measured; the budget is 0.1 s, asserted loosely so a loaded
    machine does not fail it)."""
    cfg = team(baton)
    fire = engine.latest_fire(schedule, cfg, baton.clock())
    seed(baton, cfg, fire)

    result = run_schedule(baton.deps, schedule, cfg, baton.clock())

    assert result.queued == expected and not result.stale
    recorded = occurrence_count(baton, Occurrence.schedule == schedule.name, Occurrence.kind != engine.RUN)
    assert recorded == result.queued + result.skipped  # reminders, and the older steps recorded as superseded
    recording = [s for s in spans.spans if s.count("INSERT INTO schedule_occurrences")]
    assert len(recording) >= (4 if schedule is renewals_job.SCHEDULE else 3)
    for span in recording:  # only the record's own inserts: the plan's reads ran before, outside the lock
        assert {s.split(" (")[0] for s, _ in span.statements} <= {
            "INSERT INTO schedule_occurrences",
            "INSERT INTO slack_outbox",
        }, span.statements[:3]
        assert span.count("INSERT INTO schedule_occurrences") <= 2  # the batch's one insert + the run's claim
        assert span.count("INSERT INTO slack_outbox") <= 1
    if schedule is onboarding_job.SCHEDULE:
        playbooks = [s for s in spans.spans if s.count("INSERT INTO onboarding_tasks")]
        assert len(playbooks) >= 3
        assert all(s.count("INSERT INTO onboarding_tasks") == len(s.statements) for s in playbooks)
        with baton.db() as db:
            tasks = db.connection().execute(select(func.count()).select_from(OnboardingTask)).scalar_one()
        assert tasks == 3 * ACCEPTED_HANDOFFS
    longest = max(s.seconds for s in spans.spans)
    assert longest < 0.5, f"longest write transaction {longest * 1000:.0f} ms"


def test_a_handoff_submitted_while_the_scan_runs_goes_through(baton, slack, spans):
    """A handoff submitted while the renewal scan plans, and another while it is between two of its write
    transactions, are both saved and acked (on SQLite they used to wait for the scan's lock and fail); the scan
    then finishes with every reminder recorded once."""
    cfg = team(baton)
    fire = engine.latest_fire(renewals_job.SCHEDULE, cfg, baton.clock())
    seed(baton, cfg, fire)
    first = open_handoff(baton, slack, "During Plan Co.")
    second = open_handoff(baton, slack, "Between Batches Co.")

    scan_thread: list[int] = []
    reached = {"plan": threading.Event(), "batch": threading.Event()}
    go = {"plan": threading.Event(), "batch": threading.Event()}
    recorded_before = threading.Event()  # a write transaction of the scan with reminders in it has committed

    def hold(name: str) -> None:
        reached[name].set()
        assert go[name].wait(30)

    writing: set = set()  # the scan's connections whose transaction has recorded reminders

    def before(conn, _cursor, statement, _params, _context, _many):
        if not scan_thread or threading.get_ident() != scan_thread[0]:
            return
        if "FROM customers" in statement and not reached["plan"].is_set():
            hold("plan")  # the plan's first read of the customers
        elif statement.startswith("INSERT INTO schedule_occurrences"):
            if recorded_before.is_set() and not reached["batch"].is_set():
                hold("batch")  # a later batch, before its first write
            writing.add(conn)

    def committed(conn):
        if conn in writing:
            writing.discard(conn)
            recorded_before.set()

    eng = baton.deps.sessions.engine
    event.listen(eng, "before_cursor_execute", before)
    event.listen(eng, "commit", committed)
    outcome: dict = {}

    def scan():
        scan_thread.append(threading.get_ident())
        try:
            outcome["result"] = run_schedule(baton.deps, renewals_job.SCHEDULE, cfg, baton.clock())
        except BaseException as exc:  # surfaced below
            outcome["error"] = exc
        finally:
            for name in reached:
                reached[name].set()

    worker = threading.Thread(target=scan)
    try:
        worker.start()
        assert reached["plan"].wait(30)
        resp = submit_handoff(baton, first, view_id="V_PLAN", customer_name="During Plan Co.")
        assert resp.status_code == 200 and ack_body(resp) == {}, resp.text
        go["plan"].set()

        assert reached["batch"].wait(30)
        assert "result" not in outcome and "error" not in outcome, "the scan recorded everything in one transaction"
        # each customer gets its T-90 reminder and its T-120 step recorded as superseded: some are in, not all
        assert 0 < occurrence_count(baton, Occurrence.kind == renewals.KIND) < 2 * RENEWING
        resp = submit_handoff(baton, second, view_id="V_BATCH", customer_name="Between Batches Co.")
        assert resp.status_code == 200 and ack_body(resp) == {}, resp.text
    finally:
        for name in go:
            go[name].set()
        worker.join(60)
        event.remove(eng, "before_cursor_execute", before)
        event.remove(eng, "commit", committed)
    assert "error" not in outcome, outcome.get("error")
    assert outcome["result"].queued == RENEWING
    assert occurrence_count(baton, Occurrence.kind == renewals.KIND, Occurrence.step == 90) == RENEWING
    assert occurrence_count(baton, Occurrence.kind == renewals.KIND) == 2 * RENEWING
    assert sorted(h.customer_name for h in baton.all(Handoff) if h.customer_name != "x") == [
        "Between Batches Co.",
        "During Plan Co.",
    ]


def test_pruning_deletes_a_backlog_in_batches(baton, spans, clock):
    """A backlog of sent outbox rows past their retention is deleted DELETE_BATCH rows per write transaction,
    and the recent ones are kept."""
    now = clock()
    old, recent = now - maintenance.KEEP_SENT - timedelta(days=1), now - timedelta(days=1)
    rows = [
        {"team_id": TEAM, "idem_key": f"k{i}", "method": "chat.postMessage", "payload": "{}", "status": "sent",
         "attempts": 1, "next_attempt_at": old, "created_at": old if i < 2500 else recent}
        for i in range(2600)
    ]  # fmt: skip
    with baton.deps.sessions.begin() as db:
        db.connection().execute(insert(OutboxMessage), rows)
    spans.spans.clear()

    assert maintenance.prune(baton.deps) == 2500

    assert len(baton.all(OutboxMessage)) == 100
    deletes = [s for s in spans.spans if s.count("DELETE FROM slack_outbox")]
    assert len(deletes) >= 3
    assert all(s.rows("DELETE FROM slack_outbox") <= maintenance.DELETE_BATCH for s in deletes)


class Interrupted(Exception):
    """The worker dies between two of the scan's write transactions."""


def test_a_scan_cut_off_between_batches_and_run_again_sends_nothing_twice_and_misses_nothing(baton, spans):
    """A first renewal scan that dies after its first write transaction has committed leaves the fire unclaimed;
    the next tick runs it again, records only what is missing (no message queued twice) and decides as the
    first scan would have: steps already long past at install are still skipped, not sent late."""
    cfg = team(baton)
    fire = engine.latest_fire(renewals_job.SCHEDULE, cfg, baton.clock())
    today = cfg.local(fire).date()
    seed(baton, cfg, fire)  # RENEWING customers at T-90 today
    late = [  # their T-90 day was 10 days before this first scan: skipped at install, never sent late
        Customer(team_id=TEAM, name=f"Late {i}", name_key=f"late {i}", owner_user_id="U_CSM", stage="active",
                 renewal_date=today + timedelta(days=80))
        for i in range(CHUNK)
    ]  # fmt: skip
    with baton.deps.sessions.begin() as db:
        db.add_all(late)
    committed: list = []
    writing: set = set()

    def before(conn, _cursor, statement, _params, _context, _many):
        if statement.startswith("INSERT INTO schedule_occurrences"):
            if committed:
                raise Interrupted
            writing.add(conn)

    def commit(conn):
        if conn in writing:
            committed.append(conn)

    eng = baton.deps.sessions.engine
    event.listen(eng, "before_cursor_execute", before)
    event.listen(eng, "commit", commit)
    try:
        with pytest.raises(Interrupted):
            run_schedule(baton.deps, renewals_job.SCHEDULE, cfg, baton.clock())
    finally:
        event.remove(eng, "before_cursor_execute", before)
        event.remove(eng, "commit", commit)
    first = occurrence_count(baton, Occurrence.kind == renewals.KIND)
    assert 0 < first < 2 * RENEWING + len(late)
    assert occurrence_count(baton, Occurrence.kind == engine.RUN) == 0  # the fire is not done

    result = run_schedule(baton.deps, renewals_job.SCHEDULE, cfg, baton.clock())

    assert result.queued == RENEWING and not result.stale
    assert occurrence_count(baton, Occurrence.kind == renewals.KIND) == 2 * RENEWING + len(late)
    assert occurrence_count(baton, Occurrence.kind == renewals.KIND, Occurrence.status == "queued") == RENEWING
    late_ids = [c.id for c in baton.all(Customer, Customer.name.startswith("Late "))]
    assert occurrence_count(baton, Occurrence.customer_id.in_(late_ids), Occurrence.status == "skipped") == len(late)
    assert len(baton.all(OutboxMessage)) == RENEWING  # one DM each, none twice
    assert occurrence_count(baton, Occurrence.kind == engine.RUN) == 1
    assert run_schedule(baton.deps, renewals_job.SCHEDULE, cfg, baton.clock()) is None


def test_an_import_recomputes_scores_in_short_transactions(baton, spans, tmp_path):
    """After a health CSV import's merge, the health state of the customers it touched is refreshed
    health_state.CHUNK customers per write transaction, each chunk read before its writes (not one transaction)."""
    now = baton.clock()
    n = 2 * health_state.CHUNK + 50
    with baton.deps.sessions.begin() as db:
        db.connection().execute(
            insert(Customer),
            [{"team_id": TEAM, "name": f"Scored {i}", "name_key": normalize_key(f"Scored {i}"), "stage": "active",
              "created_at": now, "updated_at": now} for i in range(n)],
        )  # fmt: skip
    day = now.date().isoformat()
    path = tmp_path / "health.csv"
    path.write_text(
        "customer,date,nps,active_users,logins_30d\n"
        + "".join(f"Scored {i},{day},{i % 11},{50 + i % 50},{400 + i}\n" for i in range(n)),
        encoding="utf-8",
    )
    spans.spans.clear()

    result = import_health_file(baton.deps.sessions, path, TEAM, now=now)

    assert result.written and len(result.customer_ids) == n
    scoring = [s for s in spans.spans if s.count("INSERT INTO health_scores") or s.count("DELETE FROM health_scores")]
    assert len(scoring) >= 3
    for span in scoring:
        assert span.count("INSERT INTO health_scores") <= 1 and span.count("DELETE FROM health_scores") <= 1
        assert not span.count("SELECT"), [s for s, _ in span.statements if s.startswith("SELECT")][:1]
