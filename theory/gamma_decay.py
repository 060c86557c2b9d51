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
from ._classify import Classification, classify
from ._curvature_moments import closed_form_available, closed_moments, quadrature_moments
from ._numeric import numeric_function
from ._quadrature import DivergentExpectation
from ._singularities import Finiteness
from ._zeros import Unlocatable
from .activations import activation_expression, curvature, curvature_parts
from .errors import BadInput, real_batch_size
from .input_families import get_family
from .normalization_error import SOURCES, conditional_error_coefficients
from .symbols import N_BAR, RHO, SKEW, X
from .symbols import M as M_SYM

F_GAMMA = sp.Symbol(r"F_{\gamma}")
MU_D2A = sp.Symbol(r"\mu_{d^2A}")
CROSS = sp.Symbol(r"\mathbb{E}[A''(\bar h)\bar n]")
_MOMENT_SYMBOLS = {0: MU_D2A, 1: CROSS, 2: F_GAMMA}
_TERM_NAMES = {"sigma": "sigma_term", "mu": "mu_term", "cross": "skew_term"}
Method = Literal["auto", "closed form", "quadrature"]


@lru_cache(maxsize=None)
def zeta_formula(bias: bool = True) -> dict[str, sp.Expr]:
    r"""The three terms of :math:`\zeta` in terms of :math:`F_\gamma,\mu_{d^2A},\mathbb E[A''\bar n]`,
    derived from the sources of :math:`c_1`; ``bias=False`` is BN without :math:`\mu_B`.

    Parameters
    ----------
    bias : bool, default True
        BN with :math:`\mu_B`; ``False``: without.

    Returns
    -------
    dict of str to sympy.Expr
        The terms by name.
    """
    out = {}
    for source in SOURCES:
        poly = sp.Poly(conditional_error_coefficients(1, centered=bias, source=source), N_BAR)
        term = sum(c * _MOMENT_SYMBOLS[k] for (k,), c in poly.terms()) if not poly.is_zero else sp.Integer(0)
        out[source] = sp.factor(term / (2 * M_SYM))
    return out


@dataclass(frozen=True)
class ZetaResult:
    r""":math:`\zeta(h)` and its parts for one activation, batch size and input family.

    ``deltas`` are the Dirac terms ``(x, weight)`` of :math:`A''` (jumps of :math:`g`); ``scale`` a
    positive size of :math:`\zeta` (:math:`|\zeta|`, or, where :math:`\zeta=0` by symmetry, the
    same formula with :math:`|A''|`); ``monte_carlo`` says why a Monte-Carlo estimate of this
    :math:`\zeta` has no finite variance (None when it has).

    Parameters
    ----------
    activation : sympy.Expr
        The activation :math:`g`.
    d2A : sympy.Expr
        :math:`A''`, the pointwise part.
    input : str
        The input family, or ``"sample"``.
    M : float
        Batch size.
    gamma, beta : float
        BN's scale and shift.
    bias : bool
        Whether :math:`\mu_B` is included.
    F_gamma : float
        :math:`F_\gamma`.
    mu_d2A : float
        :math:`\mu_{d^2A}`.
    cross : float
        :math:`\mathbb E[A''(\bar h)\bar n]`.
    rho, skew : float
        The input's excess kurtosis :math:`\rho` and skewness :math:`s`.
    sigma_term, mu_term, skew_term : float
        The three terms of :math:`\zeta`.
    value : float
        :math:`\zeta`.
    method : str
        ``"closed form"`` or ``"quadrature"``.
    error : float
        Estimated absolute error of ``value``.
    expression : sympy.Expr or None
        The closed form of :math:`\zeta` (None after quadrature).
    latex : str
        LaTeX of ``expression`` (or of ``value``).
    warnings : tuple of str, default ()
        Remarks on the evaluation.
    deltas : tuple of (float, float), default ()
        The Dirac terms ``(x, weight)`` of :math:`A''`.
    scale : float, default 0.0
        A positive size of :math:`\zeta`.
    monte_carlo : str or None, default None
        Why a Monte-Carlo estimate has no finite variance (None when it has).
    """

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
    deltas: tuple[tuple[float, float], ...] = ()
    scale: float = 0.0
    monte_carlo: str | None = None

    def to_dict(self) -> dict:
        """The result as a JSON-ready dict.

        Returns
        -------
        dict
            The fields, SymPy expressions as strings (for JSON).
        """
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
        raise BadInput(f"{name} must be a real number, got {value!r}") from None
    if not math.isfinite(v):
        raise BadInput(f"{name} must be finite, got {value!r}")
    return v


def _validate(M_, gamma, beta) -> tuple[float, float, float]:
    g = _finite("gamma", gamma)
    if g <= 0:
        raise BadInput(f"gamma must be > 0, got {gamma!r}")
    return real_batch_size(M_), g, _finite("beta", beta)


def _sample(values) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64).ravel()
    if arr.size < 8:
        raise BadInput(f"input sample must have at least 8 values, got {arr.size}")
    if not np.all(np.isfinite(arr)):
        raise BadInput("input sample must contain only finite numbers")
    if np.std(arr) == 0:
        raise BadInput("input sample must not be constant")
    return arr


# ---------------------------------------------------------------------------------------------
# classification and moments


def classified(g: sp.Expr, input_name: str, gamma: float, beta: float) -> Classification:
    """:func:`theory._classify.classify`, SymPy's own failures on odd input turned into ValueError."""
    try:
        return classify(g, input_name, gamma, beta)
    except (Unlocatable, BadInput):
        raise
    except (TypeError, NotImplementedError, ArithmeticError, RecursionError, sp.PolynomialError) as exc:
        raise BadInput(f"cannot analyse this activation ({type(exc).__name__}: {exc})"[:300]) from None


def require(found: Finiteness, what: str) -> None:
    """Raise :class:`DivergentExpectation` (divergent) or ``ValueError`` (undecided)."""
    if found.finite is False:
        raise DivergentExpectation(f"{what} diverges: {found.reason}")
    if found.finite is None:
        raise BadInput(f"cannot decide whether {what} exists: {found.reason}")


def _odd_curvature(cls: Classification) -> bool:
    r""":math:`g` is even (so :math:`A''` is odd) about :math:`h=0`, the input symmetric and
    :math:`\beta=0`: then :math:`\mathbb E[A''z^k]=0` for even :math:`k` exactly."""
    fam = cls.family
    if cls.beta != 0 or fam.skewness != 0 or fam.support[0] != -fam.support[1]:
        return False
    split = cls.activation
    if {sp.nsimplify(-b) for b in split.breaks} != set(split.breaks):
        return False
    mirrored = split.exprs[::-1]
    return all(sp.expand(e.subs(X, -X) - m) == 0 for e, m in zip(split.exprs, mirrored))


def family_moments(cls: Classification, orders, method: Method) -> tuple[list[float], list[float], list | None, str]:
    """``(values, errors, exact expressions or None, method)`` of :math:`\\mathbb E[A''(\\gamma z+\\beta)z^k]`."""
    orders = tuple(orders)
    for k in orders:
        require(cls.moment(k), f"E[A''(h_bar) n^{k}] under {cls.family.name}")
    zero = {k for k in orders if k % 2 == 0} if _odd_curvature(cls) else set()
    closed = closed_form_available(cls)
    if method == "closed form" and not closed:
        raise BadInput("no closed form for this activation: closed forms are computed when every piece of A'' "
                         "is a sum of c x^n exp(q(x)) with q of degree <= 2")
    if closed and method != "quadrature":
        exprs = [sp.Integer(0) if k in zero else e for k, e in zip(orders, closed_moments(cls, orders))]
        return [float(sp.N(e, 30)) for e in exprs], [0.0] * len(orders), exprs, "closed form"
    values, errors = quadrature_moments(cls, orders)
    values = [0.0 if k in zero else v for k, v in zip(orders, values)]
    errors = [0.0 if k in zero else e for k, e in zip(orders, errors)]
    return values, errors, None, "quadrature"


def _warnings(d2a: sp.Expr) -> tuple[str, ...]:
    grid = np.linspace(-12.0, 12.0, 4801)
    with np.errstate(all="ignore"):
        values = numeric_function(d2a, X)(grid)
    out = []
    if np.any(values < -1e-12):
        where = grid[np.nanargmin(values)]
        out.append(
            f"A'' = g' < 0 near x = {where:.3g}: g is not monotone, so the GLM reading (A'' >= 0, "
            "a convex loss) fails there and zeta may be negative"
        )
    return tuple(out)


def _empirical(g: sp.Expr, sample, gamma, beta, orders):
    if curvature_parts(g)[1]:
        raise BadInput("A'' has Dirac terms (g jumps); a sample has no density to weigh them: use an input family")
    n = (sample - sample.mean()) / sample.std()
    with np.errstate(all="ignore"):
        a2 = np.asarray(numeric_function(curvature_parts(g)[0], X)(gamma * n + beta), dtype=np.float64)
    if not np.all(np.isfinite(a2)):
        raise BadInput("A'' is not finite (or not real) at some values of the sample")
    values = [float(np.mean(a2 * n**k)) for k in orders]
    errors = [float(np.std(a2 * n**k) / math.sqrt(n.size)) for k in orders]
    return values, errors, float(np.mean(n**4) - 3), float(np.mean(n**3))


# ---------------------------------------------------------------------------------------------
# public API


def _needed_orders(terms: dict[str, sp.Expr], rho_e, skew_e) -> tuple[int, ...]:
    total = sum(terms.values()).subs({RHO: rho_e, SKEW: skew_e})
    return tuple(k for k, sym in _MOMENT_SYMBOLS.items() if sp.expand(sp.diff(total, sym)) != 0)


def _family_zeta(g_expr, family, g, b, orders_needed, method):
    """Moments (0, 1, 2) for a family input: the needed ones required, the others nan if they diverge."""
    cls = classified(g_expr, family.name, g, b)
    optional = [k for k in (0, 1, 2) if k not in orders_needed and cls.moment(k).finite]
    orders = tuple(sorted({*orders_needed, *optional}))
    values, errors, exprs, used = family_moments(cls, orders, method)
    by_k = {k: (v, e, None if exprs is None else x) for k, v, e, x in zip(orders, values, errors, exprs or orders)}
    missing = (math.nan, 0.0, sp.nan)
    return cls, [by_k.get(k, missing) for k in (0, 1, 2)], used, exprs is not None


def _magnitude(cls: Classification, terms, subs_num) -> float:
    """ζ's formula with :math:`|A''|`: the size of the parts that cancel when ζ = 0 by symmetry."""
    values, _ = quadrature_moments(cls, (0, 1, 2), absolute=True)
    total = sum(terms.values())
    return sum(abs(float(sp.diff(total, sym).subs(subs_num))) * v for sym, v in zip((MU_D2A, CROSS, F_GAMMA), values))


def _display(expr: sp.Expr) -> sp.Expr:
    """A tidy form of a closed-form ζ: simplified when small (a structural bound, not a time limit)."""
    return sp.simplify(expr) if sp.count_ops(expr) <= 60 else sp.factor_terms(sp.expand(expr))


def zeta(
    activation: str | sp.Expr,
    M: float,
    *,
    gamma: float = 1.0,
    beta: float = 0.0,
    input: str | np.ndarray = "gaussian",
    bias: bool = True,
    method: Method = "auto",
) -> ZetaResult:
    r"""The gamma-decay coefficient :math:`\zeta(h)` of BN (seed §1.3, eq. of :math:`L\approx\dots+\zeta\gamma^2`).

    .. math:: \zeta=\frac{\rho+2}{8M}F_\gamma+\frac{\mu_{d^2A}}{2M}+\frac{s}{2M}\mathbb E[A''(\bar h)\bar n]

    ``activation`` is a name of :data:`theory.activations.NAMED`, a formula string (read by the
    safe parser) or a SymPy expression in one symbol; ``input`` a family name (``gaussian``,
    ``laplace``, ``uniform``, ``exponential``) or a sample of :math:`h` (standardized here);
    ``bias=False`` drops :math:`\mu_B`.  The expectation is classified first
    (:mod:`theory._classify`): ``ValueError`` where :math:`g` is not real with positive
    probability or the rules cannot decide, :class:`DivergentExpectation` (a ``ValueError``) where
    it diverges.  ``method="auto"`` gives the closed form exactly when every piece of :math:`A''`
    is exp-polynomial (a structural rule: never time), else quadrature (1e-11 relative).

    Parameters
    ----------
    activation : str or sympy.Expr
        A name of :data:`theory.activations.NAMED`, a formula string (read by the safe parser) or a
        SymPy expression in one symbol.
    M : float
        Batch size, >= 2.
    gamma : float, default 1.0
        BN's scale :math:`\gamma`, > 0.
    beta : float, default 0.0
        BN's shift :math:`\beta`.
    input : str or ndarray, default "gaussian"
        An input family of :data:`theory.INPUT_FAMILIES` or a sample of :math:`h` (at least 8 finite,
        not all equal values).
    bias : bool, default True
        BN with :math:`\mu_B`; ``False`` drops it.
    method : {"auto", "closed form", "quadrature"}, default "auto"
        How the expectations are computed.

    Returns
    -------
    ZetaResult
        :math:`\zeta` and its parts.

    Raises
    ------
    BadInput
        If ``M`` < 2, ``gamma`` <= 0, a number is not finite, ``method`` is unknown, the activation
        or sample is invalid, or the expectation's existence cannot be decided.
    DivergentExpectation
        If the expectation diverges for this input.
    """
    M_, g, b = _validate(M, gamma, beta)
    if method not in ("auto", "closed form", "quadrature"):
        raise BadInput(f"method must be 'auto', 'closed form' or 'quadrature', got {method!r}")
    g_expr = activation_expression(activation)
    d2a = curvature(g_expr)
    terms = zeta_formula(bool(bias))
    cls, monte_carlo = None, None
    deltas: tuple[tuple[float, float], ...] = ()
    if isinstance(input, str):
        family = get_family(input)
        rho_e, skew_e, input_name = family.excess_kurtosis, family.skewness, family.name
        rho, skew = float(rho_e), float(skew_e)
        cls, moments, used, exact = _family_zeta(g_expr, family, g, b, _needed_orders(terms, rho_e, skew_e), method)
        values, errors = [m[0] for m in moments], [m[1] for m in moments]
        exprs = [m[2] for m in moments] if exact else None
        deltas = tuple((float(sp.N(p, 17)), float(sp.N(w, 17))) for p, w in cls.deltas)
        variance = cls.variance()
        monte_carlo = None if variance.finite else (
            f"the Monte-Carlo variance is infinite: {variance.reason}" if variance.finite is False
            else f"cannot decide whether the Monte-Carlo variance is finite: {variance.reason}")
    else:
        values, errors, rho, skew = _empirical(g_expr, _sample(input), g, b, (0, 1, 2))
        exprs, used, input_name = None, "empirical", "sample"
        rho_e, skew_e = sp.Float(rho), sp.Float(skew)
    subs_num = {RHO: rho, SKEW: skew, M_SYM: M_}
    coefficients = {sym: float(sp.diff(sum(terms.values()), sym).subs(subs_num)) for sym in (MU_D2A, CROSS, F_GAMMA)}
    moment_values = dict(zip((MU_D2A, CROSS, F_GAMMA), values))
    parts = {name: sum(float(sp.diff(terms[src], s).subs(subs_num)) * v for s, v in moment_values.items()
                       if sp.diff(terms[src], s) != 0)
             for src, name in _TERM_NAMES.items()}
    value = sum(parts.values())
    err = sum(abs(coefficients[s]) * e for s, e in zip((MU_D2A, CROSS, F_GAMMA), errors))
    general = sum(terms.values()).subs({RHO: rho_e, SKEW: skew_e})
    if exprs is not None:
        expression = _display(general.subs({s: e for s, e in zip((MU_D2A, CROSS, F_GAMMA), exprs) if e is not sp.nan}))
        latex = notation.latex(expression)
    else:
        expression, latex = None, notation.latex(general)
    scale = abs(value) if value != 0 or cls is None else _magnitude(cls, terms, subs_num)
    warns = _warnings(curvature_parts(g_expr)[0]) + tuple(
        f"g jumps down by {-w:.3g} at x = {p:.6g}: A'' has a negative Dirac term there" for p, w in deltas if w < 0)
    return ZetaResult(
        activation=g_expr, d2A=d2a, input=input_name, M=M_, gamma=g, beta=b, bias=bool(bias),
        F_gamma=values[2], mu_d2A=values[0], cross=values[1], rho=rho, skew=skew, value=value,
        method=used, error=err, expression=expression, latex=latex, warnings=warns, deltas=deltas,
        scale=scale, monte_carlo=monte_carlo, **parts,
    )


def zeta_corrections(
    activation: str | sp.Expr, M: float, *, gamma: float = 1.0, beta: float = 0.0,
    input: str = "gaussian", bias: bool = True,
) -> tuple[float, float]:
    r"""The :math:`M^{-2}` and :math:`M^{-3}` terms of :math:`\tfrac12\mathbb E[A''(\bar h)(\hat h-\bar h)^2]/\gamma^2`:
    :math:`\tfrac1{2M^k}\mathbb E[A''(\bar h)c_k(\bar n)]` for :math:`k=2,3`, with :math:`c_k` from
    :mod:`theory.normalization_error` and the family's moments (quadrature).  The simulation
    checks compare with :math:`\zeta+\zeta_2` and bound the bias by :math:`2|\zeta_3|`;
    :class:`DivergentExpectation` where a moment they need diverges.

    Parameters
    ----------
    activation : str or sympy.Expr
        A name of :data:`theory.activations.NAMED`, a formula string (read by the safe parser) or a
        SymPy expression in one symbol.
    M : float
        Batch size, >= 2.
    gamma : float, default 1.0
        BN's scale :math:`\gamma`, > 0.
    beta : float, default 0.0
        BN's shift :math:`\beta`.
    input : str, default "gaussian"
        An input family of :data:`theory.INPUT_FAMILIES`.
    bias : bool, default True
        BN with :math:`\mu_B`; ``False`` drops it.

    Returns
    -------
    tuple of float
        :math:`(\zeta_2, \zeta_3)`, the :math:`M^{-2}` and :math:`M^{-3}` terms.

    Raises
    ------
    BadInput
        If ``M`` < 2, ``gamma`` <= 0, a number is not finite or the activation is invalid.
    DivergentExpectation
        If a moment they need diverges.
    """
    M_, g, b = _validate(M, gamma, beta)
    family = get_family(input)
    cls = classified(activation_expression(activation), family.name, g, b)
    polys = [sp.Poly(family.substitute(conditional_error_coefficients(k, centered=bool(bias))), N_BAR) for k in (2, 3)]
    orders = tuple(sorted({k for p in polys for (k,), _ in p.terms()}))
    values, _, _, _ = family_moments(cls, orders, "quadrature")
    moments = dict(zip(orders, values))
    return tuple(
        sum(float(c) * moments[k] for (k,), c in p.terms()) / (2 * M_**order)
        for order, p in zip((2, 3), polys)
    )
