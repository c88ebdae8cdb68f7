"""The renderers: for each outbox message kind, what to send now, drawn from current data (or, for a scheduled
message, from what its plan stored). Each feature module registers the kinds its service queues; `build` makes
the full registry bot/outbox.py `Outbox` delivers with. See docs/architecture.md for when a message is drawn."""

from collections.abc import Callable
from datetime import UTC, datetime

from slack_sdk import WebClient

from bot.config import Settings
from bot.i18n import normalize_locale
from bot.outbox import Renderers
from bot.renderers import customer, events, handoff, home, roadmap, schedules
from bot.renderers.context import Context
from bot.services.health_config import HealthRules
from bot.slack_users import UserDirectory


def build(
    users: UserDirectory,
    client: WebClient,
    default_locale: str,
    *,
    health_rules: HealthRules | None = None,
    clock: Callable[[], datetime] | None = None,
    settings: Settings | None = None,
) -> Renderers:
    """Renderers for every outbox kind Baton queues."""
    ctx = Context(
        users=users,
        client=client,
        channel_locale=normalize_locale(default_locale),
        rules=health_rules or HealthRules(),
        clock=clock or (lambda: datetime.now(UTC)),
        settings=settings,
    )
    r = Renderers()
    for feature in (handoff, events, customer, schedules, roadmap, home):
        feature.register(r, ctx)
    return r
