"""The ``crm`` command as a script or a person at a shell would use it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crm_tui.cli import app
from tests.conftest import real_file

runner = CliRunner()


def crm(db: Path, *args: str, user: str = "alex") -> tuple[int, str]:
    """Run ``crm``; what it printed to stdout, or to stderr when it failed."""
    result = runner.invoke(app, ["--db", str(db), "--user", user, *args])
    return result.exit_code, result.stdout if result.exit_code == 0 else result.stderr


def test_import_then_list_then_claim(tmp_path: Path) -> None:
    db = tmp_path / "crm.db"
    csv = tmp_path / "leads.csv"
    csv.write_text("Name,Email,Company\nAna,ana@example.com,Acme\nBad,x@,Nope\n")
    code, out = crm(db, "import", "leads", str(csv), "--json")
    assert code == 0
    summary = json.loads(out)
    assert {k: summary[k] for k in ("read", "created", "duplicates", "rejected")} == {
        "read": 2,
        "created": 1,
        "duplicates": 0,
        "rejected": 1,
    }
    assert summary["rejections"][0]["row"] == 3
    code, out = crm(db, "leads", "list", "--json", "--unowned")
    [lead] = json.loads(out)
    assert lead["owner"] is None and lead["company"] == "Acme"
    assert set(lead) >= {"id", "name", "email", "phone", "source", "status"}
    code, out = crm(db, "leads", "claim", str(lead["id"]))
    assert code == 0 and "You own lead" in out
    code, out = crm(db, "leads", "list", "--json")
    assert json.loads(out)[0]["owner"] == "alex"
    code, out = crm(db, "leads", "list", "--json", "--unowned")
    assert json.loads(out) == []


def test_a_file_that_is_not_csv_fails_in_one_line(tmp_path: Path) -> None:
    code, out = crm(tmp_path / "crm.db", "import", "leads", str(tmp_path / "nope.csv"))
    assert code == 1
    assert "Traceback" not in out
    assert "nope.csv does not exist" in out.strip().splitlines()[-1]


def test_claiming_a_taken_lead_exits_non_zero_naming_the_owner(tmp_path: Path) -> None:
    db = tmp_path / "crm.db"
    csv = tmp_path / "leads.csv"
    csv.write_text("Name\nAna\n")
    crm(db, "import", "leads", str(csv))
    crm(db, "users", "add", "sam")
    assert crm(db, "leads", "claim", "1", user="sam")[0] == 0
    code, out = crm(db, "leads", "claim", "1")
    assert code == 1 and "already claimed by sam" in out


def test_users_add_list_and_deactivate(tmp_path: Path) -> None:
    db = tmp_path / "crm.db"
    crm(
        db,
        "users",
        "add",
        "sam",
        "--role",
        "rep",
        "--email",
        "Sam@X.com",
        "--territory",
        "EMEA",
    )
    crm(db, "users", "deactivate", "sam")
    code, out = crm(db, "users", "list", "--json")
    users = {u["name"]: u for u in json.loads(out)}
    assert users["alex"]["role"] == "admin"
    assert users["sam"]["active"] is False
    assert users["sam"]["territories"] == ["EMEA"]
    code, out = crm(db, "leads", "list", user="stranger")
    assert code == 1 and "crm users add stranger" in out


def test_plain_commands_never_load_textual_and_help_loads_no_sqlalchemy(
    tmp_path: Path,
) -> None:
    probe = (
        "import sys, runpy\n"
        "sys.argv = ['crm'] + sys.argv[1:]\n"
        "try:\n"
        "    runpy.run_module('crm_tui', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('textual' in sys.modules, 'sqlalchemy' in sys.modules)\n"
    )

    def loaded(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", probe, *args],
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.strip().splitlines()[-1]

    assert loaded("--help") == "False False"
    db = str(tmp_path / "crm.db")
    assert loaded("--db", db, "--user", "alex", "leads", "list") == "False True"
    export = tmp_path / "leads.csv"
    export.write_text("First Name,Last Name,Email\nAna,Costa,ana@example.com\n")
    imported = loaded("--db", db, "--user", "alex", "import", "leads", str(export))
    assert imported == "False True"


def test_help_shows_flags_plainly_and_wraps_only_where_it_must() -> None:
    # A newcomer read "--demo <bool>", and "leads past their" / "SLA" on
    # two lines: the docstring's own line break.
    for args in (["--help"], ["report", "--help"], ["rules", "use", "--help"]):
        result = CliRunner().invoke(app, args, terminal_width=80)
        assert result.exit_code == 0
        assert "<bool>" not in result.stdout
    shown = CliRunner().invoke(app, ["--help"], terminal_width=80).stdout
    lines = [line.strip("│ ") for line in shown.splitlines()]
    for first, second in (
        (
            "audit     Duplicates, stale deals, deals without a next step, leads past",
            "their SLA, hand-offs waiting, broken rules and field usage.",
        ),
        (
            "export    Write every lead, deal or account to a CSV file. Cells a",
            "spreadsheet would run as formulas are written with a leading",
        ),
        ("--demo               Open a copy of the demo database.", None),
    ):
        at = lines.index(first)
        assert second is None or lines[at + 1] == second


@pytest.mark.real_data
def test_the_real_hubspot_export_from_the_command_line(tmp_path: Path) -> None:
    db = tmp_path / "crm.db"
    code, out = crm(
        db, "import", "leads", str(real_file("hubspot_contacts.csv")), "--json"
    )
    assert code == 0
    summary = json.loads(out)
    assert summary["read"] == 950
    assert summary["read"] == sum(
        summary[k] for k in ("created", "updated", "duplicates", "rejected")
    )
    assert len(summary["unknown_owners"]) == 5
