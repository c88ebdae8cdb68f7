"""Kill -9 between Slack storing a post and the outbox recording it: the restarted process posts no copy."""

import json
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import update
from sqlmodel import select

from bot.db import Sessions, make_engine
from bot.models import OutboxMessage
from bot.services import outbox
from tests.outbox_process import PLAIN

ROOT = Path(__file__).resolve().parent.parent
CHANNEL = "C0BUSY"


def _run(settings_json: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHON_DOTENV_DISABLED": "1"}
    return subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "outbox_process.py"), settings_json],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_killed_mid_post_then_restarted_leaves_exactly_one_copy(settings, slack):
    """Slack stores the post, the process is SIGKILLed before recording it, 250 messages follow in the channel;
    the restarted process finds its post past the first history page and records it instead of posting again."""
    sessions = Sessions(make_engine(settings.database_url))
    with sessions.begin() as db:
        params = {"channel": CHANNEL, "text": "the card"}
        outbox.enqueue(db, "T111", "kill-test", PLAIN, params, now=datetime.now(UTC))
    config = json.dumps(
        {
            "slack_bot_token": settings.slack_bot_token,
            "slack_signing_secret": settings.slack_signing_secret,
            "slack_api_url": settings.slack_api_url,
            "database_url": settings.database_url,
            "handoff_channel": settings.handoff_channel,
        }
    )
    slack.fail_after_effect("chat.postMessage", hang=True)
    first = _run(config)
    try:
        assert slack.hung.wait(timeout=60), first.communicate(timeout=5)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    finally:
        slack.release_hung()
        if first.poll() is None:
            first.kill()
    assert first.returncode == -signal.SIGKILL
    [stored] = slack.messages(CHANNEL)
    with sessions.begin() as db:
        [row] = db.exec(select(OutboxMessage)).all()
        assert row.status == "sending" and row.sent_ts is None  # killed before recording
        # The dead process's lease runs out (60 s); let it run out now rather than wait.
        db.execute(update(OutboxMessage).values(lease_until=datetime.now(UTC) - timedelta(seconds=1)))
    for i in range(250):
        slack.add_message(CHANNEL, f"chatter {i}", "U999")
    second = _run(config)
    out, err = second.communicate(timeout=120)
    assert second.returncode == 0, err
    posts = [m for m in slack.messages(CHANNEL) if m.get("user") == "UBOT"]
    assert [m["ts"] for m in posts] == [stored["ts"]] and len(slack.messages(CHANNEL)) == 251
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert len(slack.calls_to("conversations.history")) >= 2  # the post was past the first page
    with sessions.begin() as db:
        [row] = db.exec(select(OutboxMessage)).all()
        assert row.status == "sent" and row.sent_ts == stored["ts"]
