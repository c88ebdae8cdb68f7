import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal

import httpx
import pytest

from bot.crm.hubspot import DealInfo, HubSpotClient, HubSpotError, parse_hubspot_amount, parse_hubspot_date

TOKEN = "pat-na1-11111111-2222-3333-4444-555555555555"
BASE = "https://api.hubapi.test"

DEAL = {
    "id": "697680835",
    "properties": {
        "dealname": "Acme - 400 Widgets",
        "amount": "1500.50",
        "dealstage": "closedwon",
        "closedate": "2026-11-20T09:31:00.000Z",
        "hubspot_owner_id": "31",
        "deal_currency_code": "EUR",
        "pipeline": "default",
    },
    "createdAt": "2026-10-01T10:00:00.000Z",
    "updatedAt": "2026-11-20T09:31:00.000Z",
    "archived": False,
    "associations": {
        "companies": {
            "results": [
                {"id": "900", "type": "deal_to_company_unlabeled"},
                {"id": "901", "type": "deal_to_company"},
            ]
        }
    },
}
COMPANY = {"id": "901", "properties": {"name": "Acme Corp", "domain": "acme.com"}}
OWNER = {"id": "31", "email": "ae@example.com", "firstName": "Ada", "lastName": "Lovelace"}

Reply = httpx.Response | Exception


class FakeHubSpot:
    """A scripted HubSpot: per path, a list of replies consumed in order (the last one repeats)."""

    def __init__(self, routes: dict[str, list[Reply]]) -> None:
        self.routes = routes
        self.requests: list[httpx.Request] = []
        self.sleeps: list[float] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        replies = self.routes.get(request.url.path) or [
            _json(404, {"message": "not found", "category": "OBJECT_NOT_FOUND"})
        ]
        reply = replies.pop(0) if len(replies) > 1 else replies[0]
        if isinstance(reply, Exception):
            raise reply
        return reply

    def client(self, **kw) -> HubSpotClient:
        return HubSpotClient(BASE, TOKEN, transport=httpx.MockTransport(self), sleep=self.sleeps.append, **kw)


def _json(status: int, body: object, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(
        status,
        content=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
    )


DEAL_PATH = "/crm/v3/objects/deals/697680835"
COMPANY_PATH = "/crm/v3/objects/companies/901"
OWNER_PATH = "/crm/v3/owners/31"


def test_fetch_deal_info_happy_path():
    """Deal, primary company and owner are read with the documented query and combined into DealInfo."""
    fake = FakeHubSpot(
        {DEAL_PATH: [_json(200, DEAL)], COMPANY_PATH: [_json(200, COMPANY)], OWNER_PATH: [_json(200, OWNER)]}
    )
    with fake.client() as client:
        info = client.fetch_deal_info("697680835")
    assert info == DealInfo(
        deal_id="697680835",
        name="Acme - 400 Widgets",
        amount=Decimal("1500.50"),
        currency="EUR",
        close_date=date(2026, 11, 20),
        stage="closedwon",
        company_id="901",
        company_name="Acme Corp",
        company_domain="acme.com",
        owner_id="31",
        owner_email="ae@example.com",
        owner_name="Ada Lovelace",
    )
    deal_req, company_req, owner_req = fake.requests
    assert (
        deal_req.url.params["properties"]
        == "dealname,amount,dealstage,closedate,hubspot_owner_id,deal_currency_code,pipeline"
    )
    assert deal_req.url.params["associations"] == "companies"
    assert company_req.url.params["properties"] == "name,domain"
    assert owner_req.url.path == OWNER_PATH
    assert all(r.headers["Authorization"] == f"Bearer {TOKEN}" for r in fake.requests)
    assert fake.sleeps == []


@pytest.mark.parametrize(
    ("deal", "routes", "expected"),
    [
        # no associations, no owner property: nothing else is requested
        (
            {"id": "697680835", "properties": {"dealname": "X", "amount": "", "closedate": None}},
            {},
            {"company_id": None, "company_name": None, "owner_id": None, "owner_email": None, "amount": None},
        ),
        # associated company and owner were deleted (404): None fields, not an error
        (
            DEAL,
            {COMPANY_PATH: [_json(404, {"message": "gone", "category": "OBJECT_NOT_FOUND"})]},
            {
                "company_id": "901",
                "company_name": None,
                "owner_id": "31",
                "owner_email": None,
                "owner_name": None,
            },
        ),
        # only an unlabeled company: the first one is used
        (
            {
                **DEAL,
                "associations": {"companies": {"results": [{"id": "900", "type": "deal_to_company_unlabeled"}]}},
            },
            {
                "/crm/v3/objects/companies/900": [
                    _json(200, {"id": "900", "properties": {"name": "Other", "domain": None}})
                ]
            },
            {"company_id": "900", "company_name": "Other", "company_domain": None},
        ),
    ],
)
def test_fetch_deal_info_missing_parts(deal, routes, expected):
    """A missing company or owner yields None fields rather than an error."""
    fake = FakeHubSpot({DEAL_PATH: [_json(200, deal)], **routes})
    info = fake.client().fetch_deal_info(697680835)
    assert {k: getattr(info, k) for k in expected} == expected


def test_429_with_retry_after_then_success():
    """A 429 is retried after the Retry-After seconds HubSpot asked for."""
    limited = _json(429, {"message": "rate limit", "category": "RATE_LIMITS"}, {"Retry-After": "2"})
    fake = FakeHubSpot({OWNER_PATH: [limited, limited, _json(200, OWNER)]})
    assert fake.client().get_owner("31") == OWNER
    assert fake.sleeps == [2.0, 2.0]
    assert len(fake.requests) == 3


@pytest.mark.parametrize(
    ("failures", "sleeps"),
    [
        ([_json(429, {"message": "slow down"})], [0.5]),
        ([_json(503, {}, {"Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT"})], [0.5]),
        ([httpx.ConnectError("connection refused"), httpx.ReadTimeout("timed out")], [0.5, 1.0]),
        ([httpx.Response(502, text="<html>Bad gateway</html>")] * 3, [0.5, 1.0, 2.0]),
    ],
)
def test_transient_errors_retried_with_backoff(failures, sleeps):
    """429, 5xx and transport errors back off exponentially when no Retry-After seconds are given."""
    fake = FakeHubSpot({OWNER_PATH: [*failures, _json(200, OWNER)]})
    assert fake.client().get_owner(31) == OWNER
    assert fake.sleeps == sleeps


@pytest.mark.parametrize(
    ("max_retries", "sleeps"),
    [(4, [0.5, 1.0, 2.0, 4.0]), (8, [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]), (0, [])],
)
def test_500_until_retries_exhausted(max_retries, sleeps):
    """Persistent 5xx gives a retryable HubSpotError after max_retries, with backoff capped at 30 s."""
    fake = FakeHubSpot({DEAL_PATH: [_json(500, {"message": "internal", "category": "INTERNAL_ERROR"})]})
    with pytest.raises(HubSpotError) as info:
        fake.client(max_retries=max_retries).get_deal("697680835")
    assert (info.value.status, info.value.retryable) == (500, True)
    assert f"gave up after {max_retries + 1} attempts" in str(info.value)
    assert fake.sleeps == sleeps
    assert len(fake.requests) == max_retries + 1


def test_long_retry_after_is_not_slept_through():
    """A Retry-After over the 30 s cap raises at once (retryable, retry_after set) so the job reschedules."""
    fake = FakeHubSpot({OWNER_PATH: [_json(429, {"message": "daily limit"}, {"Retry-After": "3600"})]})
    with pytest.raises(HubSpotError) as info:
        fake.client().get_owner("31")
    assert (info.value.status, info.value.retryable, info.value.retry_after) == (429, True, 3600.0)
    assert fake.sleeps == []


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (
            404,
            {
                "status": "error",
                "message": "Object not found.",
                "correlationId": "c-1",
                "category": "OBJECT_NOT_FOUND",
            },
        ),
        (400, {"message": "Invalid input", "category": "VALIDATION_ERROR"}),
        (403, {"message": "missing scopes", "category": "MISSING_SCOPES"}),
        (301, {}),
    ],
)
def test_client_errors_not_retried(status, body):
    """4xx other than 429 fail at once with a non-retryable HubSpotError carrying HubSpot's message."""
    fake = FakeHubSpot({DEAL_PATH: [_json(status, body)]})
    with pytest.raises(HubSpotError) as info:
        fake.client().get_deal("697680835")
    assert (info.value.status, info.value.retryable) == (status, False)
    assert body.get("message", str(status)) in str(info.value)
    assert fake.sleeps == [] and len(fake.requests) == 1


@pytest.mark.parametrize(
    ("reply", "max_retries"),
    [
        (
            _json(
                401,
                {
                    "message": f"Authentication credentials not found: Bearer {TOKEN}",
                    "category": "INVALID_AUTHENTICATION",
                },
            ),
            0,
        ),
        (httpx.Response(500, text=f"upstream echoed Authorization: Bearer {TOKEN}"), 1),
        (httpx.ConnectError(f"proxy refused Bearer {TOKEN}"), 1),
    ],
)
def test_token_never_in_exception(reply, max_retries):
    """The access token never appears in an exception's message or repr, even if echoed back."""
    fake = FakeHubSpot({DEAL_PATH: [reply]})
    client = fake.client(max_retries=max_retries)
    with pytest.raises(HubSpotError) as info:
        client.get_deal("697680835")
    assert TOKEN not in str(info.value) and TOKEN not in repr(info.value) and TOKEN not in info.value.message
    assert TOKEN not in repr(client)


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.get_deal("../owners/1"),
        lambda c: c.get_company("12?x=1"),
        lambda c: c.get_owner(""),
    ],
)
def test_non_numeric_ids_rejected(call: Callable[[HubSpotClient], object]):
    """Ids are validated before being put in a URL path, so nothing is requested."""
    fake = FakeHubSpot({})
    with pytest.raises(ValueError, match="must be numeric"):
        call(fake.client())
    assert fake.requests == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-20T00:00:00Z", date(2026, 11, 20)),
        ("2026-11-20T09:31:00.000Z", date(2026, 11, 20)),
        ("2026-11-20T23:30:00-05:00", date(2026, 11, 21)),
        ("2026-11-20", date(2026, 11, 20)),
        ("1795132800000", date(2026, 11, 20)),
        ("", None),
        (None, None),
        ("soon", None),
    ],
)
def test_parse_hubspot_date(value, expected):
    """HubSpot date and datetime strings (and epoch ms) become UTC dates; junk becomes None."""
    assert parse_hubspot_date(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120000", Decimal(120000)),
        ("1500.50", Decimal("1500.50")),
        (" 7 ", Decimal(7)),
        ("", None),
        (None, None),
        ("abc", None),
        ("NaN", None),
    ],
)
def test_parse_hubspot_amount(value, expected):
    """HubSpot amount strings become Decimal; empty or invalid amounts become None."""
    assert parse_hubspot_amount(value) == expected


def test_empty_token_rejected():
    """A client without an access token is a configuration error."""
    with pytest.raises(ValueError, match="access token"):
        HubSpotClient(BASE, "")
