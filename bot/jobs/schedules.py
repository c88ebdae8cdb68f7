"""Runs each team's schedules: `run_due` every minute in the worker, `run_now` for `python -m bot jobs run`.

A fire is recorded as a row (unique key) with the last batch of its messages, so a second worker or a restart
never runs a finished fire again, and each message's own key keeps a fire run twice from sending twice. A
fire missed while no worker ran is run on start if it is still useful (this week's digest, a
reminder still ahead of its date), and otherwise skipped with a log line: nothing is dropped silently.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TextIO

from bot.services import schedules as engine
from bot.services import team_config
from bot.services.schedules import Context, Message, Schedule, Skip

log = logging.getLogger("baton.schedules")


def all_schedules() -> dict[str, Schedule]:
    """Every schedule, by name (imported here so the services stay independent of one another)."""
    from bot.jobs import digest, kpi, meeting, nudges, onboarding, renewals

    found = [digest.SCHEDULE, renewals.SCHEDULE, onboarding.SCHEDULE, meeting.SCHEDULE, kpi.SCHEDULE, *nudges.SCHEDULES]
    return {s.name: s for s in found}


def defaults(deps) -> team_config.Defaults:
    s = deps.settings
    return team_config.Defaults(timezone=s.timezone, locale=s.default_locale, handoff_channel=s.handoff_channel)


def _context(
    deps, cfg: team_config.TeamConfig, fire: datetime, now: datetime, *, manual: bool = False, unsaved: list
) -> Context:
    """A plan's context. Languages looked up from Slack during the plan go to `unsaved`, stored after the run's
    transaction (a write from another connection would wait for that transaction's lock on SQLite)."""

    def locale_for(user_id: str | None) -> str:
        return deps.users.locale(cfg.team_id, user_id, unsaved=unsaved) if user_id else cfg.locale

    return Context(cfg=cfg, fire=fire, now=now, rules=deps.health_rules, locale_for=locale_for, manual=manual)


@dataclass
class RunResult:
    schedule: str
    team_id: str
    fire: datetime
    queued: int = 0
    skipped: int = 0
    stale: bool = False


def run_due(deps, *, only: str | None = None) -> int:
    """Run every schedule fire that is due and unclaimed, for every team; returns messages queued."""
    now = deps.clock()
    schedules = all_schedules()
    with deps.sessions.begin() as db:
        teams = team_config.teams(db)
        configs = [team_config.load(db, team, defaults(deps)) for team in teams]
    queued = 0
    for cfg in configs:
        for schedule in schedules.values():
            if only and schedule.name != only:
                continue
            try:
                result = run_schedule(deps, schedule, cfg, now)
            except Exception:  # one team's or schedule's failure must not stop the others
                log.exception("schedule %s failed for team %s; retried on the next tick", schedule.name, cfg.team_id)
                continue
            if result is not None:
                queued += result.queued
    if queued:
        deps.outbox.wake()
    return queued


def run_schedule(deps, schedule: Schedule, cfg: team_config.TeamConfig, now: datetime) -> RunResult | None:
    """Run the latest due fire of one schedule for one team, unless it is claimed already or stale.

    No write transaction outlives a short batch (SQLite has one write lock, which a handoff submitted during a
    scan needs too): the plan only reads, and its messages are recorded RECORD_CHUNK at a time, each with its
    outbox rows. The fire is claimed with the last batch, so a run cut off halfway is run again on the next
    tick: the keys recorded before are found taken, the rest are recorded, nothing is sent twice or missed."""
    if not schedule.enabled(cfg):
        return None
    fire = engine.latest_fire(schedule, cfg, now)
    if fire is None:
        return None
    with deps.sessions.begin() as db:
        if engine.existing_keys(db, cfg.team_id, [engine.run_key(schedule.name, fire)]):
            return None
        last = engine.last_run(db, cfg.team_id, schedule.name)
    if last is not None and last < fire:
        missed, more = engine.fires_between(schedule, cfg, last + timedelta(seconds=1), fire)
        if missed:
            log.warning(
                "%s for team %s: %d%s run(s) from %s to %s were missed while no worker ran; they are stale and "
                "skipped, the latest (%s) runs now",
                schedule.name, cfg.team_id, len(missed), " or more" if more else "",
                missed[0].isoformat(), missed[-1].isoformat(), fire.isoformat(),
            )  # fmt: skip
    result = RunResult(schedule.name, cfg.team_id, fire)
    if now - fire > schedule.useful_for(cfg, fire):
        with deps.sessions.begin() as db:
            if engine.claim_run(db, cfg.team_id, schedule.name, fire, now, skipped="stale") is not None:
                log.warning(
                    "%s for team %s due at %s is stale (now %s): skipped", schedule.name, cfg.team_id,
                    fire.isoformat(), now.isoformat(),
                )  # fmt: skip
        result.stale = True
        return result
    unsaved: list = []
    ctx = _context(deps, cfg, fire, now, unsaved=unsaved)
    prepare(deps, schedule, ctx)
    with deps.sessions.begin() as db:  # reads only: SQLite takes its write lock at a transaction's first write
        planned = schedule.plan(db, ctx)
    claimed, result.queued, result.skipped = record(deps, schedule, cfg, planned, fire=fire, now=now, claim=True)
    deps.users.save(unsaved)
    if not claimed:  # another worker finished the same fire meanwhile; the keys kept each message to one of us
        log.info("%s for team %s (%s) was finished by another worker", schedule.name, cfg.team_id, fire.isoformat())
    if result.queued or result.skipped:
        log.info(
            "%s for team %s (%s): %d message(s) queued, %d skipped",
            schedule.name, cfg.team_id, fire.isoformat(), result.queued, result.skipped,
        )  # fmt: skip
    return result


def prepare(deps, schedule: Schedule, ctx: Context) -> int:
    """The schedule's preparatory writes (e.g. new onboarding tasks), one short transaction per batch."""
    written = 0
    while schedule.prepare is not None:
        with deps.sessions.begin() as db:
            n = schedule.prepare(db, ctx, False)
        if not n:
            break
        written += n
    return written


def record(
    deps, schedule: Schedule, cfg: team_config.TeamConfig, planned: list, *, fire: datetime, now: datetime, claim: bool
) -> tuple[bool, int, int]:
    """Record `planned` in short transactions (engine.record_some); with `claim`, the fire's run row goes into
    the last one. Returns (whether this call claimed the fire, queued, skipped)."""
    done = queued = skipped = 0
    claimed = False
    while True:
        with deps.sessions.begin() as db:
            batch = planned[done : done + engine.RECORD_CHUNK]
            taken, q, s = engine.record_some(db, cfg.team_id, schedule.name, batch, fire=fire, now=now)
            done, queued, skipped = done + taken, queued + q, skipped + s
            if done >= len(planned) and claim:
                claimed = engine.claim_run(db, cfg.team_id, schedule.name, fire, now) is not None
        if done >= len(planned):
            return claimed, queued, skipped


# --- the CLI: jobs list / jobs run --------------------------------------------------------------------------


def next_runs(deps, now: datetime) -> list[tuple[str, str, str, datetime | None, str]]:
    """(schedule, team, zone, next fire UTC, description) for every team's schedules."""
    schedules = all_schedules()
    with deps.sessions.begin() as db:
        configs = [team_config.load(db, team, defaults(deps)) for team in team_config.teams(db)]
    rows = []
    for cfg in configs:
        for s in schedules.values():
            nxt = engine.next_fire(s, cfg, now) if s.enabled(cfg) else None
            desc = s.description if s.enabled(cfg) else f"{s.description} (off: see `config`)"
            rows.append((s.name, cfg.team_id, cfg.values["timezone"], nxt, desc))
    return rows


def run_now(
    deps, name: str, team_id: str, *, dry_run: bool, out: TextIO, render: Callable[[Message], str]
) -> tuple[int, int]:
    """Run one schedule for one team now. Dry run: print what would be sent and write nothing.

    Messages already sent (same key) are not sent again, so running the renewal scan twice reminds once;
    a manual digest is its own occurrence (keyed by the time it was asked for)."""
    schedule = all_schedules()[name]
    now = deps.clock()
    with deps.sessions.begin() as db:
        cfg = team_config.load(db, team_id, defaults(deps))
    unsaved: list = []
    if dry_run:  # reads only; nothing is written
        with deps.sessions.begin() as db:
            ctx = _context(deps, cfg, now, now, manual=True, unsaved=unsaved)
            pending = schedule.prepare(db, ctx, True) if schedule.prepare else 0
            planned = schedule.plan(db, ctx)
            new = {p.key for p in planned} - engine.existing_keys(db, team_id, [p.key for p in planned])
        if pending:
            print(f"-- would first create {pending} task(s) for newly accepted handoffs; the reminders they lead to "
                  "are not shown here (a dry run writes nothing)", file=out)  # fmt: skip
        messages = [p for p in planned if isinstance(p, Message) and p.key in new]
        skips = [p for p in planned if isinstance(p, Skip) and p.key in new]
        for m in messages:
            print(render(m), file=out)
        for s in skips:
            print(f"-- would skip {s.key}: {s.reason}", file=out)
        return len(messages), len(skips)
    ctx = _context(deps, cfg, now, now, manual=True, unsaved=unsaved)
    prepare(deps, schedule, ctx)
    with deps.sessions.begin() as db:  # reads only
        planned = schedule.plan(db, ctx)
    _claimed, queued, skipped = record(deps, schedule, cfg, planned, fire=now, now=now, claim=False)
    deps.users.save(unsaved)
    deps.outbox.wake()
    return queued, skipped
