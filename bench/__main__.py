"""``python -m bench``: run every benchmark and print one line per figure.

``--smoke`` runs each at a tiny size (the test suite does, so they cannot
rot), on data built afresh in a temporary folder; without it, at the sizes
the issues name, on data cached in ``bench/.cache``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from bench import board, claims, data, imports, inbox, startup
from bench.figures import Figure

FULL = {
    "import": 100_000,
    "inbox": 1_000_000,
    "startup": 1_000_000,
    "claims": 100_000,
    "board": 50_000,
}
SMOKE = {"import": 300, "inbox": 2_000, "startup": 2_000, "claims": 400, "board": 200}
SUITES = {
    "import": imports.run,
    "inbox": inbox.run,
    "startup": startup.run,
    "claims": claims.run,
    "board": board.run,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes")
    parser.add_argument("--only", action="append", choices=sorted(SUITES))
    args = parser.parse_args(argv)
    sizes = SMOKE if args.smoke else FULL
    figures: list[Figure] = []
    started = time.perf_counter()
    with ExitStack() as stack:
        if args.smoke:
            # Tiny data is built in a second; built afresh, a smoke run starts
            # from nothing as a new checkout does, and inherits nothing from
            # earlier runs (the board's probes move cards in the files they
            # open, and a run interrupted while building leaves half a file).
            tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-"))
            data.CACHE = Path(tmp)
        for name in args.only or list(SUITES):
            # A smoke runs each measurement once: it proves the bench works.
            for figure in SUITES[name](sizes[name], 1 if args.smoke else 3):
                print(figure.line(), flush=True)
                figures.append(figure)
    missed = [f for f in figures if not f.met]
    print(
        f"{len(figures) - len(missed)} of {len(figures)} figures within target "
        f"in {time.perf_counter() - started:.0f} s"
    )
    return 1 if missed and not args.smoke else 0


if __name__ == "__main__":
    sys.exit(main())
