"""Settings loaded from the environment (and `.env`), validated once at start-up."""

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_HUBSPOT_API_URL = "https://api.hubapi.com"
DEFAULT_DATABASE_URL = "sqlite:///baton.db"
LOCALES = ("en", "ko")


class ConfigError(Exception):
    """A setting is missing or malformed; the message is one line naming the variable."""


# Where an operator finds each value; used in the one-line start-up error.
WHERE = {
    "SLACK_BOT_TOKEN": "Slack app > OAuth & Permissions > Bot User OAuth Token (xoxb-...)",
    "SLACK_SIGNING_SECRET": "Slack app > Basic Information > App Credentials > Signing Secret",
    "SLACK_APP_TOKEN": "Slack app > Basic Information > App-Level Tokens, scope connections:write (xapp-...)",
    "SLACK_API_URL": "leave unset for https://slack.com/api/",
    "DATABASE_URL": "e.g. sqlite:///baton.db or postgresql://user:pass@host/db",
    "PORT": "a TCP port number such as 3000",
    "BATON_HANDOFF_CHANNEL": "the id of the CS channel (channel details > About, starts with C)",
    "BATON_DEFAULT_LOCALE": "en or ko",
    "BATON_DEFAULT_CURRENCY": "an ISO 4217 code such as USD or KRW",
    "HUBSPOT_CLIENT_SECRET": "HubSpot developer account > your app > Auth > Client secret",
    "HUBSPOT_ACCESS_TOKEN": "HubSpot > Settings > Integrations > Private Apps > Access token",
    "HUBSPOT_API_URL": "leave unset for https://api.hubapi.com",
    "HUBSPOT_CLOSED_WON_STAGES": "comma list of HubSpot deal stage ids, default closedwon",
    "HUBSPOT_PORTAL_ID": "HubSpot > Settings > Account defaults > Hub ID (digits)",
    "BATON_CRM_URL_TEMPLATE": "a record page URL with {id}, e.g. https://acme.lightning.force.com/lightning/r/Account/{id}/view",
    "BATON_WEBHOOK_SECRET": "any long random string shared with your CRM automation (openssl rand -hex 32)",
    "BATON_PUBLIC_URL": "the public https URL Slack and HubSpot call, e.g. https://baton.example.com",
    "WEB_CONCURRENCY": "number of HTTP worker processes, e.g. 1",
    "BATON_LISTENER_THREADS": "number of Bolt listener threads, e.g. 32",
    "BATON_HEALTH_CONFIG": "path to a TOML file of health score settings, see docs/health.example.toml",
    "BATON_ROADMAP_CHANNEL": "the id of the product channel for roadmap items (channel details > About, starts with C)",
    "BATON_PM_USERGROUP": "the id of the product managers' user group (starts with S; People > User groups)",
    "BATON_PM_CHANNEL": "the id of a channel whose members are product managers (starts with C)",
    "BATON_VOC_EMOJI": "an emoji name such as bulb, without colons",
    "BATON_TIMEZONE": "an IANA time zone such as Asia/Seoul or America/New_York (default UTC)",
    "BATON_POST_INTERVAL": "seconds between two posts to one channel, default 1 (Slack allows about one per second)",
}


def _err(name: str, problem: str) -> ConfigError:
    return ConfigError(f"{name} {problem} (where to get it: {WHERE.get(name, 'see .env.example')})")


def normalize_database_url(url: str) -> str:
    """Map Heroku-style postgres:// and bare postgresql:// to psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


@dataclass(frozen=True)
class Settings:
    slack_bot_token: str
    slack_signing_secret: str
    database_url: str = DEFAULT_DATABASE_URL
    slack_app_token: str | None = None
    slack_api_url: str = DEFAULT_SLACK_API_URL
    port: int = 3000
    handoff_channel: str | None = None
    default_locale: str = "en"
    default_currency: str = "USD"
    hubspot_client_secret: str | None = None
    hubspot_access_token: str | None = None
    hubspot_api_url: str = DEFAULT_HUBSPOT_API_URL
    hubspot_closed_won_stages: frozenset[str] = field(default_factory=lambda: frozenset({"closedwon"}))
    hubspot_portal_id: str | None = None  # links a HubSpot company's card to its record
    crm_url_template: str | None = None  # links other CRMs' records: {id} (and {source}) filled in
    webhook_secret: str | None = None
    public_url: str | None = None
    web_concurrency: int = 1
    listener_threads: int = 32
    health_config: str | None = None  # path of the health settings TOML file; None: built-in defaults
    roadmap_channel: str | None = None  # where roadmap items' parent messages and VoC threads live
    pm_usergroup: str | None = None  # members may change a roadmap item's status ...
    pm_channel: str | None = None  # ... and so may members of this channel
    voc_emoji: str = "bulb"  # reacting with it offers the reactor a Log as VoC button
    timezone: str = "UTC"  # default zone of every team's schedules (a team can set its own: `config set`)
    post_interval: float = 1.0  # seconds between two posts to the same channel

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, require_slack: bool = True) -> "Settings":
        """Read and validate every setting; raise ConfigError naming the first bad variable."""
        env = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = env.get(name)
            return value.strip() if value and value.strip() else None

        integer = partial(_integer, get)
        values = {**_slack_settings(get, require_slack), **_team_settings(get), **_feature_settings(get)}
        return cls(
            **values,
            port=integer("PORT", 3000, 1, 65535),
            web_concurrency=integer("WEB_CONCURRENCY", 1, 1, 64),
            listener_threads=integer("BATON_LISTENER_THREADS", 32, 4, 512),
        )

    def __repr__(self) -> str:  # never print secrets
        db = redact_url(self.database_url)
        return f"Settings(database_url={db!r}, slack_api_url={self.slack_api_url!r})"


def _slack_settings(get: Callable[[str], str | None], require_slack: bool) -> dict:
    """The Slack credentials and API URL, and the database URL (checked in this order)."""
    token = get("SLACK_BOT_TOKEN")
    secret = get("SLACK_SIGNING_SECRET")
    if require_slack:
        if not token:
            raise _err("SLACK_BOT_TOKEN", "is not set")
        if not token.startswith("xoxb-"):
            raise _err("SLACK_BOT_TOKEN", "must start with xoxb-")
        if not secret:
            raise _err("SLACK_SIGNING_SECRET", "is not set")
        if not re.fullmatch(r"[0-9A-Za-z_\-]{8,}", secret):
            raise _err("SLACK_SIGNING_SECRET", "looks malformed")
    app_token = get("SLACK_APP_TOKEN")
    if app_token and not app_token.startswith("xapp-"):
        raise _err("SLACK_APP_TOKEN", "must start with xapp-")

    api_url = get("SLACK_API_URL") or DEFAULT_SLACK_API_URL
    if not re.match(r"https?://", api_url):
        raise _err("SLACK_API_URL", "must be an http(s) URL")
    if not api_url.endswith("/"):
        api_url += "/"

    db_url = normalize_database_url(get("DATABASE_URL") or DEFAULT_DATABASE_URL)
    if not (db_url.startswith("sqlite") or db_url.startswith("postgresql")):
        raise _err("DATABASE_URL", "must be a sqlite:/// or postgres:// URL")
    return {
        "slack_bot_token": token or "",
        "slack_signing_secret": secret or "",
        "slack_app_token": app_token,
        "slack_api_url": api_url,
        "database_url": db_url,
    }


def _team_settings(get: Callable[[str], str | None]) -> dict:
    """Handoff channel, locale and currency defaults, the CRM, webhooks and the health settings file."""
    channel = get("BATON_HANDOFF_CHANNEL")
    if channel and not re.fullmatch(r"[CG][A-Z0-9]{2,}", channel):
        raise _err("BATON_HANDOFF_CHANNEL", f"must be a channel id like C0123ABCD, got {channel!r}")

    locale = (get("BATON_DEFAULT_LOCALE") or "en").lower()
    if locale not in LOCALES:
        raise _err("BATON_DEFAULT_LOCALE", f"must be en or ko, got {locale!r}")

    currency = (get("BATON_DEFAULT_CURRENCY") or "USD").upper()
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise _err("BATON_DEFAULT_CURRENCY", f"must be a 3-letter currency code, got {currency!r}")

    hubspot_url = (get("HUBSPOT_API_URL") or DEFAULT_HUBSPOT_API_URL).rstrip("/")
    if not re.match(r"https?://", hubspot_url):
        raise _err("HUBSPOT_API_URL", "must be an http(s) URL")
    stages = frozenset(s.strip() for s in (get("HUBSPOT_CLOSED_WON_STAGES") or "closedwon").split(",") if s.strip())
    if not stages:
        raise _err("HUBSPOT_CLOSED_WON_STAGES", "must list at least one stage id")

    portal = get("HUBSPOT_PORTAL_ID")
    if portal and not re.fullmatch(r"[0-9]{1,20}", portal):
        raise _err("HUBSPOT_PORTAL_ID", "must be the account's Hub ID (digits)")
    template = get("BATON_CRM_URL_TEMPLATE")
    if template and (not re.match(r"https://[^/{}]+/", template) or "{id}" not in template):
        raise _err("BATON_CRM_URL_TEMPLATE", "must be an https URL containing {id}")

    webhook_secret = get("BATON_WEBHOOK_SECRET")
    if webhook_secret and len(webhook_secret) < 16:
        raise _err("BATON_WEBHOOK_SECRET", "must be at least 16 characters")
    public_url = get("BATON_PUBLIC_URL")
    if public_url and not re.match(r"https?://[^/]+", public_url):
        raise _err("BATON_PUBLIC_URL", "must be an absolute http(s) URL")

    health_config = get("BATON_HEALTH_CONFIG")
    if health_config and not os.path.isfile(health_config):
        raise _err("BATON_HEALTH_CONFIG", f"names no file: {health_config!r}")
    return {
        "handoff_channel": channel,
        "default_locale": locale,
        "default_currency": currency,
        "hubspot_client_secret": get("HUBSPOT_CLIENT_SECRET"),
        "hubspot_access_token": get("HUBSPOT_ACCESS_TOKEN"),
        "hubspot_api_url": hubspot_url,
        "hubspot_closed_won_stages": stages,
        "hubspot_portal_id": portal,
        "crm_url_template": template,
        "webhook_secret": webhook_secret,
        "public_url": public_url.rstrip("/") if public_url else None,
        "health_config": health_config,
    }


def _feature_settings(get: Callable[[str], str | None]) -> dict:
    """Roadmap and VoC channels and groups, the default time zone and the posting interval."""
    roadmap_channel = get("BATON_ROADMAP_CHANNEL")
    if roadmap_channel and not re.fullmatch(r"[CG][A-Z0-9]{2,}", roadmap_channel):
        raise _err("BATON_ROADMAP_CHANNEL", f"must be a channel id like C0123ABCD, got {roadmap_channel!r}")
    pm_usergroup = get("BATON_PM_USERGROUP")
    if pm_usergroup and not re.fullmatch(r"S[A-Z0-9]{2,}", pm_usergroup):
        raise _err("BATON_PM_USERGROUP", f"must be a user group id like S0123ABCD, got {pm_usergroup!r}")
    pm_channel = get("BATON_PM_CHANNEL")
    if pm_channel and not re.fullmatch(r"[CG][A-Z0-9]{2,}", pm_channel):
        raise _err("BATON_PM_CHANNEL", f"must be a channel id like C0123ABCD, got {pm_channel!r}")
    timezone = get("BATON_TIMEZONE") or "UTC"
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise _err("BATON_TIMEZONE", f"is not a known time zone: {timezone!r}") from None
    raw_interval = get("BATON_POST_INTERVAL") or "1"
    try:
        post_interval = float(raw_interval)
    except ValueError:
        post_interval = -1.0
    if not 0 <= post_interval <= 60:
        raise _err("BATON_POST_INTERVAL", f"must be a number of seconds from 0 to 60, got {raw_interval!r}")
    voc_emoji = (get("BATON_VOC_EMOJI") or "bulb").strip(":")
    if not re.fullmatch(r"[a-z0-9_+\-']{1,100}", voc_emoji):
        raise _err("BATON_VOC_EMOJI", f"must be an emoji name like bulb (no colons needed), got {voc_emoji!r}")
    return {
        "roadmap_channel": roadmap_channel,
        "pm_usergroup": pm_usergroup,
        "pm_channel": pm_channel,
        "voc_emoji": voc_emoji,
        "timezone": timezone,
        "post_interval": post_interval,
    }


def _integer(get: Callable[[str], str | None], name: str, default: int, lo: int, hi: int) -> int:
    raw = get(name)
    if raw is None:
        return default
    if not re.fullmatch(r"[0-9]{1,9}", raw) or not lo <= int(raw) <= hi:
        raise _err(name, f"must be a whole number from {lo} to {hi}, got {raw!r}")
    return int(raw)


def redact_url(url: str) -> str:
    """The URL with its user info and any password in the query replaced by ***."""
    url = re.sub(r"//[^/@]*@", "//***@", url)
    return re.sub(r"(?i)((?:^|[?&;])[a-z_]*password=)[^&;]*", r"\1***", url)
