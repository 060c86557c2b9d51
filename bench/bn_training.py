"""BN teacher-student training: bnreg's batched solver against the strongest baseline — PyTorch
with the R replicas as the R features of one ``Linear`` + ``BatchNorm1d`` — and against the naive
one (PyTorch, one replica at a time) and a plain NumPy loop, on the same data, initial weights,
batch order, step sizes and epochs (:mod:`bench.bn_references`).

Each library runs in a process of its own (:mod:`bench._bn_worker`); the cases are interleaved
over ``rounds`` and each keeps its best time, with a pause before each case so that the previous
library's threads have stopped spinning.  Every baseline's errors are compared with bnreg's
replica by replica: one trajectory computed twice agrees to roundoff.
"""

from __future__ import annotations

import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from types import ModuleType

import numpy as np

from sim import backend_name

from . import Row, Target
from ._bn_worker import LIBRARY, BNSize, Case, Result, run_case, run_phases, run_precision
from .machine import Machine

__all__ = ["AGREEMENT", "BNSize", "run"]

#: relative |eps - eps_ref| allowed between two computations of one trajectory: roundoff only
#: (measured ~1e-15 in float64 and ~1e-7 in float32 after 4 epochs at N = 4096)
AGREEMENT = {"float64": 1e-10, "float32": 1e-4}
PAUSE = 0.2  # seconds before each case: OpenBLAS and OpenMP threads spin ~0.1 s after their last call
DTYPES = ("float64", "float32")


def cases(size: BNSize, dtype: str) -> list[Case]:
    """The naive baselines (replica 0 of bnreg's largest run), bnreg alone, then each replica
    count with bnreg and batched PyTorch side by side."""
    R_max = max(size.replicas)
    out = [Case("torch", dt, 1, R_max) for dt in DTYPES]
    out += [Case("numpy-loop", dtype, 1, R_max), Case("bnreg", dtype, 1)]
    return out + [Case(impl, dt, R) for dt in DTYPES for R in size.replicas for impl in ("bnreg", "torch")]


def measure(size: BNSize, backend: str, dtype: str) -> tuple[dict[Case, Result], dict, tuple]:
    """Best result of every case over ``size.rounds`` interleaved rounds, bnreg's step phases at
    the largest R per precision, and the float32-against-float64 errors."""
    todo, best = cases(size, dtype), {}
    with ExitStack() as stack:
        spawn = multiprocessing.get_context("spawn")
        pools = {lib: stack.enter_context(ProcessPoolExecutor(1, mp_context=spawn)) for lib in set(LIBRARY.values())}
        for _ in range(size.rounds):
            for case in todo:
                time.sleep(PAUSE)
                res = pools[LIBRARY[case.impl]].submit(run_case, case, size, backend).result()
                if case not in best or res.seconds < best[case].seconds:
                    best[case] = res
        bnreg = pools["bnreg"]
        phases = {dt: bnreg.submit(run_phases, dt, max(size.replicas), size, backend).result() for dt in DTYPES}
        precision = bnreg.submit(run_precision, size, backend).result()
    return best, phases, precision


def _rate(res: Result, R: int, size: BNSize) -> float:
    return R * size.epochs / res.seconds


def _step_us(res: Result, size: BNSize) -> float:
    return res.seconds / (size.epochs * (size.P // size.M)) * 1e6


def _load(res: Result) -> str:
    """The process's CPU time and the other processes' load while it ran."""
    return f"CPU {res.cpu / res.seconds:.2f} x wall; others {res.others:.2f} cores"


def run(machine: Machine, xp: ModuleType = np, size: BNSize = BNSize(), dtype: str = "float64"
        ) -> tuple[list[Row], list[Target]]:
    """Every BN case, the headline rows (bnreg against batched PyTorch in each dtype, then the
    naive ratios) first; ``dtype`` is the precision of the NumPy loop and of bnreg's single-replica run, the rest
    run in float64 and float32."""
    import torch  # noqa: PLC0415 - the benchmark-only extra: its version for the notes

    best, phases, precision = measure(size, backend_name(xp), dtype)
    R_max = max(size.replicas)
    rows, targets, headline, headline_naive = [], [], [], []
    naive = {dt: best[Case("torch", dt, 1, R_max)] for dt in DTYPES}
    for dt in DTYPES:
        rows.append(Row("bn", f"naive: PyTorch {dt}, one replica at a time", _rate(naive[dt], 1, size),
                        "replica-epochs/s", note=f"{_step_us(naive[dt], size):.0f} us/step; torch {torch.__version__}; "
                                                 f"{_load(naive[dt])}"))
    loop = best[Case("numpy-loop", dtype, 1, R_max)]
    rows.append(Row("bn", f"NumPy loop {dtype}, one replica", _rate(loop, 1, size), "replica-epochs/s",
                    _rate(loop, 1, size) / _rate(naive[dtype], 1, size), f"naive PyTorch {dtype}",
                    f"{_step_us(loop, size):.0f} us/step; {_load(loop)}"))
    targets.append(_agreement(f"NumPy loop {dtype} vs bnreg replica 0", loop, best[Case("bnreg", dtype, R_max)],
                              dtype, 1))
    rows.append(_single_replica(best[Case("bnreg", dtype, 1)], naive[dtype], machine, size, dtype, targets))
    for dt in DTYPES:
        for R in size.replicas:
            ours, theirs = best[Case("bnreg", dt, R)], best[Case("torch", dt, R)]
            gflops = 4 * size.M * size.N * R / (_step_us(ours, size) * 1e-6) / 1e9
            ratio = _rate(ours, R, size) / _rate(theirs, R, size)
            rows.append(Row("bn", f"batched PyTorch {dt}, R={R}", _rate(theirs, R, size), "replica-epochs/s",
                            note=f"{_step_us(theirs, size):.0f} us/step; {_load(theirs)}"))
            rows.append(Row("bn", f"bnreg {dt}, R={R}", _rate(ours, R, size), "replica-epochs/s", ratio,
                            f"batched PyTorch {dt}", f"{_step_us(ours, size):.0f} us/step; {gflops:.1f} GFLOP/s = "
                                                     f"{gflops / machine.gflops[dt]:.0%} of matmul; {_load(ours)}"))
        ours, theirs = best[Case("bnreg", dt, R_max)], best[Case("torch", dt, R_max)]
        against_batched, against_naive = _headline(ours, theirs, naive[dt], machine, size, dt)
        headline.append(against_batched)
        headline_naive.append(against_naive)
        targets += _bound_targets(ours, theirs, phases[dt], machine, size, dt)
        targets.append(_agreement(f"batched PyTorch {dt} vs bnreg, all {R_max} replicas", theirs, ours, dt, R_max))
        targets.append(_agreement(f"naive PyTorch {dt} vs bnreg replica 0", naive[dt], ours, dt, 1))
    rows.append(_float32_against_float64(*precision, size))
    return headline + headline_naive + rows, targets


def _headline(ours: Result, theirs: Result, naive: Result, machine: Machine, size: BNSize, dt: str) -> list[Row]:
    """bnreg against batched PyTorch with its fraction of the matmul rate; then the naive ratio."""
    R = max(size.replicas)
    rate = _rate(ours, R, size)
    gflops = 4 * size.M * size.N * R / (_step_us(ours, size) * 1e-6) / 1e9
    return [Row("bn", f"bnreg {dt}, R={R}", rate, "replica-epochs/s", rate / _rate(theirs, R, size),
                f"batched PyTorch {dt} (R={R} BatchNorm1d features)",
                f"{_step_us(ours, size):.0f} vs {_step_us(theirs, size):.0f} us/step; bnreg at "
                f"{gflops / machine.gflops[dt]:.0%} of the measured {dt} matmul rate ({gflops:.0f} of "
                f"{machine.gflops[dt]:.0f} GFLOP/s)", headline=True),
            Row("bn", f"bnreg {dt}, R={R}", rate, "replica-epochs/s", rate / _rate(naive, 1, size),
                f"naive: PyTorch {dt}, one replica at a time", f"{_step_us(naive, size):.0f} us per one-replica step",
                headline=True)]


def _bound_targets(ours: Result, theirs: Result, phases: dict[str, float], machine: Machine, size: BNSize,
                   dt: str) -> list[Target]:
    """The issue's goals at the largest R, each with where bnreg's step time goes."""
    R = max(size.replicas)
    us = {name: seconds * 1e6 for name, seconds in phases.items()}
    step, products, torch_step = us["step"], us["products"], _step_us(theirs, size)
    peak = 4 * size.M * size.N * R / machine.gflops[dt] / 1e3  # both products at the matmul rate, us
    rest = step - us["gather"] - products - us["head"]
    where = (f"step {step:.0f} us = products {products:.0f} us ({peak / products:.0%} of the matmul rate: "
             f"{peak:.0f} us at it) + gather {us['gather']:.0f} us + BN head {us['head']:.0f} us + Python and "
             f"gamma {rest:.0f} us")
    ratio = _rate(ours, R, size) / _rate(theirs, R, size)
    return [Target(f"bnreg R={R} {dt} / batched PyTorch {dt} (replica-epochs/s)", ratio, 2.0, True,
                   f"PyTorch {torch_step:.0f} us/step; bnreg {where}; with nothing but its products bnreg would be "
                   f"{torch_step / products:.2f}x"),
            Target(f"bnreg R={R} {dt}: fraction of the matmul rate", peak / step, 0.8, True, where)]


def _single_replica(ours: Result, naive: Result, machine: Machine, size: BNSize, dtype: str,
                    targets: list[Target]) -> Row:
    """bnreg with one replica against one read of its rows per step (the memory bound)."""
    step = _step_us(ours, size)
    read = size.P * size.N * np.dtype(dtype).itemsize / (machine.read_gbs * 1e9) / (size.P // size.M) * 1e6
    targets.append(Target(f"bnreg R=1 {dtype}: epoch time / one read of X", step / read, 3.0, False,
                          f"{step:.0f} us/step against {read:.0f} us to read its {size.M} rows at "
                          f"{machine.read_gbs:.0f} GB/s: the one-thread row gather and ~25 NumPy calls per step"))
    return Row("bn", f"bnreg {dtype}, R=1", _rate(ours, 1, size), "replica-epochs/s",
               _rate(ours, 1, size) / _rate(naive, 1, size), f"naive PyTorch {dtype}",
               f"{step:.0f} us/step = {step / read:.2f}x one read of its rows; {_load(ours)}")


def _agreement(what: str, res: Result, ref: Result, dtype: str, replicas: int) -> Target:
    """Max relative |eps - eps_ref| over the first ``replicas`` of one trajectory computed twice."""
    a, b = np.array(res.eps[:replicas]), np.array(ref.eps[:replicas])
    diff = float(np.max(np.abs(a - b) / np.abs(b)))
    return Target(f"eps_gen {what} (same trajectory, max rel. diff)", diff, AGREEMENT[dtype], False,
                  f"eps {a[0]:.8f} vs {b[0]:.8f} (replica 0): roundoff of {dtype} over the run")


def _float32_against_float64(eps64: np.ndarray, eps32: np.ndarray, size: BNSize) -> Row:
    """Paired float32 - float64 eps over teachers after a longer run."""
    diff = eps32 - eps64
    mean, se = float(diff.mean()), float(diff.std(ddof=1) / np.sqrt(len(diff)))
    verdict = "acceptable: no difference beyond" if abs(mean) <= 3 * se else "DIFFERS by more than"
    return Row("bn", f"eps float32 - float64, {size.long_epochs} epochs, R={len(diff)}", mean, "eps",
               note=f"+- {se:.2g} (SE, paired by teacher); eps {eps64.mean():.4f} +- {eps64.std(ddof=1):.3f} "
                    f"(SD over teachers); float32 {verdict} 3 SE")
