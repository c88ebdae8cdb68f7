"""The VoC capture's limits and defaults, shared by the service (which checks them) and the modal (which shows
them)."""

MAX_QUOTE = 12_000  # stored in full; cards show a cut with a way to the whole note
MAX_AREA = 100
DEFAULT_CATEGORY, DEFAULT_IMPORTANCE = "other", "important"
