"""Teacher–student theory (seed §2.3): derivations, limits, conventions, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, optimize

from theory import _marchenko_pastur as mp
from theory import teacher_student as ts

SETTINGS = settings(derandomize=True, database=None, deadline=None, max_examples=40)
log_alpha = st.floats(-2, np.log10(8.0)).map(lambda t: 10**t).filter(lambda a: abs(a - 1) > 1e-3)
log_zeta = st.floats(-4, 1).map(lambda t: 10**t)


def test_stieltjes_branch_is_the_physical_one():
    g = mp.stieltjes()
    assert sp.limit(g * ts.zeta, ts.zeta, sp.oo) == 1
    assert sp.simplify(mp.quadratic().subs(mp.G, g)) == 0


def test_discriminant_factors_over_the_marchenko_pastur_edges():
    d = mp.discriminant()
    closed = (1 - ts.alpha - ts.zeta + sp.sqrt(d)) / (2 * ts.zeta)
    for alpha, zeta in ((0.3, 0.2), (2.0, 0.01)):
        point = {ts.alpha: alpha, ts.zeta: zeta}
        assert float(closed.subs(point)) == pytest.approx(float(mp.stieltjes().subs(point)), rel=1e-12)


@SETTINGS
@given(log_alpha, log_zeta)
def test_numeric_stieltjes_solves_self_consistent_equation(alpha, zeta):
    g = ts.mp_stieltjes(alpha, zeta)
    assert g > 0
    assert g == pytest.approx(1 / (zeta + alpha / (1 + g)), rel=1e-10)


def test_stieltjes_matches_marchenko_pastur_density():
    """G against quadrature of the MP density of X^T X/N (point mass 1 - alpha at 0 when alpha < 1)."""
    for alpha in (0.3, 2.5):
        a, b = (1 - math.sqrt(alpha)) ** 2, (1 + math.sqrt(alpha)) ** 2
        density = lambda x: math.sqrt((b - x) * (x - a)) / (2 * math.pi * x)  # noqa: E731
        for zeta in (0.01, 0.3):
            val = integrate.quad(lambda x: density(x) / (x + zeta), a, b, epsabs=1e-13)[0]
            val += max(0.0, 1 - alpha) / zeta
            assert ts.mp_stieltjes(alpha, zeta) == pytest.approx(val, rel=1e-8)


def test_least_squares_is_the_zeta_to_zero_limit_and_the_finite_n_limit():
    below, above = ts.sgd_error_branches()
    lim_below, lim_above = ts.finite_n_limits()
    assert sp.simplify(below - lim_below) == 0
    assert sp.simplify(above - lim_above) == 0
    # alpha > 1 branch is positive: delta^2/(alpha - 1)
    assert sp.simplify(above - ts.delta2 / (ts.alpha - 1)) == 0


@SETTINGS
@given(log_alpha)
def test_wn_error_tends_to_least_squares(alpha):
    # the ridge's relative bias is of order zeta / lambda_min, where lambda_min = (1 - sqrt(alpha))^2 is the
    # edge of the Marchenko-Pastur bulk: near alpha = 1 the limit is reached only for zeta << lambda_min
    # (1e-6: a bias of 5e-7; much smaller zeta loses digits to the 1/zeta null-space term when alpha < 1)
    zeta = 1e-6 * (1 - math.sqrt(alpha)) ** 2
    assert ts.wn_error(alpha, zeta, 0.5) == pytest.approx(ts.sgd_error(alpha, 0.5), rel=1e-5)
    assert ts.wn_error(alpha, 0.0, 0.5) == ts.sgd_error(alpha, 0.5)


def test_alpha_to_one_boundary():
    assert ts.sgd_error(1.0, 0.5) == math.inf
    near = ts.sgd_error(np.array([1 - 1e-4, 1 + 1e-4]), 0.5)
    assert np.all(near > 1e3)
    values = ts.wn_error(1.0, np.array([1e-1, 1e-2, 1e-3, 1e-4]), 0.5)
    assert np.all(np.isfinite(values)) and np.all(np.diff(values) > 0)  # grows as zeta -> 0, finite


def test_alpha_small_and_large_limits():
    eps = ts.wn_error_expr()
    small = sp.limit(eps, ts.alpha, 0)
    small = small.replace(lambda e: e.is_Pow and e.exp.is_Rational and e.exp.q == 2,
                          lambda e: sp.factor(e.base) ** e.exp)
    assert sp.simplify(small) == 1
    assert sp.limit(eps, ts.alpha, sp.oo) == 0
    assert ts.wn_error(1e-6, 0.1, 0.5) == pytest.approx(1.0, abs=1e-5)
    big = 1e4
    assert ts.wn_error(big, 0.1, 0.5) * big == pytest.approx(0.25, rel=1e-2)  # ~ delta^2/alpha


@SETTINGS
@given(log_alpha, st.floats(0.1, 1.5))
def test_optimal_zeta_minimises_numerically(alpha, delta):
    res = optimize.minimize_scalar(lambda lz: ts.wn_error(alpha, math.exp(lz), delta), bounds=(-8, 3),
                                   method="bounded", options={"xatol": 1e-9})
    assert math.exp(res.x) == pytest.approx(ts.optimal_zeta(delta), rel=1e-3)
    assert ts.optimal_zeta(delta) == pytest.approx(delta**2)


def test_zeta_map_matches_the_normal_equations():
    rng = np.random.default_rng(np.random.SeedSequence(7))
    N, P, zeta_loss = 20, 50, 0.3
    X, y = rng.standard_normal((P, N)), rng.standard_normal(P)
    loss = np.linalg.solve(X.T @ X / P + zeta_loss * np.eye(N), X.T @ y / P)
    ridge = np.linalg.solve(X.T @ X / N + ts.zeta_map(zeta_loss, P / N) * np.eye(N), X.T @ y / N)
    np.testing.assert_allclose(loss, ridge, rtol=1e-12)


def test_bn_equivalent_zeta_from_part1_formula():
    for M in (2, 32, 4096):
        assert ts.bn_equivalent_zeta(M) == pytest.approx(3 / (2 * M))
        assert ts.bn_equivalent_zeta(M, mean_centering=False) == pytest.approx(1 / (2 * M))


def test_arcsine_integral_identity():
    a, b = 0.2, 2.3
    for order in (1, 2):
        expr = mp.arcsine_integral(order).subs({mp.lo: a, mp.hi: b})
        for c in (0.05, 1.0):
            quad = integrate.quad(lambda x: 1 / (x + c) ** order, a, b, weight="alg", wvar=(-0.5, -0.5))[0]
            assert float(expr.subs(mp.c, c)) == pytest.approx(quad, rel=1e-9)
    with pytest.raises(ValueError, match="order"):
        mp.arcsine_integral(3)


def test_ridge_correction_at_zero_zeta_matches_inverse_wishart_expansion():
    """The 1/N coefficient from Bai-Silverstein equals the 1/N term of the exact inverse-Wishart mean."""
    below, above = ts.sgd_error_finite_expr()
    eps_n = sp.Symbol("e", positive=True)
    for expr, alpha in ((below, sp.Rational(1, 2)), (above, sp.Integer(2))):
        series = sp.series(expr.subs({ts.P_sym: alpha / eps_n, ts.N_sym: 1 / eps_n, ts.delta2: sp.Rational(1, 4)}),
                           eps_n, 0, 2).removeO()
        coeff = float(series.coeff(eps_n, 1))
        assert ts.ridge_correction(float(alpha), 1e-8, 0.5) == pytest.approx(coeff, rel=1e-5)


def test_bn_interpolation_error_limits():
    """alpha -> 0: nothing learned, eps = gamma*^2 + 1; zeta_L -> oo: gamma* -> 0, eps -> 1."""
    expr = ts.bn_interpolation_error_expr()
    assert sp.simplify(sp.limit(expr, ts.alpha, 0) - (1 + ts.delta2) / (1 + ts.zeta) ** 2 - 1) == 0
    assert ts.bn_interpolation_error(0.5, 1e8, 0.5) == pytest.approx(1.0, abs=1e-7)
    assert ts.bn_interpolation_error(0.5, 0.0, 0.5) > ts.sgd_error(0.5, 0.5)


def test_sgd_error_finite_values_and_undefined_mean():
    assert ts.sgd_error_finite(100, 50, 0.5) == pytest.approx(0.5 + 0.25 * 50 / 49)
    assert ts.sgd_error_finite(100, 200, 0.5) == pytest.approx(0.25 * 100 / 99)
    assert ts.sgd_error_finite(100, 101, 0.5) == math.inf


def test_vectorised_over_alpha_and_zeta():
    alphas = np.array([0.2, 0.7, 1.0, 3.0])
    zetas = np.array([[0.01], [0.25]])
    out = ts.wn_error(alphas, zetas, 0.5)
    assert out.shape == (2, 4) and np.all(np.isfinite(out))
    assert out[0, 1] == pytest.approx(ts.wn_error(0.7, 0.01, 0.5))


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: ts.sgd_error(0.0, 0.5), "alpha"),
        (lambda: ts.sgd_error(-1.0, 0.5), "alpha"),
        (lambda: ts.sgd_error(0.5, -0.1), "delta"),
        (lambda: ts.wn_error(0.5, -0.1, 0.5), "zeta"),
        (lambda: ts.wn_error(np.array([0.5, 0.0]), 0.1, 0.5), "alpha"),
        (lambda: ts.wn_error(0.5, float("nan"), 0.5), "zeta"),
        (lambda: ts.wn_error_finite(0.5, 0.1, 0.5, 1), "N"),
        (lambda: ts.sgd_error_finite(1, 1, 0.5), "N"),
        (lambda: ts.optimal_zeta(-1.0), "delta"),
        (lambda: ts.zeta_map(-0.1, 1.0), "zeta_loss"),
        (lambda: ts.bn_equivalent_zeta(1), "M"),
        (lambda: ts.mp_stieltjes(1.0, 0.0), "zeta"),
        (lambda: ts.bn_interpolation_error(1.5, 0.1, 0.5), "alpha"),
        (lambda: ts.bn_interpolation_error(0.5, -0.1, 0.5), "zeta_loss"),
    ],
)
def test_bad_input_names_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_formulas_export():
    formulas = ts.formulas()
    assert len(formulas) >= 10
    for f in formulas:
        assert isinstance(f.rhs, sp.Basic) and f.section.startswith("2.")
        assert f.latex().startswith(f.lhs)
