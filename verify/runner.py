"""Run the verifier's ladders: collect the simulations every selected ladder asks for, run each
distinct one once on the executor, and hand every ladder its results."""

from __future__ import annotations

import importlib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sim import Executor
from theory.errors import BadInput

from ._ladder import Ladder, LadderResult, collect
from .context import RunContext
from .requests import run_requests

#: every ladder, one module of verify/ each, in the order of the seed
LADDERS: tuple[str, ...] = ("batch_statistics", "normalization_error", "gamma_decay", "pn_wn", "teacher_student",
                            "bn_student")
#: ladders a run includes only when asked (they need an extra, e.g. PyTorch for the CNN study)
OPTIONAL: tuple[str, ...] = ("cnn", "network")


def ladder(name: str) -> Ladder:
    """The ladder of ``verify/<name>.py``; ValueError for an unknown name."""
    if name not in LADDERS + OPTIONAL:
        raise BadInput(f"unknown ladder {name!r}: choose from {', '.join(LADDERS + OPTIONAL)}")
    return importlib.import_module(f"verify.{name}").LADDER


@dataclass
class Run:
    """Every selected ladder's result, in order, and where the time went.

    Parameters
    ----------
    results : dict of str to LadderResult
        Each ladder's result, by name.
    seconds : dict of str to float
        Wall time per ladder and of the simulations.
    """

    results: dict[str, LadderResult] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def checks(self) -> list:
        """Every ladder's checks, in order."""
        return [c for r in self.results.values() for c in r.checks]

    @property
    def claims(self) -> list:
        """Every ladder's claims, in order."""
        return [c for r in self.results.values() for c in r.claims]


def run(ctx: RunContext, names: Sequence[str] = LADDERS, *, executor: Executor | None = None,
        figures: Path | None = None) -> Run:
    """Run the ladders ``names``; figures are drawn into ``figures`` when it is given.

    Parameters
    ----------
    ctx : RunContext
        The run's settings.
    names : sequence of str, default LADDERS
        The ladders to run.
    executor : Executor, optional
        Runs the simulations (default: this process).
    figures : Path, optional
        Folder for the figures.

    Returns
    -------
    Run
        The results.

    Raises
    ------
    BadInput
        If a name is not a ladder, or a claim needs a result its ladder's plan lacks (before any
        simulation).
    ValueError
        If a result's settings differ from its handle's.
    """
    ladders = [ladder(n) for n in names]
    plans = [lad.plan(ctx) for lad in ladders]
    out, start = Run(), time.perf_counter()
    sims = run_requests([r for plan in plans for r in plan.values()], ctx, executor or Executor())
    out.seconds["simulations"] = time.perf_counter() - start
    for lad, plan in zip(ladders, plans):
        t = time.perf_counter()
        out.results[lad.name] = lad.evaluate(ctx, collect(plan, sims), figures)
        out.seconds[lad.name] = time.perf_counter() - t
    return out
