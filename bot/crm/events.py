"""Parse and validate CRM webhook bodies (HubSpot event batches and Baton's generic deal body).

Every rejection raises :class:`PayloadError` whose ``reason`` names the offending field; the HTTP
layer answers 400 with it (HubSpot does not retry 4xx, so only truly malformed bodies end here).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

from bot import inputs

MAX_HUBSPOT_EVENTS = 1000

DEAL_CREATION = "deal.creation"
DEAL_PROPERTY_CHANGE = "deal.propertyChange"


class PayloadError(ValueError):
    """The webhook body is malformed; ``reason`` says which field and why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def load_json(body: bytes) -> Any:
    """The JSON body, or PayloadError: not UTF-8, nested more than 64 levels, or not JSON."""
    try:
        return inputs.loads(body)
    except inputs.BadJson as exc:  # not UTF-8, nested too deeply, or not JSON at all
        detail = "" if exc.code == "malformed" else f": {exc.reason}"
        raise PayloadError(f"body is not valid JSON{detail}") from None


def _controls(item: dict, keys: Iterable[str], where: str) -> list[str]:
    """Problems for each of `keys` whose text holds a control character (bot/inputs.py: refused, not stored)."""
    return [
        f"{where}{key}: contains a control character ({inputs.describe(char)})"
        for key in keys
        if isinstance(value := item.get(key), str) and (char := inputs.find_control(value)) is not None
    ]


# --- HubSpot ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class HubSpotEvent:
    event_id: str
    subscription_type: str
    object_id: str
    portal_id: str | None
    property_name: str | None
    property_value: str | None
    occurred_at_ms: int | None
    attempt_number: int | None
    raw: dict = field(repr=False, compare=False)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _opt_id(event: dict, key: str, where: str) -> str | None:
    value = event.get(key)
    if value is None or _is_int(value):
        return None if value is None else str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise PayloadError(f"{where}.{key} must be an integer or non-empty string id")


def _req_id(event: dict, key: str, where: str) -> str:
    if (value := _opt_id(event, key, where)) is None:
        raise PayloadError(f"{where}.{key} is required")
    return value


def _opt_int(event: dict, key: str, where: str) -> int | None:
    value = event.get(key)
    if value is None or (_is_int(value) and value >= 0):
        return value
    raise PayloadError(f"{where}.{key} must be a non-negative integer")


def _opt_str(event: dict, key: str, where: str) -> str | None:
    value = event.get(key)
    if value is None or isinstance(value, str):
        return value
    if _is_int(value) or isinstance(value, float):
        return str(value)
    raise PayloadError(f"{where}.{key} must be a string")


_HUBSPOT_FIELDS = ("eventId", "subscriptionType", "objectId", "portalId", "propertyName", "propertyValue")


def parse_hubspot_events(body: bytes) -> list[HubSpotEvent]:
    """Parse a HubSpot webhook delivery: a JSON array of up to 1,000 events (may be empty)."""
    data = load_json(body)
    if not isinstance(data, list):
        raise PayloadError("body must be a JSON array of events")
    if len(data) > MAX_HUBSPOT_EVENTS:
        raise PayloadError(f"too many events: {len(data)} > {MAX_HUBSPOT_EVENTS}")
    events = []
    for i, item in enumerate(data):
        where = f"event[{i}]"
        if not isinstance(item, dict):
            raise PayloadError(f"{where} must be an object")
        if problems := _controls(item, _HUBSPOT_FIELDS, f"{where}."):
            raise PayloadError("; ".join(problems))
        subscription_type = item.get("subscriptionType")
        if not isinstance(subscription_type, str) or not subscription_type.strip():
            raise PayloadError(f"{where}.subscriptionType is required")
        events.append(
            HubSpotEvent(
                event_id=_req_id(item, "eventId", where),
                subscription_type=subscription_type.strip(),
                object_id=_req_id(item, "objectId", where),
                portal_id=_opt_id(item, "portalId", where),
                property_name=_opt_str(item, "propertyName", where),
                property_value=_opt_str(item, "propertyValue", where),
                occurred_at_ms=_opt_int(item, "occurredAt", where),
                attempt_number=_opt_int(item, "attemptNumber", where),
                raw=item,
            )
        )
    return events


def is_closed_won(event: HubSpotEvent, closed_won_stages: set[str]) -> bool | None:
    """True/False when the event itself tells; None for ``deal.creation`` (read the deal's stage).

    ``closed_won_stages`` holds internal stage ids ("closedwon" is only the default pipeline's).
    """
    if event.subscription_type == DEAL_PROPERTY_CHANGE and event.property_name == "dealstage":
        return event.property_value in closed_won_stages
    if event.subscription_type == DEAL_CREATION:
        return None
    return False


# --- Generic deal webhook -----------------------------------------------------------------------


@dataclass(frozen=True)
class GenericDeal:
    deal_id: str
    company: str
    amount: Decimal | None
    currency: str | None
    close_date: date | None
    owner_email: str | None
    deal_name: str | None
    company_domain: str | None
    event_id: str | None
    source: str
    company_id: str | None = None


_EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_DOMAIN_RE = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}")
_DATE_RE = re.compile(r"(\d{4}-\d{2}-\d{2})(?:T[0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)?")


def _id_text(value: Any) -> Any:
    return str(value) if _is_int(value) else value  # CRMs often send numeric ids


def _close_date(value: Any) -> Any:
    if isinstance(value, str) and (m := _DATE_RE.fullmatch(value.strip())):
        return m.group(1)  # "2026-11-20", or an ISO datetime reduced to its date
    raise ValueError("must be an ISO date like 2026-11-20")


def _email(value: str) -> str:
    if len(value) > 254 or not _EMAIL_RE.fullmatch(value):
        raise ValueError("must be an email address")
    return value


def _domain(value: str) -> str:
    host = re.sub(r"^[a-z]+://", "", value.lower()).split("/", 1)[0].removeprefix("www.")
    if len(host) > 253 or not _DOMAIN_RE.fullmatch(host):
        raise ValueError("must be a domain like example.com")
    return host


def domain_or_none(value: str | None) -> str | None:
    """The domain of a website or URL as the generic body takes it, None when there is none or it is not one."""
    try:
        return _domain(value) if value else None
    except ValueError:
        return None


def _currency(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z]{3}", value):
        raise ValueError("must be a 3-letter ISO 4217 code like USD")
    return value.upper()


def _source(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", value):
        raise ValueError("must be a CRM name like salesforce (letters, digits, _ . -)")
    return value.lower()


def _str(max_length: int, *, min_length: int = 0) -> StringConstraints:
    return StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length)


# Sizes match the columns they are stored in (handoffs.crm_deal_id 64, crm_source 32, arr NUMERIC(18,2)).
_Id = Annotated[str, _str(64, min_length=1), BeforeValidator(_id_text)]


class _GenericDealBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    deal_id: _Id
    company: Annotated[str, _str(255, min_length=1)]
    amount: Decimal | None = Field(default=None, ge=0, max_digits=18, decimal_places=2, allow_inf_nan=False)
    currency: Annotated[str, _str(3), AfterValidator(_currency)] | None = None
    close_date: Annotated[date, BeforeValidator(_close_date)] | None = None
    owner_email: Annotated[str, _str(254), AfterValidator(_email)] | None = None
    deal_name: Annotated[str, _str(255)] | None = None
    company_domain: Annotated[str, _str(300), AfterValidator(_domain)] | None = None
    event_id: _Id | None = None
    company_id: _Id | None = None
    source: Annotated[str, _str(32), AfterValidator(_source)] = "webhook"


_OPTIONAL = frozenset(_GenericDealBody.model_fields) - {"deal_id", "company"}


def _describe(err: dict) -> str:
    name = ".".join(str(p) for p in err["loc"]) or "body"
    if err["type"] == "missing":
        return f"{name} is required"
    msg = str(err.get("ctx", {}).get("error") or err["msg"]) if err["type"] == "value_error" else err["msg"]
    return f"{name}: {msg[:1].lower() + msg[1:]}"


def parse_generic_deal(body: bytes, *, source: str | None = None) -> GenericDeal:
    """Parse Baton's documented generic deal-won JSON object (unknown fields ignored).

    `source` is the one the request's credential is bound to: the body may leave `source` out or repeat it."""
    data = load_json(body)
    if not isinstance(data, dict):
        raise PayloadError("body must be a JSON object")
    # Integration tools send "" or null for unmapped optional fields: treat both as absent.
    data = {k: v for k, v in data.items() if not (k in _OPTIONAL and (v is None or v == ""))}
    if problems := _controls(data, _GenericDealBody.model_fields, ""):
        raise PayloadError("; ".join(problems))
    try:
        m = _GenericDealBody.model_validate(data)
    except ValidationError as exc:
        raise PayloadError("; ".join(_describe(e) for e in exc.errors())) from exc
    if source is not None:
        if "source" in data and m.source != source:
            raise PayloadError(f"source: must be {source} (or left out) with this credential, got {m.source!r}")
        m.source = source
    return GenericDeal(**m.model_dump())
