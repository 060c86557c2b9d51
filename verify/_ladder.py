"""A ladder: one result's verification in one module — the simulations it needs, its checks, the
seed's claims about it, its figures and arrays — registered by decorators, so that adding a claim
is adding one decorated function.

Every registered function takes the run's :class:`~verify.context.RunContext` first; all but the
request functions take the simulations' results second (a mapping from each request the module
made to its result, see :func:`verify.requests.run_requests`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .check import Check
from .claim import Claim
from .context import RunContext

Results = Mapping[Any, Any]


@dataclass
class LadderResult:
    """What one ladder hands back: checks, claims, figures written, arrays for the ``.npz``, info."""

    checks: list[Check] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)


class Ladder:
    """The registry of one verify module (see the module docstring)."""

    def __init__(self, name: str, title: str) -> None:
        self.name, self.title = name, title
        self._requests: list[Callable[[RunContext], list]] = []
        self._checks: list[Callable[[RunContext, Results], list[Check]]] = []
        self._claims: list[Callable[[RunContext, Results], Claim]] = []
        self._figures: list[Callable[[RunContext, Results, Path], Path]] = []
        self._arrays: list[Callable[[RunContext, Results], dict[str, np.ndarray]]] = []
        self._info: list[Callable[[RunContext, Results], dict[str, Any]]] = []

    def requests(self, fn: Callable[[RunContext], list]) -> Callable[[RunContext], list]:
        self._requests.append(fn)
        return fn

    def checks(self, fn):
        self._checks.append(fn)
        return fn

    def claim(self, fn):
        self._claims.append(fn)
        return fn

    def figure(self, fn):
        self._figures.append(fn)
        return fn

    def arrays(self, fn):
        self._arrays.append(fn)
        return fn

    def info(self, fn):
        self._info.append(fn)
        return fn

    @property
    def claim_ids(self) -> list[str]:
        """The names of the registered claim functions (one claim each)."""
        return [fn.__name__ for fn in self._claims]

    def needs(self, ctx: RunContext) -> list:
        """Every simulation this ladder asks for at this run's size."""
        return [r for fn in self._requests for r in fn(ctx)]

    def evaluate(self, ctx: RunContext, results: Results, figures_dir: Path | None) -> LadderResult:
        """Checks, claims, arrays and info from the results; figures too when ``figures_dir`` is given."""
        out = LadderResult()
        for fn in self._checks:
            out.checks += fn(ctx, results)
        out.claims += [fn(ctx, results) for fn in self._claims]
        for fn in self._arrays:
            out.arrays.update(fn(ctx, results))
        for fn in self._info:
            out.info.update(fn(ctx, results))
        if figures_dir is not None:
            figures_dir.mkdir(parents=True, exist_ok=True)
            out.figures += [str(fn(ctx, results, figures_dir)) for fn in self._figures]
        return out


def pyplot():
    """Matplotlib's pyplot on the non-interactive Agg backend (imported only when drawing)."""
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    return plt


def save_figure(plt, fig, path: Path, dpi: int = 120) -> Path:
    """Lay out, write and close ``fig``; returns ``path``."""
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path
