"""Benchmarks of bnreg against the baselines a researcher would write (not timed tests).

Each benchmark runs its baseline and bnreg in one process on the same data and reports the
ratio of their speeds, plus how far bnreg is from the machine's limit measured in the same run
(:mod:`bench.machine`).  ``python -m bench`` prints every table; ``pytest bench/`` runs each at
a tiny size.
"""

from __future__ import annotations

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
    """The rows and the targets as two plain-text (Markdown) tables."""
    lines = ["| bench | case | value | unit | ratio | vs | note |", "|---|---|---|---|---|---|---|"]
    lines += [f"| {r.bench} | {r.case} | {_fmt(r.value)} | {r.unit} | {_fmt(r.ratio)} | {r.vs} | {r.note} |"
              for r in report.rows]
    lines += ["", "| target | value | goal | met | bound |", "|---|---|---|---|---|"]
    lines += [f"| {t.name} | {_fmt(t.value)} | {'>=' if t.higher_is_better else '<='} {_fmt(t.goal)} | "
              f"{'met' if t.met else 'MISSED'} | {t.bound} |" for t in report.targets]
    return "\n".join(lines)
