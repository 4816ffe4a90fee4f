"""A figure: our time beside a baseline's, measured in the same run."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    name: str
    ours: float  # seconds (or the unit below)
    baseline: float
    baseline_name: str
    target: float  # the largest acceptable ratio ours / baseline
    unit: str = "s"
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.ours / self.baseline if self.baseline else float("inf")

    @property
    def met(self) -> bool:
        return self.ratio <= self.target

    def line(self) -> str:
        mark = "ok " if self.met else "MISS"
        return (
            f"{mark} {self.name:<44} ours {_fmt(self.ours, self.unit):>10}  "
            f"{self.baseline_name} {_fmt(self.baseline, self.unit):>10}  "
            f"ratio {self.ratio:6.2f} (target ≤ {self.target:.3g})"
            + (f"  {self.note}" if self.note else "")
        )


def _fmt(value: float, unit: str) -> str:
    if unit == "s":
        if value < 0.01:
            return f"{value * 1000:.2f} ms"
        return f"{value:.3f} s"
    if unit == "MiB":
        return f"{value:.0f} MiB"
    return f"{value:.0f} {unit}"


def median_time(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)
