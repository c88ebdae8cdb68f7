"""Reminders end to end: the worker's scan queues them, the outbox DMs them to the fake Slack, and signed
button clicks acknowledge, snooze, hand to the AE, mark done, mute and open the card."""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete

from bot.blocks import reminders as rb
from bot.jobs.schedules import run_due
from bot.models import Customer, Handoff, Occurrence, OnboardingTask, ReminderMute, SlackUser
from bot.models.handoff import ACCEPTED
from bot.services import team_config
from bot.services.customer import RatingInput, record_csm_rating
from bot.text import normalize_key
from tests import payloads as p

T0 = datetime(2026, 3, 3, 9, 5, tzinfo=UTC)  # a Tuesday, just after 09:00 (the reminders' time) in UTC


@pytest.fixture
def at_t0(baton, clock):
    """The clock at T0 (signatures use the real time, so clicks still verify)."""
    clock.now = T0
    return baton


def add_customer(baton, name: str, days: int | None, team: str = "T111", **fields) -> int:
    renewal = (T0 + timedelta(days=days)).date() if days is not None else fields.pop("renewal_date", None)
    fields = {"owner_user_id": "U_CSM", "ae_user_id": "U_AE", "arr": Decimal("120000"), "currency": "USD", **fields}
    with baton.deps.sessions.begin() as db:
        c = Customer(team_id=team, name=name, name_key=normalize_key(name), renewal_date=renewal, **fields)
        db.add(c)
        db.flush()
        return c.id


def renewal_key(customer_id: int, days: int, step: int, suffix: str = "") -> str:
    return f"renewal:{customer_id}:{(T0 + timedelta(days=days)).date()}:{step}{suffix}"


def scan(baton) -> int:
    """One worker tick of the renewal and onboarding schedules, then deliver the outbox; returns messages queued."""
    queued = run_due(baton.deps, only="renewals") + run_due(baton.deps, only="onboarding")
    baton.settle()
    return queued


def dms(slack, user: str) -> list[dict]:
    return slack.messages(slack.dm_channel(user))


def button(message: dict, action_id: str) -> dict:
    return next(
        e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"] if e["action_id"] == action_id
    )


def click(baton, slack, message: dict, action_id: str, user: str, *, option: int | None = None, channel=None):
    """Click `action_id` on `message` (a DM in the fake Slack) as `user`; option: pick from the overflow."""
    el = button(message, action_id)
    extra = None
    value = el.get("value", "")
    if option is not None:
        extra = {"type": "overflow", "selected_option": el["options"][option]}
        value = ""
    req = p.block_actions(
        action_id,
        value,
        user_id=user,
        channel_id=channel or slack.dm_channel(user),
        message_ts=message["ts"],
        response_url=slack.new_response_url(),
        action=extra,
    )
    assert baton.slack(req).status_code == 200
    baton.settle()


def text_of(message: dict) -> str:
    return json.dumps(message.get("blocks", []), ensure_ascii=False) + message.get("text", "")


def occurrence(baton, key: str) -> Occurrence:
    (row,) = baton.all(Occurrence, Occurrence.key == key)
    return row


# --- the ladder, delivered ----------------------------------------------------------------------------------


def test_the_scan_dms_the_csm_and_the_ae_once(at_t0, slack):
    """T-60: the CSM and the AE each get one DM with the state; a second tick sends nothing more."""
    cid = add_customer(at_t0, "Acme Corp.", 60)
    assert scan(at_t0) == 2
    assert scan(at_t0) == 0
    (csm,) = dms(slack, "U_CSM")
    (ae,) = dms(slack, "U_AE")
    assert csm["text"] == "Acme Corp. renews in 60 days" and "$120,000" in text_of(csm)
    assert "<@U_CSM>" in text_of(ae) and "Hand to AE" not in text_of(ae)
    row = occurrence(at_t0, renewal_key(cid, 60, 60))
    assert (row.status, row.channel, row.ts) == ("sent", slack.dm_channel("U_CSM"), csm["ts"])


@pytest.mark.parametrize(
    ("csm", "expected"),
    [
        ("U_CSM", "🧑‍💼 CSM rating 2/5 · <@U_CSM> · Mar 1, 2026: “Champion left, budget frozen”"),
        ("U_KO", "🧑‍💼 CSM 평가 2/5 · <@U_KO> · 2026년 3월 1일: “Champion left, budget frozen”"),
    ],
)
def test_the_renewal_dm_shows_the_csms_own_rating(at_t0, slack, csm, expected):
    """The CSM's Rate health (its note, who and when) is in the owner's DM and the AE's, in their language."""
    cid = add_customer(at_t0, "Acme Corp.", 60, owner_user_id=csm)
    rating = RatingInput(2, "Champion left, budget frozen")
    day = (T0 - timedelta(days=2)).date()
    with at_t0.deps.sessions.begin() as db:
        record_csm_rating(db, "T111", cid, rating, csm, day, T0, at_t0.deps.health_rules)
    assert scan(at_t0) == 2
    (owner,) = dms(slack, csm)
    assert expected in text_of(owner)
    assert "CSM rating 2/5" in text_of(dms(slack, "U_AE")[0])


def test_acknowledge_updates_the_message_in_place_once(at_t0, slack):
    """Acknowledge: recorded with who and when, the DM now says so; a double click changes nothing."""
    cid = add_customer(at_t0, "Acme Corp.", 90, ae_user_id=None)
    scan(at_t0)
    (msg,) = dms(slack, "U_CSM")
    click(at_t0, slack, msg, rb.ACK, "U_CSM")
    click(at_t0, slack, msg, rb.ACK, "U_CSM")
    row = occurrence(at_t0, renewal_key(cid, 90, 90))
    assert (row.status, row.acted_by, row.acted_at) == ("acknowledged", "U_CSM", T0)
    (updated,) = dms(slack, "U_CSM")
    assert "✅ Acknowledged by <@U_CSM>" in text_of(updated)
    assert [e["action_id"] for b in updated["blocks"] if b["type"] == "actions" for e in b["elements"]] == [
        rb.OPEN_CARD,
        rb.MENU,
    ]
    assert "Customer Success Plan" in text_of(updated)  # the reminder itself is kept
    assert slack.responses() == []  # the recipient's own double click needs no answer


def test_someone_else_cannot_act_on_a_reminder(at_t0, slack):
    """Another person's click gets a polite ephemeral naming the recipient; nothing changes."""
    cid = add_customer(at_t0, "Acme Corp.", 90, ae_user_id=None)
    scan(at_t0)
    (msg,) = dms(slack, "U_CSM")
    click(at_t0, slack, msg, rb.ACK, "U_CSM2")
    (answer,) = slack.responses()
    assert answer["text"] == "This reminder is for <@U_CSM>; only they can act on it."
    assert answer["response_type"] == "ephemeral" and answer.get("replace_original") is False
    assert occurrence(at_t0, renewal_key(cid, 90, 90)).status == "sent"
    assert slack.calls_to("chat.update") == []


def test_hand_to_ae_dms_the_ae_once_and_says_so_in_the_csms_message(at_t0, slack):
    """Hand to AE: the AE gets one DM with the state (however many clicks); the CSM's DM says who handed it."""
    cid = add_customer(at_t0, "Acme Corp.", 90)
    scan(at_t0)
    (msg,) = dms(slack, "U_CSM")
    click(at_t0, slack, msg, rb.HAND_AE, "U_CSM")
    click(at_t0, slack, msg, rb.HAND_AE, "U_CSM")
    (handed,) = dms(slack, "U_AE")
    assert handed["text"] == "A renewal was handed to you: Acme Corp."
    assert "<@U_CSM> handed you the renewal of *Acme Corp.*" in text_of(handed)
    assert "$120,000" in text_of(handed)
    row = occurrence(at_t0, renewal_key(cid, 90, 90))
    assert (row.status, row.acted_by) == ("handed", "U_CSM")
    assert "🤝 Handed to <@U_AE> by <@U_CSM>" in text_of(dms(slack, "U_CSM")[0])
    click(at_t0, slack, handed, rb.ACK, "U_AE")
    assert occurrence(at_t0, renewal_key(cid, 90, 90, ":handed")).acted_by == "U_AE"


def test_hand_to_ae_to_an_ae_baton_has_never_looked_up(at_t0, slack):
    """An AE whose Slack profile is not cached yet (looked up while the click's transaction is open) still gets
    the DM in their language, and the profile is cached afterwards."""
    add_customer(at_t0, "Acme Corp.", 90, ae_user_id="U_KO")
    scan(at_t0)
    at_t0.deps.users._cache.clear()
    with at_t0.deps.sessions.begin() as db:
        db.exec(delete(SlackUser).where(SlackUser.user_id == "U_KO"))
    click(at_t0, slack, dms(slack, "U_CSM")[0], rb.HAND_AE, "U_CSM")
    (handed,) = dms(slack, "U_KO")
    assert "Acme Corp." in text_of(handed) and "Acme Corp." in handed["text"]
    assert handed["text"] != "A renewal was handed to you: Acme Corp."  # Korean, not English
    assert [u.locale for u in at_t0.all(SlackUser, SlackUser.user_id == "U_KO")] == ["ko-KR"]


def test_hand_to_ae_without_an_ae_says_there_is_nobody(at_t0, slack):
    """No AE on record: an ephemeral saying so; the reminder stays open."""
    cid = add_customer(at_t0, "Acme Corp.", 90, ae_user_id=None)
    scan(at_t0)
    click(at_t0, slack, dms(slack, "U_CSM")[0], rb.HAND_AE, "U_CSM")
    (answer,) = slack.responses()
    assert "*Acme Corp.* has no AE on record" in answer["text"]
    assert occurrence(at_t0, renewal_key(cid, 90, 90)).status == "sent"


def test_snooze_comes_back_seven_days_later(at_t0, slack, clock):
    """Snooze 7 days: the DM says until when and keeps Acknowledge and Hand to AE; a week later it is sent again."""
    cid = add_customer(at_t0, "Acme Corp.", 90, ae_user_id=None)
    scan(at_t0)
    (msg,) = dms(slack, "U_CSM")
    click(at_t0, slack, msg, rb.SNOOZE, "U_CSM")
    (updated,) = dms(slack, "U_CSM")
    assert "😴 Snoozed by <@U_CSM> until" in text_of(updated)
    assert [e["action_id"] for b in updated["blocks"] if b["type"] == "actions" for e in b["elements"]] == [
        rb.ACK,
        rb.HAND_AE,
        rb.OPEN_CARD,
        rb.MENU,
    ]
    for _ in range(6):
        clock.advance(days=1)
        assert scan(at_t0) == 0
    clock.advance(days=1)
    assert scan(at_t0) == 1
    again = dms(slack, "U_CSM")[-1]
    assert "Back from snooze" in text_of(again)
    assert occurrence(at_t0, renewal_key(cid, 90, 90, ":s1")).ts == again["ts"]


def test_mute_this_customer_from_the_menu_and_undo(at_t0, slack):
    """The menu's first option mutes the customer for the clicker (ephemeral with Undo); Undo removes it."""
    cid = add_customer(at_t0, "Acme Corp.", 90, ae_user_id=None)
    scan(at_t0)
    click(at_t0, slack, dms(slack, "U_CSM")[0], rb.MENU, "U_CSM", option=0)
    (answer,) = slack.responses()
    assert "You won't get reminders about *Acme Corp.* any more" in answer["text"]
    assert [(m.user_id, m.customer_id, m.kind, m.until) for m in at_t0.all(ReminderMute)] == [("U_CSM", cid, "*", None)]
    undo = {"ts": "1", "blocks": answer["blocks"]}
    click(at_t0, slack, undo, rb.UNDO, "U_CSM")
    assert at_t0.all(ReminderMute) == []
    assert slack.responses()[-1]["text"] == "🔔 Reminders about *Acme Corp.* are back on for you."
    assert slack.responses()[-1]["replace_original"] is True


def test_pause_renewal_reminders_for_seven_days(at_t0, slack, clock):
    """The menu's pause option stops renewal reminders to the clicker for 7 days (other customers too)."""
    add_customer(at_t0, "Acme Corp.", 90, ae_user_id=None)
    scan(at_t0)
    other = add_customer(at_t0, "Globex", 92, ae_user_id=None)
    click(at_t0, slack, dms(slack, "U_CSM")[0], rb.MENU, "U_CSM", option=1)
    (mute,) = at_t0.all(ReminderMute)
    assert (mute.customer_id, mute.kind, mute.until) == (0, "renewal", T0 + timedelta(days=7))
    assert "Renewal reminders are paused" not in slack.responses()[0]["text"]  # the label is lower-case in the line
    assert "renewal reminders are paused for you until" in slack.responses()[0]["text"]
    clock.advance(days=2)  # Globex's T-90
    scan(at_t0)
    assert len(dms(slack, "U_CSM")) == 1
    skipped = at_t0.all(Occurrence, Occurrence.customer_id == other, Occurrence.step == 90)
    assert [(o.status, o.reason) for o in skipped] == [("skipped", "muted by U_CSM")]
    clock.advance(days=5)  # the pause is over: Globex's T-60 comes in 28 days, Acme's in 23
    for _ in range(23):
        clock.advance(days=1)
        scan(at_t0)
    assert [m["text"] for m in dms(slack, "U_CSM")] == ["Acme Corp. renews in 90 days", "Acme Corp. renews in 60 days"]


def test_open_card_answers_with_the_customer_card_without_replacing_the_reminder(at_t0, slack):
    """Open card: the /customer card, for the clicker only, as a new ephemeral."""
    add_customer(at_t0, "Acme Corp.", 90, ae_user_id=None)
    scan(at_t0)
    click(at_t0, slack, dms(slack, "U_CSM")[0], rb.OPEN_CARD, "U_CSM")
    (answer,) = slack.responses()
    assert answer["response_type"] == "ephemeral" and answer["replace_original"] is False
    assert "Acme Corp." in json.dumps(answer["blocks"]) and "customer_share" not in json.dumps(answer["blocks"])


# --- onboarding, delivered ----------------------------------------------------------------------------------


def test_onboarding_kickoff_reminder_and_mark_done(at_t0, slack, clock):
    """An accepted handoff: the kickoff reminder comes on its due day; Mark done ends its reminders."""
    cid = add_customer(at_t0, "Initech", None)
    with at_t0.deps.sessions.begin() as db:
        db.add(Handoff(team_id="T111", customer_id=cid, status=ACCEPTED, accepted_at=T0, csm_user_id="U_CSM"))
    scan(at_t0)
    assert len(at_t0.all(OnboardingTask)) == 3 and dms(slack, "U_CSM") == []
    clock.advance(days=7)
    scan(at_t0)
    (msg,) = dms(slack, "U_CSM")
    assert msg["text"] == "Kickoff for Initech is due today"
    click(at_t0, slack, msg, rb.DONE, "U_CSM2")  # not the owner
    assert "only they can act on it" in slack.responses()[-1]["text"]
    click(at_t0, slack, msg, rb.DONE, "U_CSM")
    (task,) = at_t0.all(OnboardingTask, OnboardingTask.milestone == "kickoff")
    assert (task.done_by, task.done_at) == ("U_CSM", T0 + timedelta(days=7))
    assert "✅ Marked done by <@U_CSM>" in text_of(dms(slack, "U_CSM")[0])
    for _ in range(10):
        clock.advance(days=1)
        scan(at_t0)
    assert len(dms(slack, "U_CSM")) == 1


# --- time zones ---------------------------------------------------------------------------------------------


def test_each_team_gets_its_reminders_at_nine_in_its_own_zone(baton, slack, clock):
    """A Seoul team is reminded at 09:00 Seoul (00:00 UTC), a New York team at 09:00 New York (14:00 UTC)."""
    clock.now = datetime(2026, 3, 2, 23, 0, tzinfo=UTC)  # 08:00 Mar 3 in Seoul, 18:00 Mar 2 in New York
    with baton.deps.sessions.begin() as db:
        team_config.set_value(db, "T111", "timezone", "Asia/Seoul", now=clock())
        team_config.set_value(db, "T222", "timezone", "America/New_York", now=clock())
        for team in ("T111", "T222"):
            team_config.set_value(db, team, "renewal.days", "90", now=clock())
    seoul = add_customer(baton, "Seoul Co", None, renewal_date=datetime(2026, 6, 1).date(), ae_user_id=None)
    ny = add_customer(baton, "NY Co", None, team="T222", renewal_date=datetime(2026, 6, 1).date(), ae_user_id=None)
    run_due(baton.deps, only="renewals")
    assert baton.all(Occurrence, Occurrence.kind == "renewal") == []  # Mar 3 09:00 Seoul not yet; Mar 2 NY: T-91
    clock.now = datetime(2026, 3, 3, 0, 0, tzinfo=UTC)  # 09:00 Mar 3 in Seoul: T-90
    run_due(baton.deps, only="renewals")
    sent = baton.all(Occurrence, Occurrence.kind == "renewal")
    assert [(o.customer_id, o.due_at) for o in sent] == [(seoul, datetime(2026, 3, 3, 0, 0, tzinfo=UTC))]
    clock.now = datetime(2026, 3, 3, 13, 59, tzinfo=UTC)  # 08:59 in New York
    run_due(baton.deps, only="renewals")
    assert len(baton.all(Occurrence, Occurrence.kind == "renewal")) == 1
    clock.now = datetime(2026, 3, 3, 14, 0, tzinfo=UTC)  # 09:00 EST
    run_due(baton.deps, only="renewals")
    ny_rows = baton.all(Occurrence, Occurrence.kind == "renewal", Occurrence.customer_id == ny)
    assert [(o.team_id, o.step, o.due_at) for o in ny_rows] == [("T222", 90, datetime(2026, 3, 3, 14, 0, tzinfo=UTC))]
