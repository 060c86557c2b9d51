r"""A derived formula as it goes into the LaTeX export: the SymPy object the derivation produced,
the form it is printed in, its label, where in the seed it comes from, and its assumptions.

The printed form (``display``) may be more compact than the derived expression ``rhs``: factored,
collected, or written with named intermediates (``G``, ``G'``, ``\chi_M``, ``D``) that other
formulas define (``defines``).  :func:`theory._identity.same_function` checks, every time the
export runs, that the printed form with every intermediate substituted *is* ``rhs``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import sympy as sp

from . import notation

_LABEL = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Formula:
    """``lhs = display`` where ``display`` is ``rhs`` (derived by SymPy, never typed-in text) in
    the form a paper prints it.

    ``label``: stable key (``\\label{eq:<label>}``, snippet ``<label>.tex``); ``title``,
    ``assumptions`` and ``note``: LaTeX text (math inside ``$...$``); ``lhs``: LaTeX of the
    left side; ``defines``: the symbol the left side names, for other formulas' displays;
    ``lines``: split the display over this many lines (only where no compact form exists);
    ``region``: ``{symbol name: (low, high)}`` where the formula holds (a branch condition such
    as ``alpha < 1``), used by the equality checks.

    Parameters
    ----------
    label : str
        Stable key of the formula.
    title : str
        Its title (LaTeX text).
    section : str
        The section of the export it belongs to.
    lhs : str
        LaTeX of the left side.
    rhs : sympy.Expr
        The derived right side.
    assumptions : str
        Under what it holds (LaTeX text).
    display : sympy.Expr or None, default None
        The printed form of ``rhs``; None prints ``rhs``.
    defines : sympy.Symbol or None, default None
        The symbol the left side names.
    lines : int, default 1
        Number of lines of the display.
    region : dict of str to (float, float), optional
        Where the formula holds, by symbol name.
    note : str, default ""
        A remark printed after it (LaTeX text).
    """

    label: str
    title: str
    section: str
    lhs: str
    rhs: sp.Expr
    assumptions: str
    display: sp.Expr | None = None
    defines: sp.Symbol | None = None
    lines: int = 1
    region: dict[str, tuple[float, float]] = field(default_factory=dict)
    note: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.rhs, sp.Basic) or not isinstance(self.printed, sp.Basic):
            raise TypeError(f"formula {self.label!r}: rhs and display must be SymPy expressions")
        if not _LABEL.match(self.label):
            raise ValueError(f"formula label must be lowercase words joined by '-', got {self.label!r}")
        if self.lines < 1:
            raise ValueError(f"lines must be >= 1, got {self.lines!r}")

    @property
    def printed(self) -> sp.Expr:
        """The expression that is printed: ``display``, or ``rhs`` when there is no compact form."""
        return self.rhs if self.display is None else self.display

    @property
    def tex_label(self) -> str:
        """The LaTeX label, ``eq:<label>``."""
        return f"eq:{self.label}"

    def rhs_lines(self) -> list[str]:
        """The printed right side as LaTeX, cut into :attr:`lines` lines at top-level ``+``/``-``.

        Returns
        -------
        list of str
            The LaTeX lines, :attr:`lines` of them at most.
        """
        return notation.latex_lines(self.printed, self.lines)

    def latex(self) -> str:
        """``lhs = rhs`` on one line (LaTeX, math mode).

        Returns
        -------
        str
            The equation in LaTeX.
        """
        return f"{self.lhs} = {' '.join(self.rhs_lines())}"

    def equation(self) -> str:
        """The ``equation`` environment with its label, a ``split`` inside when :attr:`lines` > 1.

        Returns
        -------
        str
            The LaTeX environment.
        """
        rows = self.rhs_lines()
        if len(rows) == 1:
            body = f"{self.lhs} = {rows[0]}"
        else:
            body = "\\begin{split}\n" + f"{self.lhs} &= {rows[0]}" + "".join(
                f"\\\\\n&\\quad {row}" for row in rows[1:]) + "\n\\end{split}"
        return f"\\begin{{equation}}\\label{{{self.tex_label}}}\n{body}\n\\end{{equation}}"
