"""`python -m bench.kpi`: the shared KPIs (bot/services/kpi.py) over 100,000 customers with 5 years of ARR
movements, on SQLite and PostgreSQL.

Data set (seeded): `--customers` customers (bench.generate's names, segments, owners; one in ten in KRW), each
with a `new` movement on a day of the 5 years before `--today`, then each month a chance of expansion (8 %),
contraction (4 %), churn (1.5 %) and, once churned, reactivation (4 %): about 5 movements per customer, written
with the migration's schema (the ledger's table and indexes) in bulk.

Measured through the product's code with time standing still at `--today` (2026-12-04): `kpi.report` (what
`/kpi` and the monthly post call: the month just ended and the one before, every currency, NPS), the same for a
quarter and for one segment, and `kpi.cohorts` (the cohort view); the first (cold) run and the median of
`--runs` runs, each in its own session as /kpi opens one.

Databases: a SQLite file under `--data-dir` and a PostgreSQL database `baton_bench_kpi` next to `--pg-url`'s
database, both created fresh and dropped at the end (unless `--keep`, which also reuses them).
"""

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import insert, text

from bench.generate import customers
from bench.run import DEFAULT_PG, Store, _pg_version, machine
from bot.db import Sessions, make_engine, migrate
from bot.models import ArrMovement, Customer, NpsResponse
from bot.services import kpi
from bot.viewdata.kpi import Filter, Period

TEAM = "T111"
SEED = 42
DB_NAME = "baton_bench_kpi"
YEARS = 5
CHUNK = 10_000


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def movements(ids: list[int], currencies: list[str], today: date, rng: random.Random):
    """Each customer's ledger: new, then monthly chances of expansion, contraction, churn and reactivation."""
    first = today - timedelta(days=365 * YEARS)
    now = datetime.now(UTC)
    n = 0
    for cid, currency in zip(ids, currencies, strict=True):
        scale = 1300 if currency == "KRW" else 1
        day = first + timedelta(days=rng.randrange((today - first).days))
        arr = Decimal(rng.choice([6_000, 12_000, 24_000, 48_000, 96_000]) * scale)
        rows = [(cid, "new", arr, day)]
        while True:
            day += timedelta(days=rng.randint(25, 35))
            if day > today:
                break
            roll = rng.random()
            if arr > 0:
                if roll < 0.08:
                    step = (arr * Decimal(rng.choice(["0.1", "0.2", "0.5"]))).quantize(Decimal(1))
                    rows.append((cid, "expansion", step, day))
                    arr += step
                elif roll < 0.12:
                    step = (arr * Decimal(rng.choice(["0.1", "0.2"]))).quantize(Decimal(1))
                    rows.append((cid, "contraction", step, day))
                    arr -= step
                elif roll < 0.135:
                    rows.append((cid, "churn", arr, day))
                    arr = Decimal(0)
            elif roll < 0.04:
                arr = Decimal(rng.choice([6_000, 12_000, 24_000]) * scale)
                rows.append((cid, "reactivation", arr, day))
        for customer_id, kind, amount, on in rows:
            n += 1
            yield {
                "team_id": TEAM, "customer_id": customer_id, "kind": kind, "amount": amount, "currency": currency,
                "effective_on": on, "source": "csv", "ref": f"bench:{n}", "created_at": now,
            }  # fmt: skip


def nps_rows(ids: list[int], today: date, rng: random.Random):
    """Two survey waves a year over the last 2 years, 30 % of customers answering with 1-3 respondents."""
    for wave in range(4):
        on = today - timedelta(days=30 + 182 * wave)
        for cid in rng.sample(ids, len(ids) * 3 // 10):
            for who in range(rng.randint(1, 3)):
                yield {
                    "team_id": TEAM, "customer_id": cid, "respondent": f"r{who}@c{cid}.example", "source": "csv",
                    "score": min(10, max(0, round(rng.gauss(7.5, 2)))), "responded_on": on,
                }  # fmt: skip


def _write(engine, model, rows) -> int:
    batch, total = [], 0
    for row in rows:
        batch.append(row)
        if len(batch) == CHUNK:
            with engine.begin() as conn:
                conn.execute(insert(model), batch)
            total += len(batch)
            batch = []
    if batch:
        with engine.begin() as conn:
            conn.execute(insert(model), batch)
        total += len(batch)
    return total


def build(url: str, n: int, today: date) -> dict:
    rng = random.Random(SEED)
    migrate(url)
    engine = make_engine(url)
    started = time.perf_counter()
    rows = customers(n, TEAM, today, rng)
    for r in rows:
        r["arr"], r["currency"] = None, ("KRW" if r["domain"].endswith(".kr") else "USD")
    with engine.begin() as conn:
        for i in range(0, len(rows), 5000):
            conn.execute(insert(Customer), rows[i : i + 5000])
        found = conn.execute(
            text("SELECT id, currency FROM customers WHERE team_id = :t ORDER BY id"), {"t": TEAM}
        ).all()
    ids, currencies = [r[0] for r in found], [r[1] for r in found]
    moved = _write(engine, ArrMovement, movements(ids, currencies, today, rng))
    answers = _write(engine, NpsResponse, nps_rows(ids, today, rng))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"))
    engine.dispose()
    return {
        "customers": len(ids),
        "movements": moved,
        "nps_responses": answers,
        "seconds": time.perf_counter() - started,
    }


def timed(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    """(first run ms, median of `runs` more)."""
    started = time.perf_counter()
    fn()
    cold = (time.perf_counter() - started) * 1000
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return cold, statistics.median(times)


def bench(url: str, today: date, runs: int) -> dict:
    engine = make_engine(url)
    sessions = Sessions(engine)
    month = kpi.last_month(today)
    quarter = Period.quarter_of(today).previous()

    def report(period: Period, flt: Filter = Filter()):  # noqa: B008
        def run():
            with sessions.begin() as db:
                return kpi.report(db, TEAM, period, today, flt=flt)

        return run

    def cohorts():
        with sessions.begin() as db:
            return kpi.cohorts(db, TEAM, today)

    out = {
        "month": timed(report(month), runs),
        "quarter": timed(report(quarter), runs),
        "segment": timed(report(month, Filter(segment="enterprise")), runs),
        "cohorts": timed(cohorts, runs),
    }
    sample = report(month)()
    usd = sample.current.currencies["USD"]
    out["sample"] = {
        "period": month.name,
        "usd_cohort": usd.cohort,
        "logo_retention": f"{usd.logo_retention:.4f}",
        "grr": f"{usd.grr:.4f}",
        "nrr": f"{usd.nrr:.4f}",
        "nps": f"{sample.current.nps.score:.1f}" if sample.current.nps.score is not None else None,
    }
    engine.dispose()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.kpi", description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--today", type=date.fromisoformat, default=date(2026, 12, 4))
    parser.add_argument("--runs", type=int, default=5, help="measured runs after the first")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    parser.add_argument("--data-dir", type=Path, default=Path("bench/.data"))
    parser.add_argument("--keep", action="store_true", help="keep the data sets (and reuse them next time)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)

    kinds = [k.strip() for k in args.databases.split(",") if k.strip()]
    meta = {"machine": machine(), "runs": args.runs, "today": args.today.isoformat()}
    if "postgresql" in kinds:
        meta["machine"]["postgresql"] = _pg_version(args.pg_url)
    results = []
    for kind in kinds:
        store = Store(kind, args.data_dir, args.pg_url, args.keep)
        name = f"{DB_NAME}_{args.customers}"
        marker = store._marker(name) if args.keep else None
        drop = store._dropper(name)
        try:
            if marker is not None:
                log(f"{kind}: reusing {name} (generated {marker})")
                url = store._url(name)
                data = {"reused": True, **_counts(url)}
            else:
                url = store.fresh(name)
                log(f"{kind}: generating {args.customers:,} customers x {YEARS} years of movements")
                data = build(url, args.customers, args.today)
                if args.keep:
                    store._mark(name, args.today)
                moved, answers = data["movements"], data["nps_responses"]
                log(f"  {moved:,} movements, {answers:,} NPS answers in {data['seconds']:.0f}s")
            r = {"database": kind, "data": data, **bench(url, args.today, args.runs)}
            results.append(r)
            log(
                f"  report (month + previous) {r['month'][0]:,.0f} ms cold / {r['month'][1]:,.0f} ms median; quarter "
                f"{r['quarter'][1]:,.0f} ms; one segment {r['segment'][1]:,.0f} ms; cohorts {r['cohorts'][1]:,.0f} ms"
            )
        finally:
            drop()
    print(report_text(results, meta))
    if args.json:
        args.json.write_text(json.dumps({"meta": meta, "results": results}, indent=2, default=str))
    return 0


def _counts(url: str) -> dict:
    engine = make_engine(url)
    with engine.connect() as conn:
        counts = {
            name: conn.execute(text(f"SELECT count(*) FROM {table} WHERE team_id = :t"), {"t": TEAM}).scalar_one()
            for name, table in (("customers", "customers"), ("movements", "arr_movements"),
                                ("nps_responses", "nps_responses"))
        }  # fmt: skip
    engine.dispose()
    return counts


def report_text(results: list[dict], meta: dict) -> str:
    m = meta["machine"]
    lines = [
        f"KPIs at {meta['today']}, median of {meta['runs']} runs (cold first run in brackets); "
        f"{m['cpus']} cores, {m['cpu']}, {m['memory']}, Python {m['python']}, PostgreSQL {m['postgresql'] or '-'}",
        "",
        "| database | customers | movements | report: month + previous | quarter | one segment | cohorts |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        d = r["data"]
        lines.append(
            f"| {r['database']} | {d.get('customers', 0):,} | {d.get('movements', 0):,} | "
            + " | ".join(f"{r[k][1]:,.0f} ms ({r[k][0]:,.0f})" for k in ("month", "quarter", "segment", "cohorts"))
            + " |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
