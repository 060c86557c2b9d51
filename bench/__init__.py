"""Benchmarks of bnreg against the baselines a researcher would write (not timed tests).

Each benchmark runs its baseline and bnreg in one process on the same data and reports the
ratio of their speeds, plus how far bnreg is from the machine's limit measured in the same run
(:mod:`bench.machine`).  ``python -m bench`` prints every table; ``pytest bench/`` runs each at
a tiny size.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from types import ModuleType
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Row:
    """One measured case: its figure of merit and, where there is one, the ratio to a baseline."""

    bench: str
    case: str
    value: float
    unit: str
    ratio: float | None = None  # value / the baseline's value (higher is better for bnreg)
    vs: str = ""
    note: str = ""
    headline: bool = False  # printed first, in a table of its own


@dataclass(frozen=True)
class Target:
    """A goal of the issue: ``value`` against ``goal``; ``bound`` says what limits the value."""

    name: str
    value: float
    goal: float
    higher_is_better: bool
    bound: str

    @property
    def met(self) -> bool:
        return self.value >= self.goal if self.higher_is_better else self.value <= self.goal


@dataclass(frozen=True)
class Report:
    rows: list[Row]
    targets: list[Target]

    def to_dict(self) -> dict[str, Any]:
        return {"rows": [asdict(r) for r in self.rows],
                "targets": [asdict(t) | {"met": t.met} for t in self.targets]}


def cpu_seconds() -> tuple[float, float, float]:
    """CPU seconds so far: busy on this machine, stolen by the hypervisor, and used by this
    process; their differences over a benchmark show how much other work ran beside it."""
    own = sum(os.times()[:4])
    try:
        with open("/proc/stat") as f:
            user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in f.readline().split()[1:9])
    except (OSError, ValueError):
        return float("nan"), float("nan"), own
    tick = os.sysconf("SC_CLK_TCK")
    return (user + nice + system + irq + softirq) / tick, steal / tick, own


def other_cores(before: tuple[float, float, float], seconds: float) -> tuple[float, float]:
    """Cores used by other processes, and stolen by the hypervisor, on average since ``before``
    (a :func:`cpu_seconds` reading ``seconds`` ago)."""
    busy, steal, own = (b - a for a, b in zip(before, cpu_seconds()))
    return max(busy - own, 0) / seconds, steal / seconds


def disturbance(before: tuple[float, float, float], seconds: float) -> str:
    """:func:`other_cores` in words."""
    others, stolen = other_cores(before, seconds)
    return f"other processes {others:.2f} cores, stolen {stolen:.2f} cores"


def sync(xp: ModuleType) -> None:
    """Wait for the device (CuPy), so that a clock read after it sees finished work."""
    if xp is not np:
        xp.cuda.Device().synchronize()


def best_time(fn: Callable[[], Any], repeat: int, xp: ModuleType = np, warmup: int = 1) -> float:
    """Best wall time of ``fn()`` over ``repeat`` calls after ``warmup`` untimed ones (seconds)."""
    for _ in range(warmup):
        fn()
    sync(xp)
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        sync(xp)
        best = min(best, time.perf_counter() - start)
    return best


def _fmt(x: float | None) -> str:
    return "" if x is None else f"{x:.4g}"


def format_table(report: Report) -> str:
    """The headline rows, the other rows and the targets as plain-text (Markdown) tables."""
    header = ["| bench | case | value | unit | ratio | vs | note |", "|---|---|---|---|---|---|---|"]
    lines = []
    for rows in ([r for r in report.rows if r.headline], [r for r in report.rows if not r.headline]):
        if rows:
            lines += ([""] if lines else []) + header
            lines += [f"| {r.bench} | {r.case} | {_fmt(r.value)} | {r.unit} | {_fmt(r.ratio)} | {r.vs} | {r.note} |"
                      for r in rows]
    lines += ["", "| target | value | goal | met | bound |", "|---|---|---|---|---|"]
    lines += [f"| {t.name} | {_fmt(t.value)} | {'>=' if t.higher_is_better else '<='} {_fmt(t.goal)} | "
              f"{'met' if t.met else 'MISSED'} | {t.bound} |" for t in report.targets]
    return "\n".join(lines)
