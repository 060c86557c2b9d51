"""NumPy (or CuPy) functions of bnreg's own SymPy expressions in ``x``.

Only expressions that bnreg built (its own symbols; user formulas go through the safe parser,
which never creates a user-named symbol) reach :func:`sympy.lambdify` here."""

from __future__ import annotations

from types import ModuleType

import numpy as np
import sympy as sp


def numeric_function(expr: sp.Expr, variable: sp.Symbol, xp: ModuleType = np):
    """``f(array) -> array`` evaluating ``expr`` elementwise with ``xp`` (NumPy or CuPy)."""
    if xp is np:
        import scipy.special as special  # noqa: PLC0415

        modules = [{"Heaviside": lambda x, h0=0.5: np.heaviside(x, h0), "erf": special.erf,
                    "erfc": special.erfc}, "numpy"]
    else:
        import cupyx.scipy.special as special  # noqa: PLC0415 - only when CuPy is in use

        modules = [{"Heaviside": lambda x, h0=0.5: xp.where(x > 0, 1.0, xp.where(x < 0, 0.0, h0)),
                    "erf": special.erf, "erfc": special.erfc}, "cupy"]
    f = sp.lambdify(variable, expr, modules=modules)

    def evaluate(x):
        return xp.broadcast_to(xp.asarray(f(x), dtype=x.dtype), x.shape)

    return evaluate
