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
URGENT = 3  # of the at-risk rows, those needing action this week: both headings show
FX = ("USD", (("KRW", "0.00072"), ("EUR", "1.08"), ("JPY", "0.0066")))


def worst_agenda(fx=FX) -> vm.Agenda:
    big = Decimal("999999999999.99")
    return vm.Agenda(
        meeting=MEETING,
        tz="America/Argentina/ComodRivadavia",
        at_risk=[
            vm.RiskItem(
                2**31 - i,
                f"{NASTY}{LONG_KO}",
                "unhealthy",
                0.0,
                big,
                ("KRW", "USD")[i % 2],
                TODAY,
                "U" + "X" * 30,
                urgent=i < URGENT,
            )
            for i in range(N)
        ],
        handoffs=[
            vm.HandoffItem(i, LONG_KO, big, "EUR", "U" + "Y" * 30, TODAY, f"https://slack.com/archives/C1/p{i:016d}")
            for i in range(N)
        ],
        flagged=[
            vm.FlaggedItem(i, NASTY + LONG_KO, big, "EUR", "U" + "W" * 30, TODAY, TEXT_3000, None) for i in range(N)
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
        fx=fx,
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
@pytest.mark.parametrize("fx", [FX, None])
def test_agenda_within_limits_with_worst_case_data(locale, fx):
    """500 rows in every section (both at-risk headings), 255-character Korean names, 3,000-character promises
    and bad-fit reasons, mixed currencies with and without rates: one valid message."""
    blocks, text = mb.meeting_agenda(worst_agenda(fx), locale)
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
    for emoji in ("*🤝", "*🚩"):
        listing = next(b for b in blocks if b.get("text", {}).get("text", "").startswith(emoji))
        lines = listing["text"]["text"].split("\n")
        listed = sum(1 for line in lines if line.startswith("• "))
        assert 0 < listed <= mb.MAX_PROMISES == mb.MAX_FLAGGED and lines[-1] == more.format(count=N - listed)
    # nothing is empty: no closing "nothing to discuss" line
    assert CATALOGS[locale]["nudges.meeting.nothing"].split(":")[0] not in raw


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


@pytest.mark.parametrize(
    ("locale", "line"),
    [
        (
            "en",
            "Nothing to discuss: accounts at risk · handoffs waiting · bad-fit flags · customer requests · renewals"
            " · overdue promises · onboarding tasks",
        ),
        (
            "ko",
            "논의할 항목 없음: 이탈 위험 고객 · 수락 대기 인계 · 부적합 고객 표시 · 고객 요청 · 갱신"
            " · 기한 초과 약속 · 온보딩 작업",
        ),
    ],
)  # fmt: skip
def test_empty_agenda_says_so_in_one_line(locale, line):
    """No data: no section is drawn; one closing context line names them all, in the agenda's order."""
    blocks, _ = mb.meeting_agenda(vm.Agenda(meeting=MEETING, tz="UTC"), locale)
    check_blocks(dumped(blocks), 50)
    assert [b["type"] for b in blocks] == ["header", "context", "divider", "context"]
    assert blocks[-1]["elements"][0]["text"] == line


@pytest.mark.parametrize(
    ("locale", "line"),
    [
        ("en", "Nothing to discuss: handoffs waiting · renewals · overdue promises · onboarding tasks"),
        ("ko", "논의할 항목 없음: 수락 대기 인계 · 갱신 · 기한 초과 약속 · 온보딩 작업"),
    ],
)
def test_empty_sections_fold_into_one_line_at_the_end(locale, line):
    """Sections with rows are drawn in order, each after a divider; the empty ones are only named at the end."""
    agenda = vm.Agenda(
        meeting=MEETING,
        tz="UTC",
        at_risk=[vm.RiskItem(7, "Acme", "at_risk", 45.0, Decimal("120000"), "USD", None, "U_CSM")],
        flagged=[vm.FlaggedItem(3, "Globex", None, None, "U_CSM", TODAY, "on-prem only", None)],
        themes=[vm.ThemeItem("SSO", 2, (("USD", Decimal("950000")),), 1, 0, None)],
        theme_count=1,
    )
    blocks, _ = mb.meeting_agenda(agenda, locale)
    check_blocks(dumped(blocks), 50)
    heads = [b["text"]["text"].split("*")[1] for b in blocks if b["type"] == "section" and "accessory" not in b]
    assert [h.split()[0] for h in heads] == ["🚨", "🚩", "💬"]
    assert [b["type"] for b in blocks].count("divider") == 4
    assert blocks[-2]["type"] == "divider" and blocks[-1]["elements"][0]["text"] == line
    raw = json.dumps(blocks, ensure_ascii=False)
    assert "📨" not in raw and "🔁" not in raw and "🤝" not in raw and "🧭" not in raw


def _risk(i: int, name: str, arr: str, currency: str = "USD", *, urgent: bool = False) -> vm.RiskItem:
    return vm.RiskItem(i, name, "at_risk", 50.0, Decimal(arr), currency, None, None, urgent=urgent)


@pytest.mark.parametrize(
    ("locale", "urgent_head", "others_head"),
    [
        (
            "en",
            "⚡ *Needs action this week* (2): worse this week or renewing within 90 days, by ARR",
            "*Other accounts at risk* (1), by ARR",
        ),
        (
            "ko",
            "⚡ *이번 주 조치 필요* (2곳): 이번 주 나빠졌거나 90일 안에 갱신, ARR 순",
            "*그 밖의 이탈 위험 고객* (1곳), ARR 순",
        ),
    ],
)
def test_accounts_needing_action_lead_under_the_digests_heading(locale, urgent_head, others_head):
    """The digest's ⚡ heading (its wording) over those needing action this week, then the others' heading; no
    headings when none needs action (one list by ARR, as before)."""
    at_risk = [_risk(1, "Urgent A", "90000", urgent=True), _risk(2, "Urgent B", "10000", urgent=True)]
    at_risk.append(_risk(3, "Chronic", "5000000"))
    blocks, _ = mb.meeting_agenda(vm.Agenda(meeting=MEETING, tz="UTC", at_risk=at_risk), locale)
    check_blocks(dumped(blocks), 50)
    title = blocks[3]["text"]["text"]
    assert title.split("\n")[1] == urgent_head
    rows = [b["text"]["text"] for b in blocks[4:8]]
    assert rows[0].startswith("*Urgent A*") and rows[1].startswith("*Urgent B*")
    assert rows[2] == others_head and rows[3].startswith("*Chronic*")
    assert CATALOGS[locale]["digest.urgent"].split("(")[0] == CATALOGS[locale]["nudges.meeting.urgent"].split("(")[0]

    calm = [_risk(3, "Chronic", "5000000"), _risk(1, "Other", "90000")]
    blocks, _ = mb.meeting_agenda(vm.Agenda(meeting=MEETING, tz="UTC", at_risk=calm), locale)
    assert "\n" not in blocks[3]["text"]["text"] and "⚡" not in json.dumps(blocks, ensure_ascii=False)
    assert [b["text"]["text"].split(" · ")[0] for b in blocks[4:6]] == ["*Chronic*", "*Other*"]


@pytest.mark.parametrize(
    ("locale", "fx", "at_risk", "more", "theme"),
    [
        ("en", FX, "≈ $2.9M (₩1.2B + $2M)", "(≈ $1.9M (₩1.2B + $1M))", "≈ $1.1M ($240K + ₩1.2B)"),
        ("ko", FX, "≈ $2.9M (12억 원 + $2M)", "(≈ $1.9M (12억 원 + $1M))", "≈ $1.1M ($240K + 12억 원)"),
        ("en", None, "₩1.2B + $2M", "(₩1.2B + $1M)", "$240K + ₩1.2B"),
        ("ko", None, "12억 원 + $2M", "(12억 원 + $1M)", "$240K + 12억 원"),
    ],
)
def test_mixed_currency_totals_use_the_teams_rates(locale, fx, at_risk, more, theme):
    """At-risk and renewal totals, the "…and N more" remainders and a request's ARR read as one total with the
    team's rates, as the digest's ARR at risk does; without rates, per currency."""
    rows = [_risk(i, f"C{i}", "125000") for i in range(mb.MAX_AT_RISK)]
    rows += [_risk(100, "KRW Co", "1200000000", "KRW"), _risk(101, "Last", "1000000")]
    renewals = [vm.RenewalItem(r.customer_id, r.name, TODAY, 0, r.arr, r.currency, None, None) for r in rows]
    themes = [vm.ThemeItem("SSO", 2, (("USD", Decimal("240000")), ("KRW", Decimal("1200000000"))), 0, 0, None)]
    agenda = vm.Agenda(meeting=MEETING, tz="UTC", at_risk=rows, renewals=renewals, themes=themes, theme_count=1, fx=fx)
    blocks, _ = mb.meeting_agenda(agenda, locale)
    check_blocks(dumped(blocks), 50)
    raw = json.dumps(blocks, ensure_ascii=False)
    texts = [b.get("text", {}).get("text", "") for b in blocks]
    assert next(x for x in texts if x.startswith("*🚨")).endswith(f" · {at_risk}")
    assert next(x for x in texts if x.startswith("*🔁")).endswith(f" · {at_risk}")
    assert raw.count(f" {more}") == 2
    assert f" · {theme}" in next(x for x in texts if x.startswith("*💬"))


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("en", "• <https://slack.com/archives/C0CS/p12|Globex &amp; Co> · €70K · flagged Mar 3, 2026 by <@U_CSM>: "),
        ("ko", "• <https://slack.com/archives/C0CS/p12|Globex &amp; Co> · €70K · 2026년 3월 3일 <@U_CSM> 표시: "),
    ],
)
def test_flagged_handoffs_show_who_when_and_why(locale, expected):
    """A bad-fit flag: the card link, ARR, who flagged it and when, and the reason quoted on one line, escaped
    (no pings, no forged links) and cut to REASON_LIMIT characters."""
    reason = "Needs on-prem\n<!channel> <http://evil|click> " + "x" * 500
    agenda = vm.Agenda(
        meeting=MEETING,
        tz="UTC",
        flagged=[
            vm.FlaggedItem(
                3, "Globex & Co", Decimal("70000"), "EUR", "U_CSM", date(2026, 3, 3), reason, vm.card_url("C0CS", "1.2")
            )
        ],
    )
    blocks, text = mb.meeting_agenda(agenda, locale)
    check_blocks(dumped(blocks), 50)
    title, line = blocks[3]["text"]["text"].split("\n")
    assert title == CATALOGS[locale]["nudges.meeting.flagged"].format(count=1)
    assert line.startswith(expected)
    quoted = line[len(expected) :]
    assert quoted.startswith("“Needs on-prem &lt;!channel&gt; &lt;http://evil|click&gt; x") and quoted.endswith("…”")
    assert len(quoted) <= mb.REASON_LIMIT + 2
    summary = {
        "en": "0 handoffs waiting, 1 handoff flagged as a bad fit",
        "ko": "수락 대기 인계 0건, 부적합 고객으로 표시된 인계 1건",
    }
    assert summary[locale] in text


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
