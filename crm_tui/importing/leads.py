"""Importing leads from another CRM's CSV export.

Every row ends one way: created, updated (same record of the same source
system, changed), duplicate (matches a lead by e-mail or phone, or an earlier
row), or rejected (with the reason). The four add up to the rows read.

Work is done in chunks, each its own short write transaction, so a long
import never holds the shared file for long, and duplicates are checked a
chunk at a time with ``IN`` lists rather than a query per row.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from functools import cache, partial
from pathlib import Path
from typing import Any

from sqlalchemy import Select, bindparam, func, insert, select, update
from sqlmodel import Session, col

from crm_tui.errors import CrmError
from crm_tui.events import diff
from crm_tui.importing.batches import refuse_repeat
from crm_tui.importing.headers import ColumnMap, header_key, map_headers
from crm_tui.importing.reader import CsvTable, UnreadableFile, file_sha256, read_table
from crm_tui.importing.rows import ParsedRow, RejectedRow, parse_row
from crm_tui.ledger_bulk import bulk_rows, insert_sealed, row_digest
from crm_tui.models import Event, ImportBatch, ImportRow, Lead, User
from crm_tui.process import Process
from crm_tui.rules.sla import IMPORT_CHANNEL, source_key
from crm_tui.services.arrival import arrival_events, place
from crm_tui.workspace import Workspace

log = logging.getLogger(__name__)

CHUNK_SIZE = 2_000
_IN_LIST = 500  # parameters per IN list, well under every driver's limit

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class RowNote:
    row: int
    reason: str
    lead_id: int | None = None


@dataclass
class ImportReport:
    """What an import did, reconciled: read = created + updated + duplicates
    + rejected."""

    file: str
    encoding: str
    delimiter: str
    batch_id: int = 0
    read: int = 0
    created: int = 0
    updated: int = 0
    duplicates: list[RowNote] = field(default_factory=list)
    rejections: list[RowNote] = field(default_factory=list)
    columns: list[tuple[str, str]] = field(default_factory=list)
    unknown_owners: Counter[str] = field(default_factory=Counter)

    @property
    def reconciles(self) -> bool:
        total = self.created + self.updated + len(self.duplicates)
        return self.read == total + len(self.rejections)

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "batch": self.batch_id,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "read": self.read,
            "created": self.created,
            "updated": self.updated,
            "duplicates": len(self.duplicates),
            "rejected": len(self.rejections),
            "rejections": [{"row": r.row, "reason": r.reason} for r in self.rejections],
            "duplicate_rows": [
                {"row": d.row, "lead": d.lead_id, "reason": d.reason}
                for d in self.duplicates
            ],
            "columns": [{"column": c, "field": f} for c, f in self.columns],
            "unknown_owners": dict(self.unknown_owners),
        }


def import_leads(
    ws: Workspace,
    path: Path,
    *,
    overrides: dict[str, str] | None = None,
    default_region: str = "US",
    time_zone: tzinfo = UTC,
    progress: Progress | None = None,
    chunk_size: int = CHUNK_SIZE,
    again: bool = False,
) -> ImportReport:
    """Import the leads in the CSV file at ``path``. A file imported before
    is refused (``AlreadyImported``) unless ``again``."""
    try:
        table = read_table(path)
        columns = map_headers(table.header, overrides)
    except (UnreadableFile, ValueError) as exc:
        raise CrmError(str(exc)) from exc
    _refuse_other_kind(path, table, columns)
    report = ImportReport(
        file=path.name,
        encoding=table.encoding,
        delimiter=table.delimiter,
        read=len(table.rows),
        columns=columns.describe(),
    )
    run = _Run(ws, table, columns, report, _source_system(table, columns))
    file_hash = file_sha256(path)
    report.batch_id = ws.write(
        lambda session: run.open_batch(session, file_hash, again=again)
    )
    done = 0
    for start in range(0, len(table.rows), chunk_size):
        rows = table.rows[start : start + chunk_size]
        parsed = []
        for row in rows:
            try:
                parsed.append(
                    parse_row(
                        row.number,
                        row.values,
                        table.header,
                        columns,
                        default_region=default_region,
                        time_zone=time_zone,
                    )
                )
            except RejectedRow as exc:
                run.reject(row.number, f"Row {row.number} {exc}", row.values)
        ws.write(partial(run.save_chunk, rows=parsed))
        done += len(rows)
        if progress is not None:
            progress(done, len(table.rows))
    ws.write(run.close_batch)
    log.info(
        "imported %s: %d read, %d created, %d updated, %d duplicates, %d rejected",
        path.name,
        report.read,
        report.created,
        report.updated,
        len(report.duplicates),
        len(report.rejections),
    )
    return report


# Columns that say who a lead is; a file with none of them is not people.
_PERSON_FIELDS = frozenset(
    {"name", "first_name", "last_name", "email", "phone", "mobile"}
)
# Columns of a deals (opportunities) export and of an accounts list, as
# ``crm import deals`` reads them. Two of either, and no person, and the file
# is that: imported as leads, each row became a company-only "lead" (the
# Maven pipeline: 8,800 of them).
_DEAL_COLUMNS = frozenset(
    map(
        header_key,
        {"opportunity_id", "deal_stage", "close_value", "sales_agent", "engage_date"}
        | {"deal_id", "deal_name", "opportunity_name", "stage", "amount", "close_date"},
    )
)
_ACCOUNT_COLUMNS = frozenset(
    map(
        header_key,
        {"sector", "revenue", "employees", "year_established", "subsidiary_of"}
        | {"office_location", "annual_revenue", "number_of_employees"},
    )
)


def _refuse_other_kind(path: Path, table: CsvTable, columns: ColumnMap) -> None:
    """Refuse a deals export or an accounts list given as leads."""
    if _PERSON_FIELDS & set(columns.fields.values()):
        return
    keys = {header_key(h): h.strip() for h in table.header}
    deal_like = [keys[k] for k in keys if k in _DEAL_COLUMNS]
    account_like = [keys[k] for k in keys if k in _ACCOUNT_COLUMNS]
    if len(deal_like) >= 2:
        raise CrmError(
            f"{path.name} looks like deals ({', '.join(deal_like[:3])}), not "
            "leads: no column names a person, an e-mail or a phone. Import it "
            f'with: crm import deals {path} --stage "Their stage=Our stage"'
        )
    if len(account_like) >= 2:
        raise CrmError(
            f"{path.name} looks like accounts ({', '.join(account_like[:3])}), "
            "not leads: no column names a person, an e-mail or a phone. Accounts "
            f"come in with their deals: crm import deals PIPELINE.csv --accounts "
            f"{path}"
        )


def _source_spellings(
    table: CsvTable, columns: ColumnMap, process: Process
) -> dict[str, str]:
    """One spelling for each lead source in the file, by ``source_key``: the
    process file's where it names the source, else the file's most common
    one. Exports mix "Google" with "google"; reports split by source would
    show them as two."""
    found: dict[str, Counter[str]] = {}
    for index, name in columns.fields.items():
        if name != "source":
            continue
        for row in table.rows:
            if index < len(row.values) and (value := row.values[index].strip()):
                found.setdefault(source_key(value), Counter())[value] += 1
    spellings = {key: seen.most_common(1)[0][0] for key, seen in found.items()}
    named = [s for sla in process.sla for s in sla.sources]
    named += [s for rule in process.routing.rules for s in rule.sources]
    for source in named:
        if source_key(source) in spellings:
            spellings[source_key(source)] = source
    return spellings


def _source_system(table: CsvTable, columns: ColumnMap) -> str | None:
    """Which system's IDs the file carries, named by its ID column, so that a
    HubSpot contact ID is only ever compared with HubSpot contact IDs."""
    for index, name in columns.fields.items():
        if name == "external_id":
            return table.header[index].strip()
    return None


class _Run:
    """The state of one import as it goes through the file."""

    def __init__(
        self,
        ws: Workspace,
        table: CsvTable,
        columns: ColumnMap,
        report: ImportReport,
        source_system: str | None,
    ) -> None:
        self.ws = ws
        self.table = table
        self.columns = columns
        self.report = report
        self.source_system = source_system
        self.user_id = ws.user_id
        self.pending_notes: list[dict[str, Any]] = []
        # Leads this file has already created, so a later row can match them.
        self.seen_email: dict[str, int] = {}
        self.seen_phone: dict[str, int] = {}
        self.seen_external: dict[str, int] = {}
        self.owners: dict[str, int] | None = None
        self.sources = _source_spellings(table, columns, ws.process)

    # -- batch ----------------------------------------------------------

    def open_batch(self, session: Session, file_hash: str, *, again: bool) -> int:
        if not again:
            zone = self.ws.process.team.zone
            refuse_repeat(session, "leads", self.report.file, file_hash, zone)
        batch = ImportBatch(
            kind="leads",
            file_name=self.report.file,
            file_hash=file_hash,
            user_id=self.user_id,
            started_at=self.ws.clock.now(),
            read=self.report.read,
            columns=dict(self.report.columns),
        )
        session.add(batch)
        session.flush()
        assert batch.id is not None
        self.owners = _owner_index(session)
        return batch.id

    def close_batch(self, session: Session) -> None:
        self._flush_notes(session)
        report = self.report
        session.execute(
            update(ImportBatch)
            .where(col(ImportBatch.id) == report.batch_id)
            .values(
                finished_at=self.ws.clock.now(),
                created=report.created,
                updated=report.updated,
                duplicates=len(report.duplicates),
                rejected=len(report.rejections),
            )
        )
        session.execute(
            insert(Event).values(
                at=self.ws.clock.now(),
                user_id=self.user_id,
                entity="import",
                entity_id=report.batch_id,
                action="imported",
                changes={
                    "file": report.file,
                    "read": report.read,
                    "created": report.created,
                    "updated": report.updated,
                    "duplicates": len(report.duplicates),
                    "rejected": len(report.rejections),
                },
                batch_id=report.batch_id,
            )
        )

    def reject(self, number: int, reason: str, values: Sequence[str]) -> None:
        self.report.rejections.append(RowNote(number, reason))
        self._note(number, "rejected", reason, None, _raw(self.table.header, values))

    def _note(
        self,
        number: int,
        outcome: str,
        reason: str,
        lead_id: int | None,
        data: dict[str, str],
    ) -> None:
        self.pending_notes.append(
            {
                "batch_id": self.report.batch_id,
                "row": number,
                "outcome": outcome,
                "reason": reason,
                "lead_id": lead_id,
                "data": data,
            }
        )

    def _flush_notes(self, session: Session) -> None:
        if self.pending_notes:
            session.execute(insert(ImportRow), self.pending_notes)
            self.pending_notes = []

    # -- one chunk --------------------------------------------------------

    def save_chunk(self, session: Session, rows: list[ParsedRow]) -> None:
        existing = _Existing.load(session, rows, self.source_system)
        now = self.ws.clock.now()
        creates: list[ParsedRow] = []
        # Rows that repeat a row of this chunk wait for its new lead's id.
        waiting: list[tuple[ParsedRow, ParsedRow, str]] = []
        in_chunk_email: dict[str, ParsedRow] = {}
        in_chunk_phone: dict[str, ParsedRow] = {}
        in_chunk_external: dict[str, ParsedRow] = {}
        for row in rows:
            ext = row.external_id
            if ext is not None and self.source_system is not None:
                match = existing.by_external.get(ext) or self.seen_external.get(ext)
                if match is not None:
                    self._update_or_repeat(session, row, match, now)
                    continue
                if ext in in_chunk_external:
                    waiting.append((row, in_chunk_external[ext], "the same ID"))
                    continue
            lead_id, why = self._match(row, existing)
            if lead_id is not None:
                self._duplicate(row, lead_id, why)
                continue
            earlier, why = _match_in_chunk(row, in_chunk_email, in_chunk_phone)
            if earlier is not None:
                waiting.append((row, earlier, why))
                continue
            creates.append(row)
            if row.email_key:
                in_chunk_email[row.email_key] = row
            if row.phone:
                in_chunk_phone[row.phone] = row
            if ext is not None:
                in_chunk_external[ext] = row
        ids = self._create(session, creates, now)
        for row, earlier, why in waiting:
            self._duplicate(row, ids[earlier.number], why)
        self._flush_notes(session)

    def _match(self, row: ParsedRow, existing: _Existing) -> tuple[int | None, str]:
        key = row.email_key
        if key is not None:
            found = existing.by_email.get(key) or self.seen_email.get(key)
            if found is not None:
                return found, f"the same e-mail ({key})"
        phone = row.phone
        if phone is not None:
            found = existing.by_phone.get(phone) or self.seen_phone.get(phone)
            if found is not None:
                return found, f"the same phone ({phone})"
        return None, ""

    def _duplicate(self, row: ParsedRow, lead_id: int, why: str) -> None:
        reason = f"Row {row.number} is a duplicate of lead #{lead_id}: {why}"
        self.report.duplicates.append(RowNote(row.number, reason, lead_id))
        self._note(row.number, "duplicate", reason, lead_id, row.raw)

    def _update_or_repeat(
        self, session: Session, row: ParsedRow, lead_id: int, now: datetime
    ) -> None:
        """The same record of the same system again: update what changed."""
        current = session.get(Lead, lead_id)
        if current is None:
            return
        incoming = {
            k: v for k, v in row.values.items() if k not in {"extra", "created_at"}
        }
        if "source" in incoming:
            incoming["source"] = self._spelled(incoming["source"])
        before = {k: getattr(current, k) for k in incoming}
        changes = diff(before, incoming)
        if not changes:
            self._duplicate(row, lead_id, "already imported, nothing changed")
            return
        session.execute(
            update(Lead)
            .where(col(Lead.id) == lead_id)
            .values(**incoming, updated_at=now, version=Lead.version + 1)
        )
        session.execute(
            insert(Event).values(
                at=now,
                user_id=self.user_id,
                entity="lead",
                entity_id=lead_id,
                action="updated",
                changes=changes,
                batch_id=self.report.batch_id,
            )
        )
        self.report.updated += 1
        fields = ", ".join(sorted(changes))
        self._note(row.number, "updated", f"updated {fields}", lead_id, row.raw)

    def _create(
        self, session: Session, rows: list[ParsedRow], now: datetime
    ) -> dict[int, int]:
        """Insert new leads in bulk; returns row number -> new lead id."""
        if not rows:
            return {}
        values = [self._lead_values(row, now) for row in rows]
        # Routed on arrival, the whole chunk at once: one read of the team,
        # the named accounts and the pools, not a query per row.
        arrivals = place(session, self.ws.process, values, now, channel=IMPORT_CHANNEL)
        ids, prints = _insert_leads(session, values)
        events = [
            {
                "at": now,
                "user_id": self.user_id,
                "entity": "lead",
                "entity_id": lead_id,
                "action": "created",
                "changes": {
                    "imported_from": [None, f"{self.report.file}:{row.number}"]
                },
                "batch_id": self.report.batch_id,
            }
            for row, lead_id in zip(rows, ids, strict=True)
        ]
        events += arrival_events(
            arrivals, ids, at=now, user_id=self.user_id, batch_id=self.report.batch_id
        )
        # Nothing changes these leads again in this write, so their events
        # go in sealed with the rows just written.
        insert_sealed(session, events, {("lead", i): h for i, h in prints.items()})
        by_row = {}
        for row, lead_id in zip(rows, ids, strict=True):
            by_row[row.number] = lead_id
            if row.email_key:
                self.seen_email[row.email_key] = lead_id
            if row.phone:
                self.seen_phone[row.phone] = lead_id
            if row.external_id:
                self.seen_external[row.external_id] = lead_id
        self.report.created += len(rows)
        return by_row

    def _lead_values(self, row: ParsedRow, now: datetime) -> dict[str, Any]:
        values = dict.fromkeys(_LEAD_COLUMNS)
        values.update(row.values)
        values["source"] = self._spelled(values["source"])
        created = values.get("created_at") or now
        owner_id = self._owner(row.owner)
        values.update(
            created_at=created,
            updated_at=now,
            status="working" if owner_id else "new",
            owner_id=owner_id,
            source_system=self.source_system,
            import_batch_id=self.report.batch_id,
            version=1,
        )
        return values

    def _spelled(self, source: str | None) -> str | None:
        if not source:
            return source
        return self.sources.get(source_key(source), source)

    def _owner(self, named: str | None) -> int | None:
        if named is None:
            return None
        assert self.owners is not None
        owner = self.owners.get(named.strip().lower())
        if owner is None:
            self.report.unknown_owners[named] += 1
        return owner


# Every column a new lead row must name, so that bulk inserts share one shape.
_LEAD_COLUMNS = tuple(
    c.name
    for c in Lead.__table__.columns  # type: ignore[attr-defined]
    if c.name not in {"id"}
)


def _raw(header: list[str], values: Sequence[str]) -> dict[str, str]:
    from crm_tui.importing.rows import raw_row

    return raw_row(header, list(values))


def _insert_leads(
    session: Session, values: list[dict[str, Any]]
) -> tuple[list[int], dict[int, str]]:
    """Insert lead rows in one batch; their new ids, in the rows' order, and
    the seal's fingerprint of each new row (see ``crm_tui.ledger_bulk``).

    SQLite cannot promise the order of a many-row ``INSERT ... RETURNING``,
    so SQLAlchemy would send one INSERT per row to keep ids in step with
    rows. Inside our write transaction SQLite's lock is held, so the ids are
    handed out here, after the highest, and the batch is one executemany
    straight to the driver. Servers keep RETURNING, which they batch in
    order, and ``ledger.seal`` fingerprints their rows.
    """
    if session.get_bind().dialect.name != "sqlite":
        result = session.execute(
            insert(Lead).returning(col(Lead.id), sort_by_parameter_order=True),
            values,
            # Routed and unrouted rows differ in which values are None; the
            # ORM would split the batch at every change without this.
            execution_options={"render_nulls": True},
        )
        return [row_id for (row_id,) in result], {}
    conn = session.connection()
    highest = select(func.coalesce(func.max(Lead.id), 0))
    top = int(conn.execute(highest).scalar_one() or 0)
    ids = list(range(top + 1, top + 1 + len(values)))
    shape = bulk_rows(Lead.__table__, conn.dialect)  # type: ignore[attr-defined]
    params = []
    prints = {}
    for lead_id, row in zip(ids, values, strict=True):
        row["id"] = lead_id
        stored, image = shape.prepare(row)
        params.append(tuple(stored))
        if image is not None:
            prints[lead_id] = row_digest(image)
    conn.exec_driver_sql(shape.sql, params)
    return ids, prints


def _owner_index(session: Session) -> dict[str, int]:
    """Users by lower-cased e-mail, login name and display name."""
    index: dict[str, int] = {}
    for user in session.execute(select(User)).scalars():
        if user.id is None:
            continue
        for key in (user.email, user.name, user.display_name):
            if key:
                index.setdefault(key.strip().lower(), user.id)
    return index


def _match_in_chunk(
    row: ParsedRow,
    by_email: dict[str, ParsedRow],
    by_phone: dict[str, ParsedRow],
) -> tuple[ParsedRow | None, str]:
    if row.email_key and row.email_key in by_email:
        return by_email[row.email_key], f"the same e-mail ({row.email_key})"
    if row.phone and row.phone in by_phone:
        return by_phone[row.phone], f"the same phone ({row.phone})"
    return None, ""


@dataclass
class _Existing:
    """Leads already in the database that rows of one chunk may match."""

    by_email: dict[str, int]
    by_phone: dict[str, int]
    by_external: dict[str, int]

    @classmethod
    def load(
        cls, session: Session, rows: list[ParsedRow], source_system: str | None
    ) -> _Existing:
        emails = {r.email_key for r in rows if r.email_key}
        phones = {r.phone for r in rows if r.phone}
        externals = {r.external_id for r in rows if r.external_id}
        by_email = dict(_lookup(session, "email_key", emails))
        by_phone = dict(_lookup(session, "phone", phones))
        by_external: dict[str, int] = {}
        if source_system is not None:
            by_external = dict(
                _lookup(session, "external_id", externals, source_system)
            )
        return cls(by_email, by_phone, by_external)


def _lookup(
    session: Session, column: str, keys: Iterable[str], system: str | None = None
) -> Iterable[tuple[str, int]]:
    """(key, lead id) for leads whose ``column`` is one of ``keys`` (and that
    came from ``system``, when named), oldest lead last so that a dict of
    them names the original."""
    ordered = sorted(keys)
    conn = session.connection()
    query = _lookup_query(column, system is not None)
    for start in range(0, len(ordered), _IN_LIST):
        part = ordered[start : start + _IN_LIST]
        found = conn.execute(query, {"keys": part, "system": system})
        yield from ((key, lead_id) for key, lead_id in found)


@cache
def _lookup_query(column: str, by_system: bool) -> Select[Any]:
    """Built once: Core, not the ORM, and one statement for every chunk."""
    table = Lead.__table__  # type: ignore[attr-defined]
    where = [
        table.c[column].in_(bindparam("keys", expanding=True)),
        table.c.merged_into_id.is_(None),
    ]
    if by_system:
        where.append(table.c.source_system == bindparam("system"))
    return select(table.c[column], table.c.id).where(*where).order_by(table.c.id.desc())
