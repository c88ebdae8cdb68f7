"""The schedule engine end to end: fires in each team's zone, claims before sending, catch-up, ordered thread
parts through the outbox, Slack failures, a crash between sending and marking, pacing, two workers."""

import json
import logging
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event
from sqlmodel import select

from bot.deps import build_deps
from bot.jobs.schedules import run_schedule
from bot.models import Occurrence, OutboxMessage
from bot.services import schedules as engine
from bot.services import team_config
from bot.services.schedules import Message, Part, Schedule, Skip
from tests.conftest import PG_URL, TEAM


def _blocks(text: str) -> list[dict]:
    return [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]


def weekly(parts: int = 1, channel: str = "C0DIGEST", expr: str = "0 9 * * mon") -> Schedule:
    """A test schedule: every Monday 09:00 local, useful for a week, posting `parts` messages (1 + replies)."""

    def plan(db, ctx):
        local = ctx.cfg.local(ctx.fire)
        return [
            Message(
                key=f"test:{local:%G-W%V}:{channel}",
                kind="test",
                channel=channel,
                parts=[Part(f"part {i} of {local:%Y-%m-%d %H:%M %Z}", _blocks(f"part {i}")) for i in range(parts)],
            )
        ]

    return Schedule(
        name="test",
        description="test schedule",
        fires=lambda cfg, start, end: engine.cron_fires(expr, cfg, start, end),
        useful_for=lambda cfg, fire: timedelta(days=7),
        plan=plan,
    )


def config(baton, tz: str = "UTC") -> team_config.TeamConfig:
    with baton.deps.sessions.begin() as db:
        team_config.set_value(db, TEAM, "timezone", tz, now=baton.clock())
        return team_config.load(db, TEAM, team_config.Defaults())


def occurrences(baton, kind: str = "test") -> list[Occurrence]:
    return baton.all(Occurrence, Occurrence.kind == kind)


def test_due_fire_is_claimed_once_and_posted_with_its_ts(baton, slack, clock):
    """A due fire posts its message once; running again (or on the next tick) sends nothing more, and the
    occurrence keeps the channel and ts Slack gave it."""
    clock.now = datetime(2026, 11, 30, 9, 0, 30, tzinfo=UTC)  # Monday 09:00:30 UTC
    cfg, schedule = config(baton), weekly()
    result = run_schedule(baton.deps, schedule, cfg, clock())
    assert result.queued == 1
    assert run_schedule(baton.deps, schedule, cfg, clock()) is None
    baton.settle()
    clock.advance(minutes=5)
    assert run_schedule(baton.deps, schedule, cfg, clock()) is None
    baton.settle()
    posted = slack.messages("C0DIGEST")
    assert [m["text"] for m in posted] == ["part 0 of 2026-11-30 09:00 UTC"]
    [occ] = occurrences(baton)
    assert (occ.status, occ.channel, occ.ts) == ("sent", "C0DIGEST", posted[0]["ts"])
    [run] = baton.all(Occurrence, Occurrence.kind == engine.RUN)
    assert run.key == "run:test:2026-11-30T09:00Z"


def test_nothing_runs_before_the_fire_time_in_the_team_zone(baton, slack, clock):
    """Monday 09:00 in Seoul is Monday 00:00 UTC: not due at 23:59 UTC on Sunday, due a minute later."""
    cfg = config(baton, "Asia/Seoul")
    clock.now = datetime(2026, 11, 29, 23, 59, tzinfo=UTC)
    fire = engine.latest_fire(weekly(), cfg, clock())
    assert fire == datetime(2026, 11, 23, 0, 0, tzinfo=UTC)  # last week's
    clock.now = datetime(2026, 11, 30, 0, 0, 30, tzinfo=UTC)
    fire = engine.latest_fire(weekly(), cfg, clock())
    assert fire == datetime(2026, 11, 30, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("tz", "day", "utc_hour"),
    [
        ("America/New_York", date(2026, 3, 2), 14),  # EST (UTC-5) before the change on March 8
        ("America/New_York", date(2026, 3, 9), 13),  # EDT (UTC-4) after it
        ("America/New_York", date(2026, 11, 2), 14),  # EST again after November 1
        ("Europe/Berlin", date(2026, 3, 23), 8),  # CET
        ("Europe/Berlin", date(2026, 3, 30), 7),  # CEST from March 29
        ("Asia/Seoul", date(2026, 3, 9), 0),  # no DST
    ],
)
def test_fires_keep_local_time_across_dst(tz, day, utc_hour):
    """09:00 local stays 09:00 local when the clocks change: the UTC time moves instead."""
    cfg = team_config.TeamConfig(TEAM, {"timezone": tz})
    start = datetime.combine(day, datetime.min.time(), tzinfo=UTC) - timedelta(days=1)
    fires = engine.cron_fires("0 9 * * mon", cfg, start, start + timedelta(days=3))
    assert [f.astimezone(UTC).hour for f in fires] == [utc_hour]
    assert fires[0].astimezone(cfg.tz).hour == 9


def test_daily_fires_skip_nothing_on_the_spring_forward_day():
    """A daily 02:30 in New York on the day 02:30 does not exist still fires once (zoneinfo folds it forward)."""
    cfg = team_config.TeamConfig(TEAM, {"timezone": "America/New_York", "reminders.time": "02:30"})
    start = datetime(2026, 3, 7, 12, tzinfo=UTC)
    fires = engine.daily_fires(cfg, "reminders.time", start, start + timedelta(days=3))
    assert len(fires) == 3
    assert len({f.astimezone(cfg.tz).date() for f in fires}) == 3


def test_catch_up_sends_this_weeks_fire_and_logs_the_missed_ones(baton, slack, clock, caplog):
    """A worker down for two weeks sends this week's message on start and says which older fires it skipped."""
    cfg, schedule = config(baton), weekly()
    clock.now = datetime(2026, 11, 2, 9, 1, tzinfo=UTC)
    run_schedule(baton.deps, schedule, cfg, clock())
    baton.settle()
    clock.now = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)  # Wednesday, two Mondays missed (9th and 16th)
    with caplog.at_level(logging.WARNING, logger="baton.schedules"):
        result = run_schedule(baton.deps, schedule, cfg, clock())
    assert result.queued == 1 and result.fire == datetime(2026, 11, 16, 9, tzinfo=UTC)
    assert "1 run(s) from 2026-11-09T09:00:00+00:00" in caplog.text
    baton.settle()
    assert [m["text"] for m in slack.messages("C0DIGEST")] == [
        "part 0 of 2026-11-02 09:00 UTC",
        "part 0 of 2026-11-16 09:00 UTC",
    ]


def every(expr: str, lookback: timedelta = timedelta(days=32)) -> Schedule:
    """A test schedule on a frequent crontab expression, useful for ten minutes, with a long lookback."""
    base = weekly(expr=expr)
    return Schedule(
        name="test",
        description="frequent test schedule",
        fires=base.fires,
        useful_for=lambda cfg, fire: timedelta(minutes=10),
        plan=lambda db, ctx: [
            Message(
                key=f"test:{ctx.fire:%Y%m%dT%H%M}", kind="test", channel="C0DIGEST", parts=[Part("x", _blocks("x"))]
            )
        ],
        lookback=lookback,
    )


@pytest.mark.parametrize("expr", ["* * * * *", "*/2 * * * *", "*/5 * * * *"])
def test_a_frequent_expression_finds_its_latest_and_next_fire_whatever_the_lookback(expr):
    """The latest fire at or before now, and the next one, are exact for an expression firing every few minutes
    over a month of lookback (tens of thousands of fires: counting them forward used to stop at 10,000)."""
    cfg = team_config.TeamConfig(TEAM, {"timezone": "Asia/Seoul"})
    now = datetime(2026, 11, 30, 9, 7, 30, tzinfo=UTC)
    step = {"* * * * *": 1, "*/2 * * * *": 2, "*/5 * * * *": 5}[expr]
    latest = now.replace(second=0, minute=now.minute - now.minute % step)
    assert engine.latest_fire(every(expr), cfg, now) == latest
    assert engine.next_fire(every(expr), cfg, now) == latest + timedelta(minutes=step)
    assert engine.latest_fire(every(expr), cfg, latest) == latest  # a fire exactly now is due now


def test_a_frequent_schedule_runs_its_latest_fire_after_a_long_outage(baton, slack, clock, caplog):
    """A worker back after two weeks runs an every-two-minutes schedule's latest fire (not a stale one from the
    start of its lookback) and says how many fires it missed, counted up to a bound."""
    cfg, schedule = config(baton), every("*/2 * * * *")
    clock.now = datetime(2026, 11, 2, 9, 0, 30, tzinfo=UTC)
    assert run_schedule(baton.deps, schedule, cfg, clock()).queued == 1
    clock.now = datetime(2026, 11, 16, 9, 3, 10, tzinfo=UTC)
    with caplog.at_level(logging.WARNING, logger="baton.schedules"):
        result = run_schedule(baton.deps, schedule, cfg, clock())
    assert (result.fire, result.stale, result.queued) == (datetime(2026, 11, 16, 9, 2, tzinfo=UTC), False, 1)
    assert "1000 or more run(s) from 2026-11-02T09:02:00+00:00" in caplog.text
    assert run_schedule(baton.deps, schedule, cfg, clock()) is None  # claimed: once


def test_a_stale_fire_is_skipped_with_a_log_line_not_sent(baton, slack, clock, caplog):
    """A fire older than its useful window is recorded as skipped (stale) with a warning, and never sent."""
    cfg = config(baton)
    schedule = weekly()
    short = Schedule(
        name="short",
        description="useful for an hour",
        fires=schedule.fires,
        useful_for=lambda cfg, fire: timedelta(hours=1),
        plan=schedule.plan,
    )
    clock.now = datetime(2026, 11, 30, 11, 0, tzinfo=UTC)
    with caplog.at_level(logging.WARNING, logger="baton.schedules"):
        result = run_schedule(baton.deps, short, cfg, clock())
    assert result.stale and result.queued == 0
    assert "is stale" in caplog.text
    [run] = baton.all(Occurrence, Occurrence.kind == engine.RUN)
    assert (run.status, run.reason) == ("skipped", "stale")
    baton.settle()
    assert slack.messages("C0DIGEST") == []


def test_thread_parts_arrive_in_order_through_a_429_and_a_500(baton, slack, clock):
    """Slack answering 429 to the message and 500 (after posting) to a reply: every part lands once, the
    replies in the message's thread and in order."""
    cfg = config(baton)
    clock.now = datetime(2026, 11, 30, 9, 1, tzinfo=UTC)
    slack.fail_next("chat.postMessage", status=429, retry_after=3)
    run_schedule(baton.deps, weekly(parts=4), cfg, clock())
    baton.settle()
    assert slack.messages("C0DIGEST") == []
    clock.advance(seconds=3)
    baton.settle()  # the message and part 1; part 2's post lands but Slack answers 500
    slack.fail_after_effect("chat.postMessage")
    clock.advance(seconds=3)
    for _ in range(6):
        baton.settle()
        clock.advance(seconds=30)
    [parent] = slack.messages("C0DIGEST")
    replies = [m["text"] for m in slack.thread("C0DIGEST", parent["ts"]) if m["ts"] != parent["ts"]]
    assert replies == [
        "part 1 of 2026-11-30 09:00 UTC",
        "part 2 of 2026-11-30 09:00 UTC",
        "part 3 of 2026-11-30 09:00 UTC",
    ]
    assert all(r.status == "sent" for r in baton.all(OutboxMessage))


def test_a_crash_between_sending_and_marking_does_not_post_again(baton, slack, clock):
    """The post landed but the worker died before recording it: the retry finds the message in the channel
    (by the outbox id in its metadata) and records that ts instead of posting a second time."""
    cfg = config(baton)  # the clock stays at the real time here: the fake Slack stamps messages with it
    run_schedule(baton.deps, weekly(expr="* * * * *"), cfg, clock())
    original = baton.deps.outbox._finish

    def crash(row_id, **kw):
        if kw.get("status") == "sent":
            raise SystemExit("worker killed")
        return original(row_id, **kw)

    baton.deps.outbox._finish = crash
    with pytest.raises(SystemExit):
        baton.deps.outbox.run_once()
    baton.deps.outbox._finish = original
    [row] = baton.all(OutboxMessage)
    assert row.status == "sending"  # what a crashed worker leaves behind
    clock.advance(minutes=2)  # the lease expires
    baton.settle()
    posted = slack.messages("C0DIGEST")
    assert len(posted) == 1
    [occ] = occurrences(baton)
    assert occ.ts == posted[0]["ts"] and occ.status == "sent"


def test_posts_to_one_channel_are_paced_to_one_per_second(baton, slack, clock):
    """Four parts to the same channel: the outbox waits about a second between posts (Slack's pace)."""
    cfg = config(baton)
    clock.now = datetime(2026, 11, 30, 9, 1, tzinfo=UTC)
    run_schedule(baton.deps, weekly(parts=4), cfg, clock())
    baton.settle()
    assert len(slack.calls_to("chat.postMessage")) == 4
    assert len(baton.pace.waits) == 3 and all(0.99 <= w <= 1.0 for w in baton.pace.waits)


def test_skips_are_recorded_and_not_sent(baton, slack, clock):
    """A plan's Skip is stored with its reason (so it is not reconsidered) and nothing goes to Slack."""
    cfg = config(baton)
    clock.now = datetime(2026, 11, 30, 9, 1, tzinfo=UTC)
    schedule = Schedule(
        name="skipper",
        description="skips",
        fires=weekly().fires,
        useful_for=lambda cfg, fire: timedelta(days=7),
        plan=lambda db, ctx: [Skip(key="test:skip:1", kind="test", reason="muted")],
    )
    assert run_schedule(baton.deps, schedule, cfg, clock()).skipped == 1
    baton.settle()
    [occ] = occurrences(baton)
    assert (occ.status, occ.reason) == ("skipped", "muted")
    assert slack.calls_to("chat.postMessage") == []


def test_a_dm_goes_through_conversations_open(baton, slack, clock):
    """A message for a user is posted in the DM channel Slack opens for them."""
    cfg = config(baton)
    clock.now = datetime(2026, 11, 30, 9, 1, tzinfo=UTC)
    schedule = Schedule(
        name="dm",
        description="dm",
        fires=weekly().fires,
        useful_for=lambda cfg, fire: timedelta(days=7),
        plan=lambda db, ctx: [Message(key="dm:1", kind="test", user="U_CSM", parts=[Part("hi", _blocks("hi"))])],
    )
    run_schedule(baton.deps, schedule, cfg, clock())
    baton.settle()
    dm = slack.dm_channel("U_CSM")
    assert [m["text"] for m in slack.messages(dm)] == ["hi"]
    [occ] = occurrences(baton)
    assert occ.channel == dm and occ.recipient == "U_CSM"


@pytest.mark.skipif(not PG_URL, reason="two workers racing needs PostgreSQL (SQLite runs one worker)")
def test_two_workers_on_postgresql_send_each_occurrence_once(baton, slack, settings, clock):
    """Two workers (own engines, own outboxes) run the same due fires at the same moment, eight times over:
    every message is claimed by one of them and posted exactly once."""
    cfg = config(baton)
    clock.now = datetime(2026, 11, 30, 9, 1, tzinfo=UTC)
    schedules = [weekly(parts=2, channel=f"C0RACE{i}") for i in range(8)]
    schedules = [
        Schedule(name=f"race{i}", description="", fires=s.fires, useful_for=s.useful_for, plan=s.plan)
        for i, s in enumerate(schedules)
    ]
    workers = [build_deps(settings, clock=clock, pacer=baton.deps.outbox.pacer) for _ in range(2)]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def work(deps):
        try:
            barrier.wait()
            for s in schedules:
                run_schedule(deps, s, cfg, clock())
            for _ in range(5):
                deps.outbox.run_once()
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(d,)) for d in workers]
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)
    for d in workers:
        d.sessions.engine.dispose()
    assert not errors
    clock.advance(seconds=5)  # a reply that found its message not yet posted (by the other worker) is due again
    baton.settle()
    for i in range(8):
        [parent] = slack.messages(f"C0RACE{i}")
        assert len(slack.thread(f"C0RACE{i}", parent["ts"])) == 2
    assert len(slack.calls_to("chat.postMessage")) == 16
    assert len(baton.all(Occurrence, Occurrence.kind == engine.RUN)) == 8


def test_record_keeps_the_built_parts_and_button_data(baton, clock):
    """What was built at claim time is what is sent later (content and button data are stored with the key)."""
    now = clock()
    with baton.deps.sessions.begin() as db:
        msg = Message(key="k1", kind="test", channel="C1", parts=[Part("a", _blocks("a"))], data={"step": 90})
        assert engine.record(db, TEAM, "test", [msg, msg], fire=now, now=now) == (1, 0)
    with baton.deps.sessions.begin() as db:
        occ = db.exec(select(Occurrence)).one()
        dm, parts = engine.parts_of(occ)
        assert (dm, parts[0].text, engine.data_of(occ)) == (False, "a", {"step": 90})
        assert json.loads(occ.content)["parts"][0]["blocks"] == _blocks("a")


def test_record_some_writes_a_batch_in_two_statements_and_only_what_is_new(baton, clock):
    """A batch of messages and skips is recorded with one insert of occurrences and one of outbox rows (a
    part per row, keyed by the occurrence); keys recorded by an earlier run, or twice in the batch, are left
    alone and queue nothing."""
    now = clock()
    statements: list[str] = []
    engine_ = baton.deps.sessions.engine

    def before(_conn, _cursor, statement, *_):
        if statement.startswith("INSERT"):
            statements.append(statement.split(" (")[0])

    with baton.deps.sessions.begin() as db:
        engine.record(db, TEAM, "test", [Message(key="old", kind="test", channel="C1", parts=[Part("o", None)])],
                      fire=now, now=now)  # fmt: skip
    batch = [
        Message(key="old", kind="test", channel="C1", parts=[Part("o", None)]),
        Message(key="a", kind="test", channel="C1", parts=[Part("a1", None), Part("a2", None)]),
        Skip(key="s", kind="test", reason="superseded"),
        Message(key="a", kind="test", channel="C2", parts=[Part("again", None)]),
        Message(key="b", kind="test", user="U1", parts=[Part("b", None)], data={"x": 1}),
    ]
    event.listen(engine_, "before_cursor_execute", before)
    try:
        with baton.deps.sessions.begin() as db:
            taken, queued, skipped = engine.record_some(db, TEAM, "test", batch, fire=now, now=now)
    finally:
        event.remove(engine_, "before_cursor_execute", before)
    assert (taken, queued, skipped) == (5, 2, 1)
    assert statements == ["INSERT INTO schedule_occurrences", "INSERT INTO slack_outbox"]
    with baton.deps.sessions.begin() as db:
        occ = {o.key: o for o in db.exec(select(Occurrence))}
        sends = sorted(m.idem_key for m in db.exec(select(OutboxMessage)))
    assert sorted(occ) == ["a", "b", "old", "s"]
    assert (occ["a"].recipient, occ["s"].status, occ["s"].reason, engine.data_of(occ["b"])) == (
        "C1",
        "skipped",
        "superseded",
        {"x": 1},
    )
    ids = {k: o.id for k, o in occ.items()}
    assert sends == sorted([f"occ:{ids['old']}:0", f"occ:{ids['a']}:0", f"occ:{ids['a']}:1", f"occ:{ids['b']}:0"])
