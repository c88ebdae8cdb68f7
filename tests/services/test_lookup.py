"""Finding customers from what people type, in English and Korean, scoped to the team."""

import pytest

from bot.models import Customer
from bot.services.lookup import CustomerLookup
from bot.text import normalize_key

CUSTOMERS = [
    # name, aliases, domain, external id, crm company id
    ("ACME Corp.", "Acme Rockets", "acme.com", "EXT-1", "9001"),
    ("삼성전자", "Samsung Electronics", "samsung.com", "EXT-2", None),
    ("Globex Ltd", None, "globex.example", "EXT-3", None),
    ("Initech", None, None, None, None),
    ("Initrode", None, None, None, None),
    ("한빛소프트", None, None, None, None),
    ("Umbrella Health", None, None, None, None),
    ("Umbrella Energy", None, None, None, None),
]


@pytest.fixture
def ids(baton):
    out = {}
    with baton.deps.sessions.begin() as db:
        for name, aliases, domain, ext, crm in CUSTOMERS:
            c = Customer(
                team_id="T111",
                name=name,
                name_key=normalize_key(name),
                aliases=aliases,
                domain=domain,
                external_id=ext,
                crm_company_id=crm,
                crm_source="hubspot" if crm else None,
            )
            db.add(c)
            db.flush()
            out[name] = c.id
        db.add(Customer(team_id="T999", name="Secret Co", name_key="secret"))
    return out


def find(baton, text, team="T111"):
    with baton.deps.sessions.begin() as db:
        return CustomerLookup().find(db, team, text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ACME Corp.", "ACME Corp."),
        ("acme", "ACME Corp."),  # case and company suffix
        ("  Acme   corp ", "ACME Corp."),  # spacing
        ("Acme Rockets", "ACME Corp."),  # alias
        ("acme.com", "ACME Corp."),  # domain
        ("https://www.acme.com/", "ACME Corp."),
        ("EXT-3", "Globex Ltd"),  # external id
        ("9001", "ACME Corp."),  # CRM company id
        ("acme crop", "ACME Corp."),  # typo
        ("삼성", "삼성전자"),  # partial Korean name
        ("삼성전쟈", "삼성전자"),  # Korean typo (one jamo)
        ("samsung", "삼성전자"),  # partial alias
        ("한빛", "한빛소프트"),
        ("globx", "Globex Ltd"),
    ],
)
def test_finds_the_customer(baton, ids, text, expected):
    """Exact, alias, domain, ids, partial and misspelt names all find the one customer."""
    assert find(baton, text).customer_id == ids[expected]


def test_several_matches_are_candidates(baton, ids):
    """A partial name that fits several customers lists them."""
    result = find(baton, "umbrella")
    assert result.customer_id is None
    assert {m.name for m in result.candidates} == {"Umbrella Health", "Umbrella Energy"}


def test_no_match_suggests_closest_names(baton, ids):
    """A name that fits nobody comes back with the closest names."""
    result = find(baton, "intrepid")
    assert result.customer_id is None and not result.candidates
    assert [m.name for m in result.suggestions] == ["Initrode", "Initech"]
    nothing = find(baton, "zzzzqqqq")
    assert nothing.customer_id is None and not nothing.candidates and not nothing.suggestions


def test_empty_query_finds_nothing(baton, ids):
    """Blank or punctuation-only text is no query."""
    assert find(baton, "   ") == find(baton, "...") == type(find(baton, ""))()


def test_other_teams_customers_are_never_found(baton, ids):
    """A T999 customer is invisible from T111 and T111's from T999."""
    assert find(baton, "Secret Co").customer_id is None
    assert find(baton, "acme", team="T999").customer_id is None
    assert find(baton, "Secret Co", team="T999").customer_id is not None
