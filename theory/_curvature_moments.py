r"""The moments :math:`\mathbb E[A''(\gamma z+\beta)z^k]` of a classified curvature: its pieces
integrated against the density, plus its Dirac terms, each contributing its weight times the
density of :math:`h` at the jump (seed §1.3's :math:`F_\gamma`, :math:`\mu_{d^2A}`).

.. math:: \mathbb E[J\,\delta(h-b)\,z^k]=\frac{J}{\gamma}\,z_b^k\,p(z_b),\qquad z_b=\frac{b-\beta}{\gamma},

with :math:`p(z_b)` the mean of its one-sided limits (the limit of any symmetric smoothing) where
the density jumps, i.e. at an end of a bounded support.

**Closed form or quadrature** is decided by structure alone: closed form exactly when every piece
is in the exp-polynomial class of :mod:`theory._exp_poly` (then each moment is a finite sum of
error functions and exponentials, integrated by a recurrence, no SymPy ``integrate``); otherwise
quadrature (:mod:`theory._quadrature`).  Nothing depends on time, load or thread.
"""

from __future__ import annotations

import math

import sympy as sp

from ._classify import Classification, CurvaturePiece
from ._exp_poly import gaussian_type_integral
from ._quadrature import expectation
from .errors import BadInput
from .input_families import InputFamily
from .symbols import X


def closed_form_available(cls: Classification) -> bool:
    """Every piece of :math:`A''` is in the exp-polynomial class, and so is the density: its log is a
    polynomial of degree at most 2 on each of its pieces (not so, e.g., for the logistic law)."""
    return all(p.exp_terms is not None for p in cls.pieces) and _density_exp_quadratic(cls.family)


def _density_exp_quadratic(family: InputFamily) -> bool:
    z = family.variable
    for _, _, log_p in _density_pieces(family):
        if not log_p.is_polynomial(z) or sp.Poly(log_p, z).degree() > 2:
            return False
    return True


def _exact(v: float) -> sp.Rational:
    return sp.Rational(repr(v))


def _density_pieces(family: InputFamily) -> list[tuple[sp.Expr, sp.Expr, sp.Expr]]:
    """``(lo, hi, log density)`` between the family's kinks, ``Abs`` resolved."""
    z, p = family.variable, sp.Symbol("p", positive=True)
    edges = [family.support[0], *family.kinks, family.support[1]]
    out = []
    for lo, hi in zip(edges, edges[1:]):
        sign = -1 if (hi.is_infinite and hi < 0) or (hi.is_finite and hi <= 0) else 1
        density = family.density.subs(z, sign * p).subs(p, sign * z)
        out.append((lo, hi, sp.expand(sp.expand_log(sp.log(density), force=True))))
    return out


def _piece_closed(piece: CurvaturePiece, family: InputFamily, g: sp.Rational, b: sp.Rational, k: int) -> sp.Expr:
    if piece.exp_terms is None:
        raise ValueError("the closed form needs A'' in the exp-polynomial class on every piece "
                         "(see closed_form_available)")
    z = family.variable
    z_lo = piece.lo if piece.lo.is_infinite else (piece.lo - b) / g
    z_hi = piece.hi if piece.hi.is_infinite else (piece.hi - b) / g
    total = sp.Integer(0)
    for d_lo, d_hi, log_p in _density_pieces(family):
        lo = z_lo if float(z_lo) >= float(d_lo) else d_lo
        hi = z_hi if float(z_hi) <= float(d_hi) else d_hi
        if not float(lo) < float(hi):
            continue
        for c, n, q in piece.exp_terms:
            exponent = sp.Poly(sp.expand(q.subs(X, g * z + b) + log_p), z)
            a2, a1, a0 = (exponent.coeff_monomial(z**j) for j in (2, 1, 0))
            weights = sp.Poly(sp.expand(c * (g * z + b) ** n * z**k), z)
            for (m,), w in weights.terms():
                total += w * sp.exp(a0) * gaussian_type_integral(m, a2, a1, lo, hi)
    return total


def _density_at(family: InputFamily, zb: sp.Expr) -> sp.Expr:
    lo, hi = family.support
    inside = family.density.subs(family.variable, zb)
    if zb == lo or zb == hi:
        return inside / 2
    return inside if float(lo) < float(sp.N(zb, 30)) < float(hi) else sp.Integer(0)


def _delta_term(cls: Classification, k: int, g, b) -> sp.Expr:
    total = sp.Integer(0)
    for point, weight in cls.deltas:
        zb = (point - b) / g
        total += weight / g * zb**k * _density_at(cls.family, zb)
    return total


def closed_moments(cls: Classification, orders) -> list[sp.Expr]:
    """Exact :math:`\\mathbb E[A''(\\gamma z+\\beta)z^k]` for ``k`` in ``orders`` (closed form class only)."""
    g, b = _exact(cls.gamma), _exact(cls.beta)
    return [sum((_piece_closed(p, cls.family, g, b, k) for p in cls.pieces), sp.Integer(0)) + _delta_term(cls, k, g, b)
            for k in orders]


def _z(x: sp.Expr, gamma: float, beta: float) -> float:
    return float(x) if x.is_infinite else (float(sp.N(x, 30)) - beta) / gamma


def quadrature_moments(cls: Classification, orders, absolute: bool = False) -> tuple[list[float], list[float]]:
    """Quadrature values and error estimates of the moments (of :math:`|A''|` when ``absolute``)."""
    z = cls.family.variable
    g, b = cls.gamma, cls.beta
    values, errors = [], []
    for k in orders:
        value = error = 0.0
        for piece in cls.pieces:
            integrand = piece.d2a.subs(X, g * z + b)
            q = expectation(sp.Abs(integrand * z**k) if absolute else integrand * z**k, cls.family,
                            _z(piece.lo, g, b), _z(piece.hi, g, b), [_z(p, g, b) for p in piece.points])
            value += q.value
            error += q.error
        for point, weight in cls.deltas:
            zb = (point - _exact(b)) / _exact(g)
            term = float(sp.N(weight / g * zb**k * _density_at(cls.family, zb), 30))
            value += abs(term) if absolute else term  # |J| z_b^k p(z_b)/gamma
        values.append(value)
        errors.append(error)
    if not all(math.isfinite(v) for v in values):
        raise BadInput("a moment of A'' is too large for float64")
    return values, errors
