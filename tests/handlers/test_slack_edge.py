"""/slack/events before Bolt: unsigned or forged requests cause nothing, oversized bodies get 413, signed bodies
Bolt cannot parse get 400 with a reason (never 500), and control characters never reach a listener."""

import json
import time
from urllib.parse import quote, urlencode

import pytest

from bot.models import SUBMITTED, Customer, Handoff, OutboxMessage, Promise, SlackEvent, SlackUser, Stakeholder
from bot.web import slack_body_problem
from tests import payloads as p
from tests.conftest import FIXTURES, HANDOFF_CHANNEL
from tests.flows import ack_body, open_handoff, submit_handoff


def _command_body(response_url: str, text: str = "acme") -> str:
    """A slash command form naming a real user of the fake Slack and a response_url on it."""
    return urlencode(
        {
            "team_id": "T111",
            "user_id": "U_AE",
            "command": "/customer",
            "text": text,
            "channel_id": "C_GENERAL",
            "response_url": response_url,
            "trigger_id": p.new_trigger_id(),
        }
    )


def _action_body(response_url: str) -> str:
    """A block_actions payload naming a user and a response_url on the fake Slack."""
    payload = {
        "type": "block_actions",
        "team": {"id": "T111"},
        "user": {"id": "U_AE", "team_id": "T111"},
        "response_url": response_url,
        "actions": [{"action_id": "nope", "value": "x"}],
    }
    return "payload=" + quote(json.dumps(payload))


def _post(baton, body: str | bytes, headers: dict):
    resp = baton.http.post("/slack/events", content=body if isinstance(body, bytes) else body.encode(), headers=headers)
    baton.executor.wait_idle()
    baton.settle()
    return resp


def _assert_nothing_happened(baton, slack):
    assert slack.calls == []  # no users.info, nothing POSTed to the response_url
    assert baton.all(SlackUser) == [] and baton.all(OutboxMessage) == [] and baton.all(SlackEvent) == []


def _good(body: str) -> dict:
    return p.slack_headers(body)


FORGED = {
    "timestamp 'now'": lambda body, now: {"X-Slack-Request-Timestamp": "now", "X-Slack-Signature": "v0=00"},
    "timestamp 'now', real-looking signature": lambda body, now: {
        "X-Slack-Request-Timestamp": "now",
        "X-Slack-Signature": p.slack_headers(body)["X-Slack-Signature"],
    },
    "no signature headers": lambda body, now: {},
    "signed with another secret": lambda body, now: p.slack_headers(body, secret="not-the-secret"),
    "signature of another body": lambda body, now: {**p.slack_headers(body + "&x=1"), "Content-Type": p.FORM},
    "stale by six minutes": lambda body, now: p.slack_headers(body, timestamp=now - 360),
    "garbage signature": lambda body, now: {**p.slack_headers(body), "X-Slack-Signature": "v0=" + "g" * 64},
    "negative timestamp": lambda body, now: {"X-Slack-Request-Timestamp": "-1", "X-Slack-Signature": "v0=00"},
    "huge timestamp": lambda body, now: {"X-Slack-Request-Timestamp": "9" * 40, "X-Slack-Signature": "v0=00"},
}


@pytest.mark.parametrize("build", [_command_body, _action_body], ids=["slash command", "block action"])
@pytest.mark.parametrize("forge", FORGED.values(), ids=FORGED.keys())
def test_unverified_request_gets_401_and_causes_nothing(baton, slack, clock, build, forge):
    """An unverified request (even with a non-numeric timestamp) is 401: no Slack call, no row, no response_url."""
    body = build(slack.new_response_url())
    headers = {"Content-Type": p.FORM, **forge(body, int(clock().timestamp()))}
    resp = _post(baton, body, headers)
    assert resp.status_code == 401 and resp.json()["error"]
    _assert_nothing_happened(baton, slack)


def test_signature_window_is_measured_on_the_apps_clock(baton, slack, clock):
    """Both checks (bot/web.py's and Bolt's) time the 5 minutes on the app's clock: with it ten minutes ahead,
    a request signed at wall-clock time is stale and one signed at the app's time goes through."""
    clock.advance(minutes=10)
    body = _command_body(slack.new_response_url())
    resp = _post(baton, body, p.slack_headers(body, timestamp=int(time.time())))
    assert resp.status_code == 401 and resp.json()["error"] == "stale timestamp"
    _assert_nothing_happened(baton, slack)

    event = json.dumps({"type": "url_verification", "token": "t", "challenge": "abc123"})
    resp = _post(baton, event, p.slack_headers(event, p.JSON, timestamp=int(clock().timestamp())))
    assert resp.status_code == 200 and resp.json()["challenge"] == "abc123"


def test_oversized_body_is_413_before_anything(baton, slack):
    """A body over 1 MB is refused with 413 and a reason, signed or not, and causes nothing."""
    body = _command_body(slack.new_response_url(), text="a" * 1_100_000)
    resp = _post(baton, body, _good(body))
    assert resp.status_code == 413 and resp.json()["error"] == "body larger than 1048576 bytes"
    _assert_nothing_happened(baton, slack)


def test_bad_content_length_is_400(baton, slack):
    """A Content-Length that is not a number of bytes is refused, not read (and not a 500 inside Bolt)."""
    body = _command_body(slack.new_response_url())
    resp = _post(baton, body, {**_good(body), "Content-Length": "-1"})
    assert resp.status_code == 400 and resp.json()["error"] == "bad Content-Length"
    _assert_nothing_happened(baton, slack)


MALFORMED = {
    "invalid UTF-8 JSON": (b'{"type": "event_callback", "x": "\xff\xfe"}', p.JSON, "not UTF-8"),
    "invalid UTF-8 form": (b"command=%2Fcustomer&text=\xc3\x28", p.FORM, "not UTF-8"),
    "broken JSON": (b'{"type": "event_callback", ', p.JSON, "malformed JSON"),
    "JSON array": (b'[{"type": "event_callback"}]', p.JSON, "JSON object"),
    "JSON string": (b'"event_callback"', p.JSON, "JSON object"),
    "100k-deep arrays": (b"[" * 100_000, p.JSON, "nested"),
    "100k-deep objects": (b'{"a":' * 100_000, p.JSON, "nested"),
    "closed deep nesting": (b'{"a":' + b"[" * 200 + b"]" * 200 + b"}", p.JSON, "nested"),
    "payload=notjson": (b"payload=notjson", p.FORM, "payload: malformed JSON"),
    "payload is an array": (b"payload=" + quote("[1, 2]").encode(), p.FORM, "payload must be a JSON object"),
    "payload 100k deep": (b"payload=" + quote("[" * 100_000).encode(), p.FORM, "nested"),
    "empty body": (b"", p.FORM, "empty body"),
}


def _form(payload: dict) -> bytes:
    return b"payload=" + quote(json.dumps(payload)).encode()


USER = {"user": {"id": "U_AE"}, "team": {"id": "T111"}}
WRONG_SHAPE = {  # parse fine, but Bolt indexes into these fields unchecked (each was a 500)
    "event_id an object": (
        json.dumps({"type": "event_callback", "event_id": {"x": 1}, "event": {"type": "app_mention"}}).encode(),
        p.JSON,
        "body.event_id has the wrong type",
    ),
    "event a string": (
        json.dumps({"type": "event_callback", "event_id": "Ev1", "event": "x"}).encode(),
        p.JSON,
        "body.event has the wrong type",
    ),
    "team_id a list": (
        json.dumps({"type": "event_callback", "event_id": "Ev1", "team_id": ["T"], "event": {"type": "x"}}).encode(),
        p.JSON,
        "body.team_id has the wrong type",
    ),
    "event text a number": (
        json.dumps({"type": "event_callback", "event_id": "E", "event": {"type": "message", "text": 5}}).encode(),
        p.JSON,
        "body.event.text has the wrong type",
    ),
    "view a string": (_form({"type": "view_submission", "view": "x", **USER}), p.FORM, "payload.view has the wrong"),
    "view without callback_id": (
        _form({"type": "view_submission", "view": {"type": "modal"}, **USER}),
        p.FORM,
        "payload.view.callback_id is missing or not text",
    ),
    "actions empty": (_form({"type": "block_actions", "actions": [], **USER}), p.FORM, "payload.actions is empty"),
    "action without id": (
        _form({"type": "block_actions", "actions": [{}], **USER}),
        p.FORM,
        "payload.actions[0].action_id is missing or not text",
    ),
    "suggestion action_id a number": (
        _form({"type": "block_suggestion", "action_id": 5, **USER}),
        p.FORM,
        "payload.action_id has the wrong type",
    ),
}
MALFORMED.update(WRONG_SHAPE)


@pytest.mark.parametrize(("body", "content_type", "reason"), MALFORMED.values(), ids=MALFORMED.keys())
def test_signed_malformed_body_is_400_with_a_reason(baton, slack, body, content_type, reason):
    """A correctly signed body Bolt could not parse into an object is 400 naming the problem, never 500."""
    resp = _post(baton, body, p.slack_headers(body, content_type))
    assert resp.status_code == 400 and reason in resp.json()["error"]
    _assert_nothing_happened(baton, slack)


@pytest.mark.parametrize(("body", "content_type", "reason"), MALFORMED.values(), ids=MALFORMED.keys())
def test_unsigned_malformed_body_is_401(baton, slack, body, content_type, reason):
    """The same bodies unsigned are 401: nothing is parsed before the signature is checked."""
    headers = {**p.slack_headers(body, content_type, secret="wrong-secret")}
    resp = _post(baton, body, headers)
    assert resp.status_code == 401
    _assert_nothing_happened(baton, slack)


def test_get_is_405(baton, slack):
    """Slack only POSTs; anything else is refused without reaching Bolt."""
    resp = baton.http.get("/slack/events")
    assert resp.status_code == 405
    _assert_nothing_happened(baton, slack)


def test_signed_request_still_reaches_bolt(baton, slack):
    """A verified request is handed to Bolt with its body intact (it verifies again and answers)."""
    body = json.dumps({"type": "url_verification", "token": "t", "challenge": "abc123"})
    resp = _post(baton, body, p.slack_headers(body, p.JSON))
    assert resp.status_code == 200 and resp.json()["challenge"] == "abc123"


# --- control characters in Slack payloads ------------------------------------------------------------------


def mention(text: str, ts: str = "1700000000.000100") -> dict:
    return {"type": "app_mention", "user": "U_AE", "text": text, "ts": ts, "channel": "C0GENERAL", "event_ts": ts}


@pytest.mark.parametrize("bad", ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\ud800"], ids=repr)
def test_control_characters_in_event_id_are_removed_on_both_databases(baton, slack, bad):
    """An event_id holding NUL, another control or a lone surrogate is recorded without it (no 500 on
    PostgreSQL), so Slack's retry of the same event is still recognised."""
    first = p.event_callback(mention("<@UBOT> help"), event_id=f"Ev{bad}0001")
    assert baton.slack(first).status_code == 200
    retry = p.event_callback(mention("<@UBOT> help"), event_id=f"Ev{bad}0001", retry_num=1)
    assert baton.slack(retry).status_code == 200
    baton.settle()
    assert [e.event_id for e in baton.all(SlackEvent)] == ["Ev0001"]
    assert len(slack.calls_to("chat.postMessage")) == 1


def test_tab_and_newlines_survive_cleaning(baton, slack):
    """Tab, line feed and carriage return are text, not controls: they reach the listener unchanged."""
    event = p.event_callback(mention("<@UBOT>\thelp\r\nplease"), event_id="Ev\t0002")
    assert baton.slack(event).status_code == 200
    baton.settle()
    assert [e.event_id for e in baton.all(SlackEvent)] == ["Ev\t0002"]


def test_control_characters_in_slash_command_text_are_removed(baton, slack):
    """`/handoff ACME<NUL> Corp.` opens the modal prefilled with the name without the NUL."""
    view = open_handoff(baton, slack, "ACME\x00 Corp.\x1b")
    name_block = next(b for b in view["blocks"] if b.get("block_id") == "customer_name")
    assert name_block["element"]["initial_value"] == "ACME Corp."


def test_control_characters_in_modal_fields_are_removed_on_both_databases(baton, slack):
    """A handoff submitted with NUL, escape, DEL, C1 and lone surrogates in its fields is saved without them
    (no 500 on PostgreSQL, the same rows on SQLite); line breaks stay."""
    view = open_handoff(baton, slack, "ACME Corp.")
    resp = submit_handoff(
        baton,
        view,
        customer_name="ACME\x00 Corp.",
        why_bought="Onboarding\x1b[31m takes 10 days\x7f.",
        promises="SSO\x00 before launch | <@U_AE> | 2027-01-15\nQuarterly\x85 roadmap review",
        stakeholders="Champion: Jane\x07 Kim, VP Ops, jane@acme.com",
        risks="\ud800Budget owner may change.\r\nMaybe.",
    )
    assert resp.status_code == 200 and ack_body(resp) == {}
    baton.settle()
    [h] = baton.all(Handoff)
    assert h.status == SUBMITTED
    assert (h.why_bought, h.risks) == ("Onboarding[31m takes 10 days.", "Budget owner may change.\r\nMaybe.")
    assert [c.name for c in baton.all(Customer)] == ["ACME Corp."]
    assert [pr.text for pr in baton.all(Promise)] == ["SSO before launch", "Quarterly roadmap review"]
    assert [s.name for s in baton.all(Stakeholder)] == ["Jane Kim"]
    [card] = slack.messages(HANDOFF_CHANNEL)
    assert "\\u0000" not in json.dumps(card["blocks"])


BODIES = sorted(f for f in (FIXTURES / "slack").iterdir() if f.suffix == ".json" or f.name.endswith(".form.txt"))


@pytest.mark.parametrize("fixture", BODIES, ids=lambda f: f.name)
def test_real_slack_bodies_pass_the_shape_check(fixture):
    """Every captured Slack body (tests/data/fixtures/slack) passes the checks made before Bolt."""
    content_type = p.JSON if fixture.suffix == ".json" else p.FORM
    assert slack_body_problem(fixture.read_bytes().strip(), content_type) is None
