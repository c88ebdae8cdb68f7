"""A fake HubSpot CRM v3 API (deals, companies, owners) served over real HTTP, for end-to-end tests.

Shapes follow /work/shared/fixtures/crm/README.md (``SimplePublicObjectWithAssociations`` and HubSpot's
error model). Like HubSpot, every property value is a string and, without ``?properties=``, a deal only
carries HubSpot's default properties (no ``hubspot_owner_id`` / ``deal_currency_code``).
"""

from __future__ import annotations

import copy
import json
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from tests.fakes.slack_api import Call, FakeHTTPServer, _Failure

_DEAL_DEFAULTS = (
    "amount",
    "closedate",
    "createdate",
    "dealname",
    "dealstage",
    "hs_lastmodifieddate",
    "hs_object_id",
    "pipeline",
)
_COMPANY_DEFAULTS = ("createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name")
_OBJECT = re.compile(r"^/crm/v3/objects/(deals|companies)/([^/]+)$")
_OWNER = re.compile(r"^/crm/v3/owners/([^/]+)$")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _error(status: int, message: str, category: str, **extra: Any) -> tuple[int, dict, dict]:
    body = {"status": "error", "message": message, "correlationId": str(uuid.uuid4()), "category": category}
    return status, {}, {**body, **extra}


def _multi(query: dict[str, list[str]], name: str) -> list[str]:
    return [p for v in query.get(name, []) for p in v.split(",") if p]


class FakeHubSpot(FakeHTTPServer):
    """In-memory HubSpot CRM API; ``calls_to`` / ``wait_for`` / ``fail_next`` match on path prefixes."""

    def __init__(self, token: str = "pat-test") -> None:
        """Configure the only access token accepted (``Authorization: Bearer <token>``)."""
        super().__init__()
        self.token = token
        self._deals: dict[str, dict] = {}
        self._companies: dict[str, dict] = {}
        self._owners: dict[str, dict] = {}

    @property
    def url(self) -> str:
        """API base URL ``http://127.0.0.1:PORT`` (no trailing slash)."""
        return f"http://127.0.0.1:{self.port}"

    def _matches(self, key: str, call: Call) -> bool:
        return call.path.startswith(key)

    def fail_next(self, path_prefix: str, status: int = 429, times: int = 1, retry_after: int = 1) -> None:
        """Answer the next ``times`` requests under ``path_prefix`` with HTTP 429 (+Retry-After) or 5xx."""
        self._queue_failure(path_prefix, _Failure(status, retry_after), times)

    def add_deal(
        self,
        deal_id: str,
        name: str,
        amount: Any,
        stage: str = "closedwon",
        close_date: str = "2026-11-20",
        owner_id: str | None = None,
        company_id: str | None = None,
        currency: str | None = None,
        **properties: Any,
    ) -> None:
        """Create/replace a deal (bare date -> ``YYYY-MM-DDT00:00:00Z``; ``**properties`` = extra props)."""
        now = _now()
        props = {
            "dealname": name,
            "amount": None if amount is None else str(amount),
            "dealstage": stage,
            "closedate": f"{close_date}T00:00:00Z" if close_date and len(close_date) == 10 else close_date,
            "hubspot_owner_id": owner_id and str(owner_id),
            "deal_currency_code": currency,
            "pipeline": "default",
            "createdate": now,
            "hs_lastmodifieddate": now,
            "hs_object_id": str(deal_id),
            **{k: None if v is None else str(v) for k, v in properties.items()},
        }
        with self._lock:
            self._deals[str(deal_id)] = {"props": props, "created": now, "company_id": company_id}

    def add_company(self, company_id: str, name: str, domain: str | None = None) -> None:
        """Create/replace a company."""
        now = _now()
        props = {
            "name": name,
            "domain": domain,
            "createdate": now,
            "hs_lastmodifieddate": now,
            "hs_object_id": str(company_id),
        }
        with self._lock:
            self._companies[str(company_id)] = {"props": props, "created": now}

    def add_owner(self, owner_id: str, email: str, first_name: str, last_name: str, user_id: int | None = None) -> None:
        """Create/replace an owner (``userId`` defaults to the numeric owner id)."""
        now = _now()
        owner = {
            "id": str(owner_id),
            "email": email,
            "firstName": first_name,
            "lastName": last_name,
            "userId": user_id if user_id is not None else (int(owner_id) if str(owner_id).isdigit() else None),
            "createdAt": now,
            "updatedAt": now,
            "archived": False,
            "teams": [],
        }
        with self._lock:
            self._owners[str(owner_id)] = owner

    def _handle(self, verb: str, path: str, query: dict, headers: dict, body: bytes) -> tuple[int, dict, Any]:
        call = Call(verb, {k: v[0] if len(v) == 1 else v for k, v in query.items()}, headers, path=path)
        with self._lock:
            failure = self._pop_failure(call)
            if failure:
                status, extra, resp = self._failure_response(failure)
            else:
                status, extra, resp = self._route(verb, path, query, headers, body)
            call.status, call.response = status, resp
            self._record(call)
        return status, extra, resp

    @staticmethod
    def _failure_response(failure: _Failure) -> tuple[int, dict, dict]:
        if failure.status == 429:
            status, extra, body = _error(429, "You have reached your secondly limit.", "RATE_LIMITS")
            body.update(errorType="RATE_LIMIT", policyName="SECONDLY")
            return status, {"Retry-After": failure.retry_after or 1}, body
        return _error(failure.status, "internal error", "INTERNAL_ERROR")

    def _search(self, body: bytes) -> tuple[int, dict, Any]:
        """POST /crm/v3/objects/deals/search: the `IN` and `GTE` filters Baton sends, `after` paging."""
        request = json.loads(body or b"{}")
        filters = [f for g in request.get("filterGroups", []) for f in g.get("filters", [])]
        deals = []
        for deal_id, record in sorted(self._deals.items()):
            props, ok = record["props"], True
            for f in filters:
                value = props.get(f["propertyName"])
                if f["operator"] == "IN":
                    ok &= value in f["values"]
                elif f["operator"] == "GTE" and f["propertyName"] == "closedate":
                    moment = datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None
                    ok &= moment is not None and moment.timestamp() * 1000 >= int(f["value"])
                else:
                    return _error(400, f"fake: unsupported filter {f}", "VALIDATION_ERROR")
            if ok:
                deals.append(deal_id)
        start, limit = int(request.get("after") or 0), int(request.get("limit") or 10)
        page = deals[start : start + limit]
        results = [
            {"id": d, "properties": {p: self._deals[d]["props"].get(p) for p in request.get("properties", [])}}
            for d in page
        ]
        out: dict[str, Any] = {"total": len(deals), "results": results}
        if start + limit < len(deals):
            out["paging"] = {"next": {"after": str(start + limit), "link": "?after=" + str(start + limit)}}
        return 200, {}, out

    def _route(self, verb: str, path: str, query: dict, headers: dict, body: bytes = b"") -> tuple[int, dict, Any]:
        auth = headers.get("authorization", "")
        if not auth.startswith("Bearer ") or not auth[len("Bearer ") :].strip():
            return _error(
                401,
                "Authentication credentials not found. This API supports OAuth 2.0 authentication and you "
                "can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview",
                "INVALID_AUTHENTICATION",
            )
        if auth[len("Bearer ") :].strip() != self.token:
            return _error(401, "Authentication credentials are invalid.", "INVALID_AUTHENTICATION")
        if verb == "POST" and path == "/crm/v3/objects/deals/search":
            return self._search(body)
        if verb != "GET":
            return _error(405, f"HTTP {verb} is not supported by this fake", "VALIDATION_ERROR")
        if m := _OWNER.match(path):
            owner = self._owners.get(m.group(1))
            return (200, {}, copy.deepcopy(owner)) if owner else self._not_found(m.group(1))
        m = _OBJECT.match(path)
        if not m:
            return _error(404, f"Unable to infer object type from: {path}", "OBJECT_NOT_FOUND")
        kind, object_id = m.groups()
        record = (self._deals if kind == "deals" else self._companies).get(object_id)
        if record is None:
            return self._not_found(object_id)
        wanted = _multi(query, "properties")
        defaults = _DEAL_DEFAULTS if kind == "deals" else _COMPANY_DEFAULTS
        names = (*wanted, "createdate", "hs_lastmodifieddate", "hs_object_id") if wanted else defaults
        obj: dict = {
            "id": object_id,
            "properties": {n: record["props"].get(n) for n in sorted(set(names))},
            "createdAt": record["created"],
            "updatedAt": record["props"]["hs_lastmodifieddate"],
            "archived": False,
        }
        assoc = {a.lower() for a in _multi(query, "associations")}
        if kind == "deals" and assoc & {"companies", "company"} and record["company_id"]:
            obj["associations"] = {
                "companies": {"results": [{"id": str(record["company_id"]), "type": "deal_to_company"}]}
            }
        return 200, {}, obj

    @staticmethod
    def _not_found(object_id: str) -> tuple[int, dict, dict]:
        return _error(
            404,
            "Object not found.  objectId are usually numeric.",
            "OBJECT_NOT_FOUND",
            context={"id": [object_id]},
        )
