"""Databases and files of realistic shape, from a fixed seed, cached.

Leads are written with plain ``sqlite3`` into a schema made by our own
migrations, so the bench measures our reads against the very indexes the
app uses, and generating a million leads takes seconds, not minutes.
"""

from __future__ import annotations

import csv
import json
import random
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from crm_tui.schema import head_revision, upgrade
from crm_tui.storage import make_engine, sqlite_url


@contextmanager
def _writing(path: Path) -> Iterator[sqlite3.Connection]:
    """A connection that commits and closes: closing the last connection
    moves the WAL into the file, so a plain copy of a fresh cache holds
    its rows (``with sqlite3.connect()`` commits but leaves it open)."""
    conn = sqlite3.connect(path)
    try:
        with conn:
            yield conn
    finally:
        conn.close()


CACHE = Path(__file__).resolve().parent / ".cache"
SEED = 7
START = datetime(2024, 1, 1, tzinfo=UTC)

SOURCES = ["Web form", "Chat", "Email", "Phone", "Referral", "Import", "Event"]
TERRITORIES = ["North America", "EMEA", "APAC", "LATAM"]
COUNTRIES = ["United States", "Germany", "Japan", "Brazil", "Canada", "France"]
FIRST = ["Ana", "Ben", "Carla", "Dmitri", "Elena", "Farid", "Grace", "Hiro", "Ines"]
LAST = ["Almeida", "Becker", "Costa", "Dubois", "Eriksen", "Fischer", "García"]
REPS = ["alex", "sam", "kim", "robin", "lee", "noor"]


# Cached databases are named by the schema they were made at: a migration
# makes new ones rather than the app upgrading a million leads as it opens.
_SCHEMA = f"s{head_revision()}"


def cached(name: str) -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    return CACHE / name


def empty_database(path: Path) -> Path:
    """A migrated database with the bench team and nothing else."""
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)
    engine = make_engine(sqlite_url(str(path)))
    upgrade(engine)
    engine.dispose()
    with _writing(path) as conn:
        conn.executemany(
            'INSERT INTO "user" (name, display_name, role, active, time_zone,'
            " territories, languages, created_at, version)"
            " VALUES (?, ?, ?, 1, 'UTC', '[]', '[]', ?, 1)",
            [
                (name, name.title(), "admin" if n == 0 else "rep", _ts(START))
                for n, name in enumerate(REPS)
            ],
        )
    return path


def _ts(at: datetime) -> str:
    """A timestamp as SQLAlchemy stores one in SQLite, so keyset comparisons
    between the bench's rows and the app's see one format."""
    return at.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def lead_rows(
    count: int, rng: random.Random, offset: int = 0
) -> list[tuple[object, ...]]:
    """Lead rows: most worked (owned and answered), a share still in the
    inbox waiting for a first answer, every one with its response clock."""
    rows: list[tuple[object, ...]] = []
    for n in range(offset, offset + count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        owned = rng.random() < 0.7
        created = START + timedelta(seconds=n * 30 + rng.randint(0, 29))
        answered = created + timedelta(minutes=rng.randint(5, 600))
        rows.append(
            (
                f"{first} {last}",
                first,
                last,
                f"Company {rng.randint(1, 20_000)}",
                f"{first}.{last}.{n}@example.com".lower(),
                f"{first}.{last}.{n}@example.com".lower(),
                f"+1415{n:07d}"[:12],
                rng.choice(SOURCES),
                rng.choice(COUNTRIES),
                rng.choice(TERRITORIES),
                "working" if owned else "new",
                rng.randint(1, len(REPS)) if owned else None,
                _ts(created),
                _ts(created),
                _ts(created + timedelta(hours=4)),
                _ts(answered) if owned else None,
            )
        )
    return rows


LEAD_INSERT = (
    "INSERT INTO lead (name, first_name, last_name, company, email, email_key,"
    " phone, source, country, territory, status, owner_id, created_at,"
    " updated_at, sla_due_at, first_response_at, extra, version) VALUES"
    " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '{}', 1)"
)


def leads_database(count: int) -> Path:
    """A database with ``count`` leads (cached by size).

    No ANALYZE: the app never runs it, so a team's file has no planner
    statistics, and the bench's should not either (statistics taken over
    these rows, where no lead has an external ID, would tell SQLite that
    the import's ID lookups cannot use their index)."""
    path = cached(f"leads-{_SCHEMA}-{count}.db")
    if path.exists():
        return path
    empty_database(path)
    rng = random.Random(SEED)
    with _writing(path) as conn:
        step = 100_000
        for start in range(0, count, step):
            conn.executemany(
                LEAD_INSERT, lead_rows(min(step, count - start), rng, start)
            )
    return path


CSV_HEADER = [
    "Lead ID",
    "First Name",
    "Last Name",
    "Email",
    "Phone",
    "Company",
    "Lead Source",
    "Country",
    "Create Date",
]


def leads_csv(count: int, offset: int) -> Path:
    """A CRM export of ``count`` new leads (none in ``leads_database``)."""
    path = cached(f"import-v2-{count}-{offset}.csv")
    if path.exists():
        return path
    rng = random.Random(SEED + 1)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_HEADER)
        for n in range(offset, offset + count):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            created = START + timedelta(minutes=n)
            writer.writerow(
                [
                    f"L{n}",
                    first,
                    last,
                    f"{first}.{last}.{n}@example.org".lower(),
                    f"(415) {200 + n // 10_000 % 800:03d}-{n % 10_000:04d}",
                    f"Company {rng.randint(1, 20_000)}",
                    rng.choice(SOURCES),
                    rng.choice(COUNTRIES),
                    created.strftime("%Y-%m-%d %H:%M"),
                ]
            )
    return path


def deals_database(open_deals: int, stages: list[str]) -> Path:
    """A database with ``open_deals`` open deals spread over ``stages``, each
    with an amount, a meeting booked and a decision date, as worked deals
    have (so moving one on meets the usual stage gates)."""
    path = cached(f"deals-{_SCHEMA}-{open_deals}.db")
    if path.exists():
        return path
    empty_database(path)
    rng = random.Random(SEED + 2)
    meeting = _ts(datetime(2031, 6, 2, 15, tzinfo=UTC))
    rows = []
    for n in range(open_deals):
        at = _ts(START + timedelta(minutes=n))
        rows.append(
            (
                f"Deal {n}",
                rng.choice(stages),
                float(n),
                rng.randint(1, 500) * 100,
                rng.randint(1, len(REPS)),
                meeting,
                "2031-06-30",
                at,
                at,
                at,
            )
        )
    with _writing(path) as conn:
        conn.executemany(
            "INSERT INTO deal (title, kind, stage, position, amount, currency,"
            " owner_id, next_meeting_at, decision_on, needs_handoff,"
            " stage_entered_at, created_at, updated_at, extra, version)"
            " VALUES (?, 'new', ?, ?, ?, 'USD', ?, ?, ?, 0, ?, ?, ?, ?, 1)",
            [(*row, json.dumps({})) for row in rows],
        )
    return path
