r"""Batch statistics :math:`\mu_B,\sigma_B` as random variables (seed §1.3, after Teye et al.).

For a batch of :math:`M` i.i.d. values :math:`h_i=\mu_P+\sigma_P z_i` with standardized
skewness :math:`s` and excess kurtosis :math:`\rho`:
:math:`\mu_B=\tfrac1M\sum h_i`, :math:`\sigma_B^2=\tfrac1{M-d}\sum(h_i-\mu_B)^2` with
:math:`d\in\{0,1\}` (``ddof``; the seed's snippet uses ``np.std``, i.e. :math:`d=0`).
Exact finite-:math:`M` moments come from :mod:`theory._moments`; leading orders from the delta
method applied to them.
"""

from __future__ import annotations

from functools import lru_cache

import sympy as sp

from . import symbols
from ._moments import SKEW, Z, expect_product_of_sums, moment_symbol
from .errors import BadInput, batch_size
from .symbols import SIGMA_P, M


def _ddof(ddof: int) -> int:
    if ddof not in (0, 1):
        raise BadInput(f"ddof must be 0 (1/M) or 1 (1/(M-1)), got {ddof!r}")
    return ddof


def _standardized_variance_estimate(ddof: int) -> list[tuple[list, sp.Expr]]:
    """:math:`\\hat\\sigma^2/\\sigma_P^2=(P_2-P_1^2/M)/(M-d)` as (power-sum products, weights)."""
    return [([Z**2], 1 / (M - ddof)), ([Z, Z], -1 / (M * (M - ddof)))]


@lru_cache(maxsize=None)
def _moment_of_variance_estimate(power: int, ddof: int, with_mean: bool = False) -> sp.Expr:
    """:math:`\\mathbb E[\\bar z^{w}(\\hat\\sigma^2/\\sigma_P^2-1)^{p}]`, exact in M (:math:`w` = ``with_mean``).

    :math:`(w_2P_2+w_{11}P_1^2-1)^p` is expanded multinomially into products of power sums, each
    averaged by :func:`theory._moments.expect_product_of_sums`, over the common denominator
    :math:`(M(M-d))^p` of the weights (:math:`\\times M` with the mean); the rational function is
    then cancelled and factored."""
    (sq, w_sq), (pair, w_pair) = _standardized_variance_estimate(ddof)
    common = sp.denom(sp.together(w_pair)) ** power  # clears every w_sq^a w_pair^b with a + b <= power
    numerator = sp.Integer(0)
    for a in range(power + 1):
        for b in range(power - a + 1):
            c = power - a - b  # a factors P2, b factors P1^2, c factors -1
            weight = sp.factorial(power) / (sp.factorial(a) * sp.factorial(b) * sp.factorial(c))
            factors = sq * a + pair * b + ([Z] if with_mean else [])
            cleared = sp.cancel(w_sq**a * w_pair**b * common)  # a polynomial in M
            numerator += weight * (-1) ** c * cleared * expect_product_of_sums(factors, M)
    return sp.factor(sp.cancel(sp.expand(numerator) / (common * (M if with_mean else 1))))


def _series_in_inverse_M(expr: sp.Expr, order: int) -> sp.Expr:
    r"""The series of a rational function of :math:`M` in :math:`u=1/M` through :math:`M^{-\text{order}}`:
    :math:`P(M)/Q(M)=u^{\deg Q-\deg P}\tilde P(u)/\tilde Q(u)` with the coefficients reversed, and
    :math:`\tilde P/\tilde Q` divided out as a power series (:math:`\tilde Q(0)\ne0` is the leading
    coefficient of :math:`Q`)."""
    numerator, denominator = (sp.Poly(e, M) for e in sp.fraction(sp.together(expr)))
    if numerator.is_zero:
        return sp.Integer(0)
    shift = denominator.degree() - numerator.degree()
    n = order - shift
    p, q = numerator.all_coeffs(), denominator.all_coeffs()
    p, q = p + [0] * (n + 1 - len(p)), q + [0] * (n + 1 - len(q))
    c: list[sp.Expr] = []
    for k in range(n + 1):
        c.append(sp.expand((p[k] - sum(q[j] * c[k - j] for j in range(1, k + 1))) / q[0]))
    return sp.expand(sum((ck / M ** (k + shift) for k, ck in enumerate(c)), sp.Integer(0)))


def var_mu_B() -> sp.Expr:
    r""":math:`\operatorname{Var}\mu_B=\sigma_P^2/M`, exact.

    Returns
    -------
    sympy.Expr
        In :math:`\sigma_P` and :math:`M`.
    """
    return sp.factor(SIGMA_P**2 * expect_product_of_sums([Z, Z], M) / M**2)


@lru_cache(maxsize=None)
def var_sigma2_B(ddof: int = 0) -> sp.Expr:
    r"""Exact :math:`\operatorname{Var}\sigma_B^2` for any kurtosis; for :math:`d=1`,
    :math:`\sigma_P^4(\rho/M+2/(M-1))`.

    Parameters
    ----------
    ddof : {0, 1}, default 0
        The variance estimate's divisor: ``M - ddof``.

    Returns
    -------
    sympy.Expr
        In :math:`\sigma_P`, :math:`\rho` and :math:`M`.

    Raises
    ------
    BadInput
        If ``ddof`` is not 0 or 1.
    """
    d = _ddof(ddof)
    mean = _moment_of_variance_estimate(1, d)
    second = _moment_of_variance_estimate(2, d)
    return sp.factor(sp.simplify(SIGMA_P**4 * (second - mean**2)))


@lru_cache(maxsize=None)
def mean_sigma2_B(ddof: int = 0) -> sp.Expr:
    r""":math:`\mathbb E\sigma_B^2=\sigma_P^2(M-1)/(M-d)`, exact.

    Parameters
    ----------
    ddof : {0, 1}, default 0
        The variance estimate's divisor: ``M - ddof``.

    Returns
    -------
    sympy.Expr
        In :math:`\sigma_P` and :math:`M`.

    Raises
    ------
    BadInput
        If ``ddof`` is not 0 or 1.
    """
    return sp.factor(SIGMA_P**2 * (1 + _moment_of_variance_estimate(1, _ddof(ddof))))


def _leading(expr: sp.Expr) -> sp.Expr:
    return sp.simplify(sp.limit(expr * M, M, sp.oo) / M)


@lru_cache(maxsize=None)
def var_sigma_B_leading(ddof: int = 0) -> sp.Expr:
    r"""Delta method: :math:`\operatorname{Var}\sigma_B\approx\operatorname{Var}\sigma_B^2/(4\sigma_P^2)
    =\sigma_P^2(\rho+2)/(4M)` to leading order in :math:`1/M`.

    Parameters
    ----------
    ddof : {0, 1}, default 0
        The variance estimate's divisor: ``M - ddof``.

    Returns
    -------
    sympy.Expr
        The leading term in :math:`1/M`.

    Raises
    ------
    BadInput
        If ``ddof`` is not 0 or 1.
    """
    v = sp.Symbol("v", positive=True)
    slope = sp.diff(sp.sqrt(v), v).subs(v, SIGMA_P**2)
    return _leading(slope**2 * var_sigma2_B(ddof))


@lru_cache(maxsize=None)
def cov_mu_sigma_B_leading(ddof: int = 0) -> sp.Expr:
    r"""Delta method: :math:`\operatorname{Cov}(\mu_B,\sigma_B)\approx s\,\sigma_P^2/(2M)`.

    Parameters
    ----------
    ddof : {0, 1}, default 0
        The variance estimate's divisor: ``M - ddof``.

    Returns
    -------
    sympy.Expr
        The leading term in :math:`1/M`.

    Raises
    ------
    BadInput
        If ``ddof`` is not 0 or 1.
    """
    d = _ddof(ddof)
    terms = _standardized_variance_estimate(d)
    cov = sum(w * expect_product_of_sums([Z, *sums], M) for sums, w in terms) / M  # E[zbar * S], E zbar = 0
    v = sp.Symbol("v", positive=True)
    slope = sp.diff(sp.sqrt(v), v).subs(v, SIGMA_P**2)
    return _leading(slope * SIGMA_P**3 * cov)


@lru_cache(maxsize=None)
def mean_sigma_B_gaussian(ddof: int = 0) -> sp.Expr:
    r"""Exact :math:`\mathbb E\sigma_B` for Gaussian :math:`h`: :math:`(M-1)s^2/\sigma_P^2\sim\chi^2_{M-1}`,
    so :math:`\mathbb E\sigma_B=\sigma_P\sqrt{2/(M-d)}\,\Gamma(M/2)/\Gamma((M-1)/2)`.

    Parameters
    ----------
    ddof : {0, 1}, default 0
        The variance estimate's divisor: ``M - ddof``.

    Returns
    -------
    sympy.Expr
        In :math:`\sigma_P` and :math:`M`.

    Raises
    ------
    BadInput
        If ``ddof`` is not 0 or 1.
    """
    from sympy.stats import Chi, E  # noqa: PLC0415 - heavy import, used here only

    k = sp.Symbol("k", positive=True, integer=True)
    chi_mean = sp.simplify(E(Chi("c", k)))  # E sqrt(chi^2_k)
    return sp.simplify(SIGMA_P * chi_mean.subs(k, M - 1) / sp.sqrt(M - _ddof(ddof)))


@lru_cache(maxsize=None)
def gaussian_sigma_B_mean(M: int, ddof: int = 0) -> float:
    r""":math:`\mathbb E\sigma_B/\sigma_P` for Gaussian :math:`h` at batch size ``M`` (the exact
    :func:`mean_sigma_B_gaussian` evaluated to 30 digits).

    Parameters
    ----------
    M : int
        Batch size, >= 2.
    ddof : {0, 1}, default 0
        The variance estimate's divisor: ``M - ddof``.

    Returns
    -------
    float
        :math:`\mathbb E\sigma_B/\sigma_P`.

    Raises
    ------
    BadInput
        If ``M`` is not an integer >= 2 or ``ddof`` is not 0 or 1.
    """
    m = batch_size(M)
    return float(sp.N(mean_sigma_B_gaussian(ddof).subs({SIGMA_P: 1, symbols.M: m}), 30))


@lru_cache(maxsize=None)
def mean_sigma_B_series(order: int = 2, ddof: int = 0) -> sp.Expr:
    r""":math:`\mathbb E\sigma_B/\sigma_P` to :math:`O(M^{-\text{order}})` for any distribution:
    :math:`\mathbb E\sqrt{1+D}=\sum_k\binom{1/2}{k}\mathbb E D^k` with exact moments of
    :math:`D=\sigma_B^2/\sigma_P^2-1` (terms :math:`k\le 2\,\text{order}` suffice).

    Parameters
    ----------
    order : int, default 2
        Order in :math:`1/M` of the series (1, 2 or 3).
    ddof : {0, 1}, default 0
        The variance estimate's divisor: ``M - ddof``.

    Returns
    -------
    sympy.Expr
        A polynomial in :math:`1/M`.

    Raises
    ------
    BadInput
        If ``order`` is not 1, 2 or 3 or ``ddof`` is not 0 or 1.
    """
    if order not in (1, 2, 3):
        raise BadInput(f"order must be 1, 2 or 3, got {order!r}")
    d = _ddof(ddof)
    total = sum(
        sp.binomial(sp.Rational(1, 2), k) * _moment_of_variance_estimate(k, d) for k in range(0, 2 * order + 1)
    )
    return _series_in_inverse_M(total, order)


@lru_cache(maxsize=None)
def cov_mu_sigma_B_series(order: int = 2, ddof: int = 0) -> sp.Expr:
    r""":math:`\operatorname{Cov}(\mu_B,\sigma_B)/\sigma_P^2=\mathbb E[\bar z\sqrt{1+D}]
    =\sum_k\binom{1/2}{k}\mathbb E[\bar zD^k]` to :math:`O(M^{-\text{order}})` (terms
    :math:`k\le 2\,\text{order}-1` suffice); first order :math:`s/(2M)`.

    Parameters
    ----------
    order : int, default 2
        Order in :math:`1/M` of the series (1 or 2).
    ddof : {0, 1}, default 0
        The variance estimate's divisor: ``M - ddof``.

    Returns
    -------
    sympy.Expr
        A polynomial in :math:`1/M`.

    Raises
    ------
    BadInput
        If ``order`` is not 1 or 2 or ``ddof`` is not 0 or 1.
    """
    if order not in (1, 2):
        raise BadInput(f"order must be 1 or 2, got {order!r}")
    d = _ddof(ddof)
    total = sum(sp.binomial(sp.Rational(1, 2), k) * _moment_of_variance_estimate(k, d, True)
                for k in range(1, 2 * order))
    return _series_in_inverse_M(total, order)


@lru_cache(maxsize=None)
def var_sigma_B_series(order: int = 2, ddof: int = 0) -> sp.Expr:
    r""":math:`\operatorname{Var}\sigma_B/\sigma_P^2=\mathbb E\sigma_B^2/\sigma_P^2-(\mathbb E\sigma_B/\sigma_P)^2`
    to :math:`O(M^{-\text{order}})` (exact first factor, :func:`mean_sigma_B_series` for the second).

    Parameters
    ----------
    order : int, default 2
        Order in :math:`1/M` of the series (1, 2 or 3).
    ddof : {0, 1}, default 0
        The variance estimate's divisor: ``M - ddof``.

    Returns
    -------
    sympy.Expr
        A polynomial in :math:`1/M`.

    Raises
    ------
    BadInput
        If ``order`` is not 1, 2 or 3 or ``ddof`` is not 0 or 1.
    """
    total = mean_sigma2_B(ddof).subs(SIGMA_P, 1) - mean_sigma_B_series(order, ddof) ** 2
    return _series_in_inverse_M(total, order)


__all__ = [
    "SKEW",
    "cov_mu_sigma_B_leading",
    "gaussian_sigma_B_mean",
    "cov_mu_sigma_B_series",
    "mean_sigma2_B",
    "mean_sigma_B_gaussian",
    "mean_sigma_B_series",
    "moment_symbol",
    "var_mu_B",
    "var_sigma2_B",
    "var_sigma_B_leading",
    "var_sigma_B_series",
]
