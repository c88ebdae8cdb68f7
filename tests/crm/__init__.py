"""Tests for bot.crm; fixtures are third-party CRM captures copied from shared/fixtures into tests/data."""

from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "data" / "fixtures" / "crm"


def fixture_bytes(name: str) -> bytes:
    """Exact bytes of a shared CRM fixture; skips the test when the fixtures are not present."""
    path = FIXTURES / name
    return path.read_bytes()
