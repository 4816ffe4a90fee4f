"""The event log's seal: tampering made visible.

Roles stop mistakes, not a colleague who opens the shared file with another
program. What the app can do is make such changes visible afterwards. Two
facts are sealed into every event at the end of the write that made it:

- **a hash chain over the events**: each event gets the next position in the
  chain and a SHA-256 over its own fields and the hash of the event before
  it. Editing an event breaks its hash; deleting one leaves a gap in the
  positions. Events inserted by another program carry no seal.
- **the row it left behind**: for an event about a versioned row (a lead, a
  deal, a user ...; the event's ``entity`` is the table's name), a SHA-256
  of that row as the transaction committed it. A row whose content differs
  from what its latest event recorded was changed without an event.

``audit`` walks both. It is honest about its limits: someone who recomputes
the whole chain with their own program, or deletes the newest events and
the rows they made together, is not caught; a copy of the head hash kept
elsewhere (``crm audit`` prints it) catches the first.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import Connection, Select, Table, bindparam, func, select, text, update
from sqlalchemy.engine import RowMapping
from sqlmodel import Session, SQLModel

from crm_tui.clock import as_utc
from crm_tui.models import Event
from crm_tui.prepared import Prepared

# Any constant: the advisory lock that queues PostgreSQL writers while they
# seal, so the chain has one order. SQLite's BEGIN IMMEDIATE already does.
PG_SEAL_LOCK = 80_006
GENESIS = "0" * 64
ID_CHUNK = 500


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal | bytes):
        return str(value)
    raise TypeError(f"cannot seal a {type(value).__name__}")


def digest(value: Any) -> str:
    """SHA-256 of ``value`` as canonical JSON."""
    canonical = json.dumps(
        value, sort_keys=True, separators=(",", ":"), default=_plain
    ).encode()
    return hashlib.sha256(canonical).hexdigest()


# Columns added after the seal came in (migration 0006), by table: left out
# of a row's fingerprint while empty, so that a row sealed before its file
# was upgraded still matches its seal. A value written later is sealed like
# any other column's.
LATE_COLUMNS: dict[str, tuple[str, ...]] = {"lead": ("mobile_ext",)}


def sealed_image(entity: str, row: Mapping[Any, Any]) -> dict[str, Any]:
    """What the fingerprint of a row of ``entity`` covers: all of it but its
    empty late columns."""
    image = dict(row)
    for name in LATE_COLUMNS.get(entity, ()):
        if image.get(name, False) is None:
            del image[name]
    return image


def versioned_tables() -> dict[str, Table]:
    """The tables whose rows carry a version, by the entity name events use."""
    return {
        name: table
        for name, table in SQLModel.metadata.tables.items()
        if "version" in table.c and "id" in table.c
    }


# What an event's chain hash covers: all of it but the hash itself.
CHAINED_FIELDS = (
    "id",
    "at",
    "user_id",
    "entity",
    "entity_id",
    "action",
    "changes",
    "batch_id",
    "row_hash",
    "chain_seq",
)


def event_hash(previous: str, event: RowMapping) -> str:
    fields = {key: event[key] for key in CHAINED_FIELDS}
    return digest([previous, fields])


def row_hashes(session: Session, table: Table, ids: Iterable[int]) -> dict[int, str]:
    """The fingerprint of each row of ``table`` with one of ``ids``."""
    found: dict[int, str] = {}
    wanted = sorted(set(ids))
    conn = session.connection()
    query = _rows_by_id(table)
    for start in range(0, len(wanted), ID_CHUNK):
        chunk = wanted[start : start + ID_CHUNK]
        for row in conn.execute(query, {"ids": chunk}):
            found[row.id] = digest(sealed_image(table.name, row._mapping))
    return found


@cache
def _rows_by_id(table: Table) -> Select[Any]:
    return select(table).where(table.c.id.in_(bindparam("ids", expanding=True)))


# -- sealing, inside every write ------------------------------------------

# Built once: every write of every rep seals, and building a statement costs
# more than running it on a small write such as a claim.
_EVENTS = Event.__table__  # type: ignore[attr-defined]
_MARK = select(func.coalesce(func.max(_EVENTS.c.id), 0))
_UNSEALED = (
    select(_EVENTS)
    .where(_EVENTS.c.id > bindparam("since"), _EVENTS.c.chain_seq.is_(None))
    .order_by(_EVENTS.c.id)
)
_HEAD = (
    select(_EVENTS.c.chain_seq, _EVENTS.c.chain_hash)
    .where(_EVENTS.c.chain_seq.is_not(None))
    .order_by(_EVENTS.c.chain_seq.desc())
    .limit(1)
)
_SEAL = (
    update(_EVENTS)
    .where(_EVENTS.c.id == bindparam("b_id"))
    .values(
        row_hash=bindparam("b_row"),
        chain_seq=bindparam("b_seq"),
        chain_hash=bindparam("b_hash"),
    )
)


# The same, run on the driver's cursor (crm_tui.prepared): a claim is all
# small statements, each of which SQLAlchemy would take longer to prepare
# than SQLite takes to run, while the writer holds the lock.
_MARK_NOW = Prepared(_MARK)
_ANY_UNSEALED = Prepared(
    select(_EVENTS.c.id)
    .where(_EVENTS.c.id > bindparam("since"), _EVENTS.c.chain_seq.is_(None))
    .limit(1)
)


def _newest(column: Any) -> Any:
    return _HEAD.with_only_columns(column).scalar_subquery()


# Where the chain stands, and the id the next event gets: under SQLite's
# write lock one past the largest (SQLite's own rule for a new rowid), on
# PostgreSQL the next from the column's sequence.
_NEXT = {
    "sqlite": Prepared(
        select(
            func.coalesce(func.max(_EVENTS.c.id), 0) + 1,
            _newest(_EVENTS.c.chain_seq),
            _newest(_EVENTS.c.chain_hash),
        )
    ),
    "postgresql": Prepared(
        select(
            func.nextval(func.pg_get_serial_sequence("event", "id")),
            _newest(_EVENTS.c.chain_seq),
            _newest(_EVENTS.c.chain_hash),
        )
    ),
}
_SEALED_FIELDS = (*CHAINED_FIELDS, "chain_hash")
_APPEND = Prepared(
    _EVENTS.insert().values({name: bindparam(name) for name in _SEALED_FIELDS})
)
_PG_SEAL_LOCK = Prepared(select(func.pg_advisory_xact_lock(PG_SEAL_LOCK)))


def mark(session: Session) -> int:
    """Where the log stands as a write begins: events after this are its own."""
    since: int = _MARK_NOW.rows(session.connection())[0][0]
    return since


def append(
    conn: Connection, event: Mapping[str, Any], row: Mapping[str, Any] | None
) -> int:
    """Add one event to the log, sealed as it is written; returns its id.

    For small writes on the hot path (a claim): one query and one insert,
    where ``seal`` would insert, read back the event and its row, and
    update. ``event`` holds the fields ``record`` takes, its changes plain
    JSON values (``events.plain``); ``row`` is the whole row the event is
    about as this write leaves it (an UPDATE's RETURNING of every column),
    or None for an event about no versioned row. The caller changes that
    row no further in this write.
    """
    if conn.dialect.name == "postgresql":
        _PG_SEAL_LOCK.rows(conn)
    [(event_id, seq, previous)] = _NEXT[conn.dialect.name].rows(conn)
    values = {
        "id": event_id,
        # As the audit will read it back: in UTC.
        "at": as_utc(event["at"]),
        "user_id": event.get("user_id"),
        "entity": event["entity"],
        "entity_id": event["entity_id"],
        "action": event["action"],
        "changes": event.get("changes") or {},
        "batch_id": event.get("batch_id"),
        "row_hash": (
            None if row is None else digest(sealed_image(event["entity"], row))
        ),
        "chain_seq": (seq or 0) + 1,
    }
    values["chain_hash"] = event_hash(previous or GENESIS, values)  # type: ignore[arg-type]
    _APPEND.rows(conn, values)
    return int(event_id)


def seal(session: Session, since: int) -> int:
    """Seal the events this write added (ids above ``since``); returns how
    many. Runs last in the transaction, so each row hash is of the row as
    committed."""
    session.flush()
    conn = session.connection()
    if not _ANY_UNSEALED.rows(conn, {"since": since}):
        return 0  # the usual claim: its event was sealed as it was appended
    events = conn.execute(_UNSEALED, {"since": since}).all()
    if not events:
        return 0
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"SELECT pg_advisory_xact_lock({PG_SEAL_LOCK})"))
    head = conn.execute(_HEAD).first()
    seq, previous = (head[0], head[1]) if head else (0, GENESIS)
    tables = versioned_tables()
    wanted: dict[str, set[int]] = {}
    for event in events:
        if event.entity in tables:
            wanted.setdefault(event.entity, set()).add(event.entity_id)
    rows = {
        (entity, row_id): hashed
        for entity, ids in wanted.items()
        for row_id, hashed in row_hashes(session, tables[entity], ids).items()
    }
    sealed = []
    for event in events:
        seq += 1
        values = dict(event._mapping)
        values["row_hash"] = rows.get((event.entity, event.entity_id))
        values["chain_seq"] = seq
        previous = event_hash(previous, values)  # type: ignore[arg-type]
        sealed.append(
            {
                "b_id": event.id,
                "b_row": values["row_hash"],
                "b_seq": seq,
                "b_hash": previous,
            }
        )
    conn.execute(_SEAL, sealed)
    return len(sealed)


# -- the audit -------------------------------------------------------------


@dataclass
class Audit:
    """What ``audit`` found. Empty lists mean nothing was tampered with."""

    events: int = 0
    head: str = GENESIS
    altered: list[int] = field(default_factory=list)
    missing: list[int] = field(default_factory=list)
    unsealed: list[int] = field(default_factory=list)
    before_seal: int = 0
    changed_rows: list[tuple[str, int]] = field(default_factory=list)
    unvouched_rows: list[tuple[str, int]] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (
            self.altered
            or self.missing
            or self.unsealed
            or self.changed_rows
            or self.unvouched_rows
        )

    def findings(self) -> list[str]:
        """One line per kind of problem, for a person."""
        lines = []
        if self.altered:
            lines.append(
                f"events altered after they were written: {_ids(self.altered)}"
            )
        if self.missing:
            lines.append(
                f"events deleted from the log (chain positions): {_ids(self.missing)}"
            )
        if self.unsealed:
            lines.append(f"events added outside crm-tui: {_ids(self.unsealed)}")
        if self.changed_rows:
            lines.append("rows changed without an event: " + _rows(self.changed_rows))
        if self.unvouched_rows:
            lines.append(
                "rows no event accounts for (added outside crm-tui?): "
                + _rows(self.unvouched_rows)
            )
        return lines

    def as_json(self) -> dict[str, Any]:
        return {
            "clean": self.clean,
            "events": self.events,
            "head": self.head,
            "altered_events": self.altered,
            "deleted_events": self.missing,
            "unsealed_events": self.unsealed,
            "events_before_seal": self.before_seal,
            "changed_rows": [f"{e} #{i}" for e, i in self.changed_rows],
            "unvouched_rows": [f"{e} #{i}" for e, i in self.unvouched_rows],
        }


def _ids(ids: list[int], most: int = 10) -> str:
    shown = ", ".join(f"#{i}" for i in ids[:most])
    return shown + (f" and {len(ids) - most} more" if len(ids) > most else "")


def _rows(rows: list[tuple[str, int]], most: int = 10) -> str:
    shown = ", ".join(f"{entity} #{row_id}" for entity, row_id in rows[:most])
    return shown + (f" and {len(rows) - most} more" if len(rows) > most else "")


def audit(session: Session) -> Audit:
    """Check the chain of events and every versioned row against it."""
    report = Audit()
    table = Event.__table__  # type: ignore[attr-defined]
    first_sealed = session.execute(
        select(func.min(table.c.id)).where(table.c.chain_seq.is_not(None))
    ).scalar_one()
    _walk_chain(session, report)
    for (event_id,) in session.execute(
        select(table.c.id).where(table.c.chain_seq.is_(None)).order_by(table.c.id)
    ):
        # Events older than the first sealed one were written before this
        # database had a chain (an upgraded file): history, not tampering.
        if first_sealed is None or event_id < first_sealed:
            report.before_seal += 1
        else:
            report.unsealed.append(event_id)
    for entity, rows in versioned_tables().items():
        _check_rows(session, report, entity, rows, vouch=report.before_seal == 0)
    return report


def _walk_chain(session: Session, report: Audit) -> None:
    table = Event.__table__  # type: ignore[attr-defined]
    previous: str | None = GENESIS
    expected = 1
    for event in _stream(
        session,
        select(table).where(table.c.chain_seq.is_not(None)).order_by(table.c.chain_seq),
    ):
        seq = event["chain_seq"]
        if seq != expected:
            report.missing.extend(range(expected, seq))
            previous = None  # the link to a deleted event cannot be checked
        if previous is not None and event_hash(previous, event) != event["chain_hash"]:
            report.altered.append(event["id"])
        previous = event["chain_hash"]
        expected = seq + 1
        report.events += 1
        report.head = event["chain_hash"]


def _check_rows(
    session: Session, report: Audit, entity: str, rows: Table, *, vouch: bool
) -> None:
    table = Event.__table__  # type: ignore[attr-defined]
    latest = (
        select(table.c.entity_id, func.max(table.c.chain_seq).label("seq"))
        .where(table.c.entity == entity, table.c.row_hash.is_not(None))
        .group_by(table.c.entity_id)
        .subquery()
    )
    query = select(table.c.entity_id, table.c.row_hash).join_from(
        table,
        latest,
        (table.c.entity_id == latest.c.entity_id) & (table.c.chain_seq == latest.c.seq),
    )
    recorded: dict[int, str] = {row[0]: row[1] for row in session.execute(query)}
    for row in _stream(session, select(rows).order_by(rows.c.id)):
        expected = recorded.get(row["id"])
        if expected is None:
            if vouch:
                report.unvouched_rows.append((entity, row["id"]))
        elif digest(sealed_image(entity, row)) != expected:
            report.changed_rows.append((entity, row["id"]))


def _stream(session: Session, query: Any) -> Iterator[RowMapping]:
    result = session.execute(query, execution_options={"yield_per": 1000})
    yield from result.mappings()
