import dataclasses
from datetime import date

import pytest

from bot.services.parsing import (
    NONE_WORDS,
    LineError,
    ParsedCriterion,
    ParsedPromise,
    ParsedStakeholder,
    is_none_answer,
    parse_date,
    parse_promises,
    parse_stakeholders,
    parse_success_criteria,
    role_key,
)

TODAY = date(2026, 6, 1)


def P(text, user=None, name=None, due=None):
    return ParsedPromise(text=text, owner_user_id=user, owner_name=name, due_date=due)


def S(role, name, title=None, email=None, key=None):
    return ParsedStakeholder(role=role, name=name, title=title, email=email, role_key=key)


def C(text, metric=None, baseline=None, target=None):
    return ParsedCriterion(text=text, metric=metric, baseline=baseline, target=target)


# ------------------------------------------------------------------------------------------- none answers


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        *((word, True) for word in sorted(NONE_WORDS)),
        ("None", True),
        ("N/A", True),
        ("  NA  ", True),
        ("none.", True),
        ("해당  없음", True),
        ("ＮＯＮＥ", True),
        ("", False),
        ("   ", False),
        (None, False),
        ("nothing special", False),
        ("none of the above", False),
        ("없음?", False),
        ("--", False),
    ],
)
def test_is_none_answer(text, expected):
    """Only a whole-answer none-word (any case or width) counts as "nothing"."""
    assert is_none_answer(text) is expected


# -------------------------------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-01", date(2026, 12, 1)),
        ("2026/12/01", date(2026, 12, 1)),
        ("2026.12.01", date(2026, 12, 1)),
        ("2026.12.01.", date(2026, 12, 1)),
        ("2026-1-5", date(2026, 1, 5)),
        ("2026년 12월 1일", date(2026, 12, 1)),
        ("2026년12월1일", date(2026, 12, 1)),
        ("２０２６－１２－０１", date(2026, 12, 1)),
        ("12월 1일", date(2026, 12, 1)),
        ("6월 1일", date(2026, 6, 1)),
        ("3월 1일", date(2027, 3, 1)),
        ("2026-02-30", None),
        ("2026-13-01", None),
        ("2026-12/01", None),
        ("12/01/2026", None),
        ("next friday", None),
        ("", None),
    ],
)
def test_parse_date(text, expected):
    """ISO-like and Korean dates parse; year-less Korean dates roll to the next occurrence."""
    assert parse_date(text, TODAY) == expected


# ----------------------------------------------------------------------------------------------- promises


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SSO integration", [P("SSO integration")]),
        ("SSO integration | Jane Kim", [P("SSO integration", name="Jane Kim")]),
        ("SSO | <@U123>", [P("SSO", user="U123")]),
        ("SSO | <@W0ABC|jane>", [P("SSO", user="W0ABC")]),
        ("SSO | <@U123> | 2026-12-01", [P("SSO", user="U123", due=date(2026, 12, 1))]),
        ("SSO | Jane | 2026-12-01", [P("SSO", name="Jane", due=date(2026, 12, 1))]),
        ("SSO | | 2026-12-01", [P("SSO", due=date(2026, 12, 1))]),
        ("SSO | 2026-12-01", [P("SSO", due=date(2026, 12, 1))]),
        ("SSO | - | 2026-12-01", [P("SSO", due=date(2026, 12, 1))]),
        ("SSO | Jane | 2026/12/01", [P("SSO", name="Jane", due=date(2026, 12, 1))]),
        ("SSO | Jane | 2026.12.01", [P("SSO", name="Jane", due=date(2026, 12, 1))]),
        ("SSO | 김민수 | 2026년 12월 1일", [P("SSO", name="김민수", due=date(2026, 12, 1))]),
        ("SSO 연동 | | 12월 1일", [P("SSO 연동", due=date(2026, 12, 1))]),
        ("SSO 2026-12-01", [P("SSO", due=date(2026, 12, 1))]),
        ("SSO - 2026-12-01", [P("SSO", due=date(2026, 12, 1))]),
        ("SSO (due 2026-12-01)", [P("SSO", due=date(2026, 12, 1))]),
        ("SSO by 2026-12-01", [P("SSO", due=date(2026, 12, 1))]),
        ("SSO 연동 2026년 12월 1일까지", [P("SSO 연동", due=date(2026, 12, 1))]),
        ("SSO | Jane 2026-12-01", [P("SSO", name="Jane 2026-12-01")]),
        ("Release v12026-12-01", [P("Release v12026-12-01")]),
        ("Due today | | 2026-06-01", [P("Due today", due=TODAY)]),
        ("SSO ｜ Jane", [P("SSO", name="Jane")]),
        ("See <https://x.io/sow|SOW> | Jane", [P("See <https://x.io/sow|SOW>", name="Jane")]),
        ("10% discount 🎉 | <@U1>", [P("10% discount 🎉", user="U1")]),
        (
            "- first\n\n* second | Jane\n1. third\n2) fourth",
            [P("first"), P("second", name="Jane"), P("third"), P("fourth")],
        ),
        ("first\nn/a\nsecond", [P("first"), P("second")]),
        ("x" * 300, [P("x" * 300)]),
        ("", []),
        ("   \n  ", []),
        ("none", []),
        ("N/A", []),
        ("없음", []),
        ("해당 없음", []),
    ],
)
def test_parse_promises(text, expected):
    """Pipe form, trailing dates, mentions and none-answers parse as documented."""
    assert parse_promises(text, TODAY) == expected


def test_parse_promises_allows_twenty():
    """Exactly twenty promises is the maximum that fits."""
    assert len(parse_promises("\n".join(f"p{i}" for i in range(20)), TODAY)) == 20


@pytest.mark.parametrize(
    ("text", "line_no", "code", "value"),
    [
        ("SSO | Jane | 2026-02-30", 1, "bad_date", "2026-02-30"),
        ("SSO | Jane | tomorrow", 1, "bad_date", "tomorrow"),
        ("ok\nSSO | | 12/01/2026", 2, "bad_date", "12/01/2026"),
        ("SSO 2026-13-01", 1, "bad_date", "2026-13-01"),
        ("SSO | Jane | 2026-05-31", 1, "past_date", "2026-05-31"),
        ("SSO 2025-01-01", 1, "past_date", "2025-01-01"),
        ("ok\n\n" + "x" * 301, 3, "too_long", "x" * 301),
        ("SSO | " + "j" * 101, 1, "too_long", "j" * 101),
        ("\n".join(f"p{i}" for i in range(21)), 21, "too_many", "p20"),
        ("| Jane | 2026-12-01", 1, "empty_text", "| Jane | 2026-12-01"),
        ("2026-12-01", 1, "empty_text", "2026-12-01"),
        ("a | b | 2026-12-01 | d", 1, "bad_format", "a | b | 2026-12-01 | d"),
    ],
)
def test_parse_promises_errors(text, line_no, code, value):
    """Each bad line raises LineError with its 1-based number, code and value."""
    with pytest.raises(LineError) as info:
        parse_promises(text, TODAY)
    assert (info.value.line_no, info.value.code, info.value.value) == (line_no, code, value)
    assert isinstance(info.value, ValueError)


# ------------------------------------------------------------------------------------------- stakeholders


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Champion: Jane Kim, VP Ops, jane@acme.com",
            [S("Champion", "Jane Kim", "VP Ops", "jane@acme.com", "champion")],
        ),
        ("Jane Kim, CTO", [S(None, "Jane Kim", "CTO")]),
        ("Jane Kim", [S(None, "Jane Kim")]),
        ("Jane Kim, jane@acme.com", [S(None, "Jane Kim", None, "jane@acme.com")]),
        (
            "경제적 구매자: 김민수, 대표이사, ms@acme.co.kr",
            [S("경제적 구매자", "김민수", "대표이사", "ms@acme.co.kr", "economic_buyer")],
        ),
        ("Economic Buyer: Bob", [S("Economic Buyer", "Bob", key="economic_buyer")]),
        ("EB: Bob", [S("EB", "Bob", key="economic_buyer")]),
        ("Day-to-day: Ann, PM", [S("Day-to-day", "Ann", "PM", key="day_to_day")]),
        ("day to day contact: Ann", [S("day to day contact", "Ann", key="day_to_day")]),
        ("실무 담당자: 이영희, 과장", [S("실무 담당자", "이영희", "과장", key="day_to_day")]),
        ("Technical contact: Lee, Eng", [S("Technical contact", "Lee", "Eng", key="technical")]),
        ("기술 담당자: 박지훈", [S("기술 담당자", "박지훈", key="technical")]),
        ("챔피언: 최수진", [S("챔피언", "최수진", key="champion")]),
        ("Executive sponsor: Kim", [S("Executive sponsor", "Kim")]),
        ("Champion：Jane，VP", [S("Champion", "Jane", "VP", key="champion")]),
        ("Jane, VP, Operations, j@a.io", [S(None, "Jane", "VP, Operations", "j@a.io")]),
        (
            "Champion: Jane Kim <jane@acme.com>, VP",
            [S("Champion", "Jane Kim", "VP", "jane@acme.com", "champion")],
        ),
        ("Jane, CTO, <mailto:j@a.io|j@a.io>", [S(None, "Jane", "CTO", "j@a.io")]),
        (
            "- Champion: Jane\n\n* Technical: Lee",
            [S("Champion", "Jane", key="champion"), S("Technical", "Lee", key="technical")],
        ),
        ("Champion: Jane\nTechnical: n/a", [S("Champion", "Jane", key="champion")]),
        ("Jane 🎉, Head of Fun", [S(None, "Jane 🎉", "Head of Fun")]),
        ("n" * 100 + ", " + "t" * 100, [S(None, "n" * 100, "t" * 100)]),
        ("", []),
        ("none", []),
        ("없습니다", []),
    ],
)
def test_parse_stakeholders(text, expected):
    """Roles, names, titles and emails are split and roles normalised."""
    assert parse_stakeholders(text) == expected


@pytest.mark.parametrize(
    ("text", "line_no", "code", "value"),
    [
        ("Champion:", 1, "empty_name", "Champion:"),
        (", CTO", 1, "empty_name", ", CTO"),
        ("ok\nChampion: , CTO, a@b.co", 2, "empty_name", "Champion: , CTO, a@b.co"),
        ("Jane, CTO, jane@", 1, "bad_email", "jane@"),
        ("Jane, CTO, jane@acme", 1, "bad_email", "jane@acme"),
        ("Jane, a@b.co, c@d.co", 1, "bad_email", "c@d.co"),
        ("Jane, CTO, jane @acme.com", 1, "bad_email", "jane @acme.com"),
        ("n" * 101, 1, "too_long", "n" * 101),
        ("Jane, " + "t" * 101, 1, "too_long", "t" * 101),
        ("\n".join(f"Person {i}" for i in range(21)), 21, "too_many", "Person 20"),
    ],
)
def test_parse_stakeholders_errors(text, line_no, code, value):
    """Bad stakeholder lines raise LineError with the line, code and value."""
    with pytest.raises(LineError) as info:
        parse_stakeholders(text)
    assert (info.value.line_no, info.value.code, info.value.value) == (line_no, code, value)


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("Champion", "champion"),
        ("CHAMPION", "champion"),
        ("Economic buyer", "economic_buyer"),
        ("economic-buyer", "economic_buyer"),
        ("decision maker", "economic_buyer"),
        ("경제적구매자", "economic_buyer"),
        ("의사결정권자", "economic_buyer"),
        ("Day to day", "day_to_day"),
        ("POC", "day_to_day"),
        ("담당자", "day_to_day"),
        ("Tech contact", "technical"),
        ("기술 책임자", "technical"),
        ("Procurement", None),
        ("", None),
        (None, None),
    ],
)
def test_role_key(role, expected):
    """English and Korean role labels map to the four role keys."""
    assert role_key(role) == expected


# --------------------------------------------------------------------------------------- success criteria


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Reduce churn", [C("Reduce churn")]),
        ("Goal: reduce churn", [C("Goal: reduce churn")]),
        ("Time to onboard 30 -> 7 days", [C("Time to onboard 30 -> 7 days")]),
        (
            "Onboarding time: 30 days -> 7 days",
            [C("Onboarding time: 30 days -> 7 days", "Onboarding time", "30 days", "7 days")],
        ),
        ("NPS: 20 → 50", [C("NPS: 20 → 50", "NPS", "20", "50")]),
        ("NPS: 20=>50", [C("NPS: 20=>50", "NPS", "20", "50")]),
        ("NPS: -> 50", [C("NPS: -> 50", "NPS", None, "50")]),
        ("활성 사용자: 10명 → 100명", [C("활성 사용자: 10명 → 100명", "활성 사용자", "10명", "100명")]),
        ("응답 시간：4시간 → 1시간", [C("응답 시간：4시간 → 1시간", "응답 시간", "4시간", "1시간")]),
        (
            "1. Adoption: 40% -> 80%\n\n- Tickets: 50 -> 10\n* Go live 🚀",
            [
                C("Adoption: 40% -> 80%", "Adoption", "40%", "80%"),
                C("Tickets: 50 -> 10", "Tickets", "50", "10"),
                C("Go live 🚀"),
            ],
        ),
        ("x" * 300, [C("x" * 300)]),
        ("", []),
        ("n/a", []),
        ("해당 없음", []),
    ],
)
def test_parse_success_criteria(text, expected):
    """Free text and `metric: baseline -> target` lines parse into criteria."""
    assert parse_success_criteria(text) == expected


@pytest.mark.parametrize(
    ("text", "line_no", "code", "value"),
    [
        ("a\nb\nc\nd", 4, "too_many", "d"),
        ("a\n\nb\n\nc\n\nd", 7, "too_many", "d"),
        (": 1 -> 2", 1, "bad_format", ": 1 -> 2"),
        ("NPS: 30 ->", 1, "bad_format", "NPS: 30 ->"),
        ("ok\n" + "x" * 301, 2, "too_long", "x" * 301),
        ("m" * 101 + ": 1 -> 2", 1, "too_long", "m" * 101),
    ],
)
def test_parse_success_criteria_errors(text, line_no, code, value):
    """More than three lines or a malformed metric line raises LineError."""
    with pytest.raises(LineError) as info:
        parse_success_criteria(text)
    assert (info.value.line_no, info.value.code, info.value.value) == (line_no, code, value)


@pytest.mark.parametrize(
    "row",
    [P("x"), S(None, "Jane"), C("x")],
)
def test_rows_are_frozen(row):
    """Parsed rows are immutable dataclasses."""
    with pytest.raises(dataclasses.FrozenInstanceError):
        row.text = "y"  # type: ignore[misc]


def test_line_error_message():
    """LineError's message names the line and code."""
    err = LineError(3, "bad_date", "2026-02-30")
    assert str(err) == "line 3: bad_date: '2026-02-30'"
