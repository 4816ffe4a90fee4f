"""Merging two leads that are one person, and undoing it.

The survivor keeps its id; for every field where the two differ, the
person merging chooses which value survives (by default the survivor's,
with its blanks filled from the other). Activities, deals, tasks, contacts
and the other lead's history move to the survivor; the other lead stays in
the table marked ``merged_into_id`` and leaves every list and count.

The merge event keeps everything the merge changed (old field values, the
ids of every moved row), so an undo restores exactly what was there, as
long as neither lead was edited since.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import update
from sqlmodel import Session, col, select

from crm_tui.errors import CrmError, NotFound, StaleEdit
from crm_tui.events import plain, record
from crm_tui.models import Activity, Contact, Deal, Event, ImportRow, Lead, Task
from crm_tui.services.roles import require_role
from crm_tui.workspace import Workspace

# The fields a person chooses between, in the order the merge screen shows.
MERGE_FIELDS = (
    "name",
    "first_name",
    "last_name",
    "company",
    "title",
    "email",
    "phone",
    "mobile",
    "website",
    "source",
    "country",
    "state",
    "city",
    "postal_code",
    "street",
    "industry",
    "territory",
    "language",
    "segment",
    "product_interest",
    "owner_id",
)

# Fields that travel with a chosen one: the e-mail's match key, each phone's
# extension.
COMPANIONS = {
    "email": ("email_key",),
    "phone": ("phone_ext",),
    "mobile": ("mobile_ext",),
}

# Rows that point at a lead, and move with a merge.
MOVED: dict[str, Any] = {
    "activity": Activity,
    "deal": Deal,
    "task": Task,
    "contact": Contact,
    "importrow": ImportRow,
}

Side = Literal["survivor", "other"]


class MergeRefused(CrmError):
    """The two leads cannot be merged (or unmerged) as asked."""


@dataclass(frozen=True)
class FieldChoice:
    field: str
    survivor: Any
    other: Any
    take: Side


def merge_plan(survivor: Lead, other: Lead) -> list[FieldChoice]:
    """The fields where the two leads differ, each with the default choice:
    the survivor's value, unless it is empty."""
    choices = []
    for name in MERGE_FIELDS:
        mine, theirs = getattr(survivor, name), getattr(other, name)
        if mine == theirs or theirs in (None, ""):
            continue  # nothing to choose: taking a blank would lose a value
        take: Side = "other" if mine in (None, "") else "survivor"
        choices.append(FieldChoice(name, mine, theirs, take))
    return choices


@dataclass(frozen=True)
class Merged:
    event_id: int
    survivor_id: int
    other_id: int
    fields: list[str]
    moved: dict[str, int]


def merge_leads(
    ws: Workspace,
    survivor_id: int,
    other_id: int,
    take_other: set[str] | None = None,
) -> Merged:
    """Merge ``other_id`` into ``survivor_id``. ``take_other``: the fields
    whose value comes from the other lead (default: the survivor's blanks)."""
    if survivor_id == other_id:
        raise MergeRefused("A lead cannot be merged into itself.")
    user_id = ws.user_id

    def merge(session: Session) -> Merged:
        require_role(session, user_id, "manager", "merge leads")
        now = ws.clock.now()
        survivor, other = _live(session, survivor_id), _live(session, other_id)
        plan = merge_plan(survivor, other)
        unknown = (take_other or set()) - set(MERGE_FIELDS)
        if unknown:
            raise MergeRefused(f"Not a lead field to merge: {', '.join(unknown)}.")
        chosen = {
            c.field
            for c in plan
            if (c.field in take_other if take_other is not None else c.take == "other")
        }
        fields: dict[str, list[Any]] = {}
        for name in chosen:
            for each in (name, *COMPANIONS.get(name, ())):
                old, new = getattr(survivor, each), getattr(other, each)
                if old != new:
                    fields[each] = [plain(old), plain(new)]
                    setattr(survivor, each, new)
        moved: dict[str, list[int]] = {}
        for entity, model in MOVED.items():
            ids = list(
                session.exec(select(model.id).where(model.lead_id == other_id)).all()
            )
            _relink(session, entity, model, ids, other_id, survivor_id, now, user_id)
            moved[entity] = ids
        # The log is append-only: the other lead's events stay its own, and
        # the survivor's history reads them through ``merged_into_id``.
        moved["event"] = _history_of(session, other_id)
        moved["lead"] = [
            i
            for i in session.exec(
                select(Lead.id).where(Lead.merged_into_id == other_id)
            ).all()
            if i is not None
        ]
        _repoint_merged(session, moved["lead"], other_id, survivor_id, now, user_id)
        old_status = other.status
        survivor.version += 1
        survivor.updated_at = now
        other.merged_into_id = survivor_id
        other.status = "merged"
        other.version += 1
        other.updated_at = now
        session.add(survivor)
        session.add(other)
        session.flush()
        record(
            session,
            at=now,
            user_id=user_id,
            entity="lead",
            entity_id=other_id,
            action="merged_into",
            changes={
                "merged_into_id": [None, survivor_id],
                "status": [old_status, "merged"],
            },
        )
        record(
            session,
            at=now,
            user_id=user_id,
            entity="lead",
            entity_id=survivor_id,
            action="merged",
            changes={
                **fields,
                "merged_lead": [None, other_id],
                # What an undo needs: kept in the log, shown as it is.
                "undo": {
                    "other_status": old_status,
                    "versions": [survivor.version, other.version],
                    "moved": moved,
                },
            },
        )
        event_id = session.exec(
            select(Event.id).order_by(col(Event.id).desc()).limit(1)
        ).one()
        assert event_id is not None
        return Merged(
            event_id,
            survivor_id,
            other_id,
            sorted(fields),
            {k: len(v) for k, v in moved.items()},
        )

    return ws.write(merge)


def _live(session: Session, lead_id: int) -> Lead:
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise NotFound(f"There is no lead #{lead_id}.")
    if lead.merged_into_id is not None:
        raise MergeRefused(
            f"Lead #{lead_id} was already merged into #{lead.merged_into_id}."
        )
    return lead


def _history_of(session: Session, lead_id: int) -> list[int]:
    ids = session.exec(
        select(Event.id).where(Event.entity == "lead", Event.entity_id == lead_id)
    ).all()
    return [i for i in ids if i is not None]


def _relink(
    session: Session,
    entity: str,
    model: Any,
    ids: list[int],
    from_id: int,
    to_id: int,
    at: datetime,
    user_id: int,
) -> None:
    """Point rows from one lead to the other; a versioned row gets its new
    version and an event, as every change to it does."""
    if not ids:
        return
    values: dict[str, Any] = {"lead_id": to_id}
    versioned = hasattr(model, "version")
    if versioned:
        values["version"] = model.version + 1
    session.execute(update(model).where(model.id.in_(ids)).values(**values))
    if versioned:
        for row_id in ids:
            record(
                session,
                at=at,
                user_id=user_id,
                entity=entity,
                entity_id=row_id,
                action="relinked",
                changes={"lead_id": [from_id, to_id]},
            )


def _repoint_merged(
    session: Session,
    ids: list[int],
    from_id: int,
    to_id: int,
    at: datetime,
    user_id: int,
) -> None:
    """Leads merged into ``from_id`` earlier now count as merged into ``to_id``."""
    if not ids:
        return
    session.execute(
        update(Lead)
        .where(col(Lead.id).in_(ids))
        .values(merged_into_id=to_id, version=col(Lead.version) + 1)
    )
    for lead_id in ids:
        record(
            session,
            at=at,
            user_id=user_id,
            entity="lead",
            entity_id=lead_id,
            action="merged_into",
            changes={"merged_into_id": [from_id, to_id]},
        )


def undo_merge(ws: Workspace, event_id: int) -> Merged:
    """Put two merged leads back exactly as they were before the merge."""
    user_id = ws.user_id

    def undo(session: Session) -> Merged:
        require_role(session, user_id, "manager", "undo a merge")
        now = ws.clock.now()
        event = session.get(Event, event_id)
        if event is None or event.action != "merged" or event.entity != "lead":
            raise NotFound(f"Event #{event_id} is not a merge of leads.")
        changes = dict(event.changes)
        survivor_id = event.entity_id
        other_id = int(changes.pop("merged_lead")[1])
        saved = changes.pop("undo")
        survivor = session.get(Lead, survivor_id)
        other = session.get(Lead, other_id)
        if survivor is None or other is None:
            raise NotFound("One of the merged leads no longer exists.")
        if other.merged_into_id != survivor_id:
            raise MergeRefused(f"Merge #{event_id} was already undone.")
        if [survivor.version, other.version] != saved["versions"]:
            raise StaleEdit(
                f"Lead #{survivor_id} or #{other_id} changed since merge "
                f"#{event_id}; it cannot be undone safely."
            )
        moved: dict[str, list[int]] = saved["moved"]
        for entity, model in MOVED.items():
            still_here = [
                i
                for i in session.exec(
                    select(model.id).where(
                        model.id.in_(moved.get(entity) or []),
                        model.lead_id == survivor_id,
                    )
                ).all()
                if i is not None
            ]
            _relink(
                session, entity, model, still_here, survivor_id, other_id, now, user_id
            )
        _repoint_merged(
            session, moved.get("lead") or [], survivor_id, other_id, now, user_id
        )
        restored: dict[str, list[Any]] = {}
        for name, (old, new) in changes.items():
            # Merged fields are text and ids, kept in the log as they were.
            setattr(survivor, name, old)
            restored[name] = [new, old]
        survivor.version += 1
        survivor.updated_at = now
        other.merged_into_id = None
        other.status = saved["other_status"]
        other.version += 1
        other.updated_at = now
        session.add(survivor)
        session.add(other)
        session.flush()
        for lead_id, extra in (
            (survivor_id, restored),
            (other_id, {"status": ["merged", other.status]}),
        ):
            record(
                session,
                at=now,
                user_id=user_id,
                entity="lead",
                entity_id=lead_id,
                action="unmerged",
                changes={**extra, "merge_event": [None, event_id]},
            )
        return Merged(
            event_id,
            survivor_id,
            other_id,
            sorted(restored),
            {k: len(v) for k, v in moved.items()},
        )

    return ws.write(undo)


def last_merge(session: Session) -> int | None:
    """The newest merge that is still in place, for "undo the last merge"."""
    query = (
        select(Event.id, Event.entity_id, Event.changes)
        .where(Event.entity == "lead", Event.action == "merged")
        .order_by(col(Event.id).desc())
        .limit(50)
    )
    for event_id, survivor_id, changes in session.exec(query):
        other = session.get(Lead, int(changes["merged_lead"][1]))
        if other is not None and other.merged_into_id == survivor_id:
            return event_id
    return None
