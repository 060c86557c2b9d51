"""The ridge (WN + gamma decay) sweep over many zeta: bnreg's one eigendecomposition
(:class:`sim._ts_linear.RidgeSpectrum`) against a linear solve per zeta."""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

import numpy as np

from sim import RidgeSpectrum, array_namespace, keyed_seed, teacher_data, to_numpy

from . import Row, Target, best_time
from .machine import Machine

SEED = np.random.SeedSequence(20240612)


@dataclass(frozen=True)
class RidgeSize:
    N: int = 4096
    alpha: float = 2.0
    delta: float = 0.5
    zetas: int = 200  # the sweep
    timed: int = 8  # zetas actually solved by the per-zeta baseline (its time is scaled to the sweep)
    timed_literal: int = 2  # the same with the Gram matrix formed inside each solve


def per_zeta_solve(X, y, zeta: float, gram=None):
    """``v = (X^T X/N + zeta I)^{-1} X^T y/N`` by one ``solve``; ``gram`` (``X^T X/N``) if already formed."""
    xp = array_namespace(X)
    N = X.shape[1]
    gram = X.T @ X / N if gram is None else gram
    return xp.linalg.solve(gram + zeta * xp.eye(N, dtype=X.dtype), X.T @ y / N)


def run(machine: Machine, xp: ModuleType = np, size: RidgeSize = RidgeSize(), dtype: str = "float64"
        ) -> tuple[list[Row], list[Target]]:
    N, P = size.N, int(size.alpha * size.N)
    X, Y, W_star = teacher_data(N, P, size.delta, keyed_seed(SEED, "data"), xp, dtype)
    zetas = np.logspace(-3, 1, size.zetas)
    timed = zetas[:: max(1, size.zetas // size.timed)][: size.timed]
    errors = {}

    def sweep():
        errors["bnreg"] = RidgeSpectrum.from_data(X, Y, W_star).errors(zetas)[0]

    t_ours = best_time(sweep, 1, xp, warmup=0)
    gram = X.T @ X / N
    t_gram = best_time(lambda: X.T @ X / N, 1, xp, warmup=0)
    v = {}
    t_solve = best_time(lambda: v.update({z: per_zeta_solve(X, Y, z, gram) for z in timed}), 1, xp,
                        warmup=0) / len(timed)
    t_literal = best_time(lambda: [per_zeta_solve(X, Y, z) for z in timed[: size.timed_literal]], 1, xp,
                          warmup=0) / size.timed_literal
    ref = np.array([float(to_numpy(((v[z] - W_star) ** 2).sum())) for z in timed])
    ours = errors["bnreg"][np.searchsorted(zetas, timed)]
    diff = float(np.max(np.abs(ours - ref) / ref))
    base_literal = size.zetas * t_literal
    base_gram_once = t_gram + size.zetas * t_solve
    unit, peak = f"s / {size.zetas} zeta", machine.gflops[dtype]
    lu, gram_rate = 2 * N**3 / 3 / t_solve / 1e9, 2 * P * N**2 / t_gram / 1e9
    rows = [
        Row("ridge", f"per-zeta solve as written (forms X^T X each time), {dtype}", base_literal, unit,
            note=f"{t_literal:.3g} s per zeta, timed on {size.timed_literal} and scaled"),
        Row("ridge", f"per-zeta solve, X^T X formed once, {dtype}", base_gram_once, unit,
            note=f"Gram {t_gram:.3g} s ({gram_rate:.0f} GFLOP/s counted as a product: X^T X is a half-cost "
                 f"syrk) + {t_solve:.3g} s per solve (LU {lu:.0f} GFLOP/s = {lu / peak:.0%} of matmul), timed on "
                 f"{len(timed)} zeta and scaled"),
        Row("ridge", f"bnreg RidgeSpectrum (one eigh), {dtype}", t_ours, unit, base_literal / t_ours,
            "solve as written", f"{base_gram_once / t_ours:.1f}x the Gram-once solve, bounded by "
                                f"{size.zetas} / {t_ours / t_solve:.1f} (bnreg's time in solves); max rel. diff of eps "
                                f"{diff:.1e} at the {len(timed)} timed zeta"),
    ]
    targets = [
        Target(f"ridge sweep {size.zetas} zeta / per-zeta solve as written", base_literal / t_ours, 20.0, True,
               f"bnreg {t_ours:.3g} s = Gram {t_gram:.3g} s + eigh and projections {t_ours - t_gram:.3g} s; "
               f"the one-liner {t_literal:.3g} s per zeta"),
        Target("ridge eps_gen: bnreg vs solve (max rel. diff)", diff, 1e-8 if dtype == "float64" else 1e-3, False,
               "roundoff"),
    ]
    return rows, targets
