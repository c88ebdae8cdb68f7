"""What a person's App Home shows (bot/services/home.py reads it, bot/blocks/home.py draws it)."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

MAX_ROWS = 10  # per section; the rest is counted


@dataclass(frozen=True)
class BookCustomer:
    """A customer of the person's book: at risk (band, score) or renewing soon (days)."""

    customer_id: int
    name: str
    band: str | None
    score: float | None
    arr: Decimal | None
    currency: str | None
    renewal_date: date | None
    days_to_renewal: int | None


@dataclass(frozen=True)
class OpenPromise:
    promise_id: int
    customer: str
    text: str
    due_date: date | None
    days_overdue: int


@dataclass(frozen=True)
class WaitingHandoff:
    handoff_id: int
    customer: str
    why: str  # "fill" (a CRM draft of theirs) | "accept" (submitted naming them as CSM)
    since: date
    url: str | None  # the card, once posted


@dataclass(frozen=True)
class Task:
    customer: str
    milestone: str
    due_date: date
    days_overdue: int


@dataclass(frozen=True)
class Home:
    """Each list holds its first MAX_ROWS rows, in order; `totals` how many there are in all (default: the rows)."""

    user_id: str
    today: date
    at_risk: Sequence[BookCustomer] = ()  # by ARR, largest first
    renewals: Sequence[BookCustomer] = ()  # within 90 days, soonest first
    promises: Sequence[OpenPromise] = ()  # overdue first, then by due date
    handoffs: Sequence[WaitingHandoff] = ()  # longest waiting first
    tasks: Sequence[Task] = ()  # longest overdue first
    totals: Mapping[str, int] = field(default_factory=dict)
    admin: Sequence[tuple[str, str]] = ()  # (setting, value) for admins

    def total(self, name: str) -> int:
        return self.totals.get(name, len(getattr(self, name)))
