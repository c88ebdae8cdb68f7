"""The handoff flow end to end: signed requests into the real app, the fake Slack records what it does."""

import json

from bot.blocks import handoff as hb
from bot.models import ACCEPTED, SUBMITTED, Customer, Handoff, OutboxMessage, Promise, Stakeholder
from bot.services.home_refresh import HomeKind
from tests.conftest import HANDOFF_CHANNEL
from tests.flows import ack_body, blocks_text, card_action, open_handoff, submit_handoff


def test_slash_command_opens_modal_prefilled_with_name(baton, slack):
    """`/handoff ACME` acks and opens the handoff modal with the customer name filled in."""
    view = open_handoff(baton, slack, "ACME Corp.")
    assert view["callback_id"] == hb.HANDOFF_MODAL
    name_block = next(b for b in view["blocks"] if b.get("block_id") == "customer_name")
    assert name_block["element"]["initial_value"] == "ACME Corp."
    ae_block = next(b for b in view["blocks"] if b.get("block_id") == "ae_user")
    assert ae_block["element"]["initial_user"] == "U_AE"
    assert len(view["title"]["text"]) <= 24


def test_submit_posts_card_once_and_saves_everything(baton, slack):
    """A valid submission saves handoff, customer, promises, stakeholders, then posts one card."""
    view = open_handoff(baton, slack, "ACME Corp.")
    resp = submit_handoff(baton, view)
    assert resp.status_code == 200 and ack_body(resp) == {}
    baton.settle()

    [h] = baton.all(Handoff)
    assert h.status == SUBMITTED and h.submitted_by == "U_AE" and str(h.arr) == "120000.00"
    [c] = baton.all(Customer)
    assert c.name == "ACME Corp." and c.renewal_date.isoformat() == "2027-12-01" and c.ae_user_id == "U_AE"
    promises = baton.all(Promise)
    assert [pr.text for pr in promises] == ["SSO before launch", "Quarterly roadmap review"]
    assert promises[0].owner_user_id == "U_AE" and promises[0].due_date.isoformat() == "2027-01-15"
    assert [s.name for s in baton.all(Stakeholder)] == ["Jane Kim", "Tom Lee"]

    [card] = slack.messages(HANDOFF_CHANNEL)
    text = blocks_text(card["blocks"])
    for expected in (
        "ACME Corp.",
        "$120,000",
        "Onboarding takes 10 days",
        "☐ SSO before launch",
        "Jane Kim",
        "11/11",
        "Budget owner",
    ):
        assert expected in text
    actions = {e["action_id"] for b in card["blocks"] if b["type"] == "actions" for e in b["elements"]}
    assert actions == {hb.ACCEPT, hb.ASK_AE, hb.FLAG_BAD_FIT, hb.EDIT}
    assert h.card_ts is None or True
    [h] = baton.all(Handoff)
    assert (h.card_channel, h.card_ts) == (HANDOFF_CHANNEL, card["ts"])

    baton.settle()  # nothing left to send: no second card
    assert len(slack.messages(HANDOFF_CHANNEL)) == 1
    rows = baton.all(OutboxMessage)
    assert all(o.status == "sent" for o in rows if o.method != HomeKind.PUBLISH)
    # The people the handoff concerns get their Home tab redrawn once the debounce window ends.
    assert {json.loads(o.payload)["user"] for o in rows if o.method == HomeKind.PUBLISH} >= {"U_AE"}


def test_accept_updates_card_and_second_click_is_told_politely(baton, slack):
    """Accept makes the CSM the owner and updates the card in place; a second click gets an ephemeral note."""
    view = open_handoff(baton, slack, "ACME Corp.")
    submit_handoff(baton, view)
    baton.settle()
    [card] = slack.messages(HANDOFF_CHANNEL)
    [h] = baton.all(Handoff)

    card_action(baton, slack, hb.ACCEPT, h.id, "U_CSM", HANDOFF_CHANNEL, card["ts"])
    baton.settle()
    [h] = baton.all(Handoff)
    assert h.status == ACCEPTED and h.accepted_by == "U_CSM"
    assert baton.all(Customer)[0].owner_user_id == "U_CSM"
    [update] = slack.calls_to("chat.update")
    assert update.args["ts"] == card["ts"]
    [card] = slack.messages(HANDOFF_CHANNEL)
    assert "Accepted by <@U_CSM>" in blocks_text(card["blocks"])
    assert hb.ACCEPT not in blocks_text(card["blocks"])

    card_action(baton, slack, hb.ACCEPT, h.id, "U_CSM2", HANDOFF_CHANNEL, card["ts"])
    baton.settle()
    assert baton.all(Handoff)[0].accepted_by == "U_CSM"
    reply = slack.responses()[-1]
    assert reply["response_type"] == "ephemeral" and "already accepted by <@U_CSM>" in reply["text"]
    assert len(slack.calls_to("chat.update")) == 1


def test_validation_errors_come_back_inline_and_nothing_is_saved(baton, slack):
    """Bad ARR, renewal before start and a missing field answer response_action=errors; no rows are written."""
    view = open_handoff(baton, slack)
    resp = submit_handoff(baton, view, arr="abc", renewal_date="2026-06-01", why_bought=None)
    body = ack_body(resp)
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {"arr", "renewal_date", "why_bought"}
    assert "after the contract start" in body["errors"]["renewal_date"]
    baton.settle()
    assert baton.all(Handoff) == [] and baton.all(Customer) == [] and slack.messages(HANDOFF_CHANNEL) == []


def test_korean_user_gets_korean_modal_and_errors(baton, slack):
    """A user whose Slack locale is ko-KR sees the form and its errors in Korean."""
    view = open_handoff(baton, slack, "삼성전자", user="U_KO")
    assert view["title"]["text"] == "영업 → CS 인계"
    body = ack_body(submit_handoff(baton, view, user="U_KO", arr="0"))
    assert body["errors"]["arr"] == "ARR은 0보다 커야 합니다."


def test_amount_formats_accepted(baton, slack):
    """ARR accepts 120000, 120,000, ₩150,000,000 and $120k."""
    for i, (raw, stored, currency) in enumerate(
        [
            ("120000", "120000.00", "USD"),
            ("120,000", "120000.00", "USD"),
            ("₩150,000,000", "150000000.00", "KRW"),
            ("$120k", "120000.00", "USD"),
        ]
    ):
        view = open_handoff(baton, slack, f"Customer {i}")
        assert ack_body(submit_handoff(baton, view, customer_name=f"Customer {i}", arr=raw, view_id=f"V{i}")) == {}
        h = baton.all(Handoff, Handoff.customer_name == f"Customer {i}")[0]
        assert (str(h.arr), h.currency) == (stored, currency)


def test_double_submission_creates_one_handoff(baton, slack):
    """The same modal submitted twice (double click, retry) creates one handoff and one card."""
    view = open_handoff(baton, slack, "ACME Corp.")
    submit_handoff(baton, view)
    submit_handoff(baton, view)
    baton.settle()
    assert len(baton.all(Handoff)) == 1
    assert len(slack.messages(HANDOFF_CHANNEL)) == 1


def test_user_text_cannot_ping_channel_or_forge_links(baton, slack):
    """Typed <!channel>, @here and <http://evil|click> arrive escaped on the card."""
    view = open_handoff(baton, slack)
    submit_handoff(baton, view, why_bought="<!channel> look <http://evil.example|click here> @here")
    baton.settle()
    [card] = slack.messages(HANDOFF_CHANNEL)
    text = json.dumps(card["blocks"])
    assert "<!channel>" not in text and "<http://evil" not in text
    assert "&lt;!channel&gt;" in text and "@here" not in text


def test_promise_owners_are_slack_users_or_refused(baton, slack):
    """A promise's owner written as an email becomes that Slack user (reminders reach them); a name Baton knows
    (a user it has seen) too; an email or a name that is nobody is refused next to the field, nothing saved."""
    from tests.flows import ack_body

    baton.deps.users.locale("T111", "U_KO")  # Baton has seen 김민수 (cached with the name)
    view = open_handoff(baton, slack)
    bad = submit_handoff(baton, view, promises="SSO before launch | nobody@example.com\nTraining | Pat Unknown")
    assert ack_body(bad)["errors"]["promises"] == (
        "Promise 1: no one in this Slack has the email nobody@example.com. Use a colleague's Slack email, or "
        "leave the owner empty."
    )
    assert baton.all(Handoff) == []
    good = submit_handoff(baton, view, promises="SSO before launch | csm@example.com | 2027-01-15\nTraining | 김민수")
    assert ack_body(good) == {}
    owners = {p.text: (p.owner_user_id, p.owner_name) for p in baton.all(Promise)}
    assert owners == {"SSO before launch": ("U_CSM", None), "Training": ("U_KO", None)}
