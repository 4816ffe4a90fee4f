"""indexes for the triage lists at a million leads

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 10:00:00

The lists put breached leads first, most overdue on top: a partial index on
``(sla_due_at, id)`` over the leads still waiting for a first answer lets
each page read its hundred rows in order instead of sorting every breached
lead. Its WHERE clause holds only a term the queries carry word for word (a
bound ``IN`` list would not match), so SQLite can use it.

The owner index becomes partial (owned leads only). A team's file has no
planner statistics, and without them SQLite took the owner index for the
inbox's ``owner_id IS NULL`` and sorted every unowned lead for each page;
"owner_id = ?" still finds it, "owner_id IS NULL" no longer does.

Two more keep the catch-up check that runs on every list load from reading
the whole table: leads with no response clock yet, and nurtured leads by
revisit date.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from alembic.operations import BatchOperations

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WAITING = "first_response_at IS NULL"
OWNED = "owner_id IS NOT NULL"
NO_CLOCK = "sla_due_at IS NULL AND first_response_at IS NULL"
NURTURED = "status = 'nurture'"


def _partial(
    batch_op: BatchOperations, name: str, columns: list[str], where: str
) -> None:
    batch_op.create_index(
        name,
        columns,
        unique=False,
        sqlite_where=sa.text(where),
        postgresql_where=sa.text(where),
    )


def upgrade() -> None:
    with op.batch_alter_table("lead", schema=None) as batch_op:
        batch_op.drop_index("ix_lead_owner")
        _partial(batch_op, "ix_lead_owner", ["owner_id", "status"], OWNED)
        _partial(batch_op, "ix_lead_breached", ["sla_due_at", "id"], WAITING)
        _partial(batch_op, "ix_lead_no_clock", ["id"], NO_CLOCK)
        _partial(batch_op, "ix_lead_revisit", ["revisit_on"], NURTURED)


def downgrade() -> None:
    with op.batch_alter_table("lead", schema=None) as batch_op:
        batch_op.drop_index("ix_lead_revisit")
        batch_op.drop_index("ix_lead_no_clock")
        batch_op.drop_index("ix_lead_breached")
        batch_op.drop_index("ix_lead_owner")
        batch_op.create_index("ix_lead_owner", ["owner_id", "status"], unique=False)
