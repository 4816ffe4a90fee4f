"""The schema the migrations build is the one the models describe, and the
demo database keeps up with it."""

from __future__ import annotations

import shutil
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel, func, select

from crm_tui.config import EXAMPLE_DB
from crm_tui.models import Lead, User
from crm_tui.open import open_workspace
from crm_tui.schema import current_revision, head_revision, quick_head
from crm_tui.storage import make_engine, sqlite_url
from crm_tui.workspace import Workspace


def test_the_migrations_build_what_the_models_describe(ws: Workspace) -> None:
    with ws.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []


def test_the_example_database_is_at_the_current_schema() -> None:
    engine = make_engine(sqlite_url(str(EXAMPLE_DB)))
    try:
        assert current_revision(engine) == head_revision(), (
            "crm.db.example is behind the schema: run `crm demo build`"
        )
    finally:
        engine.dispose()


def test_the_demo_opens_with_a_team_and_an_inbox(tmp_path: Path) -> None:
    copy = tmp_path / "demo.db"
    shutil.copyfile(EXAMPLE_DB, copy)
    ws = open_workspace(str(copy), "alex")
    with ws.read() as session:
        users = session.exec(select(func.count()).select_from(User)).one()
        unowned = session.exec(
            select(func.count()).where(Lead.owner_id == None)  # noqa: E711
        ).one()
    # Routing on arrival gives most imported leads an owner; enough stay
    # unowned for a morning of triage.
    assert users >= 3 and unowned >= 50
    assert ws.identify().role == "manager"


def test_the_quick_head_read_from_the_files_is_alembics_head() -> None:
    # Opening an up-to-date database trusts the quick reading, so it must
    # agree with Alembic whenever it gives an answer.
    assert quick_head() in (None, head_revision())
    assert quick_head() is not None
