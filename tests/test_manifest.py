"""manifest.json agrees with what the app registers, and every id a builder emits has a listener."""

import importlib
import json
import pkgutil
import re
from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

import bot.blocks as blocks_pkg
from bot.blocks import handoff as hb

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = json.loads((ROOT / "manifest.json").read_text(encoding="utf-8"))
BOT = ROOT / "bot"
REQUEST_URL = "https://baton.example.com/slack/events"

BUTTON_ACTIONS = (hb.ACCEPT, hb.ASK_AE, hb.FLAG_BAD_FIT, hb.EDIT, hb.FILL)
MODAL_CALLBACKS = (hb.HANDOFF_MODAL, hb.ASK_AE_MODAL, hb.BAD_FIT_MODAL)

# Web API method -> bot scopes it needs. A method Baton starts calling must be added here (and to the manifest).
METHOD_SCOPES: dict[str, set[str]] = {
    "auth.test": set(),
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
}
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
    send = re.compile(r"""Send\(\s*["']([a-z]+\.[A-Za-z.]+)["']""")
    found: set[str] = set()
    for path in BOT.rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        # Method names have no underscores: users_info -> users.info, usergroups_users_list -> usergroups.users.list.
        found |= {name.replace("_", ".") for name in call.findall(source)}
        found |= set(send.findall(source))
    return found


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


def test_manifest_bot_events_match_registry(baton):
    """The manifest subscribes to exactly the events the app has a listener for."""
    assert set(MANIFEST["settings"]["event_subscriptions"]["bot_events"]) == baton.registry.events


def test_manifest_urls_all_point_at_slack_events():
    """Commands, events and interactivity all go to the one Bolt endpoint, POST /slack/events."""
    settings = MANIFEST["settings"]
    urls = {c["url"] for c in MANIFEST["features"]["slash_commands"]}
    urls |= {settings["event_subscriptions"]["request_url"], settings["interactivity"]["request_url"]}
    assert urls == {REQUEST_URL}
    assert settings["interactivity"]["is_enabled"] is True


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


def test_manifest_bot_scopes_are_exactly_what_baton_uses(baton):
    """Bot scopes = the scopes of the Web API methods called + `commands` + the subscribed events' scopes."""
    needed: set[str] = set().union(*(METHOD_SCOPES[m] for m in _web_api_methods()))
    if baton.registry.commands or baton.registry.shortcuts:
        needed.add("commands")
    if "app_mention" in baton.registry.events:
        needed.add("app_mentions:read")
    for event, scope in (("message.channels", "channels:history"), ("message.groups", "groups:history")):
        if event in baton.registry.events:
            needed.add(scope)
    if "reaction_added" in baton.registry.events:
        needed.add("reactions:read")
    scopes = MANIFEST["oauth_config"]["scopes"]["bot"]
    assert len(scopes) == len(set(scopes))
    assert set(scopes) == needed


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
