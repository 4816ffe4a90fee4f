"""The process file a database runs, checking it, and explaining how a
lead was routed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session

from crm_tui.errors import NotFound, NotValid
from crm_tui.events import record
from crm_tui.models import Lead, Setting, User
from crm_tui.process import DEFAULT_PROCESS
from crm_tui.rules.check import Problem, check_process
from crm_tui.rules.routing import Attempt, Decision, LeadFacts
from crm_tui.services.arrival import load_router, team_members
from crm_tui.services.roles import require_role
from crm_tui.workspace import Workspace

PROCESS_SETTING = "process_file"


def process_path(ws: Workspace) -> Path:
    """The process file this database runs."""
    with ws.read() as session:
        setting = session.get(Setting, PROCESS_SETTING)
    return Path(setting.value) if setting else DEFAULT_PROCESS


def check_file(ws: Workspace, path: Path | None = None) -> tuple[Path, list[Problem]]:
    """Every problem of the process file (this database's, or ``path``),
    checked against this database's team."""
    path = path or process_path(ws)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise NotFound(f"Cannot read {path}: {exc.strerror}.") from exc
    with ws.read() as session:
        team = team_members(session)
    return path, check_process(text, team)


def use_process(ws: Workspace, path: Path) -> list[Problem]:
    """Point this database at another process file. A file that does not
    load is refused; other problems are returned as warnings."""
    path = path.expanduser().resolve()
    _, problems = check_file(ws, path)
    if problems and _unloadable(path):
        first = problems[0].render(path.name)
        raise NotValid(f"Not using {path.name}, it does not load: {first}")
    user_id = ws.user_id

    def point(session: Session) -> None:
        require_role(session, user_id, "manager", "change the team's process")
        setting = session.get(Setting, PROCESS_SETTING)
        before = setting.value if setting else str(DEFAULT_PROCESS)
        if setting is None:
            session.add(Setting(key=PROCESS_SETTING, value=str(path)))
        else:
            setting.value = str(path)
        record(
            session,
            at=ws.clock.now(),
            user_id=user_id,
            entity="setting",
            entity_id=0,
            action="updated",
            changes={PROCESS_SETTING: [before, str(path)]},
        )

    ws.write(point)
    ws._process = None
    return problems


def _unloadable(path: Path) -> bool:
    from crm_tui.errors import ProcessError
    from crm_tui.process import load_process

    try:
        load_process(path)
    except ProcessError:
        return True
    return False


@dataclass(frozen=True)
class Explanation:
    lead_id: int
    name: str
    company: str | None
    owner: str | None
    routed_by: str | None
    decision: Decision

    @property
    def tried(self) -> tuple[Attempt, ...]:
        return self.decision.tried

    def as_json(self) -> dict[str, object]:
        d = self.decision
        return {
            "lead": self.lead_id,
            "owner": self.owner,
            "routed_by": self.routed_by,
            "rule_now": d.rule,
            "owner_now": d.owner.name if d.owner else None,
            "reason": d.reason,
            "tried": [{"rule": a.rule, "why_not": a.why_not} for a in d.tried],
        }


def explain(ws: Workspace, lead_id: int) -> Explanation:
    """Which rule routes the lead under today's rules and team (without
    moving any pool), which were tried before it and why they failed, and
    what was recorded when it arrived."""
    process = ws.process
    with ws.read() as session:
        lead = session.get(Lead, lead_id)
        if lead is None:
            raise NotFound(f"There is no lead #{lead_id}.")
        facts = LeadFacts.of(lead.model_dump())
        router = load_router(session, process, [facts])
        owner = session.get(User, lead.owner_id) if lead.owner_id else None
    decision = router.route(facts, advance=False)
    return Explanation(
        lead_id,
        lead.name,
        lead.company,
        owner.name if owner else None,
        lead.routed_by,
        decision,
    )
