"""`python -m bench.run`: the Baton benchmark, in one run, on SQLite and on PostgreSQL.

1. `/customer` handling at 1,000 / 10,000 / 100,000 customers (90 days x 8 signals each): the time from a signed
   slash command entering the app (the real WSGI app, as in the end-to-end tests) to the reply reaching the fake
   Slack's response_url, p50/p95/p99; interleaved with a bare Bolt command that only acks and replies, served
   through the same WSGI adapter, executor and fake Slack.
2. Health import: `python -m bot import health` in a child process on a 1,000,000-row long CSV (ordered by
   customer, and ordered by date), rows/s and the child's peak memory; a 100,000-row file shows that memory
   stays flat as the file grows.

Data sets come from `bench.generate` (seeded). They are deleted at the end unless `--keep`: SQLite files under
`--data-dir`, PostgreSQL databases `baton_bench_*` created next to `--pg-url`'s database.
"""

import argparse
import csv
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

import httpx
import psycopg
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.generate import SIGNALS, generate
from bot.app import create_app
from bot.blocks import customer as cb
from bot.config import Settings, normalize_database_url
from bot.db import migrate
from bot.deps import build_deps
from bot.signals import SIGNALS as SIGNAL_SPECS
from bot.web import WebApp
from tests.fakes.slack_api import FakeSlack
from tests.payloads import SIGNING_SECRET, slash_command

TEAM = "T111"
USER = "U_BENCH"
DAYS = 90
SEED = 42
IMPORT_CUSTOMERS = 1250  # x 100 days x 8 signals = 1,000,000 rows
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
KINDS = ("name", "partial", "typo", "domain", "external_id")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --- data sets ------------------------------------------------------------------------------------------------


@dataclass
class Dataset:
    kind: str  # sqlite | postgresql
    url: str
    customers: int
    generated_on: date
    seconds: float  # generation time (0: reused)
    drop: object = None  # callable that removes it


class Store:
    """Where data sets live: SQLite files in a directory, PostgreSQL databases next to the admin database."""

    def __init__(self, kind: str, data_dir: Path, pg_url: str, keep: bool):
        self.kind, self.data_dir, self.pg_url, self.keep = kind, data_dir, normalize_database_url(pg_url), keep

    def dataset(self, n: int, days: int, seed: int) -> Dataset:
        name = f"baton_bench_{n}_d{days}_s{seed}"
        url = self._url(name)
        marker = self._marker(name)
        if marker is not None:
            log(f"  reusing {self.kind} data set {name} (generated {marker})")
            migrate(url)  # a data set kept from an earlier run may predate the latest migration
            return Dataset(self.kind, url, n, marker, 0.0, self._dropper(name))
        self._create(name)
        log(f"  generating {self.kind} data set {name}: {n:,} customers x {days} days x {len(SIGNALS)} signals")
        today = date.today()
        started = time.perf_counter()
        generate(url, n, days, seed=seed, team=TEAM, today=today)
        seconds = time.perf_counter() - started
        self._mark(name, today)
        return Dataset(self.kind, url, n, today, seconds, self._dropper(name))

    def fresh(self, name: str) -> str:
        """An empty database (dropped first if it exists); returns its URL."""
        self._dropper(name)(force=True)
        self._create(name)
        return self._url(name)

    # SQLite: a file plus a `.done` marker holding the generation date
    def _url(self, name: str) -> str:
        if self.kind == "sqlite":
            return f"sqlite:///{self.data_dir / (name + '.db')}"
        return make_url(self.pg_url).set(database=name).render_as_string(hide_password=False)

    def _marker(self, name: str) -> date | None:
        if self.kind == "sqlite":
            done = self.data_dir / (name + ".done")
            return date.fromisoformat(done.read_text().strip()) if done.exists() else None
        with self._admin() as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
                return None
        with psycopg.connect(self._plain(self._url(name))) as conn:
            try:
                row = conn.execute("SELECT generated_on FROM bench_meta").fetchone()
            except psycopg.Error:
                row = None
        return row[0] if row else None

    def _create(self, name: str) -> None:
        if self.kind == "sqlite":
            self.data_dir.mkdir(parents=True, exist_ok=True)
            for suffix in (".db", ".db-wal", ".db-shm", ".done"):
                (self.data_dir / (name + suffix)).unlink(missing_ok=True)
            return
        with self._admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')

    def _mark(self, name: str, today: date) -> None:
        if self.kind == "sqlite":
            (self.data_dir / (name + ".done")).write_text(today.isoformat())
            return
        with psycopg.connect(self._plain(self._url(name))) as conn:
            conn.execute("CREATE TABLE bench_meta (generated_on date NOT NULL)")
            conn.execute("INSERT INTO bench_meta VALUES (%s)", (today,))

    def _dropper(self, name: str):
        def drop(force: bool = False) -> None:
            if self.keep and not force:
                return
            if self.kind == "sqlite":
                for suffix in (".db", ".db-wal", ".db-shm", ".done"):
                    (self.data_dir / (name + suffix)).unlink(missing_ok=True)
                return
            with self._admin() as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

        return drop

    def _admin(self):
        return psycopg.connect(self._plain(self.pg_url), autocommit=True)

    @staticmethod
    def _plain(url: str) -> str:
        return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


# --- /customer --------------------------------------------------------------------------------------------------


@dataclass
class Sample:
    kind: str
    answer: str  # card | choices
    baton_ms: float
    bare_ms: float


def queries(url: str, count: int, seed: int) -> list[tuple[str, str]]:
    """`count` (kind, text) lookups a team would type: exact names, partial names, typos, domains, CRM ids."""
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = list(
            conn.execute(
                text("SELECT name, domain, external_id FROM customers WHERE team_id = :t ORDER BY id"), {"t": TEAM}
            )
        )
    engine.dispose()
    rng = random.Random(seed)
    out = []
    for i in range(count):
        name, domain, external_id = rng.choice(rows)
        kind = KINDS[i % len(KINDS)]
        if kind == "name":
            q = name
        elif kind == "partial":
            q = name.split()[0] if " " in name else name[: max(2, len(name) * 2 // 3)]
        elif kind == "typo":
            q = _typo(name.lower(), rng)
        elif kind == "domain":
            q = domain
        else:
            q = external_id
        out.append((kind, q))
    return out


def _typo(name: str, rng: random.Random) -> str:
    """Swap two neighbouring letters inside the name (`acme` -> `amce`)."""
    spots = [i for i in range(1, len(name) - 2) if name[i].isalpha() and name[i + 1].isalpha()]
    if not spots:
        return name
    i = rng.choice(spots)
    return name[:i] + name[i + 1] + name[i] + name[i + 2 :]


def bare_bolt(slack: FakeSlack) -> App:
    """The floor: a Bolt app whose command only acks and replies, served the same way as Baton."""
    app = App(
        signing_secret=SIGNING_SECRET,
        client=WebClient(token="xoxb-test", base_url=slack.url),
        process_before_response=False,
        listener_executor=ThreadPoolExecutor(max_workers=32, thread_name_prefix="bare"),
        token_verification_enabled=False,
    )

    @app.command("/bare")
    def bare(ack, respond):
        ack()
        respond(text="ok", response_type="ephemeral")

    return app


def _wsgi(app) -> httpx.Client:
    return httpx.Client(transport=httpx.WSGITransport(app=app), base_url="https://baton.example.com")


def _timed(http: httpx.Client, slack: FakeSlack, command: str, q: str) -> tuple[float, dict]:
    """Send one signed command; milliseconds until its reply reached the fake Slack, and that reply."""
    request = slash_command(command, q, user_id=USER, team_id=TEAM, response_url=slack.new_response_url())
    body, headers = request.body.encode(), request.headers
    slack.reset_calls()
    started = time.perf_counter()
    resp = http.post("/slack/events", content=body, headers=headers)
    if resp.status_code != 200:
        raise RuntimeError(f"{command} {q!r}: HTTP {resp.status_code} {resp.text[:200]}")
    call = slack.wait_for("response_url", 1, timeout=60)[0]
    if call.status != 200:
        raise RuntimeError(f"{command} {q!r}: the fake Slack refused the reply: {call.response}")
    return (call.received - started) * 1000, call.args


def bench_customer(ds: Dataset, requests: int, warmup: int, seed: int) -> dict:
    slack = FakeSlack(team_id=TEAM).start()
    slack.add_user(USER, email="bench@example.com", name="Bench User", locale="en-US")
    settings = Settings(
        slack_bot_token="xoxb-test",
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.url,
        database_url=ds.url,
    )
    # Time stands still at noon of the day the data was generated, so "as of" and trends mean the same in reruns.
    now = datetime.combine(ds.generated_on, dtime(12), tzinfo=UTC)
    deps = build_deps(settings, clock=lambda: now)
    app, _ = create_app(settings, deps)
    baton, bare = _wsgi(WebApp(deps, app)), _wsgi(SlackRequestHandler(bare_bolt(slack)))
    try:
        started = time.perf_counter()
        warm = deps.lookup.warm()
        if warm is not None:
            warm.join()
        index_s = time.perf_counter() - started
        work = queries(ds.url, warmup + requests, seed)
        for _kind, q in work[:warmup]:
            _timed(baton, slack, "/customer", q)
            _timed(bare, slack, "/bare", q)
        samples = []
        for i, (kind, q) in enumerate(work[warmup:]):
            # Interleaved, alternating which goes first, so drift (GC, caches, the OS) hits both alike.
            if i % 2:
                bare_ms, _ = _timed(bare, slack, "/bare", q)
                ms, reply = _timed(baton, slack, "/customer", q)
            else:
                ms, reply = _timed(baton, slack, "/customer", q)
                bare_ms, _ = _timed(bare, slack, "/bare", q)
            answer = "choices" if cb.PICK in json.dumps(reply.get("blocks") or []) else "card"
            samples.append(Sample(kind, answer, ms, bare_ms))
    finally:
        baton.close()
        bare.close()
        deps.sessions.engine.dispose()
        slack.stop()
    return summarize(ds, samples, index_s)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def _stats(values: list[float]) -> dict:
    return {
        "n": len(values),
        "p50": pct(values, 50),
        "p95": pct(values, 95),
        "p99": pct(values, 99),
        "max": max(values),
        "mean": statistics.fmean(values),
    }


def summarize(ds: Dataset, samples: list[Sample], index_s: float) -> dict:
    baton = _stats([s.baton_ms for s in samples])
    bare = _stats([s.bare_ms for s in samples])
    return {
        "database": ds.kind,
        "customers": ds.customers,
        "snapshots": ds.customers * DAYS * len(SIGNALS),
        "generate_s": ds.seconds,
        "index_build_s": index_s,
        "customer": baton,
        "bare": bare,
        "p99_ratio": baton["p99"] / bare["p99"],
        "by_kind": {k: _stats([s.baton_ms for s in samples if s.kind == k]) for k in KINDS},
        "answers": {a: sum(1 for s in samples if s.answer == a) for a in ("card", "choices")},
    }


# --- health import ---------------------------------------------------------------------------------------------


def write_health_csv(path: Path, ids: list[str], days: int, today: date, order: str, seed: int) -> int:
    """A long-format health file: `order` = customer (one account after the other) or date (a daily export)."""
    rng = random.Random(seed)
    first = today - timedelta(days=days - 1)
    dates = [(first + timedelta(days=d)).isoformat() for d in range(days)]
    values = {}
    for s in SIGNALS:  # valid values for each signal (the import refuses a file with any out-of-range value)
        spec = SIGNAL_SPECS[s]
        lo, hi = spec.min_value, spec.max_value if spec.max_value is not None else spec.hi * 2
        values[s] = [
            rng.randint(int(lo), int(hi)) if spec.integer else round(rng.uniform(lo, hi), 1) for _ in range(97)
        ]
    rows = 0
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["customer", "date", "signal", "value", "source"])
        if order == "customer":
            keys = ((c, d, s) for c in ids for s in SIGNALS for d in range(days))
        else:
            keys = ((c, d, s) for d in range(days) for c in ids for s in SIGNALS)
        for i, (c, d, s) in enumerate(keys):
            w.writerow((c, dates[d], s, values[s][i % 97], "bench"))
            rows += 1
    return rows


# A small process that starts the import and reports its peak RSS. Not Popen from this process: on Linux a
# child's ru_maxrss starts from the RSS of the process that forked it (the benchmark holds the 100k lookup
# index by then), which hid the import's own peak.
_LAUNCHER = """
import json, os, sys
pid = os.posix_spawn(sys.argv[1], sys.argv[1:], os.environ)
_, status, usage = os.wait4(pid, 0)
os.write(int(os.environ["BENCH_USAGE_FD"]), json.dumps({"maxrss_kb": usage.ru_maxrss}).encode())
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_import(url: str, path: Path) -> dict:
    """`python -m bot import health FILE` in a child process: its own rows/s report and its peak RSS."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BATON_", "HUBSPOT_"))}
    env["DATABASE_URL"] = url
    cmd = [sys.executable, "-c", _LAUNCHER, sys.executable, "-m", "bot", "import", "health", str(path), "--team", TEAM]
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, tempfile.TemporaryFile() as usage:
        env["BENCH_USAGE_FD"] = str(usage.fileno())
        proc = subprocess.run(
            cmd, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL, pass_fds=(usage.fileno(),)
        )
        wall = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        usage.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
        maxrss_kb = json.loads(usage.read() or b"{}").get("maxrss_kb", 0)
    if proc.returncode != 0:
        raise RuntimeError(f"import failed ({proc.returncode}): {stdout}\n{stderr[-2000:]}")
    m = re.search(r"\(([\d,]+) rows in ([\d.]+) s, ([\d,]+) rows/s\)", stdout)
    if not m:
        raise RuntimeError(f"unexpected import output: {stdout!r}")
    return {
        "rows": int(m.group(1).replace(",", "")),
        "import_s": float(m.group(2)),
        "rows_per_s": int(m.group(3).replace(",", "")),
        "process_s": wall,
        "peak_rss_mb": maxrss_kb / 1024,  # Linux: kilobytes
        "summary": stdout.strip(),
    }


def bench_import(store: Store, workdir: Path, seed: int) -> list[dict]:
    base = store.fresh("baton_bench_import")
    today = date.today()
    generate(base, IMPORT_CUSTOMERS, 0, seed=seed, team=TEAM, today=today)  # customers only
    engine = create_engine(base)
    with engine.connect() as conn:
        ids = [r[0] for r in conn.execute(text("SELECT external_id FROM customers ORDER BY id"))]
    engine.dispose()
    results = []
    try:
        for days, order in ((10, "customer"), (100, "customer"), (100, "date")):
            path = workdir / f"health-{days}d-by-{order}.csv"
            rows = write_health_csv(path, ids, days, today, order, seed)
            _empty_snapshots(base)
            log(f"  importing {rows:,} rows ordered by {order} into {store.kind}")
            result = run_import(base, path)
            result.update(database=store.kind, order=order, file_rows=rows, file_mb=path.stat().st_size / 2**20)
            log(f"    {result['rows_per_s']:,} rows/s, peak RSS {result['peak_rss_mb']:.0f} MB")
            results.append(result)
            path.unlink()
    finally:
        store._dropper("baton_bench_import")(force=True)
    return results


def _empty_snapshots(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM health_scores"))
        conn.execute(text("DELETE FROM health_snapshots"))
    if engine.dialect.name == "sqlite":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM"))
    else:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE health_snapshots"))
    engine.dispose()


# --- report -----------------------------------------------------------------------------------------------------


def machine() -> dict:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 2**20:.0f} GB"
    except (OSError, ValueError, IndexError):
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory": mem,
        "os": platform.platform(),
        "python": platform.python_version(),
        "postgresql": "",  # filled in by main() when PostgreSQL is measured
    }


def report(results: dict) -> str:
    m = results["machine"]
    lines = [
        f"Machine: {m['cpus']} cores ({m['cpu']}), {m['memory']} RAM, {m['os']}, Python {m['python']}"
        + (f", PostgreSQL {m['postgresql']}" if m.get("postgresql") else ""),
        "",
        "`/customer`: signed request in -> reply at the fake Slack, ms "
        f"({results['requests']} requests per row, interleaved with the bare Bolt command)",
        "",
        "| Database | Customers | Snapshots | p50 | p95 | p99 | bare p50 | bare p99 | p99 / bare | cards / lists |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results["customer"]:
        c, b = r["customer"], r["bare"]
        lines.append(
            f"| {r['database']} | {r['customers']:,} | {r['snapshots']:,} | {c['p50']:.1f} | {c['p95']:.1f} | "
            f"{c['p99']:.1f} | {b['p50']:.1f} | {b['p99']:.1f} | {r['p99_ratio']:.1f}x | "
            f"{r['answers']['card']} / {r['answers']['choices']} |"
        )
    lines += ["", "p99 by kind of query, ms:", "", "| Database | Customers | " + " | ".join(KINDS) + " |"]
    lines.append("|---|---:|" + "---:|" * len(KINDS))
    for r in results["customer"]:
        cells = " | ".join(f"{r['by_kind'][k]['p99']:.1f}" for k in KINDS)
        lines.append(f"| {r['database']} | {r['customers']:,} | {cells} |")
    if results["imports"]:
        lines += [
            "",
            "Health import (`python -m bot import health`, long CSV, child process):",
            "",
            "| Database | Rows | Order | rows/s | seconds | peak RSS |",
            "|---|---:|---|---:|---:|---:|",
        ]
        for r in results["imports"]:
            lines.append(
                f"| {r['database']} | {r['rows']:,} | by {r['order']} | {r['rows_per_s']:,} | "
                f"{r['import_s']:.1f} | {r['peak_rss_mb']:.0f} MB |"
            )
    return "\n".join(lines)


def _pg_version(url: str) -> str:
    try:
        with psycopg.connect(Store._plain(normalize_database_url(url))) as conn:
            return conn.execute("SHOW server_version").fetchone()[0]
    except psycopg.Error:
        return ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="customer counts (comma-separated)")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--requests", type=int, default=2000, help="measured /customer requests per data set")
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", DEFAULT_PG))
    parser.add_argument("--data-dir", type=Path, default=Path("bench/.data"))
    parser.add_argument("--keep", action="store_true", help="keep the generated data sets for the next run")
    parser.add_argument("--skip-import", action="store_true")
    parser.add_argument("--skip-customer", action="store_true", help="only the import benchmark")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)

    results: dict = {"machine": machine(), "requests": args.requests, "customer": [], "imports": []}
    kinds = [k.strip() for k in args.databases.split(",") if k.strip()]
    if "postgresql" in kinds:
        results["machine"]["postgresql"] = _pg_version(args.pg_url)
    sizes = [int(s) for s in args.sizes.split(",")]
    workdir = Path(tempfile.mkdtemp(prefix="baton-bench-"))
    try:
        for kind in kinds:
            store = Store(kind, args.data_dir, args.pg_url, args.keep)
            for n in [] if args.skip_customer else sizes:
                log(f"{kind}, {n:,} customers")
                ds = store.dataset(n, DAYS, SEED)
                try:
                    r = bench_customer(ds, args.requests, args.warmup, SEED)
                finally:
                    ds.drop()
                results["customer"].append(r)
                c = r["customer"]
                log(
                    f"  /customer p50 {c['p50']:.1f} p95 {c['p95']:.1f} p99 {c['p99']:.1f} ms; bare p99 "
                    f"{r['bare']['p99']:.1f} ms"
                )
            if not args.skip_import:
                results["imports"] += bench_import(store, workdir, SEED)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    out = report(results)
    print(out)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
