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

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from functools import cache, partial
from operator import itemgetter
from typing import Any

from sqlalchemy import Dialect, Integer, String, Table, bindparam, func, select
from sqlalchemy.types import TypeDecorator, TypeEngine
from sqlmodel import Session

from crm_tui.ledger import (
    CHAINED_FIELDS,
    GENESIS,
    LATE_COLUMNS,
    _plain,
    row_hashes,
    versioned_tables,
)
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
        self._all = _picker(self.names)
        self._late = LATE_COLUMNS.get(table.name, ())
        # The image is built in sorted key order, the order the canonical
        # JSON sorts it into: sorting then finds nothing to move.
        self._sorted_names = sorted(self.names)
        self._all_sorted = _picker(self._sorted_names)
        self._processed: list[_Processed] = []
        text: list[str] = []
        integer: list[str] = []
        other: list[str] = []
        for index, column in enumerate(table.columns):
            impl = column.type.dialect_impl(dialect)
            bind = impl.bind_processor(dialect)
            result = impl.result_processor(dialect, None)
            if bind is not None or result is not None:
                self._processed.append(_Processed(index, column.name, bind, result))
            elif isinstance(_stored_as(impl), String):
                text.append(column.name)
            elif isinstance(_stored_as(impl), Integer):
                integer.append(column.name)
            else:
                other.append(column.name)
        self._checks = [
            (_picker(names), kinds)
            for names, kinds in (
                (text, _TEXT),
                (integer, _INTEGER),
                (other, _NOTHING),
            )
            if names
        ]

    def prepare(
        self, values: Mapping[str, Any]
    ) -> tuple[list[Any], dict[str, Any] | None]:
        """The driver's parameters for ``values`` (which name every column),
        and the row as the seal hashes a re-read of it (timestamps as the
        ISO text ``ledger.digest`` makes of them); None when uncertain."""
        stored = list(self._all(values))
        image = dict(zip(self._sorted_names, self._all_sorted(values), strict=True))
        vouched = True
        for column in self._processed:
            index = column.index
            value = stored[index]
            # The common cases inline: this loop runs for every cell of a
            # bulk insert that a processor touches.
            if value is None:
                if column.none_is_none:
                    continue
                found = column.round_trip(value)
            elif type(value) in _CONTAINERS:
                found = column.round_trip(value)
            else:
                remembered = column.by_value.get((type(value), value))
                found = remembered or column.round_trip(value)
            stored[index], image[column.name], certain = found
            vouched = vouched and certain
        # Only a str in a text column and an int in an integer one come
        # back as they went in (True comes back as 1, 2.0 as 2, 7 as "7").
        for pick, kinds in self._checks:
            vouched = vouched and set(map(type, pick(values))) <= kinds
        for name in self._late:  # as ``ledger.sealed_image`` leaves them out
            if image[name] is None:
                del image[name]
        return stored, image if vouched else None


_CONTAINERS = frozenset({dict, list})
_TEXT = frozenset({str, type(None)})
_INTEGER = frozenset({int, type(None)})
_NOTHING = frozenset({type(None)})
_MEMO_SIZE = 4096


class _Processed:
    """A column whose values the driver gets through processors (timestamps,
    JSON), with the last few round trips remembered: a chunk of an import
    writes the same "now" and the same "assigned" reasons thousands of
    times."""

    def __init__(self, index: int, name: str, bind: Any, result: Any) -> None:
        self.index = index
        self.name = name
        self.bind = bind
        self.result = result
        self.by_value: dict[Any, tuple[Any, Any, bool]] = {}
        self.by_stored: dict[str | None, tuple[Any, Any, bool]] = {}
        # None stored as NULL and read back as None needs no work at all.
        self.none_is_none = self.round_trip(None) == (None, None, True)

    def round_trip(self, value: Any) -> tuple[Any, Any, bool]:
        """(what the driver stores, what the seal hashes of a re-read,
        whether that is certain), remembered by value when it can be."""
        stored = self.bind(value) if self.bind is not None else value
        # Stored as text (a timestamp, JSON), which SQLite keeps as is.
        if stored is not None and type(stored) is not str:
            return stored, None, False
        known = self.by_stored.get(stored)
        if known is None:
            known = self.by_stored[stored] = (stored, self._reread(stored), True)
            _trim(self.by_stored)
        if type(value) not in _CONTAINERS:  # those by their JSON text only
            try:
                # Keyed by type too: True == 1, and both would be one key.
                self.by_value[(type(value), value)] = known
                _trim(self.by_value)
            except TypeError:
                pass  # unhashable
        return known

    def _reread(self, stored: str | None) -> Any:
        if stored is None:
            return None
        value = self.result(stored) if self.result is not None else stored
        return value.isoformat() if isinstance(value, datetime | date) else value


def _picker(names: list[str]) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    """The values of ``names`` from a row, always as a tuple."""
    if len(names) == 1:
        name = names[0]
        return lambda values: (values[name],)
    return itemgetter(*names)


def _trim(memo: dict[Any, Any]) -> None:
    if len(memo) > _MEMO_SIZE:
        memo.clear()


def _stored_as(kind: TypeEngine[Any]) -> TypeEngine[Any]:
    """The type a column is stored as, under any decorators (SQLModel's
    AutoString is a String)."""
    while isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    return kind


# The fields ``ledger.event_hash`` chains, sorted as the canonical JSON is.
_CHAINED = sorted(CHAINED_FIELDS)


_CHAINS_ALL_BUT_ITS_HASH = set(_CHAINED) == set(_EVENTS.c.keys()) - {"chain_hash"}


def _canonical_encoder() -> Callable[[Any], str]:
    """``json.dumps`` as ``ledger.digest`` calls it, minus the encoder that
    dumps builds on every call (a third of its time on a row): the same C
    encoder, made once. Without the C accelerator, dumps itself."""
    from json import encoder

    make = getattr(encoder, "c_make_encoder", None)
    if make is None:  # pragma: no cover - CPython has it
        return partial(
            json.dumps, sort_keys=True, separators=(",", ":"), default=_plain
        )
    encode = make(
        None,  # markers: a re-read row holds no cycles
        _plain,
        encoder.encode_basestring_ascii,
        None,  # indent
        ":",
        ",",
        True,  # sort_keys
        False,  # skipkeys
        True,  # allow_nan
    )
    return lambda value: "".join(encode(value, 0))


_canonical = _canonical_encoder()


def row_digest(value: Any) -> str:
    """``ledger.digest(value)``, faster; a test holds the two equal."""
    return hashlib.sha256(_canonical(value).encode()).hexdigest()


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
    ``row_hashes`` gives it (``row_digest`` of a ``BulkRows`` image);
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
                if _CHAINS_ALL_BUT_ITS_HASH:
                    del image["chain_hash"]
                else:  # pragma: no cover - a column event_hash leaves out
                    image = {name: image[name] for name in _CHAINED}
                previous = stored[seal_at] = row_digest([previous, image])
                params.append(tuple(stored))
                continue
            chained = False
            values.update(chain_seq=None, row_hash=None)
        params.append(tuple(shape.prepare(values)[0]))
    conn.exec_driver_sql(shape.sql, params)
