"""The demo database, built from the invented team and leads in
``data/demo`` through the same services and importer a team uses."""

from __future__ import annotations

import csv
import tomllib
from datetime import date, timedelta
from pathlib import Path

from sqlmodel import Session

from crm_tui.clock import Clock, FixedClock, SystemClock
from crm_tui.config import DATA_DIR
from crm_tui.importing.leads import ImportReport, import_leads
from crm_tui.models import Lead, User
from crm_tui.open import open_workspace
from crm_tui.services.arrival import create_leads
from crm_tui.services.users import create_user
from crm_tui.workspace import Workspace

DEMO_DIR = DATA_DIR / "demo"
DEMO_ADMIN = "robin"


def build_demo(
    target: Path, source: Path = DEMO_DIR, clock: Clock | None = None
) -> ImportReport:
    """Write a fresh demo database to ``target``, replacing any file there.

    The demo tells a short story ending at ``clock``'s now (the real time by
    default): the team was set up a few days ago, leads kept arriving by web
    form, chat, e-mail and phone since, each answering by its own source's
    SLA from the moment it arrived, the old CRM's file was imported this
    morning and the reps worked their leads. So the inbox opens the way a
    real one does: a few leads late, a few about to be, most fresh.
    """
    for leftover in (target, *(Path(f"{target}{s}") for s in ("-wal", "-shm"))):
        leftover.unlink(missing_ok=True)
    now = (clock or SystemClock()).now()
    arrivals = _arrivals(source / "arrivals.csv")
    first = max((ago for ago, _ in arrivals), default=timedelta(0))
    walk = FixedClock(now - first - timedelta(hours=1))
    ws = open_workspace(str(target), DEMO_ADMIN, walk)
    ws.identify()
    team = tomllib.loads((source / "team.toml").read_text(encoding="utf-8"))

    def add_team(session: Session) -> None:
        for person in team["users"]:
            if person["name"] == DEMO_ADMIN:
                continue
            create_user(session, at=ws.clock.now(), by=ws.user_id, **person)

    ws.write(add_team)
    imported_at = now - IMPORTED_AGO
    report: ImportReport | None = None
    for ago, lead in arrivals:
        if report is None and now - ago > imported_at:
            walk.at = imported_at
            report = _import_and_work(ws, source)
        walk.at = now - ago
        create_leads(ws, [lead], how="captured")
    if report is None:
        walk.at = imported_at
        report = _import_and_work(ws, source)
    with ws.engine.connect() as conn:
        # Fold the write-ahead log into the file so it travels as one file.
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    ws.engine.dispose()
    return report


# The old CRM's file goes in this long before the demo's now: within the
# import SLA, so its unworked leads are the inbox's fresh part.
IMPORTED_AGO = timedelta(hours=2)

# ``data/demo/arrivals.csv`` headers, as the lead fields they fill.
_ARRIVAL_FIELDS = {
    "First Name": "first_name",
    "Last Name": "last_name",
    "Email": "email",
    "Phone": "phone",
    "Company": "company",
    "Job Title": "title",
    "Lead Source": "source",
    "Country": "country",
    "Product Interest": "product_interest",
}


def _arrivals(path: Path) -> list[tuple[timedelta, dict[str, str]]]:
    """The leads that arrive live, oldest first, each with how long before
    the demo's now it came in."""
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    found = [
        (
            timedelta(minutes=int(row["Minutes Ago"])),
            {field: row[header] for header, field in _ARRIVAL_FIELDS.items()},
        )
        for row in rows
    ]
    return sorted(found, key=lambda arrival: arrival[0], reverse=True)


def _import_and_work(ws: Workspace, source: Path) -> ImportReport:
    """The old CRM's leads come in, and the reps work theirs at once."""
    report = import_leads(ws, source / "leads.csv")
    work_the_pipeline(ws)
    return report


# How far along the demo works each rep's leads: (stage, values it needs).
# Dates are days from the day the demo is built, so the board has meetings
# ahead and decisions coming up; each deal adds its own few days and dollars
# (a board where every deal says the same is what the audits flag as
# placeholder values).
_JOURNEY: list[tuple[str, dict[str, str]]] = [
    ("discovery", {"next_meeting_at": "+2d"}),
    ("qualified_opportunity", {"decision_on": "+21d"}),
    ("proposal", {"amount": "12000"}),
    ("negotiation", {}),
]
_EVERY_GATE = {key: value for _, values in _JOURNEY for key, value in values.items()}
_ANSWERS = {
    "fit": "strong",
    "urgency": "this quarter",
    "budget": "likely",
    "buying_role": "decision-maker",
}


def work_the_pipeline(ws: Workspace) -> None:
    """Work the reps' leads the way a team would, through the services, so
    the board, my day, hand-offs and reports have something to show: first
    touches, qualified leads becoming deals, deals moved along the stages,
    a few won (their hand-offs open) and a few lost."""
    from sqlmodel import col, select

    from crm_tui.services.convert import qualify_leads
    from crm_tui.services.deals import move_deal

    with ws.read() as session:
        owned = session.exec(
            select(Lead.id, Lead.owner_id)
            .where(col(Lead.owner_id).is_not(None), Lead.status == "working")
            .order_by(col(Lead.id))
        ).all()
        names = dict(session.exec(select(col(User.id), col(User.name))).all())
    by_rep: dict[str, list[int]] = {}
    for lead_id, owner_id in owned:
        if lead_id is not None and owner_id is not None:
            by_rep.setdefault(names[owner_id], []).append(lead_id)
    today = ws.clock.now().date()
    for rep, lead_ids in sorted(by_rep.items()):
        seat = Workspace(ws.engine, rep, ws.clock)
        touched = lead_ids[: len(lead_ids) * 2 // 3]
        _answer_in_turn(seat, touched)
        _, conversions = qualify_leads(seat, touched[:9], _ANSWERS)
        deal_ids = sorted(c.deal_id for c in conversions.values())
        for n, deal_id in enumerate(deal_ids):
            # Deal n goes n steps along, so every stage has a few.
            for stage, values in _JOURNEY[: n % (len(_JOURNEY) + 1)]:
                move_deal(seat, deal_id, stage, _dated(values, today, n))
        for deal_id in deal_ids[-2:-1]:
            # A win passes every stage still ahead of the deal: their gates
            # ask what the journey would have given.
            close_on = (today - timedelta(days=2)).isoformat()
            won = _dated(_EVERY_GATE, today) | {"amount": "24000", "close_on": close_on}
            move_deal(seat, deal_id, "won", won)
        for deal_id in deal_ids[-1:]:
            move_deal(seat, deal_id, "lost", {"lost_reason": "competitor"})


def _dated(values: dict[str, str], today: date, n: int = 0) -> dict[str, str]:
    """``+Nd`` as the date N (and ``n``'s share of a week) days from
    ``today``; an amount ``n`` thousands more."""
    found = {}
    for key, value in values.items():
        if value.startswith("+"):
            days = int(value[1:-1]) + n % 7
            found[key] = (today + timedelta(days=days)).isoformat()
        elif key == "amount":
            found[key] = str(int(value) + 1000 * (n % 9))
        else:
            found[key] = value
    return found


# A rep answers a lead some minutes after the one before: the demo's first
# touches take 4 to 40 minutes, as a team's do, not all the same instant.
_ANSWER_GAPS = (4, 11, 7, 23, 15, 40, 9, 18)


def _answer_in_turn(seat: Workspace, lead_ids: list[int]) -> None:
    from crm_tui.services.triage import touch_leads

    clock = seat.clock
    start = clock.now()
    for n, lead_id in enumerate(lead_ids):
        if isinstance(clock, FixedClock):
            clock.at = start + timedelta(minutes=_ANSWER_GAPS[n % len(_ANSWER_GAPS)])
        touch_leads(seat, [lead_id], "call", "connected")
    if isinstance(clock, FixedClock):
        clock.at = start
