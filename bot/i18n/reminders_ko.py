"""Korean catalog: reminders."""

MESSAGES: dict[str, str] = {}
