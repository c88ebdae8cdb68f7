"""Block Kit for the handoff: the modal, the card in the CS channel, its small modals and thread posts."""

import json
from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DatePickerElement,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    NumberInputElement,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.blocks import kit
from bot.i18n import format_date, has, t
from bot.money import format_amount
from bot.text import escape_mrkdwn, truncate
from bot.viewdata.handoff import (
    FIELDS,
    ICP_FITS,  # noqa: F401 - the form's ICP values, for callers of this module
    CardData,
    FieldSpec,
    PromiseLine,
    StakeholderLine,
    choices,
)

# --- ids (one place; a test checks each action id has a listener) -----------------------------------
HANDOFF_MODAL = "handoff_submit"
ASK_AE_MODAL = "handoff_ask_ae_submit"
BAD_FIT_MODAL = "handoff_bad_fit_submit"
ACCEPT = "handoff_accept"
ASK_AE = "handoff_ask_ae"
FLAG_BAD_FIT = "handoff_flag_bad_fit"
EDIT = "handoff_edit"
FILL = "handoff_fill"
VALUE = "value"  # action id of every input element; the block id names the field
QUESTION_BLOCK = "question"
REASON_BLOCK = "reason"

SECTION_LIMIT = 3000
SECTION_FIELDS = 10  # fields of a section block
CURRENCIES = ("USD", "KRW", "EUR", "GBP", "JPY")


class HandoffMeta(BaseModel):
    """What the handoff modal carries in private_metadata."""

    handoff_id: int | None = None
    form_id: str
    locale: str = "en"

    def dump(self) -> str:
        return kit.metadata(self.model_dump_json(exclude_none=True))


class ThreadMeta(BaseModel):
    """What the Ask-AE and bad-fit modals carry."""

    handoff_id: int
    locale: str = "en"

    def dump(self) -> str:
        return self.model_dump_json()


def _plain(text: str, limit: int = 75) -> PlainTextObject:
    return PlainTextObject(text=truncate(text, limit), emoji=True)


def _icp_option(locale: str, value: str) -> Option:
    return Option(value=value, text=_plain(t(locale, f"handoff.icp.{value}")))


def _element(spec: FieldSpec, locale: str, initial: str | None):
    placeholder = t(locale, spec.placeholder_key)
    if spec.kind == "date":
        return DatePickerElement(action_id=VALUE, initial_date=initial or None, placeholder=_plain(placeholder))
    if spec.kind == "user":
        return UserSelectElement(action_id=VALUE, initial_user=initial or None, placeholder=_plain(placeholder))
    if spec.kind == "number":
        return NumberInputElement(
            action_id=VALUE,
            is_decimal_allowed=False,
            min_value=str(spec.min_value) if spec.min_value is not None else None,
            max_value=str(spec.max_value) if spec.max_value is not None else None,
            initial_value=initial or None,
            placeholder=_plain(placeholder),
        )
    if spec.kind == "icp":
        return StaticSelectElement(
            action_id=VALUE,
            placeholder=_plain(placeholder),
            options=[_icp_option(locale, v) for v in choices(spec)],
            initial_option=_icp_option(locale, initial) if initial in choices(spec) else None,
        )
    return PlainTextInputElement(
        action_id=VALUE,
        multiline=spec.kind == "multiline",
        max_length=spec.max_length,
        initial_value=(initial or "")[: spec.max_length] or None,
        placeholder=_plain(placeholder, 150),
    )


def handoff_modal(locale: str, meta: HandoffMeta, initial: dict[str, str | None], *, editing: bool) -> View:
    """The handoff form; `initial` holds field values (ISO dates, user ids) to prefill."""
    blocks: list[Block] = [
        ContextBlock(elements=[MarkdownTextObject(text=t(locale, "handoff.modal.intro"))]),
    ]
    for spec in FIELDS:
        blocks.append(
            InputBlock(
                block_id=spec.name,
                label=_plain(t(locale, spec.label_key), 2000),
                hint=_plain(t(locale, spec.hint_key), 2000) if has(spec.hint_key) else None,
                element=_element(spec, locale, initial.get(spec.name)),
                optional=spec.optional,
            )
        )
    return View(
        type="modal",
        callback_id=HANDOFF_MODAL,
        title=_plain(t(locale, "handoff.modal.title_edit" if editing else "handoff.modal.title"), 24),
        submit=_plain(t(locale, "handoff.modal.submit"), 24),
        close=_plain(t(locale, "common.cancel"), 24),
        private_metadata=meta.dump(),
        blocks=blocks,
    )


def _text_modal(locale: str, callback_id: str, title_key: str, block_id: str, label_key: str, meta: str, intro: str):
    return View(
        type="modal",
        callback_id=callback_id,
        title=_plain(t(locale, title_key), 24),
        submit=_plain(t(locale, "common.send"), 24),
        close=_plain(t(locale, "common.cancel"), 24),
        private_metadata=meta,
        blocks=[
            SectionBlock(text=MarkdownTextObject(text=truncate(intro, SECTION_LIMIT))),
            InputBlock(
                block_id=block_id,
                label=_plain(t(locale, label_key), 2000),
                element=PlainTextInputElement(action_id=VALUE, multiline=True, max_length=3000),
            ),
        ],
    )


def ask_ae_modal(locale: str, handoff_id: int, customer: str, ae_user_id: str | None) -> View:
    """Small modal asking the AE a question in the card's thread."""
    intro = t(locale, "handoff.ask.intro", customer=escape_mrkdwn(customer), ae=_user(ae_user_id, locale))
    meta = ThreadMeta(handoff_id=handoff_id, locale=locale).dump()
    return _text_modal(locale, ASK_AE_MODAL, "handoff.ask.title", QUESTION_BLOCK, "handoff.ask.label", meta, intro)


def bad_fit_modal(locale: str, handoff_id: int, customer: str) -> View:
    """Small modal asking why the customer is a bad fit."""
    intro = t(locale, "handoff.bad_fit.intro", customer=escape_mrkdwn(customer))
    meta = ThreadMeta(handoff_id=handoff_id, locale=locale).dump()
    return _text_modal(
        locale, BAD_FIT_MODAL, "handoff.bad_fit.title", REASON_BLOCK, "handoff.bad_fit.label", meta, intro
    )


# --- the card ---------------------------------------------------------------------------------------


def _user(user_id: str | None, locale: str) -> str:
    return f"<@{user_id}>" if user_id else t(locale, "common.unknown")


def _field(locale: str, key: str, value: str) -> MarkdownTextObject:
    return MarkdownTextObject(text=truncate(f"*{t(locale, key)}*\n{value}", 2000))


def _section(locale: str, key: str, body: str | None) -> SectionBlock | None:
    if not body:
        return None
    head = f"*{t(locale, key)}*\n"
    return SectionBlock(text=MarkdownTextObject(text=head + truncate(escape_mrkdwn(body), SECTION_LIMIT - len(head))))


def _ts(dt: datetime | None) -> str:
    # Slack renders <!date> in each reader's own time zone; the fallback is UTC.
    if dt is None:
        return ""
    epoch = int(dt.timestamp())
    return f"<!date^{epoch}^{{date_short_pretty}} {{time}}|{dt.strftime('%Y-%m-%d %H:%M UTC')}>"


def _fit_lines(locale: str, lines: Sequence[str], budget: int) -> str:
    """As many whole lines as fit in `budget` characters, then "…and N more" for the rest (never a silent cut)."""
    kept: list[str] = []
    used = 0
    for i, line in enumerate(lines):
        rest = len(lines) - i - 1
        more = len(t(locale, "common.and_more", count=rest)) + 1 if rest else 0
        if used + len(line) + 1 + more > budget:
            kept.append(t(locale, "common.and_more", count=len(lines) - i))
            break
        kept.append(line)
        used += len(line) + 1
    return "\n".join(kept)


def _promise_lines(locale: str, promises: Sequence[PromiseLine]) -> list[str]:
    lines = []
    for p in promises:
        bits = [("☑ " if p.done else "☐ ") + escape_mrkdwn(truncate(p.text, 300))]
        if p.owner_user_id or p.owner_name:
            bits.append(
                f"<@{p.owner_user_id}>" if p.owner_user_id else escape_mrkdwn(truncate(p.owner_name or "", 100))
            )
        if p.due_date:
            bits.append(t(locale, "handoff.card.due", date=format_date(p.due_date, locale)))
        lines.append(" · ".join(bits))
    return lines


def _stakeholder_lines(stakeholders: Sequence[StakeholderLine]) -> list[str]:
    lines = []
    for s in stakeholders:
        bits = [f"*{escape_mrkdwn(truncate(s.role, 100))}*: " if s.role else ""]
        bits.append(escape_mrkdwn(truncate(s.name, 100)))
        if s.title:
            bits.append(f", {escape_mrkdwn(truncate(s.title, 100))}")
        if s.email:
            bits.append(f" ({escape_mrkdwn(truncate(s.email, 100))})")
        lines.append("".join(bits))
    return lines


def _list_section(locale: str, key: str, lines: Sequence[str]) -> SectionBlock | None:
    if not lines:
        return None
    head = f"*{t(locale, key)}*\n"
    return SectionBlock(text=MarkdownTextObject(text=head + _fit_lines(locale, lines, SECTION_LIMIT - len(head))))


def handoff_card(d: CardData, locale: str) -> tuple[list[Block], str]:
    """The card posted to the CS channel, and its notification text; at most 50 blocks whatever the data. The
    field table says which field goes where (its facts, body sections and extras)."""
    blocks: list[Block | None] = [
        HeaderBlock(text=_plain(t(locale, "handoff.card.header", customer=d.customer), 150)),
        _owner_line(d, locale),
        SectionBlock(fields=_facts(d, locale)),
        *_body(d, locale),
        _extras(d, locale),
        DividerBlock(),
        _status(d, locale),
        _buttons(d, locale),
    ]
    amount = _amount(d.value("arr"), d.value("currency"), locale)
    text = t(locale, "handoff.card.text", customer=escape_mrkdwn(d.customer), amount=amount)
    return [b for b in blocks if b is not None][:50], text


SHORT_NAMES = {  # the card's own short name of each completeness field (what "missing:" lists)
    "customer_name": "handoff.short.customer_name",
    "products_sold": "handoff.short.products_sold",
    "arr": "handoff.short.arr",
    "renewal_date": "handoff.short.renewal_date",
    "why_bought": "handoff.short.why_bought",
    "business_goals": "handoff.short.business_goals",
    "success_criteria": "handoff.short.success_criteria",
    "stakeholders": "handoff.short.stakeholders",
    "promises": "handoff.short.promises",
    "risks": "handoff.short.risks",
    "kickoff_date": "handoff.short.kickoff_date",
}


def _ago(dt: datetime | None) -> str:
    """Slack's own relative time (`2 hours ago`), kept current by Slack in each reader's client."""
    if dt is None:
        return ""
    return f"<!date^{int(dt.timestamp())}^{{ago}}|{dt.strftime('%Y-%m-%d %H:%M UTC')}>"


def _owner_line(d: CardData, locale: str) -> ContextBlock | None:
    """Whether the customer is taken, at the top: `⏳ Waiting for a CSM · submitted 2 hours ago` or `✅ @CSM
    owns it · accepted 5 minutes ago`."""
    if d.accepted_by:
        text = t(locale, "handoff.card.owned", user=_user(d.accepted_by, locale), ago=_ago(d.accepted_at))
    elif d.submitted_at:
        text = t(locale, "handoff.card.waiting", ago=_ago(d.submitted_at))
    else:
        return None
    return ContextBlock(elements=[MarkdownTextObject(text=text)])


def _label(spec: FieldSpec) -> str:
    return (spec.card.label if spec.card else None) or spec.label_key


def _amount(value: object, currency: object, locale: str) -> str:
    return format_amount(value, currency, locale) if value is not None and currency else "—"


def _fact(spec: FieldSpec, d: CardData, locale: str) -> str:
    """A fact's value as the card shows it."""
    spot, value = spec.card, d.value(spec.column or spec.name)
    pair = d.value(spot.pair) if spot.pair else None
    if spot.show == "amount":
        return _amount(value, pair, locale)
    if spot.show in ("date", "renewal"):
        shown = format_date(value, locale)
        return shown + " " + t(locale, "handoff.card.term", months=pair) if spot.show == "renewal" and pair else shown
    if spot.show == "user":
        return _user(value, locale)
    if spot.show == "icp":
        return t(locale, f"handoff.icp.{value}")
    return escape_mrkdwn(truncate(str(value) if value is not None else "—", 1000))


def _facts(d: CardData, locale: str) -> list[MarkdownTextObject]:
    """The top section: the facts always shown, the completeness, then the facts that are set (10 at most)."""
    facts = FIELDS.on_card("fact")
    shown = [_field(locale, _label(s), _fact(s, d, locale)) for s in facts if s.card.always]
    filled = t(locale, "handoff.card.filled", n=d.filled, total=d.total)
    if d.missing:
        names = ", ".join(t(locale, SHORT_NAMES[name]) for name in d.missing if name in SHORT_NAMES)
        filled = t(locale, "handoff.card.missing", filled=filled, fields=names)
    shown.append(_field(locale, "handoff.card.completeness", filled))
    shown += [
        _field(locale, _label(s), _fact(s, d, locale))
        for s in facts
        if not s.card.always and d.value(s.column or s.name)
    ]
    return shown[:SECTION_FIELDS]


def _body(d: CardData, locale: str) -> list[SectionBlock | None]:
    """A section per body field: its text, or the promise checklist / stakeholder list."""
    out: list[SectionBlock | None] = []
    for spec in FIELDS.on_card("body"):
        if spec.card.show == "promises":
            out.append(_list_section(locale, _label(spec), _promise_lines(locale, d.promises)))
        elif spec.card.show == "stakeholders":
            out.append(_list_section(locale, _label(spec), _stakeholder_lines(d.stakeholders)))
        else:
            value = d.value(spec.column or spec.name)
            out.append(_section(locale, _label(spec), str(value) if value not in (None, "") else None))
    return out


def _extras(d: CardData, locale: str) -> SectionBlock | None:
    """The last section: one labelled line per extra field that is set, sharing its 3,000 characters."""
    extra = [(_label(s), d.value(s.column or s.name)) for s in FIELDS.on_card("extra")]
    extra = [(k, str(v)) for k, v in extra if v]
    if not extra:
        return None
    labels = [f"*{t(locale, k)}*: " for k, _ in extra]
    budget = (SECTION_LIMIT - sum(len(label) + 1 for label in labels)) // len(extra)
    body = "\n".join(label + truncate(escape_mrkdwn(v), budget) for label, (_, v) in zip(labels, extra, strict=True))
    return SectionBlock(text=MarkdownTextObject(text=truncate(body, SECTION_LIMIT)))


def _status(d: CardData, locale: str) -> ContextBlock:
    """Who submitted, accepted and flagged the handoff, and when."""
    status = [t(locale, "handoff.card.submitted", user=_user(d.submitted_by, locale), at=_ts(d.submitted_at))]
    if d.accepted_by:
        status.append(t(locale, "handoff.card.accepted", user=_user(d.accepted_by, locale), at=_ts(d.accepted_at)))
    if d.bad_fit_by:
        status.append(
            t(
                locale,
                "handoff.card.bad_fit",
                user=_user(d.bad_fit_by, locale),
                at=_ts(d.bad_fit_at),
                reason=truncate(escape_mrkdwn(d.bad_fit_reason or ""), 500),
            )
        )
    return ContextBlock(elements=[MarkdownTextObject(text=truncate(" · ".join(status), SECTION_LIMIT))])


def _buttons(d: CardData, locale: str) -> ActionsBlock:
    value = str(d.handoff_id)
    buttons = []
    if not d.accepted_by:
        buttons.append(
            ButtonElement(text=_plain(t(locale, "handoff.card.accept")), action_id=ACCEPT, value=value, style="primary")
        )
    buttons.append(ButtonElement(text=_plain(t(locale, "handoff.card.ask_ae")), action_id=ASK_AE, value=value))
    if not d.bad_fit_by:
        buttons.append(
            ButtonElement(
                text=_plain(t(locale, "handoff.card.flag_bad_fit")),
                action_id=FLAG_BAD_FIT,
                value=value,
                style="danger",
            )
        )
    editors = sorted({u for u in (d.ae_user_id, d.submitted_by) if u})
    buttons.append(
        ButtonElement(
            text=_plain(t(locale, "handoff.card.edit")),
            action_id=EDIT,
            value=value,
            visible_to_user_ids=editors or None,  # only the AE and the submitter see Edit
        )
    )
    return ActionsBlock(block_id=f"handoff_actions_{d.handoff_id}", elements=buttons)


# --- messages around the card ------------------------------------------------------------------------


def _quoted(head: str, body: str) -> str:
    # Quote every line first, then cut: the `>` markers count against the 3,000 characters, and a cut
    # made by truncate() never splits an `&amp;` entity or an emoji.
    quoted = ">" + escape_mrkdwn(body).replace("\n", "\n>")
    return f"{head}\n" + truncate(quoted, SECTION_LIMIT - len(head) - 1)


def ask_ae_thread_message(locale: str, ae_user_id: str | None, asker: str, question: str) -> tuple[list[Block], str]:
    """The question posted in the card's thread, mentioning the AE."""
    text = t(locale, "handoff.ask.thread", ae=_user(ae_user_id, locale), asker=f"<@{asker}>")
    return [SectionBlock(text=MarkdownTextObject(text=_quoted(text, question)))], text


def bad_fit_thread_message(locale: str, flagger: str, reason: str) -> tuple[list[Block], str]:
    """The bad-fit reason posted in the card's thread."""
    text = t(locale, "handoff.bad_fit.thread", user=f"<@{flagger}>")
    return [SectionBlock(text=MarkdownTextObject(text=_quoted(text, reason)))], text


def fill_request(
    locale: str,
    handoff_id: int,
    deal: str,
    customer: str,
    amount: str | None,
    owner_found: bool,
    owner_email: str | None,
) -> tuple[list[Block], str]:
    """The DM to a deal's owner (or the channel post when no owner is found) with a Fill handoff button."""
    key = "handoff.fill.dm" if owner_found else "handoff.fill.unowned"
    text = t(
        locale,
        key,
        deal=escape_mrkdwn(deal),
        customer=escape_mrkdwn(customer),
        amount=escape_mrkdwn(amount) if amount else "—",  # drawn by the caller from CRM data
        email=escape_mrkdwn(owner_email or t(locale, "common.unknown")),
    )
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=truncate(text, SECTION_LIMIT))),
        ActionsBlock(
            block_id=f"handoff_fill_{handoff_id}",
            elements=[
                ButtonElement(
                    text=_plain(t(locale, "handoff.fill.button")),
                    action_id=FILL,
                    value=str(handoff_id),
                    style="primary",
                )
            ],
        ),
    ]
    return blocks, truncate(text, 3000)


def initial_values(h, stakeholders_text: str | None = None) -> dict[str, str | None]:
    """Modal prefill from a handoff row (draft or submitted), one value per field of the table."""
    values = {spec.name: _prefill(spec, h) for spec in FIELDS}
    if stakeholders_text is not None:
        values["stakeholders"] = stakeholders_text
    return values


def _prefill(spec: FieldSpec, h) -> str | None:
    if spec.parse == "crm_ref":  # the record the handoff is linked to
        return h.crm_company_id or h.crm_deal_id
    value = getattr(h, spec.column, None) if spec.column else None
    if not value and spec.prefill_fallback:
        value = getattr(h, spec.prefill_fallback, None)
    if spec.kind == "amount":
        currency = getattr(h, spec.card.pair, None) if spec.card and spec.card.pair else None
        return f"{currency or ''} {value:,.2f}".strip().removesuffix(".00") if value is not None else None
    if spec.kind in ("date", "number"):
        return (value.isoformat() if hasattr(value, "isoformat") else str(value)) if value else None
    return value


def dumps_blocks(blocks: Sequence[Block]) -> list[dict]:
    """Blocks as the JSON-able dicts the Web API takes."""
    return [b.to_dict() for b in blocks]


def view_json(view: View) -> dict:
    return json.loads(json.dumps(view.to_dict()))


def _loop_message(text: str, fallback: str) -> tuple[list[Block], str]:
    """One section of mrkdwn and its notification text, both cut to Slack's limits."""
    return [SectionBlock(text=MarkdownTextObject(text=truncate(text, SECTION_LIMIT)))], truncate(fallback, 3000)


def _card_link(url: str | None, locale: str) -> str:
    return f"<{url}|{t(locale, 'handoff.loop.card_link')}>" if url else ""


def submitted_confirmation(locale: str, customer: str, channel: str | None, url: str | None) -> tuple[list[Block], str]:
    """To the one who submitted a handoff, once its card is up: where it is, and that they will hear who takes it."""
    text = t(
        locale,
        "handoff.loop.submitted",
        customer=escape_mrkdwn(truncate(customer, 255)),
        channel=f"<#{channel}>" if channel else "—",
        link=_card_link(url, locale),
    )
    return _loop_message(text, t(locale, "handoff.loop.submitted.text", customer=escape_mrkdwn(customer)))


def fill_request_done(
    locale: str, deal: str, customer: str, submitted_by: str | None, url: str | None
) -> tuple[list[Block], str]:
    """The fill request, once the handoff is in: ✅ Submitted (its button gone), by whom, with the card's link."""
    text = t(
        locale,
        "handoff.loop.fill_done",
        deal=escape_mrkdwn(truncate(deal, 255)),
        customer=escape_mrkdwn(truncate(customer, 255)),
        user=f"<@{submitted_by}>" if submitted_by else t(locale, "common.unknown"),
        link=_card_link(url, locale),
    )
    return _loop_message(text, t(locale, "handoff.loop.fill_done.text", customer=escape_mrkdwn(customer)))


def accepted_notice(
    locale: str, customer: str, csm: str, kickoff: str | None, url: str | None
) -> tuple[list[Block], str]:
    """To the AE: who took the customer and when the kickoff is (`@CSM took Acme · kickoff Dec 10`)."""
    key = "handoff.loop.accepted" if kickoff else "handoff.loop.accepted.no_kickoff"
    text = t(
        locale,
        key,
        customer=escape_mrkdwn(truncate(customer, 255)),
        csm=f"<@{csm}>",
        kickoff=escape_mrkdwn(kickoff or ""),
        link=_card_link(url, locale),
    )
    return _loop_message(text, t(locale, "handoff.loop.accepted.text", customer=escape_mrkdwn(customer)))
