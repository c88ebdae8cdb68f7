"""What the weekly digest shows (bot/services/digest.py builds it, bot/blocks/digest.py draws it): the customers
At risk or Unhealthy, the week's band crossings and the overdue onboarding milestones."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

SCORE_WINDOW_DAYS = 30  # a stored score older than this is too old to report as "current"
# The most customers a digest shows: 10 in the channel message and ten thread replies of 100 (bot/blocks/digest.py).
# All the others are counted in the totals, not drawn, so the service builds lines only for these.
MAX_LINES = 1_010


@dataclass
class OverdueTask:
    """An open onboarding milestone past its due date (the digest and the meeting agenda list these)."""

    customer_id: int
    customer_name: str
    milestone: str  # kickoff, activation, training
    due_date: date
    owner_user_id: str | None  # the customer's owner CSM, else the handoff's CSM
    days_overdue: int


@dataclass(frozen=True)
class Driver:
    """The signal pulling the score down most: its canonical name and latest value."""

    signal: str
    value: float


@dataclass(frozen=True)
class Line:
    """One customer in the digest."""

    customer_id: int
    name: str
    band: str  # at_risk or unhealthy
    score: float
    change: float | None  # since the score a week before (None: no score then)
    driver: Driver | None
    owner_user_id: str | None
    owner_email: str | None
    arr: Decimal | None
    currency: str | None
    days_to_renewal: int | None
    urgent: bool = False  # needs action this week: got worse this week, or renews within 90 days
    owner_name: str | None = None  # the owner's Slack display name, when Baton knows it (rows name, not mention)
    last_touch: date | None = None  # the day of the latest touch logged from the card (Log a touch)


@dataclass(frozen=True)
class Crossing:
    """A customer whose band at the end of the week differs from the band before it (net of wobbles)."""

    customer_id: int
    name: str
    before: str
    after: str
    day: date  # the last crossing of the week


@dataclass(frozen=True)
class Digest:
    """Everything one digest shows; `lines` those needing action this week first (by ARR), then worst first
    (Unhealthy, then At risk; lowest score first), at most
    MAX_LINES of them; `counts`, `arr_at_risk` and `without_arr` are over every customer At risk or worse."""

    day: date
    week: str  # ISO week of `day`, e.g. 2026-W48
    scored: int  # customers with a current score
    lines: tuple[Line, ...]
    counts: dict[str, int]  # band -> customers
    arr_at_risk: dict[str, Decimal]  # currency -> ARR of the customers At risk or worse (most customers first)
    without_arr: int  # of those, customers with no ARR or no currency
    newly_at_risk: tuple[Crossing, ...] = ()
    worsened: tuple[Crossing, ...] = ()  # At risk -> Unhealthy
    recovered: tuple[Crossing, ...] = ()
    overdue: tuple[OverdueTask, ...] = ()
    crossings: tuple[Crossing, ...] = field(default=(), repr=False)  # every net crossing (for tests and logs)
    urgent: int = 0  # of the customers At risk or worse, how many need action this week (listed first)
    urgent_by_band: dict[str, int] = field(default_factory=dict)  # band -> of those, how many
    # The team's exchange rates (team setting fx.rates): the main currency and (code, rate) pairs, so the ARR at
    # risk in several currencies reads as one total; None: listed per currency.
    fx: tuple[str, tuple[tuple[str, str], ...]] | None = None
    owners: tuple[tuple[str, int], ...] = ()  # (Slack user id, customers listed) of the lines' owners, most first
    touches: bool = False  # the team logs touches: a line without one says so

    @property
    def total(self) -> int:
        """Customers At risk or worse (the lines are the first MAX_LINES of them)."""
        return sum(self.counts.values())

    @property
    def empty(self) -> bool:
        return not self.lines
