"""The triage commands, as a script or a form hook would run them."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from typer.testing import CliRunner

from crm_tui.cli import app
from crm_tui.process import DEFAULT_PROCESS

runner = CliRunner()


def crm(
    db: Path, *args: str, user: str = "alex", stdin: str | None = None
) -> tuple[int, str]:
    result = runner.invoke(app, ["--db", str(db), "--user", user, *args], input=stdin)
    # Problems and refusals: what was printed, on stdout or stderr.
    return result.exit_code, result.stdout if result.exit_code == 0 else (
        result.stdout + result.stderr
    )


def test_capture_show_and_triage_from_a_script(tmp_path: Path) -> None:
    db = tmp_path / "crm.db"
    crm(db, "users", "add", "sam", "--role", "rep")
    crm(db, "users", "add", "kim", "--role", "rep")
    code, out = crm(
        db,
        "capture",
        "--json",
        stdin=json.dumps(
            {
                "name": "Eva Berg",
                "email": "eva@fjord.example",
                "source": "Chat",
                "country": "Norway",
                "utm_campaign": "spring",
            }
        ),
    )
    assert code == 0, out
    captured = json.loads(out)
    assert (captured["owner"], captured["routed_by"]) == ("sam", "Europe")
    code, out = crm(db, "capture", "name=Hana Silva", "source=Web form", "country=US")
    assert code == 0 and "is in the inbox: no routing rule matched" in out
    code, out = crm(db, "leads", "show", str(captured["id"]), "--json")
    shown = json.loads(out)
    for key in (
        "owner",
        "status",
        "bucket",
        "reason",
        "routed_by",
        "sla_due_at",
        "first_response_at",
    ):
        assert key in shown
    assert shown["owner"] == "sam" and shown["routed_by"] == "Europe"
    due = datetime.fromisoformat(shown["sla_due_at"])
    assert due.utcoffset() is not None
    assert shown["extra"] == {"utm_campaign": "spring"}

    code, out = crm(db, "leads", "list", "--json", "--owner", "sam")
    assert [x["id"] for x in json.loads(out)] == [captured["id"]]
    code, out = crm(
        db,
        "leads",
        "touch",
        str(captured["id"]),
        "--kind",
        "call",
        "--outcome",
        "connected",
        user="sam",
    )
    assert code == 0 and "first response" in out
    code, out = crm(db, "leads", "show", str(captured["id"]), "--json")
    assert json.loads(out)["first_response_at"].endswith("+00:00")

    code, out = crm(
        db,
        "leads",
        "qualify",
        str(captured["id"]),
        "-a",
        "fit=strong",
        "-a",
        "urgency=this quarter",
        "-a",
        "budget=2",
        "-a",
        "buying_role=dec",
        user="sam",
    )
    assert code == 0 and "deal #1 in Contacted" in out
    code, out = crm(db, "leads", "disqualify", "2", "--reason", "spam", "--json")
    assert (
        json.loads(out)["done"][0]["message"]
        == "Hana Silva disqualified: Spam or fake."
    )
    code, out = crm(db, "leads", "disqualify", "2", "--reason", "spam")
    assert code == 1 and "it cannot be disqualified" in out


def test_breached_lists_only_late_untouched_open_leads(tmp_path: Path) -> None:
    db = tmp_path / "crm.db"
    crm(db, "capture", "name=Late", "source=Web form")
    code, out = crm(db, "leads", "list", "--json", "--breached")
    # Due in five minutes: not yet late.
    assert code == 0 and json.loads(out) == []


def test_rules_check_exits_one_and_names_the_line(tmp_path: Path) -> None:
    db = tmp_path / "crm.db"
    broken = tmp_path / "process.toml"
    broken.write_text(
        '[[routing.rules]]\nname = "Japan"\ncountries = ["Japan"]\nassign = "zed"\n',
        encoding="utf-8",
    )
    code, out = crm(db, "rules", "check", str(broken))
    assert code == 1
    lines = out.splitlines()
    assert f"warning: {broken}:4: rule 'Japan': 'zed' is not a user" in lines
    assert any(
        line.startswith(f"{broken}: 5 errors and 1 warning: routing passes")
        for line in lines
    )
    code, out = crm(db, "rules", "check")
    # The default process routes to sam and kim, who are not users of a new
    # database yet: the install's own file passes, saying what to do.
    assert code == 0 and "pool emea: 'sam' is not a user" in out
    assert (
        f"{DEFAULT_PROCESS}: no errors, 4 warnings: routing passes over people "
        "who are not active users, and their leads go to the next rule or wait "
        "unowned in the inbox. Add them with `crm users add NAME`, or edit the "
        "file's routing."
    ) in out.splitlines()
    crm(db, "users", "add", "sam")
    crm(db, "users", "add", "kim")
    code, out = crm(db, "rules", "check")
    assert code == 0 and out.strip().endswith("no problems.")
    code, out = crm(db, "rules", "use", str(broken))
    assert code == 0 and "runs" in out
    code, out = crm(db, "rules", "check", "--json")
    assert code == 1 and json.loads(out)["file"] == str(broken.resolve())


def test_rules_explain(tmp_path: Path) -> None:
    db = tmp_path / "crm.db"
    crm(db, "users", "add", "kim", "--role", "rep")
    crm(db, "capture", "name=Yuki", "country=Japan")
    code, out = crm(db, "rules", "explain", "1")
    assert code == 0
    assert (
        "  3. Asia Pacific: yes, country is Japan; assigned to kim" in out.splitlines()
    )
    assert "  2. Europe: no, country is Japan, not United Kingdom" in out
