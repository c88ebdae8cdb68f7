"""Expected errors reach the user on the right surface, whatever the feature; nothing answers 404 or 500."""

import json
import re
from datetime import date

import pytest

from bot.blocks import customer as cb
from bot.blocks import customer_modals as cm
from bot.blocks import handoff as hb
from bot.blocks import outcomes as ob
from bot.blocks import roadmap as rb
from bot.blocks import voc as vb
from bot.errors import UserError
from bot.i18n import t
from bot.models import Handoff
from bot.services.customer import CustomerNotFound
from bot.services.handoff import HandoffError
from bot.services.home import PromiseError
from bot.services.kpi import KpiError
from bot.services.roadmap import RoadmapError
from bot.services.voc import VocError
from tests import payloads as p
from tests.conftest import HANDOFF_CHANNEL, Baton, InlineExecutor
from tests.flows import GOOD_FORM, ack_body, card_action, open_handoff, state_for, submit_handoff


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


# --- every feature's UserError, through the central handler ---------------------------------------------

# One refusal of each UserError subclass (a new subclass must be added here: the test below checks).
REFUSALS = {
    HandoffError: lambda: HandoffError("not_found"),
    VocError: lambda: VocError("unknown_customer"),
    RoadmapError: lambda: RoadmapError("unknown_item"),
    CustomerNotFound: lambda: CustomerNotFound(999),
    PromiseError: lambda: PromiseError("not_yours"),
    KpiError: lambda: KpiError("two_periods"),
}


def _subclasses(cls: type) -> set[type]:
    return {c for sub in cls.__subclasses__() for c in {sub, *_subclasses(sub)}}


def test_every_user_error_is_in_the_table():
    """Every feature's expected error derives from UserError and is exercised below."""
    assert _subclasses(UserError) == set(REFUSALS)


@pytest.mark.parametrize("kind", list(REFUSALS), ids=lambda k: k.__name__)
def test_a_user_error_after_ack_becomes_an_ephemeral(inline, slack, kind):
    """Any feature's UserError that escapes a listener after ack() reaches the user as its catalog text."""
    error = REFUSALS[kind]()

    @inline.registry.action("probe_after_ack")
    def probe(ack, body):
        ack()
        raise error

    resp = inline.slack(p.block_actions("probe_after_ack", user_id="U_AE", response_url=slack.new_response_url()))
    assert resp.status_code == 200, resp.text
    [answer] = slack.responses()
    assert answer["response_type"] == "ephemeral" and answer["text"] == t("en", error.key, **error.params)


@pytest.mark.parametrize("kind", list(REFUSALS), ids=lambda k: k.__name__)
def test_a_user_error_before_a_modal_ack_becomes_modal_errors(inline, kind):
    """Any feature's UserError raised before a modal's ack keeps it open with the message under its first input."""
    error = REFUSALS[kind]()

    @inline.registry.view("probe_modal")
    def probe(ack, view):
        raise error

    values = {"first": {"value": p.text_value("x")}, "second": {"value": p.text_value("y")}}
    resp = inline.slack(p.view_submission("probe_modal", values, user_id="U_AE", blocks=_inputs("first", "second")))
    assert resp.status_code == 200, resp.text
    assert ack_body(resp) == {"response_action": "errors", "errors": {"first": t("en", error.key, **error.params)}}


def test_a_user_error_naming_an_input_shows_under_it(inline):
    """A UserError that names its field is shown under that input."""

    @inline.registry.view("probe_modal")
    def probe(ack, view):
        raise HandoffError("name_taken", field="second", name="<ACME>")

    values = {"first": {"value": p.text_value("x")}, "second": {"value": p.text_value("y")}}
    resp = inline.slack(p.view_submission("probe_modal", values, user_id="U_AE", blocks=_inputs("first", "second")))
    assert ack_body(resp)["errors"] == {"second": "Another customer is already called <ACME>."}


def test_an_unexpected_error_after_ack_is_logged_with_a_reference_the_user_sees(inline, slack, caplog):
    """A bug after ack() is answered with a reference that is also in the log, never Bolt's 404."""

    @inline.registry.command("/probe")
    def probe(ack):
        ack()
        raise RuntimeError("boom")

    resp = inline.slack(p.slash_command("/probe", response_url=slack.new_response_url()))
    assert resp.status_code == 200, resp.text
    [answer] = slack.responses()
    ref = re.search(r"reference (\w+)", answer["text"]).group(1)
    assert any(f"ref={ref}" in r.getMessage() and r.exc_info for r in caplog.records)


def test_an_unexpected_error_in_a_modal_keeps_it_open_with_a_reference(inline):
    """A bug before a view submission's ack keeps the modal open with the reference, instead of a 500."""

    @inline.registry.view("probe_modal")
    def probe(ack, view):
        raise RuntimeError("boom")

    values = {"first": {"value": p.text_value("x")}}
    resp = inline.slack(p.view_submission("probe_modal", values, user_id="U_AE", blocks=_inputs("first")))
    assert resp.status_code == 200, resp.text
    assert "reference" in ack_body(resp)["errors"]["first"]


def _inputs(*block_ids: str) -> list[dict]:
    return [
        {"type": "input", "block_id": b, "label": {"type": "plain_text", "text": b}, "element": {"type": "x"}}
        for b in block_ids
    ]


# --- every modal: unreadable private_metadata, missing state, ids that are gone ----------------------------


def _modals() -> dict[str, tuple[dict, dict]]:
    """Each submittable modal as Baton draws it, with ids that name nothing, and a state filled as a user
    would: {callback_id: (view, state)}."""
    views = {
        hb.HANDOFF_MODAL: (
            hb.handoff_modal("en", hb.HandoffMeta(handoff_id=999, form_id="f1"), {}, editing=True),
            state_for(GOOD_FORM),
        ),
        hb.ASK_AE_MODAL: (hb.ask_ae_modal("en", 999, "ACME", "U_AE"), {hb.QUESTION_BLOCK: _text("SSO?")}),
        hb.BAD_FIT_MODAL: (hb.bad_fit_modal("en", 999, "ACME"), {hb.REASON_BLOCK: _text("Too small")}),
        cb.HEALTH_MODAL: (cm.health_modal("en", cm.HealthMeta(customer_id=999), "ACME"), {cb.RATING_BLOCK: _text("4")}),
        cb.TOUCH_MODAL: (
            cm.touch_modal("en", cm.HealthMeta(customer_id=999), "ACME", date(2026, 12, 1)),
            {cb.TOUCH_KIND_BLOCK: {"value": p.static_value("call")}, cb.TOUCH_NOTE_BLOCK: _text("Met the champion")},
        ),
        vb.LOG_MODAL: (
            vb.log_modal("en", vb.VocMeta(draft_id=999, cut="0" * 24), quote="They need SSO"),
            {vb.CUSTOMER_BLOCK: {"c": p.static_value("999")}, vb.QUOTE_BLOCK: _text("They need SSO")},
        ),
        vb.EDIT_MODAL: (
            vb.edit_modal(
                "en",
                vb.EditMeta(voc_id=999),
                vb.EditableNote(999, "ACME", "They need SSO", "feature_request", "important", None),
            ),
            {vb.QUOTE_BLOCK: _text("They need SSO")},
        ),
        rb.ITEM_MODAL: (
            rb.item_modal("en", rb.ItemFormMeta(channel="C_GENERAL", ts="1.000001"), "SSO", "U_AE"),
            {rb.TITLE_BLOCK: _text("SSO")},
        ),
        ob.CHANGED_MODAL: (
            ob.changed_modal(
                "en",
                ob.OutcomeMeta(key="renewal:999:2026-01-01:outcome:0", customer_id=999),
                "ACME",
                date(2026, 1, 1),
                None,
                None,
            ),
            {ob.ARR_BLOCK: _text("$150k")},
        ),
        ob.CHURNED_MODAL: (
            ob.churned_modal(
                "en",
                ob.OutcomeMeta(key="renewal:999:2026-01-01:outcome:0", customer_id=999),
                "ACME",
                date(2026, 1, 1),
                None,
                None,
            ),
            {ob.REASON_BLOCK: _text("Budget cut")},
        ),
        rb.TAG_MODAL: (
            rb.tag_modal("en", rb.TagMeta(voc_id=999), "ACME", "SSO", [rb.OpenItem(5, "SSO", "planned")]),
            {rb.ITEM_BLOCK: {hb.VALUE: p.static_value("5")}},
        ),
    }
    return {cid: (view.to_dict(), state) for cid, (view, state) in views.items()}


def _text(value: str) -> dict:
    return {hb.VALUE: p.text_value(value)}


MODALS = _modals()
GARBLED = {
    "missing": "",
    "not_json": "{not json",
    "wrong_shape": "[1, 2]",
    "wrong_types": json.dumps(
        {"handoff_id": "x", "customer_id": "x", "voc_id": "x", "draft_id": "x", "form_id": 5, "channel": 5, "ts": 5}
    ),
}


def test_every_submittable_modal_is_in_the_table(baton):
    """Every view callback the app listens to is covered by the tests below."""
    assert set(MODALS) == baton.registry.views


def _submit(baton, callback_id: str, view: dict, state: dict, metadata: str):
    req = p.view_submission(callback_id, state, user_id="U_AE", private_metadata=metadata, blocks=view["blocks"])
    resp = baton.slack(req)
    assert resp.status_code == 200, resp.text
    answer = ack_body(resp)
    inputs = {b["block_id"] for b in view["blocks"] if b["type"] == "input"}
    if answer.get("response_action") == "errors":
        assert answer["errors"] and set(answer["errors"]) <= inputs, answer
        assert all(0 < len(m) <= 150 for m in answer["errors"].values())
    else:
        assert answer.get("response_action") == "update", answer  # a clear answer in place of the form
    return answer


@pytest.mark.parametrize("garble", list(GARBLED))
@pytest.mark.parametrize("callback_id", list(MODALS))
def test_unreadable_private_metadata_gets_a_field_error(inline, callback_id, garble):
    """A modal with missing or foreign private_metadata is answered under one of its inputs, never with a 500."""
    view, state = MODALS[callback_id]
    answer = _submit(inline, callback_id, view, state, GARBLED[garble])
    if callback_id != vb.LOG_MODAL:  # a VoC capture only loses where it came from, and is still checked
        assert "can no longer read this form" in next(iter(answer["errors"].values()))


@pytest.mark.parametrize("callback_id", list(MODALS))
def test_a_state_without_its_blocks_gets_field_errors(inline, callback_id):
    """A submission whose state lacks the form's blocks is refused under the inputs, never with a 500."""
    view, _state = MODALS[callback_id]
    answer = _submit(inline, callback_id, view, {}, view["private_metadata"])
    assert answer["response_action"] == "errors"


@pytest.mark.parametrize("callback_id", list(MODALS))
def test_ids_that_name_nothing_get_a_clear_answer(inline, callback_id):
    """A well-formed modal whose handoff, customer, note or draft is gone is answered inline, never a 500."""
    view, state = MODALS[callback_id]
    _submit(inline, callback_id, view, state, view["private_metadata"])
