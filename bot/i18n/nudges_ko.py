"""Korean catalog: nudges."""

MESSAGES: dict[str, str] = {}
