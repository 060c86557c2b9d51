"""PN as WN (seed §1.5): the derived v, b reproduce PN exactly for inputs N(m, aI)."""

import numpy as np
import sympy as sp

from theory import pn_as_wn
from theory.pn_wn import A_VAR, W_NORM
from theory.symbols import BETA, GAMMA, MU_P


def test_derived_map():
    sol = pn_as_wn()
    assert sp.simplify(sol["v"] - GAMMA / sp.sqrt(A_VAR)) == 0
    assert sp.simplify(sol["b"] - (BETA - GAMMA * MU_P / (sp.sqrt(A_VAR) * W_NORM))) == 0


def test_numeric_identity_with_population_statistics():
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(3)))
    a, gamma, beta, dim = 2.5, 0.7, -0.3, 10
    w, m = rng.standard_normal(dim), rng.standard_normal(dim)
    x = m + np.sqrt(a) * rng.standard_normal((1000, dim))
    h = x @ w
    mu_p, sigma_p = w @ m, np.sqrt(a) * np.linalg.norm(w)
    pn = gamma * (h - mu_p) / sigma_p + beta
    sol = pn_as_wn()
    subs = {GAMMA: gamma, BETA: beta, A_VAR: a, MU_P: mu_p, W_NORM: np.linalg.norm(w)}
    wn = float(sol["v"].subs(subs)) * h / np.linalg.norm(w) + float(sol["b"].subs(subs))
    np.testing.assert_allclose(wn, pn, rtol=1e-12, atol=1e-12)
