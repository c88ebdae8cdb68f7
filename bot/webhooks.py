"""CRM webhook endpoints: verify the signature, store the event durably, answer; the inbox does the rest."""

import json
import logging
from dataclasses import dataclass

from bot.crm.events import PayloadError, parse_generic_deal, parse_hubspot_events
from bot.crm.signatures import (
    GENERIC_SIGNATURE_HEADER,
    GENERIC_TIMESTAMP_HEADER,
    HUBSPOT_SIGNATURE_HEADER,
    HUBSPOT_TIMESTAMP_HEADER,
    SignatureError,
    verify_generic,
    verify_hubspot_v3,
)
from bot.deps import Deps
from bot.inbox import store

log = logging.getLogger("baton.webhooks")
MAX_BODY = 1_000_000  # HubSpot batches at most a few hundred small events


@dataclass(frozen=True)
class Reply:
    status: int
    body: dict


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


def handle_deal_closed(deps: Deps, *, headers: dict[str, str], body: bytes) -> Reply:
    """POST /webhooks/deal-closed: HMAC-SHA256 over `{timestamp}.{body}`, then one inbox row per deal."""
    secret = deps.settings.webhook_secret
    if not secret:
        log.error("deal-closed webhook received but BATON_WEBHOOK_SECRET is not set")
        return Reply(503, {"error": "BATON_WEBHOOK_SECRET is not configured"})
    try:
        verify_generic(
            secret=secret,
            body=body,
            signature=_header(headers, GENERIC_SIGNATURE_HEADER),
            timestamp=_header(headers, GENERIC_TIMESTAMP_HEADER),
            now_s=int(deps.clock().timestamp()),
        )
    except SignatureError as exc:
        log.warning("deal-closed webhook rejected: %s", exc.reason)
        return Reply(401, {"error": exc.reason})
    if len(body) > MAX_BODY:
        return Reply(413, {"error": "body too large"})
    try:
        deal = parse_generic_deal(body)
    except PayloadError as exc:
        return Reply(400, {"error": exc.reason})
    # Redelivery of the same event, or the same deal closing again, is one inbox row. Event ids are the
    # sender's own, so they are keyed per source: two CRMs may both send event "1" for different deals.
    key = f"{deal.source}:event:{deal.event_id}" if deal.event_id else f"{deal.source}:deal:{deal.deal_id}"
    payload = json.loads(body)
    with deps.sessions.begin() as db:
        added = store(db, "webhook", [(key, payload)], deps.clock())
    deps.inbox.wake()
    return Reply(200, {"received": 1, "new": added})
