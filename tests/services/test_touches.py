"""Touches: the form's checks, stored once per submission, the card's latest ones and the digest's last day, on
SQLite and PostgreSQL alike."""

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.services import customer as cs
from bot.services import touches
from tests.conftest import TEAM
from tests.services.conftest import add_customer

TODAY = date(2026, 12, 3)
NOW = datetime(2026, 12, 3, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    ("kind", "note", "on", "errors"),
    [
        ("call", "ok", None, {}),
        ("call", "  ok  ", "2026-12-03", {}),
        ("", "ok", None, {"kind": "touch_kind"}),
        ("visit", "ok", None, {"kind": "touch_kind"}),
        ("call", "   ", None, {"note": "touch_note_required"}),
        ("call", "x" * 1001, None, {"note": "note_too_long"}),
        ("call", "ok", "2026-12-04", {"date": "touch_future"}),
        ("call", "ok", "2026-09-03", {"date": "touch_too_old"}),
        ("call", "ok", "2026-09-04", {}),
        ("call", "ok", "12/03/2026", {"date": "touch_date"}),
        (None, None, "x", {"kind": "touch_kind", "note": "touch_note_required", "date": "touch_date"}),
    ],
)
def test_validate(kind, note, on, errors):
    touch, found = touches.validate(kind, note, on, TODAY)
    assert {field: code for field, (code, _params) in found.items()} == errors
    assert (touch is None) == bool(errors)
    if touch is not None:
        assert touch.note == "ok" and touch.on == (date.fromisoformat(on) if on else TODAY)


def test_stored_once_per_submission_and_read_newest_first(sessions):
    cid = add_customer(sessions, "Acme")
    other = add_customer(sessions, "Other team's", team="T999")
    with sessions.begin() as db:
        assert not touches.any_logged(db, TEAM)
        for idem, kind, days in [("a", "call", 5), ("a", "call", 5), ("b", "email", 1), ("c", "note", 9)]:
            touch = touches.TouchInput(kind, f"{kind} {days}", TODAY - timedelta(days=days))
            cs.log_touch(db, TEAM, cid, touch, "U1", idem=idem, now=NOW)
        assert [x.kind for x in touches.recent(db, TEAM, cid)] == ["email", "call", "note"]
        assert [x.kind for x in touches.recent(db, TEAM, cid, limit=1)] == ["email"]
        assert touches.last_touched(db, TEAM, [cid, other, 999]) == {cid: TODAY - timedelta(days=1)}
        assert touches.any_logged(db, TEAM) and not touches.any_logged(db, "T999")
        with pytest.raises(cs.CustomerNotFound):
            cs.log_touch(db, TEAM, other, touch, "U1", idem="d", now=NOW)


def test_last_touched_reads_many_customers_in_chunks(sessions):
    ids = [add_customer(sessions, f"C{i}") for i in range(touches.CHUNK + 3)]
    with sessions.begin() as db:
        for i, cid in enumerate(ids):
            touches.store(db, TEAM, cid, touches.TouchInput("call", "x", TODAY - timedelta(days=i % 7)), "U1",
                          idem=f"k{i}", now=NOW)  # fmt: skip
        found = touches.last_touched(db, TEAM, ids)
    assert len(found) == len(ids) and found[ids[8]] == TODAY - timedelta(days=1)
