"""create_app(settings, deps): the Bolt app with every feature registered."""

import logging
from concurrent.futures import Executor, ThreadPoolExecutor

from slack_bolt import App

from bot.config import Settings
from bot.deps import Deps
from bot.handlers import baton, customer, events, handoff, home, kpi, outcomes, reminders, roadmap, voc
from bot.handlers.errors import handle_error_after_ack, handle_errors
from bot.handlers.middleware import ClockedRequestVerification, clean_payload, provide_deps, provide_product_managers
from bot.handlers.registry import Registry

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
    app.use(provide_deps(deps))  # listeners name `deps` as an argument, like `client` or `team_id`
    app.use(provide_product_managers(roadmap.product_managers(deps)))  # the roadmap's status buttons
    reg = Registry(app, on_error=handle_error_after_ack)
    handoff.register(reg)
    customer.register(reg)
    voc.register(reg)
    roadmap.register(reg)
    reminders.register(reg)
    outcomes.register(reg)
    baton.register(reg)
    kpi.register(reg)
    home.register(reg)
    events.register(reg)  # last: its catch-all must come after every other event listener
    app.error(handle_errors)
    return app, reg
