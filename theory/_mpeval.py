"""Evaluate bnreg's own SymPy expressions at one point with mpmath at a chosen precision, and say
when the result cannot be trusted.

Used to probe an activation far out in the input's tails and very close to its singular points,
where float64 over- or underflows.  Deterministic (no time limits): a sum that cancels to below
``2**-(prec - 40)`` of its largest term, an ``exp``, ``sinh`` or ``cosh`` of an argument above
``2**200`` (doubly exponential growth; ``exp``, ``tanh`` and ``erfc`` take their limits beyond it), a
sine, cosine or tangent of an argument whose absolute error may exceed ``2**-40``
(:func:`bounded_functions`) and a value that is not real raise :class:`Unreliable` instead of returning
a wrong number.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import mpmath
import sympy as sp

from .symbols import X

#: the functions mpmath computes through an exponential of their argument, and the value each takes beyond
#: a bound of at least ``2**200`` on either side, at any working precision below that many bits (None: it overflows)
_SATURATION = {"exp": (None, 0), "sinh": (None, None), "cosh": (None, None), "tanh": (1, -1), "erfc": (0, 2)}


class Unreliable(ArithmeticError):
    """The value at this point and precision cannot be trusted (or is not real)."""


def _saturating(function, limit_bits, above, below):
    def bounded(arg):
        if not abs(arg) > mpmath.mpf(2) ** limit_bits:  # NaN too: mpmath's own value
            return function(arg)
        limit = None if isinstance(arg, mpmath.mpc) else above if arg > 0 else below
        if limit is None:
            raise Unreliable("doubly exponential growth")
        return mpmath.mpf(limit)
    return bounded


def _periodic(name, function, headroom_bits):
    def bounded(arg):
        if abs(arg) > mpmath.mpf(2) ** (mpmath.mp.prec + headroom_bits):
            raise Unreliable(f"{name} of an argument too large for the working precision")
        return function(arg)
    return bounded


def bounded_functions(exp_limit_bits: int,
                      periodic_headroom_bits: int) -> dict[str, Callable[[mpmath.mpf], mpmath.mpf]]:
    r"""mpmath's functions whose cost grows without bound with their argument, bounded, keyed by name as
    :func:`sympy.lambdify` reads them.

    ``exp``, ``sinh``, ``cosh``, ``tanh`` and ``erfc`` of a real argument beyond :math:`\pm 2^{b}`,
    ``b = exp_limit_bits`` (200 to 500), take their limit (:math:`e^{-2^{b}}` is 0 next to any term of
    order one) or raise :class:`Unreliable` (doubly exponential growth; also a complex argument there):
    mpmath computes :math:`\ln 2` to :math:`\log_2|x|` bits, which at :math:`x = e^{10^6}` takes without end,
    at :math:`x = 2^{2^{40}}` raises ``MemoryError``, and its ``erfc`` overflows above about :math:`2^{512}`.
    ``sin``, ``cos`` and ``tan`` raise :class:`Unreliable` for an argument above
    ``2**(prec + periodic_headroom_bits)``: mpmath reduces it modulo pi with as many bits of pi as the
    argument has.  A negative headroom also refuses an argument whose last digits the working precision
    does not resolve, so that the value is not known; a positive one suits an exact argument (a node of a
    quadrature) and bounds only the cost.
    """
    functions = {name: _saturating(getattr(mpmath, name), exp_limit_bits, *limits)
                 for name, limits in _SATURATION.items()}
    for name in ("sin", "cos", "tan"):
        functions[name] = _periodic(name, getattr(mpmath, name), periodic_headroom_bits)
    return functions


#: an exponential's argument beyond 2**200 is doubly exponential growth; a periodic function's argument must
#: carry an absolute error below ``2**-40`` at the working precision
_BOUNDED = bounded_functions(200, -40)
_FUNCTIONS = {
    **{getattr(sp, name): function for name, function in _BOUNDED.items()},
    sp.log: mpmath.log, sp.asin: mpmath.asin, sp.acos: mpmath.acos, sp.atan: mpmath.atan,
    sp.asinh: mpmath.asinh, sp.acosh: mpmath.acosh, sp.atanh: mpmath.atanh, sp.erf: mpmath.erf,
    sp.Abs: abs, sp.sign: mpmath.sign,
}


class erfc_of(sp.Function):  # noqa: N801 - reads like the function it is
    """``erfc`` without SymPy's rewriting of negative arguments (``erfc(-z) -> 2 - erfc(z)``), so a
    rewritten expression keeps the small complement it was given."""

    nargs = 1


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
                return _BOUNDED["exp"](exponent * mpmath.log(base))
            if base == 0 and exponent < 0:
                raise Unreliable("division by zero")
            return mpmath.power(base, exponent)
        if isinstance(node, sp.Heaviside):
            arg = self(node.args[0])
            return mpmath.mpf(0.5) if arg == 0 else mpmath.mpf(arg > 0)
        if isinstance(node, (sp.Max, sp.Min)):
            values = [self(a) for a in node.args]
            return max(values) if isinstance(node, sp.Max) else min(values)
        function = _BOUNDED["erfc"] if node.func == erfc_of else _FUNCTIONS.get(node.func)
        if function is None:
            raise Unreliable(f"no mpmath evaluation of {node.func}")
        return function(self(node.args[0]))


def evaluate(expr: sp.Expr, x: mpmath.mpf | str | int, digits: int, variable: sp.Symbol = X) -> mpmath.mpf:
    """``expr`` at ``variable = x`` with ``digits`` significant digits; :class:`Unreliable` if it
    cannot be trusted there."""
    with mpmath.workdps(digits):
        try:
            return _Evaluator(variable, mpmath.mpf(x), digits)(expr)
        except (ValueError, ZeroDivisionError, OverflowError) as exc:  # mpmath's domain errors
            raise Unreliable(str(exc)) from None
