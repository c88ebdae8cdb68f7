"""Message catalog: every user-facing string, in English and Korean."""

import string
from datetime import date

from bot.i18n import (
    customer_en,
    customer_ko,
    digest_en,
    digest_ko,
    en,
    ko,
    nudges_en,
    nudges_ko,
    reminders_en,
    reminders_ko,
    roadmap_en,
    roadmap_ko,
    voc_en,
    voc_ko,
)
from bot.text import seal_emphasis

# One module per feature and language, merged; the catalog test checks both languages have the same keys.
# Each template's bold and italics are sealed (`*{customer}*의` -> `*{customer}*` ZWSP `의`) so Slack renders them
# whatever letter follows; every builder's text goes through here, and tests/blocks/test_emphasis.py checks the
# builders' own markup too.
_EN: dict[str, str] = {
    **en.MESSAGES,
    **customer_en.MESSAGES,
    **voc_en.MESSAGES,
    **roadmap_en.MESSAGES,
    **digest_en.MESSAGES,
    **reminders_en.MESSAGES,
    **nudges_en.MESSAGES,
}
_KO: dict[str, str] = {
    **ko.MESSAGES,
    **customer_ko.MESSAGES,
    **voc_ko.MESSAGES,
    **roadmap_ko.MESSAGES,
    **digest_ko.MESSAGES,
    **reminders_ko.MESSAGES,
    **nudges_ko.MESSAGES,
}
EN: dict[str, str] = {key: seal_emphasis(text) for key, text in _EN.items()}
KO: dict[str, str] = {key: seal_emphasis(text) for key, text in _KO.items()}
CATALOGS: dict[str, dict[str, str]] = {"en": EN, "ko": KO}
SUPPORTED = tuple(CATALOGS)


def normalize_locale(locale: str | None, default: str = "en") -> str:
    """Map a Slack locale such as `ko-KR` or `en-US` to a catalog we have."""
    if locale:
        lang = locale.replace("_", "-").split("-")[0].lower()
        if lang in CATALOGS:
            return lang
    return default if default in CATALOGS else "en"


def t(locale: str, key: str, /, **params: object) -> str:
    """The message `key` in `locale` with `params` filled in; falls back to English, never raises."""
    catalog = CATALOGS.get(locale, EN)
    template = catalog.get(key) or EN.get(key)
    if template is None:
        raise KeyError(f"message {key!r} is in no catalog")
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        return EN[key].format(**params) if key in EN else template


def has(key: str) -> bool:
    """Whether the catalog defines `key` (optional texts such as field hints)."""
    return key in EN


def placeholders(template: str) -> set[str]:
    """Names used as {name} in a template (for the catalog consistency test)."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def format_date(d: date | None, locale: str) -> str:
    """A date as people write it: `Dec 1, 2026` / `2026년 12월 1일`."""
    if d is None:
        return "—"
    if locale == "ko":
        return f"{d.year}년 {d.month}월 {d.day}일"
    return f"{d.strftime('%b')} {d.day}, {d.year}"
