"""Backtest of the health score against recorded renewal outcomes: did the score, N days before each renewal,
rank the churners low? AUC, precision of the at-risk list, ARR-weighted recall, churn per band and per signal, and
suggested weights (a TOML diff for BATON_HEALTH_CONFIG) checked on renewals later than the ones they came from.

Definitions (the README's "Backtest of the health score" restates them):
- The score at horizon H of a renewal on day R is the customer's stored daily score (`health_scores`) on R - H;
  when that day has none, the latest stored one of the SCORE_WINDOW_DAYS days before it; when none of those, the
  score recomputed from the snapshots as of R - H with the current settings (what `health.score_at` gives); when
  there are no snapshots either, the renewal is unscored at that horizon (counted, left out of the figures).
- Churned means outcome `churned`. Contracted renewals count as not churned; they are reported apart (their rate
  per band, and the AUC of "churned or contracted").
- AUC = P(a churner's score < a kept customer's score) + P(equal) / 2, by the rank (Mann-Whitney) formula.
- precision@k: the share of churners among the k lowest scores (k = the number of churners unless given); ties
  at the cut share the remaining places (the expected precision when ties are broken at random).
- ARR recall: churned ARR (arr_before) that was At risk or Unhealthy at the horizon over all churned ARR of the
  outcomes (unscored churners count as missed), per currency.
- Per signal: the AUC of each signal's normalised sub-score (0..100, as the score uses it) as of R - H.
- Suggested weights: proportional to max(0, AUC - 0.5) per signal on the earlier TRAIN_SHARE of renewals (by
  date), summing to 100 over the signals with data (a signal without any keeps its weight); the AUC they and the
  current weights reach is shown on those earlier renewals and on the later ones, which they were not fitted on.

Reads only, in bulk: outcomes in one query, scores per chunk of POINTS (customer, day) pairs with one query (an
index seek per pair for the latest stored day in the window), snapshots per chunk only for the renewals the
per-signal figures use (a seeded sample of `sample` renewals; all of them when fewer) and for the points without
a stored score.
"""

import bisect
import random
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache

from sqlalchemy import Date, Float, Integer, String, bindparam, text
from sqlalchemy import select as sa_select
from sqlmodel import Session

from bot.models import Customer, RenewalOutcome
from bot.services.health import PEAK_DAYS, band_for, normalise
from bot.services.health_config import HealthConfig, HealthRules
from bot.signals import SIGNALS, canonical_signal
from bot.viewdata.health import AT_RISK, HEALTHY, UNHEALTHY

HORIZONS = (90, 60)
SCORE_WINDOW_DAYS = 7  # a stored score up to this many days before the horizon day stands in for a missing day
POINTS = 500  # (customer, day) pairs per query
SAMPLE = 20_000  # renewals the per-signal figures and the weight suggestion read snapshots for
TRAIN_SHARE = 0.7  # the earliest renewals the suggestion is fitted on; the rest check it
BANDS = (HEALTHY, AT_RISK, UNHEALTHY)
FLAGGED = (AT_RISK, UNHEALTHY)
CHURNED, CONTRACTED = "churned", "contracted"


# --- pure maths --------------------------------------------------------------------------------------------


def auc(scores: Sequence[float], churned: Sequence[bool]) -> float | None:
    """P(a churner scores lower than a kept one) + P(tie) / 2, by average ranks; None without both kinds."""
    n_pos = sum(1 for c in churned if c)
    n_neg = len(churned) - n_pos
    if n_pos == 0 or n_neg == 0:
        return None
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    rank_sum_neg = 0.0
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        rank = (i + j) / 2 + 1  # average 1-based rank of the tie group
        rank_sum_neg += rank * sum(1 for t in order[i : j + 1] if not churned[t])
        i = j + 1
    return (rank_sum_neg - n_neg * (n_neg + 1) / 2) / (n_pos * n_neg)


def precision_at_k(scores: Sequence[float], churned: Sequence[bool], k: int) -> float | None:
    """The share of churners among the k lowest scores; the scores tied at the cut share its remaining places
    (expected precision under random tie-breaking). None when k < 1 or there are no scores."""
    k = min(k, len(scores))
    if k < 1:
        return None
    pairs = sorted(zip(scores, churned, strict=True), key=lambda p: p[0])
    cut = pairs[k - 1][0]
    below = [c for s, c in pairs if s < cut]
    tied = [c for s, c in pairs if s == cut]
    hits = sum(below) + (k - len(below)) * sum(tied) / len(tied)
    return hits / k


def suggest_weights(signal_aucs: Mapping[str, float | None], total: int = 100) -> dict[str, int] | None:
    """Weights proportional to max(0, AUC - 0.5), scaled to sum to about `total` (whole numbers; a signal no better
    than chance gets 0); None when no signal beats chance."""
    lift = {s: max(0.0, a - 0.5) for s, a in signal_aucs.items() if a is not None}  # signals measured
    whole = sum(lift.values())
    if whole <= 0:
        return None
    weights = {s: round(total * v / whole) for s, v in lift.items()}
    if not any(weights.values()):  # every lift rounded to 0: keep the best one
        weights[max(lift, key=lambda s: lift[s])] = total
    return dict(sorted(weights.items(), key=lambda kv: list(SIGNALS).index(kv[0])))


def weighted_score(subscores: Mapping[str, float], weights: Mapping[str, float]) -> float | None:
    """The score from normalised sub-scores: the weighted average over the signals with a value and a weight above
    0, renormalised, rounded to 1 decimal (health's arithmetic); None when none is left."""
    picked = [(subscores[s], w) for s in SIGNALS if (w := weights.get(s, 0.0)) > 0 and s in subscores]
    if not picked:
        return None
    total = sum(w for _, w in picked)
    return round(sum(w / total * norm for norm, w in picked), 1)


def weights_toml(current: Mapping[str, float], suggested: Mapping[str, int]) -> tuple[str, str]:
    """The suggested [health.weights] table, and a diff of it against the current weights (signals the suggestion
    leaves out become 0, i.e. not scored)."""
    lines, diff = ["[health.weights]"], ["[health.weights]"]
    for name in SIGNALS:
        old, new = current.get(name, 0.0), float(suggested.get(name, 0))
        if old == 0 and new == 0:
            continue
        lines.append(f"{name} = {new:g}")
        if old != new:
            diff += [f"-{name} = {old:g}", f"+{name} = {new:g}"]
        else:
            diff.append(f" {name} = {new:g}")
    return "\n".join(lines), "\n".join(diff)


# --- what the database gives -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Renewal:
    """One recorded outcome, with the customer's segment (which settings score it)."""

    customer_id: int
    renewal_date: date
    outcome: str
    arr_before: Decimal | None
    currency: str | None
    segment: str | None

    @property
    def churned(self) -> bool:
        return self.outcome == CHURNED


@dataclass(frozen=True)
class ScoreAt:
    """A customer's score on a day, and where it came from: stored (that day), earlier (within the window),
    recomputed (from snapshots)."""

    score: float
    band: str
    source: str


def load_renewals(db: Session, team_id: str) -> list[Renewal]:
    """Every recorded outcome of the team, oldest renewal first (one query)."""
    r, c = RenewalOutcome.__table__, Customer.__table__
    stmt = (
        sa_select(r.c.customer_id, r.c.renewal_date, r.c.outcome, r.c.arr_before, r.c.currency, c.c.segment)
        .join(c, c.c.id == r.c.customer_id)
        .where(r.c.team_id == team_id)
        .order_by(r.c.renewal_date, r.c.customer_id)
    )
    return [Renewal(*row) for row in db.connection().execute(stmt)]


def teams_with_outcomes(db: Session) -> list[str]:
    r = RenewalOutcome.__table__
    return [t for (t,) in db.connection().execute(sa_select(r.c.team_id).distinct().order_by(r.c.team_id))]


@lru_cache(maxsize=16)
def _query(kind: str, n: int, dialect: str):
    """The statement of `kind` for `n` points, built once per length: the points are a VALUES list of bound
    (rid, customer id, day, window start) rows, plain SQL both databases read (SQLAlchemy's values() construct
    recompiled its 2,000 parameters for every chunk: 55 ms, most of a chunk's time). The score is one index seek
    per point (LATERAL on PostgreSQL, a correlated subquery on SQLite): ROW_NUMBER over the window's rows took
    42 ms per 500 points on SQLite, the seek 1 ms."""
    rows = ", ".join(f"(:r{i}, :c{i}, :d{i}, :l{i})" for i in range(n))
    pts = f"WITH pts(rid, cid, day, lo) AS (VALUES {rows}) "
    if kind == "scores" and dialect == "postgresql":
        sql = (
            pts + "SELECT pts.rid, hs.day, hs.score, hs.band FROM pts CROSS JOIN LATERAL (SELECT day, score, band "
            "FROM health_scores WHERE team_id = :team AND customer_id = pts.cid AND day <= pts.day AND day >= pts.lo "
            "ORDER BY day DESC LIMIT 1) hs"
        )
        cols = {"rid": Integer, "day": Date, "score": Float, "band": String}
    elif kind == "scores":  # SQLite has no LATERAL: the latest row's id by a correlated seek, then the row
        sql = (
            pts + "SELECT pts.rid, hs.day, hs.score, hs.band FROM pts JOIN health_scores hs ON hs.id = (SELECT h.id "
            "FROM health_scores h WHERE h.team_id = :team AND h.customer_id = pts.cid AND h.day <= pts.day "
            "AND h.day >= pts.lo ORDER BY h.day DESC LIMIT 1)"
        )
        cols = {"rid": Integer, "day": Date, "score": Float, "band": String}
    elif kind == "window":
        sql = (
            pts + "SELECT pts.rid, s.signal, s.as_of, s.value, s.id FROM pts JOIN health_snapshots s "
            "ON s.team_id = :team AND s.customer_id = pts.cid AND s.as_of >= pts.lo AND s.as_of <= pts.day"
        )  # no ORDER BY: on SQLite it made the same read 40x slower (1.3 s instead of 33 ms per 500 points at
        # 17M snapshots); the rows are sorted in Python (signal_series)
        cols = {"rid": Integer, "signal": String, "as_of": Date, "value": Float, "id": Integer}
    else:  # carried: each signal's last value before the window
        sql = (
            pts + "SELECT last.rid, s.signal, s.as_of, s.value, s.id FROM (SELECT pts.rid, pts.cid, s.signal, "
            "MAX(s.as_of) AS as_of FROM pts JOIN health_snapshots s ON s.team_id = :team AND s.customer_id = pts.cid "
            "AND s.as_of < pts.lo GROUP BY pts.rid, pts.cid, s.signal) last JOIN health_snapshots s "
            "ON s.team_id = :team AND s.customer_id = last.cid AND s.signal = last.signal AND s.as_of = last.as_of"
        )  # sorted in Python, as the window's rows
        cols = {"rid": Integer, "signal": String, "as_of": Date, "value": Float, "id": Integer}
    binds = [bindparam("team", type_=String)]
    for i in range(n):
        binds += [bindparam(f"r{i}", type_=Integer), bindparam(f"c{i}", type_=Integer)]
        binds += [bindparam(f"d{i}", type_=Date), bindparam(f"l{i}", type_=Date)]
    return text(sql).bindparams(*binds).columns(**cols)


def _run(conn, kind: str, team_id: str, chunk: Sequence[tuple[int, int, date, date]]):
    params: dict[str, object] = {"team": team_id}
    for i, (rid, cid, day, lo) in enumerate(chunk):
        params[f"r{i}"], params[f"c{i}"], params[f"d{i}"], params[f"l{i}"] = rid, cid, day, lo
    return conn.execute(_query(kind, len(chunk), conn.dialect.name), params).all()


def stored_scores(
    db: Session, team_id: str, points: Sequence[tuple[int, date]], window: int = SCORE_WINDOW_DAYS
) -> dict[int, tuple[date, float, str]]:
    """For each (customer id, day) point, by its index: the (day, score, band) of the latest stored daily score in
    [day - window, day]; points with none are left out. One query per POINTS points."""
    out: dict[int, tuple[date, float, str]] = {}
    conn = db.connection()
    for start in range(0, len(points), POINTS):
        chunk = [
            (start + i, cid, d, d - timedelta(days=window)) for i, (cid, d) in enumerate(points[start : start + POINTS])
        ]
        for rid, day, score, band in _run(conn, "scores", team_id, chunk):
            out[rid] = (day, score, band)
    return out


class _Series:
    """One signal's points of one point's window, sorted by (day, insertion): the value in force and the peak."""

    __slots__ = ("days", "values")

    def __init__(self):
        self.days: list[date] = []
        self.values: list[float] = []

    def add(self, day: date, value: float) -> None:
        if self.days and day < self.days[-1]:  # rows come sorted; keep it exact if one does not
            i = bisect.bisect_right(self.days, day)
            self.days.insert(i, day)
            self.values.insert(i, value)
        else:
            self.days.append(day)
            self.values.append(value)

    def latest(self, day: date) -> float | None:
        i = bisect.bisect_right(self.days, day)
        return self.values[i - 1] if i else None

    def peak(self, day: date) -> float | None:
        lo = bisect.bisect_left(self.days, day - timedelta(days=PEAK_DAYS))
        hi = bisect.bisect_right(self.days, day)
        return max(self.values[lo:hi], default=None)


def subscores_from(series: Mapping[str, _Series], day: date, config: HealthConfig) -> dict[str, float]:
    """Each signal's normalised value (0..100) on `day`: its latest value, relative signals against their peak."""
    out = {}
    for name, s in series.items():
        value = s.latest(day)
        if value is None:
            continue
        spec = SIGNALS[name]
        out[name] = normalise(spec, value, config, s.peak(day) if spec.relative else None)
    return out


def signal_series(db: Session, team_id: str, points: Sequence[tuple[int, date]]) -> list[dict[str, _Series]]:
    """For each (customer id, day) point: its signals' points that matter on that day, i.e. the snapshots of the
    PEAK_DAYS window before it and, for a signal with none there, its last value before the window (what
    `health.load_history` reads, so the score and sub-scores equal `health.score_at`'s). Per POINTS points: one
    query for the windows, and one for the values carried from before them, only where a signal is missing."""
    out: list[dict[str, _Series]] = [{} for _ in points]
    names: dict[str, str | None] = {}
    conn = db.connection()
    for start in range(0, len(points), POINTS):
        chunk = [
            (start + i, cid, d, d - timedelta(days=PEAK_DAYS))
            for i, (cid, d) in enumerate(points[start : start + POINTS])
        ]
        window_rows = sorted(_run(conn, "window", team_id, chunk), key=lambda r: (r[0], r[2], r[4]))
        signals: set[str] = set()
        seen: dict[int, set[str]] = defaultdict(set)
        for rid, signal, _as_of, _value, _id in window_rows:
            signals.add(signal)
            seen[rid].add(signal)
        # Values older than the window count too (an NPS answer of last quarter): read them only for points missing
        # a signal the chunk has, or missing everything.
        carry = [row for row in chunk if not signals or not signals <= seen.get(row[0], set())]
        carried_rows = sorted(_run(conn, "carried", team_id, carry), key=lambda r: (r[0], r[4])) if carry else []
        for rid, signal, as_of, value, _id in [*carried_rows, *window_rows]:  # carried ones are older: order kept
            if signal not in names:
                names[signal] = canonical_signal(signal)
            name = names[signal]
            if name is not None:
                series = out[rid].get(name)
                if series is None:
                    series = out[rid][name] = _Series()
                series.add(as_of, value)
    return out


# --- the report --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BandRow:
    band: str
    renewals: int
    churned: int
    contracted: int
    churn_rate: float | None


@dataclass(frozen=True)
class SignalRow:
    signal: str
    renewals: int  # sampled renewals with a value for this signal at the horizon
    churned: int
    auc: float | None


@dataclass(frozen=True)
class ArrRecall:
    currency: str
    flagged_churned_arr: str  # Decimal as text (JSON-safe, exact)
    churned_arr: str
    recall: float | None


@dataclass(frozen=True)
class HorizonReport:
    horizon: int
    renewals: int
    scored: int
    churned: int  # among the scored
    contracted: int
    sources: dict[str, int]  # stored, earlier, recomputed, none
    auc: float | None
    auc_churned_or_contracted: float | None
    k: int
    precision_at_k: float | None
    base_rate: float | None  # churners among the scored: what a random list of k would hit
    arr_recall: list[ArrRecall]
    bands: list[BandRow]
    signals: list[SignalRow]
    signals_sampled: int  # renewals the per-signal figures read (all when fewer than the sample)
    note: str | None = None


@dataclass(frozen=True)
class Suggestion:
    horizon: int
    weights: dict[str, int]
    current: dict[str, float]
    split_date: date  # fitted on renewals before this day, checked on this day and later
    train: int
    test: int
    auc_current_train: float | None
    auc_suggested_train: float | None
    auc_current_test: float | None
    auc_suggested_test: float | None
    toml: str
    diff: str


@dataclass(frozen=True)
class BacktestReport:
    team_id: str
    outcomes: int
    churned: int
    first_renewal: date | None
    last_renewal: date | None
    horizons: list[HorizonReport] = field(default_factory=list)
    suggestion: Suggestion | None = None
    note: str | None = None  # why there is nothing to report


def backtest(
    db: Session,
    team_id: str,
    rules: HealthRules,
    horizons: Sequence[int] = HORIZONS,
    *,
    k: int | None = None,
    sample: int = SAMPLE,
    seed: int = 0,
) -> BacktestReport:
    """The backtest of one team's recorded renewal outcomes (see the module docstring for every definition)."""
    renewals = load_renewals(db, team_id)
    if not renewals:
        return BacktestReport(team_id, 0, 0, None, None, note="no renewal outcomes recorded: nothing to backtest")
    churned_total = sum(r.churned for r in renewals)
    configs = {seg: rules.for_customer(team_id, seg) for seg in {r.segment for r in renewals}}
    sampled = set(range(len(renewals)))
    if sample and len(renewals) > sample:
        sampled = set(random.Random(seed).sample(range(len(renewals)), sample))
    reports, per_horizon_subs = [], {}
    for h in horizons:
        points = [(r.customer_id, r.renewal_date - timedelta(days=h)) for r in renewals]
        stored = stored_scores(db, team_id, points)
        need = sorted(i for i in range(len(points)) if i in sampled or i not in stored)
        series = signal_series(db, team_id, [points[i] for i in need])
        subs: dict[int, dict[str, float]] = {}
        for i, s in zip(need, series, strict=True):
            subs[i] = subscores_from(s, points[i][1], configs[renewals[i].segment])
        at: dict[int, ScoreAt] = {}
        for i, (_cid, day) in enumerate(points):
            if i in stored:
                sday, score, band = stored[i]
                at[i] = ScoreAt(score, band, "stored" if sday == day else "earlier")
            else:
                config = configs[renewals[i].segment]
                score = weighted_score(subs[i], config.weights)
                if score is not None:
                    at[i] = ScoreAt(score, band_for(score, config), "recomputed")
        per_horizon_subs[h] = {i: subs[i] for i in sampled if i in subs}
        reports.append(_horizon_report(h, renewals, at, per_horizon_subs[h], k))
    current = dict(rules.for_customer(team_id, None).weights)
    suggestion = _suggest(horizons[0], renewals, per_horizon_subs[horizons[0]], configs, current) if horizons else None
    return BacktestReport(
        team_id,
        len(renewals),
        churned_total,
        renewals[0].renewal_date,
        renewals[-1].renewal_date,
        reports,
        suggestion,
    )


def _horizon_report(
    h: int,
    renewals: Sequence[Renewal],
    at: Mapping[int, ScoreAt],
    subs: Mapping[int, Mapping[str, float]],
    k: int | None,
) -> HorizonReport:
    idx = sorted(at)
    scores = [at[i].score for i in idx]
    churned = [renewals[i].churned for i in idx]
    lost = [renewals[i].outcome in (CHURNED, CONTRACTED) for i in idx]
    n_churned = sum(churned)
    sources = {"stored": 0, "earlier": 0, "recomputed": 0, "none": len(renewals) - len(at)}
    for s in at.values():
        sources[s.source] += 1
    kk = k if k is not None else n_churned
    bands = []
    for band in BANDS:
        rows = [i for i in idx if at[i].band == band]
        c = sum(renewals[i].churned for i in rows)
        bands.append(
            BandRow(
                band,
                len(rows),
                c,
                sum(renewals[i].outcome == CONTRACTED for i in rows),
                c / len(rows) if rows else None,
            )
        )
    recall: dict[str, list[Decimal]] = {}
    for i, r in enumerate(renewals):
        if r.churned and r.arr_before is not None:
            sums = recall.setdefault(r.currency or "?", [Decimal("0.00"), Decimal("0.00")])
            if i in at and at[i].band in FLAGGED:  # an unscored churner was not on anyone's list: missed
                sums[0] += r.arr_before
            sums[1] += r.arr_before
    arr_recall = [ArrRecall(cur, str(f), str(t), float(f / t) if t else None) for cur, (f, t) in sorted(recall.items())]
    signals = []
    for name in SIGNALS:
        with_value = [i for i in sorted(subs) if name in subs[i]]
        if not with_value:
            continue
        flags = [renewals[i].churned for i in with_value]
        signals.append(SignalRow(name, len(with_value), sum(flags), auc([subs[i][name] for i in with_value], flags)))
    note = None
    if not idx:
        note = f"no renewal has a score {h} days before it (no stored scores or snapshots that early)"
    elif n_churned == 0:
        note = "no churned renewal among the scored ones: AUC and precision need churned and kept renewals"
    elif n_churned == len(idx):
        note = "every scored renewal churned: AUC needs kept renewals too"
    return HorizonReport(
        horizon=h,
        renewals=len(renewals),
        scored=len(idx),
        churned=n_churned,
        contracted=sum(renewals[i].outcome == CONTRACTED for i in idx),
        sources=sources,
        auc=auc(scores, churned),
        auc_churned_or_contracted=auc(scores, lost),
        k=min(kk, len(idx)),
        precision_at_k=precision_at_k(scores, churned, kk) if n_churned else None,
        base_rate=n_churned / len(idx) if idx else None,
        arr_recall=arr_recall,
        bands=bands,
        signals=signals,
        signals_sampled=len(subs),
        note=note,
    )


def _auc_with(
    rows: Iterable[int], renewals: Sequence[Renewal], subs: Mapping[int, Mapping[str, float]], weights_of
) -> float | None:
    scored = [(s, renewals[i].churned) for i in rows if (s := weighted_score(subs[i], weights_of(i))) is not None]
    return auc([s for s, _ in scored], [c for _, c in scored])


def _suggest(
    h: int,
    renewals: Sequence[Renewal],
    subs: Mapping[int, Mapping[str, float]],
    configs: Mapping[str | None, HealthConfig],
    current: dict[str, float],
) -> Suggestion | None:
    """Weights fitted on the earlier TRAIN_SHARE of the sampled renewals with sub-scores, checked on the rest."""
    rows = sorted((i for i in subs if subs[i]), key=lambda i: (renewals[i].renewal_date, i))
    if len(rows) < 2:
        return None
    cut = max(1, min(len(rows) - 1, int(len(rows) * TRAIN_SHARE)))
    split = renewals[rows[cut]].renewal_date
    train = [i for i in rows if renewals[i].renewal_date < split]
    test = [i for i in rows if renewals[i].renewal_date >= split]
    if not train:
        return None
    aucs = {}
    for name in SIGNALS:
        with_value = [i for i in train if name in subs[i]]
        aucs[name] = auc([subs[i][name] for i in with_value], [renewals[i].churned for i in with_value])
    weights = suggest_weights(aucs)
    if weights is None:
        return None

    def now(i: int) -> Mapping[str, float]:
        return configs[renewals[i].segment].weights

    merged = {**current, **weights}  # signals without data here keep their weight

    def new(_i: int) -> Mapping[str, float]:
        return merged

    toml, diff = weights_toml(current, merged)
    return Suggestion(
        horizon=h,
        weights=weights,
        current=current,
        split_date=split,
        train=len(train),
        test=len(test),
        auc_current_train=_auc_with(train, renewals, subs, now),
        auc_suggested_train=_auc_with(train, renewals, subs, new),
        auc_current_test=_auc_with(test, renewals, subs, now),
        auc_suggested_test=_auc_with(test, renewals, subs, new),
        toml=toml,
        diff=diff,
    )
