"""`python -m bench.backtest [--customers 100000] [--databases sqlite,postgresql]`: the health score's backtest
(`python -m bot health backtest`'s service) on the synthetic renewal population of bot/services/backtest_data.py.

Data set: `--customers` customers renewing yearly over 3 years (leaving at their first churn: about 2.4 renewal
outcomes each), the planted population's 8 signals. Written are what the backtest can read: a snapshot of every
signal every 14 days from 180 to 55 days before each renewal (the 90-day windows behind both horizons' sub-scores
and peaks) and the stored daily score of each of the 14 days up to both horizon days, with 3% of those days
missing (so some scores come from an earlier day); the scores are the product's arithmetic on all the snapshots.
Measured `--runs` times (median reported): the whole backtest at 90 and 60 days (its per-signal part on the
default sample of 20,000 renewals), and the stored-score read alone for every renewal. SQLite files in
`--data-dir`, PostgreSQL databases `baton_bench_backtest_*` next to `--pg-url`; dropped unless `--keep`.
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert, make_url, text

from bench.generate import write_snapshots
from bench.run import machine
from bot.config import normalize_database_url
from bot.db import Sessions, make_engine, migrate
from bot.models import Customer
from bot.services import backtest as bt
from bot.services import backtest_data
from bot.services.health_config import HealthRules

TEAM = "T111"
CHUNK = 5000
END = date(2026, 12, 3)


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def keep_snapshot(day: date, renewals) -> bool:
    return any(r - timedelta(days=180) <= day <= r - timedelta(days=55) for r in renewals)


def score_days_for(rng: random.Random):
    def score_days(renewals):
        days = {r - timedelta(days=h + back) for r in renewals for h in bt.HORIZONS for back in range(14)}
        return sorted(d for d in days if rng.random() >= 0.03)

    return score_days


def _copy(engine, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    if not rows:
        return
    if engine.dialect.name == "postgresql":
        raw = engine.raw_connection()
        try:
            with raw.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            raw.commit()
        finally:
            raw.close()
    else:
        marks = ", ".join("?" for _ in columns)
        with engine.begin() as conn:
            conn.connection.dbapi_connection.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                [tuple(v.isoformat() if isinstance(v, date) else v for v in row) for row in rows],
            )


def generate(url: str, n: int, seed: int = 42) -> dict:
    migrate(url)
    engine = make_engine(url)
    rng = random.Random(seed + 1)
    config = HealthRules().default
    accounts = backtest_data.population(
        n,
        seed=seed,
        end=END,
        snapshot_every=14,
        config=config,
        team_id=TEAM,
        keep_snapshot=keep_snapshot,
        score_days=score_days_for(rng),
    )
    counts = {"customers": 0, "snapshots": 0, "scores": 0, "outcomes": 0}
    started = time.perf_counter()
    now = datetime.now(UTC)
    stamp = now.isoformat() if engine.dialect.name == "postgresql" else now.replace(tzinfo=None).isoformat(" ")
    batch = []
    for account in accounts:
        batch.append(account)
        if len(batch) == CHUNK or account.index == n - 1:
            with engine.begin() as conn:
                conn.execute(insert(Customer), [{**a.customer, "created_at": now, "updated_at": now} for a in batch])
                first = batch[0].customer["external_id"]
                ids = dict(
                    conn.execute(
                        text("SELECT external_id, id FROM customers WHERE team_id = :t AND external_id >= :f"),
                        {"t": TEAM, "f": first},
                    ).all()
                )
            snaps = [(TEAM, ids[a.customer["external_id"]], s, d, v, "bench") for a in batch for s, d, v in a.snapshots]
            if snaps:
                write_snapshots(engine, iter(snaps), len(snaps))
            _copy(
                engine,
                "health_scores",
                ("team_id", "customer_id", "day", "score", "band", "computed_at"),
                [(TEAM, ids[a.customer["external_id"]], d, s, b, stamp) for a in batch for d, s, b in a.scores],
            )
            _copy(
                engine,
                "renewal_outcomes",
                (
                    "team_id",
                    "customer_id",
                    "renewal_date",
                    "outcome",
                    "arr_before",
                    "arr_after",
                    "currency",
                    "source",
                    "recorded_at",
                ),
                [
                    (TEAM, ids[a.customer["external_id"]], r, o, str(before), str(after), "USD", "bench", stamp)
                    for a in batch
                    for r, o, before, after in a.outcomes
                ],
            )
            counts["customers"] += len(batch)
            counts["snapshots"] += len(snaps)
            counts["scores"] += sum(len(a.scores) for a in batch)
            counts["outcomes"] += sum(len(a.outcomes) for a in batch)
            batch = []
            rate = counts["customers"] / (time.perf_counter() - started)
            log(f"  {counts['customers']:,}/{n:,} customers ({rate:,.0f}/s), {counts['snapshots']:,} snapshots")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"))
    engine.dispose()
    counts["seconds"] = round(time.perf_counter() - started, 1)
    return counts


def measure(url: str, runs: int, sample: int = bt.SAMPLE) -> dict:
    sessions = Sessions(make_engine(url))
    rules = HealthRules()
    totals, reads = [], []
    report = None
    for _ in range(runs):
        started = time.perf_counter()
        with sessions.begin() as db:
            report = bt.backtest(db, TEAM, rules, sample=sample)
        totals.append(time.perf_counter() - started)
        with sessions.begin() as db:
            renewals = bt.load_renewals(db, TEAM)
            points = [(r.customer_id, r.renewal_date - timedelta(days=90)) for r in renewals]
            started = time.perf_counter()
            bt.stored_scores(db, TEAM, points)
            reads.append(time.perf_counter() - started)
        log(f"  backtest {totals[-1]:.1f} s, stored scores at 90 days {reads[-1]:.1f} s")
    sessions.engine.dispose()
    assert report is not None
    h90 = report.horizons[0]
    return {
        "backtest_s": round(statistics.median(totals), 2),
        "backtest_runs_s": [round(t, 2) for t in totals],
        "stored_scores_90_s": round(statistics.median(reads), 2),
        "outcomes": report.outcomes,
        "churned": report.churned,
        "auc_90": h90.auc,
        "sources_90": h90.sources,
        "signals_sampled": h90.signals_sampled,
        "planted_auc_90": next(s.auc for s in h90.signals if s.signal == backtest_data.PLANTED),
        "noise_auc_90": next(s.auc for s in h90.signals if s.signal == backtest_data.NOISE),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.backtest", description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument(
        "--pg-url", default=os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    )
    parser.add_argument("--data-dir", default="bench/.data")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sample", type=int, default=bt.SAMPLE, help="renewals the per-signal figures read")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    out: dict = {"machine": machine(), "date": date.today().isoformat(), "customers": args.customers, "results": {}}
    for kind in args.databases.split(","):
        if kind == "sqlite":
            Path(args.data_dir).mkdir(parents=True, exist_ok=True)
            path = Path(args.data_dir) / f"backtest_{args.customers}.db"
            url, fresh = f"sqlite:///{path}", not path.exists()
        else:
            base = make_url(normalize_database_url(args.pg_url))
            name = f"baton_bench_backtest_{args.customers}"
            admin = create_engine(base, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                fresh = not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
                if fresh:
                    conn.execute(text(f'CREATE DATABASE "{name}"'))
            url = base.set(database=name).render_as_string(hide_password=False)
        log(f"{kind}: {'generating' if fresh else 'reusing'} {args.customers:,} customers")
        data = generate(url, args.customers) if fresh else {"reused": True}
        log(f"{kind}: {data}")
        result = {"data": data, "sample": args.sample, **measure(url, args.runs, args.sample)}
        out["results"][kind] = result
        log(f"{kind}: {json.dumps(result)}")
        if not args.keep:
            if kind == "sqlite":
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
            else:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        if kind != "sqlite":
            admin.dispose()
    print(json.dumps(out, indent=2, default=str))
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
