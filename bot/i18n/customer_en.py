"""English catalog: the customer card, lookup and health."""

MESSAGES: dict[str, str] = {}
