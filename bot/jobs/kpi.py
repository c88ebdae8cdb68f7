"""The monthly KPI post's schedule: on the 1st of each month at `reminders.time` (team time), last month's KPIs
in the `kpi.channel` channel, once per month and channel.

The service (bot/services/kpi.py) computes the plain KpiReport; this job draws it with the Block Kit builder at
plan time (a post records a moment: its parts are stored with the occurrence) and hands it to the engine. The
occurrence key `kpi:<month>:<channel>` keeps a month to one post whatever reruns, restarts or second workers do;
a post missed while no worker ran goes out when one starts within the week.
"""

from datetime import datetime, timedelta

from sqlmodel import Session

from bot.blocks.handoff import dumps_blocks
from bot.blocks.kpi import kpi_message
from bot.services import kpi
from bot.services.schedules import Context, Message, Part, Planned, Schedule, daily_fires, existing_keys
from bot.services.team_config import TeamConfig


def _fires(cfg: TeamConfig, start: datetime, end: datetime) -> list[datetime]:
    """The 1st of each month at `reminders.time`, in the team's zone."""
    return [f for f in daily_fires(cfg, "reminders.time", start, end) if cfg.local(f).day == 1]


USEFUL_DAYS = 7


def _useful_for(cfg: TeamConfig, fire: datetime) -> timedelta:
    """A week: a post missed during an outage still goes out when a worker starts in the first week of the
    month; a channel set later in the month waits for the next 1st (no stale month posted out of the blue)."""
    return timedelta(days=USEFUL_DAYS)


def key_for(ctx: Context, month: str, channel: str) -> str:
    if ctx.manual:
        return f"kpi:manual:{ctx.now:%Y%m%dT%H%M%S}:{channel}"
    return f"kpi:{month}:{channel}"


def plan(db: Session, ctx: Context) -> list[Planned]:
    """One message in the KPI channel with the month before this fire (a manual run: the month before today)."""
    channel = ctx.cfg.optional("kpi.channel")
    if not channel:
        return []
    day = ctx.today if ctx.manual else ctx.cfg.local(ctx.fire).date()
    month = kpi.last_month(day)
    key = key_for(ctx, month.name, channel)
    if existing_keys(db, ctx.team_id, [key]):
        return []
    found = kpi.report(db, ctx.team_id, month, day, margin=kpi.gross_margin(ctx.cfg))
    blocks, text = kpi_message(found, ctx.cfg.locale)
    parts = [Part(text, dumps_blocks(blocks))]
    return [Message(key=key, kind=kpi.KIND, parts=parts, channel=channel, subject=month.name, due_at=ctx.fire)]


SCHEDULE = Schedule(
    name=kpi.NAME,
    description="monthly KPI post (last month's) to kpi.channel, on the 1st at reminders.time",
    fires=_fires,
    useful_for=_useful_for,
    plan=plan,
    lookback=timedelta(days=40),  # last month's post is found after a long outage
    enabled=lambda cfg: bool(cfg.optional("kpi.channel")),
)
