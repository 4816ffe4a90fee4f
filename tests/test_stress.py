"""Four reps' processes hammer the same leads at once: claims, edits and
moves between territories, for a bounded time. Afterwards every lead has at
most one owner (the one rep told "yours"), every accepted edit is in the
final state unless a later accepted one replaced it, every rejected edit
was reported as a conflict, the event log accounts for every change, and no
rep saw a lock error."""

from __future__ import annotations

import multiprocessing
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import select

from crm_tui.errors import AlreadyTaken, CrmError
from crm_tui.importing.leads import import_leads
from crm_tui.ledger import audit
from crm_tui.models import Event, Lead, User
from crm_tui.open import open_workspace
from crm_tui.services.edits import Conflict
from crm_tui.services.leads import claim_lead, edit_lead
from crm_tui.services.users import create_user
from crm_tui.workspace import Workspace

REPS = ("sam", "kim", "lee", "ana")
LEADS = 12
SECONDS = 2.0
TERRITORIES = ("West", "East", "North", "South")


@dataclass
class Outcome:
    rep: str
    claimed: list[int] = field(default_factory=list)
    refused_claims: int = 0
    # (lead, version it became, fields written)
    accepted: list[tuple[int, int, dict[str, Any]]] = field(default_factory=list)
    conflicts: int = 0
    failures: list[str] = field(default_factory=list)


def work_the_leads(url: str, rep: str, seed: int, start: Any, results: Any) -> None:
    """One rep's process: claim, edit and move leads until time is up."""
    outcome = Outcome(rep)
    ws = open_workspace(url, rep)
    rng = random.Random(seed)
    start.wait()
    deadline = time.monotonic() + SECONDS
    while time.monotonic() < deadline:
        lead_id = rng.randint(1, LEADS)
        try:
            act = rng.random()
            if act < 0.3:
                claim_lead(ws, lead_id)
                outcome.claimed.append(lead_id)
                continue
            with ws.read() as session:
                lead = session.get(Lead, lead_id)
            assert lead is not None
            if act < 0.7:
                changes: dict[str, Any] = {"company": f"{rep} {rng.randint(0, 999)}"}
            else:
                changes = {"territory": rng.choice(TERRITORIES)}
            written = edit_lead(ws, lead_id, version=lead.version, changes=changes)
            if written:
                outcome.accepted.append((lead_id, lead.version + 1, changes))
        except AlreadyTaken:
            outcome.refused_claims += 1
        except Conflict:
            outcome.conflicts += 1
        except CrmError as error:  # "stayed locked" would land here
            outcome.failures.append(str(error))
        except Exception as error:  # noqa: BLE001 - the test reports it
            outcome.failures.append(f"{type(error).__name__}: {error}")
    ws.engine.dispose()
    results.put(outcome)


def test_four_reps_at_once_lose_nothing(
    ws: Workspace, db_url: str, tmp_path: Path
) -> None:
    def team(session: Any) -> None:
        for rep in ("lee", "ana"):
            create_user(session, name=rep, role="rep", at=ws.clock.now(), by=None)

    ws.write(team)
    csv = tmp_path / "leads.csv"
    csv.write_text(
        "Name,Email\n"
        + "".join(f"Lead {n},lead{n}@example.com\n" for n in range(LEADS))
    )
    import_leads(ws, csv)
    ws.engine.dispose()

    context = multiprocessing.get_context("fork")
    start = context.Event()
    results = context.Queue()
    reps = [
        context.Process(target=work_the_leads, args=(db_url, rep, n, start, results))
        for n, rep in enumerate(REPS)
    ]
    for process in reps:
        process.start()
    start.set()
    outcomes: list[Outcome] = [results.get(timeout=60) for _ in reps]
    for process in reps:
        process.join(timeout=30)

    assert [o.failures for o in outcomes] == [[] for _ in outcomes]
    assert sum(len(o.accepted) for o in outcomes) > 10, "too little happened"
    assert sum(o.conflicts for o in outcomes) > 0, "no edit ever collided"

    with ws.read() as session:
        leads = {lead.id: lead for lead in session.exec(select(Lead)).all()}
        events = session.exec(select(Event).where(Event.entity == "lead")).all()
        names = {u.id: u.name for u in session.exec(select(User)).all()}
        report = audit(session)

    # One owner per lead, and it is the one rep who was told "yours".
    claims = Counter(lead for o in outcomes for lead in o.claimed)
    assert all(count == 1 for count in claims.values()), claims
    for o in outcomes:
        for lead_id in o.claimed:
            assert names.get(leads[lead_id].owner_id) == o.rep
    owned = {i for i, lead in leads.items() if lead.owner_id is not None}
    assert owned == set(claims)

    # Each field holds the value of the last accepted edit of it.
    latest: dict[tuple[int, str], tuple[int, Any]] = {}
    for o in outcomes:
        for lead_id, version, changes in o.accepted:
            for key, value in changes.items():
                if latest.get((lead_id, key), (0, None))[0] < version:
                    latest[(lead_id, key)] = (version, value)
    for (lead_id, key), (_, value) in latest.items():
        assert getattr(leads[lead_id], key) == value

    # The log accounts for every change: one event per version step, and
    # the sealed log and every row agree.
    changes_per_lead = Counter(e.entity_id for e in events if e.action != "created")
    for lead in leads.values():
        assert lead.version == 1 + changes_per_lead[lead.id or 0]
    accepted = sum(len(o.accepted) for o in outcomes) + sum(claims.values())
    assert sum(changes_per_lead.values()) == accepted
    assert report.clean, report.findings()
