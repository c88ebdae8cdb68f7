"""Writing what an import checked: all or nothing unless skip-invalid (`refused`), the snapshot upsert, and the
customers created or updated. Nothing here commits: the caller owns the transactions (one per batch of snapshots
for a health file, one for the whole customers file, one for an API request).

The seam for a faster write path: `upsert_snapshots` takes valid rows and returns `Counts`; how it stores them
(today one read and one bulk upsert per batch) is private to this module."""

import functools
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, Float, Integer, String, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from bot.models import Customer, HealthSnapshot
from bot.services import ledger
from bot.services.imports.formats import LOOKUP_CHUNK, SnapshotRow
from bot.services.imports.report import Counts, ImportResult


def refused(result: ImportResult, skip_invalid: bool) -> bool:
    """All or nothing unless `skip_invalid`: True when an invalid row refuses the whole import (write nothing);
    otherwise the invalid rows count as skipped and the valid ones are to be written."""
    if result.error_rows and not skip_invalid:
        return True
    result.skipped = result.error_rows
    return False


# --------------------------------------------------------------------------------------------- snapshots


@functools.lru_cache(maxsize=32)
def _existing_sql_sqlite(n: int) -> str:
    """SQLite: the stored values of n keys via a join against a VALUES list (a CTE, which SQLite accepts with
    column names), so each key is one probe of the unique index; for a row-value `IN (VALUES ...)` SQLite uses
    only the team_id prefix and scans the team's rows. Text built once per size: SQLAlchemy compiling 5n
    bound parameters per batch cost more than the query."""
    return (
        "WITH wanted(i, customer_id, signal, as_of, source) AS (VALUES " + ", ".join(["(?, ?, ?, ?, ?)"] * n) + ") "
        "SELECT wanted.i, h.value FROM wanted JOIN health_snapshots h ON h.team_id = ? "
        "AND h.customer_id = wanted.customer_id AND h.signal = wanted.signal "
        "AND h.as_of = wanted.as_of AND h.source = wanted.source"
    )


# PostgreSQL: keys as arrays (five parameters, so psycopg prepares the statement once) and one LIMIT 1 probe per
# key. A plain join lets the planner, whose statistics lag behind a table growing by millions of rows, hash the
# team's whole history for every batch.
_EXISTING_SQL_PG = (
    "SELECT w.i, h.value FROM unnest(%s::integer[], %s::varchar[], %s::date[], %s::varchar[]) "
    "WITH ORDINALITY AS w(customer_id, signal, as_of, source, i) "
    "CROSS JOIN LATERAL (SELECT s.value FROM health_snapshots s WHERE s.team_id = %s "
    "AND s.customer_id = w.customer_id AND s.signal = w.signal AND s.as_of = w.as_of AND s.source = w.source "
    "LIMIT 1) h"
)


def _existing_values(conn, team_id: str, keys: list[tuple]) -> dict[tuple, float]:
    """{key: stored value} for those of `keys` (customer_id, signal, as_of, source) already stored."""
    found: dict[tuple, float] = {}
    if conn.dialect.name == "postgresql":
        columns = tuple(list(col) for col in zip(*keys, strict=True)) if keys else ([], [], [], [])
        for i, value in conn.exec_driver_sql(_EXISTING_SQL_PG, (*columns, team_id)):
            found[keys[i - 1]] = value
        return found
    for start in range(0, len(keys), LOOKUP_CHUNK):
        chunk = keys[start : start + LOOKUP_CHUNK]
        params: list = []
        for i, (cid, signal, as_of, source) in enumerate(chunk):
            params += (i, cid, signal, as_of.isoformat(), source)  # SQLAlchemy's Date is ISO text on SQLite
        params.append(team_id)
        for i, value in conn.exec_driver_sql(_existing_sql_sqlite(len(chunk)), tuple(params)):
            found[chunk[i]] = value
    return found


def upsert_snapshots(
    db: Session, team_id: str, rows: Sequence[SnapshotRow], *, now: datetime, recorded_by: str | None = None
) -> Counts:
    """Store `rows` once per unique key (team, customer, signal, as_of, source): new keys are inserted, a new
    value for a known key updates it, an equal value is left alone. One read and one bulk
    `INSERT .. ON CONFLICT DO UPDATE` per batch; within `rows` the last value for a key wins."""
    counts = Counts()
    if not rows:
        return counts
    conn = db.connection()
    latest: dict[tuple, float] = {}
    for row in rows:
        latest[row[:4]] = row[4]

    existing = _existing_values(conn, team_id, list(latest))

    seen: dict[tuple, float] = {}
    for row in rows:  # count in order, so a line repeated in one batch counts as unchanged, not inserted twice
        key, value = row[:4], row[4]
        old = seen.get(key, existing.get(key))
        if old is None:
            counts.inserted += 1
        elif old == value:
            counts.unchanged += 1
        else:
            counts.updated += 1
        seen[key] = value

    writes = [(key, value) for key, value in latest.items() if existing.get(key) != value]
    if writes:
        if conn.dialect.name == "postgresql":
            conn.execute(_upsert_statement_pg(), _upsert_arrays(team_id, writes, now, recorded_by))
        else:
            sql, params = _upsert_params(conn.dialect, team_id, writes, now, recorded_by)
            conn.exec_driver_sql(sql, params)  # executemany
        for key, _ in writes:
            counts.note(key[0], key[2])
    return counts


def _on_conflict_update(ins):
    """The upsert clause both dialects use: same key, different value -> take the new value."""
    return ins.on_conflict_do_update(
        index_elements=["team_id", "customer_id", "signal", "as_of", "source"],
        set_={"value": ins.excluded.value},
        where=HealthSnapshot.__table__.c.value != ins.excluded.value,  # a concurrent equal write: no-op
    )


@functools.cache
def _upsert_statement_pg():
    """PostgreSQL: one `INSERT .. SELECT FROM unnest(arrays) ON CONFLICT DO UPDATE` per batch; psycopg's pipelined
    executemany spends ~60 us per row on round trips, a single statement a few."""
    table = HealthSnapshot.__table__
    rows = (
        func.unnest(
            bindparam("customer_id", type_=ARRAY(Integer)),
            bindparam("signal", type_=ARRAY(String)),
            bindparam("as_of", type_=ARRAY(Date)),
            bindparam("source", type_=ARRAY(String)),
            bindparam("value", type_=ARRAY(Float)),
        )
        .table_valued("customer_id", "signal", "as_of", "source", "value")
        .render_derived(name="incoming")
    )
    source = select(
        bindparam("team_id", type_=String),
        rows.c.customer_id,
        rows.c.signal,
        rows.c.as_of,
        rows.c.source,
        rows.c.value,
        bindparam("recorded_by", type_=String),
        bindparam("created_at", type_=table.c.created_at.type),
    )
    return _on_conflict_update(pg_insert(table).from_select(list(_UPSERT_COLUMNS), source))


def _upsert_arrays(team_id: str, writes: list[tuple[tuple, float]], now: datetime, recorded_by: str | None) -> dict:
    cids, signals, days, sources = (list(col) for col in zip(*(key for key, _ in writes), strict=True))
    return {
        "team_id": team_id,
        "customer_id": cids,
        "signal": signals,
        "as_of": days,
        "source": sources,
        "value": [value for _, value in writes],
        "recorded_by": recorded_by,
        "created_at": now,
    }


_UPSERT_COLUMNS = ("team_id", "customer_id", "signal", "as_of", "source", "value", "recorded_by", "created_at")


@functools.lru_cache(maxsize=8)
def _upsert_statement_sqlite(dialect) -> tuple[str, Callable, dict[str, Callable | None]]:
    """SQLite: the dialect's `INSERT .. ON CONFLICT DO UPDATE` for one snapshot compiled once, the order of its
    positional parameters and each column's bind processor. Letting SQLAlchemy process 8 parameters per row
    cost more than SQLite's own work, so rows are prepared here with the same processors (same storage
    formats as the ORM) and sent with executemany."""
    table = HealthSnapshot.__table__
    compiled = _on_conflict_update(sqlite_insert(table).inline()).compile(
        dialect=dialect, column_keys=list(_UPSERT_COLUMNS)
    )
    procs = {name: table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in _UPSERT_COLUMNS}
    return compiled.string, operator.itemgetter(*compiled.positiontup), procs


def _upsert_params(
    dialect, team_id: str, writes: list[tuple[tuple, float]], now: datetime, recorded_by: str | None
) -> tuple[str, list[tuple]]:
    sql, order, procs = _upsert_statement_sqlite(dialect)

    def bound(name: str, value: object) -> object:
        proc = procs[name]
        return proc(value) if proc is not None and value is not None else value

    fixed = {"team_id": team_id, "recorded_by": recorded_by, "created_at": now}
    fixed = {name: bound(name, value) for name, value in fixed.items()}
    per_row = [name for name in ("customer_id", "signal", "source", "value") if procs[name] is not None]
    days: dict[date, object] = {}
    params: list[tuple] = []
    for (cid, signal, as_of, source), value in writes:
        day = days.get(as_of)
        if day is None:
            day = days[as_of] = bound("as_of", as_of)
        row = {**fixed, "customer_id": cid, "signal": signal, "as_of": day, "source": source, "value": value}
        for name in per_row:
            row[name] = bound(name, row[name])
        params.append(order(row))
    return sql, params


# --------------------------------------------------------------------------------------------- customers


@dataclass
class _CustomerPlan:
    """One valid row of a customers file: its line, the customer it updates (None: a new one), its values."""

    line: int
    target: Customer | None
    values: dict[str, Any]


def write_customers(
    db: Session,
    team_id: str,
    plans: Sequence[_CustomerPlan],
    *,
    now: datetime,
    result: ImportResult,
    source_ref: str = "customers-file",
) -> None:
    """Create a customer for each plan without a target, update the target's changed fields otherwise; counted
    in `result`, flushed, and `result.written` set."""
    revenue: list[tuple[_CustomerPlan, Customer]] = []  # rows whose ARR or stage the ledger must follow
    for plan in plans:
        customer = plan.target
        if customer is None:
            fields = {k: v for k, v in plan.values.items() if v is not None and k not in _LEDGER_FIELDS}
            customer = Customer(team_id=team_id, created_at=now, updated_at=now, **fields)
            db.add(customer)
            result.inserted += 1
            if any(plan.values.get(k) is not None for k in _LEDGER_FIELDS):
                revenue.append((plan, customer))
            continue
        changed = False
        for key, value in plan.values.items():
            if key in _LEDGER_FIELDS:
                continue
            if getattr(customer, key) != value:
                setattr(customer, key, value)
                changed = True
        if _ledger_change(customer, plan.values):
            revenue.append((plan, customer))
            changed = True
        if changed:
            customer.updated_at = now
            result.updated += 1
        else:
            result.unchanged += 1
    db.flush()
    for plan, customer in revenue:
        _follow_in_ledger(db, customer, plan, now, source_ref)
    db.flush()
    result.written = True


# The columns a customers file sets through the ledger: ARR and currency as movements, a stage of churned as a churn.
_LEDGER_FIELDS = frozenset({"arr", "currency", "stage"})


def _ledger_change(customer: Customer, values: dict[str, Any]) -> bool:
    if "stage" in values and values["stage"] != customer.stage:
        return True
    if "arr" in values and values["arr"] != customer.arr:
        return True
    return "currency" in values and values["currency"] != customer.currency


def _follow_in_ledger(db: Session, customer: Customer, plan: "_CustomerPlan", now: datetime, source_ref: str) -> None:
    """A row's ARR, currency and stage, through the ledger: a churned stage churns the customer's ARR, an ARR
    is the movement that reaches it (keyed by the file and line, so importing the same file again adds
    nothing), a stage leaving churned with an ARR reactivates it."""
    values = plan.values
    stage = values.get("stage", customer.stage)
    arr = values["arr"] if "arr" in values else customer.arr
    currency = values["currency"] if "currency" in values else customer.currency
    on = now.date()
    ref = f"{source_ref}:{plan.line}"
    if stage == "churned":
        ledger.set_arr(db, customer, Decimal(0), currency, on, source="csv", ref=ref, by=source_ref, now=now)
    elif arr is not None or "arr" in values:
        ledger.set_arr(db, customer, arr, currency, on, source="csv", ref=ref, by=source_ref, now=now)
    if "stage" in values:
        customer.stage = stage
    if "currency" in values and arr is None:
        customer.currency = currency
