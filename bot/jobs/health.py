"""Keeping every customer's health state current: refreshes an import queued but did not finish (it was
stopped after its merge), daily scores carried forward to today (a peak leaves the
90-day window with time, so a score can change without new data), and states that cannot move forward
(none yet after an upgrade, incomplete daily scores, other health settings) rebuilt from the raw snapshots.

Each chunk is its own short write transaction (SQLite has one write lock): reads and scoring for CARRY or
REBUILD customers, then a few bulk statements."""

import logging
from collections.abc import Callable
from datetime import date

from sqlalchemy import select as sa_select

from bot.models import Customer
from bot.services import health_state

log = logging.getLogger(__name__)

CARRY = 500  # customers carried forward per transaction (no raw history read)
REBUILD = 50  # customers replayed from their raw history per transaction


def teams(deps) -> list[str]:
    with deps.sessions.begin() as db:
        return list(db.connection().execute(sa_select(Customer.__table__.c.team_id).distinct()).scalars())


def roll(deps) -> int:
    """The job: every team's daily scores through today, and what must be rebuilt rebuilt. Returns rows written."""
    today = deps.clock().date()
    written = 0
    with deps.sessions.begin() as db:
        queued = health_state.queued_teams(db)
    for team_id in queued:  # an import that stopped after its merge: its customers' refresh is finished here
        while True:
            with deps.sessions.begin() as db:
                if not health_state.refresh_queued(db, team_id, today, deps.health_rules, now=deps.clock()):
                    break
                written += 1
    for team_id in teams(deps):
        written += rebuild_team(deps, team_id, today, only_needed=True)
        written += carry_team(deps, team_id, today)
    return written


def carry_team(deps, team_id: str, today: date) -> int:
    written = 0
    while True:
        with deps.sessions.begin() as db:
            ids = health_state.behind(db, team_id, today, limit=CARRY)
            if not ids:
                return written
            written += health_state.carry_forward(db, team_id, ids, today, deps.health_rules, now=deps.clock())


def rebuild_team(
    deps, team_id: str, today: date, *, only_needed: bool, progress: Callable[[int, int], None] | None = None
) -> int:
    """Rebuild a team's customers (only those whose state cannot move forward, or all), REBUILD per transaction."""
    with deps.sessions.begin() as db:
        if only_needed:
            ids = health_state.customers_to_rebuild(db, team_id, deps.health_rules)
        else:
            ids = sorted(health_state.customers_with_snapshots(db, team_id))
    written = 0
    for done, chunk in enumerate(health_state.chunked(ids, REBUILD)):
        with deps.sessions.begin() as db:
            written += health_state.rebuild(db, team_id, chunk, today, deps.health_rules, now=deps.clock())
        if progress is not None:
            progress(min((done + 1) * REBUILD, len(ids)), len(ids))
    if ids:
        log.info("health state: rebuilt %d customers of %s (%d daily scores)", len(ids), team_id, written)
    return written
