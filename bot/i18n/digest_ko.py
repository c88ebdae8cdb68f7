"""Korean catalog: digest."""

MESSAGES: dict[str, str] = {}
