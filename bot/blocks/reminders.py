"""Block Kit for reminders: the renewal ladder and onboarding DMs, the buttons every reminder shares
(Acknowledge, Snooze 7 days, Hand to AE, Mark done, the mute menu, Open card) and the answers to them.

Pure builders: data in, dict blocks out (the schedule engine stores them as JSON). Whatever the data
(255-character names, Korean, long quotes), every message stays within Slack's limits: at most 50 blocks,
section text 3,000, fields 10 x 2,000, button text 75, overflow option text 75 and value 150.
"""

import hashlib
import json
from collections.abc import Sequence
from datetime import date, datetime
from functools import lru_cache

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    Option,
    OverflowMenuElement,
)

from bot.blocks import kit
from bot.blocks.customer import BAND_EMOJI, band_label, rating_text
from bot.blocks.kit import SECTION_LIMIT, mrkdwn, plain, section
from bot.i18n import format_date, t
from bot.money import format_amount
from bot.text import escape_mrkdwn, truncate
from bot.viewdata.reminders import OnboardingState, RenewalState

# --- ids (one place; a test checks each action id has a listener) -----------------------------------
OPEN_CARD = "reminder_open_card"  # answers the clicker with the customer's /customer card (ephemeral)
ACK = "reminder_ack"
SNOOZE = "reminder_snooze"
HAND_AE = "reminder_hand_ae"
DONE = "reminder_done"
MENU = "reminder_menu"  # the overflow: mute this customer / pause this kind for 7 days
UNDO = "reminder_undo"  # the Undo button of a mute's confirmation
CONTROLS_BLOCK = "reminder_controls"  # block id prefix of a reminder's actions block
CARD_BLOCK = "reminder_card"

BUTTONS = ("ack", "snooze", "hand_ae", "done")  # the order they appear in
_ACTION = {"ack": ACK, "snooze": SNOOZE, "hand_ae": HAND_AE, "done": DONE}
_STYLE = {"ack": "primary", "done": "primary"}
BUTTON_TEXT = {
    "ack": "reminders.button.ack",
    "snooze": "reminders.button.snooze",
    "hand_ae": "reminders.button.hand_ae",
    "done": "reminders.button.done",
}
# What the pause option calls a kind of reminder (a kind not listed uses its family's, e.g. nudge.x -> nudge).
KIND_LABELS = {
    "renewal": "reminders.kind.renewal",
    "onboarding": "reminders.kind.onboarding",
    "nudge": "reminders.kind.nudge",
    "nudge.draft": "reminders.kind.nudge.draft",
    "nudge.lead": "reminders.kind.nudge.lead",
    "nudge.accept": "reminders.kind.nudge.accept",
    "nudge.promise": "reminders.kind.nudge.promise",
    "meeting": "reminders.kind.meeting",
}
MILESTONES = {
    "kickoff": "reminders.milestone.kickoff",
    "activation": "reminders.milestone.activation",
    "training": "reminders.milestone.training",
}
LEAD = {"csm": "reminders.renewal.lead_csm", "ae": "reminders.renewal.lead_ae"}
WHY = {"csm": "reminders.renewal.why_csm", "ae": "reminders.renewal.why_ae"}
NOTES = {
    "acknowledged": "reminders.note.acknowledged",
    "handed": "reminders.note.handed",
    "snoozed": "reminders.note.snoozed",
    "done": "reminders.note.done",
}
REFUSALS = {
    "not_yours": "reminders.refused.not_yours",
    "not_owner": "reminders.refused.not_owner",
    "gone": "reminders.refused.gone",
    "no_ae": "reminders.refused.no_ae",
    "already": "reminders.refused.already",
}
MUTE, PAUSE = "mute", "pause"  # the overflow's two options
PAUSE_DAYS = 7
OPTION_VALUE_LIMIT = 150  # an overflow option's value
HEADER_LIMIT = 150
FIELD_LIMIT = 2000
MAX_BLOCKS = 50


# --- values ----------------------------------------------------------------------------------------------


def key_value(key: str, customer_id: int | None = None) -> str:
    """A reminder button's value: the occurrence key (and the customer), as JSON within Slack's 2,000."""
    raw: dict = {"k": key}
    if customer_id is not None:
        raw["c"] = customer_id
    return kit.button_value(json.dumps(raw, separators=(",", ":")))


def mute_value(action: str, *, customer_id: int | None = None, kind: str | None = None) -> str:
    """An overflow option's (or Undo button's) value: what to mute; within Slack's 150 characters."""
    raw: dict = {"a": action}
    if customer_id is not None:
        raw["c"] = customer_id
    if kind is not None:
        raw["kind"] = kind
    text = json.dumps(raw, separators=(",", ":"))
    if len(text) > OPTION_VALUE_LIMIT:
        raise ValueError(f"overflow option value over Slack's {OPTION_VALUE_LIMIT} characters")
    return text


def parse_value(raw: str | None) -> dict:
    """The dict a reminder button or option carries; {} when it is not one of ours."""
    try:
        value = json.loads(raw or "")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _block_id(prefix: str, key: str) -> str:
    """A block id unique per occurrence within Slack's 255 characters (long keys are hashed)."""
    bid = f"{prefix}:{key}"
    return bid if len(bid) <= 255 else f"{prefix}:{hashlib.sha1(key.encode()).hexdigest()}"


# --- the shared controls ---------------------------------------------------------------------------------


def kind_label(kind: str, locale: str) -> str:
    """What a kind of reminder is called in the pause option: `renewal reminders` / `갱신 알림`."""
    for k in (kind, kind.split(".")[0]):
        if k in KIND_LABELS:
            return t(locale, KIND_LABELS[k])
    return t(locale, "reminders.kind.other")


def open_card_button(customer_id: int, locale: str) -> dict:
    """A button that shows the clicker the customer's /customer card, for them only."""
    button = json.loads(_open_card_template(locale))
    button["value"] = kit.button_value(json.dumps({"c": customer_id}, separators=(",", ":")))
    return button


@lru_cache(maxsize=16)
def _open_card_template(locale: str) -> str:
    return json.dumps(ButtonElement(text=plain(t(locale, "reminders.button.open_card")), action_id=OPEN_CARD).to_dict())


def controls(key: str, locale: str, *, customer_id: int | None, kind: str, buttons: Sequence[str] = ()) -> dict:
    """A reminder's actions block: `buttons` (a subset of BUTTONS, shown in that order) and the overflow
    with "Mute this customer's reminders" (when there is a customer) and "Pause <kind> reminders for 7 days".
    Every button's value carries the occurrence key."""
    unknown = set(buttons) - set(BUTTONS)
    if unknown:
        raise ValueError(f"unknown reminder buttons: {sorted(unknown)}")
    shown = tuple(name for name in BUTTONS if name in buttons)
    # The block is drawn (and validated) once per language, kind and buttons; a daily scan draws thousands.
    block = json.loads(_controls_template(locale, kind, shown, customer_id is not None))
    value = key_value(key, customer_id)
    for element in block["elements"][:-1]:
        element["value"] = value
    if customer_id is not None:
        block["elements"][-1]["options"][0]["value"] = mute_value(MUTE, customer_id=customer_id)
    block["block_id"] = _block_id(CONTROLS_BLOCK, key)
    return block


@lru_cache(maxsize=256)
def _controls_template(locale: str, kind: str, shown: tuple[str, ...], with_customer: bool) -> str:
    elements: list = [
        ButtonElement(
            text=plain(t(locale, BUTTON_TEXT[name])), action_id=_ACTION[name], value="-", style=_STYLE.get(name)
        )
        for name in shown
    ]
    options = []
    if with_customer:
        options.append(Option(text=plain(t(locale, "reminders.menu.mute_customer")), value="-"))
    options.append(
        Option(
            text=plain(t(locale, "reminders.menu.pause_kind", kind=kind_label(kind, locale), days=PAUSE_DAYS)),
            value=mute_value(PAUSE, kind=kind),
        )
    )
    elements.append(OverflowMenuElement(action_id=MENU, options=options))
    return json.dumps(ActionsBlock(block_id=CONTROLS_BLOCK, elements=elements).to_dict())


# --- the reminders --------------------------------------------------------------------------------------------

NAME_LIMIT = 150  # characters of a customer name in a reminder's first line
QUOTE_LIMIT = 300
CRITERIA_LIMIT = 600
NOTE_BLOCK = "reminder_note"  # block id prefix of the "who did what" line drawn after an action


def _name(name: str) -> str:
    return escape_mrkdwn(truncate(name, NAME_LIMIT))


# The reminders are drawn thousands at a time by the daily scan, so their blocks are plain dicts built here
# with every text cut to Slack's limits (slack_sdk's model validation cost more than the rest of the scan);
# tests validate them with slack_sdk's models under worst-case data.


def _md(text: str, limit: int) -> dict:
    return {"type": "mrkdwn", "text": truncate(text, limit)}


def _sec(text: str) -> dict:
    return {"type": "section", "text": _md(text, SECTION_LIMIT)}


def _ctx(text: str) -> dict:
    return {"type": "context", "elements": [_md(text, SECTION_LIMIT)]}


def _field(locale: str, key: str, value: str) -> dict:
    return _md(f"*{t(locale, key)}*\n{value}", FIELD_LIMIT)


def _delta(value: float | None, locale: str) -> str:
    if value is None or kit.points(abs(value)) == "0":
        return t(locale, "reminders.trend.flat") if value is not None else ""
    arrow = "▲" if value > 0 else "▼"
    return t(locale, "reminders.trend.change", arrow=arrow, points=kit.points(abs(value)))


def _health(state: RenewalState, locale: str) -> str:
    if state.score is None:
        return t(locale, "reminders.health.none")
    text = t(
        locale,
        "reminders.health.value",
        emoji=BAND_EMOJI.get(state.band or "", "⚪"),
        band=band_label(state.band, locale),
        score=kit.points(state.score),
    )
    trend = _delta(state.delta_30d, locale)
    return f"{text} {trend}".strip()


def _when(day: date, days_left: int, locale: str) -> str:
    when = format_date(day, locale)
    if days_left <= 0:
        return t(locale, "reminders.renewal.on_today", date=when)
    return t(locale, "reminders.renewal.on", date=when, days=days_left)


def _promises(open_: int, late: int, locale: str) -> str:
    if not open_:
        return t(locale, "reminders.promises.none")
    if late:
        return t(locale, "reminders.promises.late", open=open_, late=late)
    return t(locale, "reminders.promises.open", open=open_)


def _user(user_id: str | None, locale: str) -> str:
    return f"<@{user_id}>" if user_id else t(locale, "reminders.nobody")


def _facts(state: RenewalState, locale: str, *, role: str) -> dict:
    amount = format_amount(state.arr, state.currency, locale) if state.arr is not None and state.currency else "—"
    fields = [
        _field(locale, "reminders.field.health", _health(state, locale)),
        _field(locale, "reminders.field.arr", amount),
        _field(locale, "reminders.field.renewal", _when(state.renewal_date, state.days_left, locale)),
        _field(locale, "reminders.field.promises", _promises(state.open_promises, state.overdue_promises, locale)),
    ]
    if role == "csm":
        fields.append(_field(locale, "reminders.field.ae", _user(state.ae_user_id, locale)))
    else:
        fields.append(_field(locale, "reminders.field.csm", _user(state.owner_user_id, locale)))
    return {"type": "section", "fields": fields}


def _rating(state: RenewalState, locale: str) -> dict | None:
    return _ctx(rating_text(state.rating, locale)) if state.rating else None


def _voc(state: RenewalState, locale: str) -> dict | None:
    if not state.voc_quote:
        return None
    quote = escape_mrkdwn(truncate(" ".join(state.voc_quote.split()), QUOTE_LIMIT))
    text = t(locale, "reminders.voc", date=format_date(state.voc_on, locale), quote=quote)
    return _ctx(text)


def _actions(key: str, locale: str, customer_id: int, kind: str, buttons: Sequence[str]) -> dict:
    block = controls(key, locale, customer_id=customer_id, kind=kind, buttons=buttons)
    block["elements"].insert(len(block["elements"]) - 1, open_card_button(customer_id, locale))
    return block


def _dicts(blocks: Sequence[dict | None]) -> list[dict]:
    out = [b for b in blocks if b is not None]
    if len(out) > MAX_BLOCKS:
        raise ValueError("a reminder over Slack's 50 blocks")  # a builder bug: reminders are a handful of blocks
    return out


def renewal_reminder(
    state: RenewalState, locale: str, *, key: str, step: int, role: str, csp: bool = False, again: bool = False
) -> tuple[list[dict], str]:
    """A renewal ladder DM: to the owner CSM (role csm: Acknowledge, Snooze, Hand to AE) or to the AE (role ae:
    Acknowledge, Snooze), with the customer's state; `csp` adds the Success Plan ask, `again` says it was
    snoozed. Returns (blocks, notification text)."""
    name = _name(state.name)
    when = format_date(state.renewal_date, locale)
    if state.days_left > 0:
        title = t(locale, "reminders.renewal.title", name=name, days=state.days_left)
    else:
        title = t(locale, "reminders.renewal.title_today", name=name)
    lead = t(locale, LEAD[role], date=when, step=step)
    if again:
        lead = t(locale, "reminders.renewal.again") + " " + lead
    blocks: list = [_sec(f"{title}\n{lead}"), _facts(state, locale, role=role)]
    if csp:
        blocks.append(_sec(t(locale, "reminders.renewal.csp", days=step)))
    if state.band in ("at_risk", "unhealthy"):
        blocks.append(_sec(t(locale, "reminders.renewal.risk", band=band_label(state.band, locale))))
    blocks.append(_rating(state, locale))
    blocks.append(_voc(state, locale))
    blocks.append(_ctx(t(locale, WHY[role], name=name, step=step)))
    buttons = ("ack", "snooze", "hand_ae") if role == "csm" else ("ack", "snooze")
    kind = "renewal" if role == "csm" else "renewal.ae"
    blocks.append(_actions(key, locale, state.customer_id, kind, buttons))
    plain_name = _name(state.name)  # the notification text is mrkdwn too
    if state.days_left > 0:
        text = t(locale, "reminders.renewal.text", name=plain_name, days=state.days_left)
    else:
        text = t(locale, "reminders.renewal.text_today", name=plain_name)
    return _dicts(blocks), text


def handed_to_ae(state: RenewalState, locale: str, *, key: str, step: int, by: str) -> tuple[list[dict], str]:
    """The AE's DM when the CSM clicks Hand to AE: who handed it, and the same state (Acknowledge, Snooze)."""
    name = _name(state.name)
    when = format_date(state.renewal_date, locale)
    title = t(locale, "reminders.handed.title", by=f"<@{by}>", name=name)
    lead = _when(state.renewal_date, state.days_left, locale)
    blocks: list = [_sec(f"{title}\n{lead}"), _facts(state, locale, role="ae")]
    if state.band in ("at_risk", "unhealthy"):
        blocks.append(_sec(t(locale, "reminders.renewal.risk", band=band_label(state.band, locale))))
    blocks.append(_rating(state, locale))
    blocks.append(_voc(state, locale))
    blocks.append(_ctx(t(locale, "reminders.handed.why", step=step, date=when)))
    blocks.append(_actions(key, locale, state.customer_id, "renewal.handed", ("ack", "snooze")))
    text = t(locale, "reminders.handed.text", name=name)
    return _dicts(blocks), text


def _milestone(name: str, locale: str) -> str:
    return t(locale, MILESTONES[name]) if name in MILESTONES else escape_mrkdwn(name)


def _checklist(state: OnboardingState, locale: str, today: date) -> str:
    lines = []
    for m in state.milestones:
        label, when = _milestone(m.milestone, locale), format_date(m.due_date, locale)
        if m.done:
            lines.append(t(locale, "reminders.onboarding.item_done", milestone=label))
        elif m.due_date < today:
            lines.append(t(locale, "reminders.onboarding.item_late", milestone=label, date=when))
        else:
            lines.append(t(locale, "reminders.onboarding.item_open", milestone=label, date=when))
    return "\n".join(lines)


def onboarding_reminder(state: OnboardingState, locale: str, *, key: str) -> tuple[list[dict], str]:
    """An onboarding milestone due today or overdue, with the playbook's checklist (Mark done, Snooze)."""
    name, milestone = _name(state.customer_name), _milestone(state.milestone, locale)
    short = escape_mrkdwn(truncate(state.customer_name, 150))  # for the notification text, mrkdwn too
    when = format_date(state.due_date, locale)
    if state.days_overdue <= 0:
        title = t(locale, "reminders.onboarding.title_due", milestone=milestone, name=name)
        text = t(locale, "reminders.onboarding.text_due", milestone=milestone, name=short)
    elif state.days_overdue == 1:
        title = t(locale, "reminders.onboarding.title_late_one", milestone=milestone, name=name)
        text = t(locale, "reminders.onboarding.text_late_one", milestone=milestone, name=short)
    else:
        title = t(locale, "reminders.onboarding.title_late", milestone=milestone, name=name, days=state.days_overdue)
        text = t(
            locale,
            "reminders.onboarding.text_late",
            milestone=milestone,
            name=short,
            days=state.days_overdue,
        )
    today = date.fromordinal(state.due_date.toordinal() + state.days_overdue)
    blocks: list = [_sec(f"{title}\n" + t(locale, "reminders.onboarding.due", date=when))]
    if state.milestones:
        blocks.append(_sec(t(locale, "reminders.onboarding.playbook") + "\n" + _checklist(state, locale, today)))
    if state.success_criteria and state.success_criteria.strip():
        criteria = escape_mrkdwn(truncate(state.success_criteria.strip(), CRITERIA_LIMIT))
        blocks.append(_sec(t(locale, "reminders.onboarding.criteria") + "\n" + criteria))
    accepted = format_date(state.accepted_on, locale) if state.accepted_on else "—"
    blocks.append(_ctx(t(locale, "reminders.onboarding.why", date=accepted)))
    blocks.append(_actions(key, locale, state.customer_id, f"onboarding.{state.milestone}", ("done", "snooze")))
    return _dicts(blocks), text


# --- after a click -------------------------------------------------------------------------------------------


def slack_date(moment: datetime, locale: str) -> str:
    """A date Slack shows in each reader's own time zone (`<!date^...>`), with a fallback for old clients."""
    fallback = format_date(moment.date(), locale)
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}}|{fallback}>"


def outcome_note(action: str, locale: str, *, by: str | None, at: datetime | None, **params) -> str:
    """The line a reminder shows once acted on: `Acknowledged by @casey · Mar 3`."""
    when = slack_date(at, locale) if at else ""
    return t(locale, NOTES[action], by=_user(by, locale), when=when, **params)


def settled(blocks: Sequence[dict], note: str, *, key: str, keep: Sequence[str] = ()) -> list[dict]:
    """The reminder as it was, with `note` (who did what) above its buttons, and only the `keep` buttons left of
    Acknowledge/Snooze/Hand to AE/Mark done (Open card and the mute menu stay). Drawing it twice gives the
    same message."""
    keep_ids = {_ACTION[b] for b in keep}
    drop_ids = set(_ACTION.values()) - keep_ids
    note_block = ContextBlock(block_id=_block_id(NOTE_BLOCK, key), elements=[mrkdwn(note)]).to_dict()
    out: list[dict] = []
    placed = False
    for block in blocks:
        if str(block.get("block_id", "")).startswith(NOTE_BLOCK + ":"):
            continue
        if str(block.get("block_id", "")).startswith(CONTROLS_BLOCK + ":"):
            out.append(note_block)
            placed = True
            elements = [e for e in block.get("elements", []) if e.get("action_id") not in drop_ids]
            if elements:
                out.append({**block, "elements": elements})
            continue
        out.append(block)
    if not placed:
        out.append(note_block)
    return out[:MAX_BLOCKS]


def buttons_of(blocks: Sequence[dict]) -> list[str]:
    """Which of BUTTONS a reminder still shows (so an update keeps what is left)."""
    names = {v: k for k, v in _ACTION.items()}
    return [
        names[e["action_id"]]
        for b in blocks
        if str(b.get("block_id", "")).startswith(CONTROLS_BLOCK + ":")
        for e in b.get("elements", [])
        if e.get("action_id") in names
    ]


def mute_confirmation(
    locale: str,
    *,
    customer_id: int | None = None,
    customer: str | None = None,
    kind: str | None = None,
    until: datetime | None = None,
) -> tuple[list[dict], str]:
    """The ephemeral answer to a mute from the menu (this customer for good, or a kind until `until`), with an
    Undo button. Returns (blocks, text)."""
    if customer_id is not None:
        text = t(locale, "reminders.muted.customer", name=_name(customer or "—"))
        value = mute_value(MUTE, customer_id=customer_id)
    else:
        when = slack_date(until, locale) if until else "—"
        text = t(locale, "reminders.muted.kind", kind=kind_label(kind or "", locale), until=when)
        value = mute_value(PAUSE, kind=kind or "*")
    undo = ButtonElement(text=plain(t(locale, "reminders.button.undo")), action_id=UNDO, value=value)
    return [section(text).to_dict(), ActionsBlock(elements=[undo]).to_dict()], text


def unmuted(locale: str, *, customer: str | None = None, kind: str | None = None) -> str:
    """The answer to Undo."""
    if kind is None:
        return t(locale, "reminders.unmuted.customer", name=_name(customer or "—"))
    return t(locale, "reminders.unmuted.kind", kind=kind_label(kind, locale))


def refusal(
    reason: str, locale: str, *, user: str | None = None, name: str | None = None, note: str | None = None
) -> str:
    """Why a click did nothing (an ephemeral for the clicker): a key of REFUSALS; `user` is the Slack user it is
    for, `name` the customer's name (escaped here), `note` an outcome note drawn by `outcome_note`."""
    return t(locale, REFUSALS[reason], user=_user(user, locale), name=_name(name or "—"), note=note or "")
