"""HubSpot CRM v3 client (sync httpx): read a deal with its primary company and owner; search won deals.

Blocking and retrying with sleeps, so use it from background jobs, never from a Slack listener.
Retries 429/5xx/transport errors with exponential backoff honouring ``Retry-After``; other 4xx
fail at once. The access token is sent only in the Authorization header and is never logged.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from bot import inputs
from bot.crm.http import CrmApiError, JsonApi

log = logging.getLogger(__name__)

HUBSPOT_API_BASE = "https://api.hubapi.com"
DEAL_PROPERTIES = (
    "dealname",
    "amount",
    "dealstage",
    "closedate",
    "hubspot_owner_id",
    "deal_currency_code",
    "pipeline",
)
COMPANY_PROPERTIES = ("name", "domain")
SEARCH_PAGE = 200
SEARCH_MAX_PAGES = 50
_ID_RE = re.compile(r"[0-9]{1,30}")


class HubSpotError(CrmApiError):
    """A HubSpot call failed. ``retryable`` says whether trying again later may succeed.

    ``retry_after`` is set when HubSpot asked to wait longer than this client blocks for.
    """


@dataclass(frozen=True)
class DealInfo:
    deal_id: str
    name: str | None
    amount: Decimal | None
    currency: str | None
    close_date: date | None
    stage: str | None
    company_id: str | None
    company_name: str | None
    company_domain: str | None
    owner_id: str | None
    owner_email: str | None
    owner_name: str | None


def _text(value: Any) -> str | None:
    """A HubSpot property as text: control characters removed (bot/inputs.py), trimmed, None when empty.

    Data Baton reads from HubSpot is cleaned rather than refused: HubSpot cannot be asked to send it again."""
    if value is None:
        return None
    text = inputs.strip_controls(str(value)).strip()
    return text or None


def parse_hubspot_amount(value: Any) -> Decimal | None:
    """HubSpot number property ("120000", "1500.50") -> Decimal; empty or invalid -> None."""
    if (text := _text(value)) is None:
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        log.warning("HubSpot amount %r is not a number; ignored", text[:40])
        return None
    return amount if amount.is_finite() else None


def parse_hubspot_date(value: Any) -> date | None:
    """HubSpot date/datetime property ("2026-11-20T09:31:00.000Z", "2026-11-20", epoch ms) -> UTC date."""
    if (text := _text(value)) is None:
        return None
    try:
        if text.isdigit():
            return datetime.fromtimestamp(int(text) / 1000, tz=UTC).date()
        if len(text) == 10:
            return date.fromisoformat(text)
        moment = datetime.fromisoformat(text)
        return (moment.astimezone(UTC) if moment.tzinfo else moment).date()
    except (ValueError, OverflowError, OSError):
        log.warning("HubSpot date %r is not a date; ignored", text[:40])
        return None


def _check_id(value: str | int, kind: str) -> str:
    text = str(value).strip()
    if not _ID_RE.fullmatch(text):
        raise ValueError(f"HubSpot {kind} id must be numeric, got {text[:40]!r}")
    return text


def _primary_company_id(deal: Mapping[str, Any]) -> str | None:
    """The deal's primary company ("deal_to_company"), else the first associated one."""
    results = ((deal.get("associations") or {}).get("companies") or {}).get("results") or []
    refs = [(r.get("type"), _text(r.get("id"))) for r in results if isinstance(r, dict) and _text(r.get("id"))]
    primary = [cid for kind, cid in refs if kind == "deal_to_company"]
    return (primary or [cid for _, cid in refs] or [None])[0]


class HubSpotClient(JsonApi):
    """``HubSpotClient(HUBSPOT_API_BASE, token)``; use as a context manager or call ``close()``. The requests,
    retries and errors are bot/crm/http.py's JsonApi, with HubSpot's error bodies and HubSpotError."""

    NAME = "HubSpot"
    ERROR = HubSpotError

    def __init__(
        self,
        base_url: str,
        access_token: str,
        *,
        timeout: float = 10.0,
        max_retries: int = 4,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not access_token:
            raise ValueError("HubSpot access token is not configured")
        super().__init__(
            base_url,
            headers={"Authorization": f"Bearer {access_token}"},
            secrets=[access_token],
            timeout=timeout,
            max_retries=max_retries,
            sleep=sleep,
            transport=transport,
        )

    # --- endpoints -----------------------------------------------------------------------------

    def get_deal(self, deal_id: str | int) -> dict:
        return self._get(
            f"/crm/v3/objects/deals/{_check_id(deal_id, 'deal')}",
            {"properties": ",".join(DEAL_PROPERTIES), "associations": "companies"},
        )

    def get_company(self, company_id: str | int) -> dict:
        return self._get(
            f"/crm/v3/objects/companies/{_check_id(company_id, 'company')}",
            {"properties": ",".join(COMPANY_PROPERTIES)},
        )

    def get_owner(self, owner_id: str | int) -> dict:
        return self._get(f"/crm/v3/owners/{_check_id(owner_id, 'owner')}")

    def fetch_deal_info(self, deal_id: str | int) -> DealInfo:
        """Deal + primary company + owner. A missing company or owner gives None fields."""
        deal = self.get_deal(deal_id)
        props = deal.get("properties") or {}
        company_id = _primary_company_id(deal)
        company = self._get_optional(self.get_company, company_id).get("properties") or {}
        owner_id = _text(props.get("hubspot_owner_id"))
        owner = self._get_optional(self.get_owner, owner_id)
        owner_name = " ".join(filter(None, (_text(owner.get("firstName")), _text(owner.get("lastName")))))
        return DealInfo(
            deal_id=_text(deal.get("id")) or str(deal_id),
            name=_text(props.get("dealname")),
            amount=parse_hubspot_amount(props.get("amount")),
            currency=_text(props.get("deal_currency_code")),
            close_date=parse_hubspot_date(props.get("closedate")),
            stage=_text(props.get("dealstage")),
            company_id=company_id,
            company_name=_text(company.get("name")),
            company_domain=_text(company.get("domain")),
            owner_id=owner_id,
            owner_email=_text(owner.get("email")),
            owner_name=owner_name or None,
        )

    def closed_won_since(self, stages: Iterable[str], since: datetime) -> list[str]:
        """Ids of deals in one of `stages` whose close date is at or after `since` (CRM search API, paged)."""
        body: dict[str, Any] = {
            "filterGroups": [
                {
                    "filters": [
                        {"propertyName": "dealstage", "operator": "IN", "values": sorted(stages)},
                        {"propertyName": "closedate", "operator": "GTE", "value": str(int(since.timestamp() * 1000))},
                    ]
                }
            ],
            "properties": ["dealstage", "closedate"],
            "sorts": [{"propertyName": "closedate", "direction": "ASCENDING"}],
            "limit": SEARCH_PAGE,
        }
        ids: list[str] = []
        for _ in range(SEARCH_MAX_PAGES):  # the search API stops at 10,000 results
            data = self._request("POST", "/crm/v3/objects/deals/search", json=body)
            ids += [str(r["id"]) for r in data.get("results") or [] if isinstance(r, dict) and _text(r.get("id"))]
            after = ((data.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                break
            body["after"] = str(after)
        return ids

    # --- plumbing ------------------------------------------------------------------------------

    def _get_optional(self, getter: Callable[[str], dict], object_id: str | None) -> dict:
        if object_id is None or not _ID_RE.fullmatch(object_id):
            return {}
        try:
            return getter(object_id)
        except HubSpotError as exc:
            if exc.status != 404:
                raise
            log.info("HubSpot object %s not found; leaving its fields empty", object_id)
            return {}

    def _detail(self, data: Any, response: httpx.Response) -> str:
        if isinstance(data, dict):  # {status, message, correlationId, category}
            detail = f"{data.get('category') or 'error'}: {data.get('message') or ''}"
            if data.get("correlationId"):
                detail += f" (correlationId {data['correlationId']})"
            return detail
        return " ".join(response.text.split())[:200]

    def _get(self, path: str, params: Mapping[str, str] | None = None) -> dict:
        return self._request("GET", path, params=params)

    def _request(self, method: str, path: str, *, params: Mapping[str, str] | None = None, json: Any = None) -> dict:
        data = self.request(method, path, params=params, json=json)
        if not isinstance(data, dict):
            raise HubSpotError(200, f"HubSpot {method} {path} returned a non-object body")
        return data
