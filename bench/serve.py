"""`python -m bench.serve --database-url URL`: `/customer` through the real server, as Slack would use it.

Baton runs as `python -m bot serve` (gunicorn, gthread workers, the production entry point) in a child process,
against a data set from `bench.generate` (customers, 90 days x 8 signals, their health state) to which this adds
what makes a card realistic: handoffs with success criteria, open promises and VoC notes for a share of the
customers. A bare Bolt app whose command only acks and replies runs under the same gunicorn settings in a second
child (`bench/bare.py`): the floor. Both talk to one fake Slack Web API in this process, which also receives the
replies on their response_url; a request's time is from sending the signed command to its reply reaching it.

Measured, each repeated `--runs` times (figures are the medians of the runs):
1. steady load: `--clients` threads, each sending /customer then /bare (alternating which goes first) with the
   queries people type (exact, partial, typo, domain, CRM id); meanwhile a writer, standing in for the other
   processes, imports health snapshots through the HTTP API every 0.2 s (the state refreshes in the server) and
   renames a customer every 2 s (the lookup index must follow without a full rebuild per write);
2. a burst: `--burst` /customer requests released at once, then as many /bare; p99 of the replies.
"""

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from bench.run import KINDS, _typo, machine, pct
from bot.config import normalize_database_url
from bot.db import Sessions, make_engine
from bot.services import tokens
from tests.fakes.slack_api import FakeSlack
from tests.payloads import SIGNING_SECRET, slash_command

TEAM = "T111"
USER = "U_BENCH"
ROOT = Path(__file__).resolve().parent.parent


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def enrich(url: str, seed: int) -> dict:
    """Handoffs, promises and VoC for a share of the customers, once per data set (as bench.scan makes them)."""
    from bench import scan

    engine = create_engine(url)
    with engine.begin() as conn:
        have = conn.execute(text("SELECT count(*) FROM handoffs WHERE team_id = :t"), {"t": TEAM}).scalar_one()
        ids = [r[0] for r in conn.execute(text("SELECT id FROM customers WHERE team_id = :t ORDER BY id"), {"t": TEAM})]
        if not have:
            rng = random.Random(seed)
            today = date.today()
            scan._handoffs(conn, ids, today, rng)
            scan._promises(conn, ids, today, rng)
            scan._voc(conn, ids, today, rng)
    with engine.begin() as conn:  # fresh statistics, or PostgreSQL plans the card's queries on empty tables
        conn.execute(text("ANALYZE"))
    with engine.begin() as conn:
        counts = {
            table: conn.execute(text(f"SELECT count(*) FROM {table} WHERE team_id = :t"), {"t": TEAM}).scalar_one()
            for table in ("customers", "handoffs", "promises", "voc_notes", "health_snapshots", "health_states")
        }
    engine.dispose()
    return counts


def queries(url: str, count: int, seed: int, *, prefer_cards: bool) -> list[tuple[str, str]]:
    """`count` (kind, text): exact names, partial names, typos, domains and CRM ids in equal shares; with
    `prefer_cards`, names are drawn from the customers that have a handoff (the fullest cards)."""
    engine = create_engine(url)
    with engine.connect() as conn:
        sql = "SELECT c.name, c.domain, c.external_id FROM customers c WHERE c.team_id = :t"
        if prefer_cards:
            sql += " AND EXISTS (SELECT 1 FROM handoffs h WHERE h.customer_id = c.id)"
        rows = list(conn.execute(text(sql + " ORDER BY c.id"), {"t": TEAM}))
    engine.dispose()
    rng = random.Random(seed)
    out = []
    for i in range(count):
        name, domain, external_id = rng.choice(rows)
        kind = KINDS[i % len(KINDS)]
        q = {
            "name": name,
            "partial": name.split()[0] if " " in name else name[: max(2, len(name) * 2 // 3)],
            "typo": _typo(name.lower(), rng),
            "domain": domain,
            "external_id": external_id,
        }[kind]
        out.append((kind, q))
    return out


class Servers:
    """Baton (`python -m bot serve`) and the bare app under gunicorn, with the fake Slack they both call."""

    def __init__(self, url: str, workers: int, log_dir: str):
        self.slack = FakeSlack(team_id=TEAM).start()
        self.slack.add_user(USER, email="bench@example.com", name="Bench User", locale="en-US")
        self.baton_port, self.bare_port = _free_port(), _free_port()
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "PYTHON_DOTENV_DISABLED": "1",
            "DATABASE_URL": url,
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": self.slack.url,
            "BATON_HANDOFF_CHANNEL": "C0HANDOFF",
            "WEB_CONCURRENCY": str(workers),
        }
        env.pop("SLACK_APP_TOKEN", None)
        self.logs = [open(Path(log_dir) / f"bench-serve-{name}.log", "w") for name in ("baton", "bare")]  # noqa: SIM115
        self.baton = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve"],
            env={**env, "PORT": str(self.baton_port)},
            stdout=subprocess.DEVNULL,
            stderr=self.logs[0],
        )
        self.bare = subprocess.Popen(
            [sys.executable, "-m", "bench.bare"],
            env={**env, "PORT": str(self.bare_port)},
            stdout=subprocess.DEVNULL,
            stderr=self.logs[1],
        )
        self.http = httpx.Client(timeout=60, limits=httpx.Limits(max_connections=400, max_keepalive_connections=400))

    def ready(self, timeout: float = 900) -> float:
        """Seconds until both answer (Baton's /healthz says ready once its lookup index is built): 20 answers in a
        row, so that every gunicorn worker has been asked and has built its index."""
        started = time.perf_counter()
        for port, path in ((self.baton_port, "/healthz"), (self.bare_port, "/healthz")):
            ok = 0
            while ok < 20:
                if time.perf_counter() - started > timeout:
                    raise RuntimeError(f"port {port} not ready after {timeout} s")
                try:
                    answer = self.http.get(f"http://127.0.0.1:{port}{path}", headers={"Connection": "close"})
                    ok = ok + 1 if answer.status_code == 200 else 0
                except httpx.HTTPError:
                    ok = 0
                if ok == 0:
                    time.sleep(0.2)
        return time.perf_counter() - started

    def command(self, which: str, q: str) -> float:
        """Send one signed command; milliseconds until its reply reached the fake Slack."""
        port, command = (self.baton_port, "/customer") if which == "baton" else (self.bare_port, "/bare")
        response_url = self.slack.new_response_url()
        rid = response_url.rsplit("/", 1)[1]
        request = slash_command(command, q, user_id=USER, team_id=TEAM, response_url=response_url)
        started = time.perf_counter()
        resp = self.http.post(
            f"http://127.0.0.1:{port}/slack/events", content=request.body.encode(), headers=request.headers
        )
        if resp.status_code != 200:
            raise RuntimeError(f"{command} {q!r}: HTTP {resp.status_code} {resp.text[:200]}")
        call = self._reply(rid)
        return (call.received - started) * 1000

    def _reply(self, rid: str, timeout: float = 60):
        fake = self.slack
        with fake._cond:
            found: list = []

            def arrived() -> bool:
                found[:] = [c for c in fake._calls if c.method == "response_url" and c.path.endswith(rid)]
                return bool(found)

            if not fake._cond.wait_for(arrived, timeout=timeout):
                raise RuntimeError(f"no reply on {rid} within {timeout} s")
            fake._calls[:] = [c for c in fake._calls if c is not found[0]]  # keep the fake's memory flat
            return found[0]

    def stop(self) -> None:
        for p in (self.baton, self.bare):
            p.terminate()
        for p in (self.baton, self.bare):
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        self.http.close()
        self.slack.stop()
        for f in self.logs:
            f.close()


class Writer(threading.Thread):
    """Other processes writing while people look customers up: health snapshots through the API (the state
    refreshes in the server), and a customer renamed now and then (the lookup index follows)."""

    def __init__(self, servers: Servers, url: str, token: str, seed: int):
        super().__init__(daemon=True)
        self.servers, self.token, self.stop_flag = servers, token, threading.Event()
        self.engine = create_engine(url)
        with self.engine.connect() as conn:
            self.customers = [
                tuple(r)
                for r in conn.execute(
                    text("SELECT id, external_id, name FROM customers WHERE team_id = :t ORDER BY id"), {"t": TEAM}
                )
            ]
        self.rng = random.Random(seed)
        self.posts = self.renames = self.errors = 0

    def run(self) -> None:
        tick = 0
        while not self.stop_flag.wait(0.2):
            tick += 1
            cid, external_id, name = self.rng.choice(self.customers)
            items = [
                {
                    "customer": external_id,
                    "date": date.today().isoformat(),
                    "signal": s,
                    "value": self.rng.randint(0, 90),
                }
                for s in ("key_feature_use", "license_utilisation")
            ]
            try:
                r = self.servers.http.post(
                    f"http://127.0.0.1:{self.servers.baton_port}/api/v1/health-snapshots",
                    json={"snapshots": items},
                    headers={"Authorization": f"Bearer {self.token}"},
                )
                self.posts += r.status_code == 200
                self.errors += r.status_code != 200
            except httpx.HTTPError:
                self.errors += 1
            if tick % 10 == 0:
                suffix = "" if name.endswith(" ") else " "
                with self.engine.begin() as conn:
                    conn.execute(
                        text("UPDATE customers SET aliases = :a, updated_at = :u WHERE id = :id"),
                        {"a": (name + suffix).strip() + f" {tick}", "u": datetime.now(UTC), "id": cid},
                    )
                self.renames += 1

    def stop(self) -> None:
        self.stop_flag.set()
        self.join()
        self.engine.dispose()


def steady(servers: Servers, work: list[tuple[str, str]], clients: int) -> dict:
    """`clients` threads share `work`; each sends /customer and /bare for each query, alternating the order."""
    lock = threading.Lock()
    samples: list[tuple[str, float, float]] = []
    queue = list(enumerate(work))

    def client() -> None:
        while True:
            with lock:
                if not queue:
                    return
                i, (kind, q) = queue.pop()
            if i % 2:
                bare = servers.command("bare", q)
                ms = servers.command("baton", q)
            else:
                ms = servers.command("baton", q)
                bare = servers.command("bare", q)
            with lock:
                samples.append((kind, ms, bare))

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    baton = [ms for _k, ms, _b in samples]
    bare = [b for _k, _m, b in samples]
    return {
        "n": len(samples),
        "p50": pct(baton, 50),
        "p95": pct(baton, 95),
        "p99": pct(baton, 99),
        "bare_p50": pct(bare, 50),
        "bare_p99": pct(bare, 99),
        "p50_ratio": pct(baton, 50) / pct(bare, 50),
        "by_kind_p99": {k: pct([ms for kk, ms, _b in samples if kk == k], 99) for k in KINDS},
    }


def burst(servers: Servers, work: list[tuple[str, str]], n: int, which: str = "baton") -> dict:
    """`n` /customer (or /bare) requests released at once (a barrier); each one's time to its reply."""
    barrier = threading.Barrier(n)
    times: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()

    def one(q: str) -> None:
        barrier.wait()
        try:
            ms = servers.command(which, q)
        except Exception as exc:  # noqa: BLE001 - a failed request is a result here
            with lock:
                failures.append(str(exc)[:200])
            return
        with lock:
            times.append(ms)

    threads = [threading.Thread(target=one, args=(work[i % len(work)][1],)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out = {"n": n, "answered": len(times), "failed": len(failures), "p50": pct(times, 50), "p99": pct(times, 99)}
    if failures:
        out["failures"] = sorted(set(failures))[:3]  # what went wrong, so a failed request is explained
    return out


def _median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.serve", description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="a data set from bench.generate")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=1000, help="per run of the steady load")
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--burst", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1, help="gunicorn processes (WEB_CONCURRENCY)")
    parser.add_argument("--no-writes", action="store_true")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--json", help="write every figure to this file")
    parser.add_argument("--log-dir", default=tempfile.gettempdir(), help="the servers' logs (bench-serve-*.log)")
    args = parser.parse_args(argv)
    url = normalize_database_url(args.database_url)

    counts = enrich(url, args.seed)
    log(f"data: {json.dumps(counts)}")
    sessions = Sessions(make_engine(url))
    with sessions.begin() as db:
        _row, token = tokens.create_token(db, TEAM, f"bench-{time.time_ns()}", datetime.now(UTC))
    sessions.engine.dispose()
    work = queries(url, args.warmup + args.requests * args.runs, args.seed, prefer_cards=True)
    servers = Servers(url, args.workers, args.log_dir)
    results: dict = {"machine": machine(), "date": date.today().isoformat(), "data": counts, "args": vars(args)}
    try:
        results["ready_s"] = servers.ready()
        log(f"servers ready in {results['ready_s']:.1f} s")
        for _kind, q in work[: args.warmup]:
            servers.command("baton", q)
            servers.command("bare", q)
        writer = None if args.no_writes else Writer(servers, url, token, args.seed)
        if writer:
            writer.start()
        runs = []
        for r in range(args.runs):
            chunk = work[args.warmup + r * args.requests : args.warmup + (r + 1) * args.requests]
            runs.append(steady(servers, chunk, args.clients))
            log(f"run {r + 1}: {json.dumps(runs[-1])}")
        if writer:
            writer.stop()
            results["writes"] = {"api_posts": writer.posts, "renames": writer.renames, "errors": writer.errors}
        bursts = [burst(servers, work, args.burst) for _ in range(args.runs)]
        bare_bursts = [burst(servers, work, args.burst, "bare") for _ in range(args.runs)]
        for b in bursts + bare_bursts:
            log(f"burst: {json.dumps(b)}")
        results["bare_bursts"] = bare_bursts
        results["steady"] = runs
        results["bursts"] = bursts
        results["median"] = {
            **{k: _median(runs, k) for k in ("p50", "p95", "p99", "bare_p50", "bare_p99", "p50_ratio")},
            "burst_p99": _median(bursts, "p99"),
            "bare_burst_p99": _median(bare_bursts, "p99"),
        }
        log(f"median: {json.dumps(results['median'])}")
    finally:
        servers.stop()
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str))
    print(json.dumps(results["median"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
