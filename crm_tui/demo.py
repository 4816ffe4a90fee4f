"""The demo database, built from the invented team and leads in
``data/demo`` through the same services and importer a team uses."""

from __future__ import annotations

import tomllib
from pathlib import Path

from sqlmodel import Session

from crm_tui.config import DATA_DIR
from crm_tui.importing.leads import ImportReport, import_leads
from crm_tui.open import open_workspace
from crm_tui.services.users import create_user

DEMO_DIR = DATA_DIR / "demo"
DEMO_ADMIN = "robin"


def build_demo(target: Path, source: Path = DEMO_DIR) -> ImportReport:
    """Write a fresh demo database to ``target``, replacing any file there."""
    for leftover in (target, *(Path(f"{target}{s}") for s in ("-wal", "-shm"))):
        leftover.unlink(missing_ok=True)
    ws = open_workspace(str(target), DEMO_ADMIN)
    ws.identify()
    team = tomllib.loads((source / "team.toml").read_text(encoding="utf-8"))

    def add_team(session: Session) -> None:
        for person in team["users"]:
            if person["name"] == DEMO_ADMIN:
                continue
            create_user(session, at=ws.clock.now(), by=ws.user_id, **person)

    ws.write(add_team)
    report = import_leads(ws, source / "leads.csv")
    with ws.engine.connect() as conn:
        # Fold the write-ahead log into the file so it travels as one file.
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    ws.engine.dispose()
    return report
