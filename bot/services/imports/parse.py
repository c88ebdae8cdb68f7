"""Reading import files: CSV as UTF-8 text one record at a time, the header of a health file (long or wide
format) and its data lines as raw snapshots, and the rows of a customers file with the field values each sets."""

import csv
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from bot import inputs
from bot.money import AmountError, parse_amount
from bot.services.imports.formats import (
    _CURRENCY_RE,
    _EMAIL_RE,
    CUSTOMER_COLUMNS,
    LONG_COLUMNS,
    MAX_LEN,
    PROGRESS_EVERY,
    STAGES,
    Problem,
    Progress,
    _show,
    column_key,
    domain_key,
    parse_date,
)
from bot.services.imports.report import FileError, RowError
from bot.signals import canonical_signal
from bot.text import normalize_key


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


# ---------------------------------------------------------------------------------------------- customers


def _clean(value: str | None) -> str:
    return (value or "").strip()


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
    # Column by column, in this order (the order of the problems reported and of the values set).
    _parse_name(cells, values, problems)
    _parse_keys(cells, values, problems)
    _parse_money(cells, default_currency, values, problems)
    _parse_dates(cells, values, problems)
    _parse_emails(cells, values, problems)
    _parse_stage(cells, values, problems)
    return values, problems


def _parse_name(cells: dict[str, str], values: dict[str, Any], problems: list[Problem]) -> None:
    name = _clean(cells.get("name"))
    if not name:
        problems.append(("missing_name", "name is empty"))
    elif len(name) > MAX_LEN["name"]:
        problems.append(("too_long", f"name is longer than {MAX_LEN['name']} characters"))
    elif not normalize_key(name):
        problems.append(("bad_name", f"name {_show(name)} has no letters or digits"))
    else:
        values["name"], values["name_key"] = name, normalize_key(name)


def _parse_keys(cells: dict[str, str], values: dict[str, Any], problems: list[Problem]) -> None:
    """external_id, aliases, domain and segment."""
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


def _parse_money(cells: dict[str, str], default_currency: str, values: dict[str, Any], problems: list[Problem]) -> None:
    """currency, then arr (in the row's currency, else the default one)."""
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


def _parse_dates(cells: dict[str, str], values: dict[str, Any], problems: list[Problem]) -> None:
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


def _parse_emails(cells: dict[str, str], values: dict[str, Any], problems: list[Problem]) -> None:
    for col in ("owner_email", "ae_email"):
        if col in cells:
            email = _clean(cells[col]).lower()
            if email and (len(email) > MAX_LEN[col] or not _EMAIL_RE.fullmatch(email)):
                problems.append(("bad_email", f"{col}: bad email {_show(cells[col].strip())}"))
            values[col] = email or None


def _parse_stage(cells: dict[str, str], values: dict[str, Any], problems: list[Problem]) -> None:
    if "stage" in cells:
        stage = column_key(cells["stage"])
        if stage and stage not in STAGES:
            problems.append(
                ("bad_stage", f"unknown stage {_show(cells['stage'].strip())} (one of {', '.join(STAGES)})")
            )
        elif stage:  # an empty cell keeps the current stage
            values["stage"] = stage


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
