"""The BN student of seed §2.3, ``phi = gamma (w^T x - mu_B)/sigma_B`` (beta = 0), trained by
minibatch SGD; replicas (independent data sets) are batched into one tensor.

Conventions (stated): ``sigma_B`` uses 1/M (as BN does), no epsilon; batches are consecutive
slices of a fresh random permutation of the P samples every epoch (``P // M`` steps per epoch);
loss ``(1/M) sum_B (phi - y)^2``.  Plain SGD on ``w`` and ``gamma`` with
``lr_w(t) = lr_w * (M/N) * s(t)`` and ``lr_gamma(t) = lr_gamma * s(t)``; ``s = 1`` for the first
``hold`` fraction of the steps, then a cosine decay to ``final_ratio`` (a converging schedule).
Initialization (stated, varied by the caller): ``w_0 ~ N(0, w_init^2 I/N)``, ``gamma_0 = gamma_init``.
"""

from __future__ import annotations

import math
import sys
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from tqdm import tqdm

from ._backend import array_namespace, default_rng, to_numpy


@dataclass(frozen=True)
class BNConfig:
    M: int = 32
    epochs: int = 100
    min_steps: int = 20_000
    lr_w: float = 0.25
    lr_gamma: float = 0.05
    hold: float = 0.5
    final_ratio: float = 1e-3
    w_init: float = 1.0
    gamma_init: float = 1.0

    def __post_init__(self) -> None:
        if isinstance(self.M, bool) or not isinstance(self.M, int) or self.M < 2:
            raise ValueError(f"M must be an integer >= 2, got {self.M!r}")
        for name in ("epochs", "min_steps"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)!r}")
        for name in ("lr_w", "lr_gamma", "w_init", "final_ratio"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)!r}")
        if not 0 <= self.hold < 1:
            raise ValueError(f"hold must be in [0, 1), got {self.hold!r}")

    def steps(self, P: int) -> int:
        if P < self.M:
            raise ValueError(f"P must be >= M = {self.M}, got P = {P}")
        return max(self.min_steps, self.epochs * (P // self.M))

    def schedule(self, t: int, total: int) -> float:
        start = int(self.hold * total)
        if t < start:
            return 1.0
        frac = (t - start) / max(total - start, 1)
        return self.final_ratio + (1 - self.final_ratio) * 0.5 * (1 + math.cos(math.pi * frac))

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class BNState:
    w: Any  # (R, N)
    gamma: Any  # (R,)


def bn_forward_backward(Xb: Any, yb: Any, w: Any, gamma: Any) -> tuple[Any, Any, Any]:
    """Loss per replica and gradients for a batch ``Xb`` (R, M, N), ``yb`` (R, M)."""
    xp = array_namespace(Xb)
    h = xp.einsum("rmn,rn->rm", Xb, w)
    mu = h.mean(axis=1, keepdims=True)
    sigma = xp.sqrt(((h - mu) ** 2).mean(axis=1, keepdims=True))
    n_hat = (h - mu) / sigma
    resid = gamma[:, None] * n_hat - yb
    loss = (resid**2).mean(axis=1)
    d_phi = 2 * resid / Xb.shape[1]
    grad_gamma = (d_phi * n_hat).sum(axis=1)
    g = gamma[:, None] * d_phi
    # BatchNorm backward: dh = (g - mean g - n_hat mean(g n_hat)) / sigma, means over the batch
    dh = (g - g.mean(axis=1, keepdims=True) - n_hat * (g * n_hat).mean(axis=1, keepdims=True)) / sigma
    grad_w = xp.einsum("rmn,rm->rn", Xb, dh)
    return loss, grad_w, grad_gamma


def train_bn(X: Any, y: Any, config: BNConfig, seed: np.random.SeedSequence, *,
             checkpoints: tuple[float, ...] = (1.0,), progress: bool | None = None) -> list[BNState]:
    """Minibatch SGD of the BN student on ``R`` data sets at once (``X``: (R, P, N), ``y``: (R, P)).

    Returns the state at each fraction of the run in ``checkpoints`` (the last must be 1.0), so
    the caller can see whether the test error still drifts at the end.
    """
    xp = array_namespace(X)
    R, P, N = X.shape
    if not checkpoints or checkpoints[-1] != 1.0 or any(not 0 < c <= 1 for c in checkpoints):
        raise ValueError(f"checkpoints must be fractions in (0, 1] ending with 1.0, got {checkpoints!r}")
    rng = default_rng(seed, xp)
    w = rng.standard_normal((R, N), dtype=X.dtype) * (config.w_init / np.sqrt(N))
    gamma = xp.full(R, config.gamma_init, dtype=X.dtype)
    total = config.steps(P)
    marks = {max(1, int(round(c * total))) for c in checkpoints}
    per_epoch = P // config.M
    rows = xp.arange(R)[:, None]
    order = None
    states = []
    show = sys.stderr.isatty() if progress is None else progress
    for t in tqdm(range(total), desc=f"BN SGD P={P}", file=sys.stderr, disable=not show, leave=False):
        k = t % per_epoch
        if k == 0:
            order = xp.argsort(rng.random((R, P)), axis=1)
        idx = order[:, k * config.M:(k + 1) * config.M]
        _, grad_w, grad_gamma = bn_forward_backward(X[rows, idx], y[rows, idx], w, gamma)
        s = config.schedule(t, total)
        w = w - (config.lr_w * config.M / N * s) * grad_w
        gamma = gamma - (config.lr_gamma * s) * grad_gamma
        if t + 1 in marks:
            states.append(BNState(w, gamma))
    return states


def bn_test_errors(state: BNState, X: Any, w_star: Any) -> dict[str, np.ndarray]:
    """Exact test errors for ``x ~ N(0, I)`` from the effective weight.

    ``population``: inference with the input distribution's statistics, ``mu_P = 0``,
    ``sigma_P = ||w||``, so ``v = gamma w/||w||`` and ``eps = ||v - w*||^2``.
    ``train_stats``: inference with the training set's statistics (what running averages give),
    ``v = gamma w/sigma_T``, bias ``-gamma mu_T/sigma_T``: ``eps = ||v - w*||^2 + bias^2``.
    """
    xp = array_namespace(state.w)
    w, gamma = state.w, state.gamma
    v_pop = gamma[:, None] * w / xp.linalg.norm(w, axis=1, keepdims=True)
    h = xp.einsum("rpn,rn->rp", X, w)
    mu_t, sigma_t = h.mean(axis=1), h.std(axis=1)
    v_tr = gamma[:, None] * w / sigma_t[:, None]
    bias = gamma * mu_t / sigma_t
    return {
        "population": to_numpy(((v_pop - w_star) ** 2).sum(axis=1)),
        "train_stats": to_numpy(((v_tr - w_star) ** 2).sum(axis=1) + bias**2),
        "gamma": to_numpy(gamma),
        "w_norm": to_numpy(xp.linalg.norm(w, axis=1)),
    }
