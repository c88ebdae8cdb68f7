"""Small Block Kit pieces every feature's builders use: texts cut to Slack's limits, plain sections, and health
scores as people read them (whole points)."""

import math

from slack_sdk.models.blocks import MarkdownTextObject, PlainTextObject, SectionBlock
from slack_sdk.models.views import View

from bot.i18n import t
from bot.text import truncate

SECTION_LIMIT = 3000  # a section's text
PLAIN_LIMIT = 75  # button texts and option labels
METADATA_LIMIT = 3000  # a view's private_metadata
VALUE_LIMIT = 2000  # a button's value


def points(value: float) -> str:
    """A health score or a change of one in whole points, halves rounded away from zero: 44.5 -> `45`."""
    return f"{int(math.copysign(math.floor(abs(value) + 0.5), value)):,}"


def signed_points(value: float | None) -> str:
    """A change in whole points with its sign: `+3`, `-12`, `±0` (`—` when there is none)."""
    if value is None:
        return "—"
    text = points(value)
    return "±0" if text in ("0", "-0") else (text if text.startswith("-") else f"+{text}")


def plain(text: str, limit: int = PLAIN_LIMIT) -> PlainTextObject:
    """Plain text (emoji on) cut to `limit` characters."""
    return PlainTextObject(text=truncate(text, limit), emoji=True)


def mrkdwn(text: str, limit: int = SECTION_LIMIT) -> MarkdownTextObject:
    """mrkdwn cut to `limit` characters (escape user text before)."""
    return MarkdownTextObject(text=truncate(text, limit))


def section(text: str) -> SectionBlock:
    """A section with mrkdwn text cut to Slack's 3,000 characters."""
    return SectionBlock(text=mrkdwn(text))


def metadata(raw: str) -> str:
    """`raw` as a view's private_metadata; ValueError past Slack's 3,000 characters (a builder bug, never cut)."""
    return _within(raw, METADATA_LIMIT, "private_metadata")


def button_value(raw: str) -> str:
    """`raw` as a button's value; ValueError past Slack's 2,000 characters."""
    return _within(raw, VALUE_LIMIT, "button value")


def _within(raw: str, limit: int, what: str) -> str:
    if len(raw) > limit:
        raise ValueError(f"{what} over Slack's {limit:,} characters")
    return raw


def notice_modal(locale: str, text: str) -> View:
    """A read-only modal with one mrkdwn text (escape user text before): what a submission that cannot be
    answered next to an input is answered with."""
    return View(
        type="modal",
        title=plain(t(locale, "common.modal_title"), 24),
        close=plain(t(locale, "common.close"), 24),
        blocks=[section(text)],
    )
