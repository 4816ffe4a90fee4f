"""The inbox on a large database: page queries against the same SQL through
plain sqlite3, and how fast the screen answers a key."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

from sqlalchemy.dialects import sqlite as sqlite_dialect

from bench.data import leads_database
from bench.figures import Figure, median_time
from crm_tui.open import open_workspace
from crm_tui.queries.leads import (
    _INBOX_COLUMNS,
    PAGE_SIZE,
    _in_inbox_matching,
    inbox_page,
)

# The budgets the issue sets, in seconds.
PAGE_BUDGET = 0.005
KEY_BUDGET = 0.050


def run(size: int) -> list[Figure]:
    path = leads_database(size)
    ws = open_workspace(str(path), "alex")
    with ws.read() as session:
        first = inbox_page(session)
        after = first[-1].key
        ours_first = median_time(lambda: inbox_page(session), 30)
        ours_next = median_time(lambda: inbox_page(session, after=after), 30)
    ws.engine.dispose()
    base_first, base_next = _raw_pages(path, after)
    figures = [
        Figure(
            f"inbox first page on {size:,} leads",
            ours_first,
            base_first,
            "same SQL, sqlite3",
            PAGE_BUDGET / base_first,
            note=f"budget {PAGE_BUDGET * 1000:.0f} ms",
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
    per_key = asyncio.run(_key_reaction(path))
    figures.append(
        Figure(
            f"inbox answers a key on {size:,} leads",
            per_key,
            KEY_BUDGET,
            "budget",
            1.0,
        )
    )
    return figures


def _raw_pages(path: Path, after: tuple[object, int]) -> tuple[float, float]:
    from sqlalchemy import select, tuple_
    from sqlmodel import col

    from crm_tui.models import Lead

    def compiled(with_after: bool) -> tuple[str, list[object]]:
        query = _in_inbox_matching(select(*_INBOX_COLUMNS), None)
        if with_after:
            query = query.where(
                tuple_(col(Lead.created_at), col(Lead.id)) > tuple_(*after)
            )
        query = query.order_by(col(Lead.created_at), col(Lead.id)).limit(PAGE_SIZE)
        sql = query.compile(dialect=sqlite_dialect.dialect())
        params = [_plain(sql.params[name]) for name in sql.positiontup or []]
        return str(sql), params

    conn = sqlite3.connect(path)
    first_sql, first_params = compiled(False)
    next_sql, next_params = compiled(True)
    base_first = median_time(
        lambda: conn.execute(first_sql, first_params).fetchall(), 30
    )
    base_next = median_time(lambda: conn.execute(next_sql, next_params).fetchall(), 30)
    conn.close()
    return base_first, base_next


def _plain(value: object) -> object:
    from datetime import datetime

    if isinstance(value, datetime):
        return value.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


async def _key_reaction(path: Path) -> float:
    from screens.app import CrmApp
    from screens.inbox import InboxScreen, LeadTable

    ws = open_workspace(str(path), "alex")
    app = CrmApp(ws)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, InboxScreen)
        table = app.screen.query_one(LeadTable)
        assert table.row_count > 0
        presses = 40
        start = time.perf_counter()
        for n in range(presses):
            await pilot.press("j" if n < presses // 2 else "k")
            await pilot.pause()
        elapsed = (time.perf_counter() - start) / presses
    ws.engine.dispose()
    return elapsed
