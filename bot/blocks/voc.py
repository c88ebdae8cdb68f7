"""Block Kit for capturing the voice of the customer: the Log as VoC modal, its confirmation, the `/voc` answers,
the reaction prompt and the full-note modal.

Pure builders: data in, blocks out. A quote is the customer's words, up to 12,000 characters of anything: it is
escaped and cut in messages (section text 3,000, 50 blocks), prefilled into the modal's input (3,000 at most;
the full text waits in a VocDraft, see `prefill`) and split into sections in the full-note modal (100 blocks).
"""

import hashlib
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    ExternalDataSelectElement,
    HeaderBlock,
    InputBlock,
    Option,
    PlainTextInputElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.blocks import customer as cb
from bot.blocks import kit
from bot.blocks.kit import SECTION_LIMIT
from bot.blocks.kit import mrkdwn as _mrkdwn
from bot.blocks.kit import plain as _plain
from bot.blocks.kit import section as _section
from bot.i18n import format_date, t
from bot.models.voc import CATEGORIES, IMPORTANCES
from bot.text import ZWJ, clean_quote, escape_mrkdwn, truncate
from bot.viewdata.customer import VocNote
from bot.viewdata.lookup import Match
from bot.viewdata.voc import DEFAULT_IMPORTANCE, MAX_AREA

# --- ids (one place; a test checks each action id has a listener) -----------------------------------
LOG_SHORTCUT = "voc_log_message"  # the message shortcut Log as VoC
LOG_MODAL = "voc_modal"
NOTE_MODAL = "voc_note_view"  # read-only, never submitted
CUSTOMER_SELECT = "voc_customer"  # the modal's external_select; its options come from an options listener
TAG = "voc_tag"  # Tag to roadmap (value: the note id); listener in handlers/roadmap.py
PICK = "voc_pick"  # /voc with an ambiguous customer: one button per customer (value: PickRef)
OPEN_DRAFT = "voc_open_draft"  # the reaction prompt's Log as VoC (value: DraftRef)
VIEW = cb.VOC_VIEW  # View full note (value: the note id)
OPEN_CUSTOMER = cb.PICK  # Open customer reuses the customer card's pick button (value: CardRef)
EDIT = "voc_edit"  # Edit on a confirmation, for the note's first reporter (value: the note id)
EDIT_MODAL = "voc_edit_modal"
CUSTOMER_BLOCK = "customer"  # the modal's block ids are the fields `services.voc.validate` names in errors
QUOTE_BLOCK = "quote"
CATEGORY_BLOCK = "category"
IMPORTANCE_BLOCK = "importance"
AREA_BLOCK = "product_area"
ROADMAP_BLOCK = "roadmap"
VALUE = "value"  # action id of the other input elements
PICK_BLOCK_PREFIX = "voc_pick_"
NOTE_BLOCK_PREFIX = "voc_note_"
LOGGED_ACTIONS_BLOCK = "voc_logged_actions"
DRAFT_ACTIONS_BLOCK = "voc_draft_actions"

INPUT_MAX = 3000  # plain_text_input max_length
MAX_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_OPTIONS = 100  # static and external selects
MAX_LIST = 10  # notes in /voc list
PREVIEW = 500  # characters of a quote in confirmations and prompts
LIST_QUOTE = 300


class VocMeta(BaseModel):
    """What the Log as VoC modal carries in private_metadata."""

    locale: str = "en"
    channel: str | None = None  # the source message, when logging one
    ts: str | None = None
    thread_ts: str | None = None
    author: str | None = None
    draft_id: int | None = None  # the full text, when the message is longer than the input allows
    cut: str | None = None  # digest of the prefilled cut: submitted unchanged means "log the whole message"
    reply_channel: str | None = None  # where to confirm when there is no source message (the /voc channel)
    response_url: str | None = None
    replace: bool = False  # the confirmation replaces the message the modal was opened from

    def dump(self) -> str:
        return kit.metadata(self.model_dump_json(exclude_defaults=True))


class EditMeta(BaseModel):
    """What the Edit VoC modal carries: the note, and where the confirmation it came from is (to replace it)."""

    voc_id: int
    locale: str = "en"
    channel: str | None = None
    response_url: str | None = None

    def dump(self) -> str:
        return kit.metadata(self.model_dump_json(exclude_defaults=True))


@dataclass(frozen=True)
class EditableNote:
    """A note as its reporter may change it (the customer and the source stay)."""

    voc_id: int
    customer: str
    quote: str
    category: str
    importance: str
    product_area: str | None


class PickRef(BaseModel):
    """A /voc pick button: the waiting text and the customer it is for."""

    draft_id: int
    customer_id: int

    def dump(self) -> str:
        return self.model_dump_json()


class DraftRef(BaseModel):
    """The reaction prompt's button: the waiting message and the thread it is in (to suggest a roadmap item)."""

    draft_id: int
    thread_ts: str | None = None

    def dump(self) -> str:
        return kit.button_value(self.model_dump_json(exclude_none=True))


@dataclass(frozen=True)
class Confirmation:
    """What the reporter is told after logging."""

    voc_id: int
    customer_id: int
    customer: str
    quote: str
    category: str
    importance: str
    created: bool  # False: the note existed and the user was added to its reporters
    first_reporter: str
    user: str
    permalink: str | None = None
    item: str | None = None  # the roadmap item it was tagged to
    channel: str | None = None  # where Open customer's card may offer Share in channel
    edited: bool = False  # the reporter changed it through Edit


@dataclass(frozen=True)
class ListedNote:
    customer: str
    note: VocNote


@dataclass(frozen=True)
class NoteDetail:
    customer: str
    note: VocNote  # with the whole quote
    product_area: str | None
    reporters: tuple[str, ...]
    permalink: str | None


def _name(customer: str) -> str:
    return escape_mrkdwn(truncate(customer, 255))


def _link(url: str, label: str) -> str:
    """A mrkdwn link; the URL is Slack's permalink, made safe for `<url|label>` anyway."""
    safe = url.replace("&", "&amp;").replace("<", "%3C").replace(">", "%3E").replace("|", "%7C")
    return f"<{safe}|{label}>"


def _number(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def _key(*parts: str) -> str:
    """A catalog key built from parts (`voc.err.quote_required`); the tests check every such key."""
    return ".".join(("voc", *parts))


def error_text(locale: str, code: str, params: dict | None = None) -> str:
    """An inline error of the Log as VoC modal (`voc.err.<code>`), short enough to show under the field."""
    shown = {k: _number(v) for k, v in (params or {}).items()}
    return truncate(t(locale, _key("err", code), **shown), 150)


def _cut_digest(text: str) -> str:
    return hashlib.sha256(clean_quote(text).encode()).hexdigest()[:24]


def prefill(text: str) -> tuple[str, str | None]:
    """The quote input's initial value, and when the text had to be cut to fit, a digest of the cut: a
    submission whose quote still has that digest was left unchanged, so the whole text is logged."""
    text = clean_quote(text)
    if len(text) <= INPUT_MAX:
        return text, None
    cut = truncate(text, INPUT_MAX)
    return cut, _cut_digest(cut)


def left_unchanged(submitted: str | None, digest: str | None) -> bool:
    """Whether the submitted quote is the prefilled cut, untouched."""
    return bool(digest) and _cut_digest(submitted or "") == digest


def _option(value: str, text: str) -> Option:
    return Option(value=value, text=_plain(text))


def customer_options(matches: Sequence[Match]) -> list[dict]:
    """The customer select's options (an options listener's answer): name (cut to 75) and id."""
    return [_option(str(m.id), m.name).to_dict() for m in matches[:MAX_OPTIONS]]


# --- the Log as VoC modal -----------------------------------------------------------------------------------


def _source_line(locale: str, author: str | None, channel: str | None) -> str | None:
    if not author:
        return None
    if channel and channel[:1] in ("C", "G"):
        return t(locale, "voc.modal.from", author=f"<@{author}>", channel=f"<#{channel}>")
    return t(locale, "voc.modal.from_author", author=f"<@{author}>")


def log_modal(
    locale: str,
    meta: VocMeta,
    *,
    quote: str = "",
    full_length: int | None = None,
    items: Sequence[tuple[int, str]] = (),
    selected_item: int | None = None,
    customer: Match | None = None,
) -> View:
    """The Log as VoC form: customer (`customer` chosen, from its card), the quote (`quote` already cut to fit;
    `full_length` when it was cut), category, importance, product area and, with open roadmap items, one to tag
    it to (`selected_item` preset)."""
    blocks: list[Block] = []
    source = _source_line(locale, meta.author, meta.channel)
    if source:
        blocks.append(ContextBlock(elements=[_mrkdwn(source)]))
    blocks += _customer_and_quote(locale, quote, customer)
    if full_length:
        blocks.append(ContextBlock(elements=[_mrkdwn(t(locale, "voc.modal.cut", length=_number(full_length)))]))
    blocks += _detail_inputs(locale)
    if items:
        blocks.append(_roadmap_input(locale, items, selected_item))
    return View(
        type="modal",
        callback_id=LOG_MODAL,
        title=_plain(t(locale, "voc.modal.title"), 24),
        submit=_plain(t(locale, "voc.modal.submit"), 24),
        close=_plain(t(locale, "voc.modal.cancel"), 24),
        private_metadata=meta.dump(),
        blocks=blocks,
    )


def _customer_and_quote(locale: str, quote: str, chosen: Match | None = None) -> list[InputBlock]:
    """The customer select (searched as you type; `chosen` preset) and the quote, prefilled with `quote`."""
    customer = InputBlock(
        block_id=CUSTOMER_BLOCK,
        label=_plain(t(locale, "voc.modal.customer"), 2000),
        element=ExternalDataSelectElement(
            action_id=CUSTOMER_SELECT,
            placeholder=_plain(t(locale, "voc.modal.customer_placeholder"), 150),
            min_query_length=1,  # Korean names are often two syllables
            initial_option=_option(str(chosen.id), chosen.name) if chosen else None,
        ),
    )
    text = InputBlock(
        block_id=QUOTE_BLOCK,
        label=_plain(t(locale, "voc.modal.quote"), 2000),
        element=PlainTextInputElement(
            action_id=VALUE,
            multiline=True,
            max_length=INPUT_MAX,
            initial_value=quote[:INPUT_MAX] or None,
            placeholder=_plain(t(locale, "voc.modal.quote_placeholder"), 150),
        ),
    )
    return [customer, text]


def _detail_inputs(
    locale: str, category: str | None = None, importance: str = DEFAULT_IMPORTANCE, area: str | None = None
) -> list[InputBlock]:
    """The category and importance selects (preset to `category`, if any, and `importance`) and the optional
    product area (`area` in it)."""
    categories = [_option(c, cb.voc_label("category", c, locale)) for c in CATEGORIES]
    importances = [_option(i, cb.voc_label("importance", i, locale)) for i in reversed(IMPORTANCES)]
    category_input = InputBlock(
        block_id=CATEGORY_BLOCK,
        label=_plain(t(locale, "voc.modal.category"), 2000),
        element=StaticSelectElement(
            action_id=VALUE,
            options=categories,
            initial_option=next((o for o in categories if o.value == category), None),
        ),
    )
    importance_input = InputBlock(
        block_id=IMPORTANCE_BLOCK,
        label=_plain(t(locale, "voc.modal.importance"), 2000),
        element=StaticSelectElement(
            action_id=VALUE,
            options=importances,
            initial_option=next((o for o in importances if o.value == importance), importances[0]),
        ),
    )
    area_input = InputBlock(
        block_id=AREA_BLOCK,
        label=_plain(t(locale, "voc.modal.area"), 2000),
        element=PlainTextInputElement(
            action_id=VALUE,
            max_length=MAX_AREA,
            initial_value=(area or "")[:MAX_AREA] or None,
            placeholder=_plain(t(locale, "voc.modal.area_placeholder"), 150),
        ),
        optional=True,
    )
    return [category_input, importance_input, area_input]


def edit_modal(locale: str, meta: EditMeta, note: EditableNote) -> View:
    """Edit VoC: the note's quote (when it fits the input: a longer one, logged whole from a message, stays as
    it is), category, importance and product area, for the customer it was logged for."""
    blocks: list[Block] = [ContextBlock(elements=[_mrkdwn(t(locale, "voc.edit.for", customer=_name(note.customer)))])]
    if len(note.quote) <= INPUT_MAX:
        blocks.append(
            InputBlock(
                block_id=QUOTE_BLOCK,
                label=_plain(t(locale, "voc.modal.quote"), 2000),
                element=PlainTextInputElement(
                    action_id=VALUE, multiline=True, max_length=INPUT_MAX, initial_value=note.quote or None
                ),
            )
        )
    else:
        kept = t(locale, "voc.edit.long_quote", length=_number(len(note.quote)))
        blocks.append(ContextBlock(elements=[_mrkdwn(kept)]))
    blocks += _detail_inputs(locale, note.category, note.importance, note.product_area)
    return View(
        type="modal",
        callback_id=EDIT_MODAL,
        title=_plain(t(locale, "voc.edit.title"), 24),
        submit=_plain(t(locale, "voc.edit.submit"), 24),
        close=_plain(t(locale, "voc.modal.cancel"), 24),
        private_metadata=meta.dump(),
        blocks=blocks,
    )


def _roadmap_input(locale: str, items: Sequence[tuple[int, str]], selected_item: int | None) -> InputBlock:
    options = [_option(str(item_id), title) for item_id, title in items[:MAX_OPTIONS]]
    return InputBlock(
        block_id=ROADMAP_BLOCK,
        label=_plain(t(locale, "voc.modal.roadmap"), 2000),
        element=StaticSelectElement(
            action_id=VALUE,
            options=options,
            initial_option=next((o for o in options if o.value == str(selected_item)), None),
            placeholder=_plain(t(locale, "voc.modal.roadmap_placeholder"), 150),
        ),
        optional=True,
    )


# --- messages -----------------------------------------------------------------------------------------------


def notice(text: str) -> tuple[list[Block], str]:
    """A one-line answer (an expired button, a note that is gone)."""
    return [_section(text)], truncate(text, 3000)


def usage_message(locale: str, emoji: str) -> tuple[list[Block], str]:
    """How to use `/voc`, with examples."""
    return [_section(t(locale, "voc.usage", emoji=emoji))], t(locale, "voc.usage.text")


def _meta_line(locale: str, category: str, importance: str, permalink: str | None) -> str:
    parts = [cb.voc_label("category", category, locale), cb.voc_label("importance", importance, locale)]
    if permalink:
        parts.append(_link(permalink, t(locale, "voc.source_link")))
    return " · ".join(parts)


def confirmation(locale: str, c: Confirmation) -> tuple[list[Block], str]:
    """After logging: for which customer, the quote, a link to the source, who logged it first when it already
    existed, the roadmap item when tagged; Tag to roadmap and Open customer."""
    head = t(locale, "voc.edited" if c.edited else "voc.logged", customer=_name(c.customer))
    if not c.created and not c.edited:
        if c.first_reporter != c.user:
            head += "\n" + t(locale, "voc.logged.existing", user=f"<@{c.first_reporter}>")
        else:
            head += "\n" + t(locale, "voc.logged.again")
    blocks: list[Block] = [
        _section(head),
        _section(cb.voc_quote(c.quote, PREVIEW)),
        ContextBlock(elements=[_mrkdwn(_meta_line(locale, c.category, c.importance, c.permalink))]),
    ]
    if c.item:
        blocks.append(_section(t(locale, "voc.logged.tagged", item=escape_mrkdwn(truncate(c.item, 150)))))
    blocks.append(
        ActionsBlock(
            block_id=LOGGED_ACTIONS_BLOCK,
            elements=[
                ButtonElement(text=_plain(t(locale, "voc.button.tag")), action_id=TAG, value=str(c.voc_id)),
                ButtonElement(
                    text=_plain(t(locale, "voc.button.open_customer")),
                    action_id=OPEN_CUSTOMER,
                    value=cb.CardRef(customer_id=c.customer_id, channel=c.channel).dump(),
                ),
                *(
                    [ButtonElement(text=_plain(t(locale, "voc.button.edit")), action_id=EDIT, value=str(c.voc_id))]
                    if c.first_reporter == c.user  # the note's own: category, importance, area and words to fix
                    else []
                ),
            ],
        )
    )
    return blocks, truncate(t(locale, "voc.logged.text", customer=_name(c.customer)), 3000)


def choices_message(
    locale: str,
    query: str,
    quote: str,
    matches: Sequence[Match],
    draft_id: int,
    *,
    suggestions: bool,
    more: bool = False,
) -> tuple[list[Block], str]:
    """`/voc NAME: text` when NAME fits several customers (or, with `suggestions`, none and these are the closest):
    one button per customer, which logs the text for that customer. With no matches, says so."""
    shown = escape_mrkdwn(truncate(query, 100))
    if not matches:
        return notice(t(locale, "voc.none", query=shown))
    text = t(locale, "voc.suggestions" if suggestions else "voc.candidates", query=shown)
    blocks: list[Block] = [_section(text), _section(cb.voc_quote(quote, PREVIEW))]
    for i, match in enumerate(matches[: MAX_BLOCKS - 3]):
        ref = PickRef(draft_id=draft_id, customer_id=match.id).dump()
        button = ButtonElement(text=_plain(match.name), action_id=PICK, value=ref)
        blocks.append(ActionsBlock(block_id=f"{PICK_BLOCK_PREFIX}{i}", elements=[button]))
    if more:
        blocks.append(ContextBlock(elements=[_mrkdwn(t(locale, "voc.candidates.more"))]))
    return blocks, text


def list_message(locale: str, notes: Sequence[ListedNote], customer: str | None = None) -> tuple[list[Block], str]:
    """`/voc list [CUSTOMER]`: the latest notes (the team's, or one customer's) with Tag to roadmap and View
    full note on each."""
    if customer is None:
        header = text = t(locale, "voc.list.header")
    else:  # the header is plain text; the notification text is mrkdwn
        header = t(locale, "voc.list.header_customer", customer=customer)
        text = t(locale, "voc.list.header_customer", customer=_name(customer))
    blocks: list[Block] = [HeaderBlock(text=_plain(header, 150))]
    if not notes:
        empty = t(locale, "voc.list.empty_customer", customer=_name(customer)) if customer else None
        blocks.append(_section(empty or t(locale, "voc.list.empty")))
        return blocks, truncate(text, 3000)
    for i, listed in enumerate(notes[:MAX_LIST]):
        body = cb.voc_note_text(listed.note, locale, LIST_QUOTE)
        if customer is None:
            body = f"*{_name(listed.customer)}*\n{body}"
        blocks.append(_section(body))
        buttons = [
            ButtonElement(text=_plain(t(locale, "voc.button.tag")), action_id=TAG, value=str(listed.note.voc_id))
        ]
        buttons.append(
            ButtonElement(text=_plain(t(locale, "voc.button.view")), action_id=VIEW, value=str(listed.note.voc_id))
        )
        blocks.append(ActionsBlock(block_id=f"{NOTE_BLOCK_PREFIX}{i}", elements=buttons))
    return blocks[:MAX_BLOCKS], truncate(text, 3000)


def reaction_prompt(locale: str, ref: DraftRef, quote: str, author: str | None) -> tuple[list[Block], str]:
    """Sent to whoever reacted with the VoC emoji, for their eyes only: the message and a Log as VoC button."""
    if author:
        head = t(locale, "voc.reaction.prompt", author=f"<@{author}>")
    else:
        head = t(locale, "voc.reaction.prompt_no_author")
    blocks: list[Block] = [_section(head)]
    if quote.strip():
        blocks.append(_section(cb.voc_quote(quote, PREVIEW)))
    button = ButtonElement(
        text=_plain(t(locale, "voc.button.log")), action_id=OPEN_DRAFT, value=ref.dump(), style="primary"
    )
    blocks.append(ActionsBlock(block_id=DRAFT_ACTIONS_BLOCK, elements=[button]))
    return blocks, t(locale, "voc.reaction.text")


# --- the full note ------------------------------------------------------------------------------------------


def _extends(ch: str) -> bool:
    """Belongs to the character before it (a cut before it would split what the reader sees as one)."""
    return ch == ZWJ or "\ufe00" <= ch <= "\ufe0f" or unicodedata.category(ch) in ("Mn", "Mc", "Me")


def split_mrkdwn(text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """Escaped mrkdwn cut into pieces of at most `limit` characters: at a line break or a space near the end
    when there is one, never inside an `&amp;` entity or a combined character; blank pieces dropped."""
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        floor = int(limit * 0.8)
        cut = max(rest.rfind("\n", floor, limit), rest.rfind(" ", floor, limit))
        if cut <= 0:
            cut = limit
            amp = rest.rfind("&", cut - 10, cut)
            if amp != -1 and ";" not in rest[amp:cut]:
                cut = amp
            while cut > 1 and _extends(rest[cut]):
                cut -= 1
        else:
            cut += 1  # keep the space or line break with the first piece
        pieces.append(rest[:cut])
        rest = rest[cut:]
    pieces.append(rest)
    return [p for p in pieces if p.strip()]


def note_modal(locale: str, detail: NoteDetail | None) -> View:
    """Read-only modal with a note in full: customer, category, importance, date, product area, who logged it,
    the source, the whole quote (split into sections) and its roadmap items."""
    if detail is None:
        blocks: list[Block] = [_section(t(locale, "voc.view.gone"))]
    else:
        note = detail.note
        meta = [
            cb.voc_label("category", note.category, locale),
            cb.voc_label("importance", note.importance, locale),
        ]
        if note.heard_on:
            meta.append(format_date(note.heard_on, locale))
        blocks = [_section(t(locale, "voc.view.customer", customer=_name(detail.customer)) + "\n" + " · ".join(meta))]
        context = []
        if detail.product_area:
            context.append(t(locale, "voc.view.area", area=escape_mrkdwn(truncate(detail.product_area, 100))))
        if detail.reporters:
            users = ", ".join(f"<@{u}>" for u in detail.reporters[:20])
            context.append(t(locale, "voc.list.reporters", users=users))
        if detail.permalink:
            context.append(_link(detail.permalink, t(locale, "voc.source_link")))
        if context:
            blocks.append(ContextBlock(elements=[_mrkdwn(" · ".join(context))]))
        for piece in split_mrkdwn(escape_mrkdwn(note.text.strip())):
            blocks.append(_section(piece))
        if note.items:
            lines = [cb.voc_item_line(title, status, locale) for title, status in note.items]
            for piece in split_mrkdwn("\n".join(lines)):
                blocks.append(_section(piece))
    return View(
        type="modal",
        callback_id=NOTE_MODAL,
        title=_plain(t(locale, "voc.view.title"), 24),
        close=_plain(t(locale, "voc.view.close"), 24),
        blocks=blocks[:MAX_VIEW_BLOCKS],
    )
