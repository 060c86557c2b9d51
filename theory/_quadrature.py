"""Adaptive quadrature of expectations over a standardized input family (mpmath, tanh-sinh /
Gauss-Legendre with its own error estimate), split at every kink so each piece is smooth."""

from __future__ import annotations

from dataclasses import dataclass

import mpmath
import sympy as sp

from .input_families import InputFamily

#: working precision (decimal digits): far above the 1e-10 target, so rounding never limits it
_DPS = 30


@dataclass(frozen=True)
class Quadrature:
    value: float
    error: float


def _heaviside(x, h0=0.5):
    return mpmath.mpf(1) if x > 0 else (mpmath.mpf(0) if x < 0 else mpmath.mpf(h0))


def kinks(expr: sp.Expr, variable: sp.Symbol) -> list[sp.Expr]:
    """Points where ``expr`` may be non-smooth: zeros of linear arguments of Heaviside, Abs, sign,
    Max/Min differences and Piecewise conditions."""
    args: list[sp.Expr] = []
    for node in sp.preorder_traversal(expr):
        if isinstance(node, (sp.Heaviside, sp.Abs, sp.sign)):
            args.append(node.args[0])
        elif isinstance(node, (sp.Max, sp.Min)):
            args.extend(a - b for a, b in zip(node.args, node.args[1:]))
        elif isinstance(node, sp.Piecewise):
            for _, cond in node.args:
                if isinstance(cond, sp.core.relational.Relational):
                    args.append(cond.lhs - cond.rhs)
    points = set()
    for arg in args:
        if not arg.has(variable):
            continue
        poly = sp.Poly(arg, variable) if arg.is_polynomial(variable) else None
        if poly is None or poly.degree() > 2:
            raise ValueError(f"cannot locate the kinks of {arg}: only polynomial arguments are supported")
        points.update(r for r in sp.real_roots(poly))
    return sorted(points, key=float)


def expectation(integrand: sp.Expr, family: InputFamily, breakpoints=(), rel_tol: float = 1e-10) -> Quadrature:
    r""":math:`\int f(z)p(z)\,dz` over the family's support with mpmath's error estimate.

    ``integrand`` must be built by bnreg itself (its own symbols only), never from user text
    directly: it is turned into an mpmath function by :func:`sympy.lambdify`.
    """
    z = family.variable
    f = sp.lambdify(z, integrand * family.density, modules=[{"Heaviside": _heaviside}, "mpmath"])
    lo, hi = (mpmath.mpf(float(b)) if b.is_finite else (mpmath.inf if b > 0 else -mpmath.inf) for b in family.support)
    inner = sorted({float(p) for p in (*family.kinks, *breakpoints)})
    points = [lo, *[mpmath.mpf(p) for p in inner if lo < p < hi], hi]
    with mpmath.workdps(_DPS):
        value, error = mpmath.quad(f, points, error=True, maxdegree=10)
        if error > rel_tol * abs(value) + 1e-15:
            value, error = mpmath.quad(f, points, error=True, maxdegree=14)
    return Quadrature(float(value), float(error))
