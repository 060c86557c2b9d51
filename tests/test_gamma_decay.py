"""zeta(h): closed forms, agreement with quadrature, properties over M, gamma, beta, inputs."""

import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from theory import DivergentExpectation, zeta, zeta_corrections
from theory.activations import softplus
from theory.symbols import M as M_SYM
from theory.symbols import T, X

FAMILIES = ("gaussian", "laplace", "uniform", "exponential")
MONOTONE = ("identity", "squared_loss", "relu", "softplus", "sigmoid", "tanh", "elu", "softsign")


@pytest.mark.parametrize(("name", "expected"), [("identity", sp.Rational(3, 4)), ("squared_loss", sp.Rational(3, 2)),
                                                ("relu", sp.Rational(3, 8))])
def test_required_closed_forms(name, expected):
    r = zeta(name, 32)
    assert r.method == "closed form"
    assert sp.simplify(r.expression - expected / M_SYM) == 0
    q = zeta(name, 32, method="quadrature")
    assert q.method == "quadrature"
    assert q.value == pytest.approx(float(expected) / 32, rel=1e-10)


def test_softplus_is_three_eighths_over_M():
    assert zeta("softplus", 32).value == pytest.approx(3 / 256, rel=1e-10)


def test_skewness_term_only_for_skewed_input():
    sym = zeta("relu", 64, input="laplace", method="quadrature")
    skew = zeta("relu", 64, input="exponential", method="quadrature")
    assert sym.skew_term == 0
    assert skew.skew_term > 0.1 * skew.value
    assert skew.value == pytest.approx(skew.sigma_term + skew.mu_term + skew.skew_term)


def test_no_bias_variant_drops_the_mean_term():
    r = zeta("squared_loss", 32, bias=False)
    assert r.mu_term == 0 and r.skew_term == 0
    assert sp.simplify(r.expression - 1 / (2 * M_SYM)) == 0


def test_empirical_sample_agrees_with_family():
    sample = np.random.Generator(np.random.PCG64(np.random.SeedSequence(7))).standard_normal(400_000)
    r = zeta("relu", 32, input=sample)
    assert r.method == "empirical"
    assert r.value == pytest.approx(3 / 256, abs=5 * r.error)


@given(M=st.integers(2, 4096), gamma=st.floats(0.1, 5), beta=st.floats(-3, 3),
       family=st.sampled_from(FAMILIES), name=st.sampled_from(MONOTONE))
def test_M_times_zeta_is_independent_of_M_and_nonnegative(M, gamma, beta, family, name):
    a = zeta(name, M, gamma=gamma, beta=beta, input=family, method="quadrature")
    b = zeta(name, 2 * M + 1, gamma=gamma, beta=beta, input=family, method="quadrature")
    assert M * a.value == pytest.approx((2 * M + 1) * b.value, rel=1e-12)
    assert a.value >= -1e-15  # A'' >= 0 for these activations
    assert a.F_gamma >= -1e-15 and a.mu_d2A >= -1e-15


@given(gamma=st.floats(0.1, 5), beta=st.floats(-3, 3), name=st.sampled_from(("identity", "relu", "elu")))
def test_closed_form_equals_quadrature(gamma, beta, name):
    closed = zeta(name, 32, gamma=gamma, beta=beta)
    quad = zeta(name, 32, gamma=gamma, beta=beta, method="quadrature")
    assert closed.method == "closed form"
    assert closed.value == pytest.approx(quad.value, rel=1e-10, abs=1e-14)


@given(gamma=st.floats(0.1, 5), beta=st.floats(-3, 3), family=st.sampled_from(FAMILIES))
def test_softplus_tends_to_relu(gamma, beta, family):
    relu = zeta("relu", 32, gamma=gamma, beta=beta, input=family, method="quadrature").value
    gaps = [abs(zeta(softplus(sp.Integer(t)), 32, gamma=gamma, beta=beta, input=family,
                     method="quadrature").value - relu) for t in (4, 16, 64)]
    assert gaps[2] <= gaps[1] <= gaps[0] + 1e-15
    assert gaps[2] <= 0.05 * relu + 1e-12


def test_non_monotone_activation_is_reported():
    r = zeta("gelu", 32, method="quadrature")
    assert any("not monotone" in w for w in r.warnings)
    assert not zeta("relu", 32).warnings


def test_corrections_shrink_with_M():
    z2a, z3a = zeta_corrections("tanh", 32)
    z2b, z3b = zeta_corrections("tanh", 64)
    assert z2b == pytest.approx(z2a / 4) and z3b == pytest.approx(z3a / 8)


@pytest.mark.parametrize(("kwargs", "word"), [
    ({"M": 1}, "M"), ({"M": float("nan")}, "M"), ({"gamma": 0.0}, "gamma"), ({"gamma": -1}, "gamma"),
    ({"beta": float("inf")}, "beta"), ({"input": "cauchy"}, "input"), ({"input": [1.0, 2.0]}, "input"),
    ({"method": "guess"}, "method"),
])
def test_bad_arguments(kwargs, word):
    args = {"M": 32, **kwargs}
    with pytest.raises(ValueError, match=word):
        zeta("relu", **args)


def test_any_one_symbol_is_the_variable():
    """A user's own SymPy symbol, whatever its name or assumptions, is substituted for x."""
    reference = zeta("x*tanh(x)", 32).value
    for symbol in (sp.Symbol("x"), sp.Symbol("h", positive=True), sp.Symbol("u", integer=True), X):
        assert zeta(symbol * sp.tanh(symbol), 32).value == pytest.approx(reference, rel=1e-12)


def test_two_symbols_are_refused_clearly():
    with pytest.raises(ValueError, match="one variable, found 2: t, x"):
        zeta(X * T, 32)
    with pytest.raises(ValueError, match="activation"):
        zeta(3.0, 32)
    with pytest.raises(ValueError, match="does not support"):
        zeta(sp.gamma(X), 32)


def test_formula_strings_go_through_the_safe_parser():
    r = zeta("Max(0, x)", 32)
    assert math.isclose(r.value, 3 / 256, rel_tol=1e-10)
    with pytest.raises(ValueError):
        zeta("__import__('os')", 32)


# --- determinism: closed form vs quadrature is a structural rule ---


def _slow_clock(monkeypatch):
    """Every clock jumps an hour per reading: any time limit would expire at once."""
    import time as time_module

    for name in ("time", "monotonic", "perf_counter", "process_time"):
        real = getattr(time_module, name)
        calls = [0]

        def jumped(real=real, calls=calls):
            calls[0] += 1
            return real() + 3600.0 * calls[0]

        monkeypatch.setattr(time_module, name, jumped)


@pytest.mark.parametrize(("name", "kwargs"), [("relu", {"gamma": 1.3, "beta": 0.4}), ("elu", {}),
                                              ("elu", {"gamma": 0.7, "beta": -0.3}), ("tanh", {})])
def test_method_and_value_do_not_depend_on_the_clock(name, kwargs, monkeypatch):
    from theory import _classify, _exp_poly, _singularities

    def fresh():
        for cache in (_classify.classify, _exp_poly.exp_poly_terms, _exp_poly.gaussian_type_integral,
                      _singularities.tail_points, _singularities.local_points):
            cache.cache_clear()
        return zeta(name, 32, **kwargs)

    idle = fresh()
    _slow_clock(monkeypatch)
    loaded = fresh()
    assert (loaded.method, loaded.value) == (idle.method, idle.value)
    assert idle.method == ("quadrature" if name == "tanh" else "closed form")


def test_zeta_runs_in_a_worker_thread_alike():
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        threaded = pool.submit(zeta, "elu", 32, gamma=1.3, beta=0.4).result()
    main = zeta("elu", 32, gamma=1.3, beta=0.4)
    assert (threaded.method, threaded.value) == (main.method, main.value)


def test_no_time_limit_is_used():
    import inspect

    from theory import _curvature_moments, gamma_decay

    for module in (gamma_decay, _curvature_moments):
        assert "time_limit" not in inspect.getsource(module) and "_timeout" not in inspect.getsource(module)


def test_log_partition_is_exact_for_polynomials_in_any_thread():
    from concurrent.futures import ThreadPoolExecutor

    from theory.activations import log_partition

    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(log_partition, 2 * X).result() == X**2
    assert log_partition(X) == X**2 / 2
    with pytest.raises(ValueError, match="polynomial"):
        log_partition(sp.tanh(X))


# --- distributional curvature ---


@given(gamma=st.floats(0.1, 5), beta=st.floats(-3, 3), family=st.sampled_from(FAMILIES))
def test_relu_written_three_ways_gives_one_zeta(gamma, beta, family):
    values = [zeta(a, 32, gamma=gamma, beta=beta, input=family).value for a in ("relu", "x*Heaviside(x)", "Max(x, 0)")]
    assert values[1] == pytest.approx(values[0], rel=1e-12, abs=1e-15)
    assert values[2] == pytest.approx(values[0], rel=1e-12, abs=1e-15)


def test_sign_has_a_dirac_curvature_with_the_density_at_the_kink():
    r = zeta("sign(x)", 32)
    assert r.deltas == ((0.0, 2.0),)
    # A'' = 2 delta(h): mu_d2A = 2 p(0), F_gamma = 0; zeta = mu/(2M) = p(0)/M
    assert sp.simplify(r.expression - 1 / (sp.sqrt(2 * sp.pi) * M_SYM)) == 0
    assert r.value == pytest.approx(1 / (math.sqrt(2 * math.pi) * 32), rel=1e-14)
    assert zeta("sign(x)", 32, method="quadrature").value == pytest.approx(r.value, rel=1e-12)


def test_a_jump_at_the_end_of_a_bounded_support_weighs_half_the_density():
    edge = zeta("Heaviside(x - sqrt(3))", 32, input="uniform")
    assert edge.mu_d2A == pytest.approx(1 / (4 * math.sqrt(3)), rel=1e-12)


def test_odd_curvature_under_a_symmetric_input_gives_exactly_zero():
    for formula in ("x**2", "abs(x)", "1/(1+x**2)", "exp(x**2/4)"):
        r = zeta(formula, 32)
        assert r.value == 0.0 and r.scale > 0, formula


def test_a_density_outside_the_closed_form_class_uses_quadrature_and_decides_tails():
    """The logistic density is not exp-polynomial: zeta is quadrature, and an exp-polynomial A''
    has its tail decided against the density's exp(-pi z/sqrt 3) decay (found by the fuzzer)."""
    assert zeta("relu", 32, input="logistic").method == "quadrature"
    assert 0 < zeta("Max(Min(x, pi), 3)", 2, gamma=0.3, beta=-1.0, input="logistic").value < 1e-8  # z in [13.3, 13.8]
    assert math.isfinite(zeta("exp(x)", 32, input="logistic").value)  # 1 < pi/sqrt(3)
    with pytest.raises(DivergentExpectation):
        zeta("exp(2*x)", 32, input="logistic")  # 2 > pi/sqrt(3)
