"""The onboarding playbook: kickoff, activation and basic training due after a handoff is accepted, and the
reminders to the owner when a milestone is due and while it is overdue.

Each accepted handoff gets one `OnboardingTask` row per milestone (unique per handoff and milestone, so the
daily scan inserting them again is harmless). The owner (the customer's owner CSM, else the handoff's CSM) is
reminded on the due date, the day after, then weekly while the task is open (days 0, 1, 8, 15, ... past due:
occurrence `onboarding:{task}:{day}`); after downtime only the latest of those is sent. Snooze holds the
reminders for 7 days (the next one comes on the first run after); done tasks are never reminded again.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import exists
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from bot.models import ACCEPTED, Customer, Handoff, Occurrence, OnboardingTask
from bot.services import schedules as engine
from bot.services.reminders import DONE, FINAL, SNOOZED, Outcome, day_of, end_of, find
from bot.services.schedules import Context, Skip
from bot.services.team_config import TeamConfig
from bot.viewdata.digest import OverdueTask
from bot.viewdata.reminders import OnboardingState, TaskView

NAME = "onboarding"
KIND = "onboarding"  # occurrence kinds are onboarding.kickoff, onboarding.activation, onboarding.training
MILESTONES = ("kickoff", "activation", "training")
SETTING = {"kickoff": "onboarding.kickoff_days", "activation": "onboarding.activation_days",
           "training": "onboarding.training_days"}  # fmt: skip
# Handoffs accepted longer ago than this get no playbook when Baton first sees them (no flood of ancient
# "overdue" kickoffs on the first run); tasks already created are reminded until done.
WINDOW_DAYS = 90
CHURNED = "churned"
CHUNK = 500
PREPARE_HANDOFFS = 200  # handoffs (3 tasks each) whose playbook one short write transaction creates


def overdue_tasks(db: Session, team_id: str, today: date) -> list[OverdueTask]:
    """Open onboarding tasks past their due date, worst (longest overdue) first."""
    stmt = (
        select(OnboardingTask, Customer.name, Customer.owner_user_id, Handoff.csm_user_id)
        .join(Customer, col(Customer.id) == OnboardingTask.customer_id)
        .join(Handoff, col(Handoff.id) == OnboardingTask.handoff_id)
        .where(
            OnboardingTask.team_id == team_id,
            col(OnboardingTask.done_at).is_(None),
            col(OnboardingTask.due_date) < today,
            Customer.stage != CHURNED,
        )
        .order_by(col(OnboardingTask.due_date), col(Customer.name), col(OnboardingTask.id))
    )
    return [
        OverdueTask(
            customer_id=task.customer_id,
            customer_name=name,
            milestone=task.milestone,
            due_date=task.due_date,
            owner_user_id=owner or csm,
            days_overdue=(today - task.due_date).days,
        )
        for task, name, owner, csm in db.exec(stmt)
    ]


# --- the playbook's tasks -------------------------------------------------------------------------------------


def ensure_tasks(db: Session, cfg: TeamConfig, now: datetime, *, limit: int | None = None) -> int:
    """Create the milestones of handoffs accepted in the last WINDOW_DAYS that have none yet, up to `limit`
    handoffs (one query to find them, then bulk inserts; the unique constraint makes a concurrent insert
    harmless). Returns rows created."""
    rows = _missing_tasks(db, cfg, now, limit)
    insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    for i in range(0, len(rows), CHUNK):
        stmt = insert(OnboardingTask).values(rows[i : i + CHUNK])
        db.exec(stmt.on_conflict_do_nothing(index_elements=["team_id", "handoff_id", "milestone"]))  # type: ignore[call-overload]
    return len(rows)


def _missing_tasks(db: Session, cfg: TeamConfig, now: datetime, limit: int | None) -> list[dict]:
    h, task = Handoff.__table__, OnboardingTask.__table__
    has_tasks = exists().where(task.c.team_id == cfg.team_id, task.c.handoff_id == h.c.id)
    stmt = sa_select(h.c.id, h.c.customer_id, h.c.accepted_at).where(
        h.c.team_id == cfg.team_id,
        h.c.status == ACCEPTED,
        h.c.customer_id.is_not(None),
        h.c.accepted_at >= now - timedelta(days=WINDOW_DAYS),
        ~has_tasks,
    )
    if limit is not None:
        stmt = stmt.order_by(h.c.id).limit(limit)
    rows = []
    for handoff_id, customer_id, accepted_at in db.connection().execute(stmt):
        accepted = cfg.local(_aware(accepted_at)).date()
        for milestone in MILESTONES:
            rows.append(
                {
                    "team_id": cfg.team_id,
                    "customer_id": customer_id,
                    "handoff_id": handoff_id,
                    "milestone": milestone,
                    "due_date": accepted + timedelta(days=cfg.int(SETTING[milestone])),
                    "created_at": now,
                }
            )
    return rows


def prepare(db: Session, ctx: Context, dry_run: bool) -> int:
    """The scan's writes before its plan: the playbook of up to PREPARE_HANDOFFS newly accepted handoffs per
    call (one short transaction each; the job calls again until none is left). A dry run counts them."""
    if dry_run:
        return len(_missing_tasks(db, ctx.cfg, ctx.now, None))
    return ensure_tasks(db, ctx.cfg, ctx.now, limit=PREPARE_HANDOFFS)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def reminder_day(days_overdue: int) -> int | None:
    """The reminder a task this many days past due is on: 0 (due today), 1, then 8, 15, 22 ... (weekly)."""
    if days_overdue < 0:
        return None
    if days_overdue <= 1:
        return days_overdue
    return 1 + 7 * ((days_overdue - 1) // 7)


def task_key(task_id: int, day: int) -> str:
    return f"{KIND}:{task_id}:{day}"


def _due(db: Session, team_id: str, today: date):
    """Open tasks due by today of customers not churned, with owner and handoff facts (one query)."""
    stmt = (
        select(
            OnboardingTask,
            Customer.name,
            Customer.owner_user_id,
            Handoff.csm_user_id,
            Handoff.accepted_at,
            Handoff.success_criteria,
        )
        .join(Customer, col(Customer.id) == OnboardingTask.customer_id)
        .join(Handoff, col(Handoff.id) == OnboardingTask.handoff_id)
        .where(
            OnboardingTask.team_id == team_id,
            col(OnboardingTask.done_at).is_(None),
            col(OnboardingTask.due_date) <= today,
            Customer.stage != CHURNED,
        )
        .order_by(col(OnboardingTask.due_date), col(OnboardingTask.id))
    )
    return list(db.exec(stmt))


def _siblings(db: Session, team_id: str, handoff_ids: list[int]) -> dict[int, list[TaskView]]:
    out: dict[int, list[TaskView]] = {}
    for i in range(0, len(handoff_ids), CHUNK):
        stmt = select(OnboardingTask).where(
            OnboardingTask.team_id == team_id, col(OnboardingTask.handoff_id).in_(handoff_ids[i : i + CHUNK])
        )
        for t in db.exec(stmt):
            out.setdefault(t.handoff_id, []).append(TaskView(t.milestone, t.due_date, t.done_at is not None))
    order = {m: i for i, m in enumerate(MILESTONES)}
    for views in out.values():
        views.sort(key=lambda v: (v.due_date, order.get(v.milestone, 99)))
    return out


def _held(db: Session, cfg: TeamConfig, task_ids: list[int], day: date) -> set[int]:
    """Tasks with a reminder snoozed past `day`: no reminder until the snooze ends."""
    tomorrow = end_of(cfg, day)
    held: set[int] = set()
    for i in range(0, len(task_ids), CHUNK):
        subjects = [f"task:{t}" for t in task_ids[i : i + CHUNK]]
        stmt = sa_select(Occurrence.subject).where(
            Occurrence.team_id == cfg.team_id,
            Occurrence.schedule == NAME,
            col(Occurrence.subject).in_(subjects),
            Occurrence.status == SNOOZED,
            col(Occurrence.snoozed_until) >= tomorrow,
        )
        held.update(int(s.split(":")[1]) for s in db.exec(stmt).scalars())  # type: ignore[call-overload]
    return held


@dataclass(frozen=True)
class Due:
    """An onboarding reminder the scan sends: to whom, under which key, showing what (the job draws it)."""

    key: str
    kind: str
    user: str
    state: OnboardingState
    subject: str
    step: int
    due_at: datetime


def due_reminders(db: Session, ctx: Context) -> list[Due | Skip]:
    """Each open task's reminder on its reminder days, or why it is skipped (the tasks of newly accepted
    handoffs are made by `prepare` just before the plan)."""
    cfg, today, team = ctx.cfg, day_of(ctx), ctx.team_id
    due = _due(db, team, today)
    wanted = {}
    for task, name, owner, csm, accepted_at, criteria in due:
        day = reminder_day((today - task.due_date).days)
        if day is not None:
            wanted[task_key(task.id, day)] = (task, name, owner or csm, accepted_at, criteria, day)
    existing = engine.existing_keys(db, team, list(wanted))
    todo = {k: v for k, v in wanted.items() if k not in existing}
    held = _held(db, cfg, [v[0].id for v in todo.values()], today)
    siblings = _siblings(db, team, sorted({v[0].handoff_id for v in todo.values()}))
    mutes = engine.Mutes(db, team, ctx.now)
    at = cfg.at(today, "reminders.time")
    out: list[Due | Skip] = []
    for key, (task, name, owner, accepted_at, criteria, day) in todo.items():
        if task.id in held:
            continue  # snoozed: sent on the first run after the snooze ends
        kind = f"{KIND}.{task.milestone}"
        common = {"customer_id": task.customer_id, "subject": f"task:{task.id}", "step": day, "due_at": at}
        if not owner:
            out.append(Skip(key, kind, "no owner: neither the customer's owner nor the handoff's CSM is set", **common))
            continue
        if mutes.muted(owner, task.customer_id, kind):
            out.append(Skip(key, kind, f"muted by {owner}", **common))
            continue
        state = OnboardingState(
            task_id=task.id,  # type: ignore[arg-type]
            customer_id=task.customer_id,
            customer_name=name,
            milestone=task.milestone,
            due_date=task.due_date,
            days_overdue=(today - task.due_date).days,
            accepted_on=cfg.local(_aware(accepted_at)).date() if accepted_at else None,
            success_criteria=criteria,
            milestones=tuple(siblings.get(task.handoff_id, ())),
        )
        out.append(Due(key, kind, owner, state, subject=f"task:{task.id}", step=day, due_at=at))
    return out


# --- Mark done ------------------------------------------------------------------------------------------------


def mark_done(db: Session, team_id: str, key: str, user: str, *, now: datetime) -> Outcome:
    """The owner marks the milestone done from a reminder: the task (and this reminder) are done, for good."""
    row = find(db, team_id, key)
    if row is None:
        return Outcome("gone")
    task = db.get(OnboardingTask, engine.data_of(row).get("task") or 0)
    if task is None or task.team_id != team_id:
        return Outcome("gone", row=row)
    customer = db.get(Customer, task.customer_id)
    handoff = db.get(Handoff, task.handoff_id)
    owners = {row.recipient, customer.owner_user_id if customer else None, handoff.csm_user_id if handoff else None}
    if user not in owners:
        return Outcome("not_yours", row=row)
    name = customer.name if customer else None
    if task.done_at is not None:
        if row.status not in FINAL:
            row.status, row.snoozed_until = DONE, None
            db.add(row)
        return Outcome("already", row=row, customer=name, by=task.done_by)
    task.done_at, task.done_by = now, user
    row.status, row.acted_by, row.acted_at, row.snoozed_until = DONE, user, now, None
    db.add(task)
    db.add(row)
    return Outcome("ok", row=row, customer=name)
