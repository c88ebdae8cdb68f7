"""The reminder builders stay within Slack's limits under worst-case data, in English and Korean, and their
buttons carry what the handlers need."""

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from bot.blocks import reminders as rb
from bot.viewdata.customer import CsmRating
from bot.viewdata.reminders import OnboardingState, RenewalState, TaskView
from tests.blocks.test_handoff_blocks import _check_block

LOCALES = ("en", "ko")
NASTY = "<!channel> & <http://evil.example|click> @here "
LONG_NAME = (NASTY + "삼성전자주식회사" * 40)[:255]
LONG_TEXT = (NASTY + "고객의 목소리가 길어요 " * 400)[:5000]
KEY = "renewal:2147483647:2026-12-31:120:s99"


def check(blocks: list[dict], text: str) -> list[dict]:
    """What chat.postMessage would accept: known blocks within every limit, unique block ids, short option texts."""
    raw = json.loads(json.dumps(blocks))
    assert 1 <= len(raw) <= 50
    for i, b in enumerate(raw):
        _check_block(b, f"blocks[{i}]")
        for el in b.get("elements", []):
            if el.get("type") == "overflow":
                assert 1 <= len(el["options"]) <= 5
                for opt in el["options"]:
                    assert 1 <= len(opt["text"]["text"]) <= 75 and len(opt["value"]) <= 150
    ids = [b["block_id"] for b in raw if "block_id" in b]
    assert len(ids) == len(set(ids))
    assert text and len(text) <= 40_000
    assert "<!channel>" not in json.dumps(raw, ensure_ascii=False)
    return raw


def state(**changes) -> RenewalState:
    base = {
        "customer_id": 2**31 - 1,
        "name": LONG_NAME,
        "renewal_date": date(2026, 12, 31),
        "days_left": 120,
        "arr": Decimal("9999999999999999.99"),
        "currency": "KRW",
        "owner_user_id": "U" + "A" * 30,
        "ae_user_id": "W" + "B" * 30,
        "score": 12.345,
        "band": "unhealthy",
        "delta_30d": -83.2,
        "open_promises": 10**6,
        "overdue_promises": 999_999,
        "voc_quote": LONG_TEXT,
        "voc_on": date(2026, 8, 1),
        "rating": CsmRating(1, LONG_TEXT, "U" + "C" * 30, date(2026, 8, 2)),
    }
    return RenewalState(**{**base, **changes})


def actions(blocks: list[dict]) -> list[str]:
    return [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("role", ["csm", "ae"])
def test_renewal_reminder_worst_case_stays_within_limits(locale, role):
    """A 255-character name, a huge ARR, a million promises and a 5,000-character quote: valid, escaped."""
    blocks, text = rb.renewal_reminder(state(), locale, key=KEY, step=90, role=role, csp=True, again=True)
    raw = check(blocks, text)
    assert len(text) < 300
    assert "&lt;!channel&gt;" in json.dumps(raw, ensure_ascii=False)


@pytest.mark.parametrize("locale", LOCALES)
def test_renewal_reminder_without_data_says_so(locale):
    """No score, no ARR, no promises, no VoC, renewal today: still a valid message that says what is missing."""
    blocks, text = rb.renewal_reminder(
        state(
            score=None,
            band=None,
            delta_30d=None,
            arr=None,
            open_promises=0,
            overdue_promises=0,
            voc_quote=None,
            days_left=0,
            ae_user_id=None,
        ),  # fmt: skip
        locale,
        key=KEY,
        step=30,
        role="csm",
    )
    raw = json.dumps(check(blocks, text), ensure_ascii=False)
    expected = {"en": ("No score yet", "None open", "Nobody on record", "renews today"),
                "ko": ("아직 점수 없음", "미완료 약속 없음", "지정된 사람 없음", "오늘 갱신")}[locale]  # fmt: skip
    for bit in expected:
        assert bit in raw, bit


def test_renewal_reminder_english_content():
    """The CSM's T-90 reminder: title, date, health with its 30-day change, ARR, promises, CSP ask, who it is for."""
    s = state(name="Acme", currency="USD", arr=Decimal("120000"), band="at_risk", score=54.4, delta_30d=-8.4,
              open_promises=3, overdue_promises=1, voc_quote="Exports are slow", days_left=90)  # fmt: skip
    blocks, text = rb.renewal_reminder(s, "en", key=KEY, step=90, role="csm", csp=True)
    raw = json.dumps(blocks, ensure_ascii=False)
    assert text == "Acme renews in 90 days"
    for bit in ("📅 *Acme* renews in 90 days", "🟠 At risk · 54 (▼ 8 in 30 days)", "$120,000",
                "Dec 31, 2026 (in 90 days)", "3 open · ⚠️ 1 overdue", "Customer Success Plan",
                "Health is *At risk*", "“Exports are slow”", "owner CSM of Acme"):  # fmt: skip
        assert bit in raw, bit
    assert actions(blocks) == [rb.ACK, rb.SNOOZE, rb.HAND_AE, rb.OPEN_CARD, rb.MENU]


def test_renewal_reminder_korean_content():
    """Korean: Korean dates, band, money in 억/만, and the CSP ask."""
    s = state(name="삼성", currency="KRW", arr=Decimal("150000000"), band="healthy", score=80, delta_30d=0.2,
              open_promises=0, overdue_promises=0, voc_quote=None, days_left=90)  # fmt: skip
    blocks, text = rb.renewal_reminder(s, "ko", key=KEY, step=90, role="ae", csp=True)
    raw = json.dumps(blocks, ensure_ascii=False)
    assert text == "삼성 갱신까지 90일"
    bits = ("2026년 12월 31일 (90일 남음)", "헬스 스코어", "(30일간 변동 없음)", "1억 5,000만 원", "고객 성공 계획")
    for bit in (*bits, "AE라"):
        assert bit in raw, bit
    assert actions(blocks) == [rb.ACK, rb.SNOOZE, rb.OPEN_CARD, rb.MENU]


@pytest.mark.parametrize("locale", LOCALES)
def test_handed_to_ae_worst_case_stays_within_limits(locale):
    """The AE's handed-over DM names who handed it and carries Acknowledge and Snooze."""
    blocks, text = rb.handed_to_ae(state(), locale, key=KEY + ":handed", step=60, by="U_CSM")
    raw = check(blocks, text)
    assert "<@U_CSM>" in json.dumps(raw) and actions(raw) == [rb.ACK, rb.SNOOZE, rb.OPEN_CARD, rb.MENU]


def onboarding_state(**changes) -> OnboardingState:
    base = {
        "task_id": 2**31 - 1,
        "customer_id": 2**31 - 1,
        "customer_name": LONG_NAME,
        "milestone": "kickoff",
        "due_date": date(2026, 3, 9),
        "days_overdue": 365,
        "accepted_on": date(2026, 3, 2),
        "success_criteria": LONG_TEXT,
        "milestones": (
            TaskView("kickoff", date(2026, 3, 9), False),
            TaskView("activation", date(2026, 4, 1), True),
            TaskView("training", date(2027, 4, 1), False),
        ),
    }
    return OnboardingState(**{**base, **changes})


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("overdue", [0, 1, 365])
def test_onboarding_reminder_worst_case_stays_within_limits(locale, overdue):
    """Long names and criteria, due today, a day late or a year late: valid, with Snooze and Mark done."""
    blocks, text = rb.onboarding_reminder(onboarding_state(days_overdue=overdue), locale, key="onboarding:1:8")
    raw = check(blocks, text)
    assert actions(raw) == [rb.SNOOZE, rb.DONE, rb.OPEN_CARD, rb.MENU]


def test_onboarding_reminder_english_content():
    """Overdue kickoff: title with the days, the playbook checklist and the criteria."""
    s = onboarding_state(customer_name="Acme", days_overdue=8, success_criteria="SSO live")
    blocks, text = rb.onboarding_reminder(s, "en", key="onboarding:1:8")
    raw = json.dumps(blocks, ensure_ascii=False)
    assert text == "Kickoff for Acme is 8 days overdue"
    for bit in ("⚠️ Kickoff: overdue since Mar 9, 2026", "✅ Product activation: done",
                "⬜ Basic training: due Apr 1, 2027", "SSO live", "Handoff accepted Mar 2, 2026"):  # fmt: skip
        assert bit in raw, bit


# --- the shared controls ----------------------------------------------------------------------------------------


def test_controls_show_the_asked_buttons_in_order_and_carry_the_key():
    """Buttons in the fixed order whatever the order asked; each value carries the key and customer."""
    block = rb.controls(KEY, "en", customer_id=7, kind="renewal", buttons=("done", "ack"))
    ids = [e["action_id"] for e in block["elements"]]
    assert ids == [rb.ACK, rb.DONE, rb.MENU]
    for e in block["elements"][:2]:
        assert rb.parse_value(e["value"]) == {"k": KEY, "c": 7}
    menu = block["elements"][-1]
    assert [o["text"]["text"] for o in menu["options"]] == [
        "Mute this customer's reminders",
        "Pause renewal reminders for 7 days",
    ]
    assert [rb.parse_value(o["value"]) for o in menu["options"]] == [
        {"a": "mute", "c": 7},
        {"a": "pause", "kind": "renewal"},
    ]
    _check_block(block, "controls")


def test_controls_without_a_customer_only_offer_the_pause():
    """No customer (e.g. a handoff nudge in a channel): only "Pause ... for 7 days", with the kind's name."""
    block = rb.controls("nudge.accept:12", "ko", customer_id=None, kind="nudge.accept")
    (menu,) = block["elements"]
    assert [o["text"]["text"] for o in menu["options"]] == ["인계 수락 알림 7일 동안 일시 중지"]


@pytest.mark.parametrize(("kind", "label"), [("onboarding.kickoff", "onboarding reminders"), ("nudge.x", "nudges"),
                                             ("weird", "these reminders")])  # fmt: skip
def test_a_kind_is_named_by_itself_or_its_family(kind, label):
    """onboarding.kickoff reads "onboarding reminders"; an unknown kind "these reminders"."""
    assert rb.kind_label(kind, "en") == label


def test_controls_refuse_unknown_buttons_and_hash_long_keys():
    """A typo'd button is a builder bug; a key too long for a block id is hashed (still unique)."""
    with pytest.raises(ValueError):
        rb.controls(KEY, "en", customer_id=1, kind="renewal", buttons=("acknowledge",))
    long_key = "k" * 300
    block = rb.controls(long_key, "en", customer_id=1, kind="renewal", buttons=("ack",))
    assert len(block["block_id"]) <= 255
    assert block["block_id"] != rb.controls("k" * 299, "en", customer_id=1, kind="renewal")["block_id"]
    assert rb.parse_value(block["elements"][0]["value"])["k"] == long_key


def test_open_card_button_carries_the_customer():
    """Open card's value is the customer id."""
    button = rb.open_card_button(42, "ko")
    assert button["action_id"] == rb.OPEN_CARD and rb.parse_value(button["value"]) == {"c": 42}
    assert button["text"]["text"] == "카드 열기"


# --- after a click ----------------------------------------------------------------------------------------------


def test_settled_puts_the_note_above_the_remaining_buttons_and_is_stable():
    """Acknowledged: the note replaces Acknowledge/Snooze/Hand to AE (Open card and the menu stay); drawing
    it again gives the same blocks; snoozed keeps the other buttons."""
    blocks, _text = rb.renewal_reminder(state(), "en", key=KEY, step=90, role="csm")
    at = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
    note = rb.outcome_note("acknowledged", "en", by="U_CSM", at=at)
    assert note == f"✅ Acknowledged by <@U_CSM> · <!date^{int(at.timestamp())}^{{date_short_pretty}}|Mar 3, 2026>"
    once = rb.settled(blocks, note, key=KEY)
    assert rb.settled(once, note, key=KEY) == once
    assert actions(once) == [rb.OPEN_CARD, rb.MENU]
    assert sum(note in json.dumps(b, ensure_ascii=False) for b in once) == 1
    snoozed = rb.settled(blocks, "😴", key=KEY, keep=("ack", "hand_ae"))
    assert actions(snoozed) == [rb.ACK, rb.HAND_AE, rb.OPEN_CARD, rb.MENU]
    assert rb.buttons_of(snoozed) == ["ack", "hand_ae"]
    for i, b in enumerate(once):
        _check_block(b, f"once[{i}]")


@pytest.mark.parametrize("locale", LOCALES)
def test_mute_confirmations_offer_undo(locale):
    """Muting a customer or pausing a kind answers with what happened and an Undo carrying the same mute."""
    blocks, text = rb.mute_confirmation(locale, customer_id=9, customer=LONG_NAME)
    check(blocks, text)
    assert rb.parse_value(blocks[-1]["elements"][0]["value"]) == {"a": "mute", "c": 9}
    until = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)
    blocks, text = rb.mute_confirmation(locale, kind="onboarding.kickoff", until=until)
    check(blocks, text)
    assert rb.parse_value(blocks[-1]["elements"][0]["value"]) == {"a": "pause", "kind": "onboarding.kickoff"}
    assert str(int(until.timestamp())) in text


def test_every_reminder_action_has_a_listener(baton):
    """Each action id the reminder builders emit (and Undo) is registered."""
    emitted = set(actions(rb.renewal_reminder(state(), "en", key=KEY, step=90, role="csm")[0]))
    emitted |= set(actions(rb.onboarding_reminder(onboarding_state(), "en", key="onboarding:1:0")[0]))
    emitted |= set(actions(rb.mute_confirmation("en", customer_id=1, customer="x")[0]))
    assert emitted == {rb.ACK, rb.SNOOZE, rb.HAND_AE, rb.DONE, rb.OPEN_CARD, rb.MENU, rb.UNDO}
    assert emitted <= baton.registry.actions
