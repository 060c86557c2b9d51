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


def _registrar(kind: str, doc: str):
    """A decorator method that adds the decorated function to the ladder's ``kind`` list."""
    def register(self: Ladder, fn: Callable) -> Callable:
        self._fns[kind].append(fn)
        return fn

    register.__name__, register.__doc__ = kind, doc
    return register


class Ladder:
    """The registry of one verify module (see the module docstring)."""

    def __init__(self, name: str, title: str) -> None:
        self.name, self.title = name, title
        self._fns: dict[str, list[Callable]] = {k: [] for k in ("requests", "checks", "claims", "figures", "arrays",
                                                                 "info")}

    requests = _registrar("requests", "``fn(ctx) -> [request, ...]``: simulations this ladder needs")
    checks = _registrar("checks", "``fn(ctx, results) -> [Check, ...]``")
    claim = _registrar("claims", "``fn(ctx, results) -> Claim``: one claim of the seed (or a list judged together)")
    figure = _registrar("figures", "``fn(ctx, results, folder) -> Path``: one figure (or a list), written into folder")
    arrays = _registrar("arrays", "``fn(ctx, results) -> {name: array}`` for the report's .npz")
    info = _registrar("info", "``fn(ctx, results) -> dict`` for the report's info")

    def needs(self, ctx: RunContext) -> list:
        """Every simulation this ladder asks for at this run's size."""
        return [r for fn in self._fns["requests"] for r in fn(ctx)]

    def evaluate(self, ctx: RunContext, results: Results, figures_dir: Path | None) -> LadderResult:
        """Checks, claims, arrays and info from the results; figures too when ``figures_dir`` is given."""
        out, fns = LadderResult(), self._fns
        out.checks += [c for fn in fns["checks"] for c in fn(ctx, results)]
        out.claims += [c for fn in fns["claims"] for c in _listed(fn(ctx, results))]
        for fn in fns["arrays"]:
            out.arrays.update(fn(ctx, results))
        for fn in fns["info"]:
            out.info.update(fn(ctx, results))
        if figures_dir is not None:
            figures_dir.mkdir(parents=True, exist_ok=True)
            out.figures += [str(f) for fn in fns["figures"] for f in _listed(fn(ctx, results, figures_dir))]
        return out


def _listed(value) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value]


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
