"""Bolt global middleware that every Slack request passes: the signature check on the app's clock."""

from collections.abc import Callable
from datetime import datetime

from slack_bolt.middleware import RequestVerification
from slack_sdk.signature import Clock, SignatureVerifier


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
