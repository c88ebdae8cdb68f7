"""The card's buttons end to end: Ask AE, Flag bad fit, Edit, and who may do what."""

import json

import pytest

from bot.blocks import handoff as hb
from bot.models import Customer, Handoff, OutboxMessage, Promise
from tests import payloads as p
from tests.conftest import HANDOFF_CHANNEL
from tests.flows import (
    POST_FAULTS,
    UPDATE_FAULTS,
    ack_body,
    blocks_text,
    card_action,
    last_view,
    open_handoff,
    retry_for,
    state_for,
    submit_handoff,
)


@pytest.fixture
def card(baton, slack):
    """A submitted handoff whose card is in the channel: (handoff id, card message)."""
    view = open_handoff(baton, slack, "ACME Corp.")
    submit_handoff(baton, view)
    baton.settle()
    [message] = slack.messages(HANDOFF_CHANNEL)
    return baton.all(Handoff)[0].id, message


def submit_small(baton, view: dict, block_id: str, text: str, user: str, view_id: str = "V_SMALL"):
    values = {block_id: {hb.VALUE: p.text_value(text)}}
    req = p.view_submission(
        view["callback_id"], values, user_id=user, private_metadata=view["private_metadata"], view_id=view_id
    )
    return baton.slack(req)


def test_ask_ae_posts_question_in_thread_mentioning_ae(baton, slack, card):
    """Ask AE opens a small modal; the question lands once in the card's thread, mentioning the AE."""
    handoff_id, message = card
    card_action(baton, slack, hb.ASK_AE, handoff_id, "U_CSM", HANDOFF_CHANNEL, message["ts"])
    view = last_view(slack)
    assert view["callback_id"] == hb.ASK_AE_MODAL
    resp = submit_small(baton, view, hb.QUESTION_BLOCK, "Which SSO provider? <!here>", "U_CSM")
    assert ack_body(resp) == {}
    submit_small(baton, view, hb.QUESTION_BLOCK, "Which SSO provider? <!here>", "U_CSM")  # same view again
    baton.settle()
    replies = [m for m in slack.thread(HANDOFF_CHANNEL, message["ts"]) if m["ts"] != message["ts"]]
    assert len(replies) == 1
    text = blocks_text(replies[0]["blocks"])
    assert "<@U_AE>" in text and "<@U_CSM>" in text and "Which SSO provider?" in text and "<!here>" not in text


def test_empty_question_is_refused_inline(baton, slack, card):
    """An empty question comes back as an inline error and nothing is posted."""
    handoff_id, message = card
    card_action(baton, slack, hb.ASK_AE, handoff_id, "U_CSM", HANDOFF_CHANNEL, message["ts"])
    body = ack_body(submit_small(baton, last_view(slack), hb.QUESTION_BLOCK, "   ", "U_CSM"))
    assert body["response_action"] == "errors" and hb.QUESTION_BLOCK in body["errors"]
    baton.settle()
    assert len(slack.thread(HANDOFF_CHANNEL, message["ts"])) <= 1


def test_flag_bad_fit_records_reason_marks_card_and_posts_in_thread(baton, slack, card):
    """Flag bad fit records who and why, marks the card in place and posts the reason in the thread."""
    handoff_id, message = card
    card_action(baton, slack, hb.FLAG_BAD_FIT, handoff_id, "U_CSM", HANDOFF_CHANNEL, message["ts"])
    view = last_view(slack)
    assert view["callback_id"] == hb.BAD_FIT_MODAL
    submit_small(baton, view, hb.REASON_BLOCK, "Needs on-prem, we are SaaS only", "U_CSM")
    baton.settle()
    [h] = baton.all(Handoff)
    assert h.bad_fit_by == "U_CSM" and h.bad_fit_reason == "Needs on-prem, we are SaaS only"
    [updated] = slack.messages(HANDOFF_CHANNEL)
    assert "bad fit by <@U_CSM>" in blocks_text(updated["blocks"])
    assert hb.FLAG_BAD_FIT not in blocks_text(updated["blocks"])
    replies = [m for m in slack.thread(HANDOFF_CHANNEL, message["ts"]) if m["ts"] != message["ts"]]
    assert len(replies) == 1 and "Needs on-prem" in blocks_text(replies[0]["blocks"])


def test_ae_edits_handoff_and_card_updates_in_place(baton, slack, card):
    """The AE's Edit reopens the form prefilled; saving updates the same card and keeps promise status."""
    handoff_id, message = card
    with baton.db() as db:
        promise = db.exec(__import__("sqlmodel").select(Promise)).first()
        promise.status = "done"
        db.add(promise)
        db.commit()
    card_action(baton, slack, hb.EDIT, handoff_id, "U_AE", HANDOFF_CHANNEL, message["ts"])
    view = last_view(slack)
    assert view["title"]["text"] == "Edit handoff"
    arr_block = next(b for b in view["blocks"] if b.get("block_id") == "arr")
    assert arr_block["element"]["initial_value"] == "USD 120,000"
    meta = json.loads(view["private_metadata"])
    assert meta["handoff_id"] == handoff_id

    resp = submit_handoff(baton, view, view_id="V_EDIT", arr="$150k", risks="Champion leaving in March")
    assert ack_body(resp) == {}
    baton.settle()
    [h] = baton.all(Handoff)
    assert str(h.arr) == "150000.00" and h.version == 2
    assert str(baton.all(Customer)[0].arr) == "150000.00"
    [updated] = slack.messages(HANDOFF_CHANNEL)  # the same card, updated; no second post
    assert updated["ts"] == message["ts"]
    text = blocks_text(updated["blocks"])
    assert "$150,000" in text and "Champion leaving in March" in text and "☑ SSO before launch" in text
    assert len(baton.all(Handoff)) == 1


def test_only_ae_or_submitter_may_edit(baton, slack, card):
    """Anyone else clicking Edit is told who can; no modal opens."""
    handoff_id, message = card
    opened = len(slack.views_opened())
    card_action(baton, slack, hb.EDIT, handoff_id, "U_CSM", HANDOFF_CHANNEL, message["ts"])
    assert len(slack.views_opened()) == opened
    assert "Only the AE" in slack.responses()[-1]["text"]


def test_other_team_cannot_touch_handoff(baton, slack, card):
    """A click from another workspace on this team's handoff id finds nothing and changes nothing."""
    handoff_id, message = card
    req = p.block_actions(
        hb.ACCEPT,
        str(handoff_id),
        user_id="U_OTHER",
        team_id="T999",
        channel_id=HANDOFF_CHANNEL,
        message_ts=message["ts"],
        response_url=slack.new_response_url(),
    )
    baton.slack(req)
    baton.settle()
    assert baton.all(Handoff)[0].accepted_by is None
    assert "no longer exists" in slack.responses()[-1]["text"]


def test_global_shortcut_opens_empty_form(baton, slack):
    """The "Start a handoff" shortcut opens the form with the clicking user as AE."""
    baton.slack(p.global_shortcut("start_handoff", user_id="U_AE"))
    view = last_view(slack)
    assert view["callback_id"] == hb.HANDOFF_MODAL
    ae = next(b for b in view["blocks"] if b.get("block_id") == "ae_user")
    assert ae["element"]["initial_user"] == "U_AE"


def test_expired_trigger_gets_an_ephemeral_retry_message(baton, slack):
    """When Slack refuses views.open (trigger expired) the user is told to try again."""
    baton.slack(
        p.slash_command(
            "/handoff", "ACME", user_id="U_AE", trigger_id="expired.1.x", response_url=slack.new_response_url()
        )
    )
    assert "try again" in slack.responses()[-1]["text"]


def test_forged_slack_signature_is_rejected_and_nothing_happens(baton, slack):
    """A request signed with the wrong secret gets 401; no modal, no rows."""
    resp = baton.slack(p.slash_command("/handoff", "ACME", user_id="U_AE", secret="wrong-secret"))
    assert resp.status_code == 401
    assert slack.views_opened() == []
    view = {"private_metadata": json.dumps({"form_id": "x"})}
    req = p.view_submission(
        hb.HANDOFF_MODAL, state_for({}), user_id="U_AE", private_metadata=view["private_metadata"], timestamp=1
    )
    assert baton.slack(req).status_code == 401
    assert baton.all(Handoff) == []


@pytest.mark.parametrize("fault", POST_FAULTS)
def test_bad_fit_reply_lands_exactly_once_under_each_fault(baton, slack, clock, card, fault):
    """Each Slack fault on the bad-fit reason's thread reply ends with one reply in the card's thread."""
    handoff_id, message = card
    card_action(baton, slack, hb.FLAG_BAD_FIT, handoff_id, "U_CSM", HANDOFF_CHANNEL, message["ts"])
    POST_FAULTS[fault](slack)
    submit_small(baton, last_view(slack), hb.REASON_BLOCK, "Needs on-prem", "U_CSM")
    baton.settle()
    retry_for(baton, clock)
    replies = [m for m in slack.thread(HANDOFF_CHANNEL, message["ts"]) if m["ts"] != message["ts"]]
    assert len(replies) == 1 and "Needs on-prem" in blocks_text(replies[0]["blocks"])


@pytest.mark.parametrize("fault", UPDATE_FAULTS)
def test_card_update_lands_under_each_fault(baton, slack, clock, card, fault):
    """Each Slack fault on the card's update after Accept ends with the one card showing who accepted it."""
    handoff_id, message = card
    UPDATE_FAULTS[fault](slack)
    card_action(baton, slack, hb.ACCEPT, handoff_id, "U_CSM", HANDOFF_CHANNEL, message["ts"])
    baton.settle()
    retry_for(baton, clock)
    [updated] = slack.messages(HANDOFF_CHANNEL)
    assert updated["ts"] == message["ts"] and hb.ACCEPT not in blocks_text(updated["blocks"])
    assert {o.status for o in baton.all(OutboxMessage)} == {"sent"}


def test_the_ae_hears_who_took_the_customer_and_the_kickoff(baton, slack, card):
    """Accept closes the loop: the AE (who submitted) gets one DM naming the CSM and the kickoff date, with the
    card's link; a second click sends nothing more."""
    handoff_id, message = card
    before = slack.messages(slack.dm_channel("U_AE"))
    for _ in range(2):
        card_action(baton, slack, hb.ACCEPT, handoff_id, "U_CSM", HANDOFF_CHANNEL, message["ts"])
        baton.settle()
    [notice] = slack.messages(slack.dm_channel("U_AE"))[len(before) :]
    text = blocks_text(notice["blocks"])
    assert "✅ <@U_CSM> took *ACME Corp.* · kickoff Dec 3, 2026." in text
    assert f"https://slack.com/archives/{HANDOFF_CHANNEL}/p{message['ts'].replace('.', '')}" in text
