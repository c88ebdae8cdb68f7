"""The en and ko catalogs agree, and every message key the code uses resolves in both."""

import ast
import re
from datetime import date
from pathlib import Path

import pytest

from bot import renderers
from bot.blocks.handoff import FIELDS, ICP_FITS
from bot.errors import UserError
from bot.i18n import CATALOGS, format_date, placeholders, t
from bot.money import ERROR_CODES as AMOUNT_CODES
from bot.services import team_config

BOT = Path(__file__).resolve().parent.parent / "bot"
EN, KO = CATALOGS["en"], CATALOGS["ko"]
NAMESPACES = (
    "common",
    "help",
    "handoff",
    "err",
    "customer",
    "voc",
    "roadmap",
    "digest",
    "reminders",
    "nudges",
    "home",
    "kpi",
)
KEY_RE = re.compile(rf"(?:{'|'.join(NAMESPACES)})\.[a-z0-9_.]*[a-z0-9_]")
# t(locale, "key" ...) and t(locale, f"prefix.{...}" ...): the key is the second argument.
T_LITERAL_RE = re.compile(r"""\bt\(\s*[\w.]+(?:\([^()]*\))?\s*,\s*"([^"]+)\"""")
T_FSTRING_RE = re.compile(r"""\bt\(\s*[\w.]+(?:\([^()]*\))?\s*,\s*f"([^"{]*)\{""")
# Every f-string key prefix the code may build, and the test below that checks its keys.
DYNAMIC_PREFIXES = {"handoff.field.", "handoff.icp.", "err."}


def _sources() -> dict[Path, str]:
    return {p: p.read_text(encoding="utf-8") for p in sorted(BOT.rglob("*.py")) if "i18n" not in p.parts}


def _key_literals() -> set[str]:
    """String constants in bot/ shaped like catalog keys (also those handed to helpers that call t())."""
    outbox_kinds = set(renderers.build(None, None, "en").table)  # e.g. "handoff.ask_ae" names a renderer, not a text
    outbox_kinds |= set(team_config.KEYS)  # e.g. "digest.channels" names a setting, not a text
    keys: set[str] = set()
    for source in _sources().values():
        tree = ast.parse(source)
        in_fstrings = {id(v) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for v in node.values}
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in in_fstrings
                and KEY_RE.fullmatch(node.value)
                and node.value not in outbox_kinds
            ):
                keys.add(node.value)
    return keys


def _codes(pattern: str, path: Path) -> set[str]:
    return set(re.findall(pattern, path.read_text(encoding="utf-8")))


def _error_keys() -> set[str]:
    """err.* keys reachable from the services: FieldError / HandoffError codes, amount_* and line_* codes."""
    codes: set[str] = set()
    for services in sorted((BOT / "services").glob("handoff*.py")):  # handoff.py and handoff_form.py
        codes |= _codes(r"""FieldError\(\s*[^,()]+,\s*"(\w+)\"""", services)
        codes |= _codes(r"""HandoffError\(\s*"(\w+)\"""", services)
    codes |= {f"amount_{c}" for c in AMOUNT_CODES}
    codes |= {f"amount_{c}" for c in _codes(r"""AmountError\(\s*"(\w+)\"""", BOT / "money.py")}
    codes |= {f"line_{c}" for c in _codes(r"""LineError\(\s*[^,()]+,\s*"(\w+)\"""", BOT / "services" / "parsing.py")}
    return {f"err.{c}" for c in codes}


def test_catalogs_have_the_same_keys():
    """Korean has every English key and no key English lacks."""
    assert sorted(set(EN) - set(KO)) == [], "missing in ko"
    assert sorted(set(KO) - set(EN)) == [], "missing in en"


@pytest.mark.parametrize("key", sorted(EN))
def test_placeholders_match(key):
    """Each key uses the same {placeholders} in both languages."""
    assert placeholders(EN[key]) == placeholders(KO.get(key, EN[key]))


@pytest.mark.parametrize("locale", sorted(CATALOGS))
def test_no_empty_messages(locale):
    """No message is empty or only whitespace."""
    assert [k for k, v in CATALOGS[locale].items() if not v.strip()] == []


def test_scan_finds_the_literal_keys():
    """The source scan sees the keys it must check (guards against a regex that silently matches nothing)."""
    literal = {key for source in _sources().values() for key in T_LITERAL_RE.findall(source)}
    assert {"common.unexpected", "handoff.card.accept", "help.text"} <= literal
    assert literal <= _key_literals()


def test_every_literal_key_resolves():
    """Every key written literally in bot/ (passed to t() or to a helper that calls it) is in both catalogs."""
    missing = sorted(k for k in _key_literals() if k not in EN or k not in KO)
    assert missing == []


def test_fstring_key_prefixes_are_all_checked():
    """Every f-string key prefix passed to t() is one whose keys this module checks."""
    prefixes = {p for source in _sources().values() for p in T_FSTRING_RE.findall(source)}
    assert prefixes, "the scan found no f-string keys; has the code moved?"
    assert prefixes <= DYNAMIC_PREFIXES, f"unchecked dynamic keys: {sorted(prefixes - DYNAMIC_PREFIXES)}"


@pytest.mark.parametrize("spec", FIELDS, ids=lambda s: s.name)
def test_every_form_field_has_label_and_placeholder(spec):
    """handoff.field.<name> and .placeholder exist for each form field; a hint, if any, exists in both."""
    for key in (f"handoff.field.{spec.name}", f"handoff.field.{spec.name}.placeholder"):
        assert key in EN and key in KO, key
    hint = f"handoff.field.{spec.name}.hint"
    assert (hint in EN) == (hint in KO)


@pytest.mark.parametrize("fit", ICP_FITS)
def test_every_icp_fit_has_a_label(fit):
    """Each ICP option value has its handoff.icp.<value> label."""
    assert f"handoff.icp.{fit}" in EN and f"handoff.icp.{fit}" in KO


def test_error_scan_finds_codes():
    """The error-code scan sees field, handoff, amount and line codes."""
    keys = _error_keys()
    assert {"err.required", "err.not_found", "err.amount_invalid", "err.line_bad_date"} <= keys


@pytest.mark.parametrize("key", sorted(_error_keys()))
def test_every_error_code_has_a_message(key):
    """Each error code the services, money parser and line parser produce has an err.<code> message."""
    assert key in EN and key in KO


@pytest.mark.parametrize("locale", sorted(CATALOGS))
@pytest.mark.parametrize("key", sorted(EN))
def test_every_message_formats(locale, key):
    """Filling a message's placeholders never raises and leaves no braces behind."""
    params = dict.fromkeys(placeholders(EN[key]), "X")
    out = t(locale, key, **params)
    assert out and "{" not in out.replace("{date_short_pretty}", "").replace("{time}", "")


@pytest.mark.parametrize(
    ("d", "locale", "expected"),
    [
        (date(2026, 12, 1), "en", "Dec 1, 2026"),
        (date(2027, 1, 15), "en", "Jan 15, 2027"),
        (date(2026, 12, 1), "ko", "2026년 12월 1일"),
        (date(2027, 1, 5), "ko", "2027년 1월 5일"),
        (None, "en", "—"),
        (None, "ko", "—"),
    ],
)
def test_format_date(d, locale, expected):
    """Dates read naturally in English and Korean; a missing date is a dash."""
    assert format_date(d, locale) == expected


def _user_error_keys() -> set[str]:
    """The catalog key of every `SomeUserError("code", ...)` raised anywhere in bot/, by each class's prefix."""
    import bot.app  # noqa: F401 - imports every feature, so every UserError subclass is known

    def subclasses(cls: type) -> set[type]:
        return {c for sub in cls.__subclasses__() for c in {sub, *subclasses(sub)}}

    keys = set()
    for cls in subclasses(UserError):
        pattern = rf"""\b{cls.__name__}\(\s*"(\w+)\""""
        for source in _sources().values():
            keys |= {cls.prefix + code for code in re.findall(pattern, source)}
        if cls.__init__ is not UserError.__init__:  # a fixed code (CustomerNotFound)
            keys.add(cls().key)
    return keys


def test_user_error_scan_finds_every_feature():
    """The UserError scan sees the handoff, VoC, roadmap and customer refusals."""
    assert {"err.not_found", "voc.err.unknown_customer", "roadmap.err.unknown_item", "customer.gone"} <= (
        _user_error_keys()
    )


@pytest.mark.parametrize("key", sorted(_user_error_keys()))
def test_every_user_error_has_a_message(key):
    """Each refusal any feature raises has its message in both catalogs."""
    assert key in EN and key in KO
