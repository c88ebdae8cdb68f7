"""Slack listeners for the roadmap: `/roadmap` (list, new, help), the Make roadmap item message shortcut, tagging
VoC to an item (the note's Tag to roadmap button, or a reply in the item's thread with a link to a logged
message), Untag on the thread posts, and the status buttons on the item (product managers only).

Posts in the roadmap channel go through the outbox (bot/renderers/roadmap.py draws them); answers to one person are
ephemeral or a modal.
"""

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from slack_bolt import Ack, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.models.views import View

from bot.blocks import roadmap as rb
from bot.blocks.handoff import dumps_blocks
from bot.deps import Deps
from bot.handlers.customer import plain_text
from bot.handlers.handoff import state_values
from bot.handlers.messages import answer_privately, error_text, modal_errors, read_action, read_meta, stale_form
from bot.handlers.registry import Registry
from bot.i18n import t
from bot.services import customer as cs
from bot.services import roadmap as rs
from bot.services import voc
from bot.text import escape_mrkdwn, truncate

log = logging.getLogger("baton.roadmap")

COMMAND = "/roadmap"
SHORTCUT = "roadmap_make_item"  # message shortcut: "Make roadmap item"
MESSAGE_EVENTS = ("message.channels", "message.groups")  # replies in the roadmap channel (public or private)
NEW_WORDS = frozenset({"new", "add", "create", "새", "새로", "추가", "만들기"})
LIST_WORDS = frozenset({"", "list", "ls", "목록"})
PM_TTL = timedelta(minutes=2)
MAX_MEMBER_PAGES = 50  # conversations.members pages of 999 (a channel of ~50,000 people)
# A Slack message link as pasted (Slack wraps it in <...>, with &amp; in its query): the channel and the
# message ts (p + 16 digits); `?thread_ts=` names the thread, not the message.
MESSAGE_LINK_RE = re.compile(r"https://[A-Za-z0-9.-]+\.slack\.com/archives/([CGD][A-Z0-9]+)/p(\d{10})(\d{6})\b")


def message_links(text: str) -> list[tuple[str, str]]:
    """(channel, ts) of every Slack message link in `text`, each once, in order."""
    seen: dict[tuple[str, str], None] = {}
    for channel, secs, micros in MESSAGE_LINK_RE.findall(text or ""):
        seen.setdefault((channel, f"{secs}.{micros}"), None)
    return list(seen)


@dataclass(frozen=True)
class PmCheck:
    allowed: bool
    error: str | None = None  # why Slack could not say (a scope or a wrong id), when it could not


class ProductManagers:
    """Who may change a roadmap item's status: members of BATON_PM_USERGROUP (usergroups.users.list) or of
    BATON_PM_CHANNEL (conversations.members). Member lists are cached for PM_TTL, so a run of clicks asks
    Slack once and a change in the group takes effect within minutes."""

    def __init__(
        self,
        client: WebClient,
        clock: Callable[[], datetime],
        usergroup: str | None,
        channel: str | None,
        ttl: timedelta = PM_TTL,
    ):
        self.client, self.clock, self.ttl = client, clock, ttl
        self.sources = tuple((kind, ident) for kind, ident in (("usergroup", usergroup), ("channel", channel)) if ident)
        self._cache: dict[tuple[str, str, str], tuple[frozenset[str], datetime]] = {}
        self._lock = threading.Lock()

    @property
    def configured(self) -> bool:
        return bool(self.sources)

    def check(self, team_id: str, user_id: str) -> PmCheck:
        error = None
        for kind, ident in self.sources:
            try:
                members = self._members(team_id, kind, ident)
            except (SlackApiError, SlackRequestError, OSError) as exc:
                response = getattr(exc, "response", None)
                error = str(response.get("error") or "") if response is not None else type(exc).__name__
                log.warning("could not list the product managers of %s %s: %s", kind, ident, error)
                continue
            if user_id in members:
                return PmCheck(True)
        return PmCheck(False, error)

    def _members(self, team_id: str, kind: str, ident: str) -> frozenset[str]:
        key = (team_id, kind, ident)
        now = self.clock()
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None and now - cached[1] < self.ttl:
            return cached[0]
        if kind == "usergroup":
            members = frozenset(self.client.usergroups_users_list(usergroup=ident)["users"] or [])
        else:
            found: set[str] = set()
            cursor = None
            for _ in range(MAX_MEMBER_PAGES):
                resp = self.client.conversations_members(channel=ident, cursor=cursor, limit=999)
                found.update(resp["members"] or [])
                cursor = (resp.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    break
            members = frozenset(found)
        with self._lock:
            self._cache[key] = (members, now)
        return members


def product_managers(deps: Deps) -> ProductManagers:
    """The process's ProductManagers, from the settings (put into Bolt's context by a middleware)."""
    return ProductManagers(deps.client, deps.clock, deps.settings.pm_usergroup, deps.settings.pm_channel)


def channel_ref(deps: Deps, locale: str) -> str:
    channel = deps.settings.roadmap_channel
    return f"<#{channel}>" if channel else t(locale, "roadmap.channel_unset")


# --- /roadmap ------------------------------------------------------------------------------------------------


def handle_roadmap_command(ack: Ack, body: dict, respond: Respond, deps: Deps, team_id: str, user_id: str) -> None:
    """`/roadmap` (list), `/roadmap new TITLE`, or help."""
    ack()
    settings = deps.settings
    locale = deps.users.locale(team_id, user_id)
    words = (body.get("text") or "").strip().split(maxsplit=1)
    verb = words[0].casefold() if words else ""
    if verb in NEW_WORDS:
        title = words[1] if len(words) > 1 else ""
        text = _create_from_command(deps, team_id, user_id, locale, title, body["trigger_id"])
        respond(text=text, response_type="ephemeral")
    elif verb in LIST_WORDS:
        with deps.sessions.begin() as db:
            ranked = rs.ranked_items(db, team_id, settings.default_currency)
        blocks, text = rb.ranked_list(ranked, locale, body.get("team_domain"))
        respond(blocks=dumps_blocks(blocks), text=text, response_type="ephemeral")
    else:  # help, or anything Baton does not understand
        blocks, text = rb.usage_message(locale, settings.roadmap_channel)
        respond(blocks=dumps_blocks(blocks), text=text, response_type="ephemeral")


def _create_from_command(deps: Deps, team: str, user: str, locale: str, title: str, trigger_id: str) -> str:
    channel = deps.settings.roadmap_channel
    if not channel:
        return t(locale, "roadmap.no_channel")
    try:
        with deps.sessions.begin() as db:
            # The trigger id names this one command: the same request delivered twice makes one item.
            item, _created = rs.create_item(
                db, team, plain_text(title), user, channel, now=deps.clock(), source_key=f"cmd:{trigger_id}"
            )
            title = item.title
    except rs.RoadmapError as exc:
        return error_text(locale, exc)
    deps.outbox.wake()
    return t(locale, "roadmap.created", title=escape_mrkdwn(title), channel=f"<#{channel}>")


# --- Make roadmap item (message shortcut) --------------------------------------------------------------------


def handle_roadmap_message_shortcut(
    ack: Ack, body: dict, client: WebClient, respond: Respond, deps: Deps, team_id: str, user_id: str
) -> None:
    """Make roadmap item on a message: the item form, prefilled with the message."""
    ack()
    locale = deps.users.locale(team_id, user_id)
    message = body.get("message") or {}
    channel = (body.get("channel") or {}).get("id")
    ts = message.get("ts") or body.get("message_ts")
    if not deps.settings.roadmap_channel:
        view = rb.info_modal(locale, t(locale, "roadmap.no_channel"))
    elif not channel or not ts:
        log.warning("message shortcut without a channel or message ts")
        return
    else:
        meta = rb.ItemFormMeta(locale=locale, channel=channel, ts=ts)
        view = rb.item_modal(locale, meta, plain_text(message.get("text") or ""), message.get("user"))
    open_view(client, body, view, locale, respond)


def handle_roadmap_item_submission(ack: Ack, view: dict, deps: Deps, team_id: str, user_id: str) -> None:
    """The item form submitted: saved before the ack (a few ms), so a failure keeps the modal open."""
    meta = read_meta(rb.ItemFormMeta, view)
    if meta is None:
        ack(**stale_form(view, deps.users.locale(team_id, user_id)))
        return
    values = state_values(view)
    channel = deps.settings.roadmap_channel
    if not channel:
        ack(**modal_errors(view, {rb.TITLE_BLOCK: t(meta.locale, "roadmap.no_channel")}, meta.locale))
        return
    try:
        with deps.sessions.begin() as db:
            item, created = rs.create_item(
                db,
                team_id,
                values.get(rb.TITLE_BLOCK) or "",
                user_id,
                channel,
                now=deps.clock(),
                description=values.get(rb.DESCRIPTION_BLOCK),
                source_key=f"msg:{meta.channel}:{meta.ts}",  # the same message twice is one item
            )
            title = item.title
    except rs.RoadmapError as exc:
        ack(**modal_errors(view, {rb.TITLE_BLOCK: error_text(meta.locale, exc, mrkdwn=False)}, meta.locale))
        return
    key = "roadmap.created" if created else "roadmap.exists"
    text = t(meta.locale, key, title=escape_mrkdwn(title), channel=f"<#{channel}>")
    ack(response_action="update", view=rb.info_modal(meta.locale, text))
    if created:
        deps.outbox.wake()


# --- tagging: the note's Tag to roadmap button ---------------------------------------------------------------


def handle_roadmap_tag_button(
    ack: Ack, body: dict, client: WebClient, respond: Respond, deps: Deps, team_id: str, user_id: str
) -> None:
    """Tag to roadmap (on a note): the modal to pick one of the open items."""
    ack()
    locale = deps.users.locale(team_id, user_id)
    try:
        voc_id = int(body["actions"][0].get("value") or "")
    except (ValueError, KeyError, IndexError):
        log.warning("Tag to roadmap without a note id")
        return
    with deps.sessions.begin() as db:
        note = voc.get_note(db, team_id, voc_id)
        if note is not None:
            customer = cs.get_customer(db, team_id, note.customer_id).name
            quote = note.quote
            items = [rb.OpenItem(i.id, i.title, i.status) for i in rs.open_items(db, team_id, rb.MAX_OPTIONS)]
    if note is None:
        view = rb.info_modal(locale, t(locale, "roadmap.err.unknown_voc"))
    elif not items:
        view = rb.info_modal(locale, t(locale, "roadmap.tag.none"))
    else:
        view = rb.tag_modal(locale, rb.TagMeta(voc_id=voc_id, locale=locale), customer, quote, items)
    open_view(client, body, view, locale, respond)


def handle_roadmap_tag_submission(ack: Ack, view: dict, deps: Deps, team_id: str, user_id: str) -> None:
    """The item picked: the note tagged before the ack, the modal replaced by what was done."""
    meta = read_meta(rb.TagMeta, view)
    if meta is None:
        ack(**stale_form(view, deps.users.locale(team_id, user_id)))
        return
    picked = state_values(view).get(rb.ITEM_BLOCK)
    if not picked or not picked.isascii() or not picked.isdigit():
        ack(**modal_errors(view, {rb.ITEM_BLOCK: t(meta.locale, "roadmap.tag.pick")}, meta.locale))
        return
    try:
        with deps.sessions.begin() as db:
            link = rs.tag(db, team_id, meta.voc_id, int(picked), user_id, now=deps.clock())
            item = rs.get_item(db, team_id, int(picked))
            title, channel = item.title, item.channel
    except rs.RoadmapError as exc:
        ack(**modal_errors(view, {rb.ITEM_BLOCK: error_text(meta.locale, exc, mrkdwn=False)}, meta.locale))
        return
    where = f"<#{channel}>" if channel else channel_ref(deps, meta.locale)
    key = "roadmap.tag.done" if link is not None else "roadmap.tag.already"
    text = t(meta.locale, key, title=escape_mrkdwn(title), channel=where)
    ack(response_action="update", view=rb.info_modal(meta.locale, text))
    if link is not None:
        deps.outbox.wake()


# --- tagging: a reply with a message link in the item's thread -----------------------------------------------


def is_roadmap_thread_reply(event: dict, deps: Deps) -> bool:
    """A person's reply in a thread of the roadmap channel; not bot posts (Baton's own), edits or deletions."""
    channel = deps.settings.roadmap_channel
    return (
        bool(channel)
        and event.get("channel") == channel
        and bool(event.get("thread_ts"))
        and event.get("thread_ts") != event.get("ts")
        and bool(event.get("user"))
        and not event.get("bot_id")
        and event.get("subtype") in (None, "thread_broadcast")
    )


def handle_roadmap_thread_reply(event: dict, body: dict, client: WebClient, deps: Deps) -> None:
    """A link to a logged message, posted in an item's thread, tags that message's VoC to the item."""
    links = message_links(event.get("text") or "")
    if not links:
        return  # an ordinary reply in the discussion
    team, user = body.get("team_id") or "", event["user"]
    channel, thread_ts = event["channel"], event["thread_ts"]
    with deps.sessions.begin() as db:
        done = voc.tag_messages(db, team, channel, thread_ts, links, user, now=deps.clock())
    if done is None:
        return
    if done.tagged:
        deps.outbox.wake()
    locale = deps.users.locale(team, user)
    if not done.tagged and not done.already:
        text = t(locale, "roadmap.thread.not_logged", emoji=deps.settings.voc_emoji)
    else:
        lines = []
        if done.tagged:
            title = escape_mrkdwn(done.title)
            lines.append(t(locale, "roadmap.thread.tagged", title=title, customers=_names(done.tagged)))
        if done.already:
            lines.append(t(locale, "roadmap.thread.already", customers=_names(done.already)))
        text = "\n".join(lines)
    try:
        client.chat_postEphemeral(channel=channel, user=user, thread_ts=thread_ts, text=truncate(text, 3000))
    except (SlackApiError, SlackRequestError) as exc:
        log.warning("roadmap thread answer not sent: %s", getattr(exc, "response", exc))


# --- Untag (on each thread post) and the status buttons on the item (product managers only) ------------------


def handle_roadmap_untag(
    ack: Ack, body: dict, respond: Respond, deps: Deps, product_managers: ProductManagers, team_id: str, user_id: str
) -> None:
    """Untag: by whoever tagged the note, or a product manager."""
    ack()
    ref = read_action(rb.UntagRef, body)
    if ref is None:
        return
    locale = deps.users.locale(team_id, user_id)
    if user_id != ref.tagged_by and not product_managers.check(team_id, user_id).allowed:
        answer_privately(respond, t(locale, "roadmap.untag.not_allowed", user=f"<@{ref.tagged_by}>"))
        return
    with deps.sessions.begin() as db:
        removed = rs.untag(db, team_id, ref.voc_id, ref.item_id, now=deps.clock())
    if removed:
        deps.outbox.wake()
    else:
        answer_privately(respond, t(locale, "roadmap.untag.gone"))


_TARGETS = {action_id: status for status, action_id in rb.STATUS_ACTIONS.items()}


def handle_roadmap_status(
    ack: Ack, body: dict, respond: Respond, deps: Deps, product_managers: ProductManagers, team_id: str, user_id: str
) -> None:
    """A status button on the item: set by a product manager; anyone else is told who may."""
    ack()
    action = body["actions"][0]
    locale = deps.users.locale(team_id, user_id)
    try:
        item_id = int(action.get("value") or "")
    except ValueError:
        log.warning("status button without an item id")
        return
    refusal = pm_refusal(deps, product_managers, team_id, user_id, locale)
    if refusal:
        answer_privately(respond, refusal)
        return
    status = _TARGETS[action["action_id"]]
    try:
        with deps.sessions.begin() as db:
            changed = rs.set_status(db, team_id, item_id, status, user_id, now=deps.clock())
            title = rs.get_item(db, team_id, item_id).title
    except rs.RoadmapError as exc:
        answer_privately(respond, error_text(locale, exc))
        return
    if changed:
        deps.outbox.wake()
    else:
        text = t(locale, "roadmap.status_unchanged", title=escape_mrkdwn(title), status=rb.status_label(status, locale))
        answer_privately(respond, text)


def pm_refusal(deps: Deps, pms: ProductManagers, team: str, user: str, locale: str) -> str | None:
    """Why `user` may not change a status (None: they may)."""
    settings = deps.settings
    if not pms.configured:
        return t(locale, "roadmap.pm.unconfigured")
    check = pms.check(team, user)
    if check.allowed:
        return None
    if check.error:
        return t(locale, "roadmap.pm.check_failed", error=escape_mrkdwn(check.error))
    group = f"<!subteam^{settings.pm_usergroup}>" if settings.pm_usergroup else None
    channel = f"<#{settings.pm_channel}>" if settings.pm_channel else None
    if group and channel:
        who = t(locale, "roadmap.pm.both", group=group, channel=channel)
    elif group:
        who = t(locale, "roadmap.pm.group", group=group)
    else:
        who = t(locale, "roadmap.pm.channel", channel=channel)
    return t(locale, "roadmap.pm.not_pm", who=who)


def register(reg: Registry) -> None:
    """Attach every roadmap listener (before the events module's catch-all)."""
    reg.command(COMMAND)(handle_roadmap_command)
    reg.shortcut(SHORTCUT)(handle_roadmap_message_shortcut)
    reg.view(rb.ITEM_MODAL)(handle_roadmap_item_submission)
    reg.action(rb.TAG)(handle_roadmap_tag_button)
    reg.view(rb.TAG_MODAL)(handle_roadmap_tag_submission)
    reg.event("message", matchers=[is_roadmap_thread_reply])(handle_roadmap_thread_reply)
    reg.events.update(MESSAGE_EVENTS)  # the manifest's names of the channel messages the listener matches
    reg.action(rb.UNTAG)(handle_roadmap_untag)
    for action_id in rb.STATUS_ACTIONS.values():
        reg.action(action_id)(handle_roadmap_status)


def _names(names: tuple[str, ...]) -> str:
    shown = [f"*{escape_mrkdwn(truncate(n, 100))}*" for n in dict.fromkeys(names)]
    return ", ".join(shown[:20]) + (" …" if len(shown) > 20 else "")


def open_view(client: WebClient, body: dict, view: View, locale: str, respond: Respond | None) -> None:
    """Open `view`, or push it when the click came from inside a modal (views.open cannot stack modals)."""
    try:
        if (body.get("container") or {}).get("type") == "view" or body.get("view"):
            client.views_push(trigger_id=body["trigger_id"], view=view)
        else:
            client.views_open(trigger_id=body["trigger_id"], view=view)
    except SlackApiError as exc:  # the trigger_id lives 3 s
        log.warning("views.open failed: %s", exc.response.get("error"))
        answer_privately(respond, t(locale, "common.try_again"))
