"""Slack listeners for `/customer`: the lookup (command, DM, @mention), the pick-one buttons and the card's
Share in channel, Open handoff, Rate health and Log a touch buttons, and their modals.

Every answer is for the asker only: an ephemeral reply (slash command, @mention in a channel) or a message in
their DM with Baton. Only Share in channel posts for everyone, through the outbox.
"""

import logging
import re
import uuid

from slack_bolt import Ack, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.models.blocks import Block
from slack_sdk.webhook import WebhookClient

from bot.blocks import customer as cb
from bot.blocks import customer_modals as cm
from bot.blocks.handoff import dumps_blocks
from bot.blocks.help import help_message
from bot.crm.links import record_url
from bot.deps import Deps
from bot.handlers.handoff import state_values
from bot.handlers.messages import (
    answer_privately,
    bad_button,
    error_text,
    is_help,
    modal_errors,
    open_modal,
    read_action,
    read_meta,
    stale_form,
)
from bot.handlers.registry import Registry
from bot.renderers.handoff import card_data
from bot.services import customer as cs
from bot.services import home, touches
from bot.text import normalize_key

log = logging.getLogger("baton.customer")

COMMAND = "/customer"
# The word that makes a DM or an @mention a lookup: `customer acme`, `고객 삼성`.
KEYWORDS = frozenset({"customer", "customers", "고객", "고객사"})
DM_EVENT = "message.im"  # the manifest's name for DM messages (im:history)
_MENTION_RE = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
_LINK_RE = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")  # Slack links a typed domain: <http://acme.com|acme.com>


def plain_text(text: str) -> str:
    """Message text as the user typed it: mentions removed, Slack's links unwrapped, &amp; &lt; &gt; decoded."""
    text = _MENTION_RE.sub(" ", text or "")
    text = _LINK_RE.sub(lambda m: m.group(2) or m.group(1).removeprefix("mailto:"), text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()


def answer(deps: Deps, team_id: str, text: str, locale: str, channel: str | None) -> tuple[list[Block], str]:
    """What Baton says to `text`: the card, the customers to pick from, the closest names, or how to search.
    One database session; `channel` is where Share in channel would post (None: no Share button)."""
    query = (text or "").strip()
    if not normalize_key(query):
        return cb.usage_message(locale)
    today = deps.clock().date()
    status = None
    with deps.sessions.begin() as db:
        found = deps.lookup.find(db, team_id, query)
        if found.customer_id is not None:
            status = cs.customer_status(db, team_id, found.customer_id, today, deps.health_rules)
    if status is not None:
        return cb.customer_card(status, locale, channel=channel, crm_url=crm_link(deps, status))
    if found.candidates:
        return cb.choices_message(locale, query, found.candidates, suggestions=False, more=found.more, channel=channel)
    return cb.choices_message(locale, query, found.suggestions, suggestions=True, channel=channel)


def card_for(deps: Deps, team_id: str, customer_id: int, locale: str, channel: str | None) -> tuple[list[Block], str]:
    """The asker's card for one customer, or the "no longer in Baton" note."""
    try:
        with deps.sessions.begin() as db:
            status = cs.customer_status(db, team_id, customer_id, deps.clock().date(), deps.health_rules)
    except cs.CustomerNotFound:
        return cb.gone_message(locale)
    return cb.customer_card(status, locale, channel=channel, crm_url=crm_link(deps, status))


def crm_link(deps: Deps, status: cs.CustomerStatus) -> str | None:
    """The customer's record page in its CRM, from the settings (HUBSPOT_PORTAL_ID, BATON_CRM_URL_TEMPLATE)."""
    settings = deps.settings
    return record_url(
        status.crm_source,
        status.crm_id,
        hubspot_portal=settings.hubspot_portal_id,
        template=settings.crm_url_template,
    )


def handle_customer_open_crm(ack: Ack) -> None:
    """Open in CRM is a link; Slack still tells the app about the click: acknowledged, nothing else."""
    ack()


def lookup_text(text: str) -> str | None:
    """The query in a DM or @mention (`customer acme` -> `acme`), or None when it is not a lookup."""
    words = plain_text(text).split(maxsplit=1)
    if not words or words[0].casefold().rstrip(":,") not in KEYWORDS:
        return None
    return words[1] if len(words) > 1 else ""


def reply_to_mention(deps: Deps, client: WebClient, team_id: str, event: dict) -> bool:
    """Answer `@Baton customer X` with the card, for the mentioner only; False when the mention is not a
    lookup (the caller answers with help)."""
    query = lookup_text(event.get("text") or "")
    user, channel = event.get("user"), event.get("channel")
    if query is None or is_help(query) or not user or not channel:
        return False
    locale = deps.users.locale(team_id, user)
    blocks, text = answer(deps, team_id, query, locale, channel)
    kwargs = {"channel": channel, "blocks": dumps_blocks(blocks), "text": text}
    if event.get("thread_ts"):
        kwargs["thread_ts"] = event["thread_ts"]
    try:
        if channel.startswith("D"):
            client.chat_postMessage(**kwargs)
        else:  # never a public post: only the mentioner sees the card
            client.chat_postEphemeral(user=user, **kwargs)
    except (SlackApiError, SlackRequestError) as exc:
        log.warning("customer card for a mention not sent: %s", getattr(exc, "response", exc))
    return True


def _is_dm_from_a_person(event: dict) -> bool:
    # Plain messages only: no bot posts (Baton's own included), edits, deletions or joins.
    return event.get("channel_type") == "im" and not event.get("bot_id") and not event.get("subtype")


def handle_customer_command(ack: Ack, command: dict, respond: Respond, deps: Deps, team_id: str, user_id: str) -> None:
    """`/customer NAME`: the card, the customers to pick from or the closest names, for the asker only."""
    ack()
    locale = deps.users.locale(team_id, user_id)
    if is_help(command.get("text")):
        blocks, text = help_message(locale)
    else:
        blocks, text = answer(deps, team_id, command.get("text") or "", locale, command.get("channel_id"))
    respond(blocks=dumps_blocks(blocks), text=text, response_type="ephemeral")


def handle_customer_pick(ack: Ack, body: dict, respond: Respond, deps: Deps, team_id: str, user_id: str) -> None:
    """One of several matches picked: the card replaces the pick list."""
    ack()
    ref = read_action(cb.CardRef, body)
    if ref is None:
        return
    locale = deps.users.locale(team_id, user_id)
    blocks, text = card_for(deps, team_id, ref.customer_id, locale, ref.channel or _channel(body))
    respond(blocks=dumps_blocks(blocks), text=text, response_type="ephemeral", replace_original=True)


def handle_customer_share(ack: Ack, body: dict, respond: Respond, deps: Deps, team_id: str, user_id: str) -> None:
    """Share in channel: the card for everyone in the channel, drawn and posted by the outbox."""
    ack()
    ref = read_action(cb.CardRef, body)
    channel = (ref.channel if ref else None) or _channel(body)
    if ref is None or not channel or channel.startswith("D"):
        return
    # One post per click: a click delivered twice carries the same action_ts.
    action_ts = body["actions"][0].get("action_ts") or body.get("trigger_id") or ""
    try:
        with deps.sessions.begin() as db:
            cs.share_card(db, team_id, ref.customer_id, channel, user_id, action_ts, now=deps.clock())
    except cs.CustomerNotFound as exc:
        answer_privately(respond, error_text(deps.users.locale(team_id, user_id), exc))
        return
    deps.outbox.wake()


def handle_customer_promise_done(
    ack: Ack, body: dict, respond: Respond, deps: Deps, team_id: str, user_id: str
) -> None:
    """A promise ticked on the asker's card: marked done (its owner, or the customer's CSM or AE) and the card
    redrawn in place without it; a refusal is told privately and changes nothing."""
    ack()
    locale = deps.users.locale(team_id, user_id)
    try:
        action = body["actions"][0]
        customer_id = int(str(action.get("block_id") or "").removeprefix(cb.PROMISES_BLOCK))
        ids = [int(o["value"]) for o in action.get("selected_options") or []]
    except (KeyError, IndexError, TypeError, ValueError):
        bad_button(respond, locale)
        return
    if not ids:
        return
    now = deps.clock()
    try:
        with deps.sessions.begin() as db:
            for promise_id in ids:
                home.mark_promise_done(db, team_id, promise_id, user_id, now=now)
    except home.PromiseError as exc:
        answer_privately(respond, error_text(locale, exc))
        return
    deps.outbox.wake()  # the Home tabs that listed it
    blocks, text = card_for(deps, team_id, customer_id, locale, _channel(body))
    answer_privately(respond, text, blocks=dumps_blocks(blocks), replace=True)


def handle_customer_open_handoff(
    ack: Ack, body: dict, client: WebClient, respond: Respond, deps: Deps, team_id: str, user_id: str
) -> None:
    """Open handoff: the customer's latest handoff in a modal (what a shared card hides stays hidden)."""
    ack()
    ref = read_action(cb.CardRef, body)
    if ref is None:
        return
    locale = deps.users.locale(team_id, user_id)
    try:
        with deps.sessions.begin() as db:
            customer = cs.get_customer(db, team_id, ref.customer_id)
            h = cs.latest_handoff(db, team_id, ref.customer_id)
            card = card_data(db, h) if h is not None else None
            name, segment = customer.name, customer.segment
    except cs.CustomerNotFound as exc:
        answer_privately(respond, error_text(locale, exc))
        return
    redact = deps.health_rules.for_customer(team_id, segment).redact if ref.shared else frozenset()
    open_modal(client, respond, body["trigger_id"], cm.handoff_view(locale, name, card, redact=redact), locale)


def _card_modal(body: dict, deps: Deps, team_id: str, user_id: str, respond: Respond):
    """What a card button's modal needs: (locale, the modal's metadata, the customer's name), or None when the
    button's value is not Baton's or the customer is gone (the asker is told)."""
    ref = read_action(cb.CardRef, body)
    if ref is None:
        return None
    locale = deps.users.locale(team_id, user_id)
    try:
        with deps.sessions.begin() as db:
            name = cs.get_customer(db, team_id, ref.customer_id).name
    except cs.CustomerNotFound as exc:
        answer_privately(respond, error_text(locale, exc))
        return None
    meta = cm.HealthMeta(
        customer_id=ref.customer_id,
        locale=locale,
        channel=ref.channel or _channel(body),
        response_url=body.get("response_url"),
    )
    return locale, meta, name


def handle_customer_update_health(
    ack: Ack, body: dict, client: WebClient, respond: Respond, deps: Deps, team_id: str, user_id: str
) -> None:
    """Rate health: the modal for the CSM's own 1–5 rating and a note."""
    ack()
    found = _card_modal(body, deps, team_id, user_id, respond)
    if found is not None:
        locale, meta, name = found
        open_modal(client, respond, body["trigger_id"], cm.health_modal(locale, meta, name), locale)


def handle_customer_health_submission(
    ack: Ack, view: dict, client: WebClient, deps: Deps, team_id: str, user_id: str
) -> None:
    """The rating modal submitted: checked, saved before the ack (so a failure keeps the modal open), confirmed."""
    meta = read_meta(cm.HealthMeta, view)
    if meta is None:
        ack(**stale_form(view, deps.users.locale(team_id, user_id)))
        return
    values = state_values(view)
    rating, errors = cs.validate_rating(values.get(cb.RATING_BLOCK), values.get(cb.NOTE_BLOCK))
    if rating is None:
        blocks = {"rating": cb.RATING_BLOCK, "note": cb.NOTE_BLOCK}
        shown = {blocks[f]: cm.error_text(meta.locale, code, params) for f, (code, params) in errors.items()}
        ack(**modal_errors(view, shown, meta.locale))
        return
    today = deps.clock().date()
    try:
        with deps.sessions.begin() as db:
            cs.record_csm_rating(db, team_id, meta.customer_id, rating, user_id, today, deps.clock(), deps.health_rules)
            name = cs.get_customer(db, team_id, meta.customer_id).name
    except cs.CustomerNotFound as exc:
        ack(**modal_errors(view, {cb.RATING_BLOCK: error_text(meta.locale, exc, mrkdwn=False)}, meta.locale))
        return
    ack()
    _tell(client, meta, user_id, cm.health_saved(meta.locale, name, rating.rating, today))


def handle_customer_log_touch(
    ack: Ack, body: dict, client: WebClient, respond: Respond, deps: Deps, team_id: str, user_id: str
) -> None:
    """Log a touch: the modal for a call, meeting, email or note with this customer."""
    ack()
    found = _card_modal(body, deps, team_id, user_id, respond)
    if found is not None:
        locale, meta, name = found
        view = cm.touch_modal(locale, meta, name, deps.clock().date())
        open_modal(client, respond, body["trigger_id"], view, locale)


TOUCH_BLOCKS = {"kind": cb.TOUCH_KIND_BLOCK, "note": cb.TOUCH_NOTE_BLOCK, "date": cb.TOUCH_DATE_BLOCK}


def handle_customer_touch_submission(
    ack: Ack, view: dict, client: WebClient, deps: Deps, team_id: str, user_id: str
) -> None:
    """Log a touch submitted: checked, stored once per modal (its view id) before the ack, confirmed."""
    meta = read_meta(cm.HealthMeta, view)
    if meta is None:
        ack(**stale_form(view, deps.users.locale(team_id, user_id)))
        return
    values = state_values(view)
    today = deps.clock().date()
    touch, errors = touches.validate(
        values.get(cb.TOUCH_KIND_BLOCK), values.get(cb.TOUCH_NOTE_BLOCK), values.get(cb.TOUCH_DATE_BLOCK), today
    )
    if touch is None:
        shown = {TOUCH_BLOCKS[f]: cm.error_text(meta.locale, code, params) for f, (code, params) in errors.items()}
        ack(**modal_errors(view, shown, meta.locale))
        return
    idem = f"view:{view.get('id') or uuid.uuid4().hex}"  # Slack's view id: one per opened modal
    try:
        with deps.sessions.begin() as db:
            name = cs.log_touch(db, team_id, meta.customer_id, touch, user_id, idem=idem, now=deps.clock())
    except cs.CustomerNotFound as exc:
        ack(**modal_errors(view, {cb.TOUCH_NOTE_BLOCK: error_text(meta.locale, exc, mrkdwn=False)}, meta.locale))
        return
    ack()
    _tell(client, meta, user_id, cm.touch_saved(meta.locale, name, touch.kind, touch.on))


def handle_customer_dm(event: dict, client: WebClient, deps: Deps, team_id: str) -> None:
    """A DM to Baton: `customer acme` (or just `acme`) gets the card in that DM; `help`, `?` or `도움말` help."""
    user, text = event.get("user"), event.get("text") or ""
    query = lookup_text(text)
    if query is None:
        query = plain_text(text)
    locale = deps.users.locale(team_id, user)
    blocks, reply = help_message(locale) if is_help(query) else answer(deps, team_id, query, locale, None)
    try:
        client.chat_postMessage(channel=event["channel"], blocks=dumps_blocks(blocks), text=reply)
    except (SlackApiError, SlackRequestError) as exc:
        log.warning("customer card for a DM not sent: %s", getattr(exc, "response", exc))


def register(reg: Registry) -> None:
    """Attach every /customer listener (before the events module's catch-all)."""
    reg.command(COMMAND)(handle_customer_command)
    reg.action(cb.PICK)(handle_customer_pick)
    reg.action(cb.SHARE)(handle_customer_share)
    reg.action(cb.OPEN_HANDOFF)(handle_customer_open_handoff)
    reg.action(cb.UPDATE_HEALTH)(handle_customer_update_health)
    reg.action(cb.PROMISE_DONE)(handle_customer_promise_done)
    reg.action(cb.OPEN_CRM)(handle_customer_open_crm)
    reg.view(cb.HEALTH_MODAL)(handle_customer_health_submission)
    reg.action(cb.LOG_TOUCH)(handle_customer_log_touch)
    reg.view(cb.TOUCH_MODAL)(handle_customer_touch_submission)
    reg.event("message", matchers=[_is_dm_from_a_person], manifest_name=DM_EVENT)(handle_customer_dm)


def _tell(client: WebClient, meta: cm.HealthMeta, user: str, text: str) -> None:
    """An ephemeral note to `user` where the card was: through the card's response_url (valid 30 minutes),
    else chat.postEphemeral in its channel."""
    if meta.response_url:
        try:
            resp = WebhookClient(meta.response_url, timeout=10).send(
                text=text, response_type="ephemeral", replace_original=False
            )
            if resp.status_code == 200:
                return
            log.info("response_url answered %s; posting the confirmation instead", resp.status_code)
        except (OSError, ValueError) as exc:
            log.info("response_url failed (%s); posting the confirmation instead", exc)
    if meta.channel:
        try:
            client.chat_postEphemeral(channel=meta.channel, user=user, text=text)
        except (SlackApiError, SlackRequestError) as exc:
            log.warning("health confirmation not sent: %s", getattr(exc, "response", exc))


def _channel(body: dict) -> str | None:
    channel = body.get("channel") or {}
    return (channel.get("id") if isinstance(channel, dict) else None) or (body.get("container") or {}).get("channel_id")
