"""Start-up through the real entry point (`python -m bot` in a subprocess): which `.env` is read, and faults
(unreachable database, malformed health settings, Slack unreachable in Socket Mode) ending in one clear line."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.test_server_smoke import env_for, free_port, run

ROOT = Path(__file__).resolve().parent.parent


def test_env_file_in_the_working_directory_is_read(settings, tmp_path):
    """Without PYTHON_DOTENV_DISABLED, `.env` in the working directory supplies unset variables."""
    app_dir = tmp_path / "app"
    app_dir.mkdir()
    (app_dir / ".env").write_text(f"DATABASE_URL=sqlite:///{app_dir}/from-dotenv.db\n", encoding="utf-8")
    env = env_for(settings, free_port(), "unused")
    del env["DATABASE_URL"], env["PYTHON_DOTENV_DISABLED"]
    result = run(["migrate"], env, app_dir)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in app_dir.glob("*.db")) == ["from-dotenv.db"]


def test_a_developers_env_file_does_not_reach_the_tests(tmp_path):
    """A junk `.env` in the repository root (as the Quick start leaves one) changes no test's outcome: the
    config tests, the one-clear-line start-up test and a CLI test pass in a copy of the checkout holding it."""
    repo = tmp_path / "repo"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", "*.egg-info")
    for name in ("bot", "tests", "migrations", "docs"):
        shutil.copytree(ROOT / name, repo / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md", "manifest.json", ".env.example"):
        shutil.copy(ROOT / name, repo / name)
    (repo / ".env").write_text(
        "SLACK_BOT_TOKEN=xoxb-junk-from-a-developers-dotenv\n"
        "SLACK_SIGNING_SECRET=junk-signing-secret-from-dotenv\n"
        "DATABASE_URL=postgresql://nobody@127.0.0.1:1/nowhere\n"
        "PORT=99999\n"
        "BATON_TIMEZONE=Mars/Olympus\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHON_DOTENV_DISABLED", "TEST_DATABASE_URL")}
    env["PYTHONPATH"] = str(repo)
    tests = [
        "tests/test_config.py",
        "tests/test_server_smoke.py::test_missing_setting_stops_startup_with_one_clear_line",
        "tests/test_cli.py::test_import_customers_resolves_owners_and_prints_a_summary",
    ]
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
