"""Exact real solutions of ``u(x) = c`` for the expressions an activation is built from.

Polynomials (degree <= 16, rational coefficients, or degree <= 2) are solved exactly; a monotone
function of a solvable argument (exp, log, sinh, tanh, atan, erf, powers, ...) is inverted; a
periodic one (sin, cos, tan) gives one solution set per period, of which those for
:data:`PERIODS` periods either side of 0 are returned and the set is marked incomplete.  Anything
else raises :class:`Unlocatable` unless SymPy's assumptions show that ``u - c`` has no zero.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import sympy as sp

from ._pieces import numeric_value, real_roots
from .errors import BadInput
from .symbols import X

PERIODS = 6
_MAX_DEGREE = 16


class Unlocatable(BadInput):
    """bnreg cannot locate the zeros of an expression."""


@dataclass(frozen=True)
class Zeros:
    """Exact real zeros; ``complete`` is False when more (periodic) ones exist beyond those listed."""

    points: tuple[sp.Expr, ...]
    complete: bool = True

    def __or__(self, other: Zeros) -> Zeros:
        return Zeros(self.points + other.points, self.complete and other.complete)


_NONE = Zeros(())


def _sign(c: sp.Expr) -> int:
    value = numeric_value(c)
    if value is None:
        raise Unlocatable(f"{sp.sstr(c)} is not a real number")
    return (value > 0) - (value < 0)


def _polynomial(u: sp.Expr, c: sp.Expr) -> Zeros:
    poly = sp.Poly(u - c, X)
    if poly.degree() <= 2:
        return Zeros(tuple(_real_only(real_roots(u - c))))
    if poly.degree() > _MAX_DEGREE or not all(k.is_Rational for k in poly.all_coeffs()):
        raise Unlocatable(f"cannot locate the zeros of {sp.sstr(u - c)}")
    return Zeros(tuple(sp.real_roots(poly)))


def _real_only(points):
    return [p for p in points if numeric_value(p) is not None]


def _monotone_inverse(f: sp.Basic, c: sp.Expr) -> list[sp.Expr] | None:
    """Targets for the argument of ``f`` so that ``f(arg) = c`` (empty: no solution), or None."""
    name, sign_c = f.func, _sign(c)
    below_one = _sign(1 - abs(c)) > 0
    table = {
        sp.exp: lambda: [sp.log(c)] if sign_c > 0 else [],
        sp.log: lambda: [sp.exp(c)],
        sp.sinh: lambda: [sp.asinh(c)],
        sp.asinh: lambda: [sp.sinh(c)],
        sp.tanh: lambda: [sp.atanh(c)] if below_one else [],
        sp.atanh: lambda: [sp.tanh(c)],
        sp.atan: lambda: [sp.tan(c)] if _sign(sp.pi / 2 - abs(c)) > 0 else [],
        sp.erf: lambda: [sp.erfinv(c)] if below_one else [],
        sp.erfc: lambda: [sp.erfcinv(c)] if sign_c > 0 and _sign(2 - c) > 0 else [],
        sp.cosh: lambda: [] if _sign(c - 1) < 0 else ([sp.Integer(0)] if c == 1 else [sp.acosh(c), -sp.acosh(c)]),
        sp.asin: lambda: [sp.sin(c)] if _sign(sp.pi / 2 - abs(c)) >= 0 else [],
        sp.acos: lambda: [sp.cos(c)] if sign_c >= 0 and _sign(sp.pi - c) >= 0 else [],
        sp.acosh: lambda: [sp.cosh(c)] if sign_c >= 0 else [],
    }
    return table[name]() if name in table else None


def _range(u: sp.Expr, window: tuple[float, float]) -> tuple[float, float] | None:
    """The range of a polynomial ``u`` over a finite window, from its ends and critical points."""
    lo, hi = window
    if not (u.is_polynomial(X) and math.isfinite(lo) and math.isfinite(hi)):
        return None
    du = sp.diff(u, X)
    critical = [float(sp.N(p, 30)) for p in solve(du, sp.Integer(0)).points] if du.has(X) else []
    values = [float(sp.N(u.subs(X, t), 30)) for t in (lo, hi, *(c for c in critical if lo < c < hi))]
    return min(values), max(values)


def _periodic(f: sp.Basic, c: sp.Expr, window: tuple[float, float]) -> tuple[list[sp.Expr], bool] | None:
    """Targets for the argument of a periodic ``f`` with ``f(arg) = c``: every period the argument
    reaches over a finite window (complete), else :data:`PERIODS` either side of 0 (incomplete)."""
    if f.func == sp.tan:
        base, period = [sp.atan(c)], sp.pi
    elif f.func in (sp.sin, sp.cos):
        if _sign(1 - abs(c)) < 0:
            return [], True
        base = [sp.asin(c), sp.pi - sp.asin(c)] if f.func == sp.sin else [sp.acos(c), -sp.acos(c)]
        period = 2 * sp.pi
    else:
        return None
    reach = _range(f.args[0], window)
    if reach is None:
        ks = range(-PERIODS, PERIODS + 1)
        return [b + k * period for b in base for k in ks], False
    p = float(period)
    targets = []
    for b in base:
        first, last = math.floor((reach[0] - float(b)) / p), math.ceil((reach[1] - float(b)) / p)
        targets += [b + k * period for k in range(first, last + 1)]
    return targets, True


def _power(u: sp.Basic, c: sp.Expr, window: tuple[float, float]) -> Zeros | None:
    base, exponent = u.base, u.exp
    if not exponent.has(X) and base.has(X):
        if c == 0:
            return _NONE if _sign(exponent) < 0 else solve(base, sp.Integer(0), window)
        if exponent.is_Integer and exponent % 2 == 0:
            if _sign(c) < 0:
                return _NONE
            root = abs(c) ** (1 / exponent)
            return solve(base, root, window) | solve(base, -root, window)
        if exponent.is_Integer:
            return solve(base, sp.sign(c) * abs(c) ** (1 / exponent), window)
        return solve(base, c ** (1 / exponent), window) if _sign(c) > 0 else _NONE
    if not base.has(X) and _sign(base) > 0 and base != 1:
        return solve(exponent, sp.log(c) / sp.log(base), window) if _sign(c) > 0 else _NONE
    return None


def solve(u: sp.Expr, c: sp.Expr, window: tuple[float, float] = (-math.inf, math.inf)) -> Zeros:
    """The real ``x`` with ``u(x) = c`` (``c`` a real number); complete at least inside ``window``."""
    if not u.has(X):
        raise Unlocatable(f"{sp.sstr(u)} does not depend on x")
    if u.is_polynomial(X):
        return _polynomial(u, c)
    if isinstance(u, sp.Add):
        const, rest = u.as_independent(X, as_Add=True)
        if const != 0:
            return solve(rest, c - const, window)
    if isinstance(u, sp.Mul):
        const, rest = u.as_independent(X, as_Mul=True)
        if const != 1:
            return solve(rest, c / const, window)
        if c == 0:
            out = _NONE
            for factor in u.args:
                out = out | solve(factor, sp.Integer(0), window)
            return out
    if isinstance(u, sp.Pow) and (found := _power(u, c, window)) is not None:
        return found
    if len(u.args) == 1 and isinstance(u, sp.Function):
        targets, complete = _monotone_inverse(u, c), True
        if targets is None and (periodic := _periodic(u, c, window)) is not None:
            targets, complete = periodic
        if targets is not None:
            out = Zeros((), complete)
            for target in targets:
                out = out | solve(u.args[0], target, window)
            return out
    difference = u - c
    if difference.is_positive or difference.is_negative:
        return _NONE
    raise Unlocatable(f"cannot locate where {sp.sstr(u)} = {sp.sstr(c)}")


def zeros_in(u: sp.Expr, c: sp.Expr, lo: float, hi: float) -> Zeros:
    """:func:`solve`, keeping the solutions in the closed interval ``[lo, hi]`` (floats, may be infinite)."""
    found = solve(u, c, (lo, hi))
    inside = {p for p in found.points if lo <= float(sp.N(p, 30)) <= hi}
    return Zeros(tuple(sorted(inside, key=lambda p: float(sp.N(p, 30)))), found.complete)
