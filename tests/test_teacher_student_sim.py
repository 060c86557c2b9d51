"""Teacher–student solvers (seed §2.3): solvers against each other and against exact finite-N theory,
the BN trainer, resumable sweeps, the zeta fit, bad input."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import sim.teacher_student as sts
from sim import (
    BNConfig,
    BNState,
    RidgeSpectrum,
    bn_test_errors,
    cuda_status,
    keyed_seed,
    min_norm_least_squares,
    teacher_data,
    train_bn,
)
from sim._ts_bn import bn_forward_backward, bn_head
from sim._ts_linear import gradient_descent_least_squares, gradient_descent_weight_norm
from sim.kernels import gradient_descents, smaller_gram
from theory import teacher_student as ts
from verify.teacher_student import REMAINDER

SEED = np.random.SeedSequence(20190506)
K = 4.5  # standard errors; two-sided Gaussian tail 6.8e-6 per comparison


def _data(N, P, key="t", teachers=1):
    return teacher_data(N, P, 0.5, keyed_seed(SEED, key, N, P), teachers=teachers)


@pytest.mark.parametrize("N, P", [(40, 25), (25, 40)])
def test_min_norm_solve_equals_lstsq(N, P):
    X, Y, _ = _data(N, P, teachers=3)
    expected = np.linalg.lstsq(X, Y, rcond=None)[0]
    np.testing.assert_allclose(min_norm_least_squares(X, Y), expected, rtol=1e-9, atol=1e-12)
    gram = smaller_gram(X)  # the shared Gram matrix is the smaller one and gives the same solution
    assert gram.shape == (min(N, P),) * 2
    np.testing.assert_array_equal(min_norm_least_squares(X, Y, gram=gram), min_norm_least_squares(X, Y))


@pytest.mark.parametrize("N, P", [(60, 30), (30, 60)])
def test_gradient_descent_and_weight_norm_converge_to_min_norm(N, P):
    X, Y, _ = _data(N, P, teachers=3)
    target = min_norm_least_squares(X, Y)
    for solver in (gradient_descent_least_squares, gradient_descent_weight_norm):
        res = solver(X, Y)
        assert res.converged and res.weights.shape == target.shape
        np.testing.assert_allclose(res.weights, target, rtol=1e-6, atol=1e-7)
        np.testing.assert_array_equal(solver(X, Y, gram=smaller_gram(X)).weights, res.weights)
    # side by side (one product of the stacked rows per iteration) each solver takes the same steps
    together = gradient_descents(X, Y)
    for name, solver in (("gd", gradient_descent_least_squares), ("wn", gradient_descent_weight_norm)):
        alone = solver(X, Y)
        assert together[name].iterations == alone.iterations
        np.testing.assert_allclose(together[name].weights, alone.weights, rtol=1e-12, atol=1e-14)
    for bad in ((), ("gd", "sgd")):
        with pytest.raises(ValueError, match="solvers"):
            gradient_descents(X, Y, bad)


@pytest.mark.parametrize("N, P", [(40, 25), (25, 40)])
def test_ridge_sweep_equals_direct_solve(N, P):
    X, Y, W_star = _data(N, P, teachers=3)
    zetas = np.array([1e-3, 0.1, 2.0])
    spectrum = RidgeSpectrum.from_data(X, Y, W_star)
    direct = [np.sum((np.linalg.solve(X.T @ X / N + z * np.eye(N), X.T @ Y / N) - W_star) ** 2, axis=0) for z in zetas]
    np.testing.assert_allclose(spectrum.errors(zetas), np.transpose(direct), rtol=1e-9)
    lam = np.linalg.eigvalsh(X.T @ X / N)
    np.testing.assert_allclose(spectrum.stieltjes(zetas), [np.mean(1 / (lam + z)) for z in zetas], rtol=1e-9)


def test_conditional_mean_and_variance_given_X():
    """Fixed X, fresh w* and noise: the exact conditional mean/variance against 4000 direct solves."""
    N, P, zeta, draws = 40, 60, 0.05, 4000
    rng = np.random.Generator(np.random.PCG64(keyed_seed(SEED, "cond")))
    X = rng.standard_normal((P, N))
    W = rng.standard_normal((N, draws)) / math.sqrt(N)
    Y = X @ W + 0.5 * rng.standard_normal((P, draws))
    V = np.linalg.solve(X.T @ X / N + zeta * np.eye(N), X.T @ Y / N)
    errs = np.sum((V - W) ** 2, axis=0)
    spectrum = RidgeSpectrum.from_data(X, Y[:, :1], W[:, :1])
    mean, var = spectrum.conditional_mean([zeta], 0.5)[0], spectrum.conditional_variance([zeta], 0.5)[0]
    assert abs(errs.mean() - mean) <= K * math.sqrt(var / draws)
    # Var of a sample variance ~ (m4 - s^4)/n, with the sample fourth moment
    m4 = np.mean((errs - errs.mean()) ** 4)
    assert abs(errs.var(ddof=1) - var) <= K * math.sqrt((m4 - var**2) / draws)
    assert abs(errs.var(ddof=1) - 1.2 * var) > K * math.sqrt((m4 - var**2) / draws)  # planted 20 %


def test_least_squares_vs_exact_finite_n_at_512():
    """Solver (a) at N = 512 against the inverse-Wishart mean (no finite-N slack needed)."""
    N, reps = 512, 24
    for alpha in (0.5, 2.0):
        P = sts.samples_for(N, alpha)
        errs = []
        for r in range(reps):
            X, y, w_star = teacher_data(N, P, 0.5, keyed_seed(SEED, "ls512", P, r))
            errs.append(np.sum((min_norm_least_squares(X, y) - w_star) ** 2))  # one teacher per X
        mean, se = np.mean(errs), np.std(errs, ddof=1) / math.sqrt(reps)
        exact = ts.sgd_error_finite(N, P, 0.5)
        assert abs(mean - exact) <= 5.5 * se  # Student-t, 23 dof, same 6.8e-6 tail as K = 4.5
        # planted: a 20 % error in the theory value is detected at this size
        assert abs(mean - 1.2 * exact) > 5.5 * se


def test_ridge_finite_n_correction_and_remainder_bound():
    """At N = 64 the MP limit alone is off by many SE; with the 1/N term the rest is inside
    REMAINDER |c|/N^2 (the bias bound the verifier states)."""
    N, reps = 64, 300
    worst_plain = 0.0
    for alpha in (0.5, 1.0, 2.0):
        res = sts.linear_point(N, alpha, [1 / 64, 0.25], datasets=reps, seed=keyed_seed(SEED, "remainder"))
        cond = res["ridge_conditional"]
        for j, zeta in enumerate(res["zetas"]):
            mean, se = cond[:, j].mean(), cond[:, j].std(ddof=1) / math.sqrt(reps)
            corr = ts.ridge_correction(alpha, zeta, 0.5)
            bound = REMAINDER * abs(corr) / N**2
            assert abs(mean - ts.wn_error_finite(alpha, zeta, 0.5, N)) <= K * se + bound
            worst_plain = max(worst_plain, abs(mean - ts.wn_error(alpha, zeta, 0.5)) / se)
    assert worst_plain > K


def test_same_seed_same_numbers_and_independent_replicas():
    a = sts.linear_point(64, 2.0, [0.1], datasets=3, teachers=2, seed=SEED)
    b = sts.linear_point(64, 2.0, [0.1], datasets=3, teachers=2, seed=np.random.SeedSequence(20190506))
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
    assert len(set(np.round(a["ls"], 12))) == 6
    assert a["dataset"].tolist() == [0, 0, 1, 1, 2, 2] and a["ridge_conditional"].shape == (3, 1)
    # more teachers leave the first ones (and the input matrices) unchanged
    c = sts.linear_point(64, 2.0, [0.1], datasets=3, teachers=3, seed=SEED)
    np.testing.assert_array_equal(c["ls"].reshape(3, 3)[:, :2], a["ls"].reshape(3, 2))
    np.testing.assert_array_equal(c["ridge_conditional"], a["ridge_conditional"])


def test_teachers_on_one_matrix_equal_separate_solves():
    """Solvers on (P, T) label matrices give each column what a one-teacher call gives."""
    N, P = 48, 96
    X, Y, W_star = _data(N, P, teachers=3)
    many = {f.__name__: f(X, Y).weights for f in (gradient_descent_least_squares, gradient_descent_weight_norm)}
    for t in range(3):
        for f in (gradient_descent_least_squares, gradient_descent_weight_norm):
            np.testing.assert_allclose(many[f.__name__][:, t], f(X, Y[:, t:t + 1]).weights[:, 0], rtol=1e-6, atol=1e-8)
        one = RidgeSpectrum.from_data(X, Y[:, t:t + 1], W_star[:, t:t + 1]).errors([0.1, 1.0])
        np.testing.assert_allclose(RidgeSpectrum.from_data(X, Y, W_star).errors([0.1, 1.0])[t], one[0], rtol=1e-12)


def test_bn_backward_matches_finite_differences():
    rng = np.random.Generator(np.random.PCG64(keyed_seed(SEED, "fd")))
    Xb, yb = rng.standard_normal((8, 5)), rng.standard_normal((8, 2))
    w, gamma = rng.standard_normal((5, 2)), np.array([0.7, 1.3])
    _, grad_w, grad_gamma = bn_forward_backward(Xb, yb, w, gamma)
    h = 1e-6
    for i in range(5):
        e = np.zeros((5, 2))
        e[i] = h
        num = (bn_forward_backward(Xb, yb, w + e, gamma)[0] - bn_forward_backward(Xb, yb, w - e, gamma)[0]) / (2 * h)
        np.testing.assert_allclose(grad_w[i], num, rtol=1e-6, atol=1e-8)
    num = (bn_forward_backward(Xb, yb, w, gamma + h)[0] - bn_forward_backward(Xb, yb, w, gamma - h)[0]) / (2 * h)
    np.testing.assert_allclose(grad_gamma, num, rtol=1e-6)
    # the loss is the plain one, and the step size folded in scales dL/dH and nothing else
    H = Xb @ w
    n_hat = (H - H.mean(axis=0)) / H.std(axis=0)
    loss, dH, _ = bn_head(H.copy(), yb, gamma)
    np.testing.assert_allclose(loss, ((gamma * n_hat - yb) ** 2).mean(axis=0), rtol=1e-13)
    scaled = bn_head(H.copy(), yb, gamma, 0.25)
    np.testing.assert_allclose(scaled[1], 0.25 * dH, rtol=1e-14)
    np.testing.assert_array_equal(scaled[2], bn_head(H.copy(), yb, gamma)[2])


@pytest.mark.gpu
def test_bn_gradients_on_cupy_equal_numpy():
    """The step's head on CuPy arrays computes what it computes on NumPy arrays (same inputs)."""
    import cupy  # noqa: PLC0415 - the gpu marker skips this test without CuPy and a device

    rng = np.random.Generator(np.random.PCG64(keyed_seed(SEED, "cupy-head")))
    H, Yb, gamma = rng.standard_normal((32, 16)), rng.standard_normal((32, 16)), rng.random(16) + 0.5
    ours = bn_head(H.copy(), Yb, gamma, 0.3)
    theirs = bn_head(cupy.asarray(H), cupy.asarray(Yb), cupy.asarray(gamma), 0.3)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(cupy.asnumpy(b), a, rtol=1e-12, atol=1e-14)


def test_bn_test_error_matches_held_out_set():
    """The exact error from gamma w/||w|| against a held-out set normalised by its own statistics."""
    N, P = 64, 256
    X, y, w_star = _data(N, P, "bn")
    state = train_bn(X, y, BNConfig(epochs=20, min_steps=0), keyed_seed(SEED, "bn-train"))[-1]
    exact = bn_test_errors(state, X, w_star)["population"][0]
    rng = np.random.Generator(np.random.PCG64(keyed_seed(SEED, "held-out")))
    T = 200_000
    Xt = rng.standard_normal((T, N))
    h = Xt @ state.w[:, 0]
    phi = state.gamma[0] * (h - h.mean()) / h.std()
    sq = (phi - Xt @ w_star[:, 0]) ** 2
    # O(1/T) bias from estimating mu, sigma on the held-out set: bounded by 10/T
    assert abs(sq.mean() - exact) <= K * sq.std() / math.sqrt(T) + 10 / T


def test_bn_trains_and_initialisation_is_used():
    N, P = 64, 256
    X, y, w_star = _data(N, P, "bn")
    cfgs = [BNConfig(epochs=10, min_steps=0, w_init=s) for s in (1.0, 0.1)]
    states = [train_bn(X, y, c, keyed_seed(SEED, "init"), checkpoints=(0.5, 1.0)) for c in cfgs]
    assert len(states[0]) == 2
    errs = [bn_test_errors(s[-1], X, w_star)["population"][0] for s in states]
    assert errs[0] != errs[1] and all(e < 1.0 for e in errs)  # learns something from either start


def test_bn_point_is_deterministic_and_batched():
    cfg = BNConfig(epochs=3, min_steps=0)
    a = sts.bn_point(32, 2.0, datasets=3, teachers=2, seed=SEED, config=cfg)
    b = sts.bn_point(32, 2.0, datasets=3, teachers=2, seed=SEED, config=cfg)
    np.testing.assert_array_equal(a["bn"], b["bn"])
    assert a["bn"].shape == (6,) and a["trajectory"].shape == (3, 6) and a["dataset"].tolist() == [0, 0, 1, 1, 2, 2]


@pytest.mark.parametrize("R", [3, 12])  # NumPy products / one in-place BLAS gemm (R >= 8)
def test_bn_replicas_on_one_matrix_equal_separate_runs(R):
    """Training R teachers together is R separate runs with the same batch order and init."""
    N, P = 32, 128
    X, Y, W_star = _data(N, P, "together", teachers=R)
    cfg = BNConfig(epochs=5, min_steps=0)
    together = train_bn(X, Y, cfg, keyed_seed(SEED, "together"))[-1]
    # replica t alone: same order stream, the same initial column
    rng = np.random.Generator(np.random.PCG64(keyed_seed(SEED, "together")))
    w0 = rng.standard_normal((N, R)) * (cfg.w_init / np.sqrt(N))
    for t in (0, R - 1):
        alone = _train_from(X, Y[:, t:t + 1], w0[:, t:t + 1], cfg, keyed_seed(SEED, "together"), N, P, R)
        np.testing.assert_allclose(together.w[:, t], alone.w[:, 0], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(together.gamma[t], alone.gamma[0], rtol=1e-10)


def _train_from(X, y, w0, cfg, seed, N, P, R):
    """A plain per-step loop over the same orders as ``train_bn`` (the reference of the test above)."""
    rng = np.random.Generator(np.random.PCG64(seed))
    rng.standard_normal((N, R))  # the initial draw train_bn makes for R replicas
    w, gamma = w0.copy(), np.array([cfg.gamma_init])
    total, per_epoch = cfg.steps(P), P // cfg.M
    for t in range(total):
        if t % per_epoch == 0:
            order = np.argsort(rng.random(P))
        idx = order[(t % per_epoch) * cfg.M:(t % per_epoch + 1) * cfg.M]
        _, grad_w, grad_gamma = bn_forward_backward(X[idx], y[idx], w, gamma)
        s = cfg.schedule(t, total)
        w = w - cfg.lr_w * cfg.M / N * s * grad_w
        gamma = gamma - cfg.lr_gamma * s * grad_gamma
    return BNState(w, gamma)


def test_sweep_resumes_after_interruption(tmp_path, monkeypatch):
    kwargs = dict(seed=SEED, datasets=2, zetas=[0.1, 0.25])
    alphas = [0.5, 1.5, 2.0]
    full = sts.sweep("linear", 32, alphas, **kwargs)
    calls = []
    original = sts._linear_dataset

    def flaky(N, alpha, dataset, options):
        calls.append((alpha, dataset))
        if len(calls) == 2:
            raise KeyboardInterrupt
        return original(N, alpha, dataset, options)

    monkeypatch.setattr(sts, "_linear_dataset", flaky)
    with pytest.raises(KeyboardInterrupt):
        sts.sweep("linear", 32, alphas, directory=tmp_path, **kwargs)
    manifest = json.loads((tmp_path / "sweep.json").read_text())
    assert list(manifest["points"]) == ["linear_N_32_alpha_0.5_data_0"]
    calls.clear()
    monkeypatch.setattr(sts, "_linear_dataset", lambda *a: calls.append((a[1], a[2])) or original(*a))
    resumed = sts.sweep("linear", 32, alphas, directory=tmp_path, **kwargs)
    assert calls == [(0.5, 1), (1.5, 0), (1.5, 1), (2.0, 0), (2.0, 1)]  # the finished task not recomputed
    for a in alphas:
        for key in full[a]:
            np.testing.assert_array_equal(full[a][key], resumed[a][key])
    with np.load(tmp_path / "linear_N_32_alpha_2_data_1.npz", allow_pickle=False) as data:
        assert "ridge" in data.files
    with pytest.raises(ValueError, match="directory"):
        sts.sweep("linear", 32, alphas, directory=tmp_path, seed=SEED, datasets=2, teachers=3, zetas=[0.1, 0.25])


def test_grid_over_N_and_M_equals_single_sweeps(tmp_path):
    """One grid on one store gives what separate calls give; data never repeat across N at equal P."""
    cfg = BNConfig(epochs=2, min_steps=0)
    grid = sts.sweep_grid("bn", [32, 64], [1.0, 2.0], Ms=[8, 16], seed=SEED, datasets=2, teachers=2, config=cfg,
                          directory=tmp_path / "grid")
    assert len(grid) == 8
    for point, arrays in grid.items():
        alone = sts.bn_point(point.N, point.alpha, datasets=2, teachers=2, seed=SEED,
                             config=BNConfig(M=point.M, epochs=2, min_steps=0))
        np.testing.assert_array_equal(arrays["bn"], alone["bn"])
    linear = sts.sweep_grid("linear", [32, 64], [2.0, 1.0], seed=SEED, datasets=1, zetas=[0.1])
    # (N, alpha) = (32, 2) and (64, 1) both have P = 64: their data must still differ
    first = [linear[sts.GridPoint(n, None, a)]["stieltjes"][0, 0] for n, a in ((32, 2.0), (64, 1.0))]
    assert first[0] != first[1]
    with pytest.raises(ValueError, match=(r"^Ms is for the BN student; the linear "
                                          r"solvers take no batch size$")):
        sts.sweep_grid("linear", [32], [1.0], Ms=[8], seed=SEED, datasets=1)
    with pytest.raises(ValueError, match="M must be"):
        sts.sweep_grid("bn", [32], [1.0], Ms=[1], seed=SEED, datasets=1)
    with pytest.raises(ValueError, match="N must be"):
        sts.sweep_grid("linear", [32, 1.5], [1.0], seed=SEED, datasets=1)


def test_fit_recovers_a_planted_zeta():
    alphas = np.array([1.5, 2.0, 3.0, 4.0])
    true = 0.03
    clean = ts.wn_error(alphas, ts.zeta_map(true, alphas), 0.5)
    se = 0.002 * np.ones_like(alphas)
    noise = np.random.Generator(np.random.PCG64(keyed_seed(SEED, "fit"))).standard_normal(alphas.size)
    fit = sts.fit_effective_zeta(alphas, clean + se * noise, se, 0.5)
    assert fit.lower <= true <= fit.upper and fit.lower < fit.zeta < fit.upper
    assert fit.dof == 3


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: sts.linear_point(1, 0.5, [0.1], datasets=1, seed=SEED), "N"),
        (lambda: sts.linear_point(32, 0.0, [0.1], datasets=1, seed=SEED), "alpha"),
        (lambda: sts.linear_point(32, -1.0, [0.1], datasets=1, seed=SEED), "alpha"),
        (lambda: sts.linear_point(32, 0.5, [0.1], -0.5, datasets=1, seed=SEED), "delta"),
        (lambda: sts.linear_point(32, 0.5, [-0.1], datasets=1, seed=SEED), "zetas"),
        (lambda: sts.linear_point(32, 0.5, [0.1], datasets=0, seed=SEED), "datasets"),
        (lambda: sts.linear_point(32, 0.5, [0.1], datasets=1, teachers=0, seed=SEED), "teachers"),
        (lambda: sts.linear_point(32, 0.5, [0.1], datasets=1, seed=-5), "seed"),
        (lambda: sts.linear_point(32, 0.5, [0.1], datasets=1, seed=1.5), "seed"),
        (lambda: sts.bn_point(32, 0.5, datasets=1, seed=SEED, config=BNConfig(M=64)), "P"),
        (lambda: sts.sweep("bn", 32, [0.5], datasets=1, seed=SEED, config=BNConfig(M=64)), "P"),
        (lambda: train_bn(np.ones((64, 4)), np.ones(64), BNConfig(), SEED), "Y"),
        (lambda: BNConfig(M=1), "M"),
        (lambda: BNConfig(w_init=0.0), "w_init"),
        (lambda: sts.sweep("other", 32, [0.5], seed=SEED, datasets=1), "kind"),
        (lambda: sts.fit_effective_zeta([1.5, 2], [0.2, 0.1], [0.0, 0.1], 0.5), r"^stderr must be > 0$"),
    ],
)
def test_bad_input_names_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()


@pytest.mark.gpu
def test_cupy_backend_agrees_statistically():
    ok, reason = cuda_status()
    if not ok:
        pytest.skip(reason)
    res = sts.linear_point(256, 2.0, [0.25], datasets=8, teachers=2, seed=SEED, backend="cupy")
    cond = res["ridge_conditional"][:, 0]
    assert abs(cond.mean() - ts.wn_error_finite(2.0, 0.25, 0.5, 256)) <= 6 * cond.std(ddof=1) / math.sqrt(8)
    cfg = BNConfig(epochs=5, min_steps=0)
    bn = sts.bn_point(64, 2.0, datasets=2, teachers=4, seed=SEED, config=cfg, backend="cupy")
    cpu = sts.bn_point(64, 2.0, datasets=2, teachers=4, seed=SEED, config=cfg)
    assert np.all(np.isfinite(bn["bn"]))
    # the CuPy generator draws other numbers: the two agree in distribution, not bitwise
    assert abs(bn["bn"].mean() - cpu["bn"].mean()) <= 6 * math.hypot(bn["bn"].std(), cpu["bn"].std()) / math.sqrt(8)


def test_an_integer_seed_is_its_seed_sequence():
    a = sts.linear_point(32, 0.5, [0.1], datasets=1, seed=5)
    b = sts.linear_point(32, 0.5, [0.1], datasets=1, seed=np.random.SeedSequence(5))
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
