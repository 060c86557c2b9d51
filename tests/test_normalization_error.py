"""The expansion of E[(h_hat - h_bar)^2]: first order, and agreement of two independent routes."""

import pytest
import sympy as sp

from theory import batch_statistics as bs
from theory._moments import RHO, SKEW, moment_symbol
from theory.normalization_error import (
    conditional_error_coefficients,
    exact_error_from_mean_sigma,
    overall_error,
)
from theory.symbols import N_BAR, SIGMA_P
from theory.symbols import M as M_SYM

from .test_batch_statistics import remainder_scaling

U = sp.Symbol("u", positive=True)


def test_first_order_conditional():
    c1 = conditional_error_coefficients(1)
    assert sp.expand(c1 - (1 + SKEW * N_BAR + (RHO + 2) / 4 * N_BAR**2)) == 0
    assert sp.expand(conditional_error_coefficients(1, source="mu") - 1) == 0
    assert sp.expand(conditional_error_coefficients(1, centered=False) - (RHO + 2) / 4 * N_BAR**2) == 0


@pytest.mark.parametrize("ddof", [0, 1])
@pytest.mark.parametrize("order", [2, 3])
def test_expansion_equals_exchangeability_identity(ddof, order):
    """Averaging the conditional expansion over n must equal the exact identity
    E = (M-d)/M + 1 - 2 (M-d)/M E[sigma_hat] with E[sigma_hat] from its own series: two
    independent derivations (Taylor in the batch fluctuations; moments of the variance estimate)."""
    expr, e = exact_error_from_mean_sigma(ddof)
    via_sigma = expr.subs(e, bs.mean_sigma_B_series(order, ddof))
    a = sp.series(sp.expand(via_sigma.subs(M_SYM, 1 / U)), U, 0, order + 1).removeO()
    b = sp.expand(overall_error(order, ddof=ddof).subs(M_SYM, 1 / U))
    assert sp.simplify(sp.expand(a) - b) == 0


def test_third_order_matches_gaussian_exact():
    expr, e = exact_error_from_mean_sigma(0)
    exact = expr.subs(e, bs.mean_sigma_B_gaussian(0).subs(SIGMA_P, 1))
    gauss = {RHO: 0, SKEW: 0, moment_symbol(5): 0, moment_symbol(6): 15, moment_symbol(7): 0, moment_symbol(8): 105}
    a, b, c = remainder_scaling(exact, overall_error(3).subs(gauss), 3)
    assert abs(c - b) < 0.02 * abs(b) and abs(b - a) < 0.2 * abs(a)


@pytest.mark.parametrize("M", [8, 16, 32, 128])
def test_truncation_bound_policy_holds_on_the_exact_gaussian_result(M):
    """The checks bound the bias of a truncated series by twice its next derived term; on the
    exact Gaussian error that bound must hold for M >= 8, at both truncation orders."""
    expr, e = exact_error_from_mean_sigma(0)
    exact = float(expr.subs(e, bs.mean_sigma_B_gaussian(0).subs(SIGMA_P, 1)).subs(M_SYM, M))
    gauss = {RHO: 0, SKEW: 0, moment_symbol(5): 0, moment_symbol(6): 15, moment_symbol(7): 0, moment_symbol(8): 105}
    t = [float(overall_error(k).subs(gauss).subs(M_SYM, M)) for k in (1, 2, 3)]
    assert abs(exact - t[0]) <= 2 * abs(t[1] - t[0])
    assert abs(exact - t[1]) <= 2 * abs(t[2] - t[1])


def test_bad_arguments():
    with pytest.raises(ValueError, match="order"):
        conditional_error_coefficients(4)
    with pytest.raises(ValueError, match="ddof"):
        overall_error(1, ddof=3)
    with pytest.raises(ValueError, match="source"):
        conditional_error_coefficients(1, source="nope")


def _two_point_exact(n: float, M: int, centered: bool, power: int) -> float:
    """E[(n_hat - n)^power | n] exactly, for the other M-1 values from a skewed two-point law."""
    import math

    import numpy as np
    from scipy import stats

    p = 0.2
    x1, x2 = math.sqrt((1 - p) / p), -math.sqrt(p / (1 - p))  # mean 0, variance 1, skewness 1.5
    K = M - 1
    k = np.arange(K + 1)
    pmf = stats.binom.pmf(k, K, p)
    s1, s2 = k * x1 + (K - k) * x2, k * x1**2 + (K - k) * x2**2
    mu = (n + s1) / M if centered else 0 * s1
    var = (n * n + s2) / M - mu**2
    return math.fsum(pmf * ((n - mu) / np.sqrt(var) - n) ** power)


@pytest.mark.parametrize("centered", [True, False])
@pytest.mark.parametrize("power", [1, 2])
def test_expansion_against_exact_skewed_two_point_law(centered, power):
    """A non-Gaussian, skewed law summed exactly over the binomial count: the remainder after the
    three derived orders must fall like M^-4 (its M^4 multiple settles)."""
    import math

    from theory.normalization_error import conditional_mean_coefficients

    p = 0.2
    x1, x2 = math.sqrt((1 - p) / p), -math.sqrt(p / (1 - p))
    moments = {j: p * x1**j + (1 - p) * x2**j for j in range(9)}
    subs = {SKEW: moments[3], RHO: moments[4] - 3, **{moment_symbol(j): moments[j] for j in range(5, 9)}}
    coefficient = conditional_error_coefficients if power == 2 else conditional_mean_coefficients
    n = 1.0
    cs = [float(coefficient(k, centered=centered).subs(subs).subs(N_BAR, n)) for k in (1, 2, 3)]
    scaled = [(_two_point_exact(n, M, centered, power) - sum(c / M ** (k + 1) for k, c in enumerate(cs))) * M**4
              for M in (400, 800, 1600)]
    assert abs(scaled[2] - scaled[1]) < 0.05 * abs(scaled[1]) + 1.0
    assert abs(scaled[1] - scaled[0]) < 0.1 * abs(scaled[0]) + 2.0
