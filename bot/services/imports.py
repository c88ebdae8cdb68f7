"""Bulk input: customers and health snapshots from CSV files or the API, checked whole before anything is written.

Health files stream (they can have millions of rows): `HealthCsv` reads one line at a time, the caller runs
`check_health_file` over the whole file first (pass 1, nothing written), then writes the snapshots of the valid
lines from `valid_health_batches` with `upsert_snapshots`, one unit of work per batch (pass 2). The API goes
through `import_snapshots`, which uses the same checker and the same upsert. Nothing here commits.
"""

import csv
import functools
import io
import operator
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Float, Integer, String, bindparam, func, or_, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from bot import inputs
from bot.models import Customer, HealthSnapshot
from bot.money import AmountError, parse_amount
from bot.services.health import record_daily_scores
from bot.services.health_config import load_health_rules
from bot.services.signals import SIGNALS, SignalSpec, canonical_signal, check_value
from bot.text import normalize_key

STAGES = ("onboarding", "adoption", "renewal", "expansion", "value_realized", "churned")
CUSTOMER_COLUMNS = (
    "external_id",
    "name",
    "aliases",
    "domain",
    "segment",
    "arr",
    "currency",
    "contract_start",
    "renewal_date",
    "owner_email",
    "ae_email",
    "stage",
)
LONG_COLUMNS = ("customer", "date", "signal", "value")  # + optional "source"
BATCH_SIZE = 5000  # snapshots per write transaction
LOOKUP_CHUNK = 1000  # keys per "which of these exist already" query on SQLite (5 bound parameters each)
PROGRESS_EVERY = 10_000  # lines between progress callbacks
MAX_REPORTED = 1000  # errors kept for the report; the rest are only counted
MAX_SOURCE = 32  # HealthSnapshot.source
MAX_LEN = {"name": 255, "external_id": 128, "domain": 255, "segment": 64, "owner_email": 255, "ae_email": 255}
_CACHE_LIMIT = 100_000  # per-run caches of raw text -> parsed value stop growing here

SnapshotRow = tuple[int, str, date, str, float]
"""A valid snapshot: (customer_id, signal, as_of, source, value); the first four are the unique key."""
RawSnapshot = tuple[Any, Any, Any, Any, Any]
"""What a file line or API item says: (customer, date, signal, value, source), not yet checked."""
Problem = tuple[str, str]
"""(code, human-readable reason)."""
Progress = Callable[[str, int, int], None]
"""progress(phase, lines_done, bytes_read): phase is "checking" (pass 1) or "writing" (pass 2)."""


# --------------------------------------------------------------------------------------------------- results


@dataclass(frozen=True)
class RowError:
    """One problem with one row: `where` is the file line number (header = 1) or the API item index."""

    where: int
    code: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.where}: {self.reason}"


@dataclass
class Counts:
    """What one write did; `customer_ids` are the customers whose snapshots were inserted or changed."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    customer_ids: set[int] = field(default_factory=set)


@dataclass
class ImportResult:
    """The report of one import: counts, the rows refused (capped at MAX_REPORTED) and warnings.

    `skipped` counts invalid rows left out under skip-invalid; `error_rows` counts invalid rows whatever
    happened to them. `written` is False when the import was refused and nothing was stored."""

    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    error_rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    errors_dropped: int = 0
    warnings: list[RowError] = field(default_factory=list)
    written: bool = False
    customer_ids: set[int] = field(default_factory=set)

    def reject_row(self, where: int, problems: Sequence[Problem]) -> None:
        """Record one invalid row and its problems."""
        self.error_rows += 1
        for code, reason in problems:
            if len(self.errors) < MAX_REPORTED:
                self.errors.append(RowError(where, code, reason))
            else:
                self.errors_dropped += 1

    def warn(self, where: int, code: str, reason: str) -> None:
        if len(self.warnings) < MAX_REPORTED:
            self.warnings.append(RowError(where, code, reason))

    def add(self, counts: Counts) -> None:
        self.inserted += counts.inserted
        self.updated += counts.updated
        self.unchanged += counts.unchanged
        self.customer_ids |= counts.customer_ids

    def summary(self) -> str:
        return (
            f"inserted {self.inserted:,}, updated {self.updated:,}, unchanged {self.unchanged:,}, "
            f"skipped {self.skipped:,}"
        )


class FileError(Exception):
    """The file as a whole cannot be imported (missing, not UTF-8, bad header); `errors` say why."""

    def __init__(self, errors: list[RowError]):
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


# --------------------------------------------------------------------------------------------------- parsing

_DATE_RE = re.compile(r"(\d{4})([-/])(\d{1,2})\2(\d{1,2})")
_NUMBER_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_EMAIL_RE = re.compile(r"[^@\s<>(),;:\"']+@[^@\s<>(),;:\"'.]+(?:\.[^@\s<>(),;:\"'.]+)+")
_DOMAIN_RE = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}")
_CURRENCY_RE = re.compile(r"[A-Z]{3}")


def parse_date(text: str) -> date | None:
    """`2026-11-23` or `2026/11/23` (surrounding spaces ignored) -> date; None for anything else."""
    m = _DATE_RE.fullmatch(text.strip())
    if m is None:
        return None
    try:
        return date(int(m[1]), int(m[3]), int(m[4]))
    except ValueError:
        return None


def parse_number(value: object) -> float | None:
    """A finite number from JSON (int/float, not bool) or text such as `7`, `-2.5`, `1e3`; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:
            return None
    elif isinstance(value, str) and _NUMBER_RE.fullmatch(value.strip()):
        number = float(value)
    else:
        return None
    return number if number - number == 0 else None  # rules out inf and nan


def domain_key(text: str | None) -> str | None:
    """`https://www.Acme.com/about` -> `acme.com`; None when the text is not shaped like a domain."""
    if not text:
        return None
    s = text.strip().lower()
    s = re.sub(r"^[a-z][a-z0-9+.-]*://", "", s).split("/", 1)[0].split("?", 1)[0].rstrip(".")
    if s.startswith("www."):
        s = s[4:]
    return s if _DOMAIN_RE.fullmatch(s) else None


def column_key(header: str) -> str:
    """Header cell -> column name: case, surrounding spaces, inner spaces and dashes do not matter."""
    return header.strip().lower().replace(" ", "_").replace("-", "_")


def _show(value: object, limit: int = 60) -> str:
    text = value if isinstance(value, str) else repr(value)
    return repr(text if len(text) <= limit else text[:limit] + "…")


def _range(spec) -> str:
    hi = "∞" if spec.max_value is None else f"{spec.max_value:g}"
    return f"{spec.min_value:g}..{hi}" + (", whole numbers" if spec.integer else "")


# ------------------------------------------------------------------------------------------ customer lookup

_AMBIGUOUS = -1


class CustomerResolver:
    """Finds a team's customer by external id, CRM company id, domain or name key, in that order.

    With `preload` the team's keys are read once into dicts (for files: no query per row); otherwise each
    distinct reference costs one query. Answers are cached per instance either way."""

    def __init__(self, db: Session, team_id: str, *, preload: bool = False):
        self.db = db
        self.team_id = team_id
        self._cache: dict[str, int | None] = {}
        self._maps: tuple[dict[str, int], ...] | None = None
        if preload:
            cols = (Customer.id, Customer.external_id, Customer.crm_company_id, Customer.domain, Customer.name_key)
            self._maps = _key_maps(db.exec(select(*cols).where(Customer.team_id == team_id)))

    def resolve(self, ref: str) -> int | None:
        """The customer id, None when nobody matches, or _AMBIGUOUS (-1) when the best key matches several."""
        hit = self._cache.get(ref, _MISSING)
        if hit is not _MISSING:
            return hit  # type: ignore[return-value]
        ref_s = ref.strip()
        keys = (ref_s, ref_s, domain_key(ref_s), normalize_key(ref_s))
        maps = self._maps if self._maps is not None else self._query(*keys)
        found = None
        for key_map, key in zip(maps, keys, strict=True):
            if key and key in key_map:
                found = key_map[key]
                break
        if len(self._cache) < _CACHE_LIMIT:
            self._cache[ref] = found
        return found

    def _query(self, ext: str, crm: str, domain: str | None, name_key: str) -> tuple[dict[str, int], ...]:
        conds = [Customer.external_id == ext, Customer.crm_company_id == crm, Customer.name_key == name_key]
        if domain:
            conds.append(func.lower(Customer.domain).in_([domain, "www." + domain]))
        cols = (Customer.id, Customer.external_id, Customer.crm_company_id, Customer.domain, Customer.name_key)
        return _key_maps(self.db.exec(select(*cols).where(Customer.team_id == self.team_id, or_(*conds))))


_MISSING = object()


def _key_maps(rows) -> tuple[dict[str, int], ...]:
    maps: tuple[dict[str, int], ...] = ({}, {}, {}, {})
    for cid, ext, crm, domain, name_key in rows:
        for key_map, key in zip(maps, (ext, crm, domain_key(domain), name_key), strict=True):
            if key:
                key_map[key] = _AMBIGUOUS if key_map.get(key, cid) != cid else cid
    return maps


# ------------------------------------------------------------------------------------------ snapshot checks


class SnapshotChecker:
    """Checks one snapshot at a time against the team's customers and the signal registry (SIGNALS).

    Customer, date, signal and source cells already seen valid are remembered, so a valid row of a large file
    costs a few dict lookups and a float(); anything else takes the full check, which explains every problem."""

    def __init__(self, customers: CustomerResolver, default_source: str):
        self.customers = customers
        self.default_source = default_source
        self._dates: dict[str, date | None] = {}
        self._signals: dict[str, str | None] = {}
        self._ok_customers: dict[object, int] = {}
        self._ok_dates: dict[object, date] = {}
        self._ok_signals: dict[object, SignalSpec] = {}
        self._ok_sources: dict[object, str] = {}

    def check(self, raw: RawSnapshot) -> tuple[SnapshotRow | None, Sequence[Problem]]:
        """(the valid row, no problems) or (None, every problem found)."""
        customer, day, signal, value, source = raw
        try:
            cid = self._ok_customers.get(customer)
            as_of = self._ok_dates.get(day)
            spec = self._ok_signals.get(signal)
            src = self._ok_sources.get(source)
        except TypeError:  # an unhashable JSON value (list, object): the full check explains it
            cid = None
        if cid is not None and as_of is not None and spec is not None and src is not None:
            kind = type(value)
            if kind is str:
                number = float(value) if _NUMBER_RE.fullmatch(value) else None
            elif kind is int or kind is float:
                try:
                    number = float(value)
                except OverflowError:
                    number = None
            else:
                number = None
            if (
                number is not None
                and number - number == 0  # finite
                and spec.min_value <= number
                and (spec.max_value is None or number <= spec.max_value)
                and (not spec.integer or number.is_integer())
            ):
                return (cid, spec.name, as_of, src, number), ()
        return self._check_all(raw)

    def _cached(self, cache: dict, key: str, parse):
        """parse(key), remembered per run (raw text repeats on every row of a large file)."""
        value = cache.get(key, _MISSING)
        if value is _MISSING:
            value = parse(key)
            self._remember(cache, key, value)
        return value

    def _remember(self, cache: dict, key: object, value: object) -> None:
        if len(cache) < _CACHE_LIMIT:
            cache[key] = value

    def _check_all(self, raw: RawSnapshot) -> tuple[SnapshotRow | None, list[Problem]]:
        customer, day, signal, value, source = raw
        # Control characters are refused first and alone (bot/inputs.py): a NUL must not reach the customer
        # query or the source column, and PostgreSQL and SQLite must answer alike.
        problems: list[Problem] = [
            ("control_char", f"{name} contains a control character ({inputs.describe(char)})")
            for name, cell in zip(_RAW_NAMES, raw, strict=True)
            if isinstance(cell, str) and (char := inputs.find_control(cell)) is not None
        ]
        if problems:
            return None, problems

        cid = None
        if _blank(customer):
            problems.append(("missing_customer", "customer is empty"))
        elif not isinstance(customer, str):
            problems.append(("bad_customer", f"customer must be text, not {_show(customer)}"))
        else:
            cid = self.customers.resolve(customer)
            if cid is None:
                problems.append(("unknown_customer", f"unknown customer {_show(customer)}"))
            elif cid == _AMBIGUOUS:
                problems.append(("ambiguous_customer", f"customer {_show(customer)} matches several customers"))
            else:
                self._remember(self._ok_customers, customer, cid)

        as_of = None
        if _blank(day):
            problems.append(("missing_date", "date is empty"))
        elif not isinstance(day, str):
            problems.append(("bad_date", f"date must be text such as 2026-11-23, not {_show(day)}"))
        else:
            as_of = self._cached(self._dates, day, parse_date)
            if as_of is None:
                problems.append(("bad_date", f"unparseable date {_show(day)} (use YYYY-MM-DD)"))
            else:
                self._remember(self._ok_dates, day, as_of)

        name = None
        if _blank(signal):
            problems.append(("missing_signal", "signal is empty"))
        elif not isinstance(signal, str):
            problems.append(("unknown_signal", f"signal must be a signal name, not {_show(signal)}"))
        else:
            name = self._cached(self._signals, signal, canonical_signal)
            if name is None:
                problems.append(("unknown_signal", f"unknown signal {_show(signal)}"))
            else:
                self._remember(self._ok_signals, signal, SIGNALS[name])

        number = None
        if _blank(value):
            problems.append(("missing_value", "value is empty"))
        else:
            number = parse_number(value)
            if number is None:
                problems.append(("not_a_number", f"value {_show(value)} is not a number"))
            elif name is not None:
                spec = SIGNALS[name]
                code = check_value(spec, number)
                if code == "out_of_range":
                    problems.append((code, f"{name} value {number:g} is out of range ({_range(spec)})"))
                elif code == "not_whole":
                    problems.append((code, f"{name} value {number:g} is not a whole number"))
                elif code:
                    problems.append((code, f"{name} value {_show(value)} is not a number"))

        if _blank(source):
            src = self.default_source
            self._remember(self._ok_sources, source, src)
        elif not isinstance(source, str):
            src = ""
            problems.append(("bad_source", f"source {_show(source)} is not text"))
        else:
            src = source.strip()
            if len(src) > MAX_SOURCE:
                problems.append(("bad_source", f"source is longer than {MAX_SOURCE} characters"))
            else:
                self._remember(self._ok_sources, source, src)

        if problems:
            return None, problems
        return (cid, name, as_of, src, number), problems  # type: ignore[return-value]


_RAW_NAMES = ("customer", "date", "signal", "value", "source")


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def check_snapshots(checker: SnapshotChecker, items: Sequence[RawSnapshot]) -> tuple[list[SnapshotRow], list[Problem]]:
    """Check the snapshots of one line (several in the wide format): all valid rows, or the problems."""
    rows: list[SnapshotRow] = []
    problems: list[Problem] = []
    for raw in items:
        row, found = checker.check(raw)
        if row is not None:
            rows.append(row)
        problems.extend(found)
    return rows, problems


# ---------------------------------------------------------------------------------------------- the upsert


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
        counts.customer_ids.update(key[0] for key, _ in writes)
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


def after_snapshots_written(
    db: Session, team_id: str, customer_ids: Sequence[int], today: date, *, now: datetime
) -> None:
    """Recompute the affected customers' daily score for `today` (default health rules) after snapshots changed."""
    if customer_ids:
        record_daily_scores(db, team_id, list(customer_ids), today, load_health_rules(None), now=now)


# ---------------------------------------------------------------------------------------------- the API path


def import_snapshots(
    db: Session,
    team_id: str,
    items: Sequence[object],
    *,
    now: datetime,
    skip_invalid: bool = False,
    default_source: str = "api",
    recorded_by: str | None = None,
) -> ImportResult:
    """Check `items` (dicts with customer, date, signal, value, optional source) and store them, all or nothing
    unless `skip_invalid`. Errors carry the item's 0-based index. Recomputes affected scores afterwards."""
    result = ImportResult(rows=len(items))
    checker = SnapshotChecker(CustomerResolver(db, team_id), default_source)
    good: list[SnapshotRow] = []
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            result.reject_row(index, [("not_an_object", "each snapshot must be a JSON object")])
            continue
        raw = (item.get("customer"), item.get("date"), item.get("signal"), item.get("value"), item.get("source"))
        row, problems = checker.check(raw)
        if problems:
            result.reject_row(index, problems)
        else:
            good.append(row)  # type: ignore[arg-type]
    if result.error_rows and not skip_invalid:
        return result
    result.skipped = result.error_rows
    result.add(upsert_snapshots(db, team_id, good, now=now, recorded_by=recorded_by))
    result.written = True
    after_snapshots_written(db, team_id, sorted(result.customer_ids), now.date(), now=now)
    return result


# -------------------------------------------------------------------------------------------- health files


class _CsvFile:
    """A CSV file read as UTF-8 (BOM allowed) through a binary handle whose position gives progress."""

    def __init__(self, path: str | os.PathLike):
        self.path = os.fspath(path)
        try:
            self.raw = open(self.path, "rb")  # noqa: SIM115 - closed by close()
        except OSError as exc:
            raise FileError([RowError(0, "unreadable", f"cannot open {self.path}: {exc.strerror or exc}")]) from exc
        self.text = io.TextIOWrapper(self.raw, encoding="utf-8-sig", newline="")
        self.reader = csv.reader(self.text)
        self.line = 0  # physical line where the last record ended

    def next_record(self) -> tuple[int, list[str]] | None:
        """(first line number of the record, its cells), skipping blank lines; None at the end."""
        while True:
            start = self.line + 1
            try:
                cells = next(self.reader)
            except StopIteration:
                return None
            except UnicodeDecodeError as exc:
                raise FileError([RowError(start, "not_utf8", "the file is not UTF-8 text")]) from exc
            except csv.Error as exc:
                raise FileError([RowError(start, "bad_csv", f"malformed CSV: {exc}")]) from exc
            first = self.line == 0
            self.line = self.reader.line_num
            if first and any("\x00" in cell for cell in cells):  # "n\x00a\x00m\x00e\x00": UTF-16 read as UTF-8
                raise FileError([RowError(start, "not_utf8", "the file is not UTF-8 text (it looks like UTF-16)")])
            if cells and "".join(cells).strip():  # skip blank lines and ,,,, rows
                return start, cells

    def position(self) -> int:
        return self.raw.tell()

    def close(self) -> None:
        self.text.close()


@dataclass
class HealthCsv:
    """A health CSV whose format (long or wide) was detected from its header; `lines()` re-reads it each time.

    long: customer, date, signal, value[, source]; wide: customer, date[, source], then one column per signal."""

    path: str
    format: str
    columns: dict[str, int]  # column name -> cell index (long) / signal name -> cell index (wide)
    width: int
    default_source: str
    size: int
    warnings: list[RowError] = field(default_factory=list)

    @classmethod
    def open(cls, path: str | os.PathLike, default_source: str = "csv") -> "HealthCsv":
        """Read and check the header; raise FileError naming every problem with it."""
        f = _CsvFile(path)
        try:
            first = f.next_record()
        finally:
            f.close()
        if first is None:
            raise FileError([RowError(1, "empty_file", "the file is empty (expected a header row)")])
        line, header = first
        keys = [column_key(h) for h in header]
        errors: list[RowError] = []
        warnings: list[RowError] = []
        seen: dict[str, int] = {}
        for i, key in enumerate(keys):
            if key and key in seen:
                errors.append(RowError(line, "duplicate_column", f"column {key!r} appears twice"))
            seen.setdefault(key, i)
        for required in ("customer", "date"):
            if required not in seen:
                errors.append(RowError(line, "missing_column", f"missing column {required!r}"))
        if "signal" in seen or "value" in seen:
            fmt = "long"
            for required in ("signal", "value"):
                if required not in seen:
                    errors.append(RowError(line, "missing_column", f"missing column {required!r}"))
            columns = {k: seen[k] for k in (*LONG_COLUMNS, "source") if k in seen}
            for key, cell in zip(keys, header, strict=True):
                if key not in columns:
                    warnings.append(RowError(line, "ignored_column", f"column {cell.strip()!r} ignored"))
        else:
            fmt = "wide"
            columns = {k: seen[k] for k in ("customer", "date", "source") if k in seen}
            signals: dict[str, int] = {}
            for i, (key, cell) in enumerate(zip(keys, header, strict=True)):
                if key in ("customer", "date", "source"):
                    continue
                name = canonical_signal(key) if key else None
                if name is None:
                    errors.append(RowError(line, "unknown_signal", f"unknown signal column {cell.strip()!r}"))
                elif name in signals:
                    errors.append(RowError(line, "duplicate_column", f"signal {name!r} has two columns"))
                else:
                    signals[name] = i
            if not signals and not errors:
                errors.append(
                    RowError(
                        line,
                        "missing_column",
                        "no signal columns: expected signal and value columns (long format) "
                        "or one column per signal (wide format)",
                    )
                )
            columns = {**columns, **{f"signal:{name}": i for name, i in signals.items()}}
        if errors:
            raise FileError(errors)
        return cls(
            path=os.fspath(path),
            format=fmt,
            columns=columns,
            width=len(header),
            default_source=default_source,
            size=os.path.getsize(path),
            warnings=warnings,
        )

    def lines(self, progress: Progress | None = None, phase: str = "checking") -> Iterator[tuple[int, list, list]]:
        """Each data line as (line number, raw snapshots, structural problems); streams from disk."""
        f = _CsvFile(self.path)
        try:
            f.next_record()  # header
            col = self.columns
            ci, di, si = col["customer"], col["date"], col.get("source")
            long = self.format == "long"
            gi, vi = col.get("signal"), col.get("value")
            signal_cols = [(k[7:], i) for k, i in col.items() if k.startswith("signal:")]
            width = self.width
            done = 0
            if progress is not None:
                progress(phase, 0, 0)
            while (record := f.next_record()) is not None:
                line, cells = record
                problems: list[Problem] = []
                if len(cells) > width:
                    extra = cells[width:]
                    if any(c.strip() for c in extra):
                        problems.append(("too_many_fields", f"{len(cells)} fields but the header has {width}"))
                if len(cells) < width:
                    cells = cells + [""] * (width - len(cells))
                source = cells[si] if si is not None else None
                if long:
                    items = [(cells[ci], cells[di], cells[gi], cells[vi], source)]
                else:  # an empty cell is no value; a line without any stores nothing
                    items = [
                        (cells[ci], cells[di], name, cells[i], source) for name, i in signal_cols if cells[i].strip()
                    ]
                yield line, items, problems
                done += 1
                if progress is not None and done % PROGRESS_EVERY == 0:
                    progress(phase, done, f.position())
            if progress is not None:
                progress(phase, done, self.size)
        finally:
            f.close()


def check_health_file(checker: SnapshotChecker, csvfile: HealthCsv, progress: Progress | None = None) -> ImportResult:
    """Pass 1: check every line of the file, collecting the bad ones; nothing is written."""
    result = ImportResult(warnings=list(csvfile.warnings))
    for line, items, problems in csvfile.lines(progress, "checking"):
        result.rows += 1
        _, found = check_snapshots(checker, items)
        if problems or found:
            result.reject_row(line, problems + found)
    return result


def valid_health_batches(
    checker: SnapshotChecker, csvfile: HealthCsv, progress: Progress | None = None, batch_size: int = BATCH_SIZE
) -> Iterator[list[SnapshotRow]]:
    """Pass 2: the snapshots of every valid line, `batch_size` at a time (a line is never split)."""
    batch: list[SnapshotRow] = []
    for _line, items, problems in csvfile.lines(progress, "writing"):
        if problems:
            continue
        if len(items) == 1:  # the long format: skip building lists per line
            row, found = checker.check(items[0])
            if found:
                continue
            batch.append(row)  # type: ignore[arg-type]
        else:
            rows, found = check_snapshots(checker, items)
            if found:
                continue
            batch.extend(rows)
        if len(batch) >= batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


# ---------------------------------------------------------------------------------------------- customers


class UserLookupFailed(Exception):
    """The user directory could not answer (Slack down, rate limited): keep the owner id we had."""


def _clean(value: str | None) -> str:
    return (value or "").strip()


@dataclass
class _CustomerPlan:
    line: int
    target: Customer | None
    values: dict[str, Any]


def _parse_customer(cells: dict[str, str], default_currency: str) -> tuple[dict[str, Any], list[Problem]]:
    """The field values one customers.csv row sets (only columns present in the file), or its problems."""
    values: dict[str, Any] = {}
    problems: list[Problem] = [
        ("control_char", f"{col} contains a control character ({inputs.describe(char)})")
        for col, cell in cells.items()
        if (char := inputs.find_control(cell)) is not None
    ]
    if problems:  # refused first and alone (bot/inputs.py): nothing of the row is stored
        return values, problems

    name = _clean(cells.get("name"))
    if not name:
        problems.append(("missing_name", "name is empty"))
    elif len(name) > MAX_LEN["name"]:
        problems.append(("too_long", f"name is longer than {MAX_LEN['name']} characters"))
    elif not normalize_key(name):
        problems.append(("bad_name", f"name {_show(name)} has no letters or digits"))
    else:
        values["name"], values["name_key"] = name, normalize_key(name)

    if "external_id" in cells:
        ext = _clean(cells["external_id"])
        if len(ext) > MAX_LEN["external_id"]:
            problems.append(("too_long", f"external_id is longer than {MAX_LEN['external_id']} characters"))
        elif ext:  # an empty cell never clears the external id (it is what later imports match on)
            values["external_id"] = ext

    if "aliases" in cells:
        aliases = list(dict.fromkeys(a.strip() for a in cells["aliases"].split(";") if a.strip()))
        values["aliases"] = "\n".join(aliases) or None

    if "domain" in cells:
        raw = _clean(cells["domain"])
        key = domain_key(raw) if raw else None
        if raw and (key is None or len(key) > MAX_LEN["domain"]):
            problems.append(("bad_domain", f"bad domain {_show(raw)}"))
        values["domain"] = key

    if "segment" in cells:
        segment = _clean(cells["segment"])
        if len(segment) > MAX_LEN["segment"]:
            problems.append(("too_long", f"segment is longer than {MAX_LEN['segment']} characters"))
        values["segment"] = segment or None

    currency = None
    if "currency" in cells:
        currency = _clean(cells["currency"]).upper() or None
        if currency and not _CURRENCY_RE.fullmatch(currency):
            problems.append(("bad_currency", f"bad currency {_show(cells['currency'])} (use a code such as USD)"))
            currency = None
        values["currency"] = currency
    if "arr" in cells:
        raw = _clean(cells["arr"])
        if not raw:
            values["arr"] = None
        else:
            try:
                amount, parsed_currency = parse_amount(raw, currency or default_currency)
            except AmountError as exc:
                problems.append(("bad_amount", f"bad amount {_show(raw)} ({exc.code.replace('_', ' ')})"))
            else:
                if currency and parsed_currency != currency:
                    problems.append(
                        ("bad_amount", f"arr {_show(raw)} is in {parsed_currency}, currency says {currency}")
                    )
                values["arr"], values["currency"] = amount, parsed_currency

    for col in ("contract_start", "renewal_date"):
        if col in cells:
            raw = _clean(cells[col])
            day = parse_date(raw) if raw else None
            if raw and day is None:
                problems.append(("bad_date", f"{col}: unparseable date {_show(raw)} (use YYYY-MM-DD)"))
            values[col] = day
    start, renewal = values.get("contract_start"), values.get("renewal_date")
    if start and renewal and renewal < start:
        problems.append(("renewal_before_start", f"renewal_date {renewal} is before contract_start {start}"))

    for col in ("owner_email", "ae_email"):
        if col in cells:
            email = _clean(cells[col]).lower()
            if email and (len(email) > MAX_LEN[col] or not _EMAIL_RE.fullmatch(email)):
                problems.append(("bad_email", f"{col}: bad email {_show(cells[col].strip())}"))
            values[col] = email or None

    if "stage" in cells:
        stage = column_key(cells["stage"])
        if stage and stage not in STAGES:
            problems.append(
                ("bad_stage", f"unknown stage {_show(cells['stage'].strip())} (one of {', '.join(STAGES)})")
            )
        elif stage:  # an empty cell keeps the current stage
            values["stage"] = stage
    return values, problems


def read_customers_csv(path: str | os.PathLike) -> tuple[list[str], list[tuple[int, dict[str, str]]], list[RowError]]:
    """(columns, rows as (line, {column: cell}), header warnings); raise FileError for a bad header."""
    f = _CsvFile(path)
    try:
        first = f.next_record()
        if first is None:
            raise FileError([RowError(1, "empty_file", "the file is empty (expected a header row)")])
        line, header = first
        keys = [column_key(h) for h in header]
        errors: list[RowError] = []
        warnings: list[RowError] = []
        if "name" not in keys:
            errors.append(RowError(line, "missing_column", "missing column 'name'"))
        for i, key in enumerate(keys):
            if key in keys[:i]:
                errors.append(RowError(line, "duplicate_column", f"column {key!r} appears twice"))
            elif key not in CUSTOMER_COLUMNS:
                warnings.append(RowError(line, "ignored_column", f"column {header[i].strip()!r} ignored"))
        if errors:
            raise FileError(errors)
        known = [(i, k) for i, k in enumerate(keys) if k in CUSTOMER_COLUMNS]
        rows: list[tuple[int, dict[str, str]]] = []
        while (record := f.next_record()) is not None:
            n, cells = record
            if len(cells) > len(keys) and any(c.strip() for c in cells[len(keys) :]):
                rows.append((n, {"__too_many__": str(len(cells))}))
                continue
            rows.append((n, {k: cells[i] if i < len(cells) else "" for i, k in known}))
        return [k for _, k in known], rows, warnings
    finally:
        f.close()


def import_customers(
    db: Session,
    team_id: str,
    path: str | os.PathLike,
    *,
    now: datetime,
    find_user: Callable[[str], str | None] | None = None,
    skip_invalid: bool = False,
    default_currency: str = "USD",
) -> ImportResult:
    """Create or update the team's customers from a customers CSV, all or nothing unless `skip_invalid`.

    A row updates the customer with its external_id, else the one with its domain, else the one with its name
    key; otherwise it creates one. Emails are resolved to Slack users with `find_user` (cached for the run;
    returns None for nobody, raises UserLookupFailed when it cannot tell); unknown emails are warnings."""
    columns, rows, warnings = read_customers_csv(path)
    result = ImportResult(rows=len(rows), warnings=warnings)
    existing = list(db.exec(select(Customer).where(Customer.team_id == team_id)).scalars())
    by_ext = {c.external_id: c for c in existing if c.external_id}
    by_name = {c.name_key: c for c in existing}
    by_domain: dict[str, list[Customer]] = {}
    for c in existing:
        key = domain_key(c.domain)
        if key:
            by_domain.setdefault(key, []).append(c)

    claimed_ids: dict[int, int] = {}
    claimed_ext: dict[str, int] = {}
    claimed_name: dict[str, int] = {}
    plans: list[_CustomerPlan] = []
    for line, cells in rows:
        if "__too_many__" in cells:
            result.reject_row(line, [("too_many_fields", f"{cells['__too_many__']} fields but the header has fewer")])
            continue
        values, problems = _parse_customer(cells, default_currency)
        target: Customer | None = None
        if not problems:
            target, problems = _match_customer(values, by_ext, by_domain, by_name)
        if not problems:
            ext, key = values.get("external_id"), values["name_key"]
            if target is not None and target.id in claimed_ids:
                problems.append(("duplicate", f"same customer as line {claimed_ids[target.id]}"))
            if ext and ext in claimed_ext:
                problems.append(("duplicate", f"external_id {_show(ext)} also on line {claimed_ext[ext]}"))
            if key in claimed_name:
                problems.append(("duplicate", f"name {_show(values['name'])} also on line {claimed_name[key]}"))
        if problems:
            result.reject_row(line, problems)
            continue
        if target is not None:
            claimed_ids[target.id] = line  # type: ignore[index]
        if values.get("external_id"):
            claimed_ext[values["external_id"]] = line
        claimed_name[values["name_key"]] = line
        plans.append(_CustomerPlan(line, target, values))

    if result.error_rows and not skip_invalid:
        return result
    result.skipped = result.error_rows

    users: dict[str, str | None] = {}
    for plan in plans:  # Slack lookups before any write, so no write lock is held while waiting on Slack
        _resolve_owners(plan, find_user, users, result)
    for plan in plans:
        customer = plan.target
        if customer is None:
            fields = {k: v for k, v in plan.values.items() if v is not None}
            db.add(Customer(team_id=team_id, created_at=now, updated_at=now, **fields))
            result.inserted += 1
            continue
        changed = False
        for key, value in plan.values.items():
            if getattr(customer, key) != value:
                setattr(customer, key, value)
                changed = True
        if changed:
            customer.updated_at = now
            result.updated += 1
        else:
            result.unchanged += 1
    db.flush()
    result.written = True
    return result


def _match_customer(
    values: dict[str, Any],
    by_ext: dict[str, Customer],
    by_domain: dict[str, list[Customer]],
    by_name: dict[str, Customer],
) -> tuple[Customer | None, list[Problem]]:
    """The existing customer a row updates (external id, then domain, then name key), or None for a new one."""
    ext, domain, key = values.get("external_id"), values.get("domain"), values["name_key"]
    target = by_ext.get(ext) if ext else None
    if target is None and domain:
        # A customer that already has another external id is another company sharing the domain.
        candidates = [c for c in by_domain.get(domain, []) if not (ext and c.external_id)]
        if len(candidates) == 1:
            target = candidates[0]
    if target is None:
        named = by_name.get(key)
        if named is not None:
            if ext and named.external_id and named.external_id != ext:
                return None, [
                    (
                        "name_conflict",
                        f"name {_show(values['name'])} belongs to another customer "
                        f"(external_id {_show(named.external_id)})",
                    )
                ]
            target = named
    if target is not None and by_name.get(key, target) is not target:
        return None, [("name_conflict", f"name {_show(values['name'])} belongs to another customer")]
    return target, []


def _resolve_owners(
    plan: _CustomerPlan,
    find_user: Callable[[str], str | None] | None,
    cache: dict[str, str | None],
    result: ImportResult,
) -> None:
    """Set owner_user_id / ae_user_id from the row's emails; unknown emails stay in the *_email columns."""
    for email_col, user_col in (("owner_email", "owner_user_id"), ("ae_email", "ae_user_id")):
        if email_col not in plan.values:
            continue
        email = plan.values[email_col]
        if not email:
            plan.values[user_col] = None
            continue
        if find_user is None:
            continue
        if email not in cache:
            try:
                cache[email] = find_user(email)
            except UserLookupFailed as exc:
                result.warn(plan.line, "lookup_failed", f"{email_col}: could not look up {email} ({exc})")
                continue
        user_id = cache[email]
        if user_id is None:
            result.warn(plan.line, "unknown_user", f"{email_col}: no Slack user with email {email} (email kept)")
        plan.values[user_col] = user_id
