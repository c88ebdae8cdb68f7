"""Slack listeners that capture the voice of the customer: `/voc`, its pick-one buttons, the VoC emoji reaction
and its prompt, View full note; the Log as VoC modal's listeners are in bot/handlers/voc_modal.py."""

import logging
import re
from dataclasses import dataclass

from slack_bolt import Ack, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.models.blocks import Block

from bot.blocks import customer as cb
from bot.blocks import voc as vb
from bot.blocks.handoff import dumps_blocks
from bot.deps import Deps
from bot.errors import UserError
from bot.handlers.messages import dm, error_text, is_help, open_modal, read_action
from bot.handlers.registry import Registry
from bot.handlers.voc_modal import (
    confirmation,
    handle_voc_customer_options,
    handle_voc_edit,
    handle_voc_edit_submission,
    handle_voc_from_card,
    handle_voc_message_shortcut,
    handle_voc_open_draft,
    handle_voc_submission,
    log_modal,
    quote_text,
)
from bot.i18n import t
from bot.services import customer as cs
from bot.services import voc
from bot.text import normalize_key

log = logging.getLogger("baton.voc")

__all__ = ["Command", "parse_command", "quote_text", "register"]

COMMAND = "/voc"
REACTION_EVENT = "reaction_added"
LIST_WORDS = frozenset({"list", "ls", "목록"})
# `NAME: text` or `NAME： text` (full-width colon); a colon that starts `//` belongs to a URL, not the name.
_COLON_RE = re.compile(r"[:：](?!//)")


@dataclass(frozen=True)
class Command:
    """What `/voc ...` asks for: `form` (with what was typed, if anything), `list` [customer], `log` customer:
    quote, `help`, or `usage` (a name and a colon with nothing said)."""

    kind: str
    customer: str = ""
    quote: str = ""


def parse_command(text: str) -> Command:
    """Read `/voc` text: ``, `list [NAME]`, `NAME: what they said` (or `NAME： ...`), `help`; text without a
    customer (no colon, or nothing before it) opens the form with that text in it, never discarded."""
    raw = quote_text(text)
    if not raw:
        return Command("form")
    if is_help(raw):
        return Command("help")
    parts = _COLON_RE.split(raw, maxsplit=1)
    if len(parts) == 1:
        words = raw.split(maxsplit=1)
        if words[0].casefold() in LIST_WORDS:
            return Command("list", customer=words[1].strip() if len(words) > 1 else "")
        return Command("form", quote=raw)
    name, quote = parts[0].strip(), parts[1].strip()
    if not quote:
        return Command("usage")
    if not normalize_key(name):
        return Command("form", quote=quote)
    return Command("log", customer=name, quote=quote)


def handle_voc_command(
    ack: Ack, body: dict, client: WebClient, respond: Respond, deps: Deps, team_id: str, user_id: str
) -> None:
    """`/voc`: the form (with the text typed, if any), `list [NAME]`, `NAME: text` logged at once, or how to use
    it."""
    ack()
    channel = body.get("channel_id")
    locale = deps.users.locale(team_id, user_id)
    command = parse_command(body.get("text") or "")
    if command.kind == "form":
        meta = vb.VocMeta(locale=locale, reply_channel=channel, response_url=body.get("response_url"))
        with deps.sessions.begin() as db:
            view = log_modal(deps, db, team_id, user_id, meta, command.quote, None, None)
        open_modal(client, respond, body["trigger_id"], view, locale)
        return
    try:
        if command.kind == "list":
            blocks, text = _list_answer(deps, team_id, locale, command.customer, channel)
        elif command.kind == "log":
            blocks, text = _capture(deps, team_id, user_id, locale, command, channel)
        else:
            blocks, text = vb.usage_message(locale, deps.settings.voc_emoji)
    except UserError as exc:  # the customer went away between the lookup and the note
        blocks, text = vb.notice(error_text(locale, exc))
    respond(blocks=dumps_blocks(blocks), text=text, response_type="ephemeral")


def _capture(
    deps: Deps, team: str, user: str, locale: str, command: Command, channel: str | None
) -> tuple[list[Block], str]:
    """`/voc NAME: text`: logged at once for the one customer NAME fits; otherwise the text waits in a draft
    and the customers that fit (or come close) are offered as buttons."""
    now = deps.clock()
    with deps.sessions.begin() as db:
        found = deps.lookup.find(db, team, command.customer)
        if found.customer_id is not None:
            fields, problems = voc.validate(found.customer_id, command.quote, None, None, None)
            if problems:
                code, params = next(iter(problems.values()))
                return vb.notice(vb.error_text(locale, code, params))
            inp = voc.VocInput(found.customer_id, fields["quote"], source_kind="command")
            logged = voc.log_voc(db, team, inp, user, now=now)
            return vb.confirmation(locale, confirmation(db, team, logged, user, channel=channel))
        matches = found.candidates or found.suggestions
        if not matches:
            return vb.choices_message(locale, command.customer, command.quote, (), 0, suggestions=True)
        draft = voc.create_draft(db, team, user, command.quote, now=now)
        return vb.choices_message(
            locale,
            command.customer,
            draft.quote,
            matches,
            draft.id,
            suggestions=not found.candidates,
            more=found.more,
        )


def _list_answer(deps: Deps, team: str, locale: str, query: str, channel: str | None) -> tuple[list[Block], str]:
    """`/voc list [NAME]`: the latest notes of the team, or of the customer NAME names (several or none fit:
    the customers to pick from, whose cards show their VoC)."""
    name = None
    with deps.sessions.begin() as db:
        if query:
            found = deps.lookup.find(db, team, query)
            if found.customer_id is None:
                if found.candidates:
                    return cb.choices_message(
                        locale, query, found.candidates, suggestions=False, more=found.more, channel=channel
                    )
                return cb.choices_message(locale, query, found.suggestions, suggestions=True, channel=channel)
            name = cs.get_customer(db, team, found.customer_id).name
            rows = voc.latest_notes(db, team, customer_id=found.customer_id, limit=vb.MAX_LIST)
        else:
            rows = voc.latest_notes(db, team, limit=vb.MAX_LIST)
    return vb.list_message(locale, [vb.ListedNote(r.customer, cs.voc_note(r)) for r in rows], name)


def handle_voc_pick(ack: Ack, body: dict, respond: Respond, deps: Deps, team_id: str, user_id: str) -> None:
    """A customer picked for a `/voc` draft: the draft logged for them, in place of the buttons."""
    ack()
    locale = deps.users.locale(team_id, user_id)
    ref = read_action(vb.PickRef, body)
    if ref is None:
        return
    try:
        with deps.sessions.begin() as db:
            logged = voc.log_draft(db, team_id, user_id, ref.draft_id, ref.customer_id, now=deps.clock())
            if logged is None:
                blocks, text = vb.notice(t(locale, "voc.pick.expired"))
            else:
                done = confirmation(db, team_id, logged, user_id, channel=_channel(body))
                blocks, text = vb.confirmation(locale, done)
    except voc.VocError as exc:
        blocks, text = vb.notice(vb.error_text(locale, exc.code, exc.params))
    except cs.CustomerNotFound as exc:
        blocks, text = vb.notice(error_text(locale, exc))
    respond(blocks=dumps_blocks(blocks), text=text, response_type="ephemeral", replace_original=True)


def is_voc_reaction(event: dict, deps: Deps) -> bool:
    """The VoC emoji on a message (skin tones arrive as `name::skin-tone-2`; only messages can be logged)."""
    reaction = (event.get("reaction") or "").split("::")[0]
    return (event.get("item") or {}).get("type") == "message" and reaction == deps.settings.voc_emoji


def handle_voc_reaction(event: dict, body: dict, client: WebClient, deps: Deps) -> None:
    """The VoC emoji on a message: keep its text in a draft and offer the reactor a Log as VoC button."""
    team, user = body.get("team_id") or "", event.get("user")
    item = event.get("item") or {}
    channel, ts = item.get("channel"), item.get("ts")
    if not user or not channel or not ts:
        return
    locale = deps.users.locale(team, user)
    message = _fetch_message(client, channel, ts)
    if message is None:
        blocks, text = vb.notice(t(locale, "voc.reaction.unreadable", channel=channel))
        dm(client, user, blocks, text)
        return
    thread_ts, author = message.get("thread_ts"), message.get("user")
    quote = quote_text(message.get("text") or "")
    with deps.sessions.begin() as db:
        draft = voc.create_draft(db, team, user, quote, now=deps.clock(), channel=channel, ts=ts, author=author)
        draft_id, quote = draft.id, draft.quote
    blocks, text = vb.reaction_prompt(locale, vb.DraftRef(draft_id=draft_id, thread_ts=thread_ts), quote, author)
    kwargs = {"channel": channel, "user": user, "blocks": dumps_blocks(blocks), "text": text}
    if thread_ts and thread_ts != ts:
        kwargs["thread_ts"] = thread_ts
    try:
        client.chat_postEphemeral(**kwargs)
    except (SlackApiError, SlackRequestError) as exc:
        log.warning("VoC prompt not sent: %s", getattr(exc, "response", exc))


def handle_voc_view(
    ack: Ack, body: dict, client: WebClient, respond: Respond, deps: Deps, team_id: str, user_id: str
) -> None:
    """View full note: the note, its customer, product area and reporters in a modal."""
    ack()
    locale = deps.users.locale(team_id, user_id)
    try:
        voc_id = int(body["actions"][0].get("value") or "")
    except (ValueError, KeyError, IndexError):
        log.warning("voc view button without a valid value")
        return
    detail = None
    with deps.sessions.begin() as db:
        row = voc.note_detail(db, team_id, voc_id)
        if row is not None:
            detail = vb.NoteDetail(
                customer=row.customer,
                note=cs.voc_note(row),
                product_area=row.note.product_area,
                reporters=voc.reporters(db, team_id, voc_id),
                permalink=row.note.permalink,
            )
    open_modal(client, respond, body["trigger_id"], vb.note_modal(locale, detail), locale)


def register(reg: Registry) -> None:
    """Attach every VoC capture listener (the reaction listener before the events module's catch-all)."""
    reg.shortcut(vb.LOG_SHORTCUT)(handle_voc_message_shortcut)
    reg.app.options(vb.CUSTOMER_SELECT)(handle_voc_customer_options)  # the Registry records no options
    reg.view(vb.LOG_MODAL)(handle_voc_submission)
    reg.command(COMMAND)(handle_voc_command)
    reg.action(vb.PICK)(handle_voc_pick)
    reg.event(REACTION_EVENT, matchers=[is_voc_reaction])(handle_voc_reaction)  # other reactions fall through
    reg.action(vb.OPEN_DRAFT)(handle_voc_open_draft)
    reg.action(vb.VIEW)(handle_voc_view)
    reg.action(vb.EDIT)(handle_voc_edit)
    reg.action(cb.LOG_VOC)(handle_voc_from_card)
    reg.view(vb.EDIT_MODAL)(handle_voc_edit_submission)


def _fetch_message(client: WebClient, channel: str, ts: str) -> dict | None:
    """The message at `ts`: from the channel's history, or, for a thread reply (not in the history), from its
    thread. None when Baton cannot read the conversation (not a member, deleted message)."""
    try:
        history = client.conversations_history(channel=channel, latest=ts, inclusive=True, limit=1)
        for message in history.get("messages") or []:
            if message.get("ts") == ts:
                return message
        replies = client.conversations_replies(channel=channel, ts=ts, oldest=ts, latest=ts, inclusive=True)
        for message in replies.get("messages") or []:
            if message.get("ts") == ts:
                return message
    except (SlackApiError, SlackRequestError) as exc:
        log.info("message %s/%s not readable: %s", channel, ts, getattr(exc, "response", exc))
    return None


def _channel(body: dict) -> str | None:
    channel = body.get("channel") or {}
    return (channel.get("id") if isinstance(channel, dict) else None) or (body.get("container") or {}).get("channel_id")
