"""Sends the outbox to Slack: renders each row from current data, retries 429/5xx, never posts twice.

A chat.postMessage carries `metadata.event_payload.outbox_id`. Before a retry whose earlier attempt
may have landed (timeout, 5xx, a crash between sending and recording), the channel is searched for
that id and the found message's ts is recorded instead of posting again.
"""

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.blocks import customer as cb
from bot.blocks import handoff as hb
from bot.blocks import roadmap as rb
from bot.blocks.help import help_message
from bot.db import Sessions
from bot.i18n import normalize_locale
from bot.models import Customer, Handoff, OutboxMessage, RoadmapItem, VocLink, VocNote
from bot.money import format_amount
from bot.services import customer as cs
from bot.services import handoff as hs
from bot.services import outbox as outbox_service
from bot.services import roadmap as rs
from bot.services import schedules, voc
from bot.services.health_config import HealthRules
from bot.services.queue import backoff, claim, due_ids, held_until, hold_channel
from bot.slack_users import UserDirectory
from bot.viewdata.handoff import field_values

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


@dataclass
class Renderers:
    """Kind -> function(db, team_id, params) returning what to send now."""

    table: dict[str, Callable[[Session, str, dict], Render]] = field(default_factory=dict)

    def register(self, kind: str):
        def deco(fn):
            self.table[kind] = fn
            return fn

        return deco


class Pacer:
    """Slack takes about one message per second per channel: `wait(channel)` returns when the next post there
    may go, sleeping if it must (only ever in the outbox's own thread), and `hold` keeps a channel quiet after
    a 429's Retry-After. Time and sleep are injected so tests control them."""

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

    def hold(self, channel: str, seconds: float) -> None:
        with self._lock:
            self._next[channel] = max(self._next.get(channel, 0.0), self.monotonic() + seconds)


class Outbox:
    """Delivers outbox rows; `run_once` for tests and the CLI, `start` for a background thread."""

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
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- running ------------------------------------------------------------------------------------
    def wake(self) -> None:
        """Tell the background thread there is new work (called after a commit that enqueued)."""
        self._wake.set()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="baton-outbox", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # keep delivering whatever one row does
                log.exception("outbox loop error")
            self._wake.wait(timeout=1.0)
            self._wake.clear()

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
        with self.sessions.begin() as db:
            row = db.get(OutboxMessage, row_id)
            params = json.loads(row.payload)
            renderer = self.renderers.table.get(row.method)
            try:
                result = renderer(db, row.team_id, params) if renderer else Drop(f"no renderer for {row.method}")
            except SlackApiError as exc:  # a lookup the renderer needed failed
                result = exc
            status, attempts, team_id = row.status, row.attempts, row.team_id
        if isinstance(result, SlackApiError):
            self._failed(row_id, attempts, result)
            return
        if isinstance(result, Drop):
            log.log(logging.INFO if result.routine else logging.WARNING, "outbox %s dropped: %s", row_id, result.reason)
            self._finish(row_id, status="dropped", error=result.reason)
            return
        if isinstance(result, Defer):
            self._reschedule(row_id, timedelta(seconds=result.seconds), result.reason)
            return

        send = result
        posting = send.method == "chat.postMessage"
        if posting:
            # A 429 holds the channel for every process (slack_channel_holds): its rows are deferred with their
            # lease released, never slept on, so other channels keep flowing and no lease is slept through.
            with self.sessions.begin() as db:
                until = held_until(db, team_id, send.kwargs["channel"], self.clock())
            if until is not None:  # keep status: unknown stays unknown
                self._reschedule(row_id, until - self.clock(), "channel held after a 429", not_sent=False)
                return
            send.kwargs["metadata"] = {"event_type": METADATA_TYPE, "event_payload": {"outbox_id": row_id}}
            if status == "sending":  # an earlier attempt may have landed
                try:
                    found = self._find_posted(row_id, send.kwargs)
                except _Retry as exc:
                    self._failed(row_id, attempts, exc)
                    return
                if found:
                    self._finish(row_id, status="sent", channel=send.kwargs["channel"], ts=found, on_sent=send.on_sent)
                    return
            with self.sessions.begin() as db:
                row = db.get(OutboxMessage, row_id)
                row.status, row.sending_since = "sending", self.clock()
                db.add(row)
        if posting:
            self.pacer.wait(send.kwargs["channel"])
        try:
            resp = getattr(self.client, _python_name(send.method))(**send.kwargs)
        except (SlackApiError, SlackRequestError, OSError) as exc:
            if posting and isinstance(exc, SlackApiError) and exc.response is not None:
                if exc.response.status_code == 429:
                    until = self.clock() + timedelta(seconds=_retry_after(exc.response))
                    with self.sessions.begin() as db:
                        hold_channel(db, team_id, send.kwargs["channel"], until)
            self._failed(row_id, attempts, exc)
            return
        channel = resp.get("channel") or send.kwargs.get("channel")
        ts = resp.get("ts") or resp.get("message_ts") or send.kwargs.get("ts")
        self._finish(row_id, status="sent", channel=channel, ts=ts, on_sent=send.on_sent)

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


# --- renderers for the handoff -----------------------------------------------------------------------


def card_data(db: Session, h: Handoff) -> hb.CardData:
    """What the handoff card shows, read from the database."""
    filled, total = hs.completeness(h)
    customer = db.get(Customer, h.customer_id) if h.customer_id else None
    return hb.CardData(
        values=field_values(h),  # every field of the table, so a new field reaches the card without an edit here
        handoff_id=h.id,
        customer=(customer.name if customer else None) or h.customer_name or "—",
        status=h.status,
        version=h.version,
        arr=h.arr,
        currency=h.currency,
        contract_start=h.contract_start,
        term_months=h.term_months,
        renewal_date=h.renewal_date,
        kickoff_date=h.kickoff_date,
        ae_user_id=h.ae_user_id,
        se_user_id=h.se_user_id,
        csm_user_id=h.csm_user_id,
        submitted_by=h.submitted_by,
        submitted_at=h.submitted_at,
        accepted_by=h.accepted_by,
        accepted_at=h.accepted_at,
        bad_fit_by=h.bad_fit_by,
        bad_fit_reason=h.bad_fit_reason,
        bad_fit_at=h.bad_fit_at,
        products_sold=h.products_sold,
        why_bought=h.why_bought,
        business_goals=h.business_goals,
        success_criteria=h.success_criteria,
        risks=h.risks,
        icp_fit=h.icp_fit,
        competitors=h.competitors,
        tech_requirements=h.tech_requirements,
        links=h.links,
        feature_requests=h.feature_requests,
        promises=[
            hb.PromiseLine(p.text, p.owner_user_id, p.owner_name, p.due_date, p.status == "done")
            for p in hs.promises_of(db, h)
        ],
        stakeholders=[hb.StakeholderLine(s.role, s.name, s.title, s.email) for s in hs.stakeholders_of(db, h)],
        filled=filled,
        total=total,
    )


def renderers(
    users: UserDirectory,
    client: WebClient,
    default_locale: str,
    *,
    health_rules: HealthRules | None = None,
    clock: Callable[[], datetime] | None = None,
) -> Renderers:
    """Renderers for every outbox kind Baton queues."""
    r = Renderers()
    channel_locale = normalize_locale(default_locale)
    rules = health_rules or HealthRules()

    def load(db: Session, team_id: str, params: dict) -> Handoff | None:
        return db.get(Handoff, params["handoff_id"]) if params.get("handoff_id") else None

    @r.register("handoff_card.post")
    def _post(db, team_id, params):
        h = load(db, team_id, params)
        if h is None or h.team_id != team_id:
            return Drop("handoff gone")
        if h.card_ts:
            return Drop("card already posted")
        blocks, text = hb.handoff_card(card_data(db, h), channel_locale)
        hid = h.id

        def on_sent(db2: Session, channel: str, ts: str) -> None:
            row = db2.get(Handoff, hid)
            row.card_channel, row.card_ts = channel, ts
            db2.add(row)

        kwargs = {
            "channel": h.card_channel,
            "blocks": hb.dumps_blocks(blocks),
            "text": text,
            "unfurl_links": False,
        }
        return Send("chat.postMessage", kwargs, on_sent)

    @r.register("handoff_card.update")
    def _update(db, team_id, params):
        h = load(db, team_id, params)
        if h is None or h.team_id != team_id:
            return Drop("handoff gone")
        if not h.card_ts:
            return Defer(5, "card not posted yet")
        blocks, text = hb.handoff_card(card_data(db, h), channel_locale)
        return Send(
            "chat.update",
            {"channel": h.card_channel, "ts": h.card_ts, "blocks": hb.dumps_blocks(blocks), "text": text},
        )

    def thread_post(h: Handoff, blocks, text) -> Render:
        if not h.card_ts:
            return Defer(5, "card not posted yet")
        return Send(
            "chat.postMessage",
            {
                "channel": h.card_channel,
                "thread_ts": h.card_ts,
                "blocks": hb.dumps_blocks(blocks),
                "text": text,
            },
        )

    @r.register("handoff.ask_ae")
    def _ask(db, team_id, params):
        h = load(db, team_id, params)
        if h is None or h.team_id != team_id:
            return Drop("handoff gone")
        blocks, text = hb.ask_ae_thread_message(channel_locale, h.ae_user_id, params["asker"], params["question"])
        return thread_post(h, blocks, text)

    @r.register("handoff.bad_fit")
    def _bad_fit(db, team_id, params):
        h = load(db, team_id, params)
        if h is None or h.team_id != team_id:
            return Drop("handoff gone")
        blocks, text = hb.bad_fit_thread_message(channel_locale, params["flagger"], params["reason"])
        return thread_post(h, blocks, text)

    @r.register("handoff.fill_request")
    def _fill(db, team_id, params):
        h = load(db, team_id, params)
        if h is None or h.team_id != team_id:
            return Drop("handoff gone")
        if h.status != hs.DRAFT:  # filled in (e.g. via /handoff) before this request went out
            return Drop("handoff already submitted")
        owner = params.get("owner_user_id")
        if owner:
            locale = users.locale(team_id, owner)
            channel = client.conversations_open(users=owner)["channel"]["id"]
        elif params.get("channel"):
            locale, channel = channel_locale, params["channel"]
        else:  # the channel is fixed when queued, so no retry could ever deliver this
            return Drop("deal owner not in Slack and BATON_HANDOFF_CHANNEL is not set")
        amount = format_amount(h.arr, h.currency, locale) if h.arr is not None and h.currency else None
        blocks, text = hb.fill_request(
            locale,
            h.id,
            h.crm_deal_name or h.customer_name or "",
            h.customer_name or "",
            amount,
            owner_found=bool(owner),
            owner_email=h.crm_owner_email,
        )
        return Send("chat.postMessage", {"channel": channel, "blocks": hb.dumps_blocks(blocks), "text": text})

    @r.register("reply.help")
    def _help(db, team_id, params):
        blocks, text = help_message(users.locale(team_id, params.get("user")))
        return Send(
            "chat.postMessage",
            {
                "channel": params["channel"],
                "thread_ts": params["thread_ts"],
                "blocks": hb.dumps_blocks(blocks),
                "text": text,
            },
        )

    @r.register("customer.share")
    def _share(db, team_id, params):
        # Drawn now, from current data, with the fields the team's health settings hide when shared left out.
        today = (clock() if clock else datetime.now(UTC)).date()
        try:
            status = cs.customer_status(db, team_id, int(params["customer_id"]), today, rules)
        except cs.CustomerNotFound:
            return Drop("customer gone")
        blocks, text = cb.customer_card(status, channel_locale, shared_by=params["user"])
        kwargs = {"channel": params["channel"], "blocks": hb.dumps_blocks(blocks), "text": text, "unfurl_links": False}
        return Send("chat.postMessage", kwargs)

    _roadmap_renderers(r, users, client, channel_locale, rules, clock or (lambda: datetime.now(UTC)))
    _schedule_renderers(r, client, clock or (lambda: datetime.now(UTC)))
    return r


# --- renderers for scheduled messages -------------------------------------------------------------------

# The outbox row of part k of occurrence N has the idempotency key occ:N:k (see services/schedules.record).
FINISHED_BADLY = ("failed", "dropped")


def _schedule_renderers(r: Renderers, client: WebClient, clock: Callable[[], datetime]) -> None:
    """Scheduled messages (digests, reminders, nudges): the parts were built when the occurrence was claimed;
    part 0 is posted (a DM through conversations.open), the others follow in its thread, strictly in order."""

    def part_row(db: Session, team_id: str, occurrence_id: int, part: int) -> OutboxMessage | None:
        return db.exec(
            select(OutboxMessage).where(
                OutboxMessage.team_id == team_id, OutboxMessage.idem_key == f"occ:{occurrence_id}:{part}"
            )
        ).first()

    @r.register(schedules.POST_KIND)
    def _post(db, team_id, params):
        row = schedules.get(db, team_id, int(params["occurrence"]))
        if row is None:
            return Drop("scheduled message gone")
        dm, parts = schedules.parts_of(row)
        index = int(params["part"])
        if index >= len(parts):
            return Drop(f"scheduled message {row.key} has no part {index}")
        part = parts[index]
        kwargs = {"text": part.text, "blocks": json.dumps(part.blocks), "unfurl_links": False, "unfurl_media": False}
        if index == 0:
            if row.ts:
                return Drop("already posted", routine=True)
            channel = client.conversations_open(users=row.recipient)["channel"]["id"] if dm else row.recipient
            occurrence_id = row.id

            def on_sent(db2: Session, channel: str, ts: str) -> None:
                schedules.mark_sent(db2, occurrence_id, channel, ts, clock())

            return Send("chat.postMessage", {"channel": channel, **kwargs}, on_sent)
        if not row.ts:
            first = part_row(db, team_id, row.id, 0)
            if first is not None and first.status in FINISHED_BADLY:
                return Drop(f"the message of {row.key} was never posted ({first.last_error}); its thread cannot be")
            return Defer(2, "waiting for the message this part replies to")
        previous = part_row(db, team_id, row.id, index - 1)
        if previous is not None and previous.status not in ("sent", *FINISHED_BADLY):
            return Defer(1, "waiting for the previous part (thread replies go in order)")
        return Send("chat.postMessage", {"channel": row.channel, "thread_ts": row.ts, **kwargs})


# --- renderers for the roadmap -----------------------------------------------------------------------

# Answers that mean an item's thread is gone (nothing left to look for in it).
GONE = {"thread_not_found", "channel_not_found", "message_not_found", "is_archived"}


def voc_post_data(db: Session, link: VocLink) -> rb.VocPost:
    """What a tagged note's post in the item's thread shows, read from the database."""
    note = db.get(VocNote, link.voc_id)
    customer = db.get(Customer, note.customer_id)
    return rb.VocPost(
        link_id=link.id,
        voc_id=note.id,
        item_id=link.item_id,
        customer=customer.name,
        arr=customer.arr,
        currency=customer.currency,
        quote=note.quote,
        importance=note.importance,
        reporters=voc.reporters(db, link.team_id, note.id),
        tagged_by=link.tagged_by,
        permalink=note.permalink,
    )


def _roadmap_renderers(
    r: Renderers,
    users: UserDirectory,
    client: WebClient,
    channel_locale: str,
    rules: HealthRules,
    clock: Callable[[], datetime],
) -> None:
    """The kinds bot/services/roadmap.py queues: the item's parent message (posted, then updated in place), each
    tagged note's post in its thread (and its deletion), and the DM to each owner when the item ships."""

    def item_of(db: Session, team_id: str, item_id) -> RoadmapItem | None:
        item = db.get(RoadmapItem, int(item_id))
        return item if item is not None and item.team_id == team_id else None

    # Item id -> the newest version its parent message is known to show (sent from this process). Updates queued
    # for older versions are then dropped: a burst of tags costs one chat.update, not one per tag. The version is
    # read before the tally, so a message never claims a newer version than the data it was drawn from.
    shown: dict[int, int] = {}

    def parent(db: Session, item: RoadmapItem) -> tuple[dict, Callable[[], None]]:
        item_id, version = item.id, item.version
        tally = rs.tally(db, item.team_id, item.id, clock().date(), rules)
        blocks, text = rb.parent_message(item, tally, channel_locale)

        def record() -> None:
            shown[item_id] = max(shown.get(item_id, version), version)

        return {"blocks": hb.dumps_blocks(blocks), "text": text}, record

    @r.register("roadmap.parent.post")
    def _parent_post(db, team_id, params):
        item = item_of(db, team_id, params["item_id"])
        if item is None:
            return Drop("roadmap item gone")
        if item.ts:
            return Drop("parent already posted")
        item_id = item.id
        message, record = parent(db, item)

        def on_sent(db2: Session, channel: str, ts: str) -> None:
            row = db2.get(RoadmapItem, item_id)
            row.channel, row.ts = channel, ts
            db2.add(row)
            record()

        return Send("chat.postMessage", {"channel": item.channel, **message, "unfurl_links": False}, on_sent)

    @r.register("roadmap.parent.update")
    def _parent_update(db, team_id, params):
        # One row per version; each draws the current tally, so the newest one sent shows everything.
        item = item_of(db, team_id, params["item_id"])
        if item is None:
            return Drop("roadmap item gone")
        if not item.ts:
            return Defer(5, "parent not posted yet")
        if shown.get(item.id, -1) >= item.version:
            return Drop(f"the parent already shows version {item.version}", routine=True)
        message, record = parent(db, item)
        return Send("chat.update", {"channel": item.channel, "ts": item.ts, **message}, lambda *_: record())

    def landed_post(item: RoadmapItem, link_id: int) -> str | None:
        """The ts of this link's post if it is in the item's thread already (an attempt that landed unconfirmed):
        posts carry their link in a block id."""
        block_id = f"{rb.LINK_BLOCK_PREFIX}{link_id}"
        cursor = None
        for _ in range(20):  # 200 replies a page
            resp = client.conversations_replies(channel=item.channel, ts=item.ts, cursor=cursor, limit=200)
            for message in resp.get("messages") or []:
                if message.get("bot_id") and any(b.get("block_id") == block_id for b in message.get("blocks") or []):
                    return message["ts"]
            cursor = (resp.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
        return None

    @r.register("roadmap.voc.post")
    def _voc_post(db, team_id, params):
        link = db.get(VocLink, int(params["link_id"]))
        if link is None or link.team_id != team_id:
            # Untagged before the post went out. An earlier attempt may have landed without an answer (5xx,
            # timeout): then the post is in the thread with no link to remember it, so it is taken down now.
            item = item_of(db, team_id, params["item_id"]) if params.get("item_id") else None
            if item is None or not item.ts:
                return Drop("untagged before the post went out")
            try:
                landed = landed_post(item, int(params["link_id"]))
            except SlackApiError as exc:
                if exc.response is not None and exc.response.get("error") in GONE:
                    return Drop("untagged before the post went out; the thread is gone")
                raise
            if landed is None:
                return Drop("untagged before the post went out")
            return Send("chat.delete", {"channel": item.channel, "ts": landed})
        if link.thread_ts:
            return Drop("already posted")
        item = db.get(RoadmapItem, link.item_id)
        if not item.ts:
            return Defer(5, "parent not posted yet")
        blocks, text = rb.voc_post(voc_post_data(db, link), channel_locale)
        link_id = link.id

        def on_sent(db2: Session, channel: str, ts: str) -> None:
            # UPDATE .. RETURNING, not a read then a write: an untag committing meanwhile either sees this ts
            # (and queues the delete itself) or has removed the row, and then the post is taken down here.
            stored = db2.exec(
                update(VocLink).where(col(VocLink.id) == link_id).values(thread_ts=ts).returning(VocLink.id)
            ).first()
            if stored is None:
                key = f"roadmap:link:{link_id}:delete"
                params = {"channel": channel, "ts": ts}
                outbox_service.enqueue(db2, team_id, key, "roadmap.voc.delete", params, now=clock())

        kwargs = {
            "channel": item.channel,
            "thread_ts": item.ts,
            "blocks": hb.dumps_blocks(blocks),
            "text": text,
            "unfurl_links": False,
        }
        return Send("chat.postMessage", kwargs, on_sent)

    @r.register("roadmap.voc.delete")
    def _voc_delete(db, team_id, params):
        return Send("chat.delete", {"channel": params["channel"], "ts": params["ts"]})

    @r.register("roadmap.shipped_dm")
    def _shipped_dm(db, team_id, params):
        item = item_of(db, team_id, params["item_id"])
        if item is None:
            return Drop("roadmap item gone")
        if item.status != "shipped":  # moved back before the DM went out: it goes when the item ships again
            return Defer(3600, "item no longer shipped")
        owner = params["user_id"]
        notes = rs.linked_notes(db, team_id, item.id, customer_owner=owner)
        if not notes:
            return Drop("none of the owner's customers is tagged any more")
        link = None
        if item.channel and item.ts:
            try:
                link = client.chat_getPermalink(channel=item.channel, message_ts=item.ts)["permalink"]
            except (SlackApiError, SlackRequestError, OSError) as exc:  # the DM is still worth sending
                log.info("no permalink for roadmap item %s: %s", item.id, getattr(exc, "response", exc))
        locale = users.locale(team_id, owner)
        channel = client.conversations_open(users=owner)["channel"]["id"]
        blocks, text = rb.shipped_dm(item.title, notes, link, locale)
        return Send("chat.postMessage", {"channel": channel, "blocks": hb.dumps_blocks(blocks), "text": text})
