"""Plain GD and WN without gamma decay (seed §2.3, solvers (a) and (d)): bnreg's side-by-side
solvers on rows (:func:`sim.gradient_descents`) against the textbook form, ``X^T X V``
on columns, one solver after the other, on the same data and the same step."""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

import numpy as np

from sim import array_namespace, keyed_seed, teacher_data
from sim.kernels import gradient_descents, smaller_gram

from . import Row, Target, best_time
from .machine import Machine

SEED = np.random.SeedSequence(20261201)


@dataclass(frozen=True)
class GDSize:
    N: int = 4096
    alphas: tuple[float, ...] = (0.5, 2.0)  #: the --full sweep's: X twice per iteration below 1, its Gram above
    teachers: int = 8
    delta: float = 0.5
    tol: float = 1e-9


def _columns(X, Y, tol: float) -> dict[str, tuple[np.ndarray, int]]:
    """The baseline: both solvers on columns (``W`` (N, T)), each on its own, as first written."""
    xp = array_namespace(X)
    P = X.shape[0]
    gram = X.T @ X / P if P >= X.shape[1] else None
    normal = (lambda V: gram @ V) if gram is not None else (lambda V: X.T @ (X @ V) / P)
    xty = X.T @ Y / P
    v = xp.ones(X.shape[1], dtype=X.dtype) / np.sqrt(X.shape[1])
    for _ in range(60):
        u = normal(v)
        v = u / xp.linalg.norm(u)
    step, target = 1.0 / (1.05 * float(xp.linalg.norm(u))), tol * xp.linalg.norm(xty, axis=0)
    W, out = xp.zeros_like(xty), {}
    for it in range(1, 200_001):
        grad = normal(W) - xty
        if bool(xp.all(xp.linalg.norm(grad, axis=0) <= target)):
            break
        W = W - step * grad
    out["gd"] = (W, it)
    W, gamma = xty / xp.linalg.norm(xty, axis=0), xp.zeros(Y.shape[1], dtype=X.dtype)
    for it in range(1, 200_001):
        norm = xp.linalg.norm(W, axis=0)
        U = W / norm
        grad_v = normal(gamma * U) - xty
        if bool(xp.all(xp.linalg.norm(grad_v, axis=0) <= target)):
            break
        grad_gamma = (grad_v * U).sum(axis=0)
        W = W - step * norm**2 * (gamma / norm) * (grad_v - grad_gamma * U)
        gamma = gamma - step * grad_gamma
    out["wn"] = (gamma * U, it)
    return out


def run(machine: Machine, xp: ModuleType = np, size: GDSize = GDSize(), dtype: str = "float64"
        ) -> tuple[list[Row], list[Target]]:
    rows, targets = [], []
    for alpha in size.alphas:
        N, P = size.N, int(round(alpha * size.N))
        X, Y, _ = teacher_data(N, P, size.delta, keyed_seed(SEED, "data", N, P), xp, dtype, size.teachers)
        got: dict[str, dict] = {}
        t_base = best_time(lambda: got.update(base=_columns(X, Y, size.tol)), 1, xp, warmup=0)
        t_ours = best_time(lambda: got.update(ours=gradient_descents(X, Y, gram=smaller_gram(X), tol=size.tol)),
                           1, xp, warmup=0)
        diff = max(float(xp.max(xp.abs(got["ours"][k].weights - got["base"][k][0]))) for k in ("gd", "wn"))
        its = {who: ", ".join(f"{k} {n} iterations" for k, n in counts.items()) for who, counts in
               (("base", {k: got["base"][k][1] for k in ("gd", "wn")}),
                ("ours", {k: got["ours"][k].iterations for k in ("gd", "wn")}))}
        case = f"alpha {alpha:g}, N {N}, {size.teachers} teachers, {dtype}"
        rows += [Row("gd", f"GD then WN on columns, {case}", t_base, "s", note=its["base"]),
                 Row("gd", f"bnreg GD and WN side by side on rows, {case}", t_ours, "s", t_base / t_ours,
                     "columns, one after the other", f"{its['ours']}; max |w - w_baseline| {diff:.1e}")]
        targets.append(Target(f"gd/wn weights: bnreg vs columns at alpha {alpha:g} (max abs diff)", diff,
                              1e-8 if dtype == "float64" else 1e-3, False, "the same iteration; roundoff"))
    return rows, targets
