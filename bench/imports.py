"""Import N leads from CSV into a database that already holds N leads,
against plain sqlite3 executemany of the same rows with the same indexes."""

from __future__ import annotations

import csv
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

from bench.data import LEAD_INSERT, leads_csv, leads_database
from bench.figures import Figure
from crm_tui.importing.leads import import_leads
from crm_tui.open import open_workspace


def run(size: int, repeat: int = 3) -> list[Figure]:
    existing = leads_database(size)
    export = leads_csv(size, offset=10 * size)
    with tempfile.TemporaryDirectory() as tmp:
        ours_db = Path(tmp) / "ours.db"
        base_db = Path(tmp) / "base.db"
        shutil.copyfile(existing, ours_db)
        shutil.copyfile(existing, base_db)

        ws = open_workspace(str(ours_db), "alex")
        ws.identify()
        start = time.perf_counter()
        report = import_leads(ws, export)
        ours = time.perf_counter() - start
        ws.engine.dispose()
        assert report.created == size, report.as_json()

        rows = _baseline_rows(export)
        conn = sqlite3.connect(base_db)
        start = time.perf_counter()
        with conn:
            conn.executemany(LEAD_INSERT, rows)
        baseline = time.perf_counter() - start
        conn.close()
    return [
        Figure(
            f"import {size:,} leads onto {size:,}",
            ours,
            baseline,
            "sqlite3 executemany",
            5.0,
            note=f"({size / ours:,.0f} rows/s)",
        )
    ]


def _baseline_rows(export: Path) -> list[tuple[object, ...]]:
    with export.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        rows: list[tuple[object, ...]] = []
        for _, first, last, email, phone, company, source, country, made in reader:
            rows.append(
                (
                    f"{first} {last}",
                    first,
                    last,
                    company,
                    email,
                    email,
                    phone,
                    source,
                    country,
                    None,
                    "new",
                    None,
                    made,
                    made,
                    made,
                    None,
                )
            )
        return rows
