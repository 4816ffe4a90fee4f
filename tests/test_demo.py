"""The demo opens on an inbox a newcomer recognises: leads arrived over the
past days, each on its own source's response clock, so a few are late and a
few are about to be."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import col, select

from crm_tui.clock import FixedClock
from crm_tui.demo import DEMO_DIR, build_demo
from crm_tui.models import Lead
from crm_tui.open import open_workspace
from crm_tui.queries.triage import triage_counts, triage_page

# A Wednesday afternoon in New York, the demo team's time zone.
NOW = datetime(2026, 3, 4, 19, 30, tzinfo=UTC)


def small_demo(tmp_path: Path) -> Path:
    """The demo's team and live arrivals with the first 40 rows of its old
    CRM file, built at ``NOW``: the same story, in a second."""
    source = tmp_path / "demo"
    source.mkdir()
    for name in ("team.toml", "arrivals.csv"):
        shutil.copyfile(DEMO_DIR / name, source / name)
    rows = (DEMO_DIR / "leads.csv").read_text(encoding="utf-8").splitlines()
    (source / "leads.csv").write_text("\n".join(rows[:41]) + "\n", encoding="utf-8")
    target = tmp_path / "demo.db"
    build_demo(target, source, FixedClock(NOW))
    return target


def test_the_demo_inbox_has_late_leads_and_leads_about_to_be(tmp_path: Path) -> None:
    ws = open_workspace(str(small_demo(tmp_path)), "alex", FixedClock(NOW))
    with ws.read() as session:
        count, late = triage_counts(session, "inbox", user_id=ws.user_id, now=NOW)
        on_time = triage_page(
            session, "inbox", "rest", user_id=ws.user_id, now=NOW, limit=500
        )
        captured = session.exec(
            select(Lead).where(col(Lead.name).in_(["Priya Raman", "Sam Rivera"]))
        ).all()
    due_soon = [
        row
        for row in on_time
        if row.sla_due_at is not None and row.sla_due_at - NOW < timedelta(hours=1)
    ]
    assert 3 <= late <= 8
    assert len(due_soon) >= 2
    # The rest, fresh from the morning's import, have time left.
    assert count - late - len(due_soon) >= 5
    # Each live lead arrived at its own time and answers by its source's SLA
    # (web form and chat: 5 minutes) from then, not from the build.
    by_name = {lead.name: lead for lead in captured}
    priya, sam = by_name["Priya Raman"], by_name["Sam Rivera"]
    assert NOW - priya.created_at > timedelta(days=1)
    assert priya.sla_due_at == priya.created_at + timedelta(minutes=5)
    assert sam.sla_due_at is not None and NOW < sam.sla_due_at
