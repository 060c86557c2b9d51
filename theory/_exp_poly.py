r"""The class of curvature pieces bnreg integrates in closed form, and the integrals themselves.

A piece is in the class when it expands (``sinh``/``cosh`` written with ``exp``) to at most
:data:`MAX_TERMS` terms :math:`c\,x^n e^{q(x)}` with :math:`0\le n\le` :data:`MAX_POWER` and
:math:`q` a polynomial of degree at most 2.  With the input's density on its pieces
(:math:`e^{-z^2/2}`, :math:`e^{\mp\sqrt2 z}`, constant, :math:`e^{-z-1}`) every moment is a sum of

.. math:: I_m=\int_L^U z^m e^{az^2+bz}\,dz,\qquad
   2a\,I_{m+1}=\big[z^m e^{az^2+bz}\big]_L^U-m\,I_{m-1}-b\,I_m

(integration by parts), with :math:`I_0` an error function (:math:`a<0`) or an exponential
(:math:`a=0`).  Membership is decided from the expression's structure alone, so whether ζ comes
out in closed form never depends on time, load or thread.
"""

from __future__ import annotations

from functools import lru_cache

import sympy as sp

MAX_TERMS = 24
MAX_POWER = 16
_MAX_OPS = 400

Term = tuple[sp.Expr, int, sp.Expr]  # (c, n, q): c x^n exp(q(x))


def _factor(f: sp.Expr, x: sp.Symbol) -> tuple[sp.Expr, int, sp.Expr] | None:
    if not f.has(x):
        return f, 0, sp.Integer(0)
    if f == x:
        return sp.Integer(1), 1, sp.Integer(0)
    if isinstance(f, sp.Pow) and f.base == x and f.exp.is_Integer and 0 <= f.exp <= MAX_POWER:
        return sp.Integer(1), int(f.exp), sp.Integer(0)
    if isinstance(f, sp.exp) and f.args[0].is_polynomial(x) and sp.degree(f.args[0], x) <= 2:
        return sp.Integer(1), 0, sp.expand(f.args[0])
    return None


@lru_cache(maxsize=1024)
def exp_poly_terms(expr: sp.Expr, x: sp.Symbol) -> tuple[Term, ...] | None:
    """``expr`` as terms ``(c, n, q)`` of :math:`c x^n e^{q(x)}` (like terms collected), or None
    when it is not in the class."""
    if sp.count_ops(expr) > _MAX_OPS or any(
            isinstance(p, sp.Pow) and p.exp.is_Integer and abs(p.exp) > MAX_POWER for p in sp.preorder_traversal(expr)):
        return None
    if expr.has(sp.sinh, sp.cosh):
        expr = expr.rewrite(sp.exp)
    expanded = sp.expand(expr)
    collected: dict[tuple[int, sp.Expr], sp.Expr] = {}
    for term in sp.Add.make_args(expanded):
        c, n, q = sp.Integer(1), 0, sp.Integer(0)
        for f in sp.Mul.make_args(term):
            part = _factor(f, x)
            if part is None:
                return None
            c, n, q = c * part[0], n + part[1], q + part[2]
        q = sp.expand(q)
        if n > MAX_POWER or (q.has(x) and sp.degree(q, x) > 2):
            return None
        constant = q.subs(x, 0)
        key = (n, q - constant)
        collected[key] = collected.get(key, 0) + c * sp.exp(constant)
    terms = tuple((c, n, q) for (n, q), c in collected.items() if c != 0)
    return terms if len(terms) <= MAX_TERMS else None


def _boundary(m: int, a: sp.Expr, b: sp.Expr, z: sp.Expr) -> sp.Expr:
    """:math:`z^m e^{az^2+bz}` at an end; 0 at an infinite end (the classification has shown
    that the integrand decays there)."""
    if z.is_infinite:
        return sp.Integer(0)
    return z**m * sp.exp(a * z**2 + b * z)


@lru_cache(maxsize=4096)
def gaussian_type_integral(m: int, a: sp.Expr, b: sp.Expr, lo: sp.Expr, hi: sp.Expr) -> sp.Expr:
    r""":math:`\int_{lo}^{hi} z^m e^{az^2+bz}\,dz` exactly, by the recurrence above."""
    if a != 0:
        if not a.is_negative:
            raise ValueError("the closed form needs a decaying exponent (a < 0) or a finite interval")
        alpha = -a
        centre = b / (2 * alpha)

        def erf_at(z):
            return sp.sign(z) if z.is_infinite else sp.erf(sp.sqrt(alpha) * (z - centre))

        values = [sp.exp(b**2 / (4 * alpha)) * sp.sqrt(sp.pi) / (2 * sp.sqrt(alpha)) * (erf_at(hi) - erf_at(lo))]
        for k in range(m):
            previous = values[k - 1] if k else sp.Integer(0)
            edge = _boundary(k, a, b, hi) - _boundary(k, a, b, lo)
            values.append((edge - k * previous - b * values[k]) / (2 * a))
        return values[m]
    if b != 0:
        values = [(_boundary(0, a, b, hi) - _boundary(0, a, b, lo)) / b]
        for k in range(1, m + 1):
            values.append((_boundary(k, a, b, hi) - _boundary(k, a, b, lo) - k * values[k - 1]) / b)
        return values[m]
    if lo.is_infinite or hi.is_infinite:
        raise ValueError("a polynomial is not integrable over an infinite interval")
    return (hi ** (m + 1) - lo ** (m + 1)) / (m + 1)
