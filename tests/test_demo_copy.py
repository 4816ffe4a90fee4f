"""`crm --demo` makes its database once: a copy of a recently built
example, else a demo built for today, so its late leads are a few."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from crm_tui.cli import common
from crm_tui.config import EXAMPLE_DB


def newest_event(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        return str(conn.execute("SELECT max(at) FROM event").fetchone()[0])


def demo_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, example: Path) -> Path:
    target = tmp_path / "data" / "demo.db"
    monkeypatch.setattr("crm_tui.config.demo_db_path", lambda: target)
    monkeypatch.setattr("crm_tui.config.EXAMPLE_DB", example)
    made = common.ensure_demo_copy()
    assert made == target and target.exists()
    return target


def test_a_stale_example_is_not_copied_but_built_for_today(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stale = tmp_path / "stale.db"
    shutil.copyfile(EXAMPLE_DB, stale)
    with sqlite3.connect(stale) as conn:
        # Built a week ago, as a clone made later would have it.
        conn.execute("DROP TRIGGER IF EXISTS event_append_only_update")
        conn.execute("UPDATE event SET at = datetime(at, '-7 days')")
    made = demo_in(tmp_path, monkeypatch, stale)
    assert newest_event(made) > newest_event(stale)
    assert newest_event(made)[:10] != newest_event(stale)[:10]


def test_a_fresh_example_is_copied_as_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh = tmp_path / "fresh.db"
    shutil.copyfile(EXAMPLE_DB, fresh)
    with sqlite3.connect(fresh) as conn:
        conn.execute("DROP TRIGGER IF EXISTS event_append_only_update")
        conn.execute(
            "UPDATE event SET at = datetime('now', '-1 hours') WHERE id = "
            "(SELECT max(id) FROM event)"
        )
    made = demo_in(tmp_path, monkeypatch, fresh)
    assert made.read_bytes() == fresh.read_bytes()
