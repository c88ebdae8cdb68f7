"""Run modes: the HTTP server (gunicorn), Socket Mode, and the worker."""

import logging
import signal
import sys
import threading

from bot.app import create_app
from bot.config import Settings
from bot.db import make_engine, schema_status
from bot.deps import build_deps
from bot.jobs import register_jobs
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
    """The scheduler process: sweeps the outbox and inbox (so nothing waits for web traffic) and prunes."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    check_schema(settings)
    deps = build_deps(settings)
    scheduler = BlockingScheduler(timezone="UTC")
    register_jobs(scheduler, deps)

    def stop(*_):
        threading.Thread(target=scheduler.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    log.info("worker started")
    scheduler.start()
    sys.exit(0)
