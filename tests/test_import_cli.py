"""`crm import` on the command line: the summary after an import, and
`crm import show` for a past one."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from crm_tui.cli import app

runner = CliRunner()


def crm(db: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--db", str(db), "--user", "alex", *args])
    return result.exit_code, result.stdout if result.exit_code == 0 else result.stderr


def a_file_with_bad_rows(tmp_path: Path, bad: int) -> Path:
    path = tmp_path / "leads.csv"
    rows = [f"Person {n},not-an-address-{n}" for n in range(bad)]
    path.write_text("Name,Email\n" + "\n".join([*rows, "Ana,ana@x.com"]) + "\n")
    return path


def test_the_summary_shows_twenty_rejected_rows_and_says_how_many_more(
    tmp_path: Path,
) -> None:
    db = tmp_path / "crm.db"
    code, out = crm(db, "import", "leads", str(a_file_with_bad_rows(tmp_path, 25)))
    assert code == 0
    flat = " ".join(out.split())
    assert "Row 21 " in flat and "Row 22 " not in flat
    assert "…and 5 more rejected rows" in flat
    assert "crm import show 1 --outcome rejected" in flat


def test_a_summary_with_few_rejected_rows_lists_them_all(tmp_path: Path) -> None:
    db = tmp_path / "crm.db"
    code, out = crm(db, "import", "leads", str(a_file_with_bad_rows(tmp_path, 3)))
    assert code == 0
    assert "Row 4 " in out and "more rejected rows" not in out


# Found by a newcomer: "1 duplicate rows were linked".
def test_a_count_of_one_reads_in_the_singular(tmp_path: Path) -> None:
    db = tmp_path / "crm.db"
    path = tmp_path / "leads.csv"
    path.write_text("Name,Email\nAna,ana@x.com\nAna again,ana@x.com\n")
    code, out = crm(db, "import", "leads", str(path))
    assert code == 0
    flat = " ".join(out.split())
    assert "2 rows read = 1 created + 0 updated + 1 duplicate + 0 rejected" in flat
    assert "1 duplicate row was linked to the lead it matches;" in flat
    path.write_text("Name,Email\nBen,ben@x.com\n")
    code, out = crm(db, "import", "leads", str(path))
    assert "1 row read = 1 created + 0 updated + 0 duplicates" in " ".join(out.split())


def test_import_show_lists_every_rejected_row_of_a_past_import(
    tmp_path: Path,
) -> None:
    db = tmp_path / "crm.db"
    crm(db, "import", "leads", str(a_file_with_bad_rows(tmp_path, 25)))
    code, out = crm(db, "import", "show", "1", "--outcome", "rejected")
    assert code == 0
    lines = out.splitlines()
    assert "26 rows read = 1 created" in lines[0]
    assert len(lines) == 26
    assert all(line.startswith("  rejected: Row") for line in lines[1:])
    code, out = crm(db, "import", "show", "1", "--json")
    shown = json.loads(out)
    assert (shown["rejected"], len(shown["rows"])) == (25, 25)
    assert shown["rows"][0] == {
        "row": 2,
        "outcome": "rejected",
        "reason": shown["rows"][0]["reason"],
        "lead": None,
        "deal": None,
    }


def test_import_show_refuses_an_unknown_import_in_one_line(tmp_path: Path) -> None:
    db = tmp_path / "crm.db"
    crm(db, "import", "leads", str(a_file_with_bad_rows(tmp_path, 1)))
    assert crm(db, "import", "show", "9") == (1, "crm: There is no import #9.\n")


def test_a_json_file_is_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "leads.json"
    path.write_text('[{"name": "Ana", "email": "ana@example.com"}]')
    db = tmp_path / "crm.db"
    crm(db, "users", "list")  # alex becomes the admin, and is told so, here
    code, err = crm(db, "import", "leads", str(path))
    assert code == 1
    assert err == f"crm: {path} is JSON, not CSV: export the records as CSV first\n"
