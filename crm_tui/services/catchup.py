"""What the calendar does by itself: nurtured leads whose revisit date has
come go back to their owner's list, and open leads that arrived before
response clocks existed (an older database) get theirs.

``catch_up`` is idempotent and cheap when there is nothing to do (one read,
no write lock), so the app runs it whenever a lead list loads and the CLI
before it lists leads.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import insert, select, update
from sqlmodel import Session, col

from crm_tui.models import Event, ImportBatch, Lead
from crm_tui.rules.qualification import NURTURE, OPEN_STATUSES, team_today
from crm_tui.rules.sla import IMPORT_CHANNEL, lead_due_at
from crm_tui.workspace import Workspace

log = logging.getLogger(__name__)

_CHUNK = 1_000


@dataclass(frozen=True)
class CaughtUp:
    returned: int
    clocks_set: int


def catch_up(ws: Workspace) -> CaughtUp:
    if ws.read_only:
        # Nothing can be written; the lists still show what is there.
        return CaughtUp(0, 0)
    process = ws.process
    now = ws.clock.now()
    today = team_today(now, process.team.zone)
    due_back = (
        col(Lead.status) == NURTURE,
        col(Lead.revisit_on) <= today,
    )
    no_clock = (
        col(Lead.sla_due_at).is_(None),
        col(Lead.first_response_at).is_(None),
        col(Lead.status).in_(OPEN_STATUSES),
        col(Lead.merged_into_id).is_(None),
    )
    with ws.read() as session:
        back = session.execute(select(col(Lead.id)).where(*due_back).limit(1)).first()
        unset = session.execute(select(col(Lead.id)).where(*no_clock).limit(1)).first()
    if back is None and unset is None:
        return CaughtUp(0, 0)

    def work(session: Session) -> CaughtUp:
        returned = _return_nurtured(session, due_back, ws)
        clocks = 0
        last = 0
        while batch := session.execute(
            select(
                col(Lead.id),
                col(Lead.source),
                col(Lead.created_at),
                col(ImportBatch.started_at),
            )
            .outerjoin(ImportBatch, col(ImportBatch.id) == Lead.import_batch_id)
            .where(*no_clock, col(Lead.id) > last)
            .order_by(col(Lead.id))
            .limit(_CHUNK)
        ).all():
            last = batch[-1][0]
            for lead_id, source, created, imported in batch:
                # An imported lead arrived when it was imported, through
                # the import SLA; others when they were created.
                due = lead_due_at(
                    IMPORT_CHANNEL if imported else source,
                    imported or created,
                    process.sla,
                    process.business_hours,
                    process.team.zone,
                )
                if due is None:
                    continue  # the process gives this source no clock
                session.execute(
                    update(Lead).where(col(Lead.id) == lead_id).values(sla_due_at=due)
                )
                clocks += 1
        return CaughtUp(returned, clocks)

    done = ws.write(work)
    log.info(
        "caught up: %d nurtured leads back, %d response clocks set",
        done.returned,
        done.clocks_set,
    )
    return done


def _return_nurtured(
    session: Session, due_back: tuple[object, ...], ws: Workspace
) -> int:
    now = ws.clock.now()
    rows = session.execute(
        select(col(Lead.id), col(Lead.revisit_on)).where(*due_back)  # type: ignore[arg-type]
    ).all()
    if not rows:
        return 0
    session.execute(
        update(Lead)
        .where(col(Lead.id).in_([lead_id for lead_id, _ in rows]))
        .values(status="working", updated_at=now, version=Lead.version + 1)
    )
    session.execute(
        insert(Event),
        [
            {
                "at": now,
                "user_id": None,
                "entity": "lead",
                "entity_id": lead_id,
                "action": "revisited",
                "changes": {
                    "status": [NURTURE, "working"],
                    "revisit_on": revisit_on.isoformat() if revisit_on else None,
                },
            }
            for lead_id, revisit_on in rows
        ],
    )
    return len(rows)
