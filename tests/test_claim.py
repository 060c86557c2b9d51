"""Claims as data: each rule computes its verdict from its own inputs, a claim that is not
confirmed must say what holds instead, and the report renders every field."""

from __future__ import annotations

import json

import pytest
import sympy as sp

from verify.claim import Agreement, AllOf, Claim, Derived, Direction, Equality, Number

M, rho = sp.symbols("M rho", positive=True)


@pytest.mark.parametrize(("rule", "verdict"), [
    (Equality(3 / (2 * M), sp.Rational(3, 2) / M), "confirmed"),
    (Equality(3 / (2 * M), 3 / (2 * M) + 7 / (16 * M**2), leading=3 / (2 * M)), "leading-order"),
    (Equality(3 / (2 * M), 1 / (2 * M), leading=1 / (2 * M)), "contradicted"),
    (Derived(True, "a derivation"), "confirmed"),
    (Derived(False, "a derivation"), "contradicted"),
    (Agreement(1.0, 1.04, 0.01, k=4.5), "confirmed"),
    (Agreement(1.0, 1.05, 0.01, k=4.5), "contradicted"),
    (Agreement(1.0, 1.05, 0.01, k=4.5, bias=0.01), "confirmed"),
    (Direction(0.2, 0.01, 4.5, "a minus b"), "confirmed"),
    (Direction(-0.2, 0.01, 4.5, "a minus b"), "contradicted"),
    (Direction(0.02, 0.01, 4.5, "a minus b"), "not supported"),
])
def test_rules_decide(rule, verdict):
    assert rule.verdict() == verdict
    assert rule.describe() and json.dumps(rule.to_dict())


def test_all_of_takes_the_weakest():
    yes, no = Derived(True, "x"), Derived(False, "y")
    unsure = Direction(0.0, 1.0, 4.5, "d")
    assert AllOf((yes, yes), "b").verdict() == "confirmed"
    assert AllOf((yes, unsure), "b").verdict() == "not supported"
    assert AllOf((unsure, no), "b").verdict() == "contradicted"


def test_a_claim_that_is_not_confirmed_needs_a_correction():
    with pytest.raises(ValueError, match="needs a correction"):
        Claim("x", "1.1", "printed", Derived(False, "basis"))
    c = Claim("x", "1.1", "ζ = 3/(2M)", Equality(3 / (2 * M), 1 / (2 * M)), correction="ζ = 1/(2M)",
              evidence=(Number("simulated", 0.0157, 0.0001), Number("exact", 1 / 64, exact=True),
                        Number("a divergent mean", None)),
              printed_expr=3 / (2 * M), derived_expr=1 / (2 * M), scale="N = 4")
    d = c.to_dict()
    assert d["verdict"] == "contradicted" and d["printed_latex"] == r"\frac{3}{2 M}"
    assert "simulated 0.0157 ± 0.0001" in d["evidence_text"] and "does not exist" in d["evidence_text"]
    assert d["evidence"][2]["value"] is None and "scale: N = 4" in d["evidence_text"]
    assert "contradicted" in c.text() and "-> ζ = 1/(2M)" in c.text()
    json.dumps(d, allow_nan=False)
