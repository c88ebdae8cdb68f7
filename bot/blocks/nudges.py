"""Block Kit for nudges (a handoff draft left open, a handoff nobody accepted, a promise past its due date) and
for the cross-team meeting reminder with its agenda.

Pure builders: data in, dict blocks out (the schedule engine stores them as JSON). The agenda takes every row
the data has and caps each section itself ("…and N more"), so 500 at-risk customers with 255-character Korean
names still make one message within Slack's limits (50 blocks, section text 3,000, header 150, button 75).
No new action ids: the buttons are the handoff's own (Fill handoff, Accept) and the reminders' shared ones
(Open card, Mark done, the mute menu), each handled where it is defined.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    SectionBlock,
)

from bot.blocks import handoff as hb
from bot.blocks import reminders as rb
from bot.blocks.kit import SECTION_LIMIT, mrkdwn, plain, section
from bot.i18n import format_date, t
from bot.money import format_amount_short
from bot.text import escape_mrkdwn, truncate

MAX_BLOCKS = 50
HEADER_LIMIT = 150
NAME_LIMIT = 80  # a customer name in a line
TITLE_LIMIT = 100  # a roadmap item's title in a line
PROMISE_LIMIT = 200  # a promise's text in a line
# How many rows each agenda section shows (button rows take one block each; list rows share one section).
MAX_AT_RISK = 8
MAX_RENEWALS = 8
MAX_TASKS = 5
MAX_HANDOFFS = 10
MAX_THEMES = 5
MAX_PROMISES = 10
ACCEPT_BLOCK = "nudge_accept"
# Catalog keys spelled out (not built with f-strings) so the catalog test sees each one.
WEEKDAY_KEYS = (
    "nudges.weekday.mon",
    "nudges.weekday.tue",
    "nudges.weekday.wed",
    "nudges.weekday.thu",
    "nudges.weekday.fri",
    "nudges.weekday.sat",
    "nudges.weekday.sun",
)
MILESTONE_KEYS = {
    "kickoff": "nudges.milestone.kickoff",
    "activation": "nudges.milestone.activation",
    "training": "nudges.milestone.training",
}
BAND_KEYS = {
    "healthy": "customer.band.healthy",
    "at_risk": "customer.band.at_risk",
    "unhealthy": "customer.band.unhealthy",
}
PLURALS = {
    "hours": ("nudges.hours.one", "nudges.hours.other"),
    "days": ("nudges.days.one", "nudges.days.other"),
    "bdays": ("nudges.bdays.one", "nudges.bdays.other"),
    "customers": ("nudges.meeting.customers.one", "nudges.meeting.customers.other"),
}


# --- small helpers ---------------------------------------------------------------------------------------


def _name(text: str | None, limit: int = NAME_LIMIT) -> str:
    return truncate(escape_mrkdwn(text or "—"), limit)


def _mention(user: str | None, locale: str) -> str:
    return f"<@{user}>" if user else t(locale, "nudges.meeting.no_owner")


def _link(url: str | None, label: str) -> str:
    """`<url|label>` (label already escaped); the label alone when there is nothing to link to."""
    return f"<{url}|{label}>" if url else label


def _amount(arr: Decimal | None, currency: str | None, locale: str) -> str | None:
    return format_amount_short(arr, currency or "", locale).strip() if arr is not None else None


def _totals(amounts: Iterable[tuple[Decimal | None, str | None]], locale: str) -> str:
    """Sum per currency, largest first: `$1.2M + ₩300M`; `—` when nothing has an amount."""
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for arr, currency in amounts:
        if arr is not None:
            sums[currency or ""] += arr
    ordered = sorted(sums.items(), key=lambda kv: (-kv[1], kv[0]))
    return " + ".join(format_amount_short(v, c, locale).strip() for c, v in ordered) or "—"


def plural(locale: str, unit: str, n: int) -> str:
    """`1 day` / `3 days`: `unit` is hours, days, bdays (business days) or customers."""
    one, other = PLURALS[unit]
    return t(locale, one) if n == 1 else t(locale, other, n=n)


def age_text(hours: float, locale: str) -> str:
    """How long ago, in whole hours under two days and whole days after."""
    whole = max(0, int(hours))
    return plural(locale, "hours", whole) if whole < 48 else plural(locale, "days", whole // 24)


def card_url(channel: str | None, ts: str | None) -> str | None:
    """The link to a message Slack resolves for any member: `https://slack.com/archives/C123/p1700000000123456`."""
    if not channel or not ts:
        return None
    return f"https://slack.com/archives/{channel}/p{ts.replace('.', '')}"


def _dicts(blocks: Sequence[Block | dict]) -> list[dict]:
    out = [b if isinstance(b, dict) else b.to_dict() for b in blocks]
    if len(out) > MAX_BLOCKS:
        raise ValueError(f"{len(out)} blocks: over Slack's {MAX_BLOCKS}")
    return out


def _fill_button(locale: str, handoff_id: int) -> ButtonElement:
    return ButtonElement(
        text=plain(t(locale, "handoff.fill.button")), action_id=hb.FILL, value=str(handoff_id), style="primary"
    )


# --- nudges ------------------------------------------------------------------------------------------------


def draft_nudge(
    locale: str,
    *,
    key: str,
    kind: str,
    handoff_id: int,
    customer_id: int | None,
    customer: str,
    deal: str | None,
    amount: str | None,
    age: str,
    ae: str | None = None,
    to_lead: bool = False,
) -> tuple[list[dict], str]:
    """The DM about a handoff draft still not submitted: to the AE, or (`to_lead`) to the sales lead naming the
    AE; the Fill handoff button opens the same form as the fill request, and the menu mutes or pauses."""
    params = {
        "customer": _name(customer),
        "deal": _name(deal or customer),
        "amount": escape_mrkdwn(amount) if amount else "—",  # drawn by the caller; may carry a CRM currency
        "age": escape_mrkdwn(age),
    }
    if to_lead:
        text = t(locale, "nudges.draft.lead", ae=f"<@{ae}>" if ae else t(locale, "nudges.draft.no_ae"), **params)
    else:
        text = t(locale, "nudges.draft.ae", **params)
    blocks = [
        SectionBlock(text=mrkdwn(text), accessory=_fill_button(locale, handoff_id)),
        rb.controls(key, locale, customer_id=customer_id, kind=kind),
    ]
    return _dicts(blocks), truncate(text, SECTION_LIMIT)


def accept_nudge(
    locale: str,
    *,
    handoff_id: int,
    customer: str,
    amount: str | None,
    ae: str | None,
    submitted: date,
    age: str,
    url: str | None,
) -> tuple[list[dict], str]:
    """The CS channel post about a handoff nobody accepted: a link to its card and the card's own Accept button
    (the first click wins, as on the card; later clicks are told who accepted it)."""
    text = t(
        locale,
        "nudges.accept.text",
        customer=_name(customer),
        amount=escape_mrkdwn(amount) if amount else "—",
        ae=f"<@{ae}>" if ae else t(locale, "common.unknown"),
        date=format_date(submitted, locale),
        age=escape_mrkdwn(age),
    )
    body = text + (f"\n{_link(url, t(locale, 'nudges.accept.card'))}" if url else "")
    blocks = [
        section(body),
        ActionsBlock(
            block_id=f"{ACCEPT_BLOCK}:{handoff_id}",
            elements=[
                ButtonElement(
                    text=plain(t(locale, "handoff.card.accept")),
                    action_id=hb.ACCEPT,
                    value=str(handoff_id),
                    style="primary",
                )
            ],
        ),
    ]
    return _dicts(blocks), truncate(text, SECTION_LIMIT)


def promise_nudge(
    locale: str,
    *,
    key: str,
    kind: str,
    customer_id: int | None,
    customer: str,
    promise: str,
    due: date,
    days_overdue: int,
    url: str | None,
    as_owner: bool,
) -> tuple[list[dict], str]:
    """The DM to a promise's owner once it is past its due date: the promise, a link to the handoff card it
    came from, Open card (the customer's card lists its promises) and the mute menu. No Mark done: nothing in
    Baton marks a promise done yet (the reminders' Done button completes onboarding tasks only)."""
    text = t(
        locale,
        "nudges.promise.text",
        customer=_name(customer),
        promise=truncate(escape_mrkdwn(promise), 1500),
        due=format_date(due, locale),
        age=plural(locale, "days", days_overdue),
    )
    body = text + (f"\n{_link(url, t(locale, 'nudges.promise.card'))}" if url else "")
    head = SectionBlock(text=mrkdwn(body))
    if customer_id is not None:
        head = SectionBlock(text=mrkdwn(body), accessory=rb.open_card_button(customer_id, locale))
    blocks: list[Block | dict] = [head]
    if as_owner:
        blocks.append(ContextBlock(elements=[mrkdwn(t(locale, "nudges.promise.as_owner"))]))
    blocks.append(rb.controls(key, locale, customer_id=customer_id, kind=kind))
    return _dicts(blocks), truncate(text, SECTION_LIMIT)


# --- the meeting agenda --------------------------------------------------------------------------------------


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
    at_risk: Sequence[RiskItem] = ()  # by ARR
    handoffs: Sequence[HandoffItem] = ()  # longest waiting first
    themes: Sequence[ThemeItem] = ()  # by ARR
    renewals: Sequence[RenewalItem] = ()  # soonest first
    promises: Sequence[PromiseItem] = ()  # longest overdue first
    tasks: Sequence[TaskItem] = ()  # longest overdue first
    theme_count: int = field(default=0)  # open items with any customer behind them (themes holds the top ones)


def meeting_day(day: date, locale: str) -> str:
    """`Thu, Mar 12, 2026` / `2026년 3월 12일 (목)`."""
    weekday = t(locale, WEEKDAY_KEYS[day.weekday()])
    return t(locale, "nudges.meeting.day", weekday=weekday, date=format_date(day, locale))


def _band(band: str | None, locale: str) -> str | None:
    return t(locale, BAND_KEYS[band]) if band in BAND_KEYS else band


def _dot(*parts: str | None) -> str:
    return " · ".join(p for p in parts if p)


def _risk_line(item: RiskItem, locale: str) -> str:
    renews = None
    if item.renewal_date:
        renews = t(locale, "nudges.meeting.renews", date=format_date(item.renewal_date, locale))
    return _dot(
        f"*{_name(item.name)}*",
        f"{_band(item.band, locale)} ({item.score:.0f})",
        _amount(item.arr, item.currency, locale),
        renews,
        _mention(item.owner, locale),
    )


def _renewal_line(item: RenewalItem, locale: str) -> str:
    when = format_date(item.renewal_date, locale)
    when = (
        t(locale, "nudges.meeting.today", date=when)
        if item.days <= 0
        else t(locale, "nudges.meeting.in_days", date=when, age=plural(locale, "days", item.days))
    )
    return _dot(
        f"*{_name(item.name)}*",
        when,
        _amount(item.arr, item.currency, locale),
        _band(item.band, locale),
        _mention(item.owner, locale),
    )


def _task_line(item: TaskItem, locale: str) -> str:
    overdue = t(
        locale,
        "nudges.meeting.overdue",
        date=format_date(item.due_date, locale),
        age=plural(locale, "days", item.days_overdue),
    )
    milestone = t(locale, MILESTONE_KEYS[item.milestone]) if item.milestone in MILESTONE_KEYS else item.milestone
    return _dot(f"*{_name(item.customer)}*", _name(milestone), overdue, _mention(item.owner, locale))


def _handoff_line(item: HandoffItem, locale: str) -> str:
    submitted = t(
        locale,
        "nudges.meeting.submitted",
        date=format_date(item.submitted, locale),
        ae=f"<@{item.ae}>" if item.ae else t(locale, "common.unknown"),
    )
    return "• " + _dot(_link(item.url, _name(item.customer)), _amount(item.arr, item.currency, locale), submitted)


def _theme_line(item: ThemeItem, locale: str) -> str:
    arr = " + ".join(format_amount_short(v, c, locale).strip() for c, v in item.arr) or None
    return "• " + _dot(
        _link(item.url, f"*{_name(item.title, TITLE_LIMIT)}*"),
        plural(locale, "customers", item.customers),
        arr,
        t(locale, "nudges.meeting.theme_at_risk", n=item.at_risk) if item.at_risk else None,
        t(locale, "nudges.meeting.theme_renewing", n=item.renewing) if item.renewing else None,
    )


def _promise_line(item: PromiseItem, locale: str) -> str:
    due = t(
        locale,
        "nudges.meeting.due",
        date=format_date(item.due_date, locale),
        age=plural(locale, "days", item.days_overdue),
    )
    quote = truncate(escape_mrkdwn(item.text), PROMISE_LIMIT)
    return "• " + _dot(f"{_link(item.url, _name(item.customer))}: “{quote}”", _mention(item.owner, locale), due)


def _list_section(title: str, lines: Sequence[str], cap: int, locale: str, total: int | None = None) -> SectionBlock:
    """Title and up to `cap` lines in one section; the rest of `total` (default: the lines), including lines
    that do not fit 3,000 characters, is counted in "…and N more" (every line is short, so several fit)."""
    total = len(lines) if total is None else total
    if not lines:
        return section(f"{title}\n{t(locale, 'nudges.meeting.none')}")
    shown: list[str] = []
    reserve = len(t(locale, "nudges.meeting.more", count=10**6)) + 2
    size = len(title)
    for line in lines[:cap]:
        if size + 1 + len(line) + reserve > SECTION_LIMIT:
            break
        shown.append(line)
        size += 1 + len(line)
    text = "\n".join([title, *shown])
    if total > len(shown):
        text += "\n" + t(locale, "nudges.meeting.more", count=total - len(shown))
    return section(text)


def _card_rows(
    title: str,
    rows: Sequence[tuple[int, str]],
    cap: int,
    locale: str,
    more_arr: str | None = None,
) -> list[Block | dict]:
    """Title, then one section per row (its line and an Open card button), then "…and N more"."""
    if not rows:
        return [section(f"{title}\n{t(locale, 'nudges.meeting.none')}")]
    blocks: list[Block | dict] = [section(title)]
    for customer_id, line in rows[:cap]:
        blocks.append(SectionBlock(text=mrkdwn(line), accessory=rb.open_card_button(customer_id, locale)))
    rest = len(rows) - min(cap, len(rows))
    if rest:
        more = (
            t(locale, "nudges.meeting.more_arr", count=rest, arr=more_arr)
            if more_arr
            else t(locale, "nudges.meeting.more", count=rest)
        )
        blocks.append(ContextBlock(elements=[mrkdwn(more)]))
    return blocks


def meeting_agenda(agenda: Agenda, locale: str) -> tuple[list[dict], str]:
    """The reminder posted the day before the meeting: when it is, then accounts at risk, handoffs waiting
    for acceptance, top requests by ARR, renewals in 90 days, overdue promises and overdue onboarding tasks,
    each row linking to its card; one message, within 50 blocks whatever the data."""
    day = meeting_day(agenda.meeting.date(), locale)
    clock = agenda.meeting.strftime("%H:%M")
    blocks: list[Block | dict] = [
        HeaderBlock(text=plain(t(locale, "nudges.meeting.header"), HEADER_LIMIT)),
        ContextBlock(elements=[mrkdwn(t(locale, "nudges.meeting.when", day=day, time=clock, tz=agenda.tz))]),
        DividerBlock(),
    ]
    risk = list(agenda.at_risk)
    risk_title = t(
        locale,
        "nudges.meeting.at_risk",
        count=len(risk),
        arr=_totals(((r.arr, r.currency) for r in risk), locale),
    )
    blocks += _card_rows(
        risk_title,
        [(r.customer_id, _risk_line(r, locale)) for r in risk],
        MAX_AT_RISK,
        locale,
        _totals(((r.arr, r.currency) for r in risk[MAX_AT_RISK:]), locale) if len(risk) > MAX_AT_RISK else None,
    )
    blocks.append(DividerBlock())
    blocks.append(
        _list_section(
            t(locale, "nudges.meeting.handoffs", count=len(agenda.handoffs)),
            [_handoff_line(h, locale) for h in agenda.handoffs],
            MAX_HANDOFFS,
            locale,
        )
    )
    blocks.append(DividerBlock())
    theme_count = max(agenda.theme_count, len(agenda.themes))
    blocks.append(
        _list_section(
            t(locale, "nudges.meeting.themes", count=theme_count),
            [_theme_line(i, locale) for i in agenda.themes[:MAX_THEMES]],
            MAX_THEMES,
            locale,
            theme_count,
        )
    )
    blocks.append(DividerBlock())
    renewals = list(agenda.renewals)
    renew_title = t(
        locale,
        "nudges.meeting.renewals",
        count=len(renewals),
        arr=_totals(((r.arr, r.currency) for r in renewals), locale),
    )
    blocks += _card_rows(
        renew_title,
        [(r.customer_id, _renewal_line(r, locale)) for r in renewals],
        MAX_RENEWALS,
        locale,
        _totals(((r.arr, r.currency) for r in renewals[MAX_RENEWALS:]), locale)
        if len(renewals) > MAX_RENEWALS
        else None,
    )
    blocks.append(DividerBlock())
    blocks.append(
        _list_section(
            t(locale, "nudges.meeting.promises", count=len(agenda.promises)),
            [_promise_line(p, locale) for p in agenda.promises],
            MAX_PROMISES,
            locale,
        )
    )
    blocks.append(DividerBlock())
    blocks += _card_rows(
        t(locale, "nudges.meeting.tasks", count=len(agenda.tasks)),
        [(task.customer_id, _task_line(task, locale)) for task in agenda.tasks],
        MAX_TASKS,
        locale,
    )
    text = t(
        locale,
        "nudges.meeting.text",
        day=day,
        time=clock,
        at_risk=len(risk),
        handoffs=len(agenda.handoffs),
        renewals=len(renewals),
        promises=len(agenda.promises),
        tasks=len(agenda.tasks),
    )
    return _dicts(blocks), text
