"""A separate process that delivers the outbox once, as a web or worker process does (tests/test_outbox_kill.py
runs it, kills it with SIGKILL mid-post, and runs it again)."""

import json
import sys

from bot.config import Settings
from bot.deps import build_deps
from bot.outbox import Send

PLAIN = "test.post"  # a plain channel post: what is under test is the engine's send and reconcile


def main() -> None:
    deps = build_deps(Settings(**json.loads(sys.argv[1])))
    deps.outbox.renderers.table[PLAIN] = lambda db, team_id, params: Send(
        "chat.postMessage", {"channel": params["channel"], "text": params["text"]}
    )
    print(f"attempted {deps.outbox.run_once()}", flush=True)


if __name__ == "__main__":
    main()
