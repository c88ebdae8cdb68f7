"""manifest.json agrees with what the app registers, and every id a builder emits has a listener."""

import ast
import dataclasses
import importlib
import json
import pkgutil
import re
from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from slack_bolt import BoltRequest, BoltResponse

import bot.blocks as blocks_pkg
from bot.app import create_app
from bot.blocks import handoff as hb
from bot.deps import build_deps

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = json.loads((ROOT / "manifest.json").read_text(encoding="utf-8"))
BOT = ROOT / "bot"
REQUEST_URL = "https://baton.example.com/slack/events"

BUTTON_ACTIONS = (hb.ACCEPT, hb.ASK_AE, hb.FLAG_BAD_FIT, hb.EDIT, hb.FILL)
MODAL_CALLBACKS = (hb.HANDOFF_MODAL, hb.ASK_AE_MODAL, hb.BAD_FIT_MODAL)

# Web API method -> bot scopes it needs. A method Baton starts calling must be added here (and to the manifest).
METHOD_SCOPES: dict[str, set[str]] = {
    "auth.test": set(),
    "apps.connections.open": set(),  # Socket Mode: the app-level token's connections:write, not a bot scope
    "chat.postMessage": {"chat:write"},
    "chat.update": {"chat:write"},
    "chat.postEphemeral": {"chat:write"},
    "chat.delete": {"chat:write"},  # a VoC post taken out of a roadmap item's thread when the note is untagged
    "chat.getPermalink": set(),  # the link to a message logged as VoC
    # Reconciling a post after a crash reads the channel, private channel or DM it went to; a message reacted to
    # with the VoC emoji is read the same way.
    "conversations.history": {"channels:history", "groups:history", "im:history"},
    "conversations.replies": {"channels:history", "groups:history", "im:history"},
    "conversations.open": {"im:write"},
    "conversations.members": {"channels:read", "groups:read"},  # members of BATON_PM_CHANNEL are product managers
    "users.info": {"users:read"},
    "users.lookupByEmail": {"users:read.email"},
    "usergroups.users.list": {"usergroups:read"},  # members of BATON_PM_USERGROUP are product managers
    "views.open": set(),
    "views.push": set(),  # Tag to roadmap clicked inside a modal
    "views.publish": set(),  # App Home (needs the Home tab, see test_home_tab_only_when_app_home_is_drawn)
}
# Events API event type -> the bot scopes its subscription needs (https://api.slack.com/events). A listener for
# an event missing here fails test_every_listener_is_classified: add a row.
EVENT_SCOPES: dict[str, set[str]] = {
    "app_mention": {"app_mentions:read"},
    "app_home_opened": set(),
    "reaction_added": {"reactions:read"},
    "reaction_removed": {"reactions:read"},
    "member_joined_channel": {"channels:read", "groups:read"},
    "app_uninstalled": set(),
    "tokens_revoked": set(),
}
# `message` events arrive under one subscription per kind of conversation, each with its history scope
# (https://api.slack.com/events/message): channel_type -> (subscription, scope).
MESSAGE_SUBSCRIPTIONS: dict[str, tuple[str, str]] = {
    "channel": ("message.channels", "channels:history"),
    "group": ("message.groups", "groups:history"),
    "im": ("message.im", "im:history"),
    "mpim": ("message.mpim", "mpim:history"),
}
EXTERNAL_SELECTS = {"ExternalDataSelectElement", "ExternalDataMultiSelectElement"}
EXTERNAL_SELECT_TYPES = {"external_select", "multi_external_select"}
NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9}
SLACK_FAMILIES = (
    "apps",
    "auth",
    "bots",
    "chat",
    "conversations",
    "files",
    "reactions",
    "team",
    "usergroups",
    "users",
    "views",
)


def _web_api_methods() -> set[str]:
    """Slack Web API methods named in bot/: `client.users_info(` calls and outbox `Send("chat.update", ...)`."""
    families = "|".join(SLACK_FAMILIES)
    call = re.compile(rf"client\.((?:{families})_[A-Za-z_]+)\(")
    send = re.compile(r"""(?:Send|api_call)\(\s*["']([a-z]+\.[A-Za-z.]+)["']""")
    found: set[str] = set()
    for path in BOT.rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        # Method names have no underscores: users_info -> users.info, usergroups_users_list -> usergroups.users.list.
        found |= {name.replace("_", ".") for name in call.findall(source)}
        found |= set(send.findall(source))
    return found


def _resolve(module, node: ast.expr) -> str | None:
    """The string an action_id expression names: a literal, a module constant, or `alias.CONSTANT`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return getattr(module, node.id, None)
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return getattr(getattr(module, node.value.id, None), node.attr, None)
    return None


def _external_select_ids() -> dict[str, str]:
    """Every external select bot/ builds ({action_id: where}): `ExternalDataSelectElement(...)` calls and dicts
    with `"type": "external_select"`. Their options come from Slack's Options Load URL."""
    found: dict[str, str] = {}
    for path in sorted(BOT.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        module = None
        for node in ast.walk(tree):
            action = None
            if isinstance(node, ast.Call):
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
                if name in EXTERNAL_SELECTS:
                    action = next((k.value for k in node.keywords if k.arg == "action_id"), ast.Constant(None))
            elif isinstance(node, ast.Dict):
                items = {k.value: v for k, v in zip(node.keys, node.values, strict=True) if isinstance(k, ast.Constant)}
                kind = items.get("type")
                if isinstance(kind, ast.Constant) and kind.value in EXTERNAL_SELECT_TYPES:
                    action = items.get("action_id", ast.Constant(None))
            if action is None:
                continue
            if module is None:
                dotted = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
                module = importlib.import_module(dotted)
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            action_id = _resolve(module, action)
            assert action_id, f"{where}: cannot tell this external select's action_id"
            found[action_id] = where
    return found


# --- probing the Bolt app's listeners with the bodies Slack would send ------------------------------------

PROBE_TEAM = "T0PROBE"


def _request(body: dict, context: dict | None = None) -> BoltRequest:
    # socket mode takes the payload as a dict; `context` is what the app's middleware would have put there
    return BoltRequest(body=body, mode="socket_mode", context=context)


def _event(event_type: str, **fields) -> dict:
    return {
        "type": "event_callback",
        "team_id": PROBE_TEAM,
        "event_id": "Ev0PROBE",
        "event": {"type": event_type, **fields},
    }


def _primary_matches(listener, body: dict) -> bool:
    """Whether the listener's own kind and id match (Bolt puts that matcher first), ignoring its filters."""
    return listener.matchers[0].matches(_request(body), BoltResponse(status=200))


def _matches(listener, body: dict, context: dict | None = None) -> bool:
    """Whether the listener would run for this body, its filters (custom matchers) included."""
    return listener.matches(req=_request(body, context), resp=BoltResponse(status=200))


def _message_bodies(settings, channel_type: str) -> list[dict]:
    """A person's message, top level and in a thread, in each conversation of this type Baton may be in."""
    if channel_type in ("im", "mpim"):  # a DM or group DM is never one of the configured channels
        channels = ["D0PROBE" if channel_type == "im" else "G0MPIMPROBE"]
    else:  # a configured channel may be public or private
        configured = (settings.handoff_channel, settings.roadmap_channel, settings.pm_channel)
        channels = [c for c in configured if c] + ["C0PROBE", "G0PROBE"]
    bodies = []
    for channel in channels:
        base = {"channel": channel, "channel_type": channel_type, "user": "U0PROBE", "text": "customer acme"}
        bodies.append(_event("message", **base, ts="1700000001.000200"))
        bodies.append(_event("message", **base, ts="1700000001.000200", thread_ts="1700000000.000100"))
    return bodies


@dataclasses.dataclass
class Listens:
    """What the app's listeners answer, found by probing each one (derived from code, not from a list)."""

    events: set[str]  # Events API types with a listener (catch-alls aside)
    message_subscriptions: set[str]  # message.channels / .groups / .im / .mpim the message listeners need
    options: set[str]  # action ids with an options (block_suggestion) listener
    unclassified: list[str]  # listeners no probe matched


@pytest.fixture
def full_app(settings, clock):
    """The app as a fully configured workspace runs it: roadmap and product-manager settings set too."""
    full = dataclasses.replace(settings, roadmap_channel="C0ROADMAP", pm_channel="C0PMS", pm_usergroup="S0PMS")
    deps = build_deps(full, clock=clock)
    app, registry = create_app(full, deps)
    yield app, registry, full, deps
    deps.sessions.engine.dispose()


@pytest.fixture
def listens(full_app) -> Listens:
    app, registry, settings, deps = full_app
    context = {"deps": deps}  # as provide_deps puts it: the listeners' filters read the settings from it
    ids = set(_block_constants().values()) | registry.actions | registry.views | set(_external_select_ids())
    commands = registry.commands | {c["command"] for c in MANIFEST["features"].get("slash_commands", [])}
    shortcuts = registry.shortcuts | {s["callback_id"] for s in MANIFEST["features"].get("shortcuts", [])}
    out = Listens(set(), set(), set(), [])
    for listener in app._listeners:  # Bolt keeps no public list; each listener's first matcher is its kind + id
        if _primary_matches(listener, _event("baton_probe_no_such_event")):
            continue  # a catch-all (acks what Baton does not handle): needs no subscription
        kinds = {e for e in [*EVENT_SCOPES, "message"] if _primary_matches(listener, _event(e))}
        out.events |= kinds - {"message"}
        if "message" in kinds:
            subs = {
                sub
                for channel_type, (sub, _scope) in MESSAGE_SUBSCRIPTIONS.items()
                if any(_matches(listener, body, context) for body in _message_bodies(settings, channel_type))
            }
            if not subs:
                out.unclassified.append(f"{listener.ack_function.__name__}: a message listener no probe reaches")
            out.message_subscriptions |= subs
        options = {i for i in ids if _primary_matches(listener, {"type": "block_suggestion", "action_id": i})}
        out.options |= options
        others = [
            *({"command": c, "team_id": PROBE_TEAM} for c in commands),
            *({"type": t, "callback_id": s} for s in shortcuts for t in ("shortcut", "message_action")),
            *({"type": "block_actions", "actions": [{"action_id": i, "block_id": "b"}]} for i in ids),
            *(
                {"type": t, "view": {"type": "modal", "callback_id": i}}
                for i in ids
                for t in ("view_submission", "view_closed")
            ),
        ]
        if not kinds and not options and not any(_primary_matches(listener, body) for body in others):
            out.unclassified.append(listener.ack_function.__name__)
    return out


def _card_data(**overrides) -> hb.CardData:
    at = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    data = {
        "handoff_id": 42,
        "customer": "ACME Corp.",
        "status": "submitted",
        "version": 1,
        "arr": Decimal("120000"),
        "currency": "USD",
        "contract_start": date(2026, 12, 1),
        "term_months": 12,
        "renewal_date": date(2027, 12, 1),
        "kickoff_date": date(2026, 12, 5),
        "ae_user_id": "U_AE",
        "se_user_id": "U_SE",
        "csm_user_id": "U_CSM",
        "submitted_by": "U_AE",
        "submitted_at": at,
        "accepted_by": None,
        "accepted_at": None,
        "bad_fit_by": None,
        "bad_fit_reason": None,
        "bad_fit_at": None,
        "products_sold": "Enterprise plan",
        "why_bought": "Onboarding too slow",
        "business_goals": "Cut onboarding time",
        "success_criteria": "Onboarding: 10 days -> 3 days",
        "risks": "Budget owner changes",
        "icp_fit": "good",
        "competitors": "Rival",
        "tech_requirements": "SSO",
        "links": "https://example.com/sow",
        "feature_requests": "Audit log",
        "promises": [hb.PromiseLine("SSO before launch", "U_AE", None, date(2027, 1, 15), False)],
        "stakeholders": [hb.StakeholderLine("Champion", "Jane Kim", "VP Ops", "jane@example.com")],
        "filled": 11,
        "total": 11,
    }
    return hb.CardData(**{**data, **overrides})


def _messages() -> dict[str, list[dict]]:
    """Every message the handoff builders draw, as Block Kit dicts, keyed by a readable name."""
    out: dict[str, list[dict]] = {}
    for locale in ("en", "ko"):
        fresh, _ = hb.handoff_card(_card_data(), locale)
        done, _ = hb.handoff_card(
            _card_data(accepted_by="U_CSM", accepted_at=datetime.now(UTC), bad_fit_by="U_CSM2", bad_fit_reason="x"),
            locale,
        )
        owned, _ = hb.fill_request(locale, 42, "ACME renewal", "ACME", "$1", owner_found=True, owner_email=None)
        unowned, _ = hb.fill_request(locale, 42, "ACME", "ACME", None, owner_found=False, owner_email="a@b.co")
        ask, _ = hb.ask_ae_thread_message(locale, "U_AE", "U_CSM", "When is SSO due?")
        bad, _ = hb.bad_fit_thread_message(locale, "U_CSM", "Too small")
        for name, blocks in (
            ("card", fresh),
            ("card_done", done),
            ("fill_owned", owned),
            ("fill_unowned", unowned),
            ("ask_thread", ask),
            ("bad_fit_thread", bad),
        ):
            out[f"{name}[{locale}]"] = hb.dumps_blocks(blocks)
    return out


def _views() -> dict[str, dict]:
    """Every modal the handoff builders draw, as dicts."""
    out: dict[str, dict] = {}
    for locale in ("en", "ko"):
        meta = hb.HandoffMeta(handoff_id=42, form_id="f" * 32, locale=locale)
        for editing in (False, True):
            out[f"handoff_modal[{locale},{editing}]"] = hb.view_json(
                hb.handoff_modal(locale, meta, {}, editing=editing)
            )
        out[f"ask_ae_modal[{locale}]"] = hb.view_json(hb.ask_ae_modal(locale, 42, "ACME", "U_AE"))
        out[f"bad_fit_modal[{locale}]"] = hb.view_json(hb.bad_fit_modal(locale, 42, "ACME"))
    return out


def _block_constants() -> dict[str, str]:
    """Module-level UPPER_CASE string constants of every bot/blocks module, as {module.NAME: value}."""
    out: dict[str, str] = {}
    for info in pkgutil.iter_modules(blocks_pkg.__path__):
        module = importlib.import_module(f"{blocks_pkg.__name__}.{info.name}")
        for name, value in vars(module).items():
            if name.isupper() and isinstance(value, str):
                out[f"{info.name}.{name}"] = value
    return out


def _buttons(blocks: list[dict]) -> list[str]:
    return [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]


def test_manifest_metadata_and_bot_user():
    """The manifest uses schema 2, names the app Baton and keeps its bot always online."""
    assert MANIFEST["_metadata"]["major_version"] == 2
    info = MANIFEST["display_information"]
    assert info["name"] == "Baton" and info["description"]
    assert re.fullmatch(r"#[0-9a-fA-F]{6}", info["background_color"])
    assert MANIFEST["features"]["bot_user"] == {"display_name": "Baton", "always_online": True}


def test_manifest_slash_commands_match_registry(baton):
    """The manifest declares exactly the slash commands the app listens to."""
    commands = MANIFEST["features"]["slash_commands"]
    assert {c["command"] for c in commands} == baton.registry.commands
    for c in commands:
        assert c["description"] and c["should_escape"] is False


def test_manifest_handoff_command_usage_hint():
    """`/handoff` tells the user it takes an optional customer name."""
    [handoff] = [c for c in MANIFEST["features"]["slash_commands"] if c["command"] == "/handoff"]
    assert handoff["usage_hint"] == "[customer name]"


def test_manifest_shortcuts_match_registry(baton):
    """Global and message shortcuts in the manifest are exactly the shortcut callback ids the app handles."""
    shortcuts = MANIFEST["features"]["shortcuts"]
    assert {s["type"] for s in shortcuts} <= {"global", "message"}
    assert {s["callback_id"] for s in shortcuts} == baton.registry.shortcuts
    assert all(s["name"] and s["description"] for s in shortcuts)


def test_every_listener_is_classified(listens):
    """Each listener the app registers is recognised as an event, message, command, shortcut, action, view or
    options listener, so the contract tests below see all of them (a new event type needs a row here)."""
    assert listens.unclassified == []


def test_manifest_subscribes_to_exactly_the_events_listeners_handle(listens):
    """bot_events = the event types with a listener + the message.* subscription of each kind of conversation a
    message listener accepts (a DM listener needs message.im, a channel one message.channels ...)."""
    assert listens.events and listens.message_subscriptions, "the probes found no event listener; has the code moved?"
    subscribed = MANIFEST["settings"]["event_subscriptions"]["bot_events"]
    assert len(subscribed) == len(set(subscribed))
    assert set(subscribed) == listens.events | listens.message_subscriptions


def test_external_selects_have_the_options_load_url_and_a_listener(listens):
    """Every external select is answered: the manifest sets the Options Load URL (without it Slack never asks,
    and the select lists nothing) and each external select's action_id has an options listener."""
    selects = _external_select_ids()
    assert selects, "the scan found no external select; has the VoC form moved?"
    interactivity = MANIFEST["settings"]["interactivity"]
    assert interactivity.get("message_menu_options_url") == REQUEST_URL
    assert sorted(set(selects) - listens.options) == [], "external selects without an options listener"
    assert sorted(listens.options - set(selects)) == [], "options listeners no external select uses"


def test_messages_tab_is_open_when_dms_are_read(listens):
    """A listener for DMs needs App Home's Messages tab enabled and writable, or Slack refuses the DM."""
    assert "message.im" in listens.message_subscriptions
    app_home = MANIFEST["features"].get("app_home", {})
    assert app_home.get("messages_tab_enabled") is True
    assert app_home.get("messages_tab_read_only_enabled") is False


def test_home_tab_only_when_app_home_is_drawn(listens):
    """The Home tab is enabled exactly when Baton draws one (an app_home_opened listener or views.publish)."""
    draws_home = "app_home_opened" in listens.events or "views.publish" in _web_api_methods()
    assert MANIFEST["features"].get("app_home", {}).get("home_tab_enabled", False) is draws_home


def test_manifest_urls_all_point_at_slack_events():
    """Commands, events, interactivity and options all go to the one Bolt endpoint, POST /slack/events."""
    settings = MANIFEST["settings"]
    urls = {c["url"] for c in MANIFEST["features"]["slash_commands"]}
    urls |= {settings["event_subscriptions"]["request_url"], settings["interactivity"]["request_url"]}
    urls |= {settings["interactivity"].get("message_menu_options_url", REQUEST_URL)}
    assert urls == {REQUEST_URL}
    assert settings["interactivity"]["is_enabled"] is True


def test_readme_counts_the_places_to_replace():
    """README's "Creating the Slack app" names as many `baton.example.com` places as manifest.json has."""
    places = (ROOT / "manifest.json").read_text(encoding="utf-8").count("baton.example.com")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    said = re.search(r"`baton\.example\.com` \((\w+) places", readme)
    assert said, "README no longer says how many places to replace"
    assert NUMBERS.get(said.group(1)) == places


def test_manifest_settings_flags():
    """HTTP mode by default, single workspace, no token rotation."""
    settings = MANIFEST["settings"]
    assert settings["org_deploy_enabled"] is False
    assert settings["socket_mode_enabled"] is False
    assert settings["token_rotation_enabled"] is False


def test_web_api_methods_are_all_known():
    """Every Slack Web API method bot/ calls has an entry in the scope table of this test."""
    methods = _web_api_methods()
    assert methods, "the scan found no Web API calls; has the code moved?"
    assert methods <= set(METHOD_SCOPES), f"add scopes for {sorted(methods - set(METHOD_SCOPES))}"


def test_manifest_bot_scopes_are_exactly_what_baton_uses(full_app, listens):
    """Bot scopes = the scopes of the Web API methods called + `commands` + the scopes of the events listened
    to (message subscriptions included); no scope more."""
    _app, registry, _settings, _deps = full_app
    needed: set[str] = set().union(*(METHOD_SCOPES[m] for m in _web_api_methods()))
    if registry.commands or registry.shortcuts:
        needed.add("commands")
    needed |= set().union(*(EVENT_SCOPES[e] for e in listens.events))
    needed |= {scope for sub, scope in MESSAGE_SUBSCRIPTIONS.values() if sub in listens.message_subscriptions}
    scopes = MANIFEST["oauth_config"]["scopes"]["bot"]
    assert len(scopes) == len(set(scopes))
    assert sorted(set(scopes) - needed) == [], "scopes nothing uses"
    assert sorted(needed - set(scopes)) == [], "scopes the manifest lacks"


def test_registry_actions_include_the_handoff_buttons(baton):
    """Every handoff button (ACCEPT, ASK_AE, FLAG_BAD_FIT, EDIT, FILL) has a listener."""
    assert set(BUTTON_ACTIONS) <= baton.registry.actions


def test_registry_actions_are_id_constants(baton):
    """Every action listener's id is a constant of some bot/blocks module (ids live in one place per feature)."""
    constants = set(_block_constants().values())
    assert sorted(baton.registry.actions - constants) == []


def test_every_emitted_button_has_a_listener(baton):
    """Each action id on a card, fill request or thread message is registered, and every button is emitted."""
    emitted: set[str] = set()
    for blocks in _messages().values():
        emitted |= set(_buttons(blocks))
    assert emitted <= baton.registry.actions
    assert emitted == set(BUTTON_ACTIONS)


def test_registry_views_are_modal_callback_ids(baton):
    """Every view listener's callback id is a `*_MODAL` constant of bot/blocks, and each handoff modal has one."""
    modal_ids = {value for name, value in _block_constants().items() if name.endswith("_MODAL")}
    assert set(MODAL_CALLBACKS) <= modal_ids
    assert sorted(baton.registry.views - modal_ids) == []
    built = {view["callback_id"] for view in _views().values()}
    assert built == set(MODAL_CALLBACKS) and built <= baton.registry.views


def test_listener_ids_are_unique(baton):
    """No id is both an action id and a view callback id, and each is within Slack's 255 characters."""
    assert not baton.registry.actions & baton.registry.views
    assert all(0 < len(i) <= 255 for i in baton.registry.actions | baton.registry.views)


def test_handoff_id_constants_are_unique():
    """The handoff's action ids, callback ids and form block ids are distinct strings."""
    ids = [*BUTTON_ACTIONS, *MODAL_CALLBACKS, hb.QUESTION_BLOCK, hb.REASON_BLOCK]
    assert len(ids) == len(set(ids))
    names = [spec.name for spec in hb.FIELDS]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("name", sorted(_messages()))
def test_message_block_and_action_ids_unique(name):
    """In each built message, block ids are unique and action ids are unique within their block."""
    blocks = _messages()[name]
    block_ids = [b["block_id"] for b in blocks if "block_id" in b]
    assert not [i for i, n in Counter(block_ids).items() if n > 1]
    for b in blocks:
        if b["type"] == "actions":
            actions = [e["action_id"] for e in b["elements"]]
            assert len(actions) == len(set(actions))


@pytest.mark.parametrize("name", sorted(_views()))
def test_view_block_ids_unique(name):
    """In each built modal, block ids are unique (view state is keyed by block id)."""
    blocks = _views()[name]["blocks"]
    block_ids = [b["block_id"] for b in blocks if "block_id" in b]
    assert len(block_ids) == len(set(block_ids))
    assert all(len(i) <= 255 for i in block_ids)
