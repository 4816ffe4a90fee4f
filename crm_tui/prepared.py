"""Statements for the hottest writes, run straight on the driver's cursor.

A claim is a handful of tiny statements; on a loaded two-core machine
SQLAlchemy spends about ten times longer preparing and wrapping each one
than SQLite spends running it, and it spends that time while the writer
holds the file's lock, so every other rep waits for it too. A ``Prepared``
statement is a Core statement compiled once per dialect; running it
converts the parameters and the returned values with the very type
processors SQLAlchemy would use (so a timestamp or a JSON value reads and
writes exactly as through the ORM) and skips the rest. It runs on the
connection's current transaction, PostgreSQL and SQLite alike.

Use it only where the saving matters: plain named ``bindparam``s, no
expanding ``IN`` lists, and results as plain tuples.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.expression import Executable

Processor = Callable[[Any], Any]


@dataclass(frozen=True)
class _Plan:
    """A statement as one dialect's driver takes it."""

    sql: str
    names: tuple[str, ...]  # the parameters, in the order the SQL uses them
    positional: bool
    defaults: dict[str, Any]  # values fixed in the statement (``version + 1``)
    binds: dict[str, Processor]
    columns: tuple[str, ...]  # what it returns
    results: tuple[tuple[int, Processor], ...]  # the columns to convert


class Prepared:
    """A Core statement compiled once per dialect (see the module's text)."""

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._plans: dict[str, _Plan] = {}

    def _plan(self, dialect: Dialect) -> _Plan:
        plan = self._plans.get(dialect.name)
        if plan is None:
            plan = self._plans[dialect.name] = _compile(self.statement, dialect)
        return plan

    def columns(self, conn: Connection) -> tuple[str, ...]:
        """The names of the values each returned row holds."""
        return self._plan(conn.dialect).columns

    def rows(
        self, conn: Connection, params: Mapping[str, Any] | None = None
    ) -> list[tuple[Any, ...]]:
        """Run once; the rows it returns (none for a plain write).

        A driver error is raised as SQLAlchemy raises it (``OperationalError``
        and the rest), so the write path retries a busy database and words a
        read-only or locked one as it does for every other statement."""
        plan = self._plan(conn.dialect)
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(plan.sql, _arguments(plan, params or {}))
            if cursor.description is None:
                return []
            return [_processed(plan, row) for row in cursor.fetchall()]
        except conn.dialect.loaded_dbapi.Error as exc:
            raise DBAPIError.instance(
                plan.sql,
                None,
                exc,
                conn.dialect.loaded_dbapi.Error,
                dialect=conn.dialect,
            ) from exc
        finally:
            cursor.close()


def _compile(statement: Executable, dialect: Dialect) -> _Plan:
    compiled = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
    sql = compiled.string
    if "POSTCOMPILE" in sql:
        raise ValueError("a Prepared statement cannot expand IN lists")
    if compiled.positional:
        names = tuple(compiled.positiontup)
    else:
        names = tuple(name for name in compiled.binds if f"%({name})s" in sql)
    binds: dict[str, Processor] = {}
    for name in names:
        kind = compiled.binds[name].type
        process = kind.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            binds[name] = process
    returned = getattr(statement, "exported_columns", ())
    return _Plan(
        sql=sql,
        names=names,
        positional=bool(compiled.positional),
        defaults={
            name: value for name, value in compiled.params.items() if name in names
        },
        binds=binds,
        columns=tuple(column.key for column in returned),
        results=tuple(
            (index, process)
            for index, column in enumerate(returned)
            if (
                process := column.type.dialect_impl(dialect).result_processor(
                    dialect, None
                )
            )
        ),
    )


def _arguments(plan: _Plan, params: Mapping[str, Any]) -> Any:
    values = {**plan.defaults, **params} if plan.defaults else dict(params)
    for name, process in plan.binds.items():
        values[name] = process(values[name])
    if plan.positional:
        return tuple([values[name] for name in plan.names])
    return {name: values[name] for name in plan.names}


def _processed(plan: _Plan, row: Sequence[Any]) -> tuple[Any, ...]:
    if not plan.results:
        return tuple(row)
    values = list(row)
    for index, process in plan.results:
        values[index] = process(values[index])
    return tuple(values)
