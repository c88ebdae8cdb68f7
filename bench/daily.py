"""`python -m bench.daily --database-url URL [--runs 3]`: the morning's health import, as a team runs it.

On a data set from `bench.generate` (customers with 90 days of 8 signals and their health state), each run writes
the next day's export (one row per customer and signal, long format) and imports it with `python -m bot import
health` in a child process (check, stage, one merge, then the health refresh in short transactions): rows/s
and seconds as the command reports them, the child's peak RSS. Each run adds a day, as each morning does."""

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

from bench.generate import SIGNALS
from bench.run import machine
from bot.db import migrate
from bot.signals import SIGNALS as SIGNAL_SPECS

TEAM = "T111"
ROOT = Path(__file__).resolve().parent.parent


def _value(signal: str, rng: random.Random) -> float:
    """A plausible value within the signal's range (bench.generate's walks stay within them too)."""
    spec = SIGNAL_SPECS[signal]
    top = spec.max_value if spec.max_value is not None else 500
    value = rng.uniform(max(spec.min_value, 0), top)
    return int(value) if spec.integer else round(value, 1)


def export(url: str, day: date, path: Path, seed: int) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        ids = [
            r[0]
            for r in conn.execute(text("SELECT external_id FROM customers WHERE team_id = :t ORDER BY id"), {"t": TEAM})
        ]
    engine.dispose()
    rng = random.Random(seed)
    with path.open("w") as f:
        f.write("customer,date,signal,value\n")
        for ext in ids:
            for s in SIGNALS:
                f.write(f"{ext},{day.isoformat()},{s},{_value(s, rng)}\n")
    return len(ids) * len(SIGNALS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.daily", description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    migrate(args.database_url)  # a data set generated before the latest migration
    engine = create_engine(args.database_url)
    with engine.connect() as conn:
        last = conn.execute(text("SELECT max(data_through) FROM health_states")).scalar_one()
    engine.dispose()
    last = last if isinstance(last, date) else date.fromisoformat(last)
    runs = []
    env = {**os.environ, "DATABASE_URL": args.database_url, "PYTHONPATH": str(ROOT), "PYTHON_DOTENV_DISABLED": "1"}
    for r in range(args.runs):
        day = last + timedelta(days=r + 1)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "export.csv"
            rows = export(args.database_url, day, path, r)
            started = time.perf_counter()
            child = subprocess.run(
                [sys.executable, "-m", "bot", "import", "health", str(path), "--team", TEAM],
                env=env, capture_output=True, text=True, check=False,
            )  # fmt: skip
            seconds = time.perf_counter() - started
        if child.returncode != 0:
            print(child.stdout, child.stderr, file=sys.stderr)
            return 1
        rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        run = {
            "day": day.isoformat(),
            "rows": rows,
            "seconds": seconds,
            "rows_per_s": rows / seconds,
            "peak_rss_mb": rss,
            "report": child.stdout.strip(),
        }
        runs.append(run)
        print(json.dumps(run), file=sys.stderr, flush=True)
    median = {k: statistics.median(r[k] for r in runs) for k in ("seconds", "rows_per_s")}
    print(json.dumps(median))
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": machine(), "runs": runs, "median": median}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
