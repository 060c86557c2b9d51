"""The simulations the verifier's ladders ask for, as typed requests, and the runner that runs
each distinct one once.

A request is a frozen (hashable, picklable) dataclass that says everything about one simulation
(``run(ctx)``, one task), a sweep (:class:`SweepRequest`: ``plan(ctx)``, its tasks) or a study
(``on_executor = True``: ``run(ctx, executor)`` sends its own tasks to the executor, e.g. the CNN)
except the run's settings
(:class:`verify.context.RunContext`: backend, dtype, root seed).  Ladders declare what they need;
:func:`run_requests` merges requests for the same Monte-Carlo stream (the union of their GLM
heads), runs every distinct single-task request and every sweep's tasks on the executor as one
queue (each sweep with its own resumable store), and returns every request's result (the runner
hands each ladder its own by the handles of its plan, :func:`verify._ladder.collect`).  Nothing
depends on the executor or on the order tasks finish in: each simulation draws from the stream its
request names.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any, Literal, Protocol, TypeGuard

from sim import (
    GLM,
    BNConfig,
    Executor,
    GridPoint,
    Job,
    SweepPlan,
    plan_sweep_grid,
    run_jobs,
    simulate_batch_noise,
    simulate_pn_wn,
)

from .context import RunContext

#: the order in which a merged stream draws its GLMs' labels (each GLM's labels come from the
#: chunk's generator in turn): fixed here, so no ladder's request changes another's numbers
GLM_ORDER: tuple[str, ...] = ("identity", "squared_loss", "relu", "softplus", "sigmoid", "tanh")


@dataclass(frozen=True)
class BatchNoiseRequest:
    """One Monte-Carlo stream of real BN (:func:`sim.simulate_batch_noise`) with its GLM heads."""

    input: str
    M: int
    samples: int
    gamma: float = 1.0
    beta: float = 0.0
    bias: bool = True
    glms: tuple[tuple[str, GLM], ...] = ()

    @property
    def key(self) -> str:
        """The stream's name: its seed is keyed by it, and it labels its checks."""
        extra = "" if (self.gamma, self.beta) == (1.0, 0.0) else f",gamma={self.gamma},beta={self.beta}"
        return f"{self.input},M={self.M}{extra}{'' if self.bias else ',no-bias'}"

    def stream(self) -> BatchNoiseRequest:
        """The same stream without heads: requests with equal streams are merged."""
        return replace(self, glms=())

    def run(self, ctx: RunContext) -> Any:
        return simulate_batch_noise(
            self.M, input=self.input, glms=dict(self.glms), gamma=self.gamma, beta=self.beta, bias=self.bias,
            samples=self.samples, seed=ctx.seed_sequence(self.key), backend=ctx.backend, dtype=ctx.dtype,
            chunk_samples=2**20, progress=None)


@dataclass(frozen=True)
class PNWNRequest:
    """PN against WN on Gaussian inputs with covariance ``a I`` (:func:`sim.simulate_pn_wn`)."""

    a: float
    gamma: float
    beta: float
    scales: tuple[float, ...]
    samples: int = 200_000

    def stream(self) -> PNWNRequest:
        return self

    def run(self, ctx: RunContext) -> Any:
        return simulate_pn_wn(self.a, self.gamma, self.beta, self.scales, samples=self.samples,
                              seed=ctx.seed_sequence("pn-wn"))


@dataclass(frozen=True)
class SweepRequest:
    """A teacher–student sweep (:func:`sim.sweep_grid`) over ``alphas`` at one ``N`` and batch
    sizes ``Ms`` (BN); the linear solvers always run in float64 (their checks are exact)."""

    kind: Literal["linear", "bn"]
    N: int
    alphas: tuple[float, ...]
    datasets: int
    teachers: int
    delta: float
    zetas: tuple[float, ...] | None = None
    config: BNConfig | None = None
    Ms: tuple[int, ...] | None = None
    gd: bool = False
    wn: bool = False
    predict: bool | int = True  #: BN: paired predictions over this many batch epochs (True: the default)
    seed_name: str = "part2.teacher_student"

    def directory(self, ctx: RunContext) -> Path | None:
        """Where its finished tasks are kept: named by a digest of the request, so a rerun of the
        same request resumes and a different one never mixes with it."""
        if ctx.results_dir is None:
            return None
        return Path(ctx.results_dir) / f"{self.kind}-{hashlib.sha1(repr(self).encode()).hexdigest()[:12]}"

    def grid(self) -> set[GridPoint]:
        """The points its result must have (:func:`verify._ladder.collect` checks them).

        Returns
        -------
        set of GridPoint
            Its ``N`` with each batch size (None for the linear solvers; the configuration's M when ``Ms``
            is not given, as :func:`sim.plan_sweep_grid` takes it) and each alpha.
        """
        Ms: tuple[int | None, ...] = (None,) if self.kind == "linear" else (
            self.Ms if self.Ms is not None else (self.config.M if self.config is not None else BNConfig().M,))
        return {GridPoint(self.N, M, float(a)) for M in Ms for a in self.alphas}

    def plan(self, ctx: RunContext, parallel: bool = True) -> SweepPlan:
        """Its tasks (:func:`sim.plan_sweep_grid`), for :func:`run_requests` to queue with the others'."""
        return plan_sweep_grid(
            self.kind, [self.N], self.alphas, Ms=self.Ms, seed=ctx.seed_sequence(self.seed_name),
            datasets=self.datasets, teachers=self.teachers, delta=self.delta, zetas=self.zetas, config=self.config,
            gd=self.gd, wn=self.wn, backend=ctx.backend, dtype="float64" if self.kind == "linear" else ctx.dtype,
            directory=self.directory(ctx), parallel=parallel, progress=None, predict=self.predict)


class StudyRequest(Protocol):
    """A study with its own plan of work (``on_executor = True``, e.g. :class:`verify.cnn.CNNStudyRequest`):
    ``run(ctx, executor)`` sends its tasks to the executor."""

    on_executor: bool

    def run(self, ctx: RunContext, executor: Executor) -> Any: ...


Request = BatchNoiseRequest | PNWNRequest | SweepRequest | StudyRequest


def _is_study(request: Request) -> TypeGuard[StudyRequest]:
    """Whether ``request`` is a study (it says so with ``on_executor = True``)."""
    return bool(getattr(request, "on_executor", False))


def _glm_rank(name: str) -> tuple[int, str]:
    return (GLM_ORDER.index(name), "") if name in GLM_ORDER else (len(GLM_ORDER), name)


def _merge(requests: list[BatchNoiseRequest | PNWNRequest]) -> dict[Any, Any]:
    """Each request -> the run that serves it: one per stream, with the union of its GLM heads."""
    heads: dict[Any, dict[str, GLM]] = {}
    for r in requests:
        union = heads.setdefault(r.stream(), {})
        for name, glm in getattr(r, "glms", ()):
            if union.setdefault(name, glm) != glm:
                raise ValueError(f"two requests of stream {r.stream()} give GLM {name!r} different heads")
    runs = {stream: replace(stream, glms=tuple(sorted(h.items(), key=lambda kv: _glm_rank(kv[0]))))
            if isinstance(stream, BatchNoiseRequest) else stream for stream, h in heads.items()}
    return {r: runs[r.stream()] for r in requests}


def _run_one(ctx: RunContext, request: BatchNoiseRequest | PNWNRequest) -> Any:
    """One task on a worker (module-level, so executors can ship it)."""
    return request.run(ctx)


def run_requests(requests: Iterable[Request], ctx: RunContext, executor: Executor) -> dict[Request, Any]:
    """Every request's result; each distinct simulation runs once (see the module docstring).

    The single simulations and every sweep's tasks go to the executor as one queue, in request
    order, so no worker idles at the end of one sweep while the next has work; a study with its
    own plan of work (the CNN) runs after them."""
    requests = list(dict.fromkeys(requests))
    sweeps = [r for r in requests if isinstance(r, SweepRequest)]
    studies = [r for r in requests if _is_study(r)]
    single = [r for r in requests if isinstance(r, (BatchNoiseRequest, PNWNRequest))]  # neither sweep nor study
    serving = _merge(single)
    parallel = executor.name != "serial"
    plans = [r.plan(ctx, parallel) for r in sweeps]
    done, *swept = run_jobs([Job(tuple(dict.fromkeys(serving.values())), partial(_run_one, ctx), sweep=False)]
                            + [p.job for p in plans], executor=executor)
    out: dict[Request, Any] = {r: done[serving[r]] for r in single}
    out.update({r: plan.collect(results) for r, plan, results in zip(sweeps, plans, swept)})
    out.update({r: r.run(ctx, executor) for r in studies})  # a study: its own tasks on the executor
    return {r: out[r] for r in requests}


def by_alpha(grid: dict[GridPoint, dict]) -> tuple[int, dict[float, dict]]:
    """A one-N, one-M sweep: its N (read from the result, the one owner of it) and its points keyed by alpha."""
    sizes = {(p.N, p.M) for p in grid}
    if len(sizes) != 1:
        raise ValueError("by_alpha needs a sweep at one N and one batch size")
    return sizes.pop()[0], {p.alpha: arrays for p, arrays in grid.items()}
