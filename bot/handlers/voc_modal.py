"""The Log as VoC modal: opened from the message shortcut or the reaction prompt's button, its customer search,
its submission, and the confirmation told to the reporter.

A capture is checked and stored before its modal submission is acked, so a refusal shows next to the field and
a failure keeps the modal open with the user's input; nothing else happens before the ack. What only enriches
it (the source message's permalink) and the confirmation come after. Every answer is for the reporter only:
an ephemeral in the source channel, else through the response_url, else a DM.
"""

import logging
import re
from dataclasses import replace

from slack_bolt import Ack, Respond
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
from bot.handlers.messages import (
    answer_privately,
    bad_button,
    dm,
    error_text,
    modal_errors,
    open_modal,
    read_action,
    read_meta,
    stale_form,
)
from bot.handlers.payload import action_int
from bot.i18n import t
from bot.services import customer as cs
from bot.services import roadmap, voc
from bot.services.lookup import Match
from bot.text import normalize_key

log = logging.getLogger("baton.voc")

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


def confirmation(
    db: Session, team: str, logged: voc.Logged, user: str, *, channel: str | None, item: str | None = None
) -> vb.Confirmation:
    """What the reporter is told about the note just logged (or joined)."""
    note = logged.note
    return vb.Confirmation(
        voc_id=note.id,
        customer_id=note.customer_id,
        customer=cs.get_customer(db, team, note.customer_id).name,
        quote=note.quote,
        category=note.category,
        importance=note.importance,
        created=logged.created,
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


def log_modal(
    deps: Deps,
    db: Session,
    team: str,
    user: str,
    meta: vb.VocMeta,
    quote: str,
    thread_ts: str | None,
    draft_id: int | None,
    customer: Match | None = None,
) -> View:
    """The form for `quote` (for `customer` when it is opened from a card): open roadmap items (the one whose
    thread the message is in preselected); a text too long for the input waits in a draft (`draft_id`, or a new
    one) and is logged whole if left as is."""
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
        customer=customer,
    )


def handle_voc_message_shortcut(
    ack: Ack, body: dict, client: WebClient, deps: Deps, team_id: str, user_id: str
) -> None:
    """Log as VoC on a message: the form, prefilled with the message's text."""
    ack()
    message = body.get("message") or {}
    ts = message.get("ts") or body.get("message_ts")
    thread_ts = message.get("thread_ts")
    meta = vb.VocMeta(
        locale=deps.users.locale(team_id, user_id),
        channel=(body.get("channel") or {}).get("id"),
        ts=ts,
        thread_ts=thread_ts if thread_ts != ts else None,
        author=message.get("user"),
        response_url=body.get("response_url"),
    )
    with deps.sessions.begin() as db:
        view = log_modal(deps, db, team_id, user_id, meta, quote_text(message.get("text") or ""), thread_ts, None)
    open_modal(client, None, body["trigger_id"], view, meta.locale)


def handle_voc_customer_options(ack: Ack, body: dict, deps: Deps, team_id: str) -> None:
    """The customer select's search: this team's customers by name, alias, domain or CRM id, typos too."""
    query = (body.get("value") or "").strip()
    matches: list[Match] = []
    if normalize_key(query):
        with deps.sessions.begin() as db:
            found = deps.lookup.find(db, team_id, query)
            if found.customer_id is not None:
                try:
                    matches = [Match(found.customer_id, cs.get_customer(db, team_id, found.customer_id).name)]
                except cs.CustomerNotFound:
                    matches = []
            else:
                matches = list(found.candidates or found.suggestions)
    ack(options=vb.customer_options(matches))


def _checked(view: dict, locale: str) -> tuple[dict, dict, int | None, dict[str, str]]:
    """The form's checked fields, its values and labels, the roadmap item picked, and the inline errors."""
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
    return fields, {"values": values, "labels": labels}, item_id, errors


def handle_voc_submission(ack: Ack, view: dict, client: WebClient, deps: Deps, team_id: str, user_id: str) -> None:
    """The form submitted: stored before the ack (a few ms) in one transaction with the roadmap tag, so refused
    or failed, nothing is; then the permalink and the confirmation."""
    # Unreadable metadata only loses where the quote came from: the typed quote is still logged.
    meta = read_meta(vb.VocMeta, view) or vb.VocMeta(locale=deps.users.locale(team_id, user_id))
    locale = meta.locale
    fields, form, item_id, errors = _checked(view, locale)
    if errors:
        ack(**modal_errors(view, errors, locale))
        return
    inp = voc.VocInput(
        **fields,
        source_kind="message" if meta.channel and meta.ts else "modal",
        source_channel=meta.channel,
        source_ts=meta.ts,
        source_author_id=meta.author,
    )
    keep = meta.draft_id and vb.left_unchanged(form["values"].get(vb.QUOTE_BLOCK), meta.cut)
    # The inline errors are the modal's own (short, numbers formatted), under the field each is about.
    try:
        with deps.sessions.begin() as db:
            logged = voc.capture(
                db, team_id, user_id, inp, now=deps.clock(), draft_id=meta.draft_id if keep else None, item_id=item_id
            )
            item = form["labels"].get(vb.ROADMAP_BLOCK) if item_id is not None else None
            done = confirmation(db, team_id, logged, user_id, channel=meta.channel or meta.reply_channel, item=item)
    except voc.VocError as exc:
        block = exc.field or vb.CUSTOMER_BLOCK
        ack(**modal_errors(view, {block: vb.error_text(locale, exc.code, exc.params)}, locale))
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
                voc.set_permalink(db, team_id, done.voc_id, link)
            done = replace(done, permalink=link)
    blocks, text = vb.confirmation(locale, done)
    _tell(client, meta, user_id, blocks, text)


def handle_voc_open_draft(
    ack: Ack, body: dict, client: WebClient, respond: Respond, deps: Deps, team_id: str, user_id: str
) -> None:
    """The reaction prompt's Log as VoC: the form for the reactor's own draft."""
    ack()
    locale = deps.users.locale(team_id, user_id)
    ref = read_action(vb.DraftRef, body)
    if ref is None:
        return
    view = None
    with deps.sessions.begin() as db:
        # Only the reactor's own draft: the prompt was theirs alone, and a forged value finds nothing.
        draft = voc.get_draft(db, team_id, user_id, ref.draft_id, now=deps.clock())
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
            view = log_modal(deps, db, team_id, user_id, meta, draft.quote, ref.thread_ts, draft.id)
    if view is None:
        answer_privately(respond, t(locale, "voc.draft.expired", emoji=deps.settings.voc_emoji))
        return
    open_modal(client, respond, body["trigger_id"], view, locale)


def handle_voc_from_card(
    ack: Ack, body: dict, client: WebClient, respond: Respond, deps: Deps, team_id: str, user_id: str
) -> None:
    """Log VoC on a customer card: the form with that customer chosen (confirmed where the card is)."""
    ack()
    locale = deps.users.locale(team_id, user_id)
    ref = read_action(cb.CardRef, body)
    if ref is None:
        bad_button(respond, locale)
        return
    meta = vb.VocMeta(locale=locale, reply_channel=ref.channel, response_url=body.get("response_url"))
    try:
        with deps.sessions.begin() as db:
            name = cs.get_customer(db, team_id, ref.customer_id).name
            view = log_modal(deps, db, team_id, user_id, meta, "", None, None, Match(ref.customer_id, name))
    except cs.CustomerNotFound as exc:
        answer_privately(respond, error_text(locale, exc))
        return
    open_modal(client, respond, body["trigger_id"], view, locale)


# --- Edit (the first reporter's) -----------------------------------------------------------------------------


def handle_voc_edit(
    ack: Ack, body: dict, client: WebClient, respond: Respond, deps: Deps, team_id: str, user_id: str
) -> None:
    """Edit on a confirmation: the form with the note's words and details, for the one who logged it."""
    ack()
    locale = deps.users.locale(team_id, user_id)
    voc_id = action_int(body)
    if voc_id is None:
        bad_button(respond, locale)
        return
    editable, owner = None, None
    with deps.sessions.begin() as db:
        note = voc.get_note(db, team_id, voc_id)
        if note is not None:
            owner = note.created_by
            editable = vb.EditableNote(
                voc_id=note.id,
                customer=cs.get_customer(db, team_id, note.customer_id).name,
                quote=note.quote,
                category=note.category,
                importance=note.importance,
                product_area=note.product_area,
            )
    if editable is None:
        answer_privately(respond, t(locale, "voc.err.note_gone"))
        return
    if owner != user_id:
        answer_privately(respond, t(locale, "voc.err.not_yours", user=f"<@{owner}>"))
        return
    meta = vb.EditMeta(
        voc_id=voc_id,
        locale=locale,
        channel=(body.get("channel") or {}).get("id"),
        response_url=body.get("response_url"),
    )
    open_modal(client, respond, body["trigger_id"], vb.edit_modal(locale, meta, editable), locale)


def handle_voc_edit_submission(ack: Ack, view: dict, client: WebClient, deps: Deps, team_id: str, user_id: str) -> None:
    """Edit VoC submitted: checked and saved before the ack (a refusal shows under its field, nothing is half
    changed), then the confirmation it was opened from is replaced with the note as it is now."""
    meta = read_meta(vb.EditMeta, view)
    if meta is None:
        ack(**stale_form(view, deps.users.locale(team_id, user_id)))
        return
    locale = meta.locale
    values, _labels = form_values(view)
    has_quote = vb.QUOTE_BLOCK in values  # a quote too long for the input is not in the form and stays
    fields, problems = voc.validate(
        0,
        values.get(vb.QUOTE_BLOCK) if has_quote else "kept",
        values.get(vb.CATEGORY_BLOCK),
        values.get(vb.IMPORTANCE_BLOCK),
        values.get(vb.AREA_BLOCK),
    )
    if problems:
        errors = {field: vb.error_text(locale, code, params) for field, (code, params) in problems.items()}
        ack(**modal_errors(view, errors, locale))
        return
    try:
        with deps.sessions.begin() as db:
            note = voc.edit_note(
                db,
                team_id,
                meta.voc_id,
                user_id,
                quote=fields["quote"] if has_quote else None,
                category=fields["category"],
                importance=fields["importance"],
                product_area=fields["product_area"],
                now=deps.clock(),
            )
            logged = voc.Logged(note, True, voc.reporters(db, team_id, note.id))
            done = replace(confirmation(db, team_id, logged, user_id, channel=meta.channel), edited=True)
    except (voc.VocError, cs.CustomerNotFound) as exc:
        block = vb.QUOTE_BLOCK if has_quote else vb.CATEGORY_BLOCK
        ack(**modal_errors(view, {block: error_text(locale, exc, mrkdwn=False)}, locale))
        return
    ack()
    blocks, text = vb.confirmation(locale, done)
    tell = vb.VocMeta(locale=locale, reply_channel=meta.channel, response_url=meta.response_url, replace=True)
    _tell(client, tell, user_id, blocks, text)


# --- telling the reporter ------------------------------------------------------------------------------------


def _permalink(client: WebClient, channel: str, ts: str) -> str | None:
    try:
        return client.chat_getPermalink(channel=channel, message_ts=ts).get("permalink")
    except (SlackApiError, SlackRequestError) as exc:
        log.info("no permalink for %s/%s: %s", channel, ts, getattr(exc, "response", exc))
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
    dm(client, user, blocks, text)
