"""Renewal outcomes: what happened at a customer's renewal, recorded once per customer and renewal date.

Whoever records it (the owner's answer to the ladder's question in Slack, a file, the API), `record_outcome`
does the same: one `RenewalOutcome` row (the unique (team, customer, renewal date) makes a second answer
"already recorded, by whom"), the ARR change through the ledger on the renewal date (renewed: none;
expanded or contracted: `ledger.set_arr` to the new ARR; churned: `ledger.set_stage` to churned, which churns
the ARR), and, unless churned, the customer's renewal date moved on by its term (the latest submitted
handoff's `term_months`, else 12 months) when it still is the date answered.

An outcome older than one already recorded for the customer (history imported after the fact) is stored and
moves nothing: the ledger and the renewal date follow the latest renewal only.

The question the ladder asks after the renewal date (`due_asks`) lives here too: once per customer and renewal
date on the first scan after the date, then every ASK_EVERY_DAYS until answered, each ask an occurrence keyed
`renewal:{customer}:{date}:outcome:{n}`. No Slack here.
"""

import calendar
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from bot.models import Customer, Handoff, Occurrence, RenewalOutcome
from bot.models.handoff import DRAFT
from bot.services import ledger
from bot.services import schedules as engine
from bot.services.reminders import day_of, find
from bot.services.schedules import Context, Skip

OUTCOMES = ("renewed", "expanded", "contracted", "churned")
ANSWERS = ("renewed", "churned", "changed")  # the ask's buttons: Changed ARR becomes expanded or contracted
KIND_ASK = "renewal.outcome"
ANSWERED = "done"  # the ask's occurrence once answered (FINAL for the reminder services)
ASK_EVERY_DAYS = 7
DEFAULT_TERM_MONTHS = 12
REASON_MAX = 2000
CHURNED = ledger.CHURNED
CHUNK = 500


@dataclass(frozen=True)
class OutcomeResult:
    """What recording did: ok, already (recorded before: `outcome`, `by`, `at` say what and who), gone (no such
    customer), not_yours (Slack: not the owner, the AE or the ask's recipient)."""

    status: str
    customer_id: int | None = None
    customer: str | None = None
    renewal_date: date | None = None
    outcome: str | None = None
    arr_before: Decimal | None = None
    arr_after: Decimal | None = None
    currency: str | None = None
    by: str | None = None
    at: datetime | None = None
    next_renewal: date | None = None
    moved: tuple[str, ...] = ()
    history_only: bool = False
    recipient: str | None = None


def add_months(day: date, months: int) -> date:
    """`day` plus `months` calendar months (the 31st becomes the month's last day)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def term_months(db: Session, customer: Customer) -> int:
    """The contract term of the customer's latest submitted handoff that says one, else 12 months."""
    term = db.exec(
        select(Handoff.term_months)
        .where(
            Handoff.team_id == customer.team_id,
            Handoff.customer_id == customer.id,
            Handoff.status != DRAFT,
            col(Handoff.term_months).is_not(None),
        )
        .order_by(col(Handoff.submitted_at).desc(), col(Handoff.id).desc())
        .limit(1)
    ).first()
    return term if term and term > 0 else DEFAULT_TERM_MONTHS


def find_outcome(db: Session, team_id: str, customer_id: int, renewal_date: date) -> RenewalOutcome | None:
    return db.exec(
        select(RenewalOutcome).where(
            RenewalOutcome.team_id == team_id,
            RenewalOutcome.customer_id == customer_id,
            RenewalOutcome.renewal_date == renewal_date,
        )
    ).first()


def already(row: RenewalOutcome, customer: Customer) -> OutcomeResult:
    """An outcome recorded before, as a result (its next renewal: the customer's date, if it moved past it)."""
    later = customer.renewal_date if customer.renewal_date and customer.renewal_date > row.renewal_date else None
    return OutcomeResult(
        "already",
        customer_id=row.customer_id,
        customer=customer.name,
        renewal_date=row.renewal_date,
        outcome=row.outcome,
        arr_before=row.arr_before,
        arr_after=row.arr_after,
        currency=row.currency,
        by=row.recorded_by,
        at=row.recorded_at,
        next_renewal=later if row.outcome != CHURNED else None,
    )


def outcome_of(answer: str, before: Decimal | None, after: Decimal | None) -> str:
    """The outcome an answer records: Changed ARR is expanded above the ARR before, contracted below it, and
    renewed when equal."""
    if answer != "changed":
        return answer
    have = before or Decimal(0)
    if after is None or after == have:
        return "renewed"
    return "expanded" if after > have else "contracted"


def record_outcome(
    db: Session,
    customer: Customer,
    renewal_date: date,
    outcome: str,
    *,
    arr_after: Decimal | None = None,
    currency: str | None = None,
    arr_before: Decimal | None = None,
    reason: str | None = None,
    source: str,
    by: str | None,
    now: datetime,
) -> OutcomeResult:
    """Record what happened at `customer`'s renewal on `renewal_date` (outcome one of OUTCOMES, or the answer
    "changed" with `arr_after`), once, in the caller's transaction; see the module docstring for its effects.
    `arr_after` is required for expanded and contracted, taken as the ARR before for renewed and 0 for churned.
    `arr_before` defaults to the ledger's balance."""
    team_id = customer.team_id
    existing = find_outcome(db, team_id, customer.id, renewal_date)  # type: ignore[arg-type]
    if existing is not None:
        return already(existing, customer)
    balance = ledger.ensure_opened(db, customer, now)
    if arr_before is None:
        arr_before = balance.amount if balance is not None else customer.arr
    held = balance.currency if balance and balance.amount > 0 else None
    cur = (currency or held or customer.currency or "").upper()
    outcome = outcome_of(outcome, arr_before, arr_after)
    if outcome == "renewed":
        arr_after = arr_before if arr_after is None else arr_after
    elif outcome == "churned":
        arr_after = Decimal(0)
    elif arr_after is None:
        raise ValueError(f"an outcome of {outcome} needs the ARR after the renewal")
    later = db.exec(
        select(RenewalOutcome.id).where(
            RenewalOutcome.team_id == team_id,
            RenewalOutcome.customer_id == customer.id,
            col(RenewalOutcome.renewal_date) > renewal_date,
        )
    ).first()
    values = {
        "team_id": team_id,
        "customer_id": customer.id,
        "renewal_date": renewal_date,
        "outcome": outcome,
        "arr_before": arr_before,
        "arr_after": arr_after,
        "currency": cur or None,
        "reason": reason or None,
        "source": source,
        "recorded_by": by[:64] if by else None,
        "recorded_at": now,
    }
    insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    table = RenewalOutcome.__table__
    stmt = (
        insert(table).values(**values).on_conflict_do_nothing(index_elements=["team_id", "customer_id", "renewal_date"])
    )
    if db.connection().execute(stmt.returning(table.c.id)).first() is None:  # answered at the same moment
        return already(find_outcome(db, team_id, customer.id, renewal_date), customer)  # type: ignore[arg-type]
    moved: list[str] = []
    next_renewal = None
    if later is None:
        ref = f"outcome:{customer.id}:{renewal_date.isoformat()}"
        ledger_source = "renewal" if source == "slack" else source
        if outcome == CHURNED:
            moved = ledger.set_stage(
                db, customer, CHURNED, renewal_date, source=ledger_source, ref=ref, by=by, now=now, note=reason
            )
        elif outcome != "renewed" or (arr_after is not None and arr_after != arr_before):
            moved = ledger.set_arr(
                db, customer, arr_after, cur or None, renewal_date,
                source=ledger_source, ref=ref, by=by, now=now, note=reason,
            )  # fmt: skip
        if outcome != CHURNED and customer.renewal_date == renewal_date:
            next_renewal = add_months(renewal_date, term_months(db, customer))
            customer.renewal_date = next_renewal
        customer.updated_at = now
        db.add(customer)
    db.flush()
    return OutcomeResult(
        "ok",
        customer_id=customer.id,
        customer=customer.name,
        renewal_date=renewal_date,
        outcome=outcome,
        arr_before=arr_before,
        arr_after=arr_after,
        currency=cur or None,
        by=by,
        at=now,
        next_renewal=next_renewal,
        moved=tuple(moved),
        history_only=later is not None,
    )


# --- the ladder's question after the renewal date ----------------------------------------------------------


def ask_key(customer_id: int, renewal_date: date, n: int) -> str:
    return f"renewal:{customer_id}:{renewal_date.isoformat()}:outcome:{n}"


@dataclass(frozen=True)
class Ask:
    """A question the scan sends: what happened at `renewal_date`, the `n`th time (0 the first)."""

    key: str
    customer_id: int
    name: str
    renewal_date: date
    user: str
    n: int
    due_at: datetime
    arr: Decimal | None
    currency: str | None


def _ladder_dates(db: Session, team_id: str, ids: Sequence[int]) -> dict[int, list[date]]:
    """The renewal dates each customer's ladder recorded a CSM step for (sent or skipped)."""
    out: dict[int, list[date]] = {}
    for i in range(0, len(ids), CHUNK):
        stmt = sa_select(Occurrence.customer_id, Occurrence.subject).where(
            Occurrence.team_id == team_id,
            Occurrence.kind == "renewal",
            col(Occurrence.customer_id).in_(ids[i : i + CHUNK]),
            col(Occurrence.step).is_not(None),
        )
        for cid, subject in db.exec(stmt):  # type: ignore[call-overload]
            try:
                out.setdefault(cid, []).append(date.fromisoformat(subject))
            except (TypeError, ValueError):
                continue
    return out


def due_asks(db: Session, ctx: Context, same_cycle_days: int) -> list[Ask | Skip]:
    """The outcome questions due today: for each customer (not churned) whose renewal date has passed without an
    outcome, and whose renewal the ladder reminded (any CSM step recorded for a date within `same_cycle_days`:
    renewals that passed before Baton was installed are not asked about), one ask on the first scan after the
    date and another every ASK_EVERY_DAYS, each once."""
    today, team = day_of(ctx), ctx.team_id
    c = Customer.__table__
    rows = list(
        db.connection().execute(
            sa_select(c.c.id, c.c.name, c.c.renewal_date, c.c.owner_user_id, c.c.arr, c.c.currency).where(
                c.c.team_id == team, c.c.renewal_date < today, c.c.stage != CHURNED
            )
        )
    )
    if not rows:
        return []
    ids = sorted(r[0] for r in rows)
    ladder = _ladder_dates(db, team, ids)
    answered: set[tuple[int, date]] = set()
    ro = RenewalOutcome.__table__
    for i in range(0, len(ids), CHUNK):
        stmt = sa_select(ro.c.customer_id, ro.c.renewal_date).where(
            ro.c.team_id == team, ro.c.customer_id.in_(ids[i : i + CHUNK])
        )
        answered.update((cid, d) for cid, d in db.connection().execute(stmt))
    at = ctx.cfg.at(today, "reminders.time")
    wanted: dict[str, tuple] = {}
    for cid, name, renewal, owner, arr, currency in rows:
        if (cid, renewal) in answered:
            continue
        if not any(abs((d - renewal).days) <= same_cycle_days for d in ladder.get(cid, ())):
            continue
        n = ((today - renewal).days - 1) // ASK_EVERY_DAYS
        wanted[ask_key(cid, renewal, n)] = (cid, name, renewal, owner, arr, currency, n)
    existing = engine.existing_keys(db, team, list(wanted))
    mutes = engine.Mutes(db, team, ctx.now)
    out: list[Ask | Skip] = []
    for key, (cid, name, renewal, owner, arr, currency, n) in wanted.items():
        if key in existing:
            continue
        common = {"customer_id": cid, "subject": renewal.isoformat(), "step": None, "due_at": at}
        if not owner:
            out.append(Skip(key, KIND_ASK, "no owner CSM on record for the customer (set its owner)", **common))
        elif mutes.muted(owner, cid, KIND_ASK):
            out.append(Skip(key, KIND_ASK, f"muted by {owner}", **common))
        else:
            out.append(Ask(key, cid, name, renewal, owner, n, at, arr, currency))
    return out


def answer_ask(
    db: Session,
    team_id: str,
    key: str,
    user: str,
    answer: str,
    *,
    arr_after: Decimal | None = None,
    currency: str | None = None,
    reason: str | None = None,
    now: datetime,
) -> OutcomeResult:
    """The owner (or the AE, or whoever the ask went to) answers the ladder's question `key`: the outcome is
    recorded (once per customer and renewal date, whichever ask is answered) and the ask marked answered."""
    row = find(db, team_id, key)
    if row is None or row.kind != KIND_ASK or row.customer_id is None or not row.subject:
        return OutcomeResult("gone")
    customer = db.get(Customer, row.customer_id)
    if customer is None or customer.team_id != team_id:
        return OutcomeResult("gone")
    if user not in (row.recipient, customer.owner_user_id, customer.ae_user_id):
        return OutcomeResult("not_yours", customer=customer.name, recipient=row.recipient)
    renewal_date = date.fromisoformat(row.subject)
    result = record_outcome(
        db, customer, renewal_date, answer,
        arr_after=arr_after, currency=currency, reason=reason, source="slack", by=user, now=now,
    )  # fmt: skip
    if result.status == "ok":
        row.status, row.acted_by, row.acted_at = ANSWERED, user, now
        row.data = json.dumps({**engine.data_of(row), "outcome": result.outcome})
        db.add(row)
    return result


def ask_state(db: Session, team_id: str, key: str) -> tuple[Occurrence, Customer] | None:
    """The ask `key` and its customer (for the Changed ARR and Churned modals), or None when gone."""
    row = find(db, team_id, key)
    if row is None or row.kind != KIND_ASK or row.customer_id is None:
        return None
    customer = db.get(Customer, row.customer_id)
    if customer is None or customer.team_id != team_id:
        return None
    return row, customer


def may_answer(row: Occurrence, customer: Customer, user: str) -> bool:
    return user in (row.recipient, customer.owner_user_id, customer.ae_user_id)
