"""The process file a database runs, checking it, and explaining how a
lead was routed."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from sqlmodel import Session, col, func, select

from crm_tui.errors import NotFound, NotValid
from crm_tui.events import record
from crm_tui.models import Deal, Lead, Setting, User
from crm_tui.process import DEFAULT_PROCESS
from crm_tui.rules.check import DealsInStage, Problem, check_process
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
        deals = deals_by_stage(session)
    return path, check_process(text, team, deals)


def deals_by_stage(session: Session) -> dict[str, DealsInStage]:
    """How many deals sit in each stage key, open and closed."""
    closed = col(Deal.closed_at).is_not(None)
    rows = session.exec(
        select(col(Deal.stage), closed, func.count()).group_by(col(Deal.stage), closed)
    ).all()
    found: dict[str, DealsInStage] = {}
    for stage, is_closed, count in rows:
        held = found.get(stage, DealsInStage())
        found[stage] = (
            replace(held, closed=held.closed + count)
            if is_closed
            else replace(held, open=held.open + count)
        )
    return found


class ProcessRefused(NotValid):
    """The database keeps its process: the new file has problems that
    block it, each one line in ``problems``."""

    def __init__(self, path: Path, problems: list[Problem]) -> None:
        self.problems = [problem.render(path.name) for problem in problems]
        count = len(problems)
        super().__init__(
            f"Not using {path.name}: {count} problem{'s' if count > 1 else ''} "
            "must be fixed first; nothing was changed."
        )


def use_process(ws: Workspace, path: Path) -> list[Problem]:
    """Point this database at another process file. A file with blocking
    problems (it does not load, or it removes a stage deals are in) is
    refused with all of them; other problems are returned as warnings."""
    path = path.expanduser().resolve()
    _, problems = check_file(ws, path)
    blocking = [problem for problem in problems if problem.blocking]
    if blocking or (problems and _unloadable(path)):
        raise ProcessRefused(path, blocking or problems)
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
