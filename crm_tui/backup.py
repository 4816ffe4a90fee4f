"""Consistent copies of a SQLite database, taken while others work on it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import Engine


def backup_sqlite(engine: Engine, target: Path) -> None:
    """Copy the live database to ``target`` with SQLite's backup API, which
    gives a consistent snapshot even while colleagues keep writing."""
    source_path = engine.url.database
    if not source_path:
        raise ValueError("only a file database can be backed up")
    source = sqlite3.connect(source_path)
    try:
        destination = sqlite3.connect(target)
        try:
            source.backup(destination)
        finally:
            destination.close()
    finally:
        source.close()
