"""`python -m bench.generate --customers N --days D`: a seeded, realistic data set for the benchmarks.

Customers (Korean and English names, aliases, domains, segments, ARR, dates, owners) and D days of daily
snapshots of 8 health signals each, written straight into the database at DATABASE_URL (bulk inserts; COPY
on PostgreSQL), migrated first. The same seed gives the same data.
"""

import argparse
import math
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert, text

from bench.names import company_names
from bot.config import normalize_database_url
from bot.db import Sessions, make_engine, migrate
from bot.models import Customer
from bot.services import health_state
from bot.services.health_config import HealthRules
from bot.text import normalize_key

SIGNALS = (
    "active_users",
    "logins_30d",
    "key_feature_use",
    "license_utilisation",
    "tickets_30d",
    "nps",
    "csm_rating",
    "overdue_invoices",
)
SEGMENTS = ("enterprise", "mid_market", "smb")
STAGES = ("onboarding", "adoption", "renewal", "expansion")


def customers(n: int, team: str, today: date, rng: random.Random) -> list[dict]:
    now = datetime.now(UTC)
    rows = []
    for i, (name, domain) in enumerate(company_names(n, rng.randint(0, 10**9))):
        start = today - timedelta(days=rng.randint(30, 700))
        arr = rng.choice([12_000, 24_000, 48_000, 96_000, 150_000, 300_000]) * rng.uniform(0.5, 2)
        rows.append(
            {
                "team_id": team,
                "name": name,
                "name_key": normalize_key(name) or name.casefold(),
                "external_id": f"EXT-{i:07d}",
                "aliases": name.split()[0] if " " in name else None,
                "domain": domain,
                "segment": rng.choice(SEGMENTS),
                "arr": round(arr * 1300) if domain.endswith(".kr") else round(arr, 2),
                "currency": "KRW" if domain.endswith(".kr") else "USD",
                "contract_start": start,
                "renewal_date": start + timedelta(days=365 * math.ceil((today - start).days / 365 + 0.01)),
                "owner_user_id": f"U{rng.randint(1, 40):05d}",
                "ae_user_id": f"U{rng.randint(41, 80):05d}",
                "stage": rng.choice(STAGES),
                "created_at": now,
                "updated_at": now,
            }
        )
    return rows


def signal_series(rng: random.Random, days: int) -> dict[str, list[float]]:
    """Random walks with plausible ranges; some customers decline, some recover."""
    seats = rng.choice([20, 50, 100, 250, 1000])
    drift = rng.choice([-0.01, -0.004, 0.0, 0.0, 0.003])
    level = rng.uniform(0.4, 0.95)
    out: dict[str, list[float]] = {s: [] for s in SIGNALS}
    nps, rating = rng.randint(3, 10), rng.randint(2, 5)
    for d in range(days):
        level = min(1.0, max(0.05, level + drift + rng.gauss(0, 0.02)))
        if d % 30 == 0:
            nps = min(10, max(0, nps + rng.randint(-2, 2)))
            rating = min(5, max(1, rating + rng.randint(-1, 1)))
        out["active_users"].append(round(seats * level))
        out["logins_30d"].append(round(seats * level * rng.uniform(8, 20)))
        out["key_feature_use"].append(round(100 * level * rng.uniform(0.5, 0.9), 1))
        out["license_utilisation"].append(round(100 * level, 1))
        out["tickets_30d"].append(max(0, round(rng.gauss(6 * (1.2 - level), 2))))
        out["nps"].append(nps)
        out["csm_rating"].append(rating)
        out["overdue_invoices"].append(1 if rng.random() < 0.02 else 0)
    return out


def snapshot_rows(team: str, ids: list[int], days: int, today: date, rng: random.Random):
    """Yield snapshot tuples customer by customer (streaming: memory stays flat)."""
    first = today - timedelta(days=days - 1)
    for cid in ids:
        series = signal_series(rng, days)
        for signal, values in series.items():
            for d, value in enumerate(values):
                yield (team, cid, signal, first + timedelta(days=d), float(value), "bench")


def write_snapshots(engine, rows, total: int) -> None:
    start, done = time.perf_counter(), 0
    if engine.dialect.name == "postgresql":
        raw = engine.raw_connection()
        try:
            cur = raw.cursor()
            now = datetime.now(UTC).isoformat()
            with cur.copy(
                "COPY health_snapshots (team_id, customer_id, signal, as_of, value, source, created_at) FROM STDIN"
            ) as copy:
                for row in rows:
                    copy.write_row((*row, now))
                    done += 1
                    if done % 1_000_000 == 0:
                        _progress(done, total, start)
            raw.commit()
        finally:
            raw.close()
    else:
        now = datetime.now(UTC).replace(tzinfo=None).isoformat(" ")
        with engine.begin() as conn:
            dbapi = conn.connection.dbapi_connection
            batch = []
            for row in rows:
                batch.append((*row[:3], row[3].isoformat(), row[4], row[5], now))
                if len(batch) == 50_000:
                    dbapi.executemany(
                        "INSERT INTO health_snapshots (team_id, customer_id, signal, as_of, value, source, created_at)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?)",
                        batch,
                    )
                    done += len(batch)
                    batch.clear()
                    if done % 1_000_000 < 50_000:
                        _progress(done, total, start)
            if batch:
                dbapi.executemany(
                    "INSERT INTO health_snapshots (team_id, customer_id, signal, as_of, value, source, created_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    batch,
                )
                done += len(batch)
    _progress(done, total, start)


def _progress(done: int, total: int, start: float) -> None:
    rate = done / max(time.perf_counter() - start, 1e-9)
    print(f"  snapshots {done:,}/{total:,} ({rate:,.0f}/s)", file=sys.stderr)


def build_state(engine, team: str, today: date) -> float:
    """The health state and daily scores of every customer, by the product's own rebuild (what the worker does
    after an upgrade: 50 customers per transaction); returns the seconds it took."""
    started = time.perf_counter()
    sessions = Sessions(engine)
    rules = HealthRules()
    with sessions.begin() as db:
        ids = health_state.customers_with_snapshots(db, team)
    for i, chunk in enumerate(health_state.chunked(sorted(ids), 50)):
        with sessions.begin() as db:
            health_state.rebuild(db, team, chunk, today, rules)
        if i % 200 == 199:
            _rate("health state", (i + 1) * 50, len(ids), started)
    return time.perf_counter() - started


def _rate(what: str, done: int, total: int, start: float) -> None:
    rate = done / max(time.perf_counter() - start, 1e-9)
    print(f"  {what} {done:,}/{total:,} customers ({rate:,.0f}/s)", file=sys.stderr)


def generate(url: str, n: int, days: int, *, seed: int = 42, team: str = "T111", today: date | None = None) -> None:
    """Migrate `url` and fill it with `n` customers and `days` days of snapshots for `team`, then their health
    state and daily scores (the product's rebuild)."""
    today = today or date.today()
    rng = random.Random(seed)
    migrate(url)
    engine = make_engine(url)
    rows = customers(n, team, today, rng)
    with engine.begin() as conn:
        for i in range(0, len(rows), 5000):
            conn.execute(insert(Customer), rows[i : i + 5000])
        ids = [r[0] for r in conn.execute(text("SELECT id FROM customers WHERE team_id = :t ORDER BY id"), {"t": team})]
    total = len(ids) * days * len(SIGNALS)
    write_snapshots(engine, snapshot_rows(team, ids, days, today, rng), total)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("ANALYZE customers"))
            conn.execute(text("ANALYZE health_snapshots"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    seconds = build_state(engine, team, today)
    print(f"  health state of {len(ids):,} customers in {seconds:.1f}s", file=sys.stderr)
    # Statistics for the state and the daily scores the rebuild wrote (the planner has none otherwise: on
    # PostgreSQL a digest then takes 30-47 s instead of a few), and on PostgreSQL a VACUUM so that reads of a day
    # from the covering index need not visit the table (what autovacuum does in time on a live database).
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"))
    engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, required=True)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--team", default="T111")
    parser.add_argument("--database-url", default=None, help="default: $DATABASE_URL or sqlite:///bench.db")
    args = parser.parse_args(argv)
    import os

    url = normalize_database_url(args.database_url or os.environ.get("DATABASE_URL", "sqlite:///bench.db"))
    started = time.perf_counter()
    generate(url, args.customers, args.days, seed=args.seed, team=args.team)
    print(f"generated {args.customers:,} customers x {args.days} days in {time.perf_counter() - started:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
