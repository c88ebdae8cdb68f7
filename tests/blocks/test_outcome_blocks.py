"""The renewal question's builders under worst-case data (255-character names full of mrkdwn, Korean, the
largest amounts, the longest reasons and keys): within every Slack limit, in English and Korean."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from bot.blocks import outcomes as ob
from bot.blocks import reminders as rb
from tests.blocks.test_reminder_blocks import KEY, LONG_TEXT, NASTY, check

NAME = (NASTY + "한빛물류 *굵게* <!channel> & <@U1> " * 20)[:255]
BIG = Decimal("9999999999999999.99")
AT = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)


def ask(**changes) -> ob.AskView:
    values = {"customer_id": 2147483647, "name": NAME, "renewal_date": date(2026, 12, 31), "arr": BIG,
              "currency": "KRW", "n": 99}  # fmt: skip
    return ob.AskView(**{**values, **changes})


@pytest.mark.parametrize("locale", ["en", "ko"])
@pytest.mark.parametrize("arr", [BIG, None])
def test_the_question_stays_within_limits(locale, arr):
    """Worst case: every block valid, buttons within 75 characters, the confirm dialog within its limits."""
    blocks, text = ob.outcome_ask(ask(arr=arr), locale, key=KEY + ":outcome:" + "9" * 200)
    raw = check(blocks, text)
    actions = [e["action_id"] for b in raw if b["type"] == "actions" for e in b["elements"]]
    assert actions == [ob.RENEWED, ob.CHANGED, ob.CHURNED, rb.OPEN_CARD, rb.MENU]
    assert "<!channel>" not in text


@pytest.mark.parametrize("locale", ["en", "ko"])
@pytest.mark.parametrize("outcome", ["renewed", "expanded", "contracted", "churned"])
def test_the_answered_question_stays_within_limits_and_loses_its_answer_buttons(locale, outcome):
    blocks, _ = ob.outcome_ask(ask(), locale, key=KEY)
    note = ob.outcome_note(outcome, locale, before=BIG, after=BIG, currency="USD", by="U123", at=AT,
                           next_renewal=date(2027, 12, 31), reason=LONG_TEXT)  # fmt: skip
    drawn = ob.answered(blocks, note, key=KEY)
    raw = check(drawn, note)
    assert ob.answered(drawn, note, key=KEY) == drawn  # twice is the same
    assert not {e["action_id"] for b in raw if b["type"] == "actions" for e in b["elements"]} & set(ob.ANSWER_BUTTONS)


@pytest.mark.parametrize("locale", ["en", "ko"])
@pytest.mark.parametrize("build", [ob.changed_modal, ob.churned_modal])
def test_the_modals_stay_within_limits(locale, build):
    meta = ob.OutcomeMeta(key=KEY + "x" * 200, customer_id=2147483647, locale=locale, channel="D" * 20, ts="1" * 20)
    view = build(locale, meta, NAME, date(2026, 12, 31), BIG, "KRW")
    view.validate_json()
    raw = view.to_dict()
    assert len(raw["private_metadata"]) <= 3000 and len(raw["blocks"]) <= 100
    assert len(raw["title"]["text"]) <= 24 and len(raw["submit"]["text"]) <= 24


def test_english_and_korean_content():
    blocks, text = ob.outcome_ask(ask(name="Acme", arr=Decimal("120000"), currency="USD", n=0), "en", key=KEY)
    assert text == "What happened at Acme's renewal?"
    assert "ARR on record: $120,000" in blocks[0]["text"]["text"]
    ko, _ = ob.outcome_ask(ask(name="한빛물류", arr=Decimal("150000000"), currency="KRW", n=1), "ko", key=KEY)
    assert "다시 여쭙니다" in ko[0]["text"]["text"] and "1억 5,000만 원" in ko[0]["text"]["text"]
    note = ob.outcome_note("expanded", "en", before=Decimal("100"), after=Decimal("150"), currency="USD",
                           by="U1", at=AT)  # fmt: skip
    assert note.startswith("📈 Expanded to $150 (from $100) · recorded by <@U1>")
