"""`/kpi` end to end: signed slash commands into the real app, answered through the response_url for the asker
only, on the README's worked example (tests/kpi_example.py)."""

import json
from datetime import UTC, datetime

import pytest
from slack_sdk.models.blocks import Block

from bot.models import Customer, Occurrence, OutboxMessage
from bot.text import normalize_key
from tests import kpi_example
from tests import payloads as p
from tests.flows import blocks_text


@pytest.fixture
def example(baton, clock):
    clock.now = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
    return kpi_example.seed(baton.deps.sessions)


def kpi(baton, slack, text: str, user: str = "U_CSM") -> dict:
    """`/kpi text`: its one answer."""
    before = len(slack.responses())
    req = p.slash_command("/kpi", text, user_id=user, response_url=slack.new_response_url())
    resp = baton.slack(req)
    assert resp.status_code == 200 and resp.text == ""  # acked at once, the answer follows
    assert len(slack.responses()) == before + 1
    reply = slack.responses()[-1]
    assert reply["response_type"] == "ephemeral"
    return reply


def test_kpi_for_a_month_in_english(baton, slack, example):
    """Each KPI of the README's November, with its change against October and its definition."""
    reply = kpi(baton, slack, "2026-11")
    shown = blocks_text(reply["blocks"])
    assert reply["text"] == "KPIs for November 2026"
    assert reply["blocks"][0]["text"]["text"] == "KPIs · November 2026"
    assert "Compared with October 2026." in shown
    assert "*USD* · 4 customers with ARR at the start ($700), 4 at the end ($820)" in shown
    for line in (
        "*Logo retention*: 75.0% (-25.0 pts vs October 2026)",
        "*Logo churn*: 25.0% (+25.0 pts vs October 2026)",
        "*GRR*: 50.0% (-50.0 pts vs October 2026)",
        "*NRR*: 60.0% (-40.0 pts vs October 2026)",
        "*Expansion rate*: 7.1% (+7.1 pts vs October 2026)",
        "*LTV*: $374.86 (ARPA $205 × margin 80.0% ÷ annual churn 43.8%) (none in October 2026)",
        "*NPS*: 25.0 · 4 respondents: 2 promoters, 1 passives, 1 detractors (none in October 2026)",
    ):
        assert line in shown
    assert "_customers with ARR at the start that still have ARR at the end_" in shown
    assert baton.all(Occurrence) == [] and baton.all(OutboxMessage) == []  # nothing is posted for others


def test_kpi_in_korean_defaults_to_last_month(baton, slack, example):
    """Without a period: last month (the clock says Dec 4); a Korean user reads it in Korean."""
    reply = kpi(baton, slack, "", user="U_KO")
    shown = blocks_text(reply["blocks"])
    assert reply["blocks"][0]["text"]["text"] == "핵심 지표(KPI) · 2026년 11월"
    assert "*고객 유지율*: 75.0% (2026년 10월 대비 -25.0%p)" in shown
    assert "*순매출유지율(NRR)*: 60.0% (2026년 10월 대비 -40.0%p)" in shown
    assert "응답자 4명: 추천 2명, 중립 1명, 비추천 1명" in shown


def test_a_period_under_way_is_to_date(baton, slack, example):
    reply = kpi(baton, slack, "2026-Q4")
    shown = blocks_text(reply["blocks"])
    assert "to date (Dec 4, 2026)" in shown and "Compared with Q3 2026." in shown
    assert "*Logo retention*: 75.0% (-25.0 pts vs Q3 2026)" in shown


@pytest.mark.parametrize(
    ("text", "user", "expected"),
    [
        ("2026-11 enterprise", "U_CSM", "*USD* · 2 customers with ARR at the start ($300), 2 at the end ($300)"),
        ("me 2026-11", "U_CSM", "*USD* · 2 customers with ARR at the start ($400), 2 at the end ($550)"),
        ("<@U_CSM2> 2026-11", "U_CSM", "*USD* · 2 customers with ARR at the start ($300), 2 at the end ($270)"),
        ("<@U_CSM2|jordan>", "U_CSM", "*USD* · 2 customers with ARR at the start ($300), 2 at the end ($270)"),
    ],
)
def test_segment_and_owner_filters(baton, slack, example, text, user, expected):
    """A segment (any case), `me` or a mention keeps those customers; the filter is said under the header."""
    shown = blocks_text(kpi(baton, slack, text, user=user)["blocks"])
    assert expected in shown
    assert ("segment Enterprise" in shown) or ("customers of <@U_CSM" in shown)


@pytest.mark.parametrize("text", ["help", "?", "도움말", "HELP"])
def test_help_words_answer_the_usage(baton, slack, example, text):
    shown = blocks_text(kpi(baton, slack, text)["blocks"])
    assert "`/kpi [period] [segment | owner | icp:fit]`" in shown


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11 2026-10", "One period at a time"),
        ("2027-05", "2027-05 has not started yet. Try last month, e.g. `/kpi 2026-11`."),
        ("Mid market", "No customers are in a segment named “Mid market”. Segments: Enterprise, SMB."),
        ("icp:great", "An ICP fit is one of `icp:strong`, `icp:good`, `icp:partial`, `icp:bad`"),
        ("me enterprise", "One filter at a time"),
        ("<!channel> <http://x|y>", "segment named “&lt;!channel&gt; &lt;http://x|y&gt;”"),
    ],
)
def test_bad_arguments_get_a_clear_private_answer(baton, slack, example, text, expected):
    reply = kpi(baton, slack, text)
    assert expected in reply["text"] and expected in blocks_text(reply["blocks"])
    assert "<!channel>" not in blocks_text(reply["blocks"])


def test_korean_refusal(baton, slack, example):
    reply = kpi(baton, slack, "2027-01", user="U_KO")
    assert reply["text"] == "2027-01은 아직 시작되지 않았습니다. 지난달을 조회해 보세요. 예: `/kpi 2026-11`"


def test_a_team_without_movements_is_told_so(baton, slack, clock):
    clock.now = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
    with baton.deps.sessions.begin() as db:
        db.add(Customer(team_id="T111", name="Solo", name_key=normalize_key("Solo")))
    shown = blocks_text(kpi(baton, slack, "2026-11")["blocks"])
    assert "No ARR movements for these customers up to Nov 30, 2026." in shown
    assert "no survey answers in this period" in shown


def test_worst_case_message_fits_slack(baton, slack, clock):
    """Twenty-five currencies and a 64-character Korean segment: the answer stays within Slack's limits (each
    block validated by slack_sdk) and shows the 20 largest books."""
    from decimal import Decimal

    from bot.services import ledger

    clock.now = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
    segment = ("엔터프라이즈 고객 *굵게* <특수> & " * 4)[:64]
    codes = [f"X{chr(65 + i // 26)}{chr(65 + i % 26)}" for i in range(25)]
    with baton.deps.sessions.begin() as db:
        for n, code in enumerate(codes):
            c = Customer(team_id="T111", name=f"C{n}", name_key=f"c{n}", segment=segment)
            db.add(c)
            db.flush()
            day = datetime(2026, 1, 1).date()
            ledger.record(db, "T111", c.id, "new", Decimal(10**15 + n), code, day, source="csv", ref=f"w{n}",
                          by=None, now=clock())  # fmt: skip
    reply = kpi(baton, slack, "2026-11 " + segment.strip(), user="U_KO")
    assert len(reply["blocks"]) <= 50 and blocks_text(reply["blocks"]).count("*X") == 20
    for block in reply["blocks"]:
        Block.parse(block).validate_json()
        assert len(json.dumps(block, ensure_ascii=False)) < 3200
    assert "&lt;특수&gt; &amp;" in blocks_text(reply["blocks"])
