"""Shared fixtures: a migrated database (SQLite, or PostgreSQL when TEST_DATABASE_URL is set), the fake
Slack and HubSpot servers, a controllable clock, and `baton`: the real app behind its WSGI entry point."""

import os
import shutil
import threading
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlmodel import Session, SQLModel, select

from bot.app import create_app
from bot.config import Settings, normalize_database_url
from bot.db import migrate
from bot.deps import build_deps
from bot.outbox import Pacer
from bot.web import WebApp
from tests.fakes.hubspot_api import FakeHubSpot
from tests.fakes.slack_api import FakeSlack
from tests.payloads import SIGNING_SECRET, SignedRequest, sign_at

TEAM = "T111"
HANDOFF_CHANNEL = "C0HANDOFF"
WEBHOOK_SECRET = "test-webhook-secret-0123456789"
HUBSPOT_SECRET = "test-hubspot-client-secret"
HUBSPOT_TOKEN = "pat-test"
PG_URL = os.environ.get("TEST_DATABASE_URL")

# A developer's .env (the Quick start writes one) must not leak into the tests: `python -m bot` reads it with
# python-dotenv, which loads nothing while this is set, here and in every process the tests start.
os.environ["PYTHON_DOTENV_DISABLED"] = "1"


class FakeClock:
    """A clock the test moves by hand; starts at the real 'now' so signed timestamps stay valid."""

    def __init__(self, start: datetime | None = None):
        self.now = (start or datetime.now(UTC)).replace(microsecond=0)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self.now

    def advance(self, **delta: float) -> None:
        with self._lock:
            self.now += timedelta(**delta)


class FakePace:
    """The outbox pacer's clock: sleeping advances it at once and is recorded, so tests see the pacing
    without waiting for it."""

    def __init__(self):
        self.now = 0.0
        self.waits: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


class TrackingExecutor(ThreadPoolExecutor):
    """Bolt's listener pool, with a way for tests to wait until every listener has finished."""

    def __init__(self):
        super().__init__(max_workers=16, thread_name_prefix="bolt-test")
        self._pending: set[Future] = set()
        self._lock = threading.Lock()

    def submit(self, fn, /, *args, **kwargs):
        future = super().submit(fn, *args, **kwargs)
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._done)
        return future

    def _done(self, future):
        with self._lock:
            self._pending.discard(future)

    def wait_idle(self, timeout: float = 10.0) -> None:
        while True:
            with self._lock:
                pending = list(self._pending)
            if not pending:
                return
            for f in pending:
                f.result(timeout=timeout)


# --- database -------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _db_template(tmp_path_factory):
    """Migrate once per session: a SQLite file to copy, or a PostgreSQL schema to truncate between tests."""
    if PG_URL:
        schema = f"baton_test_{uuid.uuid4().hex[:10]}"
        base = normalize_database_url(PG_URL)
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        sep = "&" if "?" in base else "?"
        url = f"{base}{sep}options=-csearch_path%3D{schema}"
        migrate(url)
        yield ("pg", url)
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    else:
        path = tmp_path_factory.mktemp("template") / "template.db"
        migrate(f"sqlite:///{path}")
        yield ("sqlite", path)


@pytest.fixture
def database_url(_db_template, tmp_path) -> str:
    """A migrated, empty database for one test."""
    kind, where = _db_template
    if kind == "sqlite":
        target = tmp_path / "baton.db"
        shutil.copy(where, target)
        return f"sqlite:///{target}"
    engine = create_engine(where)
    tables = [t.name for t in SQLModel.metadata.sorted_tables]
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    engine.dispose()
    return where


# --- fakes --------------------------------------------------------------------------------------------------


@pytest.fixture
def slack():
    fake = FakeSlack(team_id=TEAM).start()
    fake.add_user("U_AE", email="ae@example.com", name="Alex Seller", locale="en-US")
    fake.add_user("U_CSM", email="csm@example.com", name="Casey Success", locale="en-US")
    fake.add_user("U_CSM2", email="csm2@example.com", name="Jordan Care", locale="en-US")
    fake.add_user("U_KO", email="minsu@example.co.kr", name="김민수", locale="ko-KR", tz="Asia/Seoul")
    yield fake
    fake.stop()


@pytest.fixture
def hubspot():
    fake = FakeHubSpot(token=HUBSPOT_TOKEN).start()
    yield fake
    fake.stop()


@pytest.fixture
def clock():
    """The app's clock; requests built by tests/payloads.py are signed at its time while it is in use."""
    fake = FakeClock()
    sign_at(lambda: fake().timestamp())
    yield fake
    sign_at(time.time)


@pytest.fixture
def settings(database_url, slack, hubspot) -> Settings:
    return Settings(
        slack_bot_token="xoxb-test",
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.url,
        database_url=database_url,
        handoff_channel=HANDOFF_CHANNEL,
        default_locale="en",
        default_currency="USD",
        hubspot_client_secret=HUBSPOT_SECRET,
        hubspot_access_token=HUBSPOT_TOKEN,
        hubspot_api_url=hubspot.url,
        webhook_secret=WEBHOOK_SECRET,
        public_url="https://baton.example.com",
    )


class InlineExecutor(TrackingExecutor):
    """A listener pool that runs each listener to the end before Bolt's request thread looks at the ack: the
    worst interleaving Bolt's thread runner meets in production (the listener acks, then raises, before the
    request thread's next 10 ms poll), made certain."""

    def submit(self, fn, /, *args, **kwargs):
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # handed to the future, as a real pool does
            future.set_exception(exc)
        return future


class Baton:
    """The real app (Bolt + WSGI routing + outbox + inbox) driven synchronously by a test."""

    def __init__(self, settings: Settings, clock: FakeClock, executor: TrackingExecutor | None = None):
        self.settings = settings
        self.clock = clock
        self.pace = FakePace()
        pacer = Pacer(settings.post_interval, monotonic=self.pace.monotonic, sleep=self.pace.sleep)
        self.deps = build_deps(settings, clock=clock, hubspot_sleep=lambda _s: None, pacer=pacer)
        self.executor = executor or TrackingExecutor()
        self.app, self.registry = create_app(settings, self.deps, executor=self.executor)
        self.web = WebApp(self.deps, self.app)
        self.http = httpx.Client(transport=httpx.WSGITransport(app=self.web), base_url="https://baton.example.com")

    def slack(self, request: SignedRequest) -> httpx.Response:
        """POST a signed Slack request to /slack/events and wait for its listener to finish."""
        resp = self.http.post("/slack/events", content=request.body.encode(), headers=request.headers)
        self.executor.wait_idle()
        return resp

    def settle(self) -> None:
        """Run the inbox and the outbox until nothing is due (time does not move)."""
        self.executor.wait_idle()
        for _ in range(50):
            if self.deps.inbox.run_once() + self.deps.outbox.run_once() == 0:
                return
        raise AssertionError("outbox/inbox did not settle")

    def db(self) -> Session:
        return Session(self.deps.sessions.engine, expire_on_commit=False)

    def all(self, model, *where):
        with self.db() as db:
            return list(db.exec(select(model).where(*where)))

    def close(self) -> None:
        self.http.close()
        self.executor.shutdown(wait=True)
        self.deps.sessions.engine.dispose()


@pytest.fixture
def baton(settings, clock, slack):
    slack.time = lambda: clock().timestamp()  # message ts follow the app's clock, as Slack's follow real time
    b = Baton(settings, clock)
    yield b
    b.close()


FIXTURES = Path(__file__).resolve().parent / "data" / "fixtures"  # copied from shared/fixtures
