"""What a customer lookup hands to builders: a customer that fits what was typed."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Match:
    id: int
    name: str
