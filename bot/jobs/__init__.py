"""Recurring jobs, registered in one place with stable ids; each is `fn(deps) -> int` (work done).

The worker also runs the outbox and inbox in their own threads (so a paced digest never holds up the
scheduler). Jobs marked `leader_only` run only in the worker that holds the scheduler lock (bot/jobs/leader.py).
"""

from collections.abc import Callable
from dataclasses import dataclass

from apscheduler.schedulers.base import BaseScheduler

from bot.deps import Deps
from bot.jobs import crm_reconcile, health, maintenance, schedules


@dataclass(frozen=True)
class Job:
    fn: Callable[[Deps], int]
    seconds: int
    description: str
    leader_only: bool = True


JOBS: dict[str, Job] = {
    "run_schedules": Job(
        schedules.run_due, 60, "every team's schedules (digest, renewals, onboarding, meeting, kpi, nudges) when due"
    ),
    "roll_health_state": Job(
        health.roll, 900, "every customer's daily health score carried to today; states that need it rebuilt"
    ),
    "crm_reconcile": Job(
        crm_reconcile.run_daily, 3600, "once a day: deals won in each CRM that have no handoff yet, queued once"
    ),
    "prune_delivery_records": Job(maintenance.prune, 3600, "forget old event ids, webhooks, sent outbox rows, drafts"),
}


class _Always:
    def is_leader(self) -> bool:
        return True


def guarded(job: Job, deps: Deps, leader) -> Callable[[], int]:
    """The job as the scheduler calls it: skipped (0) in a standby worker."""

    def run() -> int:
        if job.leader_only and not leader.is_leader():
            return 0
        return job.fn(deps)

    return run


def register_jobs(scheduler: BaseScheduler, deps: Deps, leader=None) -> None:
    """Add every job; an hour of misfire grace and coalescing so a restart never silently skips one (the
    schedules catch up on their own fires as well: see bot/jobs/schedules.py)."""
    for job_id, job in JOBS.items():
        scheduler.add_job(
            guarded(job, deps, leader or _Always()),
            "interval",
            seconds=job.seconds,
            id=job_id,
            name=job.description,
            replace_existing=True,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=3600,
        )
