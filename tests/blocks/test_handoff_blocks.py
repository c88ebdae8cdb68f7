"""Every handoff builder (and the help answer) stays within Slack's Block Kit limits with worst-case data,
and the card shows what the domain asks for. Pure unit tests: no database, no Slack."""

import dataclasses
import json
import re
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.blocks import handoff as hb
from bot.blocks.help import help_message
from bot.i18n import t

LOCALES = ("en", "ko")

# --- Slack's limits (platform-rules.md) ----------------------------------------------------------------
MESSAGE_BLOCKS = 50
MODAL_BLOCKS = 100
SECTION_TEXT = 3000
SECTION_FIELDS = 10
FIELD_TEXT = 2000
HEADER_TEXT = 150
BUTTON_TEXT = 75
CONTEXT_ELEMENTS = 10
MESSAGE_TEXT = 40_000
VIEW_TITLE = 24
PRIVATE_METADATA = 3000
INPUT_LABEL = 2000
INPUT_HINT = 2000
PLACEHOLDER = 150
OPTION_TEXT = 75
OPTION_VALUE = 150
BLOCK_ID = 255
TEXT_INPUT_MAX = 3000

# --- worst-case data --------------------------------------------------------------------------------------
INJECTION = "<!channel> <@U1> <http://x|y> @here "


def _fill(unit: str, n: int) -> str:
    """`unit` repeated to exactly `n` characters."""
    return (unit * (n // len(unit) + 1))[:n]


# Long texts: words, Korean, characters escaping expands (`&` becomes 5 characters, `<`/`>` 4) with and
# without whitespace to cut at, emoji sequences that must not be split, and would-be mentions and links.
TEXTS = {
    "ascii": _fill("Lorem ipsum dolor sit amet. ", 3000),
    "korean": _fill("고객 성공팀이 첫날부터 알아야 할 내용 ", 3000),
    "escapes": _fill("<>&", 3000),
    "escapes_words": _fill("a < b & c > d ", 3000),
    "emoji": _fill("🤝👩‍👩‍👧‍👦🇰🇷👍🏽 ", 3000),
    "injection": _fill(INJECTION, 3000),
    "lines": _fill("&\n", 3000),
}
NAMES = {
    "ascii": _fill("Acme Worldwide Holdings ", 255),
    "korean": _fill("삼성전자주식회사", 255),
    "emoji": _fill("🎉", 255),
    "escapes": _fill("&<>", 255),
    "injection": _fill(INJECTION, 255),
}
SUBMITTED_AT = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
AE, SUBMITTER, CSM, SE = "U0AE", "U0SUBMITTER", "U0CSM", "U0SE"


def _promises(text: str, n: int = 20) -> list[hb.PromiseLine]:
    return [
        hb.PromiseLine(
            text=text[:300],
            owner_user_id=AE if i % 2 else None,
            owner_name=None if i % 2 else NAMES["escapes"],
            due_date=date(2026, 12, 1 + i % 28),
            done=i % 3 == 0,
        )
        for i in range(n)
    ]


def _stakeholders(text: str, n: int = 20) -> list[hb.StakeholderLine]:
    return [
        hb.StakeholderLine(
            role=text[:100],
            name=text[:255],
            title=text[:255],
            email=_fill("&" if i % 2 else "a", 243) + "@example.com",
        )
        for i in range(n)
    ]


def card(text: str = TEXTS["ascii"], name: str = NAMES["ascii"], **over) -> hb.CardData:
    """A card with every field filled, at the database's maximum sizes."""
    data = hb.CardData(
        handoff_id=2_147_483_647,
        customer=name,
        status="submitted",
        version=99,
        arr=Decimal("999999999999999"),
        currency="KRW",
        contract_start=date(2026, 12, 1),
        term_months=120,
        renewal_date=date(2036, 12, 1),
        kickoff_date=date(2026, 12, 8),
        ae_user_id=AE,
        se_user_id=SE,
        csm_user_id=CSM,
        submitted_by=SUBMITTER,
        submitted_at=SUBMITTED_AT,
        accepted_by=CSM,
        accepted_at=SUBMITTED_AT,
        bad_fit_by=CSM,
        bad_fit_reason=text,
        bad_fit_at=SUBMITTED_AT,
        products_sold=text,
        why_bought=text,
        business_goals=text,
        success_criteria=text,
        risks=text,
        icp_fit="partial",
        competitors=text[:1000],
        tech_requirements=text,
        links=text,
        feature_requests=text,
        promises=_promises(text),
        stakeholders=_stakeholders(text),
        filled=7,
        total=22,
    )
    return replace(data, **over)


# --- validation as Slack would do it -----------------------------------------------------------------------
_ENTITY_RE = re.compile(r"&(amp|lt|gt);")


def _check_mrkdwn(text: str, where: str) -> None:
    """Escaping survived truncation: every `&` starts an entity and every `<` we emit is closed."""
    for m in re.finditer("&", text):
        assert _ENTITY_RE.match(text, m.start()), f"{where}: broken entity at {m.start()}: {text[m.start() :][:12]!r}"
    depth = 0
    for i, ch in enumerate(text):
        if ch == "<":
            assert depth == 0, f"{where}: nested '<' at {i}"
            depth = 1
        elif ch == ">" and not (depth == 0 and (i == 0 or text[i - 1] == "\n")):  # else a quote marker
            assert depth == 1, f"{where}: stray '>' at {i}"
            depth = 0
    assert depth == 0, f"{where}: unclosed '<' (a mention, link or date cut in half)"


def _check_text(obj: dict | None, limit: int, where: str, *, plain_only: bool = False) -> None:
    if obj is None:
        return
    assert obj["type"] in (("plain_text",) if plain_only else ("plain_text", "mrkdwn")), where
    assert 1 <= len(obj["text"]) <= limit, f"{where}: {len(obj['text'])} > {limit}"
    if obj["type"] == "mrkdwn":
        _check_mrkdwn(obj["text"], where)


def _check_element(el: dict, where: str) -> None:
    kind = el["type"]
    assert len(el.get("action_id", "")) <= 255, where
    if kind == "button":
        _check_text(el["text"], BUTTON_TEXT, f"{where}.text", plain_only=True)
        assert len(el.get("value", "")) <= 2000, where
    if "placeholder" in el:
        _check_text(el["placeholder"], PLACEHOLDER, f"{where}.placeholder", plain_only=True)
    if kind == "plain_text_input":
        max_length = el.get("max_length", TEXT_INPUT_MAX)
        assert max_length <= TEXT_INPUT_MAX, where
        initial = el.get("initial_value")
        assert initial is None or len(initial) <= max_length, f"{where}: initial_value {len(initial)} > {max_length}"
    if kind == "static_select":
        assert len(el["options"]) <= 100, where
        for opt in el["options"] + ([el["initial_option"]] if "initial_option" in el else []):
            _check_text(opt["text"], OPTION_TEXT, f"{where}.option", plain_only=True)
            assert len(opt["value"]) <= OPTION_VALUE, where


def _check_block(raw: dict, where: str) -> None:
    """What Slack checks on one block: slack_sdk's validators (nested too) plus the limits they skip."""
    parsed = Block.parse(raw)
    assert parsed is not None and type(parsed) is not Block, f"{where}: unknown block type {raw.get('type')}"
    parsed.validate_json()
    assert parsed.to_dict() == raw  # to_dict validates every nested element and text object as well
    assert len(raw.get("block_id", "")) <= BLOCK_ID, where
    kind = raw["type"]
    if kind == "section":
        assert "text" in raw or "fields" in raw, where
        _check_text(raw.get("text"), SECTION_TEXT, f"{where}.text")
        assert len(raw.get("fields", [])) <= SECTION_FIELDS, where
        for i, f in enumerate(raw.get("fields", [])):
            _check_text(f, FIELD_TEXT, f"{where}.fields[{i}]")
    elif kind == "header":
        _check_text(raw["text"], HEADER_TEXT, f"{where}.text", plain_only=True)
    elif kind == "context":
        assert 1 <= len(raw["elements"]) <= CONTEXT_ELEMENTS, where
        for i, el in enumerate(raw["elements"]):
            _check_text(el, SECTION_TEXT, f"{where}.elements[{i}]")
    elif kind == "actions":
        assert 1 <= len(raw["elements"]) <= 25, where
        for i, el in enumerate(raw["elements"]):
            _check_element(el, f"{where}.elements[{i}]")
    elif kind == "input":
        _check_text(raw["label"], INPUT_LABEL, f"{where}.label", plain_only=True)
        _check_text(raw.get("hint"), INPUT_HINT, f"{where}.hint", plain_only=True)
        _check_element(raw["element"], f"{where}.element")
    else:
        assert kind == "divider", f"{where}: unexpected block type {kind}"


def check_message(blocks: list[Block], text: str) -> list[dict]:
    """Validate a message the way chat.postMessage would; returns the blocks as JSON."""
    assert 1 <= len(blocks) <= MESSAGE_BLOCKS
    raw = json.loads(json.dumps(hb.dumps_blocks(blocks)))
    for i, b in enumerate(raw):
        _check_block(b, f"blocks[{i}]")
    block_ids = [b["block_id"] for b in raw if "block_id" in b]
    assert len(block_ids) == len(set(block_ids))
    assert text and len(text) <= MESSAGE_TEXT
    return raw


def check_modal(view: View) -> dict:
    """Validate a modal the way views.open would; returns it as JSON."""
    view.validate_json()
    raw = json.loads(json.dumps(view.to_dict()))
    View(**raw).validate_json()
    assert raw["type"] == "modal"
    assert 1 <= len(raw["blocks"]) <= MODAL_BLOCKS
    for key in ("title", "submit", "close"):
        _check_text(raw[key], VIEW_TITLE, key, plain_only=True)
    assert len(raw.get("private_metadata", "")) <= PRIVATE_METADATA
    assert len(raw["callback_id"]) <= 255
    for i, b in enumerate(raw["blocks"]):
        _check_block(b, f"blocks[{i}]")
    block_ids = [b["block_id"] for b in raw["blocks"] if "block_id" in b]
    assert len(block_ids) == len(set(block_ids))
    return raw


def mrkdwn_texts(raw: list[dict]) -> list[str]:
    """Every mrkdwn string in a message's blocks."""
    out = []
    for b in raw:
        for obj in [b.get("text")] + b.get("fields", []) + b.get("elements", []):
            if isinstance(obj, dict) and obj.get("type") == "mrkdwn":
                out.append(obj["text"])
    return out


def buttons(raw: list[dict]) -> dict[str, dict]:
    return {el["action_id"]: el for b in raw if b["type"] == "actions" for el in b["elements"]}


# --- the card: limits --------------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("text_kind", sorted(TEXTS))
@pytest.mark.parametrize("name_kind", sorted(NAMES))
def test_card_within_limits_with_worst_case_data(locale, text_kind, name_kind):
    """The card stays valid whatever the customer name and long texts hold."""
    blocks, text = hb.handoff_card(card(TEXTS[text_kind], NAMES[name_kind]), locale)
    check_message(blocks, text)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("text_kind", sorted(TEXTS))
@pytest.mark.parametrize(
    "state",
    [
        {"accepted_by": None, "accepted_at": None, "bad_fit_by": None, "bad_fit_reason": None, "bad_fit_at": None},
        {"bad_fit_by": None, "bad_fit_reason": None, "bad_fit_at": None},
        {"accepted_by": None, "accepted_at": None},
        {},
    ],
    ids=["submitted", "accepted", "flagged", "accepted_and_flagged"],
)
def test_card_within_limits_in_every_state(locale, text_kind, state):
    """Submitted, accepted, flagged or both: the card (and its status line) stays valid."""
    blocks, text = hb.handoff_card(card(TEXTS[text_kind], **state), locale)
    check_message(blocks, text)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("n", [0, 1, 20, 21, 100])
def test_card_with_many_promises_and_stakeholders(locale, n):
    """Any number of promises and stakeholders fits one section each."""
    d = card(TEXTS["escapes_words"], promises=_promises(TEXTS["escapes_words"], n))
    d = replace(d, stakeholders=_stakeholders(TEXTS["korean"], n))
    blocks, text = hb.handoff_card(d, locale)
    check_message(blocks, text)


@pytest.mark.parametrize("locale", LOCALES)
def test_card_with_only_required_fields(locale):
    """A card with every optional field empty is still valid and shows no empty sections."""
    d = card(
        "Short.",
        "Acme",
        arr=None,
        currency=None,
        term_months=None,
        kickoff_date=None,
        se_user_id=None,
        csm_user_id=None,
        ae_user_id=None,
        submitted_by=None,
        submitted_at=None,
        accepted_by=None,
        accepted_at=None,
        bad_fit_by=None,
        bad_fit_reason=None,
        bad_fit_at=None,
        risks=None,
        icp_fit=None,
        competitors=None,
        tech_requirements=None,
        links=None,
        feature_requests=None,
        promises=[],
        stakeholders=[],
    )
    raw = check_message(*hb.handoff_card(d, locale))
    for b in raw:
        if b["type"] == "section" and "text" in b:
            assert b["text"]["text"].strip()


# --- the card: content -------------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_card_escapes_mentions_and_links_in_user_text(locale):
    """`<!channel>`, `<@U1>` and `<http://x|y>` typed by a user reach Slack as text, not as pings or links."""
    d = card(
        "Intro " + INJECTION,
        "Acme " + INJECTION,
        promises=_promises("SSO " + INJECTION, 3),
        stakeholders=[hb.StakeholderLine("<!here>", "<@U1>", "<http://x|y>", "a<b>@x.com")],
    )
    blocks, text = hb.handoff_card(d, locale)
    raw = check_message(blocks, text)
    everything = "\n".join(mrkdwn_texts(raw) + [text])
    for forged in ("<!channel>", "<@U1>", "<http://x|y>", "<!here>", "<a"):
        assert forged not in everything
    assert "&lt;!channel&gt;" in everything
    assert "&lt;@U1&gt;" in everything
    assert "&lt;http://x|y&gt;" in everything
    assert "@here" not in everything  # neutralised with a zero-width joiner
    for s in mrkdwn_texts(raw) + [text]:
        _check_mrkdwn(s, s[:30])


@pytest.mark.parametrize("locale", LOCALES)
def test_card_shows_promises_as_a_checklist(locale):
    """Open promises are ☐, done ones ☑, each with its owner and due date."""
    promises = [
        hb.PromiseLine("SSO by launch", AE, None, date(2026, 12, 15), False),
        hb.PromiseLine("Data migration", None, "Jane Kim", None, True),
    ]
    raw = check_message(*hb.handoff_card(card("x", promises=promises), locale))
    section = next(s for s in mrkdwn_texts(raw) if "SSO by launch" in s)
    assert section.startswith(f"*{t(locale, 'handoff.card.promises')}*\n")
    lines = section.splitlines()[1:]
    assert lines[0].startswith("☐ SSO by launch")
    assert f"<@{AE}>" in lines[0]
    assert t(locale, "handoff.card.due", date="") in lines[0]
    assert lines[1].startswith("☑ Data migration") and "Jane Kim" in lines[1]


@pytest.mark.parametrize("locale", LOCALES)
def test_card_shows_completeness(locale):
    """The completeness field shows how many of the fields are filled."""
    raw = check_message(*hb.handoff_card(card("x", filled=9, total=11), locale))
    fields = [f["text"] for b in raw for f in b.get("fields", [])]
    completeness = next(f for f in fields if f.startswith(f"*{t(locale, 'handoff.card.completeness')}*"))
    assert t(locale, "handoff.card.filled", n=9, total=11) in completeness
    if locale == "en":
        assert "9/11" in completeness


@pytest.mark.parametrize("locale", LOCALES)
def test_card_buttons_follow_the_state(locale):
    """Accept disappears once accepted, Flag once flagged; Ask AE and Edit stay."""
    fresh = card("x", accepted_by=None, accepted_at=None, bad_fit_by=None, bad_fit_reason=None, bad_fit_at=None)
    assert set(buttons(check_message(*hb.handoff_card(fresh, locale)))) == {
        hb.ACCEPT,
        hb.ASK_AE,
        hb.FLAG_BAD_FIT,
        hb.EDIT,
    }
    accepted = replace(fresh, accepted_by=CSM, accepted_at=SUBMITTED_AT)
    assert set(buttons(check_message(*hb.handoff_card(accepted, locale)))) == {hb.ASK_AE, hb.FLAG_BAD_FIT, hb.EDIT}
    flagged = replace(fresh, bad_fit_by=CSM, bad_fit_reason="no budget", bad_fit_at=SUBMITTED_AT)
    assert set(buttons(check_message(*hb.handoff_card(flagged, locale)))) == {hb.ACCEPT, hb.ASK_AE, hb.EDIT}
    both = replace(accepted, bad_fit_by=CSM, bad_fit_reason="no budget", bad_fit_at=SUBMITTED_AT)
    assert set(buttons(check_message(*hb.handoff_card(both, locale)))) == {hb.ASK_AE, hb.EDIT}


@pytest.mark.parametrize("locale", LOCALES)
def test_card_buttons_carry_the_handoff_id(locale):
    """Every button's value is the handoff id the listener loads."""
    raw = check_message(*hb.handoff_card(card("x", accepted_by=None, bad_fit_by=None), locale))
    assert {b["value"] for b in buttons(raw).values()} == {"2147483647"}


@pytest.mark.parametrize("locale", LOCALES)
def test_edit_button_is_visible_to_the_ae_and_the_submitter(locale):
    """Only the AE and the person who submitted see Edit."""
    raw = check_message(*hb.handoff_card(card("x"), locale))
    assert sorted(buttons(raw)[hb.EDIT]["visible_to_user_ids"]) == sorted([AE, SUBMITTER])
    same = check_message(*hb.handoff_card(card("x", submitted_by=AE), locale))
    assert buttons(same)[hb.EDIT]["visible_to_user_ids"] == [AE]
    for b in (hb.ACCEPT, hb.ASK_AE, hb.FLAG_BAD_FIT):
        assert (
            "visible_to_user_ids"
            not in buttons(check_message(*hb.handoff_card(card("x", accepted_by=None, bad_fit_by=None), locale)))[b]
        )


def test_korean_card_uses_korean_labels_and_units():
    """The ko card speaks Korean and writes KRW in 억/만 units."""
    d = card("x", arr=Decimal("150000000"), currency="KRW", accepted_by=None, bad_fit_by=None)
    blocks, text = hb.handoff_card(d, "ko")
    raw = check_message(blocks, text)
    dumped = json.dumps(raw, ensure_ascii=False)
    assert "1억 5,000만 원" in dumped and "1억 5,000만 원" in text
    for key in ("handoff.card.renewal", "handoff.card.completeness", "handoff.card.promises", "handoff.card.kickoff"):
        assert t("ko", key) in dumped
    assert {b["text"]["text"] for b in buttons(raw).values()} == {
        t("ko", k)
        for k in ("handoff.card.accept", "handoff.card.ask_ae", "handoff.card.flag_bad_fit", "handoff.card.edit")
    }
    assert raw[0]["text"]["text"].startswith("🤝 인계:")
    assert "Renewal" not in dumped and "Accept" not in dumped
    assert "2036년 12월 1일" in dumped


def test_english_card_writes_krw_in_full():
    """The en card writes KRW with thousands separators, and the largest ARR fits."""
    raw = check_message(*hb.handoff_card(card("x", arr=Decimal("999999999999999")), "en"))
    assert "₩999,999,999,999,999" in json.dumps(raw, ensure_ascii=False)


@pytest.mark.parametrize("locale", LOCALES)
def test_card_dates_use_slack_date_tokens_with_fallback(locale):
    """Submission time renders in each reader's time zone, with a UTC fallback for old clients."""
    raw = check_message(*hb.handoff_card(card("x"), locale))
    epoch = int(SUBMITTED_AT.timestamp())
    texts = [s for s in mrkdwn_texts(raw) if "<!date^" in s]
    assert any(f"<!date^{epoch}^{{date_short_pretty}} {{time}}|2026-11-23 09:30 UTC>" in s for s in texts)
    # At the top, whether it is taken, in Slack's own relative time ("2 hours ago"), kept current by Slack.
    assert any("<!date^" in s and "^{ago}|" in s and ("owns it" in s or "담당" in s) for s in texts)


@pytest.mark.parametrize("locale", LOCALES)
def test_card_says_at_the_top_whether_it_is_taken_and_what_is_missing(locale):
    """Before Accept: "Waiting for a CSM"; the completeness names the fields left empty by their short names."""
    d = dataclasses.replace(
        card("x"), accepted_by=None, accepted_at=None, missing=("promises", "risks", "kickoff_date")
    )
    raw = check_message(*hb.handoff_card(d, locale))
    text = json.dumps(raw, ensure_ascii=False)
    if locale == "en":
        assert "⏳ *Waiting for a CSM* · submitted <!date^" in text and "missing: promises, risks, kickoff" in text
    else:
        assert "⏳ *CSM 배정 대기 중*" in text and "빠진 항목: 약속 사항, 위험, 킥오프" in text


@pytest.mark.parametrize("locale", LOCALES)
def test_card_header_is_plain_text_with_the_customer(locale):
    """The header carries the customer's name unescaped (plain text) and cut to 150 characters."""
    raw = check_message(*hb.handoff_card(card("x", "Tom & Jerry <Co>"), locale))
    assert raw[0]["type"] == "header" and "Tom & Jerry <Co>" in raw[0]["text"]["text"]
    long = check_message(*hb.handoff_card(card("x", NAMES["korean"]), locale))
    assert len(long[0]["text"]["text"]) <= HEADER_TEXT and long[0]["text"]["text"].endswith("…")


# --- the handoff modal ----------------------------------------------------------------------------------------


def _prefill(text: str, name: str) -> dict[str, str | None]:
    values: dict[str, str | None] = {}
    for spec in hb.FIELDS:
        if spec.kind in ("text", "multiline"):
            values[spec.name] = text
        elif spec.kind == "amount":
            values[spec.name] = "KRW 999,999,999,999,999"
        elif spec.kind == "date":
            values[spec.name] = "2026-12-01"
        elif spec.kind == "user":
            values[spec.name] = AE
        elif spec.kind == "number":
            values[spec.name] = "120"
        elif spec.kind == "icp":
            values[spec.name] = "bad"
    values["customer_name"] = name
    return values


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("editing", [False, True])
@pytest.mark.parametrize("text_kind", sorted(TEXTS))
def test_handoff_modal_prefilled_with_worst_case_values(locale, editing, text_kind):
    """Prefilled with 3,000-character values, no initial value exceeds its input's max_length."""
    meta = hb.HandoffMeta(handoff_id=2_147_483_647, form_id="f" * 64, locale=locale)
    view = hb.handoff_modal(locale, meta, _prefill(TEXTS[text_kind], NAMES["emoji"]), editing=editing)
    raw = check_modal(view)
    assert raw["callback_id"] == hb.HANDOFF_MODAL
    inputs = {b["block_id"]: b["element"] for b in raw["blocks"] if b["type"] == "input"}
    assert set(inputs) == {s.name for s in hb.FIELDS}
    for spec in hb.FIELDS:
        if spec.kind in ("text", "multiline"):
            assert inputs[spec.name]["max_length"] == spec.max_length
            assert 0 < len(inputs[spec.name]["initial_value"]) <= spec.max_length
    assert inputs["icp_fit"]["initial_option"]["value"] == "bad"
    assert inputs["renewal_date"]["initial_date"] == "2026-12-01"
    assert inputs["ae_user"]["initial_user"] == AE
    assert json.loads(raw["private_metadata"])["handoff_id"] == 2_147_483_647


@pytest.mark.parametrize("locale", LOCALES)
def test_handoff_modal_empty(locale):
    """A fresh form is valid, has the Korean/English title and marks optional fields optional."""
    raw = check_modal(hb.handoff_modal(locale, hb.HandoffMeta(form_id="f1", locale=locale), {}, editing=False))
    assert raw["title"]["text"] == t(locale, "handoff.modal.title")
    optional = {b["block_id"] for b in raw["blocks"] if b["type"] == "input" and b.get("optional")}
    assert optional == {s.name for s in hb.FIELDS if s.optional}


def test_handoff_meta_over_the_limit_is_refused():
    """private_metadata can never silently exceed Slack's 3,000 characters."""
    with pytest.raises(ValueError):
        hb.HandoffMeta(form_id="f" * 3000).dump()


# --- small modals and thread posts ------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("name_kind", sorted(NAMES))
def test_ask_ae_modal_with_long_customer(locale, name_kind):
    """The Ask-AE modal stays valid with a 255-character customer and escapes it."""
    raw = check_modal(hb.ask_ae_modal(locale, 2_147_483_647, NAMES[name_kind], AE))
    assert raw["callback_id"] == hb.ASK_AE_MODAL
    assert json.loads(raw["private_metadata"]) == {"handoff_id": 2_147_483_647, "locale": locale}
    assert raw["blocks"][1]["block_id"] == hb.QUESTION_BLOCK
    assert "<!channel>" not in raw["blocks"][0]["text"]["text"]
    assert f"<@{AE}>" in raw["blocks"][0]["text"]["text"]


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("name_kind", sorted(NAMES))
def test_bad_fit_modal_with_long_customer(locale, name_kind):
    """The bad-fit modal stays valid with a 255-character customer."""
    raw = check_modal(hb.bad_fit_modal(locale, 2_147_483_647, NAMES[name_kind]))
    assert raw["callback_id"] == hb.BAD_FIT_MODAL
    assert raw["blocks"][1]["block_id"] == hb.REASON_BLOCK
    assert "<!channel>" not in raw["blocks"][0]["text"]["text"]


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("text_kind", sorted(TEXTS))
def test_ask_ae_thread_message_with_long_question(locale, text_kind):
    """A 3,000-character question is quoted, escaped and cut to fit one section."""
    blocks, text = hb.ask_ae_thread_message(locale, AE, "U0ASKER", TEXTS[text_kind])
    raw = check_message(blocks, text)
    body = raw[0]["text"]["text"]
    assert body.startswith(f"{text}\n>")
    assert f"<@{AE}>" in body and "<@U0ASKER>" in body
    assert "<!channel>" not in body


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("text_kind", sorted(TEXTS))
def test_bad_fit_thread_message_with_long_reason(locale, text_kind):
    """A 3,000-character reason is quoted, escaped and cut to fit one section."""
    blocks, text = hb.bad_fit_thread_message(locale, "U0FLAGGER", TEXTS[text_kind])
    raw = check_message(blocks, text)
    body = raw[0]["text"]["text"]
    assert body.startswith(f"{text}\n>")
    assert "<!channel>" not in body


@pytest.mark.parametrize("locale", LOCALES)
def test_thread_messages_quote_every_line(locale):
    """Each line of a multi-line question stays inside the quote."""
    blocks, _ = hb.ask_ae_thread_message(locale, None, "U0ASKER", "one\ntwo & three")
    assert blocks[0].text.text.endswith("\n>one\n>two &amp; three")


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("owner_found", [True, False], ids=["dm", "unowned"])
@pytest.mark.parametrize("name_kind", sorted(NAMES))
def test_fill_request_with_long_names(locale, owner_found, name_kind):
    """The CRM fill request (DM to the owner, or channel post when unowned) stays valid."""
    name = NAMES[name_kind]
    email = _fill("&", 243) + "@example.com"
    amount = "₩999조 9,999억 9,999만 9,999"
    blocks, text = hb.fill_request(locale, 2_147_483_647, name, name, amount, owner_found, email)
    raw = check_message(blocks, text)
    assert buttons(raw)[hb.FILL]["value"] == "2147483647"
    assert "<!channel>" not in raw[0]["text"]["text"]


@pytest.mark.parametrize("locale", LOCALES)
def test_fill_request_unowned_names_the_owner_email(locale):
    """The unowned variant says whose deal it was; the DM variant does not."""
    unowned, _ = hb.fill_request(locale, 1, "Deal", "Acme", None, False, "owner@example.com")
    dm, _ = hb.fill_request(locale, 1, "Deal", "Acme", "$1", True, "owner@example.com")
    assert "owner@example.com" in unowned[0].text.text
    assert "owner@example.com" not in dm[0].text.text
    assert "—" in unowned[0].text.text  # no amount known


@pytest.mark.parametrize("locale", LOCALES)
def test_help_message(locale):
    """The help answer is valid and in the reader's language."""
    blocks, text = help_message(locale)
    raw = check_message(blocks, text)
    assert "/handoff" in raw[0]["text"]["text"]
    assert text == t(locale, "help.fallback")


@pytest.mark.parametrize("locale", LOCALES)
def test_card_never_hides_promises_silently(locale):
    """Twenty ordinary promises are all listed, or the card says how many it left out."""
    promises = [
        hb.PromiseLine(
            _fill(f"Promise {i}: deliver the SAML SSO integration and migrate the data. ", 300),
            AE,
            None,
            date(2026, 12, 15),
            False,
        )
        for i in range(20)
    ]
    raw = check_message(*hb.handoff_card(card("x", promises=promises), locale))
    section = next(s for s in mrkdwn_texts(raw) if s.startswith(f"*{t(locale, 'handoff.card.promises')}*"))
    shown = section.count("☐")
    assert shown == 20 or t(locale, "common.and_more", count=20 - shown) in section
