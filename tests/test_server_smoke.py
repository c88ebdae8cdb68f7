"""The real server process (`python -m bot serve`, gunicorn) against the fake Slack: start-up rules and one
handoff through real HTTP, with the outbox delivering from its background thread."""

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from bot.blocks import handoff as hb
from tests import payloads as p
from tests.conftest import HANDOFF_CHANNEL
from tests.flows import GOOD_FORM, state_for

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def env_for(settings, port: int, database_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BATON_", "HUBSPOT_", "DATABASE_"))}
    env.update(
        SLACK_BOT_TOKEN=settings.slack_bot_token,
        SLACK_SIGNING_SECRET=settings.slack_signing_secret,
        SLACK_API_URL=settings.slack_api_url,
        DATABASE_URL=database_url,
        PORT=str(port),
        BATON_HANDOFF_CHANNEL=HANDOFF_CHANNEL,
        PYTHONUNBUFFERED="1",
        PYTHONPATH=str(ROOT),  # the checkout under test, whatever the venv's editable install points at
    )
    return env


def run(args: list[str], env: dict, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=60
    )


def test_missing_setting_stops_startup_with_one_clear_line(settings, tmp_path):
    """Without SLACK_SIGNING_SECRET the process exits 2 with one line naming it and where to get it."""
    env = env_for(settings, free_port(), f"sqlite:///{tmp_path}/x.db")
    del env["SLACK_SIGNING_SECRET"]
    result = run(["serve"], env, tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "SLACK_SIGNING_SECRET" in lines[0] and "Signing Secret" in lines[0]


def test_server_refuses_unmigrated_database(settings, tmp_path):
    """`serve` on an empty database exits 2 and says to run `python -m bot migrate`."""
    env = env_for(settings, free_port(), f"sqlite:///{tmp_path}/empty.db")
    result = run(["serve"], env, tmp_path)
    assert result.returncode == 2 and "python -m bot migrate" in result.stderr


@pytest.fixture
def server(settings, database_url, tmp_path):
    """`python -m bot serve` on a free port with the test database (already migrated)."""
    port = free_port()
    env = env_for(settings, port, database_url)
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve"],
        env=env,
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    ready = threading.Event()
    log: list[str] = []

    def read():
        for line in proc.stderr:
            log.append(line)
            if "baton web ready" in line:
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    if not ready.wait(timeout=30):
        proc.kill()
        pytest.fail("server did not start:\n" + "".join(log))
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=30)


def test_handoff_through_the_real_http_server(server, slack):
    """healthz, then /handoff and a submission over real HTTP; the background outbox posts the card once."""
    with httpx.Client(base_url=server, timeout=10) as http:
        # Ready once the lookup index is built (503 until then, as a load balancer's probe sees it): polled.
        deadline = time.monotonic() + 30
        health = http.get("/healthz")
        while health.status_code == 503 and time.monotonic() < deadline:
            time.sleep(0.1)
            health = http.get("/healthz")
        assert health.status_code == 200 and health.json() == {"ok": True, "database": "ok"}
        assert http.post("/webhooks/hubspot", content=b"[]").status_code in (401, 503)

        cmd = p.slash_command("/handoff", "ACME Corp.", user_id="U_AE", response_url=slack.new_response_url())
        assert http.post("/slack/events", content=cmd.body, headers=cmd.headers).status_code == 200
        [opened] = slack.wait_for("views.open")
        view = opened.args["view"]

        sub = p.view_submission(
            hb.HANDOFF_MODAL, state_for(GOOD_FORM), user_id="U_AE", private_metadata=view["private_metadata"]
        )
        resp = http.post("/slack/events", content=sub.body, headers=sub.headers)
        assert resp.status_code == 200 and resp.text == ""
        slack.wait_for("chat.postMessage", timeout=10)
    [card] = slack.messages(HANDOFF_CHANNEL)
    assert "ACME Corp." in str(card["blocks"])
