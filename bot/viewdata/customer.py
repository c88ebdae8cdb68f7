"""What the customer feature's services hand to builders: a VoC note as the card and the VoC answers show it."""

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class VocNote:
    """A piece of the customer's voice (feedback, feature request) with where and when it was heard."""

    text: str
    source: str | None
    heard_on: date | None
    voc_id: int | None = None  # the stored note (None: nothing to open in full)
    category: str | None = None
    importance: str | None = None
    items: tuple[tuple[str, str], ...] = ()  # roadmap items it is tagged to: (title, status)
