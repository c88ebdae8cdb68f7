"""One Korean glossary (issue 13 item 2): every Korean message uses one word per idea, particles chosen for the
word they follow, parts and days as people write them; English spells days out. The glossary is the README's
("Korean glossary"); this test keeps the catalog to it."""

import re

import pytest

from bot.i18n import EN, KO, placeholders, t, t_count, with_particles

# The word Baton uses, and the variants it must not (they name the same thing differently, or collide).
GLOSSARY = {
    "갱신": ("재계약",),  # renewal (갱신일: renewal date); "D-60" for "renews in 60 days", never "60일 전"
    "헬스 스코어": ("건강도", "건강 점수", "상태 점수"),  # the health score
    "미완료": ("진행 중인 약속", "진행 중 {open}건"),  # open promises (진행 중 is the in-progress status)
    "출시 전 항목": ("진행 중인 로드맵 항목", "진행 중인 항목"),  # open roadmap items: planned or in progress
    "인계": ("핸드오프",),  # the handoff
    "리마인더": ("독촉",),  # a nudge
    "기한 초과": ("기한 지남",),  # overdue
}
FORBIDDEN_ANYWHERE = ("회원님", "개 중", "번째)", "이(가)", "을(를)", "은(는)", "와(과)")


@pytest.mark.parametrize("word", sorted(GLOSSARY))
def test_korean_uses_one_word_per_idea(word):
    bad = {k: v for k, v in KO.items() if any(variant in v for variant in GLOSSARY[word])}
    assert bad == {}, f"use {word!r}"


def test_companies_are_counted_with_곳_and_renewals_never_read_as_ago():
    bad = {k: v for k, v in KO.items() if re.search(r"고객[^.\n]{0,15}[\d}]\s*명|고객이 여러 명", v)}
    assert bad == {}
    ago = {k: v for k, v in KO.items() if re.search(r"갱신[^.\n]{0,3}\{\w+\}일 전", v)}
    assert ago == {}


def test_english_spells_days_out():
    bad = {k: v for k, v in EN.items() if re.search(r"\{\w+\} ?d\b", v)}
    assert bad == {}


def _sample(name: str, word: str) -> object:
    return 3 if name in {"count", "n", "days", "total", "limit", "line", "step", "part", "parts"} else word


@pytest.mark.parametrize("word", ["삼성전자", "카카오뱅크", "Acme", "Google", "ACME Corp."])
def test_no_korean_message_shows_a_particle_for_either_ending(word):
    """Filled in, no message reads `이(가)`-style: the particle is the one the word takes, and no catalog text
    uses the machine phrasings the glossary bans."""
    bad = {}
    for key in KO:
        out = t("ko", key, **{p: _sample(p, word) for p in placeholders(EN[key])})
        if any(f in out for f in FORBIDDEN_ANYWHERE):
            bad[key] = out
    assert bad == {}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("삼성전자이(가) 왜", "삼성전자가 왜"),
        ("카카오뱅크을(를)", "카카오뱅크를"),
        ("현대차은(는)", "현대차는"),
        ("LG전자와(과)", "LG전자와"),
        ("우리은행이(가)", "우리은행이"),
        ("우리은행을(를)", "우리은행을"),
        ("서울(으)로", "서울로"),
        ("부산(으)로", "부산으로"),
        ("기한 12월 1일이(가)", "기한 12월 1일이"),
        ("2일이(가)", "2일이"),
        ("Acme이(가)", "Acme가"),
        ("Google을(를)", "Google을"),
        ("Zoom은(는)", "Zoom은"),
        ("ACME Corp.이(가)", "ACME Corp.가"),
        ("*삼성전자*\u200b이(가)", "*삼성전자*\u200b가"),
        ("‘우리은행’은(는)", "‘우리은행’은"),
    ],
)
def test_particles_follow_the_word(text, expected):
    assert with_particles(text) == expected


def test_counts_pick_the_singular_where_english_has_one():
    assert t_count("en", "digest.renewal.in", 1, days=1) == "renews tomorrow"
    assert t_count("en", "digest.renewal.in", 60, days=60) == "renews in 60 days"
    assert t_count("ko", "digest.renewal.in", 60, days=60) == "갱신 D-60"
    assert t_count("ko", "digest.renewal.past", 1, days=1) == "갱신일 하루 지남"


@pytest.mark.parametrize(
    ("start", "end", "en", "ko"),
    [
        ((2026, 11, 30), (2026, 12, 6), "Nov 30 – Dec 6, 2026", "2026년 11월 30일 – 12월 6일"),
        ((2026, 12, 1), (2026, 12, 7), "Dec 1 – 7, 2026", "2026년 12월 1일 – 7일"),
        ((2026, 12, 28), (2027, 1, 3), "Dec 28, 2026 – Jan 3, 2027", "2026년 12월 28일 – 2027년 1월 3일"),
    ],
)
def test_a_week_is_written_as_its_dates(start, end, en, ko):
    """The digest names its week by its dates ("week of Nov 30 – Dec 6"), not an ISO week number."""
    from datetime import date

    from bot.i18n import format_range

    assert format_range(date(*start), date(*end), "en") == en
    assert format_range(date(*start), date(*end), "ko") == ko
