"""bot/inputs.py: which characters are control characters, cleaning and locating them, strict JSON."""

import pytest

from bot import inputs

CONTROLS = ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x0e", "\x1b", "\x1f", "\x7f", "\x80", "\x85", "\x9f"]
SURROGATES = ["\ud800", "\udbff", "\udc00", "\udfff"]
TEXT = ["\t", "\n", "\r", " ", "a", "é", "\xa0", "가", "한빛물류", "\u200b", "\u200d", "😀", "\U0010ffff"]


@pytest.mark.parametrize("char", CONTROLS + SURROGATES, ids=ascii)
def test_controls_and_lone_surrogates_are_found_and_stripped(char):
    """NUL, C0 (but tab/LF/CR), DEL, C1 and lone surrogates are control characters."""
    assert inputs.find_control(f"ab{char}c") == char
    assert inputs.strip_controls(f"a{char}b{char}") == "ab"


@pytest.mark.parametrize("text", TEXT, ids=ascii)
def test_text_is_left_alone(text):
    """Tab, line breaks, Korean, emoji, zero-width joiners and non-breaking spaces are text."""
    assert inputs.find_control(text) is None and inputs.strip_controls(text) == text


def test_describe_names_the_code_point():
    """Errors name the character by code point, never by the raw character."""
    assert [inputs.describe(c) for c in ("\x00", "\x85", "\ud800")] == ["U+0000", "U+0085", "U+D800"]


def test_clean_tree_cleans_values_and_keys_in_place():
    """Every string of a parsed payload is cleaned in place, keys included; shared sub-objects stay shared."""
    view = {"state": {"values": {"b\x00": {"a": {"value": "x\x00y"}}}}, "title": "ok"}
    body = {"view": view, "list": ["\x1bz", 3, None, ["\ud800"]], "n": 1}
    assert inputs.clean_tree(body) == 4
    assert body == {"view": view, "list": ["z", 3, None, [""]], "n": 1}
    assert view["state"]["values"] == {"b": {"a": {"value": "xy"}}}
    assert inputs.clean_tree(body) == 0


def test_clean_tree_and_depth_need_no_recursion():
    """A 10,000-deep tree is cleaned and measured without RecursionError."""
    root: dict = {}
    node = root
    for _ in range(10_000):
        node["a"] = {}
        node = node["a"]
    node["v"] = "\x00x"
    assert inputs.clean_tree(root) == 1 and node["v"] == "x"
    assert inputs.depth(root) == 10_001


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"\xff", "not_utf8"),
        (b'"\xed\xa0\x80"', "not_utf8"),
        (b"[" * 100_000, "too_deep"),
        (b"[" * 65 + b"]" * 65, "too_deep"),
        (b"{", "malformed"),
        ("", "malformed"),
    ],
    ids=["bad-byte", "encoded-surrogate", "100k-deep", "65-deep", "broken", "empty"],
)
def test_loads_refuses_with_a_code(raw, code):
    """Undecodable, too deep or broken JSON raises BadJson with its code and a reason."""
    with pytest.raises(inputs.BadJson) as err:
        inputs.loads(raw)
    assert err.value.code == code and err.value.reason


def test_loads_accepts_64_levels_and_a_bom():
    """64 levels and a UTF-8 BOM are fine; escaped surrogates parse (the control rule deals with them)."""
    assert inputs.depth(inputs.loads(b"[" * 64 + b"]" * 64)) == 64
    assert inputs.loads(b'\xef\xbb\xbf{"a": "\\ud800"}') == {"a": "\ud800"}
