"""`python -m bot health backtest` (the health score against recorded renewal outcomes) and `health backtest-data`
(a seeded synthetic population with planted effects to try it on). The logic is in bot/services/backtest.py."""

import argparse
import dataclasses
import json
from datetime import date, timedelta
from typing import TextIO

from bot.services import backtest as bt
from bot.services import backtest_data

ACTIONS = ("backtest", "backtest-data")
BAND_NAMES = {"healthy": "Healthy", "at_risk": "At risk", "unhealthy": "Unhealthy"}


def add_commands(hverb: argparse._SubParsersAction) -> None:
    """Register `backtest` and `backtest-data` under `health`."""
    p = hverb.add_parser("backtest", help="how well the health score predicted the recorded renewal outcomes")
    p.add_argument("--horizon", default=",".join(map(str, bt.HORIZONS)), help="days before each renewal (90,60)")
    p.add_argument("--team", help="only this team (default: every team with renewal outcomes)")
    p.add_argument("--k", type=int, help="length of the at-risk list for precision@k (default: number of churners)")
    p.add_argument(
        "--sample",
        type=int,
        default=bt.SAMPLE,
        help=f"renewals read for the per-signal figures ({bt.SAMPLE:,}; 0: all)",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    d = hverb.add_parser("backtest-data", help="write a synthetic population with planted effects into an empty team")
    d.add_argument("--team", default="TDEMO", help="the (empty) team to fill (default TDEMO)")
    d.add_argument("--customers", type=int, default=1000)
    d.add_argument("--seed", type=int, default=1)
    d.add_argument("--years", type=int, default=3)


def horizons(text: str) -> list[int]:
    """'90,60' -> [90, 60]; each a whole number of days, 1 to 730, given once."""
    out = []
    for part in text.split(","):
        if not part.strip().isdigit() or not 1 <= int(part) <= 730 or int(part) in out:
            raise ValueError(f"--horizon: {text!r} is not a list of days like 90,60 (each 1 to 730, once)")
        out.append(int(part))
    return out


def run(args: argparse.Namespace, deps, out: TextIO, err: TextIO) -> int:
    if args.action == "backtest-data":
        return _generate(args, deps, out, err)
    try:
        hs = horizons(args.horizon)
    except ValueError as exc:
        print(f"baton: {exc}", file=err)
        return 2
    if args.k is not None and args.k < 1:
        print("baton: --k must be at least 1", file=err)
        return 2
    with deps.sessions.begin() as db:
        teams = [args.team] if args.team else bt.teams_with_outcomes(db)
        reports = [bt.backtest(db, t, deps.health_rules, hs, k=args.k, sample=args.sample) for t in teams]
    if args.json:
        print(json.dumps({"teams": [dataclasses.asdict(r) for r in reports]}, default=str, indent=2), file=out)
        return 0
    if not reports:
        print("No renewal outcomes recorded: nothing to backtest.", file=out)
    for r in reports:
        print(render(r), file=out)
    return 0


def _generate(args: argparse.Namespace, deps, out: TextIO, err: TextIO) -> int:
    from sqlmodel import col, func, select

    from bot.models import Customer

    with deps.sessions.begin() as db:
        existing = db.exec(select(func.count()).where(col(Customer.team_id) == args.team)).one()
    if existing:
        print(
            f"baton: team {args.team} already has {existing:,} customers; synthetic data goes into an empty team",
            file=err,
        )
        return 1
    config = deps.health_rules.for_customer(args.team, None)
    end = deps.clock().date() - timedelta(days=1)
    n, outcomes = backtest_data.generate(
        deps.sessions, args.team, args.customers, config=config, end=end, seed=args.seed, years=args.years
    )
    print(f"wrote {n:,} synthetic customers and {outcomes:,} renewal outcomes into team {args.team}", file=out)
    print(f"try: python -m bot health backtest --team {args.team}", file=out)
    return 0


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{x * 100:.1f}%"


def _auc(x: float | None) -> str:
    return "–" if x is None else f"{x:.3f}"


def _day(d: date | None) -> str:
    return d.isoformat() if d else "–"


def render(r: bt.BacktestReport) -> str:
    """The report as text for a terminal."""
    lines = [f"Backtest of the health score · team {r.team_id}"]
    if r.note:
        return "\n".join([*lines, r.note.capitalize() + "."])
    lines.append(
        f"{r.outcomes:,} renewal outcomes ({_day(r.first_renewal)} to {_day(r.last_renewal)}), {r.churned:,} churned"
    )
    for h in r.horizons:
        lines += ["", f"== {h.horizon} days before renewal =="]
        src = h.sources
        lines.append(
            f"scored {h.scored:,} of {h.renewals:,} (stored that day {src['stored']:,}, up to "
            f"{bt.SCORE_WINDOW_DAYS} days earlier {src['earlier']:,}, recomputed from snapshots "
            f"{src['recomputed']:,}, no data {src['none']:,})"
        )
        if h.note:
            lines.append(f"note: {h.note}")
        lines.append(
            f"churned {h.churned:,} · contracted {h.contracted:,} (counted as not churned) · "
            f"base rate {_pct(h.base_rate)}"
        )
        lines.append(
            f"AUC (low score -> churn) {_auc(h.auc)} · churned or contracted {_auc(h.auc_churned_or_contracted)}"
        )
        lines.append(f"precision@{h.k:,} (the {h.k:,} lowest scores) {_pct(h.precision_at_k)}")
        for a in h.arr_recall:
            lines.append(
                f"ARR recall ({a.currency}): {_pct(a.recall)} of churned ARR was At risk or Unhealthy "
                f"({float(a.flagged_churned_arr):,.0f} of {float(a.churned_arr):,.0f})"
            )
        lines.append(f"  {'band':<10} {'renewals':>9} {'churned':>8} {'contracted':>10} {'churn rate':>10}")
        for b in h.bands:
            lines.append(
                f"  {BAND_NAMES[b.band]:<10} {b.renewals:>9,} {b.churned:>8,} {b.contracted:>10,} "
                f"{_pct(b.churn_rate):>10}"
            )
        if h.signals:
            sampled = f" (a sample of {h.signals_sampled:,} renewals)" if h.signals_sampled < h.renewals else ""
            lines.append(f"  {'signal alone' + sampled:<40} {'renewals':>9} {'churned':>8} {'AUC':>6}")
            for s in sorted(h.signals, key=lambda s: -(s.auc or 0)):
                lines.append(f"  {s.signal:<40} {s.renewals:>9,} {s.churned:>8,} {_auc(s.auc):>6}")
    s = r.suggestion
    if s is not None:
        lines += [
            "",
            f"== Suggested weights (a suggestion, from the {s.horizon}-day horizon) ==",
            f"Weights proportional to max(0, AUC - 0.5) of each signal on the {s.train:,} renewals before "
            f"{s.split_date}; checked on the {s.test:,} from then on, which they were not fitted on.",
            f"AUC, current -> suggested: fitted on {_auc(s.auc_current_train)} -> {_auc(s.auc_suggested_train)}; "
            f"later renewals {_auc(s.auc_current_test)} -> {_auc(s.auc_suggested_test)}",
            "Fitted on this team's past: the later renewals are the honest figure, and a small or shifting book "
            "overfits. Per-segment or per-team weights in the file still override these.",
            "For BATON_HEALTH_CONFIG (diff of the top-level table):",
            s.diff,
        ]
    return "\n".join(lines)
