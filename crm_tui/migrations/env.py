"""Alembic's entry point. The engine comes from the caller (see
``crm_tui.schema``), never from a URL fixed at import time."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import crm_tui.models  # noqa: F401  (registers the tables)

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("crm_tui migrations run through crm_tui.schema only")

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
