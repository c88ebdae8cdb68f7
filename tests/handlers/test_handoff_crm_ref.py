"""The handoff form's optional "CRM id or link": ids and record links are stored as ids, and what cannot be
stored (junk, an id another customer has, an unknown link) is refused next to the field, on both databases."""

import pytest

from bot.models import Customer, Handoff
from tests.flows import ack_body, open_handoff, submit_handoff

HUBSPOT_COMPANY = "https://app.hubspot.com/contacts/21455932/record/0-2/18234567890?utm_source=baton&view=overview"
HUBSPOT_DEAL = "https://app-eu1.hubspot.com/contacts/21455932/deal/9876543210/"
SALESFORCE_ACCOUNT = "https://acme-corp.lightning.force.com/lightning/r/Account/001Dn00000ABCDeIAK/view"


def submit(baton, slack, name: str, crm_ref: str | None, view_id: str):
    return submit_handoff(baton, open_handoff(baton, slack, name), view_id=view_id, customer_name=name, crm_ref=crm_ref)


def customer(baton, name: str) -> Customer:
    return next(c for c in baton.all(Customer) if c.name == name)


@pytest.mark.parametrize("none", ["n/a", "N/A", "none", "-", "없음"])
def test_a_none_answer_for_two_customers_saves_both_without_a_crm_id(baton, slack, none):
    """`n/a` typed for two customers is "no CRM id": both handoffs are saved (it crashed the second one)."""
    assert ack_body(submit(baton, slack, "ACME Corp.", none, "V1")) == {}
    assert ack_body(submit(baton, slack, "Globex", none, "V2")) == {}
    assert {c.name: c.crm_company_id for c in baton.all(Customer)} == {"ACME Corp.": None, "Globex": None}
    assert [h.crm_company_id for h in baton.all(Handoff)] == [None, None]


def test_an_id_another_customer_has_is_refused_next_to_the_field(baton, slack):
    """Another customer's CRM id is refused inline, naming that customer; nothing is saved and a fix goes through."""
    assert ack_body(submit(baton, slack, "ACME Corp.", "4711", "V1")) == {}
    body = ack_body(submit(baton, slack, "Globex", "4711", "V2"))
    assert body["response_action"] == "errors" and list(body["errors"]) == ["crm_ref"]
    assert "ACME Corp." in body["errors"]["crm_ref"] and "4711" in body["errors"]["crm_ref"]
    assert [h.customer_name for h in baton.all(Handoff)] == ["ACME Corp."]
    assert ack_body(submit(baton, slack, "Globex", "4712", "V3")) == {}
    assert customer(baton, "Globex").crm_company_id == "4712"


def test_the_same_customer_may_give_its_own_id_again(baton, slack):
    """A second handoff for the same customer with the customer's own CRM id is fine."""
    assert ack_body(submit(baton, slack, "ACME Corp.", "4711", "V1")) == {}
    assert ack_body(submit(baton, slack, "ACME Corp.", "4711", "V2")) == {}
    assert len(baton.all(Handoff)) == 2


@pytest.mark.parametrize(
    "link,source,company,deal",
    [
        (HUBSPOT_COMPANY, "hubspot", "18234567890", None),
        ("https://app.hubspot.com/contacts/21455932/company/18234567890", "hubspot", "18234567890", None),
        (HUBSPOT_DEAL, "hubspot", None, "9876543210"),
        (SALESFORCE_ACCOUNT, "salesforce", "001Dn00000ABCDeIAK", None),
        (
            "https://acme-corp.lightning.force.com/lightning/r/Opportunity/006Dn000004ABCDEFG/view",
            "salesforce",
            None,
            "006Dn000004ABCDEFG",
        ),
    ],
)
def test_a_record_link_longer_than_the_column_stores_its_id(baton, slack, link, source, company, deal):
    """A HubSpot or Salesforce record link longer than the id columns is stored as its CRM and record id."""
    assert ack_body(submit(baton, slack, "ACME Corp.", link, "V1")) == {}
    [h] = baton.all(Handoff)
    c = customer(baton, "ACME Corp.")
    assert (h.crm_company_id, h.crm_deal_id) == (company, deal)
    if company:
        assert (c.crm_source, c.crm_company_id) == (source, company)
    else:
        assert h.crm_source == source and c.crm_company_id is None


def test_a_deal_another_handoff_has_is_refused_next_to_the_field(baton, slack):
    """A deal link that already belongs to another customer's handoff is refused inline, naming it."""
    assert ack_body(submit(baton, slack, "ACME Corp.", HUBSPOT_DEAL, "V1")) == {}
    body = ack_body(submit(baton, slack, "Globex", HUBSPOT_DEAL, "V2"))
    assert list(body["errors"]) == ["crm_ref"] and "ACME Corp." in body["errors"]["crm_ref"]


@pytest.mark.parametrize(
    "junk,says",
    [
        ("see the deal notes", "id"),
        ("https://example.com/crm/companies/" + "x" * 60, "link"),
        ("https://app.hubspot.com/contacts/21455932/record/0-1/55", "link"),  # a contact, not a company
        ("9" * 65, "id"),
    ],
)
def test_what_is_not_an_id_or_a_record_link_is_refused_next_to_the_field(baton, slack, junk, says):
    """Text that is neither an id nor a HubSpot/Salesforce record link is refused inline with how to fix it."""
    body = ack_body(submit(baton, slack, "ACME Corp.", junk, "V1"))
    assert list(body["errors"]) == ["crm_ref"] and says in body["errors"]["crm_ref"]
    assert baton.all(Handoff) == []
