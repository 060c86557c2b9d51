"""The Monte-Carlo engine: reproducibility, inputs, streaming, bad input, and (gpu) CuPy parity."""

import numpy as np
import pytest
from scipy import stats

from sim import GLM, simulate_batch_noise
from theory import curvature
from theory.activations import NAMED


def _run(**kw):
    args = {"M": 16, "samples": 2**16, "seed": 5, "chunk_samples": 2**12}
    args.update(kw)
    return simulate_batch_noise(**args)


def test_same_seed_same_numbers_and_chunking_independent_of_streams():
    a, b = _run(), _run()
    assert a.error == b.error and a.var_sigma_B == b.var_sigma_B and a.conditional == b.conditional
    c = _run(seed=6)
    assert c.error.value != a.error.value


def test_statistical_agreement_with_exact_var_mu():
    r = _run(samples=2**18)
    assert abs(r.var_mu_B.value - 1 / 16) < 5 * r.var_mu_B.stderr


@pytest.mark.parametrize("inp", ["laplace", "uniform", "exponential", stats.gamma(3.0), np.arange(100.0)])
def test_inputs_are_standardized(inp):
    r = _run(input=inp, samples=2**17)
    # E sigma_B^2 = (M-1)/M exactly for standardized inputs (ddof 0)
    mean_s2 = r.var_sigma_B.value + r.mean_sigma_B.value**2
    assert abs(mean_s2 - 15 / 16) < 0.02


def test_float32_runs_and_agrees():
    r64, r32 = _run(samples=2**17), _run(samples=2**17, dtype="float32")
    assert r32.dtype == "float32"
    assert abs(r64.error.value - r32.error.value) < 5 * np.hypot(r64.error.stderr, r32.error.stderr)


def test_glm_terms_present():
    g = NAMED["identity"]
    r = _run(glms={"id": GLM(curvature(g), g, g**2 / 2)})
    assert set(r.second_order) == set(r.first_order) == set(r.loss_gap) == {"id"}


@pytest.mark.parametrize(("kwargs", "word"), [
    ({"M": 1}, "M"), ({"M": 3.5}, "M"), ({"samples": 3}, "samples"), ({"gamma": 0.0}, "gamma"),
    ({"ddof": 2}, "ddof"), ({"input": "cauchy"}, "input"), ({"dtype": "float16"}, "dtype"),
    ({"backend": "tpu"}, "backend"),
    ({"input": [1.0, 1.0]}, r"^input sample must hold at least 8 finite, not all equal values$"),
    ({"chunk_samples": 2}, "chunk_samples"),
    ({"bins": (1.0, 0.0)}, "bins"), ({"bins": (0.0,)}, "bins"),
])
def test_bad_input(kwargs, word):
    with pytest.raises(ValueError, match=word):
        _run(**kwargs)


@pytest.mark.gpu
def test_cupy_agrees_statistically_with_numpy():
    g = NAMED["relu"]
    glms = {"relu": GLM(curvature(g))}
    a = _run(samples=2**20, glms=glms)
    b = _run(samples=2**20, glms=glms, backend="cupy")
    assert b.backend == "cupy"
    for x, y in ((a.error, b.error), (a.second_order["relu"], b.second_order["relu"])):
        assert abs(x.value - y.value) < 5 * np.hypot(x.stderr, y.stderr)


def test_misspecified_labels_move_the_first_order_term_by_the_derived_amount():
    r"""Labels shifted off the model by :math:`m(\bar n)=(\bar n^3-3\bar n)/4` make the first-order term
    :math:`-\mathbb E[m(\bar n)\,\mathbb E[\hat h-\bar h\mid\bar n]]` (theory's derivation through
    :math:`M^{-3}`, :func:`theory.normalization_error.misspecified_first_order_terms`); labels on the model
    make it 0.  Tolerance: 4 standard errors plus the :math:`M^{-3}` term, a bound on the series' remainder
    many times larger than the :math:`M^{-4}` term it stands for.  The term is about 80 standard errors away
    from 0, so labels drawn without the shift fail (in ``verify.all`` this check runs in worker processes;
    here it runs in-process)."""
    from theory.input_families import FAMILIES
    from theory.normalization_error import misspecified_first_order_terms
    from theory.symbols import N_BAR, X

    identity = NAMED["identity"]
    misfit = (X**3 - 3 * X) / 4
    glms = {"model": GLM(curvature(identity), identity), "shifted": GLM(curvature(identity), identity, misfit=misfit)}
    r = _run(glms=glms, samples=2**20, chunk_samples=2**16, seed=11)
    terms = misspecified_first_order_terms(misfit.subs(X, N_BAR), FAMILIES["gaussian"], 16)
    shifted, model = r.first_order["shifted"], r.first_order["model"]
    assert abs(shifted.value - sum(terms)) <= 4 * shifted.stderr + abs(terms[2])
    assert abs(model.value) <= 4 * model.stderr
    assert abs(sum(terms)) > 40 * shifted.stderr
