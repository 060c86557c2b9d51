"""Teacher–student solvers of seed §2.3 at any N (default 4096), replicas batched, resumable sweeps.

* :func:`linear_point` — (a) min-norm least squares by a stable solve and plain GD from zero,
  (b) WN + gamma decay = ridge for every zeta from one eigendecomposition, (d) WN without decay.
* :func:`bn_point` — (c) the BN student trained by minibatch SGD (see :mod:`sim._ts_bn`).
* :func:`sweep` — either over a list of alpha, saved point by point (JSON + ``.npz``) and resumed.
* :func:`fit_effective_zeta` — (e) the gamma decay that best explains a curve, with its interval.

The data set of replica ``r`` at ``P`` samples is the same for every solver (keyed by ``P, r``),
so the BN and ridge points at one alpha see identical data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np

from ._backend import backend_name, get_xp
from ._ts_bn import BNConfig, bn_test_errors, train_bn
from ._ts_data import check_size, child_seed, teacher_data
from ._ts_fit import ZetaFit, fit_effective_zeta
from ._ts_linear import (
    RidgeSpectrum,
    effective_error,
    gradient_descent_least_squares,
    gradient_descent_weight_norm,
    min_norm_least_squares,
)
from ._ts_store import SweepStore, run_points

__all__ = ["BNConfig", "ZetaFit", "bn_point", "fit_effective_zeta", "linear_point", "samples_for", "sweep"]


def samples_for(N: int, alpha: float) -> int:
    """``P = round(alpha N)``; ValueError for ``alpha <= 0`` or ``N < 2``."""
    if not np.isfinite(alpha) or alpha <= 0:
        raise ValueError(f"alpha must be finite and > 0, got {alpha!r}")
    check_size(N, 1, 0.0)
    return max(1, int(round(alpha * N)))


def _check_common(replicas: int, seed: np.random.SeedSequence) -> None:
    if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 1:
        raise ValueError(f"replicas must be an integer >= 1, got {replicas!r}")
    if not isinstance(seed, np.random.SeedSequence):
        raise ValueError(f"seed must be a numpy.random.SeedSequence, got {type(seed).__name__}")


def linear_point(N: int, alpha: float, zetas=None, delta: float = 0.5, *, replicas: int,
                 seed: np.random.SeedSequence, gd: bool = False, wn: bool = False,
                 backend: str = "numpy", dtype: str = "float64") -> dict[str, np.ndarray]:
    """Solvers (a), (b), (d) on ``replicas`` data sets at ``P = round(alpha N)``.

    Returns ``ls`` (R,); unless ``zetas`` is None, ``ridge`` (R, Z) — ``||v - w*||^2`` at every
    ridge-convention zeta —,
    ``ridge_conditional`` (R, Z) — ``E[eps | X]`` (exact given the spectrum) —, ``ridge_variance`` (R, Z) —
    ``Var[eps | X]``, exact —, ``stieltjes``
    (R, Z) — ``(1/N) tr (S + zeta)^{-1}`` —, and when asked
    ``gd``/``wn`` (R,) with their iteration counts.  ``ls`` is NaN when ``|P - N| <= 1``.
    """
    P = samples_for(N, alpha)
    check_size(N, P, delta)
    _check_common(replicas, seed)
    z = None if zetas is None else np.asarray(zetas, dtype=float)
    if z is not None and (z.ndim != 1 or z.size == 0 or np.any(~np.isfinite(z)) or np.any(z <= 0)):
        raise ValueError(f"zetas must be None or a non-empty 1-D array of values > 0, got {zetas!r}")
    xp = get_xp(backend)
    out: dict[str, list] = {k: [] for k in ("ls", "ridge", "ridge_conditional", "ridge_variance", "stieltjes", "gd", "gd_iterations", "wn", "wn_iterations")}
    for r in range(replicas):
        X, y, w_star = teacher_data(N, P, delta, child_seed(seed, "data", P, r), xp, dtype)
        out["ls"].append(effective_error(min_norm_least_squares(X, y), w_star) if abs(P - N) > 1 else np.nan)
        if z is not None:
            spectrum = RidgeSpectrum.from_data(X, y, w_star)
            out["ridge"].append(spectrum.errors(z))
            out["ridge_conditional"].append(spectrum.conditional_mean(z, delta))
            out["ridge_variance"].append(spectrum.conditional_variance(z, delta))
            out["stieltjes"].append(spectrum.stieltjes(z))
        if gd:
            res = gradient_descent_least_squares(X, y)
            out["gd"].append(effective_error(res.weights, w_star))
            out["gd_iterations"].append(res.iterations if res.converged else -1)
        if wn:
            res = gradient_descent_weight_norm(X, y)
            out["wn"].append(effective_error(res.weights, w_star))
            out["wn_iterations"].append(res.iterations if res.converged else -1)
    arrays = {k: np.asarray(v, dtype=float) for k, v in out.items() if v}
    if z is not None:
        arrays["zetas"] = z
    return arrays


def bn_point(N: int, alpha: float, delta: float = 0.5, *, replicas: int, seed: np.random.SeedSequence,
             config: BNConfig = BNConfig(), backend: str = "numpy", dtype: str = "float64",
             checkpoints: tuple[float, ...] = (0.5, 0.75, 1.0), progress: bool | None = None) -> dict[str, np.ndarray]:
    """Solver (c): BN student, replicas batched, at ``P = round(alpha N)``.

    Returns, per replica, ``bn`` (population-statistics test error, the primary number),
    ``bn_train_stats``, ``gamma``, ``w_norm`` at the end, and ``trajectory`` (C, R) of the
    primary error at each checkpoint.
    """
    P = samples_for(N, alpha)
    check_size(N, P, delta)
    _check_common(replicas, seed)
    xp = get_xp(backend)
    data = [teacher_data(N, P, delta, child_seed(seed, "data", P, r), xp, dtype) for r in range(replicas)]
    X = xp.stack([d[0] for d in data])
    y = xp.stack([d[1] for d in data])
    w_star = xp.stack([d[2] for d in data])
    del data
    states = train_bn(X, y, config, child_seed(seed, "bn", P, config.w_init, config.gamma_init),
                      checkpoints=checkpoints, progress=progress)
    final = bn_test_errors(states[-1], X, w_star)
    return {
        "bn": final["population"],
        "bn_train_stats": final["train_stats"],
        "gamma": final["gamma"],
        "w_norm": final["w_norm"],
        "trajectory": np.stack([bn_test_errors(s, X, w_star)["population"] for s in states]),
        "checkpoints": np.asarray(checkpoints, dtype=float),
    }


def sweep(kind: Literal["linear", "bn"], N: int, alphas, *, seed: np.random.SeedSequence, replicas: int,
          delta: float = 0.5, zetas=None, config: BNConfig | None = None, gd: bool = False, wn: bool = False,
          backend: str = "numpy", directory: str | Path | None = None,
          progress: bool | None = None) -> dict[float, dict[str, np.ndarray]]:
    """Every alpha of ``alphas`` for ``kind``; with ``directory`` each finished point is saved and a
    rerun (after an interruption) computes only the missing ones."""
    if kind not in ("linear", "bn"):
        raise ValueError(f"kind must be 'linear' or 'bn', got {kind!r}")
    _check_common(replicas, seed)
    alpha_list = [float(a) for a in np.atleast_1d(np.asarray(alphas, dtype=float))]
    for a in alpha_list:
        samples_for(N, a)
    cfg = config or BNConfig()
    settings = {
        "kind": kind, "N": N, "delta": delta, "replicas": replicas, "backend": backend_name(get_xp(backend)),
        "seed_entropy": str(seed.entropy), "spawn_key": list(seed.spawn_key),
        "zetas": None if zetas is None else [float(z) for z in np.asarray(zetas)],
        "bn": cfg.to_dict() if kind == "bn" else None, "gd": gd, "wn": wn,
    }
    store = SweepStore(directory, settings) if directory is not None else None
    keys = {f"{kind}_alpha_{a:.6g}": a for a in alpha_list}

    def compute(key: str) -> tuple[dict, dict]:
        a = keys[key]
        if kind == "linear":
            arrays = linear_point(N, a, zetas, delta, replicas=replicas, seed=seed, gd=gd, wn=wn, backend=backend)
        else:
            arrays = bn_point(N, a, delta, replicas=replicas, seed=seed, config=cfg, backend=backend,
                              progress=progress)
        return arrays, {"alpha": a, "P": samples_for(N, a)}

    done = run_points(keys, compute, store, progress=progress)
    return {keys[k]: v for k, v in done.items()}
