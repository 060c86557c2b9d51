r"""Standardized distributions of the pre-activation :math:`\bar n=(h-\mu_P)/\sigma_P` (mean 0,
variance 1).  Each family is given by its SymPy density (an input assumption); its moments —
skewness, excess kurtosis :math:`\rho` and the higher ones the second-order theory needs — are
derived from the density by integration."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import sympy as sp

from ._moments import moment_symbol

_Z = sp.Symbol("z", real=True)


@dataclass(frozen=True)
class InputFamily:
    """A standardized density ``density(z)`` on ``support`` (an input assumption)."""

    name: str
    density: sp.Expr
    support: tuple[sp.Expr, sp.Expr]
    kinks: tuple[sp.Expr, ...] = ()

    @property
    def variable(self) -> sp.Symbol:
        return _Z

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

    def moment_map(self, j: int) -> sp.Expr:
        """Same as :meth:`moment`; usable as the ``moment`` callback of :mod:`theory._moments`."""
        return self.moment(j)

    def substitute(self, expr: sp.Expr, max_order: int = 8) -> sp.Expr:
        """Replace the generic moment symbols (``s``, ``rho``, ``m_j``) in ``expr`` by this family's."""
        subs = {moment_symbol(3): self.moment(3), sp.Symbol("rho", real=True): self.excess_kurtosis}
        subs.update({moment_symbol(j): self.moment(j) for j in range(5, max_order + 1)})
        return sp.simplify(expr.subs(subs))


_SQRT3 = sp.sqrt(3)
FAMILIES: dict[str, InputFamily] = {
    "gaussian": InputFamily("gaussian", sp.exp(-(_Z**2) / 2) / sp.sqrt(2 * sp.pi), (-sp.oo, sp.oo)),
    "laplace": InputFamily(
        "laplace", sp.exp(-sp.sqrt(2) * sp.Abs(_Z)) / sp.sqrt(2), (-sp.oo, sp.oo), kinks=(sp.Integer(0),)
    ),
    "uniform": InputFamily("uniform", 1 / (2 * _SQRT3), (-_SQRT3, _SQRT3)),
    # a skewed family (s = 2, rho = 6): the standardized exponential, z = E - 1
    "exponential": InputFamily("exponential", sp.exp(-(_Z + 1)), (sp.Integer(-1), sp.oo)),
}


def get_family(name: str) -> InputFamily:
    if not isinstance(name, str) or name not in FAMILIES:
        raise ValueError(f"input must be one of {sorted(FAMILIES)} or a sample array, got {name!r}")
    return FAMILIES[name]


@lru_cache(maxsize=None)
def _moment(name: str, j: int) -> sp.Expr:
    fam = FAMILIES[name]
    lo, hi = fam.support
    pieces = [lo, *fam.kinks, hi]
    return sp.simplify(sum(sp.integrate(_Z**j * fam.density, (_Z, a, b)) for a, b in zip(pieces, pieces[1:])))
