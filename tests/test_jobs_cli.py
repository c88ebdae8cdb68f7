"""`python -m bot jobs list|run`: next runs in each team's zone, a dry run that prints and writes nothing, and a
real run that sends once however often it is asked."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlmodel import select

from bot.__main__ import main
from bot.db import Sessions, make_engine
from bot.deps import system_clock
from bot.models import ACCEPTED, Customer, Handoff, Occurrence, OnboardingTask, OutboxMessage
from bot.services import team_config
from bot.text import normalize_key
from tests.conftest import TEAM
from tests.test_cli import env  # noqa: F401 - the fixture


@pytest.fixture
def sessions(database_url):
    engine = make_engine(database_url)
    yield Sessions(engine)
    engine.dispose()


def _renewing_customer(sessions: Sessions, days: int = 25) -> None:
    today = system_clock().date()
    with sessions.begin() as db:
        db.add(
            Customer(
                team_id=TEAM,
                name="Initech Korea",
                name_key=normalize_key("Initech Korea"),
                owner_user_id="U_CSM",
                arr=Decimal("120000"),
                currency="USD",
                renewal_date=today + timedelta(days=days),
                stage="adoption",
            )
        )


def test_jobs_list_shows_each_schedule_and_its_next_run_in_the_team_zone(env, sessions, capsys):  # noqa: F811
    """Every schedule of the team is listed with its next run in the team's own time and in UTC; the meeting is
    off until its channel is set; the worker's own jobs follow."""
    with sessions.begin() as db:
        team_config.set_value(db, TEAM, "timezone", "Asia/Seoul", now=datetime.now(UTC))
        team_config.set_value(db, TEAM, "digest.channels", "C0CS", now=datetime.now(UTC))
    assert main(["jobs", "list"]) == 0
    out = capsys.readouterr().out
    digest = next(line for line in out.splitlines() if line.startswith("digest "))
    assert TEAM in digest and "Mon " in digest and "09:00 KST" in digest and "00:00 UTC" in digest
    meeting = next(line for line in out.splitlines() if line.startswith("meeting "))
    assert "(off: see `config`)" in meeting
    for name in ("renewals", "onboarding", "nudges", "promises", "run_schedules", "prune_delivery_records"):
        assert any(line.startswith(name + " ") for line in out.splitlines()), name


def test_jobs_list_without_teams_says_so(env, capsys):  # noqa: F811
    """A brand-new install has no teams yet: the listing says when schedules start."""
    assert main(["jobs", "list"]) == 0
    assert "no teams yet" in capsys.readouterr().out


def test_jobs_run_dry_run_prints_the_messages_and_writes_nothing(env, sessions, slack, capsys):  # noqa: F811
    """`jobs run renewals --dry-run` prints the reminder it would send (recipient, key, block text and buttons)
    and leaves no occurrence, no outbox row and no Slack post behind."""
    _renewing_customer(sessions)
    assert main(["jobs", "run", "renewals", "--team", TEAM, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "to DM @U_CSM (key renewal:" in out
    assert "Initech Korea" in out
    assert "[buttons]" in out
    assert "dry run: 1 message(s) would be sent" in out
    with sessions.begin() as db:
        assert db.exec(select(Occurrence)).all() == []
        assert db.exec(select(OutboxMessage)).all() == []
    assert slack.calls_to("chat.postMessage") == []


def test_jobs_run_sends_once_however_often_it_runs(env, sessions, slack, capsys):  # noqa: F811
    """A real run queues and delivers the reminder; running it again sends nothing new."""
    _renewing_customer(sessions)
    assert main(["jobs", "run", "renewals", "--team", TEAM]) == 0
    assert "renewals: 1 message(s) queued" in capsys.readouterr().out
    assert main(["jobs", "run", "renewals", "--team", TEAM]) == 0
    assert "renewals: 0 message(s) queued" in capsys.readouterr().out
    posts = slack.calls_to("chat.postMessage")
    assert len(posts) == 1 and posts[0].args["channel"] == slack.dm_channel("U_CSM")


def test_jobs_run_unknown_schedule(env, capsys):  # noqa: F811
    """An unknown name is refused with the list of known schedules."""
    assert main(["jobs", "run", "digets", "--team", TEAM]) == 2
    err = capsys.readouterr().err
    assert "no schedule 'digets'" in err and "digest" in err and "renewals" in err


def test_an_onboarding_dry_run_counts_the_playbooks_it_would_create_and_writes_nothing(env, sessions, capsys):  # noqa: F811
    """`jobs run onboarding --dry-run` says how many tasks a newly accepted handoff's playbook needs, and the
    real run is what creates them."""
    _renewing_customer(sessions)
    with sessions.begin() as db:
        customer = db.exec(select(Customer)).one()
        db.add(Handoff(team_id=TEAM, customer_id=customer.id, status=ACCEPTED, customer_name=customer.name,
                       accepted_at=datetime.now(UTC) - timedelta(days=2), accepted_by="U_CSM"))  # fmt: skip
    assert main(["jobs", "run", "onboarding", "--team", TEAM, "--dry-run"]) == 0
    assert "would first create 3 task(s) for newly accepted handoffs" in capsys.readouterr().out
    with sessions.begin() as db:
        assert db.exec(select(OnboardingTask)).all() == []
    assert main(["jobs", "run", "onboarding", "--team", TEAM]) == 0
    with sessions.begin() as db:
        assert len(db.exec(select(OnboardingTask)).all()) == 3
