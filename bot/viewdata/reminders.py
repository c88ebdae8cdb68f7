"""What a reminder shows (bot/services/renewals.py and bot/services/onboarding.py produce it, bot/blocks/reminders.py
draws it): the customer's state in a renewal reminder, the task and its milestones in an onboarding one."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from bot.viewdata.customer import CsmRating


@dataclass(frozen=True)
class RenewalState:
    """What a renewal reminder shows about the customer."""

    customer_id: int
    name: str
    renewal_date: date
    days_left: int
    arr: Decimal | None
    currency: str | None
    owner_user_id: str | None
    ae_user_id: str | None
    score: float | None
    band: str | None
    delta_30d: float | None
    open_promises: int
    overdue_promises: int
    voc_quote: str | None = None
    voc_on: date | None = None
    rating: CsmRating | None = None  # the CSM's own latest rating (Rate health on the card), with its note


@dataclass(frozen=True)
class TaskView:
    """One milestone as a reminder shows it."""

    milestone: str
    due_date: date
    done: bool


@dataclass(frozen=True)
class OnboardingState:
    """What an onboarding reminder shows: the task, its customer and the handoff's other milestones."""

    task_id: int
    customer_id: int
    customer_name: str
    milestone: str
    due_date: date
    days_overdue: int
    accepted_on: date | None
    success_criteria: str | None
    milestones: tuple[TaskView, ...]
