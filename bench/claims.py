"""Four processes claiming leads from one file at once."""

from __future__ import annotations

import multiprocessing
import random
import sqlite3
import tempfile
import time
from contextlib import closing
from multiprocessing.synchronize import Event
from pathlib import Path

from bench.data import REPS, leads_database
from bench.figures import Figure

PROCESSES = 4
TARGET_PER_SECOND = 1_000
PER_PROCESS = 2_000
# Leads all four reps try to claim; each is won once, the rest refused.
CONTESTED = 200


def _claimer(
    db: str,
    user: str,
    lead_ids: list[int],
    go: Event,
    out: multiprocessing.Queue[object],
) -> None:
    claimed = taken = errors = 0
    start = time.perf_counter()
    try:
        from crm_tui.errors import AlreadyTaken
        from crm_tui.open import open_workspace
        from crm_tui.services.leads import claim_lead

        ws = open_workspace(db, user)
        ws.identify()
        # Every rep's process is open and ready before the first claim, so
        # the figure is claims per second, not process start-ups.
        out.put("ready")
        go.wait()
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
        out.put("ready")  # never leave the runner waiting for this one
    finally:
        # Always report, so the runner never waits on a process that died.
        out.put((claimed, taken, errors, time.perf_counter() - start))


def copy_database(source: Path, target: Path) -> None:
    """Copy a SQLite file through SQLite itself.

    A file in WAL mode may hold committed rows in its ``-wal`` beside it
    until the last connection closes; copying the main file alone then
    copies a database without them (see ``run``)."""
    with (
        closing(sqlite3.connect(source)) as src,
        closing(sqlite3.connect(target)) as dst,
    ):
        src.backup(dst)


def run(size: int, repeat: int = 3) -> list[Figure]:
    source = leads_database(size)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "claims.db"
        # Not shutil.copyfile: a cache just built in this process can still
        # have its leads in the WAL (a sqlite3 connection left to the garbage
        # collector keeps it there), and the copy had no leads at all: no
        # claim was tried, and the rate divided by zero.
        copy_database(source, db)
        with closing(sqlite3.connect(db)) as conn:
            unowned = [
                row[0]
                for row in conn.execute(
                    "SELECT id FROM lead WHERE owner_id IS NULL ORDER BY id LIMIT ?",
                    (PER_PROCESS * PROCESSES + CONTESTED,),
                )
            ]
        if not unowned:
            raise RuntimeError(f"{source} has no unowned leads to claim")
        # Each rep works leads of their own (a territory's queue, say) with
        # a few that every rep reaches for at once mixed in: the figure is
        # claims won per second, and the contested ones prove that no lead
        # is claimed twice.
        fought = min(CONTESTED, len(unowned) // 5)
        own = (len(unowned) - fought) // PROCESSES
        if own <= 0:
            raise RuntimeError(f"{source} has too few unowned leads to claim")
        contested = unowned[PROCESSES * own :][:fought]
        rng = random.Random(3)
        picks = []
        for n in range(PROCESSES):
            mine = unowned[n * own : (n + 1) * own] + contested
            rng.shuffle(mine)
            picks.append(mine)
        # Claimers forked from a clean server process, not from the runner:
        # nothing the suites before this one left in it (threads, engines,
        # SQLite connections, which must not cross a fork) reaches them, and
        # with the core imported once in that server they start at once.
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["crm_tui.open", "crm_tui.services.leads"])
        go = context.Event()
        queue: multiprocessing.Queue[object] = context.Queue()
        workers = [
            context.Process(
                target=_claimer, args=(str(db), REPS[n + 1], picks[n], go, queue)
            )
            for n in range(PROCESSES)
        ]
        for worker in workers:
            worker.start()
        for _ in workers:
            assert queue.get(timeout=300) == "ready"
        start = time.perf_counter()
        go.set()
        results = [queue.get(timeout=300) for _ in workers]
        elapsed = time.perf_counter() - start
        for worker in workers:
            worker.join()
        claimed = sum(r[0] for r in results)  # type: ignore[index]
        errors = sum(r[2] for r in results)  # type: ignore[index]
        with closing(sqlite3.connect(db)) as conn:
            events = conn.execute(
                "SELECT count(*), count(DISTINCT entity_id) FROM event"
                " WHERE action = 'claimed'"
            ).fetchone()
    double = events[0] - events[1]
    if not claimed:
        raise RuntimeError(f"no claim was won: {errors} errors")
    rate = claimed / elapsed
    refused = sum(r[1] for r in results)  # type: ignore[index]
    return [
        Figure(
            f"{PROCESSES} processes claiming from one file",
            1 / rate,
            1 / TARGET_PER_SECOND,
            "1/1000 s",
            1.0,
            note=(
                f"({rate:,.0f} claims won/s: {claimed:,} won, {refused:,} refused"
                f" as taken, {errors} errors, {double} double claims)"
            ),
        )
    ]
