"""Expected errors reach the user on the right surface, whatever the feature; nothing answers 404 or 500."""

import pytest

from bot.blocks import handoff as hb
from bot.models import Handoff
from tests import payloads as p
from tests.conftest import HANDOFF_CHANNEL, Baton, InlineExecutor
from tests.flows import card_action, open_handoff, submit_handoff


@pytest.fixture
def inline(settings, clock):
    """The real app whose listeners run to the end before Bolt's request thread checks the ack."""
    b = Baton(settings, clock, executor=InlineExecutor())
    yield b
    b.close()


@pytest.fixture
def card(inline, slack):
    """A submitted handoff whose card is in the channel: (handoff id, card message)."""
    submit_handoff(inline, open_handoff(inline, slack, "ACME Corp."))
    inline.settle()
    [message] = slack.messages(HANDOFF_CHANNEL)
    return inline.all(Handoff)[0].id, message


def test_click_on_a_handoff_that_is_gone_is_answered_not_dropped(inline, slack):
    """Fill on a handoff that no longer exists acks 200 and tells the clicker, instead of Bolt's 404 after 3 s."""
    url = slack.new_response_url()
    resp = inline.slack(p.block_actions(hb.FILL, "999", user_id="U_AE", response_url=url))
    assert resp.status_code == 200, resp.text
    [answer] = slack.responses()
    assert answer["response_type"] == "ephemeral" and "no longer exists" in answer["text"]


def test_ask_ae_when_slack_refuses_the_modal_is_answered_not_dropped(inline, slack, card):
    """Ask AE whose views.open fails (the trigger expired) acks 200 and asks the clicker to try again."""
    handoff_id, message = card
    slack.fail_next("views.open", status=500)
    resp = card_action(inline, slack, hb.ASK_AE, handoff_id, "U_CSM", HANDOFF_CHANNEL, message["ts"])
    assert resp.status_code == 200, resp.text
    assert any("try again" in r.get("text", "") for r in slack.responses())
