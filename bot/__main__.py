"""`python -m bot [serve|migrate|worker|import|tokens|config|jobs|health|crm]`: one entry point for every run mode."""

import argparse
import logging
import sys
from pathlib import Path

from dotenv import load_dotenv

from bot import cli
from bot.config import ConfigError, Settings
from bot.jobs.leader import AnotherWorker


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Baton: Sales to CS handoffs in Slack")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve", help="HTTP server on $PORT: /slack/events, /webhooks/*, /healthz")
    sub.add_parser("migrate", help="upgrade the database schema to the newest version")
    sub.add_parser("worker", help="the scheduler process")
    cli.add_commands(sub)
    args = parser.parse_args(argv)

    # `.env` in the working directory (the repository root, or a deploy's app directory), never one found next
    # to the installed code; set variables win. PYTHON_DOTENV_DISABLED=1 turns it off (the tests set it).
    load_dotenv(Path.cwd() / ".env", override=False)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env(require_slack=args.command not in ("migrate", *cli.COMMANDS))
    except ConfigError as exc:
        print(f"baton: {exc}", file=sys.stderr)
        return 2
    problem = startup_problem(settings, args.command)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    if args.command in cli.COMMANDS:
        return cli.run(args, settings)

    from bot import server

    try:
        if args.command == "migrate":
            from bot.db import migrate

            migrate(settings.database_url)
            print("baton: database schema is up to date")
        elif args.command == "worker":
            server.worker(settings)
        else:
            if not settings.handoff_channel:
                print(
                    "baton: BATON_HANDOFF_CHANNEL is not set (where to get it: the id of the CS channel, "
                    "channel details > About, starts with C)",
                    file=sys.stderr,
                )
                return 2
            socket_mode = args.command is None and bool(settings.slack_app_token)
            server.serve(settings, socket_mode=socket_mode)
    except server.StartupRefused as exc:  # out-of-date schema, Slack unreachable in Socket Mode
        print(exc.code, file=sys.stderr)
        return 2
    except AnotherWorker as exc:
        print(exc, file=sys.stderr)
        return 2
    return 0


def startup_problem(settings: Settings, command: str | None) -> str | None:
    """The one line that stops start-up, if any: the database does not answer, or the health settings file is
    malformed. Checked here, before any command (and before gunicorn forks), so neither ends in a traceback."""
    from bot.config import redact_url
    from bot.db import DatabaseUnreachable, ping
    from bot.services.health_config import HealthConfigError, load_health_rules

    if command != "migrate":  # the schema check's INFO lines are noise at start-up; migrate's steps are not
        logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        ping(settings.database_url)
    except DatabaseUnreachable as exc:
        return f"baton: cannot reach the database at {redact_url(settings.database_url)} (DATABASE_URL): {exc}"
    if command != "migrate":
        try:
            load_health_rules(settings.health_config)
        except HealthConfigError as exc:
            return f"baton: BATON_HEALTH_CONFIG is malformed: {' '.join(str(exc).split())}"
    return None


if __name__ == "__main__":
    sys.exit(main())
