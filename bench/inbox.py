"""The inbox on a large database: page queries against the same SQL through
plain sqlite3, and how fast the screen answers a key."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

from sqlalchemy import event

from bench.data import leads_database
from bench.figures import Figure, median_time
from crm_tui.open import open_workspace
from crm_tui.queries.triage import section_key, triage_counts, triage_page

# The budgets the issue sets, in seconds.
PAGE_BUDGET = 0.005
KEY_BUDGET = 0.050


def run(size: int, repeat: int = 3) -> list[Figure]:
    """The inbox's first page (its breached section, most overdue first, as
    the screen loads it) and the page after it, each beside the very SQL
    our queries sent, replayed through plain sqlite3."""
    path = leads_database(size)
    ws = open_workspace(str(path), "alex")
    user_id, now = ws.user_id, ws.clock.now()
    sent: list[tuple[str, object]] = []

    def capture(*args: object) -> None:
        _conn, _cursor, statement, parameters = args[:4]
        sent.append((str(statement), parameters))

    with ws.read() as session:

        def first() -> object:
            return triage_page(session, "inbox", "breached", user_id=user_id, now=now)

        page = first()
        after = section_key(page[-1], "breached")  # type: ignore[index]

        def following() -> object:
            return triage_page(
                session, "inbox", "breached", user_id=user_id, now=now, after=after
            )

        def counts() -> object:
            return triage_counts(session, "inbox", user_id=user_id, now=now)

        event.listen(ws.engine, "before_cursor_execute", capture)
        first()
        following()
        event.remove(ws.engine, "before_cursor_execute", capture)
        ours_first = median_time(first, 10 * repeat)
        ours_next = median_time(following, 10 * repeat)
        ours_counts = median_time(counts, 5)
    ws.engine.dispose()
    base_first, base_next = (_replayed(path, *query) for query in sent[:2])
    figures = [
        Figure(
            f"inbox first page on {size:,} leads",
            ours_first,
            base_first,
            "same SQL, sqlite3",
            PAGE_BUDGET / base_first,
            note=f"budget {PAGE_BUDGET * 1000:.0f} ms; capped counts "
            f"{ours_counts * 1000:.1f} ms",
        ),
        Figure(
            f"inbox next page on {size:,} leads",
            ours_next,
            base_next,
            "same SQL, sqlite3",
            PAGE_BUDGET / base_next,
            note=f"budget {PAGE_BUDGET * 1000:.0f} ms",
        ),
    ]
    per_key, wall = asyncio.run(_key_reaction(path))
    figures.append(
        Figure(
            f"inbox answers a key on {size:,} leads",
            per_key,
            KEY_BUDGET,
            "budget",
            1.0,
            note=f"CPU per key; {wall * 1000:.0f} ms wall with the pilot's pacing",
        )
    )
    return figures


def _replayed(path: Path, sql: str, params: object) -> float:
    conn = sqlite3.connect(path)
    try:
        return median_time(lambda: conn.execute(sql, params).fetchall(), 30)  # type: ignore[arg-type]
    finally:
        conn.close()


async def _key_reaction(path: Path) -> tuple[float, float]:
    """CPU time the app spends on a key (j or k, the cursor moving over the
    list and the table repainting), and the wall time per key press.

    The wall time includes the pilot's own pacing: each press and pause
    sleeps at least 3 × 20 ms waiting for the app to go idle, so it cannot
    go under 60 ms whatever the app does. The process's CPU time (worker
    threads included) is what the app itself spent on the key."""
    from screens.app import CrmApp
    from screens.inbox import InboxScreen, LeadTable

    ws = open_workspace(str(path), "alex")
    app = CrmApp(ws, live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, InboxScreen)
        table = app.screen.query_one(LeadTable)
        assert table.row_count > 0
        presses = 40
        start, cpu = time.perf_counter(), time.process_time()
        for n in range(presses):
            await pilot.press("j" if n < presses // 2 else "k")
            await pilot.pause()
        wall = (time.perf_counter() - start) / presses
        cpu = (time.process_time() - cpu) / presses
    ws.engine.dispose()
    return cpu, wall
