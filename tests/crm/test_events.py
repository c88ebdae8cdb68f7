import json
from datetime import date
from decimal import Decimal

import pytest

from bot.crm.events import (
    GenericDeal,
    HubSpotEvent,
    PayloadError,
    is_closed_won,
    parse_generic_deal,
    parse_hubspot_events,
)
from tests.crm import fixture_bytes

CLOSEDWON = "hubspot_webhook_deal_propertyChange_dealstage_closedwon.captured.json"
CUSTOM_STAGE = "hubspot_webhook_deal_propertyChange_dealstage_custom_stage_id.captured.json"
CONTACT_CREATION = "hubspot_webhook_contact_creation.hubspot_docs_v1_example.json"
CUSTOM_STAGE_ID = "1f4f1ec1-8174-49f3-a112-4eaa4748e38e"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            CLOSEDWON,
            {
                "event_id": "1228532628",
                "subscription_type": "deal.propertyChange",
                "object_id": "697680835",
                "portal_id": "5799819",
                "property_name": "dealstage",
                "property_value": "closedwon",
                "occurred_at_ms": 1556105815815,
                "attempt_number": 3,
            },
        ),
        (
            CUSTOM_STAGE,
            {"event_id": "4168025182", "object_id": "741141656", "property_value": CUSTOM_STAGE_ID},
        ),
        (
            CONTACT_CREATION,
            {
                "event_id": "1",
                "subscription_type": "contact.creation",
                "object_id": "123",
                "property_name": None,
                "property_value": None,
                "attempt_number": 0,
            },
        ),
    ],
)
def test_fixture_bodies_parse(name, expected):
    """The captured HubSpot bodies parse into one event with ids kept as strings and raw preserved."""
    body = fixture_bytes(name)
    [event] = parse_hubspot_events(body)
    assert {k: getattr(event, k) for k in expected} == expected
    assert event.raw == json.loads(body)[0]


def _event(**kw) -> HubSpotEvent:
    item = {"eventId": 1, "objectId": 2, "subscriptionType": "deal.propertyChange", **kw}
    return parse_hubspot_events(json.dumps([item]).encode())[0]


@pytest.mark.parametrize(
    ("event", "stages", "expected"),
    [
        (_event(propertyName="dealstage", propertyValue="closedwon"), {"closedwon"}, True),
        (_event(propertyName="dealstage", propertyValue=CUSTOM_STAGE_ID), {"closedwon"}, False),
        (
            _event(propertyName="dealstage", propertyValue=CUSTOM_STAGE_ID),
            {"closedwon", CUSTOM_STAGE_ID},
            True,
        ),
        (_event(propertyName="dealstage", propertyValue="closedlost"), {"closedwon"}, False),
        (_event(propertyName="amount", propertyValue="closedwon"), {"closedwon"}, False),
        (_event(subscriptionType="deal.creation"), {"closedwon"}, None),
        (_event(subscriptionType="contact.creation"), {"closedwon"}, False),
        (_event(subscriptionType="deal.deletion"), {"closedwon"}, False),
    ],
)
def test_is_closed_won(event, stages, expected):
    """dealstage changes are matched against stage ids; deal.creation needs a deal read (None)."""
    assert is_closed_won(event, stages) is expected


def test_batch_and_empty():
    """An empty array is valid, and a batch keeps HubSpot's order (duplicates are the caller's to dedupe)."""
    assert parse_hubspot_events(b"[]") == []
    events = [{"eventId": i, "objectId": 7, "subscriptionType": "deal.creation"} for i in (3, 1, 3)]
    assert [e.event_id for e in parse_hubspot_events(json.dumps(events).encode())] == ["3", "1", "3"]


def _batch(*items) -> bytes:
    return json.dumps(list(items)).encode()


_OK = {"eventId": 1, "objectId": 2, "subscriptionType": "deal.creation"}


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
        (b"[{", "not valid JSON"),
        (b"{}", "JSON array"),
        (b'"x"', "JSON array"),
        (_batch(1), "event[0] must be an object"),
        (_batch(_OK, {**_OK, "eventId": None}), "event[1].eventId is required"),
        (_batch({"objectId": 2, "subscriptionType": "deal.creation"}), "event[0].eventId is required"),
        (_batch({**_OK, "objectId": True}), "event[0].objectId must be an integer"),
        (_batch({**_OK, "objectId": ""}), "event[0].objectId must be an integer"),
        (_batch({**_OK, "objectId": {"id": 2}}), "event[0].objectId"),
        (_batch({**_OK, "subscriptionType": ""}), "event[0].subscriptionType is required"),
        (_batch({**_OK, "subscriptionType": 5}), "event[0].subscriptionType is required"),
        (_batch({**_OK, "attemptNumber": "3"}), "event[0].attemptNumber must be a non-negative integer"),
        (_batch({**_OK, "occurredAt": -1}), "event[0].occurredAt must be a non-negative integer"),
        (_batch({**_OK, "propertyValue": ["a"]}), "event[0].propertyValue must be a string"),
        (_batch(*[_OK] * 1001), "too many events: 1001 > 1000"),
    ],
)
def test_bad_hubspot_bodies(body, reason):
    """Malformed HubSpot bodies raise PayloadError naming the field."""
    with pytest.raises(PayloadError) as info:
        parse_hubspot_events(body)
    assert reason in info.value.reason


def test_max_batch_size_accepted():
    """Exactly 1,000 events is accepted."""
    assert len(parse_hubspot_events(_batch(*[_OK] * 1000))) == 1000


def _deal(**kw) -> bytes:
    return json.dumps({"deal_id": "006SM0000001Tb3YAE", "company": "Acme", **kw}).encode()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            _deal(
                amount=120000,
                currency="USD",
                close_date="2026-11-20",
                owner_email="ae@example.com",
                deal_name="Acme - 400 Widgets",
                company_domain="acme.com",
                event_id="evt-1",
                source="salesforce",
            ),
            GenericDeal(
                deal_id="006SM0000001Tb3YAE",
                company="Acme",
                amount=Decimal(120000),
                currency="USD",
                close_date=date(2026, 11, 20),
                owner_email="ae@example.com",
                deal_name="Acme - 400 Widgets",
                company_domain="acme.com",
                event_id="evt-1",
                source="salesforce",
            ),
        ),
        (
            _deal(),
            GenericDeal("006SM0000001Tb3YAE", "Acme", None, None, None, None, None, None, None, "webhook"),
        ),
        (
            json.dumps(
                {
                    "deal_id": 42,
                    "company": "  Acme  ",
                    "amount": "1500.50",
                    "currency": "eur",
                    "close_date": "2026-11-20T09:31:00.000Z",
                    "owner_email": " ae@example.com ",
                    "company_domain": "https://www.Acme.com/about",
                    "event_id": 9,
                    "source": "HubSpot",
                    "unknown": {"ignored": True},
                }
            ).encode(),
            GenericDeal(
                "42",
                "Acme",
                Decimal("1500.50"),
                "EUR",
                date(2026, 11, 20),
                "ae@example.com",
                None,
                "acme.com",
                "9",
                "hubspot",
            ),
        ),
        (
            _deal(amount=None, currency="", close_date=None, owner_email="", deal_name=None, source=""),
            GenericDeal("006SM0000001Tb3YAE", "Acme", None, None, None, None, None, None, None, "webhook"),
        ),
        (
            _deal(amount=0.1),
            GenericDeal("006SM0000001Tb3YAE", "Acme", Decimal("0.1"), None, None, None, None, None, None, "webhook"),
        ),
    ],
)
def test_generic_deal_parses(body, expected):
    """Documented generic bodies parse and normalise; empty optional fields count as absent."""
    assert parse_generic_deal(body) == expected


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"nope", "body is not valid JSON"),
        (b"[]", "body must be a JSON object"),
        (json.dumps({"company": "Acme"}).encode(), "deal_id is required"),
        (json.dumps({"deal_id": "1"}).encode(), "company is required"),
        (_deal(deal_id=""), "deal_id: string should have at least 1 character"),
        (_deal(deal_id="x" * 65), "deal_id: string should have at most 64 characters"),
        (_deal(deal_id=True), "deal_id: input should be a valid string"),
        (_deal(company="   "), "company: string should have at least 1 character"),
        (_deal(amount=-1), "amount: input should be greater than or equal to 0"),
        (_deal(amount="12,000"), "amount: input should be a valid decimal"),
        (_deal(amount="NaN"), "amount: input should be a finite number"),
        (_deal(amount=True), "amount: decimal input should be"),
        (_deal(currency="US"), "currency: must be a 3-letter ISO 4217 code"),
        (_deal(currency="U$D"), "currency: must be a 3-letter ISO 4217 code"),
        (_deal(close_date="20/11/2026"), "close_date: must be an ISO date"),
        (_deal(close_date="2026-02-30"), "close_date: input should be a valid date"),
        (_deal(close_date=1700000000), "close_date: must be an ISO date"),
        (_deal(owner_email="not-an-email"), "owner_email: must be an email address"),
        (_deal(company_domain="not a domain"), "company_domain: must be a domain"),
        (_deal(source="sales force"), "source: must be a CRM name"),
    ],
)
def test_bad_generic_bodies(body, reason):
    """Invalid generic bodies raise PayloadError whose reason names the field."""
    with pytest.raises(PayloadError) as info:
        parse_generic_deal(body)
    assert reason in info.value.reason


def test_generic_reports_every_bad_field():
    """All invalid fields are reported together, so the sender can fix them in one go."""
    with pytest.raises(PayloadError) as info:
        parse_generic_deal(json.dumps({"amount": -5, "currency": "dollars"}).encode())
    reason = info.value.reason
    assert all(f in reason for f in ("deal_id is required", "company is required", "amount:", "currency:"))
