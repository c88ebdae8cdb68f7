"""What feeds the ledger besides imports: a closed-won deal for a customer that already has ARR, a handoff's
edits, renewal outcomes recorded by the service (once, history, terms) and a stage change to churned."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlmodel import select

from bot.models import ArrMovement, Customer, RenewalOutcome
from bot.services import handoff as hs
from bot.services import ledger
from bot.services import renewal_outcomes as ro
from bot.services.handoff_form import validate_handoff
from tests.conftest import TEAM
from tests.flows import GOOD_FORM
from tests.services.conftest import add_customer

NOW = datetime(2027, 6, 3, 10, 0, tzinfo=UTC)


def moves(sessions, cid):
    with sessions.begin() as db:
        rows = db.exec(select(ArrMovement).where(ArrMovement.customer_id == cid).order_by(ArrMovement.id))
        return [(m.kind, m.amount, m.effective_on, m.source) for m in rows]


def seed(sessions, name="ACME Corp.", arr="120000", **fields) -> int:
    cid = add_customer(sessions, name, **fields)
    with sessions.begin() as db:
        c = db.get(Customer, cid)
        ledger.set_arr(db, c, Decimal(arr), "USD", date(2026, 6, 1), source="handoff", ref="seed", by=None, now=NOW)
    return cid


def form(**changes):
    raw = {**GOOD_FORM, "promises": "SSO before launch | <@U_AE> | 2027-09-15", **changes}
    f, errors = validate_handoff(raw, default_currency="USD", today=NOW.date())
    assert not errors, errors
    return f


def save(sessions, f, handoff_id=None, form_id="F1"):
    with sessions.begin() as db:
        r = hs.save_handoff(db, TEAM, "U_AE", f, handoff_id=handoff_id, form_id=form_id, channel="C1", now=NOW)
        return r.handoff.id


def test_a_closed_won_deal_for_a_customer_with_arr_is_prefilled_with_its_arr_not_the_deals_amount(sessions):
    """An upsell deal of 30,000: the draft's ARR is the 120,000 on record; the AE types the new total, 150,000,
    and the ledger records an expansion of 30,000 on the deal's close date."""
    cid = seed(sessions, crm_source="hubspot", crm_company_id="C9")
    deal = hs.DealFacts(
        source="hubspot", deal_id="D1", company="ACME Corp.", company_id="C9", amount=Decimal("30000"),
        currency="USD", close_date=date(2027, 5, 28),
    )  # fmt: skip
    with sessions.begin() as db:
        h, created = hs.create_draft_from_deal(db, TEAM, deal, default_currency="USD", now=NOW)
        assert created and h.customer_id == cid
        assert (h.arr, h.currency, h.contract_start) == (Decimal("120000"), "USD", date(2027, 5, 28))
        hid = h.id
    save(sessions, form(arr="$150,000", contract_start="2027-05-28", renewal_date="2028-05-28"), handoff_id=hid)
    assert moves(sessions, cid)[-1] == ("expansion", Decimal("30000.00"), date(2027, 5, 28), "handoff")


def test_a_new_customers_deal_keeps_the_deals_amount(sessions):
    """No ARR on record: the draft takes the CRM's amount, as before."""
    deal = hs.DealFacts(source="hubspot", deal_id="D2", company="Globex", amount=Decimal("50000"), currency="EUR")
    with sessions.begin() as db:
        h, _ = hs.create_draft_from_deal(db, TEAM, deal, default_currency="USD", now=NOW)
        assert (h.arr, h.currency) == (Decimal("50000"), "EUR")


def test_an_edit_that_leaves_the_arr_alone_does_not_undo_a_later_outcome(sessions):
    """Handoff at 120,000, then the renewal expands to 150,000; editing the handoff's risks moves nothing, while
    an edit of its ARR does."""
    hid = save(sessions, form())
    with sessions.begin() as db:
        c = db.exec(select(Customer).where(Customer.team_id == TEAM)).one()
        cid = c.id
        ro.record_outcome(
            db, c, date(2027, 12, 1), "changed", arr_after=Decimal("150000"), source="slack", by="U", now=NOW
        )
    save(sessions, form(risks="Champion is moving teams."), handoff_id=hid)
    with sessions.begin() as db:
        assert ledger.balances(db, TEAM, [cid])[cid].amount == Decimal("150000")
        assert db.get(Customer, cid).arr == Decimal("150000")
    save(sessions, form(arr="$140,000"), handoff_id=hid)
    assert moves(sessions, cid)[-1][:2] == ("contraction", Decimal("10000.00"))


def test_record_outcome_once_history_and_terms(sessions):
    """Recorded once per customer and date; an older outcome added later is history (no movement, no date
    change); renewed moves the date by 12 months when no handoff says a term; the 31st stays in its month."""
    cid = seed(sessions, renewal_date=date(2027, 1, 31))
    with sessions.begin() as db:
        c = db.get(Customer, cid)
        first = ro.record_outcome(db, c, date(2027, 1, 31), "renewed", source="csv", by="file", now=NOW)
        again = ro.record_outcome(db, c, date(2027, 1, 31), "churned", source="api", by="api:1", now=NOW)
        old = ro.record_outcome(
            db, c, date(2026, 1, 31), "expanded", arr_after=Decimal("999"), source="csv", by="f", now=NOW
        )
        assert (first.status, first.next_renewal, first.moved) == ("ok", date(2028, 1, 31), ())
        assert (again.status, again.outcome, again.by) == ("already", "renewed", "file")
        assert (old.status, old.history_only, old.moved) == ("ok", True, ())
        assert c.renewal_date == date(2028, 1, 31) and c.arr == Decimal("120000")
        assert len(db.exec(select(RenewalOutcome)).all()) == 2
    assert ro.add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)


@pytest.mark.parametrize(("stage", "kinds"), [("churned", ["new", "churn"]), ("adoption", ["new"])])
def test_set_stage_churns_through_the_ledger(sessions, stage, kinds):
    """A stage change to churned is a churn movement to zero; any other stage moves nothing; twice is once."""
    cid = seed(sessions, stage="renewal")
    for _ in range(2):
        with sessions.begin() as db:
            c = db.get(Customer, cid)
            ledger.set_stage(db, c, stage, NOW.date(), source="stage", ref=f"stage:{cid}", by="U", now=NOW)
    assert [m[0] for m in moves(sessions, cid)] == kinds
    with sessions.begin() as db:
        assert db.get(Customer, cid).stage == stage
