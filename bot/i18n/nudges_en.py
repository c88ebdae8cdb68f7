"""English catalog: nudges."""

MESSAGES: dict[str, str] = {}
