"""Block Kit for the customer card's modals: the latest handoff in full (read-only) and Update health (the CSM's
rating), with the Update health form's errors and confirmation. Pure builders, like bot/blocks/customer.py,
whose ids and helpers they share.
"""

from dataclasses import replace
from datetime import date

from pydantic import BaseModel
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    DatePickerElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.blocks import handoff as hb
from bot.blocks import kit
from bot.blocks.customer import (
    HANDOFF_VIEW_MODAL,
    HEALTH_MODAL,
    NOTE_BLOCK,
    RATING_BLOCK,
    TOUCH_DATE_BLOCK,
    TOUCH_KIND_BLOCK,
    TOUCH_MODAL,
    TOUCH_NOTE_BLOCK,
    VALUE,
    _key,
    touch_kind,
)
from bot.blocks.kit import plain as _plain
from bot.blocks.kit import section as _section
from bot.i18n import format_date, t
from bot.text import escape_mrkdwn, truncate
from bot.viewdata.customer import NOTE_MAX, RATING_MAX, RATING_MIN, TOUCH_KINDS, TOUCH_NOTE_MAX


class HealthMeta(BaseModel):
    """What the card's modals (Rate health, Log a touch) carry in private_metadata."""

    customer_id: int
    locale: str = "en"
    channel: str | None = None
    response_url: str | None = None

    def dump(self) -> str:
        return kit.metadata(self.model_dump_json(exclude_none=True))


def handoff_view(locale: str, customer: str, card: hb.CardData | None, *, redact: frozenset[str] = frozenset()) -> View:
    """Read-only modal with the latest handoff in full (the handoff card without its buttons). `redact` hides
    what the shared card hides when the modal is opened from it."""
    name = escape_mrkdwn(truncate(customer, 255))
    if "handoff" in redact:
        blocks: list[Block] = [_section(t(locale, "customer.handoff_modal.hidden", customer=name))]
    elif card is None:
        blocks = [_section(t(locale, "customer.handoff_modal.none", customer=name))]
    else:
        if "arr" in redact:
            card = replace(card, arr=None, currency=None)
        if "promises" in redact:
            card = replace(card, promises=[])
        if "risks" in redact:
            card = replace(card, risks=None)
        if "renewal" in redact:
            card = replace(card, renewal_date=None, term_months=None)
        if "owner" in redact:
            card = replace(card, ae_user_id=None, se_user_id=None, csm_user_id=None)
        drawn, _ = hb.handoff_card(card, locale)
        blocks = [b for b in drawn if not isinstance(b, ActionsBlock)]
    return View(
        type="modal",
        callback_id=HANDOFF_VIEW_MODAL,
        title=_plain(t(locale, "customer.handoff_modal.title"), 24),
        close=_plain(t(locale, "customer.close"), 24),
        blocks=blocks[:100],
    )


def _rating_option(locale: str, rating: int) -> Option:
    return Option(value=str(rating), text=_plain(t(locale, _key("rating", str(rating)))))


def health_modal(locale: str, meta: HealthMeta, customer: str) -> View:
    """The Update health form: the CSM's own rating (1-5) and an optional note."""
    return View(
        type="modal",
        callback_id=HEALTH_MODAL,
        title=_plain(t(locale, "customer.health_modal.title"), 24),
        submit=_plain(t(locale, "customer.health_modal.submit"), 24),
        close=_plain(t(locale, "common.cancel"), 24),
        private_metadata=meta.dump(),
        blocks=[
            _section(t(locale, "customer.health_modal.intro", customer=escape_mrkdwn(truncate(customer, 255)))),
            InputBlock(
                block_id=RATING_BLOCK,
                label=_plain(t(locale, "customer.health_modal.rating"), 2000),
                element=StaticSelectElement(
                    action_id=VALUE,
                    placeholder=_plain(t(locale, "customer.health_modal.rating_placeholder"), 150),
                    options=[_rating_option(locale, r) for r in range(RATING_MAX, RATING_MIN - 1, -1)],
                ),
            ),
            InputBlock(
                block_id=NOTE_BLOCK,
                label=_plain(t(locale, "customer.health_modal.note"), 2000),
                element=PlainTextInputElement(
                    action_id=VALUE,
                    multiline=True,
                    max_length=NOTE_MAX,
                    placeholder=_plain(t(locale, "customer.health_modal.note_placeholder"), 150),
                ),
                optional=True,
            ),
        ],
    )


def error_text(locale: str, code: str, params: dict) -> str:
    """A validation error of the Update health form, within what Slack shows under an input."""
    return truncate(t(locale, _key("err", code), **params), 150)


def health_saved(locale: str, customer: str, rating: int, as_of: date) -> str:
    """The ephemeral confirmation after Update health."""
    return t(
        locale,
        "customer.health_saved",
        rating=rating,
        customer=escape_mrkdwn(truncate(customer, 255)),
        date=format_date(as_of, locale),
    )


def touch_modal(locale: str, meta: HealthMeta, customer: str, today: date) -> View:
    """Log a touch: what kind (call, meeting, email, note), on which day (today unless changed) and what happened."""
    options = [Option(value=kind, text=_plain(touch_kind(kind, locale))) for kind in TOUCH_KINDS]
    return View(
        type="modal",
        callback_id=TOUCH_MODAL,
        title=_plain(t(locale, "customer.touch_modal.title"), 24),
        submit=_plain(t(locale, "customer.touch_modal.submit"), 24),
        close=_plain(t(locale, "common.cancel"), 24),
        private_metadata=meta.dump(),
        blocks=[
            _section(t(locale, "customer.touch_modal.intro", customer=escape_mrkdwn(truncate(customer, 255)))),
            InputBlock(
                block_id=TOUCH_KIND_BLOCK,
                label=_plain(t(locale, "customer.touch_modal.kind"), 2000),
                element=StaticSelectElement(action_id=VALUE, options=options, initial_option=options[0]),
            ),
            InputBlock(
                block_id=TOUCH_DATE_BLOCK,
                label=_plain(t(locale, "customer.touch_modal.date"), 2000),
                element=DatePickerElement(action_id=VALUE, initial_date=today.isoformat()),
            ),
            InputBlock(
                block_id=TOUCH_NOTE_BLOCK,
                label=_plain(t(locale, "customer.touch_modal.note"), 2000),
                element=PlainTextInputElement(
                    action_id=VALUE,
                    multiline=True,
                    max_length=TOUCH_NOTE_MAX,
                    placeholder=_plain(t(locale, "customer.touch_modal.note_placeholder"), 150),
                ),
            ),
        ],
    )


def touch_saved(locale: str, customer: str, kind: str, on: date) -> str:
    """The ephemeral confirmation after Log a touch."""
    return t(
        locale,
        "customer.touch_saved",
        kind=touch_kind(kind, locale),
        customer=escape_mrkdwn(truncate(customer, 255)),
        date=format_date(on, locale),
    )
