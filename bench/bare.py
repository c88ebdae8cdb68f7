"""`python -m bench.bare`: the floor for bench.serve, a Bolt app whose `/bare` command only acks and replies,
served by gunicorn with the settings `python -m bot serve` uses (gthread, 16 threads, WEB_CONCURRENCY workers)."""

import os
from concurrent.futures import ThreadPoolExecutor

from gunicorn.app.base import BaseApplication
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient


def bare_app() -> App:
    app = App(
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        client=WebClient(token="xoxb-test", base_url=os.environ["SLACK_API_URL"].rstrip("/") + "/"),
        listener_executor=ThreadPoolExecutor(max_workers=32, thread_name_prefix="bare"),
        token_verification_enabled=False,
    )

    @app.command("/bare")
    def bare(ack, respond):
        ack()
        respond(text="ok", response_type="ephemeral")

    return app


def wsgi():
    handler = SlackRequestHandler(bare_app())

    def application(environ, start_response):
        if environ.get("PATH_INFO") == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]
        return handler(environ, start_response)

    return application


class Server(BaseApplication):
    def load_config(self):
        self.cfg.set("bind", f"127.0.0.1:{os.environ.get('PORT', '3001')}")
        self.cfg.set("workers", int(os.environ.get("WEB_CONCURRENCY", "1")))
        self.cfg.set("worker_class", "gthread")
        self.cfg.set("threads", 16)
        self.cfg.set("timeout", 30)
        self.cfg.set("keepalive", 75)  # as bot/server.py sets it
        self.cfg.set("accesslog", "-")

    def load(self):
        return wsgi()


if __name__ == "__main__":
    Server().run()
