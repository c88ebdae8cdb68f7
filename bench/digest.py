"""`python -m bench.digest`: building and sending the weekly at-risk digest, on SQLite and PostgreSQL.

Data set (seeded): `--customers` customers (bench.generate's names, ARR, owners), `--days` days of daily snapshots
of 8 signals each, shaped so that `--at-risk` customers end At risk or Unhealthy (some crossed this week, some
got worse) and a few recovered; the daily scores of the last 8 days are computed from those snapshots with the
product's own scoring (`health.score_at`) and stored, as the daily health job stores them. Plus overdue
onboarding milestones.

Measured, with time standing still at the digest's fire time:
- build: `jobs.digest.plan` (what the worker runs inside its transaction), and its pieces: stored scores, band
  crossings, top drivers, overdue onboarding, drawing the blocks; first (cold) run and the median of `--runs`.
- send: `run_schedule` (claim, plan, record the occurrence and its outbox rows), then the outbox delivering every
  part to the fake Slack (`tests.fakes.slack_api.FakeSlack`) with post pacing off (`Settings(post_interval=0)`).
- for comparison: scoring every customer from the raw snapshots (`health.current_scores`), what the digest
  avoids by reading the stored scores.

Databases: a SQLite file under `--data-dir` and a PostgreSQL database `baton_bench_digest` next to `--pg-url`'s
database, both created fresh and dropped at the end (unless `--keep`).
"""

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

from sqlalchemy import insert, text
from sqlmodel import Session

from bench.generate import SIGNALS, customers, write_snapshots
from bench.run import DEFAULT_PG, Store, _pg_version, machine
from bot.blocks.digest import digest_parts
from bot.config import Settings
from bot.db import make_engine, migrate
from bot.deps import build_deps
from bot.jobs import digest as digest_job
from bot.jobs.schedules import defaults, run_schedule
from bot.models import Customer, Handoff, HealthScore, Occurrence, OnboardingTask
from bot.outbox import Pacer
from bot.services import digest, health, onboarding, team_config
from bot.services.health_config import HealthRules
from bot.services.schedules import Context
from tests.fakes.slack_api import FakeSlack

TEAM = "T111"
SEED = 42
DB_NAME = "baton_bench_digest"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SCORED_DAYS = 8  # daily scores stored for today and the 7 days before (the week's crossings need them)


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --- the data set ---------------------------------------------------------------------------------------------

# Profiles: (quality 91 days ago .. a week ago, quality this week). Quality q in [0, 1] maps every signal to a
# normalised score of about 100*q (relative signals against a peak of q=1 at the start), so the score is ~100*q.
HEALTHY, AT_RISK, UNHEALTHY, NEWLY, WORSENED, RECOVERED = "healthy", "at_risk", "unhealthy", "newly", "worse", "rec"


def profiles(n: int, at_risk: int, rng: random.Random) -> list[str]:
    """Which customer follows which story: of the at-risk ones 30% Unhealthy, 10% newly at risk this week and
    3% worsened to Unhealthy this week; recovered ones (5% of at-risk) are healthy again."""
    if at_risk > n:
        raise SystemExit("--at-risk cannot exceed --customers")
    newly, worse = at_risk // 10, at_risk * 3 // 100
    unhealthy = at_risk * 3 // 10 - worse
    stay = at_risk - newly - worse - unhealthy
    recovered = min(at_risk // 20, n - at_risk)
    out = [NEWLY] * newly + [WORSENED] * worse + [UNHEALTHY] * unhealthy + [AT_RISK] * stay
    out += [RECOVERED] * recovered + [HEALTHY] * (n - at_risk - recovered)
    rng.shuffle(out)
    return out


def quality(profile: str, d: int, days: int, rng: random.Random, base: dict) -> float:
    """Quality on day index d (0 = oldest, days-1 = today)."""
    week_ago = days - 8
    healthy, risky, bad = base["healthy"], base["risky"], base["bad"]
    if profile == HEALTHY:
        q = healthy
    elif profile in (AT_RISK, UNHEALTHY):
        target = risky if profile == AT_RISK else bad
        q = max(target, 1.0 - (1.0 - target) * d / max(1, days - 14))  # declines, then stays low
    elif profile == NEWLY:
        q = healthy if d <= week_ago else risky
    elif profile == WORSENED:
        q = max(risky, 1.0 - (1.0 - risky) * d / max(1, days - 14)) if d <= week_ago else bad
    else:  # recovered
        q = max(risky, 1.0 - (1.0 - risky) * d / max(1, days - 14)) if d <= week_ago else healthy
    if d == 0 and profile != HEALTHY:
        q = 1.0  # the usage peak the relative signals are measured against
    return min(1.0, max(0.0, q + rng.gauss(0, 0.01)))


def series(profile: str, days: int, rng: random.Random) -> dict[str, list[float]]:
    base = {"healthy": rng.uniform(0.8, 0.95), "risky": rng.uniform(0.47, 0.62), "bad": rng.uniform(0.12, 0.32)}
    seats = rng.choice([20, 50, 100, 250, 1000])
    out: dict[str, list[float]] = {s: [] for s in SIGNALS}
    for d in range(days):
        q = quality(profile, d, days, rng, base)
        users = round(seats * (0.5 + 0.5 * q))
        out["active_users"].append(users)
        out["logins_30d"].append(users * 15)
        out["key_feature_use"].append(round(10 + 60 * q, 1))
        out["license_utilisation"].append(round(30 + 60 * q, 1))
        out["tickets_30d"].append(round(20 * (1 - q)))
        out["nps"].append(round(10 * q))
        out["csm_rating"].append(1 + round(4 * q))
        out["overdue_invoices"].append(1 if q < 0.3 else 0)
    return out


@dataclass
class DataSet:
    url: str
    today: date
    customers: int
    at_risk: int  # as scored
    snapshots: int
    scores: int
    seconds: float


def build_dataset(url: str, n: int, at_risk: int, days: int, today: date, seed: int) -> DataSet:
    started = time.perf_counter()
    rng = random.Random(seed)
    migrate(url)
    engine = make_engine(url)
    rows = customers(n, TEAM, today, rng)
    stories = profiles(n, at_risk, rng)
    with engine.begin() as conn:
        for i in range(0, len(rows), 5000):
            conn.execute(insert(Customer), rows[i : i + 5000])
        ids = [r[0] for r in conn.execute(text("SELECT id FROM customers WHERE team_id = :t ORDER BY id"), {"t": TEAM})]
    first = today - timedelta(days=days - 1)
    rules = HealthRules()
    segments = {i: r["segment"] for i, r in zip(ids, rows, strict=True)}
    scores: list[dict] = []
    now = datetime.now(UTC)

    def snapshot_rows() -> Iterator[tuple]:
        for cid, story in zip(ids, stories, strict=True):
            values = series(story, days, rng)
            history = {
                s: [health.Point(first + timedelta(days=d), float(v)) for d, v in enumerate(vs)]
                for s, vs in values.items()
            }
            config = rules.for_customer(TEAM, segments[cid])
            for back in range(SCORED_DAYS):
                day = today - timedelta(days=back)
                s = health.score_at(history, day, config)
                if s.score is not None:
                    scores.append(
                        {"team_id": TEAM, "customer_id": cid, "day": day, "score": s.score, "band": s.band,
                         "computed_at": now}
                    )  # fmt: skip
            for signal, points in history.items():
                for p in points:
                    yield (TEAM, cid, signal, p.as_of, p.value, "bench")

    total = n * days * len(SIGNALS)
    write_snapshots(engine, snapshot_rows(), total)
    with engine.begin() as conn:
        for i in range(0, len(scores), 20_000):
            conn.execute(insert(HealthScore), scores[i : i + 20_000])
        _onboarding(conn, ids, today, rng)
        scored_at_risk = conn.execute(
            text("SELECT count(*) FROM health_scores WHERE team_id = :t AND day = :d AND band <> 'healthy'"),
            {"t": TEAM, "d": today},
        ).scalar_one()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        # PostgreSQL: the state autovacuum leaves a loaded table in (statistics, and the visibility map that
        # lets the digest's latest-day query read the index alone).
        conn.execute(text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"))
    engine.dispose()
    return DataSet(url, today, n, scored_at_risk, total, len(scores), time.perf_counter() - started)


def _onboarding(conn, ids: list[int], today: date, rng: random.Random) -> None:
    """100 accepted handoffs with their three milestones, about half of them overdue."""
    now = datetime.now(UTC)
    for cid in rng.sample(ids, min(100, len(ids))):
        accepted = today - timedelta(days=rng.randint(1, 60))
        handoff = conn.execute(
            insert(Handoff).values(
                team_id=TEAM, customer_id=cid, status="accepted", csm_user_id="U00001", accepted_at=now, created_at=now
            )  # fmt: skip
        ).inserted_primary_key[0]
        for milestone, after in (("kickoff", 7), ("activation", 30), ("training", 30)):
            conn.execute(
                insert(OnboardingTask).values(
                    team_id=TEAM,
                    customer_id=cid,
                    handoff_id=handoff,
                    milestone=milestone,
                    due_date=accepted + timedelta(days=after),
                    created_at=now,
                )  # fmt: skip
            )


# --- measuring ------------------------------------------------------------------------------------------------


def timed(fn: Callable[[], object], runs: int) -> tuple[float, float, object]:
    """(first run ms, median of the following `runs` ms, last result)."""
    started = time.perf_counter()
    result = fn()
    first = (time.perf_counter() - started) * 1000
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        samples.append((time.perf_counter() - started) * 1000)
    return first, statistics.median(samples) if samples else first, result


def bench(ds: DataSet, kind: str, runs: int, channels: int) -> dict:
    slack = FakeSlack(team_id=TEAM).start()
    fire = datetime.combine(ds.today, dtime(9), tzinfo=UTC)
    clock_now = [fire]
    settings = Settings(
        slack_bot_token="xoxb-test",
        slack_signing_secret="bench-signing-secret",
        slack_api_url=slack.url,
        database_url=ds.url,
        post_interval=0,
    )
    deps = build_deps(settings, clock=lambda: clock_now[0], pacer=Pacer(0))
    channel_ids = [f"C0DIGEST{i}" for i in range(channels)]
    try:
        with deps.sessions.begin() as db:
            team_config.set_value(db, TEAM, "digest.channels", ",".join(channel_ids), now=fire)
            team_config.set_value(db, TEAM, "digest.schedule", f"0 9 * * {WEEKDAYS[ds.today.weekday()]}", now=fire)
        with deps.sessions.begin() as db:
            cfg = team_config.load(db, TEAM, defaults(deps))
        ctx = Context(cfg=cfg, fire=fire, now=fire, rules=deps.health_rules)
        out: dict = {"database": kind, "customers": ds.customers, "at_risk": ds.at_risk, "snapshots": ds.snapshots}

        def in_session(fn):
            def run():
                with Session(deps.sessions.engine) as db:
                    return fn(db)

            return run

        day = ds.today
        out["plan"] = timed(in_session(lambda db: digest_job.plan(db, ctx)), runs)[:2]
        first, median, current = timed(
            in_session(lambda db: digest.latest_scores(db, TEAM, day, day - timedelta(days=30))), runs
        )
        out["scores"] = (first, median)
        out["crossings"] = timed(
            in_session(lambda db: health.band_crossings(db, TEAM, day - timedelta(days=6), day)), runs
        )[:2]
        bad = {cid: v for cid, v in current.items() if v[2] != health.HEALTHY}
        with Session(deps.sessions.engine) as db:
            segs = dict(
                db.connection().execute(text("SELECT id, segment FROM customers WHERE team_id = :t"), {"t": TEAM}).all()
            )
        wanted = {cid: (v[0], segs[cid]) for cid, v in bad.items()}
        out["drivers"] = timed(in_session(lambda db: digest.top_drivers(db, TEAM, wanted, deps.health_rules)), runs)[:2]
        out["onboarding"] = timed(in_session(lambda db: onboarding.overdue_tasks(db, TEAM, day)), runs)[:2]
        with Session(deps.sessions.engine) as db:
            built = digest.build(db, TEAM, day, deps.health_rules)
        first, median, parts = timed(lambda: digest_parts(built, cfg.locale), runs)
        out["draw"] = (first, median)
        out["parts"] = len(parts)
        out["listed"] = len(built.lines)
        out["crossings_called_out"] = len(built.newly_at_risk) + len(built.worsened) + len(built.recovered)

        # Send: claim + plan + record in one transaction, then the outbox to the fake Slack.
        started = time.perf_counter()
        clock_now[0] = fire + timedelta(seconds=1)
        result = run_schedule(deps, digest_job.SCHEDULE, cfg, clock_now[0])
        out["record_ms"] = (time.perf_counter() - started) * 1000
        if result is None or result.queued != channels:
            raise RuntimeError(f"expected {channels} digest(s) queued, got {result}")
        started = time.perf_counter()
        for _ in range(100):
            if deps.outbox.run_once() == 0:
                break
            clock_now[0] += timedelta(seconds=2)  # lets a part deferred behind its predecessor come due
        out["deliver_ms"] = (time.perf_counter() - started) * 1000
        posts = slack.calls_to("chat.postMessage")
        out["posts"] = len(posts)
        if len(posts) != channels * len(parts) or any(c.status != 200 for c in posts):
            raise RuntimeError(f"expected {channels * len(parts)} accepted posts, got {[c.status for c in posts]}")
        for ch in channel_ids:
            [message] = slack.messages(ch)
            if len(slack.thread(ch, message["ts"])) != len(parts):
                raise RuntimeError(f"{ch}: the thread does not hold every part")
        with Session(deps.sessions.engine) as db:
            sent = db.connection().execute(
                text("SELECT count(*) FROM schedule_occurrences WHERE kind = 'digest' AND ts IS NOT NULL")
            )
            if sent.scalar_one() != channels:
                raise RuntimeError("the digest occurrences were not marked sent")

        # The obvious way to get the drivers: the customer card's full read, once per listed customer.
        with Session(deps.sessions.engine) as db:
            listed = [db.get(Customer, cid) for cid in wanted]
            started = time.perf_counter()
            for c in listed:
                health.customer_health(db, TEAM, c, wanted[c.id][0], deps.health_rules.for_customer(TEAM, c.segment))
            out["drivers_naive_ms"] = (time.perf_counter() - started) * 1000
        # What the stored scores save: scoring everyone from the raw snapshots.
        with Session(deps.sessions.engine) as db:
            ids = [
                r[0] for r in db.connection().execute(text("SELECT id FROM customers WHERE team_id = :t"), {"t": TEAM})
            ]
            started = time.perf_counter()
            health.current_scores(db, TEAM, ids, day, deps.health_rules)
            out["score_all_ms"] = (time.perf_counter() - started) * 1000
        return out
    finally:
        deps.sessions.engine.dispose()
        slack.stop()


def _clear_sent(url: str) -> None:
    """Forget a previous run's digest (so a kept data set can be measured again)."""
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM slack_outbox"))
        conn.execute(Occurrence.__table__.delete())
        conn.execute(text("DELETE FROM team_settings"))
    engine.dispose()


# --- report ---------------------------------------------------------------------------------------------------


def report(results: list[dict], meta: dict) -> str:
    m = meta["machine"]
    lines = [
        f"Machine: {m['cpus']} cores ({m['cpu']}), {m['memory']} RAM, {m['os']}, Python {m['python']}"
        + (f", PostgreSQL {m['postgresql']}" if m.get("postgresql") else ""),
        "",
        f"Weekly digest, {meta['channels']} channel(s); ms, first (cold) run / median of {meta['runs']} runs:",
        "",
        "| Database | Customers | At risk | Snapshots | **build (plan)** | stored scores | crossings | top drivers | "
        "onboarding | blocks | parts | record | deliver (posts) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]

    def fm(pair) -> str:
        return f"{pair[0]:,.0f} / {pair[1]:,.0f}"

    for r in results:
        lines.append(
            f"| {r['database']} | {r['customers']:,} | {r['at_risk']:,} | {r['snapshots']:,} | **{fm(r['plan'])}** | "
            f"{fm(r['scores'])} | {fm(r['crossings'])} | {fm(r['drivers'])} | {fm(r['onboarding'])} | "
            f"{fm(r['draw'])} | {r['parts']} | {r['record_ms']:,.0f} | {r['deliver_ms']:,.0f} ({r['posts']}) |"
        )
    lines += [
        "",
        "What the digest avoids, ms (one run):",
        "",
        "| Database | top drivers via the card's full read per customer | scoring every customer from snapshots |",
        "|---|---:|---:|",
    ]
    for r in results:
        lines.append(f"| {r['database']} | {r['drivers_naive_ms']:,.0f} | {r['score_all_ms']:,.0f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.digest", description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--at-risk", type=int, default=1_000)
    parser.add_argument("--days", type=int, default=90, help="days of snapshots per customer")
    parser.add_argument("--channels", type=int, default=1, help="digest channels")
    parser.add_argument("--runs", type=int, default=5, help="measured runs after the first")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    parser.add_argument("--data-dir", type=Path, default=Path("bench/.data"))
    parser.add_argument("--keep", action="store_true", help="keep the data sets (and reuse them next time)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)

    kinds = [k.strip() for k in args.databases.split(",") if k.strip()]
    meta = {"machine": machine(), "runs": args.runs, "channels": args.channels}
    if "postgresql" in kinds:
        meta["machine"]["postgresql"] = _pg_version(args.pg_url)
    results = []
    for kind in kinds:
        store = Store(kind, args.data_dir, args.pg_url, args.keep)
        name = f"{DB_NAME}_{args.customers}_{args.at_risk}_d{args.days}"
        marker = store._marker(name) if args.keep else None
        drop = store._dropper(name)
        try:
            if marker is not None:
                log(f"{kind}: reusing {name} (generated {marker})")
                url = store._url(name)
                migrate(url)
                _clear_sent(url)
                ds = DataSet(url, marker, args.customers, -1, args.customers * args.days * len(SIGNALS), 0, 0.0)
                ds.at_risk = _at_risk(url, marker)
            else:
                url = store.fresh(name)
                log(f"{kind}: generating {args.customers:,} customers x {args.days} days, {args.at_risk:,} at risk")
                ds = build_dataset(url, args.customers, args.at_risk, args.days, date.today(), SEED)
                if args.keep:
                    store._mark(name, ds.today)
                log(f"  generated in {ds.seconds:.1f}s; {ds.at_risk:,} customers At risk or Unhealthy today")
            r = bench(ds, kind, args.runs, args.channels)
            results.append(r)
            log(
                f"  build {r['plan'][0]:,.0f} ms cold / {r['plan'][1]:,.0f} ms median; record {r['record_ms']:,.0f} "
                f"ms; deliver {r['deliver_ms']:,.0f} ms ({r['posts']} posts); scoring all from snapshots "
                f"{r['score_all_ms']:,.0f} ms"
            )
        finally:
            drop()
    out = report(results, meta)
    print(out)
    if args.json:
        args.json.write_text(json.dumps({"meta": meta, "results": results}, indent=2, default=str))
    return 0


def _at_risk(url: str, day: date) -> int:
    engine = make_engine(url)
    with engine.connect() as conn:
        n = conn.execute(
            text("SELECT count(*) FROM health_scores WHERE team_id = :t AND day = :d AND band <> 'healthy'"),
            {"t": TEAM, "d": day},
        ).scalar_one()
    engine.dispose()
    return n


if __name__ == "__main__":
    sys.exit(main())
