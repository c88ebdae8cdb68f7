"""The central error handler: any feature's UserError becomes an answer on the surface the request came from
(modal errors, or an ephemeral); anything else is logged with a reference the user can quote."""

import logging
import uuid

from slack_bolt import BoltResponse, Respond

from bot.deps import Deps
from bot.errors import UserError
from bot.handlers.messages import answer_privately, error_text, modal_errors
from bot.i18n import t

log = logging.getLogger("baton.errors")


def locale_of(deps: Deps | None, team_id: str | None, user_id: str | None) -> str:
    """The asker's language; the team's default when the body names no user (or Slack does not answer)."""
    if deps is None:
        return "en"
    if team_id and user_id:
        try:
            return deps.users.locale(team_id, user_id)
        except Exception:  # a lookup failing while reporting a failure must not hide the first one
            log.info("no locale for %s while answering an error", user_id)
    return deps.settings.default_locale


def answer_error(
    error: Exception, body: dict, respond: Respond | None, deps: Deps | None, team_id: str | None, user_id: str | None
) -> dict | None:
    """Tell the user what went wrong and log what was not expected. Returns what a modal submission that is not
    acked yet is acked with (None for every other surface)."""
    body = body if isinstance(body, dict) else {}
    locale = locale_of(deps, team_id, user_id)
    view = body.get("view") if body.get("type") == "view_submission" else None
    if isinstance(error, UserError):
        log.info("refused (%s): %s", type(error).__name__, error.key)
        if isinstance(view, dict):
            return modal_errors(view, {error.field or "": error_text(locale, error, mrkdwn=False)}, locale)
        text = error_text(locale, error)
    else:
        ref = uuid.uuid4().hex[:8]
        log.error("unhandled error ref=%s: %r", ref, error, exc_info=error)
        text = t(locale, "common.unexpected", ref=ref)
        if isinstance(view, dict):
            return modal_errors(view, {"": text}, locale)
    if respond is None and body.get("response_url"):
        respond = Respond(response_url=body["response_url"])
    answer_privately(respond, text)
    return None


def handle_error_after_ack(error: Exception, body: dict, respond: Respond | None, context: dict) -> None:
    """What the Registry's guard calls for an error a listener raised after its ack."""
    answer_error(error, body, respond, context.get("deps"), context.get("team_id"), context.get("user_id"))


def handle_errors(
    error: Exception, body: dict, respond: Respond | None, response: BoltResponse | None, context: dict
) -> BoltResponse | None:
    """Bolt's app.error handler. `response` is None once the request was acked: nothing to return then."""
    ack = answer_error(error, body, respond, context.get("deps"), context.get("team_id"), context.get("user_id"))
    if response is None:
        return None
    if ack is not None:  # a modal submission: keep the modal open with the message under an input
        return BoltResponse(status=200, body=ack, headers={"content-type": "application/json;charset=utf-8"})
    return BoltResponse(status=200, body="")  # told through the response_url; no "dispatch_failed"
