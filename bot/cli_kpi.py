"""`python -m bot kpi show [PERIOD]` and `python -m bot kpi cohorts`: the shared KPIs and the ARR retention of
each start quarter, printed (bot/services/kpi.py computes both; the definitions are its docstring's)."""

import argparse
from decimal import ROUND_HALF_UP, Decimal
from typing import TextIO

from bot.blocks.kpi import LABELS, RATES, period_label
from bot.i18n import t
from bot.money import format_amount_short
from bot.services import kpi, team_config
from bot.viewdata.handoff import ICP_FITS
from bot.viewdata.kpi import CohortTable, CurrencyKpis, Filter, KpiReport, Nps

LOCALE = "en"  # the CLI speaks English, as the rest of `python -m bot` does


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register `kpi show` and `kpi cohorts` on the main parser's subcommands."""
    k = sub.add_parser("kpi", help="the shared KPIs from the revenue ledger: show a period, or cohorts")
    verb = k.add_subparsers(dest="action", required=True)
    show = verb.add_parser("show", help="a period's KPIs against the period before (default: last month)")
    show.add_argument("period", nargs="?", help="2026-11 (a month), 2026-Q4 (a quarter) or 2026 (a year)")
    show.add_argument("--segment", help="only customers of this segment")
    show.add_argument("--owner", help="only customers of this owner (a Slack user id)")
    show.add_argument("--icp", choices=ICP_FITS, help="only customers whose latest handoff has this ICP fit")
    cohorts = verb.add_parser("cohorts", help="ARR retention by start quarter (rows) and quarters since (columns)")
    cohorts.add_argument("--currency", help="only this currency (default: one table per currency)")
    for p in (show, cohorts):
        p.add_argument("--team", help="Slack team id (default: the installed workspace, from auth.test)")


def run(args: argparse.Namespace, deps, team_id: str, out: TextIO, err: TextIO) -> int:
    from bot.jobs.schedules import defaults

    with deps.sessions.begin() as db:
        cfg = team_config.load(db, team_id, defaults(deps))
        today = cfg.today(deps.clock())
        if args.action == "cohorts":
            currency = (args.currency or "").strip().upper() or None
            print_cohorts(kpi.cohorts(db, team_id, today, currency=currency), out)
            return 0
        period = kpi.parse_period(args.period) if args.period else kpi.last_month(today)
        if period is None:
            print(f"baton: {args.period!r} is not a period: write 2026-11, 2026-Q4 or 2026", file=err)
            return 2
        try:
            segment = kpi.find_segment(db, team_id, args.segment) if args.segment else None
            flt = Filter(segment=segment, owner=args.owner, icp_fit=args.icp)
            found = kpi.report(db, team_id, period, today, flt=flt, margin=kpi.gross_margin(cfg))
        except kpi.KpiError as exc:
            print(f"baton: {t(LOCALE, exc.key, **exc.params)}".replace("`", ""), file=err)
            return 2
    print_report(found, out)
    return 0


def _pct(value: Decimal | None) -> str:
    return "-" if value is None else f"{(value * 100).quantize(Decimal('0.1'), ROUND_HALF_UP)}%"


def _money(value: Decimal | None, currency: str) -> str:
    return "-" if value is None else format_amount_short(value, currency, LOCALE)


def _table(rows: list[tuple[str, ...]], out: TextIO) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip(), file=out)


def _name(key: str) -> str:
    return t(LOCALE, LABELS[key][0])


def _currency_rows(now: CurrencyKpis | None, before: CurrencyKpis | None, currency: str) -> list[tuple[str, ...]]:
    def both(fn) -> tuple[str, str]:
        return tuple(fn(k) if k is not None else "-" for k in (now, before))  # type: ignore[return-value]

    rows = [
        ("customers with ARR at the start", *both(lambda k: str(k.cohort))),
        ("  of them with ARR at the end", *both(lambda k: str(k.retained))),
        ("ARR at the start (cohort)", *both(lambda k: _money(k.start_arr, currency))),
        ("  expansion / reactivation", *both(lambda k: f"{_money(k.expansion, currency)} / "
                                                       f"{_money(k.reactivation, currency)}")),
        ("  contraction / churn", *both(lambda k: f"{_money(k.contraction, currency)} / {_money(k.churn, currency)}")),
        ("  cohort ARR at the end", *both(lambda k: _money(k.cohort_end_arr, currency))),
        ("joined (new or back)", *both(lambda k: f"{k.new_customers} ({_money(k.new_arr, currency)})")),
        ("customers with ARR at the end", *both(lambda k: f"{k.active} ({_money(k.active_arr, currency)})")),
    ]  # fmt: skip
    rows += [(_name(r), *both(lambda k, r=r: _pct(getattr(k, r)))) for r in RATES]
    rows += [
        ("ARPA", *both(lambda k: _money(k.arpa, currency))),
        ("churn, trailing 6 months / annualised", *both(lambda k: f"{_pct(k.churn_6m)} / {_pct(k.annual_churn)}")),
        (_name("ltv"), *both(lambda k: _money(k.ltv, currency) if k.ltv is not None else "none (no churn)")),
    ]
    return rows


def _nps(n: Nps) -> str:
    if n.score is None:
        return "- (no answers)"
    return f"{n.score.quantize(Decimal('0.1'), ROUND_HALF_UP)} ({n.promoters}/{n.passives}/{n.detractors})"


def print_report(r: KpiReport, out: TextIO) -> None:
    now, before = r.current, r.previous
    span = f"{now.period.start} – {now.end}" + (" (to date)" if now.partial else "")
    who = r.filter.segment or (f"owner {r.filter.owner}" if r.filter.owner else None)
    who = who or (f"ICP fit {r.filter.icp_fit}" if r.filter.icp_fit else "all customers")
    against = period_label(before.period, LOCALE)
    print(f"KPIs for {period_label(now.period, LOCALE)} ({span}), {who}; against {against}; "
          f"gross margin {_pct(r.gross_margin)}", file=out)  # fmt: skip
    for currency in r.currencies:
        print("", file=out)
        rows = [(currency, now.period.name, before.period.name)]
        rows += _currency_rows(now.currencies.get(currency), before.currencies.get(currency), currency)
        _table(rows, out)
    if not r.currencies:
        print("\nno ARR movements for these customers yet", file=out)
    print("", file=out)
    _table([("NPS (promoters/passives/detractors)", _nps(now.nps), _nps(before.nps))], out)
    print("\nDefinitions:", file=out)
    for key in (*RATES, "ltv", "nps"):
        print(f"  {_name(key)}: {t(LOCALE, LABELS[key][1])}", file=out)


def print_cohorts(tables: list[CohortTable], out: TextIO) -> None:
    if not tables:
        print("no ARR movements yet", file=out)
        return
    for i, table in enumerate(tables):
        if i:
            print("", file=out)
        print(f"ARR retention by start quarter, {table.currency}: each cohort's ARR at the end of each quarter since "
              "it started, as a share of its ARR at the end of its first quarter", file=out)  # fmt: skip
        width = max(len(row.cells) for row in table.rows)
        rows = [("COHORT", "CUSTOMERS", "START ARR", *(f"Q+{k}" for k in range(width)))]
        for row in table.rows:
            cells = [_pct(c).replace(".0%", "%") for c in row.cells] + [""] * (width - len(row.cells))
            rows.append((row.quarter.name, str(row.customers), _money(row.start_arr, table.currency), *cells))
        _table(rows, out)
