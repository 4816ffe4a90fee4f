"""The database a team shares: settings, schema, and first use."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from crm_tui.errors import DatabaseProblem, UnknownUser
from crm_tui.open import open_workspace
from crm_tui.schema import current_revision, head_revision
from crm_tui.services.leads import claim_lead
from crm_tui.storage import connection_info
from crm_tui.workspace import Workspace
from tests.conftest import add_leads, as_user


@pytest.mark.sqlite_only
def test_a_new_file_is_migrated_and_shared_safely(ws: Workspace) -> None:
    info = connection_info(ws.engine)
    assert info == {"journal_mode": "wal", "busy_timeout": 5000, "foreign_keys": 1}
    assert current_revision(ws.engine) == head_revision()


def test_the_first_user_becomes_admin_and_strangers_are_refused(
    tmp_path: Path,
) -> None:
    first = open_workspace(str(tmp_path / "new.db"), "pat")
    assert first.identify().role == "admin"
    assert first.became_admin
    stranger = Workspace(first.engine, "mallory")
    with pytest.raises(UnknownUser, match="crm users add mallory"):
        stranger.identify()


def test_a_database_from_a_newer_version_is_refused(
    ws: Workspace, db_path: Path
) -> None:
    with ws.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(DatabaseProblem, match="newer version of crm-tui"):
        open_workspace(str(db_path), "alex")


def test_claiming_twice_gives_one_owner_and_a_polite_no(ws: Workspace) -> None:
    [lead_id] = add_leads(ws, 1)
    claimed = claim_lead(as_user(ws, "sam"), lead_id)
    assert claimed.status == "working"
    with pytest.raises(Exception, match="already claimed by sam"):
        claim_lead(as_user(ws, "kim"), lead_id)
