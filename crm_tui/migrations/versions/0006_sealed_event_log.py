"""a sealed, append-only event log

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-04 10:00:00

Adds the seal of each event (its place in the hash chain, the chain hash,
the hash of the row it left behind; see crm_tui.ledger) and triggers that
refuse to change or delete a sealed event, so the log is append-only for
everything that goes through the database's rules.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFUSAL = "the event log is append-only"

SQLITE_TRIGGERS = [
    f"""
    CREATE TRIGGER event_append_only_update BEFORE UPDATE ON event
    WHEN OLD.chain_seq IS NOT NULL
    BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END
    """,
    f"""
    CREATE TRIGGER event_append_only_delete BEFORE DELETE ON event
    BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END
    """,
]

POSTGRES_TRIGGERS = [
    f"""
    CREATE FUNCTION event_append_only() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'DELETE' OR OLD.chain_seq IS NOT NULL THEN
            RAISE EXCEPTION '{REFUSAL}';
        END IF;
        RETURN NEW;
    END
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER event_append_only BEFORE UPDATE OR DELETE ON event
    FOR EACH ROW EXECUTE FUNCTION event_append_only()
    """,
]


def upgrade() -> None:
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chain_seq", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("chain_hash", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("row_hash", sa.String(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_event_chain_seq"), ["chain_seq"], unique=True
        )
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_TRIGGERS if dialect == "sqlite" else POSTGRES_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS event_append_only_update")
        op.execute("DROP TRIGGER IF EXISTS event_append_only_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS event_append_only ON event")
        op.execute("DROP FUNCTION IF EXISTS event_append_only()")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_chain_seq"))
        batch_op.drop_column("row_hash")
        batch_op.drop_column("chain_hash")
        batch_op.drop_column("chain_seq")
