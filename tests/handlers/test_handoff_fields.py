"""The handoff form's field table (bot/viewdata/handoff.py) is the one place a field is declared: the modal, the
validator, the save, the prefill, completeness and the card all read it."""

from dataclasses import replace
from datetime import date

import pytest

from bot.blocks import handoff as hb
from bot.i18n import EN, KO
from bot.models import Handoff
from bot.services import handoff as hs
from bot.services.handoff_form import PARSERS
from bot.viewdata.handoff import FIELDS, KINDS, PLACES, SHOWS, CardSpot, FieldSpec, field_values
from tests.blocks.test_handoff_blocks import card, check_message, check_modal
from tests.flows import GOOD_FORM, ack_body, blocks_text, open_handoff, submit_handoff

COLUMNS = set(Handoff.model_fields)


def test_every_field_of_the_table_is_one_the_code_knows():
    """Each row names a known input, parser, Handoff column and card spot; names are unique; the card's top
    section keeps room for completeness (Slack allows 10 fields)."""
    names = [s.name for s in FIELDS]
    assert len(names) == len(set(names))
    for spec in FIELDS:
        assert spec.kind in KINDS and spec.parse in PARSERS, spec.name
        assert spec.column is None or spec.column in COLUMNS, spec.name
        assert spec.prefill_fallback is None or spec.prefill_fallback in COLUMNS, spec.name
        if spec.card:
            assert spec.card.place in PLACES and spec.card.show in SHOWS, spec.name
            assert spec.card.pair is None or spec.card.pair in COLUMNS, spec.name
    assert len(FIELDS.on_card("fact")) <= 9
    assert len(FIELDS.completeness()) == 11


@pytest.fixture
def close_date_field(monkeypatch):
    """A new optional date field, added to the table (and its labels to the catalog) and nowhere else. Its
    column, Handoff.crm_close_date, is one the model and migrations already have: the step a new field's
    model + migration would take."""
    spec = FieldSpec(
        "close_date",
        "date",
        True,
        parse="date",
        column="crm_close_date",
        card=CardSpot("fact", 9, "date", always=True),
        complete=True,
    )
    monkeypatch.setattr(FIELDS, "specs", (*FIELDS.specs, spec))
    for catalog, label in ((EN, "Deal closed on"), (KO, "계약 체결일")):
        monkeypatch.setitem(catalog, "handoff.field.close_date", label)
        monkeypatch.setitem(catalog, "handoff.field.close_date.placeholder", "2026-11-20")
    return spec


def test_a_field_added_to_the_table_alone_is_in_the_modal_the_row_the_prefill_and_the_card(
    baton, slack, close_date_field
):
    """A new field, declared only in the table, is drawn in the modal, parsed and saved to its column, prefills
    the form, counts in completeness and shows on the card."""
    view = open_handoff(baton, slack, "ACME Corp.")
    [block] = [b for b in view["blocks"] if b.get("block_id") == "close_date"]
    assert block["element"]["type"] == "datepicker" and block["label"]["text"] == "Deal closed on"
    assert block["optional"] is True

    resp = submit_handoff(baton, view, close_date="2026-11-20")
    assert resp.status_code == 200 and ack_body(resp) == {}
    baton.settle()
    [h] = baton.all(Handoff)
    assert h.crm_close_date == date(2026, 11, 20)

    assert hb.initial_values(h)["close_date"] == "2026-11-20"
    assert hs.completeness(h) == (12, 12)
    drawn = check_message(*hb.handoff_card(replace(card(), values=field_values(h)), "en"))
    assert "*Deal closed on*\\nNov 20, 2026" in blocks_text(drawn)


def test_a_field_added_to_the_table_is_checked_like_its_kind(close_date_field):
    """The validator refuses a bad value in the new field under its own block id, and keeps a good one."""
    raw = dict(GOOD_FORM, close_date="20/11/2026")
    form, errors = hs.validate_handoff(raw, default_currency="USD", today=date(2026, 11, 1))
    assert form is None and [(e.field, e.code) for e in errors] == [("close_date", "bad_date")]
    form, errors = hs.validate_handoff(
        dict(GOOD_FORM, close_date="2026-11-20"), default_currency="USD", today=date(2026, 11, 1)
    )
    assert errors == [] and form["crm_close_date"] == date(2026, 11, 20)


@pytest.mark.parametrize("locale", ["en", "ko"])
def test_the_modal_with_the_new_field_stays_within_slack_limits(locale, close_date_field):
    """The modal with one more input still validates (labels, max lengths, block count)."""
    meta = hb.HandoffMeta(form_id="f" * 64, locale=locale)
    raw = check_modal(hb.handoff_modal(locale, meta, {"close_date": "2026-11-20"}, editing=False))
    [block] = [b for b in raw["blocks"] if b.get("block_id") == "close_date"]
    assert block["element"]["initial_date"] == "2026-11-20"
