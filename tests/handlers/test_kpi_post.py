"""The monthly KPI post end to end through the worker's job: on the 1st at the reminders time (team time), last
month's KPIs in `kpi.channel`, once per month and channel, through Slack's faults; caught up after downtime;
off without a channel; `python -m bot jobs run kpi` posts now."""

from datetime import UTC, datetime, timedelta

import pytest

from bot.__main__ import main
from bot.jobs import JOBS
from bot.models import Occurrence
from bot.services import team_config
from tests import kpi_example
from tests.conftest import TEAM
from tests.flows import POST_FAULTS, blocks_text, retry_for
from tests.test_cli import env  # noqa: F401 - the fixture

CHANNEL = "C0KPI"
FIRE = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)  # Dec 1, 09:00 in Seoul


def configure(baton, *, channel: str | None = CHANNEL, locale: str = "ko") -> None:
    with baton.deps.sessions.begin() as db:
        team_config.set_value(db, TEAM, "timezone", "Asia/Seoul", now=FIRE)
        team_config.set_value(db, TEAM, "locale", locale, now=FIRE)
        team_config.set_value(db, TEAM, "kpi.gross_margin", "75%", now=FIRE)
        if channel:
            team_config.set_value(db, TEAM, "kpi.channel", channel, now=FIRE)


def kpi_posts(baton) -> int:
    return len(baton.all(Occurrence, Occurrence.schedule == "kpi", Occurrence.kind == "kpi"))


def tick(baton) -> int:
    """One tick of the worker's schedule job (every schedule: the digest runs too), then the outbox; returns
    the KPI posts it queued."""
    before = kpi_posts(baton)
    JOBS["run_schedules"].fn(baton.deps)
    baton.settle()
    return kpi_posts(baton) - before


def test_posted_once_on_the_first_at_the_reminders_time(baton, slack, clock):
    """Nothing before 09:00 Seoul on Dec 1; at 09:01 November's KPIs in Korean with the team's gross margin;
    the next ticks, an hour and a week later, post nothing more."""
    configure(baton)
    kpi_example.seed(baton.deps.sessions)
    clock.now = FIRE - timedelta(minutes=1)
    assert tick(baton) == 0
    clock.now = FIRE + timedelta(minutes=1)
    assert tick(baton) == 1
    [message] = slack.messages(CHANNEL)
    assert message["text"] == "2026년 11월 핵심 지표(KPI)"
    shown = blocks_text(message["blocks"])
    assert message["blocks"][0]["text"]["text"] == "핵심 지표(KPI) · 2026년 11월"
    assert "*고객 유지율*: 75.0% (2026년 10월 대비 -25.0%p)" in shown
    assert "매출총이익률 75.0%" in shown
    [occ] = baton.all(Occurrence, Occurrence.schedule == "kpi", Occurrence.kind == "kpi")
    assert (occ.key, occ.status, occ.ts, occ.channel) == ("kpi:2026-11:C0KPI", "sent", message["ts"], CHANNEL)
    for later in (timedelta(minutes=2), timedelta(hours=1), timedelta(days=7)):
        clock.now = FIRE + later
        assert tick(baton) == 0
    assert len(slack.messages(CHANNEL)) == 1


def test_a_month_missed_while_no_worker_ran_is_caught_up_within_the_week(baton, slack, clock):
    configure(baton, locale="en")
    kpi_example.seed(baton.deps.sessions)
    clock.now = FIRE + timedelta(days=3)
    assert tick(baton) == 1
    assert [m["text"] for m in slack.messages(CHANNEL)] == ["KPIs for November 2026"]
    clock.now = FIRE + timedelta(days=3, hours=1)
    assert tick(baton) == 0


def test_a_channel_set_late_in_the_month_waits_for_the_next_first(baton, slack, clock):
    """Set on Dec 20: December 1st's post is a stale fire (skipped, recorded); January 1st's goes out."""
    configure(baton, locale="en")
    kpi_example.seed(baton.deps.sessions)
    clock.now = FIRE + timedelta(days=19)
    assert tick(baton) == 0 and slack.messages(CHANNEL) == []
    clock.now = datetime(2027, 1, 1, 0, 5, tzinfo=UTC)
    assert tick(baton) == 1
    assert [m["text"] for m in slack.messages(CHANNEL)] == ["KPIs for December 2026"]


def test_off_without_a_channel(baton, slack, clock):
    configure(baton, channel=None)
    kpi_example.seed(baton.deps.sessions)
    clock.now = FIRE + timedelta(minutes=1)
    assert tick(baton) == 0
    assert baton.all(Occurrence, Occurrence.schedule == "kpi") == []


@pytest.mark.parametrize("fault", POST_FAULTS.values(), ids=list(POST_FAULTS))
def test_exactly_one_post_through_slack_faults(baton, slack, clock, fault):
    configure(baton, locale="en")
    kpi_example.seed(baton.deps.sessions)
    fault(slack)
    clock.now = FIRE + timedelta(minutes=1)
    assert tick(baton) == 1
    retry_for(baton, clock, minutes=3)
    assert len(slack.messages(CHANNEL)) == 1
    clock.now += timedelta(minutes=10)
    assert tick(baton) == 0
    assert len(slack.messages(CHANNEL)) == 1


def test_jobs_run_kpi_posts_now_and_a_dry_run_writes_nothing(env, baton, slack, capsys):  # noqa: F811
    """`python -m bot jobs run kpi --dry-run` prints the post; `jobs run kpi` posts it (its own occurrence)."""
    configure(baton, locale="en")
    kpi_example.seed(baton.deps.sessions)
    assert main(["jobs", "run", "kpi", "--team", TEAM, "--dry-run"]) == 0
    printed = capsys.readouterr().out
    assert f"=== kpi to #{CHANNEL}" in printed and "*Logo retention*" in printed
    assert baton.all(Occurrence) == []
    assert main(["jobs", "run", "kpi", "--team", TEAM]) == 0
    [message] = slack.messages(CHANNEL)
    assert message["text"].startswith("KPIs for ")
    [occ] = baton.all(Occurrence, Occurrence.kind == "kpi")
    assert occ.key.startswith("kpi:manual:")
