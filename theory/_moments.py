"""Exact moments of sums over an i.i.d. sample, by summing over set partitions.

For i.i.d. :math:`z_1,\\dots,z_K` and polynomials :math:`p_1,\\dots,p_r`,

.. math:: \\mathbb E\\Big[\\prod_{k=1}^r \\sum_{i=1}^K p_k(z_i)\\Big]
   = \\sum_{\\pi \\in \\Pi(r)} K^{\\underline{|\\pi|}} \\prod_{B\\in\\pi} \\mathbb E\\Big[\\prod_{k\\in B} p_k(z)\\Big],

where :math:`\\Pi(r)` are the set partitions of the factors (which factors share an index) and
:math:`K^{\\underline{j}}` is the falling factorial.  This is exact for symbolic :math:`K`, so
every finite-:math:`M` batch-statistics result of :mod:`theory` is derived from it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache

import sympy as sp
from sympy.utilities.iterables import multiset_partitions

from .symbols import RHO, SKEW, Z

__all__ = ["RHO", "SKEW", "Z", "expect_polynomial", "expect_product_of_sums", "moment_symbol"]


@lru_cache(maxsize=None)
def moment_symbol(j: int) -> sp.Expr:
    r"""Generic standardized moment :math:`m_j = \mathbb E[z^j]`: :math:`m_1=0`, :math:`m_2=1`,
    :math:`m_3=s`, :math:`m_4=\rho+3`, higher ones free symbols ``m_j``.

    Parameters
    ----------
    j : int
        The order, >= 0.

    Returns
    -------
    sympy.Expr
        :math:`m_j`, a number or a symbol.

    Raises
    ------
    ValueError
        If ``j`` < 0.
    """
    if j < 0:
        raise ValueError(f"moment order must be >= 0, got {j}")
    fixed = {0: sp.Integer(1), 1: sp.Integer(0), 2: sp.Integer(1), 3: SKEW, 4: RHO + 3}
    return fixed.get(j, sp.Symbol(f"m_{j}", real=True))


@lru_cache(maxsize=4096)
def expect_polynomial(poly: sp.Expr, moment: Callable[[int], sp.Expr] = moment_symbol) -> sp.Expr:
    """:math:`\\mathbb E[q(z)]` for a polynomial ``q`` in :data:`Z`, from the moments."""
    p = sp.Poly(sp.expand(poly), Z)
    return sp.expand(sum(c * moment(k) for (k,), c in p.terms()))


def expect_product_of_sums(
    factors: Sequence[sp.Expr],
    count: sp.Expr,
    moment: Callable[[int], sp.Expr] = moment_symbol,
) -> sp.Expr:
    """:math:`\\mathbb E[\\prod_k \\sum_{i=1}^{K} p_k(z_i)]` with ``K = count`` (symbolic allowed).

    Equal factors are grouped, and the sum runs over multiset partitions, each weighted by the
    number of set partitions it stands for (far fewer terms for repeated factors)."""
    return _expect_product_of_sums(tuple(sp.expand(f) for f in factors), count, moment)


@lru_cache(maxsize=4096)
def _expect_product_of_sums(factors: tuple[sp.Expr, ...], count: sp.Expr, moment: Callable[[int], sp.Expr]) -> sp.Expr:
    if not factors:
        return sp.Integer(1)
    kinds = list(dict.fromkeys(factors))
    labels = sorted(kinds.index(f) for f in factors)
    total = sp.Integer(0)
    for partition in multiset_partitions(labels):
        term = sp.ff(count, len(partition)) * _set_partitions_per_multiset_partition(labels, partition)
        for block in partition:
            term *= expect_polynomial(sp.Mul(*[kinds[k] for k in block]), moment)
        total += term
    return sp.expand(total)


def _set_partitions_per_multiset_partition(labels: list[int], partition: list[list[int]]) -> int:
    """How many set partitions of ``len(labels)`` distinct factors give this multiset partition:
    :math:`\\prod_t m_t!\\,/\\,(\\prod_{B}\\prod_t b_{B,t}!\\;\\prod_{\\text{equal blocks}} r!)`."""
    from collections import Counter  # noqa: PLC0415
    from math import factorial, prod  # noqa: PLC0415

    numerator = prod(factorial(m) for m in Counter(labels).values())
    within = prod(factorial(b) for block in partition for b in Counter(block).values())
    repeats = prod(factorial(r) for r in Counter(tuple(block) for block in partition).values())
    return numerator // (within * repeats)
