"""Fixtures for a sales day: a fresh database, a clock the test controls,
and a small team."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session

from crm_tui.clock import FixedClock
from crm_tui.models import Lead
from crm_tui.open import open_workspace
from crm_tui.services.users import create_user
from crm_tui.workspace import Workspace

REAL_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real"

MONDAY_9AM = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def real_file(name: str) -> Path:
    """A file from the shared real exports, or a skip saying why not."""
    path = REAL_DATA / name
    if not path.exists():
        pytest.skip(f"the real CRM exports are not at {REAL_DATA}")
    return path


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(MONDAY_9AM)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "crm.db"


@pytest.fixture
def ws(db_path: Path, clock: FixedClock) -> Iterator[Workspace]:
    """A migrated database whose first user, ``alex``, is its admin, with two
    reps, ``sam`` and ``kim``."""
    workspace = open_workspace(str(db_path), "alex", clock)
    workspace.identify()

    def team(session: Session) -> None:
        for name in ("sam", "kim"):
            create_user(session, name=name, role="rep", at=clock.now(), by=None)

    workspace.write(team)
    yield workspace
    workspace.engine.dispose()


def as_user(ws: Workspace, name: str) -> Workspace:
    """The same database seen from another rep's seat."""
    return Workspace(ws.engine, name, ws.clock)


def add_leads(ws: Workspace, count: int, **fields: object) -> list[int]:
    """``count`` unowned leads, a minute apart, oldest first."""

    def add(session: Session) -> list[int]:
        leads = []
        for n in range(count):
            at = ws.clock.now() - timedelta(minutes=count - n)
            values: dict[str, object] = {
                "name": f"Lead {n:03d}",
                "company": f"Company {n % 7}",
                "source": "Web form",
                "territory": "West",
                "email": f"lead{n}@example.com",
                "email_key": f"lead{n}@example.com",
                "created_at": at,
                "updated_at": at,
            }
            values.update(fields)
            lead = Lead(**values)  # type: ignore[arg-type]
            session.add(lead)
            leads.append(lead)
        session.flush()
        return [lead.id for lead in leads if lead.id is not None]

    return ws.write(add)
