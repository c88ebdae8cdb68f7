"""The renewal ladder: which step goes to whom on which day, superseded steps, renewal-date changes, a new
cycle, snoozes, mutes, and the state the reminder shows."""

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlmodel import select

from bot.jobs import renewals as renewals_job
from bot.models import Customer, HealthScore, HealthSnapshot, Occurrence, Promise, VocNote
from bot.models.handoff import SUBMITTED, Handoff
from bot.services import reminders, renewals, schedules, team_config
from bot.services.health_config import HealthRules
from bot.services.schedules import Context, Message, Skip
from tests.conftest import TEAM
from tests.services.conftest import add_customer

START = date(2026, 3, 2)
DEFAULTS = team_config.Defaults(timezone="UTC", locale="en", handoff_channel="C0HANDOFF")


def at_nine(day: date, zone: str = "UTC") -> datetime:
    """09:00 (the default reminders.time) on `day` in `zone`, as UTC."""
    from zoneinfo import ZoneInfo

    return datetime.combine(day, datetime.min.time().replace(hour=9), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def scan(sessions, day: date, *, locale_for=None, team: str = TEAM, now: datetime | None = None):
    """One daily renewal scan on `day` (plan and record, as the worker does); returns what it planned."""
    now = now or at_nine(day)
    with sessions.begin() as db:
        cfg = team_config.load(db, team, DEFAULTS)
        ctx = Context(cfg=cfg, fire=now, now=now, rules=HealthRules(), locale_for=locale_for or (lambda _u: "en"))
        planned = renewals_job.plan(db, ctx)
        schedules.record(db, team, renewals.NAME, planned, fire=now, now=now)
    return planned


def messages(planned) -> list[Message]:
    return [p for p in planned if isinstance(p, Message)]


def skips(planned) -> list[Skip]:
    return [p for p in planned if isinstance(p, Skip)]


def rows(sessions, **where) -> list[Occurrence]:
    with sessions.begin() as db:
        stmt = select(Occurrence).filter_by(team_id=TEAM, schedule=renewals.NAME, **where).order_by(Occurrence.id)
        out = list(db.exec(stmt))
        for r in out:
            db.expunge(r)
        return out


def customer(sessions, renewal: date, **fields) -> int:
    fields = {"owner_user_id": "U_CSM", "ae_user_id": "U_AE", "arr": Decimal("120000"), "currency": "USD", **fields}
    return add_customer(sessions, fields.pop("name", "Acme Corp."), renewal_date=renewal, **fields)


def set_renewal(sessions, customer_id: int, renewal: date) -> None:
    with sessions.begin() as db:
        c = db.get(Customer, customer_id)
        c.renewal_date = renewal
        db.add(c)


@pytest.fixture
def established(sessions):
    """Baton has been reminding this team for a while (so a scan catches up every step still ahead)."""
    with sessions.begin() as db:
        db.add(
            Occurrence(
                team_id=TEAM, key="renewal:0:2025-01-01:30", schedule=renewals.NAME, kind="renewal", step=30,
                subject="2025-01-01", due_at=at_nine(date(2024, 12, 2)), status="sent",
            )
        )  # fmt: skip


def run_days(sessions, first: date, last: date) -> dict[date, list[str]]:
    """Scan every day from `first` to `last`; the keys sent per day (days that sent nothing left out)."""
    sent: dict[date, list[str]] = {}
    day = first
    while day <= last:
        keys = [m.key for m in messages(scan(sessions, day))]
        if keys:
            sent[day] = keys
        day += timedelta(days=1)
    return sent


# --- the ladder -------------------------------------------------------------------------------------------------


def test_each_step_goes_once_on_its_day_csm_at_every_step_and_ae_at_60_and_30(sessions):
    """Scanning daily for 130 days sends T-120/90/60/30 to the CSM and T-60/30 to the AE, each exactly once, and
    the day after the renewal date the owner's outcome question."""
    renewal = START + timedelta(days=125)
    cid = customer(sessions, renewal)
    sent = run_days(sessions, START, renewal + timedelta(days=3))
    r = renewal.isoformat()
    assert sent == {
        renewal - timedelta(days=120): [f"renewal:{cid}:{r}:120"],
        renewal - timedelta(days=90): [f"renewal:{cid}:{r}:90"],
        renewal - timedelta(days=60): [f"renewal:{cid}:{r}:60", f"renewal:{cid}:{r}:60:ae"],
        renewal - timedelta(days=30): [f"renewal:{cid}:{r}:30", f"renewal:{cid}:{r}:30:ae"],
        renewal + timedelta(days=1): [f"renewal:{cid}:{r}:outcome:0"],
    }
    sent_rows = rows(sessions, status="queued")
    assert [(o.recipient, o.kind, o.step) for o in sent_rows] == [
        ("U_CSM", "renewal", 120),
        ("U_CSM", "renewal", 90),
        ("U_CSM", "renewal", 60),
        ("U_AE", "renewal.ae", 60),
        ("U_CSM", "renewal", 30),
        ("U_AE", "renewal.ae", 30),
        ("U_CSM", "renewal.outcome", None),
    ]
    assert rows(sessions, status="skipped") == []


def test_a_late_scan_sends_only_the_nearest_step_and_records_the_older_ones_as_superseded(sessions, established):
    """A customer 50 days from renewal gets the T-60 reminder; T-120 and T-90 are skipped as superseded."""
    cid = customer(sessions, START + timedelta(days=50))
    planned = scan(sessions, START)
    assert [(m.user, m.step) for m in messages(planned)] == [("U_CSM", 60), ("U_AE", 60)]
    superseded = {(s.step, s.kind): s.reason for s in skips(planned)}
    assert set(superseded) == {(120, "renewal"), (90, "renewal")}
    assert all("superseded by the T-60 reminder" in r for r in superseded.values())
    assert {o.key for o in rows(sessions, status="skipped")} == {
        f"renewal:{cid}:{(START + timedelta(days=50)).isoformat()}:{s}" for s in (120, 90)
    }
    assert messages(scan(sessions, START + timedelta(days=1))) == []


def test_the_first_scan_after_install_only_catches_up_the_last_week(sessions):
    """Install day: a T-90 five days late is sent; a T-60 ten days late is recorded as skipped (no flood of
    reminders for every customer within 120 days), and that customer's T-30 comes on its day."""
    recent = customer(sessions, START + timedelta(days=85), name="Recent", ae_user_id=None)
    older = customer(sessions, START + timedelta(days=50), name="Older", ae_user_id=None)
    planned = scan(sessions, START)
    assert [(m.customer_id, m.step) for m in messages(planned)] == [(recent, 90)]
    (skip,) = [s for s in skips(planned) if s.customer_id == older and s.kind == "renewal"]
    assert (skip.step, skip.reason) == (60, "the T-60 day was 10 days before Baton's renewal reminders started")
    sent = run_days(sessions, START + timedelta(days=1), START + timedelta(days=20))
    assert sent == {START + timedelta(days=20): [f"renewal:{older}:{START + timedelta(days=50)}:30"]}


def test_configured_steps_and_ae_steps_are_used(sessions):
    """renewal.days 45,15 and renewal.ae_days 15: the CSM hears at T-45 and T-15, the AE at T-15 only."""
    with sessions.begin() as db:
        team_config.set_value(db, TEAM, "renewal.days", "15,45", now=at_nine(START))
        team_config.set_value(db, TEAM, "renewal.ae_days", "15", now=at_nine(START))
    renewal = START + timedelta(days=50)
    customer(sessions, renewal)
    sent = run_days(sessions, START, renewal)
    assert {d: [k.split(":", 3)[3] for k in keys] for d, keys in sent.items()} == {
        renewal - timedelta(days=45): ["45"],
        renewal - timedelta(days=15): ["15", "15:ae"],
    }


def test_a_renewal_date_moved_later_does_not_resend_a_step_already_sent(sessions):
    """T-90 sent for Jun 1; the date moves to Jun 15: no second T-90, the next reminder is T-60 of Jun 15."""
    first = START + timedelta(days=90)
    cid = customer(sessions, first)
    assert [m.step for m in messages(scan(sessions, START))] == [90]
    moved = first + timedelta(days=14)
    set_renewal(sessions, cid, moved)
    sent = run_days(sessions, START + timedelta(days=1), moved - timedelta(days=31))
    assert sent == {moved - timedelta(days=60): [f"renewal:{cid}:{moved}:60", f"renewal:{cid}:{moved}:60:ae"]}
    (skip,) = rows(sessions, status="skipped", step=90)
    assert skip.key == f"renewal:{cid}:{moved}:90"
    assert f"already reminded for the renewal date {first}" in skip.reason


def test_a_renewal_date_moved_earlier_sends_the_step_now_due_once(sessions):
    """T-90 sent; the renewal moves 40 days earlier (50 days away): T-60 goes at once, T-90 is not repeated."""
    first = START + timedelta(days=90)
    cid = customer(sessions, first)
    scan(sessions, START)
    moved = START + timedelta(days=50)
    set_renewal(sessions, cid, moved)
    planned = scan(sessions, START + timedelta(days=1))
    assert [(m.key, m.step) for m in messages(planned)] == [
        (f"renewal:{cid}:{moved}:60", 60),
        (f"renewal:{cid}:{moved}:60:ae", 60),
    ]
    assert skips(planned) == []  # T-120 was settled (superseded) for the first date: not reconsidered


def test_next_years_renewal_starts_a_new_ladder(sessions):
    """Renewed: the date moves a year on, and the ladder starts again with T-120."""
    first = START + timedelta(days=30)
    cid = customer(sessions, first)
    scan(sessions, START)
    nxt = first + timedelta(days=365)
    set_renewal(sessions, cid, nxt)
    assert messages(scan(sessions, first + timedelta(days=1))) == []
    planned = scan(sessions, nxt - timedelta(days=120))
    assert [m.key for m in messages(planned)] == [f"renewal:{cid}:{nxt}:120"]


def test_churned_customers_and_past_or_missing_renewals_are_not_reminded(sessions, established):
    """Only customers renewing today or later, not churned, with a renewal date, get reminders."""
    customer(sessions, START + timedelta(days=30), name="Gone Inc", stage="churned")
    customer(sessions, START - timedelta(days=1), name="Past Inc")
    add_customer(sessions, "Undated Inc", owner_user_id="U_CSM")
    today = customer(sessions, START, name="Today Inc")
    planned = scan(sessions, START)
    assert {m.customer_id for m in messages(planned)} == {today}


def test_no_owner_is_skipped_with_a_reason_and_an_ae_who_is_the_owner_gets_no_second_dm(sessions):
    """No owner CSM: a skip saying so. The AE is the owner: the CSM reminder only."""
    orphan = customer(sessions, START + timedelta(days=60), name="Orphan", owner_user_id=None)
    same = customer(sessions, START + timedelta(days=60), name="Same", owner_user_id="U_BOTH", ae_user_id="U_BOTH")
    planned = scan(sessions, START)
    assert [(m.customer_id, m.user, m.kind) for m in messages(planned)] == [
        (orphan, "U_AE", "renewal.ae"),
        (same, "U_BOTH", "renewal"),
    ]
    reasons = {(s.customer_id, s.kind): s.reason for s in skips(planned)}
    assert "no owner CSM" in reasons[(orphan, "renewal")]
    assert "also the owner CSM" in reasons[(same, "renewal.ae")]


# --- mutes and snoozes ------------------------------------------------------------------------------------------


def test_a_muted_customer_and_a_paused_kind_are_skipped_and_come_back_after_the_pause(sessions, established):
    """Muting a customer skips its reminders for that person for good; pausing renewals skips them for 7 days."""
    muted = customer(sessions, START + timedelta(days=90), name="Muted", ae_user_id=None)
    other = customer(sessions, START + timedelta(days=97), name="Other", owner_user_id="U_CSM2", ae_user_id=None)
    now = at_nine(START)
    with sessions.begin() as db:
        reminders.mute_customer(db, TEAM, "U_CSM", muted, now=now)
        reminders.pause_kind(db, TEAM, "U_CSM2", "renewal", now=now)
    planned = scan(sessions, START)
    assert messages(planned) == []
    assert sorted((s.customer_id, s.step, s.reason) for s in skips(planned)) == [
        (muted, 90, "muted by U_CSM"),
        (muted, 120, "superseded by the T-90 reminder (the T-120 day passed unsent)"),
        (other, 120, "muted by U_CSM2"),
    ]
    sent = run_days(sessions, START + timedelta(days=1), START + timedelta(days=40))
    renewal = START + timedelta(days=97)
    assert sent == {
        START + timedelta(days=7): [f"renewal:{other}:{renewal}:90"],
        START + timedelta(days=37): [f"renewal:{other}:{renewal}:60"],
    }
    assert rows(sessions, customer_id=muted, status="queued") == []


def test_a_snoozed_reminder_comes_back_seven_days_later_and_can_be_snoozed_again(sessions):
    """Snooze on T-90: nothing for six days, then the same step again (:s1); snoozed again, back a week later."""
    renewal = START + timedelta(days=90)
    cid = customer(sessions, renewal)
    (first,) = messages(scan(sessions, START))
    with sessions.begin() as db:
        assert reminders.snooze(db, TEAM, first.key, "U_CSM", now=at_nine(START) + timedelta(hours=5)).status == "ok"
    sent = run_days(sessions, START + timedelta(days=1), START + timedelta(days=7))
    assert sent == {START + timedelta(days=7): [f"renewal:{cid}:{renewal}:90:s1"]}
    again = rows(sessions, key=f"renewal:{cid}:{renewal}:90:s1")[0]
    assert again.step == 90 and schedules.data_of(again)["base"] == first.key
    assert "Back from snooze" in schedules.parts_of(again)[1][0].text + str(schedules.parts_of(again)[1][0].blocks)
    with sessions.begin() as db:
        reminders.snooze(db, TEAM, again.key, "U_CSM", now=at_nine(START + timedelta(days=7)))
    sent = run_days(sessions, START + timedelta(days=8), START + timedelta(days=14))
    assert sent == {START + timedelta(days=14): [f"renewal:{cid}:{renewal}:90:s2"]}


def test_a_snooze_ending_after_the_next_step_is_due_is_not_resent(sessions):
    """T-60 snoozed late (4 days before T-30): T-30 is sent on its day and the T-60 snooze does not come back."""
    renewal = START + timedelta(days=60)
    cid = customer(sessions, renewal, ae_user_id=None)
    scan(sessions, START)
    with sessions.begin() as db:
        reminders.snooze(db, TEAM, f"renewal:{cid}:{renewal}:60", "U_CSM", now=at_nine(START + timedelta(days=26)))
    sent = run_days(sessions, START + timedelta(days=1), START + timedelta(days=40))
    assert sent == {START + timedelta(days=30): [f"renewal:{cid}:{renewal}:30"]}


def test_an_acknowledged_reminder_is_not_resent_even_if_it_was_snoozed_first(sessions):
    """Snooze then Acknowledge: the snooze is dropped, nothing comes back."""
    renewal = START + timedelta(days=90)
    cid = customer(sessions, renewal)
    scan(sessions, START)
    key = f"renewal:{cid}:{renewal}:90"
    with sessions.begin() as db:
        reminders.snooze(db, TEAM, key, "U_CSM", now=at_nine(START))
        outcome = reminders.acknowledge(db, TEAM, key, "U_CSM", now=at_nine(START))
        assert outcome.status == "ok" and outcome.row.snoozed_until is None
    assert run_days(sessions, START + timedelta(days=1), START + timedelta(days=20)) == {}


def test_only_the_recipient_acts_and_a_second_click_changes_nothing(sessions):
    """Someone else's Acknowledge is refused; the recipient's second one reports it done already."""
    cid = customer(sessions, START + timedelta(days=90))
    (m,) = messages(scan(sessions, START))
    now = at_nine(START)
    with sessions.begin() as db:
        assert reminders.acknowledge(db, TEAM, m.key, "U_OTHER", now=now).status == "not_yours"
        assert reminders.acknowledge(db, TEAM, m.key, "U_CSM", now=now).status == "ok"
        later = reminders.acknowledge(db, TEAM, m.key, "U_CSM", now=now + timedelta(hours=1))
        assert later.status == "already" and later.row.acted_at == now
        assert reminders.snooze(db, TEAM, m.key, "U_CSM", now=now).status == "already"
        assert reminders.acknowledge(db, TEAM, "renewal:999:2026-01-01:90", "U_CSM", now=now).status == "gone"
    assert cid


# --- what the reminder says -------------------------------------------------------------------------------------


@pytest.fixture
def rich(sessions):
    """A customer 90 days from renewal, at risk, with promises (one overdue) and a VoC note."""
    renewal = START + timedelta(days=90)
    cid = customer(sessions, renewal, name="Globex Korea", segment=None)
    with sessions.begin() as db:
        for signal, days_ago, value in [("nps", 40, 9), ("nps", 2, 5), ("csat", 2, 2.5)]:
            db.add(
                HealthSnapshot(
                    team_id=TEAM, customer_id=cid, signal=signal, as_of=START - timedelta(days=days_ago), value=value
                )
            )
        h = Handoff(team_id=TEAM, customer_id=cid, status=SUBMITTED, customer_name="Globex Korea")
        db.add(h)
        db.flush()
        for i, due in enumerate([START - timedelta(days=3), START + timedelta(days=9), None]):
            db.add(Promise(team_id=TEAM, handoff_id=h.id, customer_id=cid, position=i, text=f"p{i}", due_date=due))
        db.add(Promise(team_id=TEAM, handoff_id=h.id, customer_id=cid, text="done", status="done"))
        db.add(HealthScore(team_id=TEAM, customer_id=cid, day=START - timedelta(days=31), score=88.0, band="healthy"))
        for days, quote in [(20, "old quote"), (3, "Exports are too slow for our finance team")]:
            db.add(
                VocNote(
                    team_id=TEAM,
                    customer_id=cid,
                    quote=quote,
                    source_kind="command",
                    source_key=f"k{days}",
                    created_by="U_CSM",
                    created_at=at_nine(START) - timedelta(days=days),
                )
            )
    return cid


def test_the_state_is_computed_for_the_reminded_customer(sessions, rich):
    """Score and band now, the change since the score stored 30 days ago, ARR, days left, open and overdue
    promises, the latest VoC note."""
    with sessions.begin() as db:
        state = renewals.states(db, TEAM, [rich], START, HealthRules())[rich]
    assert state.band in ("at_risk", "unhealthy") and state.score is not None
    assert state.delta_30d == pytest.approx(state.score - 88.0)
    assert (state.days_left, state.open_promises, state.overdue_promises) == (90, 3, 1)
    assert state.voc_quote == "Exports are too slow for our finance team"
    assert state.voc_on == START - timedelta(days=3)


def rating(sessions, cid: int, day: date, value: float, note: str | None, by: str = "U_CSM") -> None:
    with sessions.begin() as db:
        db.add(
            HealthSnapshot(
                team_id=TEAM, customer_id=cid, signal="csm_rating", source="slack", as_of=day, value=value,
                note=note, recorded_by=by,
            )
        )  # fmt: skip


def test_the_state_carries_the_csms_latest_rating_of_the_last_half_year(sessions, rich):
    """The latest csm_rating snapshot (its note, who, when) is the reminder's; one over 180 days old is not."""
    rating(sessions, rich, START - timedelta(days=30), 4, "Was fine")
    rating(sessions, rich, START - timedelta(days=5), 2, "Champion left", by="U_OTHER")
    other = customer(sessions, START + timedelta(days=60), name="Initech")
    rating(sessions, other, START - timedelta(days=181), 5, None)
    with sessions.begin() as db:
        states = renewals.states(db, TEAM, [rich, other], START, HealthRules())
    r = states[rich].rating
    assert (r.rating, r.note, r.by, r.as_of) == (2, "Champion left", "U_OTHER", START - timedelta(days=5))
    assert states[other].rating is None


def test_the_t90_reminder_shows_the_csms_rating(sessions, rich):
    rating(sessions, rich, START - timedelta(days=5), 2, "Champion left")
    (m,) = [x for x in messages(scan(sessions, START)) if x.user == "U_CSM"]
    assert "🧑‍💼 CSM rating 2/5 · <@U_CSM> · Feb 25, 2026: “Champion left”" in json.dumps(
        m.parts[0].blocks, ensure_ascii=False
    )


def test_the_t90_reminder_shows_the_state_and_asks_for_the_success_plan(sessions, rich):
    """The CSM's T-90 DM: health, ARR, renewal date and days, promises, VoC, the Success Plan ask, 3 buttons."""
    (m,) = [x for x in messages(scan(sessions, START)) if x.user == "U_CSM"]
    text = str(m.parts[0].blocks)
    assert m.parts[0].text == "Globex Korea renews in 90 days"
    for expected in ("$120,000", "May 31, 2026 (in 90 days)", "3 open · ⚠️ 1 overdue", "Exports are too slow",
                     "Customer Success Plan", "<@U_AE>", "in 30 days)"):  # fmt: skip
        assert expected in text, expected
    buttons = [e["action_id"] for b in m.parts[0].blocks if b["type"] == "actions" for e in b["elements"]]
    assert buttons == ["reminder_ack", "reminder_snooze", "reminder_hand_ae", "reminder_open_card", "reminder_menu"]


def test_other_steps_do_not_ask_for_the_success_plan_and_the_ae_gets_no_hand_to_ae(sessions):
    """T-60: no Success Plan line; the AE's DM has Acknowledge and Snooze but no Hand to AE."""
    customer(sessions, START + timedelta(days=60))
    by_user = {m.user: m for m in messages(scan(sessions, START))}
    assert "Success Plan" not in str(by_user["U_CSM"].parts[0].blocks)
    ae_buttons = [
        e["action_id"] for b in by_user["U_AE"].parts[0].blocks if b["type"] == "actions" for e in b["elements"]
    ]
    assert "reminder_hand_ae" not in ae_buttons and "reminder_ack" in ae_buttons
    assert "<@U_CSM>" in str(by_user["U_AE"].parts[0].blocks)


def test_each_recipient_reads_it_in_their_language(sessions):
    """A Korean CSM gets Korean; the AE gets English."""
    customer(sessions, START + timedelta(days=60))
    planned = scan(sessions, START, locale_for=lambda u: "ko" if u == "U_CSM" else "en")
    by_user = {m.user: m for m in messages(planned)}
    assert by_user["U_CSM"].parts[0].text == "Acme Corp. 갱신까지 60일"
    assert "2026년 5월 1일" in str(by_user["U_CSM"].parts[0].blocks)
    assert by_user["U_AE"].parts[0].text == "Acme Corp. renews in 60 days"


def test_a_team_scans_on_its_own_local_day(sessions):
    """At 00:30 UTC it is already the next day in Seoul: the step due that local day is sent."""
    with sessions.begin() as db:
        team_config.set_value(db, TEAM, "timezone", "Asia/Seoul", now=at_nine(START))
    renewal = START + timedelta(days=91)  # T-90 falls on START + 1 (Seoul)
    customer(sessions, renewal)
    now = datetime.combine(START, datetime.min.time(), tzinfo=UTC) + timedelta(hours=24, minutes=30)
    with sessions.begin() as db:
        cfg = team_config.load(db, TEAM, DEFAULTS)
    assert cfg.today(now) == START + timedelta(days=1)
    assert [m.step for m in messages(scan(sessions, START, now=now))] == [90]
    fires = renewals_job.SCHEDULE.fires(cfg, now - timedelta(days=1), now)
    assert [f.astimezone(cfg.tz).hour for f in fires] == [9]


def test_customers_beyond_the_ladder_get_nothing_recorded(sessions):
    """Customers renewing after the longest step are left alone: no message, no skip row."""
    for i in range(30):
        customer(sessions, START + timedelta(days=121 + i), name=f"Far {i}")
    cid = customer(sessions, START + timedelta(days=30), name="Near")
    scan(sessions, START)
    assert {(o.customer_id, o.step, o.status) for o in rows(sessions)} == {
        (cid, 30, "queued"),
        (cid, 60, "skipped"),
        (cid, 90, "skipped"),
        (cid, 120, "skipped"),
    }
