"""Where the store lives: database URLs, engines, and the schema (Alembic migrations).

A store is a SQLAlchemy URL: ``sqlite:///path/pdstudy.db`` (the default,
``./pdstudy.db``) or ``postgresql+psycopg://user:password@host/db`` for a lab
server. A plain path is a SQLite file. Every write takes one lock (SQLite:
``BEGIN IMMEDIATE``; PostgreSQL: the audit head row ``FOR UPDATE``), so two
processes recording at once are serialised and the audit chain stays linear.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session

from pdstudy.errors import UsageError
from pdstudy.store.models import StoreError

__all__ = [
    "DEFAULT_DB",
    "ENV_DB",
    "Store",
    "head_revision",
    "open_store",
    "resolve_url",
    "upgrade",
]

#: the default store, relative to the current folder
DEFAULT_DB = "pdstudy.db"
#: the environment variable naming the store
ENV_DB = "PDSTUDY_DB"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def resolve_url(db: str | PathLike[str] | None = None) -> str:
    """The SQLAlchemy URL of a store: ``db``, else ``$PDSTUDY_DB``, else ``./pdstudy.db``.

    A value without ``://`` is a path to a SQLite file (made absolute).
    """
    value = str(db) if db is not None and str(db) != "" else os.environ.get(ENV_DB) or DEFAULT_DB
    if "://" not in value:
        return f"sqlite:///{Path(value).expanduser().resolve()}"
    try:
        url = make_url(value)
    except ArgumentError as exc:
        raise UsageError(f"not a database URL: {value!r} ({exc})", where="--db") from exc
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise UsageError(
            f"unsupported database {url.get_backend_name()!r}: use sqlite:///PATH or "
            "postgresql+psycopg://USER@HOST/DB",
            where="--db",
        )
    return value


def _engine(url: str) -> Engine:
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        if u.database and u.database != ":memory:":
            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 120})

        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection: Any, record: Any) -> None:
            # the driver's own transaction handling off: pdstudy begins them (below)
            dbapi_connection.isolation_level = None
            dbapi_connection.execute("PRAGMA foreign_keys=ON")

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            # one writer at a time, taken at the start: no deadlock on lock upgrade
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    if u.drivername == "postgresql":
        u = u.set(drivername="postgresql+psycopg")
    return create_engine(u)


def _alembic_config(version_locations: Sequence[str | PathLike[str]] = ()) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    cfg.set_main_option("path_separator", "os")
    locations = [str(MIGRATIONS / "versions"), *(str(p) for p in version_locations)]
    cfg.set_main_option("version_locations", os.pathsep.join(locations).replace("%", "%%"))
    return cfg


def head_revision(version_locations: Sequence[str | PathLike[str]] = ()) -> str:
    """The newest schema revision this pdstudy knows."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config(version_locations)).get_current_head()
    assert head is not None
    return head


def _current_revision(conn: Any) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(conn).get_current_revision()


def _schema_lock(conn: Any) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(7412190)"))


def upgrade(
    db: str | PathLike[str] | None = None,
    *,
    version_locations: Sequence[str | PathLike[str]] = (),
) -> tuple[str | None, str]:
    """Create the store or bring its schema to the newest revision, in place.

    Returns ``(revision before, revision after)`` (``None`` before: a new store).
    """
    from alembic import command

    url = resolve_url(db)
    engine = _engine(url)
    try:
        with engine.begin() as conn:
            _schema_lock(conn)
            before = _current_revision(conn)
            cfg = _alembic_config(version_locations)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
            after = _current_revision(conn)
    finally:
        engine.dispose()
    assert after is not None
    return before, after


@dataclass(eq=False)
class Store:
    """An open store: its URL and engine. Make one with :func:`open_store`."""

    url: str
    engine: Engine
    version_locations: tuple[str, ...] = field(default=())

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed at the end, rolled back on an error."""
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_store(
    db: str | PathLike[str] | None = None,
    *,
    create: bool = True,
    version_locations: Sequence[str | PathLike[str]] = (),
) -> Store:
    """Open the store at ``db`` (see :func:`resolve_url`).

    A new, empty database gets the newest schema when ``create`` is true. A
    store at an older schema revision must be upgraded first
    (``pdstudy db upgrade``); a store made by a newer pdstudy is refused.
    """
    url = resolve_url(db)
    engine = _engine(url)
    head = head_revision(version_locations)
    try:
        with engine.connect() as conn:
            current = _current_revision(conn)
            has_tables = bool(inspect(conn).get_table_names())
    except Exception as exc:
        engine.dispose()
        raise StoreError(f"cannot open the store {_safe(url)}: {exc}") from exc
    if current is None:
        if has_tables and not _only_alembic(engine):
            engine.dispose()
            raise StoreError(f"{_safe(url)} holds tables but is not a pdstudy store")
        if not create:
            engine.dispose()
            raise StoreError(f"no store at {_safe(url)} (record a run first)")
        engine.dispose()
        upgrade(url, version_locations=version_locations)
        engine = _engine(url)
    elif current != head:
        engine.dispose()
        known = _known_revisions(version_locations)
        if current in known:
            raise StoreError(
                f"the store {_safe(url)} has schema revision {current}; this pdstudy needs {head}: "
                f"run `pdstudy db upgrade --db {_safe(url)}`"
            )
        raise StoreError(
            f"the store {_safe(url)} has schema revision {current}, unknown to this pdstudy "
            "(made by a newer version?)"
        )
    return Store(url=url, engine=engine, version_locations=tuple(str(p) for p in version_locations))


def _only_alembic(engine: Engine) -> bool:
    with engine.connect() as conn:
        return set(inspect(conn).get_table_names()) <= {"alembic_version"}


def _known_revisions(version_locations: Sequence[str | PathLike[str]]) -> set[str]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_alembic_config(version_locations))
    return {r.revision for r in script.walk_revisions()}


def _safe(url: str) -> str:
    """The URL without its password (for messages)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url
