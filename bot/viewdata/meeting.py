"""What the meeting agenda lists (bot/services/meeting.py reads it, bot/blocks/meeting.py draws it)."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

MAX_THEMES = 5  # top requests the agenda lists (the service reads no more than these)


def card_url(channel: str | None, ts: str | None) -> str | None:
    """The link to a message Slack resolves for any member: `https://slack.com/archives/C123/p1700000000123456`."""
    if not channel or not ts:
        return None
    return f"https://slack.com/archives/{channel}/p{ts.replace('.', '')}"


@dataclass(frozen=True)
class RiskItem:
    customer_id: int
    name: str
    band: str  # at_risk | unhealthy
    score: float
    arr: Decimal | None
    currency: str | None
    renewal_date: date | None
    owner: str | None


@dataclass(frozen=True)
class HandoffItem:
    handoff_id: int
    customer: str
    arr: Decimal | None
    currency: str | None
    ae: str | None
    submitted: date
    url: str | None  # the card


@dataclass(frozen=True)
class ThemeItem:
    title: str
    customers: int
    arr: tuple[tuple[str, Decimal], ...]  # per currency, largest first
    at_risk: int  # at risk or unhealthy
    renewing: int
    url: str | None  # the item's parent message


@dataclass(frozen=True)
class RenewalItem:
    customer_id: int
    name: str
    renewal_date: date
    days: int
    arr: Decimal | None
    currency: str | None
    band: str | None
    owner: str | None


@dataclass(frozen=True)
class PromiseItem:
    customer: str
    text: str
    owner: str | None
    due_date: date
    days_overdue: int
    url: str | None  # the handoff card the promise is on


@dataclass(frozen=True)
class TaskItem:
    customer_id: int
    customer: str
    milestone: str
    due_date: date
    days_overdue: int
    owner: str | None


@dataclass(frozen=True)
class Agenda:
    """Everything the agenda lists, each list complete and in order (the builder caps what it shows)."""

    meeting: datetime  # local, in the team's zone
    tz: str
    today: date | None = None  # the team's local date the agenda was read on (the header says today/tomorrow)
    at_risk: Sequence[RiskItem] = ()  # by ARR
    handoffs: Sequence[HandoffItem] = ()  # longest waiting first
    themes: Sequence[ThemeItem] = ()  # by ARR
    renewals: Sequence[RenewalItem] = ()  # soonest first
    promises: Sequence[PromiseItem] = ()  # longest overdue first
    tasks: Sequence[TaskItem] = ()  # longest overdue first
    theme_count: int = field(default=0)  # open items with any customer behind them (themes holds the top ones)
