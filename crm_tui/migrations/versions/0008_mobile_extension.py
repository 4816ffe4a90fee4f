"""the mobile's extension, kept as the work phone's is

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 10:00:00

Exports write a mobile such as ``(376)694-9481x10051``; the extension was
dropped on import. The new column is empty on every lead already in the
file, and the seal leaves an empty one out of a row's fingerprint
(``ledger.LATE_COLUMNS``), so those leads still match their seals.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("lead", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mobile_ext", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("lead", schema=None) as batch_op:
        batch_op.drop_column("mobile_ext")
