"""The WSGI application: Slack's Request URL, the CRM webhooks and the health check on one server."""

import json
import logging
from collections.abc import Callable, Iterable

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import text

from bot import api
from bot.deps import Deps
from bot.webhooks import MAX_BODY, Reply, handle_deal_closed, handle_hubspot

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


def _read_body(environ: dict, limit: int = MAX_BODY) -> bytes | None:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit:
        return None
    return environ["wsgi.input"].read(length) if length else b""


class WebApp:
    """Routes by path; everything under /slack/events goes to Bolt (which verifies Slack's signature)."""

    def __init__(self, deps: Deps, app: App):
        self.deps = deps
        self.slack = SlackRequestHandler(app, path="/slack/events")

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "GET")
        if path == "/slack/events":
            return self.slack(environ, start_response)
        if path == "/healthz" and method in ("GET", "HEAD"):
            reply = self._health()
        elif path in ("/webhooks/hubspot", "/webhooks/deal-closed"):
            if method != "POST":
                reply = Reply(405, {"error": "use POST"})
            else:
                body = _read_body(environ)
                if body is None:
                    reply = Reply(413, {"error": "body too large"})
                elif path == "/webhooks/hubspot":
                    uri = public_uri(environ, self.deps.settings.public_url)
                    reply = handle_hubspot(self.deps, method=method, uri=uri, headers=_headers(environ), body=body)
                else:
                    reply = handle_deal_closed(self.deps, headers=_headers(environ), body=body)
        elif path == "/api/v1/health-snapshots":
            if method != "POST":
                reply = Reply(405, {"error": "use POST"})
            else:
                body = _read_body(environ, api.MAX_BODY)
                if body is None:
                    reply = Reply(413, {"error": f"body larger than {api.MAX_BODY} bytes"})
                else:
                    reply = api.handle_health_snapshots(self.deps, headers=_headers(environ), body=body)
        else:
            reply = Reply(404, {"error": "not found"})
        payload = json.dumps(reply.body).encode()
        start_response(
            f"{reply.status} {_REASONS.get(reply.status, 'Status')}",
            [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
        )
        return [payload]

    def _health(self) -> Reply:
        try:
            with self.deps.sessions.begin() as db:
                db.exec(text("SELECT 1"))
        except Exception as exc:  # report, don't crash: the platform restarts unhealthy instances
            log.error("health check failed: %s", exc)
            return Reply(503, {"ok": False, "database": "unreachable"})
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
