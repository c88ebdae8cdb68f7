"""What every renderer may use besides the row: Slack, the user directory, the channel language, the health
settings, the clock and the environment's settings (built once by bot/renderers/__init__.py `build`)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from slack_sdk import WebClient

from bot.config import Settings
from bot.services.health_config import HealthRules
from bot.slack_users import UserDirectory


@dataclass(frozen=True)
class Context:
    users: UserDirectory
    client: WebClient
    channel_locale: str  # channel posts are in the team's default language
    rules: HealthRules
    clock: Callable[[], datetime]
    settings: Settings | None = None  # None in tests that need no settings: App Home then sums up none
