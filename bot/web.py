"""The WSGI application: Slack's Request URL, the CRM webhooks and the health check on one server."""

import hashlib
import hmac
import io
import json
import logging
import re
from collections.abc import Callable, Iterable
from datetime import datetime
from urllib.parse import parse_qsl

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import text

from bot import api, inputs
from bot.deps import Deps
from bot.webhooks import (
    MAX_BODY,
    Reply,
    handle_deal_closed,
    handle_hubspot,
    handle_pipedrive,
    handle_salesforce_outbound,
)

log = logging.getLogger("baton.web")


def public_uri(environ: dict, public_url: str | None) -> str:
    """The URL the caller used, as HubSpot signs it: BATON_PUBLIC_URL + path + query when set (behind a
    proxy), else rebuilt from X-Forwarded-Proto/-Host or the request itself."""
    path = environ.get("RAW_URI") or environ.get("PATH_INFO", "")
    if "?" not in path and environ.get("QUERY_STRING"):
        path += "?" + environ["QUERY_STRING"]
    if public_url:
        return public_url + path
    scheme = environ.get("HTTP_X_FORWARDED_PROTO", "").split(",")[0].strip() or environ.get("wsgi.url_scheme", "http")
    host = (
        environ.get("HTTP_X_FORWARDED_HOST", "").split(",")[0].strip()
        or environ.get("HTTP_HOST")
        or f"{environ.get('SERVER_NAME', 'localhost')}:{environ.get('SERVER_PORT', '80')}"
    )
    return f"{scheme}://{host}{path}"


def _headers(environ: dict) -> dict[str, str]:
    out = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
    if environ.get("CONTENT_TYPE"):
        out["content-type"] = environ["CONTENT_TYPE"]
    return out


def _read_body(environ: dict, limit: int) -> bytes | Reply:
    """The request body, or the answer when it cannot be read: 413 over `limit` (refused unread when the
    Content-Length says so), 400 for a Content-Length that is not a number of bytes."""
    raw = (environ.get("CONTENT_LENGTH") or "").strip()
    stream = environ["wsgi.input"]
    if not raw:
        if environ.get("HTTP_TRANSFER_ENCODING", "").lower() != "chunked":
            return b""
        body = stream.read(limit + 1)  # the server de-chunks; read one byte more than allowed to tell
    elif not raw.isascii() or not raw.isdigit():
        return Reply(400, {"error": "bad Content-Length"})
    elif int(raw) > limit:
        return Reply(413, {"error": f"body larger than {limit} bytes"})
    else:
        body = stream.read(int(raw)) if int(raw) else b""
    if len(body) > limit:
        return Reply(413, {"error": f"body larger than {limit} bytes"})
    return body


# --- Slack: verified here, before Bolt parses anything ----------------------------------------------------

SLACK_MAX_BODY = 1024 * 1024
"""Slack's largest requests stay below this: a message shortcut carries the message twice (text and rich-text
blocks), and 40,000 characters of Korean, percent-encoded, is about 720 kB."""
SLACK_MAX_AGE = 300  # seconds between Slack's X-Slack-Request-Timestamp and our clock (platform rules)
_UNIX_TIME = re.compile(r"[0-9]{1,12}")


def slack_signature_problem(secret: str, headers: dict[str, str], body: bytes, now: datetime) -> str | None:
    """Why this is not a request Slack signed in the last 5 minutes, or None when it is.

    `v0=` + hex HMAC-SHA256(signing secret, `v0:{timestamp}:{raw body}`), compared in constant time over the raw
    bytes. Done here rather than with slack_sdk's SignatureVerifier, which raises on a non-numeric timestamp and
    on a body that is not UTF-8 (Bolt then hands the unverified body to the error handler: platform rules)."""
    timestamp, signature = headers.get("x-slack-request-timestamp"), headers.get("x-slack-signature")
    if not timestamp or not signature:
        return "missing X-Slack-Request-Timestamp or X-Slack-Signature"
    if not _UNIX_TIME.fullmatch(timestamp):
        return "X-Slack-Request-Timestamp is not a Unix time"
    if abs(now.timestamp() - int(timestamp)) > SLACK_MAX_AGE:
        return "stale timestamp"
    expected = "v0=" + hmac.new(secret.encode(), b"v0:%s:%s" % (timestamp.encode(), body), hashlib.sha256).hexdigest()
    try:
        presented = signature.encode("latin-1")  # WSGI hands headers over as latin-1 text (PEP 3333)
    except UnicodeEncodeError:
        return "bad signature"
    return None if hmac.compare_digest(expected.encode(), presented) else "bad signature"


def slack_body_problem(body: bytes, content_type: str | None) -> str | None:
    """Why Bolt could not parse this (verified) body into an object, or None when it can.

    Mirrors slack_bolt's parse_body: JSON when the type is application/json or the body starts with `{`,
    else a form whose `payload` field, when present, is JSON."""
    if not body:
        return "empty body"
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"body is not UTF-8 (invalid byte at offset {exc.start})"
    kind = content_type.split(";")[0] if content_type else None
    if kind == "application/json" or text.startswith("{"):
        document, what = text, "body"
    elif "payload" in text:
        document, what = dict(parse_qsl(text, keep_blank_values=True)).get("payload"), "payload"
        if document is None:
            return None
    else:
        return None
    try:
        data = inputs.loads(document)
    except inputs.BadJson as exc:
        return f"{what}: {exc.reason}"
    if not isinstance(data, dict):
        return f"{what} must be a JSON object"
    return _envelope_problem(data, what)


_TEXT, _OPT_TEXT, _REF = (str,), (str, type(None)), (dict, str, type(None))
_ENVELOPE: dict[str, tuple[type, ...]] = {
    **dict.fromkeys(("type", "event_id", "callback_id", "trigger_id", "response_url", "action_id", "block_id"), _TEXT),
    **dict.fromkeys(("team_id", "user_id", "channel_id", "enterprise_id", "api_app_id", "value"), _OPT_TEXT),
    **dict.fromkeys(("team", "user", "channel", "enterprise"), _REF),  # Slack sends an object, an id or null
    **dict.fromkeys(("event", "view", "message", "container"), (dict,)),
    **dict.fromkeys(("actions", "authorizations"), (list,)),
}
# Inside the objects Bolt routes on: (text fields that must be there, text fields that may be there).
_INSIDE: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "event": (("type",), ("text", "subtype", "ts", "thread_ts", "event_ts", "bot_id", "channel_type")),
    "view": (("callback_id",), ("type", "id", "hash", "private_metadata")),
    "message": ((), ("text", "ts", "thread_ts")),
    "actions": (("action_id",), ("block_id", "type", "value")),
    "authorizations": ((), ("team_id", "user_id", "enterprise_id")),
}


def _envelope_problem(data: dict, what: str) -> str | None:
    """Why the fields Bolt reads before any listener (to route, match and log) do not have Slack's shape.

    Bolt indexes into them unchecked (`body["view"]["callback_id"]`, `body["actions"][0]["action_id"]`), so a
    signed body with `"view": "x"` or `"actions": []` would be a 500 inside Bolt."""
    for key, kinds in _ENVELOPE.items():
        if key in data and not isinstance(data[key], kinds):
            return f"{what}.{key} has the wrong type"
    if data.get("actions") == []:
        return f"{what}.actions is empty"
    for key, (required, optional) in _INSIDE.items():
        if key not in data:
            continue
        listed = isinstance(data[key], list)
        for i, part in enumerate(data[key] if listed else [data[key]]):
            where = f"{what}.{key}[{i}]" if listed else f"{what}.{key}"
            if not isinstance(part, dict):
                return f"{where} must be an object"
            for field in required:
                if not isinstance(part.get(field), str):
                    return f"{where}.{field} is missing or not text"
            for field in optional:
                if part.get(field) is not None and not isinstance(part[field], str):
                    return f"{where}.{field} has the wrong type"
    return None


WEBHOOKS = ("/webhooks/hubspot", "/webhooks/deal-closed", "/webhooks/salesforce", "/webhooks/pipedrive")


class WebApp:
    """Routes by path. /slack/events is verified and checked here, then handed to Bolt (which verifies again)."""

    def __init__(self, deps: Deps, app: App):
        self.deps = deps
        self.slack = SlackRequestHandler(app, path="/slack/events")

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "GET")
        if path == "/slack/events":
            reply = self._slack_gate(environ, method)
            if reply is None:
                return self.slack(environ, start_response)
        elif path == "/healthz" and method in ("GET", "HEAD"):
            reply = self._health()
        elif path in WEBHOOKS:
            if method != "POST":
                reply = Reply(405, {"error": "use POST"})
            elif isinstance(body := _read_body(environ, MAX_BODY), Reply):
                reply = body
            elif path == "/webhooks/hubspot":
                uri = public_uri(environ, self.deps.settings.public_url)
                reply = handle_hubspot(self.deps, method=method, uri=uri, headers=_headers(environ), body=body)
            elif path == "/webhooks/salesforce":
                query = environ.get("QUERY_STRING", "")
                reply = handle_salesforce_outbound(self.deps, query=query, body=body)
            elif path == "/webhooks/pipedrive":
                reply = handle_pipedrive(self.deps, headers=_headers(environ), body=body)
            else:
                reply = handle_deal_closed(self.deps, headers=_headers(environ), body=body)
        elif path == "/api/v1/health-snapshots":
            if method != "POST":
                reply = Reply(405, {"error": "use POST"})
            elif isinstance(body := _read_body(environ, api.MAX_BODY), Reply):
                reply = body
            else:
                reply = api.handle_health_snapshots(self.deps, headers=_headers(environ), body=body)
        elif path in api.REVENUE_PATHS:
            if method != "POST":
                reply = Reply(405, {"error": "use POST"})
            elif isinstance(body := _read_body(environ, api.MAX_BODY), Reply):
                reply = body
            else:
                reply = api.handle_revenue(self.deps, path, headers=_headers(environ), body=body)
        else:
            reply = Reply(404, {"error": "not found"})
        payload = reply.raw if reply.raw is not None else json.dumps(reply.body).encode()
        start_response(
            f"{reply.status} {_REASONS.get(reply.status, 'Status')}",
            [("Content-Type", reply.content_type), ("Content-Length", str(len(payload)))],
        )
        return [payload]

    def _slack_gate(self, environ: dict, method: str) -> Reply | None:
        """None when the request may go to Bolt: POST, at most 1 MB, signed by Slack, a body Bolt can parse.

        Anything else is answered here and causes nothing (no Slack call, no row, no outbound request)."""
        if method != "POST":
            return Reply(405, {"error": "use POST"})
        body = _read_body(environ, SLACK_MAX_BODY)
        if isinstance(body, Reply):
            return body
        headers = _headers(environ)
        secret = self.deps.settings.slack_signing_secret
        if not secret:
            log.error("Slack request received but SLACK_SIGNING_SECRET is not set")
            return Reply(503, {"error": "SLACK_SIGNING_SECRET is not configured"})
        if problem := slack_signature_problem(secret, headers, body, self.deps.clock()):
            log.warning("Slack request rejected: %s", problem)
            return Reply(401, {"error": problem})
        if problem := slack_body_problem(body, headers.get("content-type")):
            log.warning("signed Slack request refused: %s", problem)
            return Reply(400, {"error": problem})
        environ["wsgi.input"], environ["CONTENT_LENGTH"] = io.BytesIO(body), str(len(body))  # Bolt reads it again
        return None

    def _health(self) -> Reply:
        try:
            with self.deps.sessions.begin() as db:
                db.exec(text("SELECT 1"))
        except Exception as exc:  # report, don't crash: the platform restarts unhealthy instances
            log.error("health check failed: %s", exc)
            return Reply(503, {"ok": False, "database": "unreachable"})
        if not self.deps.lookup.ready:  # a load balancer sends no traffic before the lookup index is built
            return Reply(503, {"ok": False, "database": "ok", "lookup": "building the customer index"})
        return Reply(200, {"ok": True, "database": "ok"})


_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Payload Too Large",
    503: "Service Unavailable",
}
