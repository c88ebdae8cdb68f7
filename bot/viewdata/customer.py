"""What the customer feature's services hand to builders: the card's CustomerStatus (with its promises, handoff
and VoC notes), and the limits of the rating modal."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from bot.viewdata.health import CustomerHealth

RATING_MIN, RATING_MAX = 1, 5
NOTE_MAX = 1000
TOUCH_KINDS = ("call", "meeting", "email", "note")  # Log a touch's choices, in the form's order
TOUCH_NOTE_MAX = 1000


@dataclass(frozen=True)
class VocNote:
    """A piece of the customer's voice (feedback, feature request) with where and when it was heard."""

    text: str
    source: str | None
    heard_on: date | None
    voc_id: int | None = None  # the stored note (None: nothing to open in full)
    category: str | None = None
    importance: str | None = None
    items: tuple[tuple[str, str], ...] = ()  # roadmap items it is tagged to: (title, status)


@dataclass(frozen=True)
class PromiseItem:
    text: str
    owner_user_id: str | None
    owner_name: str | None
    due_date: date | None
    overdue: bool
    promise_id: int = 0  # 0: not one the card can mark done (no id given)


@dataclass(frozen=True)
class HandoffSummary:
    handoff_id: int
    status: str
    why_bought: str | None
    business_goals: str | None
    success_criteria: str | None


@dataclass(frozen=True)
class CsmRating:
    """The CSM's own latest rating of the customer (Rate health), with its note."""

    rating: int  # 1-5
    note: str | None
    by: str | None  # Slack user id
    as_of: date


@dataclass(frozen=True)
class TouchItem:
    """A touch a CSM logged (Log a touch on the card): what kind, what happened, who, and on which day."""

    kind: str  # one of TOUCH_KINDS
    note: str
    by: str  # Slack user id
    on: date


@dataclass(frozen=True)
class CustomerStatus:
    customer_id: int
    name: str
    stage: str
    segment: str | None
    owner_user_id: str | None
    owner_email: str | None
    ae_user_id: str | None
    ae_email: str | None
    arr: Decimal | None
    currency: str | None
    renewal_date: date | None
    days_to_renewal: int | None
    health: CustomerHealth | None  # None when the health service failed (the card says so)
    handoff: HandoffSummary | None
    promises: tuple[PromiseItem, ...]  # open ones, overdue first, at most MAX_PROMISES
    open_promises: int
    overdue_promises: int
    voc: tuple[VocNote, ...]
    redact: frozenset[str]  # card fields hidden when the card is shared in a channel
    today: date
    rating: CsmRating | None = None
    crm_source: str | None = None  # where the customer's record is (hubspot, salesforce, ...) and its id there
    crm_id: str | None = None
    touches: tuple[TouchItem, ...] = ()  # the latest logged touches, newest first
