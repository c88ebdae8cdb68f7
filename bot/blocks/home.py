"""Block Kit for App Home: a person's book and what waits for them, with the quick actions and the help."""

import json

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    ExternalDataSelectElement,
    HeaderBlock,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.blocks import kit
from bot.blocks.customer import BAND_EMOJI, band_label
from bot.blocks.kit import mrkdwn, plain, points, section
from bot.i18n import format_date, t, t_count
from bot.money import format_amount_short
from bot.text import escape_mrkdwn, truncate
from bot.viewdata import home as vh

START_HANDOFF = "home_start_handoff"  # opens the handoff form
LOG_VOC = "home_log_voc"  # opens the Log VoC form
LOOKUP = "home_lookup"  # external select: the picked customer's card arrives in the DM with Baton
OPEN_CARD = "home_open_card"  # value {"c": customer id}: the card in the DM with Baton
PROMISE_DONE = "home_promise_done"  # value: the promise id
LINK = "home_link"  # a link button (the handoff card): Slack still sends the click, acked and ignored
FILL = "handoff_fill"  # the CRM draft's Fill handoff (bot/blocks/handoff.py), value: the handoff id
ACTIONS_BLOCK = "home_actions"
MAX_VIEW_BLOCKS = 100
SECTION_KEYS = {  # each section's heading, and its words in the one line the empty sections fold into
    "at_risk": ("home.at_risk.title", "home.at_risk.none"),
    "renewals": ("home.renewals.title", "home.renewals.none"),
    "promises": ("home.promises.title", "home.promises.none"),
    "handoffs": ("home.handoffs.title", "home.handoffs.none"),
    "tasks": ("home.tasks.title", "home.tasks.none"),
}
NAME_LIMIT = 100


def _name(name: str) -> str:
    return f"*{escape_mrkdwn(truncate(name, NAME_LIMIT))}*"


def _card_button(customer_id: int, locale: str) -> ButtonElement:
    value = kit.button_value(json.dumps({"c": customer_id}, separators=(",", ":")))
    return ButtonElement(text=plain(t(locale, "home.button.card")), action_id=OPEN_CARD, value=value)


def _money(c: vh.BookCustomer, locale: str) -> str | None:
    return format_amount_short(c.arr, c.currency, locale) if c.arr is not None and c.currency else None


def _renews(days: int | None, locale: str) -> str | None:
    if days is None or days < 0:
        return None
    if days == 0:
        return t(locale, "home.renews.today")
    return t_count(locale, "home.renews.in", days, days=days)


def _dot(*parts: str | None) -> str:
    return " · ".join(p for p in parts if p)


def _customer_row(c: vh.BookCustomer, locale: str, *, band_first: bool) -> Block:
    health = None
    if c.band and c.score is not None:
        health = f"{BAND_EMOJI.get(c.band, '⚪')} {band_label(c.band, locale)} {points(c.score)}"
    when = _renews(c.days_to_renewal, locale)
    bits = (health, _money(c, locale), when) if band_first else (when, health, _money(c, locale))
    return SectionBlock(text=mrkdwn(_dot(_name(c.name), *bits)), accessory=_card_button(c.customer_id, locale))


def _more(total: int, shown: int, locale: str) -> list[Block]:
    if total <= shown:
        return []
    return [ContextBlock(elements=[mrkdwn(t(locale, "home.more", count=f"{total - shown:,}"))])]


def _head(key: str, total: int, locale: str) -> Block:
    return section(t(locale, key, count=f"{total:,}"))


def _promise_row(p: vh.OpenPromise, locale: str) -> Block:
    due = None
    if p.due_date is not None:
        due = (
            t_count(
                locale,
                "home.promise.overdue",
                p.days_overdue,
                date=format_date(p.due_date, locale),
                days=p.days_overdue,
            )
            if p.days_overdue
            else t(locale, "home.promise.due", date=format_date(p.due_date, locale))
        )
    text = _dot(_name(p.customer), f"“{escape_mrkdwn(truncate(p.text, 300))}”", due)
    button = ButtonElement(
        text=plain(t(locale, "home.button.done")), action_id=PROMISE_DONE, value=str(p.promise_id), style="primary"
    )
    return SectionBlock(text=mrkdwn(text), accessory=button)


def _handoff_row(h: vh.WaitingHandoff, locale: str) -> Block:
    since = format_date(h.since, locale)
    if h.why == "fill":
        text = _dot(_name(h.customer), t(locale, "home.handoff.fill", date=since))
        button = ButtonElement(text=plain(t(locale, "home.button.fill")), action_id=FILL, value=str(h.handoff_id))
    else:
        text = _dot(_name(h.customer), t(locale, "home.handoff.accept", date=since))
        if h.url is None:
            return section(text)
        button = ButtonElement(text=plain(t(locale, "home.button.open_card")), url=h.url, action_id=LINK)
    return SectionBlock(text=mrkdwn(text), accessory=button)


def _task_row(task: vh.Task, locale: str) -> Block:
    late = t_count(
        locale, "home.task.late", task.days_overdue, days=task.days_overdue, date=format_date(task.due_date, locale)
    )
    return section(_dot(_name(task.customer), escape_mrkdwn(truncate(task.milestone, 200)), late))


def home_view(home: vh.Home, locale: str) -> View:
    """The Home tab: quick actions, then each non-empty section with its count (ten rows at most, the rest
    counted), the empty ones folded into one line, then the help."""
    blocks: list[Block] = [
        HeaderBlock(text=plain(t(locale, "home.header"), 150)),
        ContextBlock(elements=[mrkdwn(t(locale, "home.today", date=format_date(home.today, locale)))]),
        ActionsBlock(
            block_id=ACTIONS_BLOCK,
            elements=[
                ButtonElement(
                    text=plain(t(locale, "home.button.handoff")), action_id=START_HANDOFF, value="new", style="primary"
                ),
                ButtonElement(text=plain(t(locale, "home.button.voc")), action_id=LOG_VOC, value="new"),
                ExternalDataSelectElement(
                    action_id=LOOKUP, placeholder=plain(t(locale, "home.lookup"), 150), min_query_length=1
                ),
            ],
        ),
        DividerBlock(),
    ]
    empty: list[str] = []
    drawers = {
        "at_risk": lambda r: _customer_row(r, locale, band_first=True),
        "renewals": lambda r: _customer_row(r, locale, band_first=False),
        "promises": lambda r: _promise_row(r, locale),
        "handoffs": lambda r: _handoff_row(r, locale),
        "tasks": lambda r: _task_row(r, locale),
    }
    for name, draw in drawers.items():
        title, none = SECTION_KEYS[name]
        rows, total = getattr(home, name)[: vh.MAX_ROWS], home.total(name)
        if not total:
            empty.append(t(locale, none))
            continue
        blocks.append(_head(title, total, locale))
        blocks.extend(draw(r) for r in rows)
        blocks.extend(_more(total, len(rows), locale))
    if empty:
        blocks.append(ContextBlock(elements=[mrkdwn("✅ " + " · ".join(empty))]))
    if home.admin:
        lines = [f"• {escape_mrkdwn(k)}: {escape_mrkdwn(truncate(v, 200))}" for k, v in home.admin]
        blocks += [DividerBlock(), section(t(locale, "home.admin.title") + "\n" + "\n".join(lines))]
    blocks += [DividerBlock(), section(t(locale, "help.text"))]
    return View(type="home", blocks=blocks[:MAX_VIEW_BLOCKS])
