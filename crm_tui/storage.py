"""Opening the database: one engine factory, the SQLite settings a shared
file needs, write transactions, and the schema brought up to date.

SQLite is shared by several reps' processes, so every connection runs in WAL
mode (readers never block the writer), waits for the lock instead of failing
(``busy_timeout``), and checks foreign keys. Writes take the lock up front
with ``BEGIN IMMEDIATE`` so two writers queue instead of deadlocking halfway.
"""

from __future__ import annotations

import logging
import random
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel import Session

from crm_tui import ledger, live
from crm_tui.errors import DatabaseProblem

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5_000
WRITE_ATTEMPTS = 8
# A writer waiting for the lock asks again after 0.1 to 0.3 ms (see
# _begin_immediate).
NAP_SHORTEST = 0.0001
NAP_JITTER = 0.0002

T = TypeVar("T")


def sqlite_url(path: str) -> str:
    return f"sqlite:///{path}"


def make_engine(url: str) -> Engine:
    """An engine for ``url``, set up for many reps sharing one database."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy's "begin" event below issue BEGIN itself, so that
        # writes can ask for IMMEDIATE.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
        except sqlite3.OperationalError:
            # A read-only file cannot switch its journal; it still reads.
            pass
        # Durability: in WAL mode NORMAL syncs the log to disk at each
        # checkpoint rather than at every commit. A crash of the app, or of
        # a rep's whole terminal, loses nothing (a commit is in the OS the
        # moment it returns); only a power cut or a kernel crash can take
        # back the last commits before a checkpoint, each whole, with its
        # events (the file stays consistent, the event chain unbroken). A
        # rep then claims that lead again; FULL would instead make every
        # claim wait for the disk while holding the write lock.
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "")
        if mode == "IMMEDIATE":
            _begin_immediate(conn.connection.dbapi_connection)  # type: ignore[arg-type]
        else:
            conn.exec_driver_sql(f"BEGIN {mode}".strip())


def _begin_immediate(dbapi_conn: sqlite3.Connection) -> None:
    """Take the write lock, waiting for it in short, jittered naps.

    SQLite's own busy handler sleeps in steps that grow to 100 ms, so with
    several reps writing at once most of the time goes to sleeping past the
    moment the lock came free. A claim holds the lock for about half a
    millisecond, so a waiter asks again after less than that: on a busy
    machine the kernel adds its own delay to every nap (about a millisecond
    at two runnable processes per core), and with four claimers on two
    cores naps of 0.1 to 0.3 ms moved about 1.5 times as many claims per
    second as naps of 0.5 to 2 ms. A failed ask costs some 30 us of CPU.
    The jitter keeps waiters from asking in step; the overall patience is
    the same busy timeout.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    dbapi_conn.execute("PRAGMA busy_timeout = 0")
    try:
        while True:
            try:
                dbapi_conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                busy = "locked" in str(exc) or "busy" in str(exc)
                if not busy or time.monotonic() > deadline:
                    raise
                time.sleep(NAP_SHORTEST + random.random() * NAP_JITTER)
    finally:
        dbapi_conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


@contextmanager
def reading(engine: Engine) -> Iterator[Session]:
    """A session for reads; it never takes the write lock."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


_WRITERS: WeakKeyDictionary[Engine, Engine] = WeakKeyDictionary()


def _writer(engine: Engine) -> Engine:
    """The engine as writes use it: on SQLite, every transaction begins
    IMMEDIATE. Made once per engine; it shares the engine's pool."""
    writer = _WRITERS.get(engine)
    if writer is None:
        writer = engine
        if is_sqlite(engine):
            writer = engine.execution_options(sqlite_begin="IMMEDIATE")
        _WRITERS[engine] = writer
    return writer


@contextmanager
def _write_once(engine: Engine) -> Iterator[Session]:
    with Session(_writer(engine), expire_on_commit=False) as session:
        with session.begin():
            since = ledger.mark(session)
            yield session
            # Last, so each event is sealed with the rows as this write
            # leaves them.
            ledger.seal(session, since)
            if not is_sqlite(engine):
                # Delivered at commit to every app watching (crm_tui.live).
                session.execute(text(f"NOTIFY {live.CHANNEL}"))


def write(engine: Engine, work: Callable[[Session], T]) -> T:
    """Run ``work`` in one write transaction and commit it.

    When another rep holds the lock past the busy timeout, the whole
    transaction is tried again after a short, growing, jittered pause, so
    "database is locked" never reaches a rep.
    """
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        try:
            with _write_once(engine) as session:
                return work(session)
        except OperationalError as exc:
            if not _is_busy(exc) or attempt == WRITE_ATTEMPTS:
                raise translate(exc) from exc
            pause = min(2.0, 0.05 * 2**attempt) * (0.5 + random.random())
            log.info("database busy; trying again in %.2fs", pause)
            time.sleep(pause)
        except DBAPIError as exc:
            problem = translate(exc)
            if problem is exc:
                raise
            raise problem from exc
    raise AssertionError("unreachable")


def _is_busy(exc: OperationalError) -> bool:
    text = str(exc.orig).lower()
    # SQLite's lock, or PostgreSQL giving up one of two deadlocked writers.
    return any(
        word in text for word in ("locked", "busy", "deadlock", "could not serialize")
    )


# What a change to a file that takes none is refused with, wherever it is
# refused: by the driver, or by a screen before it asks for anything.
READ_ONLY = "The database is read-only here: changes cannot be saved."


def translate(exc: Exception) -> Exception:
    """Turn a driver error into one line a rep can act on, when we know it."""
    text = str(getattr(exc, "orig", exc)).lower()
    if "readonly" in text or "read-only" in text:
        return DatabaseProblem(READ_ONLY)
    if "locked" in text or "busy" in text:
        return DatabaseProblem(
            "The database stayed locked by another user for too long; "
            "try again in a moment."
        )
    if "malformed" in text or "not a database" in text:
        return DatabaseProblem("The database file is damaged or is not a database.")
    if "unable to open" in text:
        return DatabaseProblem("The database file cannot be opened.")
    if "append-only" in text:
        return DatabaseProblem("The event log is append-only: events cannot change.")
    if "connection refused" in text or "could not connect" in text:
        return DatabaseProblem("The database server cannot be reached.")
    if "permission denied" in text:
        return DatabaseProblem(
            "Your database login may not do this; ask whoever runs the server."
        )
    return exc


def connection_info(engine: Engine) -> dict[str, Any]:
    """The settings in force, for the CLI's diagnostics and the tests."""
    with engine.connect() as conn:
        if not is_sqlite(engine):
            return {"dialect": engine.dialect.name}
        return {
            "journal_mode": conn.exec_driver_sql("PRAGMA journal_mode").scalar(),
            "busy_timeout": conn.exec_driver_sql("PRAGMA busy_timeout").scalar(),
            "foreign_keys": conn.exec_driver_sql("PRAGMA foreign_keys").scalar(),
        }
