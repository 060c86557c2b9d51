"""Teacher–student generalization theory (seed §2.1–2.3), derived in SymPy.

Model: ``y = w*^T x + eps`` with ``x ~ N(0, I_N)``, ``w* ~ N(0, I/N)``, ``eps ~ N(0, delta^2)``,
``P = alpha N`` samples; ``eps_gen = E_x[(phi(x) - w*^T x)^2] = ||v - w*||^2`` for a linear
student ``phi = v^T x`` (the noise variance delta^2 is *not* included).

Conventions (stated once, used everywhere):

* **ridge convention** (the one of the seed's G formula and of :func:`wn_error`):
  ``v = (S + zeta_R)^{-1} X^T y / N`` with ``S = X^T X / N``;
* **loss convention** (the seed's WN loss and Part 1's gamma decay):
  ``(1/P) sum_j (v^T x_j - y_j)^2 + zeta_L ||v||^2``; its normal equations give
  ``zeta_R = alpha * zeta_L`` (:func:`zeta_map`).

WN + gamma decay is ridge: ``v = gamma w/||w||`` runs over all of R^N with ``||v||^2 = gamma^2``,
so ``zeta gamma^2 = zeta ||v||^2``.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import sympy as sp

from . import _marchenko_pastur as mp
from ._formula import Formula
from .errors import BadInput

alpha, zeta, delta2, lam, G = mp.alpha, mp.zeta, mp.delta2, mp.lam, mp.G
N_sym, P_sym, M_sym = sp.symbols("N P M", positive=True, integer=True)
_t = sp.Dummy("t", positive=True)  # the distance of alpha from 1 in the limits (not the softplus temperature T)


# ----------------------------------------------------------------------------- derivations
@lru_cache(maxsize=None)
def ridge_mode_error() -> sp.Expr:
    """``N E[(v_k - w*_k)^2]`` for one eigenmode ``lambda`` of ``S`` (ridge convention).

    From ``v - w* = -zeta (S+zeta)^{-1} w* + (S+zeta)^{-1} X^T eps / N`` in the eigenbasis, with
    ``N E[w*_k^2] = 1``, ``N E[u_k^2] = delta^2 lambda`` for ``u = V^T X^T eps / N`` and
    ``E[w*_k u_k] = 0`` (independence).
    """
    wk, uk = sp.symbols("w_k u_k", real=True)
    err = sp.expand((-zeta / (lam + zeta) * wk + uk / (lam + zeta)) ** 2)
    moments = {wk**2: 1, uk**2: delta2 * lam, wk * uk: 0}
    return sp.simplify(err.subs(moments))


@lru_cache(maxsize=None)
def resolvent_identity_holds() -> bool:
    """Per mode, ``e(lambda) = delta^2 d(zeta R)/dzeta - zeta^2 dR/dzeta`` with ``R = 1/(lambda+zeta)``;
    averaging over the spectrum turns ``R`` into ``G`` — the seed's eps_gen structure."""
    res = 1 / (lam + zeta)
    return sp.simplify(ridge_mode_error() - (delta2 * sp.diff(zeta * res, zeta) - zeta**2 * sp.diff(res, zeta))) == 0


@lru_cache(maxsize=None)
def wn_error_expr() -> sp.Expr:
    """:math:`\\epsilon^{wn}_{gen} = \\delta^2\\,\\partial_\\zeta(\\zeta G) - \\zeta^2\\,\\partial_\\zeta G` (§2.3)."""
    if not resolvent_identity_holds():  # pragma: no cover - derivation guard
        raise RuntimeError("per-mode ridge error does not have the resolvent form")
    g = mp.stieltjes()
    return sp.simplify(delta2 * sp.diff(zeta * g, zeta) - zeta**2 * sp.diff(g, zeta))


@lru_cache(maxsize=None)
def wn_error_in_G() -> sp.Expr:
    """The same with ``G'`` eliminated by implicit differentiation (numerically stable form)."""
    dg = mp.stieltjes_derivative_in_G()
    return delta2 * (G + zeta * dg) - zeta**2 * dg


@lru_cache(maxsize=None)
def sgd_error_branches() -> tuple[sp.Expr, sp.Expr]:
    """Least squares = ridge at ``zeta -> 0`` (§2.3): ``(alpha < 1, alpha > 1)`` branches by sympy.limit."""
    eps = wn_error_expr()
    below = sp.limit(eps.subs(alpha, 1 / (1 + _t)), zeta, 0).subs(_t, 1 / alpha - 1)
    above = sp.limit(eps.subs(alpha, 1 + _t), zeta, 0).subs(_t, alpha - 1)
    return sp.factor(sp.simplify(below)), sp.factor(sp.simplify(above))


@lru_cache(maxsize=None)
def sgd_error_finite_expr() -> tuple[sp.Expr, sp.Expr]:
    """Exact finite-N mean of min-norm least squares, ``(P <= N-2, P >= N+2)``.

    Input assumption: the inverse-Wishart mean ``E[W^{-1}] = I/(n-p-1)`` for ``W ~ W_p(I, n)``.
    ``P < N``: bias ``E w*^T (I - Pi) w* = (N - P)/N``, variance ``delta^2 E tr (X X^T)^{-1}``;
    ``P > N``: variance ``delta^2 E tr (X^T X)^{-1}``.
    """
    def inv_wishart_trace(p: sp.Expr, n: sp.Expr) -> sp.Expr:
        return p / (n - p - 1)

    below = (N_sym - P_sym) / N_sym + delta2 * inv_wishart_trace(P_sym, N_sym)
    above = delta2 * inv_wishart_trace(N_sym, P_sym)
    return below, above


@lru_cache(maxsize=None)
def finite_n_limits() -> tuple[sp.Expr, sp.Expr]:
    """``N -> oo`` at ``P = alpha N`` of the exact finite-N means (must equal :func:`sgd_error_branches`)."""
    below, above = sgd_error_finite_expr()
    return tuple(sp.simplify(sp.limit(e.subs(P_sym, alpha * N_sym), N_sym, sp.oo)) for e in (below, above))


@lru_cache(maxsize=None)
def ridge_correction_expr() -> tuple[sp.Expr, sp.Expr]:
    """The O(1/N) coefficient ``c`` in ``E eps_gen = eps_wn + c/N + O(N^-2)``, ``(alpha < 1, alpha >= 1)``.

    ``N eps_gen|X = sum_k e(lambda_k)`` is a linear spectral statistic.  ``alpha >= 1``: the
    eigenvalues of ``S`` are ``alpha mu`` with ``mu`` those of ``X^T X / P`` (``y = 1/alpha``).
    ``alpha < 1``: ``N - P`` exact zeros (``e(0) = 1``, no fluctuation) and the eigenvalues of
    ``X X^T / N`` (``y = alpha``).  The mean of each is :func:`_marchenko_pastur.bai_silverstein_mean`.
    """
    e = ridge_mode_error()
    below = mp.bai_silverstein_mean(e.subs(lam, mp.x), alpha)
    above = mp.bai_silverstein_mean(e.subs(lam, alpha * mp.x), 1 / alpha)
    return sp.simplify(below), sp.simplify(above)


@lru_cache(maxsize=None)
def optimal_zeta_expr() -> sp.Expr:
    """Stationary point of eps_wn in zeta for *any* spectrum: ``d eps/d zeta = (delta^2 - zeta)(2G' + zeta G'')``
    with ``G`` a generic function, and ``2R' + zeta R'' = -2 lambda/(lambda+zeta)^3 < 0`` per mode."""
    g = sp.Function("G")(zeta)
    eps = delta2 * sp.diff(zeta * g, zeta) - zeta**2 * sp.diff(g, zeta)
    deriv = sp.factor(sp.diff(eps, zeta))
    curvature = sp.diff(g, zeta, 2) * zeta + 2 * sp.diff(g, zeta)
    quotient = sp.simplify(deriv / curvature)
    res = 1 / (lam + zeta)
    per_mode = sp.factor(sp.diff(res, zeta, 2) * zeta + 2 * sp.diff(res, zeta))
    if quotient.has(g) or per_mode != -2 * lam / (lam + zeta) ** 3:  # pragma: no cover - guard
        raise RuntimeError("eps_wn'(zeta) does not factor as expected")
    (root,) = sp.solve(sp.Eq(quotient, 0), zeta)
    return root


@lru_cache(maxsize=None)
def zeta_map_expr() -> sp.Expr:
    """``zeta_R`` as a function of ``zeta_L``: equate the ridge ``X^T X + N zeta_R`` with the
    normal equations ``X^T X + P zeta_L`` of the per-sample loss, ``P = alpha N``."""
    z_loss, z_ridge = sp.symbols("zeta_L zeta_R", positive=True)
    (sol,) = sp.solve(sp.Eq(N_sym * z_ridge, alpha * N_sym * z_loss), z_ridge)
    return sol.subs(z_loss, zeta)


@lru_cache(maxsize=None)
def bn_equivalent_zeta_expr(mean_centering: bool) -> sp.Expr:
    """Part-1 gamma decay (§1.3, input) for this student: ``zeta = (rho+2)/(8M) F + mu_{A''}/(2M)``
    with squared loss ``A'' = 2``, Gaussian ``h`` (``rho = 0``), ``F = A'' E[n^2] = 2``; the
    ``mu_B`` term is absent without mean-centering.  Loss convention."""
    rho, a2, n2 = sp.Integer(0), sp.Integer(2), sp.Integer(1)
    sigma_term = (rho + 2) / (8 * M_sym) * a2 * n2
    mu_term = a2 / (2 * M_sym) if mean_centering else 0
    return sp.simplify(sigma_term + mu_term)


@lru_cache(maxsize=None)
def bn_interpolation_error_expr() -> sp.Expr:
    """``alpha < 1``: what "BN = PN with *training-set* statistics + gamma decay" predicts (§2.3).

    Inputs: ``h`` normalised by training-set statistics can take any direction ``u`` in R^P when
    ``P < N``, so the PN loss ``gamma^2 - 2 gamma u^T y/sqrt(P) + E y^2 + zeta_L gamma^2`` is
    minimised by ``u = y/|y|`` and ``gamma* = sqrt(1 + delta^2)/(1 + zeta_L)``; SGD gradients lie
    in the row space, so from ``w_0 -> 0`` the direction is that of ``X^+ y``, with
    ``w_LS^T w* -> alpha`` and ``|w_LS|^2 = eps_LS - 1 + 2 alpha``.  Test error with
    ``sigma_P = |w|``: ``gamma*^2 - 2 gamma* alpha/|w_LS| + 1``.
    """
    g = sp.Symbol("gamma", positive=True)
    second_moment = 1 + delta2  # E y^2 = E|w*|^2 + delta^2
    loss = g**2 - 2 * g * sp.sqrt(second_moment) + second_moment + zeta * g**2
    (g_star,) = sp.solve(sp.diff(loss, g), g)
    below, _ = sgd_error_branches()
    norm_ls = sp.sqrt(sp.simplify(below - 1 + 2 * alpha))
    return sp.simplify(g_star**2 - 2 * g_star * alpha / norm_ls + 1)


# ----------------------------------------------------------------------------- validation
def _positive(name: str, value) -> np.ndarray:
    arr = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise BadInput(f"{name} must be finite and > 0, got {value!r}")
    return arr


def _nonnegative(name: str, value) -> np.ndarray:
    arr = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise BadInput(f"{name} must be finite and >= 0, got {value!r}")
    return arr


def _count(name: str, value, minimum: int = 2) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise BadInput(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _out(arr: np.ndarray):
    return float(arr) if arr.ndim == 0 else arr


# ----------------------------------------------------------------------------- numerics
@lru_cache(maxsize=None)
def _numeric():
    below, above = sgd_error_branches()
    c_below, c_above = ridge_correction_expr()
    args = (alpha, zeta, delta2)
    return {
        "eps_in_G": sp.lambdify((alpha, zeta, delta2, G), wn_error_in_G(), "numpy"),
        "sgd_below": sp.lambdify((alpha, delta2), below, "numpy"),
        "sgd_above": sp.lambdify((alpha, delta2), above, "numpy"),
        "corr_below": sp.lambdify(args, c_below, "numpy"),
        "corr_above": sp.lambdify(args, c_above, "numpy"),
    }


def mp_stieltjes(alpha, zeta):
    """:math:`G(\\zeta) = \\frac{1-\\alpha-\\zeta
    +\\sqrt{(\\zeta+(1+\\sqrt\\alpha)^2)(\\zeta+(1-\\sqrt\\alpha)^2)}}{2\\zeta}` (§2.3, derived),
    evaluated in the cancellation-free form on each side of ``alpha = 1``.

    Parameters
    ----------
    alpha : float or array_like
        Samples per dimension :math:`\\alpha=P/N`, > 0.
    zeta : float or array_like
        Ridge-convention gamma decay :math:`\\zeta`, > 0.

    Returns
    -------
    float or ndarray
        :math:`G(\\zeta)`; a float for scalar inputs, else an array of the inputs' broadcast shape.

    Raises
    ------
    BadInput
        If ``alpha`` or ``zeta`` is not finite and > 0.
    """
    a, z = np.broadcast_arrays(_positive("alpha", alpha), _positive("zeta", zeta))
    root = np.sqrt((z + (1 + np.sqrt(a)) ** 2) * (z + (1 - np.sqrt(a)) ** 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        small = (1 - a - z + root) / (2 * z)
        large = 2 / (root + a - 1 + z)
    return _out(np.where(a > 1, large, small))


def sgd_error(alpha, delta):
    """Min-norm least squares, ``N -> oo`` (§2.3): :math:`1-\\alpha+\\alpha\\delta^2/(1-\\alpha)` for
    :math:`\\alpha<1`, :math:`\\delta^2/(\\alpha-1)` for :math:`\\alpha>1`, ``inf`` at ``alpha = 1``.

    Parameters
    ----------
    alpha : float or array_like
        Samples per dimension :math:`\\alpha=P/N`, > 0.
    delta : float or array_like
        Teacher noise level :math:`\\delta`, >= 0.

    Returns
    -------
    float or ndarray
        The test error; a float for scalar inputs, else an array of the inputs' broadcast shape.

    Raises
    ------
    BadInput
        If ``alpha`` <= 0 or ``delta`` < 0 (or either is not finite).
    """
    a = _positive("alpha", alpha)
    d2 = _nonnegative("delta", delta) ** 2
    a, d2 = np.broadcast_arrays(a, d2)
    num = _numeric()
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(a < 1, num["sgd_below"](a, d2), num["sgd_above"](a, d2))
    return _out(np.where(a == 1, np.inf, out))


def wn_error(alpha, zeta, delta):
    """WN + gamma decay = ridge, ``N -> oo`` (§2.3), **ridge convention** for ``zeta``:
    :math:`\\epsilon = \\delta^2\\partial_\\zeta(\\zeta G) - \\zeta^2\\partial_\\zeta G`; ``zeta = 0`` is
    :func:`sgd_error`.  For the per-sample-loss ``zeta_L`` pass ``zeta_map(zeta_L, alpha)``.

    Parameters
    ----------
    alpha : float or array_like
        Samples per dimension :math:`\\alpha=P/N`, > 0.
    zeta : float or array_like
        Ridge-convention gamma decay :math:`\\zeta`, >= 0.
    delta : float or array_like
        Teacher noise level :math:`\\delta`, >= 0.

    Returns
    -------
    float or ndarray
        The test error; a float for scalar inputs, else an array of the inputs' broadcast shape.

    Raises
    ------
    BadInput
        If ``alpha`` <= 0, ``zeta`` < 0 or ``delta`` < 0 (or one is not finite).
    """
    a = _positive("alpha", alpha)
    z = _nonnegative("zeta", zeta)
    d2 = _nonnegative("delta", delta) ** 2
    a, z, d2 = np.broadcast_arrays(a, z, d2)
    zero = z == 0
    z_safe = np.where(zero, 1.0, z)
    eps = _numeric()["eps_in_G"](a, z_safe, d2, mp_stieltjes(a, z_safe))
    if np.any(zero):
        eps = np.where(zero, sgd_error(a, np.sqrt(d2)), eps)
    return _out(np.asarray(eps))


def wn_error_finite(alpha, zeta, delta, N: int):
    """Ridge ``E eps_gen`` at finite ``N``: ``wn_error + c(alpha, zeta, delta)/N``, remainder ``O(N^-2)``
    (Bai–Silverstein mean of the linear spectral statistic; ``zeta > 0``).

    Parameters
    ----------
    alpha : float or array_like
        Samples per dimension :math:`\\alpha=P/N`, > 0.
    zeta : float or array_like
        Ridge-convention gamma decay :math:`\\zeta`, > 0.
    delta : float or array_like
        Teacher noise level :math:`\\delta`, >= 0.
    N : int
        Input dimension, >= 2.

    Returns
    -------
    float or ndarray
        The mean test error to :math:`O(N^{-1})`; a float for scalar inputs, else an array of the
        inputs' broadcast shape.

    Raises
    ------
    BadInput
        If ``alpha`` or ``zeta`` is not > 0, ``delta`` < 0 or ``N`` is not an integer >= 2.
    """
    n = _count("N", N)
    a = _positive("alpha", alpha)
    z = _positive("zeta", zeta)
    d = _nonnegative("delta", delta)
    return _out(np.asarray(wn_error(a, z, d) + ridge_correction(a, z, d) / n))


def ridge_correction(alpha, zeta, delta):
    """The coefficient ``c`` of ``1/N`` in :func:`wn_error_finite` (``zeta > 0``).

    Parameters
    ----------
    alpha : float or array_like
        Samples per dimension :math:`\\alpha=P/N`, > 0.
    zeta : float or array_like
        Ridge-convention gamma decay :math:`\\zeta`, > 0.
    delta : float or array_like
        Teacher noise level :math:`\\delta`, >= 0.

    Returns
    -------
    float or ndarray
        The coefficient ``c``; a float for scalar inputs, else an array of the inputs' broadcast shape.

    Raises
    ------
    BadInput
        If ``alpha`` or ``zeta`` is not finite and > 0, or ``delta`` < 0.
    """
    a, z, d2 = np.broadcast_arrays(_positive("alpha", alpha), _positive("zeta", zeta),
                                   _nonnegative("delta", delta) ** 2)
    num = _numeric()
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(a < 1, num["corr_below"](a, z, d2), num["corr_above"](a, z, d2))
    return _out(np.asarray(out, dtype=float))


def sgd_error_finite(N: int, P: int, delta: float) -> float:
    """Exact finite-N mean of min-norm least squares (inverse-Wishart): ``(N-P)/N + delta^2 P/(N-P-1)``
    for ``P <= N-2``, ``delta^2 N/(P-N-1)`` for ``P >= N+2``, ``inf`` otherwise (mean does not exist).

    Parameters
    ----------
    N : int
        Input dimension, >= 2.
    P : int
        Number of training samples, >= 1.
    delta : float
        Teacher noise level, >= 0.

    Returns
    -------
    float
        The mean test error (``inf`` where it does not exist).

    Raises
    ------
    BadInput
        If ``N`` < 2 or ``P`` < 1 (or either is not an integer), or ``delta`` < 0.
    """
    n, p = _count("N", N), _count("P", P, minimum=1)
    d2 = float(_nonnegative("delta", delta)) ** 2
    below, above = sgd_error_finite_expr()
    subs = {N_sym: n, P_sym: p, delta2: d2}
    if p <= n - 2:
        return float(below.subs(subs))
    if p >= n + 2:
        return float(above.subs(subs))
    return float("inf")


def optimal_zeta(delta) -> float:
    """Ridge-convention optimum :math:`\\zeta^* = \\delta^2` for every ``alpha`` (derived).
    In the per-sample-loss convention it is :math:`\\delta^2/\\alpha` (:func:`zeta_map`).

    Parameters
    ----------
    delta : float or array_like
        Teacher noise level :math:`\\delta`, >= 0.

    Returns
    -------
    float or ndarray
        :math:`\\zeta^*`; a float for scalar inputs, else an array of the inputs' broadcast shape.

    Raises
    ------
    BadInput
        If ``delta`` < 0 or not finite.
    """
    d2 = _nonnegative("delta", delta) ** 2
    root = sp.lambdify(delta2, optimal_zeta_expr(), "numpy")
    return _out(np.asarray(root(d2) * np.ones_like(d2)))


def zeta_map(zeta_loss, alpha):
    """``zeta_R = alpha * zeta_L`` (derived): ridge-convention value of a per-sample-loss ``zeta_L``.

    Parameters
    ----------
    zeta_loss : float or array_like
        Per-sample-loss gamma decay :math:`\\zeta_L`, >= 0.
    alpha : float or array_like
        Samples per dimension :math:`\\alpha=P/N`, > 0.

    Returns
    -------
    float or ndarray
        :math:`\\zeta_R`; a float for scalar inputs, else an array of the inputs' broadcast shape.

    Raises
    ------
    BadInput
        If ``zeta_loss`` < 0 or ``alpha`` <= 0 (or either is not finite).
    """
    z = _nonnegative("zeta_loss", zeta_loss)
    a = _positive("alpha", alpha)
    f = sp.lambdify((mp.zeta, mp.alpha), zeta_map_expr(), "numpy")
    return _out(np.asarray(f(z, a)))


def bn_interpolation_error(alpha, zeta_loss, delta):
    r"""``alpha < 1`` prediction of BN as PN with training-set statistics + gamma decay (from
    ``w_0 -> 0``): :math:`\gamma_*^2 - 2\gamma_*\sqrt{\alpha(1-\alpha)/(1-\alpha+\delta^2)} + 1`,
    :math:`\gamma_* = \sqrt{1+\delta^2}/(1+\zeta_L)` — the least-squares *direction*, rescaled.

    Parameters
    ----------
    alpha : float or array_like
        Samples per dimension :math:`\alpha=P/N`, in (0, 1).
    zeta_loss : float or array_like
        Per-sample-loss gamma decay :math:`\zeta_L`, >= 0.
    delta : float or array_like
        Teacher noise level :math:`\delta`, >= 0.

    Returns
    -------
    float or ndarray
        The predicted test error; a float for scalar inputs, else an array of the inputs' broadcast shape.

    Raises
    ------
    BadInput
        If ``alpha`` is not in (0, 1), ``zeta_loss`` < 0 or ``delta`` < 0.
    """
    a = _positive("alpha", alpha)
    if np.any(a >= 1):
        raise BadInput(f"alpha must be < 1 for the interpolating regime, got {alpha!r}")
    z = _nonnegative("zeta_loss", zeta_loss)
    d2 = _nonnegative("delta", delta) ** 2
    f = sp.lambdify((mp.alpha, mp.zeta, mp.delta2), bn_interpolation_error_expr(), "numpy")
    return _out(np.asarray(f(a, z, d2)))


def bn_equivalent_zeta(M: int, *, mean_centering: bool = True) -> float:
    """Part-1 gamma decay for the BN student with squared loss (loss convention):
    ``3/(2M)`` with mean-centering (``mu_B`` noise), ``1/(2M)`` without.

    Parameters
    ----------
    M : int
        Batch size, >= 2.
    mean_centering : bool, default True
        Whether BN subtracts the batch mean (adds the :math:`\\mu_B` noise).

    Returns
    -------
    float
        The loss-convention :math:`\\zeta`.

    Raises
    ------
    BadInput
        If ``M`` is not an integer >= 2.
    """
    m = _count("M", M)
    return float(bn_equivalent_zeta_expr(bool(mean_centering)).subs(M_sym, m))


# ----------------------------------------------------------------------------- LaTeX export
#: named intermediates of the printed forms (each defined by a formula of its own)
LAMBDA_MINUS, LAMBDA_PLUS = sp.symbols("lambda_- lambda_+", positive=True)  #: Marchenko-Pastur edges
DISC = sp.Symbol("D", positive=True)  #: the discriminant (zeta + lambda_-)(zeta + lambda_+)
G_PRIME = sp.Symbol("G'", real=True)  #: dG/dzeta
ZETA_L = sp.Symbol("zeta_L", positive=True)  #: gamma decay of the per-sample loss
GAMMA_STAR = sp.Symbol("gamma_*", positive=True)  #: the PN loss's optimal gamma

_GAUSS = (r"$x\sim\mathcal{N}(0,I_N)$, $w^*\sim\mathcal{N}(0,I/N)$, $\varepsilon\sim\mathcal{N}(0,\delta^2)$, "
          r"$P=\alpha N$, $N\to\infty$")
_BELOW, _ABOVE = {"alpha": (0.05, 0.95)}, {"alpha": (1.05, 5.0)}


def _wn_error_in_g_and_derivative() -> sp.Expr:
    """:math:`\\delta^2\\partial_\\zeta(\\zeta G)-\\zeta^2\\partial_\\zeta G` with ``G`` a generic function
    of ``zeta``, written in the symbols ``G`` and ``G'``."""
    g = sp.Function("G")(zeta)
    eps = delta2 * sp.diff(zeta * g, zeta) - zeta**2 * sp.diff(g, zeta)
    return eps.subs(sp.Derivative(g, zeta), G_PRIME).subs(g, G)


def _ridge_correction_display() -> sp.Expr:
    """The Bai--Silverstein mean in the spectrum's edges: endpoint terms ``(e(lambda_-) + e(lambda_+))/4``
    and the arcsine integrals of ``e``'s partial fractions, :math:`\\pi/\\sqrt D` and its ``-d/d zeta``."""
    e = sp.factor(ridge_mode_error())
    endpoints = sum(e.subs(lam, edge) for edge in (LAMBDA_MINUS, LAMBDA_PLUS)) / 4
    j1 = delta2 / (2 * sp.sqrt(DISC))
    j2 = zeta * (delta2 - zeta) * (1 + alpha + zeta) / (2 * DISC ** sp.Rational(3, 2))
    return endpoints - j1 + j2


def _spectrum_formulas() -> list[Formula]:
    edges = {LAMBDA_MINUS: (1 - sp.sqrt(alpha)) ** 2, LAMBDA_PLUS: (1 + sp.sqrt(alpha)) ** 2}
    disc = mp.discriminant()
    return [
        Formula("mp-edge-lower", "Marchenko–Pastur spectrum, lower edge", "2.3", r"\lambda_{-}", edges[LAMBDA_MINUS],
                r"spectrum of $S=X^{\top}X/N$, $P=\alpha N$, $N\to\infty$", defines=LAMBDA_MINUS),
        Formula("mp-edge-upper", "Marchenko–Pastur spectrum, upper edge", "2.3", r"\lambda_{+}", edges[LAMBDA_PLUS],
                r"spectrum of $S=X^{\top}X/N$, $P=\alpha N$, $N\to\infty$", defines=LAMBDA_PLUS),
        Formula("mp-discriminant", "Discriminant of the Marchenko–Pastur quadratic", "2.3", "D", sp.expand(disc),
                r"$\zeta G^2+(\zeta+\alpha-1)G-1=0$ (Silverstein's equation cleared of denominators)",
                display=disc.xreplace({v: k for k, v in edges.items()}), defines=DISC),
        Formula("mp-stieltjes", "Marchenko–Pastur Stieltjes transform", "2.3", r"G(\zeta)", mp.stieltjes(),
                _GAUSS + r"; $G=\lim N^{-1}\operatorname{tr}(X^{\top}X/N+\zeta)^{-1}$, the branch with $G\sim1/\zeta$",
                display=mp.stieltjes().subs(sp.expand(disc), DISC), defines=G),
        Formula("mp-stieltjes-derivative", "Its derivative, by implicit differentiation", "2.3",
                r"G'(\zeta)=\frac{\partial G}{\partial\zeta}", sp.diff(mp.stieltjes(), zeta), _GAUSS,
                display=sp.factor(mp.stieltjes_derivative_in_G()), defines=G_PRIME),
    ]


def formulas() -> list[Formula]:
    """Every derived Part-2 formula, for the LaTeX export, printed in the compact form (in the
    named quantities ``lambda_-``, ``lambda_+``, ``D``, ``G``, ``G'``, ``gamma_*``) that
    :mod:`theory.latex` proves equal to the derived expression.

    Returns
    -------
    list of Formula
        The formulas, in the order of the export.
    """
    below, above = sgd_error_branches()
    fin_below, fin_above = sgd_error_finite_expr()
    c_below, c_above = ridge_correction_expr()
    c_display = _ridge_correction_display()
    wishart = _GAUSS.replace(r", $N\to\infty$", "") + r"; inverse-Wishart mean"
    bai = (_GAUSS + r"; Bai--Silverstein mean (real Gaussian), "
           r"$\mathbb{E}\,\epsilon_{\mathrm{gen}}=\epsilon^{\mathrm{wn}}_{\mathrm{gen}}+c_{1/N}/N+O(N^{-2})$")
    part1 = r"Part-1 $\zeta$ with $A''=2$, $\rho=0$; loss convention"
    return _spectrum_formulas() + [
        Formula("ridge-mode-error", "Ridge error of one eigenmode", "2.3", r"N\,\mathbb{E}[(v_k-w^*_k)^2]",
                ridge_mode_error(), _GAUSS + r"; $\lambda$ the eigenvalue of the mode; ridge convention",
                display=sp.factor(ridge_mode_error())),
        Formula("wn-error", "WN + gamma decay generalization error", "2.3", r"\epsilon^{\mathrm{wn}}_{\mathrm{gen}}",
                wn_error_expr(), _GAUSS + "; ridge convention",
                display=_wn_error_in_g_and_derivative(),
                note=r"this is the seed's "
                     r"$\delta^2\,\partial(\zeta G)/\partial\zeta-\zeta^2\,\partial G/\partial\zeta$"),
        Formula("sgd-error-below", r"Least squares, $\alpha<1$", "2.3",
                r"\epsilon^{\mathrm{sgd}}_{\mathrm{gen}}", below, _GAUSS + r"; $\alpha<1$",
                display=((1 - alpha) ** 2 + alpha * delta2) / (1 - alpha), region=_BELOW),
        Formula("sgd-error-above", r"Least squares, $\alpha>1$", "2.3",
                r"\epsilon^{\mathrm{sgd}}_{\mathrm{gen}}", above, _GAUSS + r"; $\alpha>1$", region=_ABOVE),
        Formula("sgd-error-finite-below", r"Least squares, exact finite $N$, $P\le N-2$", "2.3",
                r"\mathbb{E}\,\epsilon^{\mathrm{sgd}}_{N}", fin_below, wishart),
        Formula("sgd-error-finite-above", r"Least squares, exact finite $N$, $P\ge N+2$", "2.3",
                r"\mathbb{E}\,\epsilon^{\mathrm{sgd}}_{N}", fin_above, wishart),
        Formula("ridge-correction-below", r"Ridge $1/N$ coefficient, $\alpha<1$", "2.3", r"c_{1/N}", c_below,
                bai + r"; $\alpha<1$", display=c_display, region=_BELOW),
        Formula("ridge-correction-above", r"Ridge $1/N$ coefficient, $\alpha\ge1$", "2.3", r"c_{1/N}", c_above,
                bai + r"; $\alpha\ge1$", display=c_display, region=_ABOVE,
                note=r"the same closed form as for $\alpha<1$: the derivation's two branches agree"),
        Formula("optimal-zeta", "Optimal gamma decay (ridge convention)", "2.3", r"\zeta^{*}", optimal_zeta_expr(),
                _GAUSS + r"; any spectrum "
                r"($\partial_\zeta\epsilon^{\mathrm{wn}}_{\mathrm{gen}}=(\delta^2-\zeta)(2G'+\zeta G'')$)"),
        Formula("zeta-map", "Ridge convention from the per-sample loss", "2.3", r"\zeta",
                zeta_map_expr().subs(zeta, ZETA_L),
                r"loss $\frac1P\sum_j(\phi(x_j)-y_j)^2+\zeta_L\gamma^2$, $P=\alpha N$"),
        Formula("gamma-star", r"Optimal scale of the PN loss", "2.3", r"\gamma_{*}", sp.sqrt(1 + delta2) / (1 + ZETA_L),
                r"PN loss $\gamma^2-2\gamma\sqrt{1+\delta^2}+1+\delta^2+\zeta_L\gamma^2$", defines=GAMMA_STAR),
        Formula("bn-interpolation-error", r"BN (PN with training statistics + gamma decay), $\alpha<1$", "2.3",
                r"\epsilon^{\mathrm{bn}}_{\mathrm{gen}}", bn_interpolation_error_expr().subs(zeta, ZETA_L),
                _GAUSS + r"; $\alpha<1$; $w_0\to0$; $\sigma_{\mathcal{P}}=\lVert w\rVert$ at test",
                display=GAMMA_STAR**2 - 2 * GAMMA_STAR * sp.sqrt(alpha * (1 - alpha) / (1 - alpha + delta2)) + 1,
                region=_BELOW),
        Formula("zeta-bn-centered", "BN-equivalent gamma decay, with mean-centering", "2.3", r"\zeta_{\mathrm{BN}}",
                bn_equivalent_zeta_expr(True), part1),
        Formula("zeta-bn-uncentered", "BN-equivalent gamma decay, no mean-centering", "2.3",
                r"\zeta_{\mathrm{BN}}^{\text{no }\mu_{\mathcal{B}}}", bn_equivalent_zeta_expr(False), part1),
    ]
