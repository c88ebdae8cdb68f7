"""What the roadmap service hands to builders: the notes tagged to an item, its tally, the ranked items; and the
title limit the service checks and the modal shows."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

MAX_TITLE = 150
Fx = tuple[str, tuple[tuple[str, str], ...]]  # the team's fx.rates: main currency, (code, rate) pairs


@dataclass(frozen=True)
class ItemSummary:
    """What a list of items shows of one (and sorts it by)."""

    id: int
    title: str
    status: str
    channel: str | None
    ts: str | None  # the parent message (its thread holds the item's VoC)
    created_at: datetime


@dataclass(frozen=True)
class LinkedNote:
    voc_id: int
    quote: str
    importance: str
    category: str
    customer_id: int
    customer: str
    arr: Decimal | None
    currency: str | None
    renewal_date: date | None
    owner_user_id: str | None
    created_at: datetime


@dataclass(frozen=True)
class Tally:
    notes: int
    customers: int
    arr: tuple[tuple[str, Decimal], ...]  # total ARR per currency, largest first; customers counted once
    renewing: int  # customers renewing within 90 days
    at_risk: int
    unhealthy: int
    top: tuple[LinkedNote, ...]  # the weightiest quotes: importance, then customer ARR, then newest
    fx: Fx | None = None  # the team's rates: mixed-currency ARR then reads as one total (≈ $1.1M ($240K + ₩1.2B))


@dataclass(frozen=True)
class RankedItem:
    item: ItemSummary
    customers: int
    arr: tuple[tuple[str, Decimal], ...]
    weight: Decimal  # ARR in the default currency; with fx, in the main currency, the others it has a rate for added
    fx: Fx | None = None  # the team's rates, as in Tally
