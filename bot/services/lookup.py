"""Finding a customer from what someone typed: exact ids and names first, then partial names, then typos.

Exact matches (name, external id, domain) are indexed database lookups. Partial and fuzzy matching run on a
per-team in-memory index (rapidfuzz, a C++ matcher) rebuilt at most every `ttl` seconds, so a customer
created in another process is found by its exact name at once and by a misspelling within a minute.
Hangul is compared as decomposed jamo (NFD), so one wrong jamo is a small typo, not a different syllable.
"""

import threading
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process
from sqlmodel import Session, col, or_, select

from bot.models import Customer
from bot.text import normalize_key

MAX_CANDIDATES = 10
MAX_SUGGESTIONS = 5
MATCH, AMBIGUOUS, SUGGEST = 88.0, 75.0, 45.0  # rapidfuzz scores (0..100)


@dataclass(frozen=True)
class Match:
    id: int
    name: str


@dataclass(frozen=True)
class LookupResult:
    """Exactly one of: `customer_id` (found), `candidates` (several fit), `suggestions` (nothing fits)."""

    customer_id: int | None = None
    candidates: tuple[Match, ...] = ()
    suggestions: tuple[Match, ...] = ()


def _jamo(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def _domain(text: str) -> str:
    text = text.strip().lower()
    for prefix in ("https://", "http://"):
        text = text.removeprefix(prefix)
    return text.removeprefix("www.").split("/")[0]


@dataclass
class _Index:
    names: dict[int, str] = field(default_factory=dict)
    keys: list[tuple[str, int]] = field(default_factory=list)  # (normalized key, customer id)
    fuzzy: list[str] = field(default_factory=list)  # jamo form of keys, same order
    built_at: float = 0.0


class CustomerLookup:
    """`find(db, team_id, text)`; one instance per process (it holds the per-team index cache)."""

    def __init__(self, ttl: float = 60.0, clock: Callable[[], float] = time.monotonic):
        self.ttl = ttl
        self.clock = clock
        self._indexes: dict[str, _Index] = {}
        self._lock = threading.Lock()

    def invalidate(self, team_id: str) -> None:
        """Forget the team's index (call after creating or renaming customers in this process)."""
        with self._lock:
            self._indexes.pop(team_id, None)

    def _index(self, db: Session, team_id: str) -> _Index:
        with self._lock:
            index = self._indexes.get(team_id)
        if index is not None and self.clock() - index.built_at < self.ttl:
            return index
        index = _Index(built_at=self.clock())
        rows = db.exec(
            select(Customer.id, Customer.name, Customer.name_key, Customer.aliases).where(Customer.team_id == team_id)
        )
        for cid, name, name_key, aliases in rows:
            index.names[cid] = name
            keys = {name_key} | {normalize_key(a) for a in (aliases or "").splitlines() if a.strip()}
            for key in keys - {""}:
                index.keys.append((key, cid))
                index.fuzzy.append(_jamo(key))
        with self._lock:
            self._indexes[team_id] = index
        return index

    def find(self, db: Session, team_id: str, text: str) -> LookupResult:
        """The team's customer for `text`, the candidates when several fit, or the closest names."""
        text = text.strip()
        key = normalize_key(text)
        if not key:
            return LookupResult()
        exact = list(
            db.exec(
                select(Customer.id, Customer.name)
                .where(Customer.team_id == team_id)
                .where(
                    or_(
                        Customer.name_key == key,
                        Customer.external_id == text,
                        Customer.domain == _domain(text),
                    )
                )
                .limit(MAX_CANDIDATES)
            )
        )
        if len(exact) == 1:
            return LookupResult(customer_id=exact[0][0])
        if exact:
            return LookupResult(candidates=tuple(Match(i, n) for i, n in exact))
        crm = db.exec(
            select(Customer.id).where(Customer.team_id == team_id, col(Customer.crm_company_id) == text).limit(2)
        ).all()
        if len(crm) == 1:
            return LookupResult(customer_id=crm[0])

        index = self._index(db, team_id)
        hits = {cid for k, cid in index.keys if k == key}  # aliases
        if len(hits) == 1:
            return LookupResult(customer_id=hits.pop())
        if not hits and len(key) >= 2:
            hits = {cid for k, cid in index.keys if key in k}  # partial names: "삼성" -> "삼성전자"
            if len(hits) == 1:
                return LookupResult(customer_id=hits.pop())
        if hits:
            ranked = sorted(hits, key=lambda cid: (len(index.names[cid]), index.names[cid]))
            return LookupResult(candidates=tuple(Match(c, index.names[c]) for c in ranked[:MAX_CANDIDATES]))

        scored = process.extract(
            _jamo(key), index.fuzzy, scorer=fuzz.WRatio, score_cutoff=SUGGEST, limit=MAX_CANDIDATES * 3
        )
        best: dict[int, float] = {}
        for _choice, score, position in scored:
            cid = index.keys[position][1]
            best[cid] = max(best.get(cid, 0.0), score)
        ranked = sorted(best.items(), key=lambda item: -item[1])
        if ranked and ranked[0][1] >= MATCH and (len(ranked) == 1 or ranked[0][1] - ranked[1][1] >= 5):
            return LookupResult(customer_id=ranked[0][0])
        close = [Match(c, index.names[c]) for c, s in ranked if s >= AMBIGUOUS]
        if close:
            return LookupResult(candidates=tuple(close[:MAX_CANDIDATES]))
        return LookupResult(suggestions=tuple(Match(c, index.names[c]) for c, _ in ranked[:MAX_SUGGESTIONS]))
