r"""Population normalization as weight normalization (seed §1.5).

For inputs :math:`x\sim\mathcal N(m,\Sigma)` the pre-activation :math:`h=w^\top x` has
:math:`\mu_P=w^\top m` and :math:`\sigma_P^2=w^\top\Sigma w`.  With :math:`\Sigma=aI`
(:math:`a` the variance on the diagonal), :math:`\sigma_P=\sqrt a\,\lVert w\rVert`, and PN
:math:`\bar h=\gamma(h-\mu_P)/\sigma_P+\beta` is WN :math:`v\,w^\top x/\lVert w\rVert+b` with
:math:`v,b` solved for below.  For a non-isotropic diagonal :math:`\Sigma`, :math:`\sigma_P` is a
weighted norm and PN is WN only in the metric :math:`\Sigma`.
"""

from __future__ import annotations

from functools import lru_cache

import sympy as sp

from .symbols import BETA, GAMMA, MU_P

A_VAR = sp.Symbol("a", positive=True)  #: the diagonal entry of the input covariance (a variance)
W_NORM = sp.Symbol(r"\lVert w\rVert", positive=True)
WX = sp.Symbol(r"w^{\top}x", real=True)
V, B = sp.symbols("v b", real=True)


@lru_cache(maxsize=None)
def pn_as_wn() -> dict[str, sp.Expr]:
    r"""Solve :math:`\gamma(w^\top x-\mu_P)/\sigma_P+\beta=v\,w^\top x/\lVert w\rVert+b` for all
    :math:`w^\top x`, with :math:`\sigma_P^2=w^\top(aI)w=a\lVert w\rVert^2`.

    Returns ``{"sigma_P": ..., "v": ..., "b": ...}``; :math:`v=\gamma/\sqrt a`,
    :math:`b=\beta-\gamma\mu_P/(\sqrt a\lVert w\rVert)`.
    """
    n = sp.Symbol("n", positive=True, integer=True)
    w = sp.IndexedBase("w")
    i = sp.Symbol("i", integer=True, positive=True)
    variance = sp.factor_terms(sp.Sum(A_VAR * w[i] ** 2, (i, 1, n)))  # w^T (a I) w = a ||w||^2
    sigma_p = sp.sqrt(variance.subs(sp.Sum(w[i] ** 2, (i, 1, n)), W_NORM**2))
    pn = GAMMA * (WX - MU_P) / sigma_p + BETA
    wn = V * WX / W_NORM + B
    eqs = sp.Poly(sp.expand(pn - wn), WX).all_coeffs()
    sol = sp.solve(eqs, [V, B], dict=True)[0]
    return {"sigma_P": sp.simplify(sigma_p), "v": sp.simplify(sol[V]), "b": sp.simplify(sol[B])}
