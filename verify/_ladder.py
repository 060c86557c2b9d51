"""A ladder: one result's verification in one module — the simulations it needs, its checks, the
seed's claims about it, its figures and arrays — registered by decorators, so that adding a claim
is adding one decorated function.

Every registered function takes the run's :class:`~verify.context.RunContext` first; all but the
request functions take the simulations' results second.  A request function returns the ladder's
plan: a mapping from a handle (e.g. a :class:`verify._streams.Stream`) to the request that serves
it, or a list of requests, each its own handle.  The results are keyed by those handles, each
checked against its handle where it comes back (:func:`collect`), and a claim names the handles it
reads (``@LADDER.claim(needs=...)``), which :meth:`Ladder.plan` checks before any simulation.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from theory.errors import BadInput

from .check import Check
from .claim import Claim
from .context import RunContext
from .requests import SweepRequest

Results = Mapping[Any, Any]
Plan = dict[Hashable, Any]
#: the settings a handle and its result may both carry: where both do, they must agree
SETTINGS: tuple[str, ...] = ("input", "M", "gamma", "beta", "bias")


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
        self._needs: dict[str, tuple[Hashable, ...]] = {}

    requests = _registrar("requests", "``fn(ctx) -> {handle: request}`` (or ``[request, ...]``): its simulations")
    checks = _registrar("checks", "``fn(ctx, results) -> [Check, ...]``")
    figure = _registrar("figures", "``fn(ctx, results, folder) -> Path``: one figure (or a list), written into folder")
    arrays = _registrar("arrays", "``fn(ctx, results) -> {name: array}`` for the report's .npz")
    info = _registrar("info", "``fn(ctx, results) -> dict`` for the report's info")

    def claim(self, fn: Callable | None = None, *, needs: tuple[Hashable, ...] = ()) -> Callable:
        """``fn(ctx, results) -> Claim``: one claim of the seed (or a list judged together).

        Parameters
        ----------
        fn : callable, optional
            The claim (omitted when the decorator is called with ``needs``).
        needs : tuple of handles, default ()
            The results it reads by handle, which :meth:`plan` checks are planned.

        Returns
        -------
        callable
            ``fn``, or the decorator that registers it.
        """
        if fn is None:
            return partial(self.claim, needs=needs)
        self._fns["claims"].append(fn)
        self._needs[fn.__name__] = needs
        return fn

    def plan(self, ctx: RunContext) -> Plan:
        """Every simulation this ladder asks for at this run's size, by handle.

        Parameters
        ----------
        ctx : RunContext
            The run's settings.

        Returns
        -------
        dict
            Each handle -> its request, in the order the request functions give them.

        Raises
        ------
        BadInput
            If a claim needs a handle the plan lacks (one line naming the claim).
        """
        out: Plan = {}
        for fn in self._fns["requests"]:
            asked = fn(ctx)
            out.update(asked if isinstance(asked, Mapping) else {r: r for r in asked})
        for name, needs in self._needs.items():
            for handle in needs:
                if handle not in out:
                    raise BadInput(f"claim {self.name}.{name} needs {_label(handle)}, which the {ctx.mode} plan of "
                                   f"{self.name} lacks")
        return out

    def evaluate(self, ctx: RunContext, results: Results, figures_dir: Path | None) -> LadderResult:
        """Checks, claims, arrays and info from the results (by handle, :func:`collect`); figures too when
        ``figures_dir`` is given."""
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


def collect(plan: Plan, sims: Mapping[Any, Any]) -> dict[Hashable, Any]:
    """Each handle's result, checked to be its own: every setting of :data:`SETTINGS` that both
    the handle and the result carry (the batch size M first) must agree, and a sweep's result must
    have exactly the grid points (N, M, alpha) its request asked for.

    Parameters
    ----------
    plan : dict
        Handle -> request (:meth:`Ladder.plan`).
    sims : mapping
        Request -> result (:func:`verify.requests.run_requests`).

    Returns
    -------
    dict
        Handle -> result, in the plan's order.

    Raises
    ------
    ValueError
        If a result's setting differs from its handle's, or a sweep's points from its request's.
    """
    out = {}
    for handle, request in plan.items():
        result = sims[request]
        for name in SETTINGS:
            mine, theirs = getattr(handle, name, None), getattr(result, name, None)
            if mine is not None and theirs is not None and mine != theirs:
                raise ValueError(f"the result for {_label(handle)} has {name}={theirs!r}, not {mine!r}")
        if isinstance(request, SweepRequest) and set(result) != request.grid():
            raise ValueError(f"the result for {_label(handle)} has the grid points (N, M, alpha) {_points(result)}, "
                             f"not the {_points(request.grid())} it asked for")
        out[handle] = result
    return out


def _label(handle: Hashable) -> str:
    """A handle's name in a message: its ``key`` where it has one."""
    return str(getattr(handle, "key", handle))


def _points(grid) -> list[tuple]:
    """A sweep's grid points as sorted (N, M, alpha) tuples, for a message (M None for the linear solvers)."""
    return sorted(((p.N, p.M, p.alpha) for p in grid), key=lambda t: (t[0], t[1] or 0, t[2]))


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
