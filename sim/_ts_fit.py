"""The effective gamma decay that best explains a simulated curve (seed §2.3, step (e))."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy.optimize import brentq, minimize_scalar

from theory.errors import BadInput
from theory.teacher_student import wn_error, wn_error_finite, zeta_map


@dataclass(frozen=True)
class ZetaFit:
    """Least-squares ``zeta`` with a profile interval ``chi2 <= chi2_min + scale`` (68 %), where
    ``scale = max(1, chi2_min/dof)`` inflates the interval when the model does not fit.

    Parameters
    ----------
    zeta : float
        The best-fit ``zeta``.
    lower, upper : float
        The 68 % profile interval.
    chi2 : float
        :math:`\\chi^2` at the best fit.
    dof : int
        Degrees of freedom.
    convention : str
        ``"loss"`` or ``"ridge"``.
    """

    zeta: float
    lower: float
    upper: float
    chi2: float
    dof: int
    convention: str

    def to_dict(self) -> dict:
        """The fit as a JSON-ready dict.

        Returns
        -------
        dict
            The fields.
        """
        return asdict(self)


def _model(alphas: np.ndarray, zeta: float, delta: float, convention: str, N: int | None) -> np.ndarray:
    z = zeta_map(zeta, alphas) if convention == "loss" else np.full_like(alphas, zeta)
    if N is None:
        return np.asarray(wn_error(alphas, z, delta))
    return np.asarray(wn_error_finite(alphas, z, delta, N))


def fit_effective_zeta(alphas, errors, stderr, delta: float, *, convention: str = "loss",
                       N: int | None = None, bounds: tuple[float, float] = (1e-5, 2.0)) -> ZetaFit:
    """Fit ``zeta`` (``convention`` ``"loss"``: ``zeta_L``, ridge ``alpha zeta_L``; ``"ridge"``:
    constant ``zeta_R``) minimising ``chi2 = sum ((eps_i - eps_wn(alpha_i))/se_i)^2``; ``N`` adds
    the finite-N correction.

    Parameters
    ----------
    alphas, errors, stderr : array_like
        The points: ``alpha``, the measured error and its standard error (> 0), at least 2.
    delta : float
        Label noise level.
    convention : {"loss", "ridge"}, default "loss"
        Which ``zeta`` is constant over ``alpha``.
    N : int, optional
        Dimension for the finite-N correction.
    bounds : tuple of float, default (1e-5, 2.0)
        Search interval of ``zeta``.

    Returns
    -------
    ZetaFit
        The fit.

    Raises
    ------
    BadInput
        If ``convention`` is unknown, the arrays differ in length or have fewer than 2 points, or an
        ``stderr`` is not > 0.
    """
    if convention not in ("loss", "ridge"):
        raise BadInput(f"convention must be 'loss' or 'ridge', got {convention!r}")
    a = np.asarray(alphas, dtype=float)
    e = np.asarray(errors, dtype=float)
    se = np.asarray(stderr, dtype=float)
    if a.shape != e.shape or a.shape != se.shape or a.size < 2:
        raise BadInput("alphas, errors and stderr must be equal-length arrays with >= 2 points")
    if np.any(se <= 0):
        raise BadInput("stderr must be > 0")

    def chi2(log_z: float) -> float:
        return float(np.sum(((e - _model(a, np.exp(log_z), delta, convention, N)) / se) ** 2))

    lo, hi = np.log(bounds[0]), np.log(bounds[1])
    grid = np.linspace(lo, hi, 61)
    values = np.array([chi2(g) for g in grid])
    # chi^2 can have two valleys (the error is flat in zeta around its optimum, so zeta on either side of it
    # fits alike): refine around every local minimum of the grid, not only the lowest grid point
    padded = np.concatenate([[np.inf], values, [np.inf]])
    minima = np.flatnonzero((values <= padded[:-2]) & (values <= padded[2:]))
    best = min((minimize_scalar(chi2, bounds=(grid[max(i - 1, 0)], grid[min(i + 1, grid.size - 1)]), method="bounded",
                                options={"xatol": 1e-8}) for i in minima.tolist()), key=lambda fit: fit.fun)
    dof = a.size - 1
    level = best.fun + max(1.0, best.fun / dof)

    def edge(end: float) -> float:
        if chi2(end) <= level:
            return float(np.exp(end))
        return float(np.exp(brentq(lambda g: chi2(g) - level, end, best.x) if end < best.x
                            else brentq(lambda g: chi2(g) - level, best.x, end)))

    return ZetaFit(float(np.exp(best.x)), edge(lo), edge(hi), float(best.fun), dof, convention)
