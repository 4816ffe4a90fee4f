"""The shared file stays safe: consistent backups while others work, a
restore that asks first, and clear refusals of damaged, newer, read-only
files."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import select
from typer.testing import CliRunner

from crm_tui.backup import backup_sqlite
from crm_tui.cli import app
from crm_tui.errors import DatabaseProblem
from crm_tui.files import network_filesystem
from crm_tui.importing.leads import import_leads
from crm_tui.models import ImportBatch, Lead
from crm_tui.open import open_workspace
from crm_tui.schema import head_revision, upgrade
from crm_tui.services.leads import claim_lead
from crm_tui.storage import make_engine, sqlite_url
from crm_tui.workspace import Workspace
from tests.conftest import add_leads

runner = CliRunner()


def crm(db: Path | str, *args: str, reply: str | None = None) -> tuple[int, str]:
    result = runner.invoke(app, ["--db", str(db), "--user", "alex", *args], reply)
    return result.exit_code, result.stdout + result.stderr


def quick_check(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return str(conn.execute("PRAGMA quick_check").fetchone()[0])
    finally:
        conn.close()


def lead_count(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT count(*) FROM lead").fetchone()[0])
    finally:
        conn.close()


def test_a_backup_taken_during_an_import_opens_and_is_whole(
    ws: Workspace, db_path: Path, tmp_path: Path
) -> None:
    csv = tmp_path / "big.csv"
    rows = "".join(f"Lead {n},lead{n}@example.com,Co {n}\n" for n in range(4000))
    csv.write_text("Name,Email,Company\n" + rows)
    importing = threading.Thread(
        target=lambda: import_leads(ws, csv, chunk_size=100), daemon=True
    )
    importing.start()
    copies: list[tuple[Path, bool]] = []
    while importing.is_alive() or not copies:
        with ws.read() as session:
            batch = session.exec(select(ImportBatch)).first()
        if batch is None:
            continue
        copy = tmp_path / f"copy{len(copies)}.db"
        backup_sqlite(ws.engine, copy)
        copies.append((copy, importing.is_alive()))
    importing.join()
    assert any(during for _, during in copies), "no backup overlapped the import"
    for copy, _ in copies:
        assert quick_check(copy) == "ok"
        # A chunk is all in or all out: the copy holds whole chunks only.
        assert lead_count(copy) % 100 == 0
    assert lead_count(db_path) == 4000


def test_crm_backup_then_restore_after_confirmation(
    ws: Workspace, db_path: Path, tmp_path: Path
) -> None:
    add_leads(ws, 3)
    copy = tmp_path / "monday.db"
    code, out = crm(db_path, "backup", str(copy))
    assert code == 0 and f"Backed up to {copy}" in out
    assert (
        crm(db_path, "backup", str(copy))[1]
        .strip()
        .endswith("already exists; choose a new name.")
    )
    add_leads(ws, 2)
    code, out = crm(db_path, "restore", str(copy), reply="n\n")
    assert code == 1 and "Nothing restored." in out
    assert lead_count(db_path) == 5
    code, out = crm(db_path, "restore", str(copy), reply="y\n")
    assert code == 0 and "Restored" in out
    assert lead_count(db_path) == 3
    aside = [p for p in tmp_path.iterdir() if ".before-restore." in p.name]
    assert len(aside) == 1 and lead_count(aside[0]) == 5
    # Colleagues' open connections see the restored file.
    with ws.read() as session:
        assert len(session.exec(select(Lead)).all()) == 3


def test_restore_refuses_what_is_not_a_crm_database(
    ws: Workspace, db_path: Path, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database at all " * 200)
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    for bad in (notes, other):
        code, out = crm(db_path, "restore", str(bad), "--yes")
        assert code == 1
        assert out.strip() == f"crm: {bad.name} is not a crm database." or (
            out.startswith(f"crm: {bad.name} is not a crm database (")
        )
        assert len(out.strip().splitlines()) == 1


def test_an_older_file_is_migrated_after_a_backup(tmp_path: Path) -> None:
    old = tmp_path / "old.db"
    engine = make_engine(sqlite_url(str(old)))
    upgrade(engine, "0001")
    with engine.begin() as conn:
        conn.execute(
            text(
                'INSERT INTO "user" (name, display_name, role, active, time_zone,'
                " territories, languages, created_at, version) VALUES ('alex',"
                " 'Alex', 'admin', 1, 'UTC', '[]', '[]', '2026-01-01', 1)"
            )
        )
    engine.dispose()
    code, out = crm(old, "users", "list", "--json")
    assert code == 0 and '"alex"' in out
    [backup] = [p for p in tmp_path.iterdir() if p.name.startswith("old.db.0001.")]
    assert revision_of(backup) == "0001"
    assert revision_of(old) == head_revision()


def revision_of(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return str(
            conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        )
    finally:
        conn.close()


def test_a_newer_file_is_refused_in_one_line(ws: Workspace, db_path: Path) -> None:
    with ws.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    code, out = crm(db_path, "leads", "list")
    assert code == 1
    assert out == (
        "crm: This database was made by a newer version of crm-tui (schema 9999); "
        "upgrade crm-tui to open it.\n"
    )


def damage(ws: Workspace, db_path: Path) -> None:
    """Tear a page in the middle of a file of 400 leads."""
    add_leads(ws, 400)
    ws.engine.dispose()
    with sqlite3.connect(db_path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    with db_path.open("r+b") as raw:
        raw.seek(4096 * 6)
        raw.write(b"\xff" * 200)


def test_a_damaged_file_is_refused_before_anything_is_read(
    ws: Workspace, db_path: Path
) -> None:
    damage(ws, db_path)
    with pytest.raises(DatabaseProblem, match="damaged"):
        open_workspace(str(db_path), "alex")
    code, out = crm(db_path, "leads", "list")
    assert code == 1 and len(out.strip().splitlines()) == 1
    assert out.startswith("crm: The database file is damaged (")
    assert "crm restore BACKUP" in out


def test_a_read_only_file_reads_and_refuses_changes_in_one_line(
    ws: Workspace, db_path: Path
) -> None:
    [lead_id] = add_leads(ws, 1)
    url = f"sqlite:///file:{db_path}?mode=ro&uri=true"
    reader = open_workspace(url, "sam")
    assert reader.read_only
    assert not ws.read_only
    with reader.read() as session:
        assert session.get(Lead, lead_id) is not None
    with pytest.raises(DatabaseProblem, match="read-only here"):
        claim_lead(reader, lead_id)


def test_a_file_on_a_network_share_is_recognised() -> None:
    mounts = (
        "/dev/sda1 / ext4 rw 0 0\n"
        "server:/sales /mnt/sales nfs4 rw 0 0\n"
        "//nas/team /mnt/team\\040share cifs rw 0 0\n"
        "tmpfs /mnt/sales/tmp tmpfs rw 0 0\n"
    )
    assert network_filesystem(Path("/mnt/sales/crm.db"), mounts) == "nfs4"
    assert network_filesystem(Path("/mnt/team share/crm.db"), mounts) == "cifs"
    assert network_filesystem(Path("/mnt/sales/tmp/crm.db"), mounts) is None
    assert network_filesystem(Path("/home/sam/crm.db"), mounts) is None
