"""parse_crm_ref: what the handoff form's "CRM id or link" may hold, and the id Baton keeps from it."""

import pytest

from bot.i18n import CATALOGS
from bot.services.handoff import CRM_ID_MAX, CrmRef, parse_crm_ref


@pytest.mark.parametrize(
    "text,expected",
    [
        ("", None),
        ("  n/a ", None),
        ("해당 없음", None),
        ("18234567890", CrmRef(None, "company", "18234567890")),
        ("0015g00000XyZaBAAV", CrmRef(None, "company", "0015g00000XyZaBAAV")),
        ("acme-corp_01:eu", CrmRef(None, "company", "acme-corp_01:eu")),
        ("x" * CRM_ID_MAX, CrmRef(None, "company", "x" * CRM_ID_MAX)),
        ("https://app.hubspot.com/contacts/123/record/0-2/456", CrmRef("hubspot", "company", "456")),
        ("HTTPS://APP.HUBSPOT.COM/contacts/123/record/0-3/789/view/1", CrmRef("hubspot", "deal", "789")),
        ("https://app-na2.hubspot.com/contacts/123/company/456?tab=about", CrmRef("hubspot", "company", "456")),
        ("https://app.hubspot.com/contacts/123/deal/789#notes", CrmRef("hubspot", "deal", "789")),
        (
            "https://acme.lightning.force.com/lightning/r/Account/001Dn00000ABCDeIAK/view",
            CrmRef("salesforce", "company", "001Dn00000ABCDeIAK"),
        ),
        ("https://acme.my.salesforce.com/006Dn000004ABCD", CrmRef("salesforce", "deal", "006Dn000004ABCD")),
    ],
)
def test_ids_and_record_links(text, expected):
    """Bare ids are kept as typed; HubSpot and Salesforce company/deal links give their CRM, kind and id."""
    assert parse_crm_ref(text) == expected


@pytest.mark.parametrize(
    "text,code",
    [
        ("see notes", "crm_bad_id"),
        ("x" * (CRM_ID_MAX + 1), "crm_bad_id"),
        ("<!channel>", "crm_bad_id"),
        ("-leading-dash", "crm_bad_id"),
        ("https://app.hubspot.com/contacts/123/record/0-1/55", "crm_bad_link"),  # a contact
        ("https://app.hubspot.com/contacts/123/objects/0-2/views/all/list", "crm_bad_link"),  # a list
        ("https://evil.example/app.hubspot.com/contacts/1/company/2", "crm_bad_link"),
        ("https://acme.lightning.force.com/lightning/r/Contact/003Dn00000ABCDeIAK/view", "crm_bad_link"),
    ],
)
def test_anything_else_is_refused_with_a_code_the_catalog_explains(text, code):
    """Junk, over-long ids and links that are not a company or deal record are refused, in both languages."""
    with pytest.raises(ValueError, match=code):
        parse_crm_ref(text)
    assert all(f"err.{code}" in catalog for catalog in CATALOGS.values())
