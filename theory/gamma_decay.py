r"""Gamma decay: BN's loss is PN's loss plus :math:`\zeta(h)\gamma^2` (seed §1.3–1.4).

Expanding :math:`\ell(\hat h)` around the PN output :math:`\bar h=\gamma\bar n+\beta` to second
order and averaging the batch noise with :mod:`theory.normalization_error`,

.. math:: \tfrac12\mathbb E\big[A''(\bar h)(\hat h-\bar h)^2\big]
   =\frac{\gamma^2}{2M}\mathbb E\big[A''(\bar h)\,c_1(\bar n)\big]+O(M^{-2}),
   \qquad c_1(\bar n)=1+s\bar n+\tfrac{\rho+2}{4}\bar n^2,

so :math:`\zeta=\frac{\rho+2}{8M}F_\gamma+\frac{\mu_{d^2A}}{2M}+\frac{s}{2M}\mathbb E[A''(\bar h)\bar n]`
with :math:`F_\gamma=\mathbb E[A''(\bar h)\bar n^2]`, :math:`\mu_{d^2A}=\mathbb E[A''(\bar h)]`.
The last (skewness) term is absent from the seed; it vanishes for symmetric :math:`h`.
The first-order term of the expansion vanishes exactly when labels follow the model
(:math:`\mathbb E[y\mid x]=A'(\bar h)`), since :math:`\hat h-\bar h` does not depend on :math:`y`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

import numpy as np
import sympy as sp

from . import notation
from ._numeric import numeric_function
from ._quadrature import expectation, kinks
from .symbols import BETA, GAMMA, N_BAR, RHO, SKEW, X
from .symbols import M as M_SYM
from ._timeout import TimeLimitExceeded, can_limit, time_limit
from .activations import activation_expression, curvature
from .input_families import InputFamily, get_family
from .normalization_error import SOURCES, conditional_error_coefficients

F_GAMMA = sp.Symbol(r"F_{\gamma}")
MU_D2A = sp.Symbol(r"\mu_{d^2A}")
CROSS = sp.Symbol(r"\mathbb{E}[A''(\bar h)\bar n]")
_MOMENT_SYMBOLS = {0: MU_D2A, 1: CROSS, 2: F_GAMMA}
_TERM_NAMES = {"sigma": "sigma_term", "mu": "mu_term", "cross": "skew_term"}
Method = Literal["auto", "closed form", "quadrature"]


@lru_cache(maxsize=None)
def zeta_formula(bias: bool = True) -> dict[str, sp.Expr]:
    r"""The three terms of :math:`\zeta` in terms of :math:`F_\gamma,\mu_{d^2A},\mathbb E[A''\bar n]`,
    derived from the sources of :math:`c_1`; ``bias=False`` is BN without :math:`\mu_B`."""
    out = {}
    for source in SOURCES:
        poly = sp.Poly(conditional_error_coefficients(1, centered=bias, source=source), N_BAR)
        term = sum(c * _MOMENT_SYMBOLS[k] for (k,), c in poly.terms()) if not poly.is_zero else sp.Integer(0)
        out[source] = sp.factor(term / (2 * M_SYM))
    return out


@dataclass(frozen=True)
class ZetaResult:
    r""":math:`\zeta(h)` and its parts for one activation, batch size and input family."""

    activation: sp.Expr
    d2A: sp.Expr
    input: str
    M: float
    gamma: float
    beta: float
    bias: bool
    F_gamma: float
    mu_d2A: float
    cross: float
    rho: float
    skew: float
    sigma_term: float
    mu_term: float
    skew_term: float
    value: float
    method: str
    error: float
    expression: sp.Expr | None
    latex: str
    warnings: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict:
        out = {k: getattr(self, k) for k in self.__dataclass_fields__ if k not in ("activation", "d2A", "expression")}
        out.update(activation=str(self.activation), d2A=str(self.d2A),
                   expression=None if self.expression is None else str(self.expression))
        return out


# ---------------------------------------------------------------------------------------------
# validation


def _finite(name: str, value) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a real number, got {value!r}") from None
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return v


def validate_batch_size(M_: object) -> float:
    v = _finite("M", M_)
    if v < 2:
        raise ValueError(f"M (batch size) must be >= 2, got {M_!r}")
    return v


def _validate(M_, gamma, beta) -> tuple[float, float, float]:
    g = _finite("gamma", gamma)
    if g <= 0:
        raise ValueError(f"gamma must be > 0, got {gamma!r}")
    return validate_batch_size(M_), g, _finite("beta", beta)


def _sample(values) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64).ravel()
    if arr.size < 8:
        raise ValueError(f"input sample must have at least 8 values, got {arr.size}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("input sample must contain only finite numbers")
    if np.std(arr) == 0:
        raise ValueError("input sample must not be constant")
    return arr


# ---------------------------------------------------------------------------------------------
# the moments E[A''(gamma z + beta) z^k]


def _resolve_piece(d2a: sp.Expr, left: sp.Expr | None, right: sp.Expr | None) -> sp.Expr | None:
    """``d2a`` on the x-interval (left, right) with its kinks resolved, or None if SymPy cannot."""
    p = sp.Symbol("p", positive=True)
    if left is not None:
        piece = d2a.subs(X, left + p).subs(p, X - left)
    elif right is not None:
        piece = d2a.subs(X, right - p).subs(p, right - X)
    else:
        piece = d2a
    piece = sp.piecewise_fold(piece)
    if piece.has(sp.Heaviside, sp.Piecewise, sp.Abs, sp.Max, sp.Min, sp.sign):
        return None
    return piece


def _closed_form_moments(d2a: sp.Expr, family: InputFamily, gamma, beta, orders) -> list[sp.Expr] | None:
    """Exact :math:`\\mathbb E[A''(\\gamma z+\\beta)z^k]`, splitting the integral at the kinks."""
    z = family.variable
    x_kinks = kinks(d2a, X)
    pieces = []
    edges = [None, *x_kinks, None]
    for left, right in zip(edges, edges[1:]):
        piece = _resolve_piece(d2a, left, right)
        if piece is None:
            return None
        z_lo = -sp.oo if left is None else (left - beta) / gamma
        z_hi = sp.oo if right is None else (right - beta) / gamma
        pieces.append((piece.subs(X, gamma * z + beta), z_lo, z_hi))
    lo, hi = family.support
    splits = [lo, *family.kinks, hi]
    out = []
    for k in orders:
        total = sp.Integer(0)
        for piece, a, b in pieces:
            for s_lo, s_hi in zip(splits, splits[1:]):
                a_, b_ = (sp.Max(a, s_lo), sp.Min(b, s_hi)) if family.kinks or lo.is_finite else (a, b)
                if (a_ - b_).is_nonnegative:
                    continue
                density = _density_on(family, s_lo) if family.kinks else family.density
                total += sp.integrate(piece * z**k * density, (z, a_, b_))
        total = sp.simplify(total)
        if total.has(sp.Integral) or total.has(sp.nan, sp.zoo):
            return None
        out.append(total)
    return out


def _density_on(family: InputFamily, lo: sp.Expr) -> sp.Expr:
    """The density between two of its kinks (lower end ``lo``), its Abs resolved by the sign."""
    z, p = family.variable, sp.Symbol("p", positive=True)
    sign = 1 if bool(lo >= 0) else -1
    return family.density.subs(z, sign * p).subs(p, sign * z)


@lru_cache(maxsize=512)
def _moments_closed(d2a: sp.Expr, input_name: str, gamma, beta, orders: tuple[int, ...], timeout: float):
    family = get_family(input_name)
    try:
        with time_limit(timeout):
            return _closed_form_moments(d2a, family, gamma, beta, orders)
    except TimeLimitExceeded:
        return None
    except (ValueError, NotImplementedError, TypeError, sp.PolynomialError):
        return None


#: closed forms at numeric gamma, beta (families with kinks or finite support) are attempted only
#: for short decimals: SymPy's integrals of erf/exp at 17-digit rationals can exhaust memory.
_MAX_DENOMINATOR = 10**4


def _exact_number(v: float) -> sp.Rational:
    return sp.Rational(repr(v))


def family_moments(d2a, family: InputFamily, gamma: float, beta: float, orders, method: Method, timeout: float):
    """``(values, errors, exprs, method)`` of :math:`\\mathbb E[A''(\\gamma z+\\beta)z^k]` for k in ``orders``."""
    orders = tuple(orders)
    symbolic = not family.kinks and not family.support[0].is_finite
    simple = all(_exact_number(v).q <= _MAX_DENOMINATOR for v in (gamma, beta))
    if method in ("auto", "closed form") and can_limit() and (symbolic or simple):
        g, b = (GAMMA, BETA) if symbolic else (_exact_number(gamma), _exact_number(beta))
        exprs = _moments_closed(d2a, family.name, g, b, orders, timeout)
        if exprs is not None:
            exprs = [sp.simplify(e.subs({GAMMA: _exact_number(gamma), BETA: _exact_number(beta)})) for e in exprs]
            values = [float(sp.N(e, 30)) for e in exprs]
            if all(math.isfinite(v) for v in values):
                return values, [0.0] * len(values), exprs, "closed form"
    if method == "closed form":
        raise ValueError("no closed form found for this activation and input within the time limit")
    quads = [_quadrature_moment(d2a, family.name, gamma, beta, k) for k in orders]
    return [q.value for q in quads], [q.error for q in quads], None, "quadrature"


@lru_cache(maxsize=4096)
def _quadrature_moment(d2a: sp.Expr, input_name: str, gamma: float, beta: float, k: int):
    family = get_family(input_name)
    z = family.variable
    brk = [(float(c) - beta) / gamma for c in kinks(d2a, X)]
    return expectation(d2a.subs(X, gamma * z + beta) * z**k, family, brk)


def _warnings(d2a: sp.Expr) -> tuple[str, ...]:
    grid = np.linspace(-12.0, 12.0, 4801)
    with np.errstate(all="ignore"):
        values = numeric_function(d2a, X)(grid)
    out = []
    if np.any(values < -1e-12):
        where = grid[np.argmin(values)]
        out.append(
            f"A'' = g' < 0 near x = {where:.3g}: g is not monotone, so the GLM reading (A'' >= 0, "
            "a convex loss) fails there and zeta may be negative"
        )
    if not np.all(np.isfinite(values)):
        out.append("A'' is not finite somewhere on [-12, 12]")
    return tuple(out)


# ---------------------------------------------------------------------------------------------
# public API


def zeta(
    activation: str | sp.Expr,
    M: float,
    *,
    gamma: float = 1.0,
    beta: float = 0.0,
    input: str | np.ndarray = "gaussian",
    bias: bool = True,
    method: Method = "auto",
    timeout: float = 4.0,
) -> ZetaResult:
    r"""The gamma-decay coefficient :math:`\zeta(h)` of BN (seed §1.3, eq. of :math:`L\approx\dots+\zeta\gamma^2`).

    .. math:: \zeta=\frac{\rho+2}{8M}F_\gamma+\frac{\mu_{d^2A}}{2M}+\frac{s}{2M}\mathbb E[A''(\bar h)\bar n]

    ``activation`` is a name of :data:`theory.activations.NAMED`, a formula string (read by the
    safe parser) or a SymPy expression in ``x``; ``input`` a family name (``gaussian``,
    ``laplace``, ``uniform``) or a sample of :math:`h` (standardized here); ``bias=False`` drops
    :math:`\mu_B` (BN without mean subtraction, :math:`\mu_P=0`).  ``method="auto"`` tries a
    closed form within ``timeout`` seconds and falls back to quadrature (1e-10 relative).
    """
    M_, g, b = _validate(M, gamma, beta)
    if method not in ("auto", "closed form", "quadrature"):
        raise ValueError(f"method must be 'auto', 'closed form' or 'quadrature', got {method!r}")
    g_expr = activation_expression(activation)
    d2a = curvature(g_expr)
    terms = zeta_formula(bool(bias))
    orders = (0, 1, 2)
    if isinstance(input, str):
        family = get_family(input)
        values, errors, exprs, used = family_moments(d2a, family, g, b, orders, method, timeout)
        rho, skew = float(family.excess_kurtosis), float(family.skewness)
        rho_e, skew_e, input_name = family.excess_kurtosis, family.skewness, family.name
    else:
        sample = _sample(input)
        n = (sample - sample.mean()) / sample.std()
        a2 = numeric_function(d2a, X)(g * n + b)
        values = [float(np.mean(a2 * n**k)) for k in orders]
        errors = [float(np.std(a2 * n**k) / math.sqrt(n.size)) for k in orders]
        exprs, used, input_name = None, "empirical", "sample"
        rho, skew = float(np.mean(n**4) - 3), float(np.mean(n**3))
        rho_e, skew_e = sp.Float(rho), sp.Float(skew)
    moment_values = dict(zip((MU_D2A, CROSS, F_GAMMA), values))
    subs_num = {**moment_values, RHO: rho, SKEW: skew, M_SYM: M_}
    parts = {name: float(terms[src].subs(subs_num)) for src, name in _TERM_NAMES.items()}
    value = sum(parts.values())
    # error estimate: propagate the moments' errors through the (linear) formula
    err = sum(abs(float(sp.diff(sum(terms.values()), sym).subs(subs_num))) * e
              for sym, e in zip((MU_D2A, CROSS, F_GAMMA), errors))
    general = sum(terms.values()).subs({RHO: rho_e, SKEW: skew_e})
    if exprs is not None:
        expression = sp.simplify(general.subs(dict(zip((MU_D2A, CROSS, F_GAMMA), exprs))))
        latex = notation.latex(expression)
    else:
        expression, latex = None, notation.latex(general)
    warns = _warnings(d2a)
    return ZetaResult(
        activation=g_expr, d2A=d2a, input=input_name, M=M_, gamma=g, beta=b, bias=bool(bias),
        F_gamma=values[2], mu_d2A=values[0], cross=values[1], rho=rho, skew=skew, value=value,
        method=used, error=err, expression=expression, latex=latex, warnings=warns, **parts,
    )


def zeta_corrections(
    activation: str | sp.Expr, M: float, *, gamma: float = 1.0, beta: float = 0.0,
    input: str = "gaussian", bias: bool = True,
) -> tuple[float, float]:
    r"""The :math:`M^{-2}` and :math:`M^{-3}` terms of :math:`\tfrac12\mathbb E[A''(\bar h)(\hat h-\bar h)^2]/\gamma^2`:
    :math:`\tfrac1{2M^k}\mathbb E[A''(\bar h)c_k(\bar n)]` for :math:`k=2,3`, with :math:`c_k` from
    :mod:`theory.normalization_error` and the family's moments (quadrature).  The simulation
    checks compare with :math:`\zeta+\zeta_2` and bound the bias by :math:`2|\zeta_3|`."""
    M_, g, b = _validate(M, gamma, beta)
    family = get_family(input)
    d2a = curvature(activation_expression(activation))
    polys = [sp.Poly(family.substitute(conditional_error_coefficients(k, centered=bool(bias))), N_BAR) for k in (2, 3)]
    orders = tuple(sorted({k for p in polys for (k,), _ in p.terms()}))
    values, _, _, _ = family_moments(d2a, family, g, b, orders, "quadrature", 0.0)
    moments = dict(zip(orders, values))
    return tuple(
        sum(float(c) * moments[k] for (k,), c in p.terms()) / (2 * M_**order)
        for order, p in zip((2, 3), polys)
    )
