"""``crm rules check`` finds every problem of a process file and says on
which line; ``crm rules explain`` shows the path a lead took."""

from __future__ import annotations

from pathlib import Path

import pytest

from crm_tui.process import DEFAULT_PROCESS
from crm_tui.rules.check import TomlLines, check_process
from crm_tui.rules.routing import Member
from crm_tui.services.arrival import create_leads
from crm_tui.services.rules import (
    ProcessRefused,
    check_file,
    explain,
    use_process,
)
from crm_tui.workspace import Workspace

TEAM = {"alex": Member(1, "alex"), "kim": Member(2, "kim", active=False)}

BROKEN = """\
[team]
time_zone = "America/New_York"

[business_hours]
start = "17:00"
end = "09:00"

[[sla]]
sources = ["Web form"]
minutes = 5

[[sla]]
sources = ["web-form", "Chat"]
business_hours = 1

[[sla]]
business_days = 1
minutes = 10

[[routing.rules]]
name = "Catch all"
pool = "floor"

[[routing.rules]]
name = "Germany"
countries = ["Germany"]
assign = "kim"

[[routing.rules]]
name = "Ghosts"
pool = "ghosts"

[[routing.rules]]
name = "Nobody"
countries = ["France"]

[routing.pools]
floor = ["alex"]
ghosts = ["kim", "zed"]
"""


def line_of(text: str, needle: str, nth: int = 0) -> int:
    lines = [n for n, line in enumerate(text.splitlines(), 1) if needle in line]
    return lines[nth]


def test_every_problem_with_its_line() -> None:
    problems = {(p.line, p.message) for p in check_process(BROKEN, TEAM)}
    ghosts = line_of(BROKEN, "ghosts = ")
    expected = {
        (
            line_of(BROKEN, "end ="),
            "business hours end (09:00) before they start (17:00)",
        ),
        (
            line_of(BROKEN, '"web-form"'),
            "source 'web-form' never uses this SLA: the one on line 8 lists it first",
        ),
        (
            line_of(BROKEN, "[[sla]]", 2),
            "an SLA gives exactly one of minutes, business_hours, business_days",
        ),
        (
            line_of(BROKEN, "[[routing.rules]]", 1),
            "rule 'Germany' can never match: rule 'Catch all' (line 20) takes every "
            "lead it would",
        ),
        (line_of(BROKEN, 'assign = "kim"'), "rule 'Germany': kim is inactive"),
        (
            line_of(BROKEN, "[[routing.rules]]", 2),
            "rule 'Ghosts' can never match: rule 'Catch all' (line 20) takes every "
            "lead it would",
        ),
        (line_of(BROKEN, "[[routing.rules]]", 3), "rule 'Nobody' assigns to nobody"),
        (ghosts, "pool ghosts: kim is inactive"),
        (ghosts, "pool ghosts: 'zed' is not a user"),
        (ghosts, "pool ghosts has nobody active"),
    }
    assert expected <= problems
    # Who is on the team is a warning: routing passes over them, the file works.
    warnings = {p.message for p in check_process(BROKEN, TEAM) if p.warning}
    assert warnings == {
        "rule 'Germany': kim is inactive",
        "pool ghosts: kim is inactive",
        "pool ghosts: 'zed' is not a user",
        "pool ghosts has nobody active",
    }
    rest = problems - expected
    nobody = (
        line_of(BROKEN, "[[routing.rules]]", 3),
        "rule 'Nobody' can never match: rule 'Catch all' (line 20) takes every "
        "lead it would",
    )
    assert nobody in rest
    # What the file lacks has no line: buckets, a stage for new deals.
    assert {line for line, _ in rest - {nobody}} == {None}
    assert (None, "there is no open stage for a qualified lead's deal") in rest


def test_a_typo_is_located_on_its_line() -> None:
    text = BROKEN.replace('assign = "kim"', 'asign = "kim"')
    [problem] = check_process(text, TEAM)
    assert problem.line == line_of(text, "asign")
    assert "routing.rules[2] (Germany).asign" in problem.message


def test_a_gate_asking_for_a_field_no_deal_has_is_refused(
    ws: Workspace, tmp_path: Path
) -> None:
    # A typo in a gate used to pass the check and `rules use`, then refuse
    # every later move into the stage.
    text = DEFAULT_PROCESS.read_text(encoding="utf-8")
    text = text.replace('requires = ["amount"]', 'requires = ["amout"]', 1)
    [problem] = check_process(text, TEAM)
    assert problem.blocking
    assert problem.line == line_of(text, '"amout"')
    assert problem.message == (
        "stages[4] (Proposal sent).requires: 'amout' is not a field a deal "
        "has; gates can ask for: amount, close_on, decision_on, "
        "next_meeting_at, lost_reason, lost_note"
    )
    path = tmp_path / "typo.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProcessRefused):
        use_process(ws, path)
    assert check_file(ws)[0] == DEFAULT_PROCESS
    # A leave gate may also offer closing the deal lost instead.
    leave = DEFAULT_PROCESS.read_text(encoding="utf-8").replace(
        '"next_meeting_at", "disqualify_reason"', '"next_meeting", "disqualify_reason"'
    )
    [problem] = check_process(leave, TEAM)
    assert problem.message.startswith(
        "stages[2] (Discovery scheduled).leave_requires_any: 'next_meeting' is "
        "not a field a deal has"
    )
    assert problem.message.endswith("lost_note, disqualify_reason")


# A typo made in the database's file after `rules use` opened the app on
# "0 unowned leads" and a reports screen that never came.
def test_the_app_refuses_to_open_on_a_broken_process_file_as_check_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from screens.app import CrmApp
    from tests.test_cli_triage import crm

    opened: list[CrmApp] = []
    monkeypatch.setattr(CrmApp, "run", lambda app, *_, **__: opened.append(app))
    db = tmp_path / "crm.db"
    path = tmp_path / "mine.toml"
    text = DEFAULT_PROCESS.read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    assert crm(db, "rules", "use", str(path))[0] == 0
    broken = text.replace('requires = ["amount"]', 'requires = ["amout"]', 1)
    path.write_text(broken, encoding="utf-8")
    code, out = crm(db)
    assert (code, opened) == (1, [])
    checked = crm(db, "rules", "check")[1].splitlines()[0]
    typo = line_of(broken, '"amout"')
    assert checked.startswith(f"{path.resolve()}:{typo}: stages[4] (Proposal sent)")
    assert out.splitlines() == [f"crm: {checked}"]
    # Plain commands refuse with the same line.
    assert crm(db, "leads", "list")[1].splitlines() == [f"crm: {checked}"]


def test_bad_toml_names_its_line() -> None:
    [problem] = check_process('[team]\nname = "x"\n[[sla]\n')
    assert problem.line == 3


def test_the_default_process_is_clean_for_the_demo_team() -> None:
    team = {n: Member(i, n) for i, n in enumerate(["alex", "sam", "kim"], 1)}
    assert check_process(DEFAULT_PROCESS.read_text(encoding="utf-8"), team) == []


def test_lines_are_found_inside_array_tables() -> None:
    lines = TomlLines(BROKEN)
    assert lines.key("routing.rules", 1, "countries") == line_of(BROKEN, 'Germany"]')
    assert lines.key("routing.pools", None, "floor") == line_of(BROKEN, "floor = ")


def test_check_uses_the_databases_team_and_file(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(BROKEN, encoding="utf-8")
    use_process(ws, path)
    found, problems = check_file(ws)
    assert found == path.resolve()
    # kim is active in this database; zed is still nobody.
    messages = [p.message for p in problems]
    assert "pool ghosts: 'zed' is not a user" in messages
    assert "rule 'Germany': kim is inactive" not in messages


def test_explain_shows_the_rules_tried_and_the_one_that_won(ws: Workspace) -> None:
    [(lead_id, arrival)] = create_leads(
        ws, [{"name": "Yuki", "country": "Japan", "source": "Chat"}]
    )
    assert (arrival.rule, arrival.owner) == ("Asia Pacific", "kim")
    found = explain(ws, lead_id)
    assert found.routed_by == "Asia Pacific" and found.owner == "kim"
    assert [a.rule for a in found.tried] == ["Named accounts", "Europe"]
    assert found.tried[1].why_not.startswith("country is Japan, not United Kingdom")
    assert found.decision.reason == "country is Japan; assigned to kim"


def _without_stage(key: str, extra: str = "") -> str:
    """The default process without the stage ``key``, plus ``extra``."""
    text = DEFAULT_PROCESS.read_text(encoding="utf-8")
    start = text.index(f'[[stages]]\nkey = "{key}"')
    end = text.index("[[stages]]", start + 1)
    return text[:start] + text[end:] + extra


# The CLI is given the database's file.
@pytest.mark.sqlite_only
def test_a_file_removing_a_stage_deals_are_in_is_refused(
    ws: Workspace, tmp_path: Path
) -> None:
    from crm_tui.services.deals import create_deal
    from tests.test_cli_triage import crm

    for title in ("Acme", "Globex"):
        create_deal(ws, title=title, stage="proposal", values={"amount": "900"})
    path = tmp_path / "slim.toml"
    path.write_text(
        _without_stage("proposal", '\n[routing]\ndefault_pool = "floor"\n'),
        encoding="utf-8",
    )
    db = ws.engine.url.database
    assert db is not None
    code, out = crm(Path(db), "rules", "use", str(path))
    assert code == 1
    lines = out.splitlines()
    assert "slim.toml: stage 'proposal' is removed but 2 open deals are in it" in lines
    assert any(
        line.endswith(
            "routing.default_pool: unknown key 'default_pool'; "
            "[routing] takes rules, pools"
        )
        for line in lines
    )
    assert lines[-1] == (
        "crm: Not using slim.toml: 2 problems must be fixed first; nothing was changed."
    )
    # The database still runs its process; check says the same.
    assert check_file(ws)[0] == DEFAULT_PROCESS
    _, problems = check_file(ws, path)
    assert [p.message for p in problems if p.line is None] == [
        "stage 'proposal' is removed but 2 open deals are in it"
    ]


def test_a_file_removing_an_empty_stage_is_taken(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "slim.toml"
    path.write_text(_without_stage("proposal"), encoding="utf-8")
    assert use_process(ws, path) == []
    assert check_file(ws)[0] == path.resolve()
