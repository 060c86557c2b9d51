"""A derived formula as it goes into the LaTeX export: the SymPy object, what it is, where in
the seed it comes from, and the assumptions it needs."""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp


@dataclass(frozen=True)
class Formula:
    """``lhs = rhs`` derived by SymPy (``rhs`` is a SymPy expression, never typed-in text)."""

    title: str
    section: str
    lhs: str
    rhs: sp.Basic
    assumptions: str
    note: str = ""

    def latex(self) -> str:
        return f"{self.lhs} = {sp.latex(self.rhs)}"
