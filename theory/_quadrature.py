"""Adaptive quadrature of expectations over a standardized input family on one smooth piece of
an activation, split at the family's kinks and the piece's singular points.  QUADPACK
(:func:`scipy.integrate.quad`) first; where it warns, meets a non-finite value (e.g.
``exp(z)/(1+exp(z))`` overflowing in the far tail) or misses the tolerance, mpmath's tanh-sinh
quadrature at 30 digits redoes that piece.  The result carries the summed error estimates."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from functools import lru_cache

import mpmath
import numpy as np
import sympy as sp
from scipy import integrate, special

from ._mpeval import Unreliable, bounded_functions
from .errors import BadInput
from .input_families import InputFamily

#: requested relative accuracy; QUADPACK's reported error estimate is returned alongside
REL_TOL = 1e-11


class DivergentExpectation(BadInput):
    """The expectation is infinite or undefined for the chosen input family."""


@dataclass(frozen=True)
class Quadrature:
    value: float
    error: float


#: an error estimate above this share of the value (plus :data:`ABS_FLOOR`) is a failure, not a result
MAX_REL_ERROR = 1e-6
ABS_FLOOR = 1e-9  # absolute: moments are O(1); an estimate this small is carried into the error bar, not refused
#: bounds on cost, not accuracy, e.g. for exp(-exp(z**2)) or sin(exp(z)) far in a tail: an exponential-type
#: function beyond 2**500 (where mpmath's erfc overflows) takes its limit, and a periodic function's argument
#: is reduced modulo pi with at most 2**14 bits of pi (milliseconds).  A periodic function of a node itself is
#: exact at any size; of a rounded value such as exp(z) above 2**103 it is noise, which the fallback meets only
#: where the tail test has found |A''| times the density integrable
_BOUNDED = bounded_functions(500, 2**14)


def expectation(integrand: sp.Expr, family: InputFamily, lo: float = -math.inf, hi: float = math.inf,
                breakpoints=(), rel_tol: float = REL_TOL) -> Quadrature:
    r""":math:`\int_{lo}^{hi} f(z)p(z)\,dz` over the part of ``(lo, hi)`` in the family's support,
    split at the family's kinks and at ``breakpoints`` (singular points of ``f``), with QUADPACK's
    error estimate.  ``integrand`` must be smooth between the breakpoints and built by bnreg itself
    (its own symbols), never from user text directly: it is turned into a NumPy function by
    :func:`sympy.lambdify`.  A result whose error estimate exceeds :data:`MAX_REL_ERROR` of it is
    refused (``ValueError``), never returned.  Results are cached: a moment is asked for once per
    batch size and activation parameter of a sweep, and its integral does not depend on them.
    """
    return _expectation(integrand, family, float(lo), float(hi), tuple(float(p) for p in breakpoints), rel_tol)


@lru_cache(maxsize=4096)
def _expectation(integrand: sp.Expr, family: InputFamily, lo: float, hi: float, breakpoints: tuple[float, ...],
                 rel_tol: float) -> Quadrature:
    z = family.variable
    expr = integrand * family.density
    f = sp.lambdify(z, expr, modules=[{"erf": special.erf, "erfc": special.erfc}, "numpy"])
    s_lo, s_hi = (float(b) for b in family.support)
    a, b = max(lo, s_lo), min(hi, s_hi)
    if not a < b:
        return Quadrature(0.0, 0.0)
    inner = sorted({float(p) for p in (*family.kinks, *breakpoints)})
    points = [a, *[p for p in inner if a < p < b], b]
    value = error = 0.0
    for left, right in zip(points, points[1:]):
        v, e = _piece(f, expr, z, left, right, rel_tol)
        value += v
        error += e
    if not math.isfinite(value):
        raise DivergentExpectation(f"E[A''(h_bar) n^k] is not finite for the {family.name} input")
    if not error <= MAX_REL_ERROR * abs(value) + ABS_FLOOR:
        raise BadInput(f"quadrature of E[A''(h_bar) n^k] under the {family.name} input did not converge "
                         f"(value {value:.6g}, error estimate {error:.3g})")
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
    g = sp.lambdify(z, expr, modules=[_BOUNDED, "mpmath"])
    ends = [mpmath.mpf(t) if math.isfinite(t) else (mpmath.inf if t > 0 else -mpmath.inf) for t in (a, b)]
    with mpmath.workdps(30):
        try:
            v, e = mpmath.quad(g, ends, error=True, maxdegree=10)
        except (ValueError, ZeroDivisionError, OverflowError, Unreliable) as exc:  # mpmath's domain errors, the bounds
            raise BadInput(f"quadrature failed on ({a:.6g}, {b:.6g}): {exc}") from None
    if isinstance(v, mpmath.mpc):
        raise BadInput(f"the integrand is not real on ({a:.6g}, {b:.6g})")
    return float(v), float(e)
