"""Per-source verification (HMAC, static header secret, HTTP Basic), Salesforce (Flow HTTP Callout recipe and
Outbound Messages), Pipedrive webhooks v2, events held while a CRM token is unset, and the daily reconcile: real
payload shapes into the real app, against local fakes of the CRMs' APIs."""

import argparse
import dataclasses
import io
import json

import pytest

from bot import cli
from bot.config import ConfigError, Settings
from bot.crm.signatures import basic_header
from bot.jobs import JOBS, crm_reconcile
from bot.models import DRAFT, Handoff, OutboxMessage, WebhookEvent
from tests.conftest import HUBSPOT_TOKEN, TEAM, Baton
from tests.fakes.crm_apis import FakePipedrive, FakeSalesforce
from tests.handlers.test_crm_webhooks import add_deal, change_event, post_generic, post_hubspot

SF_SECRET = "9f2c4e6a8b0d1f3e5a7c9e1b3d5f7a9c0e2b4d6f8a1c3e5b"  # openssl rand -hex 24
OTHER_SECRET = "k3J8q1Zx7Lm2Vb9Tn4Rc6Yw0Ps5Gd8Hf"
BASIC_PASSWORD = "b7e1d0c9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3"
PD_PASSWORD = "3a9c1e7b5d2f8a4c6e0b9d1f3a5c7e9b2d4f6a8c"
OM_TOKEN = "Qm9hdG9uLU9NLXRva2VuLTIwMjYtMTEtMjAtYWJjZGVm"
ORG_ID = "00DDn000000TESTMAI"
SF_CLIENT_ID, SF_CLIENT_SECRET = "3MVG9test.consumer.key", "SFSECRET0123456789abcdef"
PD_TOKEN = "pd0123456789abcdef0123456789abcdef012345"
OPP_ID = "006Dn000004GlobAAA"
FLOW_BODY = {  # what the README's Flow HTTP Callout sends (its sample request body, filled from $Record)
    "deal_id": OPP_ID,
    "deal_name": "Globex rollout",
    "company": "Globex Ltd",
    "company_id": "001Dn00000GlobAAA",
    "company_domain": "https://www.globex.example",
    "amount": 48000,
    "currency": "EUR",
    "close_date": "2026-11-20",
    "owner_email": "ae@example.com",
}


@pytest.fixture
def salesforce():
    fake = FakeSalesforce(SF_CLIENT_ID, SF_CLIENT_SECRET).start()
    yield fake
    fake.stop()


@pytest.fixture
def pipedrive():
    fake = FakePipedrive(PD_TOKEN).start()
    yield fake
    fake.stop()


@pytest.fixture
def make(settings, clock, slack):
    """A Baton over the test database with the CRM settings given (and only those) on top of `settings`."""
    made: list[Baton] = []
    slack.time = lambda: clock().timestamp()

    def build(**changes) -> Baton:
        b = Baton(dataclasses.replace(settings, **changes), clock)
        made.append(b)
        return b

    yield build
    for b in made:
        b.close()


def sf_api(salesforce) -> dict:
    return {
        "salesforce_instance_url": salesforce.url,
        "salesforce_client_id": SF_CLIENT_ID,
        "salesforce_client_secret": SF_CLIENT_SECRET,
    }


def pd_api(pipedrive) -> dict:
    return {"pipedrive_api_url": pipedrive.url, "pipedrive_api_token": PD_TOKEN}


OM = {"salesforce_org_id": ORG_ID, "salesforce_outbound_token": OM_TOKEN}
PD_HOOK = {"pipedrive_webhook_user": "baton", "pipedrive_webhook_password": PD_PASSWORD}


def nothing_happened(baton, slack, *fakes) -> None:
    assert baton.all(WebhookEvent) == [] and baton.all(Handoff) == []
    assert slack.calls == [] and all(f.calls == [] for f in fakes)


def fill_requests(baton) -> list[OutboxMessage]:
    return [m for m in baton.all(OutboxMessage) if m.idem_key.endswith(":fill")]


# --- per-source verification on /webhooks/deal-closed ------------------------------------------------------


def post_secret(baton, body, secret: str = SF_SECRET):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Content-Type": "application/json", "X-Baton-Secret": secret}
    return baton.http.post("/webhooks/deal-closed", content=raw, headers=headers)


def test_flow_callout_with_header_secret_drafts_the_salesforce_handoff_once(make, slack):
    """The Flow recipe's body and static header: 200, a salesforce draft, one DM; a redelivery adds nothing."""
    baton = make(webhook_header_secrets=(("salesforce", SF_SECRET), ("zoho", OTHER_SECRET)))
    assert post_secret(baton, FLOW_BODY).json() == {"received": 1, "new": 1}
    assert post_secret(baton, FLOW_BODY).json() == {"received": 1, "new": 0}
    baton.settle()
    [h] = baton.all(Handoff)
    assert (h.crm_source, h.crm_deal_id, h.crm_company_id, h.status) == (
        "salesforce",
        OPP_ID,
        FLOW_BODY["company_id"],
        DRAFT,
    )
    assert h.customer_name == "Globex Ltd" and h.ae_user_id == "U_AE" and str(h.arr) == "48000.00"
    assert len(fill_requests(baton)) == 1


@pytest.mark.parametrize(
    ("secret", "reason"),
    [("", "missing secret"), ("x" * 40, "bad secret"), (SF_SECRET[:-1], "bad secret")],
)
def test_bad_header_secret_is_401_and_leaves_nothing(make, slack, secret, reason):
    """A wrong, empty or non-ASCII X-Baton-Secret is refused with its reason: no row, no Slack call."""
    baton = make(webhook_header_secrets=(("salesforce", SF_SECRET),))
    raw = json.dumps(FLOW_BODY).encode()
    resp = baton.http.post("/webhooks/deal-closed", content=raw, headers={"X-Baton-Secret": secret.encode()})
    assert (resp.status_code, resp.json()) == (401, {"error": reason})
    nothing_happened(baton, slack)


def test_header_secret_bound_to_its_source(make, slack):
    """A secret is one source's: a body naming another source is 400 and stores nothing."""
    baton = make(webhook_header_secrets=(("salesforce", SF_SECRET), ("zoho", OTHER_SECRET)))
    resp = post_secret(baton, {**FLOW_BODY, "source": "salesforce"}, secret=OTHER_SECRET)
    assert resp.status_code == 400 and "source: must be zoho" in resp.json()["error"]
    nothing_happened(baton, slack)


def test_scheme_not_configured_is_401(baton, slack):
    """Only the HMAC is configured: a header secret or Basic credentials are refused, saying why."""
    resp = post_secret(baton, FLOW_BODY)
    assert resp.status_code == 401 and "BATON_WEBHOOK_HEADER_SECRETS is not set" in resp.json()["error"]
    resp = baton.http.post(
        "/webhooks/deal-closed", content=b"{}", headers={"Authorization": basic_header("u", BASIC_PASSWORD)}
    )
    assert resp.status_code == 401 and "BATON_WEBHOOK_BASIC_AUTH is not set" in resp.json()["error"]
    nothing_happened(baton, slack)


@pytest.mark.parametrize(
    ("authorization", "status", "reason"),
    [
        (basic_header("zapier", BASIC_PASSWORD), 200, None),
        (basic_header("zapier", BASIC_PASSWORD[:-1] + "0"), 401, "bad credentials"),
        (basic_header("other", BASIC_PASSWORD), 401, "bad credentials"),
        ("Basic not-base64!", 401, "Authorization is not valid Basic credentials"),
        ("Bearer " + BASIC_PASSWORD, 401, "Authorization is not HTTP Basic"),
    ],
)
def test_basic_auth_on_the_generic_endpoint(make, slack, authorization, status, reason):
    """HTTP Basic: the right user and password store the deal under their source; anything else is 401."""
    baton = make(webhook_basic_auth=(("closeio", "zapier", BASIC_PASSWORD),))
    raw = json.dumps({**FLOW_BODY, "deal_id": "lead_123"}).encode()
    resp = baton.http.post("/webhooks/deal-closed", content=raw, headers={"Authorization": authorization})
    assert resp.status_code == status
    if reason:
        assert resp.json() == {"error": reason}
        nothing_happened(baton, slack)
    else:
        baton.settle()
        assert [h.crm_source for h in baton.all(Handoff)] == ["closeio"]


def test_hmac_still_works_beside_the_other_schemes(make, slack):
    """Today's HMAC keeps working, its body naming its source, when header secrets are configured too."""
    baton = make(webhook_header_secrets=(("salesforce", SF_SECRET),))
    assert post_generic(baton, {**FLOW_BODY, "source": "close"}).json()["new"] == 1


BASE = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "abcdef0123456789"}


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"BATON_WEBHOOK_HEADER_SECRETS": "salesforce=LEAKEDshort"}, "BATON_WEBHOOK_HEADER_SECRETS"),
        ({"BATON_WEBHOOK_HEADER_SECRETS": "salesforce=" + "LEAKED" * 6}, "BATON_WEBHOOK_HEADER_SECRETS"),
        ({"BATON_WEBHOOK_HEADER_SECRETS": f"a={SF_SECRET},b={SF_SECRET}"}, "BATON_WEBHOOK_HEADER_SECRETS"),
        ({"BATON_WEBHOOK_HEADER_SECRETS": f"a={SF_SECRET},a={OTHER_SECRET}"}, "BATON_WEBHOOK_HEADER_SECRETS"),
        ({"BATON_WEBHOOK_BASIC_AUTH": "pd=baton:LEAKED-pass"}, "BATON_WEBHOOK_BASIC_AUTH"),
        ({"BATON_WEBHOOK_BASIC_AUTH": f"pd={BASIC_PASSWORD}"}, "BATON_WEBHOOK_BASIC_AUTH"),
        ({"PIPEDRIVE_WEBHOOK_USER": "baton", "PIPEDRIVE_WEBHOOK_PASSWORD": "LEAKED123"}, "PIPEDRIVE_WEBHOOK_PASSWORD"),
        ({"PIPEDRIVE_WEBHOOK_PASSWORD": PD_PASSWORD}, "PIPEDRIVE_WEBHOOK_USER"),
        ({"SALESFORCE_OUTBOUND_TOKEN": "LEAKED", "SALESFORCE_ORG_ID": ORG_ID}, "SALESFORCE_OUTBOUND_TOKEN"),
        ({"SALESFORCE_OUTBOUND_TOKEN": OM_TOKEN}, "SALESFORCE_ORG_ID"),
        ({"SALESFORCE_ORG_ID": "001Dn00000AcmeAAA"}, "SALESFORCE_ORG_ID"),
        ({"SALESFORCE_CLIENT_ID": SF_CLIENT_ID}, "SALESFORCE_CLIENT_SECRET"),
        ({"PIPEDRIVE_API_URL": "https://acme.pipedrive.com/api/v2"}, "PIPEDRIVE_API_URL"),
        ({"BATON_RECONCILE_DAYS": "0"}, "BATON_RECONCILE_DAYS"),
    ],
)
def test_weak_or_incomplete_crm_settings_stop_start_up(env, variable):
    """Short or patterned static secrets, shared secrets, half-configured CRMs: one line naming the variable,
    never the secret."""
    with pytest.raises(ConfigError) as info:
        Settings.from_env({**BASE, **env})
    assert str(info.value).startswith(variable + " ") and "LEAKED" not in str(info.value)


def test_crm_settings_load():
    """Well-formed CRM settings load into the per-source tuples."""
    s = Settings.from_env(
        {
            **BASE,
            "BATON_WEBHOOK_HEADER_SECRETS": f"Salesforce={SF_SECRET}",
            "BATON_WEBHOOK_BASIC_AUTH": f"closeio=zapier:{BASIC_PASSWORD}",
            "SALESFORCE_ORG_ID": ORG_ID,
            "SALESFORCE_OUTBOUND_TOKEN": OM_TOKEN,
            "PIPEDRIVE_API_URL": "https://acme.pipedrive.com/",
            "PIPEDRIVE_API_TOKEN": PD_TOKEN,
        }
    )
    assert s.webhook_header_secrets == (("salesforce", SF_SECRET),)
    assert s.webhook_basic_auth == (("closeio", "zapier", BASIC_PASSWORD),)
    assert s.pipedrive_api and not s.salesforce_api and s.pipedrive_api_url == "https://acme.pipedrive.com"


# --- Salesforce Outbound Messages --------------------------------------------------------------------------


def outbound(*opps: dict, org: str = ORG_ID, notification_ids: list[str] | None = None) -> bytes:
    """A SOAP `notifications` message as Salesforce sends it (Outbound Messaging WSDL), one Notification per opp."""
    items = []
    for i, fields in enumerate(opps):
        nid = (notification_ids or [])[i] if notification_ids else f"04lDn00000{i:05d}AAA"
        values = "".join(
            f'<sf:{k} xsi:nil="true"/>' if v is None else f"<sf:{k}>{v}</sf:{k}>" for k, v in fields.items()
        )
        items.append(
            f'<Notification><Id>{nid}</Id><sObject xsi:type="sf:Opportunity" '
            f'xmlns:sf="urn:sobject.enterprise.soap.sforce.com">{values}</sObject></Notification>'
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
        ' <soapenv:Body>\n  <notifications xmlns="http://soap.sforce.com/2005/09/outbound">\n'
        f"   <OrganizationId>{org}</OrganizationId>\n   <ActionId>04kDn0000000001AAA</ActionId>\n"
        '   <SessionId xsi:nil="true"/>\n'
        "   <EnterpriseUrl>https://acme.my.salesforce.com/services/Soap/c/62.0/00DDn000000TEST</EnterpriseUrl>\n"
        "   <PartnerUrl>https://acme.my.salesforce.com/services/Soap/u/62.0/00DDn000000TEST</PartnerUrl>\n"
        + "".join(items)
        + "\n  </notifications>\n </soapenv:Body>\n</soapenv:Envelope>"
    ).encode()


OPP = {"Id": OPP_ID, "AccountId": "001Dn00000GlobAAA", "Amount": "48000.0", "CloseDate": "2026-11-20"}
OPP_FORMULAS = {
    **OPP,
    "IsWon": "true",
    "Name": "Globex rollout",
    "Baton_Account_Name__c": "Globex Ltd",
    "Baton_Owner_Email__c": "ae@example.com",
    "Baton_Account_Website__c": "www.globex.example",
}


def post_om(baton, body: bytes, token: str | None = OM_TOKEN):
    path = "/webhooks/salesforce" + (f"?token={token}" if token is not None else "")
    return baton.http.post(path, content=body, headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'})


def test_outbound_message_with_formula_fields_acks_and_drafts_without_api(make, slack, salesforce):
    """Formula fields name the account and owner: the Ack Salesforce needs, then a draft and one DM, no API call."""
    baton = make(**OM)
    resp = post_om(baton, outbound(OPP_FORMULAS))
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/xml")
    assert "<Ack>true</Ack>" in resp.text and "notificationsResponse" in resp.text
    baton.settle()
    [h] = baton.all(Handoff)
    assert (h.crm_source, h.crm_deal_id, h.customer_name, h.ae_user_id) == ("salesforce", OPP_ID, "Globex Ltd", "U_AE")
    assert len(fill_requests(baton)) == 1 and salesforce.calls == []


def test_outbound_message_reads_account_and_owner_from_the_rest_api(make, slack, salesforce):
    """Without formula fields the inbox reads the Opportunity by SOQL (client credentials), Account and Owner."""
    salesforce.add_opportunity(
        OPP_ID, "Globex rollout", account=("001Dn00000GlobAAA", "Globex Ltd", "https://globex.example")
    )
    baton = make(**OM, **sf_api(salesforce))
    assert post_om(baton, outbound(OPP)).status_code == 200
    baton.settle()
    [h] = baton.all(Handoff)
    assert (h.customer_name, h.crm_company_id, h.currency, h.ae_user_id) == (
        "Globex Ltd",
        "001Dn00000GlobAAA",
        "EUR",
        "U_AE",
    )
    [token_call] = salesforce.calls_to("/services/oauth2/token")
    [query] = salesforce.calls_to("/services/data/v62.0/query")
    assert f"Id = '{OPP_ID}'" in query.args["q"] and query.headers["authorization"].startswith("Bearer 00D")


def test_single_currency_org_and_expired_token(make, slack, salesforce):
    """A single-currency org (no CurrencyIsoCode) and a token expired between calls still end in one draft."""
    salesforce.multicurrency = False
    salesforce.add_opportunity(OPP_ID, "Globex rollout")
    salesforce.add_opportunity("006Dn000004OtherAA", "Other", account=("001Dn00000OthrAAA", "Other Inc", None))
    baton = make(**OM, **sf_api(salesforce))
    post_om(baton, outbound(OPP))
    baton.settle()
    salesforce.expire_tokens()
    post_om(baton, outbound({**OPP, "Id": "006Dn000004OtherAA"}))
    baton.settle()
    assert sorted(h.customer_name for h in baton.all(Handoff)) == ["ACME Corp.", "Other Inc"]
    assert len(salesforce.calls_to("/services/oauth2/token")) == 2
    assert all(h.currency in (None, "USD") for h in baton.all(Handoff))  # the default currency, not EUR


def test_outbound_redeliveries_and_repeat_notifications_give_one_handoff(make, slack):
    """The same message twice, and a later notification for the same Opportunity: one row, one draft, one DM."""
    baton = make(**OM)
    assert post_om(baton, outbound(OPP_FORMULAS)).status_code == 200
    assert post_om(baton, outbound(OPP_FORMULAS)).status_code == 200
    assert post_om(baton, outbound(OPP_FORMULAS, notification_ids=["04lDn00000zzzzzAAA"])).status_code == 200
    baton.settle()
    assert len(baton.all(WebhookEvent)) == 1 and len(baton.all(Handoff)) == 1 and len(fill_requests(baton)) == 1


def test_outbound_not_won_is_acked_and_not_stored(make, slack):
    """IsWon=false: acknowledged (so Salesforce stops), nothing stored."""
    baton = make(**OM)
    resp = post_om(baton, outbound({**OPP_FORMULAS, "IsWon": "false"}))
    assert resp.status_code == 200 and "<Ack>true</Ack>" in resp.text
    nothing_happened(baton, slack)


@pytest.mark.parametrize(
    ("token", "body", "reason"),
    [
        (None, outbound(OPP_FORMULAS), "missing token"),
        ("wrong-" + OM_TOKEN[6:], outbound(OPP_FORMULAS), "bad token"),
        (OM_TOKEN, outbound(OPP_FORMULAS, org="00DDn000000OTHERAAA"[:18]), "OrganizationId is not the configured"),
    ],
)
def test_outbound_unauthentic_is_401_soap_fault_and_nothing_stored(make, slack, salesforce, token, body, reason):
    """A missing or wrong token, or another org's message: 401 with a SOAP fault naming why; nothing happens."""
    baton = make(**OM, **sf_api(salesforce))
    resp = post_om(baton, body, token=token)
    assert resp.status_code == 401 and "<faultstring>" in resp.text and reason in resp.text
    nothing_happened(baton, slack, salesforce)


LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
    b"<soapenv:Envelope xmlns:soapenv='http://schemas.xmlsoap.org/soap/envelope/'><soapenv:Body>&lol2;"
    b"</soapenv:Body></soapenv:Envelope>"
)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "empty body"),
        (b"<not-xml", "not well-formed XML"),
        (LAUGHS, "must not declare a DOCTYPE"),
        (outbound(OPP_FORMULAS).replace(b"UTF-8", b"ISO-8859-1"), "must be UTF-8"),
        (outbound({**OPP_FORMULAS, "Name": "Glob\xe9x"}).replace("é".encode(), b"\xe9"), "not UTF-8"),
        (outbound({**OPP_FORMULAS, "Name": "Globex\u0085"}), "control character (U+0085)"),
        (outbound(OPP_FORMULAS).replace(b"sf:Opportunity", b"sf:Lead"), "must be an Opportunity"),
        (outbound({**OPP_FORMULAS, "Id": "not-an-id"}), "sObject.Id is missing"),
        (outbound(*[OPP_FORMULAS] * 101), "too many notifications"),
        (b"<a>" * 40 + b"</a>" * 40, "nested more than"),
        (b'{"deal_id": 1}', "not well-formed XML"),
    ],
)
def test_outbound_malformed_is_400_with_reason_and_nothing_stored(make, slack, body, reason):
    """Malformed SOAP, entity declarations, wrong encodings, control characters, deep nesting: 400 and a fault."""
    baton = make(**OM)
    resp = post_om(baton, body)
    assert resp.status_code == 400 and reason in resp.text, resp.text
    nothing_happened(baton, slack)


def test_outbound_not_configured_is_503(baton, slack):
    """Without SALESFORCE_OUTBOUND_TOKEN the endpoint answers 503 and stores nothing."""
    assert post_om(baton, outbound(OPP_FORMULAS)).status_code == 503
    nothing_happened(baton, slack)


# --- Pipedrive webhooks v2 ----------------------------------------------------------------------------------


def pd_event(deal_id: int = 42, *, event_id: str = "a1b2c3d4-0001", status: str = "won", before="open", **meta):
    """A webhooks v2 `change` of a deal (Pipedrive's documented shape: meta, data, previous with changed fields)."""
    return {
        "meta": {
            "action": "change",
            "entity": "deal",
            "entity_id": str(deal_id),
            "id": event_id,
            "company_id": "12882925",
            "user_id": "18487521",
            "correlation_id": "c0ffee00-1234",
            "host": "acme.pipedrive.com",
            "timestamp": "2026-11-20T10:00:00.123Z",
            "version": "2.0",
            "type": "general",
            "attempt": 1,
            "is_bulk_edit": False,
            "webhook_id": "99",
            "webhook_owner_id": "18487521",
            "change_source": "app",
            **meta,
        },
        "data": {
            "id": deal_id,
            "title": "Initech expansion",
            "value": 5000,
            "currency": "USD",
            "status": status,
            "owner_id": 7,
            "org_id": 9,
            "person_id": 3,
            "stage_id": 5,
            "pipeline_id": 1,
            "won_time": "2026-11-20T10:00:00Z" if status == "won" else None,
            "add_time": "2026-10-01T09:00:00Z",
            "update_time": "2026-11-20T10:00:00Z",
            "custom_fields": {},
        },
        "previous": None if before is None else {"status": before, "won_time": None},
    }


def post_pd(baton, body, *, user: str = "baton", password: str = PD_PASSWORD):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Content-Type": "application/json", "Authorization": basic_header(user, password)}
    return baton.http.post("/webhooks/pipedrive", content=raw, headers=headers)


def pd_company(pipedrive, deal_id: int = 42, status: str = "won") -> None:
    pipedrive.add_user(7, "ae@example.com")
    pipedrive.add_org(9, "Initech")
    pipedrive.add_deal(deal_id, "Initech expansion", status=status)


def test_pipedrive_deal_won_drafts_handoff_with_org_and_owner(make, slack, pipedrive):
    """open -> won: 200 at once; the inbox reads the deal, its organization and owner; one draft, one DM."""
    pd_company(pipedrive)
    baton = make(**PD_HOOK, **pd_api(pipedrive))
    assert post_pd(baton, pd_event()).json() == {"received": 1, "new": 1}
    assert pipedrive.calls == []
    baton.settle()
    [h] = baton.all(Handoff)
    assert (h.crm_source, h.crm_deal_id, h.customer_name, h.crm_company_id) == ("pipedrive", "42", "Initech", "9")
    assert h.ae_user_id == "U_AE" and str(h.arr) == "5000.00" and str(h.contract_start) == "2026-11-20"
    assert pipedrive.calls_to("/api/v2/deals/42")[0].headers["x-api-token"] == PD_TOKEN
    assert len(fill_requests(baton)) == 1


def test_pipedrive_redelivery_and_second_win_of_a_deal_are_one_handoff(make, slack, pipedrive):
    """The same event again (Pipedrive's retry) and a later won -> open -> won: one row, one draft, one DM."""
    pd_company(pipedrive)
    baton = make(**PD_HOOK, **pd_api(pipedrive))
    assert post_pd(baton, pd_event()).json()["new"] == 1
    assert post_pd(baton, pd_event(attempt=2)).json()["new"] == 0
    baton.settle()
    assert post_pd(baton, pd_event(event_id="a1b2c3d4-0003", before="lost")).json()["new"] == 0
    baton.settle()
    assert len(baton.all(Handoff)) == 1 and len(fill_requests(baton)) == 1 and len(baton.all(WebhookEvent)) == 1


@pytest.mark.parametrize(
    "event",
    [
        pd_event(status="lost", before="open"),
        pd_event(before=None),  # another edit of a deal already won: previous has no status
        pd_event(before="won"),
        {**pd_event(), "meta": {**pd_event()["meta"], "entity": "person"}},
        {**pd_event(), "meta": {**pd_event()["meta"], "action": "delete"}, "data": None},
    ],
)
def test_pipedrive_events_that_are_not_a_win_are_answered_and_not_stored(make, slack, pipedrive, event):
    """Lost, edits of won deals, other entities, deletions: 200 with nothing new and nothing stored."""
    baton = make(**PD_HOOK, **pd_api(pipedrive))
    assert post_pd(baton, event).json() == {"received": 1, "new": 0}
    nothing_happened(baton, slack, pipedrive)


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [({"password": PD_PASSWORD[:-1] + "x"}, "bad credentials"), ({"user": "admin"}, "bad credentials")],
)
def test_pipedrive_bad_basic_auth_is_401(make, slack, pipedrive, kwargs, reason):
    """Wrong user or password: 401 with the reason; nothing stored, nothing asked of Pipedrive."""
    baton = make(**PD_HOOK, **pd_api(pipedrive))
    resp = post_pd(baton, pd_event(), **kwargs)
    assert (resp.status_code, resp.json()) == (401, {"error": reason})
    resp = baton.http.post("/webhooks/pipedrive", content=json.dumps(pd_event()).encode())
    assert (resp.status_code, resp.json()) == (401, {"error": "missing Authorization"})
    nothing_happened(baton, slack, pipedrive)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"[]", "body must be a JSON object"),
        (b'{"meta": "x"}', "meta is required"),
        (json.dumps({"v": 1, "meta": {"v": 1, "action": "updated", "object": "deal"}, "current": {}}).encode(), "v1"),
        (json.dumps({**pd_event(), "meta": {**pd_event()["meta"], "id": "evt\u0000"}}).encode(), "U+0000"),
        (json.dumps({**pd_event(), "data": {**pd_event()["data"], "id": None}}).encode(), "data.id must be an id"),
        (b"\xff\xfe{}", "not valid JSON"),
        (b"[" * 100 + b"]" * 100, "not valid JSON"),
    ],
)
def test_pipedrive_malformed_is_400_and_nothing_stored(make, slack, pipedrive, body, reason):
    """Malformed JSON, v1 bodies, control characters, missing ids, bad encodings, deep nesting: 400 with why."""
    baton = make(**PD_HOOK, **pd_api(pipedrive))
    resp = post_pd(baton, body)
    assert resp.status_code == 400 and reason in resp.json()["error"], resp.text
    nothing_happened(baton, slack, pipedrive)


def test_new_webhook_endpoints_only_take_post_and_limit_the_body(make, slack):
    """GET is 405; a body over 1 MB is 413 before anything is read or checked."""
    baton = make(**PD_HOOK, **OM)
    for path in ("/webhooks/salesforce", "/webhooks/pipedrive"):
        assert baton.http.get(path).status_code == 405
        resp = baton.http.post(path, content=b"x" * 1_000_001)
        assert resp.status_code == 413
    nothing_happened(baton, slack)


# --- held while a token is unset, replayed when it is set ---------------------------------------------------


def test_events_held_without_a_token_are_replayed_once_it_is_set(make, slack, hubspot, pipedrive, salesforce):
    """HubSpot, Pipedrive and Salesforce events arriving before their API tokens are kept (held, not failed);
    the first inbox pass of a process with the tokens drafts each once."""
    add_deal(hubspot)
    pd_company(pipedrive)
    salesforce.add_opportunity(OPP_ID, "Globex rollout", account=("001Dn00000GlobAAA", "Globex Ltd", None))
    before = make(hubspot_access_token=None, **PD_HOOK, **OM)
    assert post_hubspot(before, [change_event()]).status_code == 200
    assert post_pd(before, pd_event()).status_code == 200
    assert post_om(before, outbound(OPP)).status_code == 200
    before.settle()
    rows = before.all(WebhookEvent)
    assert sorted((r.source, r.status) for r in rows) == [
        ("hubspot", "held"),
        ("pipedrive", "held"),
        ("salesforce", "held"),
    ]
    assert all("not set" in r.last_error for r in rows) and before.all(Handoff) == []
    before.settle()  # still held: nothing retried, nothing failed
    assert {r.status for r in before.all(WebhookEvent)} == {"held"}

    after = make(hubspot_access_token=HUBSPOT_TOKEN, **PD_HOOK, **OM, **pd_api(pipedrive), **sf_api(salesforce))
    after.settle()
    assert {r.status for r in after.all(WebhookEvent)} == {"done"}
    assert sorted(h.crm_source for h in after.all(Handoff)) == ["hubspot", "pipedrive", "salesforce"]
    assert len(fill_requests(after)) == 3


# --- daily reconcile ----------------------------------------------------------------------------------------


def all_crms(hubspot, salesforce, pipedrive) -> dict:
    return {"hubspot_access_token": HUBSPOT_TOKEN, **sf_api(salesforce), **pd_api(pipedrive)}


def seed(hubspot, salesforce, pipedrive, clock) -> None:
    """One won deal in each CRM closed in the window, one closed long before it."""
    today = clock().date().isoformat()
    add_deal(hubspot)  # closes 2026-11-20 (the fixture's date)
    hubspot.add_deal("900", "Recent", 1000, close_date=today, owner_id="301", company_id="5011")
    salesforce.add_opportunity(OPP_ID, "Globex rollout", close_date=today)
    salesforce.add_opportunity("006Dn000004OldxAAA", "Old", close_date="2020-01-01")
    pipedrive.add_user(7, "ae@example.com")
    pipedrive.add_org(9, "Initech")
    pipedrive.add_deal(42, "Initech expansion", won_time=f"{today}T09:00:00Z", update_time=f"{today}T09:00:00Z")
    pipedrive.add_deal(43, "Lost one", status="lost", update_time=f"{today}T09:00:00Z")


def test_reconcile_queues_only_missing_deals_exactly_once(make, slack, hubspot, salesforce, pipedrive, clock):
    """A dry run reports and queues nothing; a run queues each missing deal once, the inbox drafts it; a second
    run (and a webhook for the same deal) adds nothing."""
    seed(hubspot, salesforce, pipedrive, clock)
    baton = make(**all_crms(hubspot, salesforce, pipedrive), **PD_HOOK)
    assert post_pd(baton, pd_event()).json()["new"] == 1  # Pipedrive's webhook arrived
    baton.settle()

    dry = {r.crm: r for r in crm_reconcile.reconcile(baton.deps, TEAM, days=7, dry_run=True)}
    assert {c: (r.found, r.with_handoff, r.missing, r.queued) for c, r in dry.items()} == {
        "hubspot": (1, 0, ["900"], 0),
        "salesforce": (1, 0, [OPP_ID], 0),
        "pipedrive": (1, 1, [], 0),
    }
    assert [e.source for e in baton.all(WebhookEvent)] == ["pipedrive"]

    first = crm_reconcile.reconcile(baton.deps, TEAM, days=7)
    assert [(r.crm, r.queued) for r in first] == [("hubspot", 1), ("salesforce", 1), ("pipedrive", 0)]
    again = crm_reconcile.reconcile(baton.deps, TEAM, days=7)  # before the inbox ran: already queued
    assert [r.queued for r in again] == [0, 0, 0]
    baton.settle()
    assert sorted((h.crm_source, h.crm_deal_id) for h in baton.all(Handoff)) == [
        ("hubspot", "900"),
        ("pipedrive", "42"),
        ("salesforce", OPP_ID),
    ]
    later = crm_reconcile.reconcile(baton.deps, TEAM, days=7)
    assert [(r.found, r.with_handoff, r.queued) for r in later] == [(1, 1, 0)] * 3
    assert len(fill_requests(baton)) == 3


def test_reconcile_reports_a_failing_crm_and_goes_on(make, slack, hubspot, salesforce, pipedrive, clock):
    """Salesforce down (503 on every try): its error is reported, HubSpot and Pipedrive are reconciled."""
    seed(hubspot, salesforce, pipedrive, clock)
    baton = make(**all_crms(hubspot, salesforce, pipedrive))
    salesforce.fail_next("/services/oauth2/token", 503, times=10)
    reports = {r.crm: r for r in crm_reconcile.reconcile(baton.deps, TEAM, days=7)}
    assert "503" in reports["salesforce"].error and reports["salesforce"].queued == 0
    assert SF_CLIENT_SECRET not in reports["salesforce"].error
    assert reports["hubspot"].queued == 1 and reports["pipedrive"].queued == 1


def test_daily_job_runs_once_a_day_and_is_leader_only(make, slack, hubspot, salesforce, pipedrive, clock):
    """The worker's hourly tick reconciles once per UTC day; the job is registered leader-only."""
    seed(hubspot, salesforce, pipedrive, clock)
    baton = make(**all_crms(hubspot, salesforce, pipedrive))
    job = JOBS["crm_reconcile"]
    assert job.leader_only and job.fn is crm_reconcile.run_daily
    assert crm_reconcile.run_daily(baton.deps) == 3
    calls = len(hubspot.calls) + len(salesforce.calls) + len(pipedrive.calls)
    assert crm_reconcile.run_daily(baton.deps) == 0
    assert len(hubspot.calls) + len(salesforce.calls) + len(pipedrive.calls) == calls
    clock.advance(days=1)
    baton.settle()
    assert crm_reconcile.run_daily(baton.deps) == 0  # a new day: asked again, nothing missing now
    assert len(hubspot.calls) > calls


def test_reconcile_cli_dry_run_prints_what_is_missing(make, slack, hubspot, salesforce, pipedrive, clock):
    """`python -m bot crm reconcile --dry-run --days 7`: a line per CRM and the missing deal ids; nothing queued."""
    seed(hubspot, salesforce, pipedrive, clock)
    baton = make(**all_crms(hubspot, salesforce, pipedrive))
    out, err = io.StringIO(), io.StringIO()
    parser_args = ["crm", "reconcile", "--dry-run", "--days", "7", "--team", TEAM]
    parser = argparse.ArgumentParser()
    cli.add_commands(parser.add_subparsers(dest="command"))
    code = cli.run(parser.parse_args(parser_args), baton.settings, out=out, err=err)
    assert code == 0, err.getvalue()
    text = out.getvalue()
    assert "hubspot: 1 won in the last 7 days, 0 with a handoff, 1 without (would queue)" in text
    assert f"salesforce deal {OPP_ID}" in text and "pipedrive deal 42" in text
    assert baton.all(WebhookEvent) == []
