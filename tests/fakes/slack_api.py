"""A fake Slack Web API served over real HTTP, for end-to-end tests.

Point ``slack_sdk.WebClient(base_url=fake.url, token="xoxb-test")`` (or Bolt's ``App(client=...)``) at it.
It keeps per-channel message history, users, views and ``response_url`` endpoints, validates Block Kit
payloads with slack_sdk's own models and can inject 429/5xx failures.
"""

from __future__ import annotations

import copy
import json
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
APP_ID = "A111"
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_TEXT = 40_000
RESPONSE_URL_USES = 5
_JSON_FIELDS = ("blocks", "view", "metadata", "attachments")


@dataclass
class Call:
    """One request received by a fake server (``args`` = decoded query + body, ``headers`` lower-cased)."""

    method: str
    args: dict
    headers: dict
    status: int = 200
    response: Any = None
    path: str = ""
    received: float = field(default_factory=time.perf_counter)  # when the request reached the fake (benchmarks)


@dataclass
class _Failure:
    status: int
    retry_after: int | None = None
    after_effect: bool = False
    drop: bool = False  # with after_effect: store, then close the connection without answering
    hang: bool = False  # with after_effect: store, then hold the answer until released (then drop it)


_DROP = object()  # payload meaning "close the connection, send nothing"


class _Handler(BaseHTTPRequestHandler):
    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            status, extra_headers, payload = self.server.fake._handle(  # type: ignore[attr-defined]
                self.command, parts.path, parse_qs(parts.query, keep_blank_values=True), headers, body
            )
        except Exception:  # a bug in the fake: make it loud instead of a dropped connection
            status, extra_headers, payload = (
                500,
                {},
                {"ok": False, "error": "fake_crashed", "detail": traceback.format_exc()},
            )
        if payload is _DROP:  # the effect happened; the answer is lost on the way
            self.close_connection = True
            return
        if isinstance(payload, dict | list):
            data, ctype = json.dumps(payload).encode(), "application/json; charset=utf-8"
        else:
            data, ctype = str(payload).encode(), "text/plain; charset=utf-8"
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for key, value in extra_headers.items():
            self.send_header(key, str(value))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet (no per-request log lines)."""


class FakeHTTPServer:
    """Base for the fakes: a ThreadingHTTPServer on 127.0.0.1:0 plus call recording and failure queues."""

    def __init__(self) -> None:
        """Create the (not yet started) server state."""
        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._calls: list[Call] = []
        self._failures: dict[str, list[_Failure]] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    def start(self):
        """Bind a free port on 127.0.0.1, serve in a daemon thread and return self."""
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.block_on_close = False
        server.fake = self  # type: ignore[attr-defined]
        self._server, self.port = server, server.server_address[1]
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True, name=type(self).__name__
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        """Start the server for a ``with`` block."""
        return self.start()

    def __exit__(self, *exc: object) -> None:
        """Stop the server at the end of a ``with`` block."""
        self.stop()

    @property
    def calls(self) -> list[Call]:
        """Snapshot of every recorded call, oldest first."""
        with self._lock:
            return list(self._calls)

    def _matches(self, key: str, call: Call) -> bool:
        return call.method == key

    def calls_to(self, key: str) -> list[Call]:
        """Recorded calls matching ``key`` (Slack: API method name; HubSpot: path prefix)."""
        with self._lock:
            return [c for c in self._calls if self._matches(key, c)]

    def wait_for(self, key: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Block until ``count`` calls match ``key`` and return them; AssertionError on timeout."""
        with self._cond:
            if self._cond.wait_for(lambda: len(self.calls_to(key)) >= count, timeout=timeout):
                return self.calls_to(key)
            seen = [(c.method, c.path, c.status) for c in self._calls]
        raise AssertionError(f"expected {count} call(s) to {key!r} within {timeout}s; calls seen: {seen}")

    def reset_calls(self) -> None:
        """Forget recorded calls (state such as messages and users is kept)."""
        with self._lock:
            self._calls.clear()

    def _record(self, call: Call) -> None:
        with self._cond:
            self._calls.append(call)
            self._cond.notify_all()

    def _queue_failure(self, key: str, failure: _Failure, times: int) -> None:
        with self._lock:
            self._failures.setdefault(key, []).extend(copy.copy(failure) for _ in range(times))

    def _pop_failure(self, call: Call) -> _Failure | None:
        for key, queue in self._failures.items():
            if queue and self._matches(key, call):
                return queue.pop(0)
        return None

    def _handle(self, verb: str, path: str, query: dict, headers: dict, body: bytes) -> tuple[int, dict, Any]:
        raise NotImplementedError


class _SlackError(Exception):
    def __init__(self, error: str, messages: list[str] | None = None) -> None:
        super().__init__(error)
        self.error, self.messages = error, messages


def _flatten(qs: dict[str, list[str]]) -> dict[str, Any]:
    return {k: v[0] if len(v) == 1 else v for k, v in qs.items()}


def _json_arg(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _truthy(value: Any) -> bool:
    return value in (True, 1, "1", "true", "True")


def _ts_key(ts: Any) -> tuple[int, int]:
    sec, _, frac = str(ts).partition(".")
    return int(sec or 0), int((frac or "0").ljust(6, "0")[:6])


def _block_messages(blocks: Any, limit: int | None, pointer: str = "/blocks") -> list[str]:
    """Slack-style ``[ERROR] ...`` messages for a list of blocks (empty when valid)."""
    if not isinstance(blocks, list):
        return [f"[ERROR] must be an array [json-pointer:{pointer}]"]
    msgs = []
    if limit is not None and len(blocks) > limit:
        msgs.append(f"[ERROR] no more than {limit} items allowed [json-pointer:{pointer}]")
    for i, raw in enumerate(blocks):
        problem = None
        try:
            parsed = Block.parse(raw) if isinstance(raw, dict) else None
            if parsed is None or type(parsed) is Block:
                problem = f"unsupported type: {raw.get('type') if isinstance(raw, dict) else raw!r}"
            else:
                parsed.validate_json()
                parsed.to_dict()  # validates nested elements and text objects too
        except Exception as e:  # slack_sdk raises SlackObjectFormationError, TypeError, ...
            problem = str(e) or type(e).__name__
        if problem:
            msgs.append(f"[ERROR] {problem} [json-pointer:{pointer}/{i}]")
    return msgs


class FakeSlack(FakeHTTPServer):
    """In-memory Slack Web API; see the module docstring."""

    def __init__(self, team_id: str = "T111", bot_token: str = "xoxb-test") -> None:
        """Configure the workspace id and the only bot token accepted."""
        super().__init__()
        self.team_id, self.bot_token = team_id, bot_token
        self._users: dict[str, dict] = {}
        self._channels: dict[str, list[dict]] = {}
        self._last_ts = 0
        self.time: Callable[[], float] = time.time  # where message ts come from (a test may set its clock)
        self.hung = threading.Event()  # a call is being held by a ``hang`` fault
        self._release = threading.Event()
        self._views: dict[str, dict] = {}
        self._external_ids: dict[str, str] = {}
        self._views_opened: list[dict] = []
        self._home: dict[str, dict] = {}
        self._used_triggers: set[str] = set()
        self._response_urls: dict[str, int] = {}
        self._usergroups: dict[str, list[str]] = {}  # user group id (S...) -> member ids
        self._members: dict[str, list[str]] = {}  # channel id -> member ids (conversations.members)
        self._outside: set[str] = set()  # channels the bot is not a member of
        # Socket Mode: apps.connections.open takes only this app-level token and answers this WebSocket URL
        # (the fake speaks no WebSocket; a test points it where connecting fails as it needs).
        self.app_token = "xapp-1-test"
        self.socket_url = "ws://127.0.0.1:9/link/?ticket=fake"

    # ----------------------------------------------------------------- public helpers
    @property
    def url(self) -> str:
        """WebClient ``base_url``: ``http://127.0.0.1:PORT/api/``."""
        return f"http://127.0.0.1:{self.port}/api/"

    def fail_next(self, method: str, status: int = 429, times: int = 1, retry_after: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with HTTP 429 (+Retry-After) or a 5xx, no effect."""
        self._queue_failure(method, _Failure(status, retry_after), times)

    def fail_after_effect(self, method: str, times: int = 1, drop: bool = False, hang: bool = False) -> None:
        """Perform the next ``times`` calls of ``method`` for real, then answer HTTP 500 (``drop``: close the
        connection without answering, as when the answer is lost; ``hang``: keep the caller waiting, with the
        effect done, until ``release_hung()`` or 60 s, then close the connection; ``hung`` is set meanwhile)."""
        self._queue_failure(method, _Failure(500, after_effect=True, drop=drop or hang, hang=hang), times)

    def release_hung(self) -> None:
        """Let every call held by a ``hang`` fault end (by closing its connection)."""
        self._release.set()

    def add_user(
        self,
        user_id: str,
        email: str | None = None,
        name: str | None = None,
        locale: str = "en-US",
        tz: str = "America/New_York",
        is_bot: bool = False,
        is_admin: bool = False,
        is_owner: bool = False,
    ) -> dict:
        """Register a workspace member (as returned by users.info) and return it."""
        name = name or (email.split("@")[0] if email else user_id.lower())
        now = datetime.now(ZoneInfo(tz))
        user = {
            "id": user_id,
            "team_id": self.team_id,
            "name": name,
            "deleted": False,
            "real_name": name,
            "tz": tz,
            "tz_label": now.tzname(),
            "tz_offset": int(now.utcoffset().total_seconds()),  # type: ignore[union-attr]
            "is_admin": is_admin or is_owner,  # Slack marks owners as admins too
            "is_owner": is_owner,
            "is_bot": is_bot,
            "is_app_user": False,
            "updated": int(time.time()),
            "locale": locale,
            "profile": {
                "real_name": name,
                "real_name_normalized": name,
                "display_name": name,
                "display_name_normalized": name,
                "email": email,
                "team": self.team_id,
            },
        }
        with self._lock:
            self._users[user_id] = user
        return copy.deepcopy(user)

    def set_usergroup(self, group_id: str, users: list[str]) -> None:
        """Define a user group (``S...``) and its members, as usergroups.users.list returns them."""
        with self._lock:
            self._usergroups[group_id] = list(users)

    def set_channel_members(self, channel: str, users: list[str]) -> None:
        """Define who is in ``channel``, as conversations.members returns them (in pages, with a cursor)."""
        with self._lock:
            self._members[channel] = list(users)

    def dm_channel(self, user_id: str) -> str:
        """The stable DM channel id the fake uses for ``user_id``."""
        return "D" + user_id

    def add_message(self, channel: str, text: str, user: str, thread_ts: str | None = None) -> str:
        """A message a person posted in ``channel`` (a reply when ``thread_ts``); returns its ts."""
        with self._lock:
            ts = self._next_ts()
            msg = {"type": "message", "ts": ts, "user": user, "team": self.team_id, "text": text}
            history = self._channels.setdefault(channel, [])
            if thread_ts:
                msg["thread_ts"] = thread_ts
                for parent in history:
                    if parent["ts"] == thread_ts:
                        parent.update(thread_ts=thread_ts, latest_reply=ts)
                        parent["reply_count"] = parent.get("reply_count", 0) + 1
            history.append(msg)
            return ts

    def remove_bot(self, channel: str) -> None:
        """Take the bot out of ``channel``: reading it or posting ephemerals there fails with not_in_channel."""
        with self._lock:
            self._outside.add(channel)

    def _member(self, channel: str) -> str:
        if channel in self._outside:
            raise _SlackError("not_in_channel")
        return channel

    def messages(self, channel: str) -> list[dict]:
        """Top-level messages of ``channel`` (user ids map to their DM), oldest first, with metadata."""
        with self._lock:
            msgs = self._channels.get(self._resolve_channel(channel, strict=False), [])
            return copy.deepcopy([m for m in msgs if m.get("thread_ts") in (None, m["ts"])])

    def thread(self, channel: str, ts: str) -> list[dict]:
        """Parent message ``ts`` followed by its replies, oldest first."""
        with self._lock:
            msgs = self._channels.get(self._resolve_channel(channel, strict=False), [])
            return copy.deepcopy([m for m in msgs if m["ts"] == ts or m.get("thread_ts") == ts])

    def views_opened(self) -> list[dict]:
        """Views successfully sent via views.open / views.push / views.update, in order."""
        with self._lock:
            return copy.deepcopy(self._views_opened)

    def home_view(self, user_id: str) -> dict | None:
        """The view last published to ``user_id``'s App Home, if any."""
        with self._lock:
            return copy.deepcopy(self._home.get(user_id))

    def new_response_url(self) -> str:
        """A fresh response_url on this server (5 uses, like Slack's)."""
        rid = uuid.uuid4().hex
        with self._lock:
            self._response_urls[rid] = 0
        return f"http://127.0.0.1:{self.port}/response/{rid}"

    def responses(self) -> list[dict]:
        """JSON bodies accepted (HTTP 200) by any response_url, in order."""
        return [c.args for c in self.calls_to("response_url") if c.status == 200]

    # ----------------------------------------------------------------- HTTP plumbing
    def _handle(self, verb: str, path: str, query: dict, headers: dict, body: bytes) -> tuple[int, dict, Any]:
        args = _flatten(query)
        ctype = headers.get("content-type", "")
        if "json" in ctype and body:
            try:
                parsed = json.loads(body)
                args.update(parsed if isinstance(parsed, dict) else {})
            except ValueError:
                pass
        elif body:
            args.update(_flatten(parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)))
        args.update({k: _json_arg(args[k]) for k in _JSON_FIELDS if k in args})
        if path.startswith("/response/"):
            return self._handle_response_url(path, args, headers)
        if not path.startswith("/api/"):
            return 404, {}, "not_found"
        call = Call(path[len("/api/") :], args, headers, path=path)
        with self._lock:
            failure = self._pop_failure(call)
            extra: dict = {}
            if failure and not failure.after_effect:
                status, resp = self._failure_response(failure, extra)
            else:
                status, resp = 200, self._api(call.method, args, headers)
                if call.method == "auth.test":
                    extra["x-oauth-scopes"] = "chat:write,commands,users:read,users:read.email,im:write"
                if failure and failure.drop:
                    status, resp = 0, _DROP
                elif failure:
                    status, resp = 500, {"ok": False, "error": "internal_error"}
            call.status, call.response = status, resp
            self._record(call)
        if failure and failure.hang:  # outside the lock: the fake keeps serving while this caller waits
            self.hung.set()
            self._release.wait(timeout=60)
        return status, extra, resp

    @staticmethod
    def _failure_response(failure: _Failure, extra: dict) -> tuple[int, dict]:
        if failure.status == 429:
            extra["Retry-After"] = failure.retry_after if failure.retry_after is not None else 1
            return 429, {"ok": False, "error": "ratelimited"}
        if failure.status >= 500:
            return failure.status, {"ok": False, "error": "internal_error"}
        return failure.status, {"ok": False, "error": "fake_failure"}

    def _api(self, method: str, args: dict, headers: dict) -> dict:
        handler = getattr(self, "_api_" + method.replace(".", "_"), None)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        auth = headers.get("authorization", "")
        token = auth[len("Bearer ") :].strip() if auth.startswith("Bearer ") else args.get("token")
        if not token:
            return {"ok": False, "error": "not_authed"}
        if method.startswith("apps.connections."):  # the one family that takes the app-level token
            if token != self.app_token:
                return {"ok": False, "error": "not_allowed_token_type" if token == self.bot_token else "invalid_auth"}
        elif token != self.bot_token:
            return {"ok": False, "error": "invalid_auth"}
        try:
            return {"ok": True, **handler(args)}
        except _SlackError as e:
            resp: dict = {"ok": False, "error": e.error}
            if e.messages:
                resp["response_metadata"] = {"messages": e.messages}
            return resp

    # ----------------------------------------------------------------- validation helpers
    def _resolve_channel(self, channel: Any, strict: bool = True) -> str:
        channel = str(channel or "")
        if channel[:1] in ("C", "G", "D"):
            return channel
        if channel in self._users:
            return self.dm_channel(channel)
        if strict:
            raise _SlackError("channel_not_found")
        return channel

    @staticmethod
    def _require(args: dict, *names: str) -> None:
        missing = [n for n in names if not args.get(n)]
        if missing:
            raise _SlackError("invalid_arguments", [f"[ERROR] missing required field: {n}" for n in missing])

    @staticmethod
    def _check_message(args: dict) -> None:
        blocks = args.get("blocks")
        if blocks is not None:
            if not isinstance(blocks, list):
                raise _SlackError("invalid_blocks_format")
            msgs = _block_messages(blocks, MAX_MESSAGE_BLOCKS)
            if msgs:
                raise _SlackError("invalid_blocks", msgs)
        text = args.get("text")
        if not text and not blocks and not args.get("attachments"):
            raise _SlackError("no_text")
        if text and len(str(text)) > MAX_TEXT:
            raise _SlackError("msg_too_long")
        metadata = args.get("metadata")
        if metadata is not None and (not isinstance(metadata, dict) or "event_type" not in metadata):
            raise _SlackError("invalid_metadata_format")

    def _find_message(self, channel: str, ts: Any) -> dict:
        for msg in self._channels.get(channel, []):
            if msg["ts"] == ts:
                return msg
        raise _SlackError("message_not_found")

    def _next_ts(self) -> str:
        micros = max(int(self.time() * 1_000_000), self._last_ts + 100)
        self._last_ts = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    # ----------------------------------------------------------------- users / auth / conversations
    def _api_apps_connections_open(self, args: dict) -> dict:
        return {"url": self.socket_url}

    def _api_auth_test(self, args: dict) -> dict:
        return {
            "url": "https://fake-workspace.slack.com/",
            "team": "Fake Workspace",
            "user": "baton",
            "team_id": self.team_id,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _api_users_info(self, args: dict) -> dict:
        user = self._users.get(args.get("user", ""))
        if user is None:
            raise _SlackError("user_not_found")
        user = copy.deepcopy(user)
        if not _truthy(args.get("include_locale")):
            user.pop("locale")
        return {"user": user}

    def _api_users_lookupByEmail(self, args: dict) -> dict:
        email = str(args.get("email", "")).lower()
        for user in self._users.values():
            if email and (user["profile"]["email"] or "").lower() == email:
                user = copy.deepcopy(user)
                user.pop("locale")
                return {"user": user}
        raise _SlackError("users_not_found")

    def _api_conversations_members(self, args: dict) -> dict:
        self._require(args, "channel")
        channel = self._resolve_channel(args["channel"])
        if channel not in self._members:
            raise _SlackError("channel_not_found")
        start, limit = int(args.get("cursor") or 0), int(args.get("limit") or 100)
        if not 0 < limit < 1000:  # Slack: "a limit value under 1000"
            raise _SlackError("invalid_limit")
        members = self._members[channel]
        has_more = len(members) > start + limit
        return {
            "members": members[start : start + limit],
            "response_metadata": {"next_cursor": str(start + limit) if has_more else ""},
        }

    def _api_usergroups_users_list(self, args: dict) -> dict:
        self._require(args, "usergroup")
        users = self._usergroups.get(str(args["usergroup"]))
        if users is None:
            raise _SlackError("no_such_subteam")
        return {"users": list(users)}

    def _api_conversations_open(self, args: dict) -> dict:
        if args.get("channel"):
            return {"channel": {"id": args["channel"]}}
        users = [u for u in str(args.get("users", "")).split(",") if u]
        if not users:
            raise _SlackError("users_list_not_supplied")
        if any(u not in self._users for u in users):
            raise _SlackError("user_not_found")
        channel = self.dm_channel(users[0]) if len(users) == 1 else "G" + "".join(sorted(users))
        return {"channel": {"id": channel}}

    def _api_chat_getPermalink(self, args: dict) -> dict:
        self._require(args, "channel", "message_ts")
        channel = self._resolve_channel(args["channel"])
        msg = self._find_message(channel, args["message_ts"])
        link = f"https://fake-workspace.slack.com/archives/{channel}/p{msg['ts'].replace('.', '')}"
        if msg.get("thread_ts") not in (None, msg["ts"]):
            link += f"?thread_ts={msg['thread_ts']}&cid={channel}"
        return {"channel": channel, "permalink": link}

    # ----------------------------------------------------------------- messages
    def _api_chat_postMessage(self, args: dict) -> dict:
        if not args.get("channel"):
            raise _SlackError("channel_not_found")
        channel = self._resolve_channel(args["channel"])
        self._check_message(args)
        msg: dict = {
            "type": "message",
            "ts": self._next_ts(),
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": self.team_id,
            "text": args.get("text") or "",
        }
        for key in ("blocks", "metadata", "attachments"):
            if args.get(key) is not None:
                msg[key] = copy.deepcopy(args[key])
        thread_ts = args.get("thread_ts")
        history = self._channels.setdefault(channel, [])
        if thread_ts:
            msg["thread_ts"] = thread_ts
            for parent in history:
                if parent["ts"] == thread_ts:
                    parent.update(thread_ts=thread_ts, latest_reply=msg["ts"])
                    parent["reply_count"] = parent.get("reply_count", 0) + 1
        history.append(msg)
        return {"channel": channel, "ts": msg["ts"], "message": copy.deepcopy(msg)}

    def _api_chat_update(self, args: dict) -> dict:
        self._require(args, "channel", "ts")
        channel = self._resolve_channel(args["channel"])
        msg = self._find_message(channel, args["ts"])
        merged = {k: msg.get(k) for k in ("text", "blocks", "attachments")}
        merged.update({k: args[k] for k in ("text", "blocks", "attachments", "metadata") if k in args})
        self._check_message(merged)
        for key in ("text", "blocks", "metadata", "attachments"):
            if key in args:
                msg[key] = copy.deepcopy(args[key])
        msg["edited"] = {"user": BOT_USER_ID, "ts": self._next_ts()}
        return {
            "channel": channel,
            "ts": msg["ts"],
            "text": msg.get("text", ""),
            "message": copy.deepcopy(msg),
        }

    def _api_chat_delete(self, args: dict) -> dict:
        self._require(args, "channel", "ts")
        channel = self._resolve_channel(args["channel"])
        msg = self._find_message(channel, args["ts"])
        if msg.get("bot_id") != BOT_ID:  # a bot token deletes only the bot's own messages
            raise _SlackError("cant_delete_message")
        history = self._channels[channel]
        history.remove(msg)
        parent_ts = msg.get("thread_ts")
        if parent_ts and parent_ts != msg["ts"]:
            for parent in history:
                if parent["ts"] == parent_ts:
                    parent["reply_count"] = max(0, parent.get("reply_count", 1) - 1)
        return {"channel": channel, "ts": msg["ts"]}

    def _api_chat_postEphemeral(self, args: dict) -> dict:
        self._require(args, "channel", "user")
        self._member(self._resolve_channel(args["channel"]))
        self._check_message(args)
        return {"message_ts": self._next_ts()}

    def _api_conversations_history(self, args: dict) -> dict:
        self._require(args, "channel")
        channel = self._member(self._resolve_channel(args["channel"]))
        top = [m for m in reversed(self._channels.get(channel, [])) if m.get("thread_ts") in (None, m["ts"])]
        return self._page(top, args)

    def _api_conversations_replies(self, args: dict) -> dict:
        self._require(args, "channel", "ts")
        channel = self._member(self._resolve_channel(args["channel"]))
        msgs = [m for m in self._channels.get(channel, []) if args["ts"] in (m["ts"], m.get("thread_ts"))]
        if not msgs:
            raise _SlackError("thread_not_found")
        return self._page(msgs, args)

    def _page(self, msgs: list[dict], args: dict) -> dict:
        """One page of ``msgs`` within ``oldest``/``latest`` (``inclusive``), ``limit`` long, with a cursor."""
        inclusive = _truthy(args.get("inclusive"))
        oldest, latest = _ts_key(args.get("oldest") or 0), _ts_key(args.get("latest") or 9_999_999_999)
        msgs = [
            m
            for m in msgs
            if (oldest <= _ts_key(m["ts"]) <= latest if inclusive else oldest < _ts_key(m["ts"]) < latest)
        ]
        start, limit = int(args.get("cursor") or 0), int(args.get("limit") or 100)
        page = self._strip_metadata(msgs[start : start + limit], args)
        has_more = len(msgs) > start + limit
        return {
            "messages": page,
            "has_more": has_more,
            "response_metadata": {"next_cursor": str(start + limit) if has_more else ""},
        }

    @staticmethod
    def _strip_metadata(msgs: list[dict], args: dict) -> list[dict]:
        msgs = copy.deepcopy(msgs)
        if not _truthy(args.get("include_all_metadata")):
            for m in msgs:
                m.pop("metadata", None)
        return msgs

    # ----------------------------------------------------------------- views
    def _check_view(self, view: Any) -> dict:
        if not isinstance(view, dict):
            raise _SlackError("invalid_arguments", ["[ERROR] missing required field: view"])
        msgs = []
        try:
            View(**view).validate_json()
        except Exception as e:
            msgs.append(f"[ERROR] {e} [json-pointer:/view]")
        if view.get("type") == "modal" and not view.get("title"):
            msgs.append("[ERROR] missing required field: title [json-pointer:/view/title]")
        if "blocks" not in view:
            msgs.append("[ERROR] missing required field: blocks [json-pointer:/view/blocks]")
        else:
            msgs += _block_messages(view["blocks"], None, "/view/blocks")
        if msgs:
            raise _SlackError("invalid_arguments", msgs)
        return view

    def _use_trigger(self, args: dict) -> None:
        self._require(args, "trigger_id")
        trigger = str(args["trigger_id"])
        if trigger.startswith("expired") or trigger in self._used_triggers:
            raise _SlackError("expired_trigger_id")

    def _store_view(self, view: dict, view_id: str | None = None, previous: dict | None = None) -> dict:
        view_id = view_id or f"V{uuid.uuid4().hex[:10].upper()}"
        obj = {
            "type": view.get("type"),
            "blocks": [],
            "private_metadata": "",
            "callback_id": "",
            "state": {"values": {}},
            "title": None,
            "close": None,
            "submit": None,
            "clear_on_close": False,
            "notify_on_close": False,
            "external_id": "",
            "previous_view_id": None,
            **copy.deepcopy(view),
            "id": view_id,
            "team_id": self.team_id,
            "hash": f"{int(time.time())}.{uuid.uuid4().hex[:8]}",
            "root_view_id": (previous or {}).get("root_view_id", view_id),
            "app_id": APP_ID,
            "app_installed_team_id": self.team_id,
            "bot_id": BOT_ID,
        }
        self._views[view_id] = obj
        if obj["external_id"]:
            self._external_ids[obj["external_id"]] = view_id
        return obj

    def _api_views_open(self, args: dict) -> dict:
        self._use_trigger(args)
        view = self._check_view(args.get("view"))
        self._used_triggers.add(str(args["trigger_id"]))
        self._views_opened.append(copy.deepcopy(view))
        return {"view": copy.deepcopy(self._store_view(view))}

    _api_views_push = _api_views_open

    def _api_views_update(self, args: dict) -> dict:
        view_id = args.get("view_id") or self._external_ids.get(args.get("external_id") or "")
        if not args.get("view_id") and not args.get("external_id"):
            raise _SlackError("invalid_arguments", ["[ERROR] view_id or external_id is required"])
        old = self._views.get(view_id or "")
        if old is None:
            raise _SlackError("not_found")
        if args.get("hash") and args["hash"] != old["hash"]:
            raise _SlackError("hash_conflict")
        view = self._check_view(args.get("view"))
        self._views_opened.append(copy.deepcopy(view))
        return {"view": copy.deepcopy(self._store_view(view, view_id, old))}

    def _api_views_publish(self, args: dict) -> dict:
        self._require(args, "user_id")
        view = self._check_view(args.get("view"))
        if view.get("type") != "home":
            raise _SlackError("invalid_arguments", ["[ERROR] view.type must be home [json-pointer:/view/type]"])
        previous = self._home.get(args["user_id"])
        if args.get("hash") and previous and args["hash"] != previous["hash"]:
            raise _SlackError("hash_conflict")
        obj = self._store_view(view, previous["id"] if previous else None, previous)
        self._home[args["user_id"]] = obj
        return {"view": copy.deepcopy(obj)}

    # ----------------------------------------------------------------- response_url
    def _handle_response_url(self, path: str, args: dict, headers: dict) -> tuple[int, dict, Any]:
        rid = path[len("/response/") :]
        call = Call("response_url", args, headers, path=path)
        extra: dict = {}
        with self._lock:
            failure = self._pop_failure(call)
            uses = self._response_urls.get(rid)
            if failure:
                status, body = self._failure_response(failure, extra)
            elif uses is None:
                status, body = 404, "expired_url"
            elif uses >= RESPONSE_URL_USES:
                status, body = 404, "used_url"
            else:
                try:
                    if not _truthy(args.get("delete_original")):
                        self._check_message(args)
                    status, body = 200, "ok"
                    self._response_urls[rid] = uses + 1
                except _SlackError as e:
                    status, body = 400, e.error
            call.status, call.response = status, body
            self._record(call)
        return status, extra, body
