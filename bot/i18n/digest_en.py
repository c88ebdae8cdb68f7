"""English catalog: digest."""

MESSAGES: dict[str, str] = {}
