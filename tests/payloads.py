"""Builders for inbound requests signed exactly as Slack / HubSpot / generic CRM webhooks sign them.

Shapes follow /work/shared/fixtures/slack/ (Bolt's scenario-test payloads and real captures). Interactive
payloads are form-encoded like Bolt's tests (``payload=`` + ``quote(json.dumps(p))``); events are JSON.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

SIGNING_SECRET = "test-signing-secret"
API_APP_ID = "A111"
BOT_USER_ID = "UBOT"
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
_seq = itertools.count(1000001)
_now: Callable[[], float] = time.time


def sign_at(now: Callable[[], float]) -> None:
    """Sign requests at `now()` from here on (the app's fake clock, set by the `clock` fixture): Slack and the
    CRMs sign at the moment the test's world is in, which the app checks against its own clock."""
    global _now
    _now = now


@dataclass
class SignedRequest:
    """A raw request body and its (already signed) headers."""

    body: str
    headers: dict


def _hmac_hex(secret: str | bytes, message: bytes) -> str:
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def slack_headers(
    body: str | bytes,
    content_type: str = FORM,
    secret: str = SIGNING_SECRET,
    timestamp: int | None = None,
    retry_num: int | None = None,
    retry_reason: str | None = None,
) -> dict:
    """Slack's request headers: v0 signature of ``v0:{ts}:{body}``, timestamp, Content-Type, retry info.

    A bytes body is signed as it is (it need not be UTF-8)."""
    ts = str(int(_now()) if timestamp is None else timestamp)
    raw = body if isinstance(body, bytes) else body.encode()
    headers = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": "v0=" + _hmac_hex(secret, b"v0:%s:%s" % (ts.encode(), raw)),
    }
    if retry_num is not None:
        headers["X-Slack-Retry-Num"] = str(retry_num)
    if retry_reason is not None:
        headers["X-Slack-Retry-Reason"] = retry_reason
    return headers


def _sign(body: str, content_type: str, sign: dict) -> SignedRequest:
    return SignedRequest(body, slack_headers(body, content_type, **sign))


def _interactive(payload: dict, sign: dict) -> SignedRequest:
    return _sign(f"payload={quote(json.dumps(payload))}", FORM, sign)


def new_trigger_id() -> str:
    """A unique, plausible trigger_id (``<n>.<n>.<hex>``)."""
    return f"{next(_seq)}.{int(time.time())}.{uuid.uuid4().hex}"


def _user(user_id: str, team_id: str) -> dict:
    return {"id": user_id, "username": user_id.lower(), "name": user_id.lower(), "team_id": team_id}


def _team(team_id: str) -> dict:
    return {"id": team_id, "domain": "fake-workspace"}


def slash_command(
    command: str,
    text: str = "",
    *,
    user_id: str = "U_AE",
    team_id: str = "T111",
    channel_id: str = "C_GENERAL",
    trigger_id: str | None = None,
    response_url: str = "https://hooks.slack.com/commands/T111/1/x",
    timestamp: int | None = None,
    secret: str = SIGNING_SECRET,
) -> SignedRequest:
    """A form-encoded slash command (fields as in slash_command_bolt.form.txt)."""
    fields = {
        "token": "verification_token",
        "team_id": team_id,
        "team_domain": "fake-workspace",
        "channel_id": channel_id,
        "channel_name": "general",
        "user_id": user_id,
        "user_name": user_id.lower(),
        "command": command if command.startswith("/") else "/" + command,
        "text": text,
        "api_app_id": API_APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id or new_trigger_id(),
    }
    return _sign(urlencode(fields), FORM, {"timestamp": timestamp, "secret": secret})


def block_actions(
    action_id: str,
    value: str = "",
    *,
    user_id: str,
    team_id: str = "T111",
    block_id: str = "b",
    channel_id: str | None = None,
    message_ts: str | None = None,
    message: dict | None = None,
    view: dict | None = None,
    trigger_id: str | None = None,
    response_url: str | None = None,
    action: dict | None = None,
    timestamp: int | None = None,
    secret: str = SIGNING_SECRET,
) -> SignedRequest:
    """A button click; container is ``view`` if given, else a message (response_url only when given)."""
    act = {
        "action_id": action_id,
        "block_id": block_id,
        "text": {"type": "plain_text", "text": "Button", "emoji": True},
        "value": value,
        "type": "button",
        "action_ts": f"{time.time():.6f}",
        **(action or {}),
    }
    p: dict[str, Any] = {
        "type": "block_actions",
        "user": _user(user_id, team_id),
        "api_app_id": API_APP_ID,
        "token": "verification_token",
        "trigger_id": trigger_id or new_trigger_id(),
        "team": _team(team_id),
        "enterprise": None,
        "is_enterprise_install": False,
    }
    if view is not None:
        p["container"] = {"type": "view", "view_id": view.get("id", "V123")}
        p["view"] = view
    else:
        channel_id = channel_id or "C_GENERAL"
        message_ts = message_ts or (message or {}).get("ts")
        p["container"] = {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel_id,
            "is_ephemeral": False,
        }
        p["channel"] = {"id": channel_id, "name": "general"}
        if message is not None:
            p["message"] = message
        elif message_ts:
            p["message"] = {"type": "message", "ts": message_ts, "user": BOT_USER_ID, "text": ""}
        p["state"] = {"values": {}}
    if response_url:
        p["response_url"] = response_url
    p["actions"] = [act]
    return _interactive(p, {"timestamp": timestamp, "secret": secret})


def _view(
    callback_id: str,
    values: dict,
    team_id: str,
    private_metadata: str,
    view_id: str,
    view_hash: str,
    blocks: list | None,
) -> dict:
    return {
        "id": view_id,
        "team_id": team_id,
        "type": "modal",
        "blocks": blocks or [],
        "private_metadata": private_metadata,
        "callback_id": callback_id,
        "state": {"values": values},
        "hash": view_hash,
        "title": {"type": "plain_text", "text": "Baton"},
        "clear_on_close": False,
        "notify_on_close": False,
        "close": {"type": "plain_text", "text": "Cancel"},
        "submit": {"type": "plain_text", "text": "Submit"},
        "previous_view_id": None,
        "root_view_id": view_id,
        "app_id": API_APP_ID,
        "external_id": "",
        "app_installed_team_id": team_id,
        "bot_id": "BBOT",
    }


def view_submission(
    callback_id: str,
    values: dict,
    *,
    user_id: str,
    team_id: str = "T111",
    private_metadata: str = "",
    view_id: str = "V123",
    view_hash: str = "h",
    blocks: list | None = None,
    response_urls: list | None = None,
    timestamp: int | None = None,
    secret: str = SIGNING_SECRET,
) -> SignedRequest:
    """A modal submission; ``values`` is Slack's ``view.state.values`` ({block_id: {action_id: state}})."""
    p = {
        "type": "view_submission",
        "team": _team(team_id),
        "user": _user(user_id, team_id),
        "api_app_id": API_APP_ID,
        "token": "verification_token",
        "trigger_id": new_trigger_id(),
        "view": _view(callback_id, values, team_id, private_metadata, view_id, view_hash, blocks),
        "response_urls": response_urls or [],
        "is_enterprise_install": False,
    }
    return _interactive(p, {"timestamp": timestamp, "secret": secret})


def view_closed(
    callback_id: str,
    *,
    user_id: str,
    team_id: str = "T111",
    private_metadata: str = "",
    view_id: str = "V123",
    view_hash: str = "h",
    is_cleared: bool = False,
    timestamp: int | None = None,
    secret: str = SIGNING_SECRET,
) -> SignedRequest:
    """A ``view_closed`` payload (sent when the modal had ``notify_on_close``)."""
    p = {
        "type": "view_closed",
        "team": _team(team_id),
        "user": _user(user_id, team_id),
        "api_app_id": API_APP_ID,
        "token": "verification_token",
        "view": _view(callback_id, {}, team_id, private_metadata, view_id, view_hash, None),
        "is_cleared": is_cleared,
        "is_enterprise_install": False,
    }
    return _interactive(p, {"timestamp": timestamp, "secret": secret})


def global_shortcut(
    callback_id: str,
    *,
    user_id: str,
    team_id: str = "T111",
    trigger_id: str | None = None,
    timestamp: int | None = None,
    secret: str = SIGNING_SECRET,
) -> SignedRequest:
    """A global shortcut (``type: shortcut``) as in shortcut_global.json."""
    p = {
        "type": "shortcut",
        "token": "verification_token",
        "action_ts": f"{time.time():.6f}",
        "team": _team(team_id),
        "user": _user(user_id, team_id),
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": trigger_id or new_trigger_id(),
    }
    return _interactive(p, {"timestamp": timestamp, "secret": secret})


def message_shortcut(
    callback_id: str,
    *,
    user_id: str,
    team_id: str = "T111",
    channel_id: str,
    message: dict,
    trigger_id: str | None = None,
    response_url: str | None = None,
    timestamp: int | None = None,
    secret: str = SIGNING_SECRET,
) -> SignedRequest:
    """A message shortcut (``type: message_action``) as in shortcut_message_action.json."""
    p: dict[str, Any] = {
        "type": "message_action",
        "token": "verification_token",
        "action_ts": f"{time.time():.6f}",
        "team": _team(team_id),
        "user": _user(user_id, team_id),
        "channel": {"id": channel_id, "name": "general"},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": trigger_id or new_trigger_id(),
        "message_ts": message.get("ts"),
        "message": message,
    }
    if response_url:
        p["response_url"] = response_url
    return _interactive(p, {"timestamp": timestamp, "secret": secret})


def block_suggestion(
    action_id: str,
    value: str,
    *,
    user_id: str,
    team_id: str = "T111",
    block_id: str = "b",
    view: dict | None = None,
    timestamp: int | None = None,
    secret: str = SIGNING_SECRET,
) -> SignedRequest:
    """What an external_select in a modal sends as the user types (``type: block_suggestion``, as in Bolt's
    test_block_suggestion.py): the element's action_id and block_id, the typed ``value`` and the open view."""
    p = {
        "type": "block_suggestion",
        "user": _user(user_id, team_id),
        "container": {"type": "view", "view_id": (view or {}).get("id", "V123")},
        "api_app_id": API_APP_ID,
        "token": "verification_token",
        "action_id": action_id,
        "block_id": block_id,
        "value": value,
        "team": _team(team_id),
        "view": view or _view("", {}, team_id, "", "V123", "h", None),
    }
    return _interactive(p, {"timestamp": timestamp, "secret": secret})


def event_callback(
    event: dict,
    *,
    team_id: str = "T111",
    event_id: str | None = None,
    retry_num: int | None = None,
    retry_reason: str | None = None,
    timestamp: int | None = None,
    secret: str = SIGNING_SECRET,
) -> SignedRequest:
    """An Events API delivery (JSON envelope like event_app_mention.json, with ``authorizations``)."""
    envelope = {
        "token": "verification_token",
        "team_id": team_id,
        "api_app_id": API_APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-{uuid.uuid4().hex}",
    }
    sign = {"timestamp": timestamp, "secret": secret, "retry_num": retry_num, "retry_reason": retry_reason}
    return _sign(json.dumps(envelope), JSON, sign)


# ---------------------------------------------------------------- view.state.values element states
def text_value(v: str | None) -> dict:
    """State of a plain_text_input (``None`` = left empty)."""
    return {"type": "plain_text_input", "value": v}


def date_value(d: str | None) -> dict:
    """State of a datepicker, e.g. ``date_value("2026-12-01")``."""
    return {"type": "datepicker", "selected_date": d}


def user_value(u: str | None) -> dict:
    """State of a users_select."""
    return {"type": "users_select", "selected_user": u}


def static_value(v: str | None, text: str | None = None) -> dict:
    """State of a static_select (``selected_option`` with plain_text ``text`` and ``value``)."""
    option = None if v is None else {"text": {"type": "plain_text", "text": text or v, "emoji": True}, "value": v}
    return {"type": "static_select", "selected_option": option}


def number_value(n: str | int | None) -> dict:
    """State of a number_input (Slack sends the value as a string)."""
    return {"type": "number_input", "value": None if n is None else str(n)}


# ---------------------------------------------------------------- CRM webhooks
def hubspot_v3_headers(
    method: str, uri: str, body: bytes | str, client_secret: str, timestamp_ms: int | None = None
) -> dict:
    """HubSpot v3 headers: base64(HMAC-SHA256(secret, method + uri + body + timestamp_ms))."""
    ts = str(int(_now() * 1000) if timestamp_ms is None else timestamp_ms)
    raw = body.encode() if isinstance(body, str) else body
    digest = hmac.new(client_secret.encode(), method.encode() + uri.encode() + raw + ts.encode(), hashlib.sha256)
    return {
        "Content-Type": JSON,
        "X-HubSpot-Signature-v3": base64.b64encode(digest.digest()).decode(),
        "X-HubSpot-Request-Timestamp": ts,
    }


def generic_webhook_headers(body: bytes | str, secret: str, timestamp: int | None = None) -> dict:
    """Baton's generic webhook headers: ``v1=`` hex HMAC-SHA256(secret, f"{ts}.".encode() + body)."""
    ts = str(int(_now()) if timestamp is None else timestamp)
    raw = body.encode() if isinstance(body, str) else body
    return {
        "Content-Type": JSON,
        "X-Baton-Timestamp": ts,
        "X-Baton-Signature": "v1=" + _hmac_hex(secret, f"{ts}.".encode() + raw),
    }
