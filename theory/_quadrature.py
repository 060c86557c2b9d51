"""Adaptive quadrature of expectations over a standardized input family, split at every kink so
that each piece is smooth.  QUADPACK (:func:`scipy.integrate.quad`) first; where it warns, meets
a non-finite value (e.g. ``exp(z)/(1+exp(z))`` overflowing in the far tail) or misses the
tolerance, mpmath's tanh-sinh quadrature at 30 digits redoes that piece.  The result carries the
summed error estimates."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import mpmath
import numpy as np
import sympy as sp
from scipy import integrate, special

from .input_families import InputFamily

#: requested relative accuracy; QUADPACK's reported error estimate is returned alongside
REL_TOL = 1e-11


class DivergentExpectation(ValueError):
    """The expectation is infinite or undefined for the chosen input family."""


@dataclass(frozen=True)
class Quadrature:
    value: float
    error: float


def _heaviside(x, h0=0.5):
    return np.heaviside(x, h0)


def kinks(expr: sp.Expr, variable: sp.Symbol) -> list[sp.Expr]:
    """Points where ``expr`` may be non-smooth: real zeros of polynomial (degree <= 2) arguments
    of Heaviside, Abs, sign, Max/Min differences and Piecewise conditions."""
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
        if not arg.is_polynomial(variable) or sp.Poly(arg, variable).degree() > 2:
            raise ValueError(f"cannot locate the kinks of {arg}: only polynomial arguments are supported")
        points.update(sp.real_roots(sp.Poly(arg, variable)))
    return sorted(points, key=float)


def expectation(integrand: sp.Expr, family: InputFamily, breakpoints=(), rel_tol: float = REL_TOL) -> Quadrature:
    r""":math:`\int f(z)p(z)\,dz` over the family's support, with QUADPACK's error estimate.

    ``integrand`` must be built by bnreg itself (its own symbols only), never from user text
    directly: it is turned into a NumPy function by :func:`sympy.lambdify`.
    """
    z = family.variable
    expr = integrand * family.density
    f = sp.lambdify(z, expr, modules=[{"Heaviside": _heaviside, "erf": special.erf, "erfc": special.erfc}, "numpy"])
    lo, hi = (float(b) for b in family.support)
    inner = sorted({float(p) for p in (*family.kinks, *breakpoints)})
    points = [lo, *[p for p in inner if lo < p < hi], hi]
    value = error = 0.0
    for a, b in zip(points, points[1:]):
        v, e = _piece(f, expr, z, a, b, rel_tol)
        value += v
        error += e
    if not math.isfinite(value):
        raise DivergentExpectation(f"E[A''(h_bar) n^k] diverges for the {family.name} input: zeta is infinite or undefined")
    return Quadrature(value, error)


def _piece(f, expr, z, a: float, b: float, rel_tol: float) -> tuple[float, float]:
    try:
        with warnings.catch_warnings(), np.errstate(all="raise", under="ignore"):
            warnings.simplefilter("error")
            v, e = integrate.quad(lambda t: float(f(t)), a, b, epsabs=0.0, epsrel=rel_tol, limit=400)
        if math.isfinite(v) and e <= 10 * rel_tol * abs(v) + 1e-15:
            return v, e
    except (Warning, FloatingPointError, ArithmeticError):
        pass
    g = sp.lambdify(z, expr, modules=[{"Heaviside": lambda x, h0=0.5: mpmath.mpf(h0) if x == 0 else mpmath.mpf(x > 0)},
                                      "mpmath"])
    ends = [mpmath.mpf(t) if math.isfinite(t) else (mpmath.inf if t > 0 else -mpmath.inf) for t in (a, b)]
    with mpmath.workdps(30):
        v, e = mpmath.quad(g, ends, error=True, maxdegree=10)
    return float(v), float(e)
