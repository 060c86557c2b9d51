r"""The per-sample weight of the BN student's expected gradient (seed §2.3, beyond the seed).

For one sample :math:`j` of a batch of :math:`M`, whose other :math:`M-1` members are i.i.d.
standard Gaussians (input assumption A1 of :mod:`theory.bn_student`), the expected gradient of the
batch correlation :math:`C_B=\frac1M\sum_B\hat n\,y` with respect to :math:`h_j` is, at a direction
whose residual :math:`e` is independent of :math:`h` with mean zero,

.. math:: \mathbb E\Big[\frac{\partial (M C_B)}{\partial h_j}\,\Big|\,z_j,e_j\Big]=e_j\,\kappa(z_j),\qquad
          \kappa(z)=\mathbb E\Big[\frac{1-(1+\hat n_j^2)/M}{\sigma_B}\,\Big|\,z_j=z\Big].

Exact representation of the batch given :math:`z_j=z`: the other samples' mean is
:math:`\tau/\sqrt{M-1}`, :math:`\tau\sim N(0,1)`, their centred sum of squares is
:math:`R\sim\chi^2_{M-2}` independent of :math:`\tau` (Cochran), and with
:math:`t=z-\tau/\sqrt{M-1}`: :math:`h_j-\mu_B=\tfrac{M-1}{M}t`,
:math:`M\sigma_B^2=R+\tfrac{M-1}{M}t^2`.  Writing :math:`R=(M-2)(1+\sqrt u\,\varrho)` with
:math:`u=1/M`, :math:`\mathbb E\varrho=0`, :math:`\mathbb E\varrho^2=2/(1-2u)`, the integrand is a
series in :math:`\sqrt u` whose coefficients are polynomials in :math:`\varrho,\tau`.
"""

from __future__ import annotations

from functools import lru_cache

import sympy as sp

from ._moments import Z, expect_polynomial
from .symbols import SQRT_U as _S
from .symbols import TAU as _TAU
from .symbols import VARRHO as _RHO
from .symbols import U


def _gaussian_moment(j: int) -> sp.Expr:
    return sp.Integer(0) if j % 2 else sp.factorial2(j - 1) if j else sp.Integer(1)


def _moments_of_fluctuations(order: int) -> dict[sp.Symbol, dict[int, sp.Expr]]:
    """Moments of :math:`\\varrho` (standardized :math:`\\chi^2_{M-2}`, scaled by
    :math:`1/\\sqrt u`) and :math:`\\tau` up to ``order``, as series in :math:`s=\\sqrt u`."""
    k = 1 / _S**2 - 2  # M - 2
    chi_central = {2: 2 * k, 3: 8 * k, 4: 12 * k * (k + 4)}  # central moments of chi^2_k (input: standard)
    rho = {1: sp.Integer(0)}
    for j in range(2, order + 1):
        rho[j] = sp.simplify(chi_central[j] / (k**j * _S**j))
    return {_RHO: rho, _TAU: {j: _gaussian_moment(j) for j in range(1, order + 1)}}


@lru_cache(maxsize=None)
def hajek_weight(order: int = 1) -> sp.Expr:
    r""":math:`\kappa(z)` to :math:`O(u^{\text{order}})` in :math:`u=1/M` (``order`` 1 or 2); first order
    :math:`1+u(3/4-3z^2/2)`."""
    if order not in (1, 2):
        raise ValueError(f"order must be 1 or 2, got {order!r}")
    s, z = _S, Z
    t = z - _TAU * s / sp.sqrt(1 - s**2)
    sigma2 = (1 - 2 * s**2) * (1 + s * _RHO) + s**2 * (1 - s**2) * t**2
    n_hat2 = (1 - s**2) ** 2 * t**2 / sigma2
    integrand = (1 - s**2 - n_hat2 * s**2) / sp.sqrt(sigma2)
    series = sp.expand(sp.series(integrand, s, 0, 2 * order + 1).removeO())
    moments = _moments_of_fluctuations(2 * order)
    poly = sp.Poly(series, _RHO, _TAU)
    mean = sum(c * (moments[_RHO][i] if i else 1) * (moments[_TAU][j] if j else 1) for (i, j), c in poly.terms())
    mean = sp.expand(sp.series(sp.expand(mean), s, 0, 2 * order + 1).removeO())
    return sp.collect(sp.expand(mean.subs(s, sp.sqrt(U))), U)


@lru_cache(maxsize=None)
def relative_weight_spread() -> tuple[sp.Expr, sp.Expr, sp.Expr]:
    r"""``(kbar, eps(z), E eps^2)`` at leading order: :math:`\bar\kappa=\mathbb E_z\kappa`,
    :math:`\varepsilon(z)=\kappa/\bar\kappa-1=\tfrac{3u}{2}(1-z^2)`,
    :math:`\mathbb E\varepsilon^2=\tfrac92u^2` (Gaussian :math:`z`)."""
    gauss = _gaussian_moment
    kappa = hajek_weight(1)
    kbar = expect_polynomial(kappa, gauss)
    eps = sp.expand(sp.series(kappa / kbar - 1, U, 0, 2).removeO())
    spread = sp.expand(sp.series(expect_polynomial(sp.expand(eps**2), gauss), U, 0, 3).removeO())
    return sp.expand(sp.series(kbar, U, 0, 2).removeO()), sp.factor(eps), spread
