"""The onboarding playbook: tasks made for accepted handoffs, reminders on the due date and while overdue,
done tasks left alone, snooze, mutes, owners, and the overdue list the digest shows."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot.jobs import onboarding as onboarding_job
from bot.models import Customer, Handoff, OnboardingTask
from bot.models.handoff import ACCEPTED, SUBMITTED
from bot.services import onboarding, reminders, schedules, team_config
from bot.services.health_config import HealthRules
from bot.services.schedules import Context, Message, Skip
from tests.conftest import TEAM
from tests.services.conftest import add_customer

START = date(2026, 3, 2)
DEFAULTS = team_config.Defaults(timezone="UTC", locale="en", handoff_channel="C0HANDOFF")


def at_nine(day: date, zone: str = "UTC") -> datetime:
    return datetime.combine(day, datetime.min.time().replace(hour=9), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def scan(sessions, day: date, *, now: datetime | None = None, locale_for=None):
    """One daily onboarding scan on `day` as the worker runs it: new playbooks first, then plan and record."""
    now = now or at_nine(day)
    with sessions.begin() as db:
        cfg = team_config.load(db, TEAM, DEFAULTS)
    ctx = Context(cfg=cfg, fire=now, now=now, rules=HealthRules(), locale_for=locale_for or (lambda _u: "en"))
    while True:
        with sessions.begin() as db:
            if not onboarding.prepare(db, ctx, False):
                break
    with sessions.begin() as db:
        planned = onboarding_job.plan(db, ctx)
        schedules.record(db, TEAM, onboarding.NAME, planned, fire=now, now=now)
    return planned


def messages(planned) -> list[Message]:
    return [p for p in planned if isinstance(p, Message)]


def handoff(sessions, name: str = "Acme Corp.", *, accepted: datetime | None, status: str = ACCEPTED, **fields):
    """A customer and its handoff (accepted at `accepted`); returns (customer id, handoff id)."""
    owner = fields.pop("owner", "U_CSM")
    cid = add_customer(sessions, name, owner_user_id=owner, stage=fields.pop("stage", "onboarding"))
    with sessions.begin() as db:
        h = Handoff(
            team_id=TEAM,
            customer_id=cid,
            status=status,
            customer_name=name,
            accepted_at=accepted,
            accepted_by="U_CSM" if accepted else None,
            csm_user_id=fields.pop("csm", "U_CSM2"),
            success_criteria=fields.pop("criteria", "Onboarding time: 10 days -> 3 days"),
            **fields,
        )
        db.add(h)
        db.flush()
        return cid, h.id


def tasks(sessions, handoff_id: int) -> dict[str, OnboardingTask]:
    with sessions.begin() as db:
        out = {t.milestone: t for t in db.exec(select(OnboardingTask).where(OnboardingTask.handoff_id == handoff_id))}
        for t in out.values():
            db.expunge(t)
        return out


def run_days(sessions, first: date, last: date) -> dict[date, list[str]]:
    sent: dict[date, list[str]] = {}
    day = first
    while day <= last:
        keys = [m.key for m in messages(scan(sessions, day))]
        if keys:
            sent[day] = keys
        day += timedelta(days=1)
    return sent


# --- tasks -------------------------------------------------------------------------------------------------


def test_an_accepted_handoff_gets_its_three_milestones_once(sessions):
    """Kickoff due 7 days after acceptance, activation and training 30; running twice adds nothing."""
    _cid, hid = handoff(sessions, accepted=at_nine(START))
    scan(sessions, START)
    scan(sessions, START)
    got = tasks(sessions, hid)
    assert {m: t.due_date for m, t in got.items()} == {
        "kickoff": START + timedelta(days=7),
        "activation": START + timedelta(days=30),
        "training": START + timedelta(days=30),
    }


def test_due_dates_follow_the_settings_and_the_teams_local_day(sessions):
    """onboarding.kickoff_days 3; accepted at 23:30 UTC = the next morning in Seoul: due 3 Seoul days later."""
    with sessions.begin() as db:
        team_config.set_value(db, TEAM, "onboarding.kickoff_days", "3", now=at_nine(START))
        team_config.set_value(db, TEAM, "onboarding.training_days", "14", now=at_nine(START))
        team_config.set_value(db, TEAM, "timezone", "Asia/Seoul", now=at_nine(START))
    accepted = datetime.combine(START, datetime.min.time(), tzinfo=UTC) + timedelta(hours=23, minutes=30)
    _cid, hid = handoff(sessions, accepted=accepted)
    scan(sessions, START + timedelta(days=1), now=at_nine(START + timedelta(days=1), "Asia/Seoul"))
    got = {m: t.due_date for m, t in tasks(sessions, hid).items()}
    assert got == {
        "kickoff": START + timedelta(days=4),
        "activation": START + timedelta(days=31),
        "training": START + timedelta(days=15),
    }


def test_drafts_submitted_and_long_ago_accepted_handoffs_get_no_playbook(sessions):
    """Only handoffs accepted within the last 90 days get tasks (no flood of ancient overdue kickoffs)."""
    _a, draft = handoff(sessions, "Draft Co", accepted=None, status=SUBMITTED)
    _b, old = handoff(sessions, "Old Co", accepted=at_nine(START) - timedelta(days=91))
    _c, recent = handoff(sessions, "Recent Co", accepted=at_nine(START) - timedelta(days=89))
    scan(sessions, START)
    assert tasks(sessions, draft) == {} and tasks(sessions, old) == {}
    assert len(tasks(sessions, recent)) == 3


# --- reminders ---------------------------------------------------------------------------------------------


def test_reminders_come_on_the_due_date_the_day_after_then_weekly(sessions):
    """Kickoff (due day 7) is reminded on days 7, 8, 15 and 22; activation and training on day 30."""
    _cid, hid = handoff(sessions, accepted=at_nine(START))
    sent = run_days(sessions, START, START + timedelta(days=30))
    kickoff = tasks(sessions, hid)["kickoff"].id
    assert {d - START: keys for d, keys in sent.items() if all(f":{kickoff}:" in k for k in keys)} == {
        timedelta(days=7): [f"onboarding:{kickoff}:0"],
        timedelta(days=8): [f"onboarding:{kickoff}:1"],
        timedelta(days=15): [f"onboarding:{kickoff}:8"],
        timedelta(days=22): [f"onboarding:{kickoff}:15"],
        timedelta(days=29): [f"onboarding:{kickoff}:22"],
    }
    assert len(sent[START + timedelta(days=30)]) == 2  # activation and training, due that day


def test_done_tasks_are_never_reminded_again(sessions):
    """Marked done from the day-0 reminder: no day-1 or weekly reminders; the other milestones go on."""
    _cid, hid = handoff(sessions, accepted=at_nine(START))
    (m,) = messages(scan(sessions, START + timedelta(days=7)))
    with sessions.begin() as db:
        outcome = onboarding.mark_done(db, TEAM, m.key, "U_CSM", now=at_nine(START + timedelta(days=7)))
        assert outcome.status == "ok"
    assert tasks(sessions, hid)["kickoff"].done_by == "U_CSM"
    sent = run_days(sessions, START + timedelta(days=8), START + timedelta(days=40))
    kickoff = tasks(sessions, hid)["kickoff"].id
    assert not [k for keys in sent.values() for k in keys if f":{kickoff}:" in k]
    assert len(sent[START + timedelta(days=30)]) == 2
    with sessions.begin() as db:
        again = onboarding.mark_done(db, TEAM, m.key, "U_CSM", now=at_nine(START + timedelta(days=8)))
        assert again.status == "already" and again.by == "U_CSM"


def test_only_the_owner_marks_a_task_done(sessions):
    """Someone else's Mark done is refused; the handoff's CSM (a possible owner) may."""
    _cid, hid = handoff(sessions, accepted=at_nine(START))
    (m,) = messages(scan(sessions, START + timedelta(days=7)))
    with sessions.begin() as db:
        assert onboarding.mark_done(db, TEAM, m.key, "U_OTHER", now=at_nine(START)).status == "not_yours"
        assert onboarding.mark_done(db, TEAM, m.key, "U_CSM2", now=at_nine(START)).status == "ok"


def test_a_snooze_holds_the_reminders_for_seven_days(sessions):
    """Snoozed on the due date: no day-1 reminder; the next comes on day 7 (the snooze's end)."""
    _cid, hid = handoff(sessions, accepted=at_nine(START))
    due = START + timedelta(days=7)
    (m,) = messages(scan(sessions, due))
    with sessions.begin() as db:
        assert reminders.snooze(db, TEAM, m.key, "U_CSM", now=at_nine(due) + timedelta(hours=2)).status == "ok"
    sent = run_days(sessions, due + timedelta(days=1), due + timedelta(days=14))
    kickoff = tasks(sessions, hid)["kickoff"].id
    assert {d - due: keys for d, keys in sent.items() if any(f":{kickoff}:" in k for k in keys)} == {
        timedelta(days=7): [f"onboarding:{kickoff}:1"],
        timedelta(days=8): [f"onboarding:{kickoff}:8"],
    }


def test_after_downtime_only_the_latest_reminder_is_sent(sessions):
    """First run 20 days after the kickoff was due: one reminder (the day-15 one), not five."""
    _cid, hid = handoff(sessions, accepted=at_nine(START))
    planned = scan(sessions, START + timedelta(days=27))
    kickoff = tasks(sessions, hid)["kickoff"].id
    assert [m.key for m in messages(planned)] == [f"onboarding:{kickoff}:15"]


def test_the_owner_is_the_customers_owner_else_the_handoffs_csm_else_a_skip(sessions):
    """Owner CSM first; without one the handoff's CSM; with neither, a skip that says why."""
    handoff(sessions, "Owned", accepted=at_nine(START))
    handoff(sessions, "Csm Only", accepted=at_nine(START), owner=None)
    handoff(sessions, "Nobody", accepted=at_nine(START), owner=None, csm=None)
    planned = scan(sessions, START + timedelta(days=7))
    assert sorted(m.user for m in messages(planned)) == ["U_CSM", "U_CSM2"]
    (skip,) = [p for p in planned if isinstance(p, Skip)]
    assert "no owner" in skip.reason


def test_a_muted_customer_or_paused_onboarding_is_skipped(sessions):
    """Mute the customer: skipped. Pause onboarding reminders: skipped for 7 days, then reminded again."""
    a, _ = handoff(sessions, "Muted", accepted=at_nine(START))
    handoff(sessions, "Paused", accepted=at_nine(START), owner="U_CSM2")
    due = START + timedelta(days=7)
    with sessions.begin() as db:
        reminders.mute_customer(db, TEAM, "U_CSM", a, now=at_nine(due))
        reminders.pause_kind(db, TEAM, "U_CSM2", "onboarding", now=at_nine(due))
    planned = scan(sessions, due)
    assert messages(planned) == []
    assert sorted(s.reason for s in planned) == ["muted by U_CSM", "muted by U_CSM2"]
    sent = run_days(sessions, due + timedelta(days=1), due + timedelta(days=8))
    assert list(sent) == [due + timedelta(days=8)]  # the weekly one after the pause; Muted stays quiet
    assert len(sent[due + timedelta(days=8)]) == 1


def test_churned_customers_get_no_reminders(sessions):
    """A churned customer's open tasks are neither reminded nor listed as overdue."""
    cid, _hid = handoff(sessions, accepted=at_nine(START))
    scan(sessions, START)
    with sessions.begin() as db:
        c = db.get(Customer, cid)
        c.stage = "churned"
        db.add(c)
    assert messages(scan(sessions, START + timedelta(days=7))) == []
    with sessions.begin() as db:
        assert onboarding.overdue_tasks(db, TEAM, START + timedelta(days=20)) == []


def test_the_reminder_shows_the_milestone_the_checklist_and_the_success_criteria(sessions):
    """Day 8 of the kickoff: overdue by 1 day, the playbook checklist, the handoff's criteria, two buttons."""
    handoff(sessions, "Globex", accepted=at_nine(START))
    scan(sessions, START + timedelta(days=7))
    (m,) = messages(scan(sessions, START + timedelta(days=8)))
    text = str(m.parts[0].blocks)
    assert m.parts[0].text == "Kickoff for Globex is 1 day overdue"
    for expected in ("⚠️ Kickoff: overdue since Mar 9, 2026", "⬜ Product activation: due Apr 1, 2026",
                     "Onboarding time: 10 days -&gt; 3 days", "Handoff accepted Mar 2, 2026"):  # fmt: skip
        assert expected in text, expected
    buttons = [e["action_id"] for b in m.parts[0].blocks if b["type"] == "actions" for e in b["elements"]]
    assert buttons == ["reminder_snooze", "reminder_done", "reminder_open_card", "reminder_menu"]


def test_the_reminder_is_in_the_owners_language(sessions):
    """A Korean owner reads Korean."""
    handoff(sessions, "삼성 테스트", accepted=at_nine(START))
    (m,) = messages(scan(sessions, START + timedelta(days=7), locale_for=lambda _u: "ko"))
    assert m.parts[0].text == "삼성 테스트의 킥오프 기한이 오늘입니다"


# --- the overdue list ----------------------------------------------------------------------------------------


def test_overdue_tasks_lists_open_tasks_past_due_worst_first(sessions):
    """Open tasks past their due date, longest overdue first, with the owner; done and not-yet-due ones left out."""
    _a, first = handoff(sessions, "Early Co", accepted=at_nine(START))
    _b, second = handoff(sessions, "Later Co", accepted=at_nine(START + timedelta(days=5)), owner=None)
    scan(sessions, START + timedelta(days=12))
    with sessions.begin() as db:
        done = db.exec(select(OnboardingTask).where(OnboardingTask.handoff_id == second)).all()
        for t in done:
            if t.milestone == "activation":
                t.done_at, t.done_by = at_nine(START), "U_CSM2"
                db.add(t)
    today = START + timedelta(days=40)
    with sessions.begin() as db:
        got = onboarding.overdue_tasks(db, TEAM, today)
    assert [(o.customer_name, o.milestone, o.days_overdue, o.owner_user_id) for o in got] == [
        ("Early Co", "kickoff", 33, "U_CSM"),
        ("Later Co", "kickoff", 28, "U_CSM2"),
        ("Early Co", "activation", 10, "U_CSM"),
        ("Early Co", "training", 10, "U_CSM"),
        ("Later Co", "training", 5, "U_CSM2"),
    ]
    assert first
