"""The zeta check of a single activation: simulation and theory agree at random parameters."""

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from verify.zeta_check import activation_check


@settings(max_examples=10)
@given(M=st.sampled_from([16, 32, 64, 128]), gamma=st.floats(0.3, 3), beta=st.floats(-2, 2),
       family=st.sampled_from(["gaussian", "laplace", "uniform"]),
       name=st.sampled_from(["identity", "relu", "softplus", "sigmoid", "tanh"]))
def test_simulation_agrees_with_theory_at_random_parameters(M, gamma, beta, family, name):
    _, check = activation_check(name, M, gamma=gamma, beta=beta, input=family, samples=2**19, seed=11)
    assert check.holds, check.to_dict()
    assert math.isfinite(check.z)
