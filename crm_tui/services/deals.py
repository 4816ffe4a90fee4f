"""Writing deals: create, move through the stages' gates, reorder within a
column, log activities and work tasks.

Every move goes through ``move_deal`` (or its bulk form), which asks the
stage rules what the deal lacks; a move that lacks something raises
``GateMissing`` carrying exactly those fields, so the board can ask for them
and the CLI can name them. Nothing here moves a deal on its own.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, tuple_, update
from sqlmodel import Session, col

from crm_tui.errors import CrmError, NotFound, StaleEdit
from crm_tui.events import add_created, plain, record
from crm_tui.models import Activity, Deal, Task, User
from crm_tui.process import Process, Stage
from crm_tui.rules.gate_fields import GATE_FIELDS
from crm_tui.rules.stages import (
    TASK_KINDS,
    Need,
    check_ahead,
    describe_needs,
    missing_to_move,
    parse_value,
    tasks_on_entry,
)
from crm_tui.services.tasks import create_task, mark_done
from crm_tui.workspace import Workspace

log = logging.getLogger(__name__)


class GateMissing(CrmError):
    """A move lacks what its stage gates need; ``needs`` says exactly what."""

    def __init__(self, deal_id: int | None, stage: Stage, needs: list[Need]) -> None:
        self.deal_id = deal_id
        self.stage = stage
        self.needs = needs
        which = f"Deal #{deal_id}" if deal_id is not None else "The deal"
        super().__init__(
            f"{which} cannot move to {stage.name} without: {describe_needs(needs)}."
        )


class DealClosed(CrmError):
    """A won deal has been handed over; it does not move back."""


def read_values(
    process: Process, values: Mapping[str, Any] | None, now: datetime
) -> dict[str, Any]:
    """Gate values as typed by a person (strings) or already typed, checked:
    a typed next meeting already past is refused as such, not asked for
    again as if it had not been given."""
    typed: dict[str, Any] = {}
    for name, value in (values or {}).items():
        if name not in GATE_FIELDS:
            raise CrmError(
                f"{name!r} is not a field a move can set; use one of: "
                f"{', '.join(GATE_FIELDS)}."
            )
        if isinstance(value, str):
            typed[name] = parse_value(process, name, value)
            check_ahead(name, typed[name], now)
        else:
            typed[name] = value
    return typed


def _gate_state(deal: Deal) -> dict[str, Any]:
    return {name: getattr(deal, name) for name in GATE_FIELDS}


def top_position(session: Session, stage: str) -> float:
    """A position above every card of a column (the index serves the min)."""
    lowest = session.execute(
        select(func.min(col(Deal.position))).where(col(Deal.stage) == stage)
    ).scalar_one()
    return 0.0 if lowest is None else float(lowest) - 1.0


# -- Creating --------------------------------------------------------------------


def create_deal(
    ws: Workspace,
    *,
    title: str,
    stage: str | None = None,
    account_id: int | None = None,
    contact_id: int | None = None,
    lead_id: int | None = None,
    owner_id: int | None = None,
    values: Mapping[str, Any] | None = None,
    product: str | None = None,
    kind: str = "new",
) -> Deal:
    """A new deal on top of its stage's column (the first stage by default),
    with the tasks that stage creates. The stage's gate applies."""
    process = ws.process
    target = process.stage(stage) if stage else process.stages[0]
    typed = read_values(process, values, ws.clock.now())
    if not title.strip():
        raise CrmError("A deal needs a title.")
    user_id = ws.user_id

    def create(session: Session) -> Deal:
        now = ws.clock.now()
        needs = missing_to_move(process, typed, None, target.key, now)
        if needs:
            raise GateMissing(None, target, needs)
        deal = Deal(
            title=title.strip(),
            kind=kind,
            account_id=account_id,
            contact_id=contact_id,
            lead_id=lead_id,
            owner_id=owner_id if owner_id is not None else user_id,
            stage=target.key,
            position=top_position(session, target.key),
            product=product,
            stage_entered_at=now,
            closed_at=now if target.closed else None,
            needs_handoff=target.closed == "won",
            created_at=now,
            updated_at=now,
            **typed,
        )
        changes: dict[str, Any] = {"stage": [None, target.key], "title": [None, title]}
        changes.update({k: [None, plain(v)] for k, v in typed.items()})
        add_created(session, deal, entity="deal", at=now, by=user_id, changes=changes)
        _enter(session, ws, deal, target, now)
        return deal

    return ws.write(create)


# -- Moving ------------------------------------------------------------------------


def move_deal(
    ws: Workspace,
    deal_id: int,
    stage: str,
    values: Mapping[str, Any] | None = None,
    *,
    expected_version: int | None = None,
) -> Deal:
    """Move a deal to ``stage`` if its gates are met (with ``values`` set on
    the way); else raise ``GateMissing`` naming what is missing."""
    process = ws.process
    target = process.stage(stage)
    typed = read_values(process, values, ws.clock.now())

    def move(session: Session) -> Deal:
        deal = session.get(Deal, deal_id)
        if deal is None:
            raise NotFound(f"There is no deal #{deal_id}.")
        if expected_version is not None and deal.version != expected_version:
            raise StaleEdit(
                f"Deal #{deal_id} changed since you looked at it; refresh and "
                "try again."
            )
        _move(session, ws, deal, target, typed)
        return deal

    return ws.write(move)


def _move(
    session: Session, ws: Workspace, deal: Deal, target: Stage, typed: dict[str, Any]
) -> None:
    process = ws.process
    assert deal.id is not None
    if deal.stage == target.key:
        raise CrmError(f"Deal #{deal.id} is already in {target.name}.")
    source = process.stage(deal.stage)
    if source.closed == "won":
        raise DealClosed(
            f"Deal #{deal.id} is closed won and handed off; it does not move back."
        )
    now = ws.clock.now()
    merged = _gate_state(deal) | typed
    needs = missing_to_move(process, merged, deal.stage, target.key, now)
    if needs:
        raise GateMissing(deal.id, target, needs)
    before = _gate_state(deal)
    if source.closed == "lost" and not target.closed:
        # Reopened: the old lost reason no longer describes the deal.
        typed = {"lost_reason": None, "lost_note": None} | typed
    changes: dict[str, Any] = {"stage": [source.key, target.key]}
    for name, value in typed.items():
        if before.get(name) != value:
            changes[name] = [plain(before.get(name)), plain(value)]
    old_position = deal.position
    values: dict[str, Any] = dict(typed)
    values.update(
        stage=target.key,
        position=top_position(session, target.key),
        stage_entered_at=now,
        closed_at=now if target.closed else None,
        updated_at=now,
        version=deal.version + 1,
    )
    if target.closed == "won":
        values["needs_handoff"] = True
        changes["needs_handoff"] = [deal.needs_handoff, True]
    result = session.execute(
        update(Deal)
        .where(col(Deal.id) == deal.id, col(Deal.version) == deal.version)
        .values(**values)
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        raise StaleEdit(f"Deal #{deal.id} changed while it was being moved; try again.")
    session.refresh(deal)
    log.info(
        "deal %s moved %s -> %s (was at %s)",
        deal.id,
        source.key,
        target.key,
        old_position,
    )
    record(
        session,
        at=now,
        user_id=ws.user_id,
        entity="deal",
        entity_id=deal.id,
        action="moved",
        changes=changes,
    )
    _enter(session, ws, deal, target, now)


def _enter(
    session: Session, ws: Workspace, deal: Deal, stage: Stage, now: datetime
) -> None:
    """What entering ``stage`` sets off: its tasks, and the hand-off."""
    assert deal.id is not None
    if stage.closed:
        _close_open_tasks(session, ws, deal.id, stage, now)
    for spec in tasks_on_entry(ws.process, stage, now):
        create_task(
            session,
            kind=spec.kind,
            title=spec.title,
            due_at=spec.due_at,
            owner_id=deal.owner_id,
            deal_id=deal.id,
            account_id=deal.account_id,
            at=now,
            by=ws.user_id,
        )
    if stage.closed == "won":
        _on_won(session, ws, deal)


def enter_stage(
    session: Session, ws: Workspace, deal: Deal, stage: Stage, now: datetime
) -> None:
    """What entering ``stage`` sets off, for a deal another service put
    there (qualifying a lead creates its deal in the first stage)."""
    _enter(session, ws, deal, stage, now)


def _close_open_tasks(
    session: Session, ws: Workspace, deal_id: int, stage: Stage, now: datetime
) -> None:
    """A closed deal needs no more selling: its open tasks are closed with
    it, each with its event, so nobody's day lists a call about a lost deal."""
    outcome = f"Closed with the deal ({stage.name})"
    open_ids = (
        session.execute(
            select(col(Task.id)).where(
                col(Task.deal_id) == deal_id, col(Task.done_at).is_(None)
            )
        )
        .scalars()
        .all()
    )
    for task_id in open_ids:
        mark_done(session, task_id, outcome=outcome, at=now, by=ws.user_id)


def _on_won(session: Session, ws: Workspace, deal: Deal) -> None:
    """A deal was just won: its hand-off opens, in the same transaction, so
    no won deal is ever without its checklist."""
    from crm_tui.services.handoffs import open_handoff

    open_handoff(session, ws, deal)
    log.info("deal %s won; its hand-off is open", deal.id)


@dataclass
class BulkMove:
    """What a reviewed bulk move did: the deals moved, and those it could not
    move with the reason for each."""

    moved: list[int] = field(default_factory=list)
    refused: dict[int, str] = field(default_factory=dict)


def move_deals(
    ws: Workspace,
    deal_ids: Sequence[int],
    stage: str,
    values: Mapping[str, Any] | None = None,
) -> BulkMove:
    """Move each of ``deal_ids`` (a list a person reviewed) to ``stage`` with
    the same ``values``, in one transaction. A deal whose gates are not met
    stays where it is and is reported."""
    process = ws.process
    target = process.stage(stage)
    typed = read_values(process, values, ws.clock.now())
    result = BulkMove()

    def move_all(session: Session) -> BulkMove:
        for deal_id in deal_ids:
            deal = session.get(Deal, deal_id)
            if deal is None:
                result.refused[deal_id] = f"There is no deal #{deal_id}."
                continue
            try:
                with session.begin_nested():
                    _move(session, ws, deal, target, typed)
            except CrmError as error:
                result.refused[deal_id] = str(error)
            else:
                result.moved.append(deal_id)
        return result

    return ws.write(move_all)


# -- Order within a column ---------------------------------------------------------


def reorder_deal(
    ws: Workspace,
    deal_id: int,
    *,
    before: int | None = None,
    after: int | None = None,
) -> Deal:
    """Place a deal directly above ``before`` or directly below ``after``, in
    its own column. Order only: the stage never changes here."""
    if (before is None) == (after is None):
        raise CrmError("Say which card the deal goes before or after.")
    anchor_id = before if before is not None else after
    assert anchor_id is not None

    def place(session: Session) -> Deal:
        deal = session.get(Deal, deal_id)
        anchor = session.get(Deal, anchor_id)
        if deal is None or anchor is None:
            raise NotFound(
                f"There is no deal #{deal_id if deal is None else anchor_id}."
            )
        if anchor.stage != deal.stage:
            raise CrmError(
                f"Deal #{anchor_id} is in another column; reordering never "
                "changes a deal's stage."
            )
        if anchor_id == deal_id:
            return deal
        position = _slot(session, deal, anchor, above=before is not None)
        if position is None:
            _renumber(session, deal.stage)
            session.refresh(deal)
            session.refresh(anchor)
            position = _slot(session, deal, anchor, above=before is not None)
            assert position is not None
        old = deal.position
        now = ws.clock.now()
        session.execute(
            update(Deal)
            .where(col(Deal.id) == deal_id)
            .values(position=position, updated_at=now, version=Deal.version + 1)
        )
        session.refresh(deal)
        record(
            session,
            at=now,
            user_id=ws.user_id,
            entity="deal",
            entity_id=deal_id,
            action="reordered",
            changes={"position": [old, position]},
        )
        return deal

    return ws.write(place)


def _slot(session: Session, deal: Deal, anchor: Deal, *, above: bool) -> float | None:
    """A position between ``anchor`` and its neighbour on the chosen side, or
    None when there is no room between them (the column needs renumbering)."""
    key = (anchor.position, anchor.id)
    board = (col(Deal.position), col(Deal.id))
    query = select(col(Deal.position)).where(
        col(Deal.stage) == anchor.stage, col(Deal.id) != deal.id
    )
    if above:
        query = query.where(_tuple_lt(board, key)).order_by(
            col(Deal.position).desc(), col(Deal.id).desc()
        )
    else:
        query = query.where(_tuple_gt(board, key)).order_by(
            col(Deal.position), col(Deal.id)
        )
    neighbour = session.execute(query.limit(1)).scalar_one_or_none()
    if neighbour is None:
        return anchor.position - 1.0 if above else anchor.position + 1.0
    other = float(neighbour)
    middle = (anchor.position + other) / 2
    if middle in (anchor.position, other):
        return None
    return middle


def _tuple_lt(columns: tuple[Any, Any], key: tuple[float, int | None]) -> Any:
    return tuple_(*columns) < tuple_(*key)


def _tuple_gt(columns: tuple[Any, Any], key: tuple[float, int | None]) -> Any:
    return tuple_(*columns) > tuple_(*key)


def _renumber(session: Session, stage: str) -> None:
    """Spread a column's positions out again, keeping its order."""
    ids = (
        session.execute(
            select(col(Deal.id))
            .where(col(Deal.stage) == stage)
            .order_by(col(Deal.position), col(Deal.id))
        )
        .scalars()
        .all()
    )
    session.execute(
        update(Deal),
        [{"id": deal_id, "position": float(n)} for n, deal_id in enumerate(ids)],
    )


# -- Activities and tasks --------------------------------------------------------------


def log_activity(
    ws: Workspace,
    *,
    kind: str,
    deal_id: int | None = None,
    lead_id: int | None = None,
    note: str | None = None,
    outcome: str | None = None,
) -> Activity:
    """Record a touch that happened (a call, an e-mail, a meeting, a note)."""
    if deal_id is None and lead_id is None:
        raise CrmError("An activity belongs to a deal or a lead.")

    def log_it(session: Session) -> Activity:
        account_id = None
        if deal_id is not None:
            deal = session.get(Deal, deal_id)
            if deal is None:
                raise NotFound(f"There is no deal #{deal_id}.")
            account_id = deal.account_id
        return _add_activity(
            session,
            ws,
            kind=kind,
            deal_id=deal_id,
            lead_id=lead_id,
            account_id=account_id,
            note=note,
            outcome=outcome,
            now=ws.clock.now(),
        )

    return ws.write(log_it)


def _add_activity(
    session: Session,
    ws: Workspace,
    *,
    kind: str,
    deal_id: int | None,
    lead_id: int | None,
    account_id: int | None,
    note: str | None,
    outcome: str | None,
    now: datetime,
) -> Activity:
    activity = Activity(
        kind=kind,
        outcome=outcome or None,
        note=note or None,
        user_id=ws.user_id,
        deal_id=deal_id,
        lead_id=lead_id,
        account_id=account_id,
        occurred_at=now,
    )
    session.add(activity)
    session.flush()
    assert activity.id is not None
    record(
        session,
        at=now,
        user_id=ws.user_id,
        entity="activity",
        entity_id=activity.id,
        action="logged",
        changes={
            "kind": [None, kind],
            "deal_id": [None, deal_id],
            "lead_id": [None, lead_id],
            "outcome": [None, outcome],
        },
    )
    return activity


def add_task(
    ws: Workspace,
    *,
    title: str,
    due_at: datetime,
    kind: str = "call",
    deal_id: int | None = None,
    lead_id: int | None = None,
    owner: str | None = None,
) -> Task:
    """A task for ``owner`` (default: the user at the keyboard)."""
    if kind not in TASK_KINDS:
        raise CrmError(
            f"Unknown task kind {kind!r}: use one of {', '.join(TASK_KINDS)}."
        )
    if deal_id is None and lead_id is None:
        raise CrmError("A task belongs to a deal or a lead.")

    def add(session: Session) -> Task:
        owner_id: int | None = ws.user_id
        if owner is not None:
            user = session.execute(select(User).where(col(User.name) == owner)).scalar()
            if user is None:
                raise NotFound(f"No user named {owner!r}.")
            owner_id = user.id
        account_id = None
        if deal_id is not None:
            deal = session.get(Deal, deal_id)
            if deal is None:
                raise NotFound(f"There is no deal #{deal_id}.")
            account_id = deal.account_id
        return create_task(
            session,
            kind=kind,
            title=title,
            due_at=due_at,
            owner_id=owner_id,
            deal_id=deal_id,
            lead_id=lead_id,
            account_id=account_id,
            at=ws.clock.now(),
            by=ws.user_id,
        )

    return ws.write(add)


def complete_task(
    ws: Workspace, task_id: int, outcome: str, note: str | None = None
) -> Task:
    """Mark a task done with its outcome. The touch it was counts as an
    activity on its deal or lead, which keeps the deal from stalling."""
    if not outcome.strip():
        raise CrmError("Say how it went: a completed task needs an outcome.")

    def complete(session: Session) -> Task:
        task = session.get(Task, task_id)
        if task is None:
            raise NotFound(f"There is no task #{task_id}.")
        if task.done_at is not None:
            raise CrmError(f"Task #{task_id} is already done.")
        now = ws.clock.now()
        done = mark_done(
            session, task_id, outcome=outcome.strip(), at=now, by=ws.user_id
        )
        if not done:
            raise CrmError(f"Task #{task_id} is already done.")
        session.refresh(task)
        _add_activity(
            session,
            ws,
            kind=task.kind,
            deal_id=task.deal_id,
            lead_id=task.lead_id,
            account_id=task.account_id,
            note=note or task.title,
            outcome=outcome.strip(),
            now=now,
        )
        return task

    return ws.write(complete)
