"""Salesforce: Outbound Message SOAP (parse `notifications`, answer the `Ack`), and the REST API (client
credentials) that reads an Opportunity with its Account and Owner and lists the ones won lately.

Outbound Messages carry only the Opportunity's own fields (AccountId, OwnerId): the account's name and the
owner's email come from formula fields on the Opportunity when the org adds them (`Baton_Account_Name__c`,
`Baton_Owner_Email__c`, `Baton_Account_Website__c`), else from the REST API.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot import inputs
from bot.crm import http
from bot.crm.events import domain_or_none
from bot.crm.http import CrmApiError, WonDeal

OUTBOUND_NS = "http://soap.sforce.com/2005/09/outbound"
SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
MAX_NOTIFICATIONS = 100  # Salesforce batches at most 100 notifications in one message
MAX_XML_DEPTH = 16  # Envelope/Body/notifications/Notification/sObject/field is 6
FORMULA_FIELDS = {
    "company": "Baton_Account_Name__c",
    "owner_email": "Baton_Owner_Email__c",
    "company_domain": "Baton_Account_Website__c",
}
_SF_ID = re.compile(r"[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?")
_DECL_RE = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_ENCODING_RE = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


class OutboundError(ValueError):
    """The Outbound Message is malformed; ``reason`` is short and names what is wrong."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Notification:
    notification_id: str
    object_type: str
    fields: dict[str, str | None]  # the sObject's fields by local name; None for xsi:nil


@dataclass(frozen=True)
class OutboundMessage:
    organization_id: str
    action_id: str | None
    notifications: list[Notification]


def is_id(value: str | None) -> bool:
    return bool(value) and _SF_ID.fullmatch(value) is not None  # type: ignore[arg-type]


def same_org(configured: str, given: str) -> bool:
    """Organization ids match: an 18-character id is the 15-character one plus a case-safe suffix."""
    return configured[:15] == given[:15] and (len(configured) != 18 or len(given) != 18 or configured == given)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _ns(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def _parse_tree(body: bytes) -> ET.Element:
    """The XML root, refusing what a SOAP message never has: a DOCTYPE or entity (no expansion attacks), an
    encoding other than UTF-8, nesting deeper than MAX_XML_DEPTH."""
    if not body.strip():
        raise OutboundError("empty body")
    if _DECL_RE.search(body):
        raise OutboundError("body must not declare a DOCTYPE or entities")
    declared = _ENCODING_RE.match(body)
    if declared and declared.group(1).lower().replace(b"_", b"-") not in (b"utf-8", b"utf8"):
        raise OutboundError("body must be UTF-8")
    try:
        body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise OutboundError(f"body is not UTF-8 (invalid byte at offset {exc.start})") from None
    parser = ET.XMLPullParser(events=("start", "end"))
    depth, root = 0, None
    try:
        parser.feed(body)
        parser.close()
        for event, element in parser.read_events():
            if event == "start":
                depth += 1
                root = root if root is not None else element
                if depth > MAX_XML_DEPTH:
                    raise OutboundError(f"body is nested more than {MAX_XML_DEPTH} levels")
            else:
                depth -= 1
    except ET.ParseError as exc:
        raise OutboundError(f"body is not well-formed XML ({str(exc).split(':')[0]})") from None
    if root is None:
        raise OutboundError("body is not well-formed XML")
    return root


def _child(parent: ET.Element, name: str) -> ET.Element | None:
    return next((c for c in parent if _local(c.tag) == name), None)


def _value(element: ET.Element | None, where: str) -> str | None:
    if element is None or element.get(f"{{{XSI_NS}}}nil") == "true":
        return None
    if len(element):
        raise OutboundError(f"{where} must be a value, not a structure")
    raw = element.text or ""
    if (char := inputs.find_control(raw)) is not None:  # before strip(): Python strips U+0085 as whitespace
        raise OutboundError(f"{where}: contains a control character ({inputs.describe(char)})")
    return raw.strip() or None


def parse_outbound(body: bytes) -> OutboundMessage:
    """Parse a SOAP `notifications` message (up to 100 Opportunity notifications)."""
    root = _parse_tree(body)
    if _local(root.tag) != "Envelope" or _ns(root.tag) != SOAP_NS:
        raise OutboundError("body must be a SOAP 1.1 Envelope")
    soap_body = _child(root, "Body")
    notifications = _child(soap_body, "notifications") if soap_body is not None else None
    if notifications is None or _ns(notifications.tag) != OUTBOUND_NS:
        raise OutboundError(f"Body must hold notifications ({OUTBOUND_NS})")
    org = _value(_child(notifications, "OrganizationId"), "OrganizationId")
    if not is_id(org):
        raise OutboundError("OrganizationId is missing or not a Salesforce id")
    items = [c for c in notifications if _local(c.tag) == "Notification"]
    if not items:
        raise OutboundError("notifications holds no Notification")
    if len(items) > MAX_NOTIFICATIONS:
        raise OutboundError(f"too many notifications: {len(items)} > {MAX_NOTIFICATIONS}")
    out = []
    for i, item in enumerate(items):
        where = f"Notification[{i}]"
        notification_id = _value(_child(item, "Id"), f"{where}.Id")
        if not is_id(notification_id):
            raise OutboundError(f"{where}.Id is missing or not a Salesforce id")
        sobject = _child(item, "sObject")
        if sobject is None:
            raise OutboundError(f"{where}.sObject is required")
        object_type = (sobject.get(f"{{{XSI_NS}}}type") or "").rsplit(":", 1)[-1]
        if object_type != "Opportunity":
            raise OutboundError(f"{where}.sObject must be an Opportunity, got {object_type[:40] or 'no type'!r}")
        fields = {_local(f.tag): _value(f, f"{where}.{_local(f.tag)}"[:120]) for f in sobject}
        if not is_id(fields.get("Id")):
            raise OutboundError(f"{where}.sObject.Id is missing or not a Salesforce id")
        out.append(Notification(notification_id, object_type, fields))  # type: ignore[arg-type]
    return OutboundMessage(org, _value(_child(notifications, "ActionId"), "ActionId"), out)  # type: ignore[arg-type]


def _envelope(inner: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<soapenv:Envelope xmlns:soapenv="{SOAP_NS}"><soapenv:Body>{inner}</soapenv:Body></soapenv:Envelope>'
    ).encode()


ACK = _envelope(f'<notificationsResponse xmlns="{OUTBOUND_NS}"><Ack>true</Ack></notificationsResponse>')


def fault(reason: str, *, client: bool = True) -> bytes:
    """A SOAP fault carrying `reason` (Salesforce shows it in its Outbound Messages delivery status)."""
    safe = reason.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    code = "soapenv:Client" if client else "soapenv:Server"
    return _envelope(f"<soapenv:Fault><faultcode>{code}</faultcode><faultstring>{safe}</faultstring></soapenv:Fault>")


def is_won(fields: dict[str, Any]) -> bool | None:
    """IsWon as sent (`true`/`false`), None when the message does not carry it."""
    value = fields.get("IsWon")
    if value is None:
        return None
    return str(value).strip().lower() == "true"


def _domain(value: Any) -> str | None:
    return domain_or_none(http.text(value, 300))


def deal_from_fields(fields: dict[str, Any]) -> WonDeal | None:
    """A deal from an Outbound Message's own fields, when they name the account (the formula fields); else None
    (the REST API must be asked)."""
    company = http.text(fields.get(FORMULA_FIELDS["company"]))
    if not company:
        return None
    return WonDeal(
        source="salesforce",
        deal_id=str(fields["Id"]),
        company=company,
        won=is_won(fields) is not False,  # the rule's criteria chose it; IsWon=false says otherwise
        deal_name=http.text(fields.get("Name")),
        company_id=http.text(fields.get("AccountId")),
        company_domain=_domain(fields.get(FORMULA_FIELDS["company_domain"])),
        amount=http.amount(fields.get("Amount")),
        currency=http.text(fields.get("CurrencyIsoCode"), 3),
        close_date=http.day(fields.get("CloseDate")),
        owner_email=http.text(fields.get(FORMULA_FIELDS["owner_email"]), 254),
    )


def deal_from_record(record: dict[str, Any]) -> WonDeal:
    """A deal from a REST (SOQL) Opportunity record with Account and Owner."""
    account = record.get("Account") if isinstance(record.get("Account"), dict) else {}
    owner = record.get("Owner") if isinstance(record.get("Owner"), dict) else {}
    opp_id = str(record["Id"])
    name = http.text(record.get("Name"))
    return WonDeal(
        source="salesforce",
        deal_id=opp_id,
        company=http.text(account.get("Name")) or name or f"Salesforce opportunity {opp_id}",
        won=record.get("IsWon") is True,
        deal_name=name,
        company_id=http.text(record.get("AccountId")),
        company_domain=_domain(account.get("Website")),
        amount=http.amount(record.get("Amount")),
        currency=http.text(record.get("CurrencyIsoCode"), 3),
        close_date=http.day(record.get("CloseDate")),
        owner_email=http.text(owner.get("Email"), 254),
    )


_FIELDS = "Id, Name, Amount, CloseDate, IsWon, StageName, AccountId, Account.Name, Account.Website, Owner.Email"


class SalesforceClient(http.JsonApi):
    """REST API with the OAuth 2.0 client credentials flow of a connected app; the token is fetched on first use
    and once more when Salesforce answers 401 (expired or revoked)."""

    NAME = "Salesforce"

    def __init__(self, instance_url: str, client_id: str, client_secret: str, api_version: str, **kwargs: Any):
        if not (instance_url and client_id and client_secret):
            raise ValueError("Salesforce API credentials are not configured")
        self._client_id, self._client_secret = client_id, client_secret
        self._version = api_version
        self._token: str | None = None
        self._multicurrency: bool | None = None  # unknown until a query says
        super().__init__(instance_url, secrets=(client_secret,), **kwargs)

    def _authenticate(self) -> str:
        data = self.request(
            "POST",
            "/services/oauth2/token",
            data={
                "grant_type": "client_credentials",
                "client_id": self._client_id,
                "client_secret": self._client_secret,
            },
        )
        token = data.get("access_token") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            raise CrmApiError(None, "Salesforce token answer has no access_token")
        self._token = token
        self._secrets.append(token)
        return token

    def _authed(self, path: str, params: dict | None = None) -> Any:
        for attempt in (1, 2):
            token = self._token or self._authenticate()
            try:
                return self.request("GET", path, params=params, headers={"Authorization": f"Bearer {token}"})
            except CrmApiError as exc:
                if exc.status != 401 or attempt == 2:
                    raise
                self._token = None
        raise AssertionError("unreachable")

    def query(self, soql: str) -> list[dict]:
        """Every record of a SOQL query, following nextRecordsUrl."""
        data = self._authed(f"/services/data/v{self._version}/query", {"q": soql})
        records = list(data.get("records") or [])
        pages = 0
        while not data.get("done", True) and data.get("nextRecordsUrl") and pages < 100:
            data = self._authed(str(data["nextRecordsUrl"]))
            records += data.get("records") or []
            pages += 1
        return [r for r in records if isinstance(r, dict)]

    def _opportunities(self, where: str) -> list[dict]:
        """Opportunities matching `where`, with CurrencyIsoCode when the org has multiple currencies."""
        if self._multicurrency is not False:
            try:
                records = self.query(f"SELECT {_FIELDS}, CurrencyIsoCode FROM Opportunity WHERE {where}")
            except CrmApiError as exc:
                if exc.status != 400 or "CurrencyIsoCode" not in exc.message:
                    raise
                self._multicurrency = False  # single-currency org: the field does not exist
            else:
                self._multicurrency = True
                return records
        return self.query(f"SELECT {_FIELDS} FROM Opportunity WHERE {where}")

    def opportunity(self, opportunity_id: str) -> WonDeal | None:
        """The Opportunity with its Account and Owner; None when it does not exist (or is not visible)."""
        if not is_id(opportunity_id):
            raise ValueError("not a Salesforce id")
        records = self._opportunities(f"Id = '{opportunity_id}'")
        return deal_from_record(records[0]) if records else None

    def won_since(self, since: date) -> list[WonDeal]:
        """Opportunities won with a close date on or after `since`."""
        records = self._opportunities(f"IsWon = true AND CloseDate >= {since.isoformat()} ORDER BY CloseDate")
        return [deal_from_record(r) for r in records if is_id(str(r.get("Id") or ""))]
