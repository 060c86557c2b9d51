r"""Activations :math:`g` and the GLM curvature :math:`A''=g'` (seed §1.2, §1.4).

The layers after :math:`\hat h` form a GLM :math:`p(y\mid\hat h)\propto\exp(y\hat h-A(\hat h))`
with loss :math:`\ell=A(\hat h)-y\hat h`; its link satisfies :math:`A'=g`, so the curvature
that weighs the batch noise is :math:`A''=g'`, derived here with SymPy.
"""

from __future__ import annotations

from functools import lru_cache

import sympy as sp

from .errors import BadInput
from .symbols import T, X


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


def _table(name: str) -> sp.Expr:
    from ._parser_functions import FUNCTIONS  # noqa: PLC0415 - the one definition of each activation

    return FUNCTIONS[name].call(X)


#: name -> activation g(x) (SymPy).  The seed's own (identity, squared loss, its softplus
#: log(1 + e^x) without PyTorch's linear switch above 20, and ReLU) and those of the formula table.
NAMED: dict[str, sp.Expr] = {
    "identity": X,
    "squared_loss": 2 * X,  # (h-y)^2 = h^2 - 2yh + y^2: A(h) = h^2 (labels rescaled by 2), A'' = 2
    "relu": sp.Max(0, X),
    "softplus": softplus(sp.Integer(1)),
    **{name: _table(name) for name in ("sigmoid", "tanh", "gelu", "silu", "elu", "softsign")},
}

#: SymPy classes an activation given as a SymPy expression may contain (the formula grammar's)
_ALLOWED = (
    sp.Symbol, sp.Number, sp.NumberSymbol, sp.Add, sp.Mul, sp.Pow, sp.exp, sp.log, sp.sin, sp.cos, sp.tan,
    sp.asin, sp.acos, sp.atan, sp.sinh, sp.cosh, sp.tanh, sp.asinh, sp.acosh, sp.atanh, sp.erf, sp.erfc,
    sp.Abs, sp.sign, sp.Heaviside, sp.Max, sp.Min, sp.Piecewise, sp.functions.elementary.piecewise.ExprCondPair,
    sp.core.relational.Relational, sp.logic.boolalg.BooleanAtom, sp.And, sp.Or, sp.Not,
)
_MAX_TREE = 5000


def _check_sympy(expr: sp.Expr) -> sp.Expr:
    """``expr`` in one free symbol (any name and assumptions), that symbol replaced by x."""
    for count, node in enumerate(sp.preorder_traversal(expr)):
        if count >= _MAX_TREE:
            raise BadInput(f"activation is too large: more than {_MAX_TREE} nodes")
        if not isinstance(node, _ALLOWED) or node in (sp.zoo, sp.nan, sp.oo, -sp.oo):
            raise BadInput(f"activation contains {sp.sstr(node)[:60]}, which bnreg does not support "
                             "(use the functions of the formula grammar)")
    free = sorted(expr.free_symbols, key=str)
    if len(free) > 1:
        raise BadInput(f"activation must be a function of one variable, found {len(free)}: "
                         f"{', '.join(map(str, free))}")
    out = expr.xreplace({free[0]: X}) if free else expr
    if out.has(sp.I, sp.zoo, sp.nan):
        raise BadInput("activation is not a real expression")
    return out


def activation_expression(activation: str | sp.Expr) -> sp.Expr:
    """The activation :math:`g(x)` for a name in :data:`NAMED`, a formula (read by the safe
    parser) or a SymPy expression in any one symbol, whatever its name or assumptions (it is
    substituted for x); ``ValueError`` for two or more symbols.

    Parameters
    ----------
    activation : str or sympy.Expr
        A name of :data:`theory.activations.NAMED`, a formula string (read by the safe parser) or a
        SymPy expression in one symbol.

    Returns
    -------
    sympy.Expr
        :math:`g` as an expression in :data:`theory.symbols.X`.

    Raises
    ------
    BadInput
        If ``activation`` is of another type, an unknown name, not in the formula grammar
        (:class:`~theory.FormulaError`), in two or more symbols, not real or too large.
    """
    if isinstance(activation, str):
        if activation in NAMED:
            return NAMED[activation]
        from ._parser import parse_expression  # noqa: PLC0415 - the safe parser for typed formulas

        return parse_expression(activation)
    if not isinstance(activation, sp.Expr):
        raise BadInput(f"activation must be a name, a formula string or a SymPy expression, got {activation!r}")
    return _check_sympy(activation)


@lru_cache(maxsize=256)
def curvature_parts(activation: sp.Expr) -> tuple[sp.Expr, tuple[tuple[sp.Expr, sp.Expr], ...]]:
    r""":math:`A''` split into its pointwise part (the derivative on each smooth piece of :math:`g`,
    one expression) and its Dirac terms ``(b, J)``, :math:`J` the jump of :math:`g` at :math:`b`;
    ReLU's kink uses the softplus limit (Heaviside).

    Parameters
    ----------
    activation : sympy.Expr
        The activation :math:`g` in :data:`theory.symbols.X`.

    Returns
    -------
    regular : sympy.Expr
        The pointwise part of :math:`A''`.
    deltas : tuple of (sympy.Expr, sympy.Expr)
        The Dirac terms ``(b, J)``.

    Raises
    ------
    BadInput
        If SymPy cannot differentiate a piece of ``activation``.
    """
    if activation == NAMED["relu"]:
        return relu_curvature_from_softplus(), ()
    from ._pieces import jumps, pieces  # noqa: PLC0415

    split = pieces(activation)
    regular = split.map(lambda e: sp.diff(e, X)).as_expr()
    if regular.has(sp.Derivative, sp.Subs):
        raise BadInput(f"SymPy cannot form the derivative of {activation}")
    return regular, jumps(split)


def curvature(activation: sp.Expr) -> sp.Expr:
    r""":math:`A''(x)=g'(x)` as a distribution: :func:`curvature_parts` with each jump as
    :math:`J\,\delta(x-b)`.

    Parameters
    ----------
    activation : sympy.Expr
        The activation :math:`g` in :data:`theory.symbols.X`.

    Returns
    -------
    sympy.Expr
        :math:`A''(x)`, jumps as ``DiracDelta`` terms.

    Raises
    ------
    BadInput
        If SymPy cannot differentiate a piece of ``activation``.
    """
    regular, deltas = curvature_parts(activation)
    return regular + sum((w * sp.DiracDelta(X - b) for b, w in deltas), sp.Integer(0))


def log_partition(activation: sp.Expr) -> sp.Expr:
    r""":math:`A(x)=\int_0^x g` (the GLM's log-partition up to a constant), exact, for a polynomial
    activation: the only ones whose loss gap is simulated (there the third derivative of A
    vanishes and the gap is exactly the second-order term).  ``ValueError`` for any other."""
    if not activation.is_polynomial(X):
        raise BadInput(f"log_partition is exact only for polynomial activations, not {sp.sstr(activation)}")
    return sp.Poly(activation, X).integrate().as_expr()
