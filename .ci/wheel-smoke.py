"""Run by .ci/run with the Python of a venv where Baton was installed non-editable (`pip install .`): from a
directory outside the checkout, `--help`, `migrate` and `serve` work and /healthz answers 200."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def main(run_dir: Path) -> int:
    run_dir.mkdir(parents=True, exist_ok=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BATON_", "HUBSPOT_", "DATABASE_"))}
    env.pop("PYTHONPATH", None)
    env.update(
        DATABASE_URL=f"sqlite:///{run_dir / 'baton.db'}",
        SLACK_BOT_TOKEN="xoxb-ci-smoke",
        SLACK_SIGNING_SECRET="ci-smoke-signing-secret",
        SLACK_API_URL="http://127.0.0.1:9/api/",  # nothing calls Slack before a request arrives
        BATON_HANDOFF_CHANNEL="C0CISMOKE",
        PORT=str(port),
    )

    def bot(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, *args], env=env, cwd=run_dir, text=True, capture_output=True)

    where = bot("-c", "import bot; print(bot.__file__)")
    if where.returncode or not Path(where.stdout.strip()).is_relative_to(sys.prefix):
        print(f"bot is not imported from the installed package: {where.stdout}{where.stderr}", file=sys.stderr)
        return 1
    print("imported from", where.stdout.strip())
    for args in (("-m", "bot", "--help"), ("-m", "bot", "migrate")):
        done = bot(*args)
        if done.returncode:
            print(f"python {' '.join(args)} failed ({done.returncode}):\n{done.stdout}{done.stderr}", file=sys.stderr)
            return 1
        print(f"python {' '.join(args)}: ok")

    server = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve"], env=env, cwd=run_dir, stdout=subprocess.DEVNULL, stderr=sys.stderr
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if server.poll() is not None:
                print(f"serve exited with {server.returncode}", file=sys.stderr)
                return 1
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
            except httpx.TransportError:
                time.sleep(0.5)
                continue
            print("GET /healthz:", health.status_code, health.text)
            return 0 if health.status_code == 200 else 1
        print("serve did not answer /healthz within 60 s", file=sys.stderr)
        return 1
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
