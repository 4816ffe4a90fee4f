"""Starting up: the app to its first painted inbox, peak memory, and
``crm --help``, each beside a bare program of the same kind."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from bench.data import empty_database, leads_database
from bench.figures import Figure

ROOT = Path(__file__).resolve().parent.parent

# Runs in a fresh interpreter: time from the start of the process until the
# inbox has painted its first page, and the peak resident memory.
APP_PROBE = textwrap.dedent(
    """
    import asyncio, json, resource, sys, time
    start = time.perf_counter()
    from crm_tui.open import open_workspace
    from screens.app import CrmApp
    from screens.inbox import LeadTable

    async def main():
        ws = open_workspace(sys.argv[1], "alex", check=False)  # as `crm` opens it
        app = CrmApp(ws)
        async with app.run_test(size=(120, 40)) as pilot:
            table = app.screen.query_one(LeadTable)
            # The table shows a spinner until its first page (or the news
            # that there is none) has arrived and been drawn.
            while table.loading:
                await pilot.pause(0.001)
            await pilot.pause()
            painted = time.perf_counter() - start
        return painted

    painted = asyncio.run(main())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": painted, "peak_mib": peak}))
    """
)

BARE_PROBE = textwrap.dedent(
    """
    import asyncio, json, resource, time
    start = time.perf_counter()
    from textual.app import App
    from textual.widgets import Label

    class Bare(App[None]):
        def compose(self):
            yield Label("hello")

    async def main():
        app = Bare()
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            return time.perf_counter() - start

    painted = asyncio.run(main())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": painted, "peak_mib": peak}))
    """
)

BARE_TYPER = textwrap.dedent(
    """
    import typer
    app = typer.Typer()

    @app.command()
    def hello(name: str = "") -> None:
        "Say hello."

    @app.command()
    def bye() -> None:
        "Say bye."

    app()
    """
)


def probe(code: str, *args: str, env: dict[str, str] | None = None) -> dict[str, float]:
    """Run ``code`` in a fresh interpreter; it prints its figures as JSON.

    Bytecode is written and reused, as an installed package has it: with
    PYTHONDONTWRITEBYTECODE set, every start would compile our modules from
    source while the libraries beside them come precompiled.
    """
    env = {**(env if env is not None else os.environ), "TEXTUAL": ""}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    for attempt in (1, 2):
        done = subprocess.run(
            [sys.executable, "-c", code, *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,  # so the probe imports this checkout's crm_tui and screens
            timeout=900,
        )
        # On a busy machine a pilot now and then gives up waiting (30 s)
        # for the screen to go idle; that run measures nothing, so it is
        # run again, and said so.
        if done.returncode == 0 or "WaitForScreenTimeout" not in done.stderr:
            break
        print(f"  (a probe's pilot timed out; run {attempt + 1} of it)", flush=True)
    if done.returncode != 0:
        raise RuntimeError(f"probe failed:\n{done.stderr[-3000:]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _median_probe(code: str, *args: str, repeat: int = 3) -> tuple[float, float]:
    runs = [probe(code, *args) for _ in range(repeat)]
    return (
        statistics.median(r["seconds"] for r in runs),
        max(r["peak_mib"] for r in runs),
    )


def _command_time(args: list[str], repeat: int = 5) -> float:
    import time

    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(args, capture_output=True, check=True, env=_env(), cwd=ROOT)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run(size: int, repeat: int = 3) -> list[Figure]:
    big = leads_database(size)
    with tempfile.TemporaryDirectory() as tmp:
        empty = empty_database(Path(tmp) / "empty.db")
        # Warm the OS cache and Python's bytecode cache before timing.
        probe(APP_PROBE, str(empty))
        empty_time, empty_peak = _median_probe(APP_PROBE, str(empty), repeat=repeat)
        big_time, big_peak = _median_probe(APP_PROBE, str(big), repeat=repeat)
        bare_time, _ = _median_probe(BARE_PROBE, repeat=repeat)
        ours_help = _command_time(
            [sys.executable, "-m", "crm_tui", "--help"], repeat=repeat + 2
        )
        bare_help = _command_time(
            [sys.executable, "-c", BARE_TYPER, "--help"], repeat=repeat + 2
        )
    return [
        Figure(
            f"first painted inbox, {size:,} vs 0 leads",
            big_time,
            empty_time,
            "empty db",
            1.2,
        ),
        Figure(
            f"first painted inbox on {size:,} leads",
            big_time,
            bare_time,
            "bare Textual app",
            2.0,
        ),
        Figure(
            f"peak memory, {size:,} vs 0 leads",
            big_peak,
            empty_peak,
            "empty db",
            1.5,
            unit="MiB",
        ),
        Figure("crm --help", ours_help, bare_help, "bare Typer app", 1.5),
    ]
