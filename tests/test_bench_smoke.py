"""The benchmarks run end to end at tiny sizes, so they cannot rot between
the times someone runs them at full size (``python -m bench``)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_benchmark_runs_at_a_tiny_size() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    figures = [line for line in lines if line.startswith(("ok ", "MISS"))]
    names = " | ".join(figures)
    for expected in (
        "import 300 leads",
        "inbox first page",
        "inbox next page",
        "inbox answers a key",
        "first painted inbox",
        "peak memory",
        "crm --help",
        "processes claiming",
        "board ready, 200 open deals vs 0",
    ):
        assert expected in names, done.stdout
    if importlib.util.find_spec("kanban_tui") is None:
        assert any("skip board beside kanban-tui" in line for line in lines)
    else:
        for expected in ("board ready, 20 cards", "focus move", "card move"):
            assert expected in names, done.stdout
    # Every figure prints ours, the baseline and their ratio.
    assert all("ratio" in line for line in figures)
    assert lines[-1].endswith(" s") and "figures within target" in lines[-1]
