"""CRM webhook endpoints: verify the signature, store the event durably, answer; the inbox does the rest."""

import json
import logging
from dataclasses import dataclass
from urllib.parse import parse_qsl

from bot.crm import pipedrive
from bot.crm import salesforce as sf
from bot.crm.events import PayloadError, parse_generic_deal, parse_hubspot_events
from bot.crm.signatures import (
    GENERIC_SIGNATURE_HEADER,
    GENERIC_TIMESTAMP_HEADER,
    HUBSPOT_SIGNATURE_HEADER,
    HUBSPOT_TIMESTAMP_HEADER,
    STATIC_SECRET_HEADER,
    SignatureError,
    match_basic,
    match_secret,
    verify_generic,
    verify_hubspot_v3,
)
from bot.deps import Deps
from bot.inbox import store

log = logging.getLogger("baton.webhooks")
MAX_BODY = 1_000_000  # HubSpot batches at most a few hundred small events


SOAP_TYPE = "text/xml; charset=utf-8"


@dataclass(frozen=True)
class Reply:
    status: int
    body: dict
    raw: bytes | None = None  # sent instead of `body` as JSON (Salesforce's SOAP answers)
    content_type: str = "application/json"


def _header(headers: dict[str, str], name: str) -> str | None:
    return headers.get(name.lower())


def handle_hubspot(deps: Deps, *, method: str, uri: str, headers: dict[str, str], body: bytes) -> Reply:
    """POST /webhooks/hubspot: signature v3 over the public URI, then one inbox row per event."""
    secret = deps.settings.hubspot_client_secret
    if not secret:
        log.error("HubSpot webhook received but HUBSPOT_CLIENT_SECRET is not set")
        return Reply(503, {"error": "HUBSPOT_CLIENT_SECRET is not configured"})
    try:
        verify_hubspot_v3(
            client_secret=secret,
            method=method,
            uri=uri,
            body=body,
            signature=_header(headers, HUBSPOT_SIGNATURE_HEADER),
            timestamp=_header(headers, HUBSPOT_TIMESTAMP_HEADER),
            now_ms=int(deps.clock().timestamp() * 1000),
        )
    except SignatureError as exc:
        log.warning("HubSpot webhook rejected: %s (uri %s)", exc.reason, uri)
        return Reply(401, {"error": exc.reason})
    if len(body) > MAX_BODY:
        return Reply(413, {"error": "body too large"})
    try:
        events = parse_hubspot_events(body)
    except PayloadError as exc:
        return Reply(400, {"error": exc.reason})
    with deps.sessions.begin() as db:
        added = store(db, "hubspot", [(e.event_id, e.raw) for e in events], deps.clock())
    deps.inbox.wake()
    return Reply(200, {"received": len(events), "new": added})


def _generic_source(deps: Deps, headers: dict[str, str], body: bytes) -> str | None:
    """Verify /webhooks/deal-closed by the scheme its headers use; the source its credential is bound to (None
    for the HMAC, whose body names its source). SignatureError when it is not authentic."""
    settings = deps.settings
    if _header(headers, GENERIC_SIGNATURE_HEADER) is not None:
        if not settings.webhook_secret:
            raise SignatureError("X-Baton-Signature is not accepted: BATON_WEBHOOK_SECRET is not set")
        verify_generic(
            secret=settings.webhook_secret,
            body=body,
            signature=_header(headers, GENERIC_SIGNATURE_HEADER),
            timestamp=_header(headers, GENERIC_TIMESTAMP_HEADER),
            now_s=int(deps.clock().timestamp()),
        )
        return None
    if _header(headers, STATIC_SECRET_HEADER) is not None:
        if not settings.webhook_header_secrets:
            raise SignatureError("X-Baton-Secret is not accepted: BATON_WEBHOOK_HEADER_SECRETS is not set")
        return match_secret(settings.webhook_header_secrets, _header(headers, STATIC_SECRET_HEADER))
    if _header(headers, "Authorization") is not None:
        if not settings.webhook_basic_auth:
            raise SignatureError("Authorization is not accepted: BATON_WEBHOOK_BASIC_AUTH is not set")
        return match_basic(settings.webhook_basic_auth, _header(headers, "Authorization"))
    raise SignatureError("missing signature (X-Baton-Signature, X-Baton-Secret or Authorization: Basic)")


def handle_deal_closed(deps: Deps, *, headers: dict[str, str], body: bytes) -> Reply:
    """POST /webhooks/deal-closed: verified by HMAC (`{timestamp}.{body}`), a static secret header or HTTP Basic,
    whichever the request uses; then one inbox row per deal. A secret or Basic user is bound to one source."""
    settings = deps.settings
    if not (settings.webhook_secret or settings.webhook_header_secrets or settings.webhook_basic_auth):
        log.error("deal-closed webhook received but no webhook secret is configured")
        return Reply(
            503,
            {
                "error": "no webhook secret is configured (BATON_WEBHOOK_SECRET, BATON_WEBHOOK_HEADER_SECRETS "
                "or BATON_WEBHOOK_BASIC_AUTH)"
            },
        )
    try:
        bound = _generic_source(deps, headers, body)
    except SignatureError as exc:
        log.warning("deal-closed webhook rejected: %s", exc.reason)
        return Reply(401, {"error": exc.reason})
    if len(body) > MAX_BODY:
        return Reply(413, {"error": "body too large"})
    try:
        deal = parse_generic_deal(body, source=bound)
    except PayloadError as exc:
        return Reply(400, {"error": exc.reason})
    # Redelivery of the same event, or the same deal closing again, is one inbox row. Event ids are the
    # sender's own, so they are keyed per source: two CRMs may both send event "1" for different deals.
    key = f"{deal.source}:event:{deal.event_id}" if deal.event_id else f"{deal.source}:deal:{deal.deal_id}"
    payload = {**json.loads(body), "source": deal.source}
    with deps.sessions.begin() as db:
        added = store(db, "webhook", [(key, payload)], deps.clock())
    deps.inbox.wake()
    return Reply(200, {"received": 1, "new": added})


# --- Salesforce Outbound Messages -----------------------------------------------------------------------


def _soap(status: int, reason: str) -> Reply:
    return Reply(status, {"error": reason}, raw=sf.fault(reason), content_type=SOAP_TYPE)


def handle_salesforce_outbound(deps: Deps, *, query: str, body: bytes) -> Reply:
    """POST /webhooks/salesforce?token=...: a SOAP `notifications` message. The token (constant time), then the
    organization id; one inbox row per won Opportunity; answered with the `Ack` Salesforce needs to stop."""
    settings = deps.settings
    if not (settings.salesforce_outbound_token and settings.salesforce_org_id):
        log.error("Salesforce outbound message received but SALESFORCE_OUTBOUND_TOKEN is not set")
        return _soap(503, "SALESFORCE_OUTBOUND_TOKEN is not configured")
    tokens = [v for k, v in parse_qsl(query, keep_blank_values=True) if k == "token"]
    try:
        if len(tokens) > 1:
            raise SignatureError("more than one token")
        match_secret([("salesforce", settings.salesforce_outbound_token)], tokens[0] if tokens else None)
    except SignatureError as exc:
        reason = "missing token" if exc.reason == "missing secret" else exc.reason.replace("secret", "token")
        log.warning("Salesforce outbound message rejected: %s", reason)
        return _soap(401, reason)
    if len(body) > MAX_BODY:
        return _soap(413, "body too large")
    try:
        message = sf.parse_outbound(body)
    except sf.OutboundError as exc:
        return _soap(400, exc.reason)
    if not sf.same_org(settings.salesforce_org_id, message.organization_id):
        log.warning("Salesforce outbound message from another organization refused")
        return _soap(401, "OrganizationId is not the configured SALESFORCE_ORG_ID")
    items = [
        (f"deal:{n.fields['Id']}", {"notification_id": n.notification_id, "fields": n.fields})
        for n in message.notifications
        if sf.is_won(n.fields) is not False  # the rule's criteria decide; IsWon=false is not a win
    ]
    with deps.sessions.begin() as db:
        added = store(db, "salesforce", items, deps.clock())
    if added:
        deps.inbox.wake()
    log.info("Salesforce outbound message: %d notifications, %d new", len(message.notifications), added)
    return Reply(200, {"received": len(message.notifications), "new": added}, raw=sf.ACK, content_type=SOAP_TYPE)


# --- Pipedrive webhooks v2 ------------------------------------------------------------------------------


def handle_pipedrive(deps: Deps, *, headers: dict[str, str], body: bytes) -> Reply:
    """POST /webhooks/pipedrive: HTTP Basic, then a webhook v2 body; a deal becoming won is one inbox row per deal
    (a redelivered event, or another event for the same won deal, adds nothing). Other events are answered 200."""
    settings = deps.settings
    if not (settings.pipedrive_webhook_user and settings.pipedrive_webhook_password):
        log.error("Pipedrive webhook received but PIPEDRIVE_WEBHOOK_PASSWORD is not set")
        return Reply(503, {"error": "PIPEDRIVE_WEBHOOK_USER and PIPEDRIVE_WEBHOOK_PASSWORD are not configured"})
    try:
        match_basic(
            [("pipedrive", settings.pipedrive_webhook_user, settings.pipedrive_webhook_password)],
            _header(headers, "Authorization"),
        )
    except SignatureError as exc:
        log.warning("Pipedrive webhook rejected: %s", exc.reason)
        return Reply(401, {"error": exc.reason})
    if len(body) > MAX_BODY:
        return Reply(413, {"error": "body too large"})
    try:
        event = pipedrive.parse_webhook(body)
    except PayloadError as exc:
        return Reply(400, {"error": exc.reason})
    if not event.won:
        return Reply(200, {"received": 1, "new": 0})
    payload = {"event_id": event.event_id, "deal_id": event.deal_id, "action": event.action}
    with deps.sessions.begin() as db:
        added = store(db, "pipedrive", [(f"deal:{event.deal_id}", payload)], deps.clock())
    deps.inbox.wake()
    return Reply(200, {"received": 1, "new": added})
