r"""The error of normalizing with batch statistics instead of population ones (seed §1.1, §1.3).

For a sample :math:`\bar n=(h-\mu_P)/\sigma_P` that sits inside its own batch of size
:math:`M`, with the other :math:`M-1` samples i.i.d.,

.. math:: \hat h-\bar h=\gamma\Big(\frac{h-\mu_B}{\sigma_B}-\frac{h-\mu_P}{\sigma_P}\Big).

We write :math:`\mu_B=(\bar n+A)/M`, :math:`\sigma_B^2=(\bar n^2+(M-1)+b)/M-\mu_B^2` with
:math:`A=\sum_{j\ge2} z_j`, :math:`b=\sum_{j\ge2}(z_j^2-1)`, Taylor-expand in :math:`(A,b)` to
sixth order, take exact expectations of :math:`A^ib^j` (:mod:`theory._moments`) and expand in
:math:`u=1/M`.  The result is :math:`\mathbb E[(\hat h-\bar h)^2\mid\bar n]/\gamma^2
=\sum_k c_k(\bar n)/M^k`, a polynomial in :math:`\bar n` whose coefficients involve the
skewness :math:`s`, excess kurtosis :math:`\rho` and higher standardized moments :math:`m_j`.
"""

from __future__ import annotations

from functools import lru_cache

import sympy as sp

from ._moments import Z, expect_polynomial, expect_product_of_sums, moment_symbol
from .errors import BadInput
from .symbols import N_BAR, RHO, M, U

#: Sources of the noise, by the monomials of the expansion: the mean's fluctuation (terms in A
#: only), the standard deviation's (terms in b only, and the sample's own share at A = b = 0) and
#: their covariance (mixed terms).  The split is what the seed's attribution means at first
#: order (there the mixed part is s*n); at higher orders the parts mix.
SOURCES: tuple[str, ...] = ("mu", "sigma", "cross")
_MAX_ORDER = 3


def _check(order: int, ddof: int) -> None:
    if order not in range(1, _MAX_ORDER + 1):
        raise BadInput(f"order must be 1, 2 or 3, got {order!r}")
    if ddof not in (0, 1):
        raise BadInput(f"ddof must be 0 (1/M) or 1 (1/(M-1)), got {ddof!r}")


@lru_cache(maxsize=None)
def _expansion(centered: bool, ddof: int, moment: int = 2) -> dict[str, dict[int, sp.Expr]]:
    """``{source: {k: c_k(n)}}`` for k = 1..3 of :math:`\\mathbb E[(\\hat n-\\bar n)^{p}\\mid\\bar n]`,
    ``p = moment`` (1 or 2), from the sixth-order expansion in (A, b)."""
    n, u = N_BAR, U
    t, a, b = sp.symbols("t A b", real=True)
    q = sp.Symbol("q", positive=True)  # q = s0^{-1/2}, s0 = sigma_B^2 at A = b = 0
    r = sp.Symbol("r", positive=True)  # r = sqrt((M-1)/M) when ddof = 1, else 1
    gens = (t, a, b)
    dom = sp.QQ[n, u, q, r]

    def poly(expr):
        return sp.Poly(expr, *gens, domain=dom)

    def trunc(p):
        return sp.Poly.from_dict({m: c for m, c in p.as_dict().items() if m[0] <= 2 * _MAX_ORDER}, *gens, domain=dom)

    if centered:
        s0 = 1 + u * (n**2 - 1) - u**2 * n**2
        d = poly(u * t * b - u**2 * (2 * n * t * a + t**2 * a**2))
        numerator = poly((n - u * n - u * t * a) * q)
    else:  # no mean subtraction: sigma_B^2 = mean of squares
        s0 = 1 + u * (n**2 - 1)
        d = poly(u * t * b)
        numerator = poly(n * q)
    # (s0 + d)^{-1/2} = q (1 + d q^2)^{-1/2}, binomial series truncated at order 2*_MAX_ORDER in t
    x = trunc(d * poly(q**2))
    inverse_sqrt, term_k = poly(0), poly(1)
    for k in range(2 * _MAX_ORDER + 1):
        inverse_sqrt += term_k * poly(sp.binomial(sp.Rational(-1, 2), k))
        term_k = trunc(term_k * x)
    # ddof = 1 divides by sqrt(M/(M-1)) more: (h - mu_B)/s = r (h - mu_B)/sigma_B
    error = trunc(numerator * inverse_sqrt * poly(r if ddof else 1)) - poly(n)
    target = error if moment == 1 else trunc(error * error)

    # E[A^i b^j] is a polynomial in K = M - 1 = v - 1 with v = 1/u; collect everything as a
    # polynomial in (u, v, q, r) whose coefficients are polynomials in n and the moments.
    v = sp.Symbol("v", positive=True)
    moments = sorted({moment_symbol(j) for j in range(3, 2 * (2 * _MAX_ORDER + 1))} - {sp.Integer(0)}, key=str)
    moments = [m for m in moments if m.is_Symbol] + [RHO]
    coeff_domain = sp.QQ[(n, *moments)]
    gens2 = (u, v, q, r)
    # truncated series in u of q^k = s0^{-k/2} and r^l = (1-u)^{l/2}
    q_series = {}
    r_series = {}

    def truncated(base, exponent):  # (1 + x)^e = sum_j binom(e, j) x^j with x = base - 1 = O(u)
        x, term, out = (sp.Poly(e, u, domain=coeff_domain) for e in (base - 1, 1, 1))
        for j in range(1, _MAX_ORDER + 1):
            term = sp.Poly.from_dict({m: c for m, c in (term * x).as_dict().items() if m[0] <= _MAX_ORDER}, u,
                                     domain=coeff_domain)
            out += term * sp.binomial(exponent, j)
        return out

    grouped: dict[str, dict[int, sp.Expr]] = {}
    for (_, i, j), c in target.terms():
        moment = sp.expand(expect_product_of_sums([Z] * i + [Z**2 - 1] * j, v - 1))
        source = "cross" if i and j else ("sigma" if j or not i else "mu")
        term = sp.Poly(c.as_expr(), *gens2, domain=coeff_domain) * sp.Poly(moment, *gens2, domain=coeff_domain)
        acc = grouped.setdefault(source, {})
        for (a, bv, k, l), coeff in term.terms():
            shift = a - bv
            if shift > _MAX_ORDER:
                continue
            if k not in q_series:
                q_series[k] = truncated(s0, sp.Rational(-k, 2))
            if l not in r_series:
                r_series[l] = truncated(1 - u, sp.Rational(l, 2) if ddof else 0)
            product = q_series[k] * r_series[l]
            for (p,), pc in product.terms():
                power = shift + p
                if power <= _MAX_ORDER:
                    acc[power] = acc.get(power, 0) + coeff.as_expr() * pc.as_expr()
    out: dict[str, dict[int, sp.Expr]] = {}
    for source in SOURCES:
        acc = grouped.get(source, {})
        if sp.expand(acc.get(0, 0)) != 0 or any(p < 0 and sp.expand(c) != 0 for p, c in acc.items()):
            raise AssertionError("the normalization error must vanish as M -> oo")  # pragma: no cover
        out[source] = {k: sp.collect(sp.expand(acc.get(k, 0)), n) for k in range(1, _MAX_ORDER + 1)}
    return out


@lru_cache(maxsize=None)
def conditional_error_coefficients(
    order: int = 1, *, centered: bool = True, ddof: int = 0, source: str | None = None
) -> sp.Expr:
    r"""Coefficient :math:`c_k(\bar n)` of :math:`M^{-k}` in :math:`\mathbb E[(\hat h-\bar h)^2\mid\bar n]/\gamma^2`.

    First order (seed §1.3, centered BN):
    :math:`c_1=1+s\bar n+\tfrac{\rho+2}{4}\bar n^2`.  ``source`` restricts to the part that
    comes from ``"mu"`` (:math:`\mu_B`), ``"sigma"`` (:math:`\sigma_B`) or ``"cross"``.
    ``centered=False`` is BN without mean subtraction (no bias, :math:`\mu_P=0`).

    Parameters
    ----------
    order : {1, 2, 3}, default 1
        The power :math:`k` of :math:`M^{-k}`.
    centered : bool, default True
        BN with mean subtraction; ``False``: without.
    ddof : {0, 1}, default 0
        The variance estimate's divisor: ``M - ddof``.
    source : {"mu", "sigma", "cross"} or None, default None
        Only the part from this source; None: all of them.

    Returns
    -------
    sympy.Expr
        :math:`c_k(\bar n)`, a polynomial in :math:`\bar n`.

    Raises
    ------
    BadInput
        If ``order`` is not 1, 2 or 3, ``ddof`` is not 0 or 1 or ``source`` is unknown.
    """
    _check(order, ddof)
    parts = _expansion(bool(centered), ddof)
    if source is None:
        return sp.collect(sp.expand(sum(parts[s][order] for s in SOURCES)), N_BAR)
    if source not in SOURCES:
        raise BadInput(f"source must be one of {SOURCES} or None, got {source!r}")
    return parts[source][order]


def conditional_mean_coefficients(order: int = 1, *, centered: bool = True, ddof: int = 0) -> sp.Expr:
    r"""Coefficient of :math:`M^{-k}` in :math:`\mathbb E[\hat h-\bar h\mid\bar n]/\gamma`, the bias of BN's
    output given the sample; first order (centered) :math:`(s-(\rho+2)\bar n-\bar n^3)/2+\dots`.
    It makes the first-order Taylor term :math:`\mathbb E[(A'(\bar h)-y)(\hat h-\bar h)]` nonzero
    whenever :math:`\mathbb E[y\mid x]\ne A'(\bar h)` pointwise.

    Parameters
    ----------
    order : {1, 2, 3}, default 1
        The power :math:`k` of :math:`M^{-k}`.
    centered : bool, default True
        BN with mean subtraction; ``False``: without (no bias, :math:`\mu_P=0`).
    ddof : {0, 1}, default 0
        The variance estimate's divisor: ``M - ddof``.

    Returns
    -------
    sympy.Expr
        The coefficient, a polynomial in :math:`\bar n`.

    Raises
    ------
    BadInput
        If ``order`` is not 1, 2 or 3 or ``ddof`` is not 0 or 1.
    """
    _check(order, ddof)
    parts = _expansion(bool(centered), ddof, 1)
    return sp.collect(sp.expand(sum(parts[s][order] for s in SOURCES)), N_BAR)


def conditional_error(order: int = 1, *, centered: bool = True, ddof: int = 0) -> sp.Expr:
    r""":math:`\mathbb E[(\hat h-\bar h)^2\mid\bar n]/\gamma^2=\sum_{k\le\text{order}}c_k(\bar n)M^{-k}`.

    Parameters
    ----------
    order : {1, 2, 3}, default 1
        Highest power of :math:`1/M` kept.
    centered : bool, default True
        BN with mean subtraction; ``False``: without.
    ddof : {0, 1}, default 0
        The variance estimate's divisor: ``M - ddof``.

    Returns
    -------
    sympy.Expr
        The truncated series in :math:`M` and :math:`\bar n`.

    Raises
    ------
    BadInput
        If ``order`` is not 1, 2 or 3 or ``ddof`` is not 0 or 1.
    """
    _check(order, ddof)
    return sum(conditional_error_coefficients(k, centered=centered, ddof=ddof) / M**k for k in range(1, order + 1))


def average_over_n(poly_in_n: sp.Expr, moment=moment_symbol) -> sp.Expr:
    r"""Replace :math:`\bar n^j` by the standardized moment :math:`m_j` (averaging over the sample)."""
    return expect_polynomial(sp.expand(poly_in_n).subs(N_BAR, Z), moment)


def overall_error(order: int = 1, *, centered: bool = True, ddof: int = 0, moment=moment_symbol) -> sp.Expr:
    r""":math:`\mathbb E[(\hat h-\bar h)^2]/\gamma^2` to ``order``; first order :math:`(\rho+6)/(4M)`.

    Parameters
    ----------
    order : {1, 2, 3}, default 1
        Highest power of :math:`1/M` kept.
    centered : bool, default True
        BN with mean subtraction; ``False``: without.
    ddof : {0, 1}, default 0
        The variance estimate's divisor: ``M - ddof``.
    moment : callable, default :func:`~theory.batch_statistics.moment_symbol`
        ``moment(j)``: the standardized moment :math:`\mathbb E\bar n^j` of the input.

    Returns
    -------
    sympy.Expr
        The truncated series in :math:`1/M`.

    Raises
    ------
    BadInput
        If ``order`` is not 1, 2 or 3 or ``ddof`` is not 0 or 1.
    """
    return sp.expand(average_over_n(sp.expand(conditional_error(order, centered=centered, ddof=ddof)), moment))


@lru_cache(maxsize=None)
def exact_error_from_mean_sigma(ddof: int = 0) -> tuple[sp.Expr, sp.Symbol]:
    r"""Exact :math:`\mathbb E[(\hat h-\bar h)^2]/\gamma^2` in terms of :math:`e=\mathbb E[\sigma_B]/\sigma_P`.

    Exchangeability of the batch gives, for any distribution,
    :math:`\mathbb E[\hat n^2]=(M-d)/M` (the residuals' squares sum to :math:`M-d` times the
    variance estimate, :math:`d` = ddof) and
    :math:`\mathbb E[\hat n\bar n]=\tfrac1M\mathbb E[\sum_i z_i(z_i-\bar z)/\hat\sigma]
    =\tfrac{M-d}{M}\,\mathbb E[\hat\sigma]`, hence
    :math:`\mathbb E[(\hat n-\bar n)^2]=\tfrac{M-d}{M}+1-2\tfrac{M-d}{M}\mathbb E[\hat\sigma]`;
    for ddof 0 this is :math:`2(1-\mathbb E[\sigma_B]/\sigma_P)`.  Returns ``(expr, e)`` where
    ``e`` is :math:`\mathbb E[\hat\sigma]/\sigma_P` of the same convention.

    Parameters
    ----------
    ddof : {0, 1}, default 0
        The variance estimate's divisor: ``M - ddof``.

    Returns
    -------
    expr : sympy.Expr
        The error in terms of ``e``.
    e : sympy.Symbol
        The symbol of :math:`\mathbb E[\hat\sigma]/\sigma_P`.

    Raises
    ------
    BadInput
        If ``ddof`` is not 0 or 1.
    """
    _check(1, ddof)
    e = sp.Symbol("e", positive=True)
    keep = (M - ddof) / M
    return sp.simplify(keep + 1 - 2 * keep * e), e


def misspecified_first_order_terms(shift: sp.Expr, family, M: float) -> tuple[float, float, float]:
    r"""The :math:`M^{-1}, M^{-2}, M^{-3}` terms of the first-order Taylor term
    :math:`\mathbb E[(A'(\bar h)-y)(\hat h-\bar h)]/\gamma` when the labels are shifted off the
    model by ``shift`` (an expression in :math:`\bar n`): :math:`y=A'(\bar h)+\mathrm{shift}(\bar n)
    +\text{noise}`, so the term is :math:`-\mathbb E[\mathrm{shift}(\bar n)\,\mathbb E[\hat h-\bar h\mid\bar n]]/\gamma`
    with the derived conditional bias (:func:`conditional_mean_coefficients`), averaged over
    ``family`` (an :class:`theory.input_families.InputFamily`)."""
    terms = [-average_over_n(sp.expand(shift * family.substitute(conditional_mean_coefficients(k))), family.moment)
             / M**k for k in (1, 2, 3)]
    return float(terms[0]), float(terms[1]), float(terms[2])
