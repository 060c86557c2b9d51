"""Batch statistics: exact finite-M results, delta-method leading orders, two independent routes."""

import math

import pytest
import sympy as sp
from scipy import integrate, stats

from theory import batch_statistics as bs
from theory._moments import RHO, SKEW, moment_symbol
from theory.symbols import SIGMA_P
from theory.symbols import M as M_SYM


def test_var_mu_B_exact():
    assert sp.simplify(bs.var_mu_B() - SIGMA_P**2 / M_SYM) == 0


def test_var_sample_variance_textbook_form():
    # Var s^2 = sigma^4 (kappa/M - (M-3)/(M(M-1))), kappa = rho + 3 (ddof 1)
    kappa = RHO + 3
    expected = SIGMA_P**4 * (kappa / M_SYM - (M_SYM - 3) / (M_SYM * (M_SYM - 1)))
    assert sp.simplify(bs.var_sigma2_B(1) - expected) == 0
    assert sp.simplify(bs.var_sigma2_B(0) - ((M_SYM - 1) / M_SYM) ** 2 * expected) == 0


def test_leading_orders():
    assert sp.simplify(bs.var_sigma_B_leading(0) - SIGMA_P**2 * (RHO + 2) / (4 * M_SYM)) == 0
    assert sp.simplify(bs.var_sigma_B_leading(1) - bs.var_sigma_B_leading(0)) == 0
    assert sp.simplify(bs.cov_mu_sigma_B_leading(0) - SKEW * SIGMA_P**2 / (2 * M_SYM)) == 0


@pytest.mark.parametrize("M", [2, 5, 32])
@pytest.mark.parametrize("ddof", [0, 1])
def test_gaussian_mean_sigma_against_numerical_integral(M, ddof):
    exact = float(bs.mean_sigma_B_gaussian(ddof).subs({SIGMA_P: 1, M_SYM: M}))
    k = M - 1  # (M - d) sigma_B^2 ~ chi^2_{M-1}
    num, _ = integrate.quad(lambda c: math.sqrt(c / (M - ddof)) * stats.chi2.pdf(c, k), 0, math.inf, epsrel=1e-12)
    assert exact == pytest.approx(num, rel=1e-10)


def remainder_scaling(exact: sp.Expr, series: sp.Expr, order: int) -> list[float]:
    """M^(order+1) (exact - series) at M = 1e3, 1e4, 1e5, at 60 digits: it must converge when
    the series is right through M^-order (SymPy has no asymptotic series of Gamma ratios)."""
    return [float(sp.N(((exact - series) * M_SYM ** (order + 1)).subs(M_SYM, m), 60)) for m in (10**3, 10**4, 10**5)]


def test_general_series_reduces_to_gaussian_exact():
    gauss = {moment_symbol(6): 15, RHO: 0, SKEW: 0}
    series = bs.mean_sigma_B_series(2, 0).subs(gauss)
    exact = bs.mean_sigma_B_gaussian(0).subs(SIGMA_P, 1)
    a, b, c = remainder_scaling(exact, series, 2)
    assert abs(c - b) < 0.02 * abs(b) and abs(b - a) < 0.2 * abs(a)


def test_bad_ddof():
    with pytest.raises(ValueError, match="ddof"):
        bs.var_sigma2_B(2)


def test_cov_series_against_exact_skewed_two_point_law():
    """Cov(mu_B, sigma_B) for a skewed two-point law, summed exactly over the binomial count: the
    remainder after the two derived orders must fall like M^-3."""
    import numpy as np

    p = 0.2
    x1, x2 = math.sqrt((1 - p) / p), -math.sqrt(p / (1 - p))
    moments = {j: p * x1**j + (1 - p) * x2**j for j in range(9)}
    subs = {SKEW: moments[3], RHO: moments[4] - 3, moment_symbol(5): moments[5]}
    series = bs.cov_mu_sigma_B_series(2).subs(subs)
    scaled = []
    for m in (200, 400, 800):
        k = np.arange(m + 1)
        pmf = stats.binom.pmf(k, m, p)
        s1, s2 = k * x1 + (m - k) * x2, k * x1**2 + (m - k) * x2**2
        mu = s1 / m
        exact = math.fsum(pmf * mu * np.sqrt(np.maximum(s2 / m - mu**2, 0.0)))
        scaled.append((exact - float(series.subs(M_SYM, m))) * m**3)
    assert abs(scaled[2] - scaled[1]) < 0.05 * abs(scaled[1]) + 0.5
    assert abs(scaled[1] - scaled[0]) < 0.1 * abs(scaled[0]) + 1.0


@pytest.mark.parametrize("expr", [
    (M_SYM + 1) / (M_SYM - 1),                               # degree 0: a constant term
    SKEW * M_SYM**2 / ((M_SYM - 1) ** 2 * (M_SYM + 2)),      # symbolic coefficients, shift 1
    (RHO + 3) / (M_SYM**2 * (M_SYM - 1)) + 1 / M_SYM,        # a sum, shifts 1 and 3
    M_SYM**2 / (M_SYM + 1),                                  # a pole at M = oo: terms M and 1 too
    1 / (M_SYM - 1) ** 5,                                    # shift above the order: 0 through M^-3
    sp.Integer(0),
])
def test_series_in_inverse_M_equals_sympy_series(expr):
    u = sp.Symbol("u", positive=True)
    reference = sp.series(expr.subs(M_SYM, 1 / u), u, 0, 4).removeO().subs(u, 1 / M_SYM)
    assert sp.expand(bs._series_in_inverse_M(expr, 3) - reference) == 0
