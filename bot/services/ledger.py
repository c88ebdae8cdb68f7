"""The revenue ledger: every change of a customer's ARR is a dated movement, recorded once per (source, ref).

`set_arr` is how the rest of Baton changes a customer's ARR: it compares the wanted ARR with the ledger's
balance and records the one movement that closes the gap (new for a first ARR, reactivation after a churn,
expansion, contraction, churn to zero), then sets `customers.arr` to the balance. A currency change is a
churn of the old currency's ARR and a new (or reactivation) in the new one: a customer has one currency at a
time. `customers.arr` is the balance, except for a churned customer, whose `arr` keeps the ARR it churned with
(what the card shows); KPIs read the ledger alone (bot/services/kpi.py). No Slack here.
"""

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from bot.models import ArrMovement, Customer
from bot.models.revenue import MOVEMENT_KINDS

log = logging.getLogger("baton.ledger")

ADDS = frozenset({"new", "expansion", "reactivation"})
TAKES = frozenset({"contraction", "churn"})
SOURCES = ("opening", "handoff", "crm", "renewal", "csv", "api", "stage", "slack")
MAX_AMOUNT = Decimal("9999999999999999.99")  # NUMERIC(18, 2)
CHUNK = 500


class LedgerError(ValueError):
    """A movement Baton cannot record (unknown kind or source, not positive, too large, a bad currency)."""


@dataclass(frozen=True)
class Balance:
    """A customer's ARR by the ledger: the amount in its currency (None: never had ARR) and whether it has had
    any movement at all (a zero balance after movements is a churned customer)."""

    amount: Decimal
    currency: str | None
    moved: bool
    movements: int = 0  # how many (in every currency, up to the day asked)


def signed(kind: str, amount: Decimal) -> Decimal:
    return amount if kind in ADDS else -amount


def _check(kind: str, amount: Decimal, currency: str, source: str) -> None:
    if kind not in MOVEMENT_KINDS:
        raise LedgerError(f"unknown movement kind {kind!r} (allowed: {', '.join(MOVEMENT_KINDS)})")
    if source not in SOURCES:
        raise LedgerError(f"unknown movement source {source!r}")
    if not (Decimal(0) < amount <= MAX_AMOUNT):
        raise LedgerError(f"a movement's amount must be above 0 and at most {MAX_AMOUNT}, not {amount}")
    if len(currency) != 3 or not currency.isascii() or not currency.isalpha() or not currency.isupper():
        raise LedgerError(f"a currency is three capital letters (ISO 4217), not {currency!r}")


def record(
    db: Session,
    team_id: str,
    customer_id: int,
    kind: str,
    amount: Decimal,
    currency: str,
    on: date,
    *,
    source: str,
    ref: str,
    by: str | None,
    now: datetime,
    note: str | None = None,
) -> bool:
    """Record one movement unless (source, ref) was recorded before; True when recorded now. The caller keeps
    `customers.arr` in step (`set_arr` does)."""
    amount = Decimal(amount).quantize(Decimal("0.01"))
    _check(kind, amount, currency, source)
    values = {
        "team_id": team_id,
        "customer_id": customer_id,
        "kind": kind,
        "amount": amount,
        "currency": currency,
        "effective_on": on,
        "source": source,
        "ref": ref[:128],
        "recorded_by": by[:64] if by else None,
        "note": note,
        "created_at": now,
    }
    insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    table = ArrMovement.__table__
    stmt = insert(table).values(**values).on_conflict_do_nothing(index_elements=["team_id", "source", "ref"])
    stored = db.connection().execute(stmt.returning(table.c.id)).first() is not None  # rowcount: -1 on psycopg
    if stored:
        log.info("arr movement %s %s %s for customer %s (%s)", kind, amount, currency, customer_id, source)
    return stored


def balances(db: Session, team_id: str, customer_ids: Sequence[int], on: date | None = None) -> dict[int, Balance]:
    """Each customer's ledger balance (at the end of `on`, or now) in its latest movement's currency; customers
    without movements are absent."""
    m = ArrMovement.__table__
    ids = sorted(set(customer_ids))
    sums: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    last: dict[int, tuple[date, int, str]] = {}
    counts: dict[int, int] = defaultdict(int)
    for i in range(0, len(ids), CHUNK):
        where = [m.c.team_id == team_id, m.c.customer_id.in_(ids[i : i + CHUNK])]
        if on is not None:
            where.append(m.c.effective_on <= on)
        rows = sa_select(m.c.customer_id, m.c.currency, m.c.kind, m.c.amount, m.c.effective_on, m.c.id).where(*where)
        for cid, currency, kind, value, day, mid in db.connection().execute(rows):  # one read: sums and the latest
            sums[cid][currency] += signed(kind, Decimal(value))
            counts[cid] += 1
            if cid not in last or (day, mid) > last[cid][:2]:
                last[cid] = (day, mid, currency)
    return {
        cid: Balance(sums[cid].get(cur, Decimal(0)), cur, True, counts[cid]) for cid, (_day, _mid, cur) in last.items()
    }


def _moves(balance: Balance | None, amount: Decimal, currency: str | None) -> list[tuple[str, Decimal, str]]:
    """The movements that take `balance` to `amount` in `currency` (amount 0: churn)."""
    have = balance.amount if balance else Decimal(0)
    have_currency = balance.currency if balance else None
    moved = bool(balance and balance.moved)
    out: list[tuple[str, Decimal, str]] = []
    if have > 0 and have_currency and (currency != have_currency or amount <= 0):
        out.append(("churn", have, have_currency))  # to zero, or out of the old currency
        have, moved = Decimal(0), True
    if amount <= 0 or currency is None:
        return out
    if have <= 0:
        out.append(("reactivation" if moved else "new", amount, currency))
    elif amount > have:
        out.append(("expansion", amount - have, currency))
    elif amount < have:
        out.append(("contraction", have - amount, currency))
    return out


def set_arr(
    db: Session,
    customer: Customer,
    amount: Decimal | None,
    currency: str | None,
    on: date,
    *,
    source: str,
    ref: str,
    by: str | None,
    now: datetime,
    note: str | None = None,
) -> list[str]:
    """Make the customer's ledger ARR `amount` in `currency` from `on` (None or 0: churned), recording what it
    takes (each keyed `ref:n:kind`, n the customer's movements so far, so the same change applied twice at once
    adds one; applied again later it finds nothing to change), and set
    `customers.arr` / `currency` to the result. Returns the kinds recorded now."""
    currency = (currency or "").strip().upper() or None
    wanted = Decimal(amount).quantize(Decimal("0.01")) if amount is not None else Decimal(0)
    balance = balances(db, customer.team_id, [customer.id]).get(customer.id)  # type: ignore[list-item]
    seen = balance.movements if balance else 0
    recorded = []
    for kind, value, cur in _moves(balance, wanted, currency):
        # Keyed by how many movements the customer had: two workers applying the same change at once record it
        # once (the unique key), while A -> B -> A -> B changes record four movements.
        if record(
            db, customer.team_id, customer.id, kind, value, cur, on,  # type: ignore[arg-type]
            source=source, ref=f"{ref}:{seen}:{kind}", by=by, now=now, note=note,
        ):  # fmt: skip
            recorded.append(kind)
    if wanted > 0 and currency:
        customer.arr, customer.currency = wanted, currency
    elif balance is None and amount is not None:
        customer.arr, customer.currency = amount, currency  # nothing to churn: kept as given
    # a churn keeps the ARR the customer churned with on the row (the card's "ARR"); the ledger says 0
    return recorded


CHURNED = "churned"


def set_stage(
    db: Session,
    customer: Customer,
    stage: str,
    on: date,
    *,
    source: str,
    ref: str,
    by: str | None,
    now: datetime,
    note: str | None = None,
) -> list[str]:
    """Change a customer's journey stage the way every part of Baton must: a move to churned churns its ledger
    ARR (a churn movement to zero, keyed `ref`), so no stage change leaves ARR behind the ledger. Leaving churned
    records nothing by itself (the ARR a returning customer brings is a reactivation through `set_arr`).
    Returns the movement kinds recorded now."""
    recorded: list[str] = []
    if stage == CHURNED and customer.stage != CHURNED:
        recorded = set_arr(
            db, customer, Decimal(0), customer.currency, on, source=source, ref=ref, by=by, now=now, note=note
        )
    if customer.stage != stage:
        customer.stage = stage
        customer.updated_at = now
    return recorded


def ensure_opened(db: Session, customer: Customer, now: datetime) -> Balance | None:
    """The customer's balance, first opening its ledger when it has an ARR but no movement yet (a row written
    outside Baton since migration 0012): the same `new` movement the migration records (`opening:<id>`, on the
    contract start, else the day it was created), so every later movement is measured from it."""
    balance = balances(db, customer.team_id, [customer.id]).get(customer.id)  # type: ignore[list-item]
    if balance is not None or not customer.arr or customer.arr <= 0 or not customer.currency:
        return balance
    on = customer.contract_start or customer.created_at.date()
    record(
        db, customer.team_id, customer.id, "new", customer.arr, customer.currency, on,  # type: ignore[arg-type]
        source="opening", ref=f"opening:{customer.id}", by="baton", now=now,
    )  # fmt: skip
    return balances(db, customer.team_id, [customer.id]).get(customer.id)  # type: ignore[list-item]
