"""The API path: a list of snapshot items checked whole, then stored (all or nothing unless skip-invalid) and
the affected scores recomputed, in the caller's transaction."""

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlmodel import Session

from bot.services.health_config import HealthRules
from bot.services.imports.check import CustomerResolver, SnapshotChecker
from bot.services.imports.formats import SnapshotRow
from bot.services.imports.report import ImportResult
from bot.services.imports.score import after_snapshots_written
from bot.services.imports.write import refused, upsert_snapshots


def import_snapshots(
    db: Session,
    team_id: str,
    items: Sequence[object],
    *,
    now: datetime,
    skip_invalid: bool = False,
    default_source: str = "api",
    recorded_by: str | None = None,
    rules: HealthRules | None = None,
) -> ImportResult:
    """Check `items` (dicts with customer, date, signal, value, optional source) and store them, all or nothing
    unless `skip_invalid`. Errors carry the item's 0-based index. Refreshes the affected customers' health state
    afterwards (`rules`: the team's health settings; None: the defaults)."""
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
    if refused(result, skip_invalid):
        return result
    result.add(upsert_snapshots(db, team_id, good, now=now, recorded_by=recorded_by))
    result.written = True
    after_snapshots_written(db, team_id, result.changed, now.date(), now=now, rules=rules)
    return result
