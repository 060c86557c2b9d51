r"""The notation of bnreg: one table from each SymPy symbol to its LaTeX and its one-line text.

Every formula :mod:`theory` exports is printed through this table (:func:`latex` for papers,
:func:`text` for terminals), so that what is printed is the quantity that was derived: the
symbol ``delta2`` is :math:`\delta^2` (not :math:`\delta_2`), ``\bar{n}`` is :math:`\bar n`.

The table is keyed by the symbol's *name*, so symbols that differ only in their assumptions
(``M`` positive, ``M`` a positive integer) share one entry.  To add a symbol, add a row to
:data:`_ROWS` (or call :func:`register` from the module that introduces it); a name registered
twice with a different LaTeX is an error, so the table can never print one quantity two ways.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import sympy as sp

from ._printers import NotationLatexPrinter, NotationTextPrinter


@dataclass(frozen=True)
class Entry:
    """How the symbol called ``name`` is printed: ``latex`` (math mode), ``text`` (Unicode, one
    line) and what it stands for (``meaning``, LaTeX text with ``$...$`` for math).

    Parameters
    ----------
    name : str
        The symbol's name.
    latex : str
        LaTeX, math mode.
    text : str
        Unicode, one line.
    meaning : str
        What it stands for (LaTeX text).
    """

    name: str
    latex: str
    text: str
    meaning: str


_ROWS: tuple[tuple[str, str, str, str], ...] = (
    # name, LaTeX, text, meaning
    ("M", "M", "M", r"batch size"),
    ("u", "u", "u", r"$1/M$, the expansion parameter"),
    ("x", "x", "x", r"argument of the activation $g(x)$"),
    ("t", "t", "t", r"softplus temperature"),
    ("gamma", r"\gamma", "γ", r"BN scale"),
    ("beta", r"\beta", "β", r"BN shift"),
    (r"\mu_{\mathcal{P}}", r"\mu_{\mathcal{P}}", "μ_P", r"population mean of $h$"),
    (r"\sigma_{\mathcal{P}}", r"\sigma_{\mathcal{P}}", "σ_P", r"population standard deviation of $h$"),
    (r"\bar{n}", r"\bar{n}", "n̄", r"$(h-\mu_{\mathcal{P}})/\sigma_{\mathcal{P}}$, the standardized pre-activation"),
    ("s", "s", "s", r"skewness $m_3$ of $h$"),
    ("rho", r"\rho", "ρ", r"excess kurtosis $m_4-3$ of $h$ (0 for a Gaussian)"),
    ("e", r"\mathbb{E}\sigma_{\mathcal{B}}/\sigma_{\mathcal{P}}", "E[σ_B]/σ_P",
     r"mean batch standard deviation in units of $\sigma_{\mathcal{P}}$"),
    ("chi_M", r"\chi_{M}", "χ_M", r"mean of a $\chi$ variable with $M-1$ degrees of freedom"),
    (r"F_{\gamma}", r"F_{\gamma}", "F_γ", r"$\mathbb{E}[A''(\bar h)\bar n^2]$, the Fisher information of $\gamma$"),
    (r"\mu_{d^2A}", r"\mu_{d^2A}", "μ_{d²A}", r"$\mathbb{E}[A''(\bar h)]$, the mean curvature"),
    (r"\mathbb{E}[A''(\bar h)\bar n]", r"\mathbb{E}[A''(\bar h)\bar n]", "E[A''(h̄)n̄]",
     r"the curvature's first moment (weighs the skewness term)"),
    ("a", "a", "a", r"variance of each input coordinate ($\Sigma=aI$)"),
    (r"\lVert w\rVert", r"\lVert w\rVert", "‖w‖", r"norm of the weight vector"),
    (r"w^{\top}x", r"w^{\top}x", "wᵀx", r"pre-activation $h$ before normalization"),
    ("alpha", r"\alpha", "α", r"load $P/N$"),
    ("zeta", r"\zeta", "ζ", r"gamma-decay coefficient (ridge convention in Part 2)"),
    ("zeta_L", r"\zeta_{L}", "ζ_L", r"gamma decay of the per-sample loss (loss convention)"),
    ("delta2", r"\delta^{2}", "δ²", r"variance of the teacher's label noise"),
    ("lambda", r"\lambda", "λ", r"an eigenvalue of $S=X^{\top}X/N$"),
    ("lambda_-", r"\lambda_{-}", "λ₋", r"lower edge of the Marchenko--Pastur spectrum"),
    ("lambda_+", r"\lambda_{+}", "λ₊", r"upper edge of the Marchenko--Pastur spectrum"),
    ("D", "D", "D", r"$(\zeta+\lambda_-)(\zeta+\lambda_+)$, the discriminant of $G$"),
    ("G", "G", "G", r"Marchenko--Pastur Stieltjes transform $G(\zeta)$"),
    ("G'", "G'", "G'", r"$\partial G/\partial\zeta$"),
    ("gamma_*", r"\gamma_{*}", "γ_*", r"the scale $\gamma$ that minimizes the PN loss"),
    ("N", "N", "N", r"input dimension"),
    ("P", "P", "P", r"number of training samples"),
    *((f"m_{k}", f"m_{{{k}}}", "m" + str(k).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")),
       rf"standardized moment $\mathbb{{E}}\bar n^{{{k}}}$") for k in range(5, 13)),
)

_TABLE: dict[str, Entry] = {}

#: LaTeX name -> (SymPy function, meaning) of the functions the printed formulas apply
FUNCTIONS: Mapping[str, tuple[type, str]] = MappingProxyType({
    r"\Gamma": (sp.gamma, r"the gamma function"),
    "H": (sp.Heaviside, r"the Heaviside step, $H(0)=\tfrac12$"),
})


def register(name: str, latex: str, text: str, meaning: str) -> Entry:
    """Add the symbol called ``name`` to the table (idempotent; a different LaTeX or text for a
    registered name is a ``ValueError``).

    Parameters
    ----------
    name : str
        The symbol's name.
    latex : str
        Its LaTeX (math mode).
    text : str
        Its Unicode text (one line).
    meaning : str
        What it stands for (LaTeX text).

    Returns
    -------
    Entry
        The table's entry for ``name``.

    Raises
    ------
    ValueError
        If ``name`` is registered with another LaTeX or text.
    """
    entry = Entry(name, latex, text, meaning)
    old = _TABLE.get(name)
    if old is not None and (old.latex, old.text) != (latex, text):
        raise ValueError(f"symbol {name!r} is already printed as {old.latex!r}, not {latex!r}")
    _TABLE.setdefault(name, entry)
    return _TABLE[name]


for _row in _ROWS:
    register(*_row)

#: name -> :class:`Entry`, read-only (extend it with :func:`register`)
NOTATION: Mapping[str, Entry] = MappingProxyType(_TABLE)


def entry(symbol: sp.Symbol | str) -> Entry:
    """The table's entry for a symbol (or its name); ``ValueError`` if it has none.

    Parameters
    ----------
    symbol : sympy.Symbol or str
        The symbol or its name.

    Returns
    -------
    Entry
        Its entry.

    Raises
    ------
    ValueError
        If the table has no entry for it.
    """
    name = symbol if isinstance(symbol, str) else symbol.name
    try:
        return _TABLE[name]
    except KeyError:
        raise ValueError(f"symbol {name!r} has no entry in theory.notation") from None


def missing(expr: sp.Basic) -> list[str]:
    """Names of the free symbols of ``expr`` the table does not know (printed by SymPy's default).

    Parameters
    ----------
    expr : sympy.Basic
        Any SymPy expression.

    Returns
    -------
    list of str
        The unknown names, sorted.
    """
    return sorted(s.name for s in expr.free_symbols if isinstance(s, sp.Symbol) and s.name not in _TABLE)


def latex(expr: sp.Basic, **settings) -> str:
    r"""``expr`` as LaTeX (math mode) under the notation table: ``latex(delta2/(alpha-1))`` is
    ``\frac{\delta^{2}}{\alpha - 1}``.  ``settings`` are :func:`sympy.latex` settings.

    Parameters
    ----------
    expr : sympy.Basic
        Any SymPy expression.
    **settings
        Settings of :func:`sympy.latex`.

    Returns
    -------
    str
        LaTeX, math mode.
    """
    return NotationLatexPrinter(_TABLE, settings).doprint(expr)


def latex_lines(expr: sp.Basic, lines: int = 1, **settings) -> list[str]:
    """:func:`latex` of a sum cut into about ``lines`` lines before top-level ``+``/``-`` signs
    (for a ``split`` or ``multline`` environment).

    Parameters
    ----------
    expr : sympy.Basic
        Any SymPy expression.
    lines : int, default 1
        About how many lines.
    **settings
        Settings of :func:`sympy.latex`.

    Returns
    -------
    list of str
        The LaTeX lines.
    """
    return NotationLatexPrinter(_TABLE, settings).add_lines(expr, lines)


def text(expr: sp.Basic) -> str:
    """``expr`` as readable one-line Unicode under the notation table: ``text(Eq(zeta, 1/(2*M)))``
    is ``"ζ = 1/(2M)"``, ``text(delta2)`` is ``"δ²"``.

    Parameters
    ----------
    expr : sympy.Basic
        Any SymPy expression.

    Returns
    -------
    str
        One line of Unicode.
    """
    return NotationTextPrinter(_TABLE).doprint(expr)


__all__ = ["FUNCTIONS", "NOTATION", "Entry", "entry", "latex", "latex_lines", "missing", "register", "text"]
