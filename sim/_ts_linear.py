"""Linear students of seed §2.3: min-norm least squares (stable solve, plain GD from zero), ridge
(= WN + gamma decay) over a whole zeta sweep from one eigendecomposition, and WN without decay."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._backend import array_namespace, to_numpy


def min_norm_least_squares(X: Any, y: Any) -> Any:
    """``X^+ y`` by ``solve`` on the smaller Gram matrix: ``X^T (X X^T)^{-1} y`` (P < N) or
    ``(X^T X)^{-1} X^T y`` (P >= N).  Never forms an inverse."""
    xp = array_namespace(X)
    P, N = X.shape
    if P < N:
        return X.T @ xp.linalg.solve(X @ X.T, y)
    return xp.linalg.solve(X.T @ X, X.T @ y)


def _largest_eigenvalue(X: Any, iterations: int = 60) -> float:
    """Power iteration for ``lambda_max(X^T X / P)`` (deterministic start)."""
    xp = array_namespace(X)
    v = xp.ones(X.shape[1], dtype=X.dtype) / np.sqrt(X.shape[1])
    value = 0.0
    for _ in range(iterations):
        u = X.T @ (X @ v) / X.shape[0]
        value = float(xp.linalg.norm(u))
        v = u / value
    return value


@dataclass(frozen=True)
class GDResult:
    weights: Any
    iterations: int
    converged: bool


def gradient_descent_least_squares(X: Any, y: Any, *, tol: float = 1e-9, max_iter: int = 200_000) -> GDResult:
    """Plain full-batch GD on ``(1/P)||X w - y||^2`` from ``w = 0`` with step ``1/lambda_max``.

    From zero the iterate stays in the row space of ``X``, so it converges to ``X^+ y``.  Stops
    when ``||grad|| <= tol * ||X^T y||/P``.
    """
    xp = array_namespace(X)
    P = X.shape[0]
    step = 1.0 / (1.05 * _largest_eigenvalue(X))
    w = xp.zeros(X.shape[1], dtype=X.dtype)
    target = tol * float(xp.linalg.norm(X.T @ y)) / P
    for it in range(1, max_iter + 1):
        grad = X.T @ (X @ w - y) / P
        if float(xp.linalg.norm(grad)) <= target:
            return GDResult(w, it, True)
        w = w - step * grad
    return GDResult(w, max_iter, False)


def gradient_descent_weight_norm(X: Any, y: Any, *, tol: float = 1e-9, max_iter: int = 200_000) -> GDResult:
    """WN without gamma decay: full-batch GD on ``(gamma, w)`` of ``phi = gamma w^T x/||w||``.

    Initialization (stated): ``w_0 = X^T y / ||X^T y||`` (in the row space, so ``v = gamma w/||w||``
    stays there), ``gamma_0 = 0``.  Step ``1/lambda_max`` for ``gamma`` and ``||w||^2/lambda_max``
    for ``w`` (the scale-invariant step).  Returns ``v``; converges to ``X^+ y``.
    """
    xp = array_namespace(X)
    P = X.shape[0]
    step = 1.0 / (1.05 * _largest_eigenvalue(X))
    xty = X.T @ y
    w = xty / xp.linalg.norm(xty)
    gamma = 0.0
    target = tol * float(xp.linalg.norm(xty)) / P
    for it in range(1, max_iter + 1):
        norm = float(xp.linalg.norm(w))
        u = w / norm
        grad_v = X.T @ (X @ (gamma * u) - y) / P
        if float(xp.linalg.norm(grad_v)) <= target:
            return GDResult(gamma * u, it, True)
        grad_gamma = float(grad_v @ u)
        grad_w = (gamma / norm) * (grad_v - grad_gamma * u)
        gamma -= step * grad_gamma
        w = w - step * norm**2 * grad_w
    return GDResult(gamma * (w / xp.linalg.norm(w)), max_iter, False)


@dataclass(frozen=True)
class RidgeSpectrum:
    """One eigendecomposition of the smaller Gram matrix, enough for every zeta (ridge convention).

    ``eigenvalues`` are those of ``S = X^T X / N`` on the row space (``min(P, N)`` of them);
    ``N - P`` further zeros when ``P < N``.  ``signal`` and ``cross`` are the projections that
    turn ``||v(zeta) - w*||^2`` into a sum over modes.
    """

    N: int
    eigenvalues: Any
    signal: Any  # b_k = (V^T X^T y / N)_k on the row space
    target: Any  # (V^T w*)_k on the row space
    w_star_sq: float

    @classmethod
    def from_data(cls, X: Any, y: Any, w_star: Any) -> RidgeSpectrum:
        xp = array_namespace(X)
        P, N = X.shape
        if P < N:
            lam, U = xp.linalg.eigh(X @ X.T / N)
            lam = xp.clip(lam, 0, None)
            # right singular vectors V = X^T U / sqrt(N lam): b_k = sqrt(lam_k/N) (U^T y)_k
            root = xp.sqrt(lam * N)
            signal = lam * (U.T @ y) / root
            target = (U.T @ (X @ w_star)) / root
        else:
            lam, V = xp.linalg.eigh(X.T @ X / N)
            lam = xp.clip(lam, 0, None)
            signal = V.T @ (X.T @ y) / N
            target = V.T @ w_star
        return cls(N, lam, signal, target, float(w_star @ w_star))

    def errors(self, zetas: np.ndarray) -> np.ndarray:
        """``||v(zeta) - w*||^2`` for every ``zeta > 0`` of the sweep (one row per zeta)."""
        xp = array_namespace(self.eigenvalues)
        z = xp.asarray(np.asarray(zetas, dtype=float))[:, None]
        coef = self.signal[None, :] / (self.eigenvalues[None, :] + z)
        row = xp.sum(coef**2 - 2 * coef * self.target[None, :], axis=1)
        return np.asarray(to_numpy(row)) + self.w_star_sq

    def stieltjes(self, zetas: np.ndarray) -> np.ndarray:
        """``(1/N) tr (S + zeta)^{-1}`` for every zeta (the finite-N G of seed §2.3)."""
        xp = array_namespace(self.eigenvalues)
        z = xp.asarray(np.asarray(zetas, dtype=float))[:, None]
        rows = np.asarray(to_numpy(xp.sum(1 / (self.eigenvalues[None, :] + z), axis=1)))
        zeros = self.N - self.eigenvalues.shape[0]
        return (rows + zeros / np.asarray(zetas, dtype=float)) / self.N

    def _per_mode(self, zetas: np.ndarray, delta: float, power: int) -> np.ndarray:
        xp = array_namespace(self.eigenvalues)
        z = xp.asarray(np.asarray(zetas, dtype=float))[:, None]
        lam = self.eigenvalues[None, :]
        per_mode = ((z**2 + delta**2 * lam) / (lam + z) ** 2) ** power
        zeros = self.N - self.eigenvalues.shape[0]  # e(0) = 1
        return np.asarray(to_numpy(xp.sum(per_mode, axis=1))) + zeros

    def conditional_mean(self, zetas: np.ndarray, delta: float) -> np.ndarray:
        """``E[eps_gen | X]`` over ``w*`` and the label noise: ``(1/N) sum_k e(lambda_k)`` (exact)."""
        return self._per_mode(zetas, delta, 1) / self.N

    def conditional_variance(self, zetas: np.ndarray, delta: float) -> np.ndarray:
        """``Var[eps_gen | X] = (2/N^2) sum_k e(lambda_k)^2``: per mode the error is one Gaussian of
        variance ``e/N`` (``w*_k`` and ``(V^T X^T eps)_k`` are independent across modes), squared."""
        return 2 * self._per_mode(zetas, delta, 2) / self.N**2


def effective_error(v: Any, w_star: Any) -> float:
    """``eps_gen = ||v - w*||^2`` for ``x ~ N(0, I)``."""
    d = v - w_star
    return float(d @ d)
