"""The worker's leadership (PostgreSQL advisory lock, one SQLite worker) and `python -m bot config ...`."""

import logging

import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from bot.__main__ import main
from bot.db import Sessions, make_engine
from bot.jobs import JOBS, guarded, register_jobs
from bot.jobs.leader import AnotherWorker, PostgresLeader, SqliteLeader, leader_for
from bot.models import TeamSetting
from bot.services import team_config
from tests.conftest import PG_URL, TEAM
from tests.test_cli import env  # noqa: F401 - the fixture


@pytest.fixture
def engine(database_url):
    e = make_engine(database_url)
    yield e
    e.dispose()


@pytest.mark.skipif(not PG_URL, reason="advisory locks are PostgreSQL's")
def test_one_postgres_worker_leads_and_a_standby_takes_over_when_it_goes(database_url):
    """Two workers: the first holds the lock, the second stands by; when the first stops (its connection goes),
    the second leads on its next tick."""
    engines = [make_engine(database_url) for _ in range(2)]
    first, second = (PostgresLeader(e) for e in engines)
    try:
        assert first.is_leader()
        assert not second.is_leader()
        assert first.is_leader()  # still leading on the next tick
        first.release()
        assert second.is_leader()
        assert not first.is_leader()
    finally:
        first.release()
        second.release()
        for e in engines:
            e.dispose()


@pytest.mark.skipif(not PG_URL, reason="advisory locks are PostgreSQL's")
def test_a_leader_whose_connection_dies_stands_down(database_url):
    """A leader that lost its database connection (so PostgreSQL freed the lock) stops running jobs and
    another worker takes over."""
    engines = [make_engine(database_url) for _ in range(2)]
    first, second = (PostgresLeader(e) for e in engines)
    try:
        assert first.is_leader()
        first._conn.invalidate()  # the connection is gone, as after a network cut
        assert second.is_leader()
        assert not first.is_leader()
    finally:
        first.release()
        second.release()
        for e in engines:
            e.dispose()


def test_a_standby_worker_skips_leader_only_jobs(baton):
    """A job wrapped for a worker that is not the leader does nothing and reports 0."""
    calls = []

    class Standby:
        def is_leader(self):
            return False

    job = JOBS["run_schedules"]
    stub = type(job)(fn=lambda deps: calls.append(deps) or 1, seconds=60, description="x")
    assert guarded(stub, baton.deps, Standby())() == 0
    assert calls == []


def test_every_job_is_registered_with_grace_and_coalescing(baton):
    """Stable ids, an hour of misfire grace and coalescing: a restart never silently skips a job."""
    scheduler = BackgroundScheduler(timezone="UTC")
    register_jobs(scheduler, baton.deps)
    jobs = {j.id: j for j in scheduler.get_jobs()}
    assert set(jobs) == set(JOBS) == {"run_schedules", "roll_health_state", "crm_reconcile", "prune_delivery_records"}
    assert all(j.misfire_grace_time == 3600 and j.coalesce and j.max_instances == 1 for j in jobs.values())


def test_a_second_sqlite_worker_refuses_to_start(tmp_path):
    """On SQLite the first worker locks the database's worker file; a second one gets a clear refusal naming
    the first one's pid, and can start once the first has stopped."""
    db = str(tmp_path / "baton.db")
    first, second = SqliteLeader(db), SqliteLeader(db)
    first.acquire()
    with pytest.raises(AnotherWorker, match=r"another worker \(pid \d+\).*SQLite supports one worker"):
        second.acquire()
    first.release()
    second.acquire()
    second.release()


def test_worker_command_exits_2_when_another_sqlite_worker_runs(env, capsys):  # noqa: F811
    """`python -m bot worker` next to a running worker on the same SQLite file exits 2 with the reason."""
    if not env.database_url.startswith("sqlite"):
        pytest.skip("SQLite only")
    engine = make_engine(env.database_url)
    holder = leader_for(engine)
    assert isinstance(holder, SqliteLeader)
    holder.acquire()
    try:
        assert main(["worker"]) == 2
        assert "SQLite supports one worker" in capsys.readouterr().err
    finally:
        holder.release()
        engine.dispose()


# --- python -m bot config -------------------------------------------------------------------------------------


def test_config_set_get_list_unset(env, capsys):  # noqa: F811
    """A setting is checked and normalised when set, shown by get and list (with where it comes from), and
    unset brings the default back."""
    assert main(["config", "set", "digest.channels", "C0CS, C0LEADS", "--team", TEAM]) == 0
    assert "digest.channels = C0CS,C0LEADS" in capsys.readouterr().out
    assert main(["config", "set", "timezone", "Asia/Seoul", "--team", TEAM]) == 0
    capsys.readouterr()
    assert main(["config", "get", "timezone", "--team", TEAM]) == 0
    assert capsys.readouterr().out.strip() == "Asia/Seoul"
    assert main(["config", "list", "--team", TEAM]) == 0
    listing = capsys.readouterr().out
    assert any(line.split()[:3] == ["digest.channels", "C0CS,C0LEADS", "team"] for line in listing.splitlines())
    assert any(line.split()[:3] == ["renewal.days", "120,90,60,30", "default"] for line in listing.splitlines())
    assert main(["config", "unset", "timezone", "--team", TEAM]) == 0
    capsys.readouterr()
    assert main(["config", "get", "timezone", "--team", TEAM]) == 0
    assert capsys.readouterr().out.strip() == "UTC"


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("timezone", "Mars/Olympus", "IANA time zone"),
        ("digest.schedule", "every monday", "crontab expression"),
        ("digest.schedule", "* * * * *", "fires at most once a week"),
        ("digest.schedule", "0 9 * * mon,thu", "fires at most once a week"),
        ("digest.schedule", "0 9 30 2 *", "never does"),
        ("digest.channels", "#cs-team", "not a channel id: #cs-team"),
        ("renewal.days", "90,abc", "whole numbers of days"),
        ("meeting.cadence", "weekly", "biweekly or monthly"),
        ("nudge.hours", "18:00-09:00", "end after they start"),
        ("reminders.time", "9am", "HH:MM"),
    ],
)
def test_config_set_refuses_bad_values(env, capsys, key, value, message):  # noqa: F811
    """A bad value is refused (exit 2) with what a good one looks like, and nothing is stored."""
    assert main(["config", "set", key, value, "--team", TEAM]) == 2
    assert message in capsys.readouterr().err
    engine = make_engine(env.database_url)
    try:
        with Sessions(engine).begin() as db:
            assert team_config.stored(db, TEAM) == {}
    finally:
        engine.dispose()


@pytest.mark.parametrize("value", ["0 9 * * mon", "30 8 * * fri", "0 9 1-7 * mon", "0 9 1 * *", "0 7 29 2 *"])
def test_config_set_accepts_weekly_or_rarer_digests(env, capsys, value):  # noqa: F811
    """A digest once a week, once a month or even once a leap year is accepted."""
    assert main(["config", "set", "digest.schedule", value, "--team", TEAM]) == 0
    assert f"digest.schedule = {value}" in capsys.readouterr().out


def test_a_stored_schedule_refused_now_falls_back_to_the_default_with_a_warning(env, capsys, caplog):  # noqa: F811
    """A digest schedule stored before it was refused (every minute) does not break the worker: the default is
    used, the log says so once, and `config list` shows the stored value is refused."""
    team = "T0REFUSED"
    engine = make_engine(env.database_url)
    try:
        with Sessions(engine).begin() as db:
            db.add(TeamSetting(team_id=team, key="digest.schedule", value="* * * * *"))
        with caplog.at_level(logging.WARNING, logger="baton.config"), Sessions(engine).begin() as db:
            for _ in range(3):  # the worker loads the settings every minute
                cfg = team_config.load(db, team, team_config.Defaults())
    finally:
        engine.dispose()
    assert cfg.raw("digest.schedule") == "0 9 * * mon"
    [warning] = [r for r in caplog.records if r.name == "baton.config"]
    assert "'* * * * *' is refused" in warning.getMessage()
    assert "fires at most once a week" in warning.getMessage()
    assert main(["config", "list", "--team", team]) == 0
    listing = capsys.readouterr().out
    assert any(line.split()[:3] == ["digest.schedule", "0", "9"] and "refused" in line for line in listing.splitlines())
    assert "the stored '* * * * *' is refused" in listing


def test_config_unknown_key(env, capsys):  # noqa: F811
    """An unknown key is named, with where to find the known ones."""
    assert main(["config", "set", "digest.chanels", "C0CS", "--team", TEAM]) == 2
    assert "unknown setting 'digest.chanels'" in capsys.readouterr().err


def test_settings_apply_without_a_restart(baton, clock):
    """The worker reads the settings on every tick: a value set now is what the next load sees."""
    defaults = team_config.Defaults(timezone="UTC", handoff_channel="C0HANDOFF")
    with baton.deps.sessions.begin() as db:
        assert team_config.load(db, TEAM, defaults).channels("digest.channels") == ("C0HANDOFF",)
        team_config.set_value(db, TEAM, "digest.channels", "C0A,C0B", now=clock())
    with baton.deps.sessions.begin() as db:
        assert team_config.load(db, TEAM, defaults).channels("digest.channels") == ("C0A", "C0B")


def test_every_schedule_setting_is_in_the_readme():
    """The README's settings table names every key `config set` accepts."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    missing = [key for key in team_config.KEYS if f"| `{key}` |" not in readme]
    assert missing == []
