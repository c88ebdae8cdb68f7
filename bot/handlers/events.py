"""Events API: each event_id takes effect once; @Baton answers `customer X` with the card and anything else with
help; everything else is acked."""

import logging
import re

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient
from sqlalchemy.exc import IntegrityError

from bot.deps import Deps
from bot.handlers.customer import reply_to_mention
from bot.handlers.registry import Registry
from bot.models import SlackEvent
from bot.services import outbox

log = logging.getLogger("baton.events")


def register(app: App, reg: Registry, deps: Deps) -> None:
    """Attach the dedupe middleware, the app_mention listener and the catch-all (registered last)."""

    @app.middleware
    def dedupe_events(body: dict, next, logger) -> BoltResponse | None:  # noqa: A002 - Bolt's name
        # Bolt does not deduplicate; Slack retries up to 3 times (X-Slack-Retry-Num). Record each event_id.
        if body.get("type") != "event_callback" or not body.get("event_id"):
            return next()
        team = body.get("team_id") or ""
        try:
            with deps.sessions.begin() as db:
                db.add(SlackEvent(team_id=team, event_id=body["event_id"], received_at=deps.clock()))
        except IntegrityError:
            logger.info("duplicate event %s ignored", body["event_id"])
            return BoltResponse(status=200, body="")
        return next()

    @reg.event("app_mention")
    def handle_app_mention(event: dict, body: dict, client: WebClient) -> None:
        team = body.get("team_id") or ""
        if reply_to_mention(deps, client, team, event):  # `@Baton customer acme`
            return
        params = {
            "channel": event["channel"],
            "thread_ts": event.get("thread_ts") or event["ts"],
            "user": event.get("user"),
        }
        with deps.sessions.begin() as db:
            outbox.enqueue(db, team, f"event:{body['event_id']}:help", "reply.help", params, now=deps.clock())
        deps.outbox.wake()

    @app.event(re.compile(".*"))
    def handle_any_other_event() -> None:
        """Acknowledge events Baton does not handle, so Slack never sees a 404 and never disables events."""
