"""Fast checks that the Slack/HubSpot fakes and the signed payload builders behave like the real thing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest
from slack_bolt import App, BoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.webhook import WebhookClient

from tests import payloads
from tests.fakes.hubspot_api import FakeHubSpot
from tests.fakes.slack_api import FakeSlack
from tests.payloads import SIGNING_SECRET

FIXTURES = Path(__file__).resolve().parent / "data" / "fixtures"
MODAL = {
    "type": "modal",
    "callback_id": "handoff",
    "title": {"type": "plain_text", "text": "Hand-off"},
    "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}],
}


@pytest.fixture
def slack():
    """A started FakeSlack with one Korean-locale user, U_AE."""
    with FakeSlack() as fake:
        fake.add_user("U_AE", email="Ae@Example.com", locale="ko-KR", tz="Asia/Seoul")
        yield fake


@pytest.fixture
def client(slack):
    """A WebClient pointed at the fake with the valid bot token."""
    return WebClient(base_url=slack.url, token="xoxb-test")


def _error(call) -> SlackApiError:
    with pytest.raises(SlackApiError) as e:
        call()
    return e.value


def test_post_message_and_read_back(slack, client):
    """Posted messages, threads, metadata and edits read back like Slack's history APIs."""
    meta = {"event_type": "handoff", "event_payload": {"deal": "42"}}
    posted = client.chat_postMessage(channel="C1", text="hello", metadata=meta)
    reply = client.chat_postMessage(channel="C1", text="in thread", thread_ts=posted["ts"])
    assert float(reply["ts"]) > float(posted["ts"])

    history = client.conversations_history(channel="C1")["messages"]
    assert [m["text"] for m in history] == ["hello"] and "metadata" not in history[0]
    with_meta = client.conversations_history(channel="C1", include_all_metadata=True)["messages"]
    assert with_meta[0]["metadata"] == meta
    assert [m["text"] for m in client.conversations_replies(channel="C1", ts=posted["ts"])["messages"]] == [
        "hello",
        "in thread",
    ]
    assert slack.messages("C1")[0]["metadata"] == meta
    assert len(slack.thread("C1", posted["ts"])) == 2

    client.chat_update(channel="C1", ts=posted["ts"], text="edited")
    assert slack.messages("C1")[0]["text"] == "edited"
    assert _error(lambda: client.chat_update(channel="C1", ts="1.2", text="x")).response["error"] == (
        "message_not_found"
    )
    link = client.chat_getPermalink(channel="C1", message_ts=posted["ts"])["permalink"]
    assert link.endswith("/archives/C1/p" + posted["ts"].replace(".", ""))
    assert slack.wait_for("chat.postMessage", count=2)[1].args["thread_ts"] == posted["ts"]


def test_form_encoded_json_fields_are_decoded(slack):
    """JSON-string fields in form bodies are recorded and stored as Python objects."""
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}]
    client = WebClient(base_url=slack.url)
    client.api_call("chat.postMessage", params={"token": "xoxb-test", "channel": "C1", "blocks": json.dumps(blocks)})
    assert slack.calls_to("chat.postMessage")[0].args["blocks"] == blocks
    assert slack.messages("C1")[0]["blocks"] == blocks


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_dm_by_user_id_and_channel_errors(slack, client):
    """Posting to a user id lands in the DM; bad channels, no text and long text fail."""
    assert client.conversations_open(users="U_AE")["channel"]["id"] == slack.dm_channel("U_AE") == "DU_AE"
    assert client.chat_postMessage(channel="U_AE", text="hi")["channel"] == "DU_AE"
    assert [m["text"] for m in slack.messages("DU_AE")] == ["hi"]
    assert _error(lambda: client.chat_postMessage(channel="U_NOPE", text="x")).response["error"] == (
        "channel_not_found"
    )
    assert _error(lambda: client.chat_postMessage(channel="C1")).response["error"] == "no_text"
    assert _error(lambda: client.chat_postMessage(channel="C1", text="x" * 40_001)).response["error"] == (
        "msg_too_long"
    )
    assert client.chat_postEphemeral(channel="C1", user="U_AE", text="psst")["message_ts"]
    assert slack.messages("C1") == []


@pytest.mark.parametrize(
    "blocks, fragment",
    [
        ([{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}], "3000"),
        ([{"type": "divider"}] * 51, "no more than 50"),
        ([{"type": "no_such_block"}], "unsupported type"),
    ],
)
def test_invalid_blocks_rejected(slack, client, blocks, fragment):
    """Block Kit violations answer invalid_blocks with Slack-style messages and store nothing."""
    resp = _error(lambda: client.chat_postMessage(channel="C1", text="t", blocks=blocks)).response
    assert resp["error"] == "invalid_blocks"
    assert any(fragment in m and m.startswith("[ERROR]") for m in resp["response_metadata"]["messages"])
    assert slack.messages("C1") == []


def test_invalid_view_rejected(client):
    """Modal title over 24 chars and over 100 blocks answer invalid_arguments."""
    view = {**MODAL, "title": {"type": "plain_text", "text": "x" * 25}}
    resp = _error(lambda: client.views_open(trigger_id="t-1", view=view)).response
    assert resp["error"] == "invalid_arguments"
    assert any("title" in m for m in resp["response_metadata"]["messages"])
    too_many = {**MODAL, "blocks": [{"type": "divider"}] * 101}
    assert _error(lambda: client.views_open(trigger_id="t-2", view=too_many)).response["error"] == ("invalid_arguments")


def test_trigger_ids_are_single_use(slack, client):
    """trigger_ids work once; views.update checks hash; views are recorded in order."""
    view = client.views_open(trigger_id="t-1", view=MODAL)["view"]
    assert view["id"].startswith("V") and view["hash"] and view["callback_id"] == "handoff"
    assert _error(lambda: client.views_open(trigger_id="t-1", view=MODAL)).response["error"] == ("expired_trigger_id")
    assert _error(lambda: client.views_open(trigger_id="expired-1", view=MODAL)).response["error"] == (
        "expired_trigger_id"
    )
    updated = client.views_update(view_id=view["id"], hash=view["hash"], view={**MODAL, "callback_id": "v2"})
    assert updated["view"]["id"] == view["id"] and updated["view"]["hash"] != view["hash"]
    assert _error(lambda: client.views_update(view_id=view["id"], hash=view["hash"], view=MODAL)).response["error"] == (
        "hash_conflict"
    )
    assert [v["callback_id"] for v in slack.views_opened()] == ["handoff", "v2"]
    home = {"type": "home", "blocks": [{"type": "divider"}]}
    client.views_publish(user_id="U_AE", view=home)
    assert slack.home_view("U_AE")["type"] == "home"


def test_rate_limit_and_server_error_injection(slack, client):
    """fail_next yields 429 with Retry-After, then 503, then normal service."""
    slack.fail_next("chat.postMessage", status=429, retry_after=7)
    err = _error(lambda: client.chat_postMessage(channel="C1", text="x"))
    assert err.response.status_code == 429 and err.response.headers["Retry-After"] == "7"
    assert err.response["error"] == "ratelimited"
    slack.fail_next("chat.postMessage", status=503)
    assert _error(lambda: client.chat_postMessage(channel="C1", text="x")).response.status_code == 503
    assert slack.messages("C1") == []
    client.chat_postMessage(channel="C1", text="x")
    assert [c.status for c in slack.calls_to("chat.postMessage")] == [429, 503, 200]


def test_fail_after_effect_stores_message_but_answers_500(slack, client):
    """fail_after_effect stores the message yet answers HTTP 500."""
    slack.fail_after_effect("chat.postMessage")
    err = _error(lambda: client.chat_postMessage(channel="C1", text="posted anyway"))
    assert err.response.status_code == 500
    assert [m["text"] for m in slack.messages("C1")] == ["posted anyway"]


def test_fail_after_effect_drop_stores_message_and_closes_the_connection(slack):
    """fail_after_effect(drop=True) stores the message, then closes the connection without an answer."""
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackRequestError

    bare = WebClient(token=slack.bot_token, base_url=slack.url, timeout=2, retry_handlers=[])
    slack.fail_after_effect("chat.postMessage", drop=True)
    with pytest.raises((OSError, SlackRequestError)):
        bare.chat_postMessage(channel="C1", text="stored, answer lost")
    assert [m["text"] for m in slack.messages("C1")] == ["stored, answer lost"]


def test_history_and_replies_page_newest_first_with_cursors_and_bounds(slack, client):
    """history pages newest first and replies oldest first, both by cursor within oldest/latest."""
    parent = client.chat_postMessage(channel="C1", text="parent")["ts"]
    replies = [client.chat_postMessage(channel="C1", text=f"r{i}", thread_ts=parent)["ts"] for i in range(5)]
    tops = [client.chat_postMessage(channel="C1", text=f"t{i}")["ts"] for i in range(5)]
    page = client.conversations_history(channel="C1", limit=2)
    assert [m["ts"] for m in page["messages"]] == tops[::-1][:2] and page["has_more"]
    seen, cursor = [], None
    while True:
        page = client.conversations_replies(channel="C1", ts=parent, limit=2, **({"cursor": cursor} if cursor else {}))
        seen += [m["ts"] for m in page["messages"]]
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert seen == [parent, *replies]
    window = client.conversations_replies(channel="C1", ts=parent, oldest=replies[1], latest=replies[3], inclusive=True)
    assert [m["ts"] for m in window["messages"]] == replies[1:4]
    client.chat_postMessage(channel="C1", text="meta", metadata={"event_type": "x", "event_payload": {"a": 1}})
    assert "metadata" not in client.conversations_history(channel="C1", limit=1)["messages"][0]
    assert client.conversations_history(channel="C1", limit=1, include_all_metadata=True)["messages"][0]["metadata"]


def test_users_and_auth(slack, client):
    """User lookups, locale, auth errors and unknown methods behave like Slack."""
    assert client.users_lookupByEmail(email="ae@EXAMPLE.com")["user"]["id"] == "U_AE"
    assert _error(lambda: client.users_lookupByEmail(email="x@example.com")).response["error"] == ("users_not_found")
    assert client.users_info(user="U_AE", include_locale=True)["user"]["locale"] == "ko-KR"
    assert "locale" not in client.users_info(user="U_AE")["user"]
    assert _error(lambda: client.users_info(user="U_NOPE")).response["error"] == "user_not_found"
    assert client.auth_test()["user_id"] == "UBOT"
    assert _error(WebClient(base_url=slack.url, token="xoxb-bad").auth_test).response["error"] == "invalid_auth"
    assert _error(WebClient(base_url=slack.url).auth_test).response["error"] == "not_authed"
    assert _error(lambda: client.api_call("reactions.add")).response["error"] == "unknown_method"
    assert slack.calls_to("reactions.add")[0].headers["authorization"] == "Bearer xoxb-test"


def test_wait_for_times_out_with_calls_seen(slack, client):
    """wait_for raises AssertionError listing the calls it did see."""
    client.auth_test()
    with pytest.raises(AssertionError, match="auth.test"):
        slack.wait_for("chat.postMessage", timeout=0.05)


def test_response_url(slack):
    """response_url accepts 5 valid posts, rejects bad blocks, then answers 404 used_url."""
    url = slack.new_response_url()
    hook = WebhookClient(url)
    assert hook.send(text="one", response_type="ephemeral").status_code == 200
    bad = hook.send(text="t", blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}])
    assert (bad.status_code, bad.body) == (400, "invalid_blocks")
    for i in range(4):
        assert hook.send(text=str(i)).status_code == 200
    used = hook.send(text="sixth")
    assert (used.status_code, used.body) == (404, "used_url")
    assert [r["text"] for r in slack.responses()] == ["one", "0", "1", "2", "3"]


# ---------------------------------------------------------------- signed payloads
BUILDERS = {
    "slash_command": lambda **kw: payloads.slash_command("/baton", "deal 42", **kw),
    "block_actions": lambda **kw: payloads.block_actions("approve", "1", user_id="U_AE", message_ts="1.2", **kw),
    "view_submission": lambda **kw: payloads.view_submission(
        "handoff", {"b": {"a": payloads.text_value("hi")}}, user_id="U_AE", **kw
    ),
    "view_closed": lambda **kw: payloads.view_closed("handoff", user_id="U_AE", **kw),
    "global_shortcut": lambda **kw: payloads.global_shortcut("new_handoff", user_id="U_AE", **kw),
    "message_shortcut": lambda **kw: payloads.message_shortcut(
        "from_msg",
        user_id="U_AE",
        channel_id="C1",
        message={"type": "message", "ts": "1.2", "text": "x"},
        **kw,
    ),
    "event_callback": lambda **kw: payloads.event_callback(
        {"type": "app_mention", "user": "U_AE", "text": "<@UBOT> hi", "ts": "1.2", "channel": "C1"}, **kw
    ),
}


@pytest.mark.parametrize("name", BUILDERS)
def test_payload_signatures_verify(name):
    """Every builder's signature verifies; forged secrets and stale timestamps do not."""
    verifier = SignatureVerifier(SIGNING_SECRET)
    good, forged = BUILDERS[name](), BUILDERS[name](secret="forged")
    stale = BUILDERS[name](timestamp=int(time.time()) - 301)
    assert verifier.is_valid_request(good.body, good.headers)
    assert not verifier.is_valid_request(forged.body, forged.headers)
    assert not verifier.is_valid_request(stale.body, stale.headers)


def test_payloads_dispatch_through_bolt(slack):
    """Bolt (backed by FakeSlack for auth.test) accepts and routes every builder's request."""
    app = App(signing_secret=SIGNING_SECRET, client=WebClient(base_url=slack.url, token="xoxb-test"))
    seen = []
    app.command("/baton")(lambda ack, command: (ack(), seen.append(command["text"])))
    app.action("approve")(lambda ack, body: (ack(), seen.append(body["actions"][0]["value"])))
    app.view("handoff")(lambda ack, view: (ack(), seen.append(view["state"]["values"]["b"]["a"]["value"])))
    app.shortcut("new_handoff")(lambda ack: (ack(), seen.append("shortcut")))
    app.event("app_mention")(lambda event: seen.append(event["text"]))
    for name in ("slash_command", "block_actions", "view_submission", "global_shortcut", "event_callback"):
        req = BUILDERS[name]()
        assert app.dispatch(BoltRequest(body=req.body, headers=req.headers)).status == 200, name
    assert seen[:4] == ["deal 42", "1", "hi", "shortcut"]


def test_payload_shapes():
    """Builders normalise commands, make unique trigger ids and build the documented shapes."""
    form = parse_qs(payloads.slash_command("baton", trigger_id=None).body)
    other = parse_qs(payloads.slash_command("baton").body)
    assert form["command"] == ["/baton"] and form["trigger_id"] != other["trigger_id"]
    body = json.loads(parse_qs(payloads.block_actions("a", user_id="U1", view={"id": "V9"}).body)["payload"][0])
    assert body["container"] == {"type": "view", "view_id": "V9"} and body["actions"][0]["type"] == "button"
    event = payloads.event_callback({"type": "x"}, retry_num=1, retry_reason="http_timeout")
    assert event.headers["X-Slack-Retry-Num"] == "1" and event.headers["Content-Type"] == "application/json"
    assert payloads.static_value("v")["selected_option"]["value"] == "v"
    assert payloads.number_value(3) == {"type": "number_input", "value": "3"}
    assert payloads.date_value("2026-12-01")["selected_date"] == "2026-12-01"
    assert payloads.user_value("U1")["selected_user"] == "U1"


def test_slack_docs_signature_vector_round_trips():
    """slack_headers reproduces Slack's documented signature vector."""
    vector = json.loads((FIXTURES / "slack/signature_vector_slack_docs.json").read_text())
    body = (FIXTURES / "slack" / vector["body_file"]).read_text()
    headers = payloads.slack_headers(
        body,
        vector["content_type"],
        secret=vector["signing_secret"],
        timestamp=int(vector["x_slack_request_timestamp"]),
    )
    assert headers["X-Slack-Signature"] == vector["x_slack_signature"]


def test_hubspot_v3_vector_and_generic_webhook():
    """hubspot_v3_headers matches HubSpot's SDK vector; generic headers use v1 HMAC."""
    vec = json.loads((FIXTURES / "crm/hubspot_signature_vectors.json").read_text())["hubspot_api_python_tests"]
    headers = payloads.hubspot_v3_headers(
        vec["method"],
        vec["uri"],
        vec["body"].encode(),
        vec["client_secret"],
        timestamp_ms=int(vec["v3"]["X-HubSpot-Request-Timestamp"]),
    )
    assert headers["X-HubSpot-Signature-v3"] == vec["v3"]["X-HubSpot-Signature-v3"]
    generic = payloads.generic_webhook_headers(b'{"a":1}', "s3cret", timestamp=1700000000)
    expected = hmac.new(b"s3cret", b'1700000000.{"a":1}', hashlib.sha256).hexdigest()
    assert generic["X-Baton-Signature"] == "v1=" + expected and generic["X-Baton-Timestamp"] == "1700000000"
    assert base64.b64decode(headers["X-HubSpot-Signature-v3"])


# ---------------------------------------------------------------- HubSpot
def test_fake_hubspot_serves_deal_with_associations():
    """FakeHubSpot serves deals/companies/owners, 401s, 404s and injects 429."""
    with FakeHubSpot(token="pat-test") as hs:
        hs.add_company("77", "Acme Korea", domain="acme.kr")
        hs.add_owner("501", "ae@example.com", "Ada", "Kim")
        hs.add_deal("42", "Acme renewal", 12000, owner_id="501", company_id="77", currency="KRW")
        api = httpx.Client(base_url=hs.url, headers={"Authorization": "Bearer pat-test"})
        props = "dealname,amount,dealstage,closedate,hubspot_owner_id,deal_currency_code,pipeline"
        deal = api.get("/crm/v3/objects/deals/42", params={"properties": props, "associations": "companies"}).json()
        assert deal["properties"]["amount"] == "12000" and deal["properties"]["hubspot_owner_id"] == "501"
        assert deal["properties"]["closedate"].startswith("2026-11-20")
        assert deal["associations"]["companies"]["results"] == [{"id": "77", "type": "deal_to_company"}]
        assert "hubspot_owner_id" not in api.get("/crm/v3/objects/deals/42").json()["properties"]
        assert api.get("/crm/v3/objects/companies/77").json()["properties"]["domain"] == "acme.kr"
        assert api.get("/crm/v3/owners/501").json()["firstName"] == "Ada"
        missing = api.get("/crm/v3/objects/deals/999")
        assert missing.status_code == 404 and missing.json()["category"] == "OBJECT_NOT_FOUND"

        unauthorized = httpx.get(hs.url + "/crm/v3/objects/deals/42")
        assert unauthorized.status_code == 401
        assert {"status", "message", "correlationId", "category"} <= unauthorized.json().keys()

        hs.fail_next("/crm/v3/objects/deals", status=429, retry_after=3)
        limited = api.get("/crm/v3/objects/deals/42")
        assert limited.status_code == 429 and limited.headers["Retry-After"] == "3"
        assert [c.status for c in hs.wait_for("/crm/v3/objects/deals/42", count=4)] == [200, 200, 401, 429]
