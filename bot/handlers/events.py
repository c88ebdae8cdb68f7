"""Events API: each event_id takes effect once; @Baton answers `customer X` with the card and anything else with
help; everything else is acked."""

import logging
import re

from slack_bolt import BoltResponse
from slack_sdk import WebClient

from bot.deps import Deps
from bot.handlers.customer import reply_to_mention
from bot.handlers.registry import Registry
from bot.services import events as es

log = logging.getLogger("baton.events")


def dedupe_events(body: dict, next, deps: Deps, logger) -> BoltResponse | None:  # noqa: A002 - Bolt's name
    """Bolt does not deduplicate and Slack retries up to 3 times (X-Slack-Retry-Num): each event_id is recorded,
    and a delivery already recorded is acked with no effect."""
    if body.get("type") != "event_callback" or not body.get("event_id"):
        return next()
    with deps.sessions.begin() as db:
        first = es.record_event(db, body.get("team_id") or "", body["event_id"], deps.clock())
    if not first:
        logger.info("duplicate event %s ignored", body["event_id"])
        return BoltResponse(status=200, body="")
    return next()


def handle_app_mention(event: dict, body: dict, client: WebClient, deps: Deps, team_id: str) -> None:
    """`@Baton customer acme` answers with the card (for the mentioner only); any other mention with help."""
    if reply_to_mention(deps, client, team_id, event):
        return
    with deps.sessions.begin() as db:
        es.queue_help(db, team_id, body["event_id"], event, now=deps.clock())
    deps.outbox.wake()


def handle_any_other_event() -> None:
    """Acknowledge events Baton does not handle, so Slack never sees a 404 and never disables events."""


def register(reg: Registry) -> None:
    """The dedupe middleware, the app_mention listener and the catch-all (registered last of all listeners)."""
    reg.middleware(dedupe_events)
    reg.event("app_mention")(handle_app_mention)
    reg.event(re.compile(".*"))(handle_any_other_event)  # a catch-all (a pattern: no manifest name)
