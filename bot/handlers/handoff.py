"""Slack listeners for the handoff: open the form, save it, and the card's buttons and small modals."""

import logging
import uuid

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks import handoff as hb
from bot.deps import Deps
from bot.handlers.messages import answer_privately, bad_button, error_text, modal_errors, read_meta, stale_form
from bot.handlers.payload import action_int
from bot.handlers.payload import team_id as _team
from bot.handlers.payload import user_id as _user_id
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


def register(app: App | Registry, deps: Deps) -> None:
    """Attach every handoff listener to the app."""

    def open_form(
        client: WebClient,
        respond: Respond | None,
        body: dict,
        trigger_id: str,
        handoff_id=None,
        name: str = "",
        editing: bool = False,
    ) -> None:
        team, user = _team(body), _user_id(body)
        locale = deps.users.locale(team, user)
        initial: dict[str, str | None] = {"ae_user": user}
        with deps.sessions.begin() as db:
            h = (
                hs.get_handoff(db, team, handoff_id)
                if handoff_id
                else (hs.find_open_draft(db, team, name) if name else None)
            )
            if h is not None:
                initial = hb.initial_values(h)
                initial["ae_user"] = initial["ae_user"] or user
                handoff_id = h.id
            elif name:
                initial["customer_name"] = name[:255]
        meta = hb.HandoffMeta(handoff_id=handoff_id, form_id=uuid.uuid4().hex, locale=locale)
        view = hb.handoff_modal(locale, meta, initial, editing=editing)
        try:
            client.views_open(trigger_id=trigger_id, view=view)
        except SlackApiError as exc:
            log.warning("views.open failed: %s", exc.response.get("error"))
            answer_privately(respond, t(locale, "common.try_again"))

    @app.command(COMMAND)
    def handle_handoff_command(ack: Ack, body: dict, client: WebClient, respond: Respond) -> None:
        ack()
        open_form(client, respond, body, body["trigger_id"], name=(body.get("text") or "").strip())

    @app.shortcut(SHORTCUT)
    def handle_handoff_shortcut(ack: Ack, body: dict, client: WebClient) -> None:
        ack()
        open_form(client, None, body, body["trigger_id"])

    @app.action(hb.FILL)
    def handle_handoff_fill(ack: Ack, body: dict, client: WebClient, respond: Respond) -> None:
        ack()
        team, user = _team(body), _user_id(body)
        locale = deps.users.locale(team, user)
        handoff_id = action_int(body)
        if handoff_id is None:
            bad_button(respond, locale)
            return
        try:
            with deps.sessions.begin() as db:
                h = hs.get_handoff(db, team, handoff_id)
                status, submitted_by = h.status, h.submitted_by
        except hs.HandoffError as exc:
            answer_privately(respond, error_text(locale, exc))
            return
        if status != DRAFT:
            answer_privately(respond, t(locale, "handoff.already_submitted", user=f"<@{submitted_by}>"))
            return
        open_form(client, respond, body, body["trigger_id"], handoff_id=handoff_id)

    @app.action(hb.EDIT)
    def handle_handoff_edit(ack: Ack, body: dict, client: WebClient, respond: Respond) -> None:
        ack()
        team, user = _team(body), _user_id(body)
        locale = deps.users.locale(team, user)
        handoff_id = action_int(body)
        if handoff_id is None:
            bad_button(respond, locale)
            return
        try:
            with deps.sessions.begin() as db:
                h = hs.get_handoff(db, team, handoff_id)
                editors = {h.ae_user_id, h.submitted_by} - {None}
        except hs.HandoffError as exc:
            answer_privately(respond, error_text(locale, exc))
            return
        if user not in editors:
            who = ", ".join(f"<@{u}>" for u in sorted(editors)) or t(locale, "common.unknown")
            answer_privately(respond, t(locale, "handoff.edit.not_allowed", users=who))
            return
        open_form(client, respond, body, body["trigger_id"], handoff_id=handoff_id, editing=True)

    @app.view(hb.HANDOFF_MODAL)
    def handle_handoff_submission(ack: Ack, body: dict, view: dict) -> None:
        team, user = _team(body), _user_id(body)
        meta = read_meta(hb.HandoffMeta, view)
        if meta is None or not meta.form_id:  # a new form always carries its form id
            ack(**stale_form(view, deps.users.locale(team, user)))
            return
        locale = meta.locale
        form, errors = hs.validate_handoff(
            state_values(view), default_currency=deps.settings.default_currency, today=deps.clock().date()
        )
        if errors:
            ack(**modal_errors(view, _errors(locale, errors), locale))
            return
        # Saved before ack (a few ms) so that a failure keeps the modal open with the user's input.
        try:
            with deps.sessions.begin() as db:
                hs.save_handoff(
                    db,
                    team,
                    user,
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

    @app.action(hb.ACCEPT)
    def handle_handoff_accept(ack: Ack, body: dict, respond: Respond) -> None:
        ack()
        team, user = _team(body), _user_id(body)
        locale = deps.users.locale(team, user)
        handoff_id = action_int(body)
        if handoff_id is None:
            bad_button(respond, locale)
            return
        try:
            with deps.sessions.begin() as db:
                outcome = hs.accept_handoff(db, team, handoff_id, user, deps.clock())
        except hs.HandoffError as exc:
            answer_privately(respond, error_text(locale, exc))
            return
        if outcome.accepted:
            deps.outbox.wake()
            return
        h = outcome.handoff
        at = format_date(h.accepted_at.date(), locale) if h.accepted_at else ""
        answer_privately(respond, t(locale, "handoff.already_accepted", user=f"<@{h.accepted_by}>", at=at))

    def open_small(body: dict, client: WebClient, respond: Respond | None, builder) -> None:
        team, user = _team(body), _user_id(body)
        locale = deps.users.locale(team, user)
        handoff_id = action_int(body)
        if handoff_id is None:
            bad_button(respond, locale)
            return
        try:
            with deps.sessions.begin() as db:
                h = hs.get_handoff(db, team, handoff_id)
                customer, ae = h.customer_name or "", h.ae_user_id
        except hs.HandoffError as exc:
            answer_privately(respond, error_text(locale, exc))
            return
        view = builder(locale, handoff_id, customer, ae)
        try:
            client.views_open(trigger_id=body["trigger_id"], view=view)
        except SlackApiError as exc:  # the trigger_id lives 3 s
            log.warning("views.open failed: %s", exc.response.get("error"))
            answer_privately(respond, t(locale, "common.try_again"))

    @app.action(hb.ASK_AE)
    def handle_handoff_ask_ae(ack: Ack, body: dict, client: WebClient, respond: Respond) -> None:
        ack()
        open_small(body, client, respond, hb.ask_ae_modal)

    @app.action(hb.FLAG_BAD_FIT)
    def handle_handoff_flag_bad_fit(ack: Ack, body: dict, client: WebClient, respond: Respond) -> None:
        ack()
        open_small(body, client, respond, lambda locale, hid, customer, _ae: hb.bad_fit_modal(locale, hid, customer))

    def thread_submission(ack: Ack, body: dict, view: dict, block_id: str, action) -> None:
        team, user = _team(body), _user_id(body)
        meta = read_meta(hb.ThreadMeta, view)
        if meta is None:
            ack(**stale_form(view, deps.users.locale(team, user)))
            return
        text = state_values(view).get(block_id) or ""
        try:
            with deps.sessions.begin() as db:
                action(db, team, meta.handoff_id, user, text, idem=view.get("id") or "", now=deps.clock())
        except hs.HandoffError as exc:
            ack(**modal_errors(view, {block_id: error_text(meta.locale, exc, mrkdwn=False)}, meta.locale))
            return
        ack()
        deps.outbox.wake()

    @app.view(hb.ASK_AE_MODAL)
    def handle_handoff_ask_ae_submission(ack: Ack, body: dict, view: dict) -> None:
        thread_submission(ack, body, view, hb.QUESTION_BLOCK, hs.ask_ae)

    @app.view(hb.BAD_FIT_MODAL)
    def handle_handoff_bad_fit_submission(ack: Ack, body: dict, view: dict) -> None:
        thread_submission(ack, body, view, hb.REASON_BLOCK, hs.flag_bad_fit)


def _errors(locale: str, errors: list[hs.FieldError]) -> dict[str, str]:
    out: dict[str, str] = {}
    for e in errors:
        out.setdefault(e.field, t(locale, f"err.{e.code}", **e.params))
    return out
