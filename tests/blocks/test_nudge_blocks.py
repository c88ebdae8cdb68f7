"""Nudge and meeting builders stay within Slack's limits under worst-case data (500 at-risk customers with long
Korean names, 3,000-character promises, hostile text), in English and Korean, and say what they left out."""

import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from slack_sdk.models.blocks import Block

from bot.blocks import meeting as mb
from bot.blocks import nudges as nb
from bot.i18n import CATALOGS
from bot.viewdata import meeting as vm
from tests.blocks.test_customer_blocks import NASTY

LOCALES = ("en", "ko")
LONG_KO = ("삼성전자주식회사" * 40)[:255]
TEXT_3000 = (NASTY + "고객에게 한 약속 " * 400)[:3000]
TODAY = date(2026, 3, 4)
MEETING = datetime(2026, 3, 5, 15, 0, tzinfo=ZoneInfo("Asia/Seoul"))
N = 500


def worst_agenda() -> vm.Agenda:
    big = Decimal("999999999999.99")
    return vm.Agenda(
        meeting=MEETING,
        tz="America/Argentina/ComodRivadavia",
        at_risk=[
            vm.RiskItem(2**31 - i, f"{NASTY}{LONG_KO}", "unhealthy", 0.0, big, "KRW", TODAY, "U" + "X" * 30)
            for i in range(N)
        ],
        handoffs=[
            vm.HandoffItem(i, LONG_KO, big, "EUR", "U" + "Y" * 30, TODAY, f"https://slack.com/archives/C1/p{i:016d}")
            for i in range(N)
        ],
        themes=[
            vm.ThemeItem("제목" * 75, 10_000, (("KRW", big), ("USD", big), ("EUR", big)), 9_999, 9_999, "https://x")
            for _ in range(mb.MAX_THEMES)
        ],
        renewals=[
            vm.RenewalItem(i, LONG_KO, TODAY + timedelta(days=i % 91), i % 91, big, "JPY", "at_risk", None)
            for i in range(N)
        ],
        promises=[
            vm.PromiseItem(LONG_KO, TEXT_3000, "U" + "Z" * 30, TODAY - timedelta(days=999), 999, None) for _ in range(N)
        ],
        tasks=[vm.TaskItem(i, LONG_KO, "activation", TODAY - timedelta(days=99), 99, None) for i in range(N)],
        theme_count=N,
    )


def dumped(blocks: list[dict]) -> list[dict]:
    return json.loads(json.dumps(blocks))


def check_blocks(blocks: list[dict], limit: int) -> None:
    """Every block parses and validates with slack_sdk, and the limits slack_sdk does not check hold too."""
    assert 0 < len(blocks) <= limit
    block_ids = [b["block_id"] for b in blocks if "block_id" in b]
    assert len(block_ids) == len(set(block_ids)) and all(len(i) <= 255 for i in block_ids)
    for raw in blocks:
        parsed = Block.parse(raw)
        assert parsed is not None and type(parsed) is not Block, raw
        parsed.validate_json()
        kind = raw["type"]
        if kind == "section":
            assert len(raw.get("text", {}).get("text", "")) <= 3000
            accessory = raw.get("accessory")
            if accessory:
                assert len(accessory["text"]["text"]) <= 75 and len(accessory.get("value", "")) <= 2000
        elif kind == "header":
            assert len(raw["text"]["text"]) <= 150
        elif kind == "context":
            assert len(raw["elements"]) <= 10 and all(len(e["text"]) <= 3000 for e in raw["elements"])
        elif kind == "actions":
            assert len(raw["elements"]) <= 25
            ids = [e["action_id"] for e in raw["elements"]]
            assert len(ids) == len(set(ids))
            for e in raw["elements"]:
                if e["type"] == "button":
                    assert len(e["text"]["text"]) <= 75 and len(e.get("value", "")) <= 2000
                else:
                    assert e["type"] == "overflow" and 2 <= len(e["options"]) <= 5
                    assert all(len(o["text"]["text"]) <= 75 and len(o["value"]) <= 150 for o in e["options"])
        assert "<!channel>" not in json.dumps(raw) and "<http://evil" not in json.dumps(raw)


@pytest.mark.parametrize("locale", LOCALES)
def test_agenda_within_limits_with_worst_case_data(locale):
    """500 rows in every section, 255-character Korean names and 3,000-character promises: one valid message."""
    blocks, text = mb.meeting_agenda(worst_agenda(), locale)
    check_blocks(dumped(blocks), 50)
    assert 0 < len(text) <= 3000
    raw = json.dumps(blocks, ensure_ascii=False)
    assert "<!channel>" not in raw and "@here" not in raw.replace("@\u200dhere", "")


@pytest.mark.parametrize("locale", LOCALES)
def test_agenda_caps_each_section_and_counts_the_rest(locale):
    """At most MAX_* rows per section, each followed by "…and N more" for what was left out."""
    blocks, _ = mb.meeting_agenda(worst_agenda(), locale)
    raw = json.dumps(blocks, ensure_ascii=False)
    cards = [b for b in blocks if b.get("accessory", {}).get("action_id") == "reminder_open_card"]
    assert len(cards) == mb.MAX_AT_RISK + mb.MAX_RENEWALS + mb.MAX_TASKS
    more = CATALOGS[locale]["nudges.meeting.more"]
    for shown in (mb.MAX_TASKS, mb.MAX_THEMES):
        assert more.format(count=N - shown) in raw
    more_arr = CATALOGS[locale]["nudges.meeting.more_arr"].split("{arr}")[0]
    assert mb.MAX_AT_RISK == mb.MAX_RENEWALS  # both sections end with the same "…and 492 more (ARR)"
    assert raw.count(more_arr.format(count=N - mb.MAX_AT_RISK)) == 2
    # list sections hold what fits in 3,000 characters and count the rest
    promises = next(b for b in blocks if b.get("text", {}).get("text", "").startswith("*🤝"))
    lines = promises["text"]["text"].split("\n")
    listed = sum(1 for line in lines if line.startswith("• "))
    assert 0 < listed <= mb.MAX_PROMISES and lines[-1] == more.format(count=N - listed)


def test_agenda_rows_link_to_their_cards():
    """Customers carry an Open card button with their id; handoffs, promises and requests link to their message."""
    agenda = vm.Agenda(
        meeting=MEETING,
        tz="Asia/Seoul",
        at_risk=[vm.RiskItem(7, "Acme", "at_risk", 45.4, Decimal("120000"), "USD", date(2026, 5, 1), "U_CSM")],
        handoffs=[
            vm.HandoffItem(3, "Globex", None, None, "U_AE", date(2026, 3, 2), vm.card_url("C0CS", "1772442000.000100"))
        ],
        themes=[vm.ThemeItem("SSO", 2, (("USD", Decimal("950000")),), 1, 0, vm.card_url("C0RM", "17.5"))],
        renewals=[vm.RenewalItem(8, "Initech", TODAY, 0, Decimal("5000"), "USD", None, None)],
        promises=[vm.PromiseItem("Acme", "SSO by March", "U_AE", date(2026, 3, 2), 2, vm.card_url("C0CS", "1.2"))],
        tasks=[vm.TaskItem(7, "Acme", "kickoff", date(2026, 2, 27), 5, "U_CSM")],
        theme_count=1,
    )
    blocks, text = mb.meeting_agenda(agenda, "en")
    check_blocks(dumped(blocks), 50)
    raw = json.dumps(blocks, ensure_ascii=False)
    assert "*Acme* · At risk (45) · $120K · renews May 1, 2026 · <@U_CSM>" in raw
    assert "<https://slack.com/archives/C0CS/p1772442000000100|Globex> · submitted Mar 2, 2026 by <@U_AE>" in raw
    assert "<https://slack.com/archives/C0RM/p175|*SSO*> · 2 customers · $950K · 1 at risk or unhealthy" in raw
    assert "*Initech* · Mar 4, 2026 (today) · $5K · no owner" in raw
    assert "<https://slack.com/archives/C0CS/p12|Acme>: “SSO by March” · <@U_AE> · due Mar 2, 2026" in raw
    assert "*Acme* · Kickoff · due Feb 27, 2026 (5 days overdue) · <@U_CSM>" in raw
    buttons = [json.loads(b["accessory"]["value"])["c"] for b in blocks if "accessory" in b]
    assert buttons == [7, 8, 7]
    assert text == (
        "📋 Cross-team meeting Thu, Mar 5, 2026 at 3:00 PM: 1 account at risk, 1 handoff waiting, "
        "1 renewal in 90 days, 1 overdue promise, 1 overdue onboarding task."
    )
    assert "Thu, Mar 5, 2026 at 3:00 PM (Asia/Seoul)" in raw


@pytest.mark.parametrize("locale", LOCALES)
def test_empty_agenda_says_so(locale):
    """No data: every section is there, saying there is nothing to discuss."""
    blocks, _ = mb.meeting_agenda(vm.Agenda(meeting=MEETING, tz="UTC"), locale)
    check_blocks(dumped(blocks), 50)
    raw = json.dumps(blocks, ensure_ascii=False)
    assert raw.count(CATALOGS[locale]["nudges.meeting.none"]) == 6


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("to_lead", [False, True])
def test_draft_nudge_within_limits(locale, to_lead):
    """Long names and deal names, a 255-character key: valid, with Fill handoff and the mute menu."""
    key = "nudge:draft:" + "9" * 243
    blocks, text = nb.draft_nudge(
        locale,
        key=key,
        kind="nudge.lead" if to_lead else "nudge.draft",
        handoff_id=2**31 - 1,
        customer_id=2**31 - 1,
        customer=NASTY + LONG_KO,
        deal=NASTY + LONG_KO,
        amount="₩1,000,000,000,000",
        age=nb.age_text(10_000, locale),
        ae=None,
        to_lead=to_lead,
    )
    check_blocks(dumped(blocks), 50)
    assert len(text) <= 3000
    assert blocks[0]["accessory"]["action_id"] == "handoff_fill"
    assert json.loads(blocks[1]["elements"][-1]["options"][0]["value"]) == {"a": "mute", "c": 2**31 - 1}


@pytest.mark.parametrize("locale", LOCALES)
def test_accept_nudge_within_limits(locale):
    """The channel post: card link and the card's own Accept button."""
    blocks, text = nb.accept_nudge(
        locale,
        handoff_id=12,
        customer=NASTY + LONG_KO,
        amount=None,
        ae=None,
        submitted=TODAY,
        age=nb.plural(locale, "bdays", 30),
        url=vm.card_url("C0CS", "1772442000.000100"),
    )
    check_blocks(dumped(blocks), 50)
    assert blocks[1]["elements"][0]["action_id"] == "handoff_accept" and blocks[1]["elements"][0]["value"] == "12"
    assert "https://slack.com/archives/C0CS/p1772442000000100" in blocks[0]["text"]["text"]


@pytest.mark.parametrize("locale", LOCALES)
def test_promise_nudge_within_limits(locale):
    """A 3,000-character hostile promise to a long Korean name: valid, with Open card and the mute menu."""
    blocks, text = nb.promise_nudge(
        locale,
        key="promise:1:overdue",
        kind="nudge.promise",
        customer_id=5,
        customer=LONG_KO,
        promise=TEXT_3000,
        due=TODAY,
        days_overdue=1,
        url=None,
        as_owner=True,
    )
    check_blocks(dumped(blocks), 50)
    assert len(text) <= 3000
    assert blocks[0]["accessory"]["action_id"] == "reminder_open_card"
    assert [e["action_id"] for e in blocks[-1]["elements"]] == ["reminder_menu"]


@pytest.mark.parametrize(
    ("hours", "en", "ko"),
    [(1.5, "1 hour", "1시간"), (24.9, "24 hours", "24시간"), (47.9, "47 hours", "47시간"), (72, "3 days", "3일")],
)
def test_age_text(hours, en, ko):
    """Whole hours under two days, whole days after, in both languages."""
    assert nb.age_text(hours, "en") == en and nb.age_text(hours, "ko") == ko


@pytest.mark.parametrize(
    ("days_ahead", "en", "ko"),
    [
        (0, "📋 Cross-team meeting today: agenda", "📋 오늘 부서 간 협업 회의 안건"),
        (1, "📋 Cross-team meeting tomorrow: agenda", "📋 내일 부서 간 협업 회의 안건"),
        (3, "📋 Cross-team meeting on Sat, Mar 7, 2026: agenda", "📋 2026년 3월 7일 (토) 부서 간 협업 회의 안건"),
    ],
)
def test_agenda_header_counts_the_days_from_when_it_is_read(days_ahead, en, ko):
    """The header says today, tomorrow or the date, from the day the agenda was read (it said "tomorrow" for any
    date); the time is 12-hour in English, 오전/오후 in Korean."""
    meeting = datetime(2026, 3, 4, 15, 30, tzinfo=ZoneInfo("Asia/Seoul")) + timedelta(days=days_ahead)
    agenda = vm.Agenda(meeting=meeting, tz="Asia/Seoul", today=TODAY)
    for locale, header, clock in (("en", en, "3:30 PM"), ("ko", ko, "오후 3:30")):
        blocks, text = mb.meeting_agenda(agenda, locale)
        assert blocks[0]["text"]["text"] == header
        assert clock in json.dumps(blocks, ensure_ascii=False) and clock in text


@pytest.mark.parametrize(
    ("hour", "minute", "en", "ko"),
    [(0, 5, "12:05 AM", "오전 12:05"), (9, 0, "9:00 AM", "오전 9:00"), (12, 0, "12:00 PM", "오후 12:00"),
     (23, 59, "11:59 PM", "오후 11:59")],
)  # fmt: skip
def test_format_time(hour, minute, en, ko):
    from bot.i18n import format_time

    moment = datetime(2026, 3, 4, hour, minute)
    assert (format_time(moment, "en"), format_time(moment, "ko")) == (en, ko)
