r"""Activations :math:`g` and the GLM curvature :math:`A''=g'` (seed §1.2, §1.4).

The layers after :math:`\hat h` form a GLM :math:`p(y\mid\hat h)\propto\exp(y\hat h-A(\hat h))`
with loss :math:`\ell=A(\hat h)-y\hat h`; its link satisfies :math:`A'=g`, so the curvature
that weighs the batch noise is :math:`A''=g'`, derived here with SymPy.
"""

from __future__ import annotations

from functools import lru_cache

import sympy as sp

from .symbols import T, X

_SIGMOID = 1 / (1 + sp.exp(-X))


def softplus(t: sp.Expr = T) -> sp.Expr:
    r"""Softplus with temperature :math:`t`: :math:`g(x)=\tfrac1t\log(1+e^{tx})` (seed §1.4)."""
    return sp.log(1 + sp.exp(t * X)) / t


@lru_cache(maxsize=None)
def relu_curvature_from_softplus() -> sp.Expr:
    r""":math:`A''` of ReLU as the limit :math:`t\to\infty` of softplus' :math:`A''=\sigma(tx)`, taken by
    SymPy on each side of 0 and assembled as :math:`\mathrm H(x)` (seed §1.4)."""
    d2a = sp.diff(softplus(), X)
    pos, neg = sp.Symbol("p", positive=True), sp.Symbol("q", negative=True)
    right = sp.limit(d2a.subs(X, pos), T, sp.oo)
    left = sp.limit(d2a.subs(X, neg), T, sp.oo)
    return left + (right - left) * sp.Heaviside(X)


#: name -> activation g(x) (SymPy), as a researcher would write it.
NAMED: dict[str, sp.Expr] = {
    "identity": X,
    "squared_loss": 2 * X,  # (h-y)^2 = h^2 - 2yh + y^2: A(h) = h^2 (labels rescaled by 2), A'' = 2
    "relu": sp.Max(0, X),
    "softplus": softplus(sp.Integer(1)),
    "sigmoid": _SIGMOID,
    "tanh": sp.tanh(X),
    "gelu": X * (1 + sp.erf(X / sp.sqrt(2))) / 2,
    "silu": X * _SIGMOID,
    "elu": sp.Piecewise((X, X > 0), (sp.exp(X) - 1, True)),
    "softsign": X / (1 + sp.Abs(X)),
}


def activation_expression(activation: str | sp.Expr) -> sp.Expr:
    """The activation :math:`g(x)` for a name in :data:`NAMED` or a SymPy expression in ``x``."""
    if isinstance(activation, str):
        if activation in NAMED:
            return NAMED[activation]
        from ._parser import parse_expression  # noqa: PLC0415 - the safe parser for typed formulas

        return parse_expression(activation)
    if not isinstance(activation, sp.Expr):
        raise ValueError(f"activation must be a name, a formula string or a SymPy expression, got {activation!r}")
    extra = activation.free_symbols - {X}
    if extra:
        names = ", ".join(sorted(str(s) for s in extra))
        raise ValueError(f"activation may only contain the symbol x (real), found: {names}")
    return activation


@lru_cache(maxsize=256)
def curvature(activation: sp.Expr) -> sp.Expr:
    r""":math:`A''(x)=g'(x)`; ReLU's kink uses the softplus limit (Heaviside)."""
    if activation == NAMED["relu"]:
        return relu_curvature_from_softplus()
    d2a = sp.diff(activation, X)
    if d2a.has(sp.Derivative, sp.Subs):
        raise ValueError(f"SymPy cannot form the derivative of {activation}")
    # d|x|/dx = sign(x): fold the x*sign(x) it leaves back into |x| (no 0/0 at the kink)
    return d2a.replace(
        lambda e: e.is_Mul and X in e.args and sp.sign(X) in e.args,
        lambda e: e.func(*[a for a in e.args if a not in (X, sp.sign(X))]) * sp.Abs(X),
    )


@lru_cache(maxsize=64)
def log_partition(activation: sp.Expr, timeout: float = 4.0) -> sp.Expr | None:
    r""":math:`A(x)=\int_0^x g` (the GLM's log-partition up to a constant), or None when SymPy
    finds no antiderivative within ``timeout`` seconds (then the loss gap is not simulated)."""
    from ._timeout import TimeLimitExceeded, can_limit, time_limit  # noqa: PLC0415

    if not can_limit():
        return None
    s = sp.Symbol("s", real=True)
    try:
        with time_limit(timeout):
            a = sp.integrate(activation.subs(X, s), (s, 0, X))
    except TimeLimitExceeded:
        return None
    if a.has(sp.Integral) or a.has(sp.I):
        return None
    return sp.piecewise_fold(a)
