"""The benchmarks run end to end at tiny sizes, so they cannot rot between
the times someone runs them at full size (``python -m bench``).

Only that each figure is printed is checked: at smoke sizes the ratios mean
nothing."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from bench import board

ROOT = Path(__file__).resolve().parent.parent

# One line per figure, as ``python -m bench --smoke`` names them.
FIGURES = [
    "import 300 leads onto 300",
    "inbox first page on 2,000 leads",
    "inbox next page on 2,000 leads",
    "inbox answers a key on 2,000 leads",
    "first painted inbox, 2,000 vs 0 leads",
    "first painted inbox on 2,000 leads",
    "peak memory, 2,000 vs 0 leads",
    "crm --help",
    "4 processes claiming from one file",
    "board ready, 200 open deals vs 0",
]
PEER_FIGURES = [
    "board ready, 20 cards",
    "board focus move, 20 cards (CPU)",
    "board card move, 20 cards (CPU)",
]


def test_every_benchmark_prints_its_figures_at_a_tiny_size() -> None:
    # Every suite in one runner, as a full run has them: the claims figure
    # once divided by zero only then (its copy of a freshly built database
    # had no leads).
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    figures = [line for line in lines if line.startswith(("ok ", "MISS"))]
    expected = list(FIGURES)
    if importlib.util.find_spec("kanban_tui") is None:
        assert any(line.startswith("skip board beside kanban-tui") for line in lines)
    else:
        expected += PEER_FIGURES
    assert [_name(line) for line in figures] == expected, done.stdout
    # Each shows ours, the baseline and their ratio.
    assert all(" ours " in line and " ratio " in line for line in figures)
    claims = next(line for line in figures if "processes claiming" in line)
    assert " 0 errors, 0 double claims" in claims
    assert f" of {len(expected)} figures within target in " in lines[-1]


def test_without_the_peer_the_board_says_it_skipped_the_comparison(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(board, "peer_installed", lambda: False)
    assert board._against_peer(20, ["discovery", "proposal"]) == []
    assert "skip board beside kanban-tui: not installed" in capsys.readouterr().out


def _name(line: str) -> str:
    """A figure line's name: between its mark and the word "ours"."""
    return line[4:].split(" ours ", 1)[0].strip()
