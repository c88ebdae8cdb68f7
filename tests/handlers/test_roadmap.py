"""The roadmap end to end: signed requests into the real app; the fake Slack records the posts, updates, deletions,
DMs, ephemerals and modals; the outbox is run by `baton.settle()`."""

import dataclasses
import itertools
import json
import threading
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from sqlmodel import select

from bot.blocks import roadmap as rb
from bot.handlers.roadmap import SHORTCUT, message_links
from bot.models import Customer, HealthSnapshot, OutboxMessage, RoadmapItem, VocLink
from bot.services import roadmap as rs
from bot.services import voc
from bot.text import normalize_key
from tests import payloads as p
from tests.conftest import TEAM, Baton
from tests.flows import POST_FAULTS, UPDATE_FAULTS, ack_body, blocks_text, last_view, retry_for

ROADMAP = "C0ROADMAP"
SALES = "C0SALES"
PM_GROUP = "S0PM"
DOMAIN = "fake-workspace"  # the team domain in the signed payloads
_reply_seq = itertools.count(1)


@pytest.fixture
def rm(settings, clock, slack):
    """Baton with a roadmap channel and a product-manager user group whose only member is U_PM."""
    slack.add_user("U_PM", email="pm@example.com", name="Pat Product", locale="en-US")
    slack.add_user("U_PM_KO", email="pm.ko@example.com", name="박제품", locale="ko-KR")
    slack.set_usergroup(PM_GROUP, ["U_PM", "U_PM_KO"])
    baton = Baton(dataclasses.replace(settings, roadmap_channel=ROADMAP, pm_usergroup=PM_GROUP), clock)
    yield baton
    baton.close()


# --- helpers ------------------------------------------------------------------------------------------------


def add_customer(baton, name: str, team: str = TEAM, **fields) -> int:
    with baton.deps.sessions.begin() as db:
        c = Customer(team_id=team, name=name, name_key=normalize_key(name), **fields)
        db.add(c)
        db.flush()
        return c.id


def log_note(
    baton,
    customer_id: int,
    quote: str,
    *,
    ts: str | None = None,
    channel: str = SALES,
    importance: str = "important",
    user: str = "U_CSM",
    team: str = TEAM,
) -> int:
    """A VoC note, logged from a Slack message (with its permalink) when `ts` is given, else typed."""
    link = f"https://{DOMAIN}.slack.com/archives/{channel}/p{ts.replace('.', '')}" if ts else None
    inp = voc.VocInput(
        customer_id,
        quote,
        "feature_request",
        importance,
        source_kind="message" if ts else "command",
        source_channel=channel if ts else None,
        source_ts=ts,
        source_author_id="U_CUSTOMER" if ts else None,
        permalink=link,
    )
    with baton.deps.sessions.begin() as db:
        return voc.log_voc(db, team, inp, user, now=baton.clock()).note.id


def command(baton, slack, text: str, user: str = "U_PM", team: str = TEAM, trigger_id: str | None = None) -> dict:
    """Run `/roadmap text` and return Baton's (ephemeral) answer."""
    url = slack.new_response_url()
    req = p.slash_command("/roadmap", text, user_id=user, team_id=team, response_url=url, trigger_id=trigger_id)
    assert baton.slack(req).status_code == 200
    return slack.responses()[-1]


def new_item(baton, slack, title: str = "SSO with Okta") -> RoadmapItem:
    """`/roadmap new title`, delivered: the item with its parent message posted."""
    assert "Created" in command(baton, slack, f"new {title}")["text"]
    baton.settle()
    [item] = [i for i in baton.all(RoadmapItem) if i.title == " ".join(title.split())]
    assert item.ts
    return item


def parent(slack, item: RoadmapItem) -> dict:
    [message] = [m for m in slack.messages(ROADMAP) if m["ts"] == item.ts]
    return message


def fields(message: dict) -> dict[str, str]:
    """The parent's tally fields as {label: value}."""
    [section] = [b for b in message["blocks"] if b["type"] == "section" and "fields" in b]
    out = {}
    for f in section["fields"]:
        label, _, value = f["text"].partition("\n")
        out[label.strip("*")] = value
    return out


def posts(slack, item: RoadmapItem) -> list[dict]:
    """The VoC posts in the item's thread (the parent left out)."""
    return [m for m in slack.thread(ROADMAP, item.ts) if m["ts"] != item.ts]


def buttons(blocks: list[dict]) -> list[dict]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


def click(baton, slack, action_id: str, value: str, user: str, team: str = TEAM, channel: str = ROADMAP, ts=None):
    """Click a button on a message in `channel`; returns Baton's ephemeral answer, if any."""
    before = len(slack.responses())
    req = p.block_actions(
        action_id,
        value,
        user_id=user,
        team_id=team,
        channel_id=channel,
        message_ts=ts or "1700000000.000001",
        response_url=slack.new_response_url(),
    )
    assert baton.slack(req).status_code == 200
    answers = slack.responses()[before:]
    return answers[-1] if answers else None


def open_tag_modal(baton, slack, voc_id: int, user: str = "U_CSM", team: str = TEAM) -> dict:
    """Click Tag to roadmap on a VoC note (as the VoC feature draws it) and return the modal Baton opened."""
    click(baton, slack, rb.TAG, str(voc_id), user, team=team, channel="DU_CSM")
    return last_view(slack)


def submit_tag(baton, view: dict, item_id: int, user: str = "U_CSM", team: str = TEAM, client=None) -> dict:
    values = {rb.ITEM_BLOCK: {rb.VALUE: p.static_value(str(item_id))}}
    req = p.view_submission(rb.TAG_MODAL, values, user_id=user, team_id=team, private_metadata=view["private_metadata"])
    if client is None:
        return ack_body(baton.slack(req))
    resp = client.post("/slack/events", content=req.body.encode(), headers=req.headers)
    return ack_body(resp)


def tag(baton, slack, voc_id: int, item_id: int, user: str = "U_CSM") -> dict:
    """Tag a note to an item through the Tag to roadmap modal; returns the modal's answer."""
    return submit_tag(baton, open_tag_modal(baton, slack, voc_id, user), item_id, user)


def untag_button(post: dict) -> dict:
    [button] = [b for b in buttons(post["blocks"]) if b["action_id"] == rb.UNTAG]
    return button


def thread_reply(item: RoadmapItem, text: str, user: str = "U_CSM", **extra) -> dict:
    ts = f"{int(float(item.ts)) + 5}.{next(_reply_seq):06d}"
    return {
        "type": "message",
        "channel": ROADMAP,
        "channel_type": "channel",
        "user": user,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "thread_ts": item.ts,
        **extra,
    }


def permalink(channel: str, ts: str, thread_ts: str | None = None) -> str:
    link = f"https://{DOMAIN}.slack.com/archives/{channel}/p{ts.replace('.', '')}"
    return link + (f"?thread_ts={thread_ts}&amp;cid={channel}" if thread_ts else "")


def assert_all_delivered(baton) -> None:
    """Every outbox row was sent, except parent updates made redundant by a newer one already sent."""
    for row in baton.all(OutboxMessage):
        if row.method == "roadmap.parent.update" and row.status == "dropped":
            assert row.last_error.startswith("the parent already shows version")
        else:
            assert row.status == "sent", (row.method, row.status, row.last_error)


def ephemerals(slack) -> list[dict]:
    return [c.args for c in slack.calls_to("chat.postEphemeral") if c.status == 200]


def dms(slack, user: str) -> list[dict]:
    return slack.messages(slack.dm_channel(user))


# --- /roadmap new, /roadmap, help ---------------------------------------------------------------------------


def test_roadmap_new_creates_the_item_and_posts_its_parent_once(rm, slack):
    """`/roadmap new TITLE` answers privately, posts the parent once in the roadmap channel and stores its ts;
    the same request delivered twice makes one item."""
    req = p.slash_command("/roadmap", "new  SSO   with Okta ", user_id="U_PM", response_url=slack.new_response_url())
    for _ in range(2):
        assert rm.slack(req).status_code == 200
    answer = slack.responses()[-1]
    assert answer["response_type"] == "ephemeral"
    assert "Created *SSO with Okta*" in answer["text"] and f"<#{ROADMAP}>" in answer["text"]
    rm.settle()
    rm.settle()
    [item] = rm.all(RoadmapItem)
    [message] = slack.messages(ROADMAP)
    assert (item.channel, item.ts, item.title, item.status) == (ROADMAP, message["ts"], "SSO with Okta", "planned")
    assert message["blocks"][0]["text"]["text"] == "🗓️ SSO with Okta"
    assert fields(message)["Customers asking"] == "0" and fields(message)["Status"] == "Planned"
    assert [b["action_id"] for b in buttons(message["blocks"])] == [rb.SET_IN_PROGRESS]
    assert "No VoC tagged yet" in blocks_text(message["blocks"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [("new", "Give the item a title"), ("new " + "x" * 151, "within 150 characters (this one has 151)")],
)
def test_roadmap_new_refuses_a_missing_or_long_title(rm, slack, text, expected):
    """An empty or over-long title is explained privately and nothing is created."""
    assert expected in command(rm, slack, text)["text"]
    rm.settle()
    assert rm.all(RoadmapItem) == [] and slack.messages(ROADMAP) == []


def test_roadmap_new_without_a_roadmap_channel_says_which_setting(baton, slack):
    """With BATON_ROADMAP_CHANNEL unset, `/roadmap new` says which setting to set and creates nothing."""
    answer = command(baton, slack, "new SSO")
    assert "`BATON_ROADMAP_CHANNEL`" in answer["text"] and answer["response_type"] == "ephemeral"
    assert baton.all(RoadmapItem) == []


@pytest.mark.parametrize("text", ["help", "도움말", "frobnicate the roadmap"])
def test_roadmap_help_shows_usage(rm, slack, text):
    """`/roadmap help` (and anything Baton does not understand) answers with the usage."""
    answer = command(rm, slack, text)
    assert "/roadmap new TITLE" in blocks_text(answer["blocks"]) and f"<#{ROADMAP}>" in blocks_text(answer["blocks"])


def test_korean_user_gets_korean_answers(rm, slack):
    """A Korean user gets the usage and confirmations in Korean."""
    assert "사용법" in command(rm, slack, "help", user="U_KO")["text"]
    assert "항목을 만들었습니다" in command(rm, slack, "new 한국어 제목", user="U_KO")["text"]


def test_roadmap_lists_open_items_by_arr_weight_with_thread_links(rm, slack):
    """`/roadmap` lists open items, weightiest first (ARR in the default currency), each linked to its thread;
    shipped items are left out."""
    small, big, done = (new_item(rm, slack, t) for t in ("Dark mode", "Audit log", "Old thing"))
    acme = add_customer(rm, "ACME", arr=Decimal("120000"), currency="USD")
    globex = add_customer(rm, "Globex", arr=Decimal("5000"), currency="USD")
    tag(rm, slack, log_note(rm, acme, "Audit log please"), big.id)
    tag(rm, slack, log_note(rm, globex, "Dark mode!"), small.id)
    click(rm, slack, rb.SET_IN_PROGRESS, str(done.id), "U_PM")
    click(rm, slack, rb.SET_SHIPPED, str(done.id), "U_PM")
    rm.settle()
    answer = command(rm, slack, "")
    text = blocks_text(answer["blocks"])
    assert text.index("Audit log") < text.index("Dark mode") and "Old thing" not in text
    assert f"<https://{DOMAIN}.slack.com/archives/{ROADMAP}/p{big.ts.replace('.', '')}|Audit log>" in text
    assert "$120,000" in text and answer["response_type"] == "ephemeral"


def test_roadmap_list_when_empty_explains_how_to_start(rm, slack):
    """With no open items, `/roadmap` says how to create one."""
    assert "No open roadmap items yet" in blocks_text(command(rm, slack, "list")["blocks"])


# --- Make roadmap item (message shortcut) -------------------------------------------------------------------


def shortcut(baton, text: str, ts: str = "1700000100.000200", user: str = "U_PM", team: str = TEAM):
    message = {"type": "message", "text": text, "user": "U_CSM", "ts": ts}
    return baton.slack(p.message_shortcut(SHORTCUT, user_id=user, team_id=team, channel_id=SALES, message=message))


def submit_item(baton, view: dict, title: str | None, description: str | None = None, user: str = "U_PM") -> dict:
    values = {
        rb.TITLE_BLOCK: {rb.VALUE: p.text_value(title)},
        rb.DESCRIPTION_BLOCK: {rb.VALUE: p.text_value(description)},
    }
    req = p.view_submission(rb.ITEM_MODAL, values, user_id=user, private_metadata=view["private_metadata"])
    return ack_body(baton.slack(req))


def test_shortcut_prefills_the_form_and_the_same_message_makes_one_item(rm, slack):
    """The shortcut's modal has the message's first line as title and its text as description; submitting it
    twice for the same message makes one item and one parent post."""
    text = "\n  SSO with <@U0AE12> Okta, please &amp; soon  \nThree enterprise customers asked this quarter."
    shortcut(rm, text)
    view = last_view(slack)
    assert view["callback_id"] == rb.ITEM_MODAL
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert blocks[rb.TITLE_BLOCK]["element"]["initial_value"] == "SSO with Okta, please & soon"
    assert "Three enterprise customers" in blocks[rb.DESCRIPTION_BLOCK]["element"]["initial_value"]
    first = submit_item(rm, view, "SSO with Okta", "Three customers asked.")
    assert first["response_action"] == "update" and "Created *SSO with Okta*" in blocks_text(first["view"]["blocks"])
    shortcut(rm, text)
    second = submit_item(rm, last_view(slack), "A different title")
    assert "already has a roadmap item: *SSO with Okta*" in blocks_text(second["view"]["blocks"])
    rm.settle()
    [item] = rm.all(RoadmapItem)
    assert item.source_key == f"msg:{SALES}:1700000100.000200" and item.description == "Three customers asked."
    assert len(slack.messages(ROADMAP)) == 1


def test_shortcut_prefills_at_most_150_characters(rm, slack):
    """A long first line is cut to the 150 characters a title may have; the description to 3,000."""
    shortcut(rm, "가" * 400 + "\n" + "나" * 50_000)
    blocks = {b.get("block_id"): b for b in last_view(slack)["blocks"]}
    assert len(blocks[rb.TITLE_BLOCK]["element"]["initial_value"]) <= 150
    assert len(blocks[rb.DESCRIPTION_BLOCK]["element"]["initial_value"]) <= 3000


def test_shortcut_title_is_checked_inline(rm, slack):
    """An empty title comes back as an error next to the field; nothing is created."""
    shortcut(rm, "Something")
    body = submit_item(rm, last_view(slack), "   ")
    assert body["response_action"] == "errors" and "title" in body["errors"][rb.TITLE_BLOCK]
    assert rm.all(RoadmapItem) == []


def test_shortcut_without_a_roadmap_channel_explains_the_setting(baton, slack):
    """With BATON_ROADMAP_CHANNEL unset the shortcut opens an explanation instead of the form."""
    shortcut(baton, "SSO please")
    view = last_view(slack)
    assert view["callback_id"] == rb.INFO_MODAL and "BATON_ROADMAP_CHANNEL" in blocks_text(view["blocks"])


# --- tagging with the Tag to roadmap button ------------------------------------------------------------------


def test_tag_button_offers_open_items_and_posts_the_note_in_the_thread(rm, slack, clock):
    """Tag to roadmap opens a select of open items; the choice posts the note in the item's thread (customer,
    ARR, importance, quote, who logged and tagged it, the source link, Untag) and updates the tally."""
    item = new_item(rm, slack, "SSO with Okta")
    new_item(rm, slack, "Dark mode")
    acme = add_customer(
        rm, "ACME Corp.", arr=Decimal("120000"), currency="USD", renewal_date=clock().date() + timedelta(days=30)
    )
    note = log_note(rm, acme, "We need SSO <!channel> & fast", ts="1700000200.000100", importance="critical")
    view = open_tag_modal(rm, slack, note)
    assert view["callback_id"] == rb.TAG_MODAL
    [select_block] = [b for b in view["blocks"] if b.get("block_id") == rb.ITEM_BLOCK]
    assert {o["value"] for o in select_block["element"]["options"]} == {str(i.id) for i in rm.all(RoadmapItem)}
    answer = submit_tag(rm, view, item.id)
    assert answer["response_action"] == "update" and "Tagged to *SSO with Okta*" in blocks_text(
        answer["view"]["blocks"]
    )
    rm.settle()
    [post] = posts(slack, item)
    text = blocks_text(post["blocks"])
    assert "ACME Corp." in text and "$120,000" in text and "Critical" in text and "We need SSO" in text
    assert "<!channel>" not in text and "&amp;" in text
    assert "Logged by <@U_CSM>" in text and "tagged by <@U_CSM>" in text
    assert f"<{permalink(SALES, '1700000200.000100')}|source message>" in text
    assert json.loads(untag_button(post)["value"]) == {"voc_id": note, "item_id": item.id, "tagged_by": "U_CSM"}
    tally = fields(parent(slack, item))
    assert tally["Customers asking"] == "1" and tally["Their total ARR"] == "$120,000"
    assert tally["Renewing within 90 days"] == "1" and tally["VoC notes"] == "1"
    assert "We need SSO" in blocks_text(parent(slack, item)["blocks"])
    assert rm.all(VocLink)[0].thread_ts == post["ts"]


def test_tag_button_without_open_items_says_how_to_make_one(rm, slack):
    """With no open item, the button explains how to create one instead of an empty select."""
    note = log_note(rm, add_customer(rm, "ACME"), "SSO")
    view = open_tag_modal(rm, slack, note)
    assert view["callback_id"] == rb.INFO_MODAL and "/roadmap new TITLE" in blocks_text(view["blocks"])


def test_tag_button_for_a_note_that_is_gone_says_so(rm, slack):
    """An unknown note id (deleted, or another team's) gets an explanation, not a modal to tag it."""
    new_item(rm, slack)
    view = open_tag_modal(rm, slack, 999_999)
    assert view["callback_id"] == rb.INFO_MODAL and "no longer exists" in blocks_text(view["blocks"])


def test_tag_button_inside_a_modal_pushes_the_picker(rm, slack):
    """Clicked inside a modal (the VoC list), the picker is pushed on top instead of opened."""
    new_item(rm, slack)
    note = log_note(rm, add_customer(rm, "ACME"), "SSO")
    req = p.block_actions(rb.TAG, str(note), user_id="U_CSM", view={"id": "V_LIST", "callback_id": "voc_list"})
    rm.slack(req)
    assert [c.method for c in slack.calls if c.method.startswith("views.")] == ["views.push"]
    assert last_view(slack)["callback_id"] == rb.TAG_MODAL


# --- the tally: tag, untag, re-tag, double click, concurrency ------------------------------------------------


@pytest.fixture
def tally_data(rm, clock):
    """ACME (USD, renewing in 30 days, at risk) with two notes and Globex (KRW, unhealthy) with one."""
    today = clock().date()
    acme = add_customer(
        rm,
        "ACME",
        arr=Decimal("120000"),
        currency="USD",
        renewal_date=today + timedelta(days=30),
        owner_user_id="U_CSM",
    )
    globex = add_customer(
        rm, "Globex", arr=Decimal("50000000"), currency="KRW", renewal_date=today + timedelta(days=200)
    )
    with rm.deps.sessions.begin() as db:
        for customer, nps in ((acme, 5), (globex, 2)):  # nps 5 -> 50: at risk; nps 2 -> 20: unhealthy
            db.add(HealthSnapshot(team_id=TEAM, customer_id=customer, signal="nps", as_of=today, value=nps))
    return {
        "acme1": log_note(rm, acme, "SSO for our 200 seats", importance="blocker"),
        "acme2": log_note(rm, acme, "Okta specifically"),
        "globex": log_note(rm, globex, "SAML 지원이 필요합니다"),
    }


def test_tally_follows_tags_untags_retags_and_double_clicks(rm, slack, tally_data):
    """Customers are counted once, ARR summed per currency, renewals and bands counted; a double click changes
    nothing; untag and re-tag move the tally both ways."""
    item = new_item(rm, slack)
    for note in tally_data.values():
        tag(rm, slack, note, item.id)
    assert "already tagged" in blocks_text(tag(rm, slack, tally_data["acme1"], item.id)["view"]["blocks"])
    rm.settle()
    tally = fields(parent(slack, item))
    assert tally["Customers asking"] == "2" and tally["VoC notes"] == "3"
    assert tally["Their total ARR"] == "₩50,000,000 + $120,000"
    assert tally["Renewing within 90 days"] == "1" and tally["Health"] == "🟠 At risk: 1 · 🔴 Unhealthy: 1"
    quotes = blocks_text(parent(slack, item)["blocks"])
    assert quotes.index("SSO for our 200 seats") < quotes.index("Okta specifically")  # the blocker first
    assert len(posts(slack, item)) == 3 and rm.all(RoadmapItem)[0].version == 3

    for name in ("acme1", "acme2"):
        [post] = [m for m in posts(slack, item) if json.loads(untag_button(m)["value"])["voc_id"] == tally_data[name]]
        click(rm, slack, rb.UNTAG, untag_button(post)["value"], "U_CSM", ts=post["ts"])
    rm.settle()
    tally = fields(parent(slack, item))
    assert tally["Customers asking"] == "1" and tally["Their total ARR"] == "₩50,000,000"
    assert tally["Health"] == "🟠 At risk: 0 · 🔴 Unhealthy: 1" and len(posts(slack, item)) == 1

    tag(rm, slack, tally_data["acme2"], item.id)
    rm.settle()
    assert fields(parent(slack, item))["Customers asking"] == "2" and len(posts(slack, item)) == 2
    assert rm.all(RoadmapItem)[0].version == 6
    assert_all_delivered(rm)


def set_fx(baton, value: str | None) -> None:
    """What `python -m bot config set fx.rates VALUE` (or `unset`) stores."""
    from bot.services import team_config

    with baton.deps.sessions.begin() as db:
        if value is None:
            team_config.unset(db, TEAM, "fx.rates")
        else:
            team_config.set_value(db, TEAM, "fx.rates", value, now=baton.deps.clock(), by="cli")


def test_tally_and_list_add_mixed_currencies_up_with_the_teams_rates(rm, slack, tally_data):
    """With fx.rates set, the next tally update and `/roadmap` read ARR as one total (≈ $158K (₩50M + $120K)),
    in English and Korean; unset, the amounts are listed again."""
    item = new_item(rm, slack)
    tag(rm, slack, tally_data["acme1"], item.id)
    rm.settle()
    assert fields(parent(slack, item))["Their total ARR"] == "$120,000"
    set_fx(rm, "USD: KRW=0.00075")
    tag(rm, slack, tally_data["globex"], item.id)
    rm.settle()
    assert fields(parent(slack, item))["Their total ARR"] == "≈ $158K (₩50M + $120K)"
    assert "ARR: ≈ $158K (₩50M + $120K)" in blocks_text(command(rm, slack, "")["blocks"])
    assert "ARR ≈ $158K (5,000만 원 + $120K)" in blocks_text(command(rm, slack, "", user="U_PM_KO")["blocks"])
    set_fx(rm, None)
    tag(rm, slack, tally_data["acme2"], item.id)
    rm.settle()
    assert fields(parent(slack, item))["Their total ARR"] == "₩50,000,000 + $120,000"
    assert "ARR 5,000만 원 + $120,000" in blocks_text(command(rm, slack, "", user="U_PM_KO")["blocks"])
    assert_all_delivered(rm)


def test_concurrent_tags_both_reach_the_parent(rm, slack):
    """Two people tagging different notes at the same moment: both are counted and the last update shows both."""
    item = new_item(rm, slack)
    notes = [log_note(rm, add_customer(rm, f"Customer {i}", arr=Decimal(1000), currency="USD"), "SSO") for i in (1, 2)]
    views = [open_tag_modal(rm, slack, n, user=u) for n, u in zip(notes, ("U_CSM", "U_CSM2"), strict=True)]
    barrier, answers, errors = threading.Barrier(2), [], []

    def submit(view, user):
        try:
            with httpx.Client(transport=httpx.WSGITransport(app=rm.web), base_url="https://baton.example.com") as c:
                barrier.wait()
                answers.append(submit_tag(rm, view, item.id, user=user, client=c))
        except Exception as exc:  # pragma: no cover - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=submit, args=a) for a in zip(views, ("U_CSM", "U_CSM2"), strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    rm.executor.wait_idle()
    assert errors == [] and [a["response_action"] for a in answers] == ["update", "update"]
    rm.settle()
    assert fields(parent(slack, item))["Customers asking"] == "2"
    assert fields(parent(slack, item))["Their total ARR"] == "$2,000"
    assert len(posts(slack, item)) == 2 and rm.all(RoadmapItem)[0].version == 2


# --- Untag and the thread post ------------------------------------------------------------------------------


def test_untag_deletes_the_thread_post(rm, slack):
    """Untag by the person who tagged removes the tag, deletes the post with chat.delete and updates the tally."""
    item = new_item(rm, slack)
    note = log_note(rm, add_customer(rm, "ACME"), "SSO")
    tag(rm, slack, note, item.id)
    rm.settle()
    [post] = posts(slack, item)
    assert click(rm, slack, rb.UNTAG, untag_button(post)["value"], "U_CSM", ts=post["ts"]) is None
    rm.settle()
    assert posts(slack, item) == [] and rm.all(VocLink) == []
    [delete] = slack.calls_to("chat.delete")
    assert delete.args["ts"] == post["ts"] and delete.status == 200
    assert fields(parent(slack, item))["Customers asking"] == "0"
    answer = click(rm, slack, rb.UNTAG, untag_button(post)["value"], "U_CSM", ts=post["ts"])  # a stale button
    assert "no longer tagged" in answer["text"]


def test_untag_while_the_post_is_still_queued_posts_nothing(rm, slack):
    """Tagged then untagged before the outbox ran: no post, no deletion, and the tally is back to zero."""
    item = new_item(rm, slack)
    note = log_note(rm, add_customer(rm, "ACME"), "SSO")
    tag(rm, slack, note, item.id)
    ref = rb.UntagRef(voc_id=note, item_id=item.id, tagged_by="U_CSM").dump()
    click(rm, slack, rb.UNTAG, ref, "U_CSM")
    rm.settle()
    assert posts(slack, item) == [] and slack.calls_to("chat.delete") == []
    assert fields(parent(slack, item))["Customers asking"] == "0"
    with rm.db() as db:
        [row] = db.exec(select(OutboxMessage).where(OutboxMessage.method == "roadmap.voc.post")).all()
    assert row.status == "dropped"


def test_untag_after_an_unconfirmed_post_takes_the_post_down(rm, slack, clock):
    """The post landed but Slack answered 500; untagged before the retry: the retry finds the post in the
    thread and deletes it instead of leaving it behind."""
    item = new_item(rm, slack)
    note = log_note(rm, add_customer(rm, "ACME"), "SSO")
    tag(rm, slack, note, item.id)
    slack.fail_after_effect("chat.postMessage")
    rm.settle()  # the post is in Slack; Baton does not know
    assert len(posts(slack, item)) == 1 and rm.all(VocLink)[0].thread_ts is None
    click(rm, slack, rb.UNTAG, rb.UntagRef(voc_id=note, item_id=item.id, tagged_by="U_CSM").dump(), "U_CSM")
    clock.advance(seconds=30)
    rm.settle()
    assert posts(slack, item) == [] and len(slack.calls_to("chat.delete")) == 1


def test_untag_racing_the_post_deletes_it_when_it_lands(rm, slack, clock):
    """The tag is removed while its post is on the wire: when the post lands, it is taken down again."""
    item = new_item(rm, slack)
    note = log_note(rm, add_customer(rm, "ACME"), "SSO")
    tag(rm, slack, note, item.id)
    renderer = rm.deps.outbox.renderers.table["roadmap.voc.post"]

    def untag_mid_flight(db, team_id, params):
        result = renderer(db, team_id, params)  # drawn while the link exists ...
        click(rm, slack, rb.UNTAG, rb.UntagRef(voc_id=note, item_id=item.id, tagged_by="U_CSM").dump(), "U_CSM")
        return result  # ... and sent after it is gone

    rm.deps.outbox.renderers.table["roadmap.voc.post"] = untag_mid_flight
    rm.settle()
    assert posts(slack, item) == [] and len(slack.calls_to("chat.delete")) == 1


@pytest.mark.parametrize(("user", "allowed"), [("U_CSM", True), ("U_PM", True), ("U_CSM2", False)])
def test_untag_is_for_the_tagger_and_product_managers(rm, slack, user, allowed):
    """The person who tagged and product managers may untag; anyone else is told who can."""
    item = new_item(rm, slack)
    tag(rm, slack, log_note(rm, add_customer(rm, "ACME"), "SSO"), item.id)
    rm.settle()
    [post] = posts(slack, item)
    answer = click(rm, slack, rb.UNTAG, untag_button(post)["value"], user, ts=post["ts"])
    rm.settle()
    assert (posts(slack, item) == []) is allowed
    if not allowed:
        assert "Only <@U_CSM>, who tagged this note, or a product manager" in answer["text"]


# --- tagging by a reply with a message link in the item's thread ---------------------------------------------


def test_reply_with_a_message_link_tags_every_note_from_that_message(rm, slack):
    """A link to a logged message, posted in the item's thread, tags each customer's note from that message;
    the poster is told privately; a retried event and a repeated link change nothing."""
    item = new_item(rm, slack)
    source_ts = "1700000300.000400"
    acme, globex = add_customer(rm, "ACME"), add_customer(rm, "Globex")
    log_note(rm, acme, "Both of us need SSO", ts=source_ts)
    log_note(rm, globex, "Both of us need SSO", ts=source_ts)
    event = thread_reply(item, f"Evidence: <{permalink(SALES, source_ts, thread_ts='1700000300.000100')}>")
    for retry in (None, 1):
        assert rm.slack(p.event_callback(event, event_id="EvTAG1", retry_num=retry)).status_code == 200
    rm.settle()
    assert len(posts(slack, item)) == 2 and fields(parent(slack, item))["Customers asking"] == "2"
    [answer] = ephemerals(slack)
    assert answer["user"] == "U_CSM" and answer["thread_ts"] == item.ts
    assert "Tagged to *SSO with Okta*: *ACME*, *Globex*" in answer["text"]
    rm.slack(p.event_callback(thread_reply(item, f"again {permalink(SALES, source_ts)}")))
    assert "Already tagged: *ACME*, *Globex*" in ephemerals(slack)[-1]["text"]
    rm.settle()
    assert len(posts(slack, item)) == 2


def test_reply_with_a_link_to_an_unlogged_message_says_it_is_not_voc_yet(rm, slack):
    """A link to a message nobody logged as VoC gets a private "log it first" answer and tags nothing."""
    item = new_item(rm, slack)
    rm.slack(p.event_callback(thread_reply(item, f"<{permalink(SALES, '1700000999.000100')}>", user="U_KO")))
    [answer] = ephemerals(slack)
    assert "VoC로 기록되지 않아" in answer["text"] and ":bulb:" in answer["text"]
    assert rm.all(VocLink) == []


@pytest.mark.parametrize(
    "change",
    [
        {"bot_id": "B1"},  # Baton's own (or another bot's) post
        {"subtype": "message_changed"},  # an edit
        {"thread_ts": None},  # not in a thread
        {"channel": "C0OTHER"},  # not the roadmap channel
        {"text": "just talking about SSO"},  # no link
    ],
)
def test_other_messages_are_left_alone(rm, slack, change):
    """Bot posts, edits, top-level messages, other channels and replies without a link tag nothing and get no
    answer (and still a 200)."""
    item = new_item(rm, slack)
    source_ts = "1700000300.000400"
    log_note(rm, add_customer(rm, "ACME"), "SSO", ts=source_ts)
    event = {**thread_reply(item, f"<{permalink(SALES, source_ts)}>"), **change}
    assert rm.slack(p.event_callback(event)).status_code == 200
    rm.settle()
    assert rm.all(VocLink) == [] and ephemerals(slack) == []


def test_reply_in_a_thread_that_is_not_an_item_tags_nothing(rm, slack):
    """A link posted in some other thread of the roadmap channel is ignored."""
    item = new_item(rm, slack)
    source_ts = "1700000300.000400"
    log_note(rm, add_customer(rm, "ACME"), "SSO", ts=source_ts)
    event = {**thread_reply(item, f"<{permalink(SALES, source_ts)}>"), "thread_ts": "1600000000.000100"}
    rm.slack(p.event_callback(event))
    assert rm.all(VocLink) == [] and ephemerals(slack) == []


def test_dm_lookups_still_work_beside_the_thread_listener(rm, slack):
    """The customer DM listener still answers DMs (the roadmap listener only takes roadmap threads)."""
    add_customer(rm, "ACME Corp.")
    dm = {"type": "message", "channel_type": "im", "channel": "DU_CSM", "user": "U_CSM", "text": "customer acme"}
    rm.slack(p.event_callback({**dm, "ts": "1700000000.000300"}))
    assert "ACME Corp." in blocks_text(slack.messages("DU_CSM")[0]["blocks"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"<{permalink(SALES, '1700000300.000400')}>", [(SALES, "1700000300.000400")]),
        (
            f"<{permalink('G0PRIV', '1700000300.000400', thread_ts='1700000300.000100')}|that one> and "
            f"https://acme.enterprise.slack.com/archives/C0X/p1700000301000500",
            [("G0PRIV", "1700000300.000400"), ("C0X", "1700000301.000500")],
        ),
        ("<https://example.com/archives/C1/p1700000300000400>", []),
        ("no links here", []),
    ],
)
def test_message_links_are_read_from_the_text(text, expected):
    """Slack message links (plain, wrapped, labelled, with ?thread_ts=, enterprise domains) give channel and ts."""
    assert message_links(text) == expected


# --- status: product managers only, and the ship DMs --------------------------------------------------------


def test_a_product_manager_moves_the_status_and_the_parent_follows(rm, slack):
    """A PM's clicks move the item Planned → In progress → Shipped → In progress; the parent shows each status
    with the buttons that fit it."""
    item = new_item(rm, slack)
    steps = [
        (rb.SET_IN_PROGRESS, "In progress", [rb.SET_SHIPPED, rb.SET_PLANNED]),
        (rb.SET_SHIPPED, "Shipped", [rb.SET_IN_PROGRESS]),
        (rb.SET_IN_PROGRESS, "In progress", [rb.SET_SHIPPED, rb.SET_PLANNED]),
        (rb.SET_PLANNED, "Planned", [rb.SET_IN_PROGRESS]),
    ]
    for action, label, next_buttons in steps:
        assert click(rm, slack, action, str(item.id), "U_PM", ts=item.ts) is None
        rm.settle()
        message = parent(slack, item)
        assert fields(message)["Status"].startswith(label)
        assert [b["action_id"] for b in buttons(message["blocks"])] == next_buttons
    answer = click(rm, slack, rb.SET_PLANNED, str(item.id), "U_PM", ts=item.ts)
    assert "already “Planned”" in answer["text"]


def test_anyone_else_is_refused_politely(rm, slack):
    """A non-PM's click changes nothing and gets an ephemeral naming who may (the PM user group)."""
    item = new_item(rm, slack)
    answer = click(rm, slack, rb.SET_SHIPPED, str(item.id), "U_CSM", ts=item.ts)
    assert answer["response_type"] == "ephemeral"
    assert f"Only product managers (members of <!subteam^{PM_GROUP}>)" in answer["text"]
    rm.settle()
    assert rm.all(RoadmapItem)[0].status == "planned"


def test_without_pm_settings_the_refusal_names_the_settings(settings, clock, slack):
    """With neither BATON_PM_USERGROUP nor BATON_PM_CHANNEL set, nobody can change a status and the refusal
    says which setting to set."""
    baton = Baton(dataclasses.replace(settings, roadmap_channel=ROADMAP), clock)
    try:
        item = new_item(baton, slack)
        answer = click(baton, slack, rb.SET_IN_PROGRESS, str(item.id), "U_CSM", ts=item.ts)
        assert "`BATON_PM_USERGROUP`" in answer["text"] and "`BATON_PM_CHANNEL`" in answer["text"]
        assert baton.all(RoadmapItem)[0].status == "planned"
    finally:
        baton.close()


def test_members_of_the_pm_channel_are_product_managers(settings, clock, slack):
    """BATON_PM_CHANNEL's members count as PMs, read across conversations.members pages."""
    slack.set_channel_members("C0PMS", [f"U{i:05d}" for i in range(1500)] + ["U_CSM2"])
    baton = Baton(dataclasses.replace(settings, roadmap_channel=ROADMAP, pm_channel="C0PMS"), clock)
    try:
        item = new_item(baton, slack)
        assert click(baton, slack, rb.SET_IN_PROGRESS, str(item.id), "U_CSM2", ts=item.ts) is None
        assert baton.all(RoadmapItem)[0].status == "in_progress"
        assert len(slack.calls_to("conversations.members")) == 2
        answer = click(baton, slack, rb.SET_SHIPPED, str(item.id), "U_CSM", ts=item.ts)
        assert "members of <#C0PMS>" in answer["text"]
    finally:
        baton.close()


def test_pm_membership_is_cached_briefly(rm, slack, clock):
    """Membership is asked once for a run of clicks; a removal takes effect once the cache expires."""
    item = new_item(rm, slack)
    click(rm, slack, rb.SET_IN_PROGRESS, str(item.id), "U_PM", ts=item.ts)
    click(rm, slack, rb.SET_PLANNED, str(item.id), "U_PM", ts=item.ts)
    assert len(slack.calls_to("usergroups.users.list")) == 1
    slack.set_usergroup(PM_GROUP, [])
    assert click(rm, slack, rb.SET_IN_PROGRESS, str(item.id), "U_PM", ts=item.ts) is None  # still cached
    clock.advance(minutes=3)
    assert "Only product managers" in click(rm, slack, rb.SET_PLANNED, str(item.id), "U_PM", ts=item.ts)["text"]
    assert rm.all(RoadmapItem)[0].status == "in_progress"


def test_a_pm_list_slack_refuses_is_reported(settings, clock, slack):
    """When Slack will not list the PM group (a wrong id, a missing scope), the refusal says what Slack said."""
    baton = Baton(dataclasses.replace(settings, roadmap_channel=ROADMAP, pm_usergroup="S0WRONG"), clock)
    try:
        item = new_item(baton, slack)
        answer = click(baton, slack, rb.SET_IN_PROGRESS, str(item.id), "U_PM", ts=item.ts)
        assert "`no_such_subteam`" in answer["text"]
    finally:
        baton.close()


def test_shipping_dms_each_owner_once_with_their_customers_and_quotes(rm, slack):
    """Shipping DMs each owner (the AE when a customer has none) once, listing their customers and quotes, in
    their language; shipping again after reopening sends nothing more."""
    item = new_item(rm, slack)
    customers = {
        "ACME": {"owner_user_id": "U_CSM", "arr": Decimal("120000"), "currency": "USD"},
        "Globex": {"owner_user_id": "U_CSM", "arr": Decimal("80000"), "currency": "USD"},
        "Initech": {"ae_user_id": "U_AE"},
        "삼성전자": {"owner_user_id": "U_KO", "arr": Decimal("150000000"), "currency": "KRW"},
    }
    for name, extra in customers.items():
        tag(rm, slack, log_note(rm, add_customer(rm, name, **extra), f"{name} needs SSO"), item.id)
    rm.settle()
    for action in (rb.SET_IN_PROGRESS, rb.SET_SHIPPED, rb.SET_IN_PROGRESS, rb.SET_SHIPPED):
        click(rm, slack, action, str(item.id), "U_PM", ts=item.ts)
        rm.settle()
    [csm] = dms(slack, "U_CSM")
    text = blocks_text(csm["blocks"])
    assert "*SSO with Okta* has shipped" in text and "ACME" in text and "Globex" in text and "Initech" not in text
    assert "“ACME needs SSO”" in text and "$120,000" in text
    assert f"<https://{DOMAIN}.slack.com/archives/{ROADMAP}/p{item.ts.replace('.', '')}|the item's thread>" in text
    [ae] = dms(slack, "U_AE")
    assert "Initech" in blocks_text(ae["blocks"]) and "ACME" not in blocks_text(ae["blocks"])
    [ko] = dms(slack, "U_KO")
    assert "출시되었습니다" in blocks_text(ko["blocks"]) and "1억 5,000만 원" in blocks_text(ko["blocks"])
    assert dms(slack, "U_PM") == []


def test_ship_dm_waits_while_the_item_is_reopened(rm, slack, clock):
    """Reopened before the DMs went out: they wait for the next ship instead of announcing a ship that was undone."""
    item = new_item(rm, slack)
    tag(rm, slack, log_note(rm, add_customer(rm, "ACME", owner_user_id="U_CSM"), "SSO"), item.id)
    rm.settle()
    for action in (rb.SET_IN_PROGRESS, rb.SET_SHIPPED, rb.SET_IN_PROGRESS):
        click(rm, slack, action, str(item.id), "U_PM", ts=item.ts)
    rm.settle()
    assert dms(slack, "U_CSM") == []
    click(rm, slack, rb.SET_SHIPPED, str(item.id), "U_PM", ts=item.ts)
    clock.advance(hours=2)
    rm.settle()
    assert len(dms(slack, "U_CSM")) == 1


# --- teams, sizes, languages -------------------------------------------------------------------------------


def test_other_workspaces_cannot_see_or_touch_items_or_notes(rm, slack):
    """Another team's list is empty; its clicks on this team's note and item ids find nothing; its thread
    replies tag nothing."""
    item = new_item(rm, slack)
    source_ts = "1700000300.000400"
    note = log_note(rm, add_customer(rm, "ACME"), "SSO", ts=source_ts)
    other = {"user": "U_OTHER", "team": "T999"}
    assert "No open roadmap items yet" in blocks_text(command(rm, slack, "", **other)["blocks"])
    view = open_tag_modal(rm, slack, note, **other)
    assert view["callback_id"] == rb.INFO_MODAL
    slack.set_usergroup(PM_GROUP, ["U_PM", "U_OTHER"])
    answer = click(rm, slack, rb.SET_SHIPPED, str(item.id), "U_OTHER", team="T999", ts=item.ts)
    assert "no longer exists" in answer["text"]
    foreign = p.view_submission(
        rb.TAG_MODAL,
        {rb.ITEM_BLOCK: {rb.VALUE: p.static_value(str(item.id))}},
        user_id="U_OTHER",
        team_id="T999",
        private_metadata=rb.TagMeta(voc_id=note).dump(),
    )
    assert ack_body(rm.slack(foreign))["response_action"] == "errors"
    rm.slack(p.event_callback(thread_reply(item, f"<{permalink(SALES, source_ts)}>", user="U_OTHER"), team_id="T999"))
    rm.settle()
    assert rm.all(VocLink) == [] and rm.all(RoadmapItem)[0].status == "planned"


def test_long_korean_text_and_500_customers_stay_within_block_kit_limits(rm, slack, clock):
    """A 150-character Korean title, 12,000-character quotes with markup, and 500 tagged customers of one owner:
    the parent, the thread posts and the ship DM are all accepted by Slack's validators and nothing fails."""
    item = new_item(rm, slack, ("한국어로 된 아주 긴 로드맵 항목 제목 " * 10)[:150].strip())
    long_quote = ("고객이 말하길 <!channel> & <@U_AE> SSO가 꼭 필요하다고 합니다.\n" * 400)[:12_000]
    today = clock().date()
    with rm.deps.sessions.begin() as db:
        customers = [
            Customer(
                team_id=TEAM,
                name=f"{'주식회사 아주 긴 이름의 고객사 ' * 12}{i}"[-255:],
                name_key=f"customer{i}",
                owner_user_id="U_KO",
                arr=Decimal(1_000_000 + i),
                currency="KRW" if i % 2 else "USD",
                renewal_date=today + timedelta(days=i % 120),
            )
            for i in range(500)
        ]
        db.add_all(customers)
        db.flush()
        ids = [c.id for c in customers]
        notes = [
            voc.log_voc(
                db,
                TEAM,
                voc.VocInput(c, long_quote if i >= 497 else f"{i}: " + "긴 요청 " * 60, "feature_request", "blocker"),
                "U_CSM",
                now=clock(),
            ).note.id
            for i, c in enumerate(ids)
        ]
        for note in notes:
            rs.tag(db, TEAM, note, item.id, "U_CSM", now=clock())
    click(rm, slack, rb.SET_IN_PROGRESS, str(item.id), "U_PM", ts=item.ts)
    click(rm, slack, rb.SET_SHIPPED, str(item.id), "U_PM", ts=item.ts)
    rm.settle()
    assert_all_delivered(rm)
    message = parent(slack, item)
    assert fields(message)["Customers asking"] == "500" and len(posts(slack, item)) == 500
    assert "&lt;!channel&gt;" in blocks_text(message["blocks"])
    [dm] = dms(slack, "U_KO")
    assert len(dm["blocks"]) <= 50 and "…외" in blocks_text(dm["blocks"])


def test_control_characters_in_shortcut_text_and_modal_fields_are_removed(rm, slack):
    """NUL and other control characters in the shortcut's message and in the submitted title and description
    are removed (same on SQLite and PostgreSQL); tab and newlines stay."""
    shortcut(rm, "SSO\x00 with\x1b Okta\x7f\nThree\tcustomers\x85 asked.")
    view = last_view(slack)
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert blocks[rb.TITLE_BLOCK]["element"]["initial_value"] == "SSO with Okta"
    assert blocks[rb.DESCRIPTION_BLOCK]["element"]["initial_value"] == "SSO with Okta\nThree\tcustomers asked."
    body = submit_item(rm, view, "SSO\x00 with Okta\ud800", "Three\x00 customers\x07 asked.\nSoon.")
    assert body["response_action"] == "update"
    rm.settle()
    [item] = rm.all(RoadmapItem)
    assert (item.title, item.description) == ("SSO with Okta", "Three customers asked.\nSoon.")


@pytest.mark.parametrize("fault", POST_FAULTS)
def test_item_parent_message_lands_exactly_once_under_each_fault(rm, slack, clock, fault):
    """Each Slack fault on a new item's parent message (stored then dropped or 500, 503, 429 past the lease
    or with Retry-After 0) ends, after the outbox's retries, with one parent message, recorded on the item."""
    slack.time = lambda: clock().timestamp()
    POST_FAULTS[fault](slack)
    assert "Created" in command(rm, slack, "new SSO with Okta")["text"]
    rm.settle()
    retry_for(rm, clock)
    [message] = slack.messages(ROADMAP)
    [item] = rm.all(RoadmapItem)
    assert item.ts == message["ts"]


@pytest.mark.parametrize("fault", POST_FAULTS)
def test_shipped_dm_lands_exactly_once_under_each_fault(rm, slack, clock, fault):
    """Each Slack fault on the "shipped" DM to a customer's owner ends with one DM."""
    slack.time = lambda: clock().timestamp()
    item = new_item(rm, slack)
    owner = {"owner_user_id": "U_CSM", "arr": Decimal("120000"), "currency": "USD"}
    tag(rm, slack, log_note(rm, add_customer(rm, "ACME", **owner), "ACME needs SSO"), item.id)
    rm.settle()
    POST_FAULTS[fault](slack)
    click(rm, slack, rb.SET_SHIPPED, str(item.id), "U_PM", ts=item.ts)
    rm.settle()
    retry_for(rm, clock)
    assert len(dms(slack, "U_CSM")) == 1


@pytest.mark.parametrize("fault", POST_FAULTS)
def test_tagged_note_lands_once_in_the_item_thread_under_each_fault(rm, slack, clock, fault):
    """Each Slack fault on a tagged note's post in the item's thread ends with the note there once."""
    slack.time = lambda: clock().timestamp()
    item = new_item(rm, slack)
    note = log_note(rm, add_customer(rm, "ACME Corp."), "We need SSO")
    POST_FAULTS[fault](slack)
    tag(rm, slack, note, item.id)
    rm.settle()
    retry_for(rm, clock)
    posts = [m for m in slack.thread(ROADMAP, item.ts) if m["ts"] != item.ts]
    assert len(posts) == 1 and "We need SSO" in blocks_text(posts[0]["blocks"])


@pytest.mark.parametrize("fault", UPDATE_FAULTS)
def test_item_tally_update_lands_under_each_fault(rm, slack, clock, fault):
    """Each Slack fault on the item message's tally update (after a tag) ends with the tally counting it."""
    slack.time = lambda: clock().timestamp()
    item = new_item(rm, slack)
    note = log_note(rm, add_customer(rm, "ACME Corp.", arr=Decimal("120000"), currency="USD"), "We need SSO")
    UPDATE_FAULTS[fault](slack)
    tag(rm, slack, note, item.id)
    rm.settle()
    retry_for(rm, clock)
    assert "ACME Corp." in blocks_text(parent(slack, item)["blocks"])
    assert {o.status for o in rm.all(OutboxMessage)} <= {"sent", "dropped"}
