"""Where a customer's record is in its CRM: the card's Open in CRM link, from the CRM and id Baton keeps."""

from urllib.parse import quote

HUBSPOT_RECORD = "https://app.hubspot.com/contacts/{portal}/record/0-2/{id}"  # 0-2: companies


def record_url(
    source: str | None, record_id: str | None, *, hubspot_portal: str | None, template: str | None
) -> str | None:
    """The record page of `record_id` in CRM `source`: HubSpot companies by the portal (Hub) id, any other CRM by
    the configured template (`{id}`, `{source}`); None when Baton cannot say where it is."""
    if not record_id:
        return None
    safe = quote(record_id, safe="")
    if source == "hubspot" and hubspot_portal:
        return HUBSPOT_RECORD.format(portal=quote(hubspot_portal, safe=""), id=safe)
    if template:
        return template.replace("{id}", safe).replace("{source}", quote(source or "", safe=""))
    return None
