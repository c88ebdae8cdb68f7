"""The incremental health state against today's scoring from the raw history as the oracle: random histories
written in random batches (daily imports, back-dated files, ratings, days passing), then every day's stored
score, the current scores, the card and a rebuild compared with `services/health.py` on the full history."""

import random
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import create_engine, delete, select
from sqlmodel import Session

from bot.models import Customer, HealthScore, HealthState
from bot.services import digest, health, health_state, imports
from bot.services.health_config import health_rules_from_dict
from bot.services.health_history import load_history
from bot.text import normalize_key
from tests.conftest import TEAM

START = date(2026, 6, 1)
SOURCES = ("csv", "api", "crm")
# Segment "big" weighs usage more: a second fingerprint in every run.
RULES = health_rules_from_dict({"segments": {"big": {"health": {"weights": {"active_users": 40, "nps": 2}}}}})
SIGNAL_VALUES = {
    "active_users": lambda r: r.randint(0, 400),
    "logins_30d": lambda r: r.randint(0, 900),
    "license_utilisation": lambda r: r.randint(0, 100),
    "open_tickets": lambda r: r.randint(0, 12),
    "tickets_30d": lambda r: r.randint(0, 25),
    "nps": lambda r: r.randint(0, 10),
    "overdue_invoices": lambda r: r.randint(0, 3),
    "csm_rating": lambda r: r.randint(1, 5),
}


@pytest.fixture
def engine(database_url):
    eng = create_engine(database_url)
    yield eng
    eng.dispose()


def _customers(engine, n: int, rng: random.Random) -> list[tuple[int, str, str | None]]:
    with Session(engine) as db:
        made = []
        for i in range(n):
            name = f"Oracle {i}"
            c = Customer(team_id=TEAM, name=name, name_key=normalize_key(name), segment=rng.choice([None, "big"]))
            db.add(c)
            made.append(c)
        db.commit()
        return [(c.id, c.name, c.segment) for c in made]


def _items(rng: random.Random, names: list[str], days: list[date]) -> list[dict]:
    items = []
    for day in days:
        for name in names:
            for signal in rng.sample(sorted(SIGNAL_VALUES), rng.randint(1, 5)):
                source = rng.choice(SOURCES)
                items.append(
                    {
                        "customer": name,
                        "date": day.isoformat(),
                        "signal": signal,
                        "value": SIGNAL_VALUES[signal](rng),
                        "source": source,
                    }
                )
                if rng.random() < 0.1:  # a second value the same day from another source: the later one is in force
                    other = rng.choice([s for s in SOURCES if s != source])
                    items.append(
                        {
                            "customer": name,
                            "date": day.isoformat(),
                            "signal": signal,
                            "value": SIGNAL_VALUES[signal](rng),
                            "source": other,
                        }
                    )
    return items


def _write(engine, items: list[dict], today: date) -> None:
    now = datetime.combine(today, time(9), tzinfo=UTC)
    with Session(engine) as db:
        result = imports.import_snapshots(db, TEAM, items, now=now, rules=RULES)
        assert result.written, result.errors
        db.commit()


def _oracle(db, cid: int, day: date, segment):
    history = load_history(db, TEAM, cid, date.min)
    return health.score_at(history, day, RULES.for_customer(TEAM, segment))


def _play(engine, rng: random.Random, customers, final: date) -> None:
    """Daily imports with gaps, some back-dated batches and days passing with nothing imported."""
    names = [name for _cid, name, _seg in customers]
    day = START
    while day <= final:
        roll = rng.random()
        if roll < 0.6:  # the morning's export: today's values for some customers
            _write(engine, _items(rng, rng.sample(names, rng.randint(1, len(names))), [day]), day)
        elif roll < 0.7 and day > START + timedelta(days=10):  # a back-dated file covering some past days
            back = sorted({day - timedelta(days=rng.randint(1, 40)) for _ in range(rng.randint(1, 4))})
            _write(
                engine, _items(rng, rng.sample(names, rng.randint(1, len(names))), [d for d in back if d >= START]), day
            )
        elif roll < 0.8:  # the roll job's daily run
            with Session(engine) as db:
                for ids in health_state.chunked(health_state.behind(db, TEAM, day, limit=1000)):
                    health_state.carry_forward(db, TEAM, ids, day, RULES)
                db.commit()
        day += timedelta(days=rng.randint(1, 3))


def _stored(db) -> dict[tuple[int, date], tuple]:
    return {
        (r.customer_id, r.day): (r.score, r.band, r.driver_signal, r.driver_value)
        for r in db.exec(select(HealthScore).where(HealthScore.team_id == TEAM)).scalars()
    }


@pytest.mark.parametrize("seed", range(6))
def test_the_state_gives_todays_scoring_on_random_histories(engine, seed):
    """Whatever order the snapshots arrive in, each stored daily score, the current scores, the card and the
    digest's drivers equal today's scoring of the full raw history; a rebuild gives the same rows and state."""
    rng = random.Random(seed)
    customers = _customers(engine, 4, rng)
    final = START + timedelta(days=150)
    _play(engine, rng, customers, final)
    with Session(engine) as db:  # the roll job on the last day: everyone's daily scores reach `final`
        health_state.carry_forward(db, TEAM, health_state.behind(db, TEAM, final, limit=1000), final, RULES)
        db.commit()
    today = final + timedelta(days=rng.randint(0, 100))  # time passes after the last write: peaks leave the window
    with Session(engine) as db:
        stored = _stored(db)
        ids = [cid for cid, _n, _s in customers]
        for cid, _name, segment in customers:
            state = db.exec(select(HealthState).where(HealthState.customer_id == cid)).scalars().first()
            if state is None:
                continue
            # Each stored day matches the oracle; each day with an oracle score, up to the last computed, is stored.
            for offset in range((state.computed_through - START).days + 1):
                day = START + timedelta(days=offset)
                expected = _oracle(db, cid, day, segment)
                got = stored.get((cid, day))
                want = None
                if expected.score is not None:
                    top = health.top_driver(expected) if expected.band != health.HEALTHY else None
                    want = (expected.score, expected.band, top.signal if top else None, top.value if top else None)
                assert got == want, (seed, cid, day)
        for day in (START + timedelta(days=30), final, today):
            want = {}
            for cid, _name, segment in customers:
                s = _oracle(db, cid, day, segment)
                if s.score is not None:
                    want[cid] = (s.score, s.band)
            assert health_state.current_scores(db, TEAM, ids, day, RULES) == want, (seed, day)
        for cid, _name, segment in customers:
            customer = db.get(Customer, cid)
            config = RULES.for_customer(TEAM, segment)
            assert health_state.customer_health(db, TEAM, customer, today, config) == health.customer_health(
                db, TEAM, customer, today, config
            ), (seed, cid)
        before_states = {
            s.customer_id: (s.first_data, s.data_through, s.computed_through, s.score, s.band, s.signals)
            for s in db.exec(select(HealthState)).scalars()
        }
    with Session(engine) as db:
        health_state.rebuild(db, TEAM, ids, final, RULES)
        db.commit()
    with Session(engine) as db:
        assert _stored(db) == stored
        after_states = {
            s.customer_id: (s.first_data, s.data_through, s.computed_through, s.score, s.band, s.signals)
            for s in db.exec(select(HealthState)).scalars()
        }
        assert {cid: v[:5] for cid, v in after_states.items()} == {cid: v[:5] for cid, v in before_states.items()}


@pytest.mark.parametrize("seed", range(3))
def test_the_digest_from_the_state_is_the_digest_from_the_rows_and_snapshots(engine, seed):
    """The digest read from the state (a day's rows by index, stored drivers, crossings of the customers who can
    have one) lists the same customers, scores, changes, drivers and crossings as the reads without a state."""
    rng = random.Random(100 + seed)
    customers = _customers(engine, 6, rng)
    final = START + timedelta(days=120)
    _play(engine, rng, customers, final)
    with Session(engine) as db:
        health_state.carry_forward(db, TEAM, health_state.behind(db, TEAM, final, limit=1000), final, RULES)
        db.commit()
    with Session(engine) as db:
        with_state = digest.build(db, TEAM, final, RULES)
        db.exec(delete(HealthState))  # rolled back: the reads without a state (snapshots for the drivers)
        without = digest.build(db, TEAM, final, RULES)
        db.rollback()
    assert with_state.lines and with_state == without
