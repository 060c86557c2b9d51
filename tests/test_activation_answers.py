"""What bnreg answers for a corpus of activations, pinned: ζ with its method, error, terms and printed form, or the
refusal with its reason, as reviewed.

A typed activation goes through the parser, the classifier of its pieces, the zeros of its conditions, the tests of
finiteness at its singular points and tails, and a closed form, a quadrature or a refusal.  Each step is tested on
its own, and ``python -m verify.activation`` checks an answer against a simulation; but a change deep in one step
(a root of a kink's quadratic, the range of a periodic function's argument, a divergence note's order) shows only
for the activations that reach it, and a sampled mutation run kept finding such corners (docs/mutation.md).  The
corpus below reaches every branch of the analysis at least once (each input family, a shift and scale, no mean,
jumps, kinks, poles, domain limits, periodic and growing functions), and each answer is compared with
``tests/data/activation_answers.json`` (numbers to nine significant digits, text exactly).  After an intended
change, rewrite the file with ``python -m tests.test_activation_answers``, review its diff and run the verifier."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from theory import NAMED_ACTIVATIONS, DivergentExpectation
from theory.errors import BadInput
from theory.gamma_decay import zeta

from ._pinned_numbers import differences, plain

SNAPSHOT = Path(__file__).parent / "data" / "activation_answers.json"

TYPED = {
    "cubic": ("x**3", {}),
    "kinked quadratic": ("Max(x**2 - 1, 0)", {}),
    "abs on laplace": ("abs(x)", {"input": "laplace"}),
    "step": ("Heaviside(x - 1/2)", {}),
    "sign, shifted and scaled": ("sign(x)", {"gamma": 1.5, "beta": 0.25}),
    "clipped": ("Min(Max(x, -1), 1)", {"input": "uniform"}),
    "a jump and a kink": ("x/2 + Heaviside(x - 1) + Max(x + 1/3, 0)", {}),
    "kink off the centre, shifted": ("abs(x - 1/3)", {"gamma": 0.8, "beta": -0.4, "input": "logistic"}),
    "relu, no mean, by quadrature": ("relu", {"bias": False, "method": "quadrature"}),
    "tanh, shifted": ("tanh", {"beta": 0.7}),
    "gaussian bump": ("exp(-x**2)", {"input": "laplace"}),
    "arcsine inside its domain": ("asin(x/2)", {"input": "uniform"}),
    "arcsine outside its domain": ("asin(x/2)", {}),
    "area cosine": ("acosh(x**2 + 1)", {}),
    "exponential input": ("exp(x/3)", {"input": "exponential"}),
    "logistic input, no mean": ("x**2/2", {"input": "logistic", "bias": False}),
    "square root of a square": ("sqrt(x**2 + 1)", {}),
    "even power of a kink": ("Max(x, 0)**4", {"M": 64}),
    "sine": ("sin(2*x)", {}),
    "periodic argument": ("cos(x**2)", {"input": "uniform"}),
    "arctangent": ("atan(3*x)", {}),
    "error function": ("erf(x)", {}),
    "fractional power": ("sign(x)*abs(x)**(3/2)", {}),
    "square not integrable": ("sign(x)*sqrt(abs(x))", {}),
    "pole": ("1/x", {}),
    "pole off the centre": ("1/(x - 1)**2", {}),
    "log of a square": ("log(x**2)", {}),
    "not real": ("sqrt(x)", {}),
    "not real for part of the input": ("log(1 + x)", {"input": "exponential"}),
    "real except at points": ("atanh(sin(x)**2 - 1)", {}),
    "growth beyond the gaussian": ("exp(x**2)", {}),
    "finite with infinite variance": ("exp(x**2/4)", {}),
    "double exponential": ("exp(exp(x))", {"input": "uniform"}),
    "tangent": ("tan(x)", {}),
    "sine of a doubly growing argument": ("x*sin(exp(x**2))", {}),
    "cosine of an exponential": ("cos(exp(x))", {}),
    "error function of a doubly growing argument": ("erf(exp(x**2))", {}),
    "saturating function of a double exponential": ("tanh(exp(exp(x)))", {}),
    "complementary error function of an exponential": ("x*erfc(exp(x))", {}),
}

CASES = {**{name: (name, {}) for name in NAMED_ACTIVATIONS}, **TYPED}


def answer(activation: str, settings: dict) -> dict:
    """``zeta(activation, M=16, **settings)`` as JSON would read it back, or the refusal's kind and reason."""
    args = {"M": 16, **settings}
    try:
        return json.loads(json.dumps(plain(zeta(activation, **args).to_dict())))
    except (BadInput, DivergentExpectation, ArithmeticError) as refused:
        return {"refused": type(refused).__name__, "reason": str(refused)}


@pytest.mark.parametrize("name", list(CASES))
def test_an_activation_gets_the_answer_it_got_when_reviewed(name):
    expected = json.loads(SNAPSHOT.read_text(encoding="utf-8"))[name]
    changed = differences(expected, answer(*CASES[name]))
    assert not changed, (f"the answer for {name!r} changed: {changed[:3]} "
                         "(after an intended change: python -m tests.test_activation_answers)")


def test_the_corpus_holds_answers_and_refusals_of_each_kind():
    """The corpus is not all answers or all refusals: it has closed forms, quadratures, a ζ of exactly 0 (by
    symmetry), and refusals of both kinds it reaches (bad input, a divergent expectation)."""
    answers = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert answers.keys() == CASES.keys()
    methods = {a["method"] for a in answers.values() if "method" in a}
    refusals = {a["refused"] for a in answers.values() if "refused" in a}
    assert {"closed form", "quadrature"} <= methods
    assert any(a.get("value") == 0.0 for a in answers.values())
    assert {"BadInput", "DivergentExpectation"} <= refusals


if __name__ == "__main__":
    SNAPSHOT.write_text(json.dumps({name: answer(*case) for name, case in CASES.items()}, indent=1,
                                   ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {SNAPSHOT}")
