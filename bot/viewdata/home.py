"""What a person's App Home shows (bot/services/home.py reads it, bot/blocks/home.py draws it)."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal

from bot.viewdata.kpi import KpiReport

MAX_ROWS = 10  # per section; the rest is counted
Fx = tuple[str, tuple[tuple[str, str], ...]]  # the team's fx.rates: main currency, (code, rate) pairs


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
class AdminSettings:
    """What an admin's Home tab sums up of Baton's settings: the team's (`python -m bot config`, already
    resolved to their defaults) and the environment's. Secrets only as whether they are set, never their value."""

    timezone: str
    locale: str  # of channel posts
    handoff_channel: str | None  # BATON_HANDOFF_CHANNEL
    digest_channels: tuple[str, ...]  # none: no digest
    digest_schedule: str  # crontab, in the team's time zone
    reminders_time: time
    renewal_days: tuple[int, ...]
    renewal_ae_days: tuple[int, ...]
    meeting_channel: str | None  # none: no meeting reminder
    meeting_cadence: str  # biweekly | monthly
    meeting_day: str  # mon .. sun
    meeting_time: time
    fx: Fx | None
    hubspot_token: bool  # HUBSPOT_ACCESS_TOKEN set
    hubspot_webhooks: bool  # HUBSPOT_CLIENT_SECRET set (HubSpot's webhooks are verified)
    crm_webhook: bool  # BATON_WEBHOOK_SECRET set (POST /webhooks/deal-closed from other CRMs)
    health_config: str | None  # BATON_HEALTH_CONFIG, the TOML file; None: the built-in settings
    roadmap_channel: str | None  # BATON_ROADMAP_CHANNEL
    refused: tuple[str, ...] = ()  # keys whose stored value is refused now (their default is used)


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
    # Total ARR per currency of every customer of a section ("at_risk", "renewals"), not only the rows shown.
    arr: Mapping[str, Mapping[str, Decimal]] = field(default_factory=dict)
    fx: Fx | None = None  # the team's rates: mixed-currency ARR then reads as one total (≈ $1.1M ($240K + ₩1.2B))
    admin: AdminSettings | None = None  # for workspace admins and owners only
    kpis: KpiReport | None = None  # last month's KPIs, for team leads (kpi.leads) and workspace admins

    def total(self, name: str) -> int:
        return self.totals.get(name, len(getattr(self, name)))
