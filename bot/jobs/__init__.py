"""Recurring jobs, registered in one place with stable ids; each is `fn(deps) -> int` (work done)."""

from collections.abc import Callable

from apscheduler.schedulers.base import BaseScheduler

from bot.deps import Deps
from bot.jobs import maintenance

# id -> (function, seconds between runs)
JOBS: dict[str, tuple[Callable[[Deps], int], int]] = {
    "deliver_outbox": (lambda deps: deps.outbox.run_once(), 15),
    "process_inbox": (lambda deps: deps.inbox.run_once(), 15),
    "prune_delivery_records": (maintenance.prune, 3600),
}


def register_jobs(scheduler: BaseScheduler, deps: Deps) -> None:
    """Add every job; an hour of misfire grace and coalescing so a restart never silently skips one."""
    for job_id, (fn, seconds) in JOBS.items():
        scheduler.add_job(
            fn,
            "interval",
            args=[deps],
            seconds=seconds,
            id=job_id,
            replace_existing=True,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=3600,
        )
