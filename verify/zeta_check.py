r"""The gamma-decay check: :math:`\zeta` of :mod:`theory` against BN simulated on real batches.

The simulated quantity is :math:`\tfrac12\mathbb E[A''(\bar h)(\hat h-\bar h)^2]/\gamma^2` from
:func:`sim.simulate_batch_noise`.  The theory side is :math:`\zeta+\zeta_2` (first order plus the
derived :math:`M^{-2}` term); the bias bound is :math:`2|\zeta_3|`, twice the derived
:math:`M^{-3}` term, which covers the truncated orders as long as the series is converging
(the tests check this assumption on the exact Gaussian results).
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from sim import GLM, Estimate, simulate_batch_noise
from theory import ZetaResult, zeta, zeta_corrections

from .check import Check

#: why the zeta checks' tolerance is what it is (printed in the report)
ZETA_REASON = (
    "4.5 SE (false alarm 7e-6 per check) + 2|zeta_3|: theory is zeta + zeta_2 (derived M^-2 term); "
    "the truncated M^-3.. orders are bounded by twice the derived M^-3 term"
)


def zeta_check(name: str, section: str, result: ZetaResult, simulated: Estimate, samples: int) -> Check:
    """Compare a simulated gamma-decay term with ``result`` (a family input)."""
    z2, z3 = zeta_corrections(result.activation, result.M, gamma=result.gamma, beta=result.beta,
                              input=result.input, bias=result.bias)
    return Check(
        name=name, section=section, theory=result.value + z2, simulated=simulated.value,
        stderr=simulated.stderr, bias_bound=2 * abs(z3) + result.error, reason=ZETA_REASON,
        samples=samples, scale=abs(result.value), kind="zeta",
    )


def activation_check(
    activation: str | sp.Expr,
    M: int,
    *,
    gamma: float = 1.0,
    beta: float = 0.0,
    input: str = "gaussian",
    samples: int = 2**22,
    seed: int | np.random.SeedSequence = 0,
    backend: str = "numpy",
) -> tuple[ZetaResult, Check]:
    """Derive :math:`\\zeta` for ``activation`` and check it against a simulation of ``samples`` values."""
    result = zeta(activation, M, gamma=gamma, beta=beta, input=input)
    if isinstance(M, float) and M.is_integer():
        M = int(M)
    sim = simulate_batch_noise(M, input=input, glms={"g": GLM(result.d2A)}, gamma=gamma, beta=beta,
                               samples=samples, seed=seed, backend=backend)
    label = f"zeta[{activation if isinstance(activation, str) else sp.sstr(activation)}, {input}, M={M}]"
    return result, zeta_check(label, "1.3", result, sim.second_order["g"], sim.samples)
