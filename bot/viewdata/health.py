"""What a customer's health looks like to the card and the digest (bot/services/health.py scores it, the builders
draw it): the band names, the score with its drivers, the trend and the risk signals."""

from dataclasses import dataclass
from datetime import date

HEALTHY, AT_RISK, UNHEALTHY = "healthy", "at_risk", "unhealthy"


@dataclass(frozen=True)
class Driver:
    """One scored signal: its value, 0..100 score, share of the weight and pull on the total (in points)."""

    signal: str
    value: float
    as_of: date
    normalised: float
    weight_share: float
    impact: float  # weight_share * (normalised - 50): negative pulls the score down; sum of impacts = score - 50


@dataclass(frozen=True)
class Stale:
    """A scored signal whose value is older than its staleness limit (still counted)."""

    signal: str
    as_of: date
    age_days: int


@dataclass(frozen=True)
class Risk:
    """A risk signal: `code` is a catalog key suffix, `params` fill the message in."""

    code: str
    params: dict


@dataclass(frozen=True)
class Score:
    """The score on `as_of` and what explains it; score and band are None when no signal could be used."""

    score: float | None
    band: str | None
    drivers_down: tuple[Driver, ...]
    drivers_up: tuple[Driver, ...]
    used: tuple[Driver, ...]  # in registry order
    missing: tuple[str, ...]
    stale: tuple[Stale, ...]
    as_of: date


@dataclass(frozen=True)
class Trend:
    """The score 7 and 30 days ago, the changes since, and the score at the end of each of the last weeks."""

    score_7d_ago: float | None
    score_30d_ago: float | None
    delta_7d: float | None
    delta_30d: float | None
    weekly: tuple[float | None, ...]  # oldest first; the last one is today's score
    sparkline: str


@dataclass(frozen=True)
class CustomerHealth:
    """Everything a customer card shows about health, from one read of the snapshots."""

    score: Score
    trend: Trend
    risks: tuple[Risk, ...]
    freshness: dict[str, date]  # latest as_of per signal (at or before today)
