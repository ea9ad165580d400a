"""Small timing helpers shared by the benchmarks."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def best_of(fn: Callable[[], object], *, repeat: int = 5) -> float:
    """Median wall time of ``repeat`` calls, in seconds (after one warm-up call)."""
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def report(name: str, value: float, baseline: float, *, unit: str = "s", target: str = "") -> None:
    """Print one line: value, baseline, ratio (value / baseline) and the target."""
    ratio = value / baseline if baseline else float("inf")
    print(f"{name:48s} {value:9.3f} {unit}  baseline {baseline:9.3f} {unit}  ratio {ratio:6.2f}"
          + (f"  ({target})" if target else ""))
