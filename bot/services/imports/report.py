"""The report of an import: the rows refused and why, the warnings, and the counts of what was written."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from bot.services.imports.formats import MAX_REPORTED, Problem


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
    """What one write did; `customer_ids` are the customers whose snapshots were inserted or changed, and
    `changed` maps each of them to the earliest date written (their health state is refreshed from that day)."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    customer_ids: set[int] = field(default_factory=set)
    changed: dict[int, date] = field(default_factory=dict)

    def note(self, customer_id: int, as_of: date) -> None:
        """A snapshot of `customer_id` dated `as_of` was inserted or changed."""
        self.customer_ids.add(customer_id)
        known = self.changed.get(customer_id)
        if known is None or as_of < known:
            self.changed[customer_id] = as_of


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
    changed: dict[int, date] = field(default_factory=dict)

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
        for cid, as_of in counts.changed.items():
            known = self.changed.get(cid)
            if known is None or as_of < known:
                self.changed[cid] = as_of

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
