"""Start-up through the real entry point (`python -m bot` in a subprocess): which `.env` is read, and faults
(unreachable database, malformed health settings, Slack unreachable in Socket Mode) ending in one clear line."""

import dataclasses
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient

from bot import server
from bot.config import Settings
from tests.test_server_smoke import env_for, free_port, run

ROOT = Path(__file__).resolve().parent.parent


def test_env_file_in_the_working_directory_is_read(settings, tmp_path):
    """Without PYTHON_DOTENV_DISABLED, `.env` in the working directory supplies unset variables."""
    app_dir = tmp_path / "app"
    app_dir.mkdir()
    (app_dir / ".env").write_text(f"DATABASE_URL=sqlite:///{app_dir}/from-dotenv.db\n", encoding="utf-8")
    env = env_for(settings, free_port(), "unused")
    del env["DATABASE_URL"], env["PYTHON_DOTENV_DISABLED"]
    result = run(["migrate"], env, app_dir)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in app_dir.glob("*.db")) == ["from-dotenv.db"]


def test_a_developers_env_file_does_not_reach_the_tests(tmp_path):
    """A junk `.env` in the repository root (as the Quick start leaves one) changes no test's outcome: the
    config tests, the one-clear-line start-up test and a CLI test pass in a copy of the checkout holding it."""
    repo = tmp_path / "repo"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", "*.egg-info")
    for name in ("bot", "tests", "migrations", "docs"):
        shutil.copytree(ROOT / name, repo / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md", "manifest.json", ".env.example"):
        shutil.copy(ROOT / name, repo / name)
    (repo / ".env").write_text(
        "SLACK_BOT_TOKEN=xoxb-junk-from-a-developers-dotenv\n"
        "SLACK_SIGNING_SECRET=junk-signing-secret-from-dotenv\n"
        "DATABASE_URL=postgresql://nobody@127.0.0.1:1/nowhere\n"
        "PORT=99999\n"
        "BATON_TIMEZONE=Mars/Olympus\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHON_DOTENV_DISABLED", "TEST_DATABASE_URL")}
    env["PYTHONPATH"] = str(repo)
    tests = [
        "tests/test_config.py",
        "tests/test_server_smoke.py::test_missing_setting_stops_startup_with_one_clear_line",
        "tests/test_cli.py::test_import_customers_resolves_owners_and_prints_a_summary",
    ]
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]


def _refused(result: subprocess.CompletedProcess) -> str:
    """The one stderr line of a refused start-up (exit 2, no traceback, gunicorn never booted a worker)."""
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and "Worker failed to boot" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("command", "url"),
    [
        ("serve", "postgresql://baton:s3cret-pw@127.0.0.1:{closed}/baton"),
        ("worker", "postgresql://baton:s3cret-pw@127.0.0.1:{closed}/baton"),
        ("migrate", "postgresql://baton:s3cret-pw@127.0.0.1:{closed}/baton"),
        ("serve", "sqlite:///{tmp}/no/such/dir/baton.db"),
    ],
)
def test_unreachable_database_stops_startup_with_one_line(settings, tmp_path, command, url):
    """`serve`, `worker` and `migrate` against a database that does not answer exit 2 with one line naming
    DATABASE_URL and the driver's reason, the password masked."""
    env = env_for(settings, free_port(), url.format(closed=free_port(), tmp=tmp_path))
    line = _refused(run([command], env, tmp_path))
    assert line.startswith("baton: cannot reach the database at ") and "(DATABASE_URL)" in line
    assert "s3cret-pw" not in line
    assert "refused" in line.lower() or "unable to open database file" in line


@pytest.mark.parametrize(
    ("command", "toml", "problem"),
    [
        ("serve", "[weights\nusage = 1\n", "not valid TOML"),
        ("worker", "[weights\nusage = 1\n", "not valid TOML"),
        ("serve", "[health.weights]\nactive_users = 'lots'\n", "must be a number"),
    ],
)
def test_malformed_health_settings_stop_startup_with_one_line(settings, tmp_path, command, toml, problem):
    """A BATON_HEALTH_CONFIG file that is not TOML, or has a bad value, stops `serve` (before gunicorn forks)
    and `worker` with one line naming the variable, the file and the problem."""
    path = tmp_path / "health.toml"
    path.write_text(toml, encoding="utf-8")
    env = env_for(settings, free_port(), settings.database_url)
    env["BATON_HEALTH_CONFIG"] = str(path)
    line = _refused(run([command], env, tmp_path))
    assert line.startswith("baton: BATON_HEALTH_CONFIG is malformed: ") and problem in line


def test_socket_mode_with_a_refused_token_stops_with_one_line(settings, slack, tmp_path):
    """`python -m bot` in Socket Mode whose app-level token Slack refuses exits 2 with one line naming
    SLACK_APP_TOKEN and Slack's error, before gunicorn forks a worker."""
    env = env_for(settings, free_port(), settings.database_url)
    env["SLACK_APP_TOKEN"] = "xapp-1-not-the-right-one"
    line = _refused(run([], env, tmp_path))
    assert "SLACK_APP_TOKEN" in line and "invalid_auth" in line
    [call] = slack.calls_to("apps.connections.open")
    assert call.status == 200


class Waits:
    """The sleep handed to the code under test: records each wait instead of waiting."""

    def __init__(self):
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def _socket_settings(settings, slack_api_url: str, slack) -> Settings:
    return dataclasses.replace(settings, slack_api_url=slack_api_url, slack_app_token=slack.app_token)


def test_socket_mode_check_retries_with_backoff_until_slack_answers(settings, slack):
    """Slack answering 5xx at start-up is retried after 1 s, then 2 s; the third attempt gets through."""
    slack.fail_next("apps.connections.open", status=503, times=2)
    waits = Waits()
    server.check_socket_mode(_socket_settings(settings, slack.url, slack), sleep=waits)
    assert waits.waits == [1, 2]
    assert len(slack.calls_to("apps.connections.open")) == 3


def test_socket_mode_check_gives_up_on_unreachable_slack_with_one_line(settings, slack):
    """Slack unreachable for every attempt: waits 1, 2, 4, 8, 16 s, then SlackUnreachable with one line."""
    unreachable = f"http://127.0.0.1:{free_port()}/api/"
    waits = Waits()
    with pytest.raises(server.SlackUnreachable) as refused:
        server.check_socket_mode(_socket_settings(settings, unreachable, slack), sleep=waits)
    assert waits.waits == [1, 2, 4, 8, 16]
    message = refused.value.code
    assert "\n" not in message and message.startswith("baton: cannot reach Slack for Socket Mode at " + unreachable)
    assert "after 6 attempts" in message


def test_socket_mode_check_does_not_retry_a_refused_token(settings, slack):
    """A bot token where the app-level token belongs is refused at once (not_allowed_token_type), no waiting."""
    waits = Waits()
    wrong = dataclasses.replace(settings, slack_app_token=settings.slack_bot_token)
    with pytest.raises(server.SlackUnreachable, match="not_allowed_token_type"):
        server.check_socket_mode(wrong, sleep=waits)
    assert waits.waits == []


def _handler(settings, api_url: str) -> SocketModeHandler:
    """Bolt's Socket Mode handler as build_web makes it, its Web API client without slack_sdk's own retries."""
    web = WebClient(token=settings.slack_bot_token, base_url=api_url, retry_handlers=[])
    app = App(client=web, signing_secret=settings.slack_signing_secret, token_verification_enabled=False)
    return SocketModeHandler(app, settings.slack_app_token or "xapp-1-test")


def test_socket_mode_connection_keeps_retrying_while_slack_is_unreachable(settings):
    """The worker's Socket Mode connection to an unreachable Slack waits 1, 2, 4 s between attempts (cut at 4
    here; forever in the worker) and returns instead of raising, so the worker keeps booting."""
    handler = _handler(settings, f"http://127.0.0.1:{free_port()}/api/")
    waits = Waits()
    try:
        assert server.connect_socket_mode(handler, sleep=waits, attempts=4) is False
    finally:
        handler.client.close()
    assert waits.waits == [1, 2, 4]


def test_socket_mode_connection_gets_through_once_slack_answers(settings, slack):
    """apps.connections.open failing twice (503) is retried after 1 s and 2 s; the third answer is used and
    the handler connects to the URL it gave (slack_sdk's monitor takes over from there)."""
    slack.socket_url = f"ws://127.0.0.1:{free_port()}/link/?ticket=fake"  # the fake speaks no WebSocket
    slack.fail_next("apps.connections.open", status=503, times=2)
    handler = _handler(dataclasses.replace(settings, slack_app_token=slack.app_token), slack.url)
    waits = Waits()
    try:
        assert server.connect_socket_mode(handler, sleep=waits) is True
        assert handler.client.wss_uri == slack.socket_url
    finally:
        handler.client.close()
    assert waits.waits == [1, 2]
    assert [c.status for c in slack.calls_to("apps.connections.open")][:3] == [503, 503, 200]


def test_the_database_pool_has_a_connection_for_every_listener_thread(settings):
    """A burst of requests never fails waiting for a connection: on PostgreSQL the pool holds one per listener
    thread plus the background threads' (with 15 for 32 threads, 300 concurrent /customer lost some to its 2 s
    timeout); on SQLite requests take turns for SQLAlchemy's pool, waiting up to 30 s."""
    from bot.deps import POOL_SPARE, build_deps

    deps = build_deps(dataclasses.replace(settings, listener_threads=48))
    try:
        pool = deps.sessions.engine.pool
        if deps.sessions.engine.dialect.name == "postgresql":
            assert pool.size() == 48 + POOL_SPARE
        else:  # SQLite: requests take turns, waiting for a connection well past any burst instead of failing
            assert pool.timeout() >= 30
    finally:
        deps.sessions.engine.dispose()
