"""Slack listeners for the renewal ladder's question after a renewal date: Renewed (recorded at once, after
Slack's confirmation), Changed ARR and Churned (each a modal), and the two modals' submissions.

Each records through `services/renewal_outcomes.answer_ask` (once per customer and renewal date, whichever ask
or click comes first), then redraws the question in place to say what was recorded (chat.update on the stored
channel and ts, else the response_url). Only the customer's owner CSM, its AE or the ask's recipient answers;
anyone else gets an ephemeral refusal, and a second answer is told what was recorded and by whom. A modal is
saved before its ack, so a failure keeps it open with what was typed.
"""

import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from slack_bolt import Ack, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError

from bot.blocks import kit
from bot.blocks import outcomes as ob
from bot.deps import Deps
from bot.handlers.handoff import state_values
from bot.handlers.messages import modal_errors, open_modal, read_meta, stale_form
from bot.handlers.registry import Registry
from bot.handlers.reminders import _container, _locale, _tell, _value
from bot.money import AmountError, parse_amount
from bot.services import renewal_outcomes as ro
from bot.services import schedules as engine
from bot.services.renewal_outcomes import OutcomeResult

log = logging.getLogger("baton.outcomes")


@dataclass
class _Ask:
    """What a listener needs of the ask and its customer after the session closed."""

    key: str
    customer_id: int
    name: str
    renewal_date: date
    arr: Decimal | None
    currency: str | None
    channel: str | None
    ts: str | None
    blocks: list[dict]
    allowed: bool
    recipient: str | None
    recorded: OutcomeResult | None


def _load(deps: Deps, team: str, key: str, user: str) -> _Ask | None:
    with deps.sessions.begin() as db:
        found = ro.ask_state(db, team, key)
        if found is None:
            return None
        row, customer = found
        _dm, parts = engine.parts_of(row)
        renewal = date.fromisoformat(row.subject or "")
        done = ro.find_outcome(db, team, customer.id, renewal)  # type: ignore[arg-type]
        return _Ask(
            key=row.key,
            customer_id=customer.id,  # type: ignore[arg-type]
            name=customer.name,
            renewal_date=renewal,
            arr=customer.arr,
            currency=customer.currency,
            channel=row.channel,
            ts=row.ts,
            blocks=parts[0].blocks if parts else [],
            allowed=ro.may_answer(row, customer, user),
            recipient=customer.owner_user_id or row.recipient,
            recorded=ro.already(done, customer) if done is not None else None,
        )


def _note(result: OutcomeResult, locale: str, reason: str | None = None) -> str:
    return ob.outcome_note(
        result.outcome or "renewed",
        locale,
        before=result.arr_before,
        after=result.arr_after,
        currency=result.currency,
        by=result.by,
        at=result.at,
        next_renewal=result.next_renewal,
        reason=reason,
    )


def _redraw(client: WebClient, respond: Respond | None, body: dict | None, ask: _Ask, note: str) -> None:
    """The question with what was recorded, where it is (chat.update), else through the response_url."""
    if not ask.blocks:
        return
    blocks = ob.answered(ask.blocks, note, key=ask.key)
    text = note.split("\n", 1)[0]
    channel, ts = ask.channel, ask.ts
    if not (channel and ts) and body is not None:
        channel, ts = _container(body)
    if channel and ts:
        try:
            client.chat_update(channel=channel, ts=ts, blocks=blocks, text=text)
            return
        except (SlackApiError, SlackRequestError) as exc:
            log.info("renewal question not updated in place (%s)", getattr(exc, "response", exc))
    if respond is not None and body is not None and body.get("response_url"):
        respond(blocks=blocks, text=text, replace_original=True)


def _recipient_locale(deps: Deps, team: str, ask: _Ask) -> str:
    user = ask.recipient if (ask.recipient or "")[:1] in ("U", "W") else None
    return _locale(deps, team, user)


def _refuse_or_none(deps, body, respond, client, team, user, ask: _Ask | None) -> bool:
    """Answer the clicker when the ask is gone, not theirs or already answered; True when answered so."""
    locale = _locale(deps, team, user)
    if ask is None:
        _tell(respond, client, body, user, ob.refusal("gone", locale))
        return True
    if not ask.allowed:
        _tell(respond, client, body, user, ob.refusal("not_yours", locale, name=ask.name, user=ask.recipient))
        return True
    if ask.recorded is not None:
        _redraw(client, respond, body, ask, _note(ask.recorded, _recipient_locale(deps, team, ask)))
        note = _note(ask.recorded, locale)
        _tell(respond, client, body, user, ob.refusal("already", locale, note=note))
        return True
    return False


def handle_outcome_renewed(
    ack: Ack, body: dict, respond: Respond, client: WebClient, deps: Deps, team_id: str, user_id: str
) -> None:
    """Renewed (confirmed in Slack's dialog): recorded at the ARR on record; the question says so in place."""
    ack()
    key = _value(body).get("k")
    if not isinstance(key, str):
        log.warning("renewal outcome button without a key")
        return
    ask = _load(deps, team_id, key, user_id)
    if _refuse_or_none(deps, body, respond, client, team_id, user_id, ask):
        return
    with deps.sessions.begin() as db:
        result = ro.answer_ask(db, team_id, key, user_id, "renewed", now=deps.clock())
    _after(deps, body, respond, client, team_id, user_id, ask, result)  # type: ignore[arg-type]


def _after(deps, body, respond, client, team, user, ask: _Ask, result: OutcomeResult, reason: str | None = None):
    locale = _locale(deps, team, user)
    if result.status == "ok":
        _redraw(client, respond, body, ask, _note(result, _recipient_locale(deps, team, ask), reason))
    elif result.status == "already":
        _redraw(client, respond, body, ask, _note(result, _recipient_locale(deps, team, ask)))
        if result.by != user and body is not None:
            _tell(respond, client, body, user, ob.refusal("already", locale, note=_note(result, locale)))
    elif body is not None:
        _tell(respond, client, body, user, ob.refusal(result.status, locale, name=ask.name, user=ask.recipient))


def _open(deps, body, respond, client, team, user, build) -> None:
    key = _value(body).get("k")
    if not isinstance(key, str):
        log.warning("renewal outcome button without a key")
        return
    ask = _load(deps, team, key, user)
    if _refuse_or_none(deps, body, respond, client, team, user, ask):
        return
    locale = _locale(deps, team, user)
    channel, ts = _container(body)
    meta = ob.OutcomeMeta(
        key=key, customer_id=ask.customer_id, locale=locale, channel=ask.channel or channel, ts=ask.ts or ts
    )  # type: ignore[union-attr]
    view = build(locale, meta, ask.name, ask.renewal_date, ask.arr, ask.currency)  # type: ignore[union-attr]
    open_modal(client, respond, body["trigger_id"], view, locale)


def handle_outcome_changed(
    ack: Ack, body: dict, respond: Respond, client: WebClient, deps: Deps, team_id: str, user_id: str
) -> None:
    """Changed ARR: the modal asking for the ARR after the renewal and why."""
    ack()
    _open(deps, body, respond, client, team_id, user_id, ob.changed_modal)


def handle_outcome_churned(
    ack: Ack, body: dict, respond: Respond, client: WebClient, deps: Deps, team_id: str, user_id: str
) -> None:
    """Churned: the modal asking why the customer left."""
    ack()
    _open(deps, body, respond, client, team_id, user_id, ob.churned_modal)


def _submit(ack: Ack, view: dict, client: WebClient, deps: Deps, team: str, user: str, answer: str) -> None:
    meta = read_meta(ob.OutcomeMeta, view)
    if meta is None:
        ack(**stale_form(view, _locale(deps, team, user)))
        return
    values = state_values(view)
    reason = (values.get(ob.REASON_BLOCK) or "").strip() or None
    ask = _load(deps, team, meta.key, user)
    if ask is None:
        ack(**modal_errors(view, {ob.REASON_BLOCK: ob.error_text(meta.locale, "gone")}, meta.locale))
        return
    if not ask.allowed:
        ack(**modal_errors(view, {ob.REASON_BLOCK: ob.error_text(meta.locale, "not_yours")}, meta.locale))
        return
    amount = currency = None
    if answer == "changed":
        try:
            default = ask.currency or deps.settings.default_currency
            amount, currency = parse_amount(values.get(ob.ARR_BLOCK) or "", default)
        except AmountError as exc:
            ack(**modal_errors(view, {ob.ARR_BLOCK: ob.error_text(meta.locale, exc.code)}, meta.locale))
            return
    elif not reason:
        ack(**modal_errors(view, {ob.REASON_BLOCK: ob.error_text(meta.locale, "no_reason")}, meta.locale))
        return
    with deps.sessions.begin() as db:
        result = ro.answer_ask(
            db, team, meta.key, user, answer, arr_after=amount, currency=currency, reason=reason, now=deps.clock()
        )
    if result.status == "already" and result.by != user:
        text = ob.refusal("already", meta.locale, note=_note(result, meta.locale))
        ack(response_action="update", view=kit.notice_modal(meta.locale, text))
    else:
        ack()
    ask.channel, ask.ts = ask.channel or meta.channel, ask.ts or meta.ts
    _after(deps, None, None, client, team, user, ask, result, reason)


def handle_outcome_changed_submission(ack: Ack, view: dict, client: WebClient, deps: Deps, team_id: str, user_id: str):
    """Changed ARR submitted: the amount checked (errors under the field), the outcome recorded before the ack."""
    _submit(ack, view, client, deps, team_id, user_id, "changed")


def handle_outcome_churned_submission(ack: Ack, view: dict, client: WebClient, deps: Deps, team_id: str, user_id: str):
    """Churned submitted: a reason is required; the churn recorded before the ack."""
    _submit(ack, view, client, deps, team_id, user_id, "churned")


def register(reg: Registry) -> None:
    """Attach the renewal question's listeners."""
    reg.action(ob.RENEWED)(handle_outcome_renewed)
    reg.action(ob.CHANGED)(handle_outcome_changed)
    reg.action(ob.CHURNED)(handle_outcome_churned)
    reg.view(ob.CHANGED_MODAL)(handle_outcome_changed_submission)
    reg.view(ob.CHURNED_MODAL)(handle_outcome_churned_submission)
