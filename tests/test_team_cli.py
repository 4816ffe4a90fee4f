"""Managing the team from the shell: admins only, refusals say the role."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from crm_tui.cli import app
from crm_tui.workspace import Workspace

runner = CliRunner()


def crm(db_url: str, user: str, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--db", db_url, "--user", user, *args])
    return result.exit_code, result.stdout + result.stderr


def test_only_an_admin_adds_or_deactivates_users(ws: Workspace, db_url: str) -> None:
    code, out = crm(db_url, "sam", "users", "add", "eve", "--role", "admin")
    assert (code, out) == (
        1,
        "crm: Only an admin or above can add users; sam is a rep.\n",
    )
    code, out = crm(db_url, "kim", "users", "deactivate", "sam")
    assert code == 1 and "deactivate users; kim is a rep." in out
    assert crm(db_url, "alex", "users", "add", "lee", "--role", "manager")[0] == 0
    code, out = crm(db_url, "alex", "users", "deactivate", "alex")
    assert code == 1 and "cannot deactivate yourself" in out
    code, out = crm(db_url, "alex", "users", "list", "--json")
    roles = {u["name"]: (u["role"], u["active"]) for u in json.loads(out)}
    assert roles == {
        "alex": ("admin", True),
        "kim": ("rep", True),
        "lee": ("manager", True),
        "sam": ("rep", True),
    }
