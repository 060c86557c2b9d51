"""The converged BN student (theory.bn_student): every SymPy step, the numeric API against the closed
forms, the alpha = 1 boundary, the M -> oo limit, Part 1's language, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import theory
from theory import bn_student as bs
from theory import notation
from theory import teacher_student as ts
from theory._bn_hajek import hajek_weight, relative_weight_spread
from theory.batch_statistics import mean_sigma_B_gaussian, mean_sigma_B_series
from theory.latex import FORMULA_SOURCES
from theory.symbols import GAMMA, SIGMA_P, M, U

SETTINGS = settings(derandomize=True, database=None, deadline=None, max_examples=30)
alphas = st.floats(-1.5, math.log10(8.0)).map(lambda t: 10**t).filter(lambda a: abs(a - 1) > 1e-3)


def test_batch_loss_has_no_gamma_squared_noise_term():
    assert sp.simplify(bs.batch_loss() - (GAMMA**2 - 2 * GAMMA * bs.C_B + bs.MEAN_Y2)) == 0
    rng = np.random.default_rng(0)
    h, y, g = rng.standard_normal(16), rng.standard_normal(16), 0.7
    n_hat = (h - h.mean()) / h.std()
    direct = np.mean((g * n_hat - y) ** 2)
    c_b = np.mean(n_hat * y)
    assert direct == pytest.approx(g**2 - 2 * g * c_b + np.mean(y**2), rel=1e-12)


def test_stationary_gamma_and_profile():
    g_star, profile = bs.stationary_gamma()
    assert g_star == bs.F_SYM
    assert sp.simplify(profile - (bs.MEAN_Y2 - bs.F_SYM**2)) == 0


def test_correlation_decomposition_matches_a_batch():
    rng = np.random.default_rng(1)
    h, e = rng.standard_normal(32), rng.standard_normal(32)
    y = 1.3 * h + 0.4 + e
    sig = h.std()
    c_b = np.mean((h - h.mean()) / sig * y)
    cov_he = np.mean((h - h.mean()) * (e - e.mean()))
    expr = bs.correlation_decomposition()
    value = float(expr.subs({sp.Symbol("a", real=True): 1.3, sp.Symbol("sigma_B", positive=True): sig,
                             sp.Symbol(r"\mathrm{cov}_B(h,e)", real=True): cov_he}))
    assert value == pytest.approx(c_b, rel=1e-12)


def test_chi_factor_is_the_chi_law_and_its_large_M_series():
    assert sp.simplify(bs.chi_factor() - mean_sigma_B_gaussian(0) / SIGMA_P) == 0
    gaussian = {sp.Symbol("rho", real=True): 0, sp.Symbol("s", real=True): 0, sp.Symbol("m_6", real=True): 15}
    moment_series = mean_sigma_B_series(2, 0).subs(gaussian).subs(M, 1 / U)
    assert sp.simplify(bs.chi_factor_series(2) - sp.expand(moment_series)) == 0
    assert bs.chi_factor_limits() == (1, sp.Rational(3, 4))
    for m in (2, 4, 32, 1000):
        exact = math.sqrt(2 / m) * math.exp(math.lgamma(m / 2) - math.lgamma((m - 1) / 2))
        assert theory.bn_chi_factor(m) == pytest.approx(exact, rel=1e-13)


def test_hajek_weight_and_its_mean_is_the_chi_factor():
    z = sp.Symbol("z", real=True)
    assert sp.expand(hajek_weight(1) - (1 + U * (sp.Rational(3, 4) - sp.Rational(3, 2) * z**2))) == 0
    kbar, eps, spread = relative_weight_spread()
    assert sp.expand(eps - sp.Rational(3, 2) * U * (1 - z**2)) == 0
    assert spread == sp.Rational(9, 2) * U**2
    # exchangeability makes E_z kappa = E[1/sigma_B](1 - 2/M) = c_M exactly; the series agree to O(u^2)
    second = sp.Poly(hajek_weight(2), z)
    mean2 = sum(c * (sp.factorial2(k - 1) if k % 2 == 0 and k else (1 if k == 0 else 0)) for (k,), c in second.terms())
    assert sp.expand(mean2 - bs.chi_factor_series(2)) == 0
    assert kbar == 1 - sp.Rational(3, 4) * U


def test_least_squares_maximises_the_training_correlation():
    assert bs.least_squares_maximises_correlation()


def test_training_statistics_against_least_squares_at_finite_n():
    """Means over 12 draws at N = 300 within 4 % (finite-N corrections are O(1/N), draws ~ 2 %)."""
    rng = np.random.default_rng(3)
    N, delta = 300, 0.5
    st_ = bs.training_statistics()
    for alpha in (0.5, 3.0):
        P = int(alpha * N)
        norms, overlaps = [], []
        for _ in range(12):
            X = rng.standard_normal((P, N))
            w_star = rng.standard_normal(N)
            w_star /= np.linalg.norm(w_star)
            y = X @ w_star + delta * rng.standard_normal(P)
            w = np.linalg.lstsq(X, y, rcond=None)[0]
            norms.append(np.dot(w, w))
            overlaps.append(np.dot(w, w_star) / np.linalg.norm(w))
        name = "below" if alpha < 1 else "above"
        sub = {bs.alpha: alpha, bs.delta2: delta**2}
        assert np.mean(norms) == pytest.approx(float(st_[f"norm2_{name}"].subs(sub)), rel=0.04)
        assert np.mean(overlaps) == pytest.approx(float(st_[f"overlap_{name}"].subs(sub)), rel=0.04)


def test_pn_is_the_large_M_limit_and_direct_limit_agrees():
    pn_below, pn_above = bs.pn_error_expr()
    below, above = bs.bn_error_expr()
    point = {bs.alpha: sp.Integer(2), bs.delta2: sp.Rational(1, 4)}
    direct = sp.limit(above.subs(point).subs(bs.C_CHI, bs.chi_factor_series(1)), U, 0)
    assert sp.simplify(direct - pn_above.subs(point)) == 0
    lead_below, lead_above = bs.bn_error_leading()
    assert sp.simplify(pn_below - lead_below.subs(bs.C_CHI, 1)) == 0
    assert sp.simplify(pn_above - lead_above.subs(bs.C_CHI, 1)) == 0
    assert theory.pn_student_error(2.0, 0.5) == pytest.approx(theory.bn_student_error(2.0, 10**8, 0.5), abs=1e-7)


def test_alpha_one_is_finite_and_continuous():
    lo, hi, clean = bs.alpha_one_limit()
    assert sp.simplify(lo - hi) == 0
    assert sp.simplify(lo - (1 + bs.C_CHI**2 * (1 + bs.delta2))) == 0
    assert sp.simplify(clean - (1 - bs.C_CHI) ** 2) == 0
    c = theory.bn_chi_factor(32)
    at_one = theory.bn_student_error(1.0, 32, 0.5)
    assert at_one == pytest.approx(1 + c**2 * 1.25, rel=1e-14)
    near = theory.bn_student_error(np.array([1 - 1e-9, 1 + 1e-9]), 32, 0.5)
    np.testing.assert_allclose(near, at_one, atol=1e-3)
    assert theory.bn_student_error(1.0, 32, 0.0) == pytest.approx((1 - c) ** 2)


def test_part1_language_reduces_to_the_batch_loss():
    p1 = bs.part1_difference()
    assert p1["zeta"] == sp.Rational(3, 2) / M
    assert p1["E_n_b1"] == -sp.Rational(3, 4)
    assert sp.simplify(p1["total"] + 2 * p1["E_m_b1"] * GAMMA / M) == 0  # the gamma^2 terms cancel
    assert p1["exact_cancels"]
    assert bs.part1_matches_batch_loss()
    # the seed's gamma decay alone: right value at gamma = kappa_y, twice the gradient
    zeta_only = p1["zeta"] * GAMMA**2
    kappa = p1["kappa_y"]
    assert sp.simplify((zeta_only - p1["linear_labels"]).subs(GAMMA, kappa)) == 0
    grad_ratio = sp.simplify(sp.diff(zeta_only, GAMMA) / sp.diff(p1["linear_labels"], GAMMA)).subs(GAMMA, kappa)
    assert grad_ratio == 2


def test_numeric_api_against_the_closed_forms():
    c = theory.bn_chi_factor(32)
    d2 = 0.25
    for a in (2.0, 4.0):
        g = c * math.sqrt(1 + d2 / a)
        ov = math.sqrt((a - 1) / (a - 1 + d2))
        lead = g**2 - 2 * g * ov + 1
        assert theory.bn_student_error(a, 32, 0.5, direction_term=False) == pytest.approx(lead, rel=1e-13)
        corr = bs.direction_correction()
        extra = float(corr["error"].subs({bs.alpha: a, bs.delta2: d2, U: sp.Rational(1, 32)}))
        assert theory.bn_student_error(a, 32, 0.5) == pytest.approx(lead + extra, rel=1e-13)
        assert 0 < extra < 1e-3
    for a in (0.25, 0.5):
        g = c * math.sqrt(1 + d2)
        ov = math.sqrt(a * (1 - a) / (1 - a + d2))
        assert theory.bn_student_gamma(a, 32, 0.5) == pytest.approx(g, rel=1e-13)
        assert theory.bn_student_overlap(a, 32, 0.5, init_fraction=0.3) == pytest.approx(ov * math.sqrt(0.7))
        assert theory.bn_student_error(a, 32, 0.5) == pytest.approx(g**2 - 2 * g * ov + 1, rel=1e-13)
    # the lead's rough numbers: BN (leading) 0.2199, PN 0.2276 at alpha = 2
    assert theory.bn_student_error(2.0, 32, 0.5, direction_term=False) == pytest.approx(0.2199, abs=1e-4)
    assert theory.pn_student_error(2.0, 0.5) == pytest.approx(0.2276, abs=1e-4)


@SETTINGS
@given(alphas, st.sampled_from([4, 8, 32, 128]))
def test_bn_between_pn_shrinkage_and_broadcasting(alpha, m):
    eps = theory.bn_student_error(alpha, m, 0.5)
    assert np.isfinite(eps) and eps > 0
    grid = theory.bn_student_error(np.array([alpha, alpha]), np.array([[m], [2 * m]]), 0.5)
    assert grid.shape == (2, 2)
    assert grid[0, 0] == pytest.approx(eps, rel=1e-12)
    gamma = theory.bn_student_gamma(alpha, m, 0.5, direction_term=False)
    assert gamma == pytest.approx(theory.bn_chi_factor(m) * math.sqrt(1 + 0.25 / max(alpha, 1.0)), rel=1e-12)


def test_effective_ridge_zeta_reproduces_the_bn_error():
    alphas_ = np.array([1.5, 2.0, 4.0])
    z = theory.effective_ridge_zeta(alphas_, 32, 0.5)
    np.testing.assert_allclose(ts.wn_error(alphas_, z, 0.5), theory.bn_student_error(alphas_, 32, 0.5), rtol=1e-9)
    assert np.all(np.diff(z) > 0)  # no constant BN-equivalent zeta: it grows with alpha
    assert math.isnan(theory.effective_ridge_zeta(0.5, 32, 0.5))  # BN above least squares: no weak root
    strong = theory.effective_ridge_zeta(0.5, 32, 0.5, branch="strong")
    assert ts.wn_error(0.5, strong, 0.5) == pytest.approx(theory.bn_student_error(0.5, 32, 0.5), rel=1e-9)
    assert math.isnan(theory.effective_ridge_zeta(0.25, 32, 0.5, branch="strong"))  # BN error > 1


@pytest.mark.parametrize("call, name", [
    (lambda: theory.bn_student_error(0.0, 32, 0.5), "alpha"),
    (lambda: theory.bn_student_error(-1.0, 32, 0.5), "alpha"),
    (lambda: theory.bn_student_error(float("nan"), 32, 0.5), "alpha"),
    (lambda: theory.bn_student_error(2.0, 1, 0.5), "M"),
    (lambda: theory.bn_student_error(2.0, 2.5, 0.5), "M"),
    (lambda: theory.bn_student_error(2.0, True, 0.5), "M"),
    (lambda: theory.bn_student_error(2.0, float("inf"), 0.5), "M"),
    (lambda: theory.bn_student_error(2.0, 32, -0.1), "delta"),
    (lambda: theory.bn_student_error(2.0, 32, float("inf")), "delta"),
    (lambda: theory.bn_student_error(0.5, 32, 0.5, init_fraction=1.0), "init_fraction"),
    (lambda: theory.bn_student_overlap(2.0, 32, 0.5, init_fraction=0.1),
     r"^init_fraction applies to alpha < 1 only: for alpha > 1 nothing of w_0 is conserved$"),
    (lambda: theory.bn_student_error(2.0, 32, 0.5, init_fraction=0.1),
     r"^init_fraction applies to alpha < 1 only: for alpha > 1 nothing of w_0 is conserved$"),
    (lambda: theory.pn_student_error(0.0, 0.5), "alpha"),
    (lambda: theory.bn_chi_factor(1), "M"),
    (lambda: theory.effective_ridge_zeta(2.0, 32, 0.5, branch="both"), "branch"),
    (lambda: bs.chi_factor_series(4), "order"),
])
def test_bad_input_names_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_formulas_render():
    items = theory.bn_student_formulas()
    assert len(items) >= 15
    labels = [f.label for f in items]
    assert len(set(labels)) == len(labels) and all(label.startswith(("bn-", "pn-")) for label in labels)
    assert "theory.bn_student" in FORMULA_SOURCES
    by_label = {f.label: f for f in items}
    for label in ("bn-student-error-above", "pn-student-error-above", "bn-student-direction-term"):
        assert by_label[label].region == {"alpha": (1.05, 5.0)}
    for label in ("bn-student-error-below", "pn-student-error-below", "bn-student-error-below-init"):
        assert by_label[label].region["alpha"] == (0.05, 0.95)
    for f in items:
        assert f.latex() and f.assumptions and not notation.missing(f.printed)
