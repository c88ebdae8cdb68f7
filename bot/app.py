"""create_app(settings, deps): the Bolt app with every feature registered."""

import logging
import uuid
from concurrent.futures import Executor, ThreadPoolExecutor

from slack_bolt import App, BoltResponse

from bot.config import Settings
from bot.deps import Deps
from bot.handlers import customer, events, handoff, reminders, roadmap, voc
from bot.handlers.middleware import ClockedRequestVerification, clean_payload
from bot.handlers.registry import Registry
from bot.i18n import t
from bot.services.handoff import HandoffError

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
    handoff.register(reg, deps)
    customer.register(reg, deps)
    voc.register(reg, deps)
    roadmap.register(reg, deps)
    reminders.register(reg, deps)
    events.register(app, reg, deps)  # last: its catch-all must come after every other event listener

    @app.error
    def handle_errors(error: Exception, body: dict, respond, logger) -> BoltResponse | None:
        """Typed user errors get a friendly ephemeral; anything else is logged with a quotable reference."""
        user = (body.get("user") or {}).get("id") if isinstance(body.get("user"), dict) else body.get("user_id")
        team = ((body.get("team") or {}).get("id") if isinstance(body.get("team"), dict) else None) or body.get(
            "team_id"
        )
        locale = deps.users.locale(team, user) if team and user else settings.default_locale
        if isinstance(error, HandoffError):
            text = t(locale, f"err.{error.code}", **error.params)
        else:
            ref = uuid.uuid4().hex[:8]
            logger.exception("unhandled error ref=%s: %s", ref, error)
            text = t(locale, "common.unexpected", ref=ref)
        if respond is not None and body.get("response_url"):
            try:
                respond(text=text, response_type="ephemeral", replace_original=False)
            except Exception:  # the answer is best effort; the error is already logged
                log.warning("could not tell the user about the error")
        return None

    return app, reg
