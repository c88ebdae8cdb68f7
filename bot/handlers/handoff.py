"""Slack listeners for the handoff: open the form, save it, and the card's buttons and small modals."""

import logging
import uuid

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks import handoff as hb
from bot.deps import Deps
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
            if respond is not None:
                respond(text=t(locale, "common.try_again"), response_type="ephemeral", replace_original=False)

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
        handoff_id = int(body["actions"][0]["value"])
        team, user = _team(body), _user_id(body)
        with deps.sessions.begin() as db:
            h = hs.get_handoff(db, team, handoff_id)
            status, submitted_by = h.status, h.submitted_by
        if status != DRAFT:
            respond(
                text=t(deps.users.locale(team, user), "handoff.already_submitted", user=f"<@{submitted_by}>"),
                response_type="ephemeral",
                replace_original=False,
            )
            return
        open_form(client, respond, body, body["trigger_id"], handoff_id=handoff_id)

    @app.action(hb.EDIT)
    def handle_handoff_edit(ack: Ack, body: dict, client: WebClient, respond: Respond) -> None:
        ack()
        handoff_id = int(body["actions"][0]["value"])
        team, user = _team(body), _user_id(body)
        with deps.sessions.begin() as db:
            h = hs.get_handoff(db, team, handoff_id)
            editors = {h.ae_user_id, h.submitted_by} - {None}
        if user not in editors:
            who = ", ".join(f"<@{u}>" for u in sorted(editors)) or t(deps.users.locale(team, user), "common.unknown")
            respond(
                text=t(deps.users.locale(team, user), "handoff.edit.not_allowed", users=who),
                response_type="ephemeral",
                replace_original=False,
            )
            return
        open_form(client, respond, body, body["trigger_id"], handoff_id=handoff_id, editing=True)

    @app.view(hb.HANDOFF_MODAL)
    def handle_handoff_submission(ack: Ack, body: dict, view: dict) -> None:
        team, user = _team(body), _user_id(body)
        meta = hb.HandoffMeta.model_validate_json(view.get("private_metadata") or "{}")
        locale = meta.locale
        form, errors = hs.validate_handoff(
            state_values(view), default_currency=deps.settings.default_currency, today=deps.clock().date()
        )
        if errors:
            ack(response_action="errors", errors=_errors(locale, errors))
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
            ack(response_action="errors", errors={"customer_name": t(locale, f"err.{exc.code}", **exc.params)})
            return
        ack()
        deps.outbox.wake()

    @app.action(hb.ACCEPT)
    def handle_handoff_accept(ack: Ack, body: dict, respond: Respond) -> None:
        ack()
        team, user = _team(body), _user_id(body)
        handoff_id = int(body["actions"][0]["value"])
        with deps.sessions.begin() as db:
            outcome = hs.accept_handoff(db, team, handoff_id, user, deps.clock())
        if outcome.accepted:
            deps.outbox.wake()
            return
        h = outcome.handoff
        locale = deps.users.locale(team, user)
        at = format_date(h.accepted_at.date(), locale) if h.accepted_at else ""
        respond(
            text=t(locale, "handoff.already_accepted", user=f"<@{h.accepted_by}>", at=at),
            response_type="ephemeral",
            replace_original=False,
        )

    def open_small(body: dict, client: WebClient, builder) -> None:
        team, user = _team(body), _user_id(body)
        handoff_id = int(body["actions"][0]["value"])
        locale = deps.users.locale(team, user)
        with deps.sessions.begin() as db:
            h = hs.get_handoff(db, team, handoff_id)
            customer, ae = h.customer_name or "", h.ae_user_id
        view = builder(locale, handoff_id, customer, ae)
        client.views_open(trigger_id=body["trigger_id"], view=view)

    @app.action(hb.ASK_AE)
    def handle_handoff_ask_ae(ack: Ack, body: dict, client: WebClient) -> None:
        ack()
        open_small(body, client, hb.ask_ae_modal)

    @app.action(hb.FLAG_BAD_FIT)
    def handle_handoff_flag_bad_fit(ack: Ack, body: dict, client: WebClient) -> None:
        ack()
        open_small(body, client, lambda locale, hid, customer, _ae: hb.bad_fit_modal(locale, hid, customer))

    def thread_submission(ack: Ack, body: dict, view: dict, block_id: str, action) -> None:
        team, user = _team(body), _user_id(body)
        meta = hb.ThreadMeta.model_validate_json(view["private_metadata"])
        text = state_values(view).get(block_id) or ""
        try:
            with deps.sessions.begin() as db:
                action(db, team, meta.handoff_id, user, text, idem=view["id"], now=deps.clock())
        except hs.HandoffError as exc:
            ack(response_action="errors", errors={block_id: t(meta.locale, f"err.{exc.code}", **exc.params)})
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
        out.setdefault(e.field, t(locale, f"err.{e.code}", **e.params)[:150])
    return out
