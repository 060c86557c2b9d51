"""The set-partition moment engine against brute-force enumeration over a discrete distribution."""

import itertools

import sympy as sp

from theory._moments import Z, expect_product_of_sums


def _three_point():
    """A skewed three-point distribution: values and probabilities (exact rationals)."""
    values = [sp.Integer(-1), sp.Integer(0), sp.Integer(2)]
    probs = [sp.Rational(1, 3), sp.Rational(1, 2), sp.Rational(1, 6)]
    return values, probs


def _moment(j):
    values, probs = _three_point()
    return sum(p * v**j for v, p in zip(values, probs))


def test_engine_matches_enumeration_for_small_batches():
    values, probs = _three_point()
    factors_list = [[Z, Z], [Z**2 - 1, Z], [Z, Z, Z, Z], [Z**2, Z, Z], [Z**2 - 1, Z**2 - 1, Z]]
    for K in (1, 2, 3):
        for factors in factors_list:
            brute = 0
            for combo in itertools.product(range(3), repeat=K):
                p = sp.Mul(*[probs[i] for i in combo])
                xs = [values[i] for i in combo]
                brute += p * sp.Mul(*[sum(f.subs(Z, x) for x in xs) for f in factors])
            engine = expect_product_of_sums(factors, K, _moment)
            assert sp.simplify(engine - brute) == 0, (K, factors)


def test_engine_is_exact_for_symbolic_count():
    K = sp.Symbol("K", positive=True)
    assert sp.expand(expect_product_of_sums([Z] * 4, K) - (3 * K**2 + K * sp.Symbol("rho", real=True))) == 0
