"""Checking snapshots: which customer a reference names, and whether each cell of a file line or API item is
valid (every problem explained); pass 1 over a health file and the valid rows of pass 2."""

from collections.abc import Iterator, Sequence
from datetime import date

from sqlalchemy import func, or_, select
from sqlmodel import Session

from bot import inputs
from bot.models import Customer
from bot.services.imports.formats import (
    _CACHE_LIMIT,
    _NUMBER_RE,
    BATCH_SIZE,
    MAX_SOURCE,
    Problem,
    Progress,
    RawSnapshot,
    SnapshotRow,
    _range,
    _show,
    domain_key,
    parse_date,
    parse_number,
)
from bot.services.imports.parse import HealthCsv
from bot.services.imports.report import ImportResult
from bot.signals import SIGNALS, SignalSpec, canonical_signal, check_value
from bot.text import normalize_key

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
        """Every problem of `raw`, cell by cell in column order; the row when there is none."""
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
        cid = self._check_customer(customer, problems)
        as_of = self._check_date(day, problems)
        name = self._check_signal(signal, problems)
        number = self._check_value(value, name, problems)
        src = self._check_source(source, problems)
        if problems:
            return None, problems
        return (cid, name, as_of, src, number), problems  # type: ignore[return-value]

    def _check_customer(self, customer: object, problems: list[Problem]) -> int | None:
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
                return cid
        return None

    def _check_date(self, day: object, problems: list[Problem]) -> date | None:
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
            return as_of
        return None

    def _check_signal(self, signal: object, problems: list[Problem]) -> str | None:
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
            return name
        return None

    def _check_value(self, value: object, name: str | None, problems: list[Problem]) -> float | None:
        """The number, checked against the signal's range when the signal is known."""
        if _blank(value):
            problems.append(("missing_value", "value is empty"))
            return None
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
        return number

    def _check_source(self, source: object, problems: list[Problem]) -> str:
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
        return src


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


# ------------------------------------------------------------------------------------ the two passes of a file


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
