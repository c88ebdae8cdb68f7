"""Engine and session factory; SQLite runs in WAL mode, PostgreSQL with explicit pool sizes."""

import importlib.util
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event, make_url
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, create_engine

MIGRATIONS_PACKAGE = "baton_migrations"  # migrations/ as installed (pyproject.toml [tool.setuptools])


def migrations_dir() -> Path:
    """Alembic's script directory: the installed package `baton_migrations` (a wheel, or an editable install,
    which maps it to migrations/), else migrations/ beside bot/ in a checkout run without installing it."""
    spec = importlib.util.find_spec(MIGRATIONS_PACKAGE)
    if spec is not None and spec.origin:
        return Path(spec.origin).parent
    checkout = Path(__file__).resolve().parent.parent / "migrations"
    if (checkout / "env.py").is_file():
        return checkout
    raise RuntimeError(f"baton: the database migrations are missing (no {MIGRATIONS_PACKAGE} package); reinstall Baton")


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    """Create the engine for `url` with the pragmas and pool settings Baton relies on; on PostgreSQL `pool_size`
    connections stay open (a web process passes one per listener thread, see bot/deps.py)."""
    if url.startswith("sqlite"):
        # SQLAlchemy's own pool here (5 + 10, waiting up to 30 s): SQLite does better with requests taking turns
        # than with one connection per listener thread (300 concurrent /customer: p99 3.0 s and all answered,
        # against 4.5 s and some not acknowledged within Slack's 3 s with a pool of 36).
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 2.0})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # noqa: ANN001 - DB-API connection
            # WAL lets readers run beside the one writer; NORMAL sync is safe in WAL (platform rules).
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=2000")
            cur.close()

        return engine
    # libpq waits for an unreachable host as long as TCP does (minutes); 10 s unless the URL says otherwise.
    connect_args = {} if "connect_timeout" in make_url(url).query else {"connect_timeout": 10}
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=5,
        pool_timeout=2,
        pool_pre_ping=True,
        connect_args=connect_args,
    )


class DatabaseUnreachable(Exception):
    """The database does not answer; the message is one line (the driver's reason) without the password."""


def ping(url: str) -> None:
    """Open and close one connection to `url`; raise DatabaseUnreachable with the driver's reason if that fails."""
    engine = make_engine(url, pool_size=1)
    try:
        with engine.connect():
            pass
    except DBAPIError as exc:
        raise DatabaseUnreachable(one_line(exc.orig if exc.orig is not None else exc)) from None
    finally:
        engine.dispose()


def one_line(exc: BaseException, limit: int = 300) -> str:
    """An exception's message on one line (drivers' messages span several), cut to `limit` characters."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Sessions:
    """Unit-of-work factory: `with sessions.begin() as db:` commits on success, rolls back on error."""

    def __init__(self, engine: Engine):
        self.engine = engine

    @contextmanager
    def begin(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as db:
            with db.begin():
                yield db


def alembic_config(url: str):
    """Alembic config pointing at `migrations/` and `url`, without an ini file."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(url: str, revision: str = "head") -> None:
    """Upgrade the database at `url` to `revision`."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def schema_status(engine: Engine) -> tuple[str | None, str]:
    """Return (current revision, head revision) so start-up can refuse an out-of-date schema."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    head = script.get_current_head()
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    return current, head
