"""Slack listeners for the handoff: open the form, save it, and the card's buttons and small modals."""

import dataclasses
import logging
import re
import uuid
from collections.abc import Callable

from slack_bolt import Ack, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.models.views import View

from bot.blocks import handoff as hb
from bot.blocks.help import help_message
from bot.deps import Deps
from bot.handlers.messages import (
    answer_privately,
    bad_button,
    error_text,
    is_help,
    modal_errors,
    open_modal,
    read_meta,
    stale_form,
)
from bot.handlers.payload import action_int
from bot.handlers.registry import Registry
from bot.i18n import format_date, t
from bot.models import DRAFT
from bot.services import handoff as hs

log = logging.getLogger("baton.handoff")

COMMAND = "/handoff"
SHORTCUT = "start_handoff"


def state_values(view: dict) -> dict[str, str | None]:
    """Flatten view.state.values to {block_id: value} for every element type the forms use."""
    out: dict[str, str | None] = {}
    for block_id, actions in (view.get("state") or {}).get("values", {}).items():
        for state in actions.values():
            kind = state.get("type")
            if kind == "datepicker":
                value = state.get("selected_date")
            elif kind == "users_select":
                value = state.get("selected_user")
            elif kind in ("static_select", "radio_buttons"):
                value = (state.get("selected_option") or {}).get("value")
            else:
                value = state.get("value")
            out[block_id] = value
    return out


def form_values(view: dict) -> dict[str, str | None]:
    """The handoff modal's answers, one per field of the table (a field the view lacks is None)."""
    values = state_values(view)
    return {spec.name: values.get(spec.name) for spec in hb.FIELDS}


def handle_handoff_command(
    ack: Ack, body: dict, client: WebClient, respond: Respond, deps: Deps, team_id: str, user_id: str
) -> None:
    """`/handoff [NAME]`: the form, prefilled from that customer's open draft when there is one; `/handoff help`
    answers with help (never a form for a customer named "help")."""
    ack()
    name = (body.get("text") or "").strip()
    if is_help(name):
        blocks, text = help_message(deps.users.locale(team_id, user_id))
        respond(blocks=hb.dumps_blocks(blocks), text=text, response_type="ephemeral")
        return
    _open_form(deps, client, respond, body["trigger_id"], team_id, user_id, name=name)


def handle_handoff_shortcut(ack: Ack, body: dict, client: WebClient, deps: Deps, team_id: str, user_id: str) -> None:
    """The global shortcut: an empty form."""
    ack()
    _open_form(deps, client, None, body["trigger_id"], team_id, user_id)


def handle_handoff_fill(
    ack: Ack, body: dict, client: WebClient, respond: Respond, deps: Deps, team_id: str, user_id: str
) -> None:
    """Fill handoff (on a CRM draft's DM): the form prefilled from the draft, unless someone submitted it."""
    ack()
    locale = deps.users.locale(team_id, user_id)
    handoff_id = action_int(body)
    if handoff_id is None:
        bad_button(respond, locale)
        return
    try:
        with deps.sessions.begin() as db:
            h = hs.get_handoff(db, team_id, handoff_id)
            status, submitted_by = h.status, h.submitted_by
    except hs.HandoffError as exc:
        answer_privately(respond, error_text(locale, exc))
        return
    if status != DRAFT:
        answer_privately(respond, t(locale, "handoff.already_submitted", user=f"<@{submitted_by}>"))
        return
    _open_form(deps, client, respond, body["trigger_id"], team_id, user_id, handoff_id=handoff_id)


def handle_handoff_edit(
    ack: Ack, body: dict, client: WebClient, respond: Respond, deps: Deps, team_id: str, user_id: str
) -> None:
    """Edit (the card's button, shown to the AE and the submitter): the form with the handoff's values."""
    ack()
    locale = deps.users.locale(team_id, user_id)
    handoff_id = action_int(body)
    if handoff_id is None:
        bad_button(respond, locale)
        return
    try:
        with deps.sessions.begin() as db:
            h = hs.get_handoff(db, team_id, handoff_id)
            editors = {h.ae_user_id, h.submitted_by} - {None}
    except hs.HandoffError as exc:
        answer_privately(respond, error_text(locale, exc))
        return
    if user_id not in editors:
        who = ", ".join(f"<@{u}>" for u in sorted(editors)) or t(locale, "common.unknown")
        answer_privately(respond, t(locale, "handoff.edit.not_allowed", users=who))
        return
    _open_form(deps, client, respond, body["trigger_id"], team_id, user_id, handoff_id=handoff_id, editing=True)


def handle_handoff_submission(ack: Ack, view: dict, deps: Deps, team_id: str, user_id: str) -> None:
    """The form submitted: checked field by field, saved before the ack (so a failure keeps the modal open with
    the user's input), then the card goes out through the outbox."""
    meta = read_meta(hb.HandoffMeta, view)
    if meta is None or not meta.form_id:  # a new form always carries its form id
        ack(**stale_form(view, deps.users.locale(team_id, user_id)))
        return
    locale = meta.locale
    form, errors = hs.validate_handoff(
        form_values(view), default_currency=deps.settings.default_currency, today=deps.clock().date()
    )
    errors = errors or _resolve_owners(deps, team_id, form)
    if errors:
        ack(**modal_errors(view, _errors(locale, errors), locale))
        return
    try:
        with deps.sessions.begin() as db:
            hs.save_handoff(
                db,
                team_id,
                user_id,
                form,
                handoff_id=meta.handoff_id,
                form_id=meta.form_id,
                channel=deps.settings.handoff_channel or "",
                now=deps.clock(),
            )
    except hs.HandoffError as exc:
        ack(**modal_errors(view, {exc.field or "customer_name": error_text(locale, exc, mrkdwn=False)}, locale))
        return
    ack()
    deps.outbox.wake()


def handle_handoff_accept(ack: Ack, body: dict, respond: Respond, deps: Deps, team_id: str, user_id: str) -> None:
    """Accept: the clicking CSM owns the customer; a later click is told who accepted it and when."""
    ack()
    locale = deps.users.locale(team_id, user_id)
    handoff_id = action_int(body)
    if handoff_id is None:
        bad_button(respond, locale)
        return
    try:
        with deps.sessions.begin() as db:
            outcome = hs.accept_handoff(db, team_id, handoff_id, user_id, deps.clock())
    except hs.HandoffError as exc:
        answer_privately(respond, error_text(locale, exc))
        return
    if outcome.accepted:
        deps.outbox.wake()
        return
    h = outcome.handoff
    at = format_date(h.accepted_at.date(), locale) if h.accepted_at else ""
    answer_privately(respond, t(locale, "handoff.already_accepted", user=f"<@{h.accepted_by}>", at=at))


def handle_handoff_ask_ae(
    ack: Ack, body: dict, client: WebClient, respond: Respond, deps: Deps, team_id: str, user_id: str
) -> None:
    """Ask AE: the small modal for a question posted in the card's thread."""
    ack()
    _open_small(deps, body, client, respond, team_id, user_id, hb.ask_ae_modal)


def handle_handoff_flag_bad_fit(
    ack: Ack, body: dict, client: WebClient, respond: Respond, deps: Deps, team_id: str, user_id: str
) -> None:
    """Flag bad fit: the small modal asking why."""
    ack()
    _open_small(
        deps,
        body,
        client,
        respond,
        team_id,
        user_id,
        lambda locale, hid, name, _ae: hb.bad_fit_modal(locale, hid, name),
    )


def handle_handoff_ask_ae_submission(ack: Ack, view: dict, deps: Deps, team_id: str, user_id: str) -> None:
    """The question submitted: queued for the card's thread (once per submission)."""
    _thread_submission(ack, view, deps, team_id, user_id, hb.QUESTION_BLOCK, hs.ask_ae)


def handle_handoff_bad_fit_submission(ack: Ack, view: dict, deps: Deps, team_id: str, user_id: str) -> None:
    """The bad-fit reason submitted: recorded, the card marked, the reason queued for its thread."""
    _thread_submission(ack, view, deps, team_id, user_id, hb.REASON_BLOCK, hs.flag_bad_fit)


def register(reg: Registry) -> None:
    """Attach every handoff listener."""
    reg.command(COMMAND)(handle_handoff_command)
    reg.shortcut(SHORTCUT)(handle_handoff_shortcut)
    reg.action(hb.FILL)(handle_handoff_fill)
    reg.action(hb.EDIT)(handle_handoff_edit)
    reg.view(hb.HANDOFF_MODAL)(handle_handoff_submission)
    reg.action(hb.ACCEPT)(handle_handoff_accept)
    reg.action(hb.ASK_AE)(handle_handoff_ask_ae)
    reg.action(hb.FLAG_BAD_FIT)(handle_handoff_flag_bad_fit)
    reg.view(hb.ASK_AE_MODAL)(handle_handoff_ask_ae_submission)
    reg.view(hb.BAD_FIT_MODAL)(handle_handoff_bad_fit_submission)


# --- what the listeners share --------------------------------------------------------------------------------


def _open_form(
    deps: Deps,
    client: WebClient,
    respond: Respond | None,
    trigger_id: str,
    team_id: str,
    user_id: str,
    *,
    handoff_id: int | None = None,
    name: str = "",
    editing: bool = False,
) -> None:
    """The handoff modal: a handoff's values (by id, else the open draft named `name`), or a new form."""
    locale = deps.users.locale(team_id, user_id)
    initial: dict[str, str | None] = {"ae_user": user_id}
    with deps.sessions.begin() as db:
        h = (
            hs.get_handoff(db, team_id, handoff_id)
            if handoff_id
            else (hs.find_open_draft(db, team_id, name) if name else None)
        )
        if h is not None:
            initial = hb.initial_values(h)
            initial["ae_user"] = initial["ae_user"] or user_id
            handoff_id = h.id
        elif name:
            initial["customer_name"] = name[:255]
    meta = hb.HandoffMeta(handoff_id=handoff_id, form_id=uuid.uuid4().hex, locale=locale)
    open_modal(client, respond, trigger_id, hb.handoff_modal(locale, meta, initial, editing=editing), locale)


def _open_small(
    deps: Deps,
    body: dict,
    client: WebClient,
    respond: Respond | None,
    team_id: str,
    user_id: str,
    builder: Callable[[str, int, str, str | None], View],
) -> None:
    """One of the card's small modals, for the handoff the button names."""
    locale = deps.users.locale(team_id, user_id)
    handoff_id = action_int(body)
    if handoff_id is None:
        bad_button(respond, locale)
        return
    try:
        with deps.sessions.begin() as db:
            h = hs.get_handoff(db, team_id, handoff_id)
            customer, ae = h.customer_name or "", h.ae_user_id
    except hs.HandoffError as exc:
        answer_privately(respond, error_text(locale, exc))
        return
    open_modal(client, respond, body["trigger_id"], builder(locale, handoff_id, customer, ae), locale)


def _thread_submission(
    ack: Ack, view: dict, deps: Deps, team_id: str, user_id: str, block_id: str, action: Callable
) -> None:
    """A small modal's text handed to `action` (ask_ae, flag_bad_fit) before the ack, so a refusal shows under
    the input."""
    meta = read_meta(hb.ThreadMeta, view)
    if meta is None:
        ack(**stale_form(view, deps.users.locale(team_id, user_id)))
        return
    text = state_values(view).get(block_id) or ""
    try:
        with deps.sessions.begin() as db:
            action(db, team_id, meta.handoff_id, user_id, text, idem=view.get("id") or "", now=deps.clock())
    except hs.HandoffError as exc:
        ack(**modal_errors(view, {block_id: error_text(meta.locale, exc, mrkdwn=False)}, meta.locale))
        return
    ack()
    deps.outbox.wake()


_EMAIL_RE = re.compile(r"[^@\s<>|]+@[^@\s<>|]+\.[^@\s<>|.]+")


def _resolve_owners(deps: Deps, team_id: str, form: hs.HandoffForm) -> list[hs.FieldError]:
    """Each promise's owner as a Slack user, so reminders reach them: an email is looked up in Slack, a name
    among the team's users Baton knows; one that names nobody is refused next to the field (it used to be kept
    as text, and its reminders silently went to the customer's owner)."""
    errors: list[hs.FieldError] = []
    resolved = []
    looked_up: dict[str, str | None] = {}  # before the ack: each email asked once, known users from the cache
    for number, promise in enumerate(form.promises, 1):
        owner = (promise.owner_name or "").strip()
        if promise.owner_user_id or not owner:
            resolved.append(promise)
            continue
        if _EMAIL_RE.fullmatch(owner):
            try:
                key = owner.casefold()
                if key not in looked_up:
                    looked_up[key] = deps.users.find_by_email(owner, team_id=team_id)
                user = looked_up[key]
            except (SlackApiError, SlackRequestError) as exc:  # Slack cannot say now: keep the name as typed
                log.warning("promise owner %s not looked up: %s", number, getattr(exc, "response", exc))
                resolved.append(promise)
                continue
            code = "promise_owner_email"
        else:
            user, code = deps.users.find_by_name(team_id, owner), "promise_owner_name"
        if user is None:
            errors.append(hs.FieldError("promises", code, {"line": number, "value": owner}))
        else:
            resolved.append(dataclasses.replace(promise, owner_user_id=user, owner_name=None))
    if not errors:
        form.promises[:] = resolved
    return errors


def _errors(locale: str, errors: list[hs.FieldError]) -> dict[str, str]:
    """Each field's first error, in the user's words."""
    out: dict[str, str] = {}
    for e in errors:
        out.setdefault(e.field, t(locale, f"err.{e.code}", **e.params))
    return out
