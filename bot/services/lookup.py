"""Finding a customer from what someone typed: exact ids and names first, then partial names, then typos.

1. Exact name key, external id and domain: one indexed query (SQLite "multi-index OR", PostgreSQL BitmapOr);
   then the CRM company id, with the team's CRM sources spelled out so the (team, source, id) index is used.
2. Everything else runs on a per-team in-memory index of (customer id, keys): aliases and ids ignoring case,
   prefixes (`삼성` -> `삼성전자`) by bisecting the sorted keys, infixes by one scan of a joined string, and typos
   with rapidfuzz (a C++ matcher) on the keys' jamo (NFD) form, so one wrong jamo is a small typo, not a
   different syllable.

The big index is built once (at start-up, `warm`; a request during that build waits for it) and then kept
current by a small delta: after this process commits a write to the customers table (`watch`), or every `ttl`
seconds for other processes' writes, one indexed query fetches only the customers with a higher id or a later
`updated_at` than the build saw; they are indexed on their own and masked in the big index. Typos are scored
with rapidfuzz against the keys sharing the most trigrams with the query, not against every key. The big index
is rebuilt (in a background thread for a large team, while the old one answers) after deletions, when the delta
passes DELTA_MAX customers, and every `full_ttl` seconds as a safety net.
"""

import bisect
import gc
import heapq
import logging
import re
import threading
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import chain

from rapidfuzz import fuzz, process
from sqlalchemy import bindparam, event, func, or_, select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from bot.db import Sessions
from bot.models import Customer
from bot.text import normalize_key
from bot.viewdata.lookup import Match

log = logging.getLogger("baton.lookup")

MAX_CANDIDATES = 10
MAX_SUGGESTIONS = 5
MATCH, AMBIGUOUS, SUGGEST = 85.0, 75.0, 50.0  # rapidfuzz ratio (0..100) on the jamo form
MARGIN = 5.0  # a typo match must beat the next customer by this much to be taken as the answer
LEADING_WORDS = 90.0  # score when the query starts with a whole customer key ("acme crop" -> "acme")
PREFIX_SCAN = 5000  # keys looked at when ranking the customers a short prefix fits
DELTA_MAX = 5000  # customers written since the big index was built before it is rebuilt (in the background)
DELTA_MARGIN = timedelta(seconds=30)  # writes committing this late after their updated_at are still seen
GRAM = 3  # trigrams (of the jamo form, padded with a space at each end)
FUZZY_CANDIDATES = 500  # keys rapidfuzz scores for a typo: those sharing the most trigrams with it
WARM_WAIT = 60.0  # at most, seconds a request waits for the start-up build instead of building a second index
_SEP = "\x00"
_WORD_RE = re.compile(r"[^\W_]+")
_HANGUL = "\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\uac00-\ud7af\ud7b0-\ud7ff"
_HANGUL_RE = re.compile(f"[{_HANGUL}]")
_NOT_HANGUL_RE = re.compile(f"[^{_HANGUL}]")
_WRITTEN = "baton.lookup.customers_written"


@dataclass(frozen=True)
class LookupResult:
    """Exactly one of: `customer_id` (found), `candidates` (several fit), `suggestions` (nothing fits); all
    empty when the query was blank or nothing is even close. `more`: further candidates were not listed."""

    query: str = ""
    customer_id: int | None = None
    candidates: tuple[Match, ...] = ()
    suggestions: tuple[Match, ...] = ()
    more: bool = False


def jamo(text: str) -> str:
    """Hangul syllables split into jamo (NFD), so `쟈` and `자` differ by one letter, not one syllable."""
    return unicodedata.normalize("NFD", text)


def domain_of(text: str) -> str:
    """`https://www.Acme.com/about` -> `acme.com` (the form domains are stored in)."""
    s = text.strip().lower()
    s = re.sub(r"^[a-z][a-z0-9+.-]*://", "", s).split("/", 1)[0].split("?", 1)[0].rstrip(".")
    return s.removeprefix("www.")


def _words(text: str) -> list[str]:
    return _WORD_RE.findall(unicodedata.normalize("NFKC", text).casefold().replace(".", ""))


@dataclass
class _Choices:
    """Keys in jamo form for rapidfuzz, with the customers each one belongs to, and which keys hold each
    trigram: a typo is scored against the keys sharing the most trigrams with it, not against every key."""

    texts: list[str] = field(default_factory=list)
    ids: list[tuple[int, ...]] = field(default_factory=list)
    grams: dict[str, list[int]] = field(default_factory=dict)

    def add(self, key: str, ids: tuple[int, ...]) -> None:
        text = jamo(key)
        position = len(self.texts)
        self.texts.append(text)
        self.ids.append(ids)
        grams = self.grams
        for gram in set(_grams(text)):
            found = grams.get(gram)
            if found is None:
                grams[gram] = [position]
            else:
                found.append(position)

    def candidates(self, query: str) -> list[int] | None:
        """Positions of the keys sharing the most trigrams with `query` (at most FUZZY_CANDIDATES), or None to
        score every key (a small index, or a query too short to have trigrams)."""
        if len(self.texts) <= FUZZY_CANDIDATES:
            return None
        lists = [self.grams[g] for g in set(_grams(query)) if g in self.grams]
        if not lists:
            return None if len(query) < GRAM else []
        counts = Counter(chain.from_iterable(lists))
        return [position for position, _n in counts.most_common(FUZZY_CANDIDATES)]


def _grams(text: str) -> list[str]:
    padded = f" {text} "
    return [padded[i : i + GRAM] for i in range(len(padded) - GRAM + 1)]


@dataclass
class _Index:
    """One team's customers as search keys; read-only once built (shared between threads)."""

    names: dict[int, str] = field(default_factory=dict)
    keys: dict[str, tuple[int, ...]] = field(default_factory=dict)  # normalized name/alias key -> ids
    ids: dict[str, tuple[int, ...]] = field(default_factory=dict)  # casefolded external / CRM id -> ids
    sources: frozenset[str] = frozenset()  # CRM sources in use (for the indexed CRM id query)
    sorted_keys: list[str] = field(default_factory=list)
    blob: str = ""  # sorted_keys joined by _SEP, for infix search
    starts: list[int] = field(default_factory=list)  # offset of each sorted key in blob
    # Keys with Hangul, and keys with anything else (a key with both is in both): a query is only compared with
    # keys sharing its script, since a ratio of 50 or more needs letters in common.
    hangul: _Choices = field(default_factory=_Choices)
    other: _Choices = field(default_factory=_Choices)
    started: float = 0.0  # clock() when the build began
    seconds: float = 0.0  # how long the build took
    max_id: int = 0  # the highest customer id it holds: newer ids are new customers
    watermark: object = None  # the latest customers.updated_at it saw (later ones are in the delta)


def _add(table: dict[str, list[int]], key: str | None, cid: int) -> None:
    # Rows come one customer at a time, so a repeat of this customer can only be the last id.
    if key:
        ids = table.get(key)
        if ids is None:
            table[key] = [cid]
        elif ids[-1] != cid:
            ids.append(cid)


def build_index(rows: Iterable[tuple], started: float = 0.0) -> _Index:
    """The index for rows of (id, name, name_key, aliases, external_id, crm_source, crm_company_id)."""
    index = _Index(started=started)
    keys: dict[str, list[int]] = {}
    ids: dict[str, list[int]] = {}
    sources: set[str] = set()
    alias_keys: dict[str, str] = {}  # many customers share an alias spelling
    for cid, name, name_key, aliases, external_id, crm_source, crm_company_id in rows:
        index.names[cid] = name
        _add(keys, name_key, cid)
        if aliases:
            for alias in aliases.splitlines():
                key = alias_keys.get(alias)
                if key is None:
                    key = alias_keys[alias] = normalize_key(alias)
                _add(keys, key, cid)
        _add(ids, external_id.strip().casefold() if external_id else None, cid)
        _add(ids, crm_company_id.strip().casefold() if crm_company_id else None, cid)
        if crm_source and crm_company_id:
            sources.add(crm_source)
    index.keys = {k: tuple(v) for k, v in keys.items()}
    index.ids = {k: tuple(v) for k, v in ids.items()}
    index.sources = frozenset(sources)
    index.sorted_keys = sorted(keys)
    offset = 0
    for key in index.sorted_keys:
        index.starts.append(offset)
        offset += len(key) + 1
    index.blob = _SEP.join(index.sorted_keys)
    for key, key_ids in index.keys.items():
        if _HANGUL_RE.search(key):
            index.hangul.add(key, key_ids)
        if _NOT_HANGUL_RE.search(key):
            index.other.add(key, key_ids)
    return index


@dataclass(frozen=True)
class _Delta:
    """The customers written since the team's index was built, as a small index of their own; their entries in
    the big index are masked (renamed, or removed names). Replaced whole on each refresh (shared by threads)."""

    index: _Index
    masked: frozenset[int]
    checked: float  # clock() of the last check for changes
    base_started: float = 0.0  # the big index it completes

    @staticmethod
    def empty(checked: float, base_started: float = 0.0) -> "_Delta":
        return _Delta(_Index(), frozenset(), checked, base_started)


class _View:
    """The big index and its delta read as one: what `find` searches."""

    def __init__(self, base: _Index, delta: _Delta):
        self.base, self.delta, self.masked = base, delta.index, delta.masked

    def name(self, cid: int) -> str:
        name = self.delta.names.get(cid)
        return name if name is not None else self.base.names[cid]

    def ids(self, table: str, key: str) -> list[int]:
        base = [i for i in getattr(self.base, table).get(key, ()) if i not in self.masked]
        return base + list(getattr(self.delta, table).get(key, ()))

    def pairs(self, base_keys: Iterable[str], delta_keys: Iterable[str]) -> list[tuple[str, tuple[int, ...]]]:
        out = [(k, tuple(i for i in self.base.keys[k] if i not in self.masked)) for k in base_keys]
        out += [(k, self.delta.keys[k]) for k in delta_keys]
        return [(k, ids) for k, ids in out if ids]


def _exact_statement():
    """Built once: on the lookup path, building the statement costs more than running it."""
    c = Customer.__table__
    return (
        select(c.c.id, c.c.name)
        .where(c.c.team_id == bindparam("team_id"))
        .where(
            or_(
                c.c.name_key == bindparam("key"),
                c.c.external_id == bindparam("text"),
                c.c.domain == bindparam("domain"),
            )
        )
        .order_by(c.c.name)
        .limit(MAX_CANDIDATES + 1)
    )


_EXACT = _exact_statement()


class CustomerLookup:
    """`find(db, team_id, text)`. One instance per process: it holds the per-team indexes."""

    def __init__(
        self,
        sessions: Sessions | None = None,
        *,
        ttl: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        inline_rebuild: float = 0.05,
        full_ttl: float = 3600.0,
    ):
        """`sessions` lets a slow rebuild run in the background; without it every rebuild is inline.
        `inline_rebuild`: a team whose last build took longer than this many seconds is rebuilt in the background
        while its previous index keeps answering."""
        self.sessions = sessions
        self.ttl = ttl  # how often other processes' writes are looked for (a cheap indexed query)
        self.full_ttl = full_ttl  # how often the big index is rebuilt whatever happened (a safety net)
        self.builds = 0  # full builds so far (the tests count them)
        self._deltas: dict[str, _Delta] = {}
        self.clock = clock
        self.inline_rebuild = inline_rebuild
        self._indexes: dict[str, _Index] = {}
        self._invalidated: dict[str, float] = {}  # team -> clock() when last invalidated
        self._invalidated_all = float("-inf")
        self._rebuild_after: dict[str, float] = {}
        self._rebuilding: set[str] = set()
        self._lock = threading.Lock()
        self._building: dict[str, threading.Lock] = {}  # team -> held while a request builds its index inline
        self._warm = threading.Event()  # set once the start-up build is done (or none was started)
        self._warm.set()

    # -- the index --------------------------------------------------------------------------------------
    def invalidate(self, team_id: str | None = None) -> None:
        """Customers of a team (or of every team) were written: the next lookup fetches the changed rows."""
        with self._lock:
            if team_id is None:
                self._invalidated_all = self.clock()
            else:
                self._invalidated[team_id] = self.clock()

    def _fresh(self, team_id: str, index: _Index) -> bool:
        """The big index: rebuilt only after `full_ttl` or when a delta found deletions (`rebuild`)."""
        return index.started > self._rebuild_after.get(team_id, float("-inf")) and (
            self.clock() - index.started < self.full_ttl
        )

    def rebuild(self, team_id: str) -> None:
        """Rebuild the team's big index (customers were deleted, or the delta grew large)."""
        with self._lock:
            self._rebuild_after[team_id] = self.clock()

    def _delta_fresh(self, team_id: str, delta: _Delta | None, base: _Index) -> bool:
        if delta is None or delta.base_started != base.started:
            return False
        invalidated = max(self._invalidated.get(team_id, float("-inf")), self._invalidated_all)
        return delta.checked > invalidated and self.clock() - delta.checked < self.ttl

    def view(self, db: Session, team_id: str) -> _View:
        """The team's big index with the customers written since it was built: after a write in this process (or
        `ttl` seconds, for other processes' writes) one indexed query fetches only the changed rows."""
        base = self.index(db, team_id)
        with self._lock:
            delta = self._deltas.get(team_id)
        if not self._delta_fresh(team_id, delta, base):
            delta = self._load_delta(db, team_id, base)
            with self._lock:
                current = self._deltas.get(team_id)
                if current is None or current.checked <= delta.checked:
                    self._deltas[team_id] = delta
        return _View(base, delta)

    def _load_delta(self, db: Session, team_id: str, base: _Index) -> _Delta:
        checked = self.clock()
        conn = db.connection()
        c = Customer.__table__
        changed = c.c.id > base.max_id
        if base.watermark is not None:
            # A margin for writes that committed after the build read a later updated_at (clock skew, long
            # transactions): re-reading a few recent rows costs less than missing one.
            changed = or_(changed, c.c.updated_at >= base.watermark - DELTA_MARGIN)  # type: ignore[operator]
        rows = list(
            conn.execute(
                select(
                    c.c.id,
                    c.c.name,
                    c.c.name_key,
                    c.c.aliases,
                    c.c.external_id,
                    c.c.crm_source,
                    c.c.crm_company_id,
                    c.c.updated_at,
                )
                .where(c.c.team_id == team_id, changed)
                .order_by(c.c.id)
            )
        )
        count = conn.execute(select(func.count()).select_from(c).where(c.c.team_id == team_id)).scalar_one()
        new = sum(1 for r in rows if r[0] not in base.names)
        # Only the rows written after the build count towards a rebuild (not the margin's re-reads).
        later = sum(1 for r in rows if r[0] > base.max_id or base.watermark is None or r[7] > base.watermark)
        if count < len(base.names) + new or later > DELTA_MAX:
            self.rebuild(team_id)  # customers were deleted (they would still be found), or the delta grew large
        return _Delta(build_index((r[:7] for r in rows), checked), frozenset(r[0] for r in rows), checked, base.started)

    def watch(self, engine: Engine) -> None:
        """Invalidate every index once a transaction on `engine` that wrote to the customers table has committed.

        Writes are noted per connection; the index is invalidated when the connection goes back to the pool,
        which is after its COMMIT has finished, so a rebuild never reads the data from before it."""

        @event.listens_for(engine, "after_cursor_execute")
        def _note_write(conn, _cursor, _statement, _params, context, _executemany) -> None:
            if context is None or not (context.isinsert or context.isupdate or context.isdelete):
                return
            table = getattr(getattr(context.compiled, "statement", None), "table", None)
            if getattr(table, "name", None) == Customer.__tablename__:
                conn.info[_WRITTEN] = True

        @event.listens_for(engine, "rollback")
        def _forget(conn) -> None:
            conn.info.pop(_WRITTEN, None)

        @event.listens_for(engine, "commit")
        def _committed(conn) -> None:
            if conn.info.pop(_WRITTEN, False):
                conn.info[_WRITTEN + ".committed"] = True

        @event.listens_for(engine.pool, "checkin")
        def _released(_dbapi_conn, record) -> None:
            if record is not None and record.info.pop(_WRITTEN + ".committed", False):
                self.invalidate()

    def _load(self, db: Session, team_id: str) -> _Index:
        started = self.clock()
        t0 = time.perf_counter()
        stmt = select(
            Customer.id,
            Customer.name,
            Customer.name_key,
            Customer.aliases,
            Customer.external_id,
            Customer.crm_source,
            Customer.crm_company_id,
        ).where(col(Customer.team_id) == team_id)
        conn = db.connection()
        # The marks first: a customer written while the rows are read is then fetched again by the next delta.
        index_max, watermark = conn.execute(
            select(func.max(Customer.id), func.max(Customer.updated_at)).where(col(Customer.team_id) == team_id)
        ).one()
        index = build_index(conn.execute(stmt), started)
        index.max_id, index.watermark = index_max or 0, watermark
        index.seconds = time.perf_counter() - t0
        self.builds += 1
        return index

    def _store(self, team_id: str, index: _Index) -> None:
        with self._lock:
            current = self._indexes.get(team_id)
            if current is None or current.started <= index.started:
                self._indexes[team_id] = index
        # Move everything alive now, the new index included, out of the cyclic GC's reach: with 100k customers
        # the index is ~10^5 containers and every full collection walked them (85 ms pauses measured, the
        # /customer p99 at 100k). The index holds no reference cycles, so a replaced one is still freed by
        # reference counting; only cyclic garbage alive at this instant is kept (small, once per rebuild).
        gc.freeze()

    def _rebuild_in_background(self, team_id: str) -> None:
        with self._lock:
            if team_id in self._rebuilding:
                return
            self._rebuilding.add(team_id)

        def run() -> None:
            try:
                with self.sessions.begin() as db:  # type: ignore[union-attr]
                    self._store(team_id, self._load(db, team_id))
            except Exception:
                log.exception("rebuilding the customer index of %s failed", team_id)
                self.invalidate(team_id)
            finally:
                with self._lock:
                    self._rebuilding.discard(team_id)

        threading.Thread(target=run, name=f"lookup-{team_id}", daemon=True).start()

    def warm(self) -> threading.Thread | None:
        """Build every team's index in a background thread (at start-up, so no user waits for the first build)."""
        if self.sessions is None:
            return None
        self._warm.clear()

        def run() -> None:
            try:
                with self.sessions.begin() as db:  # type: ignore[union-attr]
                    teams = list(db.connection().execute(select(Customer.team_id).distinct()).scalars())
                for team_id in teams:
                    with self.sessions.begin() as db:  # type: ignore[union-attr]
                        self._store(team_id, self._load(db, team_id))
            except Exception:
                log.exception("warming the customer indexes failed; they are built on first use")
            finally:
                self._warm.set()

        thread = threading.Thread(target=run, name="lookup-warm", daemon=True)
        thread.start()
        return thread

    @property
    def ready(self) -> bool:
        """False while the start-up build runs (`/healthz` answers 503 until then)."""
        return self._warm.is_set()

    def index(self, db: Session, team_id: str) -> _Index:
        """The team's index: built inline the first time, then refreshed after `ttl` or a write. A request during
        the start-up build waits for it (up to WARM_WAIT) rather than building a second index beside it, and of
        several requests finding no index only one builds it (at 100,000 customers, eight requests each building
        their own under load took 21 s)."""
        if not self._warm.is_set():
            self._warm.wait(WARM_WAIT)
        with self._lock:
            index = self._indexes.get(team_id)
            fresh = index is not None and self._fresh(team_id, index)
        if fresh:
            return index  # type: ignore[return-value]
        if index is not None and self.sessions is not None and index.seconds > self.inline_rebuild:
            self._rebuild_in_background(team_id)
            return index
        with self._lock:
            building = self._building.setdefault(team_id, threading.Lock())
        with building:  # one inline build per team: the requests arriving meanwhile wait for it and use it
            with self._lock:
                index = self._indexes.get(team_id)
                if index is not None and self._fresh(team_id, index):
                    return index
            index = self._load(db, team_id)
            self._store(team_id, index)
        return index

    # -- finding ----------------------------------------------------------------------------------------
    def find(self, db: Session, team_id: str, text: str) -> LookupResult:
        """The team's customer for `text`, the candidates when several fit, or the closest names."""
        text = (text or "").strip()
        key = normalize_key(text)
        if not key:
            return LookupResult(query=text)

        # 1. exact name key, external id or domain: indexed, and always current
        exact = db.connection().execute(
            _EXACT, {"team_id": team_id, "key": key, "text": text, "domain": domain_of(text)}
        )
        hits = [Match(cid, name) for cid, name in exact]
        if hits:
            return self._result(text, hits)

        view = self.view(db, team_id)
        sources = view.base.sources | view.delta.sources
        if sources:
            crm = db.connection().execute(
                select(Customer.id, Customer.name)
                .where(col(Customer.team_id) == team_id)
                .where(col(Customer.crm_source).in_(sorted(sources)), Customer.crm_company_id == text)
                .limit(MAX_CANDIDATES + 1)
            )
            hits = [Match(cid, name) for cid, name in crm]
            if hits:
                return self._result(text, hits)

        # 2. in memory: aliases and ids ignoring case, then prefixes, then infixes
        for ids in (view.ids("keys", key), view.ids("ids", text.casefold())):
            if ids:
                return self._result(text, [Match(i, view.name(i)) for i in ids])
        found, complete = _prefix(view, key)
        if not found and len(key) >= 2:
            found, complete = _infix(view, key)
        if found:
            return self._result(text, [Match(i, view.name(i)) for i in found], complete=complete)

        # 3. typos, and a query that starts with a whole customer key
        return _fuzzy(view, text, key)

    @staticmethod
    def _result(text: str, hits: list[Match], *, complete: bool = True) -> LookupResult:
        unique = list(dict.fromkeys(hits))
        if len(unique) == 1 and complete:
            return LookupResult(query=text, customer_id=unique[0].id)
        shown = tuple(unique[:MAX_CANDIDATES])
        return LookupResult(query=text, candidates=shown, more=len(unique) > len(shown) or not complete)


def _ids_ranked(view: _View, pairs: Iterable[tuple[str, tuple[int, ...]]]) -> list[int]:
    """Customer ids of the keys, the shortest key (closest to the query) first, then by name; deduplicated."""
    out: dict[int, tuple[int, str]] = {}
    for k, ids in pairs:
        for cid in ids:
            rank = (len(k), view.name(cid))
            if cid not in out or rank < out[cid]:
                out[cid] = rank
    return sorted(out, key=out.__getitem__)


def _closest(view: _View, pairs: list[tuple[str, tuple[int, ...]]], complete: bool) -> tuple[list[int], bool]:
    """The customers of the shortest matching keys, and whether that is all of them."""
    if len(pairs) <= MAX_CANDIDATES + 1:
        return _ids_ranked(view, pairs), complete
    return _ids_ranked(view, heapq.nsmallest(MAX_CANDIDATES + 1, pairs, key=lambda p: len(p[0]))), False


def _prefix_keys(index: _Index, key: str) -> tuple[list[str], bool]:
    lo = bisect.bisect_left(index.sorted_keys, key)
    hi = bisect.bisect_left(index.sorted_keys, key + "\U0010ffff", lo)
    return index.sorted_keys[lo : min(hi, lo + PREFIX_SCAN)], hi - lo <= PREFIX_SCAN


def _infix_keys(index: _Index, key: str) -> tuple[list[str], bool]:
    found: list[str] = []
    pos = index.blob.find(key)
    while pos != -1 and len(found) < PREFIX_SCAN:
        i = bisect.bisect_right(index.starts, pos) - 1
        found.append(index.sorted_keys[i])
        pos = index.blob.find(key, index.starts[i] + len(index.sorted_keys[i]) + 1)
    return found, pos == -1


def _prefix(view: _View, key: str) -> tuple[list[int], bool]:
    """Customers with a key starting with `key` (bisecting the sorted keys), and whether all are listed."""
    (base, b_all), (delta, d_all) = _prefix_keys(view.base, key), _prefix_keys(view.delta, key)
    return _closest(view, view.pairs(base, delta), b_all and d_all)


def _infix(view: _View, key: str) -> tuple[list[int], bool]:
    """Customers with a key containing `key` (one scan of the joined keys), and whether all are listed."""
    (base, b_all), (delta, d_all) = _infix_keys(view.base, key), _infix_keys(view.delta, key)
    return _closest(view, view.pairs(base, delta), b_all and d_all)


def _scores(index: _Index, key: str, best: dict[int, float], skip: frozenset[int]) -> None:
    query = jamo(key)
    for choices, wanted in ((index.hangul, _HANGUL_RE), (index.other, _NOT_HANGUL_RE)):
        if not wanted.search(key) or not choices.texts:
            continue
        subset = choices.candidates(query)
        texts = choices.texts if subset is None else [choices.texts[i] for i in subset]
        scored = process.extract(query, texts, scorer=fuzz.ratio, score_cutoff=SUGGEST, limit=MAX_CANDIDATES * 3)
        for _choice, score, position in scored:
            for cid in choices.ids[position if subset is None else subset[position]]:
                if cid not in skip:
                    best[cid] = max(best.get(cid, 0.0), score)


def _fuzzy(index: "_Index | _View", text: str, key: str) -> LookupResult:
    """Typos (rapidfuzz on the keys sharing the most trigrams) and a query starting with a whole customer key."""
    view = index if isinstance(index, _View) else _View(index, _Delta.empty(0.0))
    best: dict[int, float] = {}
    words = _words(text)
    for n in range(len(words) - 1, 0, -1):  # "acme crop": the leading word "acme" is ACME's key
        lead = "".join(words[:n])
        lead_ids = view.ids("keys", lead) if len(lead) >= 2 else []
        if lead_ids:
            for cid in lead_ids:
                best[cid] = max(best.get(cid, 0.0), LEADING_WORDS)
            break
    _scores(view.base, key, best, view.masked)
    _scores(view.delta, key, best, frozenset())
    ranked = sorted(best.items(), key=lambda item: (-item[1], view.name(item[0])))
    if ranked and ranked[0][1] >= MATCH and (len(ranked) == 1 or ranked[0][1] - ranked[1][1] >= MARGIN):
        return LookupResult(query=text, customer_id=ranked[0][0])
    close = [Match(c, view.name(c)) for c, s in ranked if s >= AMBIGUOUS]
    if close:
        return LookupResult(query=text, candidates=tuple(close[:MAX_CANDIDATES]))
    return LookupResult(query=text, suggestions=tuple(Match(c, view.name(c)) for c, _ in ranked[:MAX_SUGGESTIONS]))
