"""A non-editable install (a wheel, `pip install .`, a container) ships every package and the migrations, so
`python -m bot migrate` and the start-up checks work from any directory."""

import importlib.metadata
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from sqlmodel import create_engine

from bot.db import schema_status

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]


def _setuptools_builds_wheels() -> bool:
    """setuptools 77+ (the dev extra) builds a wheel offline, without build isolation or the `wheel` package."""
    try:
        major = int(importlib.metadata.version("setuptools").split(".")[0])
    except importlib.metadata.PackageNotFoundError:
        return False
    return major >= 77


def test_every_package_under_bot_is_listed_for_the_wheel():
    """pyproject.toml lists each package under bot/ and maps baton_migrations to migrations/ (with versions/)."""
    on_disk = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "bot").rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    listed = set(SETUPTOOLS["packages"])
    assert sorted(on_disk - listed) == [], "add these packages to [tool.setuptools] packages"
    assert {p for p in listed if p.split(".")[0] == "bot"} == on_disk
    assert SETUPTOOLS["package-dir"] == {"baton_migrations": "migrations"}
    assert {"baton_migrations", "baton_migrations.versions"} <= listed
    assert (ROOT / "migrations" / "__init__.py").is_file() and (ROOT / "migrations" / "env.py").is_file()


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel `pip install .` would install, built from a copy of the checkout (the tree stays clean)."""
    if not _setuptools_builds_wheels():
        pytest.skip("needs setuptools>=77 in this venv: pip install -e '.[dev]'")
    base = tmp_path_factory.mktemp("wheel")
    src = base / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build")
    for name in ("bot", "migrations"):
        shutil.copytree(ROOT / name, src / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    out = base / "dist"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", out, src],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    [built] = out.glob("baton-*.whl")
    return built


def test_wheel_holds_every_module_and_migration(wheel):
    """Each .py file of bot/ and each file of migrations/ (as baton_migrations/) is in the wheel."""
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {p.relative_to(ROOT).as_posix() for p in (ROOT / "bot").rglob("*.py") if "__pycache__" not in p.parts}
    for p in (ROOT / "migrations").rglob("*"):
        if p.is_file() and "__pycache__" not in p.parts:
            expected.add("baton_migrations/" + p.relative_to(ROOT / "migrations").as_posix())
    assert sorted(expected - names) == []


def test_installed_wheel_migrates_and_starts_outside_the_checkout(wheel, tmp_path):
    """With only the wheel's files on the path and the working directory elsewhere, `python -m bot --help` and
    `python -m bot migrate` work and the database ends at the newest revision."""
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)  # what pip puts in site-packages for a pure-Python wheel
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    db = run_dir / "baton.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BATON_", "HUBSPOT_", "DATABASE_"))}
    # PYTHONPATH comes before the venv's editable install (a meta-path finder consulted last).
    env.update(PYTHONPATH=str(site), DATABASE_URL=f"sqlite:///{db}", PYTHON_DOTENV_DISABLED="1")

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, *args], env=env, cwd=run_dir, capture_output=True, text=True, timeout=120
        )

    where = run("-c", "import bot; print(bot.__file__)")
    assert where.returncode == 0 and Path(where.stdout.strip()).is_relative_to(site), where.stdout + where.stderr
    assert run("-m", "bot", "--help").returncode == 0
    migrated = run("-m", "bot", "migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert "database schema is up to date" in migrated.stdout
    engine = create_engine(f"sqlite:///{db}")
    try:
        current, head = schema_status(engine)
    finally:
        engine.dispose()
    assert current == head is not None
