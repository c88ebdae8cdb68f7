"""What a reminder's buttons do to its occurrence: acknowledge, snooze (it comes back later), and the mutes a
person sets from the message (this customer's reminders for good, or one kind of reminder for 7 days).

Only the person a reminder was sent to acts on it (a reminder posted in a channel is anyone's there); a second
click finds the action done and changes nothing. Hand to AE lives in `renewals`, Mark done in `onboarding`.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlmodel import Session, col, select

from bot.models import Occurrence
from bot.services import schedules as engine
from bot.services.team_config import TeamConfig

ACKNOWLEDGED, HANDED, SNOOZED, DONE = "acknowledged", "handed", "snoozed", "done"
FINAL = (ACKNOWLEDGED, HANDED, DONE)  # an occurrence in one of these is settled: no more actions
SNOOZE_DAYS = 7
PAUSE_DAYS = 7
SNOOZE_LOOKBACK = timedelta(days=400)  # how old a snoozed reminder may be and still come back


@dataclass
class Outcome:
    """What an action did: ok, already (done before, by `row.acted_by`), not_yours, gone, no_ae."""

    status: str
    row: Occurrence | None = None
    customer: str | None = None
    other: str | None = None  # Hand to AE: the AE
    by: str | None = None  # already: who did it (when not the occurrence's acted_by, e.g. a task done elsewhere)


def find(db: Session, team_id: str, key: str) -> Occurrence | None:
    return db.exec(select(Occurrence).where(Occurrence.team_id == team_id, Occurrence.key == key)).first()


def may_act(row: Occurrence, user: str) -> bool:
    """The recipient of a DM, or anyone in the channel of a channel post."""
    recipient = row.recipient or ""
    return recipient[:1] not in ("U", "W") or recipient == user


def snooze_round(row: Occurrence) -> tuple[str, int]:
    """(the key of the first send, how many snoozes brought it back) of a reminder occurrence."""
    data = engine.data_of(row)
    return str(data.get("base") or row.key), int(data.get("snooze") or 0)


def _check(row: Occurrence | None, user: str) -> Outcome | None:
    if row is None:
        return Outcome("gone")
    if not may_act(row, user):
        return Outcome("not_yours", row=row)
    if row.status in FINAL:
        return Outcome("already", row=row)
    return None


def acknowledge(db: Session, team_id: str, key: str, user: str, *, now: datetime) -> Outcome:
    """The recipient has seen it and is on it: recorded with who and when; a snooze on it is dropped."""
    row = find(db, team_id, key)
    refused = _check(row, user)
    if refused:
        return refused
    row.status, row.acted_by, row.acted_at, row.snoozed_until = ACKNOWLEDGED, user, now, None  # type: ignore[union-attr]
    db.add(row)
    return Outcome("ok", row=row)


def snooze(db: Session, team_id: str, key: str, user: str, *, now: datetime, days: int = SNOOZE_DAYS) -> Outcome:
    """Ask again in `days`: the schedule re-sends it on its first run on or after that day."""
    row = find(db, team_id, key)
    refused = _check(row, user)
    if refused:
        return refused
    if row.status == SNOOZED:  # type: ignore[union-attr]
        return Outcome("already", row=row)
    row.status, row.acted_by, row.acted_at = SNOOZED, user, now  # type: ignore[union-attr]
    row.snoozed_until = now + timedelta(days=days)  # type: ignore[union-attr]
    db.add(row)
    return Outcome("ok", row=row)


def day_of(ctx) -> date:
    """The team's day a run is for: its fire's (a run caught up at 08:00 for yesterday's 09:00 fire plans
    yesterday, so nothing goes out before its time)."""
    return ctx.cfg.today(ctx.fire)


def end_of(cfg: TeamConfig, day: date) -> datetime:
    """Midnight after `day` in the team's zone."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=cfg.tz)


def snoozed_due(db: Session, cfg: TeamConfig, schedule: str, day: date, now: datetime) -> list[Occurrence]:
    """The schedule's snoozed occurrences whose snooze ends on or before `day` (the team's day)."""
    tomorrow = end_of(cfg, day)
    return list(
        db.exec(
            select(Occurrence)
            .where(
                Occurrence.team_id == cfg.team_id,
                Occurrence.schedule == schedule,
                col(Occurrence.due_at) >= now - SNOOZE_LOOKBACK,
                Occurrence.status == SNOOZED,
                col(Occurrence.snoozed_until) < tomorrow,
            )
            .order_by(col(Occurrence.id))
        )
    )


# --- mutes from the message's menu ---------------------------------------------------------------------------


def mute_customer(db: Session, team_id: str, user: str, customer_id: int, *, now: datetime) -> None:
    """No more reminders about this customer for `user` (until undone); digests still list it."""
    engine.mute(db, team_id, user, customer_id=customer_id, kind="*", until=None, now=now)


def pause_kind(db: Session, team_id: str, user: str, kind: str, *, now: datetime, days: int = PAUSE_DAYS) -> datetime:
    """No reminders of this kind for `user` for `days`; returns when they resume."""
    until = now + timedelta(days=days)
    engine.mute(db, team_id, user, kind=kind, until=until, now=now)
    return until


def undo_mute(db: Session, team_id: str, user: str, *, customer_id: int | None, kind: str | None) -> bool:
    if customer_id is not None:
        return engine.unmute(db, team_id, user, customer_id=customer_id, kind="*")
    return engine.unmute(db, team_id, user, kind=kind or "*")
