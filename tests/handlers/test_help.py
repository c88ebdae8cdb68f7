"""Help everywhere (issue 13 item 9): `/baton`, and `help`, `?` or `도움말` in every command, in a DM and in an
@mention, answer with help in the asker's language; none of them looks up, opens or logs anything."""

import pytest

from bot.models import Customer, Handoff, VocNote
from bot.text import normalize_key
from tests import payloads as p
from tests.flows import blocks_text

GENERAL = "C_GENERAL"
HELP_EN = "Baton carries each customer from Sales to Customer Success."
HELP_KO = "Baton은 고객을 영업에서 고객 성공팀으로 빠짐없이 넘겨 줍니다."


@pytest.fixture
def help_named(baton) -> int:
    """A customer literally named "Help" (the word must still mean help)."""
    with baton.deps.sessions.begin() as db:
        c = Customer(team_id="T111", name="Help", name_key=normalize_key("Help"))
        db.add(c)
        db.flush()
        return c.id


def run(baton, slack, command: str, text: str, user: str = "U_CSM") -> dict:
    """`command text` run; returns its one answer through the response_url."""
    before = len(slack.responses())
    req = p.slash_command(command, text, user_id=user, channel_id=GENERAL, response_url=slack.new_response_url())
    assert baton.slack(req).status_code == 200
    assert len(slack.responses()) == before + 1
    return slack.responses()[-1]


@pytest.mark.parametrize(
    ("command", "text"),
    [("/baton", ""), ("/baton", "help"), ("/customer", "help"), ("/customer", "?"), ("/handoff", "help")],
)
def test_commands_answer_help_privately(baton, slack, help_named, command, text):
    """`/baton`, `/customer help` (even with a customer named Help) and `/handoff help` answer with help, for the
    asker only; no form opens and no handoff is started."""
    reply = run(baton, slack, command, text)
    assert reply["response_type"] == "ephemeral"
    assert HELP_EN in blocks_text(reply["blocks"]) and "`/baton`" in blocks_text(reply["blocks"])
    assert slack.calls_to("views.open") == [] and baton.all(Handoff) == []


@pytest.mark.parametrize(("command", "text"), [("/baton", ""), ("/customer", "도움말"), ("/handoff", "？")])
def test_help_in_korean_names_the_shortcuts_as_slack_shows_them(baton, slack, command, text):
    """A Korean user gets the Korean help, which names the shortcuts by the names Slack shows (the manifest's)."""
    reply = run(baton, slack, command, text, user="U_KO")
    shown = blocks_text(reply["blocks"])
    assert HELP_KO in shown
    assert "*Start a handoff*" in shown and "*Log as VoC*" in shown and "*Make roadmap item*" in shown


@pytest.mark.parametrize("text", ["help", "?", "도움말"])
def test_voc_and_roadmap_help_words_answer_their_usage(baton, slack, text):
    """`/voc help` and `/roadmap ?` answer with how to use them; nothing is logged."""
    voc = run(baton, slack, "/voc", text)
    assert "/voc acme: Needs SSO" in blocks_text(voc["blocks"]) and baton.all(VocNote) == []
    roadmap = run(baton, slack, "/roadmap", text)
    assert "/roadmap new" in blocks_text(roadmap["blocks"])


@pytest.mark.parametrize(("text", "user", "expected"), [("도움말", "U_KO", HELP_KO), ("?", "U_CSM", HELP_EN)])
def test_dm_help_words(baton, slack, help_named, text, user, expected):
    """`도움말` or `?` in a DM with Baton answers with help there, in the user's language."""
    event = {"type": "message", "channel_type": "im", "channel": f"D{user}", "user": user, "text": text}
    assert baton.slack(p.event_callback({**event, "ts": "1700000000.000300"})).status_code == 200
    [post] = slack.messages(f"D{user}")
    assert expected in blocks_text(post["blocks"])


def test_mention_asking_customer_help_gets_help(baton, slack, help_named):
    """`@Baton customer help` is help (queued through the outbox like any other mention), not the card of Help."""
    event = {"type": "app_mention", "user": "U_CSM", "text": "<@UBOT> customer help", "ts": "1700000000.000400"}
    assert baton.slack(p.event_callback({**event, "channel": GENERAL})).status_code == 200
    baton.settle()
    calls = slack.calls_to("chat.postMessage") + slack.calls_to("chat.postEphemeral")
    shown = " ".join(str(c.args.get("blocks")) for c in calls)
    assert HELP_EN in shown and "🏢 Help" not in shown
