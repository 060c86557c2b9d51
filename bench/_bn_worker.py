"""One library's side of the BN benchmark, in a process of its own.

:mod:`bench.bn_training` starts one process per library (bnreg, PyTorch, the NumPy loop) and
hands them their cases one at a time, so no library's BLAS or OpenMP threads share a process
with another's: NumPy and SciPy each bring an OpenBLAS, PyTorch brings MKL on OpenMP, and a
thread pool spinning after its last call takes a core from the next library.  Each process
builds the same data from the same seeds, so all see the same X, labels, initial weights and
batch order; each run reports the cores other processes used while it ran.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from sim import BNConfig, get_xp, keyed_seed, teacher_data, train_bn
from sim.kernels import batch_products, bn_gradients, row_gather

from . import best_time, cpu_seconds, other_cores, sync
from .bn_references import numpy_loop, population_errors, replay_draws, torch_batched, torch_inputs

SEED = np.random.SeedSequence(20240611)
WARMUP_STEPS = 16  # untimed steps (at most an epoch) before each timed run: allocations, thread start-up
LIBRARY = {"bnreg": "bnreg", "torch": "torch", "numpy-loop": "numpy"}  # implementation -> its process


@dataclass(frozen=True)
class BNSize:
    N: int = 4096
    alpha: float = 2.0
    M: int = 32
    delta: float = 0.5
    epochs: int = 4  # of each timed run
    replicas: tuple[int, ...] = (16, 64, 128)
    rounds: int = 2  # timed runs of each case, interleaved with the other cases' (best kept)
    threads: int | None = None  # BLAS and OpenMP threads of each library (None: one per core)
    long_epochs: int = 16  # float32 against float64, over long_replicas teachers
    long_replicas: int = 128

    @property
    def P(self) -> int:
        return int(self.alpha * self.N)

    @property
    def teachers(self) -> int:
        return max(*self.replicas, self.long_replicas)

    def config(self, epochs: int | None = None) -> BNConfig:
        return BNConfig(M=self.M, epochs=self.epochs if epochs is None else epochs, min_steps=0)


@dataclass(frozen=True)
class Case:
    """Replicas ``0..R-1`` of ``train_bn``'s run of ``of`` replicas (its initial weights and batch
    order depend on ``of``), trained by ``impl`` in ``dtype``."""

    impl: str  # a key of LIBRARY
    dtype: str
    R: int
    of: int = 0  # 0: R

    @property
    def run_of(self) -> int:
        return self.of or self.R


@dataclass(frozen=True)
class Result:
    seconds: float  # wall time
    cpu: float  # CPU seconds of the process (all its threads, spinning ones too) in that time
    eps: tuple[float, ...]  # population error per replica (float64)
    others: float  # cores used by other processes while it ran


class _Context:
    """A process's data: X and labels in float64 and float32, teachers, draws per precision."""

    def __init__(self, size: BNSize, backend: str):
        self.size, self.xp = size, get_xp(backend)
        self.threads = size.threads or len(os.sched_getaffinity(0))
        threadpool_limits(self.threads)  # for the life of this process
        X, Y, self.W_star = teacher_data(size.N, size.P, size.delta, keyed_seed(SEED, "data"), self.xp, "float64",
                                         size.teachers)
        self.data = {"float64": (X, Y), "float32": (X.astype("float32"), Y.astype("float32"))}
        self.seed = keyed_seed(SEED, "train")
        self._draws: dict[tuple[str, int], tuple[Any, list[Any]]] = {}
        self._tensors: dict[tuple[str, int], tuple[Any, ...]] = {}

    def draws(self, dtype: str, of: int) -> tuple[Any, list[Any]]:
        """The initial weights (N, of) and batch orders of ``train_bn``'s run of ``of`` replicas."""
        if (dtype, of) not in self._draws:
            s = self.size
            self._draws[dtype, of] = replay_draws(self.xp, self.seed, s.config(), s.N, s.P, of, dtype)
        return self._draws[dtype, of]

    def tensors(self, dtype: str, of: int) -> tuple[Any, ...]:
        """:meth:`draws` and the data as tensors (X, Y (P, T), W0^T (of, N), orders)."""
        import torch  # noqa: PLC0415 - only the PyTorch process imports it

        if not self._tensors:
            torch.set_num_threads(self.threads)
        if (dtype, of) not in self._tensors:
            device = "cuda" if self.xp is not np and torch.cuda.is_available() else "cpu"
            self._tensors[dtype, of] = torch_inputs(*self.data[dtype], *self.draws(dtype, of), device)
        return self._tensors[dtype, of]


_CONTEXT: dict[tuple[BNSize, str], _Context] = {}


def context(size: BNSize, backend: str) -> _Context:
    key = (size, backend)
    if key not in _CONTEXT:
        _CONTEXT.clear()
        _CONTEXT[key] = _Context(size, backend)
    return _CONTEXT[key]


def _timed(fn, sync_fn) -> tuple[Any, float, float, float]:
    """``fn()``, its wall and process CPU seconds, and the cores other processes used meanwhile."""
    sync_fn()
    cpu = cpu_seconds()
    start, own = time.perf_counter(), time.process_time()
    out = fn()
    sync_fn()
    seconds, own = time.perf_counter() - start, time.process_time() - own
    return out, seconds, own, other_cores(cpu, seconds)[0]


def _runner(ctx: _Context, case: Case):
    """``(train(cfg) -> (w (N, R), gamma (R,)), sync)`` for ``case``."""
    X, Y = ctx.data[case.dtype]
    R = case.R
    if case.impl == "bnreg":
        if case.run_of != R:
            raise ValueError("bnreg trains all replicas of its run")
        labels = ctx.xp.ascontiguousarray(Y[:, :R])

        def bnreg(cfg):
            state = train_bn(X, labels, cfg, ctx.seed)[-1]
            return state.w, state.gamma
        return bnreg, lambda: sync(ctx.xp)
    if case.impl == "numpy-loop":
        w0, orders = ctx.draws(case.dtype, case.run_of)
        return (lambda cfg: numpy_loop(X, Y[:, 0], w0[:, 0], orders, cfg)), lambda: sync(ctx.xp)
    import torch  # noqa: PLC0415

    Xt, Yt, Wt0, orders_t = ctx.tensors(case.dtype, case.run_of)
    Yr, Wr = Yt[:, :R].contiguous(), Wt0[:R].contiguous()
    torch_sync = torch.cuda.synchronize if Xt.is_cuda else (lambda: None)
    return (lambda cfg: torch_batched(Xt, Yr, Wr, orders_t, cfg)), torch_sync


def run_case(case: Case, size: BNSize, backend: str) -> Result:
    """Train ``case`` for ``size.epochs`` after a few untimed steps; its wall time and errors."""
    ctx = context(size, backend)
    train, sync_fn = _runner(ctx, case)
    train(BNConfig(M=size.M, epochs=0, min_steps=min(WARMUP_STEPS, size.P // size.M)))
    (w, gamma), seconds, own, others = _timed(lambda: train(size.config()), sync_fn)
    eps = population_errors(w, gamma, ctx.W_star[:, :case.R])
    return Result(seconds, own, tuple(float(e) for e in eps), others)


def run_phases(dtype: str, R: int, size: BNSize, backend: str, repeat: int = 2) -> dict[str, float]:
    """Seconds per step of ``train_bn`` (a timed run) and of the phases of its step, each a pass
    over one epoch's batches with the functions it uses: the row gather (inputs and labels), the
    two products (on one gathered batch), and the BN head (on a copy of one batch's
    pre-activations).  Passes interleaved, best of ``repeat``; what the phases leave of the step
    is Python, the update of gamma and, once per run, the initial draws."""
    ctx = context(size, backend)
    xp, (X, Y) = ctx.xp, ctx.data[dtype]
    M, steps = size.M, size.P // size.M
    order = ctx.draws(dtype, R)[1][0]
    labels_all = xp.ascontiguousarray(Y[:, :R])
    batch, labels = xp.empty((M, size.N), dtype=X.dtype), xp.empty((M, R), dtype=X.dtype)
    gather_rows, gather_labels = row_gather(X, batch), row_gather(labels_all, labels)
    forward, update = batch_products(xp, R, X.dtype)
    Wt, gamma = xp.ascontiguousarray(ctx.draws(dtype, R)[0].T), xp.ones(R, dtype=X.dtype)
    gather_rows(order[:M])
    H, zero = forward(batch, Wt), xp.zeros((R, M), dtype=X.dtype).T  # dH = 0 (Fortran order): Wt stays

    def gather():
        for k in range(steps):
            gather_rows(order[k * M:(k + 1) * M])
            gather_labels(order[k * M:(k + 1) * M])

    def products():
        for _ in range(steps):
            forward(batch, Wt)
            update(Wt, zero, batch)

    def head():
        for _ in range(steps):
            bn_gradients(H.copy(), labels, gamma, 1e-3)

    run = size.config()
    passes = {"step": lambda: train_bn(X, labels_all, run, ctx.seed), "gather": gather, "products": products,
              "head": head}
    per_pass = {name: run.steps(size.P) if name == "step" else steps for name in passes}
    best = dict.fromkeys(passes, float("inf"))
    for _ in range(repeat):
        for name, fn in passes.items():
            best[name] = min(best[name], best_time(fn, 1, xp, warmup=0) / per_pass[name])
    return best


def run_precision(size: BNSize, backend: str) -> tuple[np.ndarray, np.ndarray]:
    """Population errors per teacher after ``size.long_epochs`` in float64 and in float32 (same
    X, teachers, initialization and batch order: only the precision differs)."""
    ctx = context(size, backend)
    R, cfg = size.long_replicas, size.config(size.long_epochs)
    eps = []
    for dt in ("float64", "float32"):
        X, Y = ctx.data[dt]
        state = train_bn(X, ctx.xp.ascontiguousarray(Y[:, :R]), cfg, ctx.seed)[-1]
        eps.append(population_errors(state.w, state.gamma, ctx.W_star[:, :R]))
    return eps[0], eps[1]
