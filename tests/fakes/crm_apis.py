"""Fake Salesforce REST (OAuth client credentials + SOQL query) and Pipedrive API (v2 deals and organizations,
v1 users) over real HTTP, with the answer shapes of their public docs, for end-to-end tests."""

from __future__ import annotations

import copy
import re
from typing import Any
from urllib.parse import parse_qs

from tests.fakes.slack_api import Call, FakeHTTPServer, _Failure

_QUERY = re.compile(r"^/services/data/v(\d+\.\d)/query(?:/(\d+))?$")


class _Base(FakeHTTPServer):
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _matches(self, key: str, call: Call) -> bool:
        return call.path.startswith(key)

    def fail_next(self, path_prefix: str, status: int = 503, times: int = 1, retry_after: int | None = None) -> None:
        self._queue_failure(path_prefix, _Failure(status, retry_after), times)

    def _handle(self, verb: str, path: str, query: dict, headers: dict, body: bytes) -> tuple[int, dict, Any]:
        args = {k: v[0] if len(v) == 1 else v for k, v in query.items()}
        call = Call(verb, args, headers, path=path)
        with self._lock:
            failure = self._pop_failure(call)
            if failure:
                extra = {"Retry-After": failure.retry_after} if failure.retry_after is not None else {}
                status, resp = failure.status, self._failure_body(failure.status)
            else:
                status, extra, resp = self._route(verb, path, args, headers, body)
            call.status, call.response = status, resp
            self._record(call)
        return status, extra, resp

    def _failure_body(self, status: int) -> Any:
        return {"error": "fake failure"}

    def _route(self, verb, path, args, headers, body) -> tuple[int, dict, Any]:
        raise NotImplementedError


class FakeSalesforce(_Base):
    """A Salesforce org: connected app client credentials, Opportunities with Account and Owner."""

    def __init__(self, client_id: str, client_secret: str, *, multicurrency: bool = True, page_size: int = 2000):
        super().__init__()
        self.client_id, self.client_secret = client_id, client_secret
        self.multicurrency, self.page_size = multicurrency, page_size
        self._tokens: set[str] = set()
        self._issued = 0
        self._opps: dict[str, dict] = {}
        self._cursors: dict[str, list[dict]] = {}

    def expire_tokens(self) -> None:
        with self._lock:
            self._tokens.clear()

    def add_opportunity(
        self,
        opp_id: str,
        name: str,
        *,
        account: tuple[str, str, str | None] | None = ("001Dn00000AcmeAAA", "ACME Corp.", "https://www.acme.example"),
        owner_email: str | None = "ae@example.com",
        amount: float | None = 48000.0,
        currency: str = "EUR",
        close_date: str = "2026-11-20",
        won: bool = True,
    ) -> None:
        acc_id, acc_name, website = account or (None, None, None)
        record = {
            "attributes": {"type": "Opportunity", "url": f"/services/data/v62.0/sobjects/Opportunity/{opp_id}"},
            "Id": opp_id,
            "Name": name,
            "Amount": amount,
            "CloseDate": close_date,
            "IsWon": won,
            "StageName": "Closed Won" if won else "Negotiation/Review",
            "AccountId": acc_id,
            "Account": None
            if account is None
            else {
                "attributes": {"type": "Account", "url": f"/services/data/v62.0/sobjects/Account/{acc_id}"},
                "Name": acc_name,
                "Website": website,
            },
            "Owner": {
                "attributes": {"type": "User", "url": "/services/data/v62.0/sobjects/User/005Dn000001"},
                "Email": owner_email,
            },
            "CurrencyIsoCode": currency,
        }
        with self._lock:
            self._opps[opp_id] = record

    def _route(self, verb, path, args, headers, body):
        if path == "/services/oauth2/token" and verb == "POST":
            form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            if form.get("grant_type") != "client_credentials":
                return 400, {}, {"error": "unsupported_grant_type", "error_description": "grant type not supported"}
            if (form.get("client_id"), form.get("client_secret")) != (self.client_id, self.client_secret):
                return 400, {}, {"error": "invalid_client", "error_description": "invalid client credentials"}
            self._issued += 1
            token = f"00DDn000000TEST!tok{self._issued}"
            self._tokens.add(token)
            return 200, {}, {"access_token": token, "instance_url": self.url, "token_type": "Bearer", "id": "x"}
        auth = headers.get("authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self._tokens:
            return 401, {}, [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
        m = _QUERY.match(path)
        if not m or verb != "GET":
            return 404, {}, [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}]
        if m.group(2):
            rest = self._cursors.pop(m.group(2), [])
            return 200, {}, self._page(rest, m.group(1))
        soql = args.get("q", "")
        if "CurrencyIsoCode" in soql and not self.multicurrency:
            msg = "ERROR at Row:1:Column:120\nNo such column 'CurrencyIsoCode' on entity 'Opportunity'."
            return 400, {}, [{"message": msg, "errorCode": "INVALID_FIELD"}]
        records = list(self._opps.values())
        if by_id := re.search(r"WHERE Id = '([A-Za-z0-9]+)'", soql):
            records = [r for r in records if r["Id"] == by_id.group(1)]
        elif since := re.search(r"IsWon = true AND CloseDate >= (\d{4}-\d{2}-\d{2})", soql):
            records = [r for r in records if r["IsWon"] and r["CloseDate"] >= since.group(1)]
        else:
            return 400, {}, [{"message": f"fake cannot run {soql!r}", "errorCode": "MALFORMED_QUERY"}]
        records = copy.deepcopy(records)
        if not self.multicurrency:
            for r in records:
                r.pop("CurrencyIsoCode", None)
        return 200, {}, self._page(records, m.group(1))

    def _page(self, records: list[dict], version: str) -> dict:
        head, rest = records[: self.page_size], records[self.page_size :]
        page: dict[str, Any] = {"totalSize": len(records), "done": not rest, "records": head}
        if rest:
            cursor = str(len(self._cursors) + 1000)
            self._cursors[cursor] = rest
            page["nextRecordsUrl"] = f"/services/data/v{version}/query/{cursor}"
        return page

    def _failure_body(self, status: int) -> Any:
        return [{"message": "Server unavailable", "errorCode": "SERVER_UNAVAILABLE"}]


class FakePipedrive(_Base):
    """A Pipedrive company: deals (v2), organizations (v2), users (v1), an API token in `x-api-token`."""

    def __init__(self, token: str, *, page_size: int = 500):
        super().__init__()
        self.token, self.page_size = token, page_size
        self._deals: dict[int, dict] = {}
        self._orgs: dict[int, dict] = {}
        self._users: dict[int, dict] = {}

    def add_user(self, user_id: int, email: str, name: str = "Alex Seller") -> None:
        self._users[user_id] = {"id": user_id, "name": name, "email": email, "active_flag": True, "is_admin": 0}

    def add_org(self, org_id: int, name: str) -> None:
        self._orgs[org_id] = {"id": org_id, "name": name, "owner_id": 7, "add_time": "2026-01-05T09:00:00Z"}

    def add_deal(
        self,
        deal_id: int,
        title: str,
        *,
        value: float = 5000,
        currency: str = "USD",
        status: str = "won",
        won_time: str | None = "2026-11-20T10:00:00Z",
        update_time: str = "2026-11-20T10:00:00Z",
        owner_id: int = 7,
        org_id: int | None = 9,
    ) -> None:
        self._deals[deal_id] = {
            "id": deal_id,
            "title": title,
            "value": value,
            "currency": currency,
            "status": status,
            "won_time": won_time if status == "won" else None,
            "close_time": won_time if status == "won" else None,
            "owner_id": owner_id,
            "org_id": org_id,
            "person_id": 3,
            "stage_id": 5,
            "pipeline_id": 1,
            "add_time": "2026-10-01T09:00:00Z",
            "update_time": update_time,
            "lost_reason": None,
            "visible_to": 3,
            "custom_fields": {},
        }

    def _failure_body(self, status: int) -> Any:
        return {"success": False, "error": "Service unavailable", "errorCode": status}

    @staticmethod
    def _not_found(what: str) -> tuple[int, dict, dict]:
        return 404, {}, {"success": False, "error": f"{what} not found", "errorCode": 404, "error_info": "x"}

    def _route(self, verb, path, args, headers, body):
        if headers.get("x-api-token") != self.token:
            return 401, {}, {"success": False, "error": "unauthorized access", "errorCode": 401, "error_info": "x"}
        if verb != "GET":
            return 405, {}, {"success": False, "error": "method not allowed"}
        if m := re.fullmatch(r"/api/v2/deals/(\d+)", path):
            deal = self._deals.get(int(m.group(1)))
            return (200, {}, {"success": True, "data": copy.deepcopy(deal)}) if deal else self._not_found("Deal")
        if m := re.fullmatch(r"/api/v2/organizations/(\d+)", path):
            org = self._orgs.get(int(m.group(1)))
            return (200, {}, {"success": True, "data": dict(org)}) if org else self._not_found("Organization")
        if m := re.fullmatch(r"/api/v1/users/(\d+)", path):
            user = self._users.get(int(m.group(1)))
            return (200, {}, {"success": True, "data": dict(user)}) if user else self._not_found("User")
        if path == "/api/v2/deals":
            deals = sorted(self._deals.values(), key=lambda d: d["id"])
            if args.get("status"):
                deals = [d for d in deals if d["status"] == args["status"]]
            if args.get("updated_since"):
                deals = [d for d in deals if d["update_time"] >= args["updated_since"]]
            start = int(args.get("cursor") or 0)
            limit = min(int(args.get("limit") or 100), self.page_size)
            page = deals[start : start + limit]
            more = start + limit < len(deals)
            return (
                200,
                {},
                {
                    "success": True,
                    "data": copy.deepcopy(page),
                    "additional_data": {"next_cursor": str(start + limit) if more else None},
                },
            )
        return 404, {}, {"success": False, "error": "Unknown method"}
