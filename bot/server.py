"""Run modes: the HTTP server (gunicorn), Socket Mode, and the worker."""

import logging
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.exc import DBAPIError

from bot.app import create_app
from bot.config import WHERE, Settings
from bot.db import make_engine, one_line, schema_status
from bot.deps import build_deps
from bot.jobs import JOBS, guarded, register_jobs
from bot.jobs.leader import SqliteLeader, leader_for
from bot.web import WebApp

log = logging.getLogger("baton")

SOCKET_MODE_ATTEMPTS = 6  # at start-up: waits of 1, 2, 4, 8 and 16 s between them, then give up
BACKOFF_CAP = 30.0  # seconds; the longest wait between two connection attempts
# apps.connections.open errors that no retry fixes: the app-level token is wrong, revoked or lacks its scope.
TOKEN_ERRORS = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "not_allowed_token_type",
        "missing_scope",
    }
)


class StartupRefused(SystemExit):
    """Start-up cannot go on; `code` is the one line `python -m bot` prints before exiting 2."""


class SchemaOutOfDate(StartupRefused):
    pass


class SlackUnreachable(StartupRefused):
    pass


def check_schema(settings: Settings) -> None:
    """Refuse to start on a database that is not at the newest migration."""
    engine = make_engine(settings.database_url)
    try:
        current, head = schema_status(engine)
    except DBAPIError as exc:
        raise StartupRefused(f"baton: cannot reach the database (DATABASE_URL): {one_line(exc.orig or exc)}") from None
    finally:
        engine.dispose()
    if current != head:
        raise SchemaOutOfDate(
            f"baton: the database schema is at {current or 'nothing'} but this version needs {head}; "
            "run `python -m bot migrate` first"
        )


def backoff(attempt: int) -> float:
    """Seconds to wait after failed attempt number `attempt` (1, 2, 4, ... up to BACKOFF_CAP)."""
    return min(BACKOFF_CAP, 2.0 ** (attempt - 1))


def _slack_failure(exc: Exception) -> tuple[str, bool]:
    """(one-line reason, whether waiting can help) for an error talking to Slack."""
    if isinstance(exc, SlackApiError):
        error = exc.response.get("error") if isinstance(exc.response.data, dict) else None
        if error in TOKEN_ERRORS:
            return error, False
        return error or f"HTTP {exc.response.status_code}", True
    return one_line(exc), True


def _token_refused(error: str) -> SlackUnreachable:
    return SlackUnreachable(
        f"baton: Slack refused SLACK_APP_TOKEN for Socket Mode: {error} (where to get it: {WHERE['SLACK_APP_TOKEN']})"
    )


def check_socket_mode(
    settings: Settings, *, sleep: Callable[[float], None] = time.sleep, attempts: int = SOCKET_MODE_ATTEMPTS
) -> None:
    """Before any worker forks: Slack answers apps.connections.open for the app-level token. Retries with
    backoff while Slack is unreachable; raises SlackUnreachable (one line) on a refused token or after
    `attempts` tries."""
    # No retry handlers: this loop owns the retries (and their waits, which tests replace).
    client = WebClient(base_url=settings.slack_api_url, timeout=10, retry_handlers=[])
    for attempt in range(1, attempts + 1):
        try:
            client.apps_connections_open(app_token=settings.slack_app_token)
            return
        except (SlackApiError, SlackClientError, OSError) as exc:
            reason, transient = _slack_failure(exc)
        if not transient:
            raise _token_refused(reason)
        if attempt == attempts:
            break
        wait = backoff(attempt)
        log.warning(
            "Socket Mode: Slack is not reachable (%s); retrying in %g s (%d/%d)", reason, wait, attempt, attempts
        )
        sleep(wait)
    raise SlackUnreachable(
        f"baton: cannot reach Slack for Socket Mode at {settings.slack_api_url} after {attempts} attempts: {reason}"
    )


class SocketConnection(Protocol):
    """What connect_socket_mode needs of slack_bolt's SocketModeHandler."""

    client: Any

    def connect(self) -> None: ...


def connect_socket_mode(
    handler: SocketConnection,
    *,
    sleep: Callable[[float], None] = time.sleep,
    attempts: int | None = None,
) -> bool:
    """Open the Socket Mode connection, retrying with backoff (forever by default: the worker keeps serving
    /healthz and the webhooks meanwhile) while apps.connections.open fails. Once it has answered, slack_sdk's
    own monitor keeps the WebSocket up (it reconnects every ping interval). False if a refused token or
    `attempts` tries ended it."""
    attempt = 0
    while True:
        attempt += 1
        handler.client.wss_uri = None  # a wss URL is single-use and short-lived: a fresh one on every attempt
        try:
            handler.connect()
        except (SlackApiError, SlackClientError, OSError) as exc:
            reason, transient = _slack_failure(exc)
        else:
            if handler.client.is_connected():
                log.info("connected to Slack in Socket Mode")
            else:  # slack_sdk logged why; its monitor retries
                log.warning("Socket Mode: the WebSocket did not open yet; slack_sdk keeps reconnecting")
            return True
        if not transient:
            log.error("%s", _token_refused(reason).code)
            return False
        if attempts is not None and attempt >= attempts:
            log.error("Socket Mode: gave up after %d attempts: %s", attempt, reason)
            return False
        wait = backoff(attempt)
        log.warning("Socket Mode: cannot reach Slack (%s); retrying in %g s", reason, wait)
        sleep(wait)


def build_web(settings: Settings, *, background: bool = True, socket_mode: bool = False) -> WebApp:
    """Deps + Bolt app + WSGI app, with the outbox and inbox threads started in this process."""
    deps = build_deps(settings)
    app, _ = create_app(settings, deps)
    if background:
        deps.start_background()
    if socket_mode:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        handler = SocketModeHandler(app, settings.slack_app_token)
        # Connecting in the background: a Slack outage must not fail the worker's boot (gunicorn would stop).
        threading.Thread(target=connect_socket_mode, args=(handler,), daemon=True, name="socket-mode").start()
    log.info("baton web ready")
    return WebApp(deps, app)


def serve(settings: Settings, *, socket_mode: bool = False, sleep: Callable[[float], None] = time.sleep) -> None:
    """Serve HTTP with gunicorn (threaded workers); in Socket Mode, Slack comes over the socket instead."""
    from gunicorn.app.base import BaseApplication

    # Every check that can fail runs here, before gunicorn forks: a worker failing to boot prints a traceback
    # and "Worker failed to boot" instead of the reason.
    check_schema(settings)
    if socket_mode:
        check_socket_mode(settings, sleep=sleep)

    class Server(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"0.0.0.0:{settings.port}")
            # One Socket Mode connection per process: Slack would split events across several.
            self.cfg.set("workers", 1 if socket_mode else settings.web_concurrency)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("threads", 16)
            self.cfg.set("timeout", 30)
            self.cfg.set("graceful_timeout", 20)
            # Keep idle connections longer than a client or load balancer does (60 s is usual), so the server
            # never closes one just as a request is sent on it (gunicorn's 2 s default made 300 concurrent
            # /customer end with "Server disconnected without sending a response" for a few).
            self.cfg.set("keepalive", 75)
            self.cfg.set("accesslog", "-")
            # The request path without its query: Salesforce's Outbound Message URL carries its token there, and
            # secrets are never logged (gunicorn's default format logs the whole request line).
            self.cfg.set("access_log_format", '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(a)s"')
            self.cfg.set("proc_name", "baton-web")

        def load(self):  # runs in each worker after fork, so threads and connections are the worker's own
            return build_web(settings, socket_mode=socket_mode)

    Server().run()


def worker(settings: Settings) -> None:
    """The scheduler process: the teams' schedules (in the one leading worker), pruning, and the outbox and
    inbox threads (so nothing waits for web traffic). Raises AnotherWorker on a SQLite database that already
    has a worker."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    check_schema(settings)
    deps = build_deps(settings)
    leader = leader_for(deps.sessions.engine)
    if isinstance(leader, SqliteLeader):
        leader.acquire()
    scheduler = BlockingScheduler(timezone="UTC")
    register_jobs(scheduler, deps, leader)
    # First tick at once: a worker that was down catches up now, not a minute later.
    scheduler.add_job(
        guarded(JOBS["run_schedules"], deps, leader), id="run_schedules_on_start", misfire_grace_time=3600
    )

    def stop(*_):
        threading.Thread(target=scheduler.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    deps.outbox.start()
    deps.inbox.start()
    log.info("worker started")
    try:
        scheduler.start()
    finally:
        deps.stop_background()
        leader.release()
    sys.exit(0)
