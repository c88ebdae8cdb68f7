"""Nudges: handoff drafts (AE, then sales lead), handoffs not accepted after business days, overdue promises;
each at the right time, within working hours in the team's zone, once, and never for what was done in time."""

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.jobs import nudges as nudges_job
from bot.models import ACCEPTED, DRAFT, SUBMITTED, Customer, Handoff, Occurrence, Promise
from bot.services import nudges, team_config
from bot.services import schedules as engine
from bot.services.schedules import Context, Message, Skip
from tests.conftest import TEAM
from tests.services.conftest import add_customer

SEOUL = ZoneInfo("Asia/Seoul")
HANDOFFS, PROMISES = nudges_job.SCHEDULES


def config(sessions, tz: str = "UTC", **values: str) -> team_config.TeamConfig:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    with sessions.begin() as db:
        team_config.set_value(db, TEAM, "timezone", tz, now=now)
        for key, value in values.items():
            team_config.set_value(db, TEAM, key.replace("__", "."), value, now=now)
        return team_config.load(db, TEAM, team_config.Defaults(handoff_channel="C0HANDOFF"))


def run(sessions, schedule, cfg, now: datetime, *, locales: dict[str, str] | None = None, manual: bool = False):
    """Plan at `now` and record what was planned (as a run does); returns the plan."""
    locales = locales or {}
    with sessions.begin() as db:
        ctx = Context(cfg=cfg, fire=now, now=now, locale_for=lambda u: locales.get(u, "en"), manual=manual)
        planned = schedule.plan(db, ctx)
        engine.record(db, TEAM, schedule.name, planned, fire=now, now=now)
    return planned


def messages(planned) -> list[Message]:
    return [p for p in planned if isinstance(p, Message)]


def skips(planned) -> list[Skip]:
    return [p for p in planned if isinstance(p, Skip)]


def text_of(message: Message) -> str:
    return json.dumps(message.parts[0].blocks, ensure_ascii=False)


def add_handoff(sessions, customer_id: int, **fields) -> int:
    values = {
        "team_id": TEAM,
        "customer_id": customer_id,
        "status": DRAFT,
        "customer_name": "Acme",
        "crm_deal_name": "Acme renewal 2026",
        "crm_source": "hubspot",
        "arr": Decimal("120000"),
        "currency": "USD",
        "ae_user_id": "U_AE",
    }
    values.update(fields)
    with sessions.begin() as db:
        h = Handoff(**values)
        db.add(h)
        db.flush()
        return h.id


def update(sessions, model, row_id: int, **fields) -> None:
    with sessions.begin() as db:
        row = db.get(model, row_id)
        for k, v in fields.items():
            setattr(row, k, v)
        db.add(row)


# --- fire times ----------------------------------------------------------------------------------------------


def test_working_fires_every_15_minutes_within_hours_on_weekdays(sessions):
    """09:00-18:00 Monday to Friday in the team's zone: 36 fires a weekday, none on Saturday or Sunday."""
    cfg = config(sessions)
    week = datetime(2026, 3, 2, tzinfo=UTC)  # Monday
    fires = nudges.working_fires(cfg, week, week + timedelta(days=7))
    assert len(fires) == 5 * 36
    assert fires[0] == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert fires[-1] == datetime(2026, 3, 6, 17, 45, tzinfo=UTC)
    assert {f.weekday() for f in fires} == {0, 1, 2, 3, 4}


def test_working_hours_follow_the_team_zone_seoul_vs_utc(sessions):
    """Monday 00:30 UTC is 09:30 in Seoul: a Seoul team's nudges run then, a UTC team's do not."""
    now = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)
    seoul = config(sessions, "Asia/Seoul")
    fire = engine.latest_fire(HANDOFFS, seoul, now)
    assert fire == now
    assert now - fire <= HANDOFFS.useful_for(seoul, fire)
    utc = config(sessions, "UTC")
    fire = engine.latest_fire(HANDOFFS, utc, now)
    assert fire == datetime(2026, 2, 27, 17, 45, tzinfo=UTC)  # Friday's last, long stale by Monday
    assert now - fire > HANDOFFS.useful_for(utc, fire)
    # Friday 18:00 in Seoul is 09:00 UTC: the last Seoul fire of the week is 08:45 UTC
    friday = nudges.working_fires(seoul, datetime(2026, 3, 6, tzinfo=UTC), datetime(2026, 3, 7, tzinfo=UTC))
    assert friday[-1] == datetime(2026, 3, 6, 8, 45, tzinfo=UTC)


def test_working_hours_are_configurable(sessions):
    """nudge.hours 10:30-12:00 gives 10:30, 10:45, 11:00, 11:15, 11:30, 11:45 local."""
    cfg = config(sessions, "Asia/Seoul", nudge__hours="10:30-12:00")
    day = datetime(2026, 3, 3, tzinfo=SEOUL)
    fires = nudges.working_fires(cfg, day, day + timedelta(days=1))
    assert [f.astimezone(SEOUL).strftime("%H:%M") for f in fires] == [
        "10:30",
        "10:45",
        "11:00",
        "11:15",
        "11:30",
        "11:45",
    ]


def test_promise_reminders_run_on_weekdays_at_reminders_time(sessions):
    """Monday to Friday at reminders.time in the team's zone; nothing on the weekend."""
    cfg = config(sessions, "Asia/Seoul", reminders__time="08:30")
    start = datetime(2026, 3, 2, tzinfo=SEOUL)
    fires = PROMISES.fires(cfg, start, start + timedelta(days=7))
    assert [f.astimezone(SEOUL).strftime("%a %H:%M") for f in fires] == [
        "Mon 08:30",
        "Tue 08:30",
        "Wed 08:30",
        "Thu 08:30",
        "Fri 08:30",
    ]


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (datetime(2026, 3, 5, 16, 0), 1, datetime(2026, 3, 6, 16, 0)),  # Thursday -> Friday
        (datetime(2026, 3, 6, 16, 0), 1, datetime(2026, 3, 9, 16, 0)),  # Friday -> Monday
        (datetime(2026, 3, 6, 16, 0), 2, datetime(2026, 3, 10, 16, 0)),  # Friday -> Tuesday
        (datetime(2026, 3, 7, 10, 0), 1, datetime(2026, 3, 10, 0, 0)),  # Saturday counts from Monday 00:00
        (datetime(2026, 3, 8, 23, 0), 1, datetime(2026, 3, 10, 0, 0)),  # so does Sunday
        (datetime(2026, 3, 2, 9, 0), 5, datetime(2026, 3, 9, 9, 0)),  # a full week
    ],
)
def test_business_days_skip_the_weekend(start, days, expected):
    """Saturday and Sunday do not count."""
    assert nudges.add_business_days(start.replace(tzinfo=SEOUL), days) == expected.replace(tzinfo=SEOUL)


# --- handoff drafts ----------------------------------------------------------------------------------------


def test_draft_nudges_the_ae_after_24_hours_once(sessions):
    """Not at 23h45; at 24h a DM to the AE with the Fill handoff button and the mute menu; never again."""
    cfg = config(sessions)
    cid = add_customer(sessions, "Acme")
    created = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # Monday
    hid = add_handoff(sessions, cid, created_at=created)
    assert run(sessions, HANDOFFS, cfg, created + timedelta(hours=23, minutes=45)) == []
    [m] = run(sessions, HANDOFFS, cfg, created + timedelta(hours=24))
    assert (m.key, m.kind, m.user, m.customer_id, m.subject) == (
        f"nudge:draft:{hid}:ae",
        "nudge.draft",
        "U_AE",
        cid,
        f"handoff:{hid}",
    )
    blocks = m.parts[0].blocks
    assert blocks[0]["accessory"]["action_id"] == "handoff_fill" and blocks[0]["accessory"]["value"] == str(hid)
    assert blocks[1]["elements"][-1]["action_id"] == "reminder_menu"
    assert "*Acme*" in m.parts[0].text and "24 hours" in m.parts[0].text and "$120K" in m.parts[0].text
    assert run(sessions, HANDOFFS, cfg, created + timedelta(hours=24, minutes=15)) == []
    assert run(sessions, HANDOFFS, cfg, created + timedelta(hours=30)) == []


def test_draft_nudges_the_sales_lead_after_72_hours(sessions):
    """The lead gets their own DM (naming the AE) at 72 h; the AE is not reminded a second time."""
    cfg = config(sessions, nudge__sales_lead="U0LEAD")
    cid = add_customer(sessions, "Acme")
    created = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    hid = add_handoff(sessions, cid, created_at=created)
    [ae] = run(sessions, HANDOFFS, cfg, created + timedelta(hours=24))
    assert ae.user == "U_AE"
    assert run(sessions, HANDOFFS, cfg, created + timedelta(hours=71, minutes=45)) == []
    [lead] = run(sessions, HANDOFFS, cfg, created + timedelta(hours=72))
    assert (lead.key, lead.kind, lead.user) == (f"nudge:draft:{hid}:lead", "nudge.lead", "U0LEAD")
    assert "<@U_AE>" in lead.parts[0].text and "3 days" in lead.parts[0].text
    assert run(sessions, HANDOFFS, cfg, created + timedelta(hours=96)) == []


def test_no_sales_lead_means_no_lead_nudge(sessions):
    """With nudge.sales_lead unset nobody is nudged at 72 h, and nothing is recorded for it."""
    cfg = config(sessions)
    cid = add_customer(sessions, "Acme")
    created = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    add_handoff(sessions, cid, created_at=created)
    planned = run(sessions, HANDOFFS, cfg, created + timedelta(hours=80))
    assert [p.key.split(":")[-1] for p in planned] == ["ae"]


def test_lead_and_draft_hours_are_configurable(sessions):
    """nudge.draft_hours 4 and nudge.lead_hours 8 move both nudges."""
    cfg = config(sessions, nudge__sales_lead="U0LEAD", nudge__draft_hours="4", nudge__lead_hours="8")
    cid = add_customer(sessions, "Acme")
    created = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    add_handoff(sessions, cid, created_at=created)
    assert [m.user for m in run(sessions, HANDOFFS, cfg, created + timedelta(hours=4))] == ["U_AE"]
    assert [m.user for m in run(sessions, HANDOFFS, cfg, created + timedelta(hours=8))] == ["U0LEAD"]


def test_submitted_draft_gets_no_nudge(sessions):
    """A draft submitted before its 24 h produces nothing, then or later."""
    cfg = config(sessions, nudge__sales_lead="U0LEAD")
    cid = add_customer(sessions, "Acme")
    created = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    hid = add_handoff(sessions, cid, created_at=created)
    update(sessions, Handoff, hid, status=SUBMITTED, submitted_at=created + timedelta(hours=20))
    assert run(sessions, HANDOFFS, cfg, created + timedelta(hours=24)) == []
    assert run(sessions, HANDOFFS, cfg, created + timedelta(hours=72)) == []


def test_draft_over_the_weekend_waits_for_monday_morning(sessions):
    """A draft created Friday 11:00 falls due Saturday 11:00: no fire on the weekend (the Friday 17:45 one is
    stale by then), and the first Monday fire, 09:00, sends it."""
    cfg = config(sessions)
    cid = add_customer(sessions, "Acme")
    created = datetime(2026, 3, 6, 11, 0, tzinfo=UTC)  # Friday
    hid = add_handoff(sessions, cid, created_at=created)
    saturday = datetime(2026, 3, 7, 11, 5, tzinfo=UTC)
    fire = engine.latest_fire(HANDOFFS, cfg, saturday)
    assert fire == datetime(2026, 3, 6, 17, 45, tzinfo=UTC)
    assert saturday - fire > HANDOFFS.useful_for(cfg, fire)
    assert run(sessions, HANDOFFS, cfg, fire) == []  # Friday's last run: not due yet
    monday = datetime(2026, 3, 9, 9, 0, 20, tzinfo=UTC)
    fire = engine.latest_fire(HANDOFFS, cfg, monday)
    assert fire == datetime(2026, 3, 9, 9, 0, tzinfo=UTC)
    [m] = run(sessions, HANDOFFS, cfg, monday)
    assert m.key == f"nudge:draft:{hid}:ae"
    assert m.due_at is None  # sent for this fire


def test_draft_without_an_ae_is_skipped_with_a_reason(sessions):
    """The deal owner was not found in Slack: the AE nudge is recorded as skipped, the lead is still told."""
    cfg = config(sessions, nudge__sales_lead="U0LEAD")
    cid = add_customer(sessions, "Acme")
    created = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    add_handoff(sessions, cid, created_at=created, ae_user_id=None)
    [skip] = run(sessions, HANDOFFS, cfg, created + timedelta(hours=24))
    assert isinstance(skip, Skip) and "not in Slack" in skip.reason
    [lead] = run(sessions, HANDOFFS, cfg, created + timedelta(hours=72))
    assert lead.user == "U0LEAD" and "not in Slack" in lead.parts[0].text


def test_muted_ae_is_skipped(sessions):
    """An AE who paused draft reminders (or muted the customer) gets a recorded skip, not a DM."""
    cfg = config(sessions)
    cid = add_customer(sessions, "Acme")
    other = add_customer(sessions, "Globex")
    created = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    h1 = add_handoff(sessions, cid, created_at=created)
    h2 = add_handoff(sessions, other, created_at=created, customer_name="Globex", crm_deal_name="Globex")
    with sessions.begin() as db:
        engine.mute(db, TEAM, "U_AE", customer_id=cid, until=None, now=created)
    planned = run(sessions, HANDOFFS, cfg, created + timedelta(hours=24))
    assert [(p.key, getattr(p, "reason", None)) for p in planned] == [
        (f"nudge:draft:{h1}:ae", "muted"),
        (f"nudge:draft:{h2}:ae", None),
    ]
    with sessions.begin() as db:
        engine.mute(db, TEAM, "U_AE", kind="nudge.draft", until=created + timedelta(days=30), now=created)
    h3 = add_handoff(sessions, other, created_at=created, customer_name="Globex 2", crm_deal_name="G2")
    [skip] = run(sessions, HANDOFFS, cfg, created + timedelta(hours=25))
    assert (skip.key, skip.reason) == (f"nudge:draft:{h3}:ae", "muted")


def test_very_old_draft_is_skipped_not_sent(sessions):
    """A draft already 30+ days past due when nudges first see it is recorded as stale, not sent."""
    cfg = config(sessions)
    cid = add_customer(sessions, "Acme")
    now = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    add_handoff(sessions, cid, created_at=now - timedelta(days=60))
    [skip] = run(sessions, HANDOFFS, cfg, now)
    assert isinstance(skip, Skip) and skip.reason.startswith("stale")


def test_draft_nudge_in_the_ae_language(sessions):
    """A Korean-speaking AE gets the nudge in Korean."""
    cfg = config(sessions)
    cid = add_customer(sessions, "삼성전자")
    created = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    add_handoff(sessions, cid, created_at=created, ae_user_id="U_KO", customer_name="삼성전자")
    [m] = run(sessions, HANDOFFS, cfg, created + timedelta(hours=24), locales={"U_KO": "ko"})
    assert "초안 상태" in m.parts[0].text and "24시간" in m.parts[0].text
    assert "인계 작성" in text_of(m)


# --- handoffs not accepted ---------------------------------------------------------------------------------


def submitted_handoff(sessions, submitted_at: datetime, **fields) -> tuple[int, int]:
    cid = add_customer(sessions, fields.pop("name", "Acme"))
    values = {
        "status": SUBMITTED,
        "submitted_at": submitted_at,
        "submitted_by": "U_AE",
        "card_channel": "C0CS",
        "card_ts": "1772791200.000100",
        "created_at": submitted_at,
    }
    values.update(fields)
    return cid, add_handoff(sessions, cid, **values)


def test_unaccepted_handoff_is_raised_in_the_card_channel_after_one_business_day(sessions):
    """Submitted Friday 16:00 Seoul time: nothing on Monday 15:45, a post in the card's channel at 16:00 that
    links to the card and carries its Accept button; once."""
    cfg = config(sessions, "Asia/Seoul")
    submitted = datetime(2026, 3, 6, 16, 0, tzinfo=SEOUL)
    _cid, hid = submitted_handoff(sessions, submitted.astimezone(UTC))
    assert run(sessions, HANDOFFS, cfg, datetime(2026, 3, 9, 15, 45, tzinfo=SEOUL).astimezone(UTC)) == []
    [m] = run(sessions, HANDOFFS, cfg, datetime(2026, 3, 9, 16, 0, tzinfo=SEOUL).astimezone(UTC))
    assert (m.key, m.kind, m.channel, m.user) == (f"nudge:accept:{hid}", "nudge.accept", "C0CS", None)
    blocks = m.parts[0].blocks
    assert "<https://slack.com/archives/C0CS/p1772791200000100|Open the handoff card>" in blocks[0]["text"]["text"]
    assert blocks[1]["elements"][0]["action_id"] == "handoff_accept"
    assert blocks[1]["elements"][0]["value"] == str(hid)
    assert "1 business day" in m.parts[0].text and "<@U_AE>" in m.parts[0].text
    assert run(sessions, HANDOFFS, cfg, datetime(2026, 3, 10, 10, 0, tzinfo=SEOUL).astimezone(UTC)) == []


def test_accept_days_are_business_days(sessions):
    """nudge.accept_days 2: Thursday's handoff is raised on Monday, not on Saturday."""
    cfg = config(sessions, nudge__accept_days="2")
    submitted = datetime(2026, 3, 5, 11, 0, tzinfo=UTC)  # Thursday
    submitted_handoff(sessions, submitted)
    assert run(sessions, HANDOFFS, cfg, datetime(2026, 3, 6, 17, 45, tzinfo=UTC)) == []
    assert run(sessions, HANDOFFS, cfg, datetime(2026, 3, 9, 10, 45, tzinfo=UTC)) == []
    [m] = run(sessions, HANDOFFS, cfg, datetime(2026, 3, 9, 11, 0, tzinfo=UTC))
    assert "2 business days" in m.parts[0].text


def test_accepted_handoff_is_not_raised(sessions):
    """Accepted before its business day: nothing."""
    cfg = config(sessions)
    submitted = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)
    _cid, hid = submitted_handoff(sessions, submitted)
    update(sessions, Handoff, hid, status=ACCEPTED, accepted_at=submitted + timedelta(hours=3))
    assert run(sessions, HANDOFFS, cfg, datetime(2026, 3, 4, 11, 0, tzinfo=UTC)) == []


def test_handoff_without_a_posted_card_waits(sessions):
    """No card yet (its post still in the outbox): nothing to point at, so it waits and goes once it is there."""
    cfg = config(sessions)
    submitted = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)
    _cid, hid = submitted_handoff(sessions, submitted, card_ts=None)
    later = datetime(2026, 3, 3, 11, 0, tzinfo=UTC)
    assert run(sessions, HANDOFFS, cfg, later) == []
    update(sessions, Handoff, hid, card_ts="1772449200.000200")
    [m] = run(sessions, HANDOFFS, cfg, later + timedelta(minutes=15))
    assert m.key == f"nudge:accept:{hid}"


def test_bad_fit_handoff_is_skipped(sessions):
    """A handoff CS flagged as a bad fit is not raised as waiting (recorded as a skip)."""
    cfg = config(sessions)
    submitted = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)
    submitted_handoff(sessions, submitted, bad_fit_at=submitted + timedelta(hours=1), bad_fit_by="U_CSM")
    [skip] = run(sessions, HANDOFFS, cfg, datetime(2026, 3, 3, 11, 0, tzinfo=UTC))
    assert isinstance(skip, Skip) and "bad fit" in skip.reason


# --- promises ------------------------------------------------------------------------------------------------


def add_promise(sessions, customer_id: int, handoff_id: int, due: date | None, **fields) -> int:
    with sessions.begin() as db:
        p = Promise(
            team_id=TEAM,
            handoff_id=handoff_id,
            customer_id=customer_id,
            text=fields.pop("text", "SSO by March"),
            due_date=due,
            **fields,
        )
        db.add(p)
        db.flush()
        return p.id


def promise_setup(sessions, **customer):
    cid = add_customer(sessions, "Acme", owner_user_id=customer.get("owner", "U_CSM"))
    hid = add_handoff(
        sessions, cid, status=SUBMITTED, card_channel="C0CS", card_ts="1772449200.000300", created_at=datetime.now(UTC)
    )
    return cid, hid


def test_overdue_promise_dms_its_owner_once(sessions):
    """Due Monday: nothing on Monday, a DM to the promise's owner on Tuesday at reminders.time with the card
    link, Open card and the mute menu; never again."""
    cfg = config(sessions)
    cid, hid = promise_setup(sessions)
    pid = add_promise(sessions, cid, hid, date(2026, 3, 2), owner_user_id="U_AE")
    assert run(sessions, PROMISES, cfg, datetime(2026, 3, 2, 9, 0, tzinfo=UTC)) == []
    [m] = run(sessions, PROMISES, cfg, datetime(2026, 3, 3, 9, 0, tzinfo=UTC))
    assert (m.key, m.kind, m.user, m.subject, m.customer_id) == (
        f"promise:{pid}:overdue",
        "nudge.promise",
        "U_AE",
        f"promise:{pid}",
        cid,
    )
    assert "“SSO by March”" in m.parts[0].text and "1 day ago" in m.parts[0].text
    blocks = m.parts[0].blocks
    assert "<https://slack.com/archives/C0CS/p1772449200000300|Handoff card>" in blocks[0]["text"]["text"]
    assert blocks[0]["accessory"]["action_id"] == "reminder_open_card"
    assert [e["action_id"] for e in blocks[-1]["elements"]] == ["reminder_menu"]
    assert blocks[-1]["block_id"] == f"reminder_controls:promise:{pid}:overdue"
    assert run(sessions, PROMISES, cfg, datetime(2026, 3, 4, 9, 0, tzinfo=UTC)) == []


def test_promise_without_owner_goes_to_the_customer_owner(sessions):
    """No promise owner: the customer's owner gets it, told why; neither: a recorded skip with the reason."""
    cfg = config(sessions)
    cid, hid = promise_setup(sessions)
    add_promise(sessions, cid, hid, date(2026, 3, 2))
    [m] = run(sessions, PROMISES, cfg, datetime(2026, 3, 3, 9, 0, tzinfo=UTC))
    assert m.user == "U_CSM" and "as the customer's owner" in text_of(m)
    update(sessions, Customer, cid, owner_user_id=None)
    pid = add_promise(sessions, cid, hid, date(2026, 3, 3), text="Training")
    [skip] = run(sessions, PROMISES, cfg, datetime(2026, 3, 4, 9, 0, tzinfo=UTC))
    assert isinstance(skip, Skip) and skip.key == f"promise:{pid}:overdue" and "nobody" in skip.reason


def test_done_promise_and_promise_without_due_date_are_not_reminded(sessions):
    """A promise marked done before its due date passes, or one with no due date, produces nothing."""
    cfg = config(sessions)
    cid, hid = promise_setup(sessions)
    add_promise(sessions, cid, hid, date(2026, 3, 2), owner_user_id="U_AE", status="done")
    add_promise(sessions, cid, hid, None, owner_user_id="U_AE")
    assert run(sessions, PROMISES, cfg, datetime(2026, 3, 3, 9, 0, tzinfo=UTC)) == []


def test_muted_promise_owner_is_skipped(sessions):
    """An owner who paused promise reminders gets a recorded skip."""
    cfg = config(sessions)
    cid, hid = promise_setup(sessions)
    add_promise(sessions, cid, hid, date(2026, 3, 2), owner_user_id="U_AE")
    now = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
    with sessions.begin() as db:
        engine.mute(db, TEAM, "U_AE", kind="nudge.promise", until=now + timedelta(days=7), now=now)
    [skip] = run(sessions, PROMISES, cfg, now)
    assert skip.reason == "muted"
    with sessions.begin() as db:
        recorded = db.exec(select(Occurrence).where(Occurrence.key == skip.key)).one()
    assert recorded.status == "skipped"


def test_promise_due_date_is_the_team_local_date(sessions):
    """Due Monday in Seoul: Tuesday 08:00 KST (Monday 23:00 UTC) is already past it."""
    cfg = config(sessions, "Asia/Seoul", reminders__time="08:00")
    cid, hid = promise_setup(sessions)
    add_promise(sessions, cid, hid, date(2026, 3, 2), owner_user_id="U_AE")
    assert run(sessions, PROMISES, cfg, datetime(2026, 3, 2, 8, 0, tzinfo=SEOUL).astimezone(UTC)) == []
    [m] = run(sessions, PROMISES, cfg, datetime(2026, 3, 3, 8, 0, tzinfo=SEOUL).astimezone(UTC))
    assert m.due_at == datetime(2026, 3, 3, 8, 0, tzinfo=SEOUL)


def test_long_overdue_promise_is_skipped_as_stale(sessions):
    """A promise already over 30 days late when first seen is recorded as stale, not sent."""
    cfg = config(sessions)
    cid, hid = promise_setup(sessions)
    add_promise(sessions, cid, hid, date(2026, 1, 2), owner_user_id="U_AE")
    [skip] = run(sessions, PROMISES, cfg, datetime(2026, 3, 3, 9, 0, tzinfo=UTC))
    assert skip.reason.startswith("stale")
