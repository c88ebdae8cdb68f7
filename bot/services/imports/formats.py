"""What the import formats are made of: column names, limits, the row shapes, and the cell parsers (dates,
numbers, domains, header names) every stage shares."""

import re
from collections.abc import Callable
from datetime import date
from typing import Any

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
