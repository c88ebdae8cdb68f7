"""Message catalog: every user-facing string, in English and Korean."""

import re
import string
from datetime import date, datetime, time

from bot.i18n import (
    customer_en,
    customer_ko,
    digest_en,
    digest_ko,
    en,
    home_en,
    home_ko,
    ko,
    kpi_en,
    kpi_ko,
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
    **home_en.MESSAGES,
    **kpi_en.MESSAGES,
}
_KO: dict[str, str] = {
    **ko.MESSAGES,
    **customer_ko.MESSAGES,
    **voc_ko.MESSAGES,
    **roadmap_ko.MESSAGES,
    **digest_ko.MESSAGES,
    **reminders_ko.MESSAGES,
    **nudges_ko.MESSAGES,
    **home_ko.MESSAGES,
    **kpi_ko.MESSAGES,
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
    """The message `key` in `locale` with `params` filled in; falls back to English, never raises. In Korean a
    particle written for either ending (`{customer}이(가)`) becomes the one the word before it takes."""
    catalog = CATALOGS.get(locale, EN)
    template = catalog.get(key) or EN.get(key)
    if template is None:
        raise KeyError(f"message {key!r} is in no catalog")
    try:
        out = template.format(**params)
    except (KeyError, IndexError, ValueError):
        return EN[key].format(**params) if key in EN else template
    return with_particles(out) if catalog is KO and "(" in out else out


def t_count(locale: str, key: str, count: int, /, **params: object) -> str:
    """`key` for `count` things: `key.one` when `count` is 1 (English "renews tomorrow", not "in 1 days"),
    otherwise `key`; `count` is passed as `{count}` unless the params name it otherwise."""
    chosen = f"{key}.one" if count == 1 and has(f"{key}.one") else key
    return t(locale, chosen, **{"count": count, **params})


# Korean particles whose form depends on whether the word before ends in a consonant (받침):
# written `이(가)` in a template, resolved against the filled-in word.
_PARTICLES = {"이(가)": ("이", "가"), "을(를)": ("을", "를"), "은(는)": ("은", "는"), "와(과)": ("과", "와")}
_PARTICLE_RE = re.compile(r"([^\W_]{1,2})(\.?[*_\u200b'’”\")\]]*)(이\(가\)|을\(를\)|은\(는\)|와\(과\)|\(으\)로)")
# 영 일 이 삼 사 오 육 칠 팔 구
_DIGIT_BATCHIM = dict(zip("0123456789", (True, True, False, True, False, False, True, True, True, False), strict=True))
_DIGIT_RIEUL = {"1", "7", "8"}  # 일 칠 팔: ㄹ, which takes 로, not 으로


def _ending(tail: str) -> tuple[bool, bool]:
    """(ends in a consonant, that consonant is ㄹ) for a word ending in `tail` (its last one or two letters) as
    Koreans read it: a Hangul syllable's final, a digit's Korean name, a Latin word's usual transliteration
    (…l, …le, …m, …n, …ng end in 받침: Google 구글, Zoom 줌; the rest mostly in a vowel: Acme 애크미)."""
    ch = tail[-1]
    if "가" <= ch <= "힣":
        final = (ord(ch) - 0xAC00) % 28
        return final != 0, final == 8
    if ch in _DIGIT_BATCHIM:
        return _DIGIT_BATCHIM[ch], ch in _DIGIT_RIEUL
    low = tail.lower()
    if low.endswith("le"):
        return True, True
    return low[-1] in "lmn", low[-1] == "l"


def with_particles(text: str) -> str:
    """`text` with each `이(가)`, `을(를)`, `은(는)`, `와(과)` and `(으)로` after a word made the one that word
    takes: `삼성전자이(가)` -> `삼성전자가`, `Acme Corp.을(를)` reads the last letter, skipping closing marks."""

    def pick(m: re.Match) -> str:
        last, marks, particle = m.group(1), m.group(2), m.group(3)  # `Corp.`: the letter before the dot decides
        batchim, rieul = _ending(last)
        if particle == "(으)로":
            chosen = "으로" if batchim and not rieul else "로"
        else:
            chosen = _PARTICLES[particle][0 if batchim else 1]
        return last + marks + chosen

    return _PARTICLE_RE.sub(pick, text)


def has(key: str) -> bool:
    """Whether the catalog defines `key` (optional texts such as field hints)."""
    return key in EN


def placeholders(template: str) -> set[str]:
    """Names used as {name} in a template (for the catalog consistency test)."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def format_time(moment: time | datetime, locale: str) -> str:
    """A clock time as people write it: `3:00 PM` (12-hour, as en-US reads it) / `오후 3:00`."""
    hour, minute = moment.hour, moment.minute
    twelve = hour % 12 or 12
    if locale == "ko":
        return f"{'오전' if hour < 12 else '오후'} {twelve}:{minute:02d}"
    return f"{twelve}:{minute:02d} {'AM' if hour < 12 else 'PM'}"


def format_range(start: date, end: date, locale: str, *, year: bool = True) -> str:
    """Two dates as one span, each part said once: `Nov 30 – Dec 6, 2026`, `Dec 1 – 7, 2026`, `Dec 28, 2026 –
    Jan 3, 2027` / `2026년 11월 30일 – 12월 6일`, `2026년 12월 1일 – 7일` (without `year`: no year when both are
    in one)."""
    same_year = start.year == end.year
    if locale == "ko":
        head = f"{start.year}년 " if year or not same_year else ""
        if not same_year:
            return f"{head}{start.month}월 {start.day}일 – {end.year}년 {end.month}월 {end.day}일"
        tail = f"{end.day}일" if start.month == end.month else f"{end.month}월 {end.day}일"
        return f"{head}{start.month}월 {start.day}일 – {tail}"
    if not same_year:
        return f"{start.strftime('%b')} {start.day}, {start.year} – {end.strftime('%b')} {end.day}, {end.year}"
    tail = f"{end.day}" if start.month == end.month else f"{end.strftime('%b')} {end.day}"
    return f"{start.strftime('%b')} {start.day} – {tail}" + (f", {end.year}" if year else "")


def format_date(d: date | None, locale: str) -> str:
    """A date as people write it: `Dec 1, 2026` / `2026년 12월 1일`."""
    if d is None:
        return "—"
    if locale == "ko":
        return f"{d.year}년 {d.month}월 {d.day}일"
    return f"{d.strftime('%b')} {d.day}, {d.year}"
