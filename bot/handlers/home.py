"""App Home: the tab drawn when opened (`app_home_opened` queues a redraw through the outbox), its quick actions
(Start a handoff, Log VoC, Look up a customer), a customer's card sent to the DM with Baton, and Mark done on a
promise. The tab is redrawn at once for the one who clicked; the others a change concerns get it debounced."""

import json
import logging

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.blocks import home as hb
from bot.blocks import voc as vb
from bot.blocks.kit import notice_modal
from bot.deps import Deps
from bot.handlers.customer import card_for
from bot.handlers.handoff import handle_handoff_shortcut
from bot.handlers.messages import dm, error_text, open_modal
from bot.handlers.payload import action_int
from bot.handlers.registry import Registry
from bot.handlers.voc_modal import handle_voc_customer_options, log_modal
from bot.services import customer as cs
from bot.services import home
from bot.services import home_refresh as hr

log = logging.getLogger("baton.home")

HOME_OPENED = "app_home_opened"


def handle_app_home_opened(event: dict, body: dict, deps: Deps, team_id: str) -> None:
    """The Home tab opened: its redraw queued now (the Messages tab, also an app_home_opened, draws nothing)."""
    user = event.get("user")
    if event.get("tab") != "home" or not user:
        return
    with deps.sessions.begin() as db:
        hr.queue_opened(db, team_id, user, body.get("event_id") or event.get("event_ts") or "", now=deps.clock())
    deps.outbox.wake()


def handle_home_log_voc(ack: Ack, body: dict, client: WebClient, deps: Deps, team_id: str, user_id: str) -> None:
    """Log VoC: the empty form (confirmed in the DM with Baton, the Home tab has no channel)."""
    ack()
    meta = vb.VocMeta(locale=deps.users.locale(team_id, user_id))
    with deps.sessions.begin() as db:
        view = log_modal(deps, db, team_id, user_id, meta, "", None, None)
    open_modal(client, None, body["trigger_id"], view, meta.locale)


def _selected_customer(body: dict) -> int | None:
    try:
        action = body["actions"][0]
    except (KeyError, IndexError, TypeError):
        return None
    raw = (action.get("selected_option") or {}).get("value") if action.get("type") == "external_select" else None
    if raw is None:
        try:
            raw = json.loads(action.get("value") or "").get("c")
        except (ValueError, AttributeError):
            return None
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


def handle_home_card(ack: Ack, body: dict, client: WebClient, deps: Deps, team_id: str, user_id: str) -> None:
    """A customer picked in Look up a customer, or a row's Card: the card arrives in the DM with Baton, where
    its buttons work (the Home tab itself cannot show an ephemeral)."""
    ack()
    customer_id = _selected_customer(body)
    if customer_id is None:
        log.warning("home card without a customer")
        return
    locale = deps.users.locale(team_id, user_id)
    blocks, text = card_for(deps, team_id, customer_id, locale, None)
    dm(client, user_id, blocks, text)


def handle_home_promise_done(ack: Ack, body: dict, client: WebClient, deps: Deps, team_id: str, user_id: str) -> None:
    """Mark done: the promise kept (its owner, or the customer's CSM or AE), the tab redrawn at once; a refusal
    opens a small notice (the tab has nowhere else to say it)."""
    ack()
    locale = deps.users.locale(team_id, user_id)
    promise_id = action_int(body)
    if promise_id is None:
        log.warning("mark done without a promise id")
        return
    now = deps.clock()
    try:
        with deps.sessions.begin() as db:
            home.mark_promise_done(db, team_id, promise_id, user_id, now=now, redraw_now=True)
    except (home.PromiseError, cs.CustomerNotFound) as exc:
        open_modal(client, None, body["trigger_id"], notice_modal(locale, error_text(locale, exc)), locale)
        return
    deps.outbox.wake()


def handle_home_link(ack: Ack) -> None:
    """A link button (Slack opens the URL and still tells the app): acknowledged, nothing else."""
    ack()


def register(reg: Registry) -> None:
    """Attach the Home tab's listeners (its event before the events module's catch-all)."""
    reg.event(HOME_OPENED)(handle_app_home_opened)
    reg.action(hb.START_HANDOFF)(handle_handoff_shortcut)
    reg.action(hb.LOG_VOC)(handle_home_log_voc)
    reg.action(hb.LOOKUP)(handle_home_card)
    reg.action(hb.OPEN_CARD)(handle_home_card)
    reg.action(hb.PROMISE_DONE)(handle_home_promise_done)
    reg.action(hb.LINK)(handle_home_link)
    reg.app.options(hb.LOOKUP)(handle_voc_customer_options)  # the same customer search as Log VoC's
