"""The digest's Block Kit: totals, crossings, onboarding, the worst customers with card buttons, and the rest
in dense thread replies, within Slack's limits whatever the data (500+ customers, long names, Korean)."""

import json
import re
from datetime import date
from decimal import Decimal

import pytest
from slack_sdk.models.blocks import Block

from bot.blocks import digest as db_
from bot.blocks import reminders
from bot.viewdata.digest import Crossing, Digest, Driver, Line, OverdueTask

DAY = date(2026, 11, 23)
LONG_EN = "Extremely Long & <Dangerous> Name Holdings International " * 6
LONG_KO = "대한민국 초장문 고객사 이름 주식회사 & <특수> " * 10


def line(i: int, band: str = "unhealthy", name: str | None = None, **kw) -> Line:
    fields = {
        "customer_id": i,
        "name": name if name is not None else f"C{i:04d} {LONG_KO if i % 2 else LONG_EN}"[:255],
        "band": band,
        "score": float(kw.pop("score", 10 + i % 29 if band == "unhealthy" else 40 + i % 29)),
        "change": -12.5 if i % 3 == 0 else (4.0 if i % 3 == 1 else None),
        "driver": Driver("license_utilisation", 33.0) if i % 4 else Driver("nps", 3.0),
        "owner_user_id": f"U{i:08d}" if i % 5 else None,
        "owner_email": None if i % 5 else "owner-with-a-very-long-address@example.co.kr",
        "arr": Decimal("123456789.50") if i % 2 else Decimal("250000"),
        "currency": "KRW" if i % 2 else "USD",
        "days_to_renewal": (i % 200) - 20,
    }
    fields.update(kw)
    return Line(**fields)


def crossing(i: int, before="healthy", after="at_risk") -> Crossing:
    return Crossing(10_000 + i, f"X{i:04d} {LONG_KO}"[:255], before, after, DAY)


def digest(n_unhealthy: int, n_at_risk: int, **kw) -> Digest:
    lines = [line(i) for i in range(n_unhealthy)] + [line(n_unhealthy + i, "at_risk") for i in range(n_at_risk)]
    lines.sort(key=lambda x: (x.band != "unhealthy", x.score, x.customer_id))
    fields = {
        "day": DAY,
        "week": "2026-W48",
        "scored": 10_000,
        "lines": tuple(lines),
        "counts": {"unhealthy": n_unhealthy, "at_risk": n_at_risk},
        "arr_at_risk": {"KRW": Decimal("30864197375"), "USD": Decimal("62500000")},
        "without_arr": 0,
    }
    fields.update(kw)
    return Digest(**fields)


def texts(blocks: list[dict]) -> list[str]:
    out = []
    for b in blocks:
        if "text" in b:
            out.append(b["text"]["text"])
        for e in b.get("elements", []):
            if "text" in e and isinstance(e["text"], str):
                out.append(e["text"])
    return out


def check_limits(parts) -> None:
    """Every part: at most 50 blocks, each valid for slack_sdk, sections within 3,000, text within 40,000."""
    for part in parts:
        assert 0 < len(part.blocks) <= 50
        assert 0 < len(part.text) <= 40_000
        for raw in part.blocks:
            block = Block.parse(raw)
            assert block is not None and type(block) is not Block
            block.validate_json()
            if raw["type"] == "section":
                assert len(raw["text"]["text"]) <= 3000
            if raw["type"] == "header":
                assert len(raw["text"]["text"]) <= 150
            if "accessory" in raw:
                assert len(raw["accessory"]["text"]["text"]) <= 75
        json.dumps(part.blocks)


def listed_ids(parts) -> list[int]:
    """Customer ids in the order they appear: buttons in the first part, `C0001` prefixes in the thread."""
    ids = []
    for raw in parts[0].blocks:
        if raw.get("accessory", {}).get("action_id") == reminders.OPEN_CARD:
            ids.append(json.loads(raw["accessory"]["value"])["c"])
    for part in parts[1:]:
        for text in texts(part.blocks):
            ids += [int(m) for m in re.findall(r"^• \*C(\d{4}) ", text, re.M)]
    return ids


@pytest.mark.parametrize("locale", ["en", "ko"])
def test_worst_case_500_customers_long_names_fits_and_lists_everyone_once(locale):
    """500 at-risk customers with 255-character English and Korean names: 1 message + 5 thread replies, all
    within Slack's limits, every customer exactly once, in order, the worst 10 in the channel message."""
    d = digest(200, 300, newly_at_risk=tuple(crossing(i) for i in range(300)))
    parts = db_.digest_parts(d, locale)
    check_limits(parts)
    assert len(parts) == 6
    assert listed_ids(parts) == [x.customer_id for x in d.lines]
    first = [x.customer_id for x in d.lines[: db_.FIRST_CUSTOMERS]]
    assert listed_ids(parts[:1]) == first
    assert [len(listed_ids([parts[0], p])) - 10 for p in parts[1:]] == [100, 100, 100, 100, 90]
    part2 = "\n".join(texts(parts[1].blocks))
    assert ("Part 2 of 6" if locale == "en" else "2/6") in part2
    assert parts[1].text == (
        "At-risk digest, week of Nov 17 – 23 (part 2 of 6)"
        if locale == "en"
        else "이탈 위험 다이제스트 (11월 17일 – 23일, 2/6)"
    )


def test_thousands_of_customers_are_capped_never_a_flood():
    """Past 10 thread replies the rest is one summary line, and the totals still count everyone."""
    d = digest(600, 2400)
    parts = db_.digest_parts(d, "en")
    check_limits(parts)
    assert len(parts) == 1 + db_.MAX_REPLIES
    assert len(listed_ids(parts)) == 10 + 10 * 100
    last = "\n".join(texts(parts[-1].blocks))
    assert "… and 1,990 more not listed here" in last
    summary = "\n".join(texts(parts[0].blocks))
    assert "*3,000 of 10,000* scored customers need attention: 🔴 Unhealthy *600* · 🟠 At risk *2,400*" in summary


def test_header_totals_and_dates_in_english():
    """The channel message opens with the week, the count per band, the ARR at risk per currency, the dates."""
    d = digest(2, 1, without_arr=1)
    parts = db_.digest_parts(d, "en")
    check_limits(parts)
    assert len(parts) == 1
    blocks = parts[0].blocks
    assert blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "At-risk digest · week of Nov 17 – 23, 2026", "emoji": True},
    }
    assert texts(blocks)[1] == (
        "*3 of 10,000* scored customers need attention: 🔴 Unhealthy *2* · 🟠 At risk *1*\n"
        "*ARR at risk:* ₩30.9B · $62.5M (1 without ARR)"
    )
    assert texts(blocks)[2] == "Scores as of Nov 23, 2026, change since Nov 16, 2026."
    assert parts[0].text == "At-risk digest, week of Nov 17 – 23: 2 Unhealthy, 1 At risk"


def test_header_totals_in_korean_use_korean_units():
    """In Korean, won amounts use 억/만 and the band names are the catalog's."""
    parts = db_.digest_parts(digest(1, 1), "ko")
    summary = texts(parts[0].blocks)[1]
    assert summary == (
        "헬스 스코어가 있는 고객 10,000곳 중 *2곳*\u200b에 주의가 필요합니다: 🔴 위험 *1* · 🟠 주의 *1*\n"
        "*위험 ARR:* 309억 원 · $62.5M"
    )
    assert parts[0].blocks[0]["text"]["text"] == "이탈 위험 고객 다이제스트 · 2026년 11월 17일 – 23일"


def test_customer_line_content():
    """A line: name (escaped), score with the week's change, top driver with its value, owner, ARR, renewal."""
    x = line(
        3,
        "at_risk",
        name="Acme <Labs> & Co",
        score=52.0,
        change=-12.5,
        owner_user_id="U_CSM",
        days_to_renewal=45,
        driver=Driver("nps", 3.0),
    )
    assert db_.customer_line(x, "en") == (
        "*Acme &lt;Labs&gt; &amp; Co* · Score 52 ▼13 · Top driver: NPS 3/10 · <@U_CSM> · ARR ₩123M · renews in 45 days"
    )
    y = line(
        4,
        "at_risk",
        name="한빛소프트",
        score=44.5,
        change=4.0,
        owner_user_id=None,
        owner_email=None,
        arr=None,
        days_to_renewal=-3,
        driver=Driver("license_utilisation", 33.0),
    )
    assert (
        db_.customer_line(y, "ko")
        == "*한빛소프트* · 스코어 45 ▲4 · 주요 원인: 라이선스 사용률 33% · 담당자 없음 · 갱신일 3일 지남"
    )
    z = line(5, "at_risk", name="Zed", change=None, driver=None, days_to_renewal=None, owner_user_id="U1")
    assert db_.customer_line(z, "en").startswith("*Zed* · Score 45 · <@U1> · ARR")


def test_first_part_buttons_open_each_customers_card():
    """The worst customers in the channel message each carry the shared Open card button with their id."""
    d = digest(3, 0)
    sections = [b for b in db_.digest_parts(d, "en")[0].blocks if "accessory" in b]
    assert [s["accessory"] for s in sections] == [reminders.open_card_button(x.customer_id, "en") for x in d.lines]
    assert sections[0]["text"]["text"].startswith("*C0000 ")


def test_crossings_are_called_out_and_long_lists_summarised():
    """Newly at risk, now Unhealthy and recovered customers are named; a long list ends with "and N more"."""
    d = digest(
        1,
        0,
        newly_at_risk=tuple(crossing(i) for i in range(200)),
        worsened=(Crossing(1, "Worse & Co", "at_risk", "unhealthy", DAY),),
        recovered=(Crossing(2, "Better Inc", "unhealthy", "healthy", DAY),),
    )
    [part] = db_.digest_parts(d, "en")
    check_limits([part])
    [text] = [x for x in texts(part.blocks) if x.startswith("*This week*")]
    newly, worse, recovered = text.split("\n")[1:]
    assert newly.startswith("📉 Newly at risk (200): X0000 ")
    assert re.search(r" and 1\d\d more$", newly)
    shown = len(re.findall(r"X\d{4}", newly))
    assert newly.endswith(f" and {200 - shown} more")
    assert worse == "🔻 Now Unhealthy (1): Worse &amp; Co"
    assert recovered == "📈 Recovered to Healthy (1): Better Inc"


def test_overdue_onboarding_listed_then_counted():
    """Overdue onboarding milestones are listed with days overdue and owner; past 10, the rest is counted."""
    tasks = tuple(
        OverdueTask(i, f"Newco {i}", ("kickoff", "activation", "training")[i % 3], date(2026, 11, 1), "U_CSM", 22)
        for i in range(14)
    )
    [part] = db_.digest_parts(digest(1, 0, overdue=tasks), "en")
    [text] = [x for x in texts(part.blocks) if x.startswith("*Overdue onboarding")]
    lines = text.split("\n")
    assert lines[0] == "*Overdue onboarding (14)*"
    assert lines[1] == "• *Newco 0*: Kickoff, 22 days overdue (due Nov 1, 2026) · <@U_CSM>"
    assert lines[2].startswith("• *Newco 1*: Product activation,")
    assert lines[-1] == "… and 4 more" and len(lines) == 12


@pytest.mark.parametrize(
    ("scored", "expected"),
    [
        (12, "✅ Nobody is At risk or Unhealthy (customers with a score: 12)."),
        (0, "No health scores were recorded in the 30 days up to Nov 23, 2026"),
    ],
)
def test_an_empty_week(scored, expected):
    """Nobody at risk: one short message that says so (or that there are no scores at all)."""
    d = digest(0, 0, scored=scored, arr_at_risk={}, recovered=(crossing(1, "at_risk", "healthy"),))
    [part] = db_.digest_parts(d, "en")
    check_limits([part])
    assert texts(part.blocks)[1].startswith(expected)
    assert part.text == "At-risk digest, week of Nov 17 – 23: nobody is At risk or Unhealthy"
    assert any(x.startswith("*This week*\n📈 Recovered to Healthy (1): X0001") for x in texts(part.blocks))
    assert not any("accessory" in b for b in part.blocks)


def test_the_service_builds_exactly_the_lines_the_blocks_can_show():
    """The digest service builds lines for MAX_LINES customers only: the message's and the thread replies' room."""
    from bot.blocks import digest as blocks
    from bot.viewdata.digest import MAX_LINES

    assert blocks.FIRST_CUSTOMERS + blocks.PART_CUSTOMERS * blocks.MAX_REPLIES == MAX_LINES


@pytest.mark.parametrize("locale", ["en", "ko"])
def test_one_mention_per_owner_in_the_summary_and_names_in_rows(locale):
    """The channel message mentions each owner once (with how many they own, most first, then how many have no
    owner); rows name the owner Baton knows by name, escaped; the thread replies mention nobody Baton can name."""
    lines = [line(i, owner_user_id=f"U{i % 3}", owner_name=f"Owner <{i % 3}> & co") for i in range(1, 30)]
    lines.append(line(30, owner_user_id=None, owner_email=None))
    d = digest(0, 0, lines=tuple(lines), counts={"unhealthy": 30, "at_risk": 0},
               owners=(("U1", 10), ("U2", 10), ("U0", 9)))  # fmt: skip
    parts = db_.digest_parts(d, locale)
    check_limits(parts)
    first = json.dumps(parts[0].blocks, ensure_ascii=False)
    expected = {
        "en": "👤 Owners: <@U1> (10) · <@U2> (10) · <@U0> (9) · 1 without an owner",
        "ko": "👤 담당자: <@U1> 10곳 · <@U2> 10곳 · <@U0> 9곳 · 담당자 없는 고객 1곳",
    }[locale]
    assert expected in first
    assert first.count("<@U1>") == 1 and "Owner &lt;1&gt; &amp; co" in first
    assert all("<@U" not in json.dumps(part.blocks) for part in parts[1:])


def test_many_owners_are_capped_in_the_summary():
    owners = tuple((f"U{i:010d}", 1) for i in range(1_010))
    d = digest(1_010, 0, owners=owners)
    parts = db_.digest_parts(d, "en")
    check_limits(parts)
    summary = next(b for b in parts[0].blocks if "Owners:" in json.dumps(b))
    assert json.dumps(summary).count("<@U") == db_.MAX_OWNERS and "and 970 more" in json.dumps(summary)


@pytest.mark.parametrize(
    ("days", "touches", "en", "ko"),
    [
        (0, True, "touched today", "오늘 활동"),
        (1, True, "last touch yesterday", "마지막 활동 어제"),
        (12, True, "last touch 12 days ago", "마지막 활동 12일 전"),
        (30, True, "⚠️ last touch 30 days ago", "⚠️ 마지막 활동 30일 전"),
        (None, True, "⚠️ no touch logged", "⚠️ 기록된 활동 없음"),
        (None, False, None, None),
    ],
)
def test_a_line_says_how_long_ago_the_customer_was_touched(days, touches, en, ko):
    touched = DAY.fromordinal(DAY.toordinal() - days) if days is not None else None
    x = line(3, "at_risk", name="Acme", last_touch=touched)
    for locale, expected in (("en", en), ("ko", ko)):
        text = db_.customer_line(x, locale, today=DAY, touches=touches)
        if expected is None:
            assert "touch" not in text and "활동" not in text
        else:
            assert text.endswith(" · " + expected)
