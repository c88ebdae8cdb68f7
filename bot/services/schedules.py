"""The schedule engine: when each team's schedules fire, and recording what they send exactly once.

A schedule (digest, renewals, ...) fires at times computed in the team's zone. The run of a fire plans its
messages (reads only); each message is an occurrence row with its own unique key (the digest for week W to
channel C, the T-90 step for customer X), inserted before anything is sent, with the outbox rows that deliver
it in the same transaction, a few hundred messages per short transaction. The fire itself is a "run"
occurrence row (unique key) written with the last of them, so a finished fire is never run again, and one cut
off halfway is run again and records only what is missing. The outbox stores Slack's ts on the occurrence
once the message has landed.

No Slack here: plans produce data (text + Block Kit dicts); the outbox sends it (bot/renderers/schedules.py).
"""

import json
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import any_, bindparam
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from bot.models import Occurrence, ReminderMute
from bot.models.schedule import QUEUED, SENT, SKIPPED
from bot.services import outbox
from bot.services.health_config import HealthRules
from bot.services.team_config import TeamConfig
from bot.viewdata.parts import Part

log = logging.getLogger("baton.schedules")

RUN = "run"  # kind of the occurrence that claims one fire of a schedule


class ScheduleKind(outbox.OutboxKind):
    """The outbox message that sends an occurrence's parts (drawn when planned; bot/renderers/schedules.py)."""

    POST = "scheduled.post"


KEY_CHUNK = 20_000  # keys per existence check (below SQLite's 32,766 bound parameters)
# A run records its plan in short write transactions (SQLite has one write lock, and a handoff submitted
# during a scan must not wait for it): RECORD_CHUNK planned messages or skips per transaction, written with two
# multi-row inserts (occurrences, then their outbox rows): about 20 ms per chunk on SQLite, 30 ms on PostgreSQL.
RECORD_CHUNK = 1000


@dataclass
class Message:
    """A message a schedule wants sent once: `key` is unique per team and names the occurrence."""

    key: str
    kind: str
    parts: list[Part]  # the first is the message; the others follow in its thread, in order
    channel: str | None = None  # a channel id ...
    user: str | None = None  # ... or a user, for a DM
    customer_id: int | None = None
    subject: str | None = None
    step: int | None = None
    due_at: datetime | None = None  # defaults to the fire time
    data: dict | None = None  # what the message's buttons need later

    def __post_init__(self) -> None:
        if not self.parts:
            raise ValueError("a message needs at least one part")
        if bool(self.channel) == bool(self.user):
            raise ValueError("a message goes to a channel or to a user, not both")


@dataclass
class Skip:
    """Something that was due but is not sent (stale, superseded, muted); recorded so it is not reconsidered."""

    key: str
    kind: str
    reason: str
    customer_id: int | None = None
    subject: str | None = None
    step: int | None = None
    due_at: datetime | None = None


Planned = Message | Skip


@dataclass
class Context:
    """What a plan needs: the team's settings, the fire it runs for, the clock, and people's languages."""

    cfg: TeamConfig
    fire: datetime  # UTC: the scheduled time this run is for
    now: datetime  # UTC
    rules: HealthRules = field(default_factory=HealthRules)
    locale_for: Callable[[str | None], str] = lambda _user: "en"
    manual: bool = False  # `jobs run NAME`: run now, whatever the schedule says

    @property
    def team_id(self) -> str:
        return self.cfg.team_id

    @property
    def today(self) -> date:
        return self.cfg.today(self.now)


@dataclass(frozen=True)
class Schedule:
    """A recurring job of each team: when it fires, how long a missed fire stays worth sending, what it sends."""

    name: str
    description: str
    fires: Callable[[TeamConfig, datetime, datetime], list[datetime]]  # fire times in [start, end), UTC
    useful_for: Callable[[TeamConfig, datetime], timedelta]  # after its fire time (for catch-up)
    plan: Callable[[Session, Context], list[Planned]]
    lookback: timedelta = timedelta(days=8)  # how far back a missed fire is looked for
    enabled: Callable[[TeamConfig], bool] = lambda _cfg: True
    # Rows the plan relies on (the onboarding playbook's tasks), written before the plan in short transactions:
    # called with dry_run=False again and again, each call in its own transaction, until it returns 0 (rows
    # written); with dry_run=True it writes nothing and returns how many rows it would write.
    prepare: Callable[[Session, Context, bool], int] | None = None


# --- fire times ------------------------------------------------------------------------------------------


def cron_fires(expr: str, cfg: TeamConfig, start: datetime, end: datetime) -> list[datetime]:
    """Fire times of a crontab expression in the team's zone, in [start, end) (APScheduler handles DST).

    Every fire in the window, however many: callers keep windows short (latest_fire and next_fire search in
    growing windows), so a frequent expression costs its fires near `now`, not a silent cut-off."""
    trigger = CronTrigger.from_crontab(expr, timezone=cfg.tz)
    out: list[datetime] = []
    nxt = trigger.get_next_fire_time(None, start)
    while nxt is not None and nxt < end:
        out.append(nxt.astimezone(start.tzinfo))
        nxt = trigger.get_next_fire_time(nxt, nxt + timedelta(seconds=1))
    return out


def daily_fires(cfg: TeamConfig, clock_key: str, start: datetime, end: datetime) -> list[datetime]:
    """Every day at the time in `clock_key`, in the team's zone."""
    out = []
    day = cfg.local(start).date() - timedelta(days=1)
    last = cfg.local(end).date() + timedelta(days=1)
    while day <= last:
        at = cfg.at(day, clock_key)
        if start <= at < end:
            out.append(at.astimezone(start.tzinfo))
        day += timedelta(days=1)
    return out


def at_reminders_time(cfg: TeamConfig, start: datetime, end: datetime) -> list[datetime]:
    """Fires of the daily reminder scans (renewals, onboarding): every day at `reminders.time`."""
    return daily_fires(cfg, "reminders.time", start, end)


def until_next_day(cfg: TeamConfig, fire: datetime) -> timedelta:
    """A missed daily scan is worth running until the next one (each run catches up what is still ahead)."""
    return timedelta(days=1)


FIRST_WINDOW = timedelta(hours=1)  # latest_fire and next_fire look this far first, then 4 times as far, ...


def latest_fire(schedule: Schedule, cfg: TeamConfig, now: datetime) -> datetime | None:
    """The most recent fire at or before `now` within the lookback.

    Searched backward in adjacent windows growing from FIRST_WINDOW (an hour, then the 3 before it, the 12
    before those, ...) up to the lookback, so the work is the fires of the window that holds the answer: an
    every-minute schedule costs an hour of fires, a weekly one a few days' calendar, whatever the lookback."""
    floor, near, width = now - schedule.lookback, now + timedelta(microseconds=1), FIRST_WINDOW
    while near > floor:
        far = max(floor, now - width)
        fires = schedule.fires(cfg, far, near)
        if fires:
            return fires[-1]
        near, width = far, width * 4
    return None


def next_fire(schedule: Schedule, cfg: TeamConfig, now: datetime, horizon: timedelta = timedelta(days=400)):
    """The first fire after `now` (within `horizon`), searched forward in growing windows like latest_fire."""
    start, width, limit = now + timedelta(microseconds=1), FIRST_WINDOW, now + horizon
    while start < limit:
        end = min(limit, now + width)
        fires = schedule.fires(cfg, start, end)
        if fires:
            return fires[0]
        start, width = end, width * 4
    return None


def fires_between(schedule: Schedule, cfg: TeamConfig, start: datetime, end: datetime, limit: int = 1000):
    """The fires in [start, end), the first `limit` of them at most (a run of the worker missed after a long
    outage is counted, not enumerated without end): (fires, whether there are more)."""
    out: list[datetime] = []
    width = FIRST_WINDOW
    while start < end and len(out) <= limit:
        stop = min(end, start + width)
        out.extend(schedule.fires(cfg, start, stop))
        start, width = stop, width * 4
    return out[:limit], len(out) > limit


def run_key(schedule: str, fire: datetime) -> str:
    return f"{RUN}:{schedule}:{fire.strftime('%Y-%m-%dT%H:%MZ')}"


# --- recording -------------------------------------------------------------------------------------------


def _insert(db: Session):
    return pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert


def claim_run(db: Session, team_id: str, schedule: str, fire: datetime, now: datetime, *, skipped: str | None = None):
    """Claim one fire of a schedule; None when another worker (or an earlier run) already has it."""
    key = run_key(schedule, fire)
    created = _claim_many(
        db,
        [{
            "team_id": team_id,
            "key": key,
            "schedule": schedule,
            "kind": RUN,
            "due_at": fire,
            "status": SKIPPED if skipped else SENT,
            "reason": skipped,
            "created_at": now,
            "sent_at": None if skipped else now,
        }],
    )  # fmt: skip
    return created.get(key)


def last_run(db: Session, team_id: str, schedule: str) -> datetime | None:
    return db.exec(
        select(Occurrence.due_at)
        .where(Occurrence.team_id == team_id, Occurrence.schedule == schedule, Occurrence.kind == RUN)
        .order_by(col(Occurrence.due_at).desc())
        .limit(1)
    ).first()


def record(db: Session, team_id: str, schedule: str, planned: Iterable[Planned], *, fire: datetime, now: datetime):
    """Claim each planned message (and queue its parts) or record each skip; returns (queued, skipped) counts.

    A key that already exists is left alone: that message was sent, or is being sent, by an earlier run."""
    planned = list(planned)
    queued = skipped = 0
    for i in range(0, len(planned), RECORD_CHUNK):
        _, q, s = record_some(db, team_id, schedule, planned[i : i + RECORD_CHUNK], fire=fire, now=now)
        queued, skipped = queued + q, skipped + s
    return queued, skipped


def record_some(
    db: Session,
    team_id: str,
    schedule: str,
    planned: Sequence[Planned],
    *,
    fire: datetime,
    now: datetime,
) -> tuple[int, int, int]:
    """Record the first RECORD_CHUNK of `planned` in one short write transaction: one multi-row insert of
    their occurrences and one of their outbox rows (in bulk: a 100k-customer first scan is a few hundred
    statements, not a million); returns (how many it took, queued, skipped). The caller commits and calls again
    with the rest. A key recorded before (by an earlier run, or earlier in the same batch) is left alone, so a
    run cut off between two transactions and run again records the rest and nothing twice."""
    batch = list(planned[:RECORD_CHUNK])
    rows: dict[str, tuple[dict, Planned]] = {}
    for p in batch:
        key = p.key[:255]
        if key not in rows:  # the first of two equal keys wins, as it would one at a time
            rows[key] = (_values(team_id, schedule, p, fire=fire, now=now), p)
    created = _claim_many(db, [values for values, _ in rows.values()])
    queued = skipped = 0
    sends: list[tuple[str, dict]] = []
    for key, (_, p) in rows.items():
        occurrence_id = created.get(key)
        if occurrence_id is None:
            continue
        if isinstance(p, Skip):
            skipped += 1
            log.info("%s: skipped %s for team %s: %s", schedule, p.key, team_id, p.reason)
            continue
        queued += 1
        sends.extend(
            (f"occ:{occurrence_id}:{index}", {"occurrence": occurrence_id, "part": index})
            for index in range(len(p.parts))
        )
    outbox.enqueue_many(db, team_id, ScheduleKind.POST, sends, now=now)
    return len(batch), queued, skipped


def _values(team_id: str, schedule: str, p: Planned, *, fire: datetime, now: datetime) -> dict:
    """The occurrence row of one planned message or skip (every row has the same columns, for one insert)."""
    values = {
        "team_id": team_id,
        "key": p.key[:255],
        "schedule": schedule,
        "kind": p.kind,
        "customer_id": p.customer_id,
        "subject": p.subject,
        "step": p.step,
        "due_at": p.due_at or fire,
        "created_at": now,
    }
    if isinstance(p, Skip):
        values.update(status=SKIPPED, reason=p.reason, recipient=None, content=None, data=None)
    else:
        values.update(
            status=QUEUED,
            reason=None,
            recipient=p.channel or p.user,
            content=json.dumps({"dm": bool(p.user), "parts": [{"text": x.text, "blocks": x.blocks} for x in p.parts]}),
            data=json.dumps(p.data) if p.data is not None else None,
        )
    return values


def _claim_many(db: Session, rows: list[dict]) -> dict[str, int]:
    """Insert the occurrences whose key is new; {key: id} of those this call created. One executemany, which
    SQLAlchemy sends as multi-row INSERT .. RETURNING statements ("insertmanyvalues": the statement is compiled
    once, not once per row, as a `.values(rows)` statement would be, at ~0.25 ms a row)."""
    if not rows:
        return {}
    stmt = (
        _insert(db)(Occurrence)
        .on_conflict_do_nothing(index_elements=["team_id", "key"])
        .returning(Occurrence.key, Occurrence.id)
    )
    return {row[0]: row[1] for row in db.connection().execute(stmt, rows)}


def existing_keys(db: Session, team_id: str, keys: Sequence[str]) -> set[str]:
    """Which of `keys` already have an occurrence (sent, queued or skipped).

    A daily scan checks tens of thousands of keys: one round trip per KEY_CHUNK of them, and on PostgreSQL one
    array parameter (`= ANY`), about three times faster than thousands of IN parameters and planned well even
    before the table has been analysed."""
    o = Occurrence.__table__
    found: set[str] = set()
    postgres = db.get_bind().dialect.name == "postgresql"
    for i in range(0, len(keys), KEY_CHUNK):
        chunk = list(keys[i : i + KEY_CHUNK])
        match = o.c.key == any_(bindparam("keys", chunk, type_=ARRAY(o.c.key.type))) if postgres else o.c.key.in_(chunk)
        found.update(db.connection().execute(sa_select(o.c.key).where(o.c.team_id == team_id, match)).scalars())
    return found


def get(db: Session, team_id: str, occurrence_id: int) -> Occurrence | None:
    row = db.get(Occurrence, occurrence_id)
    return row if row is not None and row.team_id == team_id else None


def parts_of(row: Occurrence) -> tuple[bool, list[Part]]:
    content = json.loads(row.content or "{}")
    return bool(content.get("dm")), [Part(p["text"], p["blocks"]) for p in content.get("parts", [])]


def data_of(row: Occurrence) -> dict:
    return json.loads(row.data) if row.data else {}


def mark_sent(db: Session, occurrence_id: int, channel: str, ts: str, now: datetime) -> None:
    row = db.get(Occurrence, occurrence_id)
    if row is not None and row.ts is None:
        row.channel, row.ts, row.sent_at = channel, ts, now
        if row.status == QUEUED:
            row.status = SENT
        db.add(row)


# --- mutes -------------------------------------------------------------------------------------------------


def mute(
    db: Session,
    team_id: str,
    user_id: str,
    *,
    customer_id: int = 0,
    kind: str = "*",
    until: datetime | None,
    now: datetime,
) -> None:
    """Mute one customer's reminders (kind "*") or one kind of reminder (customer 0) for `user_id`."""
    row = db.get(ReminderMute, (team_id, user_id, customer_id, kind))
    if row is None:
        row = ReminderMute(team_id=team_id, user_id=user_id, customer_id=customer_id, kind=kind, created_at=now)
    row.until = until
    db.add(row)


def unmute(db: Session, team_id: str, user_id: str, *, customer_id: int = 0, kind: str = "*") -> bool:
    row = db.get(ReminderMute, (team_id, user_id, customer_id, kind))
    if row is None:
        return False
    db.delete(row)
    return True


class Mutes:
    """The team's active mutes, loaded once per run: `muted(user, customer, kind)`."""

    def __init__(self, db: Session, team_id: str, now: datetime):
        self._rows: set[tuple[str, int, str]] = set()
        for r in db.exec(select(ReminderMute).where(ReminderMute.team_id == team_id)):
            if r.until is None or r.until > now:
                self._rows.add((r.user_id, r.customer_id, r.kind))

    def muted(self, user_id: str | None, customer_id: int | None, kind: str) -> bool:
        if not user_id or not self._rows:
            return False
        family = kind.split(".")[0]
        cid = customer_id or 0
        return any(
            (user_id, c, k) in self._rows for c in {cid, 0} for k in {kind, family, "*"} if not (c == 0 and k == "*")
        )
