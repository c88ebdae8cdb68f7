"""Service tests: a session factory on the per-test database, and a way to add a customer."""

import pytest

from bot.db import Sessions, make_engine
from bot.models import Customer
from bot.text import normalize_key
from tests.conftest import TEAM


@pytest.fixture
def sessions(database_url):
    engine = make_engine(database_url)
    yield Sessions(engine)
    engine.dispose()


def add_customer(sessions: Sessions, name: str, team: str = TEAM, **fields) -> int:
    """A customer of `team` (its own transaction); returns its id."""
    with sessions.begin() as db:
        c = Customer(team_id=team, name=name, name_key=normalize_key(name), **fields)
        db.add(c)
        db.flush()
        return c.id  # type: ignore[return-value]
