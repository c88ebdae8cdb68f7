"""Block Kit for Baton's help answer (an @mention)."""

from slack_sdk.models.blocks import Block, MarkdownTextObject, SectionBlock

from bot.i18n import t


def help_message(locale: str) -> tuple[list[Block], str]:
    """What Baton can do, with the commands to try."""
    text = t(locale, "help.text")
    return [SectionBlock(text=MarkdownTextObject(text=text))], t(locale, "help.fallback")
