import json

import pytest

from bot.crm.signatures import (
    SignatureError,
    hubspot_decode_uri,
    hubspot_v3_signature,
    sign_generic,
    verify_generic,
    verify_hubspot_v3,
)
from tests.crm import fixture_bytes

SECRET = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy"
TS_MS = 1693657560000


@pytest.fixture(scope="module")
def v3_vector() -> dict:
    data = json.loads(fixture_bytes("hubspot_signature_vectors.json"))["hubspot_api_python_tests"]
    return {
        "client_secret": data["client_secret"],
        "method": data["method"],
        "uri": data["uri"],
        "body": data["body"].encode(),
        "signature": data["v3"]["X-HubSpot-Signature-v3"],
        "timestamp": data["v3"]["X-HubSpot-Request-Timestamp"],
    }


def test_v3_vector_verifies(v3_vector):
    """HubSpot's published v3 vector is reproduced and verifies within the 5-minute window."""
    args = {k: v for k, v in v3_vector.items() if k != "signature"}
    assert hubspot_v3_signature(**args) == v3_vector["signature"]
    verify_hubspot_v3(**v3_vector, now_ms=int(v3_vector["timestamp"]) + 299_000)


@pytest.mark.parametrize(
    ("change", "now_offset_ms", "reason"),
    [
        ({"body": b"{'example_field':'other'}"}, 0, "bad signature"),
        ({"uri": "https://www.example.com/webhook_uri?x=1"}, 0, "bad signature"),
        ({"method": "PUT"}, 0, "bad signature"),
        ({"client_secret": "other-secret"}, 0, "bad signature"),
        ({"signature": "K36dawei4A+QBNolUOqo7s91KQDWQ5MXZ/QufNYuk/Z="}, 0, "bad signature"),
        ({}, 300_001, "stale timestamp"),
        ({}, -300_001, "timestamp in the future"),
        ({"signature": None}, 0, "missing signature"),
        ({"signature": ""}, 0, "missing signature"),
        ({"timestamp": None}, 0, "missing timestamp"),
        ({"timestamp": "1693657560.5"}, 0, "invalid timestamp"),
        ({"timestamp": "-1"}, 0, "invalid timestamp"),
    ],
)
def test_v3_rejects(v3_vector, change, now_offset_ms, reason):
    """Tampered method/uri/body/secret, stale or future timestamps and missing headers are rejected."""
    with pytest.raises(SignatureError) as info:
        verify_hubspot_v3(**{**v3_vector, **change}, now_ms=TS_MS + now_offset_ms)
    assert info.value.reason == reason


@pytest.mark.parametrize(
    ("signed_uri", "request_uri"),
    [
        # HubSpot signs the URI with %3A %2F etc. decoded; we see the raw, still-encoded one.
        (
            "https://baton.example/hooks/hubspot?next=https://x.io/a%20b",
            "https://baton.example/hooks/hubspot?next=https%3A%2F%2Fx.io/a%20b",
        ),
        (
            "https://baton.example/h?q=a:b@c!$'()*,;",
            "https://baton.example/h?q=a%3ab%40c%21%24%27%28%29%2A%2C%3B",
        ),
        # The URI as given (no decoding) is accepted as well.
        ("https://baton.example/h?q=a%3Ab", "https://baton.example/h?q=a%3Ab"),
    ],
)
def test_v3_accepts_decoded_uri(signed_uri, request_uri):
    """A signature over the HubSpot-decoded URI or over the URI as given both verify."""
    sig = hubspot_v3_signature(SECRET, "POST", signed_uri, b"[]", str(TS_MS))
    verify_hubspot_v3(
        client_secret=SECRET,
        method="post",
        uri=request_uri,
        body=b"[]",
        signature=sig,
        timestamp=str(TS_MS),
        now_ms=TS_MS,
    )


@pytest.mark.parametrize(
    ("raw", "decoded"),
    [
        ("https://h/p?u=https%3A%2F%2Fx%3Fy", "https://h/p?u=https://x?y"),
        ("https://h/p?a=%20%2B%26", "https://h/p?a=%20%2B%26"),  # other escapes stay encoded
        ("https://h/p?a=%253A", "https://h/p?a=%253A"),  # single pass, no double decoding
    ],
)
def test_hubspot_decode_uri(raw, decoded):
    """Only HubSpot's listed characters are decoded, once."""
    assert hubspot_decode_uri(raw) == decoded


def test_v3_rejects_fully_decoded_uri():
    """A signature over a fully URL-decoded URI (e.g. %20 -> space) is not accepted."""
    sig = hubspot_v3_signature(SECRET, "POST", "https://h/p?a=x y", b"[]", str(TS_MS))
    with pytest.raises(SignatureError, match="bad signature"):
        verify_hubspot_v3(
            client_secret=SECRET,
            method="POST",
            uri="https://h/p?a=x%20y",
            body=b"[]",
            signature=sig,
            timestamp=str(TS_MS),
            now_ms=TS_MS,
        )


GENERIC_SECRET = "whsec_test"
GENERIC_BODY = b'{"deal_id":"D-1","company":"Acme"}'
GENERIC_TS = 1700000000


def test_sign_generic_golden():
    """sign_generic matches an HMAC computed independently (openssl dgst -sha256 -hmac)."""
    assert sign_generic(GENERIC_SECRET, GENERIC_BODY, GENERIC_TS) == (
        "v1=d12249642da2bc7b2967b3bd4790ea2a2f344976c400fcaa7b924fc71a2556df"
    )


_GOOD = sign_generic(GENERIC_SECRET, GENERIC_BODY, GENERIC_TS)
_OLD = sign_generic("whsec_old", GENERIC_BODY, GENERIC_TS)


@pytest.mark.parametrize(
    ("header", "now_offset"),
    [
        (_GOOD, 0),
        (f"{_OLD},{_GOOD}", 0),
        (f"{_GOOD}, {_OLD}", 0),
        (f"v0=abc, {_GOOD}", 0),
        (_GOOD.upper().replace("V1=", "v1="), 0),
        (_GOOD, 300),
        (_GOOD, -300),
    ],
)
def test_generic_accepts(header, now_offset):
    """Valid generic signatures verify, including several v1 entries during secret rotation."""
    verify_generic(
        secret=GENERIC_SECRET,
        body=GENERIC_BODY,
        signature=header,
        timestamp=str(GENERIC_TS),
        now_s=GENERIC_TS + now_offset,
    )


@pytest.mark.parametrize(
    ("change", "now_offset", "reason"),
    [
        ({"body": GENERIC_BODY + b" "}, 0, "bad signature"),
        ({"secret": "whsec_other"}, 0, "bad signature"),
        ({"signature": _OLD}, 0, "bad signature"),
        ({"timestamp": str(GENERIC_TS + 1)}, 0, "bad signature"),
        ({"signature": "v0=" + _GOOD[3:]}, 0, "no v1 signature"),
        ({"signature": ",".join([_OLD] * 9)}, 0, "too many signatures"),
        ({"signature": None}, 0, "missing signature"),
        ({"signature": "  "}, 0, "missing signature"),
        ({"timestamp": None}, 0, "missing timestamp"),
        ({"timestamp": "2023-11-14T22:13:20Z"}, 0, "invalid timestamp"),
        ({}, 301, "stale timestamp"),
        ({}, -301, "timestamp in the future"),
    ],
)
def test_generic_rejects(change, now_offset, reason):
    """Tampering, wrong or retired secrets, bad headers and out-of-window timestamps are rejected."""
    args = {
        "secret": GENERIC_SECRET,
        "body": GENERIC_BODY,
        "signature": _GOOD,
        "timestamp": str(GENERIC_TS),
    }
    with pytest.raises(SignatureError) as info:
        verify_generic(**{**args, **change}, now_s=GENERIC_TS + now_offset)
    assert info.value.reason == reason


@pytest.mark.parametrize(
    "call", [lambda: sign_generic("", b"", 1), lambda: hubspot_v3_signature("", "POST", "u", b"", "1")]
)
def test_empty_secret_is_a_config_error(call):
    """An unconfigured (empty) secret raises ValueError instead of silently signing with no key."""
    with pytest.raises(ValueError, match="not configured"):
        call()
