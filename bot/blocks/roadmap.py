"""Block Kit for the roadmap: the item's parent message with its live tally, the VoC posts in its thread, the
ship DM, the ranked list, and the modals (new item from a message, tag a note to an item).

Pure builders: data in, blocks out. Whatever the data (150-character titles, 12,000-character quotes, 500
customers, Korean text), every message stays within Slack's limits: at most 50 blocks, section text 3,000,
fields 10 x 2,000, header 150, button text 75, static select 100 options of 75 characters, modal title 24,
private_metadata 3,000.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from pydantic import BaseModel
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.blocks import kit
from bot.blocks.kit import SECTION_LIMIT
from bot.blocks.kit import mrkdwn as _mrkdwn
from bot.blocks.kit import plain as _plain
from bot.blocks.kit import section as _section
from bot.i18n import format_date, t
from bot.models import RoadmapItem
from bot.models.voc import IMPORTANCES, STATUSES
from bot.money import combined_short, format_amount, fx_total
from bot.text import escape_mrkdwn, truncate
from bot.viewdata.roadmap import MAX_TITLE, Fx, LinkedNote, RankedItem, Tally

# --- ids (one place; a test checks each action id has a listener) -----------------------------------
ITEM_MODAL = "roadmap_item_submit"  # new item from a message (the Make roadmap item shortcut)
TAG_MODAL = "roadmap_tag_submit"  # pick the item a VoC note supports
INFO_MODAL = "roadmap_info"  # read-only answers (created, tagged, nothing to tag); never submitted
TAG = "voc_tag"  # "Tag to roadmap" on a VoC note (the VoC feature draws it; value: the note id)
UNTAG = "roadmap_untag"  # on each VoC post in an item's thread
SET_PLANNED = "roadmap_status_planned"
SET_IN_PROGRESS = "roadmap_status_in_progress"
SET_SHIPPED = "roadmap_status_shipped"
STATUS_ACTIONS = {"planned": SET_PLANNED, "in_progress": SET_IN_PROGRESS, "shipped": SET_SHIPPED}
TITLE_BLOCK = "title"
DESCRIPTION_BLOCK = "description"
ITEM_BLOCK = "item"
VALUE = "value"  # action id of every input element; the block id names the field
LINK_BLOCK_PREFIX = "roadmap_link_"  # + link id: the block of a VoC post's Untag button (found again by it)

FIELD_LIMIT = 2000
MAX_BLOCKS = 50
MAX_OPTIONS = 100
MAX_DESCRIPTION = 3000  # what the modal's description input takes
TOP_QUOTE = 500  # characters of each top quote on the parent message
LIST_ITEMS = 40  # items shown by /roadmap (the rest are counted)
MAX_REPORTERS = 10
STATUS_EMOJI = {"planned": "🗓️", "in_progress": "🚧", "shipped": "🚀"}
# Where each status can move with one click: planned -> in progress -> shipped, and back.
MOVES: dict[str, tuple[str, ...]] = {
    "planned": ("in_progress",),
    "in_progress": ("shipped", "planned"),
    "shipped": ("in_progress",),
}
_PERMALINK_RE = re.compile(r"https://[A-Za-z0-9.-]+\.slack\.com/archives/[A-Z0-9]+/p\d+(?:\?[^\s<>|]*)?")


def _key(*parts: str) -> str:
    """A catalog key built from parts (`roadmap.status.shipped`); every such key is checked by the tests."""
    return ".".join(("roadmap", *parts))


class ItemFormMeta(BaseModel):
    """What the Make roadmap item modal carries: the message it is made from."""

    locale: str = "en"
    channel: str
    ts: str

    def dump(self) -> str:
        return kit.metadata(self.model_dump_json())


class TagMeta(BaseModel):
    """What the Tag to roadmap modal carries: the note to tag."""

    voc_id: int
    locale: str = "en"

    def dump(self) -> str:
        return kit.metadata(self.model_dump_json())


class UntagRef(BaseModel):
    """What an Untag button carries: the tag, and who made it (they may undo it)."""

    voc_id: int
    item_id: int
    tagged_by: str

    def dump(self) -> str:
        return kit.button_value(self.model_dump_json())


def _one_line(text: str) -> str:
    return " ".join((text or "").split())


def status_label(status: str, locale: str) -> str:
    """The status in the reader's language; an unknown one as stored."""
    if status in STATUSES:
        return t(locale, _key("status", status))
    return escape_mrkdwn(truncate(status, 50))


def error_text(locale: str, code: str, params: dict) -> str:
    """A RoadmapError as the user reads it (`roadmap.err.<code>`)."""
    return t(locale, _key("err", code), **params)


def importance_label(importance: str, locale: str) -> str:
    if importance in IMPORTANCES:
        return t(locale, _key("importance", importance))
    return escape_mrkdwn(truncate(importance, 50))


def amount(value: Decimal | None, currency: str | None, locale: str) -> str | None:
    """An ARR as people read it (`$120,000`, `₩1억 5,000만`); None when unknown."""
    if value is None:
        return None
    return format_amount(value, currency or "", locale).strip()


def _totals(arr: Sequence[tuple[str, Decimal]], locale: str, fx: Fx | None = None) -> str:
    """ARR per currency, `$120,000 + ₩1억 5,000만`; with the team's rates for all of them, one total first,
    `≈ $228K ($120K + ₩150M)` (as the digest writes it)."""
    amounts = dict(arr)
    if len(amounts) > 1 and fx_total(amounts, fx) is not None:
        return combined_short(amounts, locale, fx)
    return " + ".join(amount(total, currency, locale) or "" for currency, total in arr) or "—"


def thread_link(domain: str | None, channel: str | None, ts: str | None) -> str | None:
    """The permalink of a message, built the way Slack builds them (`/archives/C123/p1700000000123456`)."""
    if not domain or not channel or not ts or not re.fullmatch(r"[a-z0-9-]+", domain):
        return None
    return f"https://{domain}.slack.com/archives/{channel}/p{ts.replace('.', '')}"


def _link(url: str | None, label: str) -> str:
    """`<url|label>` for a Slack permalink; the label alone for anything else (never a forged link)."""
    if url and _PERMALINK_RE.fullmatch(url):
        return f"<{url}|{label}>"
    return label


def _fit(lines: Sequence[str], locale: str, budget: int) -> tuple[str, int]:
    """As many whole lines as fit in `budget` characters, with "…and N more" for the rest; and how many fit."""
    kept: list[str] = []
    used = 0
    for i, line in enumerate(lines):
        rest = len(lines) - i - 1
        tail = len(t(locale, "common.and_more", count=rest)) + 1 if rest else 0
        if used + len(line) + 1 + tail > budget:
            kept.append(t(locale, "common.and_more", count=len(lines) - i))
            return "\n".join(kept), i
        kept.append(line)
        used += len(line) + 1
    return "\n".join(kept), len(lines)


# --- the parent message -----------------------------------------------------------------------------


def _field(locale: str, key: str, value: str) -> MarkdownTextObject:
    return MarkdownTextObject(text=truncate(f"*{t(locale, key)}*\n{value}", FIELD_LIMIT))


def _top_quote(note: LinkedNote, locale: str) -> str:
    quote = truncate(escape_mrkdwn(_one_line(note.quote)), TOP_QUOTE)  # escaped first: the cut counts entities
    line = f"> “{quote}” — *{truncate(escape_mrkdwn(note.customer), 100)}*"
    arr = amount(note.arr, note.currency, locale)
    return line + (f" · {arr}" if arr else "")


def status_buttons(item_id: int, status: str, locale: str) -> ActionsBlock:
    """The one-click moves from `status` (Planned → In progress → Shipped, and back)."""
    current = status if status in MOVES else "planned"
    buttons = [
        ButtonElement(
            text=_plain(t(locale, _key("move", current, target))),
            action_id=STATUS_ACTIONS[target],
            value=str(item_id),
            style="primary" if target == "shipped" else None,
        )
        for target in MOVES[current]
    ]
    return ActionsBlock(block_id=f"roadmap_status_{item_id}", elements=buttons)


def parent_message(item: RoadmapItem, tally: Tally, locale: str) -> tuple[list[Block], str]:
    """The item's message in the roadmap channel: title, status, the live tally, the top quotes and the status
    buttons. Its thread collects the VoC behind it."""
    emoji = STATUS_EMOJI.get(item.status, "🗺️")
    status = status_label(item.status, locale)
    if item.status == "shipped" and item.shipped_at:
        status += " · " + format_date(item.shipped_at.date(), locale)
    health = t(locale, _key("parent", "health_value"), at_risk=tally.at_risk, unhealthy=tally.unhealthy)
    blocks: list[Block] = [
        HeaderBlock(text=_plain(f"{emoji} {item.title}", 150)),
        SectionBlock(
            fields=[
                _field(locale, _key("parent", "status"), status),
                _field(locale, _key("parent", "customers"), f"{tally.customers:,}"),
                _field(locale, _key("parent", "arr"), _totals(tally.arr, locale, tally.fx)),
                _field(locale, _key("parent", "renewing"), f"{tally.renewing:,}"),
                _field(locale, _key("parent", "health"), health),
                _field(locale, _key("parent", "notes"), f"{tally.notes:,}"),
            ]
        ),
    ]
    if item.description:
        blocks.append(_section(truncate(escape_mrkdwn(item.description), 1000)))
    if tally.top:
        head = f"*{t(locale, _key('parent', 'quotes'))}*"
        blocks.append(_section("\n".join([head, *(_top_quote(n, locale) for n in tally.top)])))
    else:
        blocks.append(ContextBlock(elements=[_mrkdwn(t(locale, _key("parent", "empty")))]))
    blocks.append(DividerBlock())
    blocks.append(ContextBlock(elements=[_mrkdwn(t(locale, _key("parent", "footer"), user=f"<@{item.created_by}>"))]))
    blocks.append(status_buttons(item.id, item.status, locale))
    text = t(locale, _key("parent", "text"), title=escape_mrkdwn(item.title), status=status_label(item.status, locale))
    return blocks, truncate(text, 3000)


# --- a VoC note's post in the item's thread ---------------------------------------------------------


@dataclass(frozen=True)
class VocPost:
    """What the thread post of one tagged note shows (read by the caller)."""

    link_id: int
    voc_id: int
    item_id: int
    customer: str
    arr: Decimal | None
    currency: str | None
    quote: str
    importance: str
    reporters: Sequence[str]
    tagged_by: str
    permalink: str | None


def _users(user_ids: Sequence[str], locale: str) -> str:
    shown = [f"<@{u}>" for u in user_ids[:MAX_REPORTERS]]
    if len(user_ids) > MAX_REPORTERS:
        shown.append(t(locale, "common.and_more", count=len(user_ids) - MAX_REPORTERS))
    return ", ".join(shown) or t(locale, "common.unknown")


def voc_post(post: VocPost, locale: str) -> tuple[list[Block], str]:
    """The note in the item's thread: customer, ARR, importance, the quote, who logged and tagged it, a link to
    the source message, and Untag."""
    bits = [f"🗣 *{escape_mrkdwn(truncate(post.customer, 255))}*"]
    arr = amount(post.arr, post.currency, locale)
    if arr:
        bits.append(t(locale, _key("post", "arr"), amount=arr))
    bits.append(importance_label(post.importance, locale))
    head = " · ".join(bits)
    quoted = ">" + escape_mrkdwn(post.quote.strip()).replace("\n", "\n>")
    body = f"{head}\n" + truncate(quoted, SECTION_LIMIT - len(head) - 1)
    about = [
        t(locale, _key("post", "logged_by"), users=_users(post.reporters, locale)),
        t(locale, _key("post", "tagged_by"), user=f"<@{post.tagged_by}>"),
    ]
    if post.permalink and _PERMALINK_RE.fullmatch(post.permalink):
        about.append(_link(post.permalink, t(locale, _key("post", "source"))))
    ref = UntagRef(voc_id=post.voc_id, item_id=post.item_id, tagged_by=post.tagged_by)
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=body)),
        ContextBlock(elements=[_mrkdwn(" · ".join(about))]),
        ActionsBlock(
            block_id=f"{LINK_BLOCK_PREFIX}{post.link_id}",
            elements=[ButtonElement(text=_plain(t(locale, _key("post", "untag"))), action_id=UNTAG, value=ref.dump())],
        ),
    ]
    text = t(
        locale,
        _key("post", "text"),
        customer=escape_mrkdwn(truncate(post.customer, 255)),
        quote=escape_mrkdwn(truncate(_one_line(post.quote), 300)),
    )
    return blocks, text


# --- the DM to a customer's owner when the item ships -----------------------------------------------


def shipped_dm(title: str, notes: Sequence[LinkedNote], link: str | None, locale: str) -> tuple[list[Block], str]:
    """Tells an owner the item shipped, with each of their customers who asked and what they said, so they can
    close the loop."""
    by_customer: dict[int, list[LinkedNote]] = {}
    for n in notes:
        by_customer.setdefault(n.customer_id, []).append(n)
    lines = []
    for group in by_customer.values():
        first = group[0]
        name = f"*{truncate(escape_mrkdwn(first.customer), 100)}*"
        arr = amount(first.arr, first.currency, locale)
        quotes = " · ".join(f"“{truncate(escape_mrkdwn(_one_line(n.quote)), 200)}”" for n in group[:3])
        more = f" {t(locale, 'common.and_more', count=len(group) - 3)}" if len(group) > 3 else ""
        lines.append(f"• {name}" + (f" ({arr})" if arr else "") + f": {quotes}{more}")
    head = t(locale, _key("shipped", "head"), title=escape_mrkdwn(title))
    blocks: list[Block] = [_section(head)]
    # One section per 3,000 characters of customers, up to the 50-block cap; the rest are counted.
    rest = lines
    while rest:
        chunk, used = _fit(rest, locale, SECTION_LIMIT)
        if used == len(rest) or len(blocks) >= MAX_BLOCKS - 2:  # keep a block for the context line
            blocks.append(_section(chunk))
            break
        blocks.append(_section("\n".join(rest[:used])))
        rest = rest[used:]
    thread = _link(link, t(locale, _key("shipped", "thread_link")))
    blocks.append(ContextBlock(elements=[_mrkdwn(t(locale, _key("shipped", "thread"), link=thread))]))
    text = t(locale, _key("shipped", "text"), title=escape_mrkdwn(title), count=len(by_customer))
    return blocks, truncate(text, 3000)


# --- /roadmap ---------------------------------------------------------------------------------------


def usage_message(locale: str, channel: str | None) -> tuple[list[Block], str]:
    where = f"<#{channel}>" if channel else t(locale, _key("channel_unset"))
    return [_section(t(locale, _key("usage"), channel=where))], t(locale, _key("usage_text"))


def ranked_list(ranked: Sequence[RankedItem], locale: str, domain: str | None) -> tuple[list[Block], str]:
    """Open items, weightiest first: title (a link to its thread), status, customers asking and their ARR."""
    if not ranked:
        return [_section(t(locale, _key("list", "empty")))], t(locale, _key("list", "text"))
    blocks: list[Block] = [_section(f"*{t(locale, _key('list', 'head'))}*")]
    for r in ranked[:LIST_ITEMS]:
        item = r.item
        title = escape_mrkdwn(item.title)
        url = thread_link(domain, item.channel, item.ts)
        name = f"*{_link(url, title)}*" if url else f"*{title}*"
        facts = t(
            locale,
            _key("list", "line"),
            status=status_label(item.status, locale),
            customers=f"{r.customers:,}",
            arr=_totals(r.arr, locale, r.fx),
        )
        blocks.append(_section(f"{STATUS_EMOJI.get(item.status, '')} {name}\n{facts}"))
    if len(ranked) > LIST_ITEMS:
        blocks.append(ContextBlock(elements=[_mrkdwn(t(locale, "common.and_more", count=len(ranked) - LIST_ITEMS))]))
    return blocks, t(locale, _key("list", "text"))


# --- modals -----------------------------------------------------------------------------------------


def info_modal(locale: str, text: str) -> View:
    """A read-only answer in a modal (the item was created, the note was tagged, there is nothing to tag)."""
    return View(
        type="modal",
        callback_id=INFO_MODAL,
        title=_plain(t(locale, _key("modal", "title")), 24),
        close=_plain(t(locale, _key("modal", "close")), 24),
        blocks=[_section(text)],
    )


def first_line(text: str) -> str:
    """The title a message suggests: its first non-empty line, at most MAX_TITLE characters."""
    for line in (text or "").splitlines():
        line = _one_line(line)
        if line:
            return truncate(line, MAX_TITLE)
    return ""


def item_modal(locale: str, meta: ItemFormMeta, text: str, author: str | None) -> View:
    """New roadmap item from a message: the title (prefilled with its first line) and the description."""
    intro = t(
        locale,
        _key("item", "intro"),
        author=f"<@{author}>" if author else t(locale, "common.unknown"),
        channel=f"<#{meta.channel}>",
    )
    return View(
        type="modal",
        callback_id=ITEM_MODAL,
        title=_plain(t(locale, _key("item", "title")), 24),
        submit=_plain(t(locale, _key("item", "submit")), 24),
        close=_plain(t(locale, "common.cancel"), 24),
        private_metadata=meta.dump(),
        blocks=[
            ContextBlock(elements=[_mrkdwn(intro)]),
            InputBlock(
                block_id=TITLE_BLOCK,
                label=_plain(t(locale, _key("item", "name")), 2000),
                hint=_plain(t(locale, _key("item", "name_hint"), max=MAX_TITLE), 2000),
                element=PlainTextInputElement(
                    action_id=VALUE, max_length=MAX_TITLE, initial_value=first_line(text) or None
                ),
            ),
            InputBlock(
                block_id=DESCRIPTION_BLOCK,
                label=_plain(t(locale, _key("item", "description")), 2000),
                optional=True,
                element=PlainTextInputElement(
                    action_id=VALUE,
                    multiline=True,
                    max_length=MAX_DESCRIPTION,
                    initial_value=truncate((text or "").strip(), MAX_DESCRIPTION) or None,
                ),
            ),
        ],
    )


@dataclass(frozen=True)
class OpenItem:
    id: int
    title: str
    status: str


def tag_modal(locale: str, meta: TagMeta, customer: str, quote: str, items: Sequence[OpenItem]) -> View:
    """Pick the open item a VoC note supports (a static select: at most 100 options)."""
    intro = t(locale, _key("tag", "intro"), customer=escape_mrkdwn(truncate(customer, 255)))
    quoted = truncate(">" + escape_mrkdwn(quote.strip()).replace("\n", "\n>"), 1500)
    options = [
        Option(value=str(i.id), text=_plain(f"{STATUS_EMOJI.get(i.status, '')} {_one_line(i.title)}".strip()))
        for i in items[:MAX_OPTIONS]
    ]
    blocks: list[Block] = [
        _section(f"{intro}\n{quoted}"),
        InputBlock(
            block_id=ITEM_BLOCK,
            label=_plain(t(locale, _key("tag", "label")), 2000),
            element=StaticSelectElement(
                action_id=VALUE, placeholder=_plain(t(locale, _key("tag", "placeholder"))), options=options
            ),
        ),
    ]
    if len(items) >= MAX_OPTIONS:
        blocks.append(ContextBlock(elements=[_mrkdwn(t(locale, _key("tag", "newest"), count=MAX_OPTIONS))]))
    return View(
        type="modal",
        callback_id=TAG_MODAL,
        title=_plain(t(locale, _key("tag", "title")), 24),
        submit=_plain(t(locale, _key("tag", "submit")), 24),
        close=_plain(t(locale, "common.cancel"), 24),
        private_metadata=meta.dump(),
        blocks=blocks,
    )
