"""Read models for past imports: a batch and the rows that did not simply
create a record (rejected, duplicate, updated)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from crm_tui.errors import NotFound
from crm_tui.models import ImportBatch, ImportRow

OUTCOMES = ("rejected", "duplicate", "updated")


def import_batch(
    session: Session, batch_id: int, outcome: str | None = None
) -> dict[str, Any]:
    """The batch with its noted rows in file order, only those with
    ``outcome`` when one is given."""
    batch = session.get(ImportBatch, batch_id)
    if batch is None:
        raise NotFound(f"There is no import #{batch_id}.")
    query = select(ImportRow).where(col(ImportRow.batch_id) == batch_id)
    if outcome is not None:
        query = query.where(col(ImportRow.outcome) == outcome)
    rows = session.exec(query.order_by(col(ImportRow.row))).all()
    return {
        "batch": batch.id,
        "kind": batch.kind,
        "file": batch.file_name,
        "started_at": batch.started_at.isoformat(),
        "read": batch.read,
        "created": batch.created,
        "updated": batch.updated,
        "duplicates": batch.duplicates,
        "rejected": batch.rejected,
        "rows": [
            {
                "row": r.row,
                "outcome": r.outcome,
                "reason": r.reason,
                "lead": r.lead_id,
                "deal": r.deal_id,
            }
            for r in rows
        ],
    }
