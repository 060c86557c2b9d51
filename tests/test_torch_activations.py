"""Every activation of the formula table named after torch.nn.functional matches PyTorch (float64)
to 1e-12 on a grid that includes its kinks' neighbourhoods.  Each is called once with no
parameters against PyTorch's call with none, so the defaults are PyTorch's, and once with given
parameters (PyTorch's C functions have no inspectable signature, so the calls are the test)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from theory import numeric_function, parse_expression
from theory._parser_functions import FUNCTIONS
from theory.symbols import X

#: formula -> PyTorch call on a float64 tensor; defaults first, then given parameters
CASES = {
    "relu(x)": F.relu, "relu6(x)": F.relu6, "sigmoid(x)": torch.sigmoid, "tanh(x)": torch.tanh,
    "logsigmoid(x)": F.logsigmoid, "softplus(x)": F.softplus, "softplus(x, 2, 5)": lambda t: F.softplus(t, 2, 5),
    "leaky_relu(x)": F.leaky_relu, "leaky_relu(x, 0.2)": lambda t: F.leaky_relu(t, 0.2),
    "prelu(x)": lambda t: F.prelu(t, torch.tensor([0.25], dtype=torch.float64)),
    "prelu(x, 0.1)": lambda t: F.prelu(t, torch.tensor([0.1], dtype=torch.float64)),
    "rrelu(x)": lambda t: F.rrelu(t, training=False),
    "rrelu(x, 0.1, 0.3)": lambda t: F.rrelu(t, 0.1, 0.3, training=False),
    "elu(x)": F.elu, "elu(x, 0.5)": lambda t: F.elu(t, 0.5), "celu(x)": F.celu, "celu(x, 2)": lambda t: F.celu(t, 2.0),
    "selu(x)": F.selu, "gelu(x)": F.gelu, "gelu_tanh(x)": lambda t: F.gelu(t, approximate="tanh"),
    "silu(x)": F.silu, "mish(x)": F.mish, "softsign(x)": F.softsign, "tanhshrink(x)": F.tanhshrink,
    "hardtanh(x)": F.hardtanh, "hardtanh(x, -2, 3)": lambda t: F.hardtanh(t, -2.0, 3.0),
    "hardsigmoid(x)": F.hardsigmoid, "hardswish(x)": F.hardswish,
    "softshrink(x)": F.softshrink, "softshrink(x, 1)": lambda t: F.softshrink(t, 1.0),
    "hardshrink(x)": F.hardshrink, "hardshrink(x, 1)": lambda t: F.hardshrink(t, 1.0),
    "threshold(x, 1, -2)": lambda t: F.threshold(t, 1.0, -2.0),
}
KINKS = (-6, -3, -2, -1, -0.5, -0.25, 0, 0.25, 0.5, 1, 2.5, 3, 5, 6, 20)
GRID = np.unique(np.concatenate([
    np.linspace(-30, 30, 1201),
    *[k + np.array([-1e-6, -1e-9, -1e-12, 0.0, 1e-12, 1e-9, 1e-6]) for k in KINKS],
]))


def test_every_torch_activation_is_tested():
    named = {text.split("(")[0] for text in CASES}
    torch_like = set(FUNCTIONS) - {"exp", "log", "ln", "sqrt", "abs", "sign", "sin", "cos", "tan", "asin", "acos",
                                   "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "erf", "erfc", "Heaviside",
                                   "Max", "Min"}
    assert torch_like <= named


@pytest.mark.parametrize("text", sorted(CASES))
def test_matches_torch(text):
    ours = numeric_function(parse_expression(text), X)(GRID)
    theirs = CASES[text](torch.from_numpy(GRID)).numpy()
    assert np.all(np.abs(ours - theirs) <= 1e-12 * np.maximum(1.0, np.abs(theirs))), text
