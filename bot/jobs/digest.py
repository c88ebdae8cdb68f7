"""The weekly digest's schedule: when it fires, and the message it plans for each digest channel.

The service (bot/services/digest.py) builds the plain Digest; this job draws it with the Block Kit
builder at plan time (the drawn parts are stored with the occurrence) and hands it to the engine.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.blocks.digest import digest_parts
from bot.services import digest
from bot.services.schedules import Context, Message, Planned, Schedule, cron_fires, existing_keys, next_fire
from bot.services.team_config import TeamConfig


def _fires(cfg: TeamConfig, start: datetime, end: datetime) -> list[datetime]:
    return cron_fires(cfg.raw("digest.schedule"), cfg, start, end)


def _useful_for(cfg: TeamConfig, fire: datetime) -> timedelta:
    """Until the next digest: a digest missed while no worker ran still goes out during its week."""
    later = next_fire(SCHEDULE, cfg, fire)
    return later - fire if later else timedelta(days=digest.WEEK)


def plan(db: Session, ctx: Context) -> list[Planned]:
    """One message per digest channel (first part + thread replies), skipping channels already sent."""
    channels = ctx.cfg.channels("digest.channels")
    keys = {ch: digest.key_for(ctx, ch) for ch in channels}
    done = existing_keys(db, ctx.team_id, list(keys.values()))
    todo = [ch for ch in channels if keys[ch] not in done]
    if not todo:
        return []
    day = ctx.today if ctx.manual else ctx.cfg.local(ctx.fire).date()
    found = dataclasses.replace(digest.build(db, ctx.team_id, day, ctx.rules), fx=ctx.cfg.fx())
    parts = digest_parts(found, ctx.cfg.locale)
    return [
        Message(key=keys[ch], kind=digest.KIND, parts=parts, channel=ch, subject=found.week, due_at=ctx.fire)
        for ch in todo
    ]


SCHEDULE = Schedule(
    name=digest.NAME,
    description="weekly at-risk digest to each digest channel",
    fires=_fires,
    useful_for=_useful_for,
    plan=plan,
    lookback=timedelta(days=32),  # a monthly digest missed during a long outage is still found
    enabled=lambda cfg: bool(cfg.channels("digest.channels")),
)
