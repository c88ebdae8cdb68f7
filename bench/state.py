"""`python -m bench.state --database-url URL`: what the health state costs and saves, on a data set from
`bench.generate` (customers x 90 days x 8 signals, with their state built by the product's rebuild).

Measured with the product's own functions, each `--runs` times (median reported), time standing still on the
data set's last day; every write is rolled back, so runs see the same data:
- the card's health (`health_state.customer_health`) for 500 customers, p50/p99, against the raw-history read it
  replaces (`health.customer_health`, what every card did before);
- every customer's current score (`health_state.current_scores`: what the renewal scan and roadmap tallies read),
  on the last computed day and on the day after (scored from the state's signals);
- the weekly digest (`digest.build`) over all customers;
- the morning's refresh after a daily export (`health_state.refresh` for every customer, one new day of 8 signals,
  the rows written first with `imports.upsert_snapshots`), and the worker's roll of one day without data
  (`health_state.carry_forward`), in the chunks the product uses;
- the rebuild of 1,000 customers from their raw history (what `python -m bot health rebuild` does per customer).
"""

import argparse
import cProfile
import json
import os
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import text
from sqlmodel import Session, col, select

from bench.generate import SIGNALS
from bench.run import machine, pct
from bot.config import normalize_database_url
from bot.db import Sessions, make_engine
from bot.jobs.health import CARRY
from bot.models import Customer
from bot.services import digest, health, health_state, imports
from bot.services.health_config import HealthRules

TEAM = "T111"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.state", description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    sessions = Sessions(make_engine(normalize_database_url(args.database_url)))
    rules = HealthRules()
    with sessions.begin() as db:
        conn = db.connection()
        ids = [r[0] for r in conn.execute(text("SELECT id FROM customers WHERE team_id = :t ORDER BY id"), {"t": TEAM})]
        day = conn.execute(text("SELECT max(data_through) FROM health_states")).scalar_one()
        day = day if isinstance(day, date) else date.fromisoformat(day)
        snapshots = conn.execute(text("SELECT count(*) FROM health_snapshots")).scalar_one()
    log(f"{len(ids):,} customers, {snapshots:,} snapshots, state through {day}")
    rng = random.Random(7)
    sample = rng.sample(ids, min(500, len(ids)))
    out: dict = {"machine": machine(), "date": date.today().isoformat(), "customers": len(ids), "snapshots": snapshots}

    def card(read) -> list[float]:
        times = []
        with sessions.begin() as db:
            customers = {c.id: c for c in db.exec(select(Customer).where(col(Customer.id).in_(sample)))}
            for cid in sample:
                c = customers[cid]
                config = rules.for_customer(TEAM, c.segment)
                started = time.perf_counter()
                read(db, TEAM, c, day, config)
                times.append((time.perf_counter() - started) * 1000)
        return times

    runs: dict[str, list[float]] = {}

    def add(name: str, value: float) -> None:
        runs.setdefault(name, []).append(value)

    for r in range(args.runs):
        state_ms = card(health_state.customer_health)
        raw_ms = card(health.customer_health)
        add("card_state_p50_ms", pct(state_ms, 50))
        add("card_state_p99_ms", pct(state_ms, 99))
        add("card_raw_p50_ms", pct(raw_ms, 50))
        add("card_raw_p99_ms", pct(raw_ms, 99))
        with sessions.begin() as db:
            add("current_scores_s", timed(lambda db=db: health_state.current_scores(db, TEAM, ids, day, rules)))
            add(
                "current_scores_next_day_s",
                timed(lambda db=db: health_state.current_scores(db, TEAM, ids, day + timedelta(days=1), rules)),
            )
            add("digest_build_s", timed(lambda db=db: digest.build(db, TEAM, day, rules)))
        # The morning after: one new day for everyone, then the refresh; rolled back.
        new_day = day + timedelta(days=1)
        now = datetime.combine(new_day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=9)
        rows = [(cid, s, new_day, "bench", float(rng.randint(0, 90))) for cid in ids for s in SIGNALS]
        with sessions.engine.connect() as conn:
            trans = conn.begin()
            db = Session(bind=conn)
            started = time.perf_counter()
            changed: dict[int, date] = {}
            for i in range(0, len(rows), 5000):
                counts = imports.upsert_snapshots(db, TEAM, rows[i : i + 5000], now=now)
                changed.update(counts.changed)
            add("daily_write_s", time.perf_counter() - started)
            profile = cProfile.Profile() if os.environ.get("BENCH_PROFILE") else None
            started = time.perf_counter()
            if profile:
                profile.enable()
            health_state.refresh(db, TEAM, changed, new_day, rules, now=now)
            if profile:
                profile.disable()
                profile.dump_stats(os.environ["BENCH_PROFILE"])
            add("daily_refresh_s", time.perf_counter() - started)
            db.close()
            trans.rollback()
        with sessions.engine.connect() as conn:
            trans = conn.begin()
            db = Session(bind=conn)
            started = time.perf_counter()
            for chunk in health_state.chunked(ids, CARRY):
                health_state.carry_forward(db, TEAM, chunk, new_day, rules, now=now)
            add("roll_one_day_s", time.perf_counter() - started)
            started = time.perf_counter()
            health_state.rebuild(db, TEAM, ids[:1000], day, rules, now=now)
            add("rebuild_1000_s", time.perf_counter() - started)
            db.close()
            trans.rollback()
        log(f"run {r + 1}: " + json.dumps({k: round(v[-1], 4) for k, v in runs.items()}))
    out["runs"] = runs
    out["median"] = {k: statistics.median(v) for k, v in runs.items()}
    print(json.dumps(out["median"], indent=1))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
