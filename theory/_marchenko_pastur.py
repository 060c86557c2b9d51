"""Marchenko–Pastur facts used by the teacher–student theory (seed §2.3), derived in SymPy.

``S = X^T X / N`` for a ``P x N`` matrix ``X`` with i.i.d. N(0, 1) entries, ``alpha = P / N``.
Its resolvent trace ``G(zeta) = lim (1/N) tr (S + zeta)^{-1}`` is derived here from the
self-consistent (Silverstein) equation, with the branch picked by ``G ~ 1/zeta`` as
``zeta -> oo``.  The O(1/N) mean of a linear spectral statistic for real Gaussian data
(Bai & Silverstein 2004) is the input behind the finite-N correction.
"""

from __future__ import annotations

from functools import lru_cache

import sympy as sp

alpha, zeta, delta2 = sp.symbols("alpha zeta delta2", positive=True)
lam = sp.Symbol("lambda", nonnegative=True)
G = sp.Symbol("G", positive=True)
x, c, lo, hi = sp.symbols("x c a b", positive=True)


@lru_cache(maxsize=None)
def self_consistent_equation() -> sp.Eq:
    """Input assumption (Silverstein's equation for ``S = sum_j x_j x_j^T / N``, ``x_j ~ N(0, I)``):

    .. math:: G = \\frac{1}{\\zeta + \\alpha/(1+G)}.
    """
    return sp.Eq(G, 1 / (zeta + alpha / (1 + G)))


@lru_cache(maxsize=None)
def stieltjes() -> sp.Expr:
    """The root of the self-consistent equation with :math:`\\zeta G \\to 1` as :math:`\\zeta\\to\\infty`."""
    eq = self_consistent_equation()
    roots = sp.solve(sp.Eq(eq.lhs, eq.rhs), G)
    physical = [r for r in roots if sp.limit(r * zeta, zeta, sp.oo) == 1]
    if len(physical) != 1:  # pragma: no cover - a change in SymPy's solver would land here
        raise RuntimeError(f"expected one physical branch, got {physical}")
    return physical[0]


@lru_cache(maxsize=None)
def quadratic() -> sp.Expr:
    """The self-consistent equation cleared of denominators, ``= 0``."""
    eq = self_consistent_equation()
    return sp.expand(sp.numer(sp.together(eq.lhs - eq.rhs)))


@lru_cache(maxsize=None)
def discriminant() -> sp.Expr:
    """``D`` with ``G = (1 - alpha - zeta + sqrt(D)) / (2 zeta)``, factorised over the MP edges."""
    q = sp.Poly(quadratic(), G)
    a2, a1, a0 = q.all_coeffs()
    disc = sp.expand(a1**2 - 4 * a2 * a0)
    edges = sp.expand((zeta + (1 + sp.sqrt(alpha)) ** 2) * (zeta + (1 - sp.sqrt(alpha)) ** 2))
    if sp.simplify(disc - edges) != 0:  # pragma: no cover - derivation guard
        raise RuntimeError("discriminant does not factor over the Marchenko-Pastur edges")
    return (zeta + (1 + sp.sqrt(alpha)) ** 2) * (zeta + (1 - sp.sqrt(alpha)) ** 2)


@lru_cache(maxsize=None)
def stieltjes_derivative_in_G() -> sp.Expr:
    """:math:`G'(\\zeta)` by implicit differentiation of the quadratic, as a function of ``G``."""
    q = quadratic()
    return sp.simplify(-sp.diff(q, zeta) / sp.diff(q, G))


def arcsine_integral(order: int) -> sp.Expr:
    """Input identity: :math:`\\int_a^b \\frac{dx}{(x+c)^k\\sqrt{(b-x)(x-a)}}` for ``k = order``.

    ``k = 1`` is :math:`\\pi/\\sqrt{(a+c)(b+c)}` (standard; checked against quadrature in the
    tests); ``k = 2`` follows as :math:`-\\partial_c` of it.
    """
    j1 = sp.pi / sp.sqrt((lo + c) * (hi + c))
    if order == 1:
        return j1
    if order == 2:
        return sp.simplify(-sp.diff(j1, c))
    raise ValueError(f"order must be 1 or 2, got {order!r}")


def bai_silverstein_mean(f: sp.Expr, y: sp.Expr) -> sp.Expr:
    """Input theorem (Bai & Silverstein 2004, real Gaussian case): for ``B = Z Z^T / n``, ``Z`` a
    ``p x n`` N(0,1) matrix, ``y = p/n < 1`` and ``f`` analytic on the support,

    .. math:: E\\sum_i f(\\mu_i) - p\\int f\\,dF^{y} \\to \\frac{f(a)+f(b)}{4}
              - \\frac{1}{2\\pi}\\int_a^b \\frac{f(x)\\,dx}{\\sqrt{(b-x)(x-a)}},

    with :math:`a, b = (1 \\mp \\sqrt y)^2`.  ``f`` must be a rational function of ``x`` whose
    partial fractions have poles ``1/(x + c)`` and ``1/(x + c)^2`` only (true for ridge).
    """
    a_edge, b_edge = (1 - sp.sqrt(y)) ** 2, (1 + sp.sqrt(y)) ** 2
    endpoint = (f.subs(x, a_edge) + f.subs(x, b_edge)) / 4
    integral = sp.Integer(0)
    for term in sp.Add.make_args(sp.apart(sp.together(f), x)):
        num, den = sp.fraction(sp.factor(term))
        if not den.has(x):
            integral += term * sp.pi  # int dx / sqrt((b-x)(x-a)) = pi
            continue
        base, power = den.as_base_exp()
        shift = sp.Poly(base, x).all_coeffs()
        if len(shift) != 2 or power not in (1, 2):  # pragma: no cover - guard on the input
            raise ValueError(f"f has a pole the closed form does not cover: {term}")
        lead, const = shift
        coeff = num / lead**power
        integral += coeff * arcsine_integral(int(power)).subs(c, const / lead)
    integral = integral.subs({lo: a_edge, hi: b_edge})
    return endpoint - integral / (2 * sp.pi)
