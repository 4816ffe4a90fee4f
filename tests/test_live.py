"""Another rep's commit is noticed within a poll, without reading data."""

from __future__ import annotations

from sqlmodel import select

from crm_tui.live import watch
from crm_tui.models import Lead
from crm_tui.services.leads import claim_lead
from crm_tui.workspace import Workspace
from tests.conftest import add_leads, as_user


def test_a_colleagues_commit_is_noticed_once(ws: Workspace) -> None:
    [lead_id] = add_leads(ws, 1)
    watcher = watch(ws.engine)
    try:
        assert not watcher.changed()
        claim_lead(as_user(ws, "sam"), lead_id)
        assert watcher.changed()
        assert not watcher.changed()
        with ws.read() as session:
            session.exec(select(Lead)).all()  # a read commits nothing
        assert not watcher.changed()
    finally:
        watcher.close()
