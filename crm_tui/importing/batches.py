"""A file already imported is not imported again by accident.

Rows without an e-mail, a phone or an ID match nothing, so a second run of
the same file would create every one of them again (three runs of a 7,000
row pipeline export made 22,000 leads). Every batch keeps its file's
SHA-256; a file whose hash a finished batch of the same kind has is refused,
naming that batch, unless the person asks for it again.
"""

from __future__ import annotations

from datetime import tzinfo

from sqlmodel import Session, col, select

from crm_tui.errors import CrmError
from crm_tui.models import ImportBatch


class AlreadyImported(CrmError):
    """The same file was imported before; the message names the batch."""


def refuse_repeat(
    session: Session, kind: str, file_name: str, file_hash: str, zone: tzinfo
) -> None:
    """Raise ``AlreadyImported`` when a finished, not undone batch of
    ``kind`` read a file with ``file_hash``."""
    earlier = session.exec(
        select(ImportBatch)
        .where(
            col(ImportBatch.kind) == kind,
            col(ImportBatch.file_hash) == file_hash,
            col(ImportBatch.finished_at).is_not(None),
            col(ImportBatch.undone_at).is_(None),
        )
        .order_by(col(ImportBatch.id).desc())
        .limit(1)
    ).first()
    if earlier is None:
        return
    when = earlier.started_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    raise AlreadyImported(
        f"{file_name} was already imported on {when} as import #{earlier.id} "
        f"({earlier.created} created, {earlier.updated} updated); nothing was "
        "imported. To import it again anyway, with the usual duplicate checks, "
        "add --again."
    )
