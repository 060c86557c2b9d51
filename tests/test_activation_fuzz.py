"""Fuzzing ``verify.activation``: random formulas from the grammar, random (gamma, beta, input, M).

The property: the check returns holds / disagrees / undefined / unverifiable, or refuses with a
``ValueError`` (the CLI: exit 2 and one line) -- never another exception, never a hang past
:data:`HANG_GUARD_S` -- and it reports a finite zeta only when the expectation exists.  For the
last part the strategy also builds formulas whose answer is known by construction: a smooth,
polynomially bounded part (zeta exists under every input) plus, optionally, a pole inside the
support or a Gaussian-breaking exp(c x^2) (zeta diverges).

CI runs a derandomized, modest number of examples; ``FUZZ_EXAMPLES=5000`` runs more by hand.
"""

from __future__ import annotations

import os
import time

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from theory import INPUT_FAMILIES, FormulaError
from theory._parser_functions import FUNCTIONS
from verify import activation as cli
from verify.zeta_check import activation_check

HANG_GUARD_S = 120.0  # per example, on a loaded 2-core machine; typical examples take about a second
STATUSES = {"holds", "disagrees", "undefined", "unverifiable"}
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "30"))
FUZZ = settings(derandomize=True, database=None, deadline=None, max_examples=EXAMPLES,
                phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure prints its example as drawn
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])  # capsys is read per example
LOG = os.environ.get("FUZZ_LOG")  # a file to append "seconds status formula settings" lines to (by hand)

_LEAVES = st.sampled_from(["x", "x", "x", "1", "2", "0.5", "-1", "pi", "3"])
_UNARY = sorted(name for name, f in FUNCTIONS.items() if not f.variadic and all(d is not None for _, d in f.params))


def _compound(inner):
    return st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "**"]), inner).map(lambda t: f"({t[0]}{t[1]}{t[2]})"),
        st.tuples(st.sampled_from(_UNARY), inner).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(st.sampled_from(["Max", "Min"]), inner, inner).map(lambda t: f"{t[0]}({t[1]}, {t[2]})"),
    )


FORMULAS = st.recursive(_LEAVES, _compound, max_leaves=8)
_POLY = st.sampled_from(["x", "2*x", "x/2 + 1", "x**2/4", "1 - x", "x**2 - x"])
_BOUNDED = st.sampled_from(["tanh", "sin", "cos", "atan", "erf", "sigmoid"])
#: smooth and polynomially bounded, with all derivatives: zeta exists under every input
EXISTS = st.tuples(_BOUNDED, _POLY, _POLY).map(lambda t: f"({t[2]})*{t[0]}({t[1]})")
SETTINGS = st.fixed_dictionaries({
    "gamma": st.sampled_from([0.3, 0.7, 1.0, 1.3, 2.0]), "beta": st.sampled_from([-1.0, 0.0, 0.4, 1.5]),
    "input": st.sampled_from(sorted(INPUT_FAMILIES)), "M": st.sampled_from([2, 8, 32, 100]),
})


def _run(formula: str, p: dict) -> str | None:
    """The status, or None for a refusal (ValueError); anything else fails the test."""
    start = time.perf_counter()
    try:
        out = activation_check(formula, p["M"], gamma=p["gamma"], beta=p["beta"], input=p["input"],
                               samples=64 * p["M"], seed=7).status
    except ValueError:
        out = None
    except Exception as exc:  # noqa: BLE001 - recorded, then failed below
        out = f"{type(exc).__name__}: {exc}"
    elapsed = time.perf_counter() - start
    if LOG:
        with open(LOG, "a", encoding="utf-8") as log:
            log.write(f"{elapsed:.3f}\t{out}\t{formula}\t{p}\n")
    assert elapsed < HANG_GUARD_S, formula
    assert out is None or out in STATUSES, (formula, p, out)
    return out


def _pole_inside(p: dict, data) -> str:
    """A point of the support of h for a pole ``1/(x - a)``."""
    lo, hi = (float(e) for e in INPUT_FAMILIES[p["input"]].support)
    z = data.draw(st.sampled_from([v for v in (-1.0, -0.5, 0.25, 0.8, 1.2) if lo < v < hi]))
    return f"{p['gamma'] * z + p['beta']:.4g}"


@FUZZ
@given(formula=FORMULAS, p=SETTINGS)
def test_random_formulas_end_in_a_status_or_a_refusal(formula, p):
    try:
        status = _run(formula, p)
    except FormulaError:
        status = None  # outside the parser's bounds: a refusal
    assert status is None or status in STATUSES, (formula, p, status)


@FUZZ
@given(formula=EXISTS, p=SETTINGS)
def test_smooth_bounded_formulas_never_diverge(formula, p):
    """Refusing is allowed (e.g. quadrature of a fast oscillation missing its accuracy), diverging is not."""
    assert _run(formula, p) != "undefined"


@FUZZ
@given(formula=EXISTS, p=SETTINGS, power=st.sampled_from([1, 2]), data=st.data())
def test_a_pole_in_the_support_never_gives_a_finite_zeta(formula, p, power, data):
    status = _run(f"{formula} + 1/(x - ({_pole_inside(p, data)}))**{power}", p)
    assert status in (None, "undefined")


@FUZZ
@given(formula=EXISTS, p=SETTINGS)
def test_gaussian_breaking_growth_never_gives_a_finite_zeta(formula, p):
    c = 1 / (2 * p["gamma"] ** 2) * 1.5  # exp(c h^2) outgrows exp(-z^2/2)
    status = _run(f"{formula} + exp({c:.6g}*x**2)", {**p, "input": "gaussian"})
    assert status in (None, "undefined")


@FUZZ
@given(formula=FORMULAS, p=SETTINGS)
def test_the_cli_never_prints_a_traceback(formula, p, capsys):
    args = [formula, "--M", str(p["M"]), "--gamma", str(p["gamma"]), "--beta", str(p["beta"]),
            "--input", p["input"], "--samples", str(max(100, 64 * p["M"])), "--json"]
    try:
        code = cli.run_main(cli.main, args, prog=cli.PROG)
    except SystemExit as exit_:  # argparse's own exit after its one line
        code = exit_.code
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert code in (0, 1, 2)
    if code == 2:
        assert out == "" and len(err.splitlines()) == 1


@pytest.mark.parametrize("formula", ["exp(exp(x))", "x**x", "log(sin(x))", "tan(x)**2", "1/sin(x)", "sqrt(x**2 - 1)"])
def test_hard_formulas_are_refused_or_answered(formula):
    settings = {"gamma": 1.0, "beta": 0.0, "M": 8}
    statuses = {family: _run(formula, {**settings, "input": family}) for family in INPUT_FAMILIES}
    assert all(s is None or s in STATUSES for s in statuses.values()), statuses
