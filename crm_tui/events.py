"""The append-only event log: every write says who, when and what changed."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import insert
from sqlmodel import Session

from crm_tui.models import Event


def plain(value: Any) -> Any:
    """A value as it is kept in the log's JSON."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """``field -> [old, new]`` for the fields whose value changed."""
    return {
        key: [plain(before.get(key)), plain(value)]
        for key, value in after.items()
        if before.get(key) != value
    }


def record(
    session: Session,
    *,
    at: datetime,
    user_id: int | None,
    entity: str,
    entity_id: int,
    action: str,
    changes: dict[str, Any] | None = None,
    batch_id: int | None = None,
) -> None:
    session.execute(
        insert(Event).values(
            at=at,
            user_id=user_id,
            entity=entity,
            entity_id=entity_id,
            action=action,
            changes=changes or {},
            batch_id=batch_id,
        )
    )


class _NewRow(Protocol):
    id: int | None


def add_created(
    session: Session,
    row: _NewRow,
    *,
    entity: str,
    at: datetime,
    by: int | None,
    changes: dict[str, Any],
) -> int:
    """Add ``row``, give it its id and log its creation; returns the id."""
    session.add(row)
    session.flush()
    assert row.id is not None
    record(
        session,
        at=at,
        user_id=by,
        entity=entity,
        entity_id=row.id,
        action="created",
        changes=changes,
    )
    return row.id
