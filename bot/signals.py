"""The health signals Baton knows: what each measures, its valid range, how it is scored by default."""

from dataclasses import dataclass

USAGE, SUPPORT, SENTIMENT, ENGAGEMENT, BILLING = "usage", "support", "sentiment", "engagement", "billing"


@dataclass(frozen=True)
class SignalSpec:
    """One signal. Values outside [min_value, max_value] are rejected on input.

    Scoring: `direction` "up" means higher is healthier. The value is mapped linearly from [lo, hi] to
    0..100 (clamped); with `relative=True` it is first turned into a percentage of the customer's own
    peak over the last 90 days (for counts such as active users, whose healthy level depends on size).
    `stale_days`: a value older than this is flagged as stale (still used)."""

    name: str
    category: str
    direction: str  # "up" or "down"
    min_value: float
    max_value: float | None
    lo: float
    hi: float
    weight: float
    stale_days: int
    integer: bool = False
    relative: bool = False


SIGNALS: dict[str, SignalSpec] = {
    s.name: s
    for s in (
        SignalSpec("active_users", USAGE, "up", 0, None, 50, 100, 15, 7, integer=True, relative=True),
        SignalSpec("logins_30d", USAGE, "up", 0, None, 50, 100, 5, 7, integer=True, relative=True),
        SignalSpec("key_feature_use", USAGE, "up", 0, 100, 10, 70, 10, 7),
        SignalSpec("license_utilisation", USAGE, "up", 0, 100, 30, 90, 15, 7),
        SignalSpec("open_tickets", SUPPORT, "down", 0, None, 0, 10, 5, 7, integer=True),
        SignalSpec("tickets_30d", SUPPORT, "down", 0, None, 0, 20, 5, 7, integer=True),
        SignalSpec("escalations_30d", SUPPORT, "down", 0, None, 0, 3, 5, 7, integer=True),
        SignalSpec("nps", SENTIMENT, "up", 0, 10, 0, 10, 10, 120),
        SignalSpec("csat", SENTIMENT, "up", 1, 5, 1, 5, 5, 90),
        SignalSpec("csm_rating", SENTIMENT, "up", 1, 5, 1, 5, 10, 60, integer=True),
        SignalSpec("last_meeting_days", ENGAGEMENT, "down", 0, None, 14, 90, 5, 14, integer=True),
        SignalSpec("champion_present", ENGAGEMENT, "up", 0, 1, 0, 1, 5, 90, integer=True),
        SignalSpec("overdue_invoices", BILLING, "down", 0, None, 0, 2, 5, 30, integer=True),
    )
}

# Accepted spellings in files and API calls -> canonical name.
ALIASES: dict[str, str] = {
    "license_utilization": "license_utilisation",
    "licence_utilisation": "license_utilisation",
    "seat_utilisation": "license_utilisation",
    "logins": "logins_30d",
    "tickets": "tickets_30d",
    "escalations": "escalations_30d",
    "last_meeting": "last_meeting_days",
    "days_since_last_meeting": "last_meeting_days",
    "champion": "champion_present",
    "overdue": "overdue_invoices",
    "csm_score": "csm_rating",
}


def canonical_signal(name: str) -> str | None:
    """The canonical signal name for `name` (case, spaces and dashes ignored), or None if unknown."""
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    key = ALIASES.get(key, key)
    return key if key in SIGNALS else None


def check_value(spec: SignalSpec, value: float) -> str | None:
    """Why `value` is not acceptable for `spec` (an error code), or None when it is."""
    if value != value or value in (float("inf"), float("-inf")):
        return "not_a_number"
    if value < spec.min_value or (spec.max_value is not None and value > spec.max_value):
        return "out_of_range"
    if spec.integer and value != int(value):
        return "not_whole"
    return None
