"""A drawn Slack message, as builders return it and the schedule engine stores it with an occurrence."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Part:
    """One Slack message: notification text and Block Kit blocks (dicts, already validated by the builder)."""

    text: str
    blocks: list[dict]
