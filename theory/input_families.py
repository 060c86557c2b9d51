r"""The registry of input distributions: standardized laws of the pre-activation
:math:`\bar n=(h-\mu_P)/\sigma_P` (mean 0, variance 1), one entry per law.

Each :class:`InputFamily` owns everything about its law, as :class:`scipy.stats.rv_continuous`
does: the SymPy density on its support (an input assumption), its kinks, its moments (derived
from the density by integration; the standardisation is checked by the tests), and a sampler
``draw(rng, shape, dtype)`` that works with any generator offering NumPy's methods (NumPy's or
CuPy's).  Theory, simulation, the command lines' choices, the tests and the docs all read
:data:`FAMILIES`; adding a law is adding one entry.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from ._moments import moment_symbol
from .errors import BadInput
from .symbols import N_BAR, RHO, T_MGF
from .symbols import M as M_SYM
from .symbols import Z as _Z

Sampler = Callable[[Any, tuple[int, ...], str], Any]


@dataclass(frozen=True)
class InputFamily:
    """A standardized density ``density(z)`` on ``support`` (an input assumption) and its sampler."""

    name: str
    description: str
    density: sp.Expr
    support: tuple[sp.Expr, sp.Expr]
    sampler: Sampler = field(repr=False, compare=False)
    kinks: tuple[sp.Expr, ...] = ()
    #: the moment-generating function E[exp(t z)] in :data:`T_MGF` (an input assumption, checked
    #: against the density by quadrature in the tests), for laws whose moments SymPy cannot
    #: integrate; the moments are then derived from its Taylor series
    mgf: sp.Expr | None = None

    @property
    def variable(self) -> sp.Symbol:
        return _Z

    def draw(self, rng: Any, shape: tuple[int, ...], dtype: str = "float64") -> Any:
        """``shape`` standardized draws from ``rng`` (a NumPy or CuPy generator) in ``dtype``."""
        return self.sampler(rng, shape, dtype)

    def moment(self, j: int) -> sp.Expr:
        """:math:`m_j=\\int z^j p(z)\\,dz`, exact."""
        return _moment(self.name, j)

    @property
    def skewness(self) -> sp.Expr:
        return self.moment(3)

    @property
    def excess_kurtosis(self) -> sp.Expr:
        r""":math:`\rho=m_4-3` (the seed's :math:`\rho=C/\sigma_P^4-3`)."""
        return sp.simplify(self.moment(4) - 3)

    def substitute(self, expr: sp.Expr, max_order: int = 8) -> sp.Expr:
        """Replace the generic moment symbols (``s``, ``rho``, ``m_j``) in ``expr`` by this family's."""
        return _substituted(self, expr, max_order)

    def value(self, expr: sp.Expr, M: float) -> float:
        """``expr`` (in the generic moments and ``M``) as a number for this family and batch size."""
        return float(self.substitute(expr).subs(M_SYM, M))

    def bin_average(self, poly: sp.Expr, lo: float, hi: float) -> float:
        r""":math:`\mathbb E[q(\bar n)\mid lo\le\bar n<hi]` for an expression ``q`` in :math:`\bar n` and the
        generic moments (30-digit quadrature over the part of the bin inside the support)."""
        z = self.variable
        f = sp.lambdify(z, self.substitute(poly).subs(N_BAR, z) * self.density, "mpmath")
        p = sp.lambdify(z, self.density, "mpmath")
        a, b = max(lo, float(self.support[0])), min(hi, float(self.support[1]))
        if a >= b:
            raise BadInput(f"bin [{lo}, {hi}) lies outside the support of {self.name}")
        with mpmath.workdps(25):
            return float(mpmath.quad(f, [a, b]) / mpmath.quad(p, [a, b]))


@lru_cache(maxsize=1024)  # the same coefficient is asked for once per bin of a conditional check
def _substituted(family: InputFamily, expr: sp.Expr, max_order: int) -> sp.Expr:
    subs = {moment_symbol(3): family.moment(3), RHO: family.excess_kurtosis}
    subs.update({moment_symbol(j): family.moment(j) for j in range(5, max_order + 1)})
    return sp.simplify(expr.subs(subs))


def _gaussian(rng, shape, dtype):
    return rng.standard_normal(shape, dtype=dtype)


def _laplace(rng, shape, dtype):
    # variance 1 (scale 1/sqrt 2) as a difference of exponentials: never infinite
    e = rng.standard_exponential((2, *shape), dtype=dtype)
    return (e[0] - e[1]) / math.sqrt(2)


def _uniform(rng, shape, dtype):
    return (2 * rng.random(shape, dtype=dtype) - 1) * math.sqrt(3)


def _exponential(rng, shape, dtype):
    return rng.standard_exponential(shape, dtype=dtype) - 1


def _logistic(rng, shape, dtype):
    # inverse CDF at u in (0, 1), computed in float64 (never infinite) and rounded
    u = rng.random(shape) + 2.0**-54
    return (math.sqrt(3) / math.pi * (np.log(u) - np.log1p(-u))).astype(dtype)


_SQRT3 = sp.sqrt(3)
_LOGISTIC = sp.pi / (2 * _SQRT3)  # standard logistic scaled to variance 1: scale sqrt(3)/pi
FAMILIES: dict[str, InputFamily] = {f.name: f for f in (
    InputFamily("gaussian", "standard normal", sp.exp(-(_Z**2) / 2) / sp.sqrt(2 * sp.pi), (-sp.oo, sp.oo),
                _gaussian),
    InputFamily("laplace", "Laplace, variance 1 (heavy-tailed, kink at 0)",
                sp.exp(-sp.sqrt(2) * sp.Abs(_Z)) / sp.sqrt(2), (-sp.oo, sp.oo), _laplace, kinks=(sp.Integer(0),)),
    InputFamily("uniform", "uniform on [-sqrt 3, sqrt 3] (bounded)", 1 / (2 * _SQRT3), (-_SQRT3, _SQRT3), _uniform),
    InputFamily("exponential", "standardized exponential E - 1 (skewed: s = 2, rho = 6)", sp.exp(-(_Z + 1)),
                (sp.Integer(-1), sp.oo), _exponential),
    InputFamily("logistic", "standardized logistic (smooth, rho = 6/5)",
                _LOGISTIC / (2 * sp.cosh(_LOGISTIC * _Z) ** 2), (-sp.oo, sp.oo), _logistic,
                mgf=sp.sqrt(3) * T_MGF / sp.sin(sp.sqrt(3) * T_MGF)),
)}


def get_family(name: str) -> InputFamily:
    """The registered family called ``name``; ValueError naming the choices otherwise."""
    if not isinstance(name, str) or name not in FAMILIES:
        raise BadInput(f"input must be one of {sorted(FAMILIES)} or a sample array, got {name!r}")
    return FAMILIES[name]


@lru_cache(maxsize=None)
def _moment(name: str, j: int) -> sp.Expr:
    fam = FAMILIES[name]
    if fam.mgf is not None:
        series = sp.series(fam.mgf, T_MGF, 0, j + 1).removeO()
        return sp.simplify(sp.factorial(j) * series.coeff(T_MGF, j))
    lo, hi = fam.support
    pieces = [lo, *fam.kinks, hi]
    return sp.simplify(sum(sp.integrate(_Z**j * fam.density, (_Z, a, b)) for a, b in zip(pieces, pieces[1:])))
