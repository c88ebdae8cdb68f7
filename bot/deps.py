"""Everything the app needs at run time, built once from Settings (no globals, nothing at import time)."""

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from slack_sdk import WebClient

from bot import renderers
from bot.config import Settings
from bot.crm.hubspot import HubSpotClient
from bot.crm.pipedrive import PipedriveClient
from bot.crm.salesforce import SalesforceClient
from bot.db import Sessions, make_engine
from bot.inbox import Inbox
from bot.outbox import Outbox, Pacer
from bot.services.health_config import HealthRules, load_health_rules
from bot.services.lookup import CustomerLookup
from bot.slack_users import UserDirectory

log = logging.getLogger("baton")


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class Deps:
    settings: Settings
    sessions: Sessions
    client: WebClient
    clock: Callable[[], datetime]
    users: UserDirectory
    outbox: Outbox
    inbox: Inbox
    hubspot_factory: Callable[[], HubSpotClient | None]
    salesforce_factory: Callable[[], SalesforceClient | None] = lambda: None
    pipedrive_factory: Callable[[], PipedriveClient | None] = lambda: None
    health_rules: HealthRules = field(default_factory=HealthRules)
    lookup: CustomerLookup = field(default_factory=CustomerLookup)
    _team_id: str | None = None
    _team_lock: threading.Lock = field(default_factory=threading.Lock)

    def team_id(self) -> str:
        """The installed workspace's team id (auth.test, asked once): CRM webhooks carry no Slack team."""
        with self._team_lock:
            if self._team_id is None:
                self._team_id = self.client.auth_test()["team_id"]
            return self._team_id

    def start_background(self) -> None:
        """Start delivering the outbox and processing the inbox in this process, and build the lookup indexes."""
        self.outbox.start()
        self.inbox.start()
        self.lookup.warm()

    def stop_background(self) -> None:
        self.inbox.stop()
        self.outbox.stop()


POOL_SPARE = 4  # connections beyond the listener threads: outbox, inbox, lookup builds, /healthz


def build_deps(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = system_clock,
    hubspot_sleep: Callable[[float], None] | None = None,
    pacer: Pacer | None = None,
) -> Deps:
    """Wire the engine, Slack client, user directory, outbox and inbox for `settings`."""
    # On PostgreSQL one connection for each listener thread (each holds at most one at a time) and a few for the
    # outbox, inbox and lookup threads: with fewer, a burst of requests waits for a connection past the pool's 2 s
    # timeout and is answered with an error (300 concurrent /customer lost 1-3 this way with a pool of 15).
    # SQLite keeps SQLAlchemy's pool (bot/db.py says why).
    engine = make_engine(settings.database_url, pool_size=settings.listener_threads + POOL_SPARE)
    sessions = Sessions(engine)
    # 10 s instead of slack_sdk's 30 s; 429s are retried by the outbox, never by sleeping in a listener.
    client = WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url, timeout=10)
    users = UserDirectory(client, sessions, settings.default_locale, clock)
    # Health settings are read and checked once here, so a bad file stops start-up (HealthConfigError).
    health_rules = load_health_rules(settings.health_config)
    lookup = CustomerLookup(sessions)
    lookup.watch(engine)  # customers written in this process are found by partial names at once
    # The outbox is the only thing that retries a post: its client has no SDK retry handlers at all
    # (slack_sdk's default ConnectionErrorRetryHandler would re-send a chat.postMessage whose answer was
    # lost, behind the outbox's back). Unknown outcomes are reconciled by the outbox's metadata instead.
    outbox_client = WebClient(
        token=settings.slack_bot_token, base_url=settings.slack_api_url, timeout=10, retry_handlers=[]
    )
    outbox = Outbox(
        sessions,
        outbox_client,
        clock,
        renderers.build(
            users, client, settings.default_locale, health_rules=health_rules, clock=clock, settings=settings
        ),
        pacer or Pacer(settings.post_interval),
    )

    def hubspot() -> HubSpotClient | None:
        if not settings.hubspot_access_token:
            return None
        kwargs = {"sleep": hubspot_sleep} if hubspot_sleep else {}
        return HubSpotClient(settings.hubspot_api_url, settings.hubspot_access_token, **kwargs)

    deps = Deps(
        settings=settings,
        sessions=sessions,
        client=client,
        clock=clock,
        users=users,
        outbox=outbox,
        inbox=None,  # type: ignore[arg-type]
        hubspot_factory=hubspot,
        health_rules=health_rules,
        lookup=lookup,
    )

    def salesforce() -> SalesforceClient | None:
        if not settings.salesforce_api:
            return None
        kwargs = {"sleep": hubspot_sleep} if hubspot_sleep else {}
        return SalesforceClient(
            settings.salesforce_instance_url,  # type: ignore[arg-type]
            settings.salesforce_client_id,  # type: ignore[arg-type]
            settings.salesforce_client_secret,  # type: ignore[arg-type]
            settings.salesforce_api_version,
            **kwargs,
        )

    def pipedrive() -> PipedriveClient | None:
        if not settings.pipedrive_api:
            return None
        kwargs = {"sleep": hubspot_sleep} if hubspot_sleep else {}
        return PipedriveClient(settings.pipedrive_api_url, settings.pipedrive_api_token, **kwargs)  # type: ignore[arg-type]

    deps.salesforce_factory, deps.pipedrive_factory = salesforce, pipedrive
    deps.inbox = Inbox(
        settings,
        sessions,
        users,
        deps.team_id,
        clock,
        hubspot,
        on_enqueued=outbox.wake,
        salesforce=salesforce,
        pipedrive=pipedrive,
    )
    return deps
