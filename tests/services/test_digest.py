"""The weekly at-risk digest's data: who is listed and how, the week's changes, the totals, the schedule."""

import dataclasses
import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from bot.jobs import digest as digest_job
from bot.models import Customer, Handoff, HealthScore, HealthSnapshot, Occurrence, OnboardingTask
from bot.services import digest, health, schedules, team_config
from bot.services.health_config import HealthRules, health_rules_from_dict
from bot.services.schedules import Context, Message
from tests.conftest import TEAM
from tests.services.conftest import add_customer

TODAY = date(2026, 11, 23)  # a Monday, ISO week 48
NOW = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)  # 09:00 in Seoul
OTHER_TEAM = "T222"
RULES = HealthRules()


def ago(days: int) -> date:
    return TODAY - timedelta(days=days)


def scores(sessions, customer_id: int, rows: dict[int, float], team: str = TEAM) -> None:
    """Stored daily scores {days ago: score}, banded with the default rules."""
    with sessions.begin() as db:
        for days, score in rows.items():
            band = health.band_for(score, RULES.default)
            db.add(HealthScore(team_id=team, customer_id=customer_id, day=ago(days), score=score, band=band))


def snapshots(sessions, customer_id: int, team: str = TEAM, source: str = "manual", **series) -> None:
    """Snapshots {signal: [(days ago, value), ...]}."""
    with sessions.begin() as db:
        for signal, points in series.items():
            for days, value in points:
                db.add(
                    HealthSnapshot(
                        team_id=team,
                        customer_id=customer_id,
                        signal=signal,
                        as_of=ago(days),
                        value=value,
                        source=source,
                    )
                )


def build(sessions, day: date = TODAY, rules: HealthRules = RULES) -> digest.Digest:
    with sessions.begin() as db:
        return digest.build(db, TEAM, day, rules)


def config(sessions, channels: str = "C0CS,C0SALES", zone: str = "Asia/Seoul", locale: str = "en"):
    with sessions.begin() as db:
        team_config.set_value(db, TEAM, "digest.channels", channels, now=NOW)
        team_config.set_value(db, TEAM, "timezone", zone, now=NOW)
        team_config.set_value(db, TEAM, "locale", locale, now=NOW)
    with sessions.begin() as db:
        return team_config.load(db, TEAM, team_config.Defaults(timezone="UTC", locale="en", handoff_channel="C0H"))


# --- who is listed ---------------------------------------------------------------------------------------------


def test_lists_at_risk_and_unhealthy_by_latest_stored_score_worst_first(sessions):
    """Only customers whose latest stored score (within 30 days) is At risk or Unhealthy are listed, Unhealthy
    first, lowest score first; churned customers, other teams and scores too old are left out."""
    a = add_customer(sessions, "Alpha", arr=Decimal(1000), currency="USD")
    b = add_customer(sessions, "Bravo", arr=Decimal(5000), currency="USD")
    c = add_customer(sessions, "Charlie")
    healthy_now = add_customer(sessions, "Healed")
    churned = add_customer(sessions, "Gone", stage="churned")
    old = add_customer(sessions, "Old news")
    foreign = add_customer(sessions, "Elsewhere", team=OTHER_TEAM)
    future = add_customer(sessions, "Later")
    tie = add_customer(sessions, "Tied bigger", arr=Decimal(9000), currency="USD")
    scores(sessions, a, {0: 55})
    scores(sessions, b, {2: 30, 1: 35})  # latest is yesterday's
    scores(sessions, c, {0: 20})
    scores(sessions, healthy_now, {3: 20, 0: 80})
    scores(sessions, churned, {0: 10})
    scores(sessions, old, {31: 10})
    scores(sessions, foreign, {0: 10}, team=OTHER_TEAM)
    scores(sessions, future, {0: 90, -1: 10})  # tomorrow's row is not today's state
    scores(sessions, tie, {0: 55})
    d = build(sessions)
    assert [(x.name, x.band, x.score) for x in d.lines] == [
        ("Charlie", "unhealthy", 20),
        ("Bravo", "unhealthy", 35),
        ("Tied bigger", "at_risk", 55),  # same score: bigger ARR first
        ("Alpha", "at_risk", 55),
    ]
    assert d.counts == {"unhealthy": 2, "at_risk": 2}
    assert d.scored == 6  # Alpha, Bravo, Charlie, Healed, Later, Tied (not churned, not too old, not foreign)
    assert d.week == "2026-W48" and d.day == TODAY


def test_change_since_last_week_uses_the_score_on_or_before_seven_days_ago(sessions):
    """The change is against the latest score in [day-14, day-7]; none when there is none, or when the
    current score is itself that old."""
    exact = add_customer(sessions, "Exact")
    earlier = add_customer(sessions, "Earlier")
    fresh = add_customer(sessions, "Fresh")
    stale = add_customer(sessions, "Stale")
    too_old = add_customer(sessions, "Too old")
    scores(sessions, exact, {7: 62.5, 6: 99, 0: 50})  # day-6 is inside the week: not "last week"
    scores(sessions, earlier, {9: 30, 0: 45.5})
    scores(sessions, fresh, {0: 40})
    scores(sessions, stale, {10: 60})  # nothing newer: no change to report
    scores(sessions, too_old, {15: 90, 0: 39})
    d = {x.name: x.change for x in build(sessions).lines}
    assert d == {"Exact": -12.5, "Earlier": 15.5, "Fresh": None, "Stale": None, "Too old": None}


def test_fields_of_a_line(sessions):
    """A line carries the owner, ARR and currency, and the days to renewal from the digest's day."""
    cid = add_customer(
        sessions,
        "Acme",
        owner_user_id="U_CSM",
        arr=Decimal("120000.50"),
        currency="usd",
        renewal_date=ago(-45),
        segment="smb",
    )
    scores(sessions, cid, {0: 42})
    [line] = build(sessions).lines
    assert (line.customer_id, line.owner_user_id, line.arr, line.currency, line.days_to_renewal) == (
        cid,
        "U_CSM",
        Decimal("120000.50"),
        "USD",
        45,
    )


def test_lines_carry_the_owners_name_and_last_touch_and_the_digest_its_owners(sessions):
    """Rows name owners from Baton's user cache (another team's same user id does not count), each line has its
    latest touch, and the digest counts the listed customers per owner, most first."""
    from bot.models import SlackUser
    from bot.services import touches

    a = add_customer(sessions, "Alpha", owner_user_id="U_MINA")
    b = add_customer(sessions, "Bravo", owner_user_id="U_MINA")
    c = add_customer(sessions, "Charlie", owner_user_id="U_NEW")
    d = add_customer(sessions, "Delta")
    for cid in (a, b, c, d):
        scores(sessions, cid, {0: 30})
    with sessions.begin() as db:
        db.add(SlackUser(team_id=TEAM, user_id="U_MINA", name="Mina Park"))
        db.add(SlackUser(team_id=OTHER_TEAM, user_id="U_NEW", name="Not this team's"))
    found = build(sessions)
    assert not found.touches and all(x.last_touch is None for x in found.lines)
    with sessions.begin() as db:
        for idem, days in (("t1", 9), ("t2", 2)):
            touch = touches.TouchInput("call", "x", ago(days))
            touches.store(db, TEAM, a, touch, "U_MINA", idem=idem, now=NOW)
    found = build(sessions)
    by_id = {x.customer_id: x for x in found.lines}
    assert {cid: x.owner_name for cid, x in by_id.items()} == {a: "Mina Park", b: "Mina Park", c: None, d: None}
    assert by_id[a].last_touch == ago(2) and by_id[b].last_touch is None
    assert found.touches and found.owners == (("U_MINA", 2), ("U_NEW", 1))


# --- the week's changes --------------------------------------------------------------------------------------


def test_band_crossings_of_the_week_net_of_wobbles(sessions):
    """Crossings in the 7 days ending on the digest's day, first band before vs last band after: newly at risk,
    worsened to Unhealthy, recovered; a wobble back to where it started, or a crossing last week, is not."""
    newly = add_customer(sessions, "Newly")
    worse = add_customer(sessions, "Worse")
    better = add_customer(sessions, "Better")
    wobble = add_customer(sessions, "Wobble")
    last_week = add_customer(sessions, "Last week")
    improved = add_customer(sessions, "Improved")
    scores(sessions, newly, {8: 80, 3: 75, 2: 60, 0: 55})
    scores(sessions, worse, {7: 50, 1: 30})
    scores(sessions, better, {9: 30, 4: 50, 1: 75})
    scores(sessions, wobble, {7: 80, 4: 50, 2: 85})
    scores(sessions, last_week, {9: 80, 7: 50, 0: 45})  # crossed on day-7: last week's digest said it
    scores(sessions, improved, {7: 30, 0: 50})  # unhealthy -> at risk: listed with its change, not called out
    d = build(sessions)
    assert [c.name for c in d.newly_at_risk] == ["Newly"]
    assert [(c.name, c.before, c.after) for c in d.worsened] == [("Worse", "at_risk", "unhealthy")]
    assert [(c.name, c.before, c.after, c.day) for c in d.recovered] == [("Better", "unhealthy", "healthy", ago(1))]
    assert {c.name for c in d.crossings} == {"Newly", "Worse", "Better", "Improved"}


# --- totals ----------------------------------------------------------------------------------------------------


def test_totals_per_band_and_arr_at_risk_per_currency(sessions):
    """ARR at risk is summed per currency (the currency of most customers first); customers without ARR or
    currency are counted."""
    rows = [
        ("A", Decimal("100000"), "USD", 50),
        ("B", Decimal("250000.50"), "USD", 20),
        ("C", Decimal("150000000"), "KRW", 45),
        ("D", None, None, 30),
        ("E", Decimal("5000"), None, 60),
        ("F", Decimal("999999"), "USD", 90),  # healthy: not at risk
    ]
    for name, arr, currency, score in rows:
        scores(sessions, add_customer(sessions, name, arr=arr, currency=currency), {0: score})
    d = build(sessions)
    assert d.counts == {"unhealthy": 2, "at_risk": 3}
    assert d.arr_at_risk == {"KRW": Decimal("150000000"), "USD": Decimal("350000.50")}
    assert list(d.arr_at_risk) == ["USD", "KRW"]
    assert d.without_arr == 2


def test_lines_only_for_the_customers_shown_totals_over_everyone(sessions, monkeypatch):
    """Beyond MAX_LINES customers At risk or worse (all the digest draws) only the first ranked get a line; the
    counts and the ARR cover every one of them, and the blocks count the rest as not listed."""
    from bot.blocks import digest as blocks

    monkeypatch.setattr(digest, "MAX_LINES", 5)
    monkeypatch.setattr(blocks, "FIRST_CUSTOMERS", 2)
    monkeypatch.setattr(blocks, "PART_CUSTOMERS", 1)
    monkeypatch.setattr(blocks, "MAX_REPLIES", 3)
    with sessions.begin() as db:
        for i in range(12):
            c = Customer(team_id=TEAM, name=f"C{i:02d}", name_key=f"c{i:02d}", arr=Decimal(1000 + i), currency="USD")
            db.add(c)
            db.flush()
            db.add(HealthScore(team_id=TEAM, customer_id=c.id, day=ago(7), score=80, band=health.HEALTHY))
            score = 20 + (i % 6) * 10  # 20..70: Unhealthy and At risk, ties broken by ARR
            db.add(
                HealthScore(
                    team_id=TEAM, customer_id=c.id, day=TODAY, score=score, band=health.band_for(score, RULES.default)
                )
            )
    d = build(sessions)
    # Every one of them got worse this week (Healthy a week ago): they all need action, so they rank by ARR.
    assert [(x.name, x.score, x.change, x.urgent) for x in d.lines] == [
        ("C10", 60, -20, True),
        ("C09", 50, -30, True),
        ("C08", 40, -40, True),
        ("C07", 30, -50, True),
        ("C06", 20, -60, True),
    ]
    assert d.urgent == 10 and d.urgent_by_band == {"unhealthy": 4, "at_risk": 6}
    assert d.counts == {"unhealthy": 4, "at_risk": 6} and d.total == 10  # 70 points is Healthy
    assert d.arr_at_risk == {"USD": sum(Decimal(1000 + i) for i in range(12) if i % 6 != 5)}
    assert d.without_arr == 0
    parts = blocks.digest_parts(d, "en")
    assert len(parts) == 4  # the message (2 lines) and 3 replies of 1
    assert "*10 of 12* scored customers" in str(parts[0].blocks)
    assert "… and 5 more not listed here" in str(parts[-1].blocks)  # 10 - 2 - 3


def test_nobody_at_risk_and_no_scores_at_all(sessions):
    """With only healthy customers the digest is empty but knows how many were scored; with no stored score
    in the window it says none were scored."""
    assert build(sessions).scored == 0
    scores(sessions, add_customer(sessions, "Fine"), {0: 85})
    d = build(sessions)
    assert d.empty and d.scored == 1 and d.counts == {"unhealthy": 0, "at_risk": 0} and d.arr_at_risk == {}


def test_overdue_onboarding_items_are_included(sessions):
    """Open onboarding milestones past due on the digest's day are listed, longest overdue first; done and
    not-yet-due ones are not."""
    cid = add_customer(sessions, "Onboarding Co", owner_user_id="U_CSM")
    with sessions.begin() as db:
        h = Handoff(team_id=TEAM, customer_id=cid, status="accepted", csm_user_id="U_CSM2")
        db.add(h)
        db.flush()
        for milestone, due, done in (("kickoff", 10, False), ("activation", 2, False), ("training", 5, True)):
            db.add(
                OnboardingTask(
                    team_id=TEAM,
                    customer_id=cid,
                    handoff_id=h.id,
                    milestone=milestone,
                    due_date=ago(due),
                    done_at=NOW if done else None,
                )
            )
        db.add(OnboardingTask(team_id=TEAM, customer_id=cid, handoff_id=h.id, milestone="later", due_date=ago(-3)))
    d = build(sessions)
    assert [(o.milestone, o.days_overdue, o.owner_user_id) for o in d.overdue] == [
        ("kickoff", 10, "U_CSM"),
        ("activation", 2, "U_CSM"),
    ]


# --- the top driver ----------------------------------------------------------------------------------------------


def test_top_driver_pulls_the_score_down_most(sessions):
    """The top driver is the signal with the most negative impact on the score, with its latest value; when
    no signal pulls down, the weakest one."""
    low = add_customer(sessions, "Low usage")
    mild = add_customer(sessions, "Mild")
    scores(sessions, low, {0: 30})
    scores(sessions, mild, {0: 60})
    snapshots(sessions, low, nps=[(3, 8)], license_utilisation=[(20, 80), (1, 33)], csat=[(2, 2)])
    snapshots(sessions, mild, nps=[(1, 6)])  # one signal at 60: at risk, but nothing below 50
    d = {x.name: x.driver for x in build(sessions).lines}
    assert d["Low usage"] == digest.Driver("license_utilisation", 33)
    assert d["Mild"] == digest.Driver("nps", 6)


def test_top_driver_uses_segment_rules(sessions):
    """A segment's weights change which signal drives the score."""
    rules = health_rules_from_dict({"segments": {"smb": {"health": {"weights": {"nps": 0, "csat": 1}}}}})
    cid = add_customer(sessions, "Small", segment="SMB")
    scores(sessions, cid, {0: 30})
    snapshots(sessions, cid, nps=[(1, 0)], csat=[(1, 3)])
    [line] = build(sessions, rules=rules).lines
    assert line.driver == digest.Driver("csat", 3)


RANGES = {
    "active_users": (0, 500),
    "logins": (0, 5000),  # an alias of logins_30d
    "logins_30d": (0, 5000),
    "license_utilization": (0, 100),  # an alias of license_utilisation
    "license_utilisation": (0, 100),
    "key_feature_use": (0, 100),
    "tickets_30d": (0, 40),
    "nps": (0, 10),
    "csat": (1, 5),
    "champion_present": (0, 1),
    "last_meeting_days": (0, 120),
}


def test_reduced_history_scores_exactly_like_the_full_history(sessions):
    """On random histories (aliases, two sources a day, values older than the peak window, future values)
    the two-value-per-signal history gives the very Score the customer card computes."""
    rng = random.Random(7)
    boundary = add_customer(sessions, "Boundary")  # the peak sits exactly on the window's first day
    snapshots(sessions, boundary, active_users=[(91, 200), (90, 100), (0, 60)], nps=[(0, 9)])
    ids = [boundary]
    for n in range(40):
        cid = add_customer(sessions, f"Random {n}", segment=rng.choice([None, "smb"]))
        ids.append(cid)
        with sessions.begin() as db:
            for signal in rng.sample(sorted(RANGES), rng.randint(1, len(RANGES))):
                lo, hi = RANGES[signal]
                days = rng.sample(range(-5, 260), rng.randint(1, 25))
                if rng.random() < 0.2:
                    days = [d for d in days if d > 95] or [200]  # only values older than the peak window
                for d in days:
                    for source in rng.sample(["crm", "manual", "usage"], rng.randint(1, 2)):
                        value = round(rng.uniform(lo, hi)) if hi <= 10 or rng.random() < 0.5 else rng.uniform(lo, hi)
                        db.add(
                            HealthSnapshot(
                                team_id=TEAM, customer_id=cid, signal=signal, as_of=ago(d), value=value, source=source
                            )
                        )
    rules = health_rules_from_dict({"segments": {"smb": {"health": {"weights": {"nps": 30}}}}})
    for day, days_listed in ((TODAY, 1000), (TODAY, 0), (ago(3), 1000)):  # latest days as a list, or a subquery
        with sessions.begin() as db:
            reduced = digest.reduced_histories(db, TEAM, ids, day, days_listed=days_listed)
            for cid in ids:
                customer = db.get(Customer, cid)
                config = rules.for_customer(TEAM, customer.segment)
                full = health.customer_health(db, TEAM, customer, day, config).score
                assert health.score_at(reduced[cid], day, config) == full, cid
    with sessions.begin() as db:
        today = digest.reduced_histories(db, TEAM, [boundary], TODAY)[boundary]
    assert today["active_users"] == [health.Point(ago(health.PEAK_DAYS), 100), health.Point(TODAY, 60)]


# --- the schedule ----------------------------------------------------------------------------------------------


def test_schedule_fires_weekly_in_the_team_zone_and_is_off_without_channels(sessions):
    """The digest fires on the team's crontab in its zone; it is disabled when no channel is set; a missed
    digest stays useful until the next one; the lookback finds a whole week back."""
    cfg = config(sessions)
    fires = digest_job.SCHEDULE.fires(cfg, NOW - timedelta(days=14), NOW + timedelta(days=1))
    assert fires == [NOW - timedelta(days=14), NOW - timedelta(days=7), NOW]
    assert digest_job.SCHEDULE.enabled(cfg)
    assert digest_job.SCHEDULE.useful_for(cfg, NOW) == timedelta(days=7)
    assert digest_job.SCHEDULE.lookback >= timedelta(days=8)
    assert not digest_job.SCHEDULE.enabled(config(sessions, channels="none"))
    with sessions.begin() as db:
        team_config.set_value(db, TEAM, "digest.schedule", "30 8 1-7 * thu", now=NOW)  # first Thursdays
        cfg = team_config.load(db, TEAM, team_config.Defaults())
    thursday = datetime(2026, 11, 4, 23, 30, tzinfo=UTC)  # Thu 5 November 08:30 in Seoul
    assert digest_job.SCHEDULE.useful_for(cfg, thursday) == timedelta(days=28)  # until Thu 3 December


def ctx(cfg, fire=NOW, now=None, manual=False) -> Context:
    return Context(cfg=cfg, fire=fire, now=now or fire, rules=RULES, manual=manual)


def test_plan_one_message_per_channel_keyed_by_the_local_iso_week(sessions):
    """Each channel gets one message keyed digest:<ISO week of the fire's local date>:<channel>, in the
    team's language; a Monday 08:00 digest in Seoul is still Sunday in UTC, and is keyed by Monday's week."""
    cfg = config(sessions, locale="ko")
    scores(sessions, add_customer(sessions, "위험한 고객"), {0: 20})
    fire = datetime(2026, 11, 22, 23, 0, tzinfo=UTC)  # Mon 2026-11-23 08:00 KST, ISO week 48
    with sessions.begin() as db:
        planned = digest_job.plan(db, ctx(cfg, fire=fire, now=fire + timedelta(minutes=1)))
    assert [(m.key, m.channel, m.kind, m.subject) for m in planned] == [
        ("digest:2026-W48:C0CS", "C0CS", "digest", "2026-W48"),
        ("digest:2026-W48:C0SALES", "C0SALES", "digest", "2026-W48"),
    ]
    assert all(isinstance(m, Message) for m in planned)
    assert "위험한 고객" in str(planned[0].parts[0].blocks) and "11월 17일 – 23일" in planned[0].parts[0].text


def test_plan_skips_channels_already_sent_and_manual_runs_have_their_own_key(sessions):
    """A channel whose key exists is not planned again; a manual run is keyed by the time it was asked."""
    cfg = config(sessions)
    with sessions.begin() as db:
        db.add(Occurrence(team_id=TEAM, key="digest:2026-W48:C0CS", schedule="digest", kind="digest", due_at=NOW))
    with sessions.begin() as db:
        assert [m.key for m in digest_job.plan(db, ctx(cfg))] == ["digest:2026-W48:C0SALES"]
        asked = NOW + timedelta(hours=5, seconds=7)
        manual = digest_job.plan(db, ctx(cfg, fire=asked, manual=True))
    assert [m.key for m in manual] == ["digest:manual:20261123T050007:C0CS", "digest:manual:20261123T050007:C0SALES"]


def test_plan_records_through_the_engine_once(sessions):
    """Recorded through the engine, the same week's digest is queued once per channel, never twice."""
    cfg = config(sessions)
    scores(sessions, add_customer(sessions, "Acme"), {0: 20})
    with sessions.begin() as db:
        first = schedules.record(db, TEAM, "digest", digest_job.plan(db, ctx(cfg)), fire=NOW, now=NOW)
    with sessions.begin() as db:
        again = schedules.record(db, TEAM, "digest", digest_job.plan(db, ctx(cfg)), fire=NOW, now=NOW)
    assert first == (2, 0) and again == (0, 0)


def test_mutes_do_not_hide_anyone(sessions):
    """A customer whose reminders the owner muted, and a muted digest kind, are still in the digest."""
    cfg = config(sessions)
    cid = add_customer(sessions, "Muted Co", owner_user_id="U_CSM")
    scores(sessions, cid, {0: 20})
    with sessions.begin() as db:
        schedules.mute(db, TEAM, "U_CSM", customer_id=cid, until=None, now=NOW)
        schedules.mute(db, TEAM, "U_CSM", kind="digest", until=None, now=NOW)
    with sessions.begin() as db:
        [message, _] = digest_job.plan(db, ctx(cfg))
    assert "Muted Co" in str(message.parts[0].blocks)


@pytest.mark.parametrize("at_risk", [0, 5])
def test_an_empty_week_still_sends_a_short_digest(sessions, at_risk):
    """With nobody at risk each channel still gets a one-part digest saying so (the team knows it ran)."""
    cfg = config(sessions)
    for n in range(at_risk):
        scores(sessions, add_customer(sessions, f"Risky {n}"), {0: 50})
    scores(sessions, add_customer(sessions, "Healthy Co"), {0: 90})
    with sessions.begin() as db:
        planned = digest_job.plan(db, ctx(cfg))
    assert len(planned) == 2 and all(len(m.parts) == 1 for m in planned)
    text = str(planned[0].parts[0].blocks)
    assert ("Nobody is At risk or Unhealthy (customers with a score: 1)" in text) == (at_risk == 0)


def test_customers_needing_action_this_week_lead_by_arr_then_the_chronic_worst_first(sessions):
    """Needs action this week: got worse this week (newly At risk, or At risk -> Unhealthy) or renews within 90
    days, ranked by ARR; then the others (chronic) worst first. The message heads each group with its count."""
    from bot.blocks import digest as blocks

    chronic = add_customer(sessions, "Chronic", arr=Decimal(900_000), currency="USD")
    renewing = add_customer(sessions, "Renewing", arr=Decimal(50_000), currency="USD", renewal_date=ago(-60))
    later = add_customer(sessions, "Renews later", arr=Decimal(70_000), currency="USD", renewal_date=ago(-200))
    newly = add_customer(sessions, "Newly", arr=Decimal(80_000), currency="USD")
    worse = add_customer(sessions, "Worse", arr=Decimal(10_000), currency="USD")
    scores(sessions, chronic, {7: 10, 0: 10})  # Unhealthy all week
    scores(sessions, renewing, {7: 55, 0: 55})  # At risk all week, renews in 60 days
    scores(sessions, later, {7: 50, 0: 50})  # At risk all week, renews in 200 days
    scores(sessions, newly, {7: 80, 0: 60})  # Healthy -> At risk this week
    scores(sessions, worse, {7: 50, 0: 30})  # At risk -> Unhealthy this week
    d = build(sessions)
    assert [(x.name, x.urgent) for x in d.lines] == [
        ("Newly", True),
        ("Renewing", True),
        ("Worse", True),
        ("Chronic", False),
        ("Renews later", False),
    ]
    assert (d.urgent, d.urgent_by_band) == (3, {"unhealthy": 1, "at_risk": 2})
    text = str(blocks.digest_parts(d, "en")[0].blocks)
    assert text.index("Needs action this week* (3)") < text.index("Unhealthy* (1)") < text.index("At risk* (1)")


@pytest.mark.parametrize(
    ("value", "stored"),
    [("USD: KRW=0.00072, EUR=1.08", "USD:KRW=0.00072,EUR=1.08"), ("usd:krw=0.00072", "USD:KRW=0.00072"), ("none", "")],
)
def test_fx_rates_setting_is_checked_and_normalised(value, stored):
    assert team_config.check_value("fx.rates", value) == stored


@pytest.mark.parametrize("value", ["KRW=0.00072", "USD: KRW", "USD: KRW=-1", "USD: USD=1", "US: KRW=1"])
def test_fx_rates_setting_refuses_what_it_cannot_use(value):
    with pytest.raises(team_config.ConfigValueError):
        team_config.check_value("fx.rates", value)


def test_the_digest_adds_mixed_arr_up_with_the_teams_rates(sessions):
    """With fx.rates, the ARR at risk in two currencies is one ≈ total in the main currency, then the parts."""
    from bot.blocks import digest as blocks

    a = add_customer(sessions, "Dollar", arr=Decimal(240_000), currency="USD")
    b = add_customer(sessions, "Won", arr=Decimal(1_200_000_000), currency="KRW")
    scores(sessions, a, {7: 30, 0: 30})
    scores(sessions, b, {7: 30, 0: 30})
    d = build(sessions)
    plain = str(blocks.digest_parts(d, "en")[0].blocks)
    assert "$240K · ₩1.2B" in plain or "₩1.2B · $240K" in plain
    with_fx = dataclasses.replace(d, fx=("USD", (("KRW", "0.00075"),)))
    assert "≈ $1.1M (" in str(blocks.digest_parts(with_fx, "en")[0].blocks)
