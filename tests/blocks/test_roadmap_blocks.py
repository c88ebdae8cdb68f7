"""The roadmap builders stay within Slack's limits under worst-case data (150-character Korean titles,
12,000-character quotes with markup, 500 customers), in English and Korean, and every text they use exists."""

import json
import re
import string
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.blocks import roadmap as rb
from bot.i18n import CATALOGS
from bot.models import RoadmapItem
from bot.models.voc import IMPORTANCES, STATUSES
from bot.services.roadmap import LinkedNote, RankedItem, Tally

LOCALES = ("en", "ko")
NASTY = "<!channel> & <http://evil.example|click> @here "  # escaped, never a broadcast or a forged link
TITLE_KO = ("고객 요청이 많은 Okta SSO 지원 " * 10)[:150]
QUOTE = (NASTY + "정말로 SSO가 필요합니다.\n> 인용처럼 보이는 줄\n" * 400)[:12_000]
NAME = ("주식회사 아주 긴 이름의 고객사 " * 20)[:255]
CREATED = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
PERMALINK = "https://acme.slack.com/archives/C0SALES/p1700000300000400?thread_ts=1700000300.000100&cid=C0SALES"
SERVICES = Path(__file__).resolve().parents[2] / "bot" / "services" / "roadmap.py"


def item(status: str = "planned", **changes) -> RoadmapItem:
    fields = {
        "id": 2**31 - 1,
        "team_id": "T111",
        "title": TITLE_KO,
        "description": QUOTE,
        "status": status,
        "created_by": "U_PM",
        "channel": "C0ROADMAP",
        "ts": "1700000000.000100",
        "shipped_at": CREATED if status == "shipped" else None,
    }
    return RoadmapItem(**{**fields, **changes})


def note(i: int, quote: str = QUOTE, customer_id: int | None = None) -> LinkedNote:
    return LinkedNote(
        voc_id=i,
        quote=quote,
        importance=IMPORTANCES[i % len(IMPORTANCES)],
        category="feature_request",
        customer_id=customer_id if customer_id is not None else i,
        customer=f"{i} {NAME}"[:255],
        arr=Decimal("123456789012.34") + i,
        currency=("KRW", "USD", "EUR", None)[i % 4],
        renewal_date=date(2027, 1, 1),
        owner_user_id="U_CSM",
        created_at=CREATED,
    )


def worst_tally() -> Tally:
    currencies = [f"X{chr(65 + i // 26)}{chr(65 + i % 26)}" for i in range(60)] + ["KRW", "USD", ""]
    return Tally(
        notes=1500,
        customers=500,
        arr=tuple((c, Decimal("999999999999999.99")) for c in currencies),
        renewing=500,
        at_risk=250,
        unhealthy=250,
        top=(note(1), note(2), note(3)),
    )


def post(**changes) -> rb.VocPost:
    fields = {
        "link_id": 2**31 - 1,
        "voc_id": 2**31 - 2,
        "item_id": 2**31 - 3,
        "customer": NAME,
        "arr": Decimal("150000000"),
        "currency": "KRW",
        "quote": QUOTE,
        "importance": "blocker",
        "reporters": tuple(f"U{i:08d}" for i in range(60)),
        "tagged_by": "U_CSM",
        "permalink": PERMALINK,
    }
    return rb.VocPost(**{**fields, **changes})


def dumps(blocks) -> list[dict]:
    return json.loads(json.dumps([b.to_dict() for b in blocks]))


def check_blocks(blocks: list[dict], limit: int = 50) -> str:
    """Every block parses and validates with slack_sdk, the limits slack_sdk does not check hold too, and no
    user text broadcasts or forges a link. Returns all the text, for assertions."""
    assert 0 < len(blocks) <= limit
    block_ids = [b["block_id"] for b in blocks if "block_id" in b]
    assert len(block_ids) == len(set(block_ids)) and all(len(i) <= 255 for i in block_ids)
    for raw in blocks:
        parsed = Block.parse(raw)
        assert parsed is not None and type(parsed) is not Block, raw
        parsed.validate_json()
        assert parsed.to_dict() == raw
        kind = raw["type"]
        if kind == "section":
            assert len(raw.get("text", {}).get("text", "")) <= 3000
            assert len(raw.get("fields", [])) <= 10 and all(len(f["text"]) <= 2000 for f in raw.get("fields", []))
        elif kind == "header":
            assert len(raw["text"]["text"]) <= 150
        elif kind == "context":
            assert len(raw["elements"]) <= 10 and all(len(e["text"]) <= 3000 for e in raw["elements"])
        elif kind == "actions":
            ids = [e["action_id"] for e in raw["elements"]]
            assert len(ids) == len(set(ids)) and len(ids) <= 25
            for button in raw["elements"]:
                assert len(button["text"]["text"]) <= 75 and len(button.get("value", "")) <= 2000
        elif kind == "input" and raw["element"]["type"] == "static_select":
            options = raw["element"]["options"]
            assert len(options) <= 100
            assert all(len(o["text"]["text"]) <= 75 and len(o["value"]) <= 150 for o in options)
    text = json.dumps(blocks, ensure_ascii=False)
    assert "<!channel>" not in text and "<http://evil" not in text
    return text


def check_view(view: View) -> tuple[dict, str]:
    view.validate_json()
    raw = json.loads(json.dumps(view.to_dict()))
    assert len(raw["title"]["text"]) <= 24
    assert all(key not in raw or len(raw[key]["text"]) <= 24 for key in ("submit", "close"))
    assert len(raw.get("private_metadata", "")) <= 3000
    return raw, check_blocks(raw["blocks"], 100)


# --- the parent message -----------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("status", STATUSES)
def test_parent_worst_case_fits(locale, status):
    """A 150-character Korean title, a 12,000-character description, 63 currencies of huge ARR and 12,000-character
    top quotes still make a valid message: 50 blocks, 3,000 per section, 2,000 per field, 150 in the header."""
    blocks, text = rb.parent_message(item(status), worst_tally(), locale)
    raw = dumps(blocks)
    all_text = check_blocks(raw)
    assert raw[0]["text"]["text"].startswith(rb.STATUS_EMOJI[status])
    assert "500" in all_text and "&lt;!channel&gt;" in all_text and len(text) <= 3000
    assert [e["action_id"] for b in raw if b["type"] == "actions" for e in b["elements"]] == [
        rb.STATUS_ACTIONS[target] for target in rb.MOVES[status]
    ]


@pytest.mark.parametrize(
    ("status", "labels"),
    [
        ("planned", ["Start work"]),
        ("in_progress", ["Mark shipped", "Back to planned"]),
        ("shipped", ["Reopen"]),
        ("archived", ["Start work"]),  # a status Baton does not know: back to the start
    ],
)
def test_status_buttons_offer_the_next_moves(status, labels):
    """Planned → In progress → Shipped, and back; every button carries the item id."""
    raw = dumps([rb.status_buttons(42, status, "en")])[0]
    assert [e["text"]["text"] for e in raw["elements"]] == labels
    assert {e["value"] for e in raw["elements"]} == {"42"}


def test_parent_shows_the_tally():
    """The fields carry the status, customers, ARR per currency, renewals, health bands and note count."""
    tally = Tally(3, 2, (("KRW", Decimal("50000000")), ("USD", Decimal("120000"))), 1, 1, 1, (note(4, "Need SSO"),))
    raw = dumps(rb.parent_message(item("in_progress", title="SSO", description=None), tally, "en")[0])
    fields = {f["text"].split("\n")[0].strip("*"): f["text"].split("\n")[1] for f in raw[1]["fields"]}
    assert fields == {
        "Status": "In progress",
        "Customers asking": "2",
        "Their total ARR": "₩50,000,000 + $120,000",
        "Renewing within 90 days": "1",
        "Health": "🟠 At risk: 1 · 🔴 Unhealthy: 1",
        "VoC notes": "3",
    }
    assert "> “Need SSO” — *4 " in json.dumps(raw, ensure_ascii=False)


def test_parent_in_korean_formats_won_the_korean_way():
    """Korean readers see KRW in 억/만 and Korean labels."""
    tally = Tally(1, 1, (("KRW", Decimal("150000000")),), 0, 0, 0, ())
    raw = dumps(rb.parent_message(item("shipped", description=None), tally, "ko")[0])
    text = json.dumps(raw, ensure_ascii=False)
    assert "1억 5,000만 원" in text and "출시됨 · 2026년 11월 20일" in text and "아직 태그된 VoC가 없습니다" in text


FX = ("USD", (("KRW", "0.00075"), ("EUR", "1.08")))
MIXED = (("KRW", Decimal("1200000000")), ("USD", Decimal("240000")))


def _arr_field(tally: Tally, locale: str) -> str:
    raw = dumps(rb.parent_message(item("planned", description=None), tally, locale)[0])
    return raw[1]["fields"][2]["text"].split("\n", 1)[1]


@pytest.mark.parametrize(
    ("arr", "fx", "locale", "expected"),
    [
        (MIXED, FX, "en", "≈ $1.1M (₩1.2B + $240K)"),
        (MIXED, FX, "ko", "≈ $1.1M (12억 원 + $240K)"),
        (MIXED, None, "en", "₩1,200,000,000 + $240,000"),
        (MIXED, None, "ko", "12억 원 + $240,000"),
        ((*MIXED, ("CHF", Decimal("5000"))), FX, "en", "₩1,200,000,000 + $240,000 + 5,000 CHF"),  # no CHF rate
        ((*MIXED, ("", Decimal("7"))), FX, "en", "₩1,200,000,000 + $240,000 + 7"),  # ARR without a currency
        ((("KRW", Decimal("1200000000")),), FX, "ko", "12억 원"),  # one currency: as it is
    ],
)
def test_parent_adds_mixed_currencies_up_with_the_teams_rates(arr, fx, locale, expected):
    """With the team's rates for every currency the ARR is one total first, as the digest writes it; without
    them, or for a currency they lack, the amounts are listed as before."""
    assert _arr_field(Tally(2, 2, arr, 0, 0, 0, (), fx=fx), locale) == expected


@pytest.mark.parametrize("locale", LOCALES)
def test_parent_worst_case_with_rates_for_every_currency_fits(locale):
    """62 currencies of huge ARR, each with a rate: one total, the parts cut to the field's 2,000 characters."""
    worst = worst_tally()
    codes = [c for c, _ in worst.arr if c and c != "USD"]
    tally = Tally(
        **{
            **worst.__dict__,
            "arr": tuple(a for a in worst.arr if a[0]),
            "fx": ("USD", tuple((c, "1.5") for c in codes)),
        }
    )
    blocks, _text = rb.parent_message(item("planned"), tally, locale)
    raw = dumps(blocks)
    check_blocks(raw)
    assert raw[1]["fields"][2]["text"].split("\n", 1)[1].startswith("≈ ")


@pytest.mark.parametrize(
    ("fx", "expected"), [(FX, "ARR: ≈ $1.1M (₩1.2B + $240K)"), (None, "ARR: ₩1,200,000,000 + $240,000")]
)
def test_ranked_list_adds_mixed_currencies_up_with_the_teams_rates(fx, expected):
    """/roadmap's line of an item reads its ARR the way its parent message does."""
    ranked = [RankedItem(item(), 2, MIXED, Decimal(0), fx)]
    assert expected in check_blocks(dumps(rb.ranked_list(ranked, "en", None)[0]))
    ko = check_blocks(dumps(rb.ranked_list(ranked, "ko", None)[0]))
    assert ("ARR ≈ $1.1M (12억 원 + $240K)" if fx else "ARR 12억 원 + $240,000") in ko


# --- the thread post ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_voc_post_worst_case_fits(locale):
    """A 12,000-character multi-line quote, a 255-character name and 60 reporters: one valid section, the
    reporters cut at ten with a count, and an Untag button carrying the tag."""
    blocks, text = rb.voc_post(post(), locale)
    raw = dumps(blocks)
    all_text = check_blocks(raw)
    assert raw[0]["text"]["text"].count("\n>") > 10  # every quoted line keeps its quote marker
    assert "<@U00000009>" in all_text and "<@U00000010>" not in all_text
    assert f"<{PERMALINK}|" in all_text and len(text) <= 3000
    [button] = raw[-1]["elements"]
    assert button["action_id"] == rb.UNTAG and raw[-1]["block_id"] == f"{rb.LINK_BLOCK_PREFIX}{2**31 - 1}"
    ref = rb.UntagRef.model_validate_json(button["value"])
    assert (ref.voc_id, ref.item_id, ref.tagged_by) == (2**31 - 2, 2**31 - 3, "U_CSM")


@pytest.mark.parametrize(
    "link", [None, "http://evil.example|click", "https://evil.example/archives/C1/p1", "javascript:alert(1)"]
)
def test_voc_post_links_only_to_slack_messages(link):
    """No source link without a Slack permalink; anything else never becomes a link."""
    raw = dumps(rb.voc_post(post(permalink=link, arr=None, reporters=(), quote="Need SSO"), "en")[0])
    text = check_blocks(raw)
    assert "source message" not in text and "evil" not in text and "javascript" not in text
    assert "Logged by unknown" in text


# --- the ship DM --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_shipped_dm_with_500_customers_lists_what_fits_and_counts_the_rest(locale):
    """500 customers with three long quotes each: at most 50 blocks, and the customers listed plus the
    "and N more" add up to 500."""
    notes = [note(i * 3 + k, customer_id=i) for i in range(500) for k in range(3)]
    blocks, text = rb.shipped_dm(TITLE_KO, notes, PERMALINK, locale)
    raw = dumps(blocks)
    all_text = check_blocks(raw)
    listed = sum(s["text"]["text"].count("\n• ") + s["text"]["text"].startswith("• ") for s in raw[1:-1])
    more = re.search(r"(?:…and (\d+) more|…외 (\d+)개)\"", all_text)
    assert more and listed + int(more.group(1) or more.group(2)) == 500
    assert f"<{PERMALINK}|" in all_text and "500" in text


def test_shipped_dm_lists_each_customer_once_with_up_to_three_quotes():
    """Small lists are whole: each customer once, with its ARR and its first three quotes, then a count."""
    notes = [note(10 + k, f"quote {k}", customer_id=1) for k in range(5)] + [note(20, "other", customer_id=2)]
    raw = dumps(rb.shipped_dm("SSO", notes, None, "en")[0])
    text = check_blocks(raw)
    assert text.count("• *") == 2 and "“quote 2”" in text and "“quote 3”" not in text and "…and 2 more" in text
    assert "the item's thread" in text and "<None" not in text


# --- /roadmap --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_ranked_list_of_500_items_fits(locale):
    """500 open items: the first ones listed with links to their threads, the rest counted."""
    ranked = [
        RankedItem(
            item(("planned", "in_progress")[i % 2], id=i, ts=f"17000000{i:02d}.000100"),
            i,
            (("USD", Decimal(i)),),
            Decimal(i),
        )
        for i in range(500)
    ]
    raw = dumps(rb.ranked_list(ranked, locale, "acme")[0])
    text = check_blocks(raw)
    assert "https://acme.slack.com/archives/C0ROADMAP/p1700000000000100|" in text
    assert str(500 - rb.LIST_ITEMS) in raw[-1]["elements"][0]["text"]


@pytest.mark.parametrize(("domain", "ts"), [(None, "1700000000.000100"), ("acme", None), ("ev|il", "1.2")])
def test_ranked_list_links_only_posted_items_with_a_plain_domain(domain, ts):
    """No thread link without a team domain or a posted parent, and never from a domain with markup in it."""
    ranked = [RankedItem(item(ts=ts, title="SSO <b>"), 2, (("KRW", Decimal(5)),), Decimal(0))]
    text = check_blocks(dumps(rb.ranked_list(ranked, "en", domain)[0]))
    assert "slack.com" not in text and "SSO &lt;b&gt;" in text


def test_empty_list_and_usage():
    """No open items, and the usage with and without a roadmap channel, in both languages."""
    for locale in LOCALES:
        check_blocks(dumps(rb.ranked_list([], locale, "acme")[0]))
        assert "<#C0ROADMAP>" in check_blocks(dumps(rb.usage_message(locale, "C0ROADMAP")[0]))
        assert "<#" not in check_blocks(dumps(rb.usage_message(locale, None)[0]))


# --- modals --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_tag_modal_offers_at_most_100_items(locale):
    """150 open items with 150-character Korean titles: 100 options of at most 75 characters, and a note that
    only the newest are listed; the quote is shown escaped and cut."""
    items = [rb.OpenItem(i, TITLE_KO, STATUSES[i % 2]) for i in range(150)]
    meta = rb.TagMeta(voc_id=2**31 - 1, locale=locale)
    raw, text = check_view(rb.tag_modal(locale, meta, NAME, QUOTE, items))
    [select] = [b for b in raw["blocks"] if b.get("block_id") == rb.ITEM_BLOCK]
    assert len(select["element"]["options"]) == 100 and "100" in text
    assert raw["callback_id"] == rb.TAG_MODAL and rb.TagMeta.model_validate_json(raw["private_metadata"]) == meta


@pytest.mark.parametrize("locale", LOCALES)
def test_item_modal_prefills_title_and_description(locale):
    """The title is the message's first non-empty line (at most 150), the description its text (at most 3,000)."""
    meta = rb.ItemFormMeta(locale=locale, channel="C0SALES", ts="1700000000.000100")
    raw, _ = check_view(rb.item_modal(locale, meta, "\n\n   " + "가" * 400 + "\n" + "나" * 50_000, None))
    blocks = {b.get("block_id"): b for b in raw["blocks"]}
    title = blocks[rb.TITLE_BLOCK]["element"]
    assert title["max_length"] == 150 and len(title["initial_value"]) <= 150 and title["initial_value"][0] == "가"
    assert len(blocks[rb.DESCRIPTION_BLOCK]["element"]["initial_value"]) <= 3000
    assert rb.ItemFormMeta.model_validate_json(raw["private_metadata"]) == meta


@pytest.mark.parametrize(
    ("text", "expected"),
    [("SSO please\nmore", "SSO please"), ("\n \n  a   b  \n", "a b"), ("", ""), ("x" * 200, "x" * 149 + "…")],
)
def test_first_line(text, expected):
    """The suggested title: the first non-empty line, spaces collapsed, cut to 150 characters."""
    assert rb.first_line(text) == expected


def test_info_modal_is_read_only():
    """The answer modal has a Close button and no submit."""
    raw, _ = check_view(rb.info_modal("ko", "완료 " * 2000))
    assert "submit" not in raw and raw["close"]["text"] == "닫기" and raw["callback_id"] == rb.INFO_MODAL


# --- texts and ids ------------------------------------------------------------------------------------------------


def _roadmap_error_codes() -> set[str]:
    return set(re.findall(r"""RoadmapError\(\s*"(\w+)\"""", SERVICES.read_text(encoding="utf-8")))


def test_every_built_key_exists_in_both_languages():
    """Each status, importance, move and RoadmapError code the builders turn into a key has its text in en and ko."""
    assert {"title_required", "title_too_long", "unknown_item", "unknown_voc", "bad_status"} <= _roadmap_error_codes()
    keys = [f"roadmap.status.{s}" for s in STATUSES]
    keys += [f"roadmap.importance.{i}" for i in IMPORTANCES]
    keys += [f"roadmap.move.{a}.{b}" for a, targets in rb.MOVES.items() for b in targets]
    keys += [f"roadmap.err.{c}" for c in _roadmap_error_codes()]
    assert [k for k in keys if k not in CATALOGS["en"] or k not in CATALOGS["ko"]] == []
    assert set(rb.MOVES) == set(STATUSES) and set(rb.STATUS_ACTIONS) == set(STATUSES)


@pytest.mark.parametrize("locale", LOCALES)
def test_roadmap_texts_use_plain_placeholders(locale):
    """Templates use `{name}` only (no format specs such as `{x:g}`, which break on the values passed)."""
    for key, template in CATALOGS[locale].items():
        if key.startswith("roadmap."):
            specs = [(name, spec) for _, name, spec, _ in string.Formatter().parse(template) if name and spec]
            assert specs == [], key


def test_error_text_fills_parameters():
    """A RoadmapError reads naturally with its parameters, in both languages."""
    assert rb.error_text("en", "title_too_long", {"max": 150, "length": 151}).endswith("(this one has 151).")
    assert "151자" in rb.error_text("ko", "title_too_long", {"max": 150, "length": 151})


def test_every_roadmap_action_id_has_a_listener(baton):
    """The buttons the roadmap draws (status moves, Untag) and Tag to roadmap have listeners, and both modals."""
    emitted = {e["action_id"] for s in STATUSES for e in dumps([rb.status_buttons(1, s, "en")])[0]["elements"]}
    emitted |= {
        e["action_id"] for b in dumps(rb.voc_post(post(), "en")[0]) if b["type"] == "actions" for e in b["elements"]
    }
    assert emitted == {*rb.STATUS_ACTIONS.values(), rb.UNTAG}
    assert emitted | {rb.TAG} <= baton.registry.actions
    assert {rb.ITEM_MODAL, rb.TAG_MODAL} <= baton.registry.views and rb.INFO_MODAL not in baton.registry.views
    assert {"/roadmap"} <= baton.registry.commands and "roadmap_make_item" in baton.registry.shortcuts
    assert {"message.channels", "message.groups"} <= baton.registry.events
