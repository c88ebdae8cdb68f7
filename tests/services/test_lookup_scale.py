"""The lookup at scale: typos scored against the keys sharing the most trigrams give the answer the full scan
gives, and the start-up build is waited for (and reported by /healthz) instead of built twice."""

import contextlib
import random
import threading

import pytest

from bot.services import lookup
from bot.text import normalize_key

SYLLABLES = ["한", "빛", "물", "류", "삼", "성", "전", "자", "대", "한", "통", "운", "미", "래", "에", "셋"]
WORDS = ["acme", "globex", "initech", "umbrella", "stark", "wayne", "tyrell", "cyber", "dyne", "soylent", "hooli"]


def _names(n: int, rng: random.Random) -> list[str]:
    out = set()
    while len(out) < n:
        if rng.random() < 0.4:
            out.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(3, 5))))
        else:
            out.add(f"{rng.choice(WORDS)} {rng.choice(WORDS)}{rng.randint(1, 999)}")
    return sorted(out)


def _typo(name: str, rng: random.Random) -> str:
    i = rng.randrange(len(name) - 1)
    return name[:i] + name[i + 1] + name[i] + name[i + 2 :] if rng.random() < 0.5 else name[:i] + name[i + 1 :]


@pytest.mark.parametrize("seed", range(2))
def test_a_typo_finds_what_the_full_scan_finds(monkeypatch, seed):
    """Over 4,000 English and Korean names, 200 typos (swapped or missing letters) get the same answer with the
    trigram prefilter as when every key is scored."""
    rng = random.Random(seed)
    names = _names(4000, rng)
    index = lookup.build_index((i, name, normalize_key(name), None, None, None, None) for i, name in enumerate(names))
    queries = [_typo(rng.choice(names), rng) for _ in range(200)]
    with_prefilter = [lookup._fuzzy(index, q, normalize_key(q)) for q in queries]
    monkeypatch.setattr(lookup, "FUZZY_CANDIDATES", 10**9)  # every key scored
    full = [lookup._fuzzy(index, q, normalize_key(q)) for q in queries]
    same = sum(
        a.customer_id == b.customer_id and a.candidates[:1] == b.candidates[:1]
        for a, b in zip(with_prefilter, full, strict=True)
    )
    assert same == len(queries)
    assert sum(r.customer_id is not None for r in full) > len(queries) // 2  # the typos do find their customer


class _HeldSessions:
    """Sessions whose first unit of work waits until the test releases it (the start-up build, held)."""

    def __init__(self, sessions):
        self.sessions, self.release = sessions, threading.Event()
        self.engine = sessions.engine

    @contextlib.contextmanager
    def begin(self):
        self.release.wait(10)
        with self.sessions.begin() as db:
            yield db


def test_healthz_is_503_until_the_lookup_index_is_built(baton):
    """While the start-up build runs, /healthz answers 503 naming it; once built, 200."""
    held = _HeldSessions(baton.deps.sessions)
    baton.deps.lookup = lookup.CustomerLookup(held)
    thread = baton.deps.lookup.warm()
    try:
        resp = baton.http.get("/healthz")
        assert resp.status_code == 503 and resp.json()["lookup"] == "building the customer index"
    finally:
        held.release.set()
        thread.join(10)
    assert baton.http.get("/healthz").status_code == 200
