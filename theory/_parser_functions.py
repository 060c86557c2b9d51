"""The fixed table of functions and constants a formula may use (see :mod:`theory._parser`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp


@dataclass(frozen=True)
class Function:
    """A callable name: how many arguments, how to build it, and how often it repeats them."""

    build: Callable[..., sp.Expr]
    doc: str = ""
    min_args: int = 1
    max_args: int | None = 1
    copies: int = 1  # times the argument appears in the result (bounds the tree's growth)

    def signature(self) -> str:
        if self.max_args == 1:
            return "(z)"
        return "(z[, base])" if self.max_args == 2 else "(a[, b, ...])"


def _sigmoid(z: sp.Expr) -> sp.Expr:
    return 1 / (1 + sp.exp(-z))


FUNCTIONS: dict[str, Function] = {
    "exp": Function(sp.exp, "e**z"),
    "log": Function(sp.log, "natural log; log(z, b) is base b", max_args=2),
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
    "Max": Function(sp.Max, "largest argument", max_args=None),
    "Min": Function(sp.Min, "smallest argument", max_args=None),
    "sigmoid": Function(_sigmoid, "1/(1+exp(-z))"),
    "softplus": Function(lambda z: sp.log(1 + sp.exp(z)), "log(1+exp(z))"),
    "relu": Function(lambda z: sp.Max(0, z), "Max(0, z)"),
    "gelu": Function(lambda z: z * (1 + sp.erf(z / sp.sqrt(2))) / 2, "z*(1+erf(z/sqrt(2)))/2", copies=2),
    "silu": Function(lambda z: z * _sigmoid(z), "z*sigmoid(z)", copies=2),
    "softsign": Function(lambda z: z / (1 + sp.Abs(z)), "z/(1+abs(z))", copies=2),
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
