"""The VoC capture builders stay within Slack's limits under worst-case data, in English and Korean."""

import json
from datetime import date

import pytest

from bot.blocks import customer as cb
from bot.blocks import voc as vb
from bot.handlers.voc import quote_text
from bot.i18n import CATALOGS, placeholders
from bot.models.voc import CATEGORIES, IMPORTANCES, STATUSES
from bot.services import voc
from bot.services.customer import VocNote
from bot.services.lookup import Match
from bot.text import escape_mrkdwn
from tests.blocks.test_customer_blocks import NASTY, check_blocks, check_view, dumps, status

LOCALES = ("en", "ko")
TODAY = date(2026, 11, 23)
LONG_NAME = ("삼성전자주식회사" * 40)[:255]
KO_12K = ("고객이 대시보드 내보내기를 원합니다. " * 700)[: voc.MAX_QUOTE]
AMP_12K = "&" * voc.MAX_QUOTE  # escapes to five times as many characters
NASTY_QUOTE = (NASTY + "고객의 목소리 <@U123> & ") * 400
ITEMS = tuple(("로드맵 항목 " * 30, s) for s in ("planned", "in_progress", "shipped") * 10)
URL = "https://fake-workspace.slack.com/archives/C1/p1700000000000100?thread_ts=1700000000.000100&cid=C1"


def note(text: str = NASTY_QUOTE, **changes) -> VocNote:
    base = {
        "text": text,
        "source": "message",
        "heard_on": TODAY,
        "voc_id": 2**31 - 1,
        "category": "feature_request",
        "importance": "blocker",
        "items": ITEMS,
    }
    return VocNote(**{**base, **changes})


def meta(**changes) -> vb.VocMeta:
    base = {
        "locale": "ko",
        "channel": "C" + "1" * 20,
        "ts": "1700000000.000100",
        "thread_ts": "1700000000.000001",
        "author": "U" + "9" * 20,
        "draft_id": 2**31 - 1,
        "cut": "f" * 24,
        "reply_channel": "C" + "2" * 20,
        "response_url": "https://hooks.slack.com/actions/T111/" + "1" * 20 + "/" + "x" * 40,
        "replace": True,
    }
    return vb.VocMeta(**{**base, **changes})


def confirmation(**changes) -> vb.Confirmation:
    base = {
        "voc_id": 2**31 - 1,
        "customer_id": 2**31 - 1,
        "customer": LONG_NAME + NASTY,
        "quote": KO_12K + NASTY,
        "category": "feature_request",
        "importance": "critical",
        "created": False,
        "first_reporter": "U_CSM",
        "user": "U_KO",
        "permalink": URL,
        "item": "항목" * 100,
        "channel": "C" + "1" * 20,
    }
    return vb.Confirmation(**{**base, **changes})


def buttons(blocks: list[dict]) -> list[dict]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]] + [
        b["accessory"] for b in blocks if b.get("accessory", {}).get("type") == "button"
    ]


# --- the modal ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_log_modal_within_limits_with_150_roadmap_items(locale):
    """A 3,000-character prefill, 150 open items with 150-character titles: 100 options, all fields, metadata."""
    items = [(i, f"{i} " + "긴 로드맵 항목 제목 " * 20) for i in range(150)]
    quote, digest = vb.prefill(quote_text(NASTY_QUOTE))  # prefilled from a message as its reader saw it
    view = vb.log_modal(
        locale, meta(locale=locale, cut=digest), quote=quote, full_length=12_000, items=items, selected_item=7
    )
    raw = check_view(view)
    by_id = {b.get("block_id"): b for b in raw["blocks"]}
    assert raw["callback_id"] == vb.LOG_MODAL
    assert {vb.CUSTOMER_BLOCK, vb.QUOTE_BLOCK, vb.CATEGORY_BLOCK, vb.IMPORTANCE_BLOCK, vb.AREA_BLOCK} <= set(by_id)
    customer = by_id[vb.CUSTOMER_BLOCK]["element"]
    assert customer["type"] == "external_select" and customer["action_id"] == vb.CUSTOMER_SELECT
    assert customer["min_query_length"] == 1
    quote_input = by_id[vb.QUOTE_BLOCK]["element"]
    assert quote_input["max_length"] == 3000 and len(quote_input["initial_value"]) <= 3000
    roadmap = by_id[vb.ROADMAP_BLOCK]
    assert roadmap["optional"] is True and len(roadmap["element"]["options"]) == 100
    assert all(len(o["text"]["text"]) <= 75 for o in roadmap["element"]["options"])
    assert roadmap["element"]["initial_option"]["value"] == "7"
    assert [o["value"] for o in by_id[vb.CATEGORY_BLOCK]["element"]["options"]] == list(CATEGORIES)
    assert by_id[vb.IMPORTANCE_BLOCK]["element"]["initial_option"]["value"] == voc.DEFAULT_IMPORTANCE
    assert by_id[vb.AREA_BLOCK]["element"]["max_length"] == voc.MAX_AREA
    assert "12,000" in json.dumps(raw, ensure_ascii=False)  # the cut is explained
    assert vb.VocMeta.model_validate_json(raw["private_metadata"]).cut == digest


def test_log_modal_without_items_or_source_has_no_roadmap_or_context():
    """The empty form (from `/voc`): no source line, no cut hint, no roadmap field when nothing is open."""
    raw = check_view(vb.log_modal("en", vb.VocMeta()))
    types = [b["type"] for b in raw["blocks"]]
    assert "context" not in types and vb.ROADMAP_BLOCK not in {b.get("block_id") for b in raw["blocks"]}
    assert "initial_value" not in raw["blocks"][1]["element"]


def test_log_modal_preselects_only_an_offered_item():
    """An item that is not among the options (no longer open) is not preselected."""
    raw = check_view(vb.log_modal("en", vb.VocMeta(), items=[(1, "A"), (2, "B")], selected_item=99))
    [roadmap] = [b for b in raw["blocks"] if b.get("block_id") == vb.ROADMAP_BLOCK]
    assert "initial_option" not in roadmap["element"]


def test_metadata_over_3000_characters_is_refused():
    """private_metadata is checked against Slack's limit when dumped."""
    with pytest.raises(ValueError):
        meta(response_url="https://x/" + "y" * 3000).dump()


@pytest.mark.parametrize(
    ("text", "cut"),
    [("short quote", False), ("x" * 3000, False), ("가" * 3001, True), (KO_12K, True)],
)
def test_prefill_cuts_only_what_does_not_fit(text, cut):
    """Up to 3,000 characters prefill as they are; longer texts are cut (with …) and come with a digest."""
    initial, digest = vb.prefill(text)
    assert len(initial) <= vb.INPUT_MAX
    assert (digest is not None) is cut
    if cut:
        assert initial.endswith("…") and text.startswith(initial[:-1].rstrip())
    else:
        assert initial == text


def test_left_unchanged_recognises_the_prefilled_cut_only():
    """The cut submitted as is (Slack may trim its ends) counts as unchanged; any edit does not."""
    initial, digest = vb.prefill(KO_12K)
    assert vb.left_unchanged(initial, digest) and vb.left_unchanged(f"  {initial}\n", digest)
    assert not vb.left_unchanged(initial[:-10], digest)
    assert not vb.left_unchanged(initial, None) and not vb.left_unchanged(None, digest)


def test_customer_options_cap_and_cut():
    """At most 100 options, names cut to 75 characters, the customer id as value."""
    options = vb.customer_options([Match(i, LONG_NAME) for i in range(150)])
    assert len(options) == 100
    assert all(len(o["text"]["text"]) <= 75 and o["value"] == str(i) for i, o in enumerate(options))


@pytest.mark.parametrize("locale", LOCALES)
def test_error_texts_are_short_and_format_numbers(locale):
    """Inline errors fit under a field and write numbers with separators."""
    text = vb.error_text(locale, "quote_too_long", {"max": 12_000, "length": 12_345})
    assert "12,000" in text and "12,345" in text and len(text) <= 150


# --- messages -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("created", [True, False])
def test_confirmation_within_limits_with_buttons(locale, created):
    """Worst case: 255-character Korean name with markup, a 12,000-character quote, a long item, a permalink."""
    blocks, text = vb.confirmation(locale, confirmation(created=created))
    raw = dumps(blocks)
    check_blocks(raw, 50)
    assert 0 < len(text) <= 3000
    by_action = {b["action_id"]: b for b in buttons(raw)}
    assert set(by_action) == {vb.TAG, vb.OPEN_CUSTOMER}
    assert by_action[vb.TAG]["value"] == str(2**31 - 1)
    ref = cb.CardRef.model_validate_json(by_action[vb.OPEN_CUSTOMER]["value"])
    assert (ref.customer_id, ref.channel) == (2**31 - 1, "C" + "1" * 20)
    dumped = json.dumps(raw, ensure_ascii=False)
    assert "&amp;cid=C1|" in dumped and ("<@U_CSM>" in dumped) is (not created)


def test_confirmation_says_who_logged_it_first():
    """Someone else's note: "<@them> had already logged this"; your own again: nothing changed."""
    other = json.dumps(dumps(vb.confirmation("en", confirmation(first_reporter="U_CSM", user="U_KO"))[0]))
    assert "<@U_CSM> had already logged this" in other
    mine = json.dumps(dumps(vb.confirmation("en", confirmation(first_reporter="U_KO", user="U_KO"))[0]))
    assert "You had already logged this" in mine and "<@U_KO>" not in mine
    new = vb.confirmation("ko", confirmation(created=True, item=None, permalink=None))[0]
    assert "고객의 목소리(VoC)로 기록했습니다" in json.dumps(dumps(new), ensure_ascii=False)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("suggestions", [False, True])
def test_choices_within_limits(locale, suggestions):
    """Ten long-named customers: one pick button each, carrying the draft and the customer."""
    matches = [Match(i, LONG_NAME + NASTY) for i in range(10)]
    blocks, text = vb.choices_message(
        locale, NASTY * 10, KO_12K, matches, 2**31 - 1, suggestions=suggestions, more=True
    )
    raw = dumps(blocks)
    check_blocks(raw, 50)
    picks = buttons(raw)
    assert [b["action_id"] for b in picks] == [vb.PICK] * 10
    refs = [vb.PickRef.model_validate_json(b["value"]) for b in picks]
    assert [(r.draft_id, r.customer_id) for r in refs] == [(2**31 - 1, i) for i in range(10)]
    assert 0 < len(text) <= 3000


def test_choices_without_matches_say_so():
    """No customer even close: a plain note, no buttons."""
    blocks, text = vb.choices_message("en", "zzz", "x", [], 1, suggestions=True)
    assert "No customer matches “zzz”" in text and not buttons(dumps(blocks))


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("one_customer", [False, True])
def test_list_within_limits(locale, one_customer):
    """Ten worst-case notes (3 items shown each, the rest counted): Tag to roadmap and View full note on each."""
    listed = [vb.ListedNote(LONG_NAME + NASTY, note(voc_id=i)) for i in range(15)]
    blocks, text = vb.list_message(locale, listed, LONG_NAME if one_customer else None)
    raw = dumps(blocks)
    check_blocks(raw, 50)
    assert len(raw[0]["text"]["text"]) <= 150
    actions = [b for b in raw if b["type"] == "actions"]
    assert len(actions) == vb.MAX_LIST
    assert [[e["action_id"] for e in b["elements"]] for b in actions] == [[vb.TAG, vb.VIEW]] * vb.MAX_LIST
    assert [b["elements"][0]["value"] for b in actions] == [str(i) for i in range(vb.MAX_LIST)]
    dumped = json.dumps(raw, ensure_ascii=False)
    assert "✅" in dumped and CATALOGS[locale]["common.and_more"].format(count=len(ITEMS) - 3) in dumped
    assert 0 < len(text) <= 3000


@pytest.mark.parametrize("locale", LOCALES)
def test_empty_lists_read_cleanly(locale):
    """No notes yet: the header and one sentence, no buttons."""
    for customer in (None, "ACME"):
        raw = dumps(vb.list_message(locale, [], customer)[0])
        check_blocks(raw, 50)
        assert len(raw) == 2 and not buttons(raw)


@pytest.mark.parametrize("locale", LOCALES)
def test_reaction_prompt_within_limits(locale):
    """The reactor's prompt: who wrote it, the quote (cut), one Log as VoC button carrying the draft."""
    ref = vb.DraftRef(draft_id=2**31 - 1, thread_ts="1700000000.000100")
    blocks, text = vb.reaction_prompt(locale, ref, KO_12K + NASTY, "U_X")
    raw = dumps(blocks)
    check_blocks(raw, 50)
    [button] = buttons(raw)
    assert button["action_id"] == vb.OPEN_DRAFT and vb.DraftRef.model_validate_json(button["value"]) == ref
    assert "<@U_X>" in json.dumps(raw) and text


# --- the full note and the card ----------------------------------------------------------------------------


@pytest.mark.parametrize("text", [AMP_12K, KO_12K, NASTY_QUOTE[: voc.MAX_QUOTE], "한 줄\n" * 4000])
@pytest.mark.parametrize("locale", LOCALES)
def test_note_modal_shows_the_whole_quote_in_sections(locale, text):
    """12,000 characters that escape to 60,000, Korean, markup, many lines: every character is there, escaped,
    in sections of at most 3,000 characters, within 100 blocks."""
    reporters = tuple(f"U{i}" for i in range(30))
    for items in ((), ITEMS):
        detail = vb.NoteDetail(LONG_NAME, note(text=text, items=items), "영역" * 50, reporters, URL)
        raw = check_view(vb.note_modal(locale, detail))
        assert raw["callback_id"] == vb.NOTE_MODAL and "submit" not in raw
        sections = [b["text"]["text"] for b in raw["blocks"] if b["type"] == "section"]
        assert all(len(s) <= 3000 for s in sections) and LONG_NAME[:100] in sections[0]
        if not items:  # after the customer, the quote and nothing else
            quote = "".join(sections[1:])
            assert "".join(quote.split()) == "".join(escape_mrkdwn(text).split())
        else:  # then every item, shipped ones marked
            assert "".join(sections).count("✅") == 10 and "".join(sections).count("🗺") == 20


def test_note_modal_for_a_gone_note():
    """A note that is gone (or another team's) says so."""
    raw = check_view(vb.note_modal("en", None))
    assert "no longer in Baton" in json.dumps(raw)


def test_split_never_cuts_an_entity_or_a_combined_character():
    """Pieces end on whole `&amp;` entities and never start with a combining mark."""
    text = ("a&b" * 2000) + ("e\u0301" * 2000)
    for limit in (7, 50, 3000):
        pieces = vb.split_mrkdwn(text.replace("&", "&amp;"), limit)
        assert "".join(pieces) == text.replace("&", "&amp;")
        assert all(len(p) <= limit for p in pieces)
        assert not [p for p in pieces if p.startswith(("amp;", "mp;", "p;", ";", "\u0301"))]


@pytest.mark.parametrize("locale", LOCALES)
def test_card_draws_latest_voc_with_items_and_view_buttons(locale):
    """The card's VoC: at most 3 notes, each quoted and cut, its category, importance and items (shipped marked),
    with View full note; within 50 blocks with worst-case data."""
    notes = tuple(note(voc_id=i) for i in range(10))
    blocks, _ = cb.customer_card(status(voc=notes, redact=frozenset()), locale, channel="C1")
    raw = dumps(blocks)
    check_blocks(raw, 50)
    views = [b for b in buttons(raw) if b["action_id"] == cb.VOC_VIEW]
    assert [b["value"] for b in views] == ["0", "1", "2"]
    dumped = json.dumps(raw, ensure_ascii=False)
    labels = CATALOGS[locale]
    assert labels["voc.category.feature_request"] in dumped and labels["voc.importance.blocker"] in dumped
    assert "✅ 로드맵 항목" in dumped and "🗺 로드맵 항목" in dumped
    assert labels["voc.status.shipped"] in dumped


def test_card_voc_quote_is_quoted_on_every_line_and_escaped():
    """A multi-line quote is a block quote on every line, with user markup escaped."""
    text = cb.voc_note_text(note(text="first <!channel>\nsecond & third", items=()), "en")
    assert "> first &lt;!channel&gt;\n> second &amp; third" in text


# --- ids and catalog ----------------------------------------------------------------------------------------


def test_every_voc_button_has_a_listener(baton):
    """Each action id the VoC builders emit is registered (Tag to roadmap by the roadmap feature), the modal's
    callback too, and the message shortcut, /voc and reaction_added are registered."""
    emitted: set[str] = set()
    for blocks in (
        vb.confirmation("en", confirmation())[0],
        vb.choices_message("en", "x", "q", [Match(1, "A")], 1, suggestions=False)[0],
        vb.list_message("en", [vb.ListedNote("A", note())])[0],
        vb.reaction_prompt("en", vb.DraftRef(draft_id=1), "q", None)[0],
        cb.customer_card(status(voc=(note(),), redact=frozenset()), "en", channel="C1")[0],
    ):
        emitted |= {b["action_id"] for b in buttons(dumps(blocks))}
    assert {vb.TAG, vb.PICK, vb.OPEN_DRAFT, vb.VIEW, vb.OPEN_CUSTOMER} <= emitted
    assert emitted <= baton.registry.actions
    assert vb.LOG_MODAL in baton.registry.views and vb.LOG_SHORTCUT in baton.registry.shortcuts
    assert "/voc" in baton.registry.commands and "reaction_added" in baton.registry.events


def _composed_keys() -> set[str]:
    """Every catalog key the VoC builders compose from parts: labels and error codes."""
    keys = {f"voc.category.{c}" for c in CATEGORIES} | {f"voc.importance.{i}" for i in IMPORTANCES}
    keys |= {f"voc.status.{s}" for s in STATUSES}
    codes = {code for code, _ in voc.validate(None, "", "nope", "nope", "a" * 200)[1].values()}
    codes |= {code for code, _ in voc.validate("1", "x" * 20_000, None, None, None)[1].values()}
    codes |= {"unknown_customer", "unknown_item", "draft_expired"}  # log_voc's VocError, the handler's own
    return keys | {f"voc.err.{c}" for c in codes}


@pytest.mark.parametrize("key", sorted(_composed_keys()))
def test_composed_keys_exist_in_both_languages(key):
    """Labels of every stored category, importance and status, and every error code, in en and ko alike."""
    assert key in CATALOGS["en"] and key in CATALOGS["ko"]
    assert placeholders(CATALOGS["en"][key]) == placeholders(CATALOGS["ko"][key])


def test_korean_uses_the_glossary_term():
    """Korean says 고객의 목소리(VoC), as the glossary has it."""
    assert "고객의 목소리(VoC)" in CATALOGS["ko"]["voc.logged"] and "고객의 목소리(VoC)" in CATALOGS["ko"]["voc.usage"]
