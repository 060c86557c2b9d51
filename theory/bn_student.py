r"""What the BN student of seed §2.3 converges to, derived in SymPy.

Student :math:`\phi=\gamma(h-\mu_B)/\sigma_B`, :math:`h=w^Tx` (:math:`\beta=0`, :math:`\sigma_B` with
:math:`1/M`), squared loss on batches of :math:`M` drawn from a **fixed** training set of
:math:`P=\alpha N` teacher samples (:mod:`theory.teacher_student`), test error with the population
statistics :math:`\mu_P=0,\ \sigma_P=\|w\|`:
:math:`\epsilon=\gamma^2-2\gamma\,u^Tw^*+\|w^*\|^2`, :math:`u=w/\|w\|`.

Steps (each a function below):

1. exact: :math:`\sum_B\hat n=0`, :math:`\sum_B\hat n^2=M`, so the batch loss is
   :math:`\gamma^2-2\gamma C_B(w)+\overline{y^2}_B` with :math:`C_B=\mathrm{cov}_B(h,y)/\sigma_B(h)` — no
   :math:`\gamma^2` term from the normalization noise (:func:`batch_loss`);
2. exact: the expected loss over random batches is stationary at :math:`\gamma=F(w)=\mathbb E_BC_B(w)`
   and its profile is :math:`\overline{y^2}-F(w)^2`: SGD converges to the maximiser of :math:`F`
   (:func:`stationary_gamma`);
3. exact: with the training-set regression :math:`y=ah+b+e`,
   :math:`C_B=a\sigma_B(h)+\mathrm{cov}_B(h,e)/\sigma_B(h)` (:func:`correlation_decomposition`);
4. **input assumption A1** (high dimension, :math:`P\to\infty` at fixed :math:`M`): a batch is
   :math:`M` i.i.d. draws from the training set's empirical law, and at the least-squares direction
   that law of :math:`(h,e)` is the one of independent centred Gaussians (leave-one-out: jointly
   Gaussian, uncorrelated by construction).  Then :math:`\mathbb E_B[\mathrm{cov}_B(h,e)/\sigma_B]=0`,
   :math:`\mathbb E_B\sigma_B=c_M\sigma_T` with the chi factor :math:`c_M` (:func:`chi_factor`), and
   :math:`F=c_M\,\sigma_T(y)\,\mathrm{corr}_T(h,y)` to leading order;
5. :math:`\alpha>1`: :math:`\mathrm{corr}_T` is maximal at the (centred) least-squares direction
   (:func:`least_squares_maximises_correlation`), where :math:`a=1`, so
   :math:`\gamma=c_M\sigma_T(h_{LS})`; :math:`\alpha<1`: every batch is interpolated,
   :math:`C_B=\sigma_B(y)` (its Cauchy–Schwarz bound) and :math:`\gamma=c_M\sigma_T(y)`; from
   :math:`w_0\to0` the direction is the min-norm centred interpolant (SGD moves :math:`w` only
   within the span of differences of training inputs, so :math:`(I-\Pi)w_0` is conserved);
6. the :math:`N\to\infty` training statistics (input facts of least squares) give the closed forms
   (:func:`bn_error_leading`), PN as :math:`M\to\infty` (:func:`pn_error_expr`), and the common
   finite value at :math:`\alpha=1` (:func:`alpha_one_limit`);
7. :math:`\alpha>1`, the direction: the gradient of :math:`F` at the least-squares direction is not
   zero — the Hájek weight :math:`\kappa(z)` of :mod:`theory._bn_hajek` varies with :math:`z` at
   :math:`O(1/M)` — so BN's direction differs from least squares by a weighted-least-squares step
   :math:`d=(X^TX)^{-1}X^T(e\odot\varepsilon(z))`; with **input assumption A2** (the vector
   :math:`e\odot\varepsilon(z)` is generic for the design's quadratic forms:
   :math:`\|d\|^2\to\mathbb E[e^2\varepsilon^2]/(\alpha-1)`, :math:`d^T\Sigma_Td\to\mathbb E[e^2\varepsilon^2]/\alpha`)
   the test error rises by :math:`O(M^{-2})` (:func:`direction_correction`).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import sympy as sp

from . import _marchenko_pastur as mp
from . import notation
from ._bn_hajek import hajek_weight, relative_weight_spread
from ._formula import Formula
from .batch_statistics import mean_sigma_B_gaussian
from .errors import BadInput, batch_sizes
from .symbols import GAMMA, SIGMA_P, M, U

alpha, delta2 = mp.alpha, mp.delta2
#: the chi factor E sigma_B / sigma_P as a free symbol in the closed forms (its value: chi_factor())
C_CHI = sp.Symbol("c_M", positive=True)
F_SYM = sp.Symbol("F", real=True)  #: E_B C_B(w), the expected batch correlation
F_INIT = sp.Symbol("f", nonnegative=True)  #: ||(I - Pi) w_0||^2 / ||w_oo||^2, the conserved share (alpha < 1)
C_B, MEAN_Y2 = sp.Symbol("C_B", real=True), sp.Symbol(r"\overline{y^2}", positive=True)


# ----------------------------------------------------------------------------- exact steps
@lru_cache(maxsize=None)
def batch_loss() -> sp.Expr:
    r""":math:`\frac1M\sum_B(\gamma\hat n-y)^2=\gamma^2-2\gamma C_B+\overline{y^2}_B`, exact.

    The summand is expanded in the centred pre-activation :math:`d=h-\mu_B` and :math:`y`, and each
    monomial summed over the batch by the definitions :math:`\sum_Bd=0`,
    :math:`\sum_Bd^2=M\sigma_B^2` (:math:`\sigma_B` with :math:`1/M`), :math:`\sum_Bd\,y=M\sigma_BC_B`,
    :math:`\sum_By^2=M\overline{y^2}_B`."""
    d, y, sigma = sp.symbols("d y sigma_B", real=True)
    summand = sp.Poly(sp.expand((GAMMA * d / sigma - y) ** 2), d, y)
    batch_sum = {(2, 0): M * sigma**2, (1, 1): M * sigma * C_B, (0, 2): M * MEAN_Y2, (1, 0): 0}
    total = sum(c * batch_sum[m] for m, c in summand.terms())
    return sp.expand(sp.simplify(total / M))


@lru_cache(maxsize=None)
def stationary_gamma() -> tuple[sp.Expr, sp.Expr]:
    r"""``(gamma*, profile)``: the expected batch loss :math:`\gamma^2-2\gamma F+\overline{y^2}` (linear
    in :math:`C_B`, so :math:`\mathbb E_B` replaces :math:`C_B` by :math:`F`) is stationary at
    :math:`\gamma^*=F` with profile :math:`\overline{y^2}-F^2`."""
    loss = batch_loss().subs(C_B, F_SYM)
    (g_star,) = sp.solve(sp.diff(loss, GAMMA), GAMMA)
    return g_star, sp.expand(loss.subs(GAMMA, g_star))


@lru_cache(maxsize=None)
def correlation_decomposition() -> sp.Expr:
    r""":math:`C_B=a\,\sigma_B(h)+\mathrm{cov}_B(h,e)/\sigma_B(h)` for :math:`y=ah+b+e`: bilinearity of
    :math:`\mathrm{cov}_B` with :math:`\mathrm{cov}_B(h,h)=\sigma_B^2`, :math:`\mathrm{cov}_B(h,b)=0`."""
    a = sp.Symbol("a", real=True)
    sigma, cov_he = sp.Symbol("sigma_B", positive=True), sp.Symbol(r"\mathrm{cov}_B(h,e)", real=True)
    cov = {"h": sigma**2, "b": 0, "e": cov_he}
    cov_hy = a * cov["h"] + cov["b"] + cov["e"]
    return sp.expand(cov_hy / sigma)


@lru_cache(maxsize=None)
def chi_factor() -> sp.Expr:
    r""":math:`c_M=\mathbb E\sigma_B/\sigma_P=\sqrt{2/M}\,\Gamma(M/2)/\Gamma((M-1)/2)` for Gaussian :math:`h`,
    from :func:`theory.batch_statistics.mean_sigma_B_gaussian` (the chi law of :math:`\sigma_B`)."""
    return sp.simplify(mean_sigma_B_gaussian(0) / SIGMA_P)


@lru_cache(maxsize=None)
def _log_chi_expr() -> sp.Expr:
    r""":math:`\log c_M` with ``loggamma`` (exact; the form for series and for numerics)."""
    return sp.expand_log(sp.log(chi_factor()), force=True).replace(
        lambda e: isinstance(e, sp.log) and isinstance(e.args[0], sp.gamma), lambda e: sp.loggamma(e.args[0].args[0]))


@lru_cache(maxsize=None)
def chi_factor_series(order: int = 2) -> sp.Expr:
    r""":math:`c_M` to :math:`O(u^{\text{order}})`, :math:`u=1/M`, from the Stirling series of
    :math:`\log\Gamma` (:math:`\log c_M` written with ``loggamma``): :math:`1-\tfrac{3u}{4}-\tfrac{7u^2}{32}`."""
    if order not in (1, 2, 3):
        raise BadInput(f"order must be 1, 2 or 3, got {order!r}")
    series = sp.series(_log_chi_expr().subs(M, 1 / U), U, 0, order + 1).removeO()
    series = sp.nsimplify(sp.simplify(series), rational=False)
    return sp.expand(sp.series(sp.exp(series), U, 0, order + 1).removeO())


@lru_cache(maxsize=None)
def chi_factor_limits() -> tuple[sp.Expr, sp.Expr]:
    r"""``(lim c_M, lim M (1 - c_M))`` as :math:`M\to\infty`, read off :func:`chi_factor_series`:
    ``(1, 3/4)`` — the shrinkage :math:`1-c_M=3/(4M)+O(M^{-2})`."""
    series = chi_factor_series(1)
    return sp.limit(series, U, 0), sp.limit((1 - series) / U, U, 0)


@lru_cache(maxsize=None)
def least_squares_maximises_correlation() -> bool:
    r"""The training correlation :math:`b^Tw/\sqrt{w^T\Sigma w}` (:math:`b=\mathrm{cov}_T(x,y)`,
    :math:`\Sigma=\mathrm{cov}_T(x)`) is stationary at :math:`w=\Sigma^{-1}b`, with value
    :math:`\sqrt{b^T\Sigma^{-1}b}` — its Cauchy–Schwarz bound in the :math:`\Sigma` inner product, so
    the maximum.  Checked symbolically for a generic symmetric 3x3 :math:`\Sigma` (the algebra is the
    same in any dimension)."""
    n = 3
    S = sp.Matrix(n, n, lambda i, j: sp.Symbol(f"S_{min(i, j)}{max(i, j)}", real=True))
    v = sp.Matrix(n, 1, lambda i, _: sp.Symbol(f"v_{i}", real=True))  # v = Sigma^{-1} b, i.e. b = Sigma v
    w = sp.Matrix(n, 1, lambda i, _: sp.Symbol(f"w_{i}", real=True))
    b = S * v
    q = (w.T * S * w)[0]
    f = (b.T * w)[0] / sp.sqrt(q)
    at_ls = {wi: vi for wi, vi in zip(w, v)}
    grad = [sp.expand(sp.together(sp.diff(f, wi) * q ** sp.Rational(3, 2)).subs(at_ls)) for wi in w]
    value = sp.expand((f**2).subs(at_ls) - (v.T * S * v)[0])  # f(v)^2 = b^T Sigma^{-1} b
    return all(g == 0 for g in grad) and value == 0


# ----------------------------------------------------------------------------- N -> oo training statistics
@lru_cache(maxsize=None)
def training_statistics() -> dict[str, sp.Expr]:
    r""":math:`N\to\infty` values used by the closed forms (:math:`\|w^*\|^2\to1`).

    Inputs (least-squares facts at :math:`P=\alpha N`): :math:`\sigma_T(y)^2\to1+\delta^2`; for
    :math:`\alpha>1` the residual :math:`e=\delta(I-\Pi)\xi` has :math:`\sigma_T(e)^2\to\delta^2(1-1/\alpha)`
    (:math:`\mathrm{tr}\,\Pi=N`) and :math:`w_{LS}^Tw^*\to1` (its noise part is independent of
    :math:`w^*`); for :math:`\alpha<1`, :math:`w_{LS}^Tw^*\to\alpha` (row-space projection of
    :math:`w^*`).  Derived: :math:`\sigma_T(h_{LS})^2=\sigma_T(y)^2-\sigma_T(e)^2` (orthogonal
    decomposition) and :math:`\|w_{LS}\|^2=\epsilon_{LS}-\|w^*\|^2+2w_{LS}^Tw^*` with
    :math:`\epsilon_{LS}` of :func:`theory.teacher_student.sgd_error_branches`."""
    from .teacher_student import sgd_error_branches  # noqa: PLC0415 - the least-squares branches

    ls_below, ls_above = sgd_error_branches()
    var_y, var_e = 1 + delta2, delta2 * (1 - 1 / alpha)
    out = {"var_y": var_y, "var_e_above": var_e, "var_h_above": sp.simplify(var_y - var_e)}
    for name, eps_ls, inner in (("below", ls_below, alpha), ("above", ls_above, sp.Integer(1))):
        out[f"norm2_{name}"] = sp.factor(sp.simplify(eps_ls - 1 + 2 * inner))
        out[f"overlap_{name}"] = sp.sqrt(sp.factor(sp.simplify(inner**2 / out[f"norm2_{name}"])))
    return out


@lru_cache(maxsize=None)
def bn_leading() -> dict[str, sp.Expr]:
    r"""Leading-order converged student (direction of least squares), in :math:`(\alpha,\delta^2,c_M)`:
    ``gamma_below = c_M sqrt(1+delta^2)``, ``gamma_above = c_M sqrt(1+delta^2/alpha)``, the overlaps
    :math:`u^Tw^*` and the errors :math:`\gamma^2-2\gamma u^Tw^*+1`.  ``error_below_init``: from
    :math:`w_0\ne0` (:math:`\alpha<1`), the conserved :math:`w_\perp=(I-\Pi)w_0` holds the fraction
    :math:`f=\|w_\perp\|^2/\|w_\infty\|^2` of the final norm and is independent of :math:`w^*`
    (:math:`w_\perp^Tw^*\to0`), so the overlap is multiplied by :math:`\sqrt{1-f}`."""
    st = training_statistics()
    out = {"gamma_below": C_CHI * sp.sqrt(st["var_y"]), "gamma_above": C_CHI * sp.sqrt(st["var_h_above"]),
           "overlap_below": st["overlap_below"], "overlap_above": st["overlap_above"]}
    for name in ("below", "above"):
        g, ov = out[f"gamma_{name}"], out[f"overlap_{name}"]
        out[f"error_{name}"] = g**2 - 2 * g * ov + 1
    g = out["gamma_below"]
    out["error_below_init"] = g**2 - 2 * g * out["overlap_below"] * sp.sqrt(1 - F_INIT) + 1
    return out


def bn_error_leading() -> tuple[sp.Expr, sp.Expr]:
    """``(alpha < 1, alpha > 1)`` leading-order BN test errors in ``(alpha, delta2, c_M)``."""
    lead = bn_leading()
    return lead["error_below"], lead["error_above"]


# ----------------------------------------------------------------------------- direction correction
@lru_cache(maxsize=None)
def direction_correction() -> dict[str, sp.Expr]:
    r""":math:`\alpha>1`: the :math:`O(M^{-2})` change of :math:`\gamma`, of the overlap and of the
    error from BN's direction step :math:`d` off least squares (assumptions A1, A2).

    :math:`F(w_{LS}+d)\approx c_M\sigma_h-\tfrac{c_M}{2\sigma_h}d^T\Sigma_Td+g^Td` for
    :math:`\Sigma`-orthogonal :math:`d`, with gradient :math:`g=\frac{\bar\kappa}{P\sigma_h}X^T(e\odot
    \varepsilon)` (:math:`X^Te=0` removes :math:`\bar\kappa`): the maximiser is
    :math:`d=\frac{\bar\kappa}{c_M}(X^TX)^{-1}X^T(e\odot\varepsilon)`, :math:`\bar\kappa/c_M=1+O(u)`, and
    :math:`\Delta\gamma=\tfrac{c_M}{2\sigma_h}d^T\Sigma_Td`.  :math:`d` is odd under :math:`e\to-e` (a
    symmetry of the Gaussian noise at fixed :math:`h_{LS}`), so only its square enters:
    :math:`\Delta(u^Tw^*)=-(u^Tw^*)\|d\|^2/(2\|w_{LS}\|^2)`, and
    :math:`\Delta\epsilon=2(\gamma-u^Tw^*)\Delta\gamma-2\gamma\,\Delta(u^Tw^*)`, all to
    :math:`O(u^2)` (so :math:`c_M\to1` inside)."""
    _, _, spread = relative_weight_spread()
    st = training_statistics()
    lead = bn_leading()
    energy = spread * st["var_e_above"]  # E[e^2 eps^2], e and z independent (A1)
    norm_d2, proj_d2 = energy / (alpha - 1), energy / alpha  # A2
    sigma_h = sp.sqrt(st["var_h_above"])
    ov = lead["overlap_above"]
    g0 = lead["gamma_above"].subs(C_CHI, 1)
    d_gamma = proj_d2 / (2 * sigma_h)
    d_overlap = -ov * norm_d2 / (2 * st["norm2_above"])
    t = sp.Dummy("t", positive=True)  # alpha = 1 + t > 1 lets SymPy take the square roots apart

    def tidy(expr):
        return sp.factor(sp.simplify(sp.powdenest(expr.subs(alpha, 1 + t), force=True))).subs(t, alpha - 1)

    d_gamma, d_overlap = tidy(d_gamma), tidy(d_overlap)
    d_error = 2 * (g0 - ov) * d_gamma - 2 * g0 * d_overlap
    return {"gamma": d_gamma, "overlap": d_overlap, "error": d_error,
            "norm_d2": tidy(norm_d2), "proj_d2": tidy(proj_d2)}


@lru_cache(maxsize=None)
def bn_error_expr() -> tuple[sp.Expr, sp.Expr]:
    r"""``(alpha < 1, alpha > 1)``: the BN test error, ``N -> oo``, in :math:`(\alpha,\delta^2,c_M,u)`.
    Below: exact under A1 (no direction term: every batch is interpolated).  Above: leading
    order plus the :math:`O(u^2)` direction term; the remainder is :math:`O(u^3)`."""
    below, above = bn_error_leading()
    return below, above + direction_correction()["error"]


@lru_cache(maxsize=None)
def pn_error_expr() -> tuple[sp.Expr, sp.Expr]:
    r"""PN: the :math:`M\to\infty` limit of :func:`bn_error_expr` (:math:`c_M\to1` by
    :func:`chi_factor_limits`, :math:`u=1/M\to0`)."""
    c_lim, _ = chi_factor_limits()
    return tuple(sp.simplify(sp.limit(e.subs(C_CHI, c_lim), U, 0)) for e in bn_error_expr())


@lru_cache(maxsize=None)
def alpha_one_limit() -> tuple[sp.Expr, sp.Expr, sp.Expr]:
    r"""``(from below, from above, delta = 0)``: the error as :math:`\alpha\to1`; for :math:`\delta>0`
    both branches tend to :math:`1+c_M^2(1+\delta^2)` (the overlap vanishes, :math:`\gamma` does not),
    a finite value above the zero predictor's 1; for :math:`\delta=0` to :math:`(1-c_M)^2`."""
    below, above = bn_error_expr()
    t = sp.Dummy("t", positive=True)  # the distance of alpha from 1, local to the limits
    lo = sp.limit(below.subs(alpha, 1 - t), t, 0)
    hi = sp.limit(above.subs(alpha, 1 + t), t, 0)
    clean = sp.limit(below.subs(delta2, 0).subs(alpha, 1 - t), t, 0)
    return sp.factor(lo), sp.factor(hi), sp.factor(clean)


# ----------------------------------------------------------------------------- Part 1's language
@lru_cache(maxsize=None)
def part1_difference() -> dict[str, sp.Expr]:
    r"""The complete :math:`O(1/M)` difference :math:`\mathbb E\ell(\hat h)-\ell(\bar h)` for the squared
    loss :math:`\ell=(\hat h-y)^2`, Gaussian :math:`h`, labels with :math:`\mathbb E[y\mid\bar n]=m(\bar n)`.

    Exact (quadratic loss): :math:`\mathbb E(\hat h-\bar h)^2+2\mathbb E[(\bar h-y)(\hat h-\bar h)]`.
    First order: :math:`\mathbb E[(\hat h-\bar h)^2]=\zeta\gamma^2`, :math:`\zeta=3/(2M)`
    (:func:`theory.normalization_error.overall_error`), and the first-order term
    :math:`\tfrac{2\gamma}{M}\mathbb E[(\gamma\bar n-m(\bar n))\,b_1(\bar n)]` with the conditional bias
    :math:`b_1` of :func:`theory.normalization_error.conditional_mean_coefficients`.  Returns
    ``zeta``, ``E_n_b1`` (:math:`\mathbb E[\bar n b_1]=-3/4`), ``first_order`` (with
    :math:`\mathbb E[m b_1]` a symbol), ``total``, ``linear_labels`` (``total`` for
    :math:`m=\kappa_y\bar n`) and ``exact_cancels`` (the all-orders cancellation of the
    :math:`\gamma^2` terms)."""
    from ._moments import moment_symbol  # noqa: PLC0415
    from .normalization_error import (  # noqa: PLC0415
        average_over_n,
        conditional_mean_coefficients,
        exact_error_from_mean_sigma,
        overall_error,
    )
    from .symbols import N_BAR, RHO, SKEW  # noqa: PLC0415

    gauss = {SKEW: 0, RHO: 0}
    moments = {j: (sp.factorial2(j - 1) if j % 2 == 0 else 0) for j in range(2, 12)}

    def gaussian_mean(poly):
        expr = sp.expand(average_over_n(poly)).subs(gauss)
        return sp.expand(expr.subs({moment_symbol(j): v for j, v in moments.items() if j > 4}))  # m_5, m_6, ...

    zeta = sp.expand(overall_error(1).subs(gauss) * M).subs(M, 1) / M  # E(h_hat-h_bar)^2/gamma^2 at O(1/M)
    b1 = conditional_mean_coefficients(1).subs(gauss)
    e_nb1 = gaussian_mean(N_BAR * b1)
    e_mb1 = sp.Symbol(r"\mathbb{E}[m\,b_1]", real=True)
    first = 2 * GAMMA / M * (GAMMA * e_nb1 - e_mb1)
    kappa_y = sp.Symbol(r"\kappa_y", real=True)
    linear = sp.expand(zeta * GAMMA**2 + first.subs(e_mb1, kappa_y * e_nb1))
    e_sym = exact_error_from_mean_sigma(0)[1]
    exact_sq, _ = exact_error_from_mean_sigma(0)
    cancels = sp.simplify(GAMMA**2 * exact_sq + 2 * GAMMA**2 * (e_sym - 1)) == 0  # E[n_bar n_hat] = e
    return {"zeta": sp.simplify(zeta), "E_n_b1": e_nb1, "first_order": sp.expand(first),
            "total": sp.expand(zeta * GAMMA**2 + first), "linear_labels": linear, "exact_cancels": cancels,
            "E_m_b1": e_mb1, "kappa_y": kappa_y}


@lru_cache(maxsize=None)
def part1_matches_batch_loss() -> bool:
    r"""For linear labels the Part-1 :math:`O(1/M)` difference equals the first order of the exact one,
    :math:`2\gamma\kappa_y(1-c_M)` (BN loss :math:`\gamma^2-2\gamma c_M\kappa_y+\overline{y^2}` minus PN's
    :math:`\gamma^2-2\gamma\kappa_y+\overline{y^2}`), whose :math:`1/M` coefficient is
    :math:`2\gamma\kappa_y\lim M(1-c_M)`."""
    p1 = part1_difference()
    _, shrink = chi_factor_limits()
    exact_first = 2 * GAMMA * p1["kappa_y"] * shrink / M
    return sp.simplify(p1["linear_labels"] - exact_first) == 0


# ----------------------------------------------------------------------------- numerics
def _fraction(value, a: np.ndarray) -> np.ndarray:
    """``init_fraction`` broadcast to the alphas ``a``: in [0, 1), and 0 wherever alpha > 1."""
    arr = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(arr)) or np.any(arr < 0) or np.any(arr >= 1):
        raise BadInput(f"init_fraction must be finite and in [0, 1), got {value!r}")
    f = np.broadcast_to(arr, a.shape)
    if np.any((f > 0) & (a > 1)):
        raise BadInput("init_fraction applies to alpha < 1 only: for alpha > 1 nothing of w_0 is conserved")
    return f


@lru_cache(maxsize=None)
def _numeric() -> dict:
    import scipy.special as special  # noqa: PLC0415

    lead = bn_leading()
    corr = direction_correction()
    below, above = bn_error_expr()
    mods = [{"loggamma": special.gammaln}, "numpy"]
    args = (alpha, delta2, C_CHI, U)
    lam = {k: sp.lambdify(args, e, mods) for k, e in {
        "error_above": above, "gamma_above": lead["gamma_above"] + corr["gamma"],
        "overlap_above": lead["overlap_above"] + corr["overlap"], "gamma_below": lead["gamma_below"],
        "overlap_below": lead["overlap_below"]}.items()}
    lam["error_below"] = sp.lambdify((alpha, delta2, C_CHI, F_INIT), lead["error_below_init"], mods)
    lam["error_lead_above"] = sp.lambdify(args, lead["error_above"], mods)
    lo, _, clean = alpha_one_limit()
    lam["at_one"] = sp.lambdify((delta2, C_CHI), lo, mods)
    lam["at_one_clean"] = sp.lambdify((C_CHI,), clean, mods)
    pn_below, pn_above = pn_error_expr()
    lam["pn_below"] = sp.lambdify((alpha, delta2), pn_below, mods)
    lam["pn_above"] = sp.lambdify((alpha, delta2), pn_above, mods)
    return lam


@lru_cache(maxsize=None)
def _log_chi():
    """``M -> log c_M`` through SciPy's ``gammaln``."""
    import scipy.special as special  # noqa: PLC0415

    return sp.lambdify(M, _log_chi_expr(), [{"loggamma": special.gammaln}, "numpy"])


def _out(arr: np.ndarray):
    arr = np.asarray(arr, dtype=float)
    return float(arr) if arr.ndim == 0 else arr


def bn_chi_factor(M_value):
    r""":math:`c_M=\mathbb E\sigma_B/\sigma_P=\sqrt{2/M}\,\Gamma(M/2)/\Gamma((M-1)/2)` (Gaussian, ``1/M``),
    evaluated through :math:`\log\Gamma` (no overflow at large ``M``).

    Parameters
    ----------
    M_value : int or array_like
        Batch size :math:`M`, an integer >= 2.

    Returns
    -------
    float or ndarray
        :math:`c_M`; a float for scalar inputs, else an array of the inputs' broadcast shape.

    Raises
    ------
    BadInput
        If ``M_value`` is not an integer >= 2.
    """
    m = batch_sizes(M_value)
    return _out(np.exp(_log_chi()(m)))


def _inputs(alpha_value, M_value, delta_value):
    from .teacher_student import _nonnegative, _positive  # noqa: PLC0415 - same package's validators

    a = _positive("alpha", alpha_value)
    m = batch_sizes(M_value)
    d2 = _nonnegative("delta", delta_value) ** 2
    a, m, d2 = np.broadcast_arrays(a, m, d2)
    return a, d2, np.exp(_log_chi()(m)), 1 / m


def _branches(a, below, above, at_one):
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        lo, hi, one = below(), above(), at_one()
    return np.where(a < 1, lo, np.where(a > 1, hi, one))


def bn_student_gamma(alpha_value, M_value, delta_value, *, direction_term: bool = True):
    r"""Converged :math:`\gamma` of the BN student, :math:`N\to\infty`: :math:`c_M\sqrt{1+\delta^2}`
    (:math:`\alpha\le1`), :math:`c_M\sqrt{1+\delta^2/\alpha}` (:math:`\alpha>1`, plus the :math:`O(M^{-2})`
    direction term unless ``direction_term=False``).

    Parameters
    ----------
    alpha_value : float or array_like
        Samples per dimension :math:`\alpha=P/N`, > 0.
    M_value : int or array_like
        Batch size :math:`M`, an integer >= 2.
    delta_value : float or array_like
        Teacher noise level :math:`\delta`, >= 0.
    direction_term : bool, default True
        Include the :math:`O(M^{-2})` direction term for :math:`\alpha>1`.

    Returns
    -------
    float or ndarray
        The converged :math:`\gamma`; a float for scalar inputs, else an array of the inputs' broadcast shape.

    Raises
    ------
    BadInput
        If ``alpha_value`` <= 0, ``M_value`` is not an integer >= 2 or ``delta_value`` < 0.
    """
    a, d2, c, u = _inputs(alpha_value, M_value, delta_value)
    num = _numeric()
    key = "gamma_above" if direction_term else None
    above = (lambda: num[key](a, d2, c, u)) if key else (lambda: c * np.sqrt(1 + d2 / a))
    return _out(_branches(a, lambda: num["gamma_below"](a, d2, c, u), above, lambda: c * np.sqrt(1 + d2)))


def bn_student_overlap(alpha_value, M_value, delta_value, *, init_fraction=0.0, direction_term: bool = True):
    r"""Converged :math:`u^Tw^*`: :math:`\sqrt{(1-f)\,\alpha(1-\alpha)/(1-\alpha+\delta^2)}` (:math:`\alpha<1`,
    ``init_fraction`` :math:`f` the conserved share of :math:`\|w\|^2`), :math:`\sqrt{(\alpha-1)/(\alpha-1+\delta^2)}`
    (:math:`\alpha>1`, plus the direction term); at :math:`\alpha=1`: 0 (1 if :math:`\delta=0`).

    Parameters
    ----------
    alpha_value : float or array_like
        Samples per dimension :math:`\alpha=P/N`, > 0.
    M_value : int or array_like
        Batch size :math:`M`, an integer >= 2.
    delta_value : float or array_like
        Teacher noise level :math:`\delta`, >= 0.
    init_fraction : float or array_like, default 0.0
        :math:`f\in[0,1)`, the share of :math:`\|w\|^2` conserved from the initialization
        (only for :math:`\alpha<1`).
    direction_term : bool, default True
        Include the :math:`O(M^{-2})` direction term for :math:`\alpha>1`.

    Returns
    -------
    float or ndarray
        The converged overlap :math:`u^Tw^*`; a float for scalar inputs, else an array of the inputs' broadcast shape.

    Raises
    ------
    BadInput
        If ``alpha_value`` <= 0, ``M_value`` is not an integer >= 2 or ``delta_value`` < 0,
        ``init_fraction`` is outside [0, 1), or > 0 where :math:`\alpha>1`.
    """
    a, d2, c, u = _inputs(alpha_value, M_value, delta_value)
    f = _fraction(init_fraction, a)
    num = _numeric()
    above = (lambda: num["overlap_above"](a, d2, c, u)) if direction_term else (lambda: np.sqrt((a - 1) / (a - 1 + d2)))
    return _out(_branches(a, lambda: num["overlap_below"](a, d2, c, u) * np.sqrt(1 - f), above,
                          lambda: np.where(d2 == 0, 1.0, 0.0)))


def bn_student_error(alpha_value, M_value, delta_value, *, init_fraction=0.0, direction_term: bool = True):
    r"""Test error of the converged BN student, :math:`N\to\infty`, population statistics at test
    (:math:`\sigma_P=\|w\|`, :math:`\mu_P=0`); from :math:`w_0\to0` unless ``init_fraction`` :math:`f>0`
    (:math:`\alpha<1`).  :math:`\alpha<1`:
    :math:`c_M^2(1+\delta^2)-2c_M\sqrt{(1+\delta^2)(1-f)\alpha(1-\alpha)/(1-\alpha+\delta^2)}+1`
    (exact under A1); :math:`\alpha>1`:
    :math:`c_M^2(1+\delta^2/\alpha)-2c_M\sqrt{(1+\delta^2/\alpha)(\alpha-1)/(\alpha-1+\delta^2)}+1`
    plus the :math:`O(M^{-2})` direction term (remainder :math:`O(M^{-3})`); :math:`\alpha=1`: the common
    limit :math:`1+c_M^2(1+\delta^2)` (:math:`(1-c_M)^2` at :math:`\delta=0`).

    Parameters
    ----------
    alpha_value : float or array_like
        Samples per dimension :math:`\alpha=P/N`, > 0.
    M_value : int or array_like
        Batch size :math:`M`, an integer >= 2.
    delta_value : float or array_like
        Teacher noise level :math:`\delta`, >= 0.
    init_fraction : float or array_like, default 0.0
        :math:`f\in[0,1)`, the share of :math:`\|w\|^2` conserved from the initialization
        (only for :math:`\alpha<1`).
    direction_term : bool, default True
        Include the :math:`O(M^{-2})` direction term for :math:`\alpha>1`.

    Returns
    -------
    float or ndarray
        The test error :math:`\epsilon_{gen}`; a float for scalar inputs, else an array of the inputs' broadcast shape.

    Raises
    ------
    BadInput
        If ``alpha_value`` <= 0, ``M_value`` is not an integer >= 2 or ``delta_value`` < 0,
        ``init_fraction`` is outside [0, 1), or > 0 where :math:`\alpha>1`.
    """
    a, d2, c, u = _inputs(alpha_value, M_value, delta_value)
    f = _fraction(init_fraction, a)
    num = _numeric()
    above = num["error_above" if direction_term else "error_lead_above"]
    return _out(_branches(a, lambda: num["error_below"](a, d2, c, f), lambda: above(a, d2, c, u),
                          lambda: np.where(d2 == 0, num["at_one_clean"](c), num["at_one"](d2, c))))


def pn_student_error(alpha_value, delta_value):
    r"""PN (trained with training-set statistics, population statistics at test): the
    :math:`M\to\infty` limit :func:`pn_error_expr` of the BN error; :math:`\alpha=1`: :math:`2+\delta^2`
    (0 at :math:`\delta=0`).

    Parameters
    ----------
    alpha_value : float or array_like
        Samples per dimension :math:`\alpha=P/N`, > 0.
    delta_value : float or array_like
        Teacher noise level :math:`\delta`, >= 0.

    Returns
    -------
    float or ndarray
        PN's test error; a float for scalar inputs, else an array of the inputs' broadcast shape.

    Raises
    ------
    BadInput
        If ``alpha_value`` <= 0 or ``delta_value`` < 0.
    """
    from .teacher_student import _nonnegative, _positive  # noqa: PLC0415

    a, d2 = np.broadcast_arrays(_positive("alpha", alpha_value), _nonnegative("delta", delta_value) ** 2)
    num = _numeric()
    one = np.ones(a.shape)
    return _out(_branches(a, lambda: num["pn_below"](a, d2), lambda: num["pn_above"](a, d2),
                          lambda: np.where(d2 == 0, num["at_one_clean"](one), num["at_one"](d2, one))))


def effective_ridge_zeta(alpha_value, M_value, delta_value, *, branch: str = "weak"):
    r"""Ridge-convention :math:`\zeta_{\rm eff}` with :func:`theory.teacher_student.wn_error`
    :math:`(\alpha,\zeta_{\rm eff},\delta)=` :func:`bn_student_error` :math:`(\alpha,M,\delta)`.

    :math:`\epsilon_{wn}` falls on :math:`(0,\delta^2]` and rises on :math:`[\delta^2,\infty)` towards 1
    (:func:`theory.teacher_student.optimal_zeta_expr`), so there are up to two roots: ``branch="weak"``
    (:math:`\zeta\le\delta^2`) or ``"strong"`` (:math:`\zeta\ge\delta^2`).  NaN where that branch has
    none (e.g. ``"weak"`` for :math:`\alpha<1`, where BN is worse than least squares; both where the
    BN error exceeds 1, near :math:`\alpha=1`).

    Parameters
    ----------
    alpha_value : float or array_like
        Samples per dimension :math:`\alpha=P/N`, > 0.
    M_value : int or array_like
        Batch size :math:`M`, an integer >= 2.
    delta_value : float or array_like
        Teacher noise level :math:`\delta`, >= 0.
    branch : {"weak", "strong"}, default "weak"
        The root to return: :math:`\zeta\le\delta^2` or :math:`\zeta\ge\delta^2`.

    Returns
    -------
    float or ndarray
        The ridge-convention :math:`\zeta_{\rm eff}` (NaN where the branch has no root); a float for
        scalar inputs, else an array of the inputs' broadcast shape.

    Raises
    ------
    BadInput
        If ``alpha_value`` <= 0, ``M_value`` is not an integer >= 2 or ``delta_value`` < 0, or
        ``branch`` is not ``"weak"`` or ``"strong"``.
    """
    from scipy.optimize import brentq  # noqa: PLC0415

    from .teacher_student import wn_error  # noqa: PLC0415

    if branch not in ("weak", "strong"):
        raise BadInput(f"branch must be 'weak' or 'strong', got {branch!r}")
    target = np.asarray(bn_student_error(alpha_value, M_value, delta_value))
    a, d, t = np.broadcast_arrays(np.asarray(alpha_value, dtype=float), np.asarray(delta_value, dtype=float), target)
    out = np.full(a.shape, np.nan)
    for idx in np.ndindex(a.shape):
        ai, di, ti = float(a[idx]), float(d[idx]), float(t[idx])
        best = di**2
        if branch == "weak" and best == 0:  # no zeta in (0, delta^2]: NaN, before log(0) is taken
            continue
        g = lambda lz: float(wn_error(ai, float(np.exp(lz)), di)) - ti  # noqa: E731
        lo_end, hi_end = (np.log(1e-12), np.log(best)) if branch == "weak" else (np.log(max(best, 1e-12)), np.log(1e8))
        if g(lo_end) * g(hi_end) <= 0:
            out[idx] = float(np.exp(brentq(g, lo_end, hi_end, xtol=1e-14, rtol=1e-12)))
    return _out(out)


# ----------------------------------------------------------------------------- LaTeX export
#: the printed symbols the BN student introduces (the rest are in :mod:`theory.notation`'s table)
for _row in (
    ("c_M", "c_{M}", "c_M", r"the chi factor $\mathbb{E}\sigma_{\mathcal{B}}/\sigma_{\mathcal{P}}$ of the BN student "
     r"($\sigma_{\mathcal{B}}$ with $1/M$), a parameter of its closed forms"),
    ("C_B", r"C_{\mathcal{B}}", "C_B",
     r"$\mathrm{cov}_{\mathcal{B}}(h,y)/\sigma_{\mathcal{B}}(h)$, the batch correlation"),
    (r"\overline{y^2}", r"\overline{y^2}", "⟨y²⟩", r"mean of $y^2$ over the batch (or the training set)"),
    ("F", "F", "F", r"$\mathbb{E}_{\mathcal{B}}C_{\mathcal{B}}(w)$, the expected batch correlation"),
    ("sigma_B", r"\sigma_{\mathcal{B}}", "σ_B", r"standard deviation of $h$ over the batch ($1/M$)"),
    (r"\mathrm{cov}_B(h,e)", r"\mathrm{cov}_{\mathcal{B}}(h,e)", "cov_B(h,e)",
     r"batch covariance of $h$ and the training-set residual $e$"),
    ("z", "z", "z", r"standardized pre-activation of one sample of the batch"),
    ("f", "f", "f",
     r"$\lVert(I-\Pi)w_0\rVert^2/\lVert w_\infty\rVert^2$, the conserved share of the norm ($\alpha<1$)"),
    (r"\mathbb{E}[m\,b_1]", r"\mathbb{E}[m\,b_1]", "E[m·b₁]",
     r"label mean $m(\bar n)$ against the conditional bias $b_1(\bar n)$"),
    (r"\kappa_y", r"\kappa_{y}", "κ_y", r"slope of linear labels, $m(\bar n)=\kappa_y\bar n$"),
):
    notation.register(*_row)

_BELOW, _ABOVE = {"alpha": (0.05, 0.95)}, {"alpha": (1.05, 5.0)}  #: the branches' regions (as teacher_student)


def _tidy_roots(expr: sp.Expr) -> sp.Expr:
    """``expr`` with each square root's radicand over one denominator (the same function)."""
    return expr.replace(lambda e: e.is_Pow and e.exp == sp.S.Half, lambda e: sp.sqrt(sp.factor(e.base)))


def formulas() -> list[Formula]:
    """Every derived formula of the BN student, for the LaTeX export (registered in
    :data:`theory.latex.FORMULA_SOURCES`).

    Returns
    -------
    list of Formula
        The formulas, in the order of the export.
    """
    below, above = bn_error_expr()
    pn_below, pn_above = pn_error_expr()
    lo, _, clean = alpha_one_limit()
    lead = bn_leading()
    corr = direction_correction()
    p1 = part1_difference()
    _, eps_z, spread = relative_weight_spread()
    ts = (r"teacher $y=w^{*\top}x+\varepsilon$, $x\sim\mathcal{N}(0,I_N)$, $w^*\sim\mathcal{N}(0,I/N)$, "
          r"$\varepsilon\sim\mathcal{N}(0,\delta^2)$, $P=\alpha N$; $\sigma_{\mathcal{B}}$ with $1/M$, $\beta=0$")
    a1 = r"; A1: batches i.i.d.\ from the training set's empirical law, $(h,e)$ independent Gaussians"
    test = r"; test with $\sigma_{\mathcal{P}}=\lVert w\rVert$, $\mu_{\mathcal{P}}=0$; $N\to\infty$"
    overlap = r"\frac{w^{\top}w^*}{\lVert w\rVert}"
    pn = r"$M\to\infty$ of the BN error"
    return [
        Formula("bn-batch-loss", "BN batch loss, exact", "2.3", r"\frac1M\sum_{\mathcal{B}}(\gamma\hat n-y)^2",
                batch_loss(), r"$\sum_{\mathcal{B}}\hat n=0$, $\sum_{\mathcal{B}}\hat n^2=M$; "
                r"$C_{\mathcal{B}}=\mathrm{cov}_{\mathcal{B}}(h,y)/\sigma_{\mathcal{B}}(h)$"),
        Formula("bn-stationary-gamma", "Stationary scale of the expected batch loss", "2.3", r"\gamma^*",
                stationary_gamma()[0], r"$F(w)=\mathbb{E}_{\mathcal{B}}C_{\mathcal{B}}(w)$ over random batches of "
                r"the training set; profile $\overline{y^2}-F^2$"),
        Formula("bn-batch-correlation", "Batch correlation, decomposed", "2.3", r"C_{\mathcal{B}}",
                correlation_decomposition(), r"$y=ah+b+e$, training-set regression of $y$ on $h$ "
                r"(here $a$ is its slope)"),
        Formula("bn-chi-factor", "Chi factor", "2.3, 1.3",
                r"c_M=\mathbb{E}\sigma_{\mathcal{B}}/\sigma_{\mathcal{P}}", chi_factor(), "Gaussian $h$; exact"),
        Formula("bn-chi-factor-series", "Chi factor, large $M$", "2.3, 1.3", r"c_M", chi_factor_series(2),
                r"$u=1/M$; Stirling series, $O(u^3)$ dropped"),
        Formula("bn-student-gamma-above", r"Converged scale, $\alpha>1$", "2.3", r"\gamma_{\mathrm{bn}}",
                lead["gamma_above"], ts + a1 + r"; $\alpha>1$", region=_ABOVE),
        Formula("bn-student-gamma-below", r"Converged scale, $\alpha<1$", "2.3", r"\gamma_{\mathrm{bn}}",
                lead["gamma_below"], ts + a1 + r"; $\alpha<1$", region=_BELOW),
        Formula("bn-student-overlap-above", r"Overlap with the teacher, $\alpha>1$", "2.3", overlap,
                lead["overlap_above"], ts + r"; $\alpha>1$; least-squares direction", region=_ABOVE),
        Formula("bn-student-overlap-below", r"Overlap with the teacher, $\alpha<1$", "2.3", overlap,
                lead["overlap_below"], ts + r"; $\alpha<1$; min-norm interpolant, $w_0\to0$", region=_BELOW),
        Formula("bn-hajek-weight", r"H\'ajek weight of the BN gradient", "2.3", r"\kappa(z)", hajek_weight(1),
                r"A1; $u=1/M$, $O(u^2)$ dropped"),
        Formula("bn-hajek-relative-weight", r"Relative H\'ajek weight", "2.3", r"\varepsilon(z)", eps_z,
                r"A1; $\varepsilon=\kappa/\mathbb{E}_z\kappa-1$; leading order"),
        Formula("bn-hajek-weight-spread", r"Spread of the relative H\'ajek weight", "2.3",
                r"\mathbb{E}_z\varepsilon^2", spread, r"A1; Gaussian $z$; leading order"),
        Formula("bn-student-direction-term", r"Direction term of the BN error, $\alpha>1$", "2.3",
                r"\Delta\epsilon_{\mathrm{dir}}", corr["error"],
                ts + a1 + r"; $\alpha>1$; A2: $e\odot\varepsilon(z)$ generic for the design; $O(u^3)$ dropped"
                + test, lines=2, region=_ABOVE),
        Formula("bn-student-error-above", r"BN test error, $\alpha>1$", "2.3", r"\epsilon^{\mathrm{bn}}_{\mathrm{gen}}",
                above, ts + a1 + r"; $\alpha>1$; A2" + test, lines=3, region=_ABOVE),
        Formula("bn-student-error-below", r"BN test error, $\alpha<1$", "2.3", r"\epsilon^{\mathrm{bn}}_{\mathrm{gen}}",
                below, ts + a1 + r"; $\alpha<1$; $w_0\to0$" + test, region=_BELOW),
        Formula("bn-student-error-below-init", r"BN test error, $\alpha<1$, conserved initial component", "2.3",
                r"\epsilon^{\mathrm{bn}}_{\mathrm{gen}}", lead["error_below_init"],
                ts + a1 + r"; $\alpha<1$; $f=\lVert(I-\Pi)w_0\rVert^2/\lVert w_\infty\rVert^2$" + test,
                region={**_BELOW, "f": (0.0, 1.0)}),
        Formula("bn-student-error-alpha-one", r"BN test error at $\alpha=1$", "2.3",
                r"\lim_{\alpha\to1}\epsilon^{\mathrm{bn}}_{\mathrm{gen}}", lo,
                ts + r"; $\delta>0$, both sides; at $\delta=0$: " + f"${notation.latex(clean)}$"),
        Formula("pn-student-error-above", r"PN test error, $\alpha>1$", "2.3", r"\epsilon^{\mathrm{pn}}_{\mathrm{gen}}",
                pn_above, pn + r"; $\alpha>1$", display=_tidy_roots(pn_above), region=_ABOVE),
        Formula("pn-student-error-below", r"PN test error, $\alpha<1$", "2.3", r"\epsilon^{\mathrm{pn}}_{\mathrm{gen}}",
                pn_below, pn + r"; $\alpha<1$", region=_BELOW),
        Formula("bn-pn-loss-difference", r"BN minus PN loss in Part 1's language, $O(1/M)$", "2.3, 1.3",
                r"\mathbb{E}\ell(\hat h)-\ell(\bar h)", p1["total"],
                r"squared loss, Gaussian $h$, $m(\bar n)=\mathbb{E}[y\mid\bar n]$, $b_1$ the conditional bias; "
                r"$\zeta\gamma^2=\tfrac{3}{2M}\gamma^2$ cancels against the $\bar h$ part of the first-order term"),
        Formula("bn-pn-loss-difference-linear", "The same for linear labels", "2.3, 1.3",
                r"\mathbb{E}\ell(\hat h)-\ell(\bar h)", p1["linear_labels"],
                r"$m=\kappa_y\bar n$; equals $2\gamma\kappa_y(1-c_M)$ at $O(1/M)$"),
    ]
