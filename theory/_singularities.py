r"""Where an activation is real, where it is singular, and how its curvature behaves there and in
the input's tails: the classification that decides whether
:math:`\mathbb E[A''(\gamma z+\beta)z^k]` exists, before anything is computed.

* **Domain.**  ``log(u)`` needs :math:`u>0`, a fractional power or ``sqrt`` :math:`u\ge0`, ``asin``
  and ``acos`` :math:`|u|\le1`, ``atanh`` :math:`|u|<1`, ``acosh`` :math:`u\ge1`, a variable
  exponent a positive base.  The zeros of each ``u`` (:mod:`theory._zeros`) cut a piece into
  intervals of constant sign; an interval of the input's support where a condition fails is
  refused with its probability (:func:`domain_problem`).
* **Singular points** are those zeros, the poles (zeros of a base with a negative exponent, of
  ``cos`` under ``tan``), the kinks and the ends of the support.  Near one, :math:`|A''|\sim t^{-e}`;
  the integral exists iff :math:`e<1` (with :math:`z^k` lowering :math:`e` by :math:`k` at
  :math:`z=0`).  Rational pieces: :math:`e` is the pole's multiplicity, exactly.  Otherwise
  :math:`e` is read from :math:`|A''(x_0\pm t)|` at :math:`t=10^{-20},\dots,10^{-160}` with
  mpmath at up to 1200 digits (:mod:`theory._mpeval`), decided only when the slopes agree.
* **Tails.**  Pieces in the exp-polynomial class (:mod:`theory._exp_poly`) are decided exactly from
  the leading exponent against the density's.  Other pieces: :math:`\log|A''(\gamma z+\beta)|+\log p(z)`
  at :math:`|z|=30,\dots,10^{300}`, where the integrand must fall faster than :math:`|z|^{-1}`.

A case the rules cannot decide is reported as undecided (``finite=None``), never guessed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import mpmath
import sympy as sp

from ._exp_poly import exp_poly_terms
from ._mpeval import Unreliable, erfc_of, evaluate
from ._zeros import Unlocatable, Zeros, zeros_in
from .input_families import InputFamily
from .symbols import X

_TAIL_Z = (30, 100, 300, 10**3, 10**4, 10**6, 10**12, 10**24, 10**48, 10**96, 10**192, 10**300)
_LOCAL_T = (20, 40, 80, 160)  # t = 10**-n
_MAX_DIGITS = 1200


@dataclass(frozen=True)
class Finiteness:
    """Whether an integral exists: True, False, or None (undecided); ``reason`` says why not."""

    finite: bool | None
    reason: str = ""


FINITE = Finiteness(True)


def combine(*parts: Finiteness) -> Finiteness:
    """Divergent if any part diverges; undecided if any is undecided; else finite."""
    for want in (False, None):
        for p in parts:
            if p.finite is want:
                return p
    return FINITE


# ---------------------------------------------------------------------------------------------
# where the pieces are real, and their candidate singular points


def _conditions(expr: sp.Expr) -> list[tuple[sp.Expr, sp.Basic]]:
    """``(w, node)``: ``node`` is real only where ``w >= 0`` (where ``w = 0`` it may be infinite: a single point,
    whose integrability :func:`local_finiteness` decides)."""
    out = []
    for node in sp.preorder_traversal(expr):
        if isinstance(node, sp.log):
            out.append((node.args[0], node))
        elif isinstance(node, sp.Pow) and node.base.has(X) and not node.exp.has(X) and not node.exp.is_integer:
            out.append((node.base, node))
        elif isinstance(node, sp.Pow) and node.exp.has(X):
            out.append((node.base, node))
        elif isinstance(node, (sp.asin, sp.acos, sp.atanh)):
            out += [(1 - node.args[0], node), (1 + node.args[0], node)]
        elif isinstance(node, sp.acosh):
            out.append((node.args[0] - 1, node))
    return [c for c in out if c[0].has(X)]


def _poles(expr: sp.Expr) -> list[tuple[sp.Expr, sp.Expr]]:
    """``(u, c)``: ``expr`` may be singular where ``u = c``."""
    out = []
    for node in sp.preorder_traversal(expr):
        if isinstance(node, sp.Pow) and node.base.has(X) and not node.exp.has(X) and node.exp.is_negative:
            out.append((node.base, sp.Integer(0)))
        elif isinstance(node, sp.tan):
            out.append((sp.cos(node.args[0]), sp.Integer(0)))
    return out


def candidate_points(expr: sp.Expr, lo: float, hi: float) -> Zeros:
    """Every point of ``[lo, hi]`` where ``expr`` may be singular or change its domain."""
    found = Zeros(())
    for w, _ in _conditions(expr):
        if not w.is_positive:
            found = found | zeros_in(w, sp.Integer(0), lo, hi)
    for u, c in _poles(expr):
        found = found | zeros_in(u, c, lo, hi)
    unique = sorted(set(found.points), key=lambda p: (abs(float(sp.N(p, 30))), float(sp.N(p, 30))))
    return Zeros(tuple(unique), found.complete)


def _value_sign(w: sp.Expr, point: float) -> int | None:
    try:
        value = evaluate(w, repr(point), 60)
    except Unreliable:
        return None
    return (value > 0) - (value < 0)


def _interior_point(a: float, b: float) -> float:
    if math.isinf(a) and math.isinf(b):
        return 0.0
    if math.isinf(a):
        return b - 1.0
    if math.isinf(b):
        return a + 1.0
    return (a + b) / 2


def domain_problem(expr: sp.Expr, lo: float, hi: float) -> tuple[str, list[tuple[float, float]], bool] | None:
    """``(what, intervals, exact)``: where in ``(lo, hi)`` a function in ``expr`` is not real
    (``exact`` False when only some such intervals are known, the zero set being incomplete), or None."""
    bad: dict[sp.Basic, list[tuple[float, float]]] = {}
    exact: dict[sp.Basic, bool] = {}
    for w, node in _conditions(expr):
        if w.is_nonnegative:  # no interval where w < 0, whatever its zeros
            continue
        zeros = zeros_in(w, sp.Integer(0), lo, hi)
        edges = [lo, *(float(sp.N(p, 30)) for p in zeros.points), hi]
        for a, b in zip(edges, edges[1:]):
            if b <= a:
                continue
            sign = _value_sign(w, _interior_point(a, b))
            if sign is None:
                raise Unlocatable(f"cannot decide where {sp.sstr(node)} is real")
            if sign < 0:
                bad.setdefault(node, []).append((a, b))
        exact[node] = exact.get(node, True) and zeros.complete
        if not zeros.complete and node not in bad:
            raise Unlocatable(f"cannot decide where {sp.sstr(node)} is real (infinitely many sign changes)")
    for node, intervals in bad.items():
        return sp.sstr(node), sorted(intervals), exact[node]
    return None


# ---------------------------------------------------------------------------------------------
# deciding an integral from log|f| along a sequence of scales


def decide(points: list[tuple[float, float]]) -> tuple[bool | None, float]:
    r"""``points``: ``(log s, log f(s))`` for increasing scales ``s`` towards the end of
    :math:`\int^\infty f\,ds`; returns (finite?, the last slope of log f in log s).  Finite iff
    :math:`f` falls faster than :math:`1/s`: a pure power law (equal slopes) is decided exactly at
    the boundary, otherwise only with a margin of 0.1 in the exponent."""
    if len(points) < 3:
        return None, math.nan
    tail = [v for _, v in points[-3:]]
    if all(v == -math.inf for v in tail):
        return True, -math.inf
    if any(v == -math.inf for v in tail):
        return None, math.nan
    (l0, v0), (l1, v1), (l2, v2) = points[-3:]
    with mpmath.workdps(30):  # the values are exact enough; their differences need no more
        s1, s2 = float((v1 - v0) / (l1 - l0)), float((v2 - v1) / (l2 - l1))
    if abs(s2 - s1) <= 1e-6 * max(1.0, abs(s2)):
        return s2 < -1 - 1e-9, s2
    if s2 < -1.1 and s2 <= s1 + 0.05:
        return True, s2
    if s2 > -0.9 and s2 >= s1 - 0.05:
        return False, s2
    return None, s2


def _log_abs(expr: sp.Expr, x: mpmath.mpf, digits: int) -> mpmath.mpf:
    """``log|expr(x)|`` (``-inf`` at a zero), raising up the precision on :class:`Unreliable`."""
    while True:
        try:
            value = evaluate(expr, x, digits)
            with mpmath.workdps(digits):
                return mpmath.ninf if value == 0 else mpmath.log(abs(value))
        except Unreliable:
            if digits >= _MAX_DIGITS:
                raise
            digits = min(2 * digits, _MAX_DIGITS)


@lru_cache(maxsize=2048)
def local_points(d2a: sp.Expr, x0: sp.Expr, side: int) -> tuple[tuple[float, float], ...]:
    """``(log(1/t), log|A''(x0 + side t)|)`` at the probe distances ``t``."""
    out = []
    for n in _LOCAL_T:
        digits = 2 * n + 60
        with mpmath.workdps(digits):
            x = mpmath.mpf(str(sp.N(x0, digits))) + side * mpmath.mpf(10) ** -n
        try:
            out.append((n * math.log(10), _log_abs(d2a, x, digits)))
        except Unreliable:
            continue
    return tuple(out)


def local_finiteness(d2a: sp.Expr, x0: sp.Expr, side: int, *, power: int = 1, lower: int = 0) -> Finiteness:
    r"""Whether :math:`\int|A''|^{power}|x-x_0|^{lower}` exists on ``side`` of ``x0``: with
    :math:`w=1/t` it is :math:`\int^\infty |A''|^{power} w^{-lower-2}\,dw`."""
    pts = [(lw, lv if lv == -math.inf else power * lv - (lower + 2) * lw) for lw, lv in local_points(d2a, x0, side)]
    finite, slope = decide(pts)
    where = f"h = {float(sp.N(x0, 15)):.6g}"
    if finite is None:
        return Finiteness(None, f"cannot decide whether the singularity of A'' at {where} is integrable")
    if finite:
        return FINITE
    order = (slope + lower + 2) / power
    return Finiteness(False, f"|A''| ~ |h - {float(sp.N(x0, 15)):.6g}|^-{order:.3g} near {where}, "
                             f"which is not integrable{' squared' if power > 1 else ''}")


# ---------------------------------------------------------------------------------------------
# tails


def _tail_density_log(family: InputFamily, direction: int) -> sp.Expr:
    z, p = family.variable, sp.Symbol("p", positive=True)
    density = family.density.subs(z, direction * p).subs(p, direction * z)  # resolve |z| on this side
    return sp.expand(sp.expand_log(sp.log(density), force=True))


def _stable_in_tail(expr: sp.Expr, x: mpmath.mpf) -> sp.Expr:
    """``expr`` with ``erf`` and ``tanh`` written through their small complements on the side their
    argument takes at ``x`` (``erf(u) = 1 - erfc(u)`` for u > 0, ``erfc(-u) - 1`` for u < 0, and
    ``tanh(u) = 1 - 2/(exp(2u) + 1)``), expanded, so that ``1 + erf(u)``-type sums cancel exactly
    in SymPy rather than in floating point."""
    def rewrite(node):
        try:
            positive = evaluate(node.args[0], x, 60) > 0
        except Unreliable:
            return node
        u = node.args[0]
        if isinstance(node, sp.erf):
            return 1 - erfc_of(u) if positive else erfc_of(-u) - 1
        return 1 - 2 / (sp.exp(2 * u) + 1) if positive else 2 / (sp.exp(-2 * u) + 1) - 1

    changed = expr.replace(lambda e: isinstance(e, (sp.erf, sp.tanh)), rewrite)
    return sp.expand(changed) if changed != expr else expr


@lru_cache(maxsize=1024)
def tail_points(d2a: sp.Expr, family_name: str, gamma: float, beta: float, direction: int, power: int):
    """``(log|z|, power*log|A''(gamma z + beta)| + log p(z))`` at the probe scales."""
    from .input_families import get_family  # noqa: PLC0415

    family = get_family(family_name)
    log_density = _tail_density_log(family, direction)
    d2a = _stable_in_tail(d2a, mpmath.mpf(gamma * direction * 1000 + beta))
    out = []
    for z in _TAIL_Z:
        digits = 2 * len(str(z)) + 60
        with mpmath.workdps(digits):
            zz = mpmath.mpf(direction * z)
            x = mpmath.mpf(repr(gamma)) * zz + mpmath.mpf(repr(beta))
        try:
            log_a = _log_abs(d2a, x, digits)
            log_p = evaluate(log_density, zz, digits, family.variable)
        except Unreliable:
            continue
        with mpmath.workdps(digits):
            out.append((math.log(z), power * log_a + log_p))
    return tuple(out)


def _exp_poly_tail(terms, family: InputFamily, gamma, beta, direction: int) -> bool | None:
    """Exact: does :math:`\\sum c x^n e^{q(x)}`, at :math:`x=\\gamma z+\\beta`, times the density and any
    power of z, decay exponentially as :math:`z\\to` ``direction`` * oo?  None where the density's
    tail is not exp-polynomial itself (e.g. the logistic law): the numeric probes decide then."""
    z = family.variable
    log_density = _tail_density_log(family, direction)
    if not log_density.is_polynomial(z) or sp.degree(log_density, z) > 2:
        return None
    g, b = sp.Rational(repr(gamma)), sp.Rational(repr(beta))
    for _, _, q in terms:
        exponent = sp.Poly(sp.expand(q.subs(X, g * z + b) + log_density), z)
        a2, a1 = exponent.coeff_monomial(z**2), exponent.coeff_monomial(z)
        if not (a2 < 0 or (a2 == 0 and direction * a1 < 0)):
            return False
    return True


def tail_finiteness(d2a: sp.Expr, family: InputFamily, gamma: float, beta: float, direction: int,
                    k: int, power: int = 1) -> Finiteness:
    """Whether :math:`\\int|A''(\\gamma z+\\beta)|^{power}|z|^k p(z)` exists towards ``direction`` * oo."""
    side = "+oo" if direction > 0 else "-oo"
    terms = exp_poly_terms(sp.expand(d2a**power) if power > 1 else d2a, X)
    exact = None if terms is None else (True if not terms else _exp_poly_tail(terms, family, gamma, beta, direction))
    if exact is True:
        return FINITE
    if exact is False:
        return Finiteness(False, f"|A''(h)|{'^2' if power > 1 else ''} grows as fast as the {family.name} "
                                 f"density decays as h -> {side}")
    pts = tail_points(d2a, family.name, gamma, beta, direction, power)
    finite, slope = decide([(lz, lv + k * lz) for lz, lv in pts])
    if finite is None:
        return Finiteness(None, f"cannot decide whether |A''(h)|{'^2' if power > 1 else ''} n^{k} is integrable "
                                f"under the {family.name} density as h -> {side}")
    if finite:
        return FINITE
    grows = "grows" if slope > 0 else "decays too slowly"
    return Finiteness(False, f"|A''(h)|{'^2' if power > 1 else ''} n^{k} times the {family.name} density "
                             f"{grows} as h -> {side} (like |n|^{slope:.3g})")


def probability(family: InputFamily, z_lo: float, z_hi: float) -> float:
    """:math:`P(z_{lo}<z<z_{hi})` under ``family`` (mpmath quadrature of the density, split at its kinks)."""
    lo, hi = (float(e) for e in family.support)
    a, b = max(z_lo, lo), min(z_hi, hi)
    if not a < b:
        return 0.0
    f = sp.lambdify(family.variable, family.density, modules="mpmath")
    inner = sorted(float(k) for k in family.kinks if a < float(k) < b)
    ends = [mpmath.mpf(t) if math.isfinite(t) else (mpmath.inf if t > 0 else -mpmath.inf) for t in (a, *inner, b)]
    with mpmath.workdps(30):
        return float(mpmath.quad(f, ends))
