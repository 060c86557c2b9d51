r"""The classification of one activation under one input law, before any moment is computed.

:func:`classify` splits :math:`g` into smooth pieces (:mod:`theory._pieces`), clips them to the
support of :math:`h=\gamma z+\beta`, refuses a piece that is not real on part of the support
(``ValueError`` with the probability of that part), and records for each piece its curvature,
its candidate singular points and its tails.  :meth:`Classification.moment` then says whether
:math:`\mathbb E[A''(h)z^k]` exists, :meth:`Classification.variance` whether the Monte-Carlo
estimate of :math:`\tfrac12\mathbb E[A''(h)(\hat h-\bar h)^2]` has a finite variance
(:math:`\mathbb E[A''(h)^2 z^4]<\infty`; the Dirac terms are simulated smoothed, with a finite
variance).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import sympy as sp

from ._exp_poly import Term, exp_poly_terms
from ._pieces import Pieces, jumps, numeric_value, pieces
from ._singularities import (
    FINITE,
    Finiteness,
    candidate_points,
    combine,
    domain_problem,
    local_finiteness,
    probability,
    tail_finiteness,
)
from ._zeros import Unlocatable
from .errors import BadInput
from .input_families import InputFamily, get_family
from .symbols import X


@dataclass(frozen=True)
class CurvaturePiece:
    """:math:`A''` on ``(lo, hi)`` (exact x, inside the support); its possibly singular points."""

    lo: sp.Expr
    hi: sp.Expr
    d2a: sp.Expr
    points: tuple[sp.Expr, ...]
    complete: bool
    exp_terms: tuple[Term, ...] | None  # None: A'' is not in the exp-polynomial class here
    poles: tuple[tuple[sp.Expr, int], ...] = ()  # rational pieces: (point, exact pole order)

    @property
    def bounds(self) -> tuple[float, float]:
        return _float(self.lo), _float(self.hi)


def _float(e: sp.Expr) -> float:
    return float(e) if e.is_infinite else float(sp.N(e, 30))


def _interval_text(a: float, b: float) -> str:
    if math.isinf(a):
        return f"h < {b:.6g}"
    if math.isinf(b):
        return f"h > {a:.6g}"
    return f"{a:.6g} < h < {b:.6g}"


def family_text(family: InputFamily, gamma: float, beta: float) -> str:
    return f"{family.name}(γ={gamma:g}, β={beta:g})"


def _refuse_not_real(problem, family: InputFamily, gamma: float, beta: float) -> ValueError:
    what, intervals, exact = problem
    where = " or ".join(_interval_text(a, b) for a, b in intervals)
    if not exact:
        return BadInput(f"{what} is not real for {where} (among others), which has positive probability "
                          f"under {family_text(family, gamma, beta)}")
    p = sum(probability(family, (a - beta) / gamma, (b - beta) / gamma) for a, b in intervals)
    return BadInput(f"{what} is not real for {where}, which has probability {p:.3g} "
                      f"under {family_text(family, gamma, beta)}")


def _pole_orders(d2a: sp.Expr, lo: float, hi: float) -> dict[sp.Expr, int]:
    """Exact orders of the real poles in ``[lo, hi]`` of a rational curvature (square-free
    factors of its reduced denominator, each root of the factor of multiplicity m a pole of order m)."""
    _, den = sp.fraction(sp.cancel(d2a))
    if not den.has(X):
        return {}
    poly = sp.Poly(den, X)
    if not all(c.is_Rational for c in poly.all_coeffs()) or poly.degree() > 16:
        raise Unlocatable(f"cannot locate the poles of {sp.sstr(d2a)}")
    out = {}
    for factor, multiplicity in poly.sqf_list()[1]:
        for root in sp.real_roots(factor):
            if lo <= float(sp.N(root, 30)) <= hi:
                out[root] = multiplicity
    return out


def _piece(g: sp.Expr, lo: sp.Expr, hi: sp.Expr, family: InputFamily, gamma: float, beta: float) -> CurvaturePiece:
    d2a = sp.diff(g, X)
    if d2a.has(sp.Derivative, sp.Subs):
        raise BadInput(f"SymPy cannot form the derivative of {sp.sstr(g)}")
    a, b = _float(lo), _float(hi)
    terms = exp_poly_terms(d2a, X)
    if terms is not None and exp_poly_terms(g, X) is not None:  # entire: real everywhere, no singularity
        return CurvaturePiece(lo, hi, d2a, (), True, terms)
    if g.is_rational_function(X):
        try:
            orders = _pole_orders(d2a, a, b)
            return CurvaturePiece(lo, hi, d2a, tuple(orders), True, terms, tuple(orders.items()))
        except Unlocatable:
            pass
    problem = domain_problem(g, a, b)
    if problem is not None:
        raise _refuse_not_real(problem, family, gamma, beta)
    found = candidate_points(g, a, b)
    return CurvaturePiece(lo, hi, d2a, found.points, found.complete, terms)


@dataclass(frozen=True)
class Classification:
    """The pieces of :math:`A''` on the support, its Dirac terms ``(x, weight)`` and the input law."""

    family: InputFamily
    gamma: float
    beta: float
    pieces: tuple[CurvaturePiece, ...]
    deltas: tuple[tuple[sp.Expr, sp.Expr], ...]
    activation: Pieces

    def _local(self, piece: CurvaturePiece, x0: sp.Expr, power: int, k: int) -> Finiteness:
        at_zero = k if abs(float(sp.N(x0 - sp.Rational(repr(self.beta)), 50))) < 1e-40 else 0
        poles = dict(piece.poles)
        if x0 in poles:
            order = power * poles[x0] - at_zero
            return FINITE if order < 1 else Finiteness(
                False, f"A'' has a pole of order {poles[x0]} at h = {_float(x0):.6g}, which is not integrable")
        if _regular_at(piece.d2a, x0):
            return FINITE
        return combine(*(local_finiteness(piece.d2a, x0, side, power=power, lower=at_zero)
                         for side in _sides(piece, x0)))

    def _integrable(self, power: int, k: int) -> Finiteness:
        parts = []
        for piece in self.pieces:
            ends = [e for e in (piece.lo, piece.hi) if not e.is_infinite]
            local = [self._local(piece, x0, power, k) for x0 in dict.fromkeys([*piece.points, *ends])]
            parts += local
            if not piece.complete and all(p.finite for p in local):
                parts.append(Finiteness(None, "A'' may have infinitely many singular points; "
                                              "bnreg found and checked only those near 0"))
            for direction, end in ((-1, piece.lo), (1, piece.hi)):
                if end.is_infinite:
                    parts.append(tail_finiteness(piece.d2a, self.family, self.gamma, self.beta, direction, k, power))
        return combine(*parts)

    @lru_cache(maxsize=16)  # noqa: B019 - instances are frozen, cached by classify
    def moment(self, k: int) -> Finiteness:
        r"""Whether :math:`\mathbb E[A''(\gamma z+\beta)z^k]` exists."""
        return self._integrable(1, k)

    @lru_cache(maxsize=1)  # noqa: B019
    def variance(self) -> Finiteness:
        r"""Whether :math:`\mathbb E[A''(h)^2(1+z^4)]<\infty` (the simulated term's second moment)."""
        return combine(self._integrable(2, 0), self._integrable(2, 4))


def _sides(piece: CurvaturePiece, x0: sp.Expr) -> list[int]:
    x, (a, b) = _float(x0), piece.bounds
    return [s for s, ok in ((1, x < b), (-1, x > a)) if ok]


def _regular_at(d2a: sp.Expr, x0: sp.Expr) -> bool:
    """``d2a`` has a finite real value at ``x0`` (then it is continuous there: no singularity)."""
    value = d2a.subs(X, x0)
    return not value.has(sp.zoo, sp.nan, sp.oo, -sp.oo) and numeric_value(value) is not None


def _clip(a: sp.Expr, b: sp.Expr, lo: sp.Expr, hi: sp.Expr) -> tuple[sp.Expr, sp.Expr] | None:
    a_ = a if _float(a) >= _float(lo) else lo
    b_ = b if _float(b) <= _float(hi) else hi
    return (a_, b_) if _float(a_) < _float(b_) else None


@lru_cache(maxsize=512)
def classify(activation: sp.Expr, input_name: str, gamma: float, beta: float) -> Classification:
    """Split, clip to the support and check the domain of ``activation`` under ``input_name``."""
    family = get_family(input_name)
    g_, b_ = sp.Rational(repr(gamma)), sp.Rational(repr(beta))
    lo, hi = (e if e.is_infinite else g_ * e + b_ for e in family.support)
    split = pieces(activation)
    out = []
    for a, b, g in split.intervals():
        clipped = _clip(a, b, lo, hi)
        if clipped is not None:
            out.append(_piece(g, *clipped, family, gamma, beta))
    deltas = tuple((x, w) for x, w in jumps(split) if _float(lo) <= _float(x) <= _float(hi))
    return Classification(family, gamma, beta, tuple(out), deltas, split)
