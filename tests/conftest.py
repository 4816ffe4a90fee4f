"""Fixtures for a sales day: a fresh database, a clock the test controls,
and a small team."""

from __future__ import annotations

import os
import uuid
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


# A PostgreSQL server to run the core and CLI tests on as well (.ci/run
# starts one); each test gets a database of its own on it.
PG_URL = os.environ.get("CRM_TEST_PG_URL")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test that uses a database runs on SQLite, and on PostgreSQL when
    ``CRM_TEST_PG_URL`` names a server. Tests of screens stay on SQLite: the
    app reaches the database only through the core, which is tested on both."""
    if "backend" not in metafunc.fixturenames:
        return
    backends = ["sqlite"]
    drives_screens = any(
        str(getattr(value, "__module__", "")).startswith("screens.")
        for value in vars(metafunc.module).values()
    )
    sqlite_only = metafunc.definition.get_closest_marker("sqlite_only")
    if PG_URL and not drives_screens and sqlite_only is None:
        backends.append("postgresql")
    metafunc.parametrize("backend", backends)


@pytest.fixture
def db_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """The URL of a new, empty database on ``backend``."""
    if backend == "sqlite":
        yield str(tmp_path / "crm.db")
        return
    assert PG_URL is not None
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"crm_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def db_path(backend: str, tmp_path: Path) -> Path:
    """The SQLite file of the test's database (a file-only test skips on
    PostgreSQL)."""
    if backend != "sqlite":
        pytest.skip("a SQLite file only")
    return tmp_path / "crm.db"


@pytest.fixture
def ws(db_url: str, clock: FixedClock) -> Iterator[Workspace]:
    """A migrated database whose first user, ``alex``, is its admin, with two
    reps, ``sam`` and ``kim``."""
    workspace = open_workspace(db_url, "alex", clock)
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
