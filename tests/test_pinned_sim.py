"""Properties of sim's teacher-student helpers that the sampled mutation run of sim/ found unpinned
(docs/mutation.md); each expected value comes from an independent route (NumPy's pseudo-inverse)."""

from __future__ import annotations

import numpy as np
import pytest

from sim._ts_bn_prediction import CentredDesign


@pytest.mark.parametrize(("P", "N"), [(40, 8), (9, 20)], ids=["P>=N+2", "interpolating"])
def test_the_conserved_part_is_what_the_span_of_input_differences_misses(P, N):
    r""":math:`(I-\Pi)W_0` with :math:`\Pi` the projector on the row space of the centred inputs
    :math:`X_c` (:math:`\Pi=X_c^{+}X_c`, NumPy's pseudo-inverse): zero when :math:`P\ge N+2` (the differences of
    training inputs span every direction, so SGD can move all of :math:`W_0`), non-zero when interpolating.
    Kills ``W0 * 0`` made ``W0 * 1`` for the non-interpolating design."""
    rng = np.random.default_rng(np.random.SeedSequence(7))
    X, W0 = rng.standard_normal((P, N)), rng.standard_normal((N, 3))
    Xc = X - X.mean(axis=0)
    expected = W0 - np.linalg.pinv(Xc) @ Xc @ W0
    conserved = CentredDesign.from_inputs(X).conserved(W0)
    np.testing.assert_allclose(conserved, expected, atol=1e-10)
    assert (np.abs(expected).max() > 0.1) == (P <= N + 1)


@pytest.mark.parametrize(("alphas", "message"), [([], "Ns and alphas must not be empty"),
                                                 (None, "alpha must be finite and > 0, got nan")])
def test_a_sweep_without_usable_alphas_is_refused_as_bad_input(alphas, message):
    """A sweep asked for no alpha, or for ``None`` (read as a number: NaN), is refused with one line that says
    what is wrong (BadInput, a ValueError), never a TypeError from deep inside.  Kills the alphas read without
    ``dtype=float`` (``float(None)``) and the empty-grid message altered."""
    from sim import plan_sweep_grid
    from theory.errors import BadInput

    with pytest.raises(BadInput) as raised:
        plan_sweep_grid("linear", [16], alphas, seed=0, datasets=1)
    assert str(raised.value) == message


def test_interpolating_predictions_share_the_direction_and_differ_through_gamma():
    r"""With P <= N + 1 the stationary point and the closed form of the BN student share their direction (the
    run's conserved part of :math:`w_0` plus a multiple of the least-squares interpolant, fixed by the run's
    norm), so their test errors :math:`\epsilon=\gamma^2-2\gamma\,\mathrm{overlap}+|w^*|^2` differ only through
    :math:`\gamma`: :math:`\epsilon_{stat}-\epsilon_{closed}=(\gamma_s^2-\gamma_c^2)-2(\gamma_s-\gamma_c)\,
    \mathrm{overlap}` (seed §2.3).  Kills the sign of :math:`2\gamma\,\mathrm{overlap}` flipped in the stationary
    point's error."""
    import sim
    from sim import BNConfig

    res = sim.bn_point(48, 0.5, datasets=1, teachers=2, seed=np.random.SeedSequence(1109),
                       config=BNConfig(M=8, epochs=20, min_steps=0))
    g_s, g_c, overlap = res["pred_gamma"], res["closed_gamma"], res["closed_overlap"]
    assert np.all(np.abs(overlap) > 0.1)
    np.testing.assert_allclose(res["pred_eps"] - res["closed_eps"], (g_s**2 - g_c**2) - 2 * (g_s - g_c) * overlap,
                               atol=1e-10)


def test_a_mean_of_fewer_than_two_units_has_no_standard_error():
    """One unit gives a mean but no standard error: the estimate is (value, inf, 1), reported as a number that
    does not exist rather than as 0 (the SE of a single draw is undefined).  Kills the unit count dropped from
    that estimate (a TypeError)."""
    from sim._streaming import RunningMean

    running = RunningMean()
    running.add(np, np.array([2.5]))
    estimate = running.estimate()
    assert (estimate.value, estimate.stderr, estimate.units) == (2.5, float("inf"), 1)


def test_the_finite_n_fit_recovers_the_zeta_that_made_its_errors():
    r"""Errors made exactly by theory's finite-N ridge error :math:`\epsilon_{wn}(\alpha,\zeta_R,\delta)+c/N`
    at :math:`\zeta_R=1`, N = 64, are fitted back to :math:`\zeta_R=1` with ``N=64`` (chi^2 = 0); without
    the 1/N term the fit lands elsewhere (1.011).  (:math:`\zeta_R` is taken well above the optimum
    :math:`\delta^2=0.25`, where the error is flat in :math:`\zeta_R`.)  Kills the model called without its
    alphas."""
    from sim import fit_effective_zeta
    from theory.teacher_student import wn_error_finite

    alphas = np.array([0.5, 1.5, 2.0, 3.0])
    errors = np.asarray(wn_error_finite(alphas, 1.0, 0.5, 64))
    fit = fit_effective_zeta(alphas, errors, np.full(4, 1e-3), 0.5, convention="ridge", N=64)
    assert fit.zeta == pytest.approx(1.0, rel=1e-6) and fit.chi2 == pytest.approx(0.0, abs=1e-6)
    assert fit_effective_zeta(alphas, errors, np.full(4, 1e-3), 0.5, convention="ridge").zeta > 1.005


def test_the_fit_finds_the_lower_of_two_valleys():
    r"""Near its optimum :math:`\zeta_R=\delta^2=0.25` the ridge error is flat in :math:`\zeta_R`, so
    :math:`\chi^2` has a valley on either side; errors made exactly at :math:`\zeta_R=0.3` are fitted back to
    0.3 (chi^2 = 0), not to the other valley's 0.207 (chi^2 = 0.012), whose grid point happened to be lower."""
    from sim import fit_effective_zeta
    from theory.teacher_student import wn_error_finite

    alphas = np.array([0.5, 1.5, 2.0, 3.0])
    errors = np.asarray(wn_error_finite(alphas, 0.3, 0.5, 64))
    fit = fit_effective_zeta(alphas, errors, np.full(4, 1e-3), 0.5, convention="ridge", N=64)
    assert fit.zeta == pytest.approx(0.3, rel=1e-4) and fit.chi2 == pytest.approx(0.0, abs=1e-6)
    assert fit.lower <= 0.3 <= fit.upper


def test_the_ridge_error_given_the_inputs_is_a_sum_of_independent_chi_square_modes():
    r"""Given X, mode k of the ridge error is :math:`e_k\chi^2_1/N` with
    :math:`e_k=(\zeta^2+\delta^2\lambda_k)/(\lambda_k+\zeta)^2` (:math:`e=1` for the N - P zero modes), so
    :math:`\mathbb E[\epsilon\mid X]=\sum_k e_k/N` and :math:`\operatorname{Var}[\epsilon\mid X]=2\sum_k e_k^2/N^2`
    (a :math:`\chi^2_1` has variance twice its squared mean; seed §2.3).  Computed here from the spectrum's
    eigenvalues with NumPy.  Kills the variance's power 2 made 3."""
    from sim._ts_linear import RidgeSpectrum

    rng = np.random.default_rng(np.random.SeedSequence(12))
    N, P, delta, zetas = 20, 12, 0.5, np.array([0.1, 0.7])
    X, w_star = rng.standard_normal((P, N)), rng.standard_normal((N, 1))
    spectrum = RidgeSpectrum.from_data(X, X @ w_star, w_star)  # the labels and teacher do not enter the moments
    lam = np.asarray(spectrum.eigenvalues)
    e = (zetas[:, None] ** 2 + delta**2 * lam) / (lam + zetas[:, None]) ** 2
    zeros = N - lam.size
    np.testing.assert_allclose(spectrum.conditional_mean(zetas, delta), (e.sum(axis=1) + zeros) / N, rtol=1e-12)
    np.testing.assert_allclose(spectrum.conditional_variance(zetas, delta), 2 * ((e**2).sum(axis=1) + zeros) / N**2,
                               rtol=1e-12)


def test_a_sweep_store_is_keyed_by_its_kind(tmp_path):
    """A sweep's folder records its settings in ``sweep.json`` under fixed keys (``kind``, ``delta``, ...), so
    a folder written by one version resumes under the next, and a linear and a BN sweep never share one.
    Kills the key ``kind`` renamed."""
    import json

    from sim import plan_sweep_grid
    from theory.errors import BadInput

    plan_sweep_grid("linear", [16], [2.0], seed=0, datasets=1, directory=tmp_path)
    config = json.loads((tmp_path / "sweep.json").read_text())["config"]
    assert config["kind"] == "linear" and config["delta"] == 0.5
    with pytest.raises(BadInput, match="another configuration"):
        plan_sweep_grid("bn", [16], [2.0], seed=0, datasets=1, directory=tmp_path)


def test_two_units_have_a_standard_error():
    """Two units are enough for a standard error: values 1 and 3 have sample variance 2 and SE sqrt(2 / 2) = 1.
    Kills the "no SE" branch widened from one unit to two."""
    from sim._streaming import RunningMean

    running = RunningMean()
    running.add(np, np.array([1.0, 3.0]))
    estimate = running.estimate()
    assert (estimate.value, estimate.stderr, estimate.units) == (2.0, pytest.approx(1.0, rel=1e-15), 2)


def test_batch_noise_reports_its_input_and_a_loss_gap_only_where_labels_exist():
    """The Monte-Carlo result names its input distribution, and measures a GLM's loss gap only when the GLM has
    an activation g to draw labels from: a head with A but no g gets its second-order term and no gap (not an
    empty estimate).  Kills the input's name dropped and A kept for a head without g."""
    import sympy as sp

    from sim import GLM, simulate_batch_noise
    from theory.symbols import X

    glms = {"labels": GLM(d2A=sp.Integer(1), g=X, A=X**2 / 2), "no_labels": GLM(d2A=sp.Integer(1), A=X**2 / 2)}
    result = simulate_batch_noise(8, input="laplace", glms=glms, samples=2**12, chunk_samples=2**12, seed=3)
    assert result.input == "laplace"
    assert set(result.second_order) == {"labels", "no_labels"} and set(result.loss_gap) == {"labels"}


def test_a_heavy_tailed_scipy_input_is_refused_with_its_reason():
    """A scipy.stats input without a finite variance (Student t with 2 degrees of freedom) cannot be
    standardized: one line says so.  Kills that message replaced by None."""
    from scipy import stats

    from sim.input_distributions import InputSampler
    from theory.errors import BadInput

    with pytest.raises(BadInput) as raised:
        InputSampler(stats.t(2))
    assert str(raised.value) == "input distribution must have a finite mean and a positive finite variance"


def test_a_cnn_run_can_be_trained_for_its_model():
    """``train_cnn_model`` returns the trained torch module of a run (what the network audit of a CNN run
    starts from), with the run's five normalization layers.  Kills the trainer replaced by None."""
    torch = pytest.importorskip("torch")
    from sim.cnn import CNNRun, train_cnn_model

    from ._cnn_images import synthetic_images

    model = train_cnn_model(CNNRun("bn", 32, 0, epochs=1, eval_train=64), synthetic_images())
    assert isinstance(model, torch.nn.Module)
    assert sum(isinstance(m, torch.nn.BatchNorm2d | torch.nn.BatchNorm1d) for m in model.modules()) == 5


def test_a_ratio_of_sums_has_the_delta_method_error_of_correlated_units():
    r"""For units :math:`(a_b, c_b)` the ratio :math:`\sum a/\sum c` has standard error
    :math:`\sqrt{\widehat{\mathrm{Var}}(a-rc)/n}/\bar c`, with :math:`\mathrm{Var}(a-rc)` from the
    sums of :math:`a^2, c^2, ac`; here computed directly from the units.  Kills :math:`\sum ac` subtracted
    instead of added."""
    from sim._streaming import RunningRatio

    rng = np.random.default_rng(np.random.SeedSequence(11))
    c = rng.uniform(1.0, 3.0, 50)
    a = 2.0 * c + rng.normal(0.0, 0.3, 50)  # strongly correlated with c
    ratio = RunningRatio()
    for chunk in np.array_split(np.arange(50), 4):
        ratio.add_sums(chunk.size, a[chunk].sum(), c[chunk].sum(), (a[chunk] ** 2).sum(), (c[chunk] ** 2).sum(),
                       (a[chunk] * c[chunk]).sum())
    r = a.sum() / c.sum()
    se = np.sqrt(np.sum((a - r * c) ** 2) / 49 / 50) / c.mean()
    estimate = ratio.estimate()
    assert estimate.value == pytest.approx(r, rel=1e-12)
    assert estimate.stderr == pytest.approx(se, rel=1e-9)


def test_a_worker_watches_for_its_parent_from_a_daemon_thread(monkeypatch):
    """A worker's watch for an ended parent runs in a daemon thread, so it never keeps the worker alive
    (the process-wide settings of the worker set-up are replaced by recorders here).  Kills
    ``daemon=True`` made None."""
    import signal
    import threading

    import sim.executor as executor

    started = []

    class Recorder:
        def __init__(self, target, args, daemon):
            started.append((target, args, daemon))

        def start(self):
            pass

    for var in executor._BLAS_ENV:
        monkeypatch.setenv(var, "1")
    monkeypatch.setattr(executor, "threadpool_limits", lambda n: None)
    monkeypatch.setattr(signal, "signal", lambda *args: None)
    monkeypatch.setattr(executor.tqdm, "set_lock", lambda lock: None)
    monkeypatch.setattr(threading, "Thread", Recorder)
    executor._init_process(1, 12345)
    assert started == [(executor._exit_when_orphaned, (12345,), True)]


@pytest.mark.parametrize("alpha", [7 / 8, 1.0, 9 / 8])
def test_the_least_squares_error_that_does_not_exist_is_reported_as_nan(alpha):
    r"""At :math:`|P-N|\le1` the min-norm least-squares error has no finite expectation (the inverse Wishart
    moment it needs diverges), so a point there reports NaN, as a float array, one per teacher, never a number.
    Kills the NaN made ``None`` (an object array)."""
    from sim import linear_point

    ls = linear_point(8, alpha, datasets=1, teachers=2, seed=1)["ls"]
    assert ls.dtype == np.float64 and ls.shape == (2,) and np.isnan(ls).all()


@pytest.mark.parametrize(("sample", "accepted"), [(np.arange(7.0), False), (np.arange(8.0), True),
                                                  (np.r_[np.arange(8.0), np.nan], False), (np.ones(9), False)])
def test_an_input_sample_needs_eight_finite_values_not_all_equal(sample, accepted):
    """An empirical input is standardized by its own mean and standard deviation, so it needs enough values (8),
    all finite, not all equal; each rule is checked on its own.  Kills the size rule joined to the finiteness
    rule by ``and``."""
    from sim import InputSampler
    from theory.errors import BadInput

    if accepted:
        InputSampler(sample)
        return
    with pytest.raises(BadInput) as refused:
        InputSampler(sample)
    assert str(refused.value) == "input sample must hold at least 8 finite, not all equal values"


def test_a_sweeps_manifest_holds_its_seed_whole():
    """A resumable sweep's store is keyed by its manifest, and the manifest records the root seed as its entropy and
    spawn key, from which the same streams are drawn again (a store says which seed made it).  Kills either key
    renamed."""
    from sim.teacher_student import SweepOptions

    seed = np.random.SeedSequence(20261208, spawn_key=(3, 1))
    manifest = SweepOptions.make("linear", seed=seed, datasets=1).manifest()
    rebuilt = np.random.SeedSequence(int(manifest["seed_entropy"]), spawn_key=manifest["spawn_key"])
    np.testing.assert_array_equal(rebuilt.generate_state(8), seed.generate_state(8))


def test_a_seed_that_is_not_a_seed_sequence_is_refused_with_its_type():
    """sim draws every stream from a :class:`numpy.random.SeedSequence`; anything else (a bare integer would give a
    generator whose streams no report could name) is refused, and the message names what was given."""
    from sim import default_rng

    with pytest.raises(ValueError) as refused:
        default_rng(7)
    assert str(refused.value) == "seed must be a numpy.random.SeedSequence, got int"


def test_cuda_is_not_reported_available_when_cupy_finds_no_device(monkeypatch):
    """CuPy installed without a usable device (its runtime raises) is reported as no CUDA, with the reason, so the
    ``gpu`` tests skip and ``--backend auto`` stays on NumPy."""
    import sys
    import types

    from sim import cuda_status

    def no_device():
        raise RuntimeError("cudaErrorNoDevice")

    fake = types.SimpleNamespace(cuda=types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=no_device)))
    monkeypatch.setitem(sys.modules, "cupy", fake)
    assert cuda_status() == (False, "CuPy found no CUDA device (RuntimeError: cudaErrorNoDevice)")


def test_the_bn_students_progress_bar_shows_only_when_asked(capsys):
    """``progress=False`` writes nothing to stderr, ``progress=True`` draws tqdm's bar there."""
    from sim._ts_bn import BNConfig, train_bn

    rng = np.random.default_rng(np.random.SeedSequence(11))
    X, Y = rng.standard_normal((32, 4)), rng.standard_normal((32, 1))
    config = BNConfig(M=8, epochs=2, min_steps=0)
    train_bn(X, Y, config, np.random.SeedSequence(1), progress=False)
    assert capsys.readouterr().err == ""
    train_bn(X, Y, config, np.random.SeedSequence(1), progress=True)
    assert "BN SGD P=32 R=1" in capsys.readouterr().err


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_batch_noise_work_arrays_have_the_runs_dtype(dtype):
    """A float32 run computes in float32: its reused work arrays of standardized values are of the run's dtype."""
    from sim.batch_noise import _buffers

    buffers = _buffers(np, 3, 8, dtype, glm=True)
    assert buffers["d"].dtype == buffers["d2"].dtype == np.dtype(dtype)


def test_a_sweep_grid_has_one_teacher_by_default():
    """``sweep_grid``'s documented default is one teacher per point: the same sweep with ``teachers=1`` gives the same
    numbers, and with two it does not."""
    import sim.teacher_student as sts

    def run(**teachers):
        grid = sts.sweep_grid("linear", [16], [2.0], seed=np.random.SeedSequence(5), datasets=1, zetas=[0.1],
                              **teachers)
        return grid[sts.GridPoint(16, None, 2.0)]["ridge"]  # one row per teacher

    default = run()
    np.testing.assert_array_equal(default, run(teachers=1))
    assert default.shape == (1, 1) and run(teachers=2).shape == (2, 1)
