"""The health state's keepers end to end: `python -m bot health rebuild`, the worker's roll job (after an
upgrade, as days pass, after the settings change), a back-dated import's daily scores, and reads that never
touch the raw snapshots."""

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete, event, select
from sqlmodel import Session

from bot.__main__ import main
from bot.jobs import health as health_job
from bot.models import Customer, HealthScore, HealthSnapshot, HealthState
from bot.services import digest, health, health_state, imports
from bot.services.health_config import health_rules_from_dict
from bot.services.health_history import load_history
from bot.text import normalize_key
from tests.conftest import TEAM
from tests.test_cli import env  # noqa: F401  (fixture)

DAY = date(2026, 11, 2)


def _customer(db, name: str, segment: str | None = None) -> int:
    c = Customer(team_id=TEAM, name=name, name_key=normalize_key(name), segment=segment)
    db.add(c)
    db.flush()
    return c.id  # type: ignore[return-value]


def _history(name: str, days: int, end: date) -> list[dict]:
    """`days` days of usage falling from 300 to a third, tickets rising: a customer getting worse."""
    items = []
    for i in range(days):
        day = end - timedelta(days=days - 1 - i)
        items.append({"customer": name, "date": day.isoformat(), "signal": "active_users", "value": 300 - 2 * i})
        items.append({"customer": name, "date": day.isoformat(), "signal": "open_tickets", "value": i // 6})
        items.append({"customer": name, "date": day.isoformat(), "signal": "nps", "value": 8 - i // 15})
    return items


def _rows(engine) -> dict:
    with Session(engine) as db:
        return {(r.customer_id, r.day): (r.score, r.band) for r in db.exec(select(HealthScore)).scalars()}


def _oracle_rows(engine, ids, through: date, rules) -> dict:
    out = {}
    with Session(engine) as db:
        for cid in ids:
            customer = db.get(Customer, cid)
            history = load_history(db, TEAM, cid, date.min)
            config = rules.for_customer(TEAM, customer.segment)
            first = min(p.as_of for points in history.values() for p in points)
            for n in range((through - first).days + 1):
                s = health.score_at(history, first + timedelta(days=n), config)
                if s.score is not None:
                    out[(cid, first + timedelta(days=n))] = (s.score, s.band)
    return out


def test_a_back_dated_import_fills_its_days_so_the_first_digest_has_a_weekly_change(baton, clock):
    """Importing 60 days of history scores each of those days: the digest that follows shows last week's change."""
    clock.now = datetime.combine(DAY, datetime.min.time(), tzinfo=UTC) + timedelta(hours=9)
    with baton.db() as db:
        cid = _customer(db, "Falling Co")
        db.commit()
        result = imports.import_snapshots(
            db, TEAM, _history("Falling Co", 60, DAY), now=clock(), rules=baton.deps.health_rules
        )
        db.commit()
        assert result.written
    rows = _rows(baton.deps.sessions.engine)
    assert len([k for k in rows if k[0] == cid]) == 61  # one daily score per day of the file, and tomorrow's
    with baton.db() as db:
        d = digest.build(db, TEAM, DAY, baton.deps.health_rules)
    line = next(x for x in d.lines if x.customer_id == cid)
    week_ago = rows[(cid, DAY - timedelta(days=7))][0]
    assert line.change == round(line.score - week_ago, 1) and line.change < 0


def test_health_rebuild_gives_back_the_same_state_and_daily_scores(env, baton, clock, capsys):  # noqa: F811
    """Drop the state and the daily scores; `python -m bot health rebuild` brings back exactly what writes left."""
    clock.now = datetime.combine(DAY, datetime.min.time(), tzinfo=UTC) + timedelta(hours=9)
    engine = baton.deps.sessions.engine
    with baton.db() as db:
        ids = [_customer(db, "One"), _customer(db, "Two")]
        db.commit()
        for day_back in (40, 20, 0):  # three imports, the last two forward from the state
            items = _history("One", 10, DAY - timedelta(days=day_back)) + _history(
                "Two", 5, DAY - timedelta(days=day_back)
            )
            imports.import_snapshots(
                db, TEAM, items, now=clock() - timedelta(days=day_back), rules=baton.deps.health_rules
            )
            db.commit()
    before = _rows(engine)
    assert before == _oracle_rows(engine, ids, health_state.horizon(DAY), baton.deps.health_rules)
    with baton.db() as db:
        db.exec(delete(HealthScore))
        db.exec(delete(HealthState))
        db.commit()
    assert main(["health", "rebuild"]) == 0
    assert "health state rebuilt" in capsys.readouterr().out
    # The command runs on the real clock (today, after DAY): it also scores the days since, as the roll would.
    assert {k: v for k, v in _rows(engine).items() if k[1] <= DAY} == {k: v for k, v in before.items() if k[1] <= DAY}


def test_the_roll_job_builds_missing_states_carries_days_and_follows_settings(baton, clock):
    """Snapshots without a state (as after an upgrade) get one; days without data are scored as peaks age; changed
    settings rebuild the scores with the new weights. Each time the rows equal the oracle's."""
    clock.now = datetime.combine(DAY, datetime.min.time(), tzinfo=UTC) + timedelta(hours=9)
    engine = baton.deps.sessions.engine
    with baton.db() as db:
        cid = _customer(db, "Legacy", segment="enterprise")
        for item in _history("Legacy", 30, DAY):
            db.add(
                HealthSnapshot(
                    team_id=TEAM,
                    customer_id=cid,
                    signal=item["signal"],
                    as_of=date.fromisoformat(item["date"]),
                    value=item["value"],
                )
            )
        db.commit()
    assert health_job.roll(baton.deps) > 0
    assert _rows(engine) == _oracle_rows(engine, [cid], health_state.horizon(DAY), baton.deps.health_rules)

    clock.advance(days=100)  # the 90-day peak ages out: the score changes with no new data
    health_job.roll(baton.deps)
    later = clock().date()
    assert _rows(engine) == _oracle_rows(engine, [cid], health_state.horizon(later), baton.deps.health_rules)
    assert _rows(engine)[(cid, later)] != _rows(engine)[(cid, DAY)]

    baton.deps.health_rules = health_rules_from_dict({"segments": {"enterprise": {"health": {"weights": {"nps": 50}}}}})
    health_job.roll(baton.deps)
    assert _rows(engine) == _oracle_rows(engine, [cid], health_state.horizon(later), baton.deps.health_rules)


def test_the_card_and_the_scan_read_no_raw_snapshot(baton, clock):
    """With a current state, the card's health and the current scores make no query on health_snapshots."""
    clock.now = datetime.combine(DAY, datetime.min.time(), tzinfo=UTC) + timedelta(hours=9)
    engine = baton.deps.sessions.engine
    with baton.db() as db:
        cid = _customer(db, "Quiet")
        db.commit()
        imports.import_snapshots(db, TEAM, _history("Quiet", 60, DAY), now=clock(), rules=baton.deps.health_rules)
        db.commit()
    statements: list[str] = []
    listen = lambda _conn, _cur, statement, *_a: statements.append(statement)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listen)
    try:
        with baton.db() as db:
            customer = db.get(Customer, cid)
            config = baton.deps.health_rules.for_customer(TEAM, None)
            card = health_state.customer_health(db, TEAM, customer, DAY + timedelta(days=3), config)
            scores = health_state.current_scores(db, TEAM, [cid], DAY + timedelta(days=3), baton.deps.health_rules)
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    assert card.score.score is not None and scores[cid][0] == card.score.score
    assert statements and not any("health_snapshots" in s for s in statements)
    with baton.db() as db:  # and it is today's scoring of the raw history
        customer = db.get(Customer, cid)
        assert card == health.customer_health(db, TEAM, customer, DAY + timedelta(days=3), config)
