"""The checks CI runs, as tests, so the one test command is the whole suite."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True)


def test_ruff_lint_is_clean() -> None:
    done = run(sys.executable, "-m", "ruff", "check", ".")
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_format_is_clean() -> None:
    done = run(sys.executable, "-m", "ruff", "format", "--check", ".")
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_strict_is_clean() -> None:
    done = run(sys.executable, "-m", "mypy")
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_core_never_imports_the_ui() -> None:
    done = run("lint-imports")
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_core_loads_without_textual() -> None:
    probe = (
        "import sys\n"
        "import crm_tui.cli, crm_tui.importing.leads, crm_tui.queries.leads\n"
        "import crm_tui.services.leads, crm_tui.demo\n"
        "import crm_tui.services.deals, crm_tui.queries.deals\n"
        "import crm_tui.importing.deals, crm_tui.rules.stages\n"
        "assert 'textual' not in sys.modules, 'the core loaded Textual'\n"
    )
    done = run(sys.executable, "-c", probe)
    assert done.returncode == 0, done.stderr
