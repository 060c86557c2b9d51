"""Evaluate bnreg's own SymPy expressions at one point with mpmath at a chosen precision, and say
when the result cannot be trusted.

Used to probe an activation far out in the input's tails and very close to its singular points,
where float64 over- or underflows.  Deterministic (no time limits): a sum that cancels to below
``2**-(prec - 40)`` of its largest term, an ``exp`` of an argument above ``2**200`` (doubly
exponential growth; an exponential below ``exp(-2**200)`` is taken as 0) and a value that is not
real raise :class:`Unreliable` instead of returning a wrong number.
"""

from __future__ import annotations

from functools import lru_cache

import mpmath
import sympy as sp

from .symbols import X

_EXP_LIMIT = mpmath.mpf(2) ** 200
_FUNCTIONS = {
    sp.exp: mpmath.exp, sp.log: mpmath.log, sp.sin: mpmath.sin, sp.cos: mpmath.cos, sp.tan: mpmath.tan,
    sp.asin: mpmath.asin, sp.acos: mpmath.acos, sp.atan: mpmath.atan, sp.sinh: mpmath.sinh,
    sp.cosh: mpmath.cosh, sp.tanh: mpmath.tanh, sp.asinh: mpmath.asinh, sp.acosh: mpmath.acosh,
    sp.atanh: mpmath.atanh, sp.erf: mpmath.erf, sp.erfc: mpmath.erfc, sp.Abs: abs, sp.sign: mpmath.sign,
}
_GROWING = (sp.exp, sp.sinh, sp.cosh)


class erfc_of(sp.Function):  # noqa: N801 - reads like the function it is
    """``erfc`` without SymPy's rewriting of negative arguments (``erfc(-z) -> 2 - erfc(z)``), so a
    rewritten expression keeps the small complement it was given."""

    nargs = 1


class Unreliable(ArithmeticError):
    """The value at this point and precision cannot be trusted (or is not real)."""


@lru_cache(maxsize=4096)
def _constant(expr: sp.Expr, digits: int) -> mpmath.mpf:
    value = sp.N(expr, digits)
    if not value.is_Number or value in (sp.nan, sp.zoo, sp.oo, -sp.oo):
        raise Unreliable(f"{sp.sstr(expr)} is not a finite real number")
    return mpmath.mpf(str(value))


class _Evaluator:
    def __init__(self, variable: sp.Symbol, x: mpmath.mpf, digits: int) -> None:
        self.variable = variable
        self.x = x
        self.digits = digits
        self.cancel = mpmath.mpf(2) ** -(mpmath.mp.prec - 40)
        self.memo: dict[sp.Basic, mpmath.mpf] = {}

    def __call__(self, node: sp.Basic) -> mpmath.mpf:
        if node in self.memo:
            return self.memo[node]
        value = self._eval(node)
        if isinstance(value, mpmath.mpc):
            if abs(value.imag) > self.cancel * abs(value):
                raise Unreliable(f"{sp.sstr(node)} is not real here")
            value = value.real
        if not mpmath.isfinite(value):
            raise Unreliable(f"{sp.sstr(node)} is not finite here")
        self.memo[node] = value
        return value

    def _eval(self, node: sp.Basic):
        if node == self.variable:
            return self.x
        if not node.free_symbols:
            return _constant(node, self.digits)
        if isinstance(node, sp.Add):
            terms = [self(a) for a in node.args]
            total = mpmath.fsum(terms)
            largest = max(abs(t) for t in terms)
            if largest > 0 and abs(total) <= self.cancel * largest:
                raise Unreliable("a sum cancels below the working precision")
            return total
        if isinstance(node, sp.Mul):
            return mpmath.fprod(self(a) for a in node.args)
        if isinstance(node, sp.Pow):
            base, exponent = self(node.base), self(node.exp)
            if node.exp.free_symbols:
                if base <= 0:
                    raise Unreliable("a power with a variable exponent has a base <= 0")
                return self._exp(exponent * mpmath.log(base))
            if base == 0 and exponent < 0:
                raise Unreliable("division by zero")
            return mpmath.power(base, exponent)
        if isinstance(node, sp.Heaviside):
            arg = self(node.args[0])
            return mpmath.mpf(0.5) if arg == 0 else mpmath.mpf(arg > 0)
        if isinstance(node, (sp.Max, sp.Min)):
            values = [self(a) for a in node.args]
            return max(values) if isinstance(node, sp.Max) else min(values)
        function = mpmath.erfc if node.func == erfc_of else _FUNCTIONS.get(node.func)
        if function is None:
            raise Unreliable(f"no mpmath evaluation of {node.func}")
        arg = self(node.args[0])
        if node.func in _GROWING:
            return self._exp(arg, function)
        return function(arg)

    @staticmethod
    def _exp(arg, function=mpmath.exp):
        if function is mpmath.exp and arg < -_EXP_LIMIT:
            return mpmath.mpf(0)  # below exp(-2**200): zero for every purpose of the probes
        if abs(arg) > _EXP_LIMIT:
            raise Unreliable("doubly exponential growth")
        return function(arg)


def evaluate(expr: sp.Expr, x: mpmath.mpf | str | int, digits: int, variable: sp.Symbol = X) -> mpmath.mpf:
    """``expr`` at ``variable = x`` with ``digits`` significant digits; :class:`Unreliable` if it
    cannot be trusted there."""
    with mpmath.workdps(digits):
        try:
            return _Evaluator(variable, mpmath.mpf(x), digits)(expr)
        except (ValueError, ZeroDivisionError, OverflowError) as exc:  # mpmath's domain errors
            raise Unreliable(str(exc)) from None
