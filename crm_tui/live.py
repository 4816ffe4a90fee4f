"""Noticing that someone committed to the database, cheaply.

The app asks about twice a second; the answer must cost next to nothing and
never re-read data. On SQLite, ``PRAGMA data_version`` on a connection of
its own changes whenever any other connection (another rep's process, or
this app's own writes) commits to the file. On PostgreSQL every write of
crm-tui ends with ``NOTIFY crm_changed`` (see ``storage``), and the watcher
LISTENs on a connection of its own.
"""

from __future__ import annotations

import sqlite3
import threading
from typing import Any, Protocol

from sqlalchemy import Engine

CHANNEL = "crm_changed"


class ChangeWatch(Protocol):
    def changed(self) -> bool:
        """Whether anyone committed since the last call."""

    def close(self) -> None: ...


class SqliteWatch:
    """``PRAGMA data_version`` on a connection of its own.

    The app asks from a worker thread and closes from the UI thread when it
    quits; a lock keeps the two apart, because SQLite crashes the process
    when a connection is closed while another thread uses it.
    """

    def __init__(self, engine: Engine) -> None:
        self._lock = threading.Lock()
        self._closed = False
        database = engine.url.database or ""
        uri = database.startswith("file:")
        if uri and engine.url.query:
            query = "&".join(f"{k}={v}" for k, v in engine.url.query.items())
            database = f"{database}?{query}"
        self._conn = sqlite3.connect(database, uri=uri, check_same_thread=False)
        self._seen = self._version()

    def _version(self) -> int:
        return int(self._conn.execute("PRAGMA data_version").fetchone()[0])

    def changed(self) -> bool:
        with self._lock:
            if self._closed:
                return False
            now = self._version()
            if now == self._seen:
                return False
            self._seen = now
            return True

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._conn.close()


class PostgresWatch:
    """LISTEN on a connection of its own (closed as safely as SqliteWatch)."""

    def __init__(self, engine: Engine) -> None:
        import psycopg

        self._lock = threading.Lock()
        self._closed = False
        url = engine.url.set(drivername="postgresql")
        self._conn: Any = psycopg.connect(
            url.render_as_string(hide_password=False), autocommit=True
        )
        self._conn.execute(f"LISTEN {CHANNEL}")

    def changed(self) -> bool:
        with self._lock:
            if self._closed:
                return False
            # A notification can trail its commit by a moment; a short wait
            # in the poll's worker thread catches it in the same poll.
            return bool(list(self._conn.notifies(timeout=0.05)))

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._conn.close()


class NoWatch:
    """For a database we cannot watch (in memory): never reports a change."""

    def changed(self) -> bool:
        return False

    def close(self) -> None:
        pass


def watch(engine: Engine) -> ChangeWatch:
    """A change detector for the database behind ``engine``."""
    if engine.dialect.name == "postgresql":
        return PostgresWatch(engine)
    if engine.dialect.name == "sqlite" and engine.url.database not in (
        None,
        "",
        ":memory:",
    ):
        return SqliteWatch(engine)
    return NoWatch()
