"""After an import: the affected customers' health state refreshed from the earliest day their snapshots changed."""

from collections.abc import Mapping
from datetime import date, datetime

from sqlmodel import Session

from bot.services import health_state
from bot.services.health_config import HealthRules


def after_snapshots_written(
    db: Session,
    team_id: str,
    changed: Mapping[int, date],
    today: date,
    *,
    now: datetime,
    rules: HealthRules | None = None,
) -> None:
    """Refresh the health state of the customers in `changed` ({customer id: earliest date written}) after their
    snapshots changed, in the caller's transaction (`rules`: the team's health settings; None: the defaults)."""
    if changed:
        health_state.refresh(db, team_id, changed, today, rules or HealthRules(), now=now)
