"""Edits that never silently overwrite a colleague's change.

Every edit names the version of the record it started from. The update only
applies while the row still has that version; otherwise the caller gets a
``Conflict`` carrying what the other person changed, so the screen can let
the rep keep theirs, take the other's, or merge field by field.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, SQLModel

from crm_tui.errors import NotFound, StaleEdit
from crm_tui.events import diff, record


@dataclass(eq=False)
class Conflict(StaleEdit):
    """The record changed since the edit started: ``theirs`` is the current
    value of every field the edit touches that differs from ``mine``."""

    entity: str
    entity_id: int
    mine: dict[str, Any]
    theirs: dict[str, Any]
    version: int

    def __str__(self) -> str:
        fields = ", ".join(sorted(self.theirs)) or "other fields"
        return (
            f"Someone else changed this {self.entity} ({fields}) while you were "
            "editing it."
        )


def apply_edit(
    session: Session,
    model: type[SQLModel],
    entity: str,
    record_id: int,
    *,
    expected_version: int,
    changes: dict[str, Any],
    at: datetime,
    user_id: int,
    action: str = "updated",
) -> dict[str, list[Any]]:
    """Apply ``changes`` if the record is still at ``expected_version``.

    Returns the ``field -> [old, new]`` that was written (and logged).
    """
    current = session.get(model, record_id)
    if current is None:
        raise NotFound(f"There is no {entity} #{record_id}.")
    before = {name: getattr(current, name) for name in changes}
    version: int = getattr(current, "version")  # noqa: B009
    if version != expected_version:
        raise Conflict(
            entity=entity,
            entity_id=record_id,
            mine=changes,
            theirs={k: v for k, v in before.items() if v != changes[k]},
            version=version,
        )
    written = diff(before, changes)
    if not written:
        return {}
    table = model.__table__  # type: ignore[attr-defined]
    values: dict[str, Any] = dict(changes)
    values["version"] = table.c.version + 1
    if "updated_at" in table.c:
        values["updated_at"] = at
    result = session.execute(
        update(table)
        .where(table.c.id == record_id, table.c.version == expected_version)
        .values(**values)
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        # Changed between our read and our write (another process).
        session.expire(current)
        fresh = session.get(model, record_id)
        raise Conflict(
            entity=entity,
            entity_id=record_id,
            mine=changes,
            theirs={k: getattr(fresh, k) for k in changes},
            version=getattr(fresh, "version", version),
        )
    session.expire(current)
    record(
        session,
        at=at,
        user_id=user_id,
        entity=entity,
        entity_id=record_id,
        action=action,
        changes=written,
    )
    return written
