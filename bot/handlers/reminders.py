"""Slack listeners for the reminders' buttons: Acknowledge, Snooze 7 days, Hand to AE, Mark done, the mute
menu (this customer / this kind for 7 days) and its Undo, and Open card.

Each acts on the reminder's occurrence (its key is in the button's value) through a service, then redraws the
reminder in place to say who did what (chat.update on the stored channel and ts, else the response_url).
Only the reminder's recipient acts on it (Hand to AE: also the customer's owner); anyone else gets a polite
ephemeral. A second click finds the action done and changes nothing.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from slack_bolt import Ack, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from sqlmodel import Session

from bot.blocks import reminders as rb
from bot.deps import Deps
from bot.handlers.customer import card_for
from bot.handlers.messages import answer_privately
from bot.handlers.registry import Registry
from bot.jobs.schedules import defaults
from bot.services import customer as cs
from bot.services import onboarding, reminders, renewals, team_config
from bot.services import schedules as engine
from bot.services.reminders import ACKNOWLEDGED, DONE, HANDED, SNOOZED, Outcome
from bot.services.schedules import Part
from bot.viewdata.reminders import RenewalState

log = logging.getLogger("baton.reminders")


@dataclass
class _Seen:
    """What the handler needs of an occurrence after its session closed."""

    key: str
    status: str
    recipient: str | None
    channel: str | None
    ts: str | None
    blocks: list[dict]
    acted_by: str | None
    acted_at: datetime | None
    snoozed_until: datetime | None
    handed_to: str | None


def _seen(outcome: Outcome) -> _Seen | None:
    row = outcome.row
    if row is None:
        return None
    _dm, parts = engine.parts_of(row)
    return _Seen(
        key=row.key,
        status=row.status,
        recipient=row.recipient,
        channel=row.channel,
        ts=row.ts,
        blocks=parts[0].blocks if parts else [],
        acted_by=row.acted_by,
        acted_at=row.acted_at,
        snoozed_until=row.snoozed_until,
        handed_to=engine.data_of(row).get("handed_to"),
    )


def _note(seen: _Seen, locale: str, by: str | None = None) -> tuple[str, tuple[str, ...]] | None:
    """The who-did-what line of a reminder in `seen.status`, and the buttons it keeps; None when not acted on."""
    who, at = by or seen.acted_by, seen.acted_at
    if seen.status == ACKNOWLEDGED:
        return rb.outcome_note("acknowledged", locale, by=who, at=at), ()
    if seen.status == HANDED:
        ae = f"<@{seen.handed_to}>" if seen.handed_to else "—"
        return rb.outcome_note("handed", locale, by=who, at=at, ae=ae), ()
    if seen.status == DONE:
        return rb.outcome_note("done", locale, by=who, at=at), ()
    if seen.status == SNOOZED and seen.snoozed_until is not None:
        until = rb.slack_date(seen.snoozed_until, locale)
        keep = tuple(b for b in rb.buttons_of(seen.blocks) if b != "snooze")
        return rb.outcome_note("snoozed", locale, by=who, at=at, until=until), keep
    return None


def _value(body: dict) -> dict:
    action = (body.get("actions") or [{}])[0]
    raw = (action.get("selected_option") or {}).get("value") if action.get("type") == "overflow" else None
    return rb.parse_value(raw if raw is not None else action.get("value"))


def _container(body: dict) -> tuple[str | None, str | None]:
    c = body.get("container") or {}
    return c.get("channel_id") or (body.get("channel") or {}).get("id"), c.get("message_ts")


def handle_reminders_ack(
    ack: Ack, body: dict, respond: Respond, client: WebClient, deps: Deps, team_id: str, user_id: str
) -> None:
    """Acknowledge: the recipient has seen it; the reminder says so in place."""
    ack()
    _act(deps, body, respond, client, team_id, user_id, _acknowledge)


def handle_reminders_snooze(
    ack: Ack, body: dict, respond: Respond, client: WebClient, deps: Deps, team_id: str, user_id: str
) -> None:
    """Snooze 7 days: the reminder comes back then."""
    ack()
    _act(deps, body, respond, client, team_id, user_id, _snooze)


def handle_reminders_hand_ae(
    ack: Ack, body: dict, respond: Respond, client: WebClient, deps: Deps, team_id: str, user_id: str
) -> None:
    """Hand to AE: the customer's AE gets the renewal reminder (the recipient or the customer's owner may)."""
    ack()
    _act(deps, body, respond, client, team_id, user_id, _hand_to_ae, refusal="not_owner")


def handle_reminders_done(
    ack: Ack, body: dict, respond: Respond, client: WebClient, deps: Deps, team_id: str, user_id: str
) -> None:
    """Mark done: the onboarding step is done."""
    ack()
    _act(deps, body, respond, client, team_id, user_id, _mark_done)


def handle_reminders_menu(
    ack: Ack, body: dict, respond: Respond, client: WebClient, deps: Deps, team_id: str, user_id: str
) -> None:
    """The mute menu: no more reminders about this customer, or of this kind for 7 days; confirmed with Undo."""
    ack()
    locale = _locale(deps, team_id, user_id)
    value, now = _value(body), deps.clock()
    if value.get("a") == rb.MUTE and isinstance(value.get("c"), int):
        try:
            with deps.sessions.begin() as db:
                name = cs.get_customer(db, team_id, value["c"]).name
                reminders.mute_customer(db, team_id, user_id, value["c"], now=now)
        except cs.CustomerNotFound:
            _tell(respond, client, body, user_id, rb.refusal("gone", locale))
            return
        blocks, text = rb.mute_confirmation(locale, customer_id=value["c"], customer=name)
    elif value.get("a") == rb.PAUSE and isinstance(value.get("kind"), str):
        with deps.sessions.begin() as db:
            until = reminders.pause_kind(db, team_id, user_id, value["kind"], now=now)
        blocks, text = rb.mute_confirmation(locale, kind=value["kind"], until=until)
    else:
        log.warning("reminder menu option without a valid value")
        return
    _tell(respond, client, body, user_id, text, blocks)


def handle_reminders_undo(
    ack: Ack, body: dict, respond: Respond, client: WebClient, deps: Deps, team_id: str, user_id: str
) -> None:
    """Undo a mute or a pause; the confirmation it sits in says reminders are back."""
    ack()
    locale = _locale(deps, team_id, user_id)
    value = _value(body)
    customer_id = value.get("c") if value.get("a") == rb.MUTE else None
    kind = value.get("kind") if value.get("a") == rb.PAUSE else None
    if customer_id is None and kind is None:
        return
    with deps.sessions.begin() as db:
        reminders.undo_mute(db, team_id, user_id, customer_id=customer_id, kind=kind)
        try:
            name = cs.get_customer(db, team_id, customer_id).name if customer_id is not None else None
        except cs.CustomerNotFound:
            name = None
    text = rb.unmuted(locale, customer=name, kind=kind)
    if body.get("response_url"):  # replaces the confirmation the Undo button sits in
        respond(text=text, response_type="ephemeral", replace_original=True)
    else:
        _tell(respond, client, body, user_id, text)


def handle_reminders_open_card(
    ack: Ack, body: dict, respond: Respond, client: WebClient, deps: Deps, team_id: str, user_id: str
) -> None:
    """Open card: the customer's card for the clicker only (with Share in channel outside a DM)."""
    ack()
    customer_id = _value(body).get("c")
    if not isinstance(customer_id, int):
        log.warning("open card button without a customer")
        return
    channel, _ts = _container(body)
    share_in = channel if channel and not channel.startswith("D") else None  # no Share button in a DM
    blocks, text = card_for(deps, team_id, customer_id, _locale(deps, team_id, user_id), share_in)
    _tell(respond, client, body, user_id, text, [b.to_dict() for b in blocks])


def register(reg: Registry) -> None:
    """Attach every reminder button's listener."""
    reg.action(rb.ACK)(handle_reminders_ack)
    reg.action(rb.SNOOZE)(handle_reminders_snooze)
    reg.action(rb.HAND_AE)(handle_reminders_hand_ae)
    reg.action(rb.DONE)(handle_reminders_done)
    reg.action(rb.MENU)(handle_reminders_menu)
    reg.action(rb.UNDO)(handle_reminders_undo)
    reg.action(rb.OPEN_CARD)(handle_reminders_open_card)


# --- what the buttons share ----------------------------------------------------------------------------------

# What a button does to the occurrence: (deps, db, team, key, user) -> Outcome.
Run = Callable[[Deps, Session, str, str, str], Outcome]


def _acknowledge(deps: Deps, db: Session, team: str, key: str, user: str) -> Outcome:
    return reminders.acknowledge(db, team, key, user, now=deps.clock())


def _snooze(deps: Deps, db: Session, team: str, key: str, user: str) -> Outcome:
    return reminders.snooze(db, team, key, user, now=deps.clock())


def _mark_done(deps: Deps, db: Session, team: str, key: str, user: str) -> Outcome:
    return onboarding.mark_done(db, team, key, user, now=deps.clock())


def _hand_to_ae(deps: Deps, db: Session, team: str, key: str, user: str) -> Outcome:
    cfg = team_config.load(db, team, defaults(deps))
    now = deps.clock()
    return renewals.hand_to_ae(
        db,
        team,
        key,
        user,
        now=now,
        today=cfg.today(now),
        rules=deps.health_rules,
        draw=lambda state, ae, key, step, by: _handed_parts(deps, team, state, ae, key, step, by),
    )


def _handed_parts(deps: Deps, team: str, state: RenewalState, ae: str, key: str, step: int, by: str) -> list[Part]:
    """The AE's DM when a renewal is handed to them, in the AE's language."""
    blocks, text = rb.handed_to_ae(state, _locale(deps, team, ae), key=key, step=step, by=by)
    return [Part(text, blocks)]


def _locale(deps: Deps, team: str, user: str | None) -> str:
    return deps.users.locale(team, user) if user else deps.settings.default_locale


def _tell(
    respond: Respond, client: WebClient, body: dict, user: str, text: str, blocks: list[dict] | None = None
) -> None:
    """An ephemeral for the clicker, never replacing the reminder: through the response_url, else
    chat.postEphemeral where the reminder is."""
    if body.get("response_url") and answer_privately(respond, text, blocks=blocks):
        return
    channel, _ts = _container(body)
    if channel:
        kwargs = {"text": text, **({"blocks": blocks} if blocks else {})}
        try:
            client.chat_postEphemeral(channel=channel, user=user, **kwargs)
        except (SlackApiError, SlackRequestError) as exc:
            log.warning("reminder answer not sent: %s", getattr(exc, "response", exc))


def _redraw(
    deps: Deps, client: WebClient, respond: Respond, body: dict, seen: _Seen, team: str, by: str | None = None
) -> None:
    """Draw the reminder with who did what, where it is (chat.update), else through the response_url."""
    locale = _locale(deps, team, seen.recipient if (seen.recipient or "")[:1] in ("U", "W") else None)
    drawn = _note(seen, locale, by)
    if drawn is None or not seen.blocks:
        return
    note, keep = drawn
    blocks = rb.settled(seen.blocks, note, key=seen.key, keep=keep)
    text = next((b["text"]["text"] for b in blocks if b.get("type") == "section" and "text" in b), note)
    channel, ts = seen.channel, seen.ts
    if not (channel and ts):
        channel, ts = _container(body)
    if channel and ts:
        try:
            client.chat_update(channel=channel, ts=ts, blocks=blocks, text=text)
            return
        except (SlackApiError, SlackRequestError) as exc:
            log.info("reminder not updated in place (%s); using the response_url", getattr(exc, "response", exc))
    if body.get("response_url"):
        respond(blocks=blocks, text=text, replace_original=True)


def _act(
    deps: Deps,
    body: dict,
    respond: Respond,
    client: WebClient,
    team: str,
    user: str,
    run: Run,
    *,
    refusal: str = "not_yours",
) -> None:
    """Run a button on the occurrence its value names, then redraw the reminder or tell the clicker why not."""
    key = _value(body).get("k")
    clicker = _locale(deps, team, user)
    if not key:
        log.warning("reminder button without a key")
        return
    with deps.sessions.begin() as db:
        outcome = run(deps, db, team, key, user)
        seen = _seen(outcome)
    if outcome.status == "ok" and seen is not None:
        _redraw(deps, client, respond, body, seen, team)
        if outcome.other:
            deps.outbox.wake()
        return
    if outcome.status == "already" and seen is not None:
        _redraw(deps, client, respond, body, seen, team, outcome.by)
        if (outcome.by or seen.acted_by) != user:
            drawn = _note(seen, clicker, outcome.by)
            if drawn:
                _tell(respond, client, body, user, rb.refusal("already", clicker, note=drawn[0]))
        return
    if outcome.status == "not_yours" and seen is not None:
        _tell(respond, client, body, user, rb.refusal(refusal, clicker, user=seen.recipient))
        return
    if outcome.status == "no_ae":
        _tell(respond, client, body, user, rb.refusal("no_ae", clicker, name=outcome.customer))
        return
    _tell(respond, client, body, user, rb.refusal("gone", clicker))
