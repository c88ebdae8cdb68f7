"""Block Kit for the cross-team meeting reminder: the agenda posted the day before the meeting.

Pure builder: data in (bot/viewdata/meeting.py's Agenda), dict blocks out (the schedule engine stores them as
JSON). The agenda takes every row the data has and caps each section itself ("…and N more"), so 500 at-risk
customers with 255-character Korean names still make one message within Slack's limits (50 blocks, section
text 3,000, header 150, button 75). Sections with nothing in them are not drawn: one context line at the end
names them ("Nothing to discuss: renewals · overdue promises"). Accounts needing action this week lead their
section under the digest's ⚡ heading. Mixed-currency totals read as one with the team's rates (`Agenda.fx`).
Its rows' Open card buttons are the reminders' own.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from decimal import Decimal

from slack_sdk.models.blocks import Block, ContextBlock, DividerBlock, HeaderBlock, SectionBlock

from bot.blocks import reminders as rb
from bot.blocks.kit import SECTION_LIMIT, mrkdwn, plain, points, section
from bot.blocks.nudges import _dicts, _link, _name, plural
from bot.i18n import format_date, format_time, t
from bot.money import combined_short, format_amount_short
from bot.text import escape_mrkdwn, truncate
from bot.viewdata.meeting import (
    MAX_THEMES,
    Agenda,
    FlaggedItem,
    HandoffItem,
    PromiseItem,
    RenewalItem,
    RiskItem,
    TaskItem,
    ThemeItem,
)

HEADER_LIMIT = 150
TITLE_LIMIT = 100  # a roadmap item's title in a line
PROMISE_LIMIT = 200  # a promise's text in a line
REASON_LIMIT = 200  # a bad-fit reason in a line
# How many rows each agenda section shows (button rows take one block each; list rows share one section).
MAX_AT_RISK = 8
MAX_RENEWALS = 8
MAX_TASKS = 5
MAX_HANDOFFS = 10
MAX_FLAGGED = 10
MAX_PROMISES = 10
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


# --- small helpers ---------------------------------------------------------------------------------------


def _mention(user: str | None, locale: str) -> str:
    return f"<@{user}>" if user else t(locale, "nudges.meeting.no_owner")


def _amount(arr: Decimal | None, currency: str | None, locale: str) -> str | None:
    return format_amount_short(arr, currency or "", locale).strip() if arr is not None else None


def _combined(sums: Iterable[tuple[str, Decimal]], locale: str, fx) -> str:
    """Per-currency sums as one: with the team's rates `≈ $1.1M ($240K + ₩1.2B)`, else `$240K + ₩1.2B`."""
    return combined_short(dict(sums), locale, fx, sep=" + ")


def _totals(amounts: Iterable[tuple[Decimal | None, str | None]], locale: str, fx=None) -> str:
    """Sum per currency, largest first: `$1.2M + ₩300M` (one total first with the team's rates, as the digest:
    `≈ $1.4M ($1.2M + ₩300M)`); `—` when nothing has an amount."""
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for arr, currency in amounts:
        if arr is not None:
            sums[currency or ""] += arr
    ordered = sorted(sums.items(), key=lambda kv: (-kv[1], kv[0]))
    return _combined(ordered, locale, fx) or "—"


# --- the agenda ----------------------------------------------------------------------------------------------


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
        f"{_band(item.band, locale)} ({points(item.score)})",
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


def _flagged_line(item: FlaggedItem, locale: str) -> str:
    flagged = t(
        locale,
        "nudges.meeting.flagged_by",
        date=format_date(item.flagged, locale),
        user=f"<@{item.flagged_by}>" if item.flagged_by else t(locale, "common.unknown"),
        reason=truncate(escape_mrkdwn(" ".join(item.reason.split())), REASON_LIMIT),
    )
    return "• " + _dot(_link(item.url, _name(item.customer)), _amount(item.arr, item.currency, locale), flagged)


def _handoff_line(item: HandoffItem, locale: str) -> str:
    submitted = t(
        locale,
        "nudges.meeting.submitted",
        date=format_date(item.submitted, locale),
        ae=f"<@{item.ae}>" if item.ae else t(locale, "common.unknown"),
    )
    return "• " + _dot(_link(item.url, _name(item.customer)), _amount(item.arr, item.currency, locale), submitted)


def _theme_line(item: ThemeItem, locale: str, fx=None) -> str:
    arr = _combined(item.arr, locale, fx) or None
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
    heads: dict[int, str] | None = None,
) -> list[Block | dict]:
    """Title, then one section per row (its line and an Open card button), then "…and N more". `heads`: text
    that goes before the row at that index (the first one's joins the title's section)."""
    heads = heads or {}
    blocks: list[Block | dict] = [section(f"{title}\n{heads[0]}" if 0 in heads else title)]
    for i, (customer_id, line) in enumerate(rows[:cap]):
        if i and i in heads:
            blocks.append(section(heads[i]))
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


def _risk_rows(agenda: Agenda, locale: str) -> list[Block | dict]:
    """Those needing action this week first under the digest's ⚡ heading, then the others under theirs (no
    headings when none needs action: the list is by ARR, as it always was)."""
    risk = list(agenda.at_risk)
    fx = agenda.fx
    title = t(
        locale,
        "nudges.meeting.at_risk",
        count=len(risk),
        arr=_totals(((r.arr, r.currency) for r in risk), locale, fx),
    )
    urgent = sum(1 for r in risk if r.urgent)
    heads: dict[int, str] = {}
    if urgent:
        heads[0] = t(locale, "nudges.meeting.urgent", count=urgent)
        if len(risk) > urgent:
            heads[urgent] = t(locale, "nudges.meeting.others", count=len(risk) - urgent)
    return _card_rows(
        title,
        [(r.customer_id, _risk_line(r, locale)) for r in risk],
        MAX_AT_RISK,
        locale,
        _totals(((r.arr, r.currency) for r in risk[MAX_AT_RISK:]), locale, fx) if len(risk) > MAX_AT_RISK else None,
        heads,
    )


def _handoffs(agenda: Agenda, locale: str) -> SectionBlock:
    return _list_section(
        t(locale, "nudges.meeting.handoffs", count=len(agenda.handoffs)),
        [_handoff_line(h, locale) for h in agenda.handoffs],
        MAX_HANDOFFS,
        locale,
    )


def _flagged(agenda: Agenda, locale: str) -> SectionBlock:
    return _list_section(
        t(locale, "nudges.meeting.flagged", count=len(agenda.flagged)),
        [_flagged_line(f, locale) for f in agenda.flagged],
        MAX_FLAGGED,
        locale,
    )


def _themes(agenda: Agenda, locale: str) -> SectionBlock:
    theme_count = max(agenda.theme_count, len(agenda.themes))
    return _list_section(
        t(locale, "nudges.meeting.themes", count=theme_count),
        [_theme_line(i, locale, agenda.fx) for i in agenda.themes[:MAX_THEMES]],
        MAX_THEMES,
        locale,
        theme_count,
    )


def _renewal_rows(agenda: Agenda, locale: str) -> list[Block | dict]:
    renewals = list(agenda.renewals)
    amounts = ((r.arr, r.currency) for r in renewals)
    title = t(locale, "nudges.meeting.renewals", count=len(renewals), arr=_totals(amounts, locale, agenda.fx))
    return _card_rows(
        title,
        [(r.customer_id, _renewal_line(r, locale)) for r in renewals],
        MAX_RENEWALS,
        locale,
        _totals(((r.arr, r.currency) for r in renewals[MAX_RENEWALS:]), locale, agenda.fx)
        if len(renewals) > MAX_RENEWALS
        else None,
    )


def _promises(agenda: Agenda, locale: str) -> SectionBlock:
    return _list_section(
        t(locale, "nudges.meeting.promises", count=len(agenda.promises)),
        [_promise_line(p, locale) for p in agenda.promises],
        MAX_PROMISES,
        locale,
    )


def _task_rows(agenda: Agenda, locale: str) -> list[Block | dict]:
    return _card_rows(
        t(locale, "nudges.meeting.tasks", count=len(agenda.tasks)),
        [(task.customer_id, _task_line(task, locale)) for task in agenda.tasks],
        MAX_TASKS,
        locale,
    )


def _header(agenda: Agenda, locale: str, day: str) -> str:
    """`Cross-team meeting today` / `tomorrow` / `on Thu, Mar 12, 2026`, counted from the day it is read."""
    ahead = (agenda.meeting.date() - agenda.today).days if agenda.today else None
    if ahead == 0:
        return t(locale, "nudges.meeting.header.today")
    if ahead == 1:
        return t(locale, "nudges.meeting.header.tomorrow")
    return t(locale, "nudges.meeting.header", day=day)


# Each section in the agenda's order: the view data it draws (empty: folded into the closing line), the name
# the closing line gives it, and its builder.
SECTIONS: tuple[tuple[Callable[[Agenda], Sequence], str, Callable[[Agenda, str], Block | list]], ...] = (
    (lambda a: a.at_risk, "nudges.meeting.empty.at_risk", _risk_rows),
    (lambda a: a.handoffs, "nudges.meeting.empty.handoffs", _handoffs),
    (lambda a: a.flagged, "nudges.meeting.empty.flagged", _flagged),
    (lambda a: a.themes, "nudges.meeting.empty.themes", _themes),
    (lambda a: a.renewals, "nudges.meeting.empty.renewals", _renewal_rows),
    (lambda a: a.promises, "nudges.meeting.empty.promises", _promises),
    (lambda a: a.tasks, "nudges.meeting.empty.tasks", _task_rows),
)


def _counts_text(agenda: Agenda, locale: str, day: str, clock: str) -> str:
    handoffs = plural(locale, "handoffs", len(agenda.handoffs))
    if agenda.flagged:
        flagged = plural(locale, "flagged", len(agenda.flagged))
        handoffs = t(locale, "nudges.meeting.text.flagged", handoffs=handoffs, flagged=flagged)
    return t(
        locale,
        "nudges.meeting.text",
        day=day,
        time=clock,
        at_risk=plural(locale, "at_risk", len(agenda.at_risk)),
        handoffs=handoffs,
        renewals=plural(locale, "renewals", len(agenda.renewals)),
        promises=plural(locale, "promises", len(agenda.promises)),
        tasks=plural(locale, "tasks", len(agenda.tasks)),
    )


def meeting_agenda(agenda: Agenda, locale: str) -> tuple[list[dict], str]:
    """The reminder posted the day before the meeting: when it is, then accounts at risk (those needing action
    this week first), handoffs waiting for acceptance, handoffs flagged as a bad fit, top requests by ARR,
    renewals in 90 days, overdue promises and overdue onboarding tasks, each row linking to its card; the empty
    sections named in one closing line; one message, within 50 blocks whatever the data."""
    day = meeting_day(agenda.meeting.date(), locale)
    clock = format_time(agenda.meeting, locale)
    blocks: list[Block | dict] = [
        HeaderBlock(text=plain(_header(agenda, locale, day), HEADER_LIMIT)),
        ContextBlock(elements=[mrkdwn(t(locale, "nudges.meeting.when", day=day, time=clock, tz=agenda.tz))]),
    ]
    empty: list[str] = []
    for items, name, draw in SECTIONS:
        if not items(agenda):
            empty.append(t(locale, name))
            continue
        drawn = draw(agenda, locale)
        blocks += [DividerBlock(), *(drawn if isinstance(drawn, list) else [drawn])]
    if empty:
        nothing = t(locale, "nudges.meeting.nothing", sections=" · ".join(empty))
        blocks += [DividerBlock(), ContextBlock(elements=[mrkdwn(nothing)])]
    return _dicts(blocks), _counts_text(agenda, locale, day, clock)
