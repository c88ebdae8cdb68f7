"""create_app(settings, deps): the Bolt app with every feature registered."""

import logging
import uuid
from concurrent.futures import Executor, ThreadPoolExecutor

from slack_bolt import App, BoltResponse, Respond

from bot.config import Settings
from bot.deps import Deps
from bot.errors import UserError
from bot.handlers import customer, events, handoff, reminders, roadmap, voc
from bot.handlers.messages import answer_privately, error_text, modal_errors
from bot.handlers.middleware import ClockedRequestVerification, clean_payload
from bot.handlers.payload import team_id as _team
from bot.handlers.payload import user_id as _user_id
from bot.handlers.registry import Registry
from bot.i18n import t

log = logging.getLogger("baton.app")


def create_app(settings: Settings, deps: Deps, *, executor: Executor | None = None) -> tuple[App, Registry]:
    """Build the Bolt app; returns it with the registry of what it listens to."""
    if executor is None:
        executor = ThreadPoolExecutor(max_workers=settings.listener_threads, thread_name_prefix="bolt")
    app = App(
        signing_secret=settings.slack_signing_secret,
        client=deps.client,
        # Acks go back as soon as ack() is called; listeners finish in this pool (Bolt's default is 5 threads,
        # which delays other users' acks past 3 s under load: platform rules).
        process_before_response=False,
        listener_executor=executor,
        token_verification_enabled=False,  # auth.test is asked lazily (deps.team_id), never at import or start
        raise_error_for_unhandled_request=False,
        # Bolt's signature check stays on, in its usual place, timed by the app's clock like bot/web.py's.
        request_verification_enabled=False,
        before_authorize=ClockedRequestVerification(settings.slack_signing_secret, deps.clock),
    )
    app.use(clean_payload)  # first: no listener or middleware sees a control character (bot/inputs.py)
    reg = Registry(app)

    def locale_of(body: dict) -> str:
        try:
            return deps.users.locale(_team(body), _user_id(body))
        except Exception:  # a body without a user (or Slack unreachable): the team's language
            return settings.default_locale

    def answer_error(error: Exception, body: dict, respond: Respond | None) -> dict | None:
        """Tell the user what went wrong, on the surface the request came from; log what was not expected with
        a reference they can quote. Returns what a modal submission that is not acked yet is acked with."""
        body = body if isinstance(body, dict) else {}
        locale = locale_of(body)
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

    def after_ack(error: Exception, body: dict, respond) -> None:
        answer_error(error, body, respond)

    reg.on_error = after_ack  # errors a listener raises after its ack (see Registry)
    handoff.register(reg, deps)
    customer.register(reg, deps)
    voc.register(reg, deps)
    roadmap.register(reg, deps)
    reminders.register(reg, deps)
    events.register(app, reg, deps)  # last: its catch-all must come after every other event listener

    @app.error
    def handle_errors(error: Exception, body: dict, respond, response: BoltResponse | None) -> BoltResponse | None:
        """Any feature's UserError becomes a friendly answer (modal errors, or an ephemeral); anything else is
        logged with a quotable reference. `response` is None once the request was acked: nothing to return."""
        ack = answer_error(error, body, respond)
        if response is None:
            return None
        if ack is not None:  # a modal submission: keep the modal open with the message under an input
            return BoltResponse(status=200, body=ack, headers={"content-type": "application/json;charset=utf-8"})
        return BoltResponse(status=200, body="")  # told through the response_url; no "dispatch_failed"

    return app, reg
