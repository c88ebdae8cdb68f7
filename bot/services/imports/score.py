"""After an import: the affected customers' daily scores recomputed from their new snapshots."""

from collections.abc import Sequence
from datetime import date, datetime

from sqlmodel import Session

from bot.services.health import record_daily_scores
from bot.services.health_config import load_health_rules


def after_snapshots_written(
    db: Session, team_id: str, customer_ids: Sequence[int], today: date, *, now: datetime
) -> None:
    """Recompute the affected customers' daily score for `today` (default health rules) after snapshots changed."""
    if customer_ids:
        record_daily_scores(db, team_id, list(customer_ids), today, load_health_rules(None), now=now)
