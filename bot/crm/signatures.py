"""Webhook signature checks for CRM endpoints: HubSpot v3, Baton's generic HMAC, static secrets and HTTP Basic.

Pure functions: no I/O, no clock (callers pass ``now``), so they are trivially testable.
A failed check raises :class:`SignatureError`; the HTTP layer answers 401 with ``reason``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable

HUBSPOT_SIGNATURE_HEADER = "X-HubSpot-Signature-v3"
HUBSPOT_TIMESTAMP_HEADER = "X-HubSpot-Request-Timestamp"  # unix milliseconds
GENERIC_SIGNATURE_HEADER = "X-Baton-Signature"  # "v1=<hex>[,v1=<hex>...]"
GENERIC_TIMESTAMP_HEADER = "X-Baton-Timestamp"  # unix seconds
DEFAULT_MAX_AGE_S = 300

_MAX_GENERIC_SIGNATURES = 8
_TIMESTAMP_RE = re.compile(r"[0-9]{1,16}")
# HubSpot's v3 docs: these URL-encoded characters are decoded in the URI before signing.
# Single pass and only these characters, so "%20" stays encoded and "%253A" does not become ":".
_HUBSPOT_DECODED_RE = re.compile(r"%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)", re.IGNORECASE)


class SignatureError(Exception):
    """The request is not authentic; ``reason`` is short and safe to log or return."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _key(secret: str) -> bytes:
    if not secret:
        raise ValueError("webhook secret is not configured")
    return secret.encode("utf-8")


def _timestamp_text(value: str | None) -> str:
    if not value or not value.strip():
        raise SignatureError("missing timestamp")
    if not _TIMESTAMP_RE.fullmatch(value.strip()):
        raise SignatureError("invalid timestamp")
    return value.strip()


def _check_age(age: int, max_age: int) -> None:
    if age > max_age:
        raise SignatureError("stale timestamp")
    if age < -max_age:
        raise SignatureError("timestamp in the future")


def _matches(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


def hubspot_decode_uri(uri: str) -> str:
    """``uri`` with the characters HubSpot decodes before signing v3 (and only those) decoded, in one pass."""
    return _HUBSPOT_DECODED_RE.sub(lambda m: chr(int(m.group(1), 16)), uri)


def hubspot_v3_signature(client_secret: str, method: str, uri: str, body: bytes, timestamp: str) -> str:
    """base64(HMAC-SHA256(client_secret, method + uri + body + timestamp))."""
    msg = f"{method}{uri}".encode() + body + timestamp.encode("utf-8")
    return base64.b64encode(hmac.new(_key(client_secret), msg, hashlib.sha256).digest()).decode("ascii")


def verify_hubspot_v3(
    *,
    client_secret: str,
    method: str,
    uri: str,
    body: bytes,
    signature: str | None,
    timestamp: str | None,
    now_ms: int,
    max_age_s: int = DEFAULT_MAX_AGE_S,
) -> None:
    """Check ``X-HubSpot-Signature-v3``; ``uri`` is the exact public URL HubSpot called (with query).

    Accepts a signature over the URI as given or over its HubSpot-decoded form.
    """
    if not signature or not signature.strip():
        raise SignatureError("missing signature")
    ts_text = _timestamp_text(timestamp)
    _check_age(now_ms - int(ts_text), max_age_s * 1000)
    method, signature = method.upper(), signature.strip()
    candidates = dict.fromkeys((uri, hubspot_decode_uri(uri)))  # ordered, deduplicated
    results = [_matches(hubspot_v3_signature(client_secret, method, u, body, ts_text), signature) for u in candidates]
    if not any(results):
        raise SignatureError("bad signature")


def sign_generic(secret: str, body: bytes, timestamp: int) -> str:
    """``"v1=" + hex(HMAC-SHA256(secret, f"{timestamp}." + body))`` for ``X-Baton-Signature``."""
    mac = hmac.new(_key(secret), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def verify_generic(
    *,
    secret: str,
    body: bytes,
    signature: str | None,
    timestamp: str | None,
    now_s: int,
    max_age_s: int = DEFAULT_MAX_AGE_S,
) -> None:
    """Check ``X-Baton-Signature`` against ``X-Baton-Timestamp`` (unix seconds).

    The header may carry several comma-separated ``v1=`` signatures (secret rotation: the sender
    signs with old and new secrets); one match is enough. Other schemes are ignored.
    """
    if not signature or not signature.strip():
        raise SignatureError("missing signature")
    ts = int(_timestamp_text(timestamp))
    _check_age(now_s - ts, max_age_s)
    given = [p.strip()[3:] for p in signature.split(",") if p.strip().startswith("v1=")]
    if not given:
        raise SignatureError("no v1 signature")
    if len(given) > _MAX_GENERIC_SIGNATURES:
        raise SignatureError("too many signatures")
    expected = sign_generic(secret, body, ts)[3:]
    results = [_matches(expected, g.lower()) for g in given]
    if not any(results):
        raise SignatureError("bad signature")


# --- static secrets: a header (Salesforce Flow HTTP Callout), HTTP Basic (Pipedrive), a URL token -------------

STATIC_SECRET_HEADER = "X-Baton-Secret"  # the whole secret, as configured (Flow callouts send fixed values only)
_MAX_CREDENTIAL = 1024


def _same(expected: str, given: str) -> bool:
    """Constant-time comparison of two texts (any characters; a non-ASCII guess never matches)."""
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8", "replace"))


def match_secret(secrets: Iterable[tuple[str, str]], given: str | None) -> str:
    """The source whose configured secret is `given`; every secret is compared, so timing tells nothing."""
    if not given or not given.strip():
        raise SignatureError("missing secret")
    given = given.strip()
    if len(given) > _MAX_CREDENTIAL:
        raise SignatureError("bad secret")
    found = None
    for source, secret in secrets:
        if _same(secret, given) and found is None:
            found = source
    if found is None:
        raise SignatureError("bad secret")
    return found


def parse_basic(header: str | None) -> tuple[str, str]:
    """(user, password) from an `Authorization: Basic base64(user:password)` header."""
    if not header or not header.strip():
        raise SignatureError("missing Authorization")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "basic" or not token.strip() or len(token) > _MAX_CREDENTIAL:
        raise SignatureError("Authorization is not HTTP Basic")
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        raise SignatureError("Authorization is not valid Basic credentials") from None
    user, sep, password = decoded.partition(":")
    if not sep:
        raise SignatureError("Authorization is not valid Basic credentials")
    return user, password


def match_basic(credentials: Iterable[tuple[str, str, str]], header: str | None) -> str:
    """The source whose (user, password) the Basic `header` carries; constant time over every entry."""
    user, password = parse_basic(header)
    found = None
    for source, want_user, want_password in credentials:
        ok = _same(want_user, user) & _same(want_password, password)  # both compared, always
        if ok and found is None:
            found = source
    if found is None:
        raise SignatureError("bad credentials")
    return found


def basic_header(user: str, password: str) -> str:
    """`Basic base64(user:password)` (what Pipedrive sends for a webhook's HTTP auth)."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
