"""English catalog: reminders."""

MESSAGES: dict[str, str] = {}
