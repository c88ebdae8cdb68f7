"""`/customer` end to end: signed requests into the real app; the fake Slack records the answers, posts and modals."""

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from bot.blocks import customer as cb
from bot.handlers.customer import lookup_text, plain_text
from bot.models import SUBMITTED, Customer, Handoff, HealthSnapshot, OutboxMessage, Promise, Touch
from bot.services.customer import NOTE_MAX
from bot.text import normalize_key
from tests import payloads as p
from tests.conftest import Baton
from tests.flows import POST_FAULTS as FAULTS
from tests.flows import ack_body, blocks_text, last_view

CHANNEL = "C_GENERAL"
WHY = "Onboarding takes 10 days; the new VP wants it under 3 before Q1 hiring."
GOALS = "Cut onboarding time; one source of truth for customer data."
CRITERIA = "Onboarding time: 10 days -> 3 days"


def add_customer(db, name, team="T111", **fields) -> Customer:
    c = Customer(team_id=team, name=name, name_key=normalize_key(name), **fields)
    db.add(c)
    db.flush()
    return c


@pytest.fixture
def acme(baton, clock) -> int:
    """ACME with a submitted handoff, three promises (one overdue, one done) and health signals that fire risks."""
    today = clock().date()
    with baton.deps.sessions.begin() as db:
        c = add_customer(
            db,
            "ACME Corp.",
            aliases="Acme Rockets",
            domain="acme.com",
            external_id="EXT-1",
            segment="enterprise",
            owner_user_id="U_CSM",
            ae_user_id="U_AE",
            arr=Decimal("120000"),
            currency="USD",
            renewal_date=today + timedelta(days=60),
            stage="adoption",
        )
        h = Handoff(
            team_id="T111",
            customer_id=c.id,
            status=SUBMITTED,
            customer_name=c.name,
            why_bought=WHY,
            business_goals=GOALS,
            success_criteria=CRITERIA,
            products_sold="Enterprise plan, 200 seats",
            ae_user_id="U_AE",
            submitted_by="U_AE",
            submitted_at=datetime.now(UTC),
        )
        db.add(h)
        db.flush()
        for i, (text, due, status) in enumerate(
            [
                ("SSO before launch", today - timedelta(days=3), "open"),
                ("Quarterly roadmap review", today + timedelta(days=20), "open"),
                ("Kickoff deck", today - timedelta(days=30), "done"),
            ]
        ):
            db.add(
                Promise(
                    team_id="T111",
                    handoff_id=h.id,
                    customer_id=c.id,
                    position=i,
                    text=text,
                    owner_user_id="U_AE",
                    due_date=due,
                    status=status,
                )
            )
        for signal, days_ago, value in [
            ("active_users", 20, 100),
            ("active_users", 2, 60),  # down 40% in 14 days
            ("nps", 2, 3),  # a detractor
            ("license_utilisation", 0, 80),
            ("csm_rating", 70, 4),  # older than its 60 days: stale
        ]:
            db.add(
                HealthSnapshot(
                    team_id="T111",
                    customer_id=c.id,
                    signal=signal,
                    as_of=today - timedelta(days=days_ago),
                    value=value,
                    source="test",
                )
            )
        add_customer(db, "Umbrella Health")
        add_customer(db, "Umbrella Energy")
        add_customer(db, "Secret Co", team="T999", owner_user_id="U_OTHER")
        return c.id


def customer_id(baton, name: str) -> int:
    return baton.all(Customer, Customer.name == name)[0].id


def command(baton, slack, text: str, user: str = "U_CSM", channel: str = CHANNEL, team: str = "T111") -> dict:
    """Run `/customer text` and return the last answer Baton sent to the response_url."""
    url = slack.new_response_url()
    resp = baton.slack(
        p.slash_command("/customer", text, user_id=user, channel_id=channel, response_url=url, team_id=team)
    )
    assert resp.status_code == 200, resp.text
    return slack.responses()[-1]


def buttons(blocks: list[dict]) -> list[dict]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


def click(baton, slack, button: dict, user: str = "U_CSM", action_ts: str | None = None, channel: str = CHANNEL):
    """Click `button` (as drawn by Baton) on an ephemeral message in `channel`."""
    extra = {"action_ts": action_ts} if action_ts else None
    req = p.block_actions(
        button["action_id"],
        button["value"],
        user_id=user,
        channel_id=channel,
        response_url=slack.new_response_url(),
        action=extra,
    )
    assert baton.slack(req).status_code == 200


def card_button(blocks: list[dict], action_id: str) -> dict:
    [button] = [b for b in buttons(blocks) if b["action_id"] == action_id]
    return button


def test_card_shows_the_whole_picture_only_to_the_asker(baton, slack, acme, clock):
    """`/customer acme` answers ephemerally with owner, AE, ARR, renewal, health, risks, handoff and promises."""
    reply = command(baton, slack, "acme")
    assert reply["response_type"] == "ephemeral"
    text = blocks_text(reply["blocks"])
    today = clock().date()
    for expected in (
        "ACME Corp.",
        "<@U_CSM>",
        "<@U_AE>",
        "$120,000",
        "(in 60 days)",
        "Adoption",
        "Health score",
        "Δ7d",
        "Pulling the score down",
        "NPS: 3/10",
        "Active users",
        "Active users down 40% in 14 days (100 → 60)",
        "NPS detractor: scored 3/10",
        "Data: today · ⏳ Stale: CSM rating (70 days ago)",
        "Stale: CSM rating (70 days ago)",
        WHY,
        GOALS,
        CRITERIA.replace(">", "&gt;"),
        "Promises (2 open, 1 overdue)",
        "⏰ SSO before launch",
        f"overdue since {(today - timedelta(days=3)).strftime('%b')}",
        "Quarterly roadmap review",  # a checkbox: ticking it marks it done
    ):
        assert expected in text, expected
    assert "Kickoff deck" not in text  # done promises are not listed
    assert {b["action_id"] for b in buttons(reply["blocks"])} == {
        cb.SHARE,
        cb.OPEN_HANDOFF,
        cb.UPDATE_HEALTH,
        cb.PROMISE_DONE,
        cb.LOG_TOUCH,
        cb.LOG_VOC,
        cb.ASK_AE,
    }
    assert slack.messages(CHANNEL) == []  # nothing public


@pytest.mark.parametrize(
    "query", ["ACME Corp.", "acme", "  Acme   corp ", "Acme Rockets", "acme.com", "EXT-1", "acme crop"]
)
def test_every_way_of_naming_the_customer_opens_its_card(baton, slack, acme, query):
    """Name, case and spacing, alias, domain, external id and a typo all open the same card."""
    reply = command(baton, slack, query)
    assert reply["blocks"][0]["type"] == "header" and "ACME Corp." in reply["blocks"][0]["text"]["text"]


def test_korean_user_gets_the_card_in_korean(baton, slack, acme):
    """A ko-KR user reads the card in Korean (헬스 스코어, 갱신, 약속 사항, 위험 신호)."""
    reply = command(baton, slack, "acme", user="U_KO")
    text = blocks_text(reply["blocks"])
    for expected in (
        "헬스 스코어",
        "갱신",
        "약속 사항 (미완료 2건, 기한 초과 1건)",
        "위험 신호",
        "60일 남음",
        "채널에 공유",
    ):
        assert expected in text, expected


def test_empty_command_explains_usage(baton, slack, acme):
    """`/customer` alone (or only punctuation) explains how to search, with examples."""
    for text in ("", "  ", "..."):
        reply = command(baton, slack, text)
        assert reply["response_type"] == "ephemeral"
        assert "/customer acme" in blocks_text(reply["blocks"]) and not buttons(reply["blocks"])


def test_several_matches_are_buttons_and_a_click_opens_that_card(baton, slack, acme):
    """`umbrella` lists both Umbrella customers as buttons; clicking one replaces the list with its card."""
    reply = command(baton, slack, "umbrella")
    assert "Several customers match" in blocks_text(reply["blocks"])
    picks = buttons(reply["blocks"])
    assert {b["text"]["text"] for b in picks} == {"Umbrella Health", "Umbrella Energy"}
    assert {b["action_id"] for b in picks} == {cb.PICK}
    energy = next(b for b in picks if b["text"]["text"] == "Umbrella Energy")
    click(baton, slack, energy)
    card = slack.responses()[-1]
    assert card["replace_original"] is True and card["response_type"] == "ephemeral"
    assert card["blocks"][0]["text"]["text"] == "🏢 Umbrella Energy"
    assert "No health data yet" in blocks_text(card["blocks"]) and "No handoff on record yet." in blocks_text(
        card["blocks"]
    )


def test_no_match_suggests_the_closest_names(baton, slack, acme):
    """A name that fits nobody comes back with the closest names as buttons, or a hint when nothing is close."""
    reply = command(baton, slack, "umbrela")
    assert "No customer matches “umbrela”. Did you mean" in blocks_text(reply["blocks"])
    assert {b["text"]["text"] for b in buttons(reply["blocks"])} == {"Umbrella Energy", "Umbrella Health"}
    nothing = command(baton, slack, "zzzzqqqq")
    assert "No customer matches" in blocks_text(nothing["blocks"]) and not buttons(nothing["blocks"])


def test_other_workspaces_customers_stay_invisible(baton, slack, acme):
    """T111 never sees T999's customer, by name or by a forged button value, and T999 never sees ACME."""
    reply = command(baton, slack, "Secret Co")
    assert reply["blocks"][0]["type"] != "header" and not buttons(reply["blocks"])
    forged = {"action_id": cb.PICK, "value": cb.CardRef(customer_id=customer_id(baton, "Secret Co")).dump()}
    click(baton, slack, forged)
    assert "no longer in Baton" in slack.responses()[-1]["text"]
    other = command(baton, slack, "acme", team="T999")
    assert "ACME" not in json.dumps(other["blocks"])


def test_share_posts_once_per_click_with_redacted_fields(baton, slack, acme):
    """Share in channel posts the card for everyone once per click (same action_ts twice: one post), drawn
    without the fields the default settings hide (ARR, risks, promises), saying who shared it, without Share."""
    reply = command(baton, slack, "acme")
    share = card_button(reply["blocks"], cb.SHARE)
    click(baton, slack, share, action_ts="1700000000.000100")
    click(baton, slack, share, action_ts="1700000000.000100")
    baton.settle()
    [post] = slack.messages(CHANNEL)
    text = blocks_text(post["blocks"])
    assert "ACME Corp." in text and "Shared by <@U_CSM>" in text and "<@U_AE>" in text
    for hidden in ("$120,000", "Risk signals", "SSO before launch", "Promises"):
        assert hidden not in text, hidden
    assert cb.SHARE not in {b["action_id"] for b in buttons(post["blocks"])}
    assert [o.status for o in baton.all(OutboxMessage)] == ["sent"]
    click(baton, slack, share, action_ts="1700000000.000200")  # a new click is a new post
    baton.settle()
    assert len(slack.messages(CHANNEL)) == 2


def test_share_honours_the_configured_redaction(settings, clock, slack, tmp_path):
    """BATON_HEALTH_CONFIG's [share] redact decides what the shared card hides (here: owner and renewal)."""
    config = tmp_path / "health.toml"
    config.write_text('[share]\nredact = ["owner", "renewal", "handoff"]\n', encoding="utf-8")
    baton = Baton(dataclasses.replace(settings, health_config=str(config)), clock)
    try:
        with baton.deps.sessions.begin() as db:
            add_customer(
                db,
                "Globex",
                owner_user_id="U_CSM2",
                arr=Decimal(5000),
                currency="USD",
                renewal_date=clock().date() + timedelta(days=30),
            )
        share = card_button(command(baton, slack, "globex")["blocks"], cb.SHARE)
        click(baton, slack, share)
        baton.settle()
        [post] = slack.messages(CHANNEL)
        text = blocks_text(post["blocks"])
        assert "$5,000" in text and "<@U_CSM2>" not in text and "Renewal" not in text and "Handoff" not in text
    finally:
        baton.close()


def test_open_handoff_shows_the_latest_handoff_read_only(baton, slack, acme):
    """Open handoff opens a modal with the handoff's full content and no buttons or submit."""
    reply = command(baton, slack, "acme")
    click(baton, slack, card_button(reply["blocks"], cb.OPEN_HANDOFF))
    view = last_view(slack)
    assert view["callback_id"] == cb.HANDOFF_VIEW_MODAL and "submit" not in view
    text = blocks_text(view["blocks"])
    assert WHY in text and "Enterprise plan, 200 seats" in text and "SSO before launch" in text
    assert not buttons(view["blocks"])


def test_open_handoff_without_a_handoff_says_so(baton, slack, acme):
    """A customer without a submitted handoff gets a modal saying there is none."""
    ref = cb.CardRef(customer_id=customer_id(baton, "Umbrella Health"), channel=CHANNEL).dump()
    click(baton, slack, {"action_id": cb.OPEN_HANDOFF, "value": ref})
    assert "There is no submitted handoff" in blocks_text(last_view(slack)["blocks"])


def rating_state(rating: str | None, note: str | None = None) -> dict:
    return {cb.RATING_BLOCK: {cb.VALUE: p.static_value(rating)}, cb.NOTE_BLOCK: {cb.VALUE: p.text_value(note)}}


def submit_rating(baton, view: dict, rating: str | None, note: str | None = None, user: str = "U_CSM"):
    req = p.view_submission(
        cb.HEALTH_MODAL, rating_state(rating, note), user_id=user, private_metadata=view["private_metadata"]
    )
    return ack_body(baton.slack(req))


def open_update_health(baton, slack, user: str = "U_CSM") -> dict:
    reply = command(baton, slack, "acme", user=user)
    click(baton, slack, card_button(reply["blocks"], cb.UPDATE_HEALTH), user=user)
    view = last_view(slack)
    assert view["callback_id"] == cb.HEALTH_MODAL
    return view


@pytest.mark.parametrize(
    ("rating", "note", "field", "message"),
    [
        (None, None, cb.RATING_BLOCK, "Pick a rating from 1 to 5."),
        ("0", None, cb.RATING_BLOCK, "whole number from 1 to 5"),
        ("6", None, cb.RATING_BLOCK, "whole number from 1 to 5"),
        ("4.5", None, cb.RATING_BLOCK, "whole number from 1 to 5"),
        ("4", "x" * (NOTE_MAX + 1), cb.NOTE_BLOCK, f"Keep the note to {NOTE_MAX} characters"),
    ],
)
def test_update_health_validates_on_the_server(baton, slack, acme, rating, note, field, message):
    """A missing or out-of-range rating, or an over-long note, comes back as response_action errors; no row."""
    view = open_update_health(baton, slack)
    body = submit_rating(baton, view, rating, note)
    assert body["response_action"] == "errors" and message in body["errors"][field]
    assert baton.all(HealthSnapshot, HealthSnapshot.source == "slack") == []


def test_update_health_stores_one_rating_and_confirms(baton, slack, acme, clock):
    """A valid rating is stored once as today's csm_rating from Slack (a repeated submission too) and confirmed."""
    view = open_update_health(baton, slack)
    assert submit_rating(baton, view, "2", "Champion left last week") == {}
    assert submit_rating(baton, view, "2", "Champion left last week") == {}
    [row] = baton.all(HealthSnapshot, HealthSnapshot.source == "slack")
    assert (row.signal, row.value, row.as_of, row.recorded_by, row.note) == (
        "csm_rating",
        2.0,
        clock().date(),
        "U_CSM",
        "Champion left last week",
    )
    confirmation = slack.responses()[-1]
    assert (
        confirmation["response_type"] == "ephemeral"
        and "Saved your rating of 2/5 for *ACME Corp.*" in (confirmation["text"])
    )
    card = blocks_text(command(baton, slack, "acme")["blocks"])
    assert "CSM rating: 2/5" in card
    when = clock().date()
    assert f"🧑‍💼 CSM rating 2/5 · <@U_CSM> · {when:%b} {when.day}, {when.year}: “Champion left last week”" in card


def test_update_health_in_korean(baton, slack, acme):
    """The modal and its errors follow the user's locale."""
    view = open_update_health(baton, slack, user="U_KO")
    assert view["title"]["text"] == "헬스 평가(1–5)"
    assert submit_rating(baton, view, None, user="U_KO")["errors"][cb.RATING_BLOCK] == "1~5 중에서 평가를 선택하세요."


def touch_state(kind: str | None, note: str | None, day: str | None) -> dict:
    return {
        cb.TOUCH_KIND_BLOCK: {cb.VALUE: p.static_value(kind)},
        cb.TOUCH_DATE_BLOCK: {cb.VALUE: p.date_value(day)},
        cb.TOUCH_NOTE_BLOCK: {cb.VALUE: p.text_value(note)},
    }


def open_log_touch(baton, slack, user: str = "U_CSM") -> dict:
    reply = command(baton, slack, "acme", user=user)
    click(baton, slack, card_button(reply["blocks"], cb.LOG_TOUCH), user=user)
    view = last_view(slack)
    assert view["callback_id"] == cb.TOUCH_MODAL
    return view


def submit_touch(baton, view, kind, note, day, user: str = "U_CSM", view_id: str = "V_TOUCH1") -> dict:
    req = p.view_submission(
        cb.TOUCH_MODAL,
        touch_state(kind, note, day),
        user_id=user,
        private_metadata=view["private_metadata"],
        view_id=view_id,
    )
    return ack_body(baton.slack(req))


def test_log_a_touch_from_the_card_stores_it_once_and_the_card_lists_it(baton, slack, acme, clock):
    """Log a touch: the form (today chosen), stored once however often Slack delivers the submission, confirmed,
    then on the card with its kind, day, who and note; a second touch is listed first when it is newer."""
    today = clock().date()
    view = open_log_touch(baton, slack)
    assert view["blocks"][2]["element"]["initial_date"] == today.isoformat()
    yesterday = (today - timedelta(days=1)).isoformat()
    for _ in range(2):  # Slack retried the submission
        assert submit_touch(baton, view, "call", "Champion confirmed the <budget> & timeline", yesterday) == {}
    [row] = baton.all(Touch)
    assert (row.kind, row.touched_on, row.created_by, row.customer_id) == (
        "call",
        today - timedelta(days=1),
        "U_CSM",
        acme,
    )
    assert f"Logged a Call with *ACME Corp.* on {today - timedelta(days=1):%b} " in slack.responses()[-1]["text"]
    assert submit_touch(baton, open_log_touch(baton, slack), "meeting", "QBR", today.isoformat(), view_id="V2") == {}
    card = blocks_text(command(baton, slack, "acme")["blocks"])
    assert "*Recent touches* · last one today" in card
    assert card.index("👥 *Meeting*") < card.index("📞 *Call*")
    assert "<@U_CSM>: “Champion confirmed the &lt;budget&gt; &amp; timeline”" in card


@pytest.mark.parametrize(
    ("kind", "note", "days", "field", "message"),
    [
        ("call", "", 0, cb.TOUCH_NOTE_BLOCK, "Say what happened."),
        ("call", "x" * 1001, 0, cb.TOUCH_NOTE_BLOCK, "Keep the note to 1000 characters"),
        ("webinar", "hi", 0, cb.TOUCH_KIND_BLOCK, "Pick call, meeting, email or note."),
        (None, "hi", 0, cb.TOUCH_KIND_BLOCK, "Pick call, meeting, email or note."),
        ("call", "hi", -1, cb.TOUCH_DATE_BLOCK, "pick today or an earlier day"),
        ("call", "hi", 91, cb.TOUCH_DATE_BLOCK, "within the last 90 days"),
    ],
)
def test_log_a_touch_validates_on_the_server(baton, slack, acme, clock, kind, note, days, field, message):
    """A bad kind, an empty or over-long note, a future or too-old day: errors under the field, nothing stored."""
    view = open_log_touch(baton, slack)
    day = (clock().date() - timedelta(days=days)).isoformat()
    body = submit_touch(baton, view, kind, note, day)
    assert body["response_action"] == "errors" and message in body["errors"][field]
    assert baton.all(Touch) == []


def test_log_a_touch_in_korean_and_for_a_customer_gone(baton, slack, acme, clock):
    view = open_log_touch(baton, slack, user="U_KO")
    assert view["title"]["text"] == "활동 기록"
    body = submit_touch(baton, view, "call", None, clock().date().isoformat(), user="U_KO")
    assert body["errors"][cb.TOUCH_NOTE_BLOCK] == "활동 내용을 입력하세요."
    assert submit_touch(baton, view, "email", "견적서 발송", clock().date().isoformat(), user="U_KO") == {}
    assert "*ACME Corp.* 활동(이메일," in slack.responses()[-1]["text"]
    card = blocks_text(command(baton, slack, "acme", user="U_KO")["blocks"])
    assert "*최근 활동* · 마지막 활동 오늘" in card and "✉️ *이메일*" in card
    other = baton.all(Customer, Customer.name == "Secret Co")[0].id  # another workspace's customer
    forged = cb.CardRef(customer_id=other, channel=CHANNEL).dump()
    views = len(slack.calls_to("views.open"))
    click(baton, slack, {"action_id": cb.LOG_TOUCH, "value": forged})
    assert slack.responses()[-1]["text"] == "That customer is no longer in Baton."
    assert len(slack.calls_to("views.open")) == views  # no form for another workspace's customer


def dm(text: str, user: str = "U_CSM", **extra) -> dict:
    ts = "1700000000.000300"
    return {
        "type": "message",
        "channel_type": "im",
        "channel": f"D{user}",
        "user": user,
        "text": text,
        "ts": ts,
        **extra,
    }


def test_dm_gets_the_card_in_the_dm_once(baton, slack, acme):
    """`customer acme` in a DM with Baton is answered in that DM (no Share button), once per event id."""
    for retry in (None, 1):
        assert baton.slack(p.event_callback(dm("customer acme"), event_id="EvDM1", retry_num=retry)).status_code == 200
    [post] = slack.messages("DU_CSM")
    assert "ACME Corp." in blocks_text(post["blocks"])
    assert {b["action_id"] for b in buttons(post["blocks"])} == {
        cb.OPEN_HANDOFF,
        cb.UPDATE_HEALTH,
        cb.PROMISE_DONE,
        cb.LOG_TOUCH,
        cb.LOG_VOC,
        cb.ASK_AE,
    }


@pytest.mark.parametrize(
    "event",
    [
        dm("customer acme", bot_id="B1"),  # a bot (Baton itself) writing in the DM
        dm("customer acme", subtype="message_changed"),
        {**dm("customer acme"), "channel_type": "channel", "channel": CHANNEL},
    ],
)
def test_messages_that_are_not_a_persons_dm_are_ignored(baton, slack, acme, event):
    """Bot posts, edits and channel messages get no answer (and still a 200)."""
    assert baton.slack(p.event_callback(event)).status_code == 200
    baton.settle()
    assert slack.calls_to("chat.postMessage") == [] and slack.calls_to("chat.postEphemeral") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<http://acme.com|acme.com>", "acme.com"),
        ("customer <http://acme.com|acme.com>", "acme.com"),
        ("<@UBOT> customer AT&amp;T", "AT&T"),
        ("고객 삼성", "삼성"),
        ("Customer: acme", "acme"),
    ],
)
def test_message_text_is_read_as_typed(text, expected):
    """Slack's links, mentions and entities in message text are undone before the lookup."""
    assert (lookup_text(text) if lookup_text(text) is not None else plain_text(text)) == expected


def test_dm_with_a_domain_slack_linked_finds_the_customer(baton, slack, acme):
    """A domain typed in a DM arrives as a Slack link and still finds the customer."""
    baton.slack(p.event_callback(dm("<http://acme.com|acme.com>")))
    [post] = slack.messages("DU_CSM")
    assert post["blocks"][0]["text"]["text"] == "🏢 ACME Corp."


def test_dm_asking_for_help_gets_help(baton, slack, acme):
    """`help` in a DM answers with what Baton can do (not a lookup of a customer named "help")."""
    baton.slack(p.event_callback(dm("help")))
    [post] = slack.messages("DU_CSM")
    assert "`/customer [name]`" in blocks_text(post["blocks"]) and "`/baton`" in blocks_text(post["blocks"])


def test_mention_answers_only_the_mentioner(baton, slack, acme):
    """`@Baton customer acme` in a channel is an ephemeral card for the mentioner, never a public post."""
    event = {
        "type": "app_mention",
        "user": "U_KO",
        "text": "<@UBOT> customer acme",
        "ts": "1700000000.000400",
        "channel": CHANNEL,
    }
    baton.slack(p.event_callback(event))
    baton.settle()
    [eph] = slack.calls_to("chat.postEphemeral")
    assert (eph.args["user"], eph.args["channel"]) == ("U_KO", CHANNEL)
    assert "헬스 스코어" in blocks_text(eph.args["blocks"]) and "ACME Corp." in blocks_text(eph.args["blocks"])
    assert slack.messages(CHANNEL) == [] and slack.calls_to("chat.postMessage") == []


@pytest.mark.parametrize("fault", FAULTS)
def test_shared_card_lands_exactly_once_under_each_fault(baton, slack, clock, acme, fault):
    """Each Slack fault on the shared card's post (stored then dropped or 500, 503, 429 past the lease or with
    Retry-After 0) ends, after the outbox's retries, with one card in the channel."""
    share = card_button(command(baton, slack, "acme")["blocks"], cb.SHARE)
    FAULTS[fault](slack)
    click(baton, slack, share, action_ts="1700000000.000100")
    baton.settle()
    for _ in range(5):
        clock.advance(seconds=61)
        baton.settle()
    [post] = slack.messages(CHANNEL)
    [row] = baton.all(OutboxMessage)
    assert row.status == "sent" and row.sent_ts == post["ts"]


def test_ticking_a_promise_on_the_card_marks_it_done_and_redraws_the_card(baton, slack, acme):
    """A promise's checkbox on the asker's card: its owner (or the customer's CSM) ticks it, it is done and the
    card is redrawn in place without it; anyone else is refused and nothing changes; a shared card has none."""
    reply = command(baton, slack, "acme")
    [box] = [e for e in buttons(reply["blocks"]) if e["action_id"] == cb.PROMISE_DONE]
    [block] = [b for b in reply["blocks"] if b["type"] == "actions" and box in b["elements"]]
    sso = next(o for o in box["options"] if "SSO before launch" in o["text"]["text"])

    def tick(user: str) -> None:
        action = {"type": "checkboxes", "selected_options": [sso], "block_id": block["block_id"]}
        req = p.block_actions(
            cb.PROMISE_DONE,
            user_id=user,
            block_id=block["block_id"],
            channel_id=CHANNEL,
            response_url=slack.new_response_url(),
            action=action,
        )
        assert baton.slack(req).status_code == 200

    tick("U_STRANGER")
    assert "Only the promise's owner" in slack.responses()[-1]["text"]
    assert {pr.text for pr in baton.all(Promise, Promise.status == "open")} >= {"SSO before launch"}
    tick("U_CSM")  # the customer's CSM
    redrawn = slack.responses()[-1]
    assert redrawn["replace_original"] is True and "SSO before launch" not in blocks_text(redrawn["blocks"])
    [done] = baton.all(Promise, Promise.text == "SSO before launch")
    assert (done.status, done.done_by) == ("done", "U_CSM")


def test_log_voc_and_ask_ae_from_the_card(baton, slack, acme):
    """Log VoC on the card opens the form with the customer chosen (the note is that customer's); Ask AE opens
    the question for the handoff's thread."""
    from bot.blocks import handoff as hb
    from bot.blocks import voc as vb
    from bot.models import VocNote

    reply = command(baton, slack, "acme")
    click(baton, slack, card_button(reply["blocks"], cb.LOG_VOC))
    view = last_view(slack)
    [customer] = [b for b in view["blocks"] if b.get("block_id") == vb.CUSTOMER_BLOCK]
    assert customer["element"]["initial_option"]["value"] == str(acme)
    values = {
        vb.CUSTOMER_BLOCK: {
            vb.CUSTOMER_SELECT: {"type": "external_select", "selected_option": customer["element"]["initial_option"]}
        },
        vb.QUOTE_BLOCK: {vb.VALUE: p.text_value("They want audit logs")},
        vb.CATEGORY_BLOCK: {vb.VALUE: p.static_value("feature_request")},
        vb.IMPORTANCE_BLOCK: {vb.VALUE: p.static_value("important")},
        vb.AREA_BLOCK: {vb.VALUE: p.text_value(None)},
    }
    req = p.view_submission(vb.LOG_MODAL, values, user_id="U_CSM", private_metadata=view["private_metadata"])
    assert baton.slack(req).status_code == 200
    [note] = baton.all(VocNote)
    assert (note.customer_id, note.quote) == (acme, "They want audit logs")
    click(baton, slack, card_button(command(baton, slack, "acme")["blocks"], cb.ASK_AE))
    assert last_view(slack)["callback_id"] == hb.ASK_AE_MODAL


def test_open_in_crm_links_the_customers_record(baton, slack, acme, settings, clock):
    """With HUBSPOT_PORTAL_ID a HubSpot company's card links its record; BATON_CRM_URL_TEMPLATE links others';
    without either there is no link."""
    from bot.crm.links import record_url

    assert record_url("hubspot", "123", hubspot_portal="9", template=None) == (
        "https://app.hubspot.com/contacts/9/record/0-2/123"
    )
    assert record_url("salesforce", "001/x y", hubspot_portal="9", template="https://sf.example/r/{id}/view") == (
        "https://sf.example/r/001%2Fx%20y/view"
    )
    assert record_url("salesforce", "001", hubspot_portal="9", template=None) is None
    assert record_url("hubspot", None, hubspot_portal="9", template="https://x.example/{id}") is None
    assert cb.OPEN_CRM not in {b["action_id"] for b in buttons(command(baton, slack, "acme")["blocks"])}
    with baton.deps.sessions.begin() as db:
        c = db.get(Customer, acme)
        c.crm_source, c.crm_company_id = "hubspot", "555"
    linked = Baton(dataclasses.replace(settings, hubspot_portal_id="4242"), clock)
    try:
        [crm] = [b for b in buttons(command(linked, slack, "acme")["blocks"]) if b["action_id"] == cb.OPEN_CRM]
        assert crm["url"] == "https://app.hubspot.com/contacts/4242/record/0-2/555"
        assert crm["text"]["text"] == "Open in CRM"
    finally:
        linked.close()
