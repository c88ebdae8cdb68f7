"""Finding customers from what people type, in English and Korean, scoped to the team."""

import threading

import pytest

from bot.models import Customer
from bot.services.lookup import MAX_CANDIDATES, CustomerLookup, LookupResult, build_index, domain_of, jamo
from bot.text import normalize_key

CUSTOMERS = [
    # name, aliases, domain, external id, (crm source, crm company id)
    ("ACME Corp.", "Acme Rockets", "acme.com", "EXT-1", ("hubspot", "9001")),
    ("삼성전자", "Samsung Electronics", "samsung.com", "EXT-2", None),
    ("Globex Ltd", None, "globex.example", "EXT-3", ("salesforce", "0015g00000ABC")),
    ("Initech", None, None, None, None),
    ("Initrode", None, None, None, None),
    ("한빛소프트", None, None, None, None),
    ("Umbrella Health", None, "umbrella.com", None, None),
    ("Umbrella Energy", None, "umbrella.com", None, None),  # two customers share a domain
    ("(주)카카오뱅크", "카뱅", None, None, None),
]


def add(db, name, team="T111", aliases=None, domain=None, ext=None, crm=None) -> int:
    c = Customer(
        team_id=team,
        name=name,
        name_key=normalize_key(name),
        aliases=aliases,
        domain=domain,
        external_id=ext,
        crm_source=crm[0] if crm else None,
        crm_company_id=crm[1] if crm else None,
    )
    db.add(c)
    db.flush()
    return c.id


@pytest.fixture
def ids(baton):
    with baton.deps.sessions.begin() as db:
        out = {
            name: add(db, name, aliases=aliases, domain=domain, ext=ext, crm=crm)
            for name, aliases, domain, ext, crm in CUSTOMERS
        }
        out["Secret Co"] = add(db, "Secret Co", team="T999", domain="secret.example", ext="EXT-1")
    return out


def find(baton, text, team="T111", lookup=None) -> LookupResult:
    with baton.deps.sessions.begin() as db:
        return (lookup or CustomerLookup()).find(db, team, text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ACME Corp.", "ACME Corp."),  # exact
        ("acme", "ACME Corp."),  # case and company suffix
        ("  Acme   corp ", "ACME Corp."),  # spacing
        ("ACME, Inc", "ACME Corp."),
        ("Acme Rockets", "ACME Corp."),  # alias
        ("acme.com", "ACME Corp."),  # domain
        ("https://www.acme.com/pricing", "ACME Corp."),
        ("EXT-3", "Globex Ltd"),  # external id
        ("ext-3", "Globex Ltd"),  # ids ignore case
        ("9001", "ACME Corp."),  # CRM company id
        ("0015g00000ABC", "Globex Ltd"),
        ("acme crop", "ACME Corp."),  # typo
        ("globx", "Globex Ltd"),
        ("삼성", "삼성전자"),  # partial Korean name
        ("삼성전쟈", "삼성전자"),  # Korean typo (one jamo)
        ("삼성 전자", "삼성전자"),  # Korean spacing
        ("㈜삼성전자", "삼성전자"),  # Korean company form
        ("samsung", "삼성전자"),  # partial alias
        ("한빛", "한빛소프트"),
        ("소프트", "한빛소프트"),  # inside the name
        ("카카오뱅크", "(주)카카오뱅크"),
        ("카뱅", "(주)카카오뱅크"),  # Korean alias
        ("rockets", "ACME Corp."),  # inside an alias
    ],
)
def test_finds_the_customer(baton, ids, text, expected):
    """Exact, alias, domain, ids, partial and misspelt names all find the one customer."""
    result = find(baton, text)
    assert result.customer_id == ids[expected], result


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("umbrella", {"Umbrella Health", "Umbrella Energy"}),  # partial name
        ("umbrella.com", {"Umbrella Health", "Umbrella Energy"}),  # shared domain
        ("init", {"Initech", "Initrode"}),
    ],
)
def test_several_matches_are_candidates(baton, ids, text, expected):
    """A name, prefix or domain that fits several customers lists them all, nothing chosen."""
    result = find(baton, text)
    assert result.customer_id is None and not result.suggestions and not result.more
    assert {m.name for m in result.candidates} == expected


def test_no_match_suggests_closest_names(baton, ids):
    """A name that fits nobody comes back with the closest names, best first; gibberish gets nothing."""
    result = find(baton, "intrepid")
    assert result.customer_id is None and not result.candidates
    assert [m.name for m in result.suggestions] == ["Initrode", "Initech"]
    nothing = find(baton, "zzzzqqqq")
    assert nothing == LookupResult(query="zzzzqqqq")


@pytest.mark.parametrize("text", ["", "   ", "...", "(주)", "!!"])
def test_empty_query_finds_nothing(baton, ids, text):
    """Blank, punctuation-only or company-form-only text is no query."""
    result = find(baton, text)
    assert result.customer_id is None and not result.candidates and not result.suggestions


@pytest.mark.parametrize(
    ("text", "team", "found"),
    [
        ("Secret Co", "T111", None),
        ("secret.example", "T111", None),
        ("acme", "T999", None),
        ("삼성", "T999", None),
        ("EXT-1", "T111", "ACME Corp."),  # the same external id in both teams
        ("EXT-1", "T999", "Secret Co"),
        ("Secret Co", "T999", "Secret Co"),
    ],
)
def test_other_teams_customers_are_never_found(baton, ids, text, team, found):
    """A T999 customer is invisible from T111 and T111's from T999, not even as a suggestion."""
    result = find(baton, text, team=team)
    assert result.customer_id == (ids[found] if found else None)
    listed = {m.id for m in (*result.candidates, *result.suggestions)}
    other = {ids["Secret Co"]} if team == "T111" else {v for k, v in ids.items() if k != "Secret Co"}
    assert not listed & other


def test_many_matches_list_the_closest_and_say_there_are_more(baton):
    """A short prefix that fits dozens lists the ten closest (shortest) names and flags the rest."""
    with baton.deps.sessions.begin() as db:
        for i in range(30):
            add(db, f"Apex {'x' * i} Systems")
    result = find(baton, "apex")
    assert len(result.candidates) == MAX_CANDIDATES and result.more
    assert result.candidates[0].name == "Apex  Systems"


def test_customers_written_in_this_process_are_found_at_once(baton, ids):
    """The app's lookup watches the engine: a committed write invalidates the cached index, a rollback does not."""
    lookup = baton.deps.lookup
    assert find(baton, "initrod", lookup=lookup).customer_id == ids["Initrode"]
    with baton.deps.sessions.begin() as db:
        add(db, "Initrode Labs")
    assert {m.name for m in find(baton, "initrod", lookup=lookup).candidates} == {"Initrode", "Initrode Labs"}
    with pytest.raises(RuntimeError), baton.deps.sessions.begin() as db:
        add(db, "Initrode Rolled Back")
        raise RuntimeError
    assert {m.name for m in find(baton, "initrod", lookup=lookup).candidates} == {"Initrode", "Initrode Labs"}


def test_index_refreshes_after_its_ttl(baton, ids):
    """Without the write watcher (another process wrote), a new customer is found by a partial name after the TTL."""
    now = [0.0]
    lookup = CustomerLookup(ttl=60, clock=lambda: now[0])
    assert find(baton, "한빛", lookup=lookup).customer_id == ids["한빛소프트"]
    with baton.deps.sessions.begin() as db:
        new = add(db, "한빛미디어")
    assert find(baton, "한빛", lookup=lookup).customer_id == ids["한빛소프트"]  # cached
    assert find(baton, "한빛미디어", lookup=lookup).customer_id == new  # exact names are always current
    now[0] = 61
    assert {m.id for m in find(baton, "한빛", lookup=lookup).candidates} == {ids["한빛소프트"], new}


def test_writes_update_the_index_without_rebuilding_it(baton, ids):
    """A new customer, a rename and another process's write are found by partial names from the changed rows
    alone: the big index is built once."""
    now = [0.0]
    lookup = CustomerLookup(baton.deps.sessions, clock=lambda: now[0])
    assert find(baton, "한빛", lookup=lookup).customer_id == ids["한빛소프트"]
    with baton.deps.sessions.begin() as db:
        new = add(db, "한빛미디어")
    now[0] = 1
    lookup.invalidate("T111")  # what the write watcher does after this process commits
    assert {m.id for m in find(baton, "한빛", lookup=lookup).candidates} == {ids["한빛소프트"], new}
    with baton.deps.sessions.begin() as db:
        c = db.get(Customer, ids["한빛소프트"])
        c.name, c.name_key = "Hanbit Soft", normalize_key("Hanbit Soft")
    now[0] = 2
    lookup.invalidate("T111")
    assert find(baton, "한빛", lookup=lookup).customer_id == new  # the old name is gone
    assert find(baton, "hanbit", lookup=lookup).customer_id == ids["한빛소프트"]
    with baton.deps.sessions.begin() as db:  # another process: no invalidation, found after the TTL
        other = add(db, "Hanbitworks")
    now[0] = 70
    assert {m.id for m in find(baton, "hanbit", lookup=lookup).candidates} == {ids["한빛소프트"], other}
    assert lookup.builds == 1


def test_a_deleted_customer_rebuilds_the_index_in_the_background(baton, ids):
    """Rows that vanished cannot be found by a delta: the big index is rebuilt in the background (the old one
    answers meanwhile), then the deleted customer is no longer found."""
    lookup = CustomerLookup(baton.deps.sessions, inline_rebuild=0.0)
    assert find(baton, "한빛", lookup=lookup).customer_id == ids["한빛소프트"]
    with baton.deps.sessions.begin() as db:
        db.delete(db.get(Customer, ids["한빛소프트"]))
    lookup.invalidate("T111")
    find(baton, "한빛", lookup=lookup)  # notices the deletion: a rebuild is due
    find(baton, "한빛", lookup=lookup)  # starts it in the background, the old index answers
    for thread in threading.enumerate():
        if thread.name == "lookup-T111":
            thread.join(timeout=10)
    assert find(baton, "한빛", lookup=lookup).customer_id is None
    assert lookup.builds == 2


def test_warm_builds_every_teams_index(baton, ids):
    """At start-up every team's index is built in the background, so no user waits for the first build."""
    lookup = CustomerLookup(baton.deps.sessions)
    lookup.warm().join(timeout=10)
    assert set(lookup._indexes) == {"T111", "T999"}
    with baton.deps.sessions.begin() as db:
        assert lookup.index(db, "T999") is lookup._indexes["T999"]  # no rebuild


def test_requests_finding_no_index_build_it_once(baton, ids, monkeypatch):
    """Eight requests arriving together before any index exists (or while the start-up build runs) build one
    index between them, not one each; all get the same answer."""
    lookup = CustomerLookup(baton.deps.sessions)
    load, entered, release = lookup._load, threading.Event(), threading.Event()

    def slow_load(db, team_id):
        entered.set()
        release.wait(10)  # the first build is still running while the others arrive
        return load(db, team_id)

    monkeypatch.setattr(lookup, "_load", slow_load)
    answers: list = []

    def request() -> None:
        with baton.deps.sessions.begin() as db:
            answers.append(lookup.find(db, "T111", "한빛").customer_id)

    threads = [threading.Thread(target=request) for _ in range(8)]
    for t in threads:
        t.start()
    assert entered.wait(10)
    release.set()
    for t in threads:
        t.join(10)
    assert answers == [ids["한빛소프트"]] * 8
    assert lookup.builds == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://www.Acme.com/about", "acme.com"),
        ("acme.com", "acme.com"),
        ("WWW.ACME.COM.", "acme.com"),
        ("http://sub.acme.co.kr?x=1", "sub.acme.co.kr"),
    ],
)
def test_domain_of(text, expected):
    """URLs and host names are reduced to the stored domain form."""
    assert domain_of(text) == expected


def test_index_keys():
    """The index holds name keys, alias keys, ids ignoring case, CRM sources, and jamo for fuzzy matching."""
    rows = [
        (1, "ACME Corp.", "acme", "Acme Rockets\nRoadrunner", "EXT-1", "hubspot", "9001"),
        (2, "삼성전자", "삼성전자", None, None, None, None),
        (3, "Acme", "acme2", None, None, None, None),
    ]
    index = build_index(rows)
    assert index.keys["acme"] == (1,) and index.keys["acmerockets"] == (1,) and index.keys["roadrunner"] == (1,)
    assert index.ids == {"ext-1": (1,), "9001": (1,)} and index.sources == frozenset({"hubspot"})
    assert index.hangul.texts == [jamo("삼성전자")] and index.hangul.ids == [(2,)]  # typos compared as jamo
    assert set(index.other.texts) == {"acme", "acme2", "acmerockets", "roadrunner"}
    assert index.sorted_keys == sorted(index.keys)
    assert index.blob.split("\x00") == index.sorted_keys
