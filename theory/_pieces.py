r"""An activation as smooth pieces between its kinks, and its curvature as a distribution.

``Heaviside``, ``Abs``, ``sign``, ``Max``, ``Min`` and ``Piecewise`` are resolved on each
interval between the real zeros of their (polynomial, degree <= 4) arguments: each is constant in
sign there, so it is replaced by the branch it takes at one interior point.  Nested ones are
resolved from the inside out.  On a piece :math:`(b_{i-1}, b_i)` the activation is a kink-free
expression :math:`g_i`, and

.. math:: A''=g'=\sum_i g_i'\,\mathbf 1_{(b_{i-1},b_i)}+\sum_i J_i\,\delta(x-b_i),
   \qquad J_i=g_{i+1}(b_i)-g_i(b_i),

the jumps of :math:`g` giving Dirac deltas (a kink of :math:`g` is a jump of :math:`A''`, no delta).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import sympy as sp

from .errors import BadInput
from .symbols import X

KINK_FUNCTIONS = (sp.Heaviside, sp.Abs, sp.sign, sp.Max, sp.Min, sp.Piecewise)
MAX_PIECES = 64
MAX_KINK_DEGREE = 4
_ZERO_JUMP = 1e-40  # |J| below this (evaluated to 60 digits) is a continuous join


@dataclass(frozen=True)
class Pieces:
    """Kink-free expressions ``exprs[i]`` on the intervals between the increasing ``breaks``."""

    breaks: tuple[sp.Expr, ...]
    exprs: tuple[sp.Expr, ...]

    def intervals(self) -> list[tuple[sp.Expr, sp.Expr, sp.Expr]]:
        """``(lo, hi, expr)`` for every piece, the outer ends at -oo and oo."""
        edges = (-sp.oo, *self.breaks, sp.oo)
        return list(zip(edges, edges[1:], self.exprs))

    def map(self, f) -> Pieces:
        return Pieces(self.breaks, tuple(f(e) for e in self.exprs))

    def as_expr(self) -> sp.Expr:
        """One SymPy expression (a Piecewise when there are several pieces)."""
        if not self.breaks:
            return self.exprs[0]
        branches = [(e, X < b) for b, e in zip(self.breaks, self.exprs)]
        return sp.Piecewise(*branches, (self.exprs[-1], True))


def numeric_value(expr: sp.Expr, digits: int = 60) -> float | None:
    """``expr`` (a number) as a float, or None when it is not a finite real number."""
    value = sp.N(expr, digits)
    if not value.is_Number or value in (sp.nan, sp.zoo, sp.oo, -sp.oo):
        return None
    return float(value)


def _sign_at(expr: sp.Expr, point: sp.Expr) -> int:
    value = expr.subs(X, point)
    if value.is_positive:
        return 1
    if value.is_negative:
        return -1
    number = numeric_value(value)
    if number is None:
        raise BadInput(f"cannot decide the sign of {sp.sstr(expr)} at x = {sp.sstr(point)}")
    return (number > 0) - (number < 0)


def _kink_arguments(node: sp.Basic) -> list[sp.Expr]:
    if isinstance(node, (sp.Heaviside, sp.Abs, sp.sign)):
        return [node.args[0]]
    if isinstance(node, (sp.Max, sp.Min)):
        return [a - b for i, a in enumerate(node.args) for b in node.args[i + 1:]]
    return [r.lhs - r.rhs for _, cond in node.args for r in sp.preorder_traversal(cond)
            if isinstance(r, sp.core.relational.Relational)]


def real_roots(arg: sp.Expr) -> list[sp.Expr]:
    """Exact real zeros of a polynomial in x of degree <= :data:`MAX_KINK_DEGREE`."""
    if not arg.has(X):
        return []
    if not arg.is_polynomial(X):
        raise BadInput(f"cannot locate the kinks of {sp.sstr(arg)}: only polynomial arguments are supported")
    poly = sp.Poly(arg, X)
    if poly.degree() > MAX_KINK_DEGREE:
        raise BadInput(f"cannot locate the kinks of {sp.sstr(arg)}: degree above {MAX_KINK_DEGREE}")
    if poly.degree() == 1:
        a, b = poly.all_coeffs()
        return [-b / a]
    if poly.degree() == 2:
        a, b, c = poly.all_coeffs()
        disc = b**2 - 4 * a * c
        sign = _sign_at(disc, sp.Integer(0)) if disc.is_number else None
        if sign is None:
            raise BadInput(f"cannot locate the kinks of {sp.sstr(arg)}")
        if sign < 0:
            return []
        roots = {(-b - sp.sqrt(disc)) / (2 * a), (-b + sp.sqrt(disc)) / (2 * a)}
        return sorted(roots, key=lambda r: float(sp.N(r, 30)))
    if not all(c.is_Rational for c in poly.all_coeffs()):
        raise BadInput(f"cannot locate the kinks of {sp.sstr(arg)}: degree 3 and 4 need rational coefficients")
    return list(sp.real_roots(poly))


def _representative(lo: sp.Expr, hi: sp.Expr) -> sp.Expr:
    """An exact point inside (lo, hi)."""
    if lo == -sp.oo and hi == sp.oo:
        return sp.Integer(0)
    if lo == -sp.oo:
        return hi - 1
    if hi == sp.oo:
        return lo + 1
    return (lo + hi) / 2


def _resolve(node: sp.Basic, point: sp.Expr) -> sp.Expr:
    """The branch ``node`` takes on the piece containing ``point``."""
    if isinstance(node, sp.Heaviside):
        return sp.Integer(1 if _sign_at(node.args[0], point) > 0 else 0)
    if isinstance(node, sp.Abs):
        return node.args[0] * _sign_at(node.args[0], point)
    if isinstance(node, sp.sign):
        return sp.Integer(_sign_at(node.args[0], point))
    if isinstance(node, (sp.Max, sp.Min)):
        values = [float(sp.N(a.subs(X, point), 30)) for a in node.args]
        pick = max if isinstance(node, sp.Max) else min
        return node.args[values.index(pick(values))]
    for expr, cond in node.args:
        truth = cond.subs(X, point)
        if truth not in (sp.true, sp.false):
            raise BadInput(f"cannot decide the condition {sp.sstr(cond)} of a Piecewise")
        if truth == sp.true:
            return expr
    raise BadInput("a Piecewise is undefined on part of the real line (no condition holds)")


def _innermost(expr: sp.Expr) -> list[sp.Basic]:
    """Kink nodes whose kink arguments hold no kink node themselves."""
    out = []
    for node in sp.preorder_traversal(expr):
        if isinstance(node, KINK_FUNCTIONS) and not any(a.has(*KINK_FUNCTIONS) for a in _kink_arguments(node)):
            out.append(node)
    return list(dict.fromkeys(out))


def _split(expr: sp.Expr, lo: sp.Expr, hi: sp.Expr, budget: list[int]) -> list[tuple[sp.Expr, sp.Expr, sp.Expr]]:
    nodes = _innermost(expr)
    if not nodes:
        return [(lo, hi, expr)]
    points = {r for node in nodes for arg in _kink_arguments(node) for r in real_roots(arg)}
    inside = sorted((p for p in points if (lo == -sp.oo or p > lo) and (hi == sp.oo or p < hi)),
                    key=lambda p: float(sp.N(p, 30)))
    edges = [lo, *inside, hi]
    budget[0] += len(edges) - 2
    if budget[0] > MAX_PIECES:
        raise BadInput(f"the activation has more than {MAX_PIECES} pieces between its kinks")
    out = []
    for a, b in zip(edges, edges[1:]):
        point = _representative(a, b)
        resolved = expr.xreplace({node: _resolve(node, point) for node in nodes})
        out += _split(resolved, a, b, budget)
    return out


@lru_cache(maxsize=256)
def pieces(expr: sp.Expr) -> Pieces:
    """``expr`` (in x) as kink-free pieces; adjacent pieces with the same expression are merged."""
    breaks: list[sp.Expr] = []
    exprs: list[sp.Expr] = []
    for lo, _, piece in _split(expr, -sp.oo, sp.oo, [0]):
        if exprs and piece == exprs[-1]:
            continue
        if exprs:
            breaks.append(lo)
        exprs.append(piece)
    return Pieces(tuple(breaks), tuple(exprs))


def jumps(p: Pieces) -> tuple[tuple[sp.Expr, sp.Expr], ...]:
    """``(b, J)``: the nonzero finite jumps :math:`J=g(b^+)-g(b^-)` (Dirac weights of :math:`A''`).
    A break where a piece is not finite is left to the singularity analysis."""
    out = []
    for b, left, right in zip(p.breaks, p.exprs, p.exprs[1:]):
        jump = right.subs(X, b) - left.subs(X, b)
        value = numeric_value(jump)
        if value is not None and abs(value) > _ZERO_JUMP:
            out.append((b, jump))
    return tuple(out)
