"""Linear students of seed §2.3: min-norm least squares (stable solve, plain GD from zero), ridge
(= WN + gamma decay) over a whole zeta sweep from one eigendecomposition, and WN without decay."""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

import numpy as np

from theory.errors import BadInput

from ._backend import array_namespace, to_numpy


def smaller_gram(X: Any) -> Any:
    """The smaller Gram matrix of ``X`` (P, N): ``X^T X`` when ``P >= N``, else ``X X^T``.  The
    solvers below take it as ``gram`` so that one data set forms it once for all of them.

    Parameters
    ----------
    X : array, shape (P, N)
        The inputs.

    Returns
    -------
    array
        ``X^T X`` (N, N) or ``X X^T`` (P, P).
    """
    return X.T @ X if X.shape[0] >= X.shape[1] else X @ X.T


def min_norm_least_squares(X: Any, Y: Any, *, gram: Any | None = None) -> Any:
    """``X^+ Y`` by ``solve`` on the smaller Gram matrix: ``X^T (X X^T)^{-1} Y`` (P < N) or
    ``(X^T X)^{-1} X^T Y`` (P >= N), one factorization for every column of ``Y``.  Never forms
    an inverse.  ``gram``: :func:`smaller_gram` of ``X``, if the caller has it.

    Parameters
    ----------
    X : array, shape (P, N)
        The inputs.
    Y : array, shape (P, R)
        The labels.
    gram : array, optional
        :func:`smaller_gram` of ``X``.

    Returns
    -------
    array, shape (N, R)
        The min-norm solutions.
    """
    xp = array_namespace(X)
    gram = smaller_gram(X) if gram is None else gram
    if X.shape[0] < X.shape[1]:
        return X.T @ xp.linalg.solve(gram, Y)
    return xp.linalg.solve(gram, X.T @ Y)


def _normal_operator(X: Any, gram: Any | None) -> Callable[[Any], Any]:
    """``U -> U X^T X / P`` on rows: ``U`` (T, N) holds one teacher per row, so each product
    streams the large matrix once against a few rows (twice as fast as ``X^T X V`` on columns,
    measured at N = 4096, T = 8).  With ``P >= N`` through the Gram matrix (N^2 numbers per call
    instead of 2 P N: 4x fewer at alpha = 2)."""
    P, N = X.shape
    if P >= N:
        normal = (smaller_gram(X) if gram is None else gram) / P
        return lambda U: U @ normal
    return lambda U: (U @ X.T) @ X / P


def _largest_eigenvalue(normal: Callable[[Any], Any], v: Any, iterations: int = 60) -> float:
    """Power iteration for the largest eigenvalue of ``normal`` from the start ``v``."""
    xp = array_namespace(v)
    value = 0.0
    for _ in range(iterations):
        u = normal(v)
        value = float(xp.linalg.norm(u))
        v = u / value
    return value


def _setup(X: Any, Y: Any, gram: Any | None) -> tuple[Callable[[Any], Any], Any, float]:
    """The normal operator on rows, ``Y^T X / P`` (T, N) and the step ``1/(1.05 lambda_max)`` of
    both GD solvers."""
    xp = array_namespace(X)
    normal = _normal_operator(X, gram)
    start = xp.ones(X.shape[1], dtype=X.dtype) / np.sqrt(X.shape[1])  # deterministic
    return normal, Y.T @ X / X.shape[0], 1.0 / (1.05 * _largest_eigenvalue(normal, start))


@dataclass(frozen=True)
class GDResult:
    weights: Any  # (N, T)
    iterations: int
    converged: bool


#: a GD solver as a coroutine: it yields the rows (T, N) whose normal-operator product it needs,
#: is sent the product, and returns its result
Descent = Generator[Any, Any, GDResult]


def _least_squares_descent(yx: Any, step: float, tol: float, max_iter: int) -> Descent:
    xp = array_namespace(yx)
    W = xp.zeros_like(yx)  # (T, N): one row per teacher
    target = tol * xp.linalg.norm(yx, axis=1)
    for it in range(1, max_iter + 1):
        grad = (yield W) - yx
        if bool(xp.all(xp.linalg.norm(grad, axis=1) <= target)):
            return GDResult(W.T, it, True)
        W = W - step * grad
    return GDResult(W.T, max_iter, False)


def _weight_norm_descent(yx: Any, step: float, tol: float, max_iter: int) -> Descent:
    xp = array_namespace(yx)
    W = yx / xp.linalg.norm(yx, axis=1)[:, None]  # (T, N): one row per teacher
    gamma = xp.zeros((yx.shape[0], 1), dtype=yx.dtype)
    target = tol * xp.linalg.norm(yx, axis=1)
    for it in range(1, max_iter + 1):
        norm = xp.linalg.norm(W, axis=1)[:, None]
        U = W / norm
        grad_v = (yield gamma * U) - yx
        if bool(xp.all(xp.linalg.norm(grad_v, axis=1) <= target)):
            return GDResult((gamma * U).T, it, True)
        grad_gamma = (grad_v * U).sum(axis=1)[:, None]
        grad_W = (gamma / norm) * (grad_v - grad_gamma * U)
        gamma = gamma - step * grad_gamma
        W = W - step * norm**2 * grad_W
    return GDResult((gamma * W / xp.linalg.norm(W, axis=1)[:, None]).T, max_iter, False)


_DESCENTS = {"gd": _least_squares_descent, "wn": _weight_norm_descent}


def _descend(normal: Callable[[Any], Any], descents: dict[str, Descent]) -> dict[str, GDResult]:
    """Run GD solvers side by side: each iteration is one product of all their rows stacked, which
    streams ``X`` (or its Gram matrix) once for all of them (16 rows cost 1.2-1.5x what 8 do at
    N = 4096); a solver that has converged drops out."""
    rows = {name: next(d) for name, d in descents.items()}
    xp = array_namespace(next(iter(rows.values())))
    results = {}
    while rows:
        names = list(rows)
        product = normal(xp.concatenate([rows[n] for n in names]))
        start = 0
        for name in names:
            count = rows[name].shape[0]
            try:
                rows[name] = descents[name].send(product[start:start + count])
            except StopIteration as done:
                results[name] = done.value
                del rows[name]
            start += count
    return results


def gradient_descents(X: Any, Y: Any, solvers: tuple[str, ...] = ("gd", "wn"), *, tol: float = 1e-9,
                      max_iter: int = 200_000, gram: Any | None = None) -> dict[str, GDResult]:
    """The GD solvers named in ``solvers`` on the same data, side by side (one pass over ``X`` per
    iteration for all of them): ``"gd"`` is :func:`gradient_descent_least_squares`, ``"wn"``
    :func:`gradient_descent_weight_norm`; the same step for both; ``gram`` as in
    :func:`min_norm_least_squares`.

    Parameters
    ----------
    X : array, shape (P, N)
        The inputs.
    Y : array, shape (P, R)
        The labels.
    solvers : tuple of str, default ("gd", "wn")
        The solvers to run.
    tol : float, default 1e-9
        Relative change at which to stop.
    max_iter : int, default 200000
        Maximum iterations.
    gram : array, optional
        :func:`smaller_gram` of ``X``.

    Returns
    -------
    dict of str to GDResult
        Each solver's result.

    Raises
    ------
    BadInput
        If ``solvers`` names an unknown solver or none.
    """
    unknown = set(solvers) - set(_DESCENTS)
    if not solvers or unknown:
        raise BadInput(f"solvers must name some of {', '.join(_DESCENTS)}, got {solvers!r}")
    normal, yx, step = _setup(X, Y, gram)
    return _descend(normal, {name: _DESCENTS[name](yx, step, tol, max_iter) for name in solvers})


def gradient_descent_least_squares(X: Any, Y: Any, *, tol: float = 1e-9, max_iter: int = 200_000,
                                   gram: Any | None = None) -> GDResult:
    """Plain full-batch GD on ``(1/P)||X w - y||^2`` from ``w = 0`` with step ``1/lambda_max``, for
    every column of ``Y`` at once (``gram``: as in :func:`min_norm_least_squares`).

    From zero the iterate stays in the row space of ``X``, so it converges to ``X^+ y``.  Stops
    when every column has ``||grad|| <= tol * ||X^T y||/P``.
    """
    return gradient_descents(X, Y, ("gd",), tol=tol, max_iter=max_iter, gram=gram)["gd"]


def gradient_descent_weight_norm(X: Any, Y: Any, *, tol: float = 1e-9, max_iter: int = 200_000,
                                 gram: Any | None = None) -> GDResult:
    """WN without gamma decay: full-batch GD on ``(gamma, w)`` of ``phi = gamma w^T x/||w||``, for
    every column of ``Y`` at once (``gram``: as in :func:`min_norm_least_squares`).

    Initialization (stated): ``w_0 = X^T y / ||X^T y||`` (in the row space, so ``v = gamma w/||w||``
    stays there), ``gamma_0 = 0``.  Step ``1/lambda_max`` for ``gamma`` and ``||w||^2/lambda_max``
    for ``w`` (the scale-invariant step).  Returns ``v``; converges to ``X^+ y``.  Stops as
    :func:`gradient_descent_least_squares` does.
    """
    return gradient_descents(X, Y, ("wn",), tol=tol, max_iter=max_iter, gram=gram)["wn"]


@dataclass(frozen=True)
class RidgeSpectrum:
    """One eigendecomposition of the smaller Gram matrix, enough for every zeta (ridge convention).

    ``eigenvalues`` are those of ``S = X^T X / N`` on the row space (``min(P, N)`` of them);
    ``N - P`` further zeros when ``P < N``.  ``signal`` and ``target`` are the projections that
    turn ``||v(zeta) - w*||^2`` into a sum over modes, one column per teacher.

    Parameters
    ----------
    N : int
        Input dimension.
    eigenvalues : array, shape (K,)
        Eigenvalues of ``S`` on the row space.
    signal : array, shape (K, T)
        Projections of ``X^T y / N``.
    target : array, shape (K, T)
        Projections of ``w*``.
    w_star_sq : ndarray, shape (T,)
        ``||w*||^2`` per teacher.
    """

    N: int
    eigenvalues: Any  # (K,)
    signal: Any  # (K, T): b_k = (V^T X^T y / N)_k on the row space
    target: Any  # (K, T): (V^T w*)_k on the row space
    w_star_sq: np.ndarray  # (T,)

    @classmethod
    def from_data(cls, X: Any, y: Any, w_star: Any, *, gram: Any | None = None) -> RidgeSpectrum:
        """From ``X`` (P, N), labels ``y`` (P, T) and teachers ``w_star`` (N, T) (``gram``: as in
        :func:`min_norm_least_squares`).

        Parameters
        ----------
        X : array, shape (P, N)
            The inputs.
        y : array, shape (P, T)
            The labels.
        w_star : array, shape (N, T)
            The teachers.
        gram : array, optional
            :func:`smaller_gram` of ``X``.

        Returns
        -------
        RidgeSpectrum
            The decomposition.
        """
        xp = array_namespace(X)
        P, N = X.shape
        gram = smaller_gram(X) if gram is None else gram
        if P < N:
            lam, U = xp.linalg.eigh(gram / N)
            lam = xp.clip(lam, 0, None)
            # right singular vectors V = X^T U / sqrt(N lam): b_k = sqrt(lam_k/N) (U^T y)_k
            root = xp.sqrt(lam * N)
            signal = (lam / root)[:, None] * (U.T @ y)
            target = (U.T @ (X @ w_star)) / root[:, None]
        else:
            lam, V = xp.linalg.eigh(gram / N)
            lam = xp.clip(lam, 0, None)
            signal = V.T @ (X.T @ y) / N
            target = V.T @ w_star
        return cls(N, lam, signal, target, np.asarray(to_numpy((w_star * w_star).sum(axis=0))))

    def errors(self, zetas: np.ndarray) -> np.ndarray:
        """``||v(zeta) - w*||^2`` (T, Z) for every teacher and every ``zeta > 0`` of the sweep.

        Parameters
        ----------
        zetas : ndarray, shape (Z,)
            Ridge-convention zetas, > 0.

        Returns
        -------
        ndarray, shape (T, Z)
            The errors.
        """
        xp = array_namespace(self.eigenvalues)
        z = xp.asarray(np.asarray(zetas, dtype=float))
        coef = self.signal[None, :, :] / (self.eigenvalues[None, :, None] + z[:, None, None])
        per_zeta = xp.sum(coef**2 - 2 * coef * self.target[None, :, :], axis=1)  # (Z, T)
        return np.asarray(to_numpy(per_zeta)).T + self.w_star_sq[:, None]

    def stieltjes(self, zetas: np.ndarray) -> np.ndarray:
        """``(1/N) tr (S + zeta)^{-1}`` for every zeta (the finite-N G of seed §2.3).

        Parameters
        ----------
        zetas : ndarray, shape (Z,)
            Ridge-convention zetas, > 0.

        Returns
        -------
        ndarray, shape (Z,)
            :math:`G` at each zeta.
        """
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
        """``E[eps_gen | X]`` over ``w*`` and the label noise: ``(1/N) sum_k e(lambda_k)`` (exact).

        Parameters
        ----------
        zetas : ndarray, shape (Z,)
            Ridge-convention zetas, > 0.
        delta : float
            Label noise level.

        Returns
        -------
        ndarray, shape (Z,)
            The conditional mean error.
        """
        return self._per_mode(zetas, delta, 1) / self.N

    def conditional_variance(self, zetas: np.ndarray, delta: float) -> np.ndarray:
        """``Var[eps_gen | X] = (2/N^2) sum_k e(lambda_k)^2``: per mode the error is one Gaussian of
        variance ``e/N`` (``w*_k`` and ``(V^T X^T eps)_k`` are independent across modes), squared.

        Parameters
        ----------
        zetas : ndarray, shape (Z,)
            Ridge-convention zetas, > 0.
        delta : float
            Label noise level.

        Returns
        -------
        ndarray, shape (Z,)
            The conditional variance of one replica's error.
        """
        return 2 * self._per_mode(zetas, delta, 2) / self.N**2


def effective_error(V: Any, W_star: Any) -> np.ndarray:
    """``eps_gen = ||v - w*||^2`` for ``x ~ N(0, I)``, per column of ``V`` and ``W_star`` (N, T)."""
    D = V - W_star
    return np.asarray(to_numpy((D * D).sum(axis=0)))
