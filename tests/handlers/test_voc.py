"""VoC capture end to end: signed requests into the real app (message shortcut, modal, customer search, `/voc`,
the VoC emoji, View full note, the handoff form); the fake Slack records the modals, ephemerals and DMs."""

import dataclasses
import json
from datetime import UTC, datetime

import pytest

from bot.blocks import customer as cb
from bot.blocks import voc as vb
from bot.blocks.handoff import EDIT, HANDOFF_MODAL
from bot.handlers.voc import Command, parse_command, quote_text
from bot.models import Customer, Handoff, OutboxMessage, RoadmapItem, VocDraft, VocLink, VocNote, VocReporter
from bot.text import normalize_key
from tests import payloads as p
from tests.conftest import Baton
from tests.flows import GOOD_FORM, ack_body, blocks_text, last_view, open_handoff, state_for, submit_handoff

SALES = "C0SALES"
ROADMAP = "C0ROADMAP"
GENERAL = "C_GENERAL"
LONG_KO = ("고객사 담당자가 말하길, 대시보드 내보내기가 없어서 매주 직접 엑셀로 옮기고 있다고 합니다. " * 120)[:5000]


@pytest.fixture
def ids(baton, clock) -> dict[str, int]:
    """Customers of T111 (ACME, two Umbrellas, 삼성전자) and of T999 (Secret Co), and roadmap items: two open
    (one whose parent is in the roadmap channel), one shipped, and one of T999."""
    out: dict[str, int] = {}
    with baton.deps.sessions.begin() as db:
        for name, team, extra in (
            ("ACME Corp.", "T111", {"domain": "acme.com", "owner_user_id": "U_CSM"}),
            ("Umbrella Health", "T111", {}),
            ("Umbrella Energy", "T111", {}),
            ("삼성전자", "T111", {}),
            ("Secret Co", "T999", {}),
        ):
            c = Customer(team_id=team, name=name, name_key=normalize_key(name), **extra)
            db.add(c)
            db.flush()
            out[name] = c.id
        for key, title, status, team, ts in (
            ("sso", "SSO with Okta", "planned", "T111", "1700000000.000100"),
            ("export", "Dashboard export", "in_progress", "T111", None),
            ("audit", "Audit log", "shipped", "T111", "1700000000.000200"),
            ("secret", "Secret roadmap", "planned", "T999", None),
        ):
            item = RoadmapItem(
                team_id=team, title=title, status=status, created_by="U_PM", channel=ROADMAP, ts=ts, created_at=clock()
            )
            db.add(item)
            db.flush()
            out[key] = item.id
    return out


# --- helpers ------------------------------------------------------------------------------------------------


def message(slack, text: str, channel: str = SALES, user: str = "U_CSM2", thread_ts: str | None = None) -> dict:
    """A message someone posted (in the fake Slack), as a message shortcut carries it."""
    ts = slack.add_message(channel, text, user, thread_ts=thread_ts)
    msg = {"type": "message", "user": user, "text": text, "ts": ts, "team": "T111"}
    if thread_ts:
        msg["thread_ts"] = thread_ts
    return msg


def shortcut(baton, slack, msg: dict, user: str = "U_CSM", channel: str = SALES) -> dict:
    """Log as VoC on `msg`; returns the modal Baton opened."""
    req = p.message_shortcut(vb.LOG_SHORTCUT, user_id=user, channel_id=channel, message=msg)
    assert baton.slack(req).status_code == 200
    view = last_view(slack)
    assert view["callback_id"] == vb.LOG_MODAL
    return view


def state(
    customer: int | None,
    quote: str | None,
    category: str | None = "feature_request",
    importance: str | None = "critical",
    area: str | None = None,
    item: int | None = None,
    item_title: str | None = None,
) -> dict:
    """view.state.values of the Log as VoC modal."""
    select = {"type": "external_select", "selected_option": None}
    if customer is not None:
        select["selected_option"] = {"text": {"type": "plain_text", "text": "x"}, "value": str(customer)}
    values = {
        vb.CUSTOMER_BLOCK: {vb.CUSTOMER_SELECT: select},
        vb.QUOTE_BLOCK: {vb.VALUE: p.text_value(quote)},
        vb.CATEGORY_BLOCK: {vb.VALUE: p.static_value(category)},
        vb.IMPORTANCE_BLOCK: {vb.VALUE: p.static_value(importance)},
        vb.AREA_BLOCK: {vb.VALUE: p.text_value(area)},
    }
    if item is not None:
        values[vb.ROADMAP_BLOCK] = {vb.VALUE: p.static_value(str(item), item_title)}
    return values


def submit(baton, view: dict, values: dict, user: str = "U_CSM", team: str = "T111") -> dict:
    """Submit the modal; returns what the submission was acked with ({} for a plain ack)."""
    req = p.view_submission(vb.LOG_MODAL, values, user_id=user, team_id=team, private_metadata=view["private_metadata"])
    resp = baton.slack(req)
    assert resp.status_code == 200, resp.text
    return ack_body(resp)


def block(view: dict, block_id: str) -> dict:
    [found] = [b for b in view["blocks"] if b.get("block_id") == block_id]
    return found


def initial_quote(view: dict) -> str:
    return block(view, vb.QUOTE_BLOCK)["element"].get("initial_value", "")


def buttons(blocks: list[dict]) -> list[dict]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]] + [
        b["accessory"] for b in blocks if b.get("accessory", {}).get("type") == "button"
    ]


def ephemerals(slack, user: str | None = None) -> list[dict]:
    return [c.args for c in slack.calls_to("chat.postEphemeral") if c.status == 200 and user in (None, c.args["user"])]


def command(baton, slack, text: str, user: str = "U_CSM", team: str = "T111", channel: str = GENERAL) -> dict:
    """Run `/voc text` and return Baton's last answer through the response_url."""
    url = slack.new_response_url()
    req = p.slash_command("/voc", text, user_id=user, team_id=team, channel_id=channel, response_url=url)
    assert baton.slack(req).status_code == 200
    return slack.responses()[-1]


def click(baton, slack, button: dict, user: str = "U_CSM", channel: str = GENERAL, team: str = "T111"):
    req = p.block_actions(
        button["action_id"],
        button["value"],
        user_id=user,
        team_id=team,
        channel_id=channel,
        response_url=slack.new_response_url(),
    )
    assert baton.slack(req).status_code == 200


def suggest(baton, text: str, user: str = "U_CSM", team: str = "T111") -> list[dict]:
    """Type `text` into the customer select; returns the options Baton answered with."""
    req = p.block_suggestion(vb.CUSTOMER_SELECT, text, user_id=user, team_id=team, block_id=vb.CUSTOMER_BLOCK)
    resp = baton.slack(req)
    assert resp.status_code == 200, resp.text
    return json.loads(resp.text)["options"]


def reaction(msg: dict, user: str = "U_CSM", emoji: str = "bulb", channel: str = SALES) -> dict:
    return {
        "type": "reaction_added",
        "user": user,
        "item": {"type": "message", "channel": channel, "ts": msg["ts"]},
        "reaction": emoji,
        "item_user": msg["user"],
        "event_ts": f"{datetime.now(UTC).timestamp():.6f}",
    }


# --- pure parsing -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "customer", "quote"),
    [
        ("", "form", "", ""),
        ("   ", "form", "", ""),
        ("acme: Needs SSO before the rollout", "log", "acme", "Needs SSO before the rollout"),
        ("삼성： 대시보드 내보내기가 필요합니다", "log", "삼성", "대시보드 내보내기가 필요합니다"),
        ("<http://acme.com|acme.com>: see https://x.example/y", "log", "acme.com", "see https://x.example/y"),
        ("ACME Corp.: ratio 3:1 is too slow", "log", "ACME Corp.", "ratio 3:1 is too slow"),
        ("list", "list", "", ""),
        ("list umbrella health", "list", "umbrella health", ""),
        ("목록 삼성", "list", "삼성", ""),
        ("acme needs sso", "form", "", "acme needs sso"),
        ("acme:", "usage", "", ""),
        (": text", "form", "", "text"),
        ("help", "help", "", ""),
        ("?", "help", "", ""),
        ("도움말", "help", "", ""),
    ],
)
def test_voc_command_text_is_parsed(text, kind, customer, quote):
    """`NAME: text` (or a full-width colon), `list [NAME]`, help words; text with no customer opens the form
    with it; a name with nothing said is usage."""
    assert parse_command(text) == Command(kind, customer, quote)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("We need <http://sso.example|SSO> &amp; audit logs", "We need SSO & audit logs"),
        ("ask <@U123> or <@U456|dana> in <#C1|cs-team>", "ask @U123 or @dana in #cs-team"),
        ("<!here> &lt;urgent&gt; mail <mailto:a@b.co|a@b.co>", "@here <urgent> mail a@b.co"),
        ("<!subteam^S1|@cs-leads> please", "@cs-leads please"),
    ],
)
def test_message_text_is_quoted_as_read(text, expected):
    """Slack's markup in a message is undone for the quote; mentions stay as @names."""
    assert quote_text(text) == expected


# --- the message shortcut -----------------------------------------------------------------------------------


def test_shortcut_opens_the_prefilled_modal_and_submission_logs_and_confirms(baton, slack, ids):
    """Log as VoC: the modal has the message (unwrapped), its author and the open roadmap items; the submission
    stores one note with the source, its permalink (fetched after the ack) and the reporter, and the reporter
    alone gets a confirmation in the channel with Tag to roadmap and Open customer."""
    msg = message(slack, "We need <http://sso.example|SSO> &amp; audit logs before the rollout")
    view = shortcut(baton, slack, msg)
    assert initial_quote(view) == "We need SSO & audit logs before the rollout"
    assert "<@U_CSM2>" in blocks_text(view["blocks"]) and f"<#{SALES}>" in blocks_text(view["blocks"])
    options = block(view, vb.ROADMAP_BLOCK)["element"]["options"]
    assert {o["text"]["text"] for o in options} == {"SSO with Okta", "Dashboard export"}  # open, this team's
    assert "initial_option" not in block(view, vb.ROADMAP_BLOCK)["element"]
    meta = vb.VocMeta.model_validate_json(view["private_metadata"])
    assert (meta.channel, meta.ts, meta.author, meta.draft_id) == (SALES, msg["ts"], "U_CSM2", None)
    assert slack.calls_to("chat.getPermalink") == []  # nothing of the kind before the submission

    body = submit(baton, view, state(ids["ACME Corp."], initial_quote(view), area="SSO"))
    assert body == {}
    [note] = baton.all(VocNote)
    assert (note.customer_id, note.quote, note.category, note.importance, note.product_area) == (
        ids["ACME Corp."],
        "We need SSO & audit logs before the rollout",
        "feature_request",
        "critical",
        "SSO",
    )
    assert (note.source_kind, note.source_channel, note.source_ts, note.source_author_id) == (
        "message",
        SALES,
        msg["ts"],
        "U_CSM2",
    )
    assert note.permalink and note.permalink.startswith(f"https://fake-workspace.slack.com/archives/{SALES}/p")
    assert [r.user_id for r in baton.all(VocReporter)] == ["U_CSM"]
    [confirm] = ephemerals(slack, "U_CSM")
    assert confirm["channel"] == SALES
    text = blocks_text(confirm["blocks"])
    assert "Logged as VoC for *ACME Corp.*" in text and "Source message" in text and "Feature request" in text
    assert {b["action_id"]: b["value"] for b in buttons(confirm["blocks"])} == {
        vb.TAG: str(note.id),
        vb.OPEN_CUSTOMER: cb.CardRef(customer_id=ids["ACME Corp."], channel=SALES).dump(),
        vb.EDIT: str(note.id),
    }
    assert [m["ts"] for m in slack.messages(SALES)] == [msg["ts"]]  # nothing public from Baton


def test_open_customer_on_the_confirmation_shows_the_card_with_the_note(baton, slack, ids):
    """Open customer replaces the confirmation with the customer's card, which lists the new note."""
    view = shortcut(baton, slack, message(slack, "Export to CSV please"))
    submit(baton, view, state(ids["ACME Corp."], "Export to CSV please"))
    [confirm] = ephemerals(slack, "U_CSM")
    [open_customer] = [b for b in buttons(confirm["blocks"]) if b["action_id"] == vb.OPEN_CUSTOMER]
    click(baton, slack, open_customer, channel=SALES)
    card = slack.responses()[-1]
    assert card["replace_original"] is True and "ACME Corp." in card["blocks"][0]["text"]["text"]
    assert "Export to CSV please" in blocks_text(card["blocks"])


def test_the_same_message_logged_by_two_users_is_one_note_with_two_reporters(baton, slack, ids):
    """Two people log one message for one customer: one note, both reporters; the second is told, in Korean,
    who logged it first; a third submission by the first changes nothing."""
    msg = message(slack, "Audit log export is a must for our auditors")
    for user in ("U_CSM", "U_KO", "U_CSM"):
        view = shortcut(baton, slack, msg, user=user)
        assert submit(baton, view, state(ids["ACME Corp."], initial_quote(view)), user=user) == {}
    [note] = baton.all(VocNote)
    assert sorted(r.user_id for r in baton.all(VocReporter)) == ["U_CSM", "U_KO"]
    assert note.created_by == "U_CSM"
    ko = blocks_text(ephemerals(slack, "U_KO")[0]["blocks"])
    assert "<@U_CSM>님이 이미 기록한 내용이라 보고자로 추가했습니다" in ko
    assert "You had already logged this" in blocks_text(ephemerals(slack, "U_CSM")[-1]["blocks"])
    assert len(slack.calls_to("chat.getPermalink")) == 1  # the stored link is reused


def test_one_message_for_two_customers_is_two_notes(baton, slack, ids):
    """A message about two customers can be logged once for each."""
    msg = message(slack, "Both Umbrellas asked for SSO")
    for name in ("Umbrella Health", "Umbrella Energy"):
        view = shortcut(baton, slack, msg)
        submit(baton, view, state(ids[name], initial_quote(view)))
    assert sorted(n.customer_id for n in baton.all(VocNote)) == sorted([ids["Umbrella Health"], ids["Umbrella Energy"]])


@pytest.mark.parametrize(
    ("changes", "field", "message_part"),
    [
        ({"customer": None}, vb.CUSTOMER_BLOCK, "Pick the customer"),
        ({"quote": "   "}, vb.QUOTE_BLOCK, "Write down what the customer said"),
        ({"quote": "x" * 12_001}, vb.QUOTE_BLOCK, "12,000 characters (it has 12,001)"),
        ({"category": "wish"}, vb.CATEGORY_BLOCK, "Pick a category"),
        ({"importance": "urgent"}, vb.IMPORTANCE_BLOCK, "Pick an importance"),
        ({"area": "a" * 101}, vb.AREA_BLOCK, "100 characters"),
        ({"customer": "Secret Co"}, vb.CUSTOMER_BLOCK, "no longer in Baton"),  # another team's customer
        ({"item": "secret"}, vb.ROADMAP_BLOCK, "no longer open"),  # another team's item
        ({"item": 999_999}, vb.ROADMAP_BLOCK, "no longer open"),
        ({"item": "abc"}, vb.ROADMAP_BLOCK, "no longer open"),
    ],
)
def test_submission_is_checked_on_the_server_and_nothing_is_half_written(
    baton, slack, ids, changes, field, message_part
):
    """Every refusal comes back next to its field; no note, reporter, tag or outbox row is left behind."""
    view = shortcut(baton, slack, message(slack, "Needs SSO"))
    values = {"customer": ids["ACME Corp."], "quote": "Needs SSO", "category": "bug", "importance": "critical"}
    values.update(changes)
    if isinstance(values["customer"], str):
        values["customer"] = ids[values["customer"]]
    item = values.pop("item", None)
    item = ids.get(item, item) if isinstance(item, str) else item
    s = state(values["customer"], values["quote"], values["category"], values["importance"], values.get("area"))
    if item is not None:
        s[vb.ROADMAP_BLOCK] = {vb.VALUE: p.static_value(str(item))}
    body = submit(baton, view, s)
    assert body["response_action"] == "errors" and message_part in body["errors"][field], body
    assert baton.all(VocNote) == [] and baton.all(VocReporter) == [] and baton.all(VocLink) == []
    assert baton.all(OutboxMessage) == [] and ephemerals(slack) == []


def test_korean_errors_in_the_modal(baton, slack, ids):
    """A Korean user gets the modal and its errors in Korean."""
    view = shortcut(baton, slack, message(slack, "x"), user="U_KO")
    assert view["title"]["text"] == "VoC 기록"
    body = submit(baton, view, state(None, "x"), user="U_KO")
    assert body["errors"][vb.CUSTOMER_BLOCK] == "이 말을 한 고객을 선택하세요."


def test_message_in_a_roadmap_items_thread_preselects_it_and_logging_tags_it(baton, slack, ids):
    """Logged from the thread of a roadmap item's parent: the item is preselected; submitting tags the note
    to it in the same transaction (its thread post is queued) and the confirmation names it."""
    sso_ts = "1700000000.000100"
    msg = message(slack, "Okta SSO is the blocker for ACME", channel=ROADMAP, thread_ts=sso_ts)
    view = shortcut(baton, slack, msg, channel=ROADMAP)
    assert block(view, vb.ROADMAP_BLOCK)["element"]["initial_option"]["value"] == str(ids["sso"])
    values = state(ids["ACME Corp."], initial_quote(view), item=ids["sso"], item_title="SSO with Okta")
    assert submit(baton, view, values) == {}
    [note] = baton.all(VocNote)
    [link] = baton.all(VocLink)
    assert (link.voc_id, link.item_id, link.tagged_by) == (note.id, ids["sso"], "U_CSM")
    assert "roadmap.voc.post" in {o.method for o in baton.all(OutboxMessage)}
    [confirm] = ephemerals(slack, "U_CSM")
    assert confirm["thread_ts"] == sso_ts  # in the thread the message was in
    assert "Tagged to the roadmap: *SSO with Okta*" in blocks_text(confirm["blocks"])


def test_long_message_is_logged_whole_when_left_as_prefilled(baton, slack, ids):
    """A 5,000-character Korean message: the input gets a cut (within 3,000) and a note says so; left unchanged,
    the whole message is logged; edited, the edit is."""
    msg = message(slack, LONG_KO)
    view = shortcut(baton, slack, msg)
    cut = initial_quote(view)
    assert len(cut) <= 3000 and cut.endswith("…") and "5,000" in blocks_text(view["blocks"])
    assert len(baton.all(VocDraft)) == 1
    submit(baton, view, state(ids["삼성전자"], cut))
    [note] = baton.all(VocNote)
    assert note.quote == LONG_KO
    confirm = ephemerals(slack, "U_CSM")[-1]
    assert len(json.dumps(confirm["blocks"], ensure_ascii=False)) < 5000  # a preview, not the whole text

    view = shortcut(baton, slack, msg, user="U_CSM2")
    submit(baton, view, state(ids["ACME Corp."], "고객이 내보내기 기능을 원함"), user="U_CSM2")
    edited = [n for n in baton.all(VocNote) if n.customer_id == ids["ACME Corp."]]
    assert [n.quote for n in edited] == ["고객이 내보내기 기능을 원함"]


def test_modal_for_a_message_of_someone_elses_draft_cannot_read_it(baton, slack, ids):
    """The full text is the opener's draft: the same modal submitted by someone else cannot use it."""
    view = shortcut(baton, slack, message(slack, LONG_KO))
    body = submit(baton, view, state(ids["ACME Corp."], initial_quote(view)), user="U_CSM2")
    assert "expired" in body["errors"][vb.QUOTE_BLOCK] and baton.all(VocNote) == []


# --- the customer search ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("acme", ["ACME Corp."]),
        ("acme.com", ["ACME Corp."]),
        ("umbrella", ["Umbrella Energy", "Umbrella Health"]),
        ("삼성", ["삼성전자"]),
        ("umbrela helth", ["Umbrella Health"]),
        ("", []),
        ("secret", []),  # another team's customer
    ],
)
def test_customer_select_searches_this_teams_customers(baton, ids, typed, expected):
    """The external select's options: names, domains, Korean prefixes and typos, this team's only."""
    options = suggest(baton, typed)
    assert sorted(o["text"]["text"] for o in options) == expected
    assert all(o["value"] == str(ids[o["text"]["text"]]) for o in options)


def test_customer_select_for_the_other_team_sees_only_its_own(baton, ids):
    """T999 finds Secret Co, and never ACME."""
    assert [o["text"]["text"] for o in suggest(baton, "secret", user="U_OTHER", team="T999")] == ["Secret Co"]
    assert suggest(baton, "acme", user="U_OTHER", team="T999") == []


# --- /voc ---------------------------------------------------------------------------------------------------


def test_voc_command_with_one_customer_logs_and_confirms(baton, slack, ids):
    """`/voc acme: text` logs a command note for ACME at once and answers privately with the buttons."""
    reply = command(baton, slack, "acme: Needs SSO before the rollout")
    assert reply["response_type"] == "ephemeral"
    assert "Logged as VoC for *ACME Corp.*" in blocks_text(reply["blocks"])
    [note] = baton.all(VocNote)
    assert (note.customer_id, note.quote, note.source_kind, note.source_channel) == (
        ids["ACME Corp."],
        "Needs SSO before the rollout",
        "command",
        None,
    )
    assert {b["action_id"] for b in buttons(reply["blocks"])} == {vb.TAG, vb.OPEN_CUSTOMER, vb.EDIT}
    again = command(baton, slack, "ACME:   needs SSO before  the rollout", user="U_CSM2")
    assert "<@U_CSM> had already logged this" in blocks_text(again["blocks"]) and len(baton.all(VocNote)) == 1


def test_voc_command_in_korean_with_a_full_width_colon(baton, slack, ids):
    """`/voc 삼성：...` from a Korean user logs for 삼성전자 and answers in Korean."""
    reply = command(baton, slack, "삼성：대시보드를 엑셀로 내보내고 싶어요", user="U_KO")
    assert "*삼성전자*\u200b의 고객의 목소리(VoC)로 기록했습니다" in blocks_text(reply["blocks"])
    [note] = baton.all(VocNote)
    assert note.customer_id == ids["삼성전자"] and note.quote == "대시보드를 엑셀로 내보내고 싶어요"


def test_ambiguous_customer_offers_buttons_that_log_once(baton, slack, ids):
    """`/voc umbrella: text` keeps the text in a draft and offers both Umbrellas; a click logs it for that one
    and replaces the list with the confirmation; a second click adds nothing."""
    reply = command(baton, slack, "umbrella: Wants Okta SSO")
    assert "Several customers match “umbrella”" in blocks_text(reply["blocks"])
    picks = [b for b in buttons(reply["blocks"]) if b["action_id"] == vb.PICK]
    assert {b["text"]["text"] for b in picks} == {"Umbrella Health", "Umbrella Energy"}
    assert baton.all(VocNote) == [] and len(baton.all(VocDraft)) == 1
    energy = next(b for b in picks if b["text"]["text"] == "Umbrella Energy")
    click(baton, slack, energy)
    done = slack.responses()[-1]
    assert done["replace_original"] is True and "*Umbrella Energy*" in blocks_text(done["blocks"])
    click(baton, slack, energy)
    [note] = baton.all(VocNote)
    assert (note.customer_id, note.quote, note.source_kind) == (ids["Umbrella Energy"], "Wants Okta SSO", "command")
    assert "You had already logged this" in blocks_text(slack.responses()[-1]["blocks"])


def test_pick_buttons_work_only_for_their_user_and_team(baton, slack, ids):
    """Someone else clicking the pick button (or a forged value for another team's customer) logs nothing."""
    reply = command(baton, slack, "umbrella: Wants Okta SSO")
    [pick, *_] = [b for b in buttons(reply["blocks"]) if b["action_id"] == vb.PICK]
    click(baton, slack, pick, user="U_CSM2")
    assert "expired" in slack.responses()[-1]["text"] and baton.all(VocNote) == []
    ref = vb.PickRef.model_validate_json(pick["value"])
    forged = {"action_id": vb.PICK, "value": vb.PickRef(draft_id=ref.draft_id, customer_id=ids["Secret Co"]).dump()}
    click(baton, slack, forged)
    assert "no longer in Baton" in slack.responses()[-1]["text"] and baton.all(VocNote) == []


def test_no_match_suggests_close_names_or_says_so(baton, slack, ids):
    """A typo gets the closest names as pick buttons; nothing close gets a plain answer and keeps no draft."""
    reply = command(baton, slack, "umbrela: x")
    assert "No customer matches “umbrela”. Did you mean" in blocks_text(reply["blocks"])
    assert {b["action_id"] for b in buttons(reply["blocks"])} == {vb.PICK}
    drafts = len(baton.all(VocDraft))
    nothing = command(baton, slack, "zzzzqqqq: x")
    assert "No customer matches “zzzzqqqq”" in blocks_text(nothing["blocks"]) and not buttons(nothing["blocks"])
    assert len(baton.all(VocDraft)) == drafts


def test_voc_never_logs_for_another_teams_customer(baton, slack, ids):
    """T111 naming T999's customer finds nothing; T999 naming ACME finds nothing."""
    reply = command(baton, slack, "Secret Co: x")
    assert "Secret Co" not in {b["text"]["text"] for b in buttons(reply["blocks"])}
    other = command(baton, slack, "acme: x", user="U_OTHER", team="T999")
    assert "ACME" not in json.dumps(other) and baton.all(VocNote) == []


def test_voc_alone_opens_the_empty_form_and_confirms_in_the_channel(baton, slack, ids):
    """`/voc` opens the modal with no source and no prefill; the note is a typed one, confirmed ephemerally in
    the channel the command came from."""
    req = p.slash_command("/voc", "", user_id="U_CSM", channel_id=GENERAL, response_url=slack.new_response_url())
    assert baton.slack(req).status_code == 200
    assert slack.responses() == []  # the modal is the answer
    view = last_view(slack)
    assert view["callback_id"] == vb.LOG_MODAL and initial_quote(view) == ""
    assert submit(baton, view, state(ids["Umbrella Health"], "Renewal depends on SSO", "complaint")) == {}
    [note] = baton.all(VocNote)
    assert (note.source_kind, note.source_channel, note.permalink, note.category) == ("modal", None, None, "complaint")
    assert slack.calls_to("chat.getPermalink") == []
    [confirm] = ephemerals(slack, "U_CSM")
    assert confirm["channel"] == GENERAL and "*Umbrella Health*" in blocks_text(confirm["blocks"])


@pytest.mark.parametrize(("user", "expected"), [("U_CSM", "/voc acme: Needs SSO"), ("U_KO", "/voc 삼성: 도입 전에")])
def test_malformed_voc_explains_usage_in_the_users_language(baton, slack, ids, user, expected):
    """`/voc acme:` (nothing said) or `/voc help` answer with examples, in the user's language."""
    for text in ("acme:", "help"):
        reply = command(baton, slack, text, user=user)
        assert expected in blocks_text(reply["blocks"]) and ":bulb:" in blocks_text(reply["blocks"])
    assert baton.all(VocNote) == []


def test_voc_list_shows_the_latest_notes_of_the_team_or_of_one_customer(baton, slack, ids, clock):
    """`/voc list`: the team's notes, newest first, each with Tag to roadmap; `/voc list acme`: ACME's only;
    T999 sees none of them."""
    command(baton, slack, "acme: First ask")
    clock.advance(minutes=1)
    command(baton, slack, "umbrella health: Second ask")
    reply = command(baton, slack, "list")
    text = blocks_text(reply["blocks"])
    assert text.index("Second ask") < text.index("First ask") and "*Umbrella Health*" in text
    tags = [b for b in buttons(reply["blocks"]) if b["action_id"] == vb.TAG]
    assert len(tags) == 2
    acme = command(baton, slack, "list acme")
    assert "Latest VoC: ACME Corp." in blocks_text(acme["blocks"]) and "Second ask" not in blocks_text(acme["blocks"])
    other = command(baton, slack, "list", user="U_OTHER", team="T999")
    assert "No VoC has been logged yet" in blocks_text(other["blocks"]) and not buttons(other["blocks"])
    several = command(baton, slack, "list umbrella")
    assert {b["action_id"] for b in buttons(several["blocks"])} == {cb.PICK}  # pick one: its card has its VoC


# --- the VoC emoji ------------------------------------------------------------------------------------------


def test_reaction_offers_a_button_once_and_it_opens_the_prefilled_modal(baton, slack, ids):
    """:bulb: on a message: the reactor gets one ephemeral Log as VoC (a Slack retry of the event changes
    nothing); the button opens the modal prefilled from the message; the confirmation replaces the prompt."""
    msg = message(slack, "Could you add <http://okta.com|Okta> SSO?", user="U_CSM2")
    for retry in (None, 1, 2):
        event = p.event_callback(reaction(msg), event_id="EvBULB1", retry_num=retry, retry_reason="http_timeout")
        assert baton.slack(event).status_code == 200
    [prompt] = ephemerals(slack)
    assert (prompt["user"], prompt["channel"]) == ("U_CSM", SALES)
    assert "Could you add Okta SSO?" in blocks_text(prompt["blocks"]) and "<@U_CSM2>" in blocks_text(prompt["blocks"])
    [button] = buttons(prompt["blocks"])
    assert button["action_id"] == vb.OPEN_DRAFT
    click(baton, slack, button, channel=SALES)
    view = last_view(slack)
    assert view["callback_id"] == vb.LOG_MODAL and initial_quote(view) == "Could you add Okta SSO?"
    assert submit(baton, view, state(ids["ACME Corp."], initial_quote(view))) == {}
    [note] = baton.all(VocNote)
    assert (note.source_kind, note.source_channel, note.source_ts, note.source_author_id) == (
        "message",
        SALES,
        msg["ts"],
        "U_CSM2",
    )
    confirm = slack.responses()[-1]
    assert confirm["replace_original"] is True and "*ACME Corp.*" in blocks_text(confirm["blocks"])
    assert len(ephemerals(slack)) == 1  # the confirmation went through the prompt's response_url


def test_reaction_and_shortcut_on_one_message_are_one_note(baton, slack, ids):
    """The same message logged through the emoji by one user and the shortcut by another: one note."""
    msg = message(slack, "Need SCIM provisioning")
    baton.slack(p.event_callback(reaction(msg)))
    click(baton, slack, buttons(ephemerals(slack)[0]["blocks"])[0], channel=SALES)
    submit(baton, last_view(slack), state(ids["ACME Corp."], "Need SCIM provisioning"))
    view = shortcut(baton, slack, msg, user="U_KO")
    submit(baton, view, state(ids["ACME Corp."], initial_quote(view)), user="U_KO")
    assert len(baton.all(VocNote)) == 1 and len(baton.all(VocReporter)) == 2


def test_reaction_prompt_button_is_the_reactors_alone(baton, slack, ids):
    """Another user clicking the reactor's button is told it is not theirs; no modal opens."""
    msg = message(slack, "Need SCIM provisioning")
    baton.slack(p.event_callback(reaction(msg)))
    [button] = buttons(ephemerals(slack)[0]["blocks"])
    opened = len(slack.views_opened())
    click(baton, slack, button, user="U_KO", channel=SALES)
    assert len(slack.views_opened()) == opened
    assert "다른 사람의 버튼" in slack.responses()[-1]["text"]


def test_reaction_on_a_thread_reply_reads_the_thread_and_suggests_its_item(baton, slack, ids):
    """A reply in a roadmap item's thread is read with conversations.replies; the prompt goes into that thread
    and the modal preselects the item."""
    sso_ts = "1700000000.000100"
    reply = message(slack, "ACME asked again about Okta", channel=ROADMAP, thread_ts=sso_ts)
    baton.slack(p.event_callback(reaction(reply, channel=ROADMAP)))
    assert [c.args["ts"] for c in slack.calls_to("conversations.replies")] == [reply["ts"]]
    [prompt] = ephemerals(slack)
    assert prompt["thread_ts"] == sso_ts and "ACME asked again about Okta" in blocks_text(prompt["blocks"])
    click(baton, slack, buttons(prompt["blocks"])[0], channel=ROADMAP)
    view = last_view(slack)
    assert block(view, vb.ROADMAP_BLOCK)["element"]["initial_option"]["value"] == str(ids["sso"])


@pytest.mark.parametrize(
    "change",
    [{"reaction": "heart_eyes"}, {"item": {"type": "file", "file": "F1"}}],
)
def test_other_reactions_are_ignored(baton, slack, ids, change):
    """Other emoji, and reactions to files, are acknowledged and do nothing."""
    msg = message(slack, "hello")
    assert baton.slack(p.event_callback({**reaction(msg), **change})).status_code == 200
    assert ephemerals(slack) == [] and baton.all(VocDraft) == []
    assert slack.calls_to("conversations.history") == []


def test_configured_emoji_with_a_skin_tone_counts(baton, slack, ids, settings, clock):
    """BATON_VOC_EMOJI decides the emoji; a skin-tone variant of it counts too."""
    custom = Baton(dataclasses.replace(settings, voc_emoji="raised_hand"), clock)
    try:
        msg = message(slack, "We would pay for SSO")
        custom.slack(p.event_callback(reaction(msg, emoji="bulb")))
        custom.slack(p.event_callback(reaction(msg, emoji="raised_hand::skin-tone-3")))
        [prompt] = ephemerals(slack)
        assert "We would pay for SSO" in blocks_text(prompt["blocks"])
    finally:
        custom.close()


def test_reaction_where_baton_cannot_read_gets_a_dm(baton, slack, ids):
    """In a channel Baton is not in, the reactor gets a DM saying how to fix it, and nothing is stored."""
    msg = message(slack, "private stuff", channel="C0PRIVATE")
    slack.remove_bot("C0PRIVATE")
    baton.slack(p.event_callback(reaction(msg, channel="C0PRIVATE")))
    [dm] = slack.messages("DU_CSM")
    assert "/invite @Baton" in dm["text"] and "<#C0PRIVATE>" in dm["text"]
    assert baton.all(VocDraft) == [] and ephemerals(slack) == []


# --- the handoff form ---------------------------------------------------------------------------------------


def test_handoff_feature_requests_become_voc_once(baton, slack):
    """A submitted handoff's feature requests become the customer's VoC; submitting the edit with the same
    requests adds none, and a new request adds one."""
    view = open_handoff(baton, slack, "ACME Corp.")
    requests = "- Audit log export\n- Okta SSO\n- Okta SSO"
    assert submit_handoff(baton, view, feature_requests=requests).status_code == 200
    notes = baton.all(VocNote)
    assert sorted(n.quote for n in notes) == ["Audit log export", "Okta SSO"]
    assert {(n.source_kind, n.category, n.created_by) for n in notes} == {("handoff", "feature_request", "U_AE")}
    [h] = baton.all(Handoff)
    assert {n.customer_id for n in notes} == {h.customer_id}

    req = p.block_actions(
        EDIT, str(h.id), user_id="U_AE", channel_id="C0HANDOFF", response_url=slack.new_response_url()
    )
    baton.slack(req)
    edit = last_view(slack)
    assert edit["callback_id"] == HANDOFF_MODAL
    again = p.view_submission(
        HANDOFF_MODAL,
        state_for({**GOOD_FORM, "feature_requests": requests + "\n3. SCIM"}),
        user_id="U_AE",
        private_metadata=edit["private_metadata"],
        view_id="V_EDIT",
    )
    assert baton.slack(again).status_code == 200
    assert sorted(n.quote for n in baton.all(VocNote)) == ["Audit log export", "Okta SSO", "SCIM"]


# --- the customer card and View full note ------------------------------------------------------------------


def test_card_shows_latest_voc_and_view_full_note_opens_the_whole_quote(baton, slack, ids, clock):
    """`/customer acme` lists the newest notes with their roadmap items (shipped marked); View full note opens
    the whole quote; a forged id of nothing (or another team's note) opens the "gone" modal."""
    long_quote = "SSO " + "가나다라 " * 1500
    command(baton, slack, f"acme: {long_quote}")
    [note] = baton.all(VocNote)
    note_id = note.id
    with baton.deps.sessions.begin() as db:  # tagged to the shipped item (the roadmap feature's own path)
        db.add(VocLink(team_id="T111", voc_id=note_id, item_id=ids["audit"], tagged_by="U_PM", created_at=clock()))
    url = slack.new_response_url()
    baton.slack(p.slash_command("/customer", "acme", user_id="U_CSM", response_url=url))
    card = slack.responses()[-1]
    text = blocks_text(card["blocks"])
    assert "Voice of the customer" in text and "> SSO 가나다라" in text and "✅ Audit log (shipped)" in text
    assert len(text) < len(long_quote)
    [view_button] = [b for b in buttons(card["blocks"]) if b["action_id"] == vb.VIEW]
    assert view_button["value"] == str(note_id)
    click(baton, slack, view_button)
    modal = last_view(slack)
    assert modal["callback_id"] == vb.NOTE_MODAL
    shown = "".join(b["text"]["text"] for b in modal["blocks"] if b["type"] == "section")
    assert "".join(long_quote.split()) in "".join(shown.split())
    assert "<@U_CSM>" in blocks_text(modal["blocks"])  # who logged it

    click(baton, slack, {"action_id": vb.VIEW, "value": str(note_id)}, user="U_OTHER", team="T999")
    assert "no longer in Baton" in blocks_text(last_view(slack)["blocks"])


# --- text without a customer, and Edit --------------------------------------------------------------------------


def test_voc_text_without_a_colon_opens_the_form_with_it(baton, slack, ids):
    """`/voc they want SSO` is not thrown away: the form opens with that text in it, and logs it once submitted."""
    req = p.slash_command(
        "/voc", "고객이 SSO를 원합니다", user_id="U_KO", channel_id=GENERAL, response_url=slack.new_response_url()
    )
    assert baton.slack(req).status_code == 200
    view = last_view(slack)
    assert view["callback_id"] == vb.LOG_MODAL and initial_quote(view) == "고객이 SSO를 원합니다"
    assert slack.responses() == [] and baton.all(VocNote) == []
    assert submit(baton, view, state(ids["삼성전자"], initial_quote(view)), user="U_KO") == {}
    [note] = baton.all(VocNote)
    assert (note.customer_id, note.quote) == (ids["삼성전자"], "고객이 SSO를 원합니다")


def edit_view(baton, slack, reply: dict, user: str = "U_CSM") -> dict | None:
    """Click Edit on a confirmation; the modal it opened, or None."""
    [edit] = [b for b in buttons(reply["blocks"]) if b["action_id"] == vb.EDIT]
    opened = len(slack.calls_to("views.open"))
    click(baton, slack, edit, user=user)
    return last_view(slack) if len(slack.calls_to("views.open")) > opened else None


def submit_edit(baton, view: dict, values: dict, user: str = "U_CSM") -> dict:
    req = p.view_submission(vb.EDIT_MODAL, values, user_id=user, private_metadata=view["private_metadata"])
    resp = baton.slack(req)
    assert resp.status_code == 200, resp.text
    return ack_body(resp)


def edit_state(quote: str | None, category: str | None, importance: str | None, area: str | None = None) -> dict:
    values = state(None, quote, category, importance, area)
    del values[vb.CUSTOMER_BLOCK]
    return values


def test_fast_voc_offers_edit_and_edit_changes_the_note_in_place(baton, slack, ids):
    """`/voc acme: text` logs at once with the default details; Edit opens them prefilled and saving changes the
    note (not a second one) and replaces the confirmation with the note as it is now."""
    reply = command(baton, slack, "acme: needs SSO before rollout")
    view = edit_view(baton, slack, reply)
    assert view["callback_id"] == vb.EDIT_MODAL and initial_quote(view) == "needs SSO before rollout"
    assert block(view, vb.IMPORTANCE_BLOCK)["element"]["initial_option"]["value"] == "important"
    assert block(view, vb.CATEGORY_BLOCK)["element"]["initial_option"]["value"] == "other"  # the fast path's
    assert "ACME Corp." in blocks_text(view["blocks"])
    ack = submit_edit(baton, view, edit_state("Needs Okta SSO before the rollout", "feature_request", "blocker", "SSO"))
    assert ack == {}
    [note] = baton.all(VocNote)
    assert (note.quote, note.category, note.importance, note.product_area, note.source_kind) == (
        "Needs Okta SSO before the rollout",
        "feature_request",
        "blocker",
        "SSO",
        "command",
    )
    done = slack.responses()[-1]
    assert done["replace_original"] is True
    assert "Updated the VoC for *ACME Corp.*" in blocks_text(done["blocks"]) and "Blocker" in blocks_text(
        done["blocks"]
    )
    again = command(baton, slack, "acme: needs SSO before rollout", user="U_CSM2")  # the original words join it
    assert len(baton.all(VocNote)) == 1 and vb.EDIT not in {b["action_id"] for b in buttons(again["blocks"])}


def test_edit_is_the_first_reporters_alone_and_checked(baton, slack, ids):
    """Someone else's click on Edit opens nothing; a forged submission changes nothing; a bad field is refused
    under it and nothing is half saved."""
    reply = command(baton, slack, "acme: needs SSO")
    assert edit_view(baton, slack, reply, user="U_CSM2") is None
    assert "Only <@U_CSM>, who logged this note, can edit it." in slack.responses()[-1]["text"]
    view = edit_view(baton, slack, reply)
    forged = submit_edit(baton, view, edit_state("hijacked", "bug", "critical"), user="U_CSM2")
    assert "errors" in forged
    bad = submit_edit(baton, view, edit_state("   ", "bug", "critical"))
    assert bad["errors"] == {vb.QUOTE_BLOCK: "Write down what the customer said."}
    [note] = baton.all(VocNote)
    assert (note.quote, note.category, note.importance) == ("needs SSO", "other", "important")


def test_edit_in_korean(baton, slack, ids):
    """The Edit modal and its confirmation speak the user's language."""
    reply = command(baton, slack, "삼성：대시보드 내보내기", user="U_KO")
    view = edit_view(baton, slack, reply, user="U_KO")
    assert view["title"]["text"] == "VoC 수정" and view["submit"]["text"] == "저장"
    assert submit_edit(baton, view, edit_state("대시보드 내보내기", "bug", "critical"), user="U_KO") == {}
    assert "*삼성전자*\u200b의 VoC를 수정했습니다" in blocks_text(slack.responses()[-1]["blocks"])
