"""A person's App Home: their book (customers they own or sold, at risk or renewing soon), the promises they
owe, the handoffs waiting for them, their overdue onboarding tasks; and Mark done on a promise.

Read when the tab is drawn (bot/renderers/home.py, from the outbox), so it is as current as the data; the
people a change concerns get a redraw queued with it (bot/services/home_refresh.py)."""

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import or_
from sqlmodel import Session, col, select

from bot.config import Settings
from bot.errors import UserError
from bot.models import DRAFT, SUBMITTED, Customer, Handoff, Promise
from bot.services import health_state, kpi, onboarding, team_config
from bot.services.health_config import HealthRules
from bot.services.home_refresh import queue_now, queue_refresh
from bot.services.meeting import main_currency, rank_arr
from bot.viewdata import home as vh
from bot.viewdata.health import AT_RISK, UNHEALTHY
from bot.viewdata.kpi import KpiReport
from bot.viewdata.meeting import card_url

RENEWAL_DAYS = 90
CHURNED = "churned"
DONE = "done"


class PromiseError(UserError):
    """Mark done refused (`home.err.<code>`)."""

    prefix = "home.err."


def _live():
    return or_(col(Customer.stage).is_(None), col(Customer.stage) != CHURNED)


def book(db: Session, team_id: str, user_id: str, today: date, rules: HealthRules) -> vh.Home:
    """Everything `user_id`'s Home tab lists, each section complete in its count and first rows."""
    mine = list(
        db.exec(
            select(Customer).where(
                Customer.team_id == team_id,
                or_(Customer.owner_user_id == user_id, Customer.ae_user_id == user_id),
                _live(),
            )
        )
    )
    scores = health_state.current_scores(db, team_id, [c.id for c in mine], today, rules) if mine else {}
    rank = rank_arr(main_currency(db, team_id))

    def row(c: Customer) -> vh.BookCustomer:
        score, band = scores.get(c.id, (None, None))
        days = (c.renewal_date - today).days if c.renewal_date else None
        return vh.BookCustomer(c.id, c.name, band, score, c.arr, c.currency, c.renewal_date, days)

    at_risk = sorted(
        (c for c in mine if scores.get(c.id, (None, ""))[1] in (AT_RISK, UNHEALTHY)),
        key=lambda c: (*rank(c.arr, c.currency), c.name.casefold(), c.id),
    )
    horizon = today + timedelta(days=RENEWAL_DAYS)
    renewals = sorted(
        (c for c in mine if c.renewal_date is not None and today <= c.renewal_date <= horizon),
        key=lambda c: (c.renewal_date, c.name.casefold(), c.id),
    )
    lists = {
        "at_risk": [row(c) for c in at_risk],
        "renewals": [row(c) for c in renewals],
        "promises": _promises(db, team_id, user_id, today),
        "handoffs": _handoffs(db, team_id, user_id),
        "tasks": [
            vh.Task(task.customer_name, task.milestone, task.due_date, task.days_overdue)
            for task in onboarding.overdue_tasks(db, team_id, today)
            if task.owner_user_id == user_id
        ],
    }
    return vh.Home(
        user_id=user_id,
        today=today,
        **{name: tuple(rows[: vh.MAX_ROWS]) for name, rows in lists.items()},
        totals={name: len(rows) for name, rows in lists.items()},
        arr={"at_risk": _arr_total(at_risk), "renewals": _arr_total(renewals)},
        fx=team_config.fx_rates(db, team_id),
    )


def _arr_total(customers: list[Customer]) -> dict[str, Decimal]:
    """Total ARR per currency (customers with an ARR and a currency), the currency most of them are in first."""
    arr: dict[str, Decimal] = defaultdict(Decimal)
    count: Counter[str] = Counter()
    for c in customers:
        if c.arr is not None and c.currency:
            arr[c.currency] += c.arr
            count[c.currency] += 1
    return {code: arr[code] for code in sorted(arr, key=lambda code: (-count[code], code))}


def admin_settings(db: Session, team_id: str, settings: Settings) -> vh.AdminSettings:
    """The settings an admin's Home tab sums up: the team's as the worker resolves them (a refused stored value
    gives way to its default, and is named), and the environment's; of secrets only whether they are set."""
    cfg = _config(db, team_id, settings)
    return vh.AdminSettings(
        timezone=cfg.raw("timezone"),
        locale=cfg.locale,
        handoff_channel=settings.handoff_channel,
        digest_channels=cfg.channels("digest.channels"),
        digest_schedule=cfg.raw("digest.schedule"),
        reminders_time=cfg.clock("reminders.time"),
        renewal_days=cfg.days("renewal.days"),
        renewal_ae_days=cfg.days("renewal.ae_days"),
        meeting_channel=cfg.optional("meeting.channel"),
        meeting_cadence=cfg.raw("meeting.cadence"),
        meeting_day=cfg.raw("meeting.day"),
        meeting_time=cfg.clock("meeting.time"),
        fx=cfg.fx(),
        hubspot_token=bool(settings.hubspot_access_token),
        hubspot_webhooks=bool(settings.hubspot_client_secret),
        crm_webhook=bool(settings.webhook_secret),
        health_config=settings.health_config,
        roadmap_channel=settings.roadmap_channel,
        refused=tuple(sorted(team_config.refused(team_config.stored(db, team_id)))),
    )


def _config(db: Session, team_id: str, settings: Settings) -> team_config.TeamConfig:
    defaults = team_config.Defaults(
        timezone=settings.timezone, locale=settings.default_locale, handoff_channel=settings.handoff_channel
    )
    return team_config.load(db, team_id, defaults)


def is_lead(db: Session, team_id: str, user_id: str, settings: Settings) -> bool:
    """Whether the team setting `kpi.leads` names this person (workspace admins see the KPIs too)."""
    return user_id in _config(db, team_id, settings).channels("kpi.leads")


def team_kpis(db: Session, team_id: str, settings: Settings, now: datetime) -> KpiReport:
    """Last month's KPIs of the whole team against the month before (what the monthly post shows), the month
    being the team's, as /kpi's."""
    cfg = _config(db, team_id, settings)
    today = cfg.today(now)
    return kpi.report(db, team_id, kpi.last_month(today), today, margin=kpi.gross_margin(cfg))


def _promises(db: Session, team_id: str, user_id: str, today: date) -> list[vh.OpenPromise]:
    """Open promises the person owes: their own, and those without an owner of customers they own."""
    rows = db.exec(
        select(Promise, Customer.name)
        .join(Customer, col(Customer.id) == Promise.customer_id)
        .where(
            Promise.team_id == team_id,
            Promise.status == "open",
            or_(
                Promise.owner_user_id == user_id,
                (col(Promise.owner_user_id).is_(None)) & (Customer.owner_user_id == user_id),
            ),
            _live(),
        )
        .order_by(col(Promise.due_date).is_(None), col(Promise.due_date), col(Promise.id))
    )
    return [
        vh.OpenPromise(p.id, name, p.text, p.due_date, max((today - p.due_date).days, 0) if p.due_date else 0)
        for p, name in rows
    ]


def _handoffs(db: Session, team_id: str, user_id: str) -> list[vh.WaitingHandoff]:
    """Handoffs waiting for the person: CRM drafts of theirs to fill, submitted ones naming them as the CSM."""
    rows = db.exec(
        select(Handoff)
        .where(
            Handoff.team_id == team_id,
            or_(
                (Handoff.status == DRAFT) & (Handoff.ae_user_id == user_id),
                (Handoff.status == SUBMITTED) & (Handoff.csm_user_id == user_id),
            ),
        )
        .order_by(col(Handoff.created_at), col(Handoff.id))
    )
    return [
        vh.WaitingHandoff(
            h.id,
            h.customer_name or h.crm_deal_name or "—",
            "fill" if h.status == DRAFT else "accept",
            (h.submitted_at or h.created_at).date(),
            card_url(h.card_channel, h.card_ts),
        )
        for h in rows
    ]


def mark_promise_done(
    db: Session, team_id: str, promise_id: int, user_id: str, *, now: datetime, redraw_now: bool = False
) -> bool:
    """Mark a promise kept: by its owner, or the customer's owner or AE. False when it was done already (a
    double click). PromiseError("gone") for a promise that is not the team's, ("not_yours") for anyone else.
    The people whose Home lists it get a redraw (the clicker's at once with `redraw_now`, a click on their own
    Home tab); its overdue reminders stop (they are for open promises)."""
    found = db.exec(
        select(Promise, Customer)
        .join(Customer, col(Customer.id) == Promise.customer_id)
        .where(Promise.id == promise_id, Promise.team_id == team_id)
        .with_for_update()
    ).first()
    if found is None:
        raise PromiseError("gone")
    promise, customer = found
    if user_id not in {promise.owner_user_id, customer.owner_user_id, customer.ae_user_id}:
        raise PromiseError("not_yours")
    if promise.status == DONE:
        return False
    promise.status, promise.done_by, promise.done_at = DONE, user_id, now
    db.add(promise)
    debounced = {user_id, promise.owner_user_id, customer.owner_user_id}
    if redraw_now:  # the clicker's own Home tab: at once, and not again when the window ends
        debounced.discard(user_id)
        queue_now(db, team_id, user_id, f"done:{promise_id}", now=now)
    queue_refresh(db, team_id, debounced, now=now)
    return True
