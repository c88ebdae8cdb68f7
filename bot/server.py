"""Run modes: the HTTP server (gunicorn), Socket Mode, and the worker."""

import logging
import signal
import sys
import threading

from bot.app import create_app
from bot.config import Settings
from bot.db import make_engine, schema_status
from bot.deps import build_deps
from bot.jobs import JOBS, guarded, register_jobs
from bot.jobs.leader import SqliteLeader, leader_for
from bot.web import WebApp

log = logging.getLogger("baton")


class SchemaOutOfDate(SystemExit):
    pass


def check_schema(settings: Settings) -> None:
    """Refuse to start on a database that is not at the newest migration."""
    engine = make_engine(settings.database_url)
    try:
        current, head = schema_status(engine)
    finally:
        engine.dispose()
    if current != head:
        raise SchemaOutOfDate(
            f"baton: the database schema is at {current or 'nothing'} but this version needs {head}; "
            "run `python -m bot migrate` first"
        )


def build_web(settings: Settings, *, background: bool = True, socket_mode: bool = False) -> WebApp:
    """Deps + Bolt app + WSGI app, with the outbox and inbox threads started in this process."""
    deps = build_deps(settings)
    app, _ = create_app(settings, deps)
    if background:
        deps.start_background()
    if socket_mode:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        SocketModeHandler(app, settings.slack_app_token).connect()
        log.info("connected to Slack in Socket Mode")
    log.info("baton web ready")
    return WebApp(deps, app)


def serve(settings: Settings, *, socket_mode: bool = False) -> None:
    """Serve HTTP with gunicorn (threaded workers); in Socket Mode, Slack comes over the socket instead."""
    from gunicorn.app.base import BaseApplication

    check_schema(settings)

    class Server(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"0.0.0.0:{settings.port}")
            # One Socket Mode connection per process: Slack would split events across several.
            self.cfg.set("workers", 1 if socket_mode else settings.web_concurrency)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("threads", 16)
            self.cfg.set("timeout", 30)
            self.cfg.set("graceful_timeout", 20)
            self.cfg.set("accesslog", "-")
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
