r"""BN's implicit regularizer in one layer of a real network, derived (seed §1.3, §2.4.1).

On one batch a BN layer *is* population normalization (PN) with its affine parameters shifted:

.. math:: \Delta\beta_c=-\frac{\gamma_c a_c}{1+b_c},\qquad \Delta\gamma_c=-\frac{\gamma_c b_c}{1+b_c},
          \qquad 1+b_c=\sqrt{1+\delta V_c-a_c^2},

exactly (:func:`shift_identity`), with :math:`n=(h-\mu_{\mathcal P})/\sqrt{\sigma_{\mathcal P}^2+\epsilon}`,
:math:`a` the batch mean of :math:`n`, :math:`\delta V` the batch mean of :math:`n^2` minus :math:`r=
\sigma_{\mathcal P}^2/(\sigma_{\mathcal P}^2+\epsilon)` (the module's ``eps`` kept, not assumed away).
Hence :math:`L_{BN}-L_{PN}=\mathbb E_{\mathcal B}[L_{\mathcal B}(\theta+\Delta\theta_{\mathcal B})-
L_{\mathcal B}(\theta)]`, and to second order in :math:`\eta=M^{-1/2}` (:func:`second_order`)

.. math:: L_{BN}-L_{PN}=T_1+\tfrac12\operatorname{tr}(H\Sigma)+O(M^{-2}),\qquad
          \tfrac12\operatorname{tr}(H\Sigma)=\gamma^{\top}Z\gamma,

a *matrix* gamma decay, with :math:`\Sigma` from the covariances over units (a sample; an image for a
conv layer, whose :math:`u,v` are the means over positions of :math:`n,n^2`) of the batches' i.i.d.
units, and :math:`T_1` the first-order term (the loss's gradient against the mean shift, and a unit's
share of its own batch).  One GLM neuron recovers the seed's :math:`\zeta` (:func:`glm_reduction`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import numpy as np
import sympy as sp

from . import notation
from ._formula import Formula
from .errors import BadInput, real_batch_size
from .gamma_decay import CROSS, F_GAMMA, MU_D2A, zeta_formula
from .symbols import (
    A_STD,
    COV_GB_U,
    COV_GB_V,
    COV_GG_U,
    COV_GG_V,
    COV_UU,
    COV_UU_D,
    COV_UV,
    COV_UV_D,
    COV_VU_D,
    COV_VV,
    COV_VV_D,
    DV_STD,
    ETA,
    FLUCT_G_BETA,
    FLUCT_G_GAMMA,
    FLUCT_U,
    FLUCT_U_D,
    FLUCT_V,
    FLUCT_V_D,
    GAMMA,
    GAMMA_D,
    GRAD_BETA,
    GRAD_GAMMA,
    HESS_BB,
    HESS_BG,
    HESS_GB,
    HESS_GG,
    N_BAR,
    POS_CORR,
    POSITIONS,
    R_VAR,
    RHO,
    SKEW,
    M,
)

__all__ = ["effective_batch_size", "first_order_term", "formulas", "gamma_decay_matrix", "glm_reduction",
           "mean_shift", "second_order", "shift_identity", "shift_moments"]

for _row in (
    ("eta", r"\eta", "η", r"$M^{-1/2}$, the size of a batch statistic's error"),
    ("r", "r", "r", r"$\sigma_{\mathcal{P}}^2/(\sigma_{\mathcal{P}}^2+\epsilon)$, the variance of $n$"),
    ("a_B", r"a_{\mathcal{B}}", "a_B",
     r"batch mean of $n$, $(\mu_{\mathcal{B}}-\mu_{\mathcal{P}})/\sqrt{\sigma_{\mathcal{P}}^2+\epsilon}$"),
    ("delta_V", r"\delta V", "δV", r"batch mean of $n^2$ minus $r$"),
    ("gamma'", r"\gamma'", "γ'", r"the scale of a second channel $c'$"),
    *((f"C_{x}{y}", f"C_{{{x}{y}}}", f"C_{x}{y}", rf"covariance over units of ${x}_c$ and ${y}_c$")
      for x, y in ("uu", "uv", "vv")),
    *((f"C_{x}{y}'", f"C_{{{x}{y}'}}", f"C_{x}{y}'", rf"covariance over units of ${x}_c$ and ${y}_{{c'}}$")
      for x, y in ("uu", "uv", "vu", "vv")),
    *((f"K_{p}{x}", rf"K_{{\{p} {x}}}", f"K_{t}{x}",
       rf"covariance over units of $\partial\ell/\partial\{p}_c$ and ${x}_c$")
      for p, t in (("beta", "β"), ("gamma", "γ")) for x in "uv"),
    *((f"H_{p}{q}'", rf"H_{{\{p}\{q}'}}", f"H_{t}{w}'", rf"PN loss Hessian in $\{p}_c$, $\{q}_{{c'}}$")
      for p, t in (("beta", "β"), ("gamma", "γ")) for q, w in (("beta", "β"), ("gamma", "γ"))),
    ("g_beta", r"g_{\beta}", "g_β", r"$\partial L_{PN}/\partial\beta_c$, the PN training loss's gradient"),
    ("g_gamma", r"g_{\gamma}", "g_γ", r"$\partial L_{PN}/\partial\gamma_c$"),
    ("K", "K", "K", r"positions a conv channel averages per image"),
    ("rho_pos", r"\bar\rho", "ρ̄", r"mean correlation of $n$ between two positions of one image"),
):
    notation.register(*_row)

#: (fluctuation, fluctuation) -> its covariance over units; eta^2 E[X Y] = C_XY / M for i.i.d. units
_COVARIANCES: dict[frozenset, sp.Symbol] = {
    frozenset({FLUCT_U}): COV_UU, frozenset({FLUCT_U, FLUCT_V}): COV_UV, frozenset({FLUCT_V}): COV_VV,
    frozenset({FLUCT_U, FLUCT_U_D}): COV_UU_D, frozenset({FLUCT_U, FLUCT_V_D}): COV_UV_D,
    frozenset({FLUCT_V, FLUCT_U_D}): COV_VU_D, frozenset({FLUCT_V, FLUCT_V_D}): COV_VV_D,
    frozenset({FLUCT_G_BETA, FLUCT_U}): COV_GB_U, frozenset({FLUCT_G_BETA, FLUCT_V}): COV_GB_V,
    frozenset({FLUCT_G_GAMMA, FLUCT_U}): COV_GG_U, frozenset({FLUCT_G_GAMMA, FLUCT_V}): COV_GG_V,
}
_FLUCTUATIONS = (FLUCT_U, FLUCT_V, FLUCT_U_D, FLUCT_V_D, FLUCT_G_BETA, FLUCT_G_GAMMA)


@cache
def shift_identity() -> dict[str, sp.Expr]:
    r"""The exact BN-as-shifted-PN identity of one channel (seed §1.3; no expansion).

    Returns
    -------
    dict
        ``"one_plus_b"``: :math:`1+b=\sqrt{(\sigma_{\mathcal B}^2+\epsilon)/(\sigma_{\mathcal P}^2+\epsilon)}`
        in :math:`a,\delta V`; ``"delta_beta"``, ``"delta_gamma"``: the shifts that make
        :math:`(\gamma+\Delta\gamma)n+\beta+\Delta\beta` the BN output for every :math:`n`,
        solved from the coefficients of :math:`n`; ``"residual"``: BN output minus shifted PN
        output, simplified (zero).
    """
    sigma_t = sp.Symbol("sigma_t", positive=True)  # sqrt(sigma_P^2 + eps), eliminated below
    sigma2_p, eps = R_VAR * sigma_t**2, (1 - R_VAR) * sigma_t**2
    mu_p = sp.Symbol("mu", real=True)
    h = mu_p + sigma_t * N_BAR
    mu_b = mu_p + sigma_t * A_STD  # batch mean of h
    var_b = sigma_t**2 * (R_VAR + DV_STD - A_STD**2)  # biased batch variance of h
    bn = GAMMA * (h - mu_b) / sp.sqrt(var_b + eps) + sp.Symbol("beta", real=True)
    slope, offset = sp.Poly(sp.expand(bn), N_BAR).all_coeffs()
    one_plus_b = sp.sqrt(sp.simplify((var_b + eps) / (sigma2_p + eps)))
    b = one_plus_b - 1
    delta_beta, delta_gamma = -GAMMA * A_STD / (1 + b), -GAMMA * b / (1 + b)
    assert sp.simplify(slope - GAMMA - delta_gamma) == 0 and sp.simplify(offset - sp.Symbol("beta", real=True)
                                                                          - delta_beta) == 0
    residual = sp.simplify(bn - ((GAMMA + delta_gamma) * N_BAR + sp.Symbol("beta", real=True) + delta_beta))
    return {"one_plus_b": one_plus_b, "delta_beta": delta_beta, "delta_gamma": delta_gamma, "residual": residual}


def _expectation(expr: sp.Expr) -> sp.Expr:
    r""":math:`\mathbb E` of a polynomial in the fluctuations (``U, V, U', V', G``) times powers of
    :math:`\eta`, to order :math:`\eta^2=1/M`: a linear term has mean 0, a product of two has mean
    :math:`C/M`, higher products are :math:`O(M^{-2})` for i.i.d. units and dropped."""
    poly = sp.Poly(sp.expand(expr), *_FLUCTUATIONS, ETA)
    total = sp.Integer(0)
    for powers, coeff in poly.terms():
        degree, eta_power = sum(powers[:-1]), powers[-1]
        if eta_power > 2 or degree not in (0, 2):
            continue
        if degree == 0:
            total += coeff * ETA**eta_power
            continue
        pair = frozenset(f for f, k in zip(_FLUCTUATIONS, powers[:-1]) if k)
        total += coeff * _COVARIANCES[pair] * ETA**eta_power
    return sp.expand(total.subs(ETA, 1 / sp.sqrt(M)))


def _shifts(fluct_u: sp.Symbol, fluct_v: sp.Symbol, gamma: sp.Symbol) -> tuple[sp.Expr, sp.Expr]:
    r"""(:math:`\Delta\beta`, :math:`\Delta\gamma`) of a channel with :math:`a=\eta U`,
    :math:`\delta V=\eta V`, as series in :math:`\eta` to :math:`\eta^2`."""
    exact = shift_identity()
    out = []
    for key in ("delta_beta", "delta_gamma"):
        e = exact[key].subs({A_STD: ETA * fluct_u, DV_STD: ETA * fluct_v, GAMMA: gamma})
        out.append(sp.expand(sp.series(e, ETA, 0, 3).removeO()))
    return out[0], out[1]


@cache
def mean_shift() -> dict[str, sp.Expr]:
    r""":math:`\mathbb E[\Delta\beta_c]` and :math:`\mathbb E[\Delta\gamma_c]` to :math:`O(1/M)` (seed §1.3).

    Returns
    -------
    dict
        ``"beta"``, ``"gamma"``: SymPy expressions in :math:`\gamma, C_{uu}, C_{uv}, C_{vv}, M`.
    """
    d_beta, d_gamma = _shifts(FLUCT_U, FLUCT_V, GAMMA)
    return {"beta": sp.factor(_expectation(d_beta)), "gamma": sp.factor(_expectation(d_gamma))}


@cache
def shift_moments() -> dict[str, sp.Expr]:
    r"""The entries of :math:`\Sigma=\mathbb E[\Delta\theta\,\Delta\theta^{\top}]` between channels
    :math:`c` and :math:`c'` of one layer, to :math:`O(1/M)`.

    Returns
    -------
    dict
        ``"beta_beta"``, ``"beta_gamma"``, ``"gamma_beta"``, ``"gamma_gamma"``: e.g.
        :math:`\mathbb E[\Delta\beta_c\Delta\gamma_{c'}]` in :math:`\gamma,\gamma',C_{uv'},M`.
    """
    own = dict(zip(("beta", "gamma"), _shifts(FLUCT_U, FLUCT_V, GAMMA)))
    other = dict(zip(("beta", "gamma"), _shifts(FLUCT_U_D, FLUCT_V_D, GAMMA_D)))
    return {f"{p}_{q}": sp.factor(_expectation(own[p] * other[q])) for p in own for q in other}


@cache
def first_order() -> sp.Expr:
    r"""The first-order term :math:`T_1=\mathbb E[\nabla_\theta L_{\mathcal B}\cdot\Delta\theta_{\mathcal B}]`
    of one channel to :math:`O(1/M)`: the PN gradient against the mean shift, plus the covariance of
    the batch's gradient with its own statistics (a unit's share of its batch; Part 1's conditional
    bias, per channel)."""
    d_beta, d_gamma = _shifts(FLUCT_U, FLUCT_V, GAMMA)
    grad_beta, grad_gamma = GRAD_BETA + ETA * FLUCT_G_BETA, GRAD_GAMMA + ETA * FLUCT_G_GAMMA
    return sp.collect(_expectation(grad_beta * d_beta + grad_gamma * d_gamma), [GRAD_BETA, GRAD_GAMMA])


@cache
def second_order() -> sp.Expr:
    r"""The channel pair :math:`(c,c')`'s share of :math:`\tfrac12\operatorname{tr}(H\Sigma)`, i.e.
    :math:`\gamma_c\gamma_{c'}Z_{cc'}`: the matrix gamma decay of a layer is
    :math:`\tfrac12\operatorname{tr}(H\Sigma)=\sum_{c,c'}\gamma_c Z_{cc'}\gamma_{c'}`."""
    sigma = shift_moments()
    hess = {"beta_beta": HESS_BB, "beta_gamma": HESS_BG, "gamma_beta": HESS_GB, "gamma_gamma": HESS_GG}
    return sp.factor(sum(hess[k] * sigma[k] for k in hess) / 2)


def glm_reduction() -> dict[str, sp.Expr]:
    r"""One GLM neuron (seed §1.3) as a one-channel layer: :math:`c'=c`, i.i.d. samples, ``eps`` = 0,
    :math:`C_{uu}=1`, :math:`C_{uv}=s`, :math:`C_{vv}=\rho+2`, and
    :math:`H=\begin{pmatrix}\mu_{d^2A}&\mathbb E[A''\bar n]\\ \mathbb E[A''\bar n]&F_\gamma\end{pmatrix}`.

    Returns
    -------
    dict
        ``"derived"``: :math:`\tfrac12\operatorname{tr}(H\Sigma)/\gamma^2`; ``"seed"``: the sum of
        :func:`theory.gamma_decay.zeta_formula`'s terms; ``"difference"``: their simplified
        difference (zero: the seed's :math:`\zeta` is this layer's matrix gamma decay).
    """
    one_channel = {GAMMA_D: GAMMA, COV_UU_D: 1, COV_UV_D: SKEW, COV_VU_D: SKEW, COV_VV_D: RHO + 2,
                   HESS_BB: MU_D2A, HESS_BG: CROSS, HESS_GB: CROSS, HESS_GG: F_GAMMA}
    derived = sp.factor(second_order().subs(one_channel) / GAMMA**2)
    seed = sp.factor(sum(zeta_formula(True).values()))
    return {"derived": derived, "seed": seed, "difference": sp.simplify(derived - seed)}


@cache
def effective_batch() -> dict[str, sp.Expr]:
    r"""A conv channel's effective batch size :math:`M_{\mathrm{eff}}=r/\operatorname{Var}a` (seed §2.4):
    ``"moments"`` :math:`=rM/C_{uu}` from the unit covariance, and ``"positions"`` for :math:`K`
    positions of equal variance :math:`r` and mean pairwise correlation :math:`\bar\rho` per image
    (:math:`MK/(1+(K-1)\bar\rho)`: :math:`M` for :math:`\bar\rho=1`, :math:`MK` for :math:`\bar\rho=0`)."""
    var_a = COV_UU / M
    var_u = R_VAR * (POSITIONS + POSITIONS * (POSITIONS - 1) * POS_CORR) / POSITIONS**2
    positions = sp.factor(sp.simplify(R_VAR / var_a.subs(COV_UU, var_u)))
    return {"moments": sp.simplify(R_VAR / var_a), "positions": positions}


# -- numbers: the derived expressions, lambdified, over all channels of a layer at once -------------

def _lambdified(expr: sp.Expr, args: tuple[sp.Symbol, ...]) -> Callable[..., np.ndarray]:
    return sp.lambdify(args, expr, modules="numpy")


@cache
def _numeric() -> dict[str, Callable[..., np.ndarray]]:
    sigma, shift = shift_moments(), mean_shift()
    pair = (GAMMA, GAMMA_D, M)
    return {
        "beta_beta": _lambdified(sigma["beta_beta"], (*pair, COV_UU_D)),
        "beta_gamma": _lambdified(sigma["beta_gamma"], (*pair, COV_UV_D)),
        "gamma_beta": _lambdified(sigma["gamma_beta"], (*pair, COV_VU_D)),
        "gamma_gamma": _lambdified(sigma["gamma_gamma"], (*pair, COV_VV_D)),
        "mean_beta": _lambdified(shift["beta"], (GAMMA, M, COV_UU, COV_UV, COV_VV)),
        "mean_gamma": _lambdified(shift["gamma"], (GAMMA, M, COV_UU, COV_UV, COV_VV)),
        "first_order": _lambdified(first_order(), (GAMMA, M, GRAD_BETA, GRAD_GAMMA, COV_UU, COV_UV, COV_VV,
                                                   COV_GB_U, COV_GB_V, COV_GG_U, COV_GG_V)),
        "m_eff": _lambdified(effective_batch()["moments"], (R_VAR, M, COV_UU)),
    }


def _check_layer(gamma: np.ndarray, cov: np.ndarray, M: float) -> tuple[np.ndarray, np.ndarray, int]:
    gamma, cov = np.asarray(gamma, dtype=np.float64), np.asarray(cov, dtype=np.float64)
    channels = gamma.shape[0] if gamma.ndim == 1 else -1
    if channels < 1 or cov.shape != (2 * channels, 2 * channels):
        raise BadInput(f"gamma must be a vector of C scales and cov a (2C, 2C) matrix, got {gamma.shape} and "
                       f"{cov.shape}")
    if not np.allclose(cov, cov.T, rtol=1e-10, atol=0.0):
        raise BadInput("the covariance of (u, v) over units must be symmetric")
    real_batch_size(M)
    return gamma, cov, channels


def shift_covariance(gamma: np.ndarray, unit_cov: np.ndarray, M: float) -> np.ndarray:
    r""":math:`\Sigma=\mathbb E[\Delta\theta\Delta\theta^{\top}]` of one layer, to :math:`O(1/M)`.

    Parameters
    ----------
    gamma : array of shape (C,)
        The layer's scales :math:`\gamma_c`.
    unit_cov : array of shape (2C, 2C)
        Covariance over units of :math:`(u_1..u_C, v_1..v_C)` (a unit: a sample, or an image of a
        conv layer, :math:`u,v` its means over positions of :math:`n,n^2`).
    M : float
        Units per batch (samples; images for a conv layer), batches i.i.d. from the population.

    Returns
    -------
    ndarray of shape (2C, 2C)
        Ordered :math:`(\beta_1..\beta_C,\gamma_1..\gamma_C)`, from :func:`shift_moments`.

    Raises
    ------
    BadInput
        Shapes that do not match, or ``M`` < 2.
    """
    gamma, unit_cov, c = _check_layer(gamma, unit_cov, M)
    f, g, h = _numeric(), gamma[:, None], gamma[None, :]
    blocks = [[f["beta_beta"](g, h, M, unit_cov[:c, :c]), f["beta_gamma"](g, h, M, unit_cov[:c, c:])],
              [f["gamma_beta"](g, h, M, unit_cov[c:, :c]), f["gamma_gamma"](g, h, M, unit_cov[c:, c:])]]
    return np.block(blocks)


def gamma_decay_matrix(hessian: np.ndarray, gamma: np.ndarray, unit_cov: np.ndarray, M: float) -> np.ndarray:
    r"""The matrix gamma decay :math:`Z` of one layer: :math:`\tfrac12\operatorname{tr}(H\Sigma)=\gamma^{\top}Z\gamma`.

    Parameters
    ----------
    hessian : array of shape (2C, 2C)
        The PN training loss's Hessian over :math:`(\beta,\gamma)`, ordered as in :func:`shift_covariance`.
    gamma, unit_cov, M
        As in :func:`shift_covariance`.

    Returns
    -------
    ndarray of shape (C, C)
        :math:`Z_{cc'}=\tfrac12\sum_{p,q\in\{\beta,\gamma\}}H_{p_cq_{c'}}\Sigma_{p_cq_{c'}}/(\gamma_c\gamma_{c'})`.
    """
    gamma, unit_cov, c = _check_layer(gamma, unit_cov, M)
    hessian = np.asarray(hessian, dtype=np.float64)
    if hessian.shape != (2 * c, 2 * c):
        raise BadInput(f"the Hessian must be a ({2 * c}, {2 * c}) matrix over (beta, gamma), got {hessian.shape}")
    unit = shift_covariance(np.ones(c), unit_cov, M)
    weighted = 0.5 * hessian * unit
    return weighted[:c, :c] + weighted[:c, c:] + weighted[c:, :c] + weighted[c:, c:]


def mean_shift_values(gamma: np.ndarray, unit_cov: np.ndarray, M: float) -> tuple[np.ndarray, np.ndarray]:
    r""":math:`(\mathbb E\Delta\beta_c,\mathbb E\Delta\gamma_c)` of every channel, from :func:`mean_shift`
    (parameters as in :func:`shift_covariance`)."""
    gamma, unit_cov, c = _check_layer(gamma, unit_cov, M)
    uu, uv, vv = np.diag(unit_cov[:c, :c]), np.diag(unit_cov[:c, c:]), np.diag(unit_cov[c:, c:])
    return _numeric()["mean_beta"](gamma, M, uu, uv, vv), _numeric()["mean_gamma"](gamma, M, uu, uv, vv)


def first_order_term(gamma: np.ndarray, unit_cov: np.ndarray, M: float, grad: np.ndarray,
                     grad_cov: np.ndarray) -> np.ndarray:
    r"""Every channel's first-order term :math:`T_{1,c}` (:func:`first_order`).

    Parameters
    ----------
    gamma, unit_cov, M
        As in :func:`shift_covariance`.
    grad : array of shape (2, C)
        The PN training loss's gradient in :math:`\beta_c` (row 0) and :math:`\gamma_c` (row 1).
    grad_cov : array of shape (2, 2, C)
        ``grad_cov[p, x, c]``: covariance over units of the per-unit gradient in parameter
        :math:`p\in(\beta,\gamma)` of channel c with :math:`x\in(u,v)` of channel c.

    Returns
    -------
    ndarray of shape (C,)
    """
    gamma, unit_cov, c = _check_layer(gamma, unit_cov, M)
    grad, grad_cov = np.asarray(grad, dtype=np.float64), np.asarray(grad_cov, dtype=np.float64)
    if grad.shape != (2, c) or grad_cov.shape != (2, 2, c):
        raise BadInput(f"grad must have shape (2, {c}) and grad_cov (2, 2, {c}), got {grad.shape}, {grad_cov.shape}")
    uu, uv, vv = np.diag(unit_cov[:c, :c]), np.diag(unit_cov[:c, c:]), np.diag(unit_cov[c:, c:])
    return _numeric()["first_order"](gamma, M, grad[0], grad[1], uu, uv, vv, grad_cov[0, 0], grad_cov[0, 1],
                                     grad_cov[1, 0], grad_cov[1, 1])


def effective_batch_size(variance: np.ndarray, cov_uu: np.ndarray, M: float) -> np.ndarray:
    r""":math:`M_{\mathrm{eff},c}=rM/C_{uu}` (:func:`effective_batch`): how many independent positions
    give a batch mean of :math:`n` the variance a batch of ``M`` units gives it.

    Parameters
    ----------
    variance : array of shape (C,)
        :math:`r_c=\mathbb E n_c^2`, the variance of one position's :math:`n`.
    cov_uu : array of shape (C,)
        :math:`C_{uu}`, the variance over units of the unit mean :math:`u_c`.
    M : float
        Units per batch.

    Returns
    -------
    ndarray of shape (C,)
        Infinite where :math:`C_{uu}=0` (the batch mean does not fluctuate).

    Raises
    ------
    BadInput
        Arrays that are not two vectors of one length, negative values, or ``M`` < 2.
    """
    variance, cov_uu = np.asarray(variance, dtype=np.float64), np.asarray(cov_uu, dtype=np.float64)
    if variance.ndim != 1 or variance.shape != cov_uu.shape or not variance.size:
        raise BadInput(f"variance and cov_uu must be vectors of one length, got {variance.shape} and {cov_uu.shape}")
    if np.any(variance < 0) or np.any(cov_uu < 0):
        raise BadInput("variance and cov_uu must be non-negative")
    real_batch_size(M)
    with np.errstate(divide="ignore"):
        return _numeric()["m_eff"](variance, M, cov_uu)


def formulas() -> list[Formula]:
    """The derived formulas of the network audit, for the LaTeX export.

    Returns
    -------
    list of Formula
        Registered in :data:`theory.latex.FORMULA_SOURCES`.
    """
    exact, shift, sigma, m_eff = shift_identity(), mean_shift(), shift_moments(), effective_batch()
    layer = (r"one BN layer, the others in population mode; $n=(h-\mu_{\mathcal{P}})/\sqrt{\sigma_{\mathcal{P}}^2"
             r"+\epsilon}$ per channel, $a_{\mathcal{B}}$, $\delta V$ its batch mean and batch mean of $n^2$ "
             r"minus $r$; biased batch variance, as \texttt{torch.nn.BatchNorm}")
    iid = (r"; batches of $M$ units (samples; images for a conv layer) i.i.d.\ from the population, "
           r"$u,v$ a unit's mean of $n$, $n^2$ over positions; $O(M^{-2})$ dropped")
    return [
        Formula("network-bn-scale-ratio", "BN scale ratio of a channel, exact", "1.3, 2.4.1", "1+b",
                exact["one_plus_b"], layer + r"; $1+b=\sqrt{(\sigma_{\mathcal{B}}^2+\epsilon)/(\sigma_{\mathcal{P}}^2"
                r"+\epsilon)}$"),
        Formula("network-shift-beta", r"BN as PN with a shifted $\beta$, exact", "1.3, 2.4.1", r"\Delta\beta",
                exact["delta_beta"], layer),
        Formula("network-shift-gamma", r"BN as PN with a shifted $\gamma$, exact", "1.3, 2.4.1", r"\Delta\gamma",
                exact["delta_gamma"], layer),
        Formula("network-mean-shift-beta", r"Mean shift of $\beta$", "1.3, 2.4.1", r"\mathbb{E}\Delta\beta",
                shift["beta"], layer + iid),
        Formula("network-mean-shift-gamma", r"Mean shift of $\gamma$", "1.3, 2.4.1", r"\mathbb{E}\Delta\gamma",
                shift["gamma"], layer + iid),
        *(Formula(f"network-shift-moment-{p}-{q}".replace("_", "-"), rf"Second moment of $\Delta\{p}$ and "
                  rf"$\Delta\{q}'$", "1.3, 2.4.1", rf"\mathbb{{E}}[\Delta\{p}_c\,\Delta\{q}_{{c'}}]",
                  sigma[f"{p}_{q}"], layer + iid)
          for p in ("beta", "gamma") for q in ("beta", "gamma")),
        Formula("network-first-order", "First-order term of a channel", "1.3, 2.4.1",
                r"T_{1}", first_order(), layer + iid + r"; $\nabla L_{\mathcal{B}}$ the batch's PN-loss gradient"),
        Formula("network-matrix-gamma-decay", r"Matrix gamma decay, the share of channels $c,c'$", "1.3, 2.4.1",
                r"\gamma_c Z_{cc'}\gamma_{c'}", second_order(), layer + iid + r"; $\tfrac12\operatorname{tr}"
                r"(H\Sigma)=\gamma^{\top}Z\gamma$, $H$ the PN training loss's Hessian over the layer's "
                r"$(\beta,\gamma)$"),
        Formula("network-effective-batch", "Effective batch size of a channel", "2.4", r"M_{\mathrm{eff}}",
                m_eff["moments"], layer + iid + r"; $M_{\mathrm{eff}}=r/\operatorname{Var}a_{\mathcal{B}}$"),
        Formula("network-effective-batch-positions", "Effective batch size from the spatial correlation", "2.4",
                r"M_{\mathrm{eff}}", m_eff["positions"], layer + iid + r"; $K$ positions of equal variance, "
                r"mean pairwise correlation $\bar\rho$"),
    ]
