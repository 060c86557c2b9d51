"""The SymPy symbols every derivation of :mod:`theory` shares."""

from __future__ import annotations

import sympy as sp

from ._moments import RHO, SKEW

M = sp.Symbol("M", positive=True)  #: batch size
U = sp.Symbol("u", positive=True)  #: 1/M, the expansion parameter
N_BAR = sp.Symbol(r"\bar{n}", real=True)  #: standardized pre-activation (h - mu_P)/sigma_P
X = sp.Symbol("x", real=True)  #: the argument of an activation g(x)
GAMMA = sp.Symbol("gamma", positive=True)
BETA = sp.Symbol("beta", real=True)
MU_P = sp.Symbol(r"\mu_{\mathcal{P}}", real=True)
SIGMA_P = sp.Symbol(r"\sigma_{\mathcal{P}}", positive=True)
T = sp.Symbol("t", positive=True)  #: softplus temperature

__all__ = ["BETA", "GAMMA", "M", "MU_P", "N_BAR", "RHO", "SIGMA_P", "SKEW", "T", "U", "X"]
