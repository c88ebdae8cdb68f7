"""The cross-team meeting reminder: meeting dates (biweekly from the anchor week, monthly on the first such
weekday) across DST changes, the reminder the day before, stale once the meeting started, and the agenda."""

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bot.jobs import meeting as meeting_job
from bot.models import ACCEPTED, SUBMITTED, Handoff, HealthScore, OnboardingTask, Promise, RoadmapItem
from bot.services import digest, health, meeting, roadmap, team_config, voc
from bot.services import schedules as engine
from bot.services.health_config import HealthRules
from bot.services.schedules import Context
from tests.conftest import TEAM
from tests.services.conftest import add_customer

NY = ZoneInfo("America/New_York")
SEOUL = ZoneInfo("Asia/Seoul")


def cfg_of(tz: str = "UTC", **values: str) -> team_config.TeamConfig:
    """Resolved settings without a database (the defaults plus `values`, keys with __ for dots)."""
    merged = {k: team_config.Defaults(timezone=tz).value(k) for k in team_config.KEYS}
    merged.update({k.replace("__", "."): team_config.check_value(k.replace("__", "."), v) for k, v in values.items()})
    return team_config.TeamConfig(TEAM, merged)


def meeting_days(cfg, start: date, end: date) -> list[date]:
    out, day = [], start
    while day <= end:
        if meeting.is_meeting_day(cfg, day):
            out.append(day)
        day += timedelta(days=1)
    return out


# --- dates ---------------------------------------------------------------------------------------------------


def test_biweekly_meetings_fall_every_other_week_from_the_anchor_week():
    """Anchor Wednesday 2026-01-07, meetings on Thursday: the anchor week's Thursday, then every 14 days."""
    cfg = cfg_of(meeting__day="thu", meeting__anchor="2026-01-07", meeting__cadence="biweekly")
    days = meeting_days(cfg, date(2025, 12, 20), date(2026, 2, 28))
    assert days == [
        date(2025, 12, 25),
        date(2026, 1, 8),
        date(2026, 1, 22),
        date(2026, 2, 5),
        date(2026, 2, 19),
    ]


def test_monthly_meetings_fall_on_the_first_such_weekday():
    """Monthly on Monday: the first Monday of each month."""
    cfg = cfg_of(meeting__day="mon", meeting__cadence="monthly")
    assert meeting_days(cfg, date(2026, 1, 1), date(2026, 6, 30)) == [
        date(2026, 1, 5),
        date(2026, 2, 2),
        date(2026, 3, 2),
        date(2026, 4, 6),
        date(2026, 5, 4),
        date(2026, 6, 1),
    ]


@pytest.mark.parametrize(
    ("cadence", "anchor", "meeting_day", "reminder_utc", "start_utc"),
    [
        # biweekly Mondays from the anchor week: Feb 23 (EST), Mar 9 (EDT: the clocks change on Sunday Mar 8)
        ("biweekly", "2026-02-23", date(2026, 2, 23), datetime(2026, 2, 22, 15, 0), datetime(2026, 2, 23, 20, 0)),
        ("biweekly", "2026-02-23", date(2026, 3, 9), datetime(2026, 3, 8, 14, 0), datetime(2026, 3, 9, 19, 0)),
        # monthly: first Monday of October (EDT), of November (reminder on Sunday Nov 1, after the fall back)
        ("monthly", "2026-01-01", date(2026, 10, 5), datetime(2026, 10, 4, 14, 0), datetime(2026, 10, 5, 19, 0)),
        ("monthly", "2026-01-01", date(2026, 11, 2), datetime(2026, 11, 1, 15, 0), datetime(2026, 11, 2, 20, 0)),
    ],
)
def test_meeting_and_reminder_keep_local_time_across_dst(cadence, anchor, meeting_day, reminder_utc, start_utc):
    """10:00 the day before and 15:00 on the day stay local times in New York; UTC moves by an hour."""
    cfg = cfg_of("America/New_York", meeting__day="mon", meeting__cadence=cadence, meeting__anchor=anchor)
    window = datetime.combine(meeting_day, datetime.min.time(), tzinfo=UTC) - timedelta(days=3)
    fires = meeting.fires(cfg, window, window + timedelta(days=5))
    assert fires == [reminder_utc.replace(tzinfo=UTC)]
    assert fires[0].astimezone(NY).strftime("%Y-%m-%d %H:%M") == f"{meeting_day - timedelta(days=1)} 10:00"
    assert meeting.meeting_start(cfg, meeting_day) == start_utc.replace(tzinfo=UTC)
    assert meeting.meeting_of(cfg, fires[0]) == meeting_day
    assert meeting.useful_for(cfg, fires[0]) == start_utc.replace(tzinfo=UTC) - fires[0]


def test_reminder_found_after_a_long_outage_but_stale_after_the_meeting():
    """A monthly reminder missed by a worker down for weeks is still found (lookback 40 days); it is useful
    until the meeting starts, stale a minute after."""
    cfg = cfg_of("Asia/Seoul", meeting__day="thu", meeting__cadence="monthly", meeting__channel="C0MEET")
    fire = datetime(2026, 3, 4, 10, 0, tzinfo=SEOUL).astimezone(UTC)  # Wed before Thursday March 5
    start = datetime(2026, 3, 5, 15, 0, tzinfo=SEOUL).astimezone(UTC)
    assert engine.latest_fire(meeting_job.SCHEDULE, cfg, start - timedelta(minutes=1)) == fire
    assert start - timedelta(minutes=1) - fire <= meeting_job.SCHEDULE.useful_for(cfg, fire)
    late = start + timedelta(minutes=1)
    assert late - fire > meeting_job.SCHEDULE.useful_for(cfg, fire)
    found = engine.latest_fire(meeting_job.SCHEDULE, cfg, datetime(2026, 4, 1, tzinfo=UTC))
    assert found == fire


def test_schedule_is_off_without_a_channel():
    """No meeting.channel: the schedule is disabled and plans nothing."""
    assert not meeting_job.SCHEDULE.enabled(cfg_of())
    assert meeting_job.SCHEDULE.enabled(cfg_of(meeting__channel="C0MEET"))


def test_next_meeting_for_manual_runs():
    """A manual run prepares the next meeting that has not started yet."""
    cfg = cfg_of(meeting__day="thu", meeting__anchor="2026-01-01")
    assert meeting.next_meeting(cfg, datetime(2026, 1, 1, 14, 59, tzinfo=UTC)) == date(2026, 1, 1)
    assert meeting.next_meeting(cfg, datetime(2026, 1, 1, 15, 0, tzinfo=UTC)) == date(2026, 1, 15)


# --- the agenda ----------------------------------------------------------------------------------------------

TODAY = date(2026, 3, 4)  # Wednesday; the meeting is Thursday March 5
NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


def score(sessions, customer_id: int, band: str, value: float, day: date = TODAY) -> None:
    with sessions.begin() as db:
        db.add(HealthScore(team_id=TEAM, customer_id=customer_id, day=day, score=value, band=band))


def seed(sessions) -> dict:
    """Two at-risk customers (one churned, ignored), a healthy one renewing, a submitted and an accepted handoff,
    an overdue promise, a ranked roadmap item and an overdue onboarding task."""
    ids = {}
    ids["big"] = add_customer(
        sessions,
        "Big Risk",
        arr=Decimal("900000"),
        currency="USD",
        owner_user_id="U_CSM",
        renewal_date=date(2026, 5, 1),
    )
    ids["small"] = add_customer(sessions, "Small Risk", arr=Decimal("50000"), currency="USD", owner_user_id="U_CSM2")
    ids["gone"] = add_customer(sessions, "Churned Co", arr=Decimal("2000000"), currency="USD", stage="churned")
    ids["fine"] = add_customer(
        sessions, "Fine Inc", arr=Decimal("10000"), currency="USD", renewal_date=TODAY + timedelta(days=20)
    )
    score(sessions, ids["big"], "unhealthy", 22.0)
    score(sessions, ids["small"], "at_risk", 55.0, TODAY - timedelta(days=3))
    score(sessions, ids["small"], "healthy", 80.0, TODAY - timedelta(days=40))
    score(sessions, ids["gone"], "unhealthy", 10.0)
    score(sessions, ids["fine"], "healthy", 90.0)
    score(sessions, ids["fine"], "at_risk", 50.0, TODAY - timedelta(days=31))  # outside the window: not current
    with sessions.begin() as db:
        waiting = Handoff(
            team_id=TEAM,
            customer_id=ids["fine"],
            status=SUBMITTED,
            customer_name="Fine Inc",
            ae_user_id="U_AE",
            submitted_at=datetime(2026, 3, 2, 9, tzinfo=UTC),
            card_channel="C0CS",
            card_ts="1772442000.000100",
            arr=Decimal("10000"),
            currency="USD",
        )
        done = Handoff(team_id=TEAM, customer_id=ids["big"], status=ACCEPTED, card_channel="C0CS", card_ts="1.2")
        db.add_all([waiting, done])
        db.flush()
        ids["handoff"] = waiting.id
        db.add(
            Promise(
                team_id=TEAM,
                handoff_id=done.id,
                customer_id=ids["big"],
                text="SSO by March",
                owner_user_id="U_AE",
                due_date=TODAY - timedelta(days=2),
            )
        )
        db.add(Promise(team_id=TEAM, handoff_id=done.id, customer_id=ids["big"], text="later", due_date=TODAY))
        db.add(
            OnboardingTask(
                team_id=TEAM,
                customer_id=ids["big"],
                handoff_id=done.id,
                milestone="kickoff",
                due_date=TODAY - timedelta(days=5),
            )
        )
        item, _ = roadmap.create_item(db, TEAM, "SSO for everyone", "U_PM", "C0ROADMAP", now=NOW)
        item.ts = "1772000000.000500"
        db.add(item)
        db.flush()
        ids["item"] = item.id
        for cid in (ids["big"], ids["small"]):
            inp = voc.VocInput(cid, f"we need SSO {cid}", "feature_request", source_kind="command")
            note = voc.log_voc(db, TEAM, inp, "U_CSM", now=NOW).note
            roadmap.tag(db, TEAM, note.id, item.id, "U_CSM", now=NOW)
        db.add(RoadmapItem(team_id=TEAM, title="Nobody asked", created_by="U_PM", status="planned"))
    return ids


def test_agenda_lists_what_the_meeting_needs(sessions):
    """At-risk accounts by ARR (current scores only, churned left out), handoffs waiting with their card link,
    requests by ARR with their tally and parent message, renewals in 90 days, overdue promises, overdue tasks."""
    ids = seed(sessions)
    cfg = cfg_of(meeting__channel="C0MEET")
    start = cfg.at(date(2026, 3, 5), "meeting.time")
    with sessions.begin() as db:
        a = meeting.agenda(db, cfg, TODAY, start, HealthRules())
    assert [(r.name, r.band, r.score) for r in a.at_risk] == [
        ("Big Risk", "unhealthy", 22.0),
        ("Small Risk", "at_risk", 55.0),
    ]
    [h] = a.handoffs
    assert (h.handoff_id, h.ae, h.submitted, h.url) == (
        ids["handoff"],
        "U_AE",
        date(2026, 3, 2),
        "https://slack.com/archives/C0CS/p1772442000000100",
    )
    [theme] = a.themes
    assert (theme.title, theme.customers, theme.arr) == ("SSO for everyone", 2, (("USD", Decimal("950000")),))
    assert theme.url == "https://slack.com/archives/C0ROADMAP/p1772000000000500"
    assert a.theme_count == 1
    assert [(r.name, r.days, r.band) for r in a.renewals] == [
        ("Fine Inc", 20, "healthy"),
        ("Big Risk", 58, "unhealthy"),
    ]
    [p] = a.promises
    assert (p.customer, p.text, p.owner, p.days_overdue) == ("Big Risk", "SSO by March", "U_AE", 2)
    [task] = a.tasks
    assert (task.customer, task.milestone, task.days_overdue, task.owner) == ("Big Risk", "kickoff", 5, "U_CSM")


def test_plan_posts_one_agenda_in_the_meeting_channel(sessions):
    """The scheduled run keys the message by the meeting's local date and channel, in the channel locale."""
    seed(sessions)
    cfg = cfg_of("Asia/Seoul", meeting__channel="C0MEET", meeting__day="thu", locale="ko")
    fire = datetime(2026, 3, 4, 10, 0, tzinfo=SEOUL).astimezone(UTC)
    with sessions.begin() as db:
        [m] = meeting_job.plan(db, Context(cfg=cfg, fire=fire, now=fire))
    assert (m.key, m.kind, m.channel, m.subject) == ("meeting:2026-03-05:C0MEET", "meeting", "C0MEET", "2026-03-05")
    text = json.dumps(m.parts[0].blocks, ensure_ascii=False)
    assert "내일 부서 간 협업 회의" in text and "2026년 3월 5일 (목)" in text and "오후 3:00" in text
    assert "Big Risk" in text and "SSO for everyone" in text
    assert len(m.parts) == 1 and len(m.parts[0].blocks) <= 50


def test_manual_run_has_its_own_key(sessions):
    """`jobs run meeting` posts the next meeting's agenda under a manual key (never the scheduled one)."""
    cfg = cfg_of(meeting__channel="C0MEET", meeting__day="thu", meeting__anchor="2026-03-05")
    now = datetime(2026, 3, 3, 8, 30, 5, tzinfo=UTC)
    with sessions.begin() as db:
        [m] = meeting_job.plan(db, Context(cfg=cfg, fire=now, now=now, manual=True))
    assert m.key == "meeting:manual:20260303T083005:C0MEET" and m.subject == "2026-03-05"


def test_churned_customers_promises_stay_off_the_agenda(sessions):
    """A churned customer's overdue promise is not on the agenda."""
    cid = add_customer(sessions, "Old", stage="churned")
    with sessions.begin() as db:
        h = Handoff(team_id=TEAM, customer_id=cid, status=ACCEPTED)
        db.add(h)
        db.flush()
        db.add(Promise(team_id=TEAM, handoff_id=h.id, customer_id=cid, text="x", due_date=TODAY - timedelta(days=1)))
    cfg = cfg_of()
    with sessions.begin() as db:
        a = meeting.agenda(db, cfg, TODAY, cfg.at(TODAY, "meeting.time"), HealthRules())
    assert a.promises == [] and a.renewals == [] and a.at_risk == []


def test_at_risk_accounts_needing_action_this_week_come_first_by_the_digests_rule(sessions):
    """Worse this week (Healthy -> At risk, At risk -> Unhealthy, seen also when the latest score is from
    yesterday) or renewing within 90 days: first, by ARR (main currency first); then the others by ARR, however
    large (a chronic account, one that got better, one renewing in 120 days). The digest of the same day marks
    exactly the same customers as needing action."""
    ids = {}
    ids["chronic"] = add_customer(sessions, "Chronic", arr=Decimal("5000000"), currency="USD")
    ids["newly"] = add_customer(sessions, "Newly", arr=Decimal("100000"), currency="USD")
    ids["worse"] = add_customer(sessions, "Worse", arr=Decimal("200000"), currency="USD")
    ids["better"] = add_customer(sessions, "Better", arr=Decimal("300000"), currency="USD")
    ids["renewing"] = add_customer(
        sessions, "Renewing", arr=Decimal("900000000"), currency="KRW", renewal_date=TODAY + timedelta(days=60)
    )
    ids["far"] = add_customer(
        sessions, "Far", arr=Decimal("40000"), currency="USD", renewal_date=TODAY + timedelta(days=120)
    )
    ids["usd"] = add_customer(sessions, "Healthy USD", arr=Decimal("1"), currency="USD")  # USD is the main currency
    score(sessions, ids["chronic"], "unhealthy", 20.0, TODAY - timedelta(days=10))
    score(sessions, ids["chronic"], "unhealthy", 21.0)
    score(sessions, ids["newly"], "healthy", 75.0, TODAY - timedelta(days=7))  # the day before the week
    score(sessions, ids["newly"], "at_risk", 60.0)
    score(sessions, ids["worse"], "at_risk", 50.0, TODAY - timedelta(days=9))
    score(sessions, ids["worse"], "unhealthy", 35.0, TODAY - timedelta(days=1))  # nothing stored today
    score(sessions, ids["better"], "unhealthy", 30.0, TODAY - timedelta(days=8))
    score(sessions, ids["better"], "at_risk", 45.0)
    score(sessions, ids["renewing"], "at_risk", 55.0, TODAY - timedelta(days=20))
    score(sessions, ids["far"], "at_risk", 65.0)
    score(sessions, ids["usd"], "healthy", 90.0)
    cfg = cfg_of()
    with sessions.begin() as db:
        a = meeting.agenda(db, cfg, TODAY, cfg.at(TODAY, "meeting.time"), HealthRules())
        d = digest.build(db, TEAM, TODAY, HealthRules())
    assert [(r.name, r.urgent) for r in a.at_risk] == [
        ("Worse", True),
        ("Newly", True),
        ("Renewing", True),
        ("Chronic", False),
        ("Better", False),
        ("Far", False),
    ]
    assert {line.name for line in d.lines if line.urgent} == {r.name for r in a.at_risk if r.urgent}
    assert [line.name for line in d.lines[:3]] == ["Worse", "Newly", "Renewing"]


@pytest.mark.parametrize(
    ("crossing", "renewal_in", "expected"),
    [
        (("healthy", "at_risk"), None, True),
        (("healthy", "unhealthy"), None, True),
        (("at_risk", "unhealthy"), None, True),
        (("unhealthy", "at_risk"), None, False),  # better, if still bad
        (None, 0, True),
        (None, 90, True),
        (None, 91, False),
        (None, -1, False),  # a renewal date already past is not "renews within 90 days"
        (None, None, False),
    ],
)
def test_needs_action_is_one_rule(crossing, renewal_in, expected):
    """The rule the digest and the agenda share: worse this week, or renewing within 90 days."""
    net = (*crossing, TODAY) if crossing else None
    renewal = TODAY + timedelta(days=renewal_in) if renewal_in is not None else None
    assert health.needs_action(net, renewal, TODAY) is expected


def test_net_crossings_keep_the_weeks_first_and_last_band():
    """A wobble back to where the week started is no crossing; two steps count as one from the first band."""
    rows = [
        (1, "healthy", "at_risk", TODAY - timedelta(days=3)),
        (1, "at_risk", "healthy", TODAY - timedelta(days=2)),
        (2, "healthy", "at_risk", TODAY - timedelta(days=3)),
        (2, "at_risk", "unhealthy", TODAY - timedelta(days=1)),
    ]
    assert health.net_crossings(rows) == {2: ("healthy", "unhealthy", TODAY - timedelta(days=1))}


def test_flagged_handoffs_are_listed_apart_with_their_reason(sessions):
    """A submitted handoff a CSM flagged as a bad fit is not waiting for a CSM: it is listed apart with who
    flagged it, when (the team's date) and why; an accepted one flagged before is on neither list."""
    cid = add_customer(sessions, "Odd Fit", arr=Decimal("70000"), currency="EUR")
    with sessions.begin() as db:
        flagged = Handoff(
            team_id=TEAM,
            customer_id=cid,
            status=SUBMITTED,
            ae_user_id="U_AE",
            submitted_at=datetime(2026, 2, 20, 9, tzinfo=UTC),
            card_channel="C0CS",
            card_ts="1772442000.000200",
            arr=Decimal("70000"),
            currency="EUR",
            bad_fit_by="U_CSM",
            bad_fit_reason="Needs on-prem <!channel>",
            bad_fit_at=datetime(2026, 3, 3, 16, tzinfo=UTC),  # March 4 in Seoul
        )
        waiting = Handoff(
            team_id=TEAM, status=SUBMITTED, customer_name="Fresh", submitted_at=datetime(2026, 3, 3, tzinfo=UTC)
        )
        old = Handoff(
            team_id=TEAM,
            status=ACCEPTED,
            customer_name="Kept anyway",
            bad_fit_by="U_CSM",
            bad_fit_reason="x",
            bad_fit_at=datetime(2026, 2, 1, tzinfo=UTC),
        )
        db.add_all([flagged, waiting, old])
        db.flush()
        fid = flagged.id
    cfg = cfg_of("Asia/Seoul")
    with sessions.begin() as db:
        a = meeting.agenda(db, cfg, TODAY, cfg.at(TODAY, "meeting.time"), HealthRules())
    assert [h.customer for h in a.handoffs] == ["Fresh"]
    [f] = a.flagged
    assert (f.handoff_id, f.customer, f.arr, f.currency, f.flagged_by, f.flagged, f.reason, f.url) == (
        fid,
        "Odd Fit",
        Decimal("70000"),
        "EUR",
        "U_CSM",
        date(2026, 3, 4),
        "Needs on-prem <!channel>",
        "https://slack.com/archives/C0CS/p1772442000000200",
    )


def test_agenda_carries_the_teams_exchange_rates(sessions):
    """fx.rates set: the agenda carries them for its totals (as the digest does); unset: None."""
    with sessions.begin() as db:
        a = meeting.agenda(db, cfg_of(), TODAY, cfg_of().at(TODAY, "meeting.time"), HealthRules())
    assert a.fx is None
    cfg = cfg_of(fx__rates="USD: KRW=0.00072, EUR=1.08")
    with sessions.begin() as db:
        a = meeting.agenda(db, cfg, TODAY, cfg.at(TODAY, "meeting.time"), HealthRules())
    assert a.fx == ("USD", (("KRW", "0.00072"), ("EUR", "1.08")))
