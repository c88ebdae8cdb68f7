"""`python -m bench.scan`: the daily renewal and onboarding scan over 100,000 customers, on SQLite and PostgreSQL.

Data set (seeded): `--customers` customers (bench.generate's names, ARR, owners, AEs, renewal dates spread over
the coming year, 2% churned), 5 dated snapshots of 8 signals each (today, 10, 20, 31 and 45 days ago: enough
for a score and its 30-day change), yesterday's stored daily score for everyone, open promises (a fifth of the
customers, some overdue), VoC notes (a tenth), 3,000 handoffs accepted over the last 90 days (the onboarding
playbook's) and 20,000 accepted long before (which get none), with 80 people in a fake Slack (a quarter Korean).

What is measured, with the product's own code (`jobs.schedules.run_schedule`: new onboarding playbooks, the plan
with reads only, then the occurrences and their outbox rows recorded in short write transactions, the fire
claimed with the last), time standing still at each day's 09:00; before it, the plan alone in a session that is
rolled back (what `jobs run --dry-run` does); and, from SQLAlchemy's engine events, the longest write
transaction of each scan (from its first write, where SQLite takes its one write lock, to the commit):
1. the first scan after install, `--history` days ago: every customer within 120 days of renewal gets its
   nearest step (older ones recorded as superseded), every recent handoff its three milestones;
2. then 1% of those reminders are snoozed, half of the past-due milestones marked done, and the scan runs daily
   up to today: each of these is the daily steady-state scan (reported: median of the days before today, and
   today's, which also re-sends the snoozed reminders).
Checked after today's scan: every customer whose renewal is exactly 120/90/60/30 days away got its step.

Databases: a SQLite file under `--data-dir` and a PostgreSQL database `baton_bench_scan` next to `--pg-url`'s
database, created fresh and dropped at the end (unless `--keep`).

`--source URL` runs the same scans on a copy of a `bench.generate` data set instead (90 days of 8 signals per
customer, the health state and every day's score built by the product's rebuild): the file copied, or on
PostgreSQL a database created from it as a template; the same 2% churned, handoffs, promises and VoC are added.
"""

import argparse
import json
import random
import shutil
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

import psycopg
from sqlalchemy import bindparam, event, insert, make_url, text
from sqlmodel import Session

from bench.generate import SIGNALS, customers, write_snapshots
from bench.run import DEFAULT_PG, Store, _pg_version, machine
from bot.config import Settings, normalize_database_url
from bot.db import make_engine, migrate
from bot.deps import build_deps
from bot.jobs import onboarding as onboarding_job
from bot.jobs import renewals as renewals_job
from bot.jobs.schedules import _context, defaults, run_schedule
from bot.models import Customer, Handoff, HealthScore, Promise, VocNote
from bot.outbox import Pacer
from bot.services import renewals, team_config
from tests.fakes.slack_api import FakeSlack

TEAM = "T111"
SEED = 42
DB_NAME = "baton_bench_scan"
PEOPLE = [f"U{i:05d}" for i in range(1, 81)]  # bench.generate's owners (1-40) and AEs (41-80)
SNAPSHOT_AGES = (0, 10, 20, 31, 45)
RECENT_HANDOFFS, OLD_HANDOFFS = 3_000, 20_000


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --- the data set -----------------------------------------------------------------------------------------------


@dataclass
class DataSet:
    url: str
    today: date
    customers: int
    snapshots: int
    seconds: float
    counts: dict = field(default_factory=dict)


def build_dataset(url: str, n: int, today: date, seed: int) -> DataSet:
    started = time.perf_counter()
    rng = random.Random(seed)
    migrate(url)
    engine = make_engine(url)
    rows = customers(n, TEAM, today, rng)
    for r in rows:
        if rng.random() < 0.02:
            r["stage"] = "churned"
    with engine.begin() as conn:
        for i in range(0, len(rows), 5000):
            conn.execute(insert(Customer), rows[i : i + 5000])
        ids = [r[0] for r in conn.execute(text("SELECT id FROM customers WHERE team_id = :t ORDER BY id"), {"t": TEAM})]
    quality = {cid: rng.uniform(0.1, 0.95) for cid in ids}

    def snapshot_rows():
        for cid in ids:
            q0 = quality[cid]
            for age in SNAPSHOT_AGES:
                q = min(1.0, max(0.0, q0 + age * rng.uniform(-0.004, 0.006)))  # most decline towards today
                seats = 100
                values = {
                    "active_users": round(seats * (0.5 + 0.5 * q)),
                    "logins_30d": round(seats * (0.5 + 0.5 * q)) * 15,
                    "key_feature_use": round(10 + 60 * q, 1),
                    "license_utilisation": round(30 + 60 * q, 1),
                    "tickets_30d": round(20 * (1 - q)),
                    "nps": round(10 * q),
                    "csm_rating": 1 + round(4 * q),
                    "overdue_invoices": 1 if q < 0.3 else 0,
                }
                for signal in SIGNALS:
                    yield (TEAM, cid, signal, today - timedelta(days=age), float(values[signal]), "bench")

    total = n * len(SNAPSHOT_AGES) * len(SIGNALS)
    write_snapshots(engine, snapshot_rows(), total)
    now = datetime.now(UTC)
    counts: dict = {}
    with engine.begin() as conn:
        scores = [
            {"team_id": TEAM, "customer_id": cid, "day": today - timedelta(days=1), "score": round(100 * q, 1),
             "band": "healthy" if q >= 0.7 else "at_risk" if q >= 0.4 else "unhealthy", "computed_at": now}
            for cid, q in quality.items()
        ]  # fmt: skip
        for i in range(0, len(scores), 20_000):
            conn.execute(insert(HealthScore), scores[i : i + 20_000])
        counts["handoffs"] = _handoffs(conn, ids, today, rng)
        counts["promises"] = _promises(conn, ids, today, rng)
        counts["voc"] = _voc(conn, ids, today, rng)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()
    return DataSet(url, today, n, total, time.perf_counter() - started, counts)


def copy_dataset(source: str, target: str, seed: int) -> DataSet:
    """A copy of a bench.generate data set at `target` (an empty SQLite path or PostgreSQL database name made
    by Store.fresh) with the scan's extras; its `today` is the last day of snapshots."""
    started = time.perf_counter()
    src = make_url(source)
    if src.get_backend_name() == "sqlite":
        shutil.copyfile(src.database, make_url(target).database)
    else:
        with psycopg.connect(make_url(source).set(database="postgres", drivername="postgresql").render_as_string(
                hide_password=False), autocommit=True) as conn:  # fmt: skip
            conn.execute(f'DROP DATABASE IF EXISTS "{make_url(target).database}"')
            conn.execute(f'CREATE DATABASE "{make_url(target).database}" TEMPLATE "{src.database}"')
    migrate(target)
    rng = random.Random(seed)
    engine = make_engine(target)
    with engine.begin() as conn:
        today = date.fromisoformat(str(conn.execute(text("SELECT max(as_of) FROM health_snapshots")).scalar_one())[:10])
        ids = [r[0] for r in conn.execute(text("SELECT id FROM customers WHERE team_id = :t ORDER BY id"), {"t": TEAM})]
        snapshots = conn.execute(text("SELECT count(*) FROM health_snapshots")).scalar_one()
        churned = [cid for cid in ids if rng.random() < 0.02]
        conn.execute(text("UPDATE customers SET stage = 'churned' WHERE id = :id"), [{"id": c} for c in churned])
        have = conn.execute(text("SELECT count(*) FROM handoffs WHERE team_id = :t"), {"t": TEAM}).scalar_one()
        if have:  # bench.serve added the same extras to this data set already (it keeps them): count, not add
            counts = {
                name: conn.execute(text(f"SELECT count(*) FROM {table} WHERE team_id = :t"), {"t": TEAM}).scalar_one()
                for name, table in (("handoffs", "handoffs"), ("promises", "promises"), ("voc", "voc_notes"))
            }
        else:
            counts = {
                "handoffs": _handoffs(conn, ids, today, rng),
                "promises": _promises(conn, ids, today, rng),
                "voc": _voc(conn, ids, today, rng),
            }
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()
    return DataSet(target, today, len(ids), snapshots, time.perf_counter() - started, counts)


def _handoffs(conn, ids: list[int], today: date, rng: random.Random) -> int:
    """Handoffs accepted over the last 90 days (the playbook's) and long ago (none), with their CSMs."""
    rows = []
    for cid in rng.sample(ids, min(len(ids), RECENT_HANDOFFS + OLD_HANDOFFS)):
        recent = len(rows) < RECENT_HANDOFFS
        days = rng.randint(0, 89) if recent else rng.randint(91, 700)
        accepted = datetime.combine(today - timedelta(days=days), dtime(rng.randint(0, 23)), tzinfo=UTC)
        rows.append(
            {"team_id": TEAM, "customer_id": cid, "status": "accepted", "customer_name": f"c{cid}",
             "csm_user_id": rng.choice(PEOPLE[:40]), "ae_user_id": rng.choice(PEOPLE[40:]),
             "success_criteria": "Onboarding time: 10 days -> 3 days; 80% weekly active users by day 60",
             "submitted_at": accepted - timedelta(days=1), "accepted_at": accepted, "accepted_by": "U00001",
             "created_at": accepted - timedelta(days=2), "updated_at": accepted}
        )  # fmt: skip
    for i in range(0, len(rows), 5000):
        conn.execute(insert(Handoff), rows[i : i + 5000])
    return len(rows)


def _promises(conn, ids: list[int], today: date, rng: random.Random) -> int:
    handoffs = dict(conn.execute(text("SELECT customer_id, id FROM handoffs WHERE team_id = :t"), {"t": TEAM}).all())
    rows = []
    for cid in rng.sample(ids, len(ids) // 5):
        hid = handoffs.get(cid)
        if hid is None:
            continue
        for k in range(rng.randint(1, 3)):
            rows.append(
                {"team_id": TEAM, "handoff_id": hid, "customer_id": cid, "position": k,
                 "text": "SSO before launch", "owner_user_id": rng.choice(PEOPLE), "status": "open",
                 "due_date": today + timedelta(days=rng.randint(-30, 60)), "created_at": datetime.now(UTC)}
            )  # fmt: skip
    for i in range(0, len(rows), 5000):
        conn.execute(insert(Promise), rows[i : i + 5000])
    return len(rows)


def _voc(conn, ids: list[int], today: date, rng: random.Random) -> int:
    rows = []
    for cid in rng.sample(ids, len(ids) // 10):
        for k in range(rng.randint(1, 2)):
            at = datetime.combine(today - timedelta(days=rng.randint(1, 200)), dtime(10), tzinfo=UTC)
            rows.append(
                {"team_id": TEAM, "customer_id": cid, "quote": "Exports are too slow for our finance team " * 3,
                 "category": "feature_request", "importance": "important", "source_kind": "command",
                 "source_key": f"bench:{cid}:{k}", "created_by": "U00001", "created_at": at, "updated_at": at}
            )  # fmt: skip
    for i in range(0, len(rows), 5000):
        conn.execute(insert(VocNote), rows[i : i + 5000])
    return len(rows)


# --- measuring ---------------------------------------------------------------------------------------------------


def bench(ds: DataSet, kind: str, history: int) -> dict:
    slack = FakeSlack(team_id=TEAM).start()
    for i, user in enumerate(PEOPLE):
        slack.add_user(user, email=f"{user.lower()}@example.com", locale="ko-KR" if i % 4 == 0 else "en-US")
    clock_now = [datetime.combine(ds.today, dtime(9), tzinfo=UTC)]
    settings = Settings(
        slack_bot_token="xoxb-test",
        slack_signing_secret="bench-signing-secret",
        slack_api_url=slack.url,
        database_url=ds.url,
        post_interval=0,
    )
    deps = build_deps(settings, clock=lambda: clock_now[0], pacer=Pacer(0))
    writes = WriteTimer(deps.sessions.engine)
    out: dict = {"database": kind, "customers": ds.customers, "snapshots": ds.snapshots, **ds.counts}
    try:
        with deps.sessions.begin() as db:
            cfg = team_config.load(db, TEAM, defaults(deps))

        def scan(day: date) -> dict:
            now = datetime.combine(day, dtime(9), tzinfo=UTC)
            clock_now[0] = now
            result = {}
            for schedule in (renewals_job.SCHEDULE, onboarding_job.SCHEDULE):
                # The plan alone (what `jobs run --dry-run` does: a session rolled back), then the real run.
                with Session(deps.sessions.engine) as db:
                    started = time.perf_counter()
                    schedule.plan(db, _context(deps, cfg, now, now, unsaved=[]))
                    plan_ms = (time.perf_counter() - started) * 1000
                    db.rollback()
                started = time.perf_counter()
                writes.reset()
                r = run_schedule(deps, schedule, cfg, now)
                ms = (time.perf_counter() - started) * 1000
                if r is None or r.stale:
                    raise RuntimeError(f"{schedule.name} did not run on {day}: {r}")
                result[schedule.name] = {
                    "ms": ms, "plan_ms": plan_ms, "queued": r.queued, "skipped": r.skipped,
                    "longest_write_ms": writes.longest * 1000, "write_transactions": writes.count,
                }  # fmt: skip
            result["total_ms"] = sum(v["ms"] for v in result.values() if isinstance(v, dict))
            result["longest_write_ms"] = max(v["longest_write_ms"] for v in result.values() if isinstance(v, dict))
            return result

        first_day = ds.today - timedelta(days=history)
        log(f"  first scan ({first_day}) ...")
        out["first"] = scan(first_day)
        _after_first(deps, first_day)
        daily = []
        for back in range(history - 1, -1, -1):
            day = ds.today - timedelta(days=back)
            _a_day_passes(deps)
            daily.append(scan(day))
            d = daily[-1]
            log(
                f"  {day}: {d['total_ms']:,.0f} ms (renewals {d['renewals']['ms']:,.0f} ms, "
                f"{d['renewals']['queued']} queued; onboarding {d['onboarding']['ms']:,.0f} ms, "
                f"{d['onboarding']['queued']} queued)"
            )
        out["today"] = daily[-1]
        out["daily_median_ms"] = statistics.median(d["total_ms"] for d in daily[:-1]) if len(daily) > 1 else None
        out["daily"] = daily
        out["check"] = _check(deps, ds.today)
        return out
    finally:
        writes.close()
        deps.sessions.engine.dispose()
        slack.stop()


class WriteTimer:
    """The longest write transaction on an engine since `reset`: from the first INSERT/UPDATE/DELETE of a
    transaction to its commit or rollback (SQLAlchemy engine events)."""

    def __init__(self, engine):
        self.engine, self._open, self.longest, self.count = engine, {}, 0.0, 0
        self._listeners = [("before_cursor_execute", self._before), ("commit", self._end), ("rollback", self._end)]
        for name, fn in self._listeners:
            event.listen(engine, name, fn)

    def reset(self) -> None:
        self.longest, self.count = 0.0, 0

    def close(self) -> None:
        for name, fn in self._listeners:
            event.remove(self.engine, name, fn)

    def _before(self, conn, _cursor, statement, *_args) -> None:
        if conn not in self._open and statement.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE"):
            self._open[conn] = time.perf_counter()

    def _end(self, conn) -> None:
        started = self._open.pop(conn, None)
        if started is not None:
            self.longest, self.count = max(self.longest, time.perf_counter() - started), self.count + 1


def _a_day_passes(deps) -> None:
    """What a day does to the database between two scans: PostgreSQL's autovacuum analyses the tables the last
    scan grew (its statistics decide whether the key checks use the unique index), SQLite's planner needs none."""
    if deps.sessions.engine.dialect.name != "postgresql":
        return
    with deps.sessions.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE schedule_occurrences"))
        conn.execute(text("ANALYZE slack_outbox"))
        conn.execute(text("ANALYZE onboarding_tasks"))


def _after_first(deps, day: date) -> None:
    """What people do in the week after install: snooze 1% of the renewal reminders, finish half of the past-due
    onboarding milestones."""
    snoozed_at = datetime.combine(day, dtime(11), tzinfo=UTC)
    with deps.sessions.begin() as db:
        conn = db.connection()
        conn.execute(
            text(
                "UPDATE schedule_occurrences SET status = 'snoozed', acted_by = recipient, acted_at = :at, "
                "snoozed_until = :until WHERE team_id = :t AND kind = 'renewal' AND status = 'queued' AND id % 100 = 0"
            ),
            {"at": snoozed_at, "until": snoozed_at + timedelta(days=7), "t": TEAM},
        )
        conn.execute(
            text(
                "UPDATE onboarding_tasks SET done_at = :at, done_by = 'U00001' "
                "WHERE team_id = :t AND due_date < :day AND id % 2 = 0"
            ),
            {"at": snoozed_at, "t": TEAM, "day": day},
        )


def _check(deps, today: date) -> dict:
    """Every customer exactly 120/90/60/30 days from renewal (not churned, with an owner) has its step recorded."""
    with deps.sessions.begin() as db:
        conn = db.connection()
        due = conn.execute(
            text(
                "SELECT id, renewal_date FROM customers WHERE team_id = :t AND stage <> 'churned' "
                "AND owner_user_id IS NOT NULL AND renewal_date IN (:a, :b, :c, :d)"
            ),
            {"t": TEAM, **{k: today + timedelta(days=s) for k, s in zip("abcd", (120, 90, 60, 30), strict=True)}},
        ).all()
        due = [(cid, rd if isinstance(rd, date) else date.fromisoformat(rd)) for cid, rd in due]
        keys = [renewals.step_key(cid, rd, (rd - today).days) for cid, rd in due]
        found = set()
        for i in range(0, len(keys), 500):
            found.update(
                r[0]
                for r in conn.execute(
                    text("SELECT key FROM schedule_occurrences WHERE team_id = :t AND key IN :keys").bindparams(
                        bindparam("keys", expanding=True)
                    ),
                    {"t": TEAM, "keys": keys[i : i + 500]},
                )
            )
        missing = len(set(keys) - found)
        dupes = conn.execute(
            text("SELECT count(*) - count(DISTINCT key) FROM schedule_occurrences WHERE team_id = :t"), {"t": TEAM}
        ).scalar_one()
        outbox = conn.execute(text("SELECT count(*) FROM slack_outbox")).scalar_one()
    if missing or dupes:
        raise RuntimeError(f"scan check failed: {missing} step(s) missing, {dupes} duplicate key(s)")
    return {"steps_due_today": len(keys), "missing": missing, "outbox_rows": outbox}


# --- report -------------------------------------------------------------------------------------------------------


def report(results: list[dict], meta: dict) -> str:
    m = meta["machine"]
    lines = [
        f"Machine: {m['cpus']} cores ({m['cpu']}), {m['memory']} RAM, {m['os']}, Python {m['python']}"
        + (f", PostgreSQL {m['postgresql']}" if m.get("postgresql") else ""),
        "",
        "Daily renewal + onboarding scan (plan with reads, record in short write transactions), ms; messages "
        "queued (renewals + onboarding); the longest write transaction of the scans:",
        "",
        "| Database | Customers | **today's scan** | renewals (plan) | onboarding (plan) | queued | daily median "
        f"(previous {meta['history'] - 1} days) | first scan after install | queued / skipped on the first | "
        "longest write transaction (today / first) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        t, f = r["today"], r["first"]
        queued = t["renewals"]["queued"] + t["onboarding"]["queued"]
        lines.append(
            f"| {r['database']} | {r['customers']:,} | **{t['total_ms']:,.0f}** | {t['renewals']['ms']:,.0f} "
            f"({t['renewals']['plan_ms']:,.0f}) | {t['onboarding']['ms']:,.0f} ({t['onboarding']['plan_ms']:,.0f}) | "
            f"{queued:,} | {r['daily_median_ms']:,.0f} | {f['total_ms']:,.0f} | "
            f"{f['renewals']['queued'] + f['onboarding']['queued']:,} / "
            f"{f['renewals']['skipped'] + f['onboarding']['skipped']:,} | "
            f"{t['longest_write_ms']:,.0f} / {f['longest_write_ms']:,.0f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scan", description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--history", type=int, default=7, help="days between the first scan and today's")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    parser.add_argument("--data-dir", type=Path, default=Path("bench/.data"))
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards (for inspection)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--source", help="a bench.generate data set to copy (90-day history, state built)")
    args = parser.parse_args(argv)
    if args.history < 2:
        raise SystemExit("--history must be at least 2")

    kinds = [k.strip() for k in args.databases.split(",") if k.strip()]
    if args.source:
        kinds = ["postgresql" if make_url(normalize_database_url(args.source)).get_backend_name() != "sqlite"
                 else "sqlite"]  # fmt: skip
    meta = {"machine": machine(), "history": args.history}
    if "postgresql" in kinds:
        meta["machine"]["postgresql"] = _pg_version(args.pg_url)
    results = []
    for kind in kinds:
        store = Store(kind, args.data_dir, args.pg_url, args.keep)
        name = f"{DB_NAME}_{args.customers}"
        drop = store._dropper(name)
        try:
            url = store.fresh(name)
            if args.source:
                log(f"{kind}: copying {args.source}")
                ds = copy_dataset(normalize_database_url(args.source), url, SEED)
            else:
                log(f"{kind}: generating {args.customers:,} customers")
                ds = build_dataset(url, args.customers, date.today(), SEED)
            log(f"  generated in {ds.seconds:.1f}s ({ds.snapshots:,} snapshots, {ds.counts})")
            r = bench(ds, kind, args.history)
            results.append(r)
            t = r["today"]
            log(
                f"  today's scan {t['total_ms']:,.0f} ms; daily median {r['daily_median_ms']:,.0f} ms; first scan "
                f"{r['first']['total_ms']:,.0f} ms; longest write transaction {t['longest_write_ms']:,.0f} ms today, "
                f"{r['first']['longest_write_ms']:,.0f} ms on the first; check {r['check']}"
            )
        finally:
            drop()
    out = report(results, meta)
    print(out)
    if args.json:
        args.json.write_text(json.dumps({"meta": meta, "results": results}, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
