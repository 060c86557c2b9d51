"""Properties pinned by the fifth mutation round (docs/mutation.md, samples E and F): each test states what it
pins and gets its expected value by an independent route (a count that is exact, a known closed form, a
quadrature, an invariant)."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import sympy as sp

from theory import _marchenko_pastur as mp
from theory import bn_student as bs
from theory import network_regularizer as nr
from theory import teacher_student as ts
from theory.errors import BadInput
from theory.gamma_decay import zeta


def test_a_constant_has_no_bai_silverstein_correction():
    """sum_i f(mu_i) of a constant f is p f exactly, so its 1/n correction is 0; a constant added to f adds none."""
    y = sp.Rational(1, 3)
    assert mp.bai_silverstein_mean(sp.Integer(1), y) == 0
    f = 1 / (mp.x + 2)
    assert sp.simplify(mp.bai_silverstein_mean(f + 5, y) - mp.bai_silverstein_mean(f, y)) == 0


#: every public number-valued function of Part 2's theory with a valid call; each argument is validated
VALID_CALLS = [
    (ts.bn_interpolation_error, {"alpha": 0.5, "zeta_loss": 0.1, "delta": 0.5}),
    (ts.mp_stieltjes, {"alpha": 2.0, "zeta": 0.1}),
    (ts.optimal_zeta, {"delta": 0.5}),
    (ts.ridge_correction, {"alpha": 2.0, "zeta": 0.1, "delta": 0.5}),
    (ts.sgd_error, {"alpha": 2.0, "delta": 0.5}),
    (ts.sgd_error_finite, {"N": 32, "P": 64, "delta": 0.5}),
    (ts.wn_error, {"alpha": 2.0, "zeta": 0.1, "delta": 0.5}),
    (ts.wn_error_finite, {"alpha": 2.0, "zeta": 0.1, "delta": 0.5, "N": 32}),
    (ts.zeta_map, {"zeta_loss": 0.1, "alpha": 2.0}),
    (ts.bn_equivalent_zeta, {"M": 32}),
    (bs.bn_chi_factor, {"M_value": 32}),
    (bs.bn_student_error, {"alpha_value": 2.0, "M_value": 32, "delta_value": 0.5}),
    (bs.bn_student_gamma, {"alpha_value": 2.0, "M_value": 32, "delta_value": 0.5}),
    (bs.bn_student_overlap, {"alpha_value": 2.0, "M_value": 32, "delta_value": 0.5}),
    (bs.effective_ridge_zeta, {"alpha_value": 2.0, "M_value": 32, "delta_value": 0.5}),
    (bs.pn_student_error, {"alpha_value": 2.0, "delta_value": 0.5}),
]
_RULE = re.compile(r"(?P<name>\w+) must be (?:finite and (?P<sign>>=?) 0|an integer >= (?P<least>[12])), "
                   r"got (?P<got>.+)")


@pytest.mark.parametrize(("fn", "valid", "param"), [(f, v, p) for f, v in VALID_CALLS for p in v],
                         ids=lambda x: getattr(x, "__name__", None) if callable(x) else None)
def test_a_bad_argument_gets_the_rule_it_broke_in_one_line_naming_it(fn, valid, param):
    """The message names the argument (without the ``_value`` suffix), states its rule and quotes the value,
    and the rule stated is the rule applied: a bound is refused exactly when the message says it is."""
    for bad in (math.nan, -1.0):
        with pytest.raises(BadInput) as err:
            fn(**{**valid, param: bad})
        rule = _RULE.fullmatch(str(err.value))
        assert rule is not None, str(err.value)
        assert rule["name"] == param.removesuffix("_value") and rule["got"] == repr(bad)
    if rule["least"]:
        refused, accepted = int(rule["least"]) - 1, int(rule["least"])
    else:
        refused, accepted = (0.0, None) if rule["sign"] == ">" else (-1e-300, 0.0)
    with pytest.raises(BadInput, match=f"^{rule['name']} must be"):
        fn(**{**valid, param: refused})
    if accepted is not None:
        fn(**{**valid, param: accepted})


@pytest.mark.parametrize("direction_term", [False, True])
def test_the_bn_students_gamma_at_alpha_one_is_the_limit_from_either_side(direction_term):
    """alpha = 1 has its own branch (the two sides' forms are 0/0 or singular there); gamma is continuous."""
    at = [float(bs.bn_student_gamma(a, 32, 0.5, direction_term=direction_term)) for a in (1 - 1e-9, 1.0, 1 + 1e-9)]
    assert at[1] == pytest.approx(at[0], rel=1e-7) and at[1] == pytest.approx(at[2], rel=1e-7)


def test_a_running_variance_is_the_unbiased_variance_of_its_units_with_the_variance_estimates_error():
    """Streamed in two chunks about a shift, the variance is numpy's ddof=1 variance, and its standard error is
    sqrt((mu4 - var^2 (n-3)/(n-1))/n) from the central moments (the sample variance's variance)."""
    from sim._streaming import RunningVariance  # noqa: PLC0415 - the streaming estimators have no public name

    x = np.array([1.0, 2.0, 4.0, 7.0, 11.0, 16.0])
    running = RunningVariance(shift=3.0)
    running.add(np, x[:2])
    running.add(np, x[2:])
    got, n = running.estimate(), x.size
    central = x - x.mean()
    var_b, mu4 = np.mean(central**2), np.mean(central**4)
    assert got.value == pytest.approx(np.var(x, ddof=1), rel=1e-12) and got.units == n
    assert got.stderr == pytest.approx(math.sqrt((mu4 - var_b**2 * (n - 3) / (n - 1)) / n), rel=1e-12)


@pytest.mark.gpu
def test_cupys_heaviside_is_numpys_on_each_side_and_at_zero():
    """lambdify's CuPy modules bring their own Heaviside (CuPy has none): 0 below, 1 above, H(0) as asked."""
    from sim._backend import lambdify_modules  # noqa: PLC0415 - the CuPy table has no public name

    cupy = pytest.importorskip("cupy")
    x = sp.Symbol("x", real=True)
    points = np.array([-2.0, -1e-300, 0.0, 1e-300, 3.0])
    for h0 in (0, sp.Rational(1, 2), 1):
        on_gpu = sp.lambdify(x, sp.Heaviside(x, h0), modules=lambdify_modules(cupy))(cupy.asarray(points))
        np.testing.assert_array_equal(cupy.asnumpy(on_gpu), np.heaviside(points, float(h0)))


@pytest.mark.parametrize("activation", ["heaviside(x)", "sign(x)", "x + heaviside(x - 0.3)"])
@pytest.mark.parametrize("bias", [True, False])
def test_zeta_of_an_activation_with_a_jump_by_quadrature_is_its_closed_form_off_the_centre(activation, bias):
    """A jump puts a Dirac delta into A''; quadrature places it at z = (jump - beta)/gamma, which only a beta
    other than 0 and an asymmetric input (the exponential) tell from (kink + beta)/gamma."""
    closed, quadrature = (zeta(activation, 32, gamma=1.3, beta=0.7, input="exponential", bias=bias, method=m).value
                          for m in ("closed form", "quadrature"))
    assert quadrature == pytest.approx(closed, rel=1e-12)


_GAMMA, _UNIT_COV = np.ones(2), np.eye(4)  # a layer of C = 2 channels


@pytest.mark.parametrize(("call", "message"), [
    (lambda: nr.gamma_decay_matrix(np.eye(3), _GAMMA, _UNIT_COV, 8),
     "the Hessian must be a (4, 4) matrix over (beta, gamma), got (3, 3)"),
    (lambda: nr.shift_covariance(_GAMMA, np.eye(3), 8),
     "gamma must be a vector of C scales and cov a (2C, 2C) matrix, got (2,) and (3, 3)"),
    (lambda: nr.shift_covariance(_GAMMA, np.triu(np.ones((4, 4))), 8),
     "the covariance of (u, v) over units must be symmetric"),
    (lambda: nr.first_order_term(_GAMMA, _UNIT_COV, 8, np.zeros((2, 3)), np.zeros((2, 2, 2))),
     "grad must have shape (2, 2) and grad_cov (2, 2, 2), got (2, 3), (2, 2, 2)"),
    (lambda: nr.effective_batch_size(np.ones(2), np.ones(3), 8),
     "variance and cov_uu must be vectors of one length, got (2,) and (3,)"),
    (lambda: nr.effective_batch_size(np.ones(2), -np.ones(2), 8), "variance and cov_uu must be non-negative"),
    (lambda: nr.effective_batch_size(-np.ones(2), np.ones(2), 8), "variance and cov_uu must be non-negative"),
], ids=["hessian", "cov", "symmetric", "grad", "lengths", "negative-cov", "negative-variance"])
def test_a_bad_layer_is_refused_with_the_shapes_it_needs_and_got(call, message):
    """The network regularizer's refusals say, in full, what a layer of C channels needs and what came."""
    with pytest.raises(BadInput) as err:
        call()
    assert str(err.value) == message


def test_an_activation_that_cannot_be_analysed_says_why_in_at_most_300_characters(monkeypatch):
    """A library failure inside the analysis (here a long ArithmeticError) is bad input, its message cut at 300."""
    import theory.gamma_decay as gamma_decay  # noqa: PLC0415 - the analysis step is patched where it is looked up

    def failing(*args):
        raise ArithmeticError("x" * 400)

    monkeypatch.setattr(gamma_decay, "classify", failing)
    with pytest.raises(BadInput) as err:
        gamma_decay.classified(sp.Symbol("x"), "gaussian", 1.0, 0.0)
    assert str(err.value) == ("cannot analyse this activation (ArithmeticError: " + "x" * 400)[:300]


def test_the_progress_bar_counts_tasks_on_stderr(capsys):
    """Asked for, the progress of a set of jobs is a bar on stderr labelled "tasks", out of the tasks' total (it
    is cleared when done)."""
    from sim import Job, run_jobs  # noqa: PLC0415

    assert run_jobs([Job((1, 2, 3), abs, sweep=False)], progress=True) == [{1: 1, 2: 2, 3: 3}]
    captured = capsys.readouterr()
    assert captured.out == "" and re.search(r"\rtasks: +0%.* 0/3 ", captured.err)


def test_a_tail_decided_numerically_says_that_it_grows_and_how_fast():
    """exp(x^2/4) + sin(x) is not a closed form the tail test decides exactly; the numerical decision says its
    squared curvature times the Gaussian density grows (like |n|^2: A'' ~ (x/2) e^{x^2/4})."""
    note = zeta("exp(x**2/4)+sin(x)", 16).monte_carlo
    found = re.fullmatch(r"the Monte-Carlo variance is infinite: \|A''\(h\)\|\^2 n\^0 times the gaussian density "
                         r"grows as h -> -oo \(like \|n\|\^(?P<slope>[0-9.]+)\)", note or "")
    assert found is not None and float(found["slope"]) == pytest.approx(2, abs=0.05), note  # a fitted slope


@pytest.mark.parametrize(("alpha", "zeta_loss", "delta"), [(0.3, 0.2, 0.7), (0.8, 0.0, 1.5), (0.5, 1.0, 0.0)])
def test_the_interpolating_bn_prediction_is_the_rescaled_least_squares_direction(alpha, zeta_loss, delta):
    r"""For :math:`\alpha<1` BN as PN with training-set statistics and gamma decay predicts
    :math:`\gamma_*^2-2\gamma_*\sqrt{\alpha(1-\alpha)/(1-\alpha+\delta^2)}+1`,
    :math:`\gamma_*=\sqrt{1+\delta^2}/(1+\zeta_L)`: the least-squares direction's overlap, rescaled (written out
    here in NumPy, independently of the SymPy derivation).  Kills :math:`\delta^2` made :math:`\delta^3`."""
    g = math.sqrt(1 + delta**2) / (1 + zeta_loss)
    expected = g * g - 2 * g * math.sqrt(alpha * (1 - alpha) / (1 - alpha + delta**2)) + 1
    assert ts.bn_interpolation_error(alpha, zeta_loss, delta) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(("activation", "order"), [("sign(x)*sqrt(abs(x))", "0.5"), ("sign(x)*abs(x)**(1/3)", "0.667")])
def test_a_curvature_whose_square_is_not_integrable_at_a_point_says_its_order_there(activation, order):
    r""":math:`g=\operatorname{sign}(x)|x|^{p}` has :math:`A''=g'\sim|x|^{p-1}` at 0: integrable (ζ exists) but, for
    :math:`p\le 1/2`, not squared, so the Monte-Carlo check has no standard error.  The note gives the order of
    :math:`A''` itself, :math:`1-p`, not that of its square.  Kills the order :math:`(s+2)/\mathrm{power}` made
    :math:`(s+2)\cdot\mathrm{power}`."""
    assert zeta(activation, 16).monte_carlo == (f"the Monte-Carlo variance is infinite: |A''| ~ |h - 0|^-{order} near "
                                                "h = 0, which is not integrable squared")


def test_a_function_real_except_at_single_points_is_judged_by_its_singularities_there():
    r""":math:`\operatorname{atanh}(\sin^2x-1)` is real except where :math:`\sin x=0`, single points (infinitely many)
    where it is :math:`-\infty`.  A condition :math:`w\ge0` that holds everywhere leaves no interval to refuse,
    whatever its zeros; so bnreg does not give up on the infinitely many zeros of :math:`\sin^2 x` ("cannot
    decide where it is real", before) but answers: near 0, :math:`A''\sim 1/|h|`, so ζ diverges.  Found by
    mutating ``atanh``'s condition from strict to non-strict (sample I, docs/mutation.md)."""
    from theory import DivergentExpectation

    with pytest.raises(DivergentExpectation, match=r"\|A''\| ~ \|h - 0\|\^-1 near h = 0, which is not integrable$"):
        zeta("atanh(sin(x)**2 - 1)", 16)


def _derived(expr: sp.Expr, **values: float) -> float:
    """``expr`` evaluated by SymPy at 30 digits, its symbols given by name."""
    return float(sp.N(expr.subs({s: values[s.name] for s in expr.free_symbols}), 30))


ALPHA_BELOW, ALPHA_ABOVE, ZETA, DELTA = 0.3, 1.7, 0.4, 0.7  # generic: delta^2, delta^3 and delta all differ

PART2_NUMBERS = {
    "sgd_error": (lambda a: ts.sgd_error(a, DELTA),
                  lambda a: _derived(ts.sgd_error_branches()[a > 1], alpha=a, delta2=DELTA**2)),
    "wn_error": (lambda a: ts.wn_error(a, ZETA, DELTA),
                 lambda a: _derived(ts.wn_error_expr(), alpha=a, zeta=ZETA, delta2=DELTA**2)),
    "ridge_correction": (lambda a: ts.ridge_correction(a, ZETA, DELTA),
                         lambda a: _derived(ts.ridge_correction_expr()[a > 1], alpha=a, zeta=ZETA, delta2=DELTA**2)),
    "zeta_map": (lambda a: ts.zeta_map(ZETA, a), lambda a: _derived(ts.zeta_map_expr(), alpha=a, zeta=ZETA)),
    "sgd_error_finite": (lambda a: ts.sgd_error_finite(20, round(20 * a), DELTA),
                         lambda a: _derived(ts.sgd_error_finite_expr()[a > 1], N=20, P=round(20 * a), delta2=DELTA**2)),
    "optimal_zeta": (lambda a: ts.optimal_zeta(DELTA), lambda a: _derived(ts.optimal_zeta_expr(), delta2=DELTA**2)),
    "bn_equivalent_zeta": (lambda a: ts.bn_equivalent_zeta(16, mean_centering=a > 1),
                           lambda a: _derived(ts.bn_equivalent_zeta_expr(a > 1), M=16)),
    "bn_chi_factor": (lambda a: bs.bn_chi_factor(round(10 * a)), lambda a: _derived(bs.chi_factor(), M=round(10 * a))),
    "pn_student_error": (lambda a: bs.pn_student_error(a, DELTA),
                         lambda a: _derived(bs.pn_error_expr()[a > 1], alpha=a, delta2=DELTA**2)),
    "bn_student_error": (lambda a: bs.bn_student_error(a, 16, DELTA),  # u = 1/M: with the direction term
                         lambda a: _derived(bs.bn_error_expr()[a > 1], alpha=a, delta2=DELTA**2,
                                            c_M=_derived(bs.chi_factor(), M=16), u=1 / 16)),
}


@pytest.mark.parametrize("alpha", [ALPHA_BELOW, ALPHA_ABOVE], ids=["alpha<1", "alpha>1"])
@pytest.mark.parametrize("name", list(PART2_NUMBERS))
def test_a_part2_formulas_number_is_its_own_derivation_evaluated(name, alpha):
    r"""Each public number of seed §2.3 (``theory.teacher_student``, ``theory.bn_student``) is its SymPy derivation
    evaluated (SymPy at 30 digits here), on either side of :math:`\alpha=1` (the branch the number picks is the one
    the derivation holds there), at a generic :math:`\delta` (so :math:`\delta^2` passed as :math:`\delta` or
    :math:`\delta^3` shows).  Pins the plumbing between a derivation and its number: arguments in their places,
    :math:`\delta` squared, the right branch."""
    number, derived = PART2_NUMBERS[name]
    assert number(alpha) == pytest.approx(derived(alpha), rel=1e-12)


@pytest.mark.parametrize("order", [0, 4, 1.5])
def test_the_normalization_errors_expansion_has_orders_one_to_three_only(order):
    r"""The conditional normalization error is expanded in :math:`1/M` to orders 1, 2 and 3; order 0 (the
    population limit, no expansion) and 4 are refused by name.  Kills the order range starting at 0."""
    from theory.normalization_error import conditional_error_coefficients

    with pytest.raises(BadInput) as refused:
        conditional_error_coefficients(order)
    assert str(refused.value) == f"order must be 1, 2 or 3, got {order!r}"
