"""Replies every feature's listeners share: a private answer, a refusal in the user's words, modal errors, a
modal opened or "try again", the typed private_metadata of a submitted modal and the typed value of a button."""

import logging
from typing import TypeVar

from pydantic import BaseModel, ValidationError
from slack_bolt import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.blocks.handoff import dumps_blocks
from bot.blocks.kit import notice_modal
from bot.errors import UserError
from bot.i18n import t
from bot.text import escape_mrkdwn, truncate

log = logging.getLogger("baton.messages")

MODAL_ERROR_LIMIT = 150  # what Slack shows under an input
# What asks for help in every command, DM and mention (`/customer help`, `/handoff ?`, `/voc 도움말`).
HELP_WORDS = frozenset({"help", "?", "？", "도움말", "도움", "헬프"})
M = TypeVar("M", bound=BaseModel)


def error_text(locale: str, error: UserError, *, mrkdwn: bool = True) -> str:
    """A refusal as the user reads it. In mrkdwn (messages) the text params, which carry names users and CRMs
    typed, are escaped; a modal's inline errors are plain text and shown as typed."""
    params = {k: escape_mrkdwn(v) if mrkdwn and isinstance(v, str) else v for k, v in error.params.items()}
    return t(locale, error.key, **params)


def is_help(text: str | None) -> bool:
    """Whether `text` (a command's text, a DM with its mentions removed) asks for help."""
    return (text or "").strip().casefold().rstrip("!.") in HELP_WORDS


def answer_privately(
    respond: Respond | None, text: str, *, blocks: list[Block] | list[dict] | None = None, replace: bool = False
) -> bool:
    """An ephemeral for the person who clicked or typed, through the response_url (5 uses in 30 minutes: best
    effort, False when it could not be sent)."""
    if respond is None or not getattr(respond, "response_url", None):
        return False
    try:
        kwargs = {"blocks": blocks} if blocks else {}
        respond(text=text, response_type="ephemeral", replace_original=replace, **kwargs)
        return True
    except Exception as exc:  # the answer is best effort; what was asked already took effect or was refused
        log.warning("could not answer the user privately: %s", exc)
        return False


def bad_button(respond: Respond | None, locale: str) -> None:
    """A button whose value Baton cannot read (an old message, a hand-made request): say so, act on nothing."""
    log.warning("button without a valid value")
    answer_privately(respond, t(locale, "common.bad_button"))


def read_meta(model: type[M], view: dict) -> M | None:
    """The modal's typed private_metadata, or None when it is missing or not what this modal wrote."""
    try:
        return model.model_validate_json((view or {}).get("private_metadata") or "")
    except ValidationError:
        return None


def read_action(model: type[M], body: dict) -> M | None:
    """The clicked button's typed value, or None (logged) when it is missing or not what this button carries."""
    try:
        return model.model_validate_json(body["actions"][0].get("value") or "")
    except (ValidationError, KeyError, IndexError, TypeError, AttributeError):
        log.warning("%s button without a valid value", model.__name__)
        return None


def input_blocks(view: dict) -> list[str]:
    """The block ids of the view's inputs, in order (from its blocks, else from its state)."""
    ids = [
        b.get("block_id") for b in (view or {}).get("blocks") or [] if isinstance(b, dict) and b.get("type") == "input"
    ]
    ids = [i for i in ids if i]
    return ids or list(((view or {}).get("state") or {}).get("values") or {})


def modal_errors(view: dict, errors: dict[str, str], locale: str) -> dict:
    """The ack of a refused submission: each message under its input, cut to what Slack shows. A message about
    an input the view does not have goes under its first input; a view without inputs is replaced by a notice
    (Slack refuses errors that name no input of the view)."""
    inputs = input_blocks(view)
    if not inputs:
        text = "\n".join(escape_mrkdwn(m) for m in errors.values())
        return {"response_action": "update", "view": notice_modal(locale, text)}
    out: dict[str, str] = {}
    for block, message in errors.items():
        out.setdefault(block if block in inputs else inputs[0], truncate(message, MODAL_ERROR_LIMIT))
    return {"response_action": "errors", "errors": out}


def stale_form(view: dict, locale: str) -> dict:
    """The ack of a submission whose private_metadata Baton cannot read: the user keeps what they typed."""
    return modal_errors(view, {"": t(locale, "common.stale_form")}, locale)


def open_modal(client: WebClient, respond: Respond | None, trigger_id: str, view: View | dict, locale: str) -> bool:
    """views.open right after the ack; when Slack refuses it (a trigger_id lives 3 s), the user is asked to try
    again. False when the modal was not opened."""
    try:
        client.views_open(trigger_id=trigger_id, view=view)
        return True
    except SlackApiError as exc:
        log.warning("views.open failed: %s", exc.response.get("error"))
        answer_privately(respond, t(locale, "common.try_again"))
        return False


def dm(client: WebClient, user: str, blocks: list[Block], text: str) -> None:
    """A message in `user`'s DM with Baton (best effort: a failure is logged)."""
    try:
        channel = client.conversations_open(users=user)["channel"]["id"]
        client.chat_postMessage(channel=channel, blocks=dumps_blocks(blocks), text=text)
    except (SlackApiError, SlackRequestError) as exc:
        log.warning("DM to %s not sent: %s", user, getattr(exc, "response", exc))
