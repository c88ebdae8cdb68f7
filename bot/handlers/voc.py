"""Slack listeners that capture the voice of the customer: the Log as VoC message shortcut and its modal (with
the customer search behind its select), `/voc`, the VoC emoji reaction and its prompt, and View full note.

A capture is checked and stored before its modal submission is acked, so a refusal shows next to the field and
a failure keeps the modal open with the user's input; nothing else happens before the ack. What only enriches
it (the source message's permalink) and the confirmation come after. Every answer is for the reporter only:
an ephemeral in the source channel, else through the response_url, else a DM.
"""

import logging
import re
from dataclasses import dataclass, replace

from pydantic import ValidationError
from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View
from slack_sdk.webhook import WebhookClient
from sqlmodel import Session

from bot.blocks import customer as cb
from bot.blocks import voc as vb
from bot.blocks.handoff import dumps_blocks
from bot.deps import Deps
from bot.errors import UserError
from bot.handlers.messages import answer_privately, error_text, modal_errors, read_meta
from bot.handlers.payload import team_id as _team
from bot.handlers.payload import user_id as _user_id
from bot.handlers.registry import Registry
from bot.i18n import t
from bot.models import VocNote
from bot.services import customer as cs
from bot.services import roadmap, voc
from bot.services.lookup import Match
from bot.text import normalize_key

log = logging.getLogger("baton.voc")

COMMAND = "/voc"
REACTION_EVENT = "reaction_added"
LIST_WORDS = frozenset({"list", "ls", "목록"})
# `NAME: text` or `NAME： text` (full-width colon); a colon that starts `//` belongs to a URL, not the name.
_COLON_RE = re.compile(r"[:：](?!//)")
_MENTION_RE = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^<>]*))?>")
_CHANNEL_RE = re.compile(r"<#([CG][A-Z0-9]+)(?:\|([^<>]*))?>")
_SPECIAL_RE = re.compile(r"<!([a-z]+)(?:\^[^|<>]*)?(?:\|([^<>]*))?>")  # <!here>, <!subteam^S1|@cs-team>
_LINK_RE = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")


def quote_text(text: str) -> str:
    """A message as its reader saw it: mentions as @name (or @id), channels as #name, links unwrapped, &amp;
    &lt; &gt; decoded (the way `handlers.customer.plain_text` undoes Slack's markup, keeping the mentions)."""
    text = _MENTION_RE.sub(lambda m: "@" + (m.group(2) or m.group(1)), text or "")
    text = _CHANNEL_RE.sub(lambda m: "#" + (m.group(2) or m.group(1)), text)
    text = _SPECIAL_RE.sub(lambda m: m.group(2) or "@" + m.group(1), text)
    text = _LINK_RE.sub(lambda m: m.group(2) or m.group(1).removeprefix("mailto:"), text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()


@dataclass(frozen=True)
class Command:
    """What `/voc ...` asks for: `form` (nothing typed), `list` [customer], `log` customer: quote, or `usage`."""

    kind: str
    customer: str = ""
    quote: str = ""


def parse_command(text: str) -> Command:
    """Read `/voc` text: ``, `list [NAME]`, `NAME: what they said` (or `NAME： ...`); anything else is usage."""
    raw = quote_text(text)
    if not raw:
        return Command("form")
    parts = _COLON_RE.split(raw, maxsplit=1)
    if len(parts) == 1:
        words = raw.split(maxsplit=1)
        if words[0].casefold() in LIST_WORDS:
            return Command("list", customer=words[1].strip() if len(words) > 1 else "")
        return Command("usage")
    name, quote = parts[0].strip(), parts[1].strip()
    if not normalize_key(name) or not quote:
        return Command("usage")
    return Command("log", customer=name, quote=quote)


def _confirmation(
    db: Session, team: str, note: VocNote, created: bool, user: str, *, channel: str | None, item: str | None = None
) -> vb.Confirmation:
    return vb.Confirmation(
        voc_id=note.id,
        customer_id=note.customer_id,
        customer=cs.get_customer(db, team, note.customer_id).name,
        quote=note.quote,
        category=note.category,
        importance=note.importance,
        created=created,
        first_reporter=note.created_by,
        user=user,
        permalink=note.permalink,
        item=item,
        channel=channel,
    )


def form_values(view: dict) -> tuple[dict[str, str | None], dict[str, str | None]]:
    """The modal's {block_id: value} and, for selects, {block_id: the chosen option's text}."""
    values: dict[str, str | None] = {}
    labels: dict[str, str | None] = {}
    for block_id, actions in (view.get("state") or {}).get("values", {}).items():
        for state in actions.values():
            if state.get("type") in ("static_select", "external_select"):
                option = state.get("selected_option") or {}
                values[block_id] = option.get("value")
                labels[block_id] = (option.get("text") or {}).get("text")
            else:
                values[block_id] = state.get("value")
    return values, labels


class _Refused(Exception):
    """A capture refused after a look at the database: the field's block id and the error code."""

    def __init__(self, block: str, code: str, **params: object):
        super().__init__(code)
        self.block, self.code, self.params = block, code, params


def register(app: App | Registry, deps: Deps) -> None:
    """Attach every VoC capture listener (the reaction listener before the events module's catch-all)."""
    bolt = app.app if isinstance(app, Registry) else app

    def log_modal(
        db: Session, team: str, user: str, meta: vb.VocMeta, quote: str, thread_ts: str | None, draft_id: int | None
    ) -> View:
        """The form for `quote`: open roadmap items (the one whose thread the message is in preselected); a text
        too long for the input waits in a draft (`draft_id`, or a new one) and is logged whole if left as is."""
        items = roadmap.open_items(db, team)
        item = roadmap.item_for_thread(db, team, meta.channel, thread_ts) if meta.channel and thread_ts else None
        initial, digest = vb.prefill(quote)
        full_length = None
        if digest:
            if draft_id is None:
                draft = voc.create_draft(
                    db, team, user, quote, now=deps.clock(), channel=meta.channel, ts=meta.ts, author=meta.author
                )
                draft_id = draft.id
            meta = meta.model_copy(update={"draft_id": draft_id, "cut": digest})
            full_length = min(len(voc.clean_quote(quote)), voc.MAX_QUOTE)
        return vb.log_modal(
            meta.locale,
            meta,
            quote=initial,
            full_length=full_length,
            items=[(i.id, i.title) for i in items],
            selected_item=item.id if item is not None else None,
        )

    @app.shortcut(vb.LOG_SHORTCUT)
    def handle_voc_shortcut(ack: Ack, body: dict, client: WebClient) -> None:
        ack()
        team, user = _team(body), _user_id(body)
        message = body.get("message") or {}
        channel = (body.get("channel") or {}).get("id")
        ts = message.get("ts") or body.get("message_ts")
        thread_ts = message.get("thread_ts")
        meta = vb.VocMeta(
            locale=deps.users.locale(team, user),
            channel=channel,
            ts=ts,
            thread_ts=thread_ts if thread_ts != ts else None,
            author=message.get("user"),
            response_url=body.get("response_url"),
        )
        with deps.sessions.begin() as db:
            view = log_modal(db, team, user, meta, quote_text(message.get("text") or ""), thread_ts, None)
        _open(client, None, body, view, meta.locale)

    @bolt.options(vb.CUSTOMER_SELECT)
    def handle_voc_customer_options(ack: Ack, body: dict) -> None:
        """The customer select's search: this team's customers by name, alias, domain or CRM id, typos too."""
        team, query = _team(body), (body.get("value") or "").strip()
        matches: list[Match] = []
        if normalize_key(query):
            with deps.sessions.begin() as db:
                found = deps.lookup.find(db, team, query)
                if found.customer_id is not None:
                    try:
                        matches = [Match(found.customer_id, cs.get_customer(db, team, found.customer_id).name)]
                    except cs.CustomerNotFound:
                        matches = []
                else:
                    matches = list(found.candidates or found.suggestions)
        ack(options=vb.customer_options(matches))

    @app.view(vb.LOG_MODAL)
    def handle_voc_submission(ack: Ack, body: dict, view: dict, client: WebClient) -> None:
        team, user = _team(body), _user_id(body)
        # Unreadable metadata only loses where the quote came from: the typed quote is still logged.
        meta = read_meta(vb.VocMeta, view) or vb.VocMeta(locale=deps.users.locale(team, user))
        locale = meta.locale
        values, labels = form_values(view)
        fields, problems = voc.validate(
            values.get(vb.CUSTOMER_BLOCK),
            values.get(vb.QUOTE_BLOCK),
            values.get(vb.CATEGORY_BLOCK),
            values.get(vb.IMPORTANCE_BLOCK),
            values.get(vb.AREA_BLOCK),
        )
        errors = {field: vb.error_text(locale, code, params) for field, (code, params) in problems.items()}
        item_id: int | None = None
        if values.get(vb.ROADMAP_BLOCK):
            try:
                item_id = int(values[vb.ROADMAP_BLOCK] or "")
            except ValueError:
                errors[vb.ROADMAP_BLOCK] = vb.error_text(locale, "unknown_item")
        if errors:
            ack(**modal_errors(view, errors, locale))
            return
        now = deps.clock()
        inp = voc.VocInput(
            customer_id=fields["customer_id"],
            quote=fields["quote"],
            category=fields["category"],
            importance=fields["importance"],
            product_area=fields["product_area"],
            source_kind="message" if meta.channel and meta.ts else "modal",
            source_channel=meta.channel,
            source_ts=meta.ts,
            source_author_id=meta.author,
        )
        # Stored before ack (a few ms), in one transaction with the roadmap tag: refused or failed, nothing is.
        try:
            with deps.sessions.begin() as db:
                if meta.draft_id and vb.left_unchanged(values.get(vb.QUOTE_BLOCK), meta.cut):
                    draft = voc.get_draft(db, team, user, meta.draft_id, now=now)
                    if draft is None:
                        raise _Refused(vb.QUOTE_BLOCK, "draft_expired")
                    inp = replace(inp, quote=draft.quote)  # left as prefilled: the whole message
                logged = voc.log_voc(db, team, inp, user, now=now)
                if item_id is not None:
                    roadmap.tag(db, team, logged.note.id, item_id, user, now=now)
                reply_channel = meta.channel or meta.reply_channel
                item = labels.get(vb.ROADMAP_BLOCK) if item_id is not None else None
                done = _confirmation(db, team, logged.note, logged.created, user, channel=reply_channel, item=item)
        except _Refused as exc:
            ack(**modal_errors(view, {exc.block: vb.error_text(locale, exc.code, exc.params)}, locale))
            return
        except voc.VocError as exc:
            ack(**modal_errors(view, {vb.CUSTOMER_BLOCK: vb.error_text(locale, exc.code, exc.params)}, locale))
            return
        except roadmap.RoadmapError:
            ack(**modal_errors(view, {vb.ROADMAP_BLOCK: vb.error_text(locale, "unknown_item")}, locale))
            return
        except cs.CustomerNotFound as exc:
            ack(**modal_errors(view, {vb.CUSTOMER_BLOCK: error_text(locale, exc, mrkdwn=False)}, locale))
            return
        ack()
        if item_id is not None:
            deps.outbox.wake()  # the tag queued the note's post in the item's thread
        if meta.channel and meta.ts and not done.permalink:
            link = _permalink(client, meta.channel, meta.ts)
            if link:
                with deps.sessions.begin() as db:
                    voc.set_permalink(db, team, done.voc_id, link)
                done = replace(done, permalink=link)
        blocks, text = vb.confirmation(locale, done)
        _tell(client, meta, user, blocks, text)

    @app.command(COMMAND)
    def handle_voc_command(ack: Ack, body: dict, client: WebClient, respond: Respond) -> None:
        ack()
        team, user, channel = body["team_id"], body["user_id"], body.get("channel_id")
        locale = deps.users.locale(team, user)
        command = parse_command(body.get("text") or "")
        if command.kind == "form":
            meta = vb.VocMeta(locale=locale, reply_channel=channel, response_url=body.get("response_url"))
            with deps.sessions.begin() as db:
                view = log_modal(db, team, user, meta, "", None, None)
            _open(client, respond, body, view, locale)
            return
        try:
            if command.kind == "list":
                blocks, text = list_answer(team, locale, command.customer, channel)
            elif command.kind == "log":
                blocks, text = capture(team, user, locale, command, channel)
            else:
                blocks, text = vb.usage_message(locale, deps.settings.voc_emoji)
        except UserError as exc:  # the customer went away between the lookup and the note
            blocks, text = vb.notice(error_text(locale, exc))
        respond(blocks=dumps_blocks(blocks), text=text, response_type="ephemeral")

    def capture(team: str, user: str, locale: str, command: Command, channel: str | None) -> tuple[list[Block], str]:
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
                done = _confirmation(db, team, logged.note, logged.created, user, channel=channel)
                return vb.confirmation(locale, done)
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

    def list_answer(team: str, locale: str, query: str, channel: str | None) -> tuple[list[Block], str]:
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

    @app.action(vb.PICK)
    def handle_voc_pick(ack: Ack, body: dict, respond: Respond) -> None:
        ack()
        team, user = _team(body), _user_id(body)
        locale = deps.users.locale(team, user)
        try:
            ref = vb.PickRef.model_validate_json(body["actions"][0].get("value") or "")
        except (ValidationError, KeyError, IndexError):
            log.warning("voc pick button without a valid value")
            return
        now = deps.clock()
        try:
            with deps.sessions.begin() as db:
                draft = voc.get_draft(db, team, user, ref.draft_id, now=now)
                if draft is None:
                    blocks, text = vb.notice(t(locale, "voc.pick.expired"))
                else:
                    inp = voc.VocInput(ref.customer_id, draft.quote, source_kind="command")
                    logged = voc.log_voc(db, team, inp, user, now=now)
                    done = _confirmation(db, team, logged.note, logged.created, user, channel=_channel(body))
                    blocks, text = vb.confirmation(locale, done)
        except voc.VocError as exc:
            blocks, text = vb.notice(vb.error_text(locale, exc.code, exc.params))
        except cs.CustomerNotFound as exc:
            blocks, text = vb.notice(error_text(locale, exc))
        respond(blocks=dumps_blocks(blocks), text=text, response_type="ephemeral", replace_original=True)

    def handle_voc_reaction(event: dict, body: dict, client: WebClient) -> None:
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
            _dm(client, user, blocks, text)
            return
        thread_ts = message.get("thread_ts")
        author = message.get("user")
        with deps.sessions.begin() as db:
            draft = voc.create_draft(
                db,
                team,
                user,
                quote_text(message.get("text") or ""),
                now=deps.clock(),
                channel=channel,
                ts=ts,
                author=author,
            )
            draft_id, quote = draft.id, draft.quote
        blocks, text = vb.reaction_prompt(locale, vb.DraftRef(draft_id=draft_id, thread_ts=thread_ts), quote, author)
        kwargs = {"channel": channel, "user": user, "blocks": dumps_blocks(blocks), "text": text}
        if thread_ts and thread_ts != ts:
            kwargs["thread_ts"] = thread_ts
        try:
            client.chat_postEphemeral(**kwargs)
        except (SlackApiError, SlackRequestError) as exc:
            log.warning("VoC prompt not sent: %s", getattr(exc, "response", exc))

    def is_voc_reaction(event: dict) -> bool:
        # Skin tones arrive as `name::skin-tone-2`; only reactions to messages can be logged.
        reaction = (event.get("reaction") or "").split("::")[0]
        return (event.get("item") or {}).get("type") == "message" and reaction == deps.settings.voc_emoji

    # Registered on the App with a matcher (other reactions fall through to the catch-all), recorded for the
    # manifest test under the event's name.
    bolt.event(REACTION_EVENT, matchers=[is_voc_reaction])(handle_voc_reaction)
    if isinstance(app, Registry):
        app.events.add(REACTION_EVENT)

    @app.action(vb.OPEN_DRAFT)
    def handle_voc_open_draft(ack: Ack, body: dict, client: WebClient, respond: Respond) -> None:
        ack()
        team, user = _team(body), _user_id(body)
        locale = deps.users.locale(team, user)
        try:
            ref = vb.DraftRef.model_validate_json(body["actions"][0].get("value") or "")
        except (ValidationError, KeyError, IndexError):
            log.warning("voc draft button without a valid value")
            return
        view = None
        with deps.sessions.begin() as db:
            # Only the reactor's own draft: the prompt was theirs alone, and a forged value finds nothing.
            draft = voc.get_draft(db, team, user, ref.draft_id, now=deps.clock())
            if draft is not None:
                meta = vb.VocMeta(
                    locale=locale,
                    channel=draft.source_channel,
                    ts=draft.source_ts,
                    thread_ts=ref.thread_ts if ref.thread_ts != draft.source_ts else None,
                    author=draft.source_author_id,
                    response_url=body.get("response_url"),
                    replace=True,
                )
                view = log_modal(db, team, user, meta, draft.quote, ref.thread_ts, draft.id)
        if view is None:
            answer_privately(respond, t(locale, "voc.draft.expired", emoji=deps.settings.voc_emoji))
            return
        _open(client, respond, body, view, locale)

    @app.action(vb.VIEW)
    def handle_voc_view(ack: Ack, body: dict, client: WebClient, respond: Respond) -> None:
        ack()
        team, user = _team(body), _user_id(body)
        locale = deps.users.locale(team, user)
        try:
            voc_id = int(body["actions"][0].get("value") or "")
        except (ValueError, KeyError, IndexError):
            log.warning("voc view button without a valid value")
            return
        detail = None
        with deps.sessions.begin() as db:
            row = voc.note_detail(db, team, voc_id)
            if row is not None:
                detail = vb.NoteDetail(
                    customer=row.customer,
                    note=cs.voc_note(row),
                    product_area=row.note.product_area,
                    reporters=voc.reporters(db, team, voc_id),
                    permalink=row.note.permalink,
                )
        _open(client, respond, body, vb.note_modal(locale, detail), locale)


def _open(client: WebClient, respond: Respond | None, body: dict, view: View, locale: str) -> None:
    try:
        client.views_open(trigger_id=body["trigger_id"], view=view)
    except SlackApiError as exc:  # the trigger_id lives 3 s
        log.warning("views.open failed: %s", exc.response.get("error"))
        answer_privately(respond, t(locale, "common.try_again"))


def _permalink(client: WebClient, channel: str, ts: str) -> str | None:
    try:
        return client.chat_getPermalink(channel=channel, message_ts=ts).get("permalink")
    except (SlackApiError, SlackRequestError) as exc:
        log.info("no permalink for %s/%s: %s", channel, ts, getattr(exc, "response", exc))
        return None


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


def _respond(url: str, blocks: list[Block], text: str, *, replace: bool) -> bool:
    try:
        resp = WebhookClient(url, timeout=10).send(
            text=text, blocks=dumps_blocks(blocks), response_type="ephemeral", replace_original=replace
        )
        return resp.status_code == 200
    except (OSError, ValueError) as exc:
        log.info("response_url failed: %s", exc)
        return False


def _dm(client: WebClient, user: str, blocks: list[Block], text: str) -> None:
    try:
        channel = client.conversations_open(users=user)["channel"]["id"]
        client.chat_postMessage(channel=channel, blocks=dumps_blocks(blocks), text=text)
    except (SlackApiError, SlackRequestError) as exc:
        log.warning("VoC DM to %s not sent: %s", user, getattr(exc, "response", exc))


def _tell(client: WebClient, meta: vb.VocMeta, user: str, blocks: list[Block], text: str) -> None:
    """The confirmation, for the reporter only: in place of the prompt the modal came from, else an ephemeral in
    the source (or command) channel, in its thread, else through the response_url, else a DM."""
    if meta.replace and meta.response_url and _respond(meta.response_url, blocks, text, replace=True):
        return
    channel = meta.channel or meta.reply_channel
    if channel and not channel.startswith("D"):  # Baton cannot post in a DM between people
        extra = {"thread_ts": meta.thread_ts} if meta.thread_ts and meta.channel else {}
        try:
            client.chat_postEphemeral(channel=channel, user=user, blocks=dumps_blocks(blocks), text=text, **extra)
            return
        except (SlackApiError, SlackRequestError) as exc:
            log.info("VoC confirmation not posted in %s: %s", channel, getattr(exc, "response", exc))
    if meta.response_url and _respond(meta.response_url, blocks, text, replace=False):
        return
    _dm(client, user, blocks, text)


def _channel(body: dict) -> str | None:
    channel = body.get("channel") or {}
    return (channel.get("id") if isinstance(channel, dict) else None) or (body.get("container") or {}).get("channel_id")
