"""Settings loaded from the environment (and `.env`), validated once at start-up."""

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_HUBSPOT_API_URL = "https://api.hubapi.com"
DEFAULT_SALESFORCE_API_VERSION = "62.0"
MIN_STATIC_SECRET = 32  # a secret sent as-is (header, Basic password, URL token) must be long and random
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
    "BATON_WEBHOOK_HEADER_SECRETS": "source=secret pairs, comma-separated, e.g. salesforce=<openssl rand -hex 32>",
    "BATON_WEBHOOK_BASIC_AUTH": "source=user:password pairs, comma-separated, password from openssl rand -hex 32",
    "SALESFORCE_ORG_ID": "Salesforce Setup > Company Information > Salesforce.com Organization ID (00D...)",
    "SALESFORCE_OUTBOUND_TOKEN": "a long random string (openssl rand -hex 32) put in the Outbound Message's ?token=",
    "SALESFORCE_INSTANCE_URL": "your My Domain URL, e.g. https://acme.my.salesforce.com",
    "SALESFORCE_CLIENT_ID": "Salesforce Setup > App Manager > your connected app > Consumer Key",
    "SALESFORCE_CLIENT_SECRET": "Salesforce Setup > App Manager > your connected app > Consumer Secret",
    "SALESFORCE_API_VERSION": "a REST API version such as 62.0 (default)",
    "PIPEDRIVE_API_TOKEN": "Pipedrive > Personal preferences > API > Your personal API token",
    "PIPEDRIVE_API_URL": "your company's Pipedrive URL, e.g. https://acme.pipedrive.com",
    "PIPEDRIVE_WEBHOOK_USER": "any user name you give the Pipedrive webhook's HTTP Basic auth, e.g. baton",
    "PIPEDRIVE_WEBHOOK_PASSWORD": "a long random string (openssl rand -hex 32) for the webhook's HTTP Basic auth",
    "BATON_RECONCILE_DAYS": "how many days back the daily CRM reconcile looks, default 7",
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
    # /webhooks/deal-closed's other schemes, each secret bound to one source: ((source, secret), ...)
    webhook_header_secrets: tuple[tuple[str, str], ...] = ()
    webhook_basic_auth: tuple[tuple[str, str, str], ...] = ()  # ((source, user, password), ...)
    salesforce_org_id: str | None = None  # Outbound Messages from any other org are refused
    salesforce_outbound_token: str | None = None
    salesforce_instance_url: str | None = None  # REST API (client credentials): reads and reconcile
    salesforce_client_id: str | None = None
    salesforce_client_secret: str | None = None
    salesforce_api_version: str = DEFAULT_SALESFORCE_API_VERSION
    pipedrive_api_token: str | None = None
    pipedrive_api_url: str | None = None
    pipedrive_webhook_user: str | None = None
    pipedrive_webhook_password: str | None = None
    reconcile_days: int = 7
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
        values = {
            **_slack_settings(get, require_slack),
            **_team_settings(get),
            **_feature_settings(get),
            **_crm_settings(get),
        }
        return cls(
            **values,
            port=integer("PORT", 3000, 1, 65535),
            web_concurrency=integer("WEB_CONCURRENCY", 1, 1, 64),
            listener_threads=integer("BATON_LISTENER_THREADS", 32, 4, 512),
            reconcile_days=integer("BATON_RECONCILE_DAYS", 7, 1, 90),
        )

    @property
    def salesforce_api(self) -> bool:
        """Baton can read Salesforce (an instance URL and a connected app's client credentials are set)."""
        return bool(self.salesforce_instance_url and self.salesforce_client_id and self.salesforce_client_secret)

    @property
    def pipedrive_api(self) -> bool:
        """Baton can read Pipedrive (its company URL and an API token are set)."""
        return bool(self.pipedrive_api_url and self.pipedrive_api_token)

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


_SECRET_CHARS = re.compile(r"[A-Za-z0-9._~+/=-]+")
_SOURCE_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,31}")
_ORG_ID = re.compile(r"00D[0-9A-Za-z]{12}(?:[0-9A-Za-z]{3})?")


def _strong(name: str, secret: str, what: str = "secret") -> str:
    """`secret` when it is long and random enough to be sent as-is; else a ConfigError that never echoes it."""
    if len(secret) < MIN_STATIC_SECRET:
        raise _err(name, f"{what} is too short: use at least {MIN_STATIC_SECRET} random characters")
    if not _SECRET_CHARS.fullmatch(secret):
        raise _err(name, f"{what} may only hold letters, digits and . _ ~ + / = -")
    if len(set(secret)) < 10:
        raise _err(name, f"{what} does not look random (too few distinct characters)")
    return secret


def _pairs(name: str, raw: str | None) -> list[tuple[str, str]]:
    """`source=value, source=value` -> [(source, value)]; each source once."""
    pairs: list[tuple[str, str]] = []
    for i, item in enumerate(p.strip() for p in (raw or "").split(",")):
        if not item:
            continue
        source, sep, value = item.partition("=")
        source = source.strip().lower()
        if not sep or not _SOURCE_NAME.fullmatch(source):
            raise _err(name, f"entry {i + 1} must be source=value with a source like salesforce")
        if source in {s for s, _ in pairs}:
            raise _err(name, f"names the source {source!r} twice (one secret per source)")
        pairs.append((source, value.strip()))
    return pairs


def _https_url(name: str, url: str | None) -> str | None:
    if url and not re.fullmatch(r"https?://[^/\s?#]+/?", url):
        raise _err(name, "must be an http(s) origin such as https://acme.example.com (no path)")
    return url.rstrip("/") if url else None


def _crm_settings(get: Callable[[str], str | None]) -> dict:
    """Per-source webhook credentials (header secrets, Basic auth), Salesforce and Pipedrive."""
    headers = [
        (s, _strong("BATON_WEBHOOK_HEADER_SECRETS", v, f"{s}'s secret"))
        for s, v in _pairs("BATON_WEBHOOK_HEADER_SECRETS", get("BATON_WEBHOOK_HEADER_SECRETS"))
    ]
    basic = []
    for source, value in _pairs("BATON_WEBHOOK_BASIC_AUTH", get("BATON_WEBHOOK_BASIC_AUTH")):
        user, sep, password = value.partition(":")
        if not sep or not re.fullmatch(r"[A-Za-z0-9._@-]{1,64}", user):
            raise _err("BATON_WEBHOOK_BASIC_AUTH", f"{source}'s entry must be {source}=user:password")
        basic.append((source, user, _strong("BATON_WEBHOOK_BASIC_AUTH", password, f"{source}'s password")))
    overlap = {s for s, _ in headers} & {s for s, _, _ in basic}
    if overlap:
        raise _err(
            "BATON_WEBHOOK_BASIC_AUTH",
            f"names {sorted(overlap)[0]!r}, already in BATON_WEBHOOK_HEADER_SECRETS (one secret per source)",
        )
    secrets = [v for _, v in headers] + [p for _, _, p in basic]
    if len(set(secrets)) != len(secrets):
        raise _err("BATON_WEBHOOK_HEADER_SECRETS", "gives two sources the same secret (one secret per source)")

    org_id = get("SALESFORCE_ORG_ID")
    if org_id and not _ORG_ID.fullmatch(org_id):
        raise _err("SALESFORCE_ORG_ID", "must be a Salesforce organization id (15 or 18 characters, starts with 00D)")
    token = get("SALESFORCE_OUTBOUND_TOKEN")
    if token:
        _strong("SALESFORCE_OUTBOUND_TOKEN", token, "the token")
        if not org_id:
            raise _err(
                "SALESFORCE_ORG_ID",
                "is required with SALESFORCE_OUTBOUND_TOKEN (Outbound Messages are checked against it)",
            )
    version = get("SALESFORCE_API_VERSION") or DEFAULT_SALESFORCE_API_VERSION
    if not re.fullmatch(r"[0-9]{2,3}\.0", version):
        raise _err("SALESFORCE_API_VERSION", f"must look like 62.0, got {version!r}")
    client_id, client_secret = get("SALESFORCE_CLIENT_ID"), get("SALESFORCE_CLIENT_SECRET")
    if bool(client_id) != bool(client_secret):
        raise _err(
            "SALESFORCE_CLIENT_SECRET" if client_id else "SALESFORCE_CLIENT_ID", "must be set together with the other"
        )

    user, password = get("PIPEDRIVE_WEBHOOK_USER"), get("PIPEDRIVE_WEBHOOK_PASSWORD")
    if password:
        _strong("PIPEDRIVE_WEBHOOK_PASSWORD", password, "the password")
        if not user:
            raise _err("PIPEDRIVE_WEBHOOK_USER", "is required with PIPEDRIVE_WEBHOOK_PASSWORD")
    if user and not re.fullmatch(r"[A-Za-z0-9._@-]{1,64}", user):
        raise _err("PIPEDRIVE_WEBHOOK_USER", "may only hold letters, digits and . _ @ - (up to 64)")
    if user and not password:
        raise _err("PIPEDRIVE_WEBHOOK_PASSWORD", "is required with PIPEDRIVE_WEBHOOK_USER")
    return {
        "webhook_header_secrets": tuple(headers),
        "webhook_basic_auth": tuple(basic),
        "salesforce_org_id": org_id,
        "salesforce_outbound_token": token,
        "salesforce_instance_url": _https_url("SALESFORCE_INSTANCE_URL", get("SALESFORCE_INSTANCE_URL")),
        "salesforce_client_id": client_id,
        "salesforce_client_secret": client_secret,
        "salesforce_api_version": version,
        "pipedrive_api_token": get("PIPEDRIVE_API_TOKEN"),
        "pipedrive_api_url": _https_url("PIPEDRIVE_API_URL", get("PIPEDRIVE_API_URL")),
        "pipedrive_webhook_user": user,
        "pipedrive_webhook_password": password,
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
