"""A seeded synthetic population with planted effects, to check the backtest finds what was put in.

Each customer renews yearly for `years` years (leaving at its first churn). Before each renewal it has a latent
health q (its own level plus a yearly wobble), and churns with probability 1 / (1 + exp(CHURN_SLOPE * (q -
CHURN_MIDPOINT))). The signals, one snapshot every `snapshot_every` days:
- license_utilisation = 100 q + noise: the planted signal, which drives churn (AUC about 0.85);
- nps: drawn 0..10 every 90 days, independent of everything: pure noise (AUC about 0.5);
- tickets_30d, active_users, logins_30d, key_feature_use, csm_rating, overdue_invoices: weakly tied to q.
Daily scores (every `score_every` days) are the product's score of those snapshots with the given settings, and
the outcomes are renewal_outcomes rows (churned, contracted, expanded or renewed, ARR before and after).
"""

import math
import random
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import insert, select
from sqlmodel import Session

from bot.db import Sessions
from bot.models import Customer, HealthScore, HealthSnapshot, RenewalOutcome
from bot.services.backtest import _Series, subscores_from, weighted_score
from bot.services.health import band_for
from bot.services.health_config import HealthConfig
from bot.text import normalize_key

PLANTED, NOISE = "license_utilisation", "nps"
SIGNALS = (
    "license_utilisation",
    "nps",
    "tickets_30d",
    "active_users",
    "logins_30d",
    "key_feature_use",
    "csm_rating",
    "overdue_invoices",
)
CHURN_SLOPE, CHURN_MIDPOINT = 14.0, 0.38
SOURCE = "demo"


@dataclass
class Account:
    """One synthetic customer: its row, its snapshots (signal, day, value), stored scores (day, score, band) and
    renewal outcomes (renewal date, outcome, ARR before, ARR after)."""

    index: int
    customer: dict
    snapshots: list[tuple[str, date, float]]
    scores: list[tuple[date, float, str]]
    outcomes: list[tuple[date, str, Decimal, Decimal]]


def _clamp(x: float, lo: float = 0.0, hi: float = 1.0) -> float:
    return min(hi, max(lo, x))


def population(
    n: int,
    *,
    seed: int = 1,
    end: date,
    years: int = 3,
    snapshot_every: int = 7,
    score_every: int = 1,
    config: HealthConfig,
    team_id: str = "TDEMO",
    keep_snapshot: Callable[[date, Sequence[date]], bool] | None = None,
    score_days: Callable[[Sequence[date]], Iterable[date]] | None = None,
) -> Iterator[Account]:
    """`n` accounts, the same for the same seed. Renewals fall in the `years` years before `end`; data starts a
    year before the first. `keep_snapshot(day, renewal dates)` thins the snapshots returned (the scores are still
    computed from all of them); `score_days(renewal dates)` picks the days scored instead of every
    `score_every`-th."""
    rng = random.Random(seed)
    for i in range(n):
        first_renewal = end - timedelta(days=365 * years) + timedelta(days=rng.randrange(365))
        start = first_renewal - timedelta(days=365)
        base = rng.uniform(0.2, 0.95)
        seats = rng.choice([20, 50, 100, 250, 1000])
        arr = Decimal(rng.choice([12_000, 24_000, 48_000, 96_000, 150_000]))
        renewals, outcomes, quality = [], [], []
        r = first_renewal
        while r <= end:
            q = _clamp(base + rng.gauss(0, 0.12))
            p = 1 / (1 + math.exp(CHURN_SLOPE * (q - CHURN_MIDPOINT)))
            renewals.append(r)
            quality.append(q)
            if rng.random() < p:
                outcomes.append((r, "churned", arr, Decimal(0)))
                break
            roll = rng.random()
            if roll < 0.1:
                after = (arr * Decimal("0.8")).quantize(Decimal(1))
                outcomes.append((r, "contracted", arr, after))
            elif roll < 0.1 + 0.3 * q:
                after = (arr * Decimal("1.2")).quantize(Decimal(1))
                outcomes.append((r, "expanded", arr, after))
            else:
                after = arr
                outcomes.append((r, "renewed", arr, arr))
            arr = after
            r += timedelta(days=365)
        last = min(end, renewals[-1])
        snaps: list[tuple[str, date, float]] = []
        series = {name: _Series() for name in SIGNALS}
        nps = rng.randint(0, 10)
        period = 0
        day = start
        step = 0
        while day <= last:
            while period < len(renewals) - 1 and day > renewals[period]:
                period += 1
            q = quality[period]
            if step % max(1, 90 // snapshot_every) == 0:
                nps = rng.randint(0, 10)
            users = round(seats * _clamp(0.55 + 0.4 * q + rng.gauss(0, 0.05)))
            values = {
                "license_utilisation": round(100 * _clamp(q + rng.gauss(0, 0.07)), 1),
                "nps": nps,
                "tickets_30d": max(0, round(rng.gauss(3 + 6 * (1 - q), 2.5))),
                "active_users": users,
                "logins_30d": round(users * rng.uniform(8, 20)),
                "key_feature_use": round(100 * _clamp(0.3 + 0.4 * q + rng.gauss(0, 0.15)), 1),
                "csm_rating": round(_clamp(1 + 4 * q + rng.gauss(0, 1.2), 1, 5)),
                "overdue_invoices": 1 if rng.random() < 0.02 + 0.06 * (1 - q) else 0,
            }
            for name, value in values.items():
                series[name].add(day, float(value))
                if keep_snapshot is None or keep_snapshot(day, renewals):
                    snaps.append((name, day, float(value)))
            day += timedelta(days=snapshot_every)
            step += 1
        scores: list[tuple[date, float, str]] = []
        days = (
            score_days(renewals)
            if score_days
            else (start + timedelta(days=d) for d in range(0, (last - start).days + 1, score_every))
        )
        for day in days:
            score = weighted_score(subscores_from(series, day, config), config.weights)
            if score is not None and start <= day <= last:
                scores.append((day, score, band_for(score, config)))
        customer = {
            "team_id": team_id,
            "name": f"Backtest customer {i:06d}",
            "name_key": normalize_key(f"Backtest customer {i:06d}"),
            "external_id": f"BT-{i:07d}",
            "segment": None,
            "arr": arr if outcomes[-1][1] != "churned" else Decimal(0),
            "currency": "USD",
            "contract_start": start,
            "renewal_date": renewals[-1] + timedelta(days=365) if outcomes[-1][1] != "churned" else None,
            "stage": "churned" if outcomes[-1][1] == "churned" else "renewal",
        }
        yield Account(i, customer, snaps, scores, outcomes)


def write_accounts(db: Session, team_id: str, accounts: Sequence[Account]) -> None:
    """Insert the accounts' customers, snapshots, scores and outcomes (bulk inserts; the caller's transaction)."""
    now = datetime.now(UTC)
    conn = db.connection()
    conn.execute(insert(Customer), [{**a.customer, "created_at": now, "updated_at": now} for a in accounts])
    c = Customer.__table__
    ext = [a.customer["external_id"] for a in accounts]
    rows = conn.execute(select(c.c.external_id, c.c.id).where(c.c.team_id == team_id, c.c.external_id.in_(ext)))
    ids: dict[str, int] = dict(rows.all())  # type: ignore[arg-type]
    snaps = [
        {
            "team_id": team_id,
            "customer_id": ids[a.customer["external_id"]],
            "signal": s,
            "as_of": d,
            "value": v,
            "source": SOURCE,
            "created_at": now,
        }
        for a in accounts
        for s, d, v in a.snapshots
    ]
    if snaps:
        conn.execute(insert(HealthSnapshot), snaps)
    scores = [
        {
            "team_id": team_id,
            "customer_id": ids[a.customer["external_id"]],
            "day": d,
            "score": s,
            "band": b,
            "computed_at": now,
        }
        for a in accounts
        for d, s, b in a.scores
    ]
    if scores:
        conn.execute(insert(HealthScore), scores)
    outcomes = [
        {
            "team_id": team_id,
            "customer_id": ids[a.customer["external_id"]],
            "renewal_date": r,
            "outcome": o,
            "arr_before": before,
            "arr_after": after,
            "currency": "USD",
            "source": SOURCE,
            "recorded_at": now,
            "reason": "synthetic",
        }
        for a in accounts
        for r, o, before, after in a.outcomes
    ]
    if outcomes:
        conn.execute(insert(RenewalOutcome), outcomes)


def generate(
    sessions: Sessions, team_id: str, n: int, *, config: HealthConfig, end: date, seed: int = 1, chunk: int = 50, **kw
) -> tuple[int, int]:
    """Write `n` synthetic accounts into `team_id`, `chunk` customers per (short) transaction; returns (customers,
    renewal outcomes)."""
    batch: list[Account] = []
    outcomes = 0
    for account in population(n, seed=seed, end=end, config=config, team_id=team_id, **kw):
        batch.append(account)
        outcomes += len(account.outcomes)
        if len(batch) == chunk:
            with sessions.begin() as db:
                write_accounts(db, team_id, batch)
            batch = []
    if batch:
        with sessions.begin() as db:
            write_accounts(db, team_id, batch)
    return n, outcomes
