"""The sending engine: delivers outbox rows to Slack, retries 429/5xx, never posts twice.

Feature-blind: what a row says is drawn by the renderer registered for its kind (bot/renderers/ builds the
registry); this module only claims rows, asks the renderer, honours channel holds and the pacer, sends, and
records the outcome. A chat.postMessage carries `metadata.event_payload.outbox_id`. Before a retry whose earlier
attempt may have landed (timeout, 5xx, a crash between sending and recording), the channel is searched for that
id and the found message's ts is recorded instead of posting again.
"""

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from sqlmodel import Session

from bot.background import BackgroundLoop
from bot.db import Sessions
from bot.models import OutboxMessage
from bot.services.queue import backoff, claim, due_ids, held_until, hold_channel

log = logging.getLogger("baton.outbox")

METADATA_TYPE = "baton_outbox"
LEASE = timedelta(seconds=60)
# Reconciliation looks for an earlier attempt's message only around that attempt (clock skew to Slack
# allowed for), through every page of history, but never more than this many pages of 200.
RECONCILE_SKEW = 30.0
RECONCILE_MAX_PAGES = 50
# The pacer sleeps at most this long (far under LEASE); a 429's longer Retry-After defers rows instead.
MAX_PACER_SLEEP = 5.0
# Errors that no retry can fix: the message itself is wrong. Everything else is retried.
PERMANENT = {
    "invalid_blocks",
    "invalid_blocks_format",
    "msg_too_long",
    "msg_blocks_too_long",
    "invalid_arguments",
    "invalid_metadata_format",
    "invalid_metadata_schema",
    "no_text",
    "too_many_attachments",
    "cant_update_message",
    "edit_window_closed",
    "message_not_found",
}
# Errors an admin must fix (invite the bot, fix the token): retried slowly, logged loudly.
NEEDS_ADMIN = {
    "not_in_channel",
    "channel_not_found",
    "is_archived",
    "invalid_auth",
    "account_inactive",
    "missing_scope",
    "token_revoked",
    "not_authed",
    "restricted_action",
}


@dataclass
class Send:
    method: str
    kwargs: dict[str, Any]
    on_sent: Callable[[Session, str, str], None] | None = None


@dataclass
class Defer:
    seconds: float
    reason: str


@dataclass
class Drop:
    reason: str
    routine: bool = False  # an expected outcome (e.g. a newer update already sent): logged at info, not warning


Render = Send | Defer | Drop
Renderer = Callable[[Session, str, dict], Render]


@dataclass
class Renderers:
    """Kind -> function(db, team_id, params) returning what to send now. Kinds are the features' StrEnum
    members (bot/services/outbox.py `OutboxKind`), so a row's stored string finds its renderer."""

    table: dict[str, Renderer] = field(default_factory=dict)

    def register(self, kind: StrEnum) -> Callable[[Renderer], Renderer]:
        """Decorator: `fn` draws messages of `kind`; a kind has exactly one renderer."""

        def deco(fn: Renderer) -> Renderer:
            if kind in self.table:
                raise ValueError(f"a renderer for {kind!r} is registered already")
            self.table[kind] = fn
            return fn

        return deco


@dataclass
class _Row:
    """What one delivery attempt needs from its row, read with the render."""

    id: int
    team_id: str
    status: str
    attempts: int


class Pacer:
    """Slack takes about one message per second per channel: `wait(channel)` returns when the next post there
    may go, sleeping if it must (only ever in the outbox's own thread). A 429 holds the channel in the database
    instead (slack_channel_holds). Time and sleep are injected so tests control them."""

    def __init__(
        self,
        interval: float = 1.0,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.interval = interval
        self.monotonic = monotonic
        self.sleep = sleep
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, channel: str) -> None:
        with self._lock:
            now = self.monotonic()
            start = max(now, self._next.get(channel, 0.0))
            self._next[channel] = start + self.interval
            if len(self._next) > 10_000:  # forget channels that have long been quiet
                self._next = {c: t for c, t in self._next.items() if t > now}
        if start > now:
            self.sleep(min(start - now, MAX_PACER_SLEEP))


class Outbox(BackgroundLoop):
    """Delivers outbox rows; `run_once` for tests and the CLI, `start` for a background thread."""

    THREAD, IDLE = "baton-outbox", 1.0

    def __init__(
        self,
        sessions: Sessions,
        client: WebClient,
        clock: Callable[[], datetime],
        renderers: Renderers,
        pacer: Pacer | None = None,
    ):
        self.sessions = sessions
        self.client = client
        self.clock = clock
        self.renderers = renderers
        self.pacer = pacer or Pacer()
        super().__init__(log)

    def run_once(self) -> int:
        """Process every due row once; returns how many were attempted."""
        now = self.clock()
        with self.sessions.begin() as db:
            ids = due_ids(db, OutboxMessage, now)
        done = 0
        for row_id in ids:
            with self.sessions.begin() as db:
                if not claim(db, OutboxMessage, row_id, self.clock(), LEASE):
                    continue
            self._deliver(row_id)
            done += 1
        return done

    # -- one row ------------------------------------------------------------------------------------
    def _deliver(self, row_id: int) -> None:
        """Render the claimed row, then settle it: drop, defer, or send (a post first clears the channel hold
        and reconciles an earlier attempt)."""
        row, result = self._render(row_id)
        if isinstance(result, SlackApiError):
            self._failed(row.id, row.attempts, result)
        elif isinstance(result, Drop):
            level = logging.INFO if result.routine else logging.WARNING
            log.log(level, "outbox %s dropped: %s", row.id, result.reason)
            self._finish(row.id, status="dropped", error=result.reason)
        elif isinstance(result, Defer):
            self._reschedule(row.id, timedelta(seconds=result.seconds), result.reason)
        elif result.method != "chat.postMessage" or self._prepare_post(row, result):
            self._send(row, result)

    def _render(self, row_id: int) -> tuple[_Row, Render | SlackApiError]:
        """Ask the kind's renderer what to send now, from current data (a failed Slack look-up is returned)."""
        with self.sessions.begin() as db:
            row = db.get(OutboxMessage, row_id)
            params = json.loads(row.payload)
            renderer = self.renderers.table.get(row.method)
            try:
                result = renderer(db, row.team_id, params) if renderer else Drop(f"no renderer for {row.method}")
            except SlackApiError as exc:  # a lookup the renderer needed failed
                result = exc
            return _Row(row_id, row.team_id, row.status, row.attempts), result

    def _prepare_post(self, row: _Row, send: Send) -> bool:
        """Before a chat.postMessage: False when it must not go now (channel held, or an earlier attempt is
        found or cannot be ruled out); otherwise stamps the metadata and marks the row "sending"."""
        channel = send.kwargs["channel"]
        # A 429 holds the channel for every process (slack_channel_holds): its rows are deferred with their
        # lease released, never slept on, so other channels keep flowing and no lease is slept through.
        with self.sessions.begin() as db:
            until = held_until(db, row.team_id, channel, self.clock())
        if until is not None:  # keep status: unknown stays unknown
            self._reschedule(row.id, until - self.clock(), "channel held after a 429", not_sent=False)
            return False
        send.kwargs["metadata"] = {"event_type": METADATA_TYPE, "event_payload": {"outbox_id": row.id}}
        if row.status == "sending":  # an earlier attempt may have landed
            try:
                found = self._find_posted(row.id, send.kwargs)
            except _Retry as exc:
                self._failed(row.id, row.attempts, exc)
                return False
            if found:
                self._finish(row.id, status="sent", channel=channel, ts=found, on_sent=send.on_sent)
                return False
        with self.sessions.begin() as db:
            stored = db.get(OutboxMessage, row.id)
            stored.status, stored.sending_since = "sending", self.clock()
            db.add(stored)
        return True

    def _send(self, row: _Row, send: Send) -> None:
        """Make the call (a post waits for the pacer first) and record the outcome; a 429 holds the channel."""
        posting = send.method == "chat.postMessage"
        if posting:
            self.pacer.wait(send.kwargs["channel"])
        try:
            resp = getattr(self.client, _python_name(send.method))(**send.kwargs)
        except (SlackApiError, SlackRequestError, OSError) as exc:
            if posting and isinstance(exc, SlackApiError) and exc.response is not None:
                if exc.response.status_code == 429:
                    until = self.clock() + timedelta(seconds=_retry_after(exc.response))
                    with self.sessions.begin() as db:
                        hold_channel(db, row.team_id, send.kwargs["channel"], until)
            self._failed(row.id, row.attempts, exc)
            return
        channel = resp.get("channel") or send.kwargs.get("channel")
        ts = resp.get("ts") or resp.get("message_ts") or send.kwargs.get("ts")
        self._finish(row.id, status="sent", channel=channel, ts=ts, on_sent=send.on_sent)

    def _find_posted(self, row_id: int, kwargs: dict) -> str | None:
        """The ts of the message this row already posted, if Slack has it: searches only the window of the
        last attempt ([attempt start - skew, now + skew]) and follows the cursor through every page."""
        channel, thread_ts = kwargs["channel"], kwargs.get("thread_ts")
        with self.sessions.begin() as db:
            row = db.get(OutboxMessage, row_id)
            since = row.sending_since or row.created_at
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        args = {
            "channel": channel,
            "oldest": f"{since.timestamp() - RECONCILE_SKEW:.6f}",
            "latest": f"{self.clock().timestamp() + RECONCILE_SKEW:.6f}",
            "inclusive": True,
            "include_all_metadata": True,
            "limit": 200,
        }
        call = self.client.conversations_history
        if thread_ts:
            call, args["ts"] = self.client.conversations_replies, thread_ts
        cursor = None
        for _page in range(RECONCILE_MAX_PAGES):
            try:
                resp = call(**args, **({"cursor": cursor} if cursor else {}))
            except (SlackApiError, SlackRequestError, OSError) as exc:
                raise _Retry(exc) from exc
            for message in resp.get("messages", []):
                meta = message.get("metadata") or {}
                payload = meta.get("event_payload") or {}
                if meta.get("event_type") == METADATA_TYPE and payload.get("outbox_id") == row_id:
                    return message["ts"]
            cursor = (resp.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None
        # Too many pages to be sure: the outcome stays unknown rather than risking a second copy.
        raise _Retry(RuntimeError(f"reconcile of outbox {row_id} gave up after {RECONCILE_MAX_PAGES} pages"))

    def _finish(self, row_id, *, status, channel=None, ts=None, error=None, on_sent=None) -> None:
        with self.sessions.begin() as db:
            row = db.get(OutboxMessage, row_id)
            row.status, row.lease_until, row.last_error = status, None, error
            if status == "sent":
                row.sent_channel, row.sent_ts, row.sent_at = channel, ts, self.clock()
                if on_sent is not None:
                    on_sent(db, channel, ts)
            db.add(row)

    def _reschedule(self, row_id: int, delay: timedelta, error: str, *, not_sent: bool = True) -> None:
        """Try again after `delay`. `not_sent=False` when the outcome is unknown (5xx, timeout): the row stays
        "sending" so the next attempt first looks for the message in the channel."""
        with self.sessions.begin() as db:
            row = db.get(OutboxMessage, row_id)
            row.next_attempt_at, row.lease_until, row.last_error = self.clock() + delay, None, error[:2000]
            if not_sent and row.status == "sending":
                row.status = "pending"
            db.add(row)

    def _failed(self, row_id: int, attempts: int, exc: Exception) -> None:
        """Schedule the next attempt, or give up on a message Slack will never accept.

        Slack's ok:false answers and 429s say for sure the message was not posted; a 5xx, a timeout or a
        failed look-up of an earlier attempt do not, so the row stays "sending" and is reconciled first."""
        reconciling = isinstance(exc, _Retry)
        if reconciling:
            exc = exc.cause
        if not isinstance(exc, SlackApiError) or exc.response is None:
            detail = f"{type(exc).__name__}: {exc}"
            log.warning("outbox %s attempt %s failed (%s); will retry", row_id, attempts, detail)
            self._reschedule(row_id, backoff(attempts), detail, not_sent=False)
            return
        error = str(exc.response.get("error", "") or "")
        status = exc.response.status_code
        definite = not reconciling and status < 500
        if status == 429:
            retry_after = _retry_after(exc.response)
            log.info("outbox %s rate limited; retrying in %ss", row_id, retry_after)
            self._reschedule(row_id, timedelta(seconds=max(retry_after, 1)), "ratelimited", not_sent=definite)
        elif error in PERMANENT and definite:
            log.error("outbox %s failed permanently: %s %s", row_id, error, exc.response.get("response_metadata"))
            self._finish(row_id, status="failed", error=error)
        elif error in NEEDS_ADMIN or error in PERMANENT:
            log.error("outbox %s cannot be delivered until an admin acts: %s", row_id, error)
            self._reschedule(row_id, backoff(attempts, cap=1800), error, not_sent=definite)
        else:
            detail = f"HTTP {status} {error}".strip()
            log.warning("outbox %s attempt %s failed (%s); will retry", row_id, attempts, detail)
            self._reschedule(row_id, backoff(attempts), detail, not_sent=definite)


class _Retry(Exception):
    def __init__(self, cause: Exception):
        super().__init__(str(cause))
        self.cause = cause


def _retry_after(response) -> float:
    headers = response.headers or {}
    try:
        return float(headers.get("Retry-After", headers.get("retry-after", 1)))
    except (TypeError, ValueError):
        return 1.0


def _python_name(method: str) -> str:
    return method.replace(".", "_")
