"""Migrations build exactly the schema the models describe, go down and up again, and the server refuses to
start on an out-of-date schema. Runs on SQLite, or on a fresh PostgreSQL schema when TEST_DATABASE_URL is set."""

import uuid
from decimal import Decimal

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlmodel import SQLModel

import bot.models  # noqa: F401 - registers every table on SQLModel.metadata
from bot.config import Settings, normalize_database_url
from bot.db import alembic_config, make_engine, migrate, schema_status
from bot.server import SchemaOutOfDate, check_schema
from tests.conftest import PG_URL

BATON_TABLES = {t.name for t in SQLModel.metadata.sorted_tables}


@pytest.fixture
def empty_url(tmp_path):
    """A database with nothing in it: a new SQLite file, or a new PostgreSQL schema dropped afterwards."""
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    base = normalize_database_url(PG_URL)
    schema = f"baton_mig_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _drift(url: str) -> list:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
            return compare_metadata(ctx, SQLModel.metadata)
    finally:
        engine.dispose()


def _settings(url: str) -> Settings:
    return Settings(slack_bot_token="xoxb-test", slack_signing_secret="test-signing-secret", database_url=url)


def test_migrations_have_one_head():
    """Exactly one head, so `migrate` never needs a merge to know where to go."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1


def test_upgrade_from_empty_matches_the_models(empty_url):
    """`upgrade head` on an empty database builds every table, and autogenerate finds no drift."""
    assert _tables(empty_url) == set()
    migrate(empty_url)
    assert _tables(empty_url) == BATON_TABLES | {"alembic_version"}
    assert _drift(empty_url) == []


def test_snapshot_key_reordered_by_day_keeps_every_row(empty_url):
    """0008 orders the snapshots' unique key by day before signal (the model's order); the rows and their ids
    survive the swap (SQLite rebuilds the table), and going down restores the old order."""
    cfg = alembic_config(empty_url)
    command.upgrade(cfg, "0007")
    engine = make_engine(empty_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO customers (id, team_id, name, name_key, stage, created_at, updated_at) "
                    "VALUES (7, 'T1', 'Acme', 'acme', 'onboarding', :now, :now)"
                ),
                {"now": "2026-12-01 00:00:00"},
            )
            for i, (signal, day) in enumerate([("nps", "2026-12-01"), ("logins", "2026-12-01"), ("nps", "2026-12-02")]):
                conn.execute(
                    text(
                        "INSERT INTO health_snapshots (id, team_id, customer_id, signal, as_of, value, source, "
                        "created_at) VALUES (:id, 'T1', 7, :signal, :day, :value, 'csv', '2026-12-02 00:00:00')"
                    ),
                    {"id": 100 + i, "signal": signal, "day": day, "value": float(i)},
                )

        def key() -> list[str]:
            (uq,) = inspect(engine).get_unique_constraints("health_snapshots")
            return uq["column_names"]

        def rows() -> list[tuple]:
            with engine.connect() as conn:
                return [
                    tuple(r) for r in conn.execute(text("SELECT id, signal, value FROM health_snapshots ORDER BY id"))
                ]

        before = rows()
        assert key() == ["team_id", "customer_id", "signal", "as_of", "source"]
        command.upgrade(cfg, "0008")
        engine.dispose()
        assert key() == ["team_id", "customer_id", "as_of", "signal", "source"]
        assert rows() == before
        command.downgrade(cfg, "0007")
        engine.dispose()
        assert key() == ["team_id", "customer_id", "signal", "as_of", "source"] and rows() == before
    finally:
        engine.dispose()


def test_revenue_ledger_opens_with_each_customers_arr(empty_url):
    """0012 gives every customer with an ARR an opening `new` movement on its contract start (else the day it was
    created) and a churned one its churn too, so the ledger's balance is the ARR from the start; customers
    without an ARR or currency get none."""
    cfg = alembic_config(empty_url)
    command.upgrade(cfg, "0011")
    engine = make_engine(empty_url)
    rows = [
        (1, "Acme", "120000.00", "usd", "2026-01-15", "adoption", "2026-03-01 10:00:00"),
        (2, "Globex", "5000.50", "EUR", None, "onboarding", "2026-04-01 10:00:00"),
        (3, "Gone", "900.00", "USD", "2025-06-01", "churned", "2026-05-20 08:00:00"),
        (4, "No ARR", None, "USD", None, "onboarding", "2026-04-01 10:00:00"),
        (5, "No currency", "10.00", None, None, "onboarding", "2026-04-01 10:00:00"),
    ]
    try:
        with engine.begin() as conn:
            for cid, name, arr, currency, start, stage, at in rows:
                conn.execute(
                    text(
                        "INSERT INTO customers (id, team_id, name, name_key, arr, currency, contract_start, stage, "
                        "created_at, updated_at) VALUES (:id, 'T1', :name, :key, :arr, :currency, :start, :stage, "
                        ":at, :at)"
                    ),
                    {"id": cid, "name": name, "key": name.lower(), "arr": arr, "currency": currency, "start": start,
                     "stage": stage, "at": at},
                )  # fmt: skip
        command.upgrade(cfg, "head")
        engine.dispose()
        with engine.connect() as conn:
            got = [
                (r[0], r[1], f"{Decimal(str(r[2])):.2f}", r[3], str(r[4]), r[5])
                for r in conn.execute(
                    text(
                        "SELECT customer_id, kind, amount, currency, effective_on, source FROM arr_movements "
                        "ORDER BY customer_id, id"
                    )
                )
            ]
    finally:
        engine.dispose()
    assert got == [
        (1, "new", "120000.00", "USD", "2026-01-15", "opening"),
        (2, "new", "5000.50", "EUR", "2026-04-01", "opening"),
        (3, "new", "900.00", "USD", "2025-06-01", "opening"),
        (3, "churn", "900.00", "USD", "2026-05-20", "opening"),
    ]


def test_downgrade_to_base_and_upgrade_again(empty_url):
    """Downgrading to base leaves no Baton table behind; upgrading again rebuilds the same schema."""
    migrate(empty_url)
    command.downgrade(alembic_config(empty_url), "base")
    assert _tables(empty_url) <= {"alembic_version"}
    migrate(empty_url)
    assert _tables(empty_url) == BATON_TABLES | {"alembic_version"}
    assert _drift(empty_url) == []


def test_server_refuses_an_out_of_date_schema(empty_url):
    """The server will not start on an unmigrated database, says how to fix it, and starts at head."""
    with pytest.raises(SchemaOutOfDate, match=r"python -m bot migrate"):
        check_schema(_settings(empty_url))
    migrate(empty_url)
    check_schema(_settings(empty_url))
    engine = make_engine(empty_url)
    try:
        current, head = schema_status(engine)
    finally:
        engine.dispose()
    assert current == head is not None
    command.downgrade(alembic_config(empty_url), "base")
    with pytest.raises(SchemaOutOfDate, match=r"python -m bot migrate"):
        check_schema(_settings(empty_url))


def test_sqlite_runs_in_wal_mode(tmp_path):
    """Engines from make_engine put SQLite in WAL mode with NORMAL sync and foreign keys on."""
    engine = make_engine(f"sqlite:///{tmp_path / 'wal.db'}")
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar().lower() == "wal"
            assert conn.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        engine.dispose()
