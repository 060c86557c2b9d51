"""The fixed table of functions and constants a formula may use (see :mod:`theory._parser`).

Every elementwise activation of ``torch.nn.functional`` is here under its lower-case name, with
its parameters and PyTorch's defaults (``leaky_relu(x, 0.01)``; ``gelu_tanh`` is
``gelu(x, approximate='tanh')``; ``prelu``'s default is ``nn.PReLU``'s initial weight and ``rrelu``
is its evaluation-mode form).  Each is defined once, here, and tested against PyTorch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp

from .errors import BadInput

#: SELU's constants as PyTorch writes them (Klambauer et al. 2017), read exactly
_SELU_ALPHA = sp.Rational("1.6732632423543772848170429916717")
_SELU_SCALE = sp.Rational("1.0507009873554804934193349852946")


@dataclass(frozen=True)
class Function:
    """A callable name: how to build it, its parameters (name, default or None when required)
    after the first argument, and how often it repeats its argument (bounds the tree's growth)."""

    build: Callable[..., sp.Expr]
    doc: str = ""
    params: tuple[tuple[str, sp.Expr | None], ...] = ()
    variadic: bool = False
    copies: int = 1

    @property
    def min_args(self) -> int:
        return 1 + sum(default is None for _, default in self.params)

    @property
    def max_args(self) -> int | None:
        return None if self.variadic else 1 + len(self.params)

    def signature(self) -> str:
        if self.variadic:
            return "(a[, b, ...])"
        params = "".join(f", {name}" if default is None else f"[, {name}={sp.sstr(default)}]"
                         for name, default in self.params)
        return f"(z{params})"

    def call(self, z: sp.Expr, *given: sp.Expr) -> sp.Expr:
        """The expression for ``z`` and the given parameters (defaults for the rest)."""
        values = list(given) + [default for _, default in self.params[len(given):]]
        return self.build(z, *values)


def _sigmoid(z: sp.Expr) -> sp.Expr:
    return 1 / (1 + sp.exp(-z))


def _relu(z: sp.Expr) -> sp.Expr:
    return sp.Max(0, z)


def _leaky(z: sp.Expr, slope: sp.Expr) -> sp.Expr:
    return sp.Max(0, z) + slope * sp.Min(0, z)


def _elu(z: sp.Expr, alpha: sp.Expr, scale: sp.Expr = sp.Integer(1)) -> sp.Expr:
    """PyTorch's ``x if x > 0 else alpha*(exp(x/scale) - 1)`` (celu divides by alpha)."""
    return sp.Piecewise((z, z > 0), (alpha * (sp.exp(z / scale) - 1), True))


def _positive(name: str, value: sp.Expr) -> sp.Expr:
    if not value.is_positive:
        raise BadInput(f"{name} must be > 0, got {sp.sstr(value)}")
    return value


def _nonnegative(name: str, value: sp.Expr) -> sp.Expr:
    if not value.is_nonnegative:
        raise BadInput(f"{name} must be >= 0, got {sp.sstr(value)}")
    return value


def _softplus(z: sp.Expr, beta: sp.Expr, threshold: sp.Expr) -> sp.Expr:
    beta = _positive("softplus's beta", beta)
    return sp.Piecewise((z, beta * z > threshold), (sp.log(1 + sp.exp(beta * z)) / beta, True))


def _softshrink(z: sp.Expr, lambd: sp.Expr) -> sp.Expr:
    lambd = _nonnegative("softshrink's lambd", lambd)
    return sp.Piecewise((z - lambd, z > lambd), (z + lambd, z < -lambd), (0, True))


def _hardshrink(z: sp.Expr, lambd: sp.Expr) -> sp.Expr:
    lambd = _nonnegative("hardshrink's lambd", lambd)
    return sp.Piecewise((z, z > lambd), (z, z < -lambd), (0, True))


def _hardtanh(z: sp.Expr, low: sp.Expr, high: sp.Expr) -> sp.Expr:
    if not (high - low).is_positive:
        raise BadInput(f"hardtanh needs min_val < max_val, got {sp.sstr(low)} and {sp.sstr(high)}")
    return sp.Min(sp.Max(z, low), high)


_HALF = sp.Rational(1, 2)
FUNCTIONS: dict[str, Function] = {
    "exp": Function(sp.exp, "e**z"),
    "log": Function(lambda z, base: sp.log(z) / sp.log(base), "natural log; log(z, b) is base b",
                    params=(("b", sp.E),)),
    "ln": Function(sp.log, "natural log"),
    "sqrt": Function(sp.sqrt),
    "abs": Function(sp.Abs, "|z|"),
    "sign": Function(sp.sign, "-1, 0 or 1"),
    "sin": Function(sp.sin),
    "cos": Function(sp.cos),
    "tan": Function(sp.tan),
    "asin": Function(sp.asin),
    "acos": Function(sp.acos),
    "atan": Function(sp.atan),
    "sinh": Function(sp.sinh),
    "cosh": Function(sp.cosh),
    "tanh": Function(sp.tanh),
    "asinh": Function(sp.asinh),
    "acosh": Function(sp.acosh),
    "atanh": Function(sp.atanh),
    "erf": Function(sp.erf),
    "erfc": Function(sp.erfc, "1 - erf(z)"),
    "Heaviside": Function(sp.Heaviside, "step, 1/2 at 0"),
    "Max": Function(sp.Max, "largest argument", variadic=True),
    "Min": Function(sp.Min, "smallest argument", variadic=True),
    # torch.nn.functional's elementwise activations, PyTorch's defaults
    "sigmoid": Function(_sigmoid, "1/(1+exp(-z))"),
    "logsigmoid": Function(lambda z: -sp.log(1 + sp.exp(-z)), "-log(1+exp(-z))"),
    "softplus": Function(_softplus, "log(1+exp(beta*z))/beta, z where beta*z > threshold",
                         params=(("beta", sp.Integer(1)), ("threshold", sp.Integer(20))), copies=3),
    "relu": Function(_relu, "Max(0, z)"),
    "relu6": Function(lambda z: sp.Min(sp.Max(0, z), 6), "Min(Max(0, z), 6)"),
    "leaky_relu": Function(_leaky, "Max(0,z) + negative_slope*Min(0,z)",
                           params=(("negative_slope", sp.Rational(1, 100)),), copies=2),
    "prelu": Function(_leaky, "leaky_relu with slope weight (nn.PReLU's initial 0.25)",
                      params=(("weight", sp.Rational(1, 4)),), copies=2),
    "rrelu": Function(lambda z, lower, upper: _leaky(z, (lower + upper) / 2),
                      "evaluation mode: leaky_relu with slope (lower+upper)/2",
                      params=(("lower", sp.Rational(1, 8)), ("upper", sp.Rational(1, 3))), copies=2),
    "elu": Function(_elu, "z if z > 0 else alpha*(exp(z)-1)", params=(("alpha", sp.Integer(1)),), copies=2),
    "celu": Function(lambda z, alpha: _elu(z, alpha, _positive("celu's alpha", alpha)),
                     "z if z > 0 else alpha*(exp(z/alpha)-1)", params=(("alpha", sp.Integer(1)),), copies=2),
    "selu": Function(lambda z: _SELU_SCALE * _elu(z, _SELU_ALPHA), "scale*elu(z, alpha), PyTorch's constants",
                     copies=2),
    "gelu": Function(lambda z: z * (1 + sp.erf(z / sp.sqrt(2))) / 2, "z*(1+erf(z/sqrt(2)))/2", copies=2),
    "gelu_tanh": Function(
        lambda z: z * (1 + sp.tanh(sp.sqrt(2 / sp.pi) * (z + sp.Rational("0.044715") * z**3))) / 2,
        "gelu(z, approximate='tanh')", copies=3),
    "silu": Function(lambda z: z * _sigmoid(z), "z*sigmoid(z)", copies=2),
    "mish": Function(lambda z: z * sp.tanh(sp.log(1 + sp.exp(z))), "z*tanh(log(1+exp(z)))", copies=2),
    "softsign": Function(lambda z: z / (1 + sp.Abs(z)), "z/(1+abs(z))", copies=2),
    "tanhshrink": Function(lambda z: z - sp.tanh(z), "z - tanh(z)", copies=2),
    "hardtanh": Function(_hardtanh, "Min(Max(z, min_val), max_val)",
                         params=(("min_val", sp.Integer(-1)), ("max_val", sp.Integer(1)))),
    "hardsigmoid": Function(lambda z: sp.Min(sp.Max(z / 6 + _HALF, 0), 1), "relu6(z+3)/6"),
    "hardswish": Function(lambda z: z * sp.Min(sp.Max(z + 3, 0), 6) / 6, "z*relu6(z+3)/6", copies=2),
    "softshrink": Function(_softshrink, "z -+ lambd outside [-lambd, lambd], else 0",
                           params=(("lambd", _HALF),), copies=5),
    "hardshrink": Function(_hardshrink, "z outside [-lambd, lambd], else 0", params=(("lambd", _HALF),), copies=4),
    "threshold": Function(lambda z, threshold, value: sp.Piecewise((z, z > threshold), (value, True)),
                          "z if z > threshold else value", params=(("threshold", None), ("value", None)), copies=2),
}
ALIASES = {"Abs": "abs", "max": "Max", "min": "Min", "heaviside": "Heaviside", "swish": "silu"}
CONSTANTS: dict[str, sp.Expr] = {"pi": sp.pi, "E": sp.E, "e": sp.E}


def lookup(name: str) -> Function | None:
    """The function called ``name`` (aliases included), or None."""
    return FUNCTIONS.get(ALIASES.get(name, name))


def describe_functions() -> str:
    """One line listing every function, its arguments and meaning, and the aliases."""
    listed = ", ".join(
        name + function.signature() + (f" = {function.doc}" if function.doc else "")
        for name, function in FUNCTIONS.items()
    )
    aliases = ", ".join(f"{alias} = {name}" for alias, name in ALIASES.items())
    return f"{listed}; aliases {aliases}"
