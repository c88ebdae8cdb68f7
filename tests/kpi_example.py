"""The README's worked KPI example (section "KPIs"): five customers, their ARR movements and four NPS answers
around November 2026. Tests seed it and check the figures the README computes by hand."""

from datetime import UTC, date, datetime
from decimal import Decimal

from bot.models import Customer, NpsResponse
from bot.services import ledger
from bot.text import normalize_key

TEAM = "T111"
NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
CUSTOMERS = (  # name, segment, owner
    ("Acme", "Enterprise", "U_CSM"),
    ("Birch", "Enterprise", "U_CSM2"),
    ("Cedar", "SMB", "U_CSM"),
    ("Delta", "SMB", "U_CSM2"),
    ("Elm", "SMB", "U_CSM"),
)
MOVEMENTS = (  # customer, kind, USD, day
    ("Acme", "new", 100, "2026-01-10"),
    ("Birch", "new", 200, "2026-02-01"),
    ("Cedar", "new", 300, "2026-03-01"),
    ("Delta", "new", 100, "2026-05-01"),
    ("Delta", "churn", 100, "2026-11-03"),
    ("Birch", "contraction", 50, "2026-11-05"),
    ("Elm", "new", 400, "2026-11-10"),
    ("Acme", "expansion", 50, "2026-11-15"),
    ("Cedar", "churn", 300, "2026-11-20"),
    ("Delta", "reactivation", 120, "2026-11-25"),
)
ANSWERS = (  # customer, respondent, score, day
    ("Acme", "tom@acme.example", 10, "2026-11-02"),
    ("Acme", "jane@acme.example", 9, "2026-11-04"),
    ("Birch", "kim@birch.example", 8, "2026-11-12"),
    ("Acme", "tom@acme.example", 6, "2026-11-20"),
    ("Delta", "lee@delta.example", 10, "2026-11-26"),
)


def seed(sessions, team: str = TEAM) -> dict[str, int]:
    """Write the example for `team`; returns the customers' ids by name."""
    ids = {}
    with sessions.begin() as db:
        for name, segment, owner in CUSTOMERS:
            c = Customer(team_id=team, name=name, name_key=normalize_key(name), segment=segment, owner_user_id=owner)
            db.add(c)
            db.flush()
            ids[name] = c.id
        for n, (name, kind, amount, day) in enumerate(MOVEMENTS):
            ledger.record(
                db, team, ids[name], kind, Decimal(amount), "USD", date.fromisoformat(day),
                source="csv", ref=f"readme:{n}", by=None, now=NOW,
            )  # fmt: skip
        for name, who, score, day in ANSWERS:
            db.add(
                NpsResponse(team_id=team, customer_id=ids[name], respondent=who, score=score,
                            responded_on=date.fromisoformat(day), source="csv")
            )  # fmt: skip
    return ids
