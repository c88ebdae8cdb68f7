"""CRM webhooks end to end: signed HubSpot / generic deal-closed requests into the real app, through the inbox
and the outbox, to a draft handoff, the owner's Fill request in Slack, the prefilled modal and the card."""

import dataclasses
import json
import time
from datetime import date
from decimal import Decimal

import pytest

from bot.blocks import handoff as hb
from bot.models import DRAFT, SUBMITTED, Customer, Handoff, OutboxMessage, WebhookEvent
from tests import payloads as p
from tests.conftest import (
    FIXTURES,
    HANDOFF_CHANNEL,
    HUBSPOT_SECRET,
    HUBSPOT_TOKEN,
    WEBHOOK_SECRET,
    Baton,
)
from tests.flows import POST_FAULTS, blocks_text, last_view, open_handoff, submit_handoff

HUBSPOT_URI = "https://baton.example.com/webhooks/hubspot"
CAPTURED_PATH = FIXTURES / "crm" / "hubspot_webhook_deal_propertyChange_dealstage_closedwon.captured.json"
CAPTURED_BODY = CAPTURED_PATH.read_bytes()  # exact bytes HubSpot sent: one dealstage -> closedwon event
CAPTURED = json.loads(CAPTURED_BODY)[0]
CUSTOM_STAGE_BODY = (
    FIXTURES / "crm" / "hubspot_webhook_deal_propertyChange_dealstage_custom_stage_id.captured.json"
).read_bytes()
CUSTOM_STAGE = json.loads(CUSTOM_STAGE_BODY)[0]["propertyValue"]

DEAL_ID = str(CAPTURED["objectId"])  # 697680835
EVENT_ID = str(CAPTURED["eventId"])  # 1228532628
COMPANY_ID = "5011"
OWNER_ID = "301"
DEAL_NAME = "ACME Corp. - Enterprise plan"

GENERIC_DEAL = {
    "event_id": "evt-0001",
    "source": "salesforce",
    "deal_id": "006Dn000004ABCD",
    "company": "Globex Ltd",
    "deal_name": "Globex rollout",
    "company_domain": "https://www.globex.example/",
    "amount": "48000",
    "currency": "eur",
    "close_date": "2026-11-20T16:00:00Z",
    "owner_email": "ae@example.com",
}


# --- helpers ----------------------------------------------------------------------------------------------


def now_ms(clock) -> int:
    return int(clock().timestamp() * 1000)


def add_deal(
    hubspot,
    deal_id: str = DEAL_ID,
    *,
    stage: str = "closedwon",
    owner_email: str = "ae@example.com",
    amount: str | None = "120000",
    currency: str | None = "USD",
    company: str = "ACME Corp.",
) -> None:
    """A deal in the fake HubSpot with its primary company and owner."""
    hubspot.add_company(COMPANY_ID, company, domain="acme.example")
    hubspot.add_owner(OWNER_ID, owner_email, "Alex", "Seller")
    hubspot.add_deal(
        deal_id,
        DEAL_NAME,
        amount,
        stage=stage,
        close_date="2026-11-20",
        owner_id=OWNER_ID,
        company_id=COMPANY_ID,
        currency=currency,
    )


def change_event(deal_id: str = DEAL_ID, event_id: str | int = EVENT_ID, stage: str = "closedwon") -> dict:
    """The captured dealstage propertyChange, pointed at `deal_id`."""
    return {**CAPTURED, "objectId": int(deal_id), "eventId": int(event_id), "propertyValue": stage}


def creation_event(deal_id: str = DEAL_ID, event_id: int = 1228532700) -> dict:
    """A deal.creation event: the captured envelope without the property fields (HubSpot's documented shape)."""
    event = {k: v for k, v in CAPTURED.items() if k not in ("propertyName", "propertyValue", "changeSource")}
    return {**event, "objectId": int(deal_id), "eventId": event_id, "subscriptionType": "deal.creation"}


def post_hubspot(
    baton,
    body: bytes | list,
    *,
    secret: str = HUBSPOT_SECRET,
    sign_uri: str = HUBSPOT_URI,
    path: str = "/webhooks/hubspot",
    timestamp_ms: int | None = None,
    drop: tuple[str, ...] = (),
):
    """POST `body` (bytes, or a list of events) to the HubSpot endpoint, signed as HubSpot signs it (v3)."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    ts = now_ms(baton.clock) if timestamp_ms is None else timestamp_ms
    headers = p.hubspot_v3_headers("POST", sign_uri, raw, secret, timestamp_ms=ts)
    for name in drop:
        headers.pop(name)
    return baton.http.post(path, content=raw, headers=headers)


def post_generic(baton, body: bytes | dict, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None):
    """POST `body` to /webhooks/deal-closed signed with Baton's generic scheme."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    ts = int(baton.clock().timestamp()) if timestamp is None else timestamp
    return baton.http.post(
        "/webhooks/deal-closed", content=raw, headers=p.generic_webhook_headers(raw, secret, timestamp=ts)
    )


def buttons(message: dict) -> list[dict]:
    return [e for b in message.get("blocks", []) if b["type"] == "actions" for e in b["elements"]]


def prefill(view: dict) -> dict[str, str | None]:
    """{block_id: initial value} of every input in a modal."""
    out: dict[str, str | None] = {}
    for block in view["blocks"]:
        el = block.get("element")
        if block.get("type") != "input" or not el:
            continue
        option = el.get("initial_option") or {}
        out[block["block_id"]] = (
            el.get("initial_value") or el.get("initial_date") or el.get("initial_user") or option.get("value")
        )
    return out


def dm_messages(slack, user: str) -> list[dict]:
    return slack.messages(slack.dm_channel(user))


def click_fill(baton, slack, handoff_id: int, user: str, channel: str, ts: str) -> dict:
    """Click Fill handoff on the message and return the modal Baton opened."""
    before = len(slack.views_opened())
    req = p.block_actions(
        hb.FILL,
        str(handoff_id),
        user_id=user,
        channel_id=channel,
        message_ts=ts,
        response_url=slack.new_response_url(),
    )
    assert baton.slack(req).status_code == 200
    assert len(slack.views_opened()) == before + 1
    return last_view(slack)


@pytest.fixture
def make_baton(settings, clock):
    """Another Baton over the same database with some settings replaced; closed at teardown."""
    made: list[Baton] = []

    def make(**changes) -> Baton:
        b = Baton(dataclasses.replace(settings, **changes), clock)
        made.append(b)
        return b

    yield make
    for b in made:
        b.close()


# --- HubSpot: the happy path --------------------------------------------------------------------------------


def test_hubspot_closed_won_drafts_handoff_dms_owner_and_fill_completes_it(baton, slack, hubspot, clock):
    """dealstage -> closedwon: 200 at once, then a prefilled draft, one DM to the owner, a prefilled modal, a card."""
    add_deal(hubspot)
    started = time.monotonic()
    resp = post_hubspot(baton, CAPTURED_BODY)
    assert resp.status_code == 200, resp.text
    assert time.monotonic() - started < 1.0
    assert resp.json() == {"received": 1, "new": 1}
    [event] = baton.all(WebhookEvent)
    assert (event.source, event.event_key, event.status) == ("hubspot", EVENT_ID, "pending")
    assert json.loads(event.payload)["objectId"] == int(DEAL_ID)
    assert hubspot.calls == [] and slack.calls == []  # the work happens after the answer

    baton.settle()
    [deal_call] = hubspot.calls_to(f"/crm/v3/objects/deals/{DEAL_ID}")
    assert deal_call.headers["authorization"] == f"Bearer {HUBSPOT_TOKEN}"
    assert "hubspot_owner_id" in deal_call.args["properties"]
    assert len(hubspot.calls_to(f"/crm/v3/objects/companies/{COMPANY_ID}")) == 1
    assert len(hubspot.calls_to(f"/crm/v3/owners/{OWNER_ID}")) == 1

    [h] = baton.all(Handoff)
    assert h.status == DRAFT
    assert (h.customer_name, h.arr, h.currency) == ("ACME Corp.", Decimal("120000"), "USD")
    assert h.contract_start == h.crm_close_date == date(2026, 11, 20)
    assert (h.crm_source, h.crm_deal_id, h.crm_company_id) == ("hubspot", DEAL_ID, COMPANY_ID)
    assert (h.crm_deal_name, h.crm_owner_email, h.ae_user_id) == (DEAL_NAME, "ae@example.com", "U_AE")
    [customer] = baton.all(Customer)
    assert (customer.name, customer.crm_company_id, customer.domain) == ("ACME Corp.", COMPANY_ID, "acme.example")
    assert baton.all(WebhookEvent)[0].status == "done"

    [dm] = dm_messages(slack, "U_AE")
    assert "ACME Corp." in dm["text"] and "$120,000" in dm["text"] and DEAL_NAME in dm["text"]
    [button] = buttons(dm)
    assert (button["action_id"], button["value"]) == (hb.FILL, str(h.id))
    assert slack.messages(HANDOFF_CHANNEL) == []

    view = click_fill(baton, slack, h.id, "U_AE", slack.dm_channel("U_AE"), dm["ts"])
    assert view["callback_id"] == hb.HANDOFF_MODAL
    assert hb.HandoffMeta.model_validate_json(view["private_metadata"]).handoff_id == h.id
    initial = prefill(view)
    assert initial["customer_name"] == "ACME Corp."
    assert initial["arr"] == "USD 120,000"
    assert initial["contract_start"] == "2026-11-20"
    assert initial["crm_ref"] == COMPANY_ID
    assert initial["products_sold"] == DEAL_NAME
    assert initial["ae_user"] == "U_AE"

    resp = submit_handoff(
        baton,
        view,
        customer_name=initial["customer_name"],
        arr=initial["arr"],
        contract_start=initial["contract_start"],
        crm_ref=initial["crm_ref"],
    )
    assert resp.status_code == 200 and resp.text.strip() in ("", "{}")
    baton.settle()
    [submitted] = baton.all(Handoff)
    assert submitted.id == h.id and submitted.status == SUBMITTED and submitted.submitted_by == "U_AE"
    assert (submitted.crm_deal_id, submitted.arr, submitted.contract_start) == (
        DEAL_ID,
        Decimal("120000"),
        date(2026, 11, 20),
    )
    [card] = slack.messages(HANDOFF_CHANNEL)
    assert "ACME Corp." in blocks_text(card["blocks"]) and "$120,000" in blocks_text(card["blocks"])
    assert (submitted.card_channel, submitted.card_ts) == (HANDOFF_CHANNEL, card["ts"])
    # The loop closes: the fill request now says it is submitted (its button gone), and a DM says where the card is.
    fill, confirm = dm_messages(slack, "U_AE")
    assert fill["ts"] == dm["ts"] and "✅ Submitted" in blocks_text(fill["blocks"])
    assert "by <@U_AE>" in blocks_text(fill["blocks"]) and hb.FILL not in json.dumps(fill["blocks"])
    link = f"https://slack.com/archives/{HANDOFF_CHANNEL}/p{card['ts'].replace('.', '')}"
    assert f"<{link}|Open the card>" in blocks_text(fill["blocks"])
    assert f"is in <#{HANDOFF_CHANNEL}>" in blocks_text(confirm["blocks"]) and link in blocks_text(confirm["blocks"])

    # The DM's button, clicked again, does not reopen the submitted handoff as a draft.
    req = p.block_actions(hb.FILL, str(h.id), user_id="U_AE", response_url=slack.new_response_url())
    baton.slack(req)
    assert "already submitted by <@U_AE>" in slack.responses()[-1]["text"]
    assert len(slack.views_opened()) == 1


@pytest.mark.parametrize(
    ("stage", "outcome", "drafts"),
    [("closedwon", "done", 1), ("appointmentscheduled", "ignored", 0), ("contractsent", "ignored", 0)],
)
def test_deal_creation_starts_handoff_only_when_already_won(baton, slack, hubspot, stage, outcome, drafts):
    """deal.creation reads the deal: in a closed-won stage it starts a handoff; otherwise it is ignored."""
    add_deal(hubspot, "777001", stage=stage)
    assert post_hubspot(baton, [creation_event("777001")]).status_code == 200
    baton.settle()
    assert len(hubspot.calls_to("/crm/v3/objects/deals/777001")) == 1
    assert [e.status for e in baton.all(WebhookEvent)] == [outcome]
    assert len(baton.all(Handoff)) == drafts
    assert len(dm_messages(slack, "U_AE")) == drafts
    assert slack.messages(HANDOFF_CHANNEL) == []


@pytest.mark.parametrize(
    "event",
    [
        change_event(stage="contractsent"),
        change_event(stage="closedlost"),
        {**CAPTURED, "propertyName": "amount", "propertyValue": "5000"},
        {**creation_event(), "subscriptionType": "contact.creation"},
    ],
    ids=["other-stage", "closedlost", "other-property", "contact"],
)
def test_events_that_are_not_a_win_are_ignored_without_calling_hubspot(baton, slack, hubspot, event):
    """A change to another stage or property, or another object type, is marked ignored; HubSpot is not asked."""
    add_deal(hubspot)
    assert post_hubspot(baton, [event]).status_code == 200
    baton.settle()
    assert [e.status for e in baton.all(WebhookEvent)] == ["ignored"]
    assert hubspot.calls == []
    assert baton.all(Handoff) == [] and slack.calls_to("chat.postMessage") == []


@pytest.mark.parametrize(("listed", "drafts"), [(True, 1), (False, 0)])
def test_custom_pipeline_stage_listed_in_settings_counts_as_won(make_baton, slack, hubspot, listed, drafts):
    """A custom stage id (captured body) starts a handoff only when HUBSPOT_CLOSED_WON_STAGES lists it."""
    stages = frozenset({"closedwon", CUSTOM_STAGE} if listed else {"closedwon"})
    baton = make_baton(hubspot_closed_won_stages=stages)
    deal_id = str(json.loads(CUSTOM_STAGE_BODY)[0]["objectId"])
    add_deal(hubspot, deal_id, stage=CUSTOM_STAGE)
    assert post_hubspot(baton, CUSTOM_STAGE_BODY).status_code == 200
    baton.settle()
    assert [e.status for e in baton.all(WebhookEvent)] == ["done" if listed else "ignored"]
    assert len(hubspot.calls_to(f"/crm/v3/objects/deals/{deal_id}")) == drafts
    assert [h.crm_deal_id for h in baton.all(Handoff)] == [deal_id] * drafts
    assert len(dm_messages(slack, "U_AE")) == drafts


@pytest.mark.parametrize(
    ("owner_email", "shown"),
    [("gone@acme-sales.example", "gone@acme-sales.example"), (None, "unknown")],
    ids=["email-not-in-slack", "deal-without-owner"],
)
def test_owner_not_in_slack_posts_draft_to_handoff_channel(baton, slack, hubspot, owner_email, shown):
    """An owner nobody in Slack matches (or no owner): the channel is asked who fills it (Fill button), no DM."""
    add_deal(hubspot, owner_email=owner_email or "unused@example.com")
    if owner_email is None:
        hubspot.add_deal(DEAL_ID, DEAL_NAME, "120000", company_id=COMPANY_ID, currency="USD")
    post_hubspot(baton, CAPTURED_BODY)
    baton.settle()
    [h] = baton.all(Handoff)
    assert h.status == DRAFT and h.ae_user_id is None and h.crm_owner_email == owner_email
    assert slack.calls_to("conversations.open") == []
    assert not any(c.args.get("channel", "").startswith("D") for c in slack.calls_to("chat.postMessage"))
    [post] = slack.messages(HANDOFF_CHANNEL)
    assert f"its owner ({shown})" in post["text"] and "Who will fill the handoff?" in post["text"]
    [button] = buttons(post)
    assert (button["action_id"], button["value"]) == (hb.FILL, str(h.id))

    view = click_fill(baton, slack, h.id, "U_CSM", HANDOFF_CHANNEL, post["ts"])
    initial = prefill(view)
    assert (initial["customer_name"], initial["arr"], initial["ae_user"]) == ("ACME Corp.", "USD 120,000", "U_CSM")


def test_unowned_draft_without_handoff_channel_is_dropped_not_retried_forever(make_baton, slack, hubspot, clock):
    """No owner in Slack and no BATON_HANDOFF_CHANNEL: the fill request is dropped (nowhere to post), not retried."""
    baton = make_baton(handoff_channel=None)
    add_deal(hubspot, owner_email="gone@acme-sales.example")
    post_hubspot(baton, CAPTURED_BODY)
    baton.settle()
    clock.advance(hours=1)
    baton.settle()
    assert [h.status for h in baton.all(Handoff)] == [DRAFT]
    [fill] = baton.all(OutboxMessage)
    assert fill.status == "dropped" and "BATON_HANDOFF_CHANNEL" in fill.last_error
    assert slack.calls_to("chat.postMessage") == []


def test_deal_without_company_or_amount_uses_deal_name(baton, slack, hubspot):
    """A deal with no associated company and no amount: the draft is named after the deal, ARR left empty."""
    hubspot.add_owner(OWNER_ID, "ae@example.com", "Alex", "Seller")
    hubspot.add_deal(DEAL_ID, DEAL_NAME, None, owner_id=OWNER_ID)
    post_hubspot(baton, CAPTURED_BODY)
    baton.settle()
    assert hubspot.calls_to("/crm/v3/objects/companies") == []
    [h] = baton.all(Handoff)
    assert (h.customer_name, h.arr, h.currency, h.crm_company_id) == (DEAL_NAME, None, None, None)
    [dm] = dm_messages(slack, "U_AE")
    assert "(—)" in dm["text"]
    view = click_fill(baton, slack, h.id, "U_AE", slack.dm_channel("U_AE"), dm["ts"])
    assert (prefill(view)["customer_name"], prefill(view)["arr"]) == (DEAL_NAME, None)


@pytest.mark.parametrize("typed", ["ACME Corp.", "acme corp", "  Acme  "])
def test_handoff_command_after_webhook_opens_the_draft(baton, slack, hubspot, typed):
    """`/handoff <company>` by the AE after the webhook opens the modal prefilled from the CRM draft."""
    add_deal(hubspot)
    post_hubspot(baton, CAPTURED_BODY)
    baton.settle()
    [h] = baton.all(Handoff)
    view = open_handoff(baton, slack, typed)
    assert hb.HandoffMeta.model_validate_json(view["private_metadata"]).handoff_id == h.id
    initial = prefill(view)
    assert (initial["customer_name"], initial["arr"], initial["contract_start"]) == (
        "ACME Corp.",
        "USD 120,000",
        "2026-11-20",
    )
    submit_handoff(baton, view, customer_name="ACME Corp.", arr=initial["arr"], contract_start="2026-11-20")
    baton.settle()
    [h2] = baton.all(Handoff)
    assert (h2.id, h2.status, h2.crm_deal_id) == (h.id, SUBMITTED, DEAL_ID)
    assert len(slack.messages(HANDOFF_CHANNEL)) == 1


# --- HubSpot: duplicates ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("deliveries", "rows"),
    [
        ([[change_event()], [change_event()]], 1),
        ([[change_event(), change_event()]], 1),
        ([[change_event()], [change_event(event_id=1228532999)]], 2),
        ([[change_event(), creation_event(event_id=1228533000)]], 2),
    ],
    ids=["same-body-twice", "same-event-id-in-one-batch", "same-deal-new-event-id", "change-and-creation"],
)
@pytest.mark.parametrize("settle_between", [False, True])
def test_duplicate_deliveries_give_one_draft_and_one_dm(baton, slack, hubspot, deliveries, rows, settle_between):
    """Redelivery, a repeated eventId in a batch, or another event for the same deal: one draft, one DM."""
    add_deal(hubspot)
    for events in deliveries:
        assert post_hubspot(baton, events).status_code == 200
        if settle_between:
            baton.settle()
    baton.settle()
    assert len(baton.all(WebhookEvent)) == rows
    assert {e.status for e in baton.all(WebhookEvent)} == {"done"}
    assert len(baton.all(Handoff)) == 1
    assert len(dm_messages(slack, "U_AE")) == 1
    assert slack.messages(HANDOFF_CHANNEL) == []


def test_redelivery_answers_200_and_reports_nothing_new(baton, hubspot):
    """HubSpot retrying the same body gets 200 (so it stops) with new = 0."""
    add_deal(hubspot)
    assert post_hubspot(baton, CAPTURED_BODY).json() == {"received": 1, "new": 1}
    resp = post_hubspot(baton, CAPTURED_BODY)
    assert resp.status_code == 200 and resp.json() == {"received": 1, "new": 0}


# --- HubSpot: authentication and malformed bodies ------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"secret": "not-the-client-secret"}, "bad signature"),
        ({"timestamp_ms": -301_000}, "stale timestamp"),
        ({"timestamp_ms": +301_000}, "timestamp in the future"),
        ({"drop": ("X-HubSpot-Signature-v3",)}, "missing signature"),
        ({"drop": ("X-HubSpot-Request-Timestamp",)}, "missing timestamp"),
        ({"drop": ("X-HubSpot-Signature-v3", "X-HubSpot-Request-Timestamp")}, "missing signature"),
        ({"sign_uri": "http://baton.example.com/webhooks/hubspot"}, "bad signature"),
        ({"sign_uri": "https://baton.internal:3000/webhooks/hubspot"}, "bad signature"),
        ({"sign_uri": "https://baton.example.com/webhooks/hubspot?portalId=1"}, "bad signature"),
        ({"sign_uri": "https://baton.example.com/webhooks/deal-closed"}, "bad signature"),
    ],
    ids=[
        "forged",
        "stale",
        "future",
        "no-signature",
        "no-timestamp",
        "no-headers",
        "http-uri",
        "internal-host",
        "extra-query",
        "other-path",
    ],
)
def test_unauthentic_hubspot_requests_are_rejected_and_leave_no_trace(baton, slack, hubspot, kwargs, reason):
    """Forged, stale or unsigned requests, or ones signed for another URI: 401, no row, no HubSpot or Slack call."""
    add_deal(hubspot)
    if "timestamp_ms" in kwargs:
        kwargs = {"timestamp_ms": now_ms(baton.clock) + kwargs["timestamp_ms"]}
    resp = post_hubspot(baton, CAPTURED_BODY, **kwargs)
    assert resp.status_code == 401 and resp.json() == {"error": reason}
    baton.settle()
    assert baton.all(WebhookEvent) == [] and baton.all(Handoff) == []
    assert hubspot.calls == [] and slack.calls == []


@pytest.mark.parametrize("age_s", [0, 299, -299])
def test_timestamp_within_five_minutes_is_accepted(baton, slack, hubspot, age_s):
    """A delivery signed up to 5 minutes ago (or with a clock up to 5 minutes ahead) is accepted."""
    add_deal(hubspot)
    resp = post_hubspot(baton, CAPTURED_BODY, timestamp_ms=now_ms(baton.clock) - age_s * 1000)
    assert resp.status_code == 200, resp.text
    baton.settle()
    assert len(dm_messages(slack, "U_AE")) == 1


def test_tampered_body_is_rejected(baton, slack, hubspot):
    """A body changed after signing (another deal id) fails the signature check."""
    headers = p.hubspot_v3_headers("POST", HUBSPOT_URI, CAPTURED_BODY, HUBSPOT_SECRET, timestamp_ms=now_ms(baton.clock))
    forged = CAPTURED_BODY.replace(DEAL_ID.encode(), b"111111111")
    resp = baton.http.post("/webhooks/hubspot", content=forged, headers=headers)
    assert resp.status_code == 401
    baton.settle()
    assert baton.all(WebhookEvent) == [] and hubspot.calls == [] and slack.calls == []


def test_signature_over_the_uri_with_its_query_string_is_accepted(baton, slack, hubspot):
    """HubSpot signs the full public URI, query included; Baton rebuilds it from BATON_PUBLIC_URL + path + query."""
    add_deal(hubspot)
    uri = HUBSPOT_URI + "?portalId=5799819"
    resp = post_hubspot(baton, CAPTURED_BODY, sign_uri=uri, path="/webhooks/hubspot?portalId=5799819")
    assert resp.status_code == 200, resp.text
    baton.settle()
    assert len(dm_messages(slack, "U_AE")) == 1


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "body is not valid JSON"),
        (b"", "body is not valid JSON"),
        (json.dumps(CAPTURED).encode(), "body must be a JSON array of events"),
        (b"[42]", "event[0] must be an object"),
        (json.dumps([{k: v for k, v in CAPTURED.items() if k != "eventId"}]).encode(), "event[0].eventId is required"),
        (json.dumps([CAPTURED, {**CAPTURED, "objectId": None}]).encode(), "event[1].objectId is required"),
        (json.dumps([{**CAPTURED, "subscriptionType": ""}]).encode(), "event[0].subscriptionType is required"),
    ],
    ids=["not-json", "empty", "object", "not-an-object", "no-event-id", "second-event-bad", "no-type"],
)
def test_malformed_hubspot_body_is_400_with_reason_and_nothing_written(baton, slack, hubspot, body, reason):
    """A correctly signed but malformed body: 400 naming the problem; no row, no calls (HubSpot won't retry 4xx)."""
    resp = post_hubspot(baton, body)
    assert resp.status_code == 400 and resp.json() == {"error": reason}
    baton.settle()
    assert baton.all(WebhookEvent) == [] and hubspot.calls == [] and slack.calls == []


def test_empty_batch_is_accepted(baton, hubspot):
    """An empty array is a valid (if pointless) delivery: 200, nothing stored."""
    resp = post_hubspot(baton, [])
    assert resp.status_code == 200 and resp.json() == {"received": 0, "new": 0}
    assert baton.all(WebhookEvent) == []


def test_hubspot_secret_not_configured_is_503(make_baton, slack, hubspot):
    """Without HUBSPOT_CLIENT_SECRET nothing can be verified: 503 (HubSpot retries later), nothing written."""
    baton = make_baton(hubspot_client_secret=None)
    resp = post_hubspot(baton, CAPTURED_BODY)
    assert resp.status_code == 503 and "HUBSPOT_CLIENT_SECRET" in resp.json()["error"]
    baton.settle()
    assert baton.all(WebhookEvent) == [] and hubspot.calls == [] and slack.calls == []


# --- HubSpot: failures while processing ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "times", "retry_after", "wait"),
    [
        (429, 1, 60, 61),  # longer than the client blocks for: the inbox waits Retry-After
        (429, 5, 1, 3),  # the client's own retries run out: the inbox backs off
        (500, 5, None, 3),
        (503, 5, None, 3),
    ],
    ids=["429-long-retry-after", "429-repeated", "500", "503"],
)
def test_hubspot_errors_on_the_deal_read_are_retried_to_one_draft(
    baton, slack, hubspot, clock, status, times, retry_after, wait
):
    """429/5xx reading the deal leave the event pending; after the backoff it ends in one draft and one DM."""
    add_deal(hubspot)
    hubspot.fail_next(f"/crm/v3/objects/deals/{DEAL_ID}", status=status, times=times, retry_after=retry_after)
    post_hubspot(baton, CAPTURED_BODY)
    baton.settle()
    [event] = baton.all(WebhookEvent)
    assert event.status == "pending" and str(status) in event.last_error
    assert baton.all(Handoff) == [] and dm_messages(slack, "U_AE") == []
    calls = len(hubspot.calls_to(f"/crm/v3/objects/deals/{DEAL_ID}"))
    assert calls == times

    clock.advance(seconds=wait - 2)
    baton.settle()  # not yet due: HubSpot is not asked again early
    assert len(hubspot.calls_to(f"/crm/v3/objects/deals/{DEAL_ID}")) == calls

    clock.advance(seconds=2)
    baton.settle()
    assert [e.status for e in baton.all(WebhookEvent)] == ["done"]
    assert len(baton.all(Handoff)) == 1
    assert len(dm_messages(slack, "U_AE")) == 1
    clock.advance(minutes=10)
    baton.settle()
    assert len(baton.all(Handoff)) == 1 and len(dm_messages(slack, "U_AE")) == 1


def test_deal_not_found_marks_event_failed_without_dm(baton, slack, hubspot, clock):
    """A 404 for the deal is permanent: the event is failed at once, no draft, no DM, no retry."""
    post_hubspot(baton, CAPTURED_BODY)  # no such deal in the fake HubSpot
    baton.settle()
    [event] = baton.all(WebhookEvent)
    assert event.status == "failed" and "404" in event.last_error
    clock.advance(hours=1)
    baton.settle()
    assert len(hubspot.calls_to(f"/crm/v3/objects/deals/{DEAL_ID}")) == 1
    assert baton.all(Handoff) == [] and slack.calls_to("chat.postMessage") == []


def test_slack_rate_limit_on_owner_lookup_waits_retry_after(baton, slack, hubspot, clock):
    """users.lookupByEmail answering 429 Retry-After: 30: the event is retried after 30 s, not sooner, once."""
    add_deal(hubspot)
    slack.fail_next("users.lookupByEmail", status=429, retry_after=30)
    post_hubspot(baton, CAPTURED_BODY)
    baton.settle()
    [event] = baton.all(WebhookEvent)
    assert event.status == "pending" and baton.all(Handoff) == []
    clock.advance(seconds=20)
    baton.settle()
    assert len(slack.calls_to("users.lookupByEmail")) == 1
    clock.advance(seconds=11)
    baton.settle()
    assert [e.status for e in baton.all(WebhookEvent)] == ["done"]
    assert len(baton.all(Handoff)) == 1 and len(dm_messages(slack, "U_AE")) == 1


@pytest.mark.parametrize("failure", ["fail_next", "fail_after_effect"])
def test_slack_500_on_the_dm_still_delivers_exactly_once(baton, slack, hubspot, clock, failure):
    """Slack answering 500 to the DM (with or without having posted it): after the backoff, exactly one DM."""
    add_deal(hubspot)
    if failure == "fail_next":
        slack.fail_next("chat.postMessage", status=500)  # not posted
    else:
        slack.fail_after_effect("chat.postMessage")  # posted, but the answer is a 500
    post_hubspot(baton, CAPTURED_BODY)
    baton.settle()
    assert len(slack.calls_to("chat.postMessage")) == 1
    [fill] = baton.all(OutboxMessage)
    assert fill.status == "sending" and "500" in fill.last_error

    clock.advance(seconds=5)
    baton.settle()
    assert len(dm_messages(slack, "U_AE")) == 1
    assert [o.status for o in baton.all(OutboxMessage)] == ["sent"]
    assert len(baton.all(Handoff)) == 1


def test_fill_request_not_sent_once_the_handoff_was_submitted(baton, slack, hubspot, clock):
    """If the AE submits the draft (via /handoff) before a delayed DM goes out, the stale Fill DM is dropped."""
    add_deal(hubspot)
    slack.fail_next("chat.postMessage", status=500)
    post_hubspot(baton, CAPTURED_BODY)
    baton.settle()
    assert dm_messages(slack, "U_AE") == []
    view = open_handoff(baton, slack, "ACME Corp.")
    submit_handoff(baton, view, customer_name="ACME Corp.", arr="USD 120,000", contract_start="2026-11-20")
    clock.advance(seconds=5)
    baton.settle()
    [confirm] = dm_messages(slack, "U_AE")  # no Fill DM: only where the card is
    assert "Your handoff for" in blocks_text(confirm["blocks"])
    assert len(slack.messages(HANDOFF_CHANNEL)) == 1
    fill = baton.all(OutboxMessage, OutboxMessage.method == "handoff.fill_request")[0]
    assert fill.status == "dropped"


# --- Korean owner ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("via", ["hubspot", "generic"])
def test_korean_owner_gets_dm_in_korean_with_korean_won_units(baton, slack, hubspot, via):
    """An owner whose Slack locale is ko-KR gets the DM in Korean, ₩150,000,000 written as 1억 5,000만 원."""
    if via == "hubspot":
        add_deal(hubspot, owner_email="minsu@example.co.kr", amount="150000000", currency="KRW", company="삼성전자")
        assert post_hubspot(baton, CAPTURED_BODY).status_code == 200
    else:
        body = {**GENERIC_DEAL, "company": "삼성전자", "amount": 150000000, "currency": "KRW"}
        assert post_generic(baton, {**body, "owner_email": "minsu@example.co.kr"}).status_code == 200
    baton.settle()
    [h] = baton.all(Handoff)
    assert (h.arr, h.currency, h.ae_user_id) == (Decimal("150000000"), "KRW", "U_KO")
    [dm] = dm_messages(slack, "U_KO")
    assert "1억 5,000만 원" in dm["text"] and "성사되었습니다" in dm["text"] and "삼성전자" in dm["text"]
    [button] = buttons(dm)
    assert button["text"]["text"] == "인계 작성" and button["action_id"] == hb.FILL
    assert dm_messages(slack, "U_AE") == []


# --- Generic deal-closed webhook -----------------------------------------------------------------------------


def test_generic_deal_closed_drafts_handoff_and_dms_owner(baton, slack, hubspot):
    """A signed generic body: 200, one draft prefilled from it, one DM with a Fill button; HubSpot is not asked."""
    resp = post_generic(baton, GENERIC_DEAL)
    assert resp.status_code == 200 and resp.json() == {"received": 1, "new": 1}
    [event] = baton.all(WebhookEvent)
    assert event.source == "webhook" and event.status == "pending"
    baton.settle()
    [h] = baton.all(Handoff)
    assert h.status == DRAFT
    assert (h.crm_source, h.crm_deal_id, h.crm_deal_name) == ("salesforce", "006Dn000004ABCD", "Globex rollout")
    assert (h.customer_name, h.arr, h.currency) == ("Globex Ltd", Decimal("48000"), "EUR")
    assert (h.contract_start, h.crm_owner_email, h.ae_user_id) == (date(2026, 11, 20), "ae@example.com", "U_AE")
    assert baton.all(Customer)[0].domain == "globex.example"
    [dm] = dm_messages(slack, "U_AE")
    assert "Globex Ltd" in dm["text"] and "€48,000" in dm["text"]
    [button] = buttons(dm)
    assert (button["action_id"], button["value"]) == (hb.FILL, str(h.id))
    assert hubspot.calls == []
    assert baton.all(WebhookEvent)[0].status == "done"

    view = click_fill(baton, slack, h.id, "U_AE", slack.dm_channel("U_AE"), dm["ts"])
    assert (prefill(view)["customer_name"], prefill(view)["arr"]) == ("Globex Ltd", "EUR 48,000")


@pytest.mark.parametrize(
    ("second", "new", "rows"),
    [
        (GENERIC_DEAL, 0, 1),
        ({**GENERIC_DEAL, "event_id": "evt-0002"}, 1, 2),
        ({**GENERIC_DEAL, "event_id": "evt-0002", "amount": "50000"}, 1, 2),
    ],
    ids=["same-body", "same-deal-new-event-id", "same-deal-changed-amount"],
)
def test_generic_redelivery_or_same_deal_has_no_second_effect(baton, slack, second, new, rows):
    """The same body again, or the same deal under another event_id: no second draft, no second DM."""
    post_generic(baton, GENERIC_DEAL)
    baton.settle()
    resp = post_generic(baton, second)
    assert resp.status_code == 200 and resp.json()["new"] == new
    baton.settle()
    assert len(baton.all(WebhookEvent)) == rows
    [h] = baton.all(Handoff)
    assert h.arr == Decimal("48000")
    assert len(dm_messages(slack, "U_AE")) == 1


def test_generic_without_event_id_dedupes_by_deal(baton, slack):
    """Without event_id the deal itself is the key: the same deal closing again is one row."""
    body = {k: v for k, v in GENERIC_DEAL.items() if k != "event_id"}
    assert post_generic(baton, body).json()["new"] == 1
    assert post_generic(baton, {**body, "amount": "1"}).json()["new"] == 0
    baton.settle()
    assert len(baton.all(Handoff)) == 1 and len(dm_messages(slack, "U_AE")) == 1


def test_generic_same_event_id_from_two_sources_are_two_deals(baton, slack):
    """Event ids are the sender's: the same event_id from two CRMs (sources) is two deals, not a redelivery."""
    assert post_generic(baton, GENERIC_DEAL).json()["new"] == 1
    other = {**GENERIC_DEAL, "source": "pipedrive", "deal_id": "42", "company": "Initech"}
    assert post_generic(baton, other).json()["new"] == 1
    baton.settle()
    assert sorted(h.customer_name for h in baton.all(Handoff)) == ["Globex Ltd", "Initech"]
    assert len(dm_messages(slack, "U_AE")) == 2


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"secret": "another-secret-0123456789"}, "bad signature"),
        ({"timestamp": -301}, "stale timestamp"),
        ({"timestamp": +301}, "timestamp in the future"),
    ],
    ids=["forged", "stale", "future"],
)
def test_generic_unauthentic_requests_are_401_and_write_nothing(baton, slack, kwargs, reason):
    """A bad signature or a timestamp more than 5 minutes off: 401, no row, no Slack call."""
    if "timestamp" in kwargs:
        kwargs = {"timestamp": int(baton.clock().timestamp()) + kwargs["timestamp"]}
    resp = post_generic(baton, GENERIC_DEAL, **kwargs)
    assert resp.status_code == 401 and resp.json() == {"error": reason}
    baton.settle()
    assert baton.all(WebhookEvent) == [] and baton.all(Handoff) == [] and slack.calls == []


@pytest.mark.parametrize("drop", [("X-Baton-Signature",), ("X-Baton-Timestamp",)], ids=["no-signature", "no-timestamp"])
def test_generic_missing_headers_are_401(baton, slack, drop):
    """A request without the signature or timestamp header is rejected."""
    raw = json.dumps(GENERIC_DEAL).encode()
    headers = p.generic_webhook_headers(raw, WEBHOOK_SECRET, timestamp=int(baton.clock().timestamp()))
    for name in drop:
        headers.pop(name)
    resp = baton.http.post("/webhooks/deal-closed", content=raw, headers=headers)
    assert resp.status_code == 401
    assert baton.all(WebhookEvent) == [] and slack.calls == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"deal_id": None}, "deal_id is required"),
        ({"company": None}, "company is required"),
        ({"company": "   "}, "company:"),
        ({"amount": "abc"}, "amount:"),
        ({"amount": -5}, "amount:"),
        ({"amount": "NaN"}, "amount:"),
        ({"currency": "dollars"}, "currency:"),
        ({"close_date": "20/11/2026"}, "close_date:"),
        ({"owner_email": "not-an-email"}, "owner_email:"),
    ],
    ids=[
        "no-deal-id",
        "no-company",
        "blank-company",
        "amount-text",
        "amount-negative",
        "amount-nan",
        "currency",
        "close-date",
        "owner-email",
    ],
)
def test_generic_invalid_body_is_400_naming_the_field(baton, slack, change, field):
    """A signed body with a missing or invalid field: 400 whose reason names the field; nothing written."""
    body = {k: v for k, v in {**GENERIC_DEAL, **change}.items() if v is not None}
    resp = post_generic(baton, body)
    assert resp.status_code == 400
    assert resp.json()["error"].startswith(field), resp.json()
    baton.settle()
    assert baton.all(WebhookEvent) == [] and slack.calls == []


@pytest.mark.parametrize(
    "change",
    [{"deal_id": "d" * 100}, {"source": "s" * 40}, {"deal_name": "n" * 300}, {"amount": "12345678901234567890"}],
    ids=["deal-id-100", "source-40", "deal-name-300", "amount-20-digits"],
)
def test_generic_oversized_field_is_rejected_or_drafted_never_stuck(baton, slack, change):
    """A value larger than Baton stores is refused with 400 or stored trimmed, never left retrying in the inbox."""
    resp = post_generic(baton, {**GENERIC_DEAL, **change})
    baton.settle()
    if resp.status_code != 400:
        assert [e.status for e in baton.all(WebhookEvent)] == ["done"]
        assert len(baton.all(Handoff)) == 1 and len(dm_messages(slack, "U_AE")) == 1


def test_hubspot_long_deal_name_still_drafts(baton, slack, hubspot):
    """A HubSpot deal name longer than 255 characters still gives a draft and a DM."""
    add_deal(hubspot)
    hubspot.add_deal(DEAL_ID, "n" * 300, "120000", owner_id=OWNER_ID, company_id=COMPANY_ID, currency="USD")
    post_hubspot(baton, CAPTURED_BODY)
    baton.settle()
    assert [e.status for e in baton.all(WebhookEvent)] == ["done"]
    assert len(baton.all(Handoff)) == 1 and len(dm_messages(slack, "U_AE")) == 1


@pytest.mark.parametrize(
    ("body", "reason"),
    [(b"{oops", "body is not valid JSON"), (b"[]", "body must be a JSON object")],
    ids=["not-json", "array"],
)
def test_generic_malformed_body_is_400(baton, slack, body, reason):
    """Not JSON, or not an object: 400 with the reason."""
    resp = post_generic(baton, body)
    assert resp.status_code == 400 and resp.json() == {"error": reason}
    assert baton.all(WebhookEvent) == []


def test_generic_secret_not_configured_is_503(make_baton, slack):
    """BATON_WEBHOOK_SECRET unset: 503 naming the variable, nothing written."""
    baton = make_baton(webhook_secret=None)
    resp = post_generic(baton, GENERIC_DEAL)
    assert resp.status_code == 503 and "BATON_WEBHOOK_SECRET" in resp.json()["error"]
    baton.settle()
    assert baton.all(WebhookEvent) == [] and slack.calls == []


@pytest.mark.parametrize("path", ["/webhooks/hubspot", "/webhooks/deal-closed"])
def test_webhook_endpoints_only_take_post(baton, path):
    """GET on a webhook endpoint is 405, not a crash or a 404."""
    assert baton.http.get(path).status_code == 405


def test_deal_closing_after_a_manual_handoff_links_to_it(baton, slack):
    """When the AE already filled the handoff by hand, the CRM deal is linked to it: no draft, no DM."""
    from tests.flows import open_handoff, submit_handoff

    view = open_handoff(baton, slack, GENERIC_DEAL["company"])
    submit_handoff(baton, view, customer_name=GENERIC_DEAL["company"])
    baton.settle()
    post_generic(baton, GENERIC_DEAL)
    baton.settle()
    [h] = baton.all(Handoff)
    assert h.crm_deal_id == GENERIC_DEAL["deal_id"] and h.status == "submitted"
    assert [("Your handoff for" in blocks_text(m["blocks"])) for m in dm_messages(slack, "U_AE")] == [True]


# --- control characters (bot/inputs.py: refused in what a CRM sends, removed from what Baton reads) ----------


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"company": "Globex\x00 Ltd"}, "company: contains a control character (U+0000)"),
        ({"deal_name": "Globex\x1b rollout"}, "deal_name: contains a control character (U+001B)"),
        ({"event_id": "evt\x00-0001"}, "event_id: contains a control character (U+0000)"),
        ({"deal_id": "006Dn\x00"}, "deal_id: contains a control character (U+0000)"),
        ({"owner_email": "ae@example.com\x00"}, "owner_email: contains a control character (U+0000)"),
        ({"source": "sales\x7fforce"}, "source: contains a control character (U+007F)"),
        ({"company": "Globex\x85"}, "company: contains a control character (U+0085)"),
        ({"company": "Globex \ud800"}, "company: contains a control character (U+D800)"),
    ],
    ids=["company-nul", "deal-name-esc", "event-id-nul", "deal-id-nul", "email-nul", "source-del", "c1", "surrogate"],
)
def test_generic_control_character_is_400_naming_the_field_and_stores_nothing(baton, slack, change, reason):
    """A NUL (or other control character, or lone surrogate) in a field Baton reads is 400 naming the field, on
    both databases: nothing stored, so nothing fails later in the inbox (PostgreSQL cannot store NUL)."""
    resp = post_generic(baton, {**GENERIC_DEAL, **change})
    assert resp.status_code == 400 and resp.json() == {"error": reason}
    baton.settle()
    assert baton.all(WebhookEvent) == [] and baton.all(Handoff) == [] and slack.calls == []


def test_generic_control_character_in_an_ignored_field_does_not_matter(baton, slack):
    """Unknown fields are ignored, control characters and all: the deal drafts and the event is done."""
    resp = post_generic(baton, {**GENERIC_DEAL, "notes": "free\x00 text \ud800"})
    assert resp.status_code == 200
    baton.settle()
    assert [e.status for e in baton.all(WebhookEvent)] == ["done"]
    assert [h.customer_name for h in baton.all(Handoff)] == ["Globex Ltd"]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"[" * 100_000, "body is not valid JSON: JSON nested more than 64 levels deep"),
        (b'{"a":' * 100_000, "body is not valid JSON: JSON nested more than 64 levels deep"),
        (b'{"company": "\xff"}', "body is not valid JSON: body is not UTF-8 (invalid byte at offset 13)"),
    ],
    ids=["deep-arrays", "deep-objects", "not-utf8"],
)
def test_generic_deep_or_undecodable_body_is_400(baton, slack, body, reason):
    """A 100k-deep or non-UTF-8 body is 400 with the reason, not a RecursionError."""
    resp = post_generic(baton, body)
    assert resp.status_code == 400 and resp.json() == {"error": reason}
    assert baton.all(WebhookEvent) == []


def test_hubspot_control_character_in_an_event_is_400(baton, slack, hubspot):
    """A HubSpot event whose id or property value holds a NUL is refused like any malformed event."""
    resp = post_hubspot(baton, [{**CAPTURED, "propertyValue": "closed\x00won"}])
    assert resp.status_code == 400
    assert resp.json() == {"error": "event[0].propertyValue: contains a control character (U+0000)"}
    baton.settle()
    assert baton.all(WebhookEvent) == [] and hubspot.calls == [] and slack.calls == []


def test_hubspot_deal_data_with_control_characters_drafts_cleanly(baton, slack, hubspot):
    """Names Baton reads from HubSpot's API lose their control characters: the draft is made on both databases
    instead of failing in the inbox for two hours."""
    add_deal(hubspot, company="ACME\x00 Corp.\x1b")
    hubspot.add_deal(DEAL_ID, "ACME\x00 rollout", "120000", owner_id=OWNER_ID, company_id=COMPANY_ID, currency="USD")
    assert post_hubspot(baton, CAPTURED_BODY).status_code == 200
    baton.settle()
    assert [e.status for e in baton.all(WebhookEvent)] == ["done"]
    [h] = baton.all(Handoff)
    assert (h.customer_name, h.crm_deal_name) == ("ACME Corp.", "ACME rollout")
    assert len(dm_messages(slack, "U_AE")) == 1


def test_stored_event_with_a_nul_fails_at_once_instead_of_retrying(baton, slack):
    """An event stored before the control-character rule (a NUL in its company) fails on its first attempt with
    the reason, instead of being retried for two hours; nothing is drafted, on both databases."""
    from bot.inbox import store

    with baton.deps.sessions.begin() as db:
        store(db, "webhook", [("salesforce:event:old-1", {**GENERIC_DEAL, "company": "Globex\x00"})], baton.clock())
    baton.settle()
    [event] = baton.all(WebhookEvent)
    assert (event.status, event.attempts) == ("failed", 1)
    assert "company: contains a control character (U+0000)" in event.last_error
    assert baton.all(Handoff) == [] and slack.calls == []


@pytest.mark.parametrize("fault", POST_FAULTS)
def test_fill_request_dm_lands_exactly_once_under_each_fault(baton, slack, hubspot, clock, fault):
    """Each Slack fault on the fill-request DM (stored then dropped or 500, 503, 429 past the lease or with
    Retry-After 0) ends, after the outbox's retries and reconciliation in the DM channel, with one DM."""
    add_deal(hubspot)
    POST_FAULTS[fault](slack)
    post_hubspot(baton, CAPTURED_BODY)
    baton.settle()
    for _ in range(5):
        clock.advance(seconds=61)
        baton.settle()
    assert len(dm_messages(slack, "U_AE")) == 1
    assert [o.status for o in baton.all(OutboxMessage)] == ["sent"]
