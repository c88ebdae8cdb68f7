"""Pipedrive: webhooks v2 (`meta` + `data` + `previous`) and the API that reads a deal, its organization and
owner (`/api/v2/deals`, `/api/v2/organizations`, `/api/v1/users`) and lists the deals won lately.

A webhook is a win when `meta.entity` is `deal`, `data.status` is `won`, and either `meta.action` is `create` or
it is `change` with `previous.status` set to something else (v2's `previous` holds only the changed fields, so
another edit of a deal already won carries no status there and is not a second win).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot import inputs
from bot.crm import http
from bot.crm.events import PayloadError, load_json
from bot.crm.http import CrmApiError, WonDeal

MAX_ID = 64


@dataclass(frozen=True)
class PipedriveEvent:
    event_id: str
    action: str
    entity: str
    deal_id: str | None
    won: bool  # this event is the deal becoming won
    raw: dict = field(repr=False, compare=False)


def _id(value: Any, where: str, *, required: bool = True) -> str | None:
    if value is None and not required:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    if isinstance(value, str) and value.strip() and len(value.strip()) <= MAX_ID:
        if (char := inputs.find_control(value)) is not None:
            raise PayloadError(f"{where}: contains a control character ({inputs.describe(char)})")
        return value.strip()
    raise PayloadError(f"{where} must be an id (an integer or a string of 1 to {MAX_ID} characters)")


def _word(container: dict, key: str, where: str) -> str:
    value = container.get(key)
    if not isinstance(value, str) or not value.strip() or len(value) > 64:
        raise PayloadError(f"{where}.{key} is required")
    if (char := inputs.find_control(value)) is not None:
        raise PayloadError(f"{where}.{key}: contains a control character ({inputs.describe(char)})")
    return value.strip()


def parse_webhook(body: bytes) -> PipedriveEvent:
    """Parse one Pipedrive webhook v2 delivery; v1 bodies are refused with what to change."""
    data = load_json(body)
    if not isinstance(data, dict):
        raise PayloadError("body must be a JSON object")
    meta = data.get("meta")
    if not isinstance(meta, dict):
        raise PayloadError("meta is required")
    version = str(meta.get("version") or meta.get("v") or "")
    if "current" in data or version.startswith("1"):
        raise PayloadError("webhooks v1 are not supported: create the webhook with version 2.0")
    event_id = _id(meta.get("id"), "meta.id")
    action, entity = _word(meta, "action", "meta"), _word(meta, "entity", "meta")
    current, previous = data.get("data"), data.get("previous")
    if current is not None and not isinstance(current, dict):
        raise PayloadError("data must be an object or null")
    if previous is not None and not isinstance(previous, dict):
        raise PayloadError("previous must be an object or null")
    if entity != "deal":
        return PipedriveEvent(event_id, action, entity, None, False, data)  # type: ignore[arg-type]
    deal_id = _id((current or {}).get("id", meta.get("entity_id")), "data.id", required=action != "delete")
    status = (current or {}).get("status")
    if status is not None and not isinstance(status, str):
        raise PayloadError("data.status must be a string")
    before = (previous or {}).get("status")
    won = status == "won" and (action == "create" or (action == "change" and before is not None and before != "won"))
    return PipedriveEvent(event_id, action, entity, deal_id, won, data)  # type: ignore[arg-type]


def deal_from_api(deal: dict, organization: dict | None, owner: dict | None) -> WonDeal:
    """A deal from `/api/v2/deals/{id}` with its organization and owner (either may be missing)."""
    deal_id = str(deal["id"])
    title = http.text(deal.get("title"))
    org_id = deal.get("org_id")
    org_id = org_id.get("value") if isinstance(org_id, dict) else org_id  # v1 nests it
    return WonDeal(
        source="pipedrive",
        deal_id=deal_id,
        company=http.text((organization or {}).get("name")) or title or f"Pipedrive deal {deal_id}",
        won=deal.get("status") == "won",
        deal_name=title,
        company_id=http.text(org_id, 64),
        amount=http.amount(deal.get("value")),
        currency=http.text(deal.get("currency"), 3),
        close_date=http.day(deal.get("won_time") or deal.get("close_time")),
        owner_email=http.text((owner or {}).get("email"), 254),
    )


def _positive_id(value: Any) -> str | None:
    text = http.text(value.get("value") if isinstance(value, dict) else value, 32)
    return text if text and text.isdigit() else None


class PipedriveClient(http.JsonApi):
    """Pipedrive's API at the company's URL with an API token (sent in the `x-api-token` header, never the URL)."""

    NAME = "Pipedrive"

    def __init__(self, base_url: str, api_token: str, **kwargs: Any):
        if not (base_url and api_token):
            raise ValueError("Pipedrive API credentials are not configured")
        super().__init__(base_url, headers={"x-api-token": api_token}, secrets=(api_token,), **kwargs)

    def _get_data(self, path: str, params: dict | None = None) -> tuple[Any, dict]:
        answer = self.request("GET", path, params=params)
        if not isinstance(answer, dict) or answer.get("success") is False:
            raise CrmApiError(None, f"Pipedrive GET {path} answered without success")
        return answer.get("data"), answer.get("additional_data") or {}

    def _optional(self, path: str) -> dict | None:
        try:
            data, _ = self._get_data(path)
        except CrmApiError as exc:
            if exc.status in (403, 404, 410):
                return None
            raise
        return data if isinstance(data, dict) else None

    def deal(self, deal_id: str) -> WonDeal | None:
        """The deal with its organization's name and its owner's email; None when it is gone."""
        if not deal_id.isdigit():
            raise ValueError("a Pipedrive deal id is numeric")
        deal = self._optional(f"/api/v2/deals/{deal_id}")
        if deal is None or deal.get("id") is None:
            return None
        org_id, owner_id = _positive_id(deal.get("org_id")), _positive_id(deal.get("owner_id") or deal.get("user_id"))
        organization = self._optional(f"/api/v2/organizations/{org_id}") if org_id else None
        owner = self._optional(f"/api/v1/users/{owner_id}") if owner_id else None
        return deal_from_api(deal, organization, owner)

    def won_since(self, since: datetime) -> list[str]:
        """Ids of deals won at or after `since` (listed by `status=won` and `updated_since`: winning updates a
        deal, so every deal won since then was updated since then), following the cursor."""
        params: dict[str, Any] = {
            "status": "won",
            "updated_since": since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "limit": 500,
        }
        ids: list[str] = []
        for _ in range(200):
            data, extra = self._get_data("/api/v2/deals", params)
            for deal in data or []:
                if not isinstance(deal, dict) or deal.get("status") != "won" or deal.get("id") is None:
                    continue
                won_at = http.day(deal.get("won_time"))
                if won_at is None or won_at >= since.astimezone(UTC).date():
                    ids.append(str(deal["id"]))
            cursor = extra.get("next_cursor")
            if not cursor:
                break
            params["cursor"] = cursor
        return ids
