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
    urgent: bool = False  # needs action this week, as in the digest: worse this week, or renews within 90 days


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
class FlaggedItem:
    """A handoff waiting for acceptance that a CSM flagged as a bad fit: it waits for a decision, not a CSM."""

    handoff_id: int
    customer: str
    arr: Decimal | None
    currency: str | None
    flagged_by: str | None
    flagged: date  # the team's local date of the flag
    reason: str
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
    at_risk: Sequence[RiskItem] = ()  # those needing action this week first, by ARR; then the others, by ARR
    handoffs: Sequence[HandoffItem] = ()  # waiting for a CSM (not flagged), longest waiting first
    themes: Sequence[ThemeItem] = ()  # by ARR
    renewals: Sequence[RenewalItem] = ()  # soonest first
    promises: Sequence[PromiseItem] = ()  # longest overdue first
    tasks: Sequence[TaskItem] = ()  # longest overdue first
    theme_count: int = field(default=0)  # open items with any customer behind them (themes holds the top ones)
    flagged: Sequence[FlaggedItem] = ()  # submitted handoffs flagged as a bad fit, earliest flag first
    # The team's exchange rates (team setting fx.rates), as Digest.fx: the main currency and (code, rate) pairs,
    # so mixed-currency totals read as one; None: listed per currency.
    fx: tuple[str, tuple[tuple[str, str], ...]] | None = None
