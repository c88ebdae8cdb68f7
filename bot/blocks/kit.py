"""Small Block Kit pieces every feature's builders use: texts cut to Slack's limits and plain sections."""

from slack_sdk.models.blocks import MarkdownTextObject, PlainTextObject, SectionBlock

from bot.text import truncate

SECTION_LIMIT = 3000  # a section's text
PLAIN_LIMIT = 75  # button texts and option labels


def plain(text: str, limit: int = PLAIN_LIMIT) -> PlainTextObject:
    """Plain text (emoji on) cut to `limit` characters."""
    return PlainTextObject(text=truncate(text, limit), emoji=True)


def mrkdwn(text: str, limit: int = SECTION_LIMIT) -> MarkdownTextObject:
    """mrkdwn cut to `limit` characters (escape user text before)."""
    return MarkdownTextObject(text=truncate(text, limit))


def section(text: str) -> SectionBlock:
    """A section with mrkdwn text cut to Slack's 3,000 characters."""
    return SectionBlock(text=mrkdwn(text))
