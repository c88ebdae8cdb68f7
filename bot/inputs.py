"""Input hygiene at Baton's edges: one rule for control characters, and JSON read strictly with a depth limit.

The rule (README "Input hygiene"): NUL, the other C0 controls except tab, line feed and carriage return, DEL,
the C1 controls and lone UTF-16 surrogates are *control characters*. PostgreSQL cannot store NUL and neither
database driver can encode a lone surrogate, so they never get past an edge:

- text people type in Slack (modal fields, slash command text, shortcut and message text: every string in a
  verified Slack payload) has them removed before any listener sees it (:func:`clean_tree`), and so has what
  Baton reads from HubSpot's API, which cannot be asked to send it again;
- everything a machine or a file sends (CRM webhooks, the health API, CSV imports) is refused where it holds
  one, with a reason naming the field (:func:`find_control`, :func:`describe`).

Pure functions, no I/O.
"""

import json
import re
from typing import Any

CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
MAX_JSON_DEPTH = 64
"""Deepest nesting accepted in a JSON body (Slack's own payloads stay under 20; Python's parser fails near 1,000)."""


class BadJson(ValueError):
    """The body is not a JSON document Baton accepts; ``reason`` says why (for an HTTP 400), ``code`` is one of
    not_utf8, too_deep, malformed."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


def find_control(text: str) -> str | None:
    """The first control character in `text`, or None."""
    m = CONTROL_RE.search(text)
    return m.group() if m else None


def describe(char: str) -> str:
    """`U+0000` for a control character, for error messages (never the character itself)."""
    return f"U+{ord(char):04X}"


def strip_controls(text: str) -> str:
    """`text` without control characters (tab, line feed and carriage return stay)."""
    return CONTROL_RE.sub("", text) if CONTROL_RE.search(text) else text


def clean_tree(data: Any) -> int:
    """Remove control characters from every string (values and keys) of a parsed JSON tree, in place.

    Iterative, so depth costs no stack. Returns how many strings changed."""
    changed = 0
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key in list(node):
                value = node[key]
                if isinstance(value, str):
                    if CONTROL_RE.search(value):
                        node[key] = strip_controls(value)
                        changed += 1
                elif isinstance(value, dict | list):
                    stack.append(value)
                if isinstance(key, str) and CONTROL_RE.search(key):
                    node[strip_controls(key)] = node.pop(key)
                    changed += 1
        elif isinstance(node, list):
            for i, value in enumerate(node):
                if isinstance(value, str):
                    if CONTROL_RE.search(value):
                        node[i] = strip_controls(value)
                        changed += 1
                elif isinstance(value, dict | list):
                    stack.append(value)
    return changed


def depth(data: Any) -> int:
    """How deeply objects and arrays nest (a scalar is 0, `[]` is 1)."""
    deepest = 0
    stack = [(data, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children if isinstance(child, dict | list))
    return deepest


def loads(text: str | bytes, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Parse a JSON document strictly: UTF-8 only (bytes may start with a BOM), at most `max_depth` levels deep.

    Raises :class:`BadJson`."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")  # a leading BOM is tolerated, as json.loads(bytes) did
        except UnicodeDecodeError as exc:
            raise BadJson("not_utf8", f"body is not UTF-8 (invalid byte at offset {exc.start})") from None
    try:
        data = json.loads(text)
    except RecursionError:
        raise BadJson("too_deep", f"JSON nested more than {max_depth} levels deep") from None
    except ValueError as exc:
        raise BadJson("malformed", f"malformed JSON: {exc}") from None
    if depth(data) > max_depth:
        raise BadJson("too_deep", f"JSON nested more than {max_depth} levels deep")
    return data
