"""Sealing a bulk insert of events (see ``crm_tui.ledger``).

An import writes thousands of leads and events a chunk at a time. Sealing
them the usual way (``ledger.seal``: re-read every new event and every row
it is about, hash, update every event) cost more than the import's own
work. A bulk writer knows the values it inserts, so it inserts its events
already sealed.

The fingerprints must be exactly what ``ledger.row_hashes`` and
``ledger.event_hash`` compute from a re-read, or the audit would call a
clean import tampered with. So each value is taken through its column
type's own bind and result processors, the round trip a re-read makes, and
a value whose storage class SQLite might change on the way (an int in a
text column, True in an integer one) is not vouched for: its row is re-read,
or its event left for ``ledger.seal``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from sqlalchemy import Dialect, Integer, String, Table, bindparam, func, select
from sqlalchemy.types import TypeDecorator, TypeEngine
from sqlmodel import Session

from crm_tui.ledger import GENESIS, event_hash, row_hashes, versioned_tables
from crm_tui.models import Event

_EVENTS: Table = Event.__table__  # type: ignore[attr-defined]
_TOP = select(func.coalesce(func.max(_EVENTS.c.id), 0))
_HEAD = (
    select(_EVENTS.c.chain_seq, _EVENTS.c.chain_hash)
    .where(_EVENTS.c.chain_seq.is_not(None))
    .order_by(_EVENTS.c.chain_seq.desc())
    .limit(1)
)


class BulkRows:
    """How a bulk insert stores rows of ``table``, and what reading them
    back gives, from the values about to be inserted.

    ``sql`` inserts every column in the table's order, for the driver's own
    ``executemany``: none of SQLAlchemy's per-row, per-parameter work."""

    def __init__(self, table: Table, dialect: Dialect) -> None:
        self.names = [column.name for column in table.columns]
        self.sql = str(
            table.insert()
            .values({name: bindparam(name) for name in self.names})
            .compile(dialect=dialect)
        )
        self._processed: list[tuple[int, str, Any, Any]] = []
        self._text: list[str] = []
        self._integer: list[str] = []
        self._other: list[str] = []
        for index, column in enumerate(table.columns):
            impl = column.type.dialect_impl(dialect)
            bind = impl.bind_processor(dialect)
            result = impl.result_processor(dialect, None)
            if bind is not None or result is not None:
                self._processed.append((index, column.name, bind, result))
            elif isinstance(_stored_as(impl), String):
                self._text.append(column.name)
            elif isinstance(_stored_as(impl), Integer):
                self._integer.append(column.name)
            else:
                self._other.append(column.name)

    def prepare(
        self, values: Mapping[str, Any]
    ) -> tuple[list[Any], dict[str, Any] | None]:
        """The driver's parameters for ``values`` (which name every column),
        and the row as a re-read maps it; None when that is not certain."""
        stored = [values[name] for name in self.names]
        image = dict(zip(self.names, stored, strict=True))
        vouched = True
        for index, name, bind, result in self._processed:
            value = stored[index]
            if bind is not None:
                value = stored[index] = bind(value)
            if value is None:
                continue
            # Stored as text (a timestamp, JSON), which SQLite keeps as is.
            vouched = vouched and type(value) is str
            image[name] = result(value) if result is not None else value
        # Only a str in a text column and an int in an integer one come
        # back as they went in.
        if (
            vouched
            and all(type(values[n]) is str or values[n] is None for n in self._text)
            and all(type(values[n]) is int or values[n] is None for n in self._integer)
            and all(values[n] is None for n in self._other)
        ):
            return stored, image
        return stored, None


def _stored_as(kind: TypeEngine[Any]) -> TypeEngine[Any]:
    """The type a column is stored as, under any decorators (SQLModel's
    AutoString is a String)."""
    while isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    return kind


@cache
def bulk_rows(table: Table, dialect: Dialect) -> BulkRows:
    return BulkRows(table, dialect)


def insert_sealed(
    session: Session,
    events: Sequence[Mapping[str, Any]],
    rows: Mapping[tuple[str, int], str],
) -> None:
    """Insert ``events`` (column values, without id or seal) already sealed.

    ``rows`` holds the fingerprint of each row the events are about, as
    ``row_hashes`` gives it (``ledger.digest`` of a ``BulkRows`` image);
    rows missing from it are re-read. The caller must not change those rows
    again in the same write. On servers, and from the first event whose
    values a re-read might not give back, events go in unsealed, and
    ``ledger.seal`` seals them as the write ends, as it seals every write's.
    """
    if not events:
        return
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        conn.execute(_EVENTS.insert(), [dict(event) for event in events])
        return
    session.flush()
    known = dict(rows)
    tables = versioned_tables()
    wanted: dict[str, set[int]] = {}
    for event in events:
        entity, row_id = event["entity"], event["entity_id"]
        if entity in tables and (entity, row_id) not in known:
            wanted.setdefault(entity, set()).add(row_id)
    for entity, ids in wanted.items():
        for row_id, hashed in row_hashes(session, tables[entity], ids).items():
            known[(entity, row_id)] = hashed
    # The write lock is held: the next ids and chain positions are ours.
    top = int(conn.execute(_TOP).scalar_one())
    head = conn.execute(_HEAD).first()
    seq, previous = (int(head[0]), str(head[1])) if head else (0, GENESIS)
    shape = bulk_rows(_EVENTS, conn.dialect)
    seal_at = shape.names.index("chain_hash")
    params: list[tuple[Any, ...]] = []
    chained = True
    for offset, event in enumerate(events, start=1):
        values = {
            **event,
            "id": top + offset,
            "chain_seq": seq + 1 if chained else None,
            "row_hash": known.get((event["entity"], event["entity_id"])),
            "chain_hash": None,
        }
        if chained:
            stored, image = shape.prepare(values)
            if image is not None:
                seq += 1
                previous = stored[seal_at] = event_hash(previous, image)  # type: ignore[arg-type]
                params.append(tuple(stored))
                continue
            chained = False
            values.update(chain_seq=None, row_hash=None)
        params.append(tuple(shape.prepare(values)[0]))
    conn.exec_driver_sql(shape.sql, params)
