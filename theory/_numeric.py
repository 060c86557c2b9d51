"""Array functions of bnreg's own SymPy expressions in ``x``, for NumPy or any array library whose
arrays name their namespace (``x.__array_namespace__()``: NumPy 2, CuPy).

Only expressions that bnreg built (its own symbols; user formulas go through the safe parser,
which never creates a user-named symbol) reach :func:`sympy.lambdify` here.  No array library but
NumPy is imported: a caller on another backend passes that backend's ``modules`` (see
:func:`sim.lambdify_modules`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import sympy as sp


def numpy_modules() -> list:
    """``lambdify`` modules for NumPy: Heaviside with H(0) = 1/2 and SciPy's erf, erfc."""
    import scipy.special as special  # noqa: PLC0415

    return [{"Heaviside": lambda x, h0=0.5: np.heaviside(x, h0), "erf": special.erf, "erfc": special.erfc}, "numpy"]


def numeric_function(expr: sp.Expr, variable: sp.Symbol, modules: Sequence[Any] | None = None) -> Callable[[Any], Any]:
    """``f(array) -> array`` evaluating ``expr`` elementwise, the result broadcast to the argument's
    shape and dtype in the argument's own namespace (default ``modules``: :func:`numpy_modules`).

    Parameters
    ----------
    expr : sympy.Expr
        The expression to evaluate.
    variable : sympy.Symbol
        Its variable.
    modules : sequence, optional
        :func:`sympy.lambdify` modules; default :func:`numpy_modules`.

    Returns
    -------
    callable
        ``f(x)`` for an array ``x`` (NumPy or any array-API namespace).
    """
    f = sp.lambdify(variable, expr, modules=list(modules) if modules is not None else numpy_modules())

    def evaluate(x):
        xp = x.__array_namespace__() if hasattr(x, "__array_namespace__") else np
        return xp.broadcast_to(xp.asarray(f(x), dtype=x.dtype), x.shape)

    return evaluate
