"""The revenue ledger: the movement that takes a customer's ARR where it should go, recorded once, its balance
on any day, and every place Baton changes ARR going through it (handoffs, customers files, a churned stage);
on SQLite and PostgreSQL alike."""

import textwrap
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlmodel import select

from bot.models import ArrMovement, Customer
from bot.services import imports, ledger
from tests.conftest import TEAM
from tests.services.conftest import add_customer

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)
D = Decimal


def movements(sessions, cid: int | None = None) -> list[tuple]:
    with sessions.begin() as db:
        stmt = select(ArrMovement).order_by(ArrMovement.id)
        if cid is not None:
            stmt = stmt.where(ArrMovement.customer_id == cid)
        return [(m.kind, m.amount, m.currency, m.effective_on, m.source) for m in db.exec(stmt)]


def set_arr(sessions, cid: int, amount, currency: str | None, on: date, ref: str = "t") -> list[str]:
    with sessions.begin() as db:
        customer = db.get(Customer, cid)
        return ledger.set_arr(db, customer, amount, currency, on, source="api", ref=ref, by="U1", now=NOW)


@pytest.mark.parametrize(
    ("have", "want", "currency", "expected"),
    [
        (None, D(100), "USD", [("new", D(100), "USD")]),
        (ledger.Balance(D(100), "USD", True), D(150), "USD", [("expansion", D(50), "USD")]),
        (ledger.Balance(D(100), "USD", True), D(40), "USD", [("contraction", D(60), "USD")]),
        (ledger.Balance(D(100), "USD", True), D(100), "USD", []),
        (ledger.Balance(D(100), "USD", True), D(0), "USD", [("churn", D(100), "USD")]),
        (ledger.Balance(D(0), "USD", True), D(80), "USD", [("reactivation", D(80), "USD")]),
        (ledger.Balance(D(0), "USD", True), D(0), "USD", []),
        (ledger.Balance(D(100), "USD", True), D(130_000_000), "KRW", [("churn", D(100), "USD"),
                                                                      ("reactivation", D(130_000_000), "KRW")]),
        (None, D(0), None, []),
    ],
)  # fmt: skip
def test_the_movement_that_reaches_the_wanted_arr(have, want, currency, expected):
    assert ledger._moves(have, want, currency) == expected


def test_set_arr_records_each_change_and_the_balance_follows_on_every_day(sessions):
    cid = add_customer(sessions, "Acme")
    assert set_arr(sessions, cid, D(100), "usd", date(2026, 1, 1)) == ["new"]
    assert set_arr(sessions, cid, D(100), "USD", date(2026, 2, 1)) == []  # nothing to change
    assert set_arr(sessions, cid, D(150), "USD", date(2026, 3, 1)) == ["expansion"]
    assert set_arr(sessions, cid, D(100), "USD", date(2026, 4, 1)) == ["contraction"]
    assert set_arr(sessions, cid, D(150), "USD", date(2026, 5, 1)) == ["expansion"]  # the same ref, again: recorded
    assert set_arr(sessions, cid, None, "USD", date(2026, 6, 1)) == ["churn"]
    with sessions.begin() as db:
        assert db.get(Customer, cid).arr == D(150)  # a churned customer keeps the ARR it churned with
        at = {day: ledger.balances(db, TEAM, [cid], day)[cid].amount for day in
              (date(2026, 1, 1), date(2026, 3, 15), date(2026, 4, 1), date(2026, 6, 1))}  # fmt: skip
        assert ledger.balances(db, TEAM, [cid], date(2025, 12, 31)) == {}
    assert at == {date(2026, 1, 1): 100, date(2026, 3, 15): 150, date(2026, 4, 1): 100, date(2026, 6, 1): 0}
    assert set_arr(sessions, cid, D(90), "USD", date(2026, 9, 1)) == ["reactivation"]
    assert [m[0] for m in movements(sessions, cid)] == [
        "new", "expansion", "contraction", "expansion", "churn", "reactivation"
    ]  # fmt: skip


def test_a_movement_is_recorded_once_per_ref_and_checked(sessions):
    cid = add_customer(sessions, "Acme")
    with sessions.begin() as db:
        args = (db, TEAM, cid, "new", D("10.004"), "USD", date(2026, 1, 1))
        assert ledger.record(*args, source="api", ref="r1", by=None, now=NOW)
        assert not ledger.record(*args, source="api", ref="r1", by=None, now=NOW)
        for kind, amount, currency, source in [("gift", 1, "USD", "api"), ("new", 0, "USD", "api"),
                                               ("new", 1, "usd", "api"), ("new", 1, "USD", "fax"),
                                               ("new", D("1e17"), "USD", "api")]:  # fmt: skip
            with pytest.raises(ledger.LedgerError):
                ledger.record(db, TEAM, cid, kind, D(amount), currency, date(2026, 1, 1), source=source, ref="x",
                              by=None, now=NOW)  # fmt: skip
    assert movements(sessions) == [("new", D("10.00"), "USD", date(2026, 1, 1), "api")]


def test_a_customers_file_moves_arr_through_the_ledger_once(sessions, tmp_path):
    """A new customer's ARR is a `new` movement, a later file's higher ARR an expansion, the same file again
    nothing, a churned stage a churn; the row's ARR stays what it churned with."""

    def run(text: str, name: str):
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        with sessions.begin() as db:
            result = imports.import_customers(db, TEAM, path, now=NOW)
        assert result.errors == [] and result.written

    run("""
        Name,ARR,Currency,Stage
        Acme,"120,000",USD,adoption
        Globex,,,
    """, "a.csv")  # fmt: skip
    run("""
        Name,ARR,Currency,Stage
        Acme,"150,000",USD,adoption
    """, "b.csv")  # fmt: skip
    run("""
        Name,ARR,Currency,Stage
        Acme,"150,000",USD,adoption
    """, "b2.csv")  # fmt: skip
    run("""
        Name,ARR,Currency,Stage
        Acme,"150,000",USD,churned
    """, "c.csv")  # fmt: skip
    assert [(m[0], m[1], m[4]) for m in movements(sessions)] == [
        ("new", D(120000), "csv"), ("expansion", D(30000), "csv"), ("churn", D(150000), "csv")
    ]  # fmt: skip
    with sessions.begin() as db:
        acme = db.exec(select(Customer).where(Customer.name == "Acme")).one()
        assert (acme.arr, acme.currency, acme.stage) == (D(150000), "USD", "churned")
