"""What the Salesforce and Pipedrive clients share: a JSON API over sync httpx with retries, and WonDeal.

Retries 429/5xx/transport errors with exponential backoff honouring ``Retry-After`` (capped: a longer wait is
left to the caller, the inbox reschedules); other 4xx fail at once. Secrets (tokens, client secrets) are sent in
headers or form bodies only and scrubbed from every error message, so nothing logged carries them.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Self

import httpx

from bot import inputs

log = logging.getLogger(__name__)
BACKOFF_BASE_S = 0.5
BACKOFF_MAX_S = 30.0


class CrmApiError(Exception):
    """A CRM API call failed; ``retryable`` says whether later may succeed, ``retry_after`` what the CRM asked."""

    def __init__(
        self, status: int | None, message: str, retryable: bool = False, *, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.retryable, self.retry_after = status, message, retryable, retry_after
        self.body: Any = None


class CrmNotConfigured(Exception):
    """The CRM's API credentials are not set: the event is kept (held) and replayed once they are."""

    def __init__(self, crm: str, variables: str) -> None:
        super().__init__(f"{variables} not set: kept until it is, then replayed")
        self.crm = crm


@dataclass(frozen=True)
class WonDeal:
    """A deal as a CRM's API tells it (mapped to the handoff service's DealFacts by the inbox)."""

    source: str
    deal_id: str
    company: str
    won: bool
    deal_name: str | None = None
    company_id: str | None = None
    company_domain: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    close_date: date | None = None
    owner_email: str | None = None


def text(value: Any, limit: int = 255) -> str | None:
    """A CRM value as text: control characters removed (data read from an API is cleaned, not refused), trimmed."""
    if value is None or isinstance(value, dict | list):
        return None
    cleaned = inputs.strip_controls(str(value)).strip()
    return cleaned[:limit] or None


def amount(value: Any) -> Decimal | None:
    if (raw := text(value)) is None:
        return None
    try:
        number = Decimal(raw)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def day(value: Any) -> date | None:
    """`2026-11-20`, `2026-11-20T09:31:00Z`, `2026-11-20 09:31:00` (Pipedrive v1) -> the UTC date."""
    if (raw := text(value)) is None:
        return None
    try:
        if len(raw) == 10:
            return date.fromisoformat(raw)
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00").replace(" ", "T", 1))
    except ValueError:
        return None
    return (moment.astimezone(UTC) if moment.tzinfo else moment).date()


def _retry_after(response: httpx.Response) -> float | None:
    try:
        seconds = float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None
    return max(seconds, 0.0) if math.isfinite(seconds) else None


class JsonApi:
    """A JSON API at `base_url`; use as a context manager or call ``close()``. A CRM's client names itself
    (`NAME`), may raise its own subclass of CrmApiError (`ERROR`) and read its own error bodies (`_detail`)."""

    NAME = "CRM"
    ERROR: type[CrmApiError] = CrmApiError

    def __init__(
        self,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        secrets: Iterable[str] = (),
        timeout: float = 10.0,
        max_retries: int = 4,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._secrets = [s for s in secrets if s]
        self._max_retries = max_retries
        self._sleep = sleep
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Accept": "application/json", **(headers or {})},
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            transport=transport,
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={str(self._http.base_url)!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def scrub(self, message: str) -> str:
        for secret in self._secrets:
            message = message.replace(secret, "[redacted]")
        return message

    def _detail(self, data: Any, response: httpx.Response) -> str:
        """What an error answer says, from its decoded body (`data`, None when it is not JSON)."""
        if isinstance(data, list) and data and isinstance(data[0], dict):  # Salesforce: [{message, errorCode}]
            return f"{data[0].get('errorCode') or 'error'}: {data[0].get('message') or ''}"
        if isinstance(data, dict):  # Pipedrive: {success: false, error, error_info}; OAuth: {error, ...}
            return f"{data.get('error') or 'error'}: {data.get('error_description') or data.get('error_info') or ''}"
        return " ".join(response.text.split())[:200]

    def _error(self, response: httpx.Response, what: str) -> CrmApiError:
        status = response.status_code
        try:
            data = response.json()
        except ValueError:
            data = None
        detail = self._detail(data, response)
        retryable = status == 429 or status >= 500
        err = self.ERROR(
            status,
            self.scrub(f"{self.NAME} {what} -> {status} {detail}")[:500],
            retryable,
            retry_after=_retry_after(response) if retryable else None,
        )
        err.body = data
        return err

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """The decoded JSON answer (an object or a list), retrying what may succeed later."""
        what = f"{method} {path.split('?')[0]}"
        attempt = 0
        while True:
            try:
                response = self._http.request(method, path, **kwargs)
            except httpx.TransportError as exc:
                err = self.ERROR(None, self.scrub(f"{self.NAME} {what} failed: {type(exc).__name__}: {exc}"), True)
            else:
                if response.is_success:
                    try:
                        return response.json()
                    except ValueError:
                        raise self.ERROR(response.status_code, f"{self.NAME} {what} returned no JSON") from None
                err = self._error(response, what)
                if not err.retryable:
                    raise err
            delay = err.retry_after
            if delay is None:
                delay = min(BACKOFF_BASE_S * 2 ** min(attempt, 16), BACKOFF_MAX_S)
            if attempt >= self._max_retries or delay > BACKOFF_MAX_S:
                raise self.ERROR(
                    err.status,
                    f"{err.message} (gave up after {attempt + 1} attempts)",
                    True,
                    retry_after=err.retry_after,
                )
            attempt += 1
            log.warning(
                "%s %s -> %s; retry %d/%d in %.1fs", self.NAME, what, err.status, attempt, self._max_retries, delay
            )
            self._sleep(delay)
