"""The customer builders stay within Slack's limits under worst-case data, in English and Korean."""

import dataclasses
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.blocks import customer as cb
from bot.blocks import customer_modals as cm
from bot.blocks import handoff as hb
from bot.i18n import CATALOGS, placeholders
from bot.services.customer import CustomerStatus, HandoffSummary, PromiseItem, VocNote
from bot.services.health import CustomerHealth, Driver, Risk, Score, Stale, Trend
from bot.services.health_config import REDACTABLE
from bot.services.lookup import Match
from bot.signals import SIGNALS
from bot.viewdata.customer import TOUCH_KINDS, TouchItem

TODAY = date(2026, 11, 23)
LOCALES = ("en", "ko")
NASTY = "<!channel> & <http://evil.example|click> @here "  # escaped, never broadcast
LONG_KO = ("삼성전자주식회사" * 40)[:255]
TEXT_3000 = (NASTY + "고객의 목소리 " * 400)[:3000]
ALL_RISKS = (
    Risk("usage_drop", {"signal": "active_users", "before": 1200.0, "after": 300.0, "pct": 75.0}),
    Risk("usage_drop", {"signal": "logins_30d", "before": 90000.0, "after": 100.0, "pct": 99.9}),
    Risk("ticket_spike", {"signal": "tickets_30d", "before": 2.0, "after": 40.0}),
    Risk("ticket_spike", {"signal": "open_tickets", "before": 1.0, "after": 12.0}),
    Risk("nps_detractor", {"value": 0.0}),
    Risk("overdue_invoice", {"count": 7}),
    Risk("renewal_soon_not_healthy", {"days": 3, "band": "unhealthy"}),
    Risk("renewal_soon_not_healthy", {"days": 90, "band": None}),
)


def _driver(signal: str, impact: float) -> Driver:
    return Driver(signal, 123456.75, TODAY - timedelta(days=400), 3.0, 1 / len(SIGNALS), impact)


def worst_health() -> CustomerHealth:
    drivers = tuple(_driver(s, -1.0 - i) for i, s in enumerate(SIGNALS))
    score = Score(
        score=12.3,
        band="unhealthy",
        drivers_down=drivers,  # more than the card shows
        drivers_up=tuple(_driver(s, 1.0) for s in SIGNALS),
        used=drivers,
        missing=(),
        stale=tuple(Stale(s, TODAY - timedelta(days=9999), 9999) for s in SIGNALS),
        as_of=TODAY,
    )
    trend = Trend(80.0, 95.5, -67.7, -83.2, (95.5, None, 80.0, 12.3), "█ ▇▁")
    return CustomerHealth(score, trend, ALL_RISKS, {s: TODAY - timedelta(days=9999) for s in SIGNALS})


def status(**changes) -> CustomerStatus:
    base = CustomerStatus(
        customer_id=2**31 - 1,
        name=LONG_KO[:200] + NASTY,
        stage="x" * 32,
        segment="세그먼트" * 16,
        owner_user_id=None,
        owner_email=("a" * 240) + "@example.com",
        ae_user_id="U" + "9" * 30,
        ae_email=None,
        arr=Decimal("9999999999999999.99"),
        currency="KRW",
        renewal_date=TODAY - timedelta(days=9999),
        days_to_renewal=-9999,
        health=worst_health(),
        handoff=HandoffSummary(1, "accepted", TEXT_3000, TEXT_3000, TEXT_3000),
        promises=tuple(
            PromiseItem(TEXT_3000, None, "오너" * 127, TODAY - timedelta(days=i), i % 2 == 0) for i in range(100)
        ),
        open_promises=100_000,
        overdue_promises=50_000,
        voc=tuple(VocNote(TEXT_3000, "call", TODAY) for _ in range(10)),
        touches=tuple(TouchItem(kind, TEXT_3000, "U" + "T" * 30, TODAY) for kind in (*TOUCH_KINDS, "webinar")),
        redact=frozenset(REDACTABLE),
        today=TODAY,
    )
    return _replace(base, **changes)


def _replace(obj, **changes):
    return dataclasses.replace(obj, **changes)


def worst_card_data() -> hb.CardData:
    return hb.CardData(
        handoff_id=1,
        customer=LONG_KO,
        status="accepted",
        version=99,
        arr=Decimal("9999999999999999.99"),
        currency="KRW",
        contract_start=TODAY,
        term_months=120,
        renewal_date=TODAY,
        kickoff_date=TODAY,
        ae_user_id="U_AE",
        se_user_id="U_SE",
        csm_user_id="U_CSM",
        submitted_by="U_AE",
        submitted_at=datetime(2026, 11, 20, tzinfo=UTC),
        accepted_by="U_CSM",
        accepted_at=datetime(2026, 11, 21, tzinfo=UTC),
        bad_fit_by="U_CSM2",
        bad_fit_reason=TEXT_3000,
        bad_fit_at=datetime(2026, 11, 22, tzinfo=UTC),
        **dict.fromkeys(
            (
                "products_sold",
                "why_bought",
                "business_goals",
                "success_criteria",
                "risks",
                "competitors",
                "tech_requirements",
                "links",
                "feature_requests",
            ),
            TEXT_3000,
        ),
        icp_fit="bad",
        promises=[hb.PromiseLine(TEXT_3000, None, "x" * 255, TODAY, False) for _ in range(100)],
        stakeholders=[hb.StakeholderLine("r" * 100, "n" * 255, "t" * 255, "e" * 255) for _ in range(50)],
        filled=11,
        total=11,
    )


# --- limit checks ------------------------------------------------------------------------------------------


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
            assert len(raw.get("fields", [])) <= 10
            assert all(len(f["text"]) <= 2000 for f in raw.get("fields", []))
        elif kind == "header":
            assert len(raw["text"]["text"]) <= 150
        elif kind == "context":
            assert len(raw["elements"]) <= 10 and all(len(e["text"]) <= 3000 for e in raw["elements"])
        elif kind == "actions":
            assert len(raw["elements"]) <= 25
            ids = [e["action_id"] for e in raw["elements"]]
            assert len(ids) == len(set(ids))
            for button in raw["elements"]:
                assert len(button["text"]["text"]) <= 75 and len(button.get("value", "")) <= 2000
        assert "<!channel>" not in json.dumps(raw) and "<http://evil" not in json.dumps(raw)


def check_view(view: View) -> dict:
    view.validate_json()
    raw = json.loads(json.dumps(view.to_dict()))
    assert len(raw["title"]["text"]) <= 24
    for key in ("submit", "close"):
        assert key not in raw or len(raw[key]["text"]) <= 24
    assert len(raw.get("private_metadata", "")) <= 3000
    check_blocks(raw["blocks"], 100)
    return raw


def dumps(blocks) -> list[dict]:
    return json.loads(json.dumps(hb.dumps_blocks(blocks)))


# --- the card -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("shared_by", [None, "U_SHARER"])
@pytest.mark.parametrize("redact", [frozenset(), frozenset(REDACTABLE)])
def test_card_within_limits_under_worst_case_data(locale, shared_by, redact):
    """Long Korean names, 3,000-character texts with < and &, 100 promises, every risk and every signal stale."""
    blocks, text = cb.customer_card(status(redact=redact), locale, channel="C" + "1" * 20, shared_by=shared_by)
    check_blocks(dumps(blocks), 50)
    assert 0 < len(text) <= 3000


@pytest.mark.parametrize("locale", LOCALES)
def test_card_caps_lists(locale):
    """At most 5 promises ("…and N more"), 3 drivers each side and 3 VoC notes are shown."""
    blocks = dumps(cb.customer_card(status(redact=frozenset()), locale)[0])
    text = json.dumps(blocks, ensure_ascii=False)
    assert text.count("☐ ") + text.count("⏰ ") == 5
    assert CATALOGS[locale]["common.and_more"].format(count=100_000 - 5) in text
    assert text.count("• ") == 2 * cb.MAX_DRIVERS + len(ALL_RISKS)
    assert text.count("\\n> ") == cb.MAX_VOC


@pytest.mark.parametrize("locale", LOCALES)
def test_card_without_any_data_reads_cleanly(locale):
    """No owner, ARR, renewal, score, handoff or promises: dashes and short notes, no empty sections."""
    empty = CustomerHealth(
        Score(None, None, (), (), (), tuple(SIGNALS), (), TODAY),
        Trend(None, None, None, None, (None,) * 8, " " * 8),
        (),
        {},
    )
    bare = status(
        name="Initech",
        stage="onboarding",
        segment=None,
        owner_email=None,
        ae_user_id=None,
        arr=None,
        currency=None,
        renewal_date=None,
        days_to_renewal=None,
        health=empty,
        handoff=None,
        promises=(),
        open_promises=0,
        overdue_promises=0,
        voc=(),
        touches=(),
    )
    blocks = dumps(cb.customer_card(bare, locale, channel="C1")[0])
    check_blocks(blocks, 50)
    text = json.dumps(blocks, ensure_ascii=False)
    assert CATALOGS[locale]["customer.card.no_score"] in text and CATALOGS[locale]["customer.card.no_handoff"] in text
    assert {e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]} == {
        cb.SHARE,
        cb.UPDATE_HEALTH,
        cb.LOG_TOUCH,
        cb.LOG_VOC,
    }
    assert "No touch logged yet" in text or "기록된 활동이 없습니다" in text


def test_card_when_health_failed_says_so():
    """A card whose health could not be computed says so instead of losing the rest."""
    blocks = dumps(cb.customer_card(status(health=None), "en")[0])
    assert "Health could not be computed right now." in json.dumps(blocks)


MARKERS = {
    "arr": "*ARR*",
    "renewal": "*Renewal*",
    "risks": "Risk signals",
    "promises": "Promises (",
    "handoff": "*Handoff*",
    "voc": "Voice of the customer",
    "owner": "*CSM*",
    "drivers": "Pulling the score down",
    "score": "*Health score*",
    "touches": "Recent touches",
}


@pytest.mark.parametrize("field", sorted(REDACTABLE))
def test_shared_card_hides_each_redacted_field(field):
    """Each field named in redact disappears from the shared card, and only from the shared card."""
    assert set(MARKERS) == set(REDACTABLE)
    mine = json.dumps(dumps(cb.customer_card(status(redact=frozenset({field})), "en", channel="C1")[0]))
    shared = json.dumps(dumps(cb.customer_card(status(redact=frozenset({field})), "en", shared_by="U1")[0]))
    assert MARKERS[field] in mine and MARKERS[field] not in shared
    for other in set(REDACTABLE) - {field}:
        assert MARKERS[other] in shared, other
    assert "Shared by <@U1>" in shared and cb.SHARE not in shared and cb.SHARE in mine


@pytest.mark.parametrize(
    ("channel", "shared_by", "expected"),
    [
        ("C1", None, {cb.SHARE, cb.OPEN_HANDOFF, cb.UPDATE_HEALTH, cb.LOG_TOUCH, cb.LOG_VOC, cb.ASK_AE}),
        ("D1", None, {cb.OPEN_HANDOFF, cb.UPDATE_HEALTH, cb.LOG_TOUCH, cb.LOG_VOC, cb.ASK_AE}),  # no Share: a DM
        (None, None, {cb.OPEN_HANDOFF, cb.UPDATE_HEALTH, cb.LOG_TOUCH, cb.LOG_VOC, cb.ASK_AE}),
        ("C1", "U1", {cb.OPEN_HANDOFF, cb.UPDATE_HEALTH}),  # shared: only what anyone may do
    ],
)
def test_card_buttons(channel, shared_by, expected):
    """Share in channel only on the asker's card in a channel; Open handoff when a visible handoff exists."""
    blocks = dumps(cb.customer_card(status(redact=frozenset()), "en", channel=channel, shared_by=shared_by)[0])
    assert {e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]} == expected


@pytest.mark.parametrize(
    ("signal", "value", "en", "ko"),
    [
        ("active_users", 1204.0, "1,204", "1,204"),
        ("license_utilisation", 87.5, "87.5%", "87.5%"),
        ("nps", 3.0, "3/10", "3/10"),
        ("csm_rating", 4.0, "4/5", "4/5"),
        ("last_meeting_days", 12.0, "12 days ago", "12일 전"),
        ("champion_present", 1.0, "still there", "재직 중"),
        ("champion_present", 0.0, "gone", "부재"),
    ],
)
def test_signal_values_read_naturally(signal, value, en, ko):
    """Counts get separators, percentages a %, ratings their scale, days and yes/no words."""
    assert (cb.signal_value(signal, value, "en"), cb.signal_value(signal, value, "ko")) == (en, ko)


@pytest.mark.parametrize(
    ("risk", "en"),
    [
        (ALL_RISKS[0], "Active users down 75% in 14 days (1,200 → 300)"),
        (ALL_RISKS[2], "Tickets (30 days) spiked: 2 → 40"),
        (ALL_RISKS[4], "NPS detractor: scored 0/10"),
        (ALL_RISKS[5], "Overdue invoices: 7"),
        (ALL_RISKS[6], "Renewal in 3 days while unhealthy"),
        (ALL_RISKS[7], "Renewal in 90 days while without a health score"),
        (Risk("brand_new_rule", {"x": 1}), "brand_new_rule"),
    ],
)
def test_risk_texts(risk, en):
    """Each risk code reads as a sentence with labelled signals and formatted numbers."""
    assert cb.risk_text(risk.code, risk.params, "en") == en
    assert cb.risk_text(risk.code, risk.params, "ko")


# --- lookup answers and modals -----------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("suggestions", [False, True])
def test_choices_within_limits(locale, suggestions):
    """Ten 255-character names become ten buttons of at most 75 characters, each opening its card."""
    matches = [Match(i, LONG_KO + str(i)) for i in range(10)]
    blocks = dumps(cb.choices_message(locale, TEXT_3000, matches, suggestions=suggestions, more=True, channel="C1")[0])
    check_blocks(blocks, 50)
    picks = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert [cb.CardRef.model_validate_json(e["value"]).customer_id for e in picks] == list(range(10))
    assert {e["action_id"] for e in picks} == {cb.PICK}


@pytest.mark.parametrize("locale", LOCALES)
def test_usage_and_nothing_found(locale):
    """The usage note, the customer-gone note and the nothing-found hint are single valid sections."""
    check_blocks(dumps(cb.usage_message(locale)[0]), 50)
    check_blocks(dumps(cb.gone_message(locale)[0]), 50)
    blocks = dumps(cb.choices_message(locale, TEXT_3000, [], suggestions=True)[0])
    check_blocks(blocks, 50)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("redact", [frozenset(), frozenset({"arr", "promises", "risks", "owner", "renewal"})])
@pytest.mark.parametrize("has_handoff", [True, False])
def test_handoff_modal_within_limits(locale, redact, has_handoff):
    """The read-only handoff modal holds worst-case handoffs within modal limits, without buttons."""
    card = worst_card_data() if has_handoff else None
    raw = check_view(cm.handoff_view(locale, LONG_KO, card, redact=redact))
    assert raw["callback_id"] == cb.HANDOFF_VIEW_MODAL and "submit" not in raw
    assert not [b for b in raw["blocks"] if b["type"] == "actions"]


def test_handoff_modal_hides_what_the_shared_card_hides():
    """Opened from a shared card, the modal leaves out ARR and promises when they are redacted."""
    card = _replace(
        worst_card_data(),
        arr=Decimal(120000),
        currency="USD",
        promises=[hb.PromiseLine("SSO", None, None, None, False)],
    )
    open_text = json.dumps(check_view(cm.handoff_view("en", "ACME", card))["blocks"])
    hidden_text = json.dumps(
        check_view(cm.handoff_view("en", "ACME", card, redact=frozenset({"arr", "promises"})))["blocks"]
    )
    assert "$120,000" in open_text and "SSO" in open_text
    assert "$120,000" not in hidden_text and "SSO" not in hidden_text
    hidden = check_view(cm.handoff_view("en", "ACME", card, redact=frozenset({"handoff"})))
    assert "not shared" in json.dumps(hidden["blocks"])


@pytest.mark.parametrize("locale", LOCALES)
def test_health_modal_within_limits(locale):
    """The Update health modal: a 1-5 select, an optional note of at most 1,000 characters, metadata < 3,000."""
    meta = cm.HealthMeta(customer_id=2**31, locale=locale, channel="C" * 20, response_url="https://x/" + "y" * 500)
    raw = check_view(cm.health_modal(locale, meta, LONG_KO))
    assert raw["callback_id"] == cb.HEALTH_MODAL
    by_id = {b.get("block_id"): b for b in raw["blocks"]}
    assert [o["value"] for o in by_id[cb.RATING_BLOCK]["element"]["options"]] == ["5", "4", "3", "2", "1"]
    assert by_id[cb.NOTE_BLOCK]["optional"] is True and by_id[cb.NOTE_BLOCK]["element"]["max_length"] == 1000
    assert cm.HealthMeta.model_validate_json(raw["private_metadata"]) == meta


# --- ids and catalog ----------------------------------------------------------------------------------------


def test_every_customer_button_and_modal_has_a_listener(baton):
    """Each action id the customer builders emit, and the Update health modal, has a listener."""
    emitted = set()
    for blocks in (
        cb.customer_card(status(redact=frozenset()), "en", channel="C1")[0],
        cb.choices_message("en", "x", [Match(1, "A"), Match(2, "B")], suggestions=False)[0],
    ):
        emitted |= {e["action_id"] for b in dumps(blocks) if b["type"] == "actions" for e in b["elements"]}
    assert emitted == {cb.PICK, cb.SHARE, cb.OPEN_HANDOFF, cb.UPDATE_HEALTH, cb.LOG_TOUCH, cb.LOG_VOC, cb.ASK_AE}
    assert emitted <= baton.registry.actions and cb.HEALTH_MODAL in baton.registry.views
    assert cb.TOUCH_MODAL in baton.registry.views
    assert "/customer" in baton.registry.commands and "message.im" in baton.registry.events


def _built_keys() -> set[str]:
    """Every catalog key the customer builders compose from parts (signals, stages, bands, risks, ...)."""
    keys = {f"customer.signal.{s}" for s in SIGNALS} | {f"customer.stage.{s}" for s in cb.STAGES}
    keys |= {f"customer.band.{b}" for b in cb.BANDS} | {f"customer.risk.band.{b}" for b in cb.BANDS}
    keys |= {f"customer.risk.{r}" for r in cb.RISKS} | {f"customer.category.{c}" for c in cb.CATEGORIES}
    keys |= {f"customer.category.{spec.category}" for spec in SIGNALS.values()}
    keys |= {f"customer.rating.{r}" for r in range(1, 6)}
    keys |= {f"customer.err.{c}" for c in ("rating_required", "rating_range", "note_too_long")}
    keys |= {f"customer.touch.{k}" for k in TOUCH_KINDS}
    keys |= {f"customer.err.{c}" for c in ("touch_kind", "touch_note_required", "touch_date", "touch_future")}
    keys |= {"customer.err.touch_too_old"}
    return keys


@pytest.mark.parametrize("key", sorted(_built_keys()))
def test_composed_keys_exist_in_both_languages(key):
    """Keys built from parts are in the English and the Korean catalog with the same placeholders."""
    assert key in CATALOGS["en"] and key in CATALOGS["ko"]
    assert placeholders(CATALOGS["en"][key]) == placeholders(CATALOGS["ko"][key])


@pytest.mark.parametrize(
    ("key", "term"),
    [
        ("customer.card.score", "헬스 스코어"),
        ("customer.band.healthy", "양호"),
        ("customer.band.at_risk", "주의"),
        ("customer.band.unhealthy", "위험"),
        ("customer.card.renewal", "갱신"),
        ("customer.card.voc", "고객의 목소리(VoC)"),
    ],
)
def test_korean_terms_follow_the_glossary(key, term):
    """Korean uses the domain glossary's terms."""
    assert term in CATALOGS["ko"][key]


def test_promises_heading_uses_the_glossary_term():
    """약속 사항 is the Korean term for promises."""
    assert CATALOGS["ko"]["customer.card.promises"].startswith("약속 사항")


def _verdict_of(blocks: list) -> str:
    return dumps(blocks)[2]["text"]["text"]


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        (
            "en",
            "🔴 *12* ▼68 this week: Active users down 75% in 14 days (1,200 → 300) · "
            "Logins (30 days) down 99.9% in 14 days (90,000 → 100)",
        ),
        ("ko", "🔴 *12* 이번 주 ▼68: "),
    ],
)
def test_card_leads_with_a_verdict(locale, expected):
    """Under the header: band, score, this week's change and the first two reasons, in whole points."""
    blocks, _ = cb.customer_card(status(), locale)
    assert _verdict_of(blocks).startswith(expected)


def test_verdict_without_risks_or_a_week_ago_score():
    """A healthy customer with no risk signal says so; no week-ago score leaves the change out; a shared card
    that hides the score has no verdict."""
    calm = worst_health()
    score = _replace(calm.score, score=81.5, band="healthy")
    calm = _replace(calm, score=score, risks=(), trend=_replace(calm.trend, delta_7d=None))
    blocks, _ = cb.customer_card(status(health=calm), "en")
    assert _verdict_of(blocks) == "🟢 *82* · no risk signals"
    shared, _ = cb.customer_card(status(redact=frozenset({"score"})), "en", shared_by="U1")
    assert "this week" not in json.dumps(dumps(shared))


def test_promises_are_checkboxes_on_the_askers_card_only():
    """The asker's card ticks promises off (option values are the promise ids); a shared card lists them."""
    promises = tuple(PromiseItem(f"Promise {i}", "U1", None, TODAY, False, 100 + i) for i in range(3))
    own, _ = cb.customer_card(status(promises=promises, open_promises=3, redact=frozenset()), "en")
    [box] = [e for b in dumps(own) if b["type"] == "actions" for e in b["elements"] if e["type"] == "checkboxes"]
    assert [o["value"] for o in box["options"]] == ["100", "101", "102"]
    shared, _ = cb.customer_card(status(promises=promises, open_promises=3, redact=frozenset()), "en", shared_by="U2")
    assert "checkboxes" not in json.dumps(dumps(shared)) and "Promise 0" in json.dumps(dumps(shared))


@pytest.mark.parametrize("locale", LOCALES)
def test_touches_on_the_card_newest_first_with_the_days_since(locale):
    """The latest touches with kind, day, who and the note (escaped, cut to TOUCH_NOTE); how long ago the last was."""
    touches = (
        TouchItem("call", "Budget <confirmed> & champion *happy*", "U1", TODAY - timedelta(days=1)),
        TouchItem("email", "x" * 1000, "U2", TODAY - timedelta(days=9)),
    )
    text = json.dumps(dumps(cb.customer_card(status(touches=touches), locale)[0]), ensure_ascii=False)
    head = {"en": "*Recent touches* · last one yesterday", "ko": "*최근 활동* · 마지막 활동 어제"}[locale]
    assert head in text
    call = {"en": "📞 *Call* · ", "ko": "📞 *통화* · "}[locale]
    assert call in text and "Budget &lt;confirmed&gt; &amp; champion" in text and "<@U1>" in text
    assert "x" * (cb.TOUCH_NOTE - 1) + "…" in text and "x" * (cb.TOUCH_NOTE + 1) not in text
    later = dataclasses.replace(touches[0], on=TODAY - timedelta(days=12))
    text = json.dumps(dumps(cb.customer_card(status(touches=(later,)), locale)[0]), ensure_ascii=False)
    assert {"en": "last one 12 days ago", "ko": "마지막 활동 12일 전"}[locale] in text


@pytest.mark.parametrize("locale", LOCALES)
def test_touch_modal_within_limits(locale):
    meta = cm.HealthMeta(customer_id=2**31 - 1, locale=locale, channel="C" * 20, response_url="https://x/" + "y" * 500)
    raw = check_view(cm.touch_modal(locale, meta, "삼성" * 200, TODAY))
    assert raw["callback_id"] == cb.TOUCH_MODAL
    kinds = raw["blocks"][1]["element"]["options"]
    assert [o["value"] for o in kinds] == list(TOUCH_KINDS)
    assert raw["blocks"][2]["element"]["initial_date"] == TODAY.isoformat()
    assert raw["blocks"][3]["element"]["max_length"] == 1000
