"""theory.network_regularizer: BN on one batch is PN with shifted affine parameters (exactly, any eps);
the mean shift and the shifts' second moments to O(1/M) agree with a Monte Carlo of batches; the GLM
neuron recovers the seed's zeta; the effective batch size, the matrix gamma decay and the first-order
term's numbers are the SymPy derivations'; bad shapes are BadInput; the LaTeX export carries them."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from theory import network_regularizer as nr
from theory import symbols as S
from theory.errors import BadInput

SEED = np.random.SeedSequence(20240611)


def _rng(*key: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(SEED.entropy, spawn_key=key))


def _spd(rng: np.random.Generator, size: int) -> np.ndarray:
    a = rng.standard_normal((size, size))
    return a @ a.T / size + 0.2 * np.eye(size)


# -- the exact identity ---------------------------------------------------------------------------------

def test_shift_identity_residual_is_zero():
    """BN output minus shifted-PN output simplifies to 0 symbolically."""
    assert nr.shift_identity()["residual"] == 0


@pytest.mark.parametrize("case", range(4))
def test_shift_identity_reproduces_numeric_bn(case):
    """For 50 random h, eps = 1e-3 and any (mu_P, sigma_P), the derived shifts at a = mean_B(n),
    delta_V = mean_B(n^2) - r make (gamma + dgamma) n + beta + dbeta the BN output
    gamma (h - mean_B) / sqrt(var_B + eps) + beta, and 1 + b = sqrt((var_B + eps) / (sigma_P^2 + eps))."""
    rng = _rng(1, case)
    eps = 1e-3
    h = rng.normal(rng.normal(0, 3), rng.uniform(0.05, 4), size=50)
    if case == 3:
        h = rng.exponential(0.02, size=50)  # a variance below eps: r far from 1
    gamma, beta = rng.uniform(0.2, 3), rng.normal()
    mu_p, sigma_p = h.mean() + rng.normal(0, h.std()), h.std() * rng.uniform(0.3, 3)
    bn = gamma * (h - h.mean()) / np.sqrt(h.var() + eps) + beta
    n = (h - mu_p) / np.sqrt(sigma_p**2 + eps)
    r = sigma_p**2 / (sigma_p**2 + eps)
    point = {S.A_STD: n.mean(), S.DV_STD: np.mean(n**2) - r, S.GAMMA: gamma, S.R_VAR: r}
    exact = nr.shift_identity()
    d_beta, d_gamma, one_plus_b = (float(exact[k].subs(point)) for k in ("delta_beta", "delta_gamma", "one_plus_b"))
    np.testing.assert_allclose((gamma + d_gamma) * n + beta + d_beta, bn, rtol=1e-12, atol=1e-12 * np.abs(bn).max())
    assert one_plus_b == pytest.approx(np.sqrt((h.var() + eps) / (sigma_p**2 + eps)), rel=1e-12)
    wrong = (gamma + d_gamma) * n + beta  # the beta shift matters
    assert np.abs(wrong - bn).max() > 1e-6 or abs(d_beta) < 1e-9


# -- the moments of the shifts against a Monte Carlo ----------------------------------------------------

BATCH = 64  #: units per batch of the Monte Carlo
BATCHES = 100_000  #: batches of the Monte Carlo (4 chunks)
GAMMAS = np.array([1.3, 0.7])
#: measured M^2 |MC - formula| at M = 16 and 64 for this population: <= 1.4 gamma for the mean shifts and
#: <= 5.5 gamma_c gamma_c' for the second moments; the allowances leave room over that
MEAN_ALLOWANCE, MOMENT_ALLOWANCE = 2.0, 8.0


@pytest.fixture(scope="module")
def monte_carlo():
    """A population of 3000 units of a 1-d layer with 2 correlated, skewed channels (eps = 0.05), and
    100000 batches of 64 units drawn i.i.d. with replacement; each batch's exact shifts.  Returns the
    population's (u, v) covariance (divisor N) and the means and standard errors of: dbeta + gamma a and
    dgamma + gamma dV / 2 (the linear parts have mean exactly 0 here: control variates), and the
    products of the shifts (beta_1, beta_2, gamma_1, gamma_2) in pairs."""
    rng = _rng(2)
    units = 3000
    z, w = rng.standard_normal((units, 2)), rng.exponential(size=units) - 1
    h = np.stack([2.0 + z[:, 0] + 0.6 * w, -1.0 + 0.5 * z[:, 0] + 0.7 * z[:, 1] + 0.4 * w], axis=1) * [1.5, 0.8]
    eps = 0.05
    mu, var = h.mean(axis=0), h.var(axis=0)
    n, r = (h - mu) / np.sqrt(var + eps), var / (var + eps)
    cov = np.cov(np.concatenate([n, n**2], axis=1), rowvar=False, bias=True)
    cv_beta, cv_gamma, products = [], [], []
    for _ in range(4):
        idx = rng.integers(0, units, size=(BATCHES // 4, BATCH))
        a, dv = n[idx].mean(axis=1), (n[idx] ** 2).mean(axis=1) - r
        one_plus_b = np.sqrt(1 + dv - a * a)
        d_beta, d_gamma = -GAMMAS * a / one_plus_b, -GAMMAS * (one_plus_b - 1) / one_plus_b
        cv_beta.append(d_beta + GAMMAS * a)
        cv_gamma.append(d_gamma + GAMMAS * dv / 2)
        theta = np.concatenate([d_beta, d_gamma], axis=1)
        products.append((theta[:, :, None] * theta[:, None, :]).reshape(theta.shape[0], -1))

    def mean_se(parts):
        x = np.concatenate(parts)
        return x.mean(axis=0), x.std(axis=0, ddof=1) / np.sqrt(x.shape[0])

    (mb, sb), (mg, sg), (mp, sp_) = mean_se(cv_beta), mean_se(cv_gamma), mean_se(products)
    return {"cov": cov, "beta": (mb, sb), "gamma": (mg, sg), "moments": (mp.reshape(4, 4), sp_.reshape(4, 4))}


def _within(measured, stderr, formula, allowance) -> bool:
    return bool(np.all(np.abs(measured - formula) <= 4 * stderr + allowance))


def test_mean_shift_matches_monte_carlo(monte_carlo):
    """E[dbeta_c] = gamma C_uv / (2M) and E[dgamma_c] = gamma (4 C_uu + 3 C_vv) / (8M) (mean_shift_values)
    within 4 SE + O(M^-2) of the Monte Carlo; the same test rejects both formulas made 50% larger."""
    cov = monte_carlo["cov"]
    beta, gamma = nr.mean_shift_values(GAMMAS, cov, BATCH)
    allowance = MEAN_ALLOWANCE * GAMMAS / BATCH**2
    assert _within(*monte_carlo["beta"], beta, allowance)
    assert _within(*monte_carlo["gamma"], gamma, allowance)
    assert not _within(*monte_carlo["beta"], 1.5 * beta, allowance)
    assert not _within(*monte_carlo["gamma"], 1.5 * gamma, allowance)


def test_shift_covariance_matches_monte_carlo(monte_carlo):
    """E[dtheta dtheta^T] over (beta_1, beta_2, gamma_1, gamma_2) = shift_covariance (gamma gamma' C_uu'/M,
    C_uv'/(2M), C_vu'/(2M), C_vv'/(4M)) within 4 SE + O(M^-2) of the Monte Carlo, every entry; a 25% larger
    Sigma fails."""
    sigma = nr.shift_covariance(GAMMAS, monte_carlo["cov"], BATCH)
    g = np.concatenate([GAMMAS, GAMMAS])
    allowance = MOMENT_ALLOWANCE * np.outer(g, g) / BATCH**2
    assert sigma.shape == (4, 4)
    np.testing.assert_allclose(sigma, sigma.T, rtol=1e-14)
    assert _within(*monte_carlo["moments"], sigma, allowance)
    assert not _within(*monte_carlo["moments"], 1.25 * sigma, allowance)


def test_numeric_helpers_are_the_sympy_derivations():
    """shift_covariance and mean_shift_values are shift_moments() and mean_shift() substituted entry by
    entry (gamma_c, gamma_c', the (u, v) covariances of channels c, c', M)."""
    rng = _rng(3)
    c, m = 3, 37.0
    gamma, cov = rng.uniform(0.3, 2, c), _spd(rng, 2 * c)
    sigma, moments = nr.shift_covariance(gamma, cov, m), nr.shift_moments()
    cov_d = {("beta", "beta"): S.COV_UU_D, ("beta", "gamma"): S.COV_UV_D, ("gamma", "beta"): S.COV_VU_D,
             ("gamma", "gamma"): S.COV_VV_D}
    for (p, q), symbol in cov_d.items():
        for i in range(c):
            for j in range(c):
                row, col = i + c * (p == "gamma"), j + c * (q == "gamma")
                value = moments[f"{p}_{q}"].subs({S.GAMMA: gamma[i], S.GAMMA_D: gamma[j], S.M: m,
                                                  symbol: cov[row, col]})
                assert sigma[row, col] == pytest.approx(float(value), rel=1e-13)
    beta, gam = nr.mean_shift_values(gamma, cov, m)
    shift = nr.mean_shift()
    for i in range(c):
        point = {S.GAMMA: gamma[i], S.M: m, S.COV_UU: cov[i, i], S.COV_UV: cov[i, c + i], S.COV_VV: cov[c + i, c + i]}
        assert beta[i] == pytest.approx(float(shift["beta"].subs(point)), rel=1e-13)
        assert gam[i] == pytest.approx(float(shift["gamma"].subs(point)), rel=1e-13)


def test_mean_shift_and_moments_closed_forms():
    """The derived O(1/M) expressions are the hand expansions of the exact shifts."""
    g, gd, m = S.GAMMA, S.GAMMA_D, S.M
    shift, moments = nr.mean_shift(), nr.shift_moments()
    assert sp.simplify(shift["beta"] - g * S.COV_UV / (2 * m)) == 0
    assert sp.simplify(shift["gamma"] - g * (4 * S.COV_UU + 3 * S.COV_VV) / (8 * m)) == 0
    assert sp.simplify(moments["beta_beta"] - g * gd * S.COV_UU_D / m) == 0
    assert sp.simplify(moments["beta_gamma"] - g * gd * S.COV_UV_D / (2 * m)) == 0
    assert sp.simplify(moments["gamma_beta"] - g * gd * S.COV_VU_D / (2 * m)) == 0
    assert sp.simplify(moments["gamma_gamma"] - g * gd * S.COV_VV_D / (4 * m)) == 0


# -- GLM reduction, effective batch -------------------------------------------------------------------

def test_glm_reduction_recovers_the_seed_zeta():
    """One GLM neuron's matrix gamma decay per gamma^2 is the seed's zeta exactly."""
    assert nr.glm_reduction()["difference"] == 0


def test_effective_batch_limits_and_helper():
    """M_eff = rM/C_uu; for K positions it is MK at rho = 0 and M at rho = 1 (and the moments form at
    C_uu = r(1 + (K-1) rho)/K); effective_batch_size gives r M / C_uu per channel."""
    eff = nr.effective_batch()
    assert sp.simplify(eff["moments"] - S.R_VAR * S.M / S.COV_UU) == 0
    pos = eff["positions"]
    assert sp.simplify(pos.subs(S.POS_CORR, 0) - S.M * S.POSITIONS) == 0
    assert sp.simplify(pos.subs(S.POS_CORR, 1) - S.M) == 0
    c_uu = S.R_VAR * (1 + (S.POSITIONS - 1) * S.POS_CORR) / S.POSITIONS
    assert sp.simplify(pos - eff["moments"].subs(S.COV_UU, c_uu)) == 0
    r, c_uu_num = np.array([0.9, 0.5, 0.99]), np.array([0.3, 0.5, 0.01])
    np.testing.assert_allclose(nr.effective_batch_size(r, c_uu_num, 32), r * 32 / c_uu_num, rtol=1e-14)


def test_effective_batch_size_of_correlated_positions():
    """Units of K = 9 equicorrelated positions (rho = 0.3): effective_batch_size from the sample C_uu is
    within 3% of MK / (1 + (K-1) rho)."""
    rng = _rng(4)
    k, rho, m, units = 9, 0.3, 16, 40_000
    n = np.sqrt(rho) * rng.standard_normal((units, 1)) + np.sqrt(1 - rho) * rng.standard_normal((units, k))
    u = n.mean(axis=1)
    measured = nr.effective_batch_size(np.array([np.mean(n**2)]), np.array([u.var()]), m)
    assert measured[0] == pytest.approx(m * k / (1 + (k - 1) * rho), rel=0.03)


# -- matrix gamma decay, first-order term ----------------------------------------------------------------

@pytest.mark.parametrize("c", [1, 2, 4])
def test_gamma_decay_matrix_is_half_trace_of_h_sigma(c):
    """gamma^T Z gamma = tr(H Sigma) / 2 with Sigma = shift_covariance, for random symmetric H, positive
    gamma and positive-definite cov; Z does not depend on gamma, is symmetric, and is linear in H (H 10%
    larger: the decay 10% larger); each gamma_c Z_cc' gamma_c' is second_order() at that point."""
    rng = _rng(5, c)
    m = 24.0
    a = rng.standard_normal((2 * c, 2 * c))
    hess, gamma, cov = a + a.T, rng.uniform(0.3, 2.5, c), _spd(rng, 2 * c)
    z = nr.gamma_decay_matrix(hess, gamma, cov, m)
    half_trace = 0.5 * np.trace(hess @ nr.shift_covariance(gamma, cov, m))
    assert z.shape == (c, c)
    assert gamma @ z @ gamma == pytest.approx(half_trace, rel=1e-12, abs=1e-14)
    np.testing.assert_allclose(z, z.T, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(nr.gamma_decay_matrix(hess, 2 * gamma + 1, cov, m), z, rtol=1e-14)
    planted = gamma @ nr.gamma_decay_matrix(1.1 * hess, gamma, cov, m) @ gamma
    assert planted == pytest.approx(1.1 * half_trace, rel=1e-12, abs=1e-14)
    assert abs(planted - half_trace) == pytest.approx(0.1 * abs(half_trace), rel=1e-10)
    second = nr.second_order()
    for i in range(c):
        for j in range(c):
            point = {S.GAMMA: gamma[i], S.GAMMA_D: gamma[j], S.M: m, S.COV_UU_D: cov[i, j], S.COV_UV_D: cov[i, c + j],
                     S.COV_VU_D: cov[c + i, j], S.COV_VV_D: cov[c + i, c + j], S.HESS_BB: hess[i, j],
                     S.HESS_BG: hess[i, c + j], S.HESS_GB: hess[c + i, j], S.HESS_GG: hess[c + i, c + j]}
            assert gamma[i] * z[i, j] * gamma[j] == pytest.approx(float(second.subs(point)), rel=1e-12, abs=1e-15)


def test_first_order_term_is_the_sympy_first_order():
    """first_order_term per channel equals first_order() substituted at a random point (gradient,
    unit covariances, gradient-unit covariances)."""
    rng = _rng(6)
    c, m = 3, 20.0
    gamma, cov = rng.uniform(0.3, 2, c), _spd(rng, 2 * c)
    grad, grad_cov = rng.normal(size=(2, c)), rng.normal(size=(2, 2, c))
    values = nr.first_order_term(gamma, cov, m, grad, grad_cov)
    assert values.shape == (c,)
    for i in range(c):
        point = {S.GAMMA: gamma[i], S.M: m, S.GRAD_BETA: grad[0, i], S.GRAD_GAMMA: grad[1, i],
                 S.COV_UU: cov[i, i], S.COV_UV: cov[i, c + i], S.COV_VV: cov[c + i, c + i],
                 S.COV_GB_U: grad_cov[0, 0, i], S.COV_GB_V: grad_cov[0, 1, i], S.COV_GG_U: grad_cov[1, 0, i],
                 S.COV_GG_V: grad_cov[1, 1, i]}
        assert values[i] == pytest.approx(float(nr.first_order().subs(point)), rel=1e-12)


# -- bad input --------------------------------------------------------------------------------------------

_G, _COV = np.ones(2), np.eye(4)


@pytest.mark.parametrize("call", [
    lambda: nr.shift_covariance(np.ones((2, 1)), _COV, 8),
    lambda: nr.shift_covariance(np.ones(3), _COV, 8),
    lambda: nr.shift_covariance(np.ones(0), np.zeros((0, 0)), 8),
    lambda: nr.shift_covariance(_G, np.eye(3), 8),
    lambda: nr.shift_covariance(_G, np.ones(4), 8),
    lambda: nr.shift_covariance(_G, _COV, 1),
    lambda: nr.shift_covariance(_G, _COV, np.nan),
    lambda: nr.mean_shift_values(_G, np.eye(2), 8),
    lambda: nr.gamma_decay_matrix(np.eye(4), np.ones(3), _COV, 8),
    lambda: nr.first_order_term(_G, _COV, 8, np.zeros((2, 3)), np.zeros((2, 2, 2))),
    lambda: nr.first_order_term(_G, _COV, 8, np.zeros(2), np.zeros((2, 2, 2))),
    lambda: nr.first_order_term(_G, _COV, 8, np.zeros((2, 2)), np.zeros((2, 2))),
], ids=["gamma-2d", "gamma-cov-mismatch", "no-channels", "cov-odd", "cov-1d", "M-1", "M-nan", "mean-shift-cov",
        "decay-gamma", "grad-channels", "grad-1d", "grad-cov-2d"])
def test_bad_shapes_are_bad_input(call):
    """Shapes that do not match a layer of C channels, and M < 2 or not finite, are BadInput (a ValueError)."""
    with pytest.raises(BadInput) as info:
        call()
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("hessian", [np.ones(4), np.float64(3.0), np.ones((2, 2))], ids=["vector", "scalar", "CxC"])
def test_gamma_decay_matrix_rejects_a_bad_hessian(hessian):
    """A Hessian that is not (2C, 2C) is BadInput."""
    with pytest.raises(BadInput):
        nr.gamma_decay_matrix(hessian, _G, _COV, 8)


@pytest.mark.parametrize("args", [(np.ones(2), np.ones(2), 1), (np.ones(3), np.ones(2), 8),
                                  (-np.ones(2), np.ones(2), 8)], ids=["M-1", "mismatch", "negative"])
def test_effective_batch_size_rejects_bad_input(args):
    """M < 2 and per-channel arrays of different lengths are BadInput, as in the other helpers."""
    with pytest.raises(BadInput):
        nr.effective_batch_size(*args)


# -- LaTeX export ---------------------------------------------------------------------------------------

def test_latex_export_carries_the_network_formulas():
    """The export lists the network formulas (shift, matrix gamma decay, effective batch) and prints each
    network formula faithfully."""
    from theory import latex

    formulas = latex.all_formulas()
    labels = {f.label for f in formulas}
    assert {"network-shift-beta", "network-matrix-gamma-decay", "network-effective-batch"} <= labels
    assert latex.unfaithful([f for f in formulas if f.label.startswith("network")]) == []
