"""Four processes claiming leads from one file at once."""

from __future__ import annotations

import multiprocessing
import random
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

from bench.data import REPS, leads_database
from bench.figures import Figure

PROCESSES = 4
TARGET_PER_SECOND = 1_000


def _claimer(
    db: str, user: str, lead_ids: list[int], out: multiprocessing.Queue[object]
) -> None:
    claimed = taken = errors = 0
    start = time.perf_counter()
    try:
        from crm_tui.errors import AlreadyTaken
        from crm_tui.open import open_workspace
        from crm_tui.services.leads import claim_lead

        ws = open_workspace(db, user)
        ws.identify()
        start = time.perf_counter()
        for lead_id in lead_ids:
            try:
                claim_lead(ws, lead_id)
                claimed += 1
            except AlreadyTaken:
                taken += 1
            except Exception:  # counted: the figure demands none
                errors += 1
    except Exception:
        errors += len(lead_ids) - claimed - taken - errors
    finally:
        # Always report, so the runner never waits on a process that died.
        out.put((claimed, taken, errors, time.perf_counter() - start))


def run(size: int, repeat: int = 3) -> list[Figure]:
    source = leads_database(size)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "claims.db"
        shutil.copyfile(source, db)
        with sqlite3.connect(db) as conn:
            unowned = [
                row[0]
                for row in conn.execute(
                    "SELECT id FROM lead WHERE owner_id IS NULL LIMIT ?", (size,)
                )
            ]
        per_process = min(len(unowned), 2_000)
        rng = random.Random(3)
        # Overlapping picks, so the same lead is fought over by several reps.
        picks = [rng.sample(unowned[: per_process * 2], per_process) for _ in range(4)]
        queue: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
        workers = [
            multiprocessing.Process(
                target=_claimer, args=(str(db), REPS[n + 1], picks[n], queue)
            )
            for n in range(PROCESSES)
        ]
        start = time.perf_counter()
        for worker in workers:
            worker.start()
        results = [queue.get(timeout=300) for _ in workers]
        for worker in workers:
            worker.join()
        elapsed = time.perf_counter() - start
        claimed = sum(r[0] for r in results)
        errors = sum(r[2] for r in results)
        attempts = sum(r[0] + r[1] + r[2] for r in results)
        with sqlite3.connect(db) as conn:
            events = conn.execute(
                "SELECT count(*), count(DISTINCT entity_id) FROM event"
                " WHERE action = 'claimed'"
            ).fetchone()
    double = events[0] - events[1]
    rate = attempts / elapsed
    return [
        Figure(
            f"{PROCESSES} processes claiming from one file",
            1 / rate,
            1 / TARGET_PER_SECOND,
            "1/1000 s",
            1.0,
            note=(
                f"({rate:,.0f} claims/s, {claimed} won, {errors} errors,"
                f" {double} double claims)"
            ),
        )
    ]
