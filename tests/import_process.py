"""A separate `import health` process that stops at a named phase (tests/test_import_interrupt.py signals it
there): it prints the phase on stdout and waits for its stdin to close."""

import io
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.cli import import_health_command
from bot.db import Sessions, make_engine


def main() -> None:
    url, path, team, stop_at = sys.argv[1:5]
    sessions = Sessions(make_engine(url))

    def hook(phase: str) -> None:
        if phase == stop_at:
            print(phase, flush=True)
            sys.stdin.read()  # the test signals us while we wait here

    out = io.StringIO()
    code = import_health_command(
        sessions,
        Path(path),
        team,
        now=datetime.now(UTC),
        source="csv",
        skip_invalid=False,
        out=out,
        err=sys.stderr,
        hook=hook,
    )
    sys.exit(code)


if __name__ == "__main__":
    main()
