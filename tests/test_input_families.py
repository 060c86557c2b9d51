"""The input-distribution registry: every entry is standardized (derived from its density), its
sampler draws from its density, and the command lines offer exactly the registry's names."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from scipy import integrate, stats

from sim import InputSampler, default_rng
from theory import INPUT_FAMILIES
from verify.activation import build_parser

FAMILIES = sorted(INPUT_FAMILIES)


@pytest.mark.parametrize("name", FAMILIES)
def test_density_is_standardized(name):
    fam = INPUT_FAMILIES[name]
    assert [fam.moment(j) for j in (0, 1, 2)] == [1, 0, 1]


@pytest.mark.parametrize("name", FAMILIES)
def test_sampler_draws_from_the_density(name):
    fam = INPUT_FAMILIES[name]
    z = fam.variable
    pdf = sp.lambdify(z, fam.density, "numpy")
    lo, hi = (float(b) for b in fam.support)

    def cdf(x):
        x = np.clip(np.atleast_1d(x), lo, hi)
        return np.array([integrate.quad(lambda t: float(pdf(t)), lo if np.isfinite(lo) else -40, v,
                                        points=[0.0] if lo < 0 < v else None)[0] for v in x])

    draws = InputSampler(name).draw(default_rng(np.random.SeedSequence(5)), (4000,))
    assert stats.kstest(draws, cdf).pvalue > 1e-3
    assert abs(draws.mean()) < 5 / np.sqrt(4000) and abs(draws.var() - 1) < 0.2


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_draws_keep_the_dtype(dtype):
    for name in FAMILIES:
        assert INPUT_FAMILIES[name].draw(default_rng(np.random.SeedSequence(1)), (3, 4), dtype).dtype == dtype


def test_cli_offers_the_registry():
    action = next(a for a in build_parser()._actions if a.dest == "input")
    assert tuple(action.choices) == tuple(INPUT_FAMILIES)


def test_unknown_family_is_refused():
    with pytest.raises(ValueError, match="input must be one of"):
        InputSampler("cauchy")


@pytest.mark.parametrize("name", [n for n in FAMILIES if INPUT_FAMILIES[n].mgf is not None])
def test_a_moment_generating_function_matches_its_density(name):
    """An MGF is an input assumption: the moments derived from it are those of the density."""
    fam = INPUT_FAMILIES[name]
    f = sp.lambdify(fam.variable, fam.density, "numpy")
    lo, hi = (float(b) for b in fam.support)
    for j in range(9):
        numeric, _ = integrate.quad(lambda t: t**j * float(f(t)), max(lo, -60), min(hi, 60), limit=200)
        assert float(fam.moment(j)) == pytest.approx(numeric, rel=1e-8, abs=1e-10), j
