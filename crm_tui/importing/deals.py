"""Importing deals from another CRM's opportunity export (the Maven sales
pipeline shape: opportunity_id, sales_agent, product, account, deal_stage,
engage_date, close_date, close_value) with its team, account and product
files.

The file's stages are mapped to ours by the person importing; the stage
gates apply to every row, so a won deal without a close date is rejected with
the reason rather than slipped onto the board. Closed deals keep their
history: the engage date is when the deal was created, the close date when it
closed, and the events carry those times so reports can use them. Rows are
saved in chunks, each its own short transaction, with bulk inserts.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlmodel import Session, col

from crm_tui.errors import CrmError
from crm_tui.importing.batches import refuse_repeat
from crm_tui.importing.leads import RowNote
from crm_tui.importing.reader import CsvTable, UnreadableFile, file_sha256, read_table
from crm_tui.importing.rows import raw_row
from crm_tui.models import Account, Deal, Event, ImportBatch, ImportRow, Task, User
from crm_tui.normalize import (
    InvalidValue,
    clean,
    country_name,
    parse_amount,
    parse_timestamp,
)
from crm_tui.process import Process
from crm_tui.rules.stages import describe_needs, missing_to_move, tasks_on_entry
from crm_tui.services.users import create_user
from crm_tui.workspace import Workspace

log = logging.getLogger(__name__)

CHUNK_SIZE = 2_000
NOT_RECORDED = "not_recorded"
REQUIRED_COLUMNS = ("opportunity_id", "sales_agent", "deal_stage")
Progress = Callable[[int, int], None]


@dataclass
class DealImportReport:
    """What a deal import did, reconciled like the lead import:
    read = created + updated + duplicates + rejected."""

    file: str
    batch_id: int = 0
    read: int = 0
    created: int = 0
    updated: int = 0
    duplicates: list[RowNote] = field(default_factory=list)
    rejections: list[RowNote] = field(default_factory=list)
    stages: Counter[str] = field(default_factory=Counter)
    users_created: list[str] = field(default_factory=list)
    accounts_created: int = 0
    product_aliases: dict[str, str] = field(default_factory=dict)
    alias_rows: Counter[str] = field(default_factory=Counter)
    unknown_products: Counter[str] = field(default_factory=Counter)
    unknown_accounts: Counter[str] = field(default_factory=Counter)
    rows_without_account: int = 0
    agents_not_in_team: Counter[str] = field(default_factory=Counter)
    lost_not_recorded: int = 0
    tasks_created: int = 0

    @property
    def reconciles(self) -> bool:
        done = self.created + self.updated + len(self.duplicates)
        return self.read == done + len(self.rejections)

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "batch": self.batch_id,
            "read": self.read,
            "created": self.created,
            "updated": self.updated,
            "duplicates": len(self.duplicates),
            "rejected": len(self.rejections),
            "rejections": [{"row": r.row, "reason": r.reason} for r in self.rejections],
            "duplicate_rows": [
                {"row": d.row, "deal": d.lead_id, "reason": d.reason}
                for d in self.duplicates
            ],
            "stages": dict(self.stages),
            "users_created": self.users_created,
            "accounts_created": self.accounts_created,
            "products_read_as": {
                alias: {"product": product, "rows": self.alias_rows[alias]}
                for alias, product in self.product_aliases.items()
            },
            "unknown_products": dict(self.unknown_products),
            "unknown_accounts": dict(self.unknown_accounts),
            "rows_without_account": self.rows_without_account,
            "agents_not_in_team": dict(self.agents_not_in_team),
            "lost_not_recorded": self.lost_not_recorded,
            "tasks_created": self.tasks_created,
        }


def parse_stage_map(pairs: list[str], process: Process) -> dict[str, str]:
    """``["Won=Closed won", ...]`` (or lines of a mapping file) as file stage
    -> stage key; a stage we do not have is refused with our stage names."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        line = pair.strip()
        if not line or line.startswith("#"):
            continue
        theirs, sep, ours = line.partition("=")
        if not sep or not theirs.strip() or not ours.strip():
            raise CrmError(f'A stage mapping is "Their stage=Our stage", not {pair!r}.')
        mapping[theirs.strip().casefold()] = process.stage(ours).key
    return mapping


def read_stage_map_file(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise CrmError(
            f"Cannot read the stage mapping {path}: {exc.strerror}."
        ) from exc


def sibling(path: Path, name: str) -> Path | None:
    """A companion file next to the pipeline file, when it is there."""
    candidate = path.parent / name
    return candidate if candidate.exists() else None


def import_deals(
    ws: Workspace,
    path: Path,
    *,
    stage_map: dict[str, str],
    teams: Path | None = None,
    accounts: Path | None = None,
    products: Path | None = None,
    progress: Progress | None = None,
    chunk_size: int = CHUNK_SIZE,
    again: bool = False,
) -> DealImportReport:
    """Import the opportunities in ``path`` with their team, accounts and
    products (each optional). A file imported before is refused
    (``AlreadyImported``) unless ``again``."""
    process = ws.process
    pipeline = _read(path)
    index = _columns(pipeline, REQUIRED_COLUMNS)
    _check_stages(pipeline, index, stage_map, process)
    report = DealImportReport(file=path.name, read=len(pipeline.rows))
    run = _Run(ws, pipeline, index, stage_map, report)
    run.has_team = teams is not None
    run.team = _read_team(teams) if teams else {}
    run.account_rows = _read_accounts(accounts) if accounts else {}
    run.products = _read_products(products) if products else {}
    file_hash = file_sha256(path)
    report.batch_id = ws.write(
        lambda session: run.prepare(session, file_hash, again=again)
    )
    done = 0
    for start in range(0, len(pipeline.rows), chunk_size):
        rows = pipeline.rows[start : start + chunk_size]
        ws.write(partial(run.save_chunk, rows=rows))
        done += len(rows)
        if progress is not None:
            progress(done, len(pipeline.rows))
    ws.write(run.close_batch)
    log.info(
        "imported deals from %s: %d read, %d created, %d updated, %d duplicates, "
        "%d rejected",
        path.name,
        report.read,
        report.created,
        report.updated,
        len(report.duplicates),
        len(report.rejections),
    )
    return report


def _read(path: Path) -> CsvTable:
    try:
        return read_table(path)
    except UnreadableFile as exc:
        raise CrmError(str(exc)) from exc


def _key(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", header.strip().casefold()).strip("_")


def _columns(table: CsvTable, required: tuple[str, ...]) -> dict[str, int]:
    index = {_key(h): n for n, h in enumerate(table.header)}
    missing = [c for c in required if c not in index]
    if missing:
        raise CrmError(
            f"{table.path.name} has no {', '.join(missing)} column; it has: "
            f"{', '.join(table.header)}."
        )
    return index


def _check_stages(
    table: CsvTable, index: dict[str, int], stage_map: dict[str, str], process: Process
) -> None:
    """Every stage the file uses must map to one of ours before a row is saved."""
    column = index["deal_stage"]
    unmapped: Counter[str] = Counter()
    for row in table.rows:
        value = clean(_cell(row.values, column))
        if value is None or value.casefold() in stage_map:
            continue
        try:
            stage_map[value.casefold()] = process.stage(value).key
        except CrmError:
            unmapped[value] += 1
    if unmapped:
        listed = ", ".join(f"{v} ({n} rows)" for v, n in unmapped.most_common())
        example = next(iter(unmapped))
        raise CrmError(
            f"The file's stages {listed} match none of ours; map them, e.g. "
            f'--stage "{example}=Contacted". Our stages: '
            f"{', '.join(s.name for s in process.stages)}."
        )


def _cell(values: list[str], index: int | None) -> str:
    if index is None or index >= len(values):
        return ""
    return values[index]


def _read_team(path: Path) -> dict[str, tuple[str | None, str | None]]:
    """Agent name -> (manager name, region)."""
    table = _read(path)
    index = _columns(table, ("sales_agent",))
    team = {}
    for row in table.rows:
        agent = clean(_cell(row.values, index["sales_agent"]))
        if agent:
            team[agent] = (
                clean(_cell(row.values, index.get("manager"))),
                clean(_cell(row.values, index.get("regional_office"))),
            )
    return team


def _read_accounts(path: Path) -> dict[str, dict[str, str]]:
    table = _read(path)
    index = _columns(table, ("account",))
    found = {}
    for row in table.rows:
        values = {
            _key(h): v
            for h, v in raw_row(table.header, row.values).items()
            if clean(v) is not None
        }
        name = clean(values.get("account"))
        if name:
            found[name] = values
    del index
    return found


def _read_products(path: Path) -> dict[str, str]:
    """Compact key (no spaces, any case) -> the product's name."""
    table = _read(path)
    index = _columns(table, ("product",))
    return {
        _compact(name): name
        for row in table.rows
        if (name := clean(_cell(row.values, index["product"])))
    }


def _compact(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())


def user_login(full_name: str) -> str:
    """The name a person types as ``--user``: ``Moses Frase`` -> ``moses.frase``."""
    return re.sub(r"[^a-z0-9]+", ".", full_name.casefold()).strip(".")


class _Run:
    """The state of one deal import as it goes through the file."""

    def __init__(
        self,
        ws: Workspace,
        table: CsvTable,
        index: dict[str, int],
        stage_map: dict[str, str],
        report: DealImportReport,
    ) -> None:
        self.ws = ws
        self.process = ws.process
        self.table = table
        self.index = index
        self.stage_map = stage_map
        self.report = report
        self.user_id = ws.user_id
        self.source_system = table.header[index["opportunity_id"]].strip()
        self.team: dict[str, tuple[str | None, str | None]] = {}
        self.has_team = False
        self.account_rows: dict[str, dict[str, str]] = {}
        self.products: dict[str, str] = {}
        self.users: dict[str, int] = {}  # full name (casefolded) -> user id
        self.account_ids: dict[str, int] = {}  # name (casefolded) -> id
        self.positions: dict[str, float] = {}
        self.seen: dict[str, int] = {}  # external id -> deal id, this file
        self.notes: list[dict[str, Any]] = []
        self.first_open = self.process.open_stages[0].key

    # -- before the rows: people and accounts --------------------------------

    def prepare(self, session: Session, file_hash: str, *, again: bool) -> int:
        if not again:
            zone = self.process.team.zone
            refuse_repeat(session, "deals", self.report.file, file_hash, zone)
        now = self.ws.clock.now()
        batch = ImportBatch(
            kind="deals",
            file_name=self.report.file,
            file_hash=file_hash,
            user_id=self.user_id,
            started_at=now,
            read=self.report.read,
            columns={h: _key(h) for h in self.table.header},
        )
        session.add(batch)
        session.flush()
        assert batch.id is not None
        self.report.batch_id = batch.id
        for user in session.execute(select(User)).scalars():
            assert user.id is not None
            for name in (user.display_name, user.name):
                if name:
                    self.users.setdefault(name.casefold(), user.id)
        self._add_team(session, now)
        for account in session.execute(select(Account)).scalars():
            assert account.id is not None
            self.account_ids.setdefault(account.name.casefold(), account.id)
        for name, values in self.account_rows.items():
            if name.casefold() not in self.account_ids:
                self.account_ids[name.casefold()] = self._add_account(
                    session, name, values, now
                )
        for stage, top in session.execute(
            select(col(Deal.stage), func.max(Deal.position)).group_by(col(Deal.stage))
        ):
            self.positions[stage] = float(top)
        return batch.id

    def _add_team(self, session: Session, now: datetime) -> None:
        regions: dict[str, str | None] = {}
        for boss_name, region in self.team.values():
            if boss_name:
                regions[boss_name] = region
        for name in sorted(regions):
            self._ensure_user(session, name, "manager", None, regions[name], now)
        for agent, (manager, region) in self.team.items():
            boss = self.users.get(manager.casefold()) if manager else None
            self._ensure_user(session, agent, "rep", boss, region, now)

    def _ensure_user(
        self,
        session: Session,
        full_name: str,
        role: str,
        manager_id: int | None,
        region: str | None,
        now: datetime,
    ) -> int:
        found = self.users.get(full_name.casefold())
        if found is not None:
            return found
        login = user_login(full_name) or f"user{len(self.users) + 1}"
        if login.casefold() in self.users:
            return self.users[login.casefold()]
        user = create_user(
            session,
            name=login,
            role=role,
            at=now,
            by=self.user_id,
            display_name=full_name,
            manager_id=manager_id,
            region=region,
        )
        assert user.id is not None
        self.users[full_name.casefold()] = user.id
        self.users[login.casefold()] = user.id
        self.report.users_created.append(login)
        return user.id

    def _add_account(
        self, session: Session, name: str, values: dict[str, str], now: datetime
    ) -> int:
        extra = {k: v for k, v in values.items() if k not in {"account", "sector"}}
        location = values.get("office_location")
        account = Account(
            name=name,
            industry=clean(values.get("sector")),
            country=country_name(location) if location else None,
            extra=extra,
            created_at=now,
            updated_at=now,
        )
        session.add(account)
        session.flush()
        assert account.id is not None
        session.execute(
            insert(Event).values(
                at=now,
                user_id=self.user_id,
                entity="account",
                entity_id=account.id,
                action="created",
                changes={
                    "name": [None, name],
                    "imported_from": [None, self.report.file],
                },
                batch_id=self.report.batch_id,
            )
        )
        self.report.accounts_created += 1
        return account.id

    # -- one chunk ---------------------------------------------------------------

    def save_chunk(self, session: Session, rows: list[Any]) -> None:
        now = self.ws.clock.now()
        externals = [
            e
            for r in rows
            if (e := clean(_cell(r.values, self.index["opportunity_id"])))
        ]
        existing = dict(
            session.execute(
                select(col(Deal.external_id), col(Deal.id)).where(
                    col(Deal.source_system) == self.source_system,
                    col(Deal.external_id).in_(externals),
                )
            ).all()
        )
        creates: list[tuple[int, dict[str, Any]]] = []
        pending: dict[str, int] = {}  # external id -> row number, this chunk
        for row in rows:
            try:
                values = self._deal_values(session, row.number, row.values, now)
            except _Rejected as exc:
                self._reject(row.number, str(exc), row.values)
                continue
            ext = values["external_id"]
            match = existing.get(ext) or self.seen.get(ext)
            if match is not None:
                self._repeat(session, row.number, row.values, match, values, now)
                continue
            if ext in pending:
                self._duplicate(row.number, row.values, None, f"row {pending[ext]}")
                continue
            pending[ext] = row.number
            creates.append((row.number, values))
        self._create(session, creates, now)
        self._flush_notes(session)

    def _deal_values(
        self, session: Session, number: int, values: list[str], now: datetime
    ) -> dict[str, Any]:
        def cell(name: str) -> str | None:
            return clean(_cell(values, self.index.get(name)))

        if len(values) < len(self.table.header):
            raise _Rejected(
                f"Row {number} has {len(values)} values but the header has "
                f"{len(self.table.header)} columns"
            )
        external = cell("opportunity_id")
        if external is None:
            raise _Rejected(f"Row {number} has no opportunity_id")
        their_stage = cell("deal_stage")
        if their_stage is None:
            raise _Rejected(f"Row {number} has no deal_stage")
        stage = self.process.stage(self.stage_map[their_stage.casefold()])
        engaged = self._date(number, "engage_date", cell("engage_date"))
        closed = self._date(number, "close_date", cell("close_date"))
        amount = self._amount(number, cell("close_value"))
        gate: dict[str, Any] = {"amount": amount, "close_on": closed}
        if stage.closed == "lost":
            gate["lost_reason"] = cell("lost_reason") or NOT_RECORDED
        # A won deal's history is done; its gate is judged at its close date.
        at = self._stamp(closed) if closed and stage.closed else now
        needs = missing_to_move(self.process, gate, None, stage.key, at)
        if needs:
            lacks = describe_needs(needs)
            raise _Rejected(f"Row {number} cannot be in {stage.name} without: {lacks}")
        if stage.closed == "lost" and gate["lost_reason"] == NOT_RECORDED:
            self.report.lost_not_recorded += 1
        product = self._product(cell("product"))
        account_name = cell("account")
        account_id = self._account(session, account_name, now)
        agent = cell("sales_agent")
        owner_id = self._owner(session, agent, now) if agent else None
        created_at = self._stamp(engaged) if engaged else now
        entered = self._stamp(closed) if stage.closed and closed else created_at
        title = " · ".join(t for t in (product, account_name) if t) or external
        return {
            "title": title,
            "kind": "new",
            "account_id": account_id,
            "owner_id": owner_id,
            "stage": stage.key,
            "amount": amount,
            "product": product,
            "close_on": closed,
            "lost_reason": gate.get("lost_reason"),
            "needs_handoff": stage.closed == "won",
            "stage_entered_at": entered,
            "closed_at": entered if stage.closed else None,
            "source_system": self.source_system,
            "external_id": external,
            "import_batch_id": self.report.batch_id,
            "created_at": created_at,
            "updated_at": now,
            "_their_stage": their_stage,
        }

    def _date(self, number: int, column: str, text: str | None) -> date | None:
        if text is None:
            return None
        try:
            return parse_timestamp(text).date()
        except InvalidValue as exc:
            raise _Rejected(f"Row {number} {column}: {exc}") from exc

    def _amount(self, number: int, text: str | None) -> Decimal | None:
        if text is None:
            return None
        try:
            return parse_amount(text)
        except InvalidValue as exc:
            raise _Rejected(f"Row {number} close_value: {exc}") from exc

    def _stamp(self, day: date) -> datetime:
        """A file's date as a moment: the start of that day in the team's zone."""
        zone = self.process.team.zone
        return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)

    def _product(self, name: str | None) -> str | None:
        if name is None or not self.products:
            return name
        known = self.products.get(_compact(name))
        if known is None:
            self.report.unknown_products[name] += 1
            return name
        if known != name:
            self.report.product_aliases[name] = known
            self.report.alias_rows[name] += 1
        return known

    def _account(self, session: Session, name: str | None, now: datetime) -> int | None:
        if name is None:
            self.report.rows_without_account += 1
            return None
        found = self.account_ids.get(name.casefold())
        if found is None:
            self.report.unknown_accounts[name] += 1
            found = self._add_account(session, name, {}, now)
            self.account_ids[name.casefold()] = found
        elif self.account_rows and name not in self.account_rows:
            self.report.unknown_accounts[name] += 1
        return found

    def _owner(self, session: Session, agent: str, now: datetime) -> int:
        if self.has_team and agent not in self.team:
            self.report.agents_not_in_team[agent] += 1
        return self._ensure_user(session, agent, "rep", None, None, now)

    def _create(
        self, session: Session, creates: list[tuple[int, dict[str, Any]]], now: datetime
    ) -> None:
        if not creates:
            return
        rows = []
        for _, values in creates:
            stage = values["stage"]
            position = self.positions.get(stage, 0.0) + 1.0
            self.positions[stage] = position
            rows.append(
                {k: v for k, v in values.items() if not k.startswith("_")}
                | {"position": position, "version": 1, "extra": {}}
            )
        result = session.execute(
            insert(Deal).returning(col(Deal.id), sort_by_parameter_order=True), rows
        )
        ids = [deal_id for (deal_id,) in result]
        events: list[dict[str, Any]] = []
        tasks: list[dict[str, Any]] = []
        for (number, values), deal_id in zip(creates, ids, strict=True):
            self.seen[values["external_id"]] = deal_id
            self.report.stages[self.process.stage(values["stage"]).name] += 1
            events.extend(self._history(number, values, deal_id))
            stage = self.process.stage(values["stage"])
            for spec in tasks_on_entry(self.process, stage, now):
                tasks.append(
                    {
                        "kind": spec.kind,
                        "title": spec.title,
                        "due_at": spec.due_at,
                        "owner_id": values["owner_id"],
                        "deal_id": deal_id,
                        "account_id": values["account_id"],
                        "created_at": now,
                        "version": 1,
                    }
                )
        session.execute(insert(Event), events)
        if tasks:
            task_ids = session.execute(
                insert(Task).returning(col(Task.id), sort_by_parameter_order=True),
                tasks,
            )
            session.execute(
                insert(Event),
                [
                    {
                        "at": now,
                        "user_id": self.user_id,
                        "entity": "task",
                        "entity_id": task_id,
                        "action": "created",
                        "changes": {
                            "title": [None, task["title"]],
                            "due_at": [None, task["due_at"].isoformat()],
                            "deal_id": [None, task["deal_id"]],
                        },
                        "batch_id": self.report.batch_id,
                    }
                    for (task_id,), task in zip(task_ids, tasks, strict=True)
                ],
            )
            self.report.tasks_created += len(tasks)
        self.report.created += len(creates)

    def _history(
        self, number: int, values: dict[str, Any], deal_id: int
    ) -> list[dict[str, Any]]:
        """The deal's events at the times the file gives: created on its
        engage date; a closed deal starts in the first open stage and moves to
        its closed stage on its close date (what happened between is not in
        the file)."""
        stage = self.process.stage(values["stage"])
        start = self.first_open if stage.closed else stage.key
        base = {
            "user_id": self.user_id,
            "entity": "deal",
            "entity_id": deal_id,
            "batch_id": self.report.batch_id,
        }
        created = {
            "stage": [None, start],
            "title": [None, values["title"]],
            "imported_from": [None, f"{self.report.file}:{number}"],
        }
        events = [
            base | {"at": values["created_at"], "action": "created", "changes": created}
        ]
        if stage.closed:
            moved: dict[str, Any] = {"stage": [start, stage.key]}
            if values["amount"] is not None:
                moved["amount"] = [None, str(values["amount"])]
            if values["close_on"] is not None:
                moved["close_on"] = [None, values["close_on"].isoformat()]
            if values["lost_reason"]:
                moved["lost_reason"] = [None, values["lost_reason"]]
            events.append(
                base
                | {
                    "at": values["stage_entered_at"],
                    "action": "moved",
                    "changes": moved,
                }
            )
        return events

    def _repeat(
        self,
        session: Session,
        number: int,
        raw: list[str],
        deal_id: int,
        values: dict[str, Any],
        now: datetime,
    ) -> None:
        """The same opportunity again: update plain fields that changed (a
        stage change goes through the gates, which ``values`` already met)."""
        deal = session.get(Deal, deal_id)
        if deal is None:
            return
        fields = ("title", "amount", "product", "close_on", "owner_id", "account_id")
        changes = {
            f: [_plain(getattr(deal, f)), _plain(values[f])]
            for f in fields
            if getattr(deal, f) != values[f]
        }
        moved = deal.stage != values["stage"]
        if not changes and not moved:
            self._duplicate(number, raw, deal_id, "already imported, nothing changed")
            return
        update_values = {f: values[f] for f in fields}
        if moved:
            changes["stage"] = [deal.stage, values["stage"]]
            update_values.update(
                stage=values["stage"],
                stage_entered_at=values["stage_entered_at"],
                closed_at=values["closed_at"],
                lost_reason=values["lost_reason"],
                needs_handoff=values["needs_handoff"],
            )
        session.execute(
            update(Deal)
            .where(col(Deal.id) == deal_id)
            .values(**update_values, updated_at=now, version=Deal.version + 1)
        )
        session.execute(
            insert(Event).values(
                at=values["stage_entered_at"] if moved else now,
                user_id=self.user_id,
                entity="deal",
                entity_id=deal_id,
                action="moved" if moved else "updated",
                changes=changes,
                batch_id=self.report.batch_id,
            )
        )
        self.report.updated += 1
        self._note(
            number, "updated", f"updated {', '.join(sorted(changes))}", deal_id, raw
        )

    def _duplicate(
        self, number: int, raw: list[str], deal_id: int | None, why: str
    ) -> None:
        target = f"deal #{deal_id}" if deal_id is not None else "an earlier row"
        reason = f"Row {number} is a duplicate of {target}: {why}"
        self.report.duplicates.append(RowNote(number, reason, deal_id))
        self._note(number, "duplicate", reason, deal_id, raw)

    def _reject(self, number: int, reason: str, raw: list[str]) -> None:
        self.report.rejections.append(RowNote(number, reason))
        self._note(number, "rejected", reason, None, raw)

    def _note(
        self,
        number: int,
        outcome: str,
        reason: str,
        deal_id: int | None,
        raw: list[str],
    ) -> None:
        self.notes.append(
            {
                "batch_id": self.report.batch_id,
                "row": number,
                "outcome": outcome,
                "reason": reason,
                "deal_id": deal_id,
                "data": raw_row(self.table.header, list(raw)),
            }
        )

    def _flush_notes(self, session: Session) -> None:
        if self.notes:
            session.execute(insert(ImportRow), self.notes)
            self.notes = []

    def close_batch(self, session: Session) -> None:
        self._flush_notes(session)
        report = self.report
        now = self.ws.clock.now()
        session.execute(
            update(ImportBatch)
            .where(col(ImportBatch.id) == report.batch_id)
            .values(
                finished_at=now,
                created=report.created,
                updated=report.updated,
                duplicates=len(report.duplicates),
                rejected=len(report.rejections),
            )
        )
        session.execute(
            insert(Event).values(
                at=now,
                user_id=self.user_id,
                entity="import",
                entity_id=report.batch_id,
                action="imported",
                changes={
                    "file": report.file,
                    "kind": "deals",
                    "read": report.read,
                    "created": report.created,
                    "updated": report.updated,
                    "duplicates": len(report.duplicates),
                    "rejected": len(report.rejections),
                },
                batch_id=report.batch_id,
            )
        )


class _Rejected(Exception):
    """A row that cannot become a deal; the message says why."""


def _plain(value: Any) -> Any:
    from crm_tui.events import plain

    return plain(value)
