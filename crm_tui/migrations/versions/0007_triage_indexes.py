"""indexes for the triage lists at a million leads

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 10:00:00

The lists put breached leads first, most overdue on top: partial indexes on
``(sla_due_at, id)`` over the leads still waiting for a first answer (the
inbox's own, and the team's for the breaches list) let each page read its
hundred rows in order instead of sorting every breached lead. Their WHERE
clauses hold only terms the queries carry word for word (a bound ``IN``
list would not match), so SQLite can use them. Two more keep
the catch-up check that runs on every list load from reading the whole
table: leads with no response clock yet, and nurtured leads by revisit date.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INBOX_WAITING = "owner_id IS NULL AND status = 'new' AND first_response_at IS NULL"
WAITING = "first_response_at IS NULL"
NO_CLOCK = "sla_due_at IS NULL AND first_response_at IS NULL"
NURTURED = "status = 'nurture'"


def upgrade() -> None:
    with op.batch_alter_table("lead", schema=None) as batch_op:
        batch_op.create_index(
            "ix_lead_inbox_breached",
            ["sla_due_at", "id"],
            unique=False,
            sqlite_where=sa.text(INBOX_WAITING),
            postgresql_where=sa.text(INBOX_WAITING),
        )
        batch_op.create_index(
            "ix_lead_breached",
            ["sla_due_at", "id"],
            unique=False,
            sqlite_where=sa.text(WAITING),
            postgresql_where=sa.text(WAITING),
        )
        batch_op.create_index(
            "ix_lead_no_clock",
            ["id"],
            unique=False,
            sqlite_where=sa.text(NO_CLOCK),
            postgresql_where=sa.text(NO_CLOCK),
        )
        batch_op.create_index(
            "ix_lead_revisit",
            ["revisit_on"],
            unique=False,
            sqlite_where=sa.text(NURTURED),
            postgresql_where=sa.text(NURTURED),
        )


def downgrade() -> None:
    with op.batch_alter_table("lead", schema=None) as batch_op:
        batch_op.drop_index("ix_lead_revisit")
        batch_op.drop_index("ix_lead_no_clock")
        batch_op.drop_index("ix_lead_breached")
        batch_op.drop_index("ix_lead_inbox_breached")
