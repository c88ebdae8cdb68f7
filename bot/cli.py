"""`python -m bot import customers|health|movements|outcomes|nps FILE`, `tokens create|list|revoke`, `config
list|get|set|unset`, `jobs list|run` and `crm reconcile`.

Each command is one or more units of work over the services in bot/services/imports/ and tokens.py.
Reports go to stderr (one line per bad row), the summary to stdout; exit 0 when the import went in,
1 when it was refused (nothing written), 2 for configuration problems.
"""

import argparse
import logging
import re
import signal
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError, SlackRequestError
from sqlmodel import Session

from bot import cli_backtest, cli_kpi
from bot.config import Settings
from bot.db import Sessions, schema_status
from bot.services import health_state, imports, tokens
from bot.services.health_config import HealthRules
from bot.services.imports import revenue

COMMANDS = ("import", "tokens", "config", "jobs", "health", "crm", "kpi")
REVENUE_FEEDS = {  # bot/services/imports/revenue.py
    "movements": "ARR movements into the revenue ledger (id, customer, date, kind, amount[, currency, note])",
    "outcomes": "renewal outcomes (customer, renewal_date, outcome[, arr_after, arr_before, currency, reason])",
    "nps": "NPS survey answers (customer, respondent, score, date[, comment])",
}
WIDTH = 72  # progress line width
_TEAM_RE = re.compile(r"[A-Z0-9]{2,32}")


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register `import` and `tokens` on the main parser's subcommands."""
    imp = sub.add_parser("import", help="import customers or health snapshots from a CSV file")
    what = imp.add_subparsers(dest="what", required=True)
    customers = what.add_parser("customers", help="create or update customers (see docs/import-formats.md)")
    health = what.add_parser("health", help="health snapshots, long or wide format (see docs/import-formats.md)")
    for p in (customers, health):
        p.add_argument("file", help="CSV file with a header row")
        p.add_argument("--team", help="Slack team id (default: the installed workspace, from auth.test)")
        p.add_argument("--skip-invalid", action="store_true", help="import the valid rows, report the others")
    health.add_argument("--source", default="csv", help="source of the values when the file has no source column")
    for name, text in REVENUE_FEEDS.items():
        feed = what.add_parser(name, help=text)
        feed.add_argument("file", help="CSV file with a header row")
        feed.add_argument("--team", help="Slack team id (default: the installed workspace, from auth.test)")
        feed.add_argument("--dry-run", action="store_true", help="check and count, then write nothing")

    tok = sub.add_parser("tokens", help="API tokens for POST /api/v1/health-snapshots")
    action = tok.add_subparsers(dest="action", required=True)
    create = action.add_parser("create", help="create a token (printed once)")
    create.add_argument("--name", required=True, help="what the token is for, e.g. zapier-nps")
    listing = action.add_parser("list", help="list the team's tokens")
    revoke = action.add_parser("revoke", help="revoke a token")
    revoke.add_argument("ref", metavar="PREFIX_OR_ID", help="the token's id or prefix (baton_xxxxxxxx)")
    for p in (create, listing, revoke):
        p.add_argument("--team", help="Slack team id (default: the installed workspace, from auth.test)")

    conf = sub.add_parser("config", help="schedule settings of a team (applied by the worker on its next tick)")
    verb = conf.add_subparsers(dest="action", required=True)
    clist = verb.add_parser("list", help="every setting, its value and where it comes from")
    cget = verb.add_parser("get", help="one setting's value")
    cget.add_argument("key")
    cset = verb.add_parser("set", help="change a setting (checked first)")
    cset.add_argument("key")
    cset.add_argument("value")
    cunset = verb.add_parser("unset", help="back to the default")
    cunset.add_argument("key")
    for p in (clist, cget, cset, cunset):
        p.add_argument("--team", help="Slack team id (default: the installed workspace, from auth.test)")

    jobs = sub.add_parser("jobs", help="the worker's schedules: list them, or run one now")
    jverb = jobs.add_subparsers(dest="action", required=True)
    jlist = jverb.add_parser("list", help="every schedule of every team and its next run")
    jlist.add_argument("--team", help="only this team")
    jrun = jverb.add_parser("run", help="run one schedule now for one team")
    jrun.add_argument("name", help="a schedule name from `jobs list` (digest, renewals, onboarding, meeting, ...)")
    jrun.add_argument("--dry-run", action="store_true", help="print the messages instead of sending them")
    jrun.add_argument("--team", help="Slack team id (default: the installed workspace, from auth.test)")

    crm = sub.add_parser("crm", help="the CRMs Baton reads: reconcile won deals with handoffs")
    cverb = crm.add_subparsers(dest="action", required=True)
    crec = cverb.add_parser("reconcile", help="queue a draft handoff for every recently won deal that has none")
    crec.add_argument("--dry-run", action="store_true", help="report what is missing, queue nothing")
    crec.add_argument("--days", type=int, help="how many days back (default BATON_RECONCILE_DAYS, 7)")
    crec.add_argument("--team", help="Slack team id (default: the installed workspace, from auth.test)")

    hl = sub.add_parser("health", help="the health state kept from the snapshots")
    hverb = hl.add_subparsers(dest="action", required=True)
    hrebuild = hverb.add_parser(
        "rebuild", help="replay every customer's snapshots: state and daily scores (after changing health settings)"
    )
    hrebuild.add_argument("--team", help="only this team (default: every team)")
    cli_backtest.add_commands(hverb)
    cli_kpi.add_commands(sub)


def run(args: argparse.Namespace, settings: Settings, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run an `import` or `tokens` command; returns the exit code."""
    from bot.deps import build_deps

    out, err = out or sys.stdout, err or sys.stderr
    logging.getLogger("alembic").setLevel(logging.WARNING)  # the schema check's INFO lines are noise here
    deps = build_deps(settings)
    try:
        current, head = schema_status(deps.sessions.engine)
        if current != head:
            print(f"baton: the database schema is at {current or 'nothing'}, run `python -m bot migrate`", file=err)
            return 2
        if args.command == "jobs" and args.action == "list":
            return _jobs_list(deps, args.team, out)
        if args.command == "health" and args.action in cli_backtest.ACTIONS:
            return cli_backtest.run(args, deps, out, err)
        if args.command == "health":
            return _health_rebuild(deps, args.team, out, err)
        team_id = _team(args.team, deps, settings, err)
        if team_id is None:
            return 2
        if args.command == "config":
            return _config(args, deps, team_id, out, err)
        if args.command == "jobs":
            return _jobs_run(args, deps, team_id, out, err)
        if args.command == "crm":
            return _crm_reconcile(args, deps, team_id, out, err)
        if args.command == "kpi":
            return cli_kpi.run(args, deps, team_id, out, err)
        if args.command == "tokens":
            return _tokens(args, deps.sessions, team_id, deps.clock(), out, err)
        if args.what in REVENUE_FEEDS:
            return import_revenue_command(
                deps.sessions, Path(args.file), team_id, args.what, now=deps.clock(), dry_run=args.dry_run,
                default_currency=settings.default_currency, rules=deps.health_rules, out=out, err=err,
            )  # fmt: skip
        if args.what == "customers":
            find_user = _user_finder(deps) if settings.slack_bot_token else None
            if find_user is None:
                print("baton: SLACK_BOT_TOKEN is not set: owners are not resolved to Slack users", file=err)
            return import_customers_command(
                deps.sessions,
                Path(args.file),
                team_id,
                now=deps.clock(),
                find_user=find_user,
                skip_invalid=args.skip_invalid,
                default_currency=settings.default_currency,
                out=out,
                err=err,
            )
        source = args.source.strip()
        if not source or len(source) > imports.MAX_SOURCE:
            print(f"baton: --source must be 1 to {imports.MAX_SOURCE} characters", file=err)
            return 2
        return import_health_command(
            deps.sessions,
            Path(args.file),
            team_id,
            now=deps.clock(),
            source=source,
            skip_invalid=args.skip_invalid,
            out=out,
            err=err,
            rules=deps.health_rules,
        )
    finally:
        deps.sessions.engine.dispose()


def _team(given: str | None, deps, settings: Settings, err: TextIO) -> str | None:
    if given:
        if not _TEAM_RE.fullmatch(given):
            print(f"baton: --team must be a Slack team id such as T0123ABCD, got {given!r}", file=err)
            return None
        return given
    if not settings.slack_bot_token:
        print("baton: pass --team T... (or set SLACK_BOT_TOKEN so the team can be asked from Slack)", file=err)
        return None
    try:
        return deps.team_id()
    except (SlackApiError, SlackRequestError, OSError) as exc:
        print(f"baton: cannot ask Slack for the team id ({_slack_reason(exc)}); pass --team T...", file=err)
        return None


def _slack_reason(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if response is not None and hasattr(response, "get") and response.get("error"):
        return str(response.get("error"))
    return str(exc) or type(exc).__name__


def _user_finder(deps) -> Callable[[str], str | None]:
    """users.lookupByEmail through the user directory; Slack failures become UserLookupFailed."""

    def find(email: str) -> str | None:
        try:
            return deps.users.find_by_email(email)
        except (SlackApiError, SlackRequestError, OSError) as exc:
            raise imports.UserLookupFailed(_slack_reason(exc)) from exc

    return find


# ------------------------------------------------------------------------------------------------ imports


class ProgressLine:
    """Progress of a long import on one terminal line: rows done, % of the file's bytes, rows per second."""

    def __init__(self, stream: TextIO, total_bytes: int, clock: Callable[[], float] = time.monotonic):
        self.stream = stream
        self.total = max(total_bytes, 1)
        self.clock = clock
        self.phase: str | None = None
        self.started = 0.0
        self.drawn = float("-inf")

    def __call__(self, phase: str, rows: int, bytes_read: int) -> None:
        now = self.clock()
        if phase != self.phase:
            self.finish()
            self.phase, self.started, self.drawn = phase, now, float("-inf")
        if now - self.drawn < 0.1 and bytes_read < self.total:
            return
        self.drawn = now
        pct = min(100.0, bytes_read * 100 / self.total)
        rate = rows / max(now - self.started, 1e-6)
        line = f"{phase}: {rows:,} rows, {pct:.0f}% of the file, {rate:,.0f} rows/s"
        self.stream.write("\r" + line.ljust(WIDTH))  # padded: a shorter redraw must hide the longer one
        self.stream.flush()

    def finish(self) -> None:
        if self.phase is not None:
            self.stream.write("\n")
            self.stream.flush()
            self.phase = None


class Interrupted(BaseException):
    """SIGTERM or SIGINT during an import (a BaseException, so no `except Exception` swallows it)."""


def import_health_file(
    sessions: Sessions,
    path: str | Path,
    team_id: str,
    *,
    now: datetime,
    source: str = "csv",
    skip_invalid: bool = False,
    progress: imports.Progress | None = None,
    rules: HealthRules | None = None,
    hook: Callable[[str], None] | None = None,
) -> imports.ImportResult:
    """Check every line (pass 1); then, if allowed, stage the valid ones in a temporary table and merge them in
    one transaction, which also queues the affected customers' health refresh (pass 2); then refresh them,
    health_state.CHUNK customers per short transaction (the worker finishes it if this process dies).

    `hook(phase)` is called at "staged", "merged" and "scored" (the tests stop an import there).
    Raises imports.FileError when the file or its header is unusable."""
    csvfile = imports.HealthCsv.open(path, default_source=source)
    with sessions.begin() as db:
        checker = imports.SnapshotChecker(imports.CustomerResolver(db, team_id, preload=True), source)
    result = imports.check_health_file(checker, csvfile, progress)
    if result.error_rows and not skip_invalid:
        return result
    result.skipped = result.error_rows
    with sessions.engine.connect() as conn:
        staging = imports.Staging(conn)
        try:
            for batch in imports.valid_health_batches(checker, csvfile, progress):
                staging.add(batch)
                conn.commit()  # the staging table is this connection's own: nothing of the main database is locked
            if hook:
                hook("staged")
            with conn.begin():
                result.add(staging.merge(team_id, now))
        finally:
            staging.close()
            conn.commit()
    result.written = True
    if hook:
        hook("merged")
    rules = rules or HealthRules()
    while True:  # short write transactions: SQLite has one write lock
        with sessions.begin() as db:
            if not health_state.refresh_queued(db, team_id, now.date(), rules, now=now):
                break
    if hook:
        hook("scored")
    return result


def import_health_command(
    sessions: Sessions,
    path: Path,
    team_id: str,
    *,
    now: datetime,
    source: str,
    skip_invalid: bool,
    out: TextIO,
    err: TextIO,
    rules: HealthRules | None = None,
    hook: Callable[[str], None] | None = None,
) -> int:
    """`import health`: run the import, print the report and the summary; progress only on a terminal. SIGTERM
    or SIGINT stops it with a line saying what was kept: nothing before the merge committed; after it, the
    snapshots, whose scores the worker brings up to date (exit code 130)."""
    progress = ProgressLine(err, _size(path)) if err.isatty() else None
    started = time.monotonic()
    merged = False
    marks: dict[str, float] = {}

    def phase(name: str) -> None:
        nonlocal merged
        merged = merged or name == "merged"
        marks[name] = time.monotonic()
        if hook is not None:
            hook(name)

    def stop(signum, _frame) -> None:
        raise Interrupted(signum)

    handlers = {}
    if threading.current_thread() is threading.main_thread():
        handlers = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        result = import_health_file(
            sessions,
            path,
            team_id,
            now=now,
            source=source,
            skip_invalid=skip_invalid,
            progress=progress,
            rules=rules,
            hook=phase,
        )
    except imports.FileError as exc:
        return _refused_file(exc, err)
    except Interrupted:
        if progress is not None:
            progress.finish()
            progress = None
        if merged:
            print("baton: interrupted: the snapshots are stored; the worker brings their scores up to date", file=err)
        else:
            print("baton: interrupted: nothing was written", file=err)
        return 130
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
        if progress is not None:
            progress.finish()
    code = _report("health snapshots", result, time.monotonic() - started, out, err)
    if code == 0 and "staged" in marks and "scored" in marks:
        print(
            f"checked and staged in {marks['staged'] - started:.1f} s, merged in "
            f"{marks['merged'] - marks['staged']:.1f} s, health of {len(result.changed):,} "
            f"customer{'' if len(result.changed) == 1 else 's'} refreshed in "
            f"{marks['scored'] - marks['merged']:.1f} s",
            file=out,
        )
    return code


def import_customers_command(
    sessions: Sessions,
    path: Path,
    team_id: str,
    *,
    now: datetime,
    find_user: Callable[[str], str | None] | None,
    skip_invalid: bool,
    default_currency: str,
    out: TextIO,
    err: TextIO,
) -> int:
    """`import customers`: one transaction, nothing written when any row is bad (unless --skip-invalid)."""
    started = time.monotonic()
    try:
        with sessions.begin() as db:
            result = imports.import_customers(
                db,
                team_id,
                path,
                now=now,
                find_user=find_user,
                skip_invalid=skip_invalid,
                default_currency=default_currency,
            )
    except imports.FileError as exc:
        return _refused_file(exc, err)
    return _report("customers", result, time.monotonic() - started, out, err)


def import_revenue_command(
    sessions: Sessions,
    path: Path,
    team_id: str,
    kind: str,
    *,
    now: datetime,
    dry_run: bool,
    default_currency: str,
    rules: HealthRules | None,
    out: TextIO,
    err: TextIO,
) -> int:
    """`import movements|outcomes|nps`: one transaction, nothing written when any row is bad; `--dry-run` runs
    the same import and rolls it back."""
    started = time.monotonic()
    try:
        rows, warnings = revenue.read_file(path, kind)
    except imports.FileError as exc:
        return _refused_file(exc, err)
    with Session(sessions.engine, expire_on_commit=False) as db:
        try:
            result = revenue.import_revenue(
                db, team_id, kind, rows, source="csv", recorded_by=f"csv:{path.name}"[:64], now=now,
                default_currency=default_currency, rules=rules,
            )  # fmt: skip
            result.warnings[:0] = warnings
            if result.written and not dry_run:
                db.commit()
            else:
                db.rollback()
        except BaseException:
            db.rollback()
            raise
    code = _report(REVENUE_NAMES[kind], result, time.monotonic() - started, out, err)
    if code == 0 and dry_run:
        print("dry run: nothing was written", file=out)
    return code


REVENUE_NAMES = {"movements": "ARR movements", "outcomes": "renewal outcomes", "nps": "NPS responses"}


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _refused_file(exc: imports.FileError, err: TextIO) -> int:
    for error in exc.errors:
        print(error if error.where else error.reason, file=err)
    print("rejected: nothing imported", file=err)
    return 1


def _report(what: str, result: imports.ImportResult, seconds: float, out: TextIO, err: TextIO) -> int:
    for warning in result.warnings:
        print(f"line {warning.where}: warning: {warning.reason}", file=err)
    for error in result.errors:
        print(error, file=err)
    if result.errors_dropped:
        print(f"... and {result.errors_dropped:,} more problems", file=err)
    if not result.written:
        print(
            f"rejected: {result.error_rows:,} invalid row(s), nothing imported "
            "(fix them"
            + (")" if what in REVENUE_NAMES.values() else ", or pass --skip-invalid to import the valid rows)"),
            file=err,
        )
        return 1
    rate = result.rows / seconds if seconds > 0 else 0.0
    print(f"{what}: {result.summary()} ({result.rows:,} rows in {seconds:.1f} s, {rate:,.0f} rows/s)", file=out)
    return 0


# ------------------------------------------------------------------------------------------------- tokens


def _tokens(args: argparse.Namespace, sessions: Sessions, team_id: str, now: datetime, out: TextIO, err: TextIO) -> int:
    try:
        with sessions.begin() as db:
            if args.action == "create":
                row, token = tokens.create_token(db, team_id, args.name, now)
                print(f"created API token {row.name!r} (id {row.id}, team {team_id}); it is shown only once:", file=out)
                print(token, file=out)
            elif args.action == "list":
                _print_tokens(tokens.list_tokens(db, team_id), out)
            else:
                row, revoked = tokens.revoke_token(db, team_id, args.ref, now)
                state = "revoked" if revoked else "was already revoked:"
                print(f"{state} token {row.id} ({row.prefix}, {row.name!r})", file=out)
    except tokens.TokenError as exc:
        print(f"baton: {exc}", file=err)
        return 1
    return 0


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "-"


def _print_tokens(rows: list, out: TextIO) -> None:
    if not rows:
        print("no API tokens (create one with `python -m bot tokens create --name NAME`)", file=out)
        return
    table = [("ID", "NAME", "PREFIX", "CREATED", "LAST USED", "REVOKED")]
    table += [
        (str(r.id), r.name, r.prefix, _when(r.created_at), _when(r.last_used_at), _when(r.revoked_at)) for r in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip(), file=out)


# ------------------------------------------------------------------------------------------ config, jobs


def _config(args: argparse.Namespace, deps, team_id: str, out: TextIO, err: TextIO) -> int:
    from bot.jobs.schedules import defaults
    from bot.services import team_config

    key = getattr(args, "key", None)
    if key is not None and key not in team_config.KEYS:
        print(f"baton: unknown setting {key!r}; `python -m bot config list` shows them all", file=err)
        return 2
    with deps.sessions.begin() as db:
        if args.action == "set":
            try:
                value = team_config.set_value(db, team_id, key, args.value, now=deps.clock(), by="cli")
            except team_config.ConfigValueError as exc:
                print(f"baton: {key} must be {exc}", file=err)
                return 2
            print(f"{key} = {value or '(none)'} for team {team_id}; the worker applies it on its next tick", file=out)
            return 0
        if args.action == "unset":
            team_config.unset(db, team_id, key)
            print(f"{key} is back to its default for team {team_id}", file=out)
            return 0
        cfg = team_config.load(db, team_id, defaults(deps))
        stored = team_config.stored(db, team_id)
    if args.action == "get":
        print(cfg.values[key], file=out)
        return 0
    table = [("KEY", "VALUE", "FROM", "WHAT")]
    bad = team_config.refused(stored)
    for name, spec in team_config.KEYS.items():
        source = "default (stored value refused)" if name in bad else "team" if name in stored else "default"
        table.append((name, cfg.values[name] or "(none)", source, spec.help))
    _print_table(table, out)
    for name, why in bad.items():
        print(f"\n{name}: the stored {stored[name]!r} is refused (it must be {why}); the default is used until "
              f"`config set {name} ...` stores a good value", file=out)  # fmt: skip
    return 0


def _health_rebuild(deps, team: str | None, out: TextIO, err: TextIO) -> int:
    """`health rebuild`: every customer's state and daily scores replayed from the snapshots, in short transactions."""
    from bot.jobs import health as health_job

    started = time.monotonic()
    today = deps.clock().date()
    written = 0
    for team_id in [team] if team else health_job.teams(deps):
        progress = ProgressLine(err, 1) if err.isatty() else None

        def show(done: int, total: int, progress=progress, team_id=team_id) -> None:
            if progress is not None:
                progress.total = max(total, 1)
                progress(f"rebuilding {team_id}", done, done)

        written += health_job.rebuild_team(deps, team_id, today, only_needed=False, progress=show)
        if progress is not None:
            progress.finish()
    print(f"health state rebuilt: {written:,} daily scores in {time.monotonic() - started:.1f} s", file=out)
    return 0


def _crm_reconcile(args: argparse.Namespace, deps, team_id: str, out: TextIO, err: TextIO) -> int:
    """`crm reconcile`: one line per CRM (found, with a handoff, missing, queued), the missing deals' ids."""
    from bot.jobs.crm_reconcile import reconcile

    days = deps.settings.reconcile_days if args.days is None else args.days
    if not 1 <= days <= 365:
        print("baton: --days must be from 1 to 365", file=err)
        return 2
    if not deps.inbox.configured_crms():
        print(
            "baton: no CRM API is configured (HUBSPOT_ACCESS_TOKEN; SALESFORCE_INSTANCE_URL, SALESFORCE_CLIENT_ID "
            "and SALESFORCE_CLIENT_SECRET; PIPEDRIVE_API_URL and PIPEDRIVE_API_TOKEN)",
            file=err,
        )
        return 2
    failed = False
    for r in reconcile(deps, team_id, days=days, dry_run=args.dry_run):
        if r.error:
            failed = True
            print(f"{r.crm}: cannot list won deals: {r.error}", file=err)
            continue
        done = "would queue" if args.dry_run else f"queued {r.queued} new, {r.requeued} again"
        print(
            f"{r.crm}: {r.found} won in the last {days} days, {r.with_handoff} with a handoff, "
            f"{len(r.missing)} without ({done})",
            file=out,
        )
        for deal_id in r.missing[:50]:
            print(f"  {r.crm} deal {deal_id}", file=out)
        if len(r.missing) > 50:
            print(f"  ... and {len(r.missing) - 50} more", file=out)
    if not args.dry_run:
        print("the inbox (worker or web process) drafts the queued deals and sends their fill requests", file=out)
    return 1 if failed else 0


def _jobs_list(deps, team: str | None, out: TextIO) -> int:
    from bot.jobs import JOBS
    from bot.jobs.schedules import next_runs

    now = deps.clock()
    table = [("SCHEDULE", "TEAM", "NEXT RUN (TEAM TIME)", "NEXT RUN (UTC)", "WHAT")]
    for name, team_id, zone, nxt, desc in next_runs(deps, now):
        if team and team_id != team:
            continue
        local = nxt.astimezone(ZoneInfo(zone)).strftime("%a %Y-%m-%d %H:%M %Z") if nxt else "-"
        table.append((name, team_id, local, _when(nxt), desc))
    if len(table) == 1:
        print("no teams yet: schedules start once Baton has a customer, a handoff or a `config set`", file=out)
    else:
        _print_table(table, out)
    print("", file=out)
    worker = [("WORKER JOB", "EVERY", "WHAT")]
    worker += [(job_id, f"{job.seconds} s", job.description) for job_id, job in JOBS.items()]
    _print_table(worker, out)
    return 0


def _jobs_run(args: argparse.Namespace, deps, team_id: str, out: TextIO, err: TextIO) -> int:
    from bot.jobs.schedules import all_schedules, run_now

    if args.name not in all_schedules():
        print(f"baton: no schedule {args.name!r}; known: {', '.join(all_schedules())}", file=err)
        return 2
    queued, skipped = run_now(deps, args.name, team_id, dry_run=args.dry_run, out=out, render=render_message)
    if args.dry_run:
        print(f"dry run: {queued} message(s) would be sent, {skipped} skipped; nothing was sent or recorded", file=out)
        return 0
    delivered = deps.outbox.run_once() if queued else 0
    print(f"{args.name}: {queued} message(s) queued, {skipped} skipped; {delivered} delivery attempt(s) made "
          "(the rest are retried by the worker)", file=out)  # fmt: skip
    return 0


def render_message(message) -> str:
    """A scheduled message as text for `jobs run --dry-run`: recipient, key, then each part's blocks."""
    to = f"#{message.channel}" if message.channel else f"DM @{message.user}"
    lines = [f"=== {message.kind} to {to} (key {message.key})"]
    for i, part in enumerate(message.parts):
        if i:
            lines.append(f"--- reply {i} in the thread")
        lines.append(f"[notification] {part.text}")
        lines.extend(_block_lines(part.blocks))
    return "\n".join(lines)


def _texts(obj) -> list[str]:
    if isinstance(obj, dict):
        if obj.get("type") in ("plain_text", "mrkdwn") and "text" in obj:
            return [obj["text"]]
        out: list[str] = []
        for key in ("text", "fields", "elements", "options", "accessory"):
            if key in obj:
                out += _texts(obj[key])
        return out
    if isinstance(obj, list):
        return [t for item in obj for t in _texts(item)]
    return []


def _block_lines(blocks: list[dict]) -> list[str]:
    lines = []
    for block in blocks:
        kind = block.get("type")
        if kind == "divider":
            lines.append("-" * 40)
        elif kind == "actions":
            lines.append("[buttons] " + " | ".join(_texts(block.get("elements", []))))
        else:
            lines.extend(_texts(block))
    return lines


def _print_table(table: list[tuple[str, ...]], out: TextIO) -> None:
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip(), file=out)
