"""Bolt global middleware that every Slack request passes: the signature check on the app's clock, and the
control-character rule (bot/inputs.py) applied once for all Slack input."""

from collections.abc import Callable
from datetime import datetime

from slack_bolt.middleware import RequestVerification
from slack_sdk.signature import Clock, SignatureVerifier

from bot import inputs


class _AppClock(Clock):
    def __init__(self, clock: Callable[[], datetime]):
        self._clock = clock

    def now(self) -> float:
        return self._clock().timestamp()


class ClockedRequestVerification(RequestVerification):
    """Bolt's own signature check, timed by the app's (injected) clock like the check in bot/web.py.

    Installed in Bolt's slot for it (`before_authorize`, right after the SSL check), so a request reaching
    Bolt some other way than through bot/web.py is still verified before anything else runs."""

    def __init__(self, signing_secret: str, clock: Callable[[], datetime]):
        super().__init__(signing_secret)
        self._secret, self._clock = signing_secret, clock
        self._clocked: SignatureVerifier | None = None

    @property
    def verifier(self) -> SignatureVerifier:
        if self._clocked is None:  # built on first use, like Bolt's: Socket Mode may run without a secret
            self._clocked = SignatureVerifier(self._secret, clock=_AppClock(self._clock))
        return self._clocked


def clean_payload(body: dict, context: dict, next):  # noqa: A002 - Bolt's name
    """Remove control characters from every string of the payload: modal fields, slash command text, shortcut
    and message text, event ids.

    The body is cleaned in place, so the `view`, `command`, `event` a listener receives are clean too; so are
    the ids Bolt copied into the context before middleware ran."""
    if inputs.clean_tree(body):
        for key, value in list(context.items()):
            if isinstance(value, str):
                context[key] = inputs.strip_controls(value)
    return next()


def provide_deps(deps):
    """A middleware that puts `deps` into Bolt's context, so every listener names it as an argument (as Bolt
    passes `client`, `context`, `team_id`, `user_id`) instead of closing over it."""

    def with_deps(context: dict, next):  # noqa: A002 - Bolt's name
        context["deps"] = deps
        return next()

    return with_deps


def provide_product_managers(product_managers):
    """A middleware that puts who may change a roadmap item's status (bot/handlers/roadmap.py ProductManagers)
    into Bolt's context as `product_managers`, one instance for the process (its member lists are cached)."""

    def with_product_managers(context: dict, next):  # noqa: A002 - Bolt's name
        context["product_managers"] = product_managers
        return next()

    return with_product_managers
