"""Block Kit for the renewal ladder's last question: after a renewal date passes, the owner's DM asking what
happened (Renewed / Changed ARR / Churned), the Changed ARR and Churned modals, and the line the DM shows once
an outcome is recorded. Pure builders: data in, dict blocks or a View out, within Slack's limits whatever the
data (255-character names, Korean, amounts in the trillions)."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel
from slack_sdk.models.blocks import (
    ButtonElement,
    ConfirmObject,
    InputBlock,
    PlainTextInputElement,
)
from slack_sdk.models.views import View

from bot.blocks import kit
from bot.blocks import reminders as rb
from bot.blocks.kit import SECTION_LIMIT, plain
from bot.i18n import format_date, t
from bot.money import format_amount
from bot.text import escape_mrkdwn, truncate

RENEWED = "renewal_outcome_renewed"
CHANGED = "renewal_outcome_changed"
CHURNED = "renewal_outcome_churned"
CHANGED_MODAL = "renewal_outcome_changed_modal"
CHURNED_MODAL = "renewal_outcome_churned_modal"
ARR_BLOCK = "renewal_outcome_arr"
REASON_BLOCK = "renewal_outcome_reason"
VALUE = "value"
ANSWER_BUTTONS = (RENEWED, CHANGED, CHURNED)
REASON_MAX = 2000
ARR_INPUT_MAX = 64
NAME_LIMIT = 150
NOTE_REASON_LIMIT = 300
ERRORS = {
    "empty": "reminders.outcome.err.empty",
    "invalid": "reminders.outcome.err.invalid",
    "not_positive": "reminders.outcome.err.not_positive",
    "too_large": "reminders.outcome.err.too_large",
    "currency_conflict": "reminders.outcome.err.currency_conflict",
    "no_reason": "reminders.outcome.err.no_reason",
    "gone": "reminders.outcome.err.gone",
    "not_yours": "reminders.outcome.err.not_yours",
}
REFUSALS = {
    "not_yours": "reminders.outcome.refused.not_yours",
    "gone": "reminders.outcome.refused.gone",
    "already": "reminders.outcome.refused.already",
}
NOTES = {
    "renewed": "reminders.outcome.note.renewed",
    "expanded": "reminders.outcome.note.expanded",
    "contracted": "reminders.outcome.note.contracted",
    "churned": "reminders.outcome.note.churned",
}


@dataclass(frozen=True)
class AskView:
    """What the question shows: the customer, its renewal date, the ARR on record, how often it was asked."""

    customer_id: int
    name: str
    renewal_date: date
    arr: Decimal | None
    currency: str | None
    n: int  # 0: the first ask


class OutcomeMeta(BaseModel):
    """What the Changed ARR and Churned modals carry in private_metadata: the ask they answer."""

    key: str
    customer_id: int
    locale: str = "en"
    channel: str | None = None
    ts: str | None = None

    def dump(self) -> str:
        return kit.metadata(self.model_dump_json(exclude_none=True))


def _name(name: str) -> str:
    return escape_mrkdwn(truncate(name, NAME_LIMIT))


def amount_text(amount: Decimal | None, currency: str | None, locale: str) -> str:
    if amount is None or not currency:
        return t(locale, "reminders.outcome.no_arr")
    return format_amount(amount, currency, locale)


def _button(action_id: str, label: str, value: str, style: str | None = None, confirm: ConfirmObject | None = None):
    return ButtonElement(text=plain(label), action_id=action_id, value=value, style=style, confirm=confirm).to_dict()


def outcome_ask(ask: AskView, locale: str, *, key: str) -> tuple[list[dict], str]:
    """The DM asking the owner what happened at a renewal that has passed: Renewed (with a confirmation),
    Changed ARR and Churned (modals), Open card and the mute menu. Returns (blocks, notification text)."""
    name = _name(ask.name)
    when = format_date(ask.renewal_date, locale)
    arr = amount_text(ask.arr, ask.currency, locale)
    title = t(locale, "reminders.outcome.title", name=name, date=when)
    lead = t(locale, "reminders.outcome.lead", arr=arr)
    if ask.n > 0:
        lead = t(locale, "reminders.outcome.again") + " " + lead
    value = rb.key_value(key, ask.customer_id)
    confirm = ConfirmObject(
        title=plain(t(locale, "reminders.outcome.confirm_title"), 100),
        text=truncate(t(locale, "reminders.outcome.confirm_text", name=name, arr=arr), 300),
        confirm=plain(t(locale, "reminders.outcome.confirm_yes"), 30),
        deny=plain(t(locale, "common.cancel"), 30),
    )
    controls = rb.controls(key, locale, customer_id=ask.customer_id, kind="renewal.outcome")
    buttons = [
        _button(RENEWED, t(locale, "reminders.outcome.button.renewed"), value, "primary", confirm),
        _button(CHANGED, t(locale, "reminders.outcome.button.changed"), value),
        _button(CHURNED, t(locale, "reminders.outcome.button.churned"), value, "danger"),
        rb.open_card_button(ask.customer_id, locale),
    ]
    controls["elements"] = buttons + controls["elements"]
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": truncate(f"{title}\n{lead}", SECTION_LIMIT)}},
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": truncate(t(locale, "reminders.outcome.why", name=name), 3000)}],
        },
        controls,
    ]
    text = t(locale, "reminders.outcome.text", name=name)
    return blocks, text


def outcome_note(
    outcome: str,
    locale: str,
    *,
    before: Decimal | None,
    after: Decimal | None,
    currency: str | None,
    by: str | None,
    at: datetime | None,
    next_renewal: date | None = None,
    reason: str | None = None,
) -> str:
    """The line the question shows once answered (and the "already recorded" answer quotes):
    `📈 Expanded to $150,000 (from $120,000) · recorded by @casey · Mar 3 · next renewal Mar 1, 2028`."""
    who = f"<@{by}>" if by and by[:1] in ("U", "W") else escape_mrkdwn(truncate(by or "—", 64))
    when = rb.slack_date(at, locale) if at else ""
    text = t(
        locale,
        NOTES.get(outcome, NOTES["renewed"]),
        before=amount_text(before, currency, locale),
        after=amount_text(after, currency, locale),
        by=who,
        when=when,
    )
    if next_renewal is not None:
        text += " · " + t(locale, "reminders.outcome.next", date=format_date(next_renewal, locale))
    if reason:
        quote = escape_mrkdwn(truncate(" ".join(reason.split()), NOTE_REASON_LIMIT))
        text += "\n" + t(locale, "reminders.outcome.reason", reason=quote)
    return truncate(text, SECTION_LIMIT)


def answered(blocks: list[dict], note: str, *, key: str) -> list[dict]:
    """The question with `note` above its controls and without its three answer buttons (Open card and the
    mute menu stay); drawing it twice gives the same message."""
    out = rb.settled(blocks, note, key=key)
    for block in out:
        if str(block.get("block_id", "")).startswith(rb.CONTROLS_BLOCK + ":"):
            block["elements"] = [e for e in block["elements"] if e.get("action_id") not in ANSWER_BUTTONS]
    return [b for b in out if b.get("type") != "actions" or b.get("elements")]


def _intro(locale: str, key: str, name: str, renewal_date: date, arr: Decimal | None, currency: str | None) -> dict:
    return {
        "type": "section",
        "text": {
            "type": "mrkdwn",
            "text": truncate(
                t(
                    locale,
                    key,
                    name=_name(name),
                    date=format_date(renewal_date, locale),
                    arr=amount_text(arr, currency, locale),
                ),
                SECTION_LIMIT,
            ),
        },
    }


def _reason_input(locale: str, *, optional: bool) -> InputBlock:
    return InputBlock(
        block_id=REASON_BLOCK,
        label=plain(t(locale, "reminders.outcome.reason_label"), 2000),
        element=PlainTextInputElement(
            action_id=VALUE,
            multiline=True,
            max_length=REASON_MAX,
            placeholder=plain(t(locale, "reminders.outcome.reason_placeholder"), 150),
        ),
        optional=optional,
    )


def changed_modal(
    locale: str, meta: OutcomeMeta, name: str, renewal_date: date, arr: Decimal | None, currency: str | None
) -> View:
    """Changed ARR: the ARR after the renewal (required) and why (optional)."""
    return View(
        type="modal",
        callback_id=CHANGED_MODAL,
        title=plain(t(locale, "reminders.outcome.changed_title"), 24),
        submit=plain(t(locale, "reminders.outcome.submit"), 24),
        close=plain(t(locale, "common.cancel"), 24),
        private_metadata=meta.dump(),
        blocks=[
            _intro(locale, "reminders.outcome.changed_intro", name, renewal_date, arr, currency),
            InputBlock(
                block_id=ARR_BLOCK,
                label=plain(t(locale, "reminders.outcome.arr_label"), 2000),
                element=PlainTextInputElement(
                    action_id=VALUE,
                    max_length=ARR_INPUT_MAX,
                    placeholder=plain(t(locale, "handoff.field.arr.placeholder"), 150),
                ),
                hint=plain(t(locale, "reminders.outcome.arr_hint"), 2000),
            ),
            _reason_input(locale, optional=True),
        ],
    )


def churned_modal(
    locale: str, meta: OutcomeMeta, name: str, renewal_date: date, arr: Decimal | None, currency: str | None
) -> View:
    """Churned: why the customer left (required); says what recording it does."""
    return View(
        type="modal",
        callback_id=CHURNED_MODAL,
        title=plain(t(locale, "reminders.outcome.churned_title"), 24),
        submit=plain(t(locale, "reminders.outcome.submit"), 24),
        close=plain(t(locale, "common.cancel"), 24),
        private_metadata=meta.dump(),
        blocks=[
            _intro(locale, "reminders.outcome.churned_intro", name, renewal_date, arr, currency),
            _reason_input(locale, optional=False),
        ],
    )


def refusal(reason: str, locale: str, *, name: str | None = None, user: str | None = None, note: str = "") -> str:
    """Why an answer did nothing (an ephemeral for the clicker)."""
    who = f"<@{user}>" if user else t(locale, "reminders.nobody")
    return t(locale, REFUSALS[reason], name=_name(name or "—"), user=who, note=note)


def error_text(locale: str, code: str) -> str:
    """An error under a modal input (plain text, at most what Slack shows)."""
    return truncate(t(locale, ERRORS.get(code, ERRORS["invalid"])), 150)
