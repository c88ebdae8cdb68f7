"""POST /api/v1/health-snapshots end to end through the real WSGI app: tokens, team scoping, validation, upserts."""

import json
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.api import MAX_BODY, MAX_ITEMS
from bot.models import ApiToken, Customer, HealthScore, HealthSnapshot
from bot.services import tokens
from tests.conftest import TEAM

URL = "/api/v1/health-snapshots"
OTHER_TEAM = "T222"


def add_customer(baton, name: str, team: str = TEAM, **fields) -> int:
    with baton.deps.sessions.begin() as db:
        customer = Customer(team_id=team, name=name, name_key=name.lower(), **fields)
        db.add(customer)
        db.flush()
        return customer.id


def new_token(baton, team: str = TEAM, name: str = "zapier") -> str:
    with baton.deps.sessions.begin() as db:
        _, token = tokens.create_token(db, team, name, baton.clock())
    return token


def post(baton, token: str | None, body: object = None, *, content: bytes | None = None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if content is None:
        content = json.dumps(body).encode()
    return baton.http.post(URL, content=content, headers={**headers, "Content-Type": "application/json"})


def stored(baton) -> list[tuple]:
    rows = baton.all(HealthSnapshot)
    return sorted((s.customer_id, s.signal, s.as_of.isoformat(), s.source, s.value, s.recorded_by) for s in rows)


@pytest.fixture
def acme(baton) -> int:
    return add_customer(baton, "acme", external_id="crm-1", domain="acme.com")


@pytest.fixture
def token(baton) -> str:
    return new_token(baton)


def today(baton) -> str:
    return baton.clock().date().isoformat()


def test_post_stores_snapshots(baton, acme, token):
    """A valid batch is stored for the token's team; source defaults to "api"; counts come back."""
    day = today(baton)
    body = {
        "snapshots": [
            {"customer": "crm-1", "date": day, "signal": "nps", "value": 9, "source": "delighted"},
            {"customer": "acme.com", "date": day, "signal": "license utilization", "value": 72.5},
        ]
    }
    resp = post(baton, token, body)
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"inserted": 2, "updated": 0, "unchanged": 0, "skipped": 0}
    token_id = baton.all(ApiToken)[0].id
    assert stored(baton) == [
        (acme, "license_utilisation", day, "api", 72.5, f"api:{token_id}"),
        (acme, "nps", day, "delighted", 9.0, f"api:{token_id}"),
    ]


def test_post_is_idempotent_and_updates_changed_values(baton, acme, token):
    """The same batch again is all unchanged; a new value for a key updates that row only."""
    item = {"customer": "crm-1", "date": today(baton), "signal": "nps", "value": 7}
    other = {"customer": "crm-1", "date": today(baton), "signal": "csat", "value": 4}
    assert post(baton, token, {"snapshots": [item, other]}).json()["inserted"] == 2
    assert post(baton, token, {"snapshots": [item, other]}).json() == {
        "inserted": 0,
        "updated": 0,
        "unchanged": 2,
        "skipped": 0,
    }
    resp = post(baton, token, {"snapshots": [{**item, "value": 8}, other]})
    assert resp.json() == {"inserted": 0, "updated": 1, "unchanged": 1, "skipped": 0}
    assert sorted((s.signal, s.value) for s in baton.all(HealthSnapshot)) == [("csat", 4.0), ("nps", 8.0)]


def test_post_recomputes_the_daily_score(baton, acme, token):
    """Written snapshots score the affected customer's days: today's, and tomorrow's (kept for teams whose local
    date is already tomorrow), with the team's health settings."""
    post(baton, token, {"snapshots": [{"customer": "crm-1", "date": today(baton), "signal": "nps", "value": 9}]})
    scores = baton.all(HealthScore)
    day = baton.clock().date()
    assert [(s.customer_id, s.day) for s in scores] == [(acme, day), (acme, day + timedelta(days=1))]


@pytest.mark.parametrize(
    "authorization",
    [None, "Basic dXNlcjpwYXNz", "Bearer", "Bearer not-a-baton-token", "Bearer baton_" + "x" * 43],
)
def test_missing_or_wrong_token_is_401(baton, acme, authorization):
    """No bearer token, another scheme or an unknown token: 401 with a JSON error, nothing written."""
    headers = {"Authorization": authorization} if authorization else {}
    body = {"snapshots": [{"customer": "crm-1", "date": "2026-11-20", "signal": "nps", "value": 9}]}
    resp = baton.http.post(URL, json=body, headers=headers)
    assert resp.status_code == 401 and resp.headers["content-type"] == "application/json"
    assert resp.json()["error"]
    assert stored(baton) == []


def test_revoked_token_is_401(baton, acme, token):
    """A revoked token stops working at once."""
    with baton.deps.sessions.begin() as db:
        tokens.revoke_token(db, TEAM, token[: tokens.PREFIX_CHARS], baton.clock())
    body = {"snapshots": [{"customer": "crm-1", "date": "2026-11-20", "signal": "nps", "value": 9}]}
    resp = post(baton, token, body)
    assert resp.status_code == 401 and resp.json() == {"error": "invalid or revoked token"}


def test_other_teams_token_cannot_touch_this_teams_customers(baton, acme):
    """A token of another team sees this team's customers as unknown and writes nothing."""
    add_customer(baton, "umbrella", team=OTHER_TEAM, external_id="crm-9")
    other_token = new_token(baton, team=OTHER_TEAM)
    body = {"snapshots": [{"customer": "crm-1", "date": "2026-11-20", "signal": "nps", "value": 9}]}
    resp = post(baton, other_token, body)
    assert resp.status_code == 400
    assert resp.json()["errors"] == [{"index": 0, "code": "unknown_customer", "reason": "unknown customer 'crm-1'"}]
    assert stored(baton) == []


@pytest.mark.parametrize(
    ("item", "code"),
    [
        ({"customer": "nobody", "date": "2026-11-20", "signal": "nps", "value": 9}, "unknown_customer"),
        ({"date": "2026-11-20", "signal": "nps", "value": 9}, "missing_customer"),
        ({"customer": "crm-1", "date": "Nov 20", "signal": "nps", "value": 9}, "bad_date"),
        ({"customer": "crm-1", "date": 20261120, "signal": "nps", "value": 9}, "bad_date"),
        ({"customer": "crm-1", "date": "2026-11-20", "signal": "mood", "value": 9}, "unknown_signal"),
        ({"customer": "crm-1", "date": "2026-11-20", "signal": "nps", "value": 11}, "out_of_range"),
        ({"customer": "crm-1", "date": "2026-11-20", "signal": "nps", "value": "high"}, "not_a_number"),
        ({"customer": "crm-1", "date": "2026-11-20", "signal": "champion", "value": True}, "not_a_number"),
        ({"customer": "crm-1", "date": "2026-11-20", "signal": "open_tickets", "value": 2.5}, "not_whole"),
        ({"customer": "crm-1", "date": "2026-11-20", "signal": "nps"}, "missing_value"),
        ({"customer": "crm-1", "date": "2026-11-20", "signal": "nps", "value": 9, "source": "s" * 33}, "bad_source"),
        ({"customer": ["crm-1"], "date": "2026-11-20", "signal": "nps", "value": 9}, "bad_customer"),
        ({"customer": "crm-1", "date": "2026-11-20", "signal": {"name": "nps"}, "value": 9}, "unknown_signal"),
        ("crm-1,2026-11-20,nps,9", "not_an_object"),
    ],
)
def test_invalid_item_rejects_the_batch(baton, acme, token, item, code):
    """One invalid item: 400 naming its index and reason, and nothing from the batch is written."""
    good = {"customer": "crm-1", "date": "2026-11-19", "signal": "nps", "value": 8}
    resp = post(baton, token, {"snapshots": [good, item]})
    assert resp.status_code == 400, resp.text
    body = resp.json()
    assert body["error"] == "invalid snapshots"
    assert [(e["index"], e["code"]) for e in body["errors"]] == [(1, code)]
    assert all(e["reason"] for e in body["errors"])
    assert stored(baton) == []


def test_skip_invalid_stores_the_good_items(baton, acme, token):
    """With skip_invalid the valid items are stored and the invalid ones come back as errors."""
    items = [
        {"customer": "crm-1", "date": "2026-11-19", "signal": "nps", "value": 8},
        {"customer": "nobody", "date": "2026-11-19", "signal": "nps", "value": 8},
    ]
    resp = post(baton, token, {"snapshots": items, "skip_invalid": True})
    assert resp.status_code == 200
    assert resp.json() == {
        "inserted": 1,
        "updated": 0,
        "unchanged": 0,
        "skipped": 1,
        "errors": [{"index": 1, "code": "unknown_customer", "reason": "unknown customer 'nobody'"}],
    }
    assert len(stored(baton)) == 1


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (b'{"snapshots": [', "malformed JSON"),
        (b"\xff\xfe", "body is not UTF-8"),
        (b'{"snapshots": "\xed\xa0\x80"}', "body is not UTF-8"),  # a surrogate encoded as UTF-8
        (b"[" * 100_000, "JSON nested more than 64 levels deep"),
        (b'{"a":' * 100_000, "JSON nested more than 64 levels deep"),
        (b'{"snapshots": [{"customer": ' + b"[" * 100 + b"]" * 100 + b"}]}", "JSON nested more than 64 levels deep"),
        (b"[]", "the body must be a JSON object"),
        (b'{"items": []}', "snapshots must be a list"),
        (b'{"snapshots": [], "skip_invalid": "yes"}', "skip_invalid must be true or false"),
    ],
)
def test_malformed_body_is_400(baton, token, content, error):
    """A body that is not the documented JSON shape: 400 with the reason."""
    resp = post(baton, token, content=content)
    assert resp.status_code == 400 and resp.json()["error"].startswith(error)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"customer": "crm-1\x00"}, "customer contains a control character (U+0000)"),
        ({"customer": "\ud800crm-1"}, "customer contains a control character (U+D800)"),
        ({"source": "zap\x00ier"}, "source contains a control character (U+0000)"),
        ({"date": "2026-11-19\x00"}, "date contains a control character (U+0000)"),
        ({"signal": "nps\x1b"}, "signal contains a control character (U+001B)"),
        ({"value": "8\x00"}, "value contains a control character (U+0000)"),
    ],
    ids=["customer-nul", "customer-surrogate", "source-nul", "date-nul", "signal-esc", "value-nul"],
)
def test_control_character_in_an_item_is_400_naming_it(baton, acme, token, change, reason):
    """NUL, other controls and lone surrogates are refused per item with code control_char, on both databases
    (no 500 from PostgreSQL), and nothing of the batch is written."""
    item = {"customer": "crm-1", "date": "2026-11-19", "signal": "nps", "value": 8, **change}
    resp = post(baton, token, {"snapshots": [item]})
    assert resp.status_code == 400, resp.text
    assert resp.json()["errors"] == [{"index": 0, "code": "control_char", "reason": reason}]
    assert stored(baton) == []


def test_skip_invalid_skips_an_item_with_a_nul(baton, acme, token):
    """With skip_invalid the clean items are stored and the one holding a NUL comes back as an error."""
    good = {"customer": "crm-1", "date": "2026-11-19", "signal": "nps", "value": 8}
    resp = post(baton, token, {"snapshots": [good, {**good, "source": "x\x00"}], "skip_invalid": True})
    assert resp.status_code == 200 and resp.json()["skipped"] == 1
    assert [e["code"] for e in resp.json()["errors"]] == ["control_char"]
    assert len(stored(baton)) == 1


def test_too_many_items_is_400(baton, acme, token):
    """More than MAX_ITEMS snapshots in one request are refused as a whole."""
    item = {"customer": "crm-1", "date": "2026-11-19", "signal": "nps", "value": 8}
    resp = post(baton, token, {"snapshots": [item] * (MAX_ITEMS + 1)})
    assert resp.status_code == 400 and "too many snapshots" in resp.json()["error"]
    assert stored(baton) == []


def test_body_over_5_mb_is_413(baton, token):
    """Bodies above 5 MB are refused before they are read."""
    resp = post(baton, token, content=b" " * (MAX_BODY + 1))
    assert resp.status_code == 413


def test_get_is_405(baton, token):
    """Only POST is served on the endpoint."""
    resp = baton.http.get(URL, headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 405


def test_last_used_is_written_at_most_once_a_minute(baton, acme, token):
    """last_used_at follows use, but a burst of calls within a minute writes it once."""
    body = {"snapshots": []}
    first = baton.clock()
    assert post(baton, token, body).status_code == 200
    baton.clock.advance(seconds=30)
    post(baton, token, body)
    assert baton.all(ApiToken)[0].last_used_at == first
    baton.clock.advance(seconds=31)
    post(baton, token, body)
    assert baton.all(ApiToken)[0].last_used_at == first + timedelta(seconds=61)


def test_only_the_hash_of_a_token_is_stored(baton, token):
    """The database holds the SHA-256 and a short prefix, never the token."""
    (row,) = baton.all(ApiToken)
    assert row.token_hash == tokens.hash_token(token) and token not in (row.token_hash, row.prefix)
    assert token.startswith(row.prefix) and len(row.prefix) == tokens.PREFIX_CHARS
    with baton.db() as db:
        assert db.exec(select(ApiToken).where(ApiToken.token_hash == token)).first() is None
