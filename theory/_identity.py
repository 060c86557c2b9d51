r"""Is a printed form the derived expression?  Substitution of named intermediates, and a check of
equality that is exact for rational functions and 40-digit at random rational points otherwise
(the points are drawn from a fixed :class:`numpy.random.SeedSequence`: same answer every run)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import sympy as sp

_DIGITS = 50  #: digits of the evaluation
_AGREE = sp.Float(10) ** -40  #: relative agreement required (10 guard digits below _DIGITS)
_POINTS = 4


def expand_definitions(expr: sp.Expr, definitions: Mapping[str, sp.Expr]) -> sp.Expr:
    """``expr`` with every symbol whose name is in ``definitions`` replaced by its definition,
    until none is left (definitions may use other defined symbols)."""
    for _ in range(len(definitions) + 1):
        found = {s: definitions[s.name] for s in expr.free_symbols if getattr(s, "name", None) in definitions}
        if not found:
            return expr
        expr = expr.xreplace(found)
    raise ValueError("the definitions are circular")


def same_function(a: sp.Expr, b: sp.Expr, region: Mapping[str, tuple[float, float]] | None = None,
                  *, seed: int = 13) -> bool:
    """``a == b`` as functions of their free symbols (symbols are matched by name).

    Rational functions: :func:`sympy.cancel` of the difference is 0.  Otherwise both are
    evaluated to 50 digits at 4 random rational points (``region`` gives the interval of a
    symbol where the formula holds, e.g. ``{"alpha": (0, 1)}``; by default a positive symbol is
    drawn from (0.1, 3), an integer one from 3..60, a real one from (-2, 2)) and must agree to
    40 significant digits."""
    a, b = _by_name(a, b)
    diff = sp.Add(a, -b)
    if diff == 0:
        return True
    if diff.is_rational_function():
        return sp.cancel(sp.together(diff)) == 0
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed)))
    # both sides: a symbol that cancels from the difference must still get a value, or a comparison of
    # the two sides would hold a free symbol
    symbols = sorted(a.free_symbols | b.free_symbols, key=str)
    checked = 0
    for _ in range(10 * _POINTS):
        point = {s: _draw(s, (region or {}).get(s.name), rng) for s in symbols}
        va, vb = (sp.N(e.xreplace(point), _DIGITS) for e in (a, b))
        if not (va.is_finite and vb.is_finite):
            continue  # a pole or a branch point drawn: draw again
        if abs(va - vb) > _AGREE * max(1, abs(va), abs(vb)):
            return False
        checked += 1
        if checked == _POINTS:
            return True
    raise ValueError("no point in the region where both expressions are finite")


def _by_name(*exprs: sp.Expr) -> Iterable[sp.Expr]:
    """The expressions with symbols of one name made one symbol (the first one met)."""
    first: dict[str, sp.Symbol] = {}
    for e in exprs:
        for s in sorted(e.free_symbols, key=sp.default_sort_key):
            first.setdefault(s.name, s)
    return [e.xreplace({s: first[s.name] for s in e.free_symbols}) for e in exprs]


def _draw(symbol: sp.Symbol, interval: tuple[float, float] | None, rng: np.random.Generator) -> sp.Rational:
    if interval is None and symbol.is_integer:
        return sp.Integer(int(rng.integers(3, 61)))
    if interval is None:
        interval = (0.1, 3.0) if symbol.is_nonnegative else (-2.0, 2.0)
    low, high = interval
    step = sp.Rational(int(rng.integers(1, 10**6)), 10**6)
    return sp.Rational(str(low)) + (sp.Rational(str(high)) - sp.Rational(str(low))) * step
