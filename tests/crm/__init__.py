"""Tests for bot.crm; fixtures are the shared third-party CRM captures (override with BATON_CRM_FIXTURES)."""

import os
from pathlib import Path

import pytest

FIXTURES = Path(os.environ.get("BATON_CRM_FIXTURES", "/work/shared/fixtures/crm"))


def fixture_bytes(name: str) -> bytes:
    """Exact bytes of a shared CRM fixture; skips the test when the fixtures are not present."""
    path = FIXTURES / name
    if not path.is_file():
        pytest.skip(f"CRM fixture {path} not available")
    return path.read_bytes()
