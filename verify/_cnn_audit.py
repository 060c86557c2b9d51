r"""The check of the CNN study: the gamma-decay coefficients the network uses are
:func:`theory.zeta`'s.

At the end of every PN + gamma-decay run the trainer refreshes PN on an audit sample (the first
64 training images, PN's epsilon set to 0) and keeps, for a few channels of each layer, the
pre-activations :math:`h`, :math:`\gamma_c`, :math:`\beta_c` and the network's :math:`\zeta_c`.
Here :func:`theory.zeta` recomputes :math:`\zeta_c` from those measured :math:`h` (its own
standardization, moments and formula, ReLU's :math:`A''`), and the check compares the penalties
:math:`\sum_c\zeta_c\gamma_c^2` summed over the audited channels of all PN runs, per layer.
"""

from __future__ import annotations

import numpy as np

from sim.cnn import LAYERS, CNNRun
from theory import zeta

from .check import Check

#: relative bias bound: the network's population statistics are stored in float32 (relative
#: rounding 6e-8, entering zeta through n-bar and its powers up to the 4th: < 1e-6); moments and
#: zeta are float64 in both computations
RELATIVE_BOUND = 1e-6


def penalties(arrays: dict[str, np.ndarray], layer: int, M: int) -> tuple[float, float]:
    """(theory, network) :math:`\\sum_c\\zeta_c\\gamma_c^2` over the audited channels of ``layer``."""
    h, gamma, beta = (arrays[f"audit_{name}_layer{layer}"] for name in ("h", "gamma", "beta"))
    theory = sum(zeta("relu", M, gamma=float(g), beta=float(b), input=row).value * g**2
                 for row, g, b in zip(h, gamma, beta))
    network = float(np.sum(arrays[f"audit_zeta_layer{layer}"] * gamma**2))
    return float(theory), network


def audit_checks(results: dict[str, dict[str, np.ndarray]], plan: dict[str, CNNRun]) -> list[Check]:
    """One check per PN layer, summed over the PN + gamma-decay runs that finished."""
    keys = [k for k, r in plan.items() if r.variant == "pn_gd" and "audit_h_layer1" in results[k]]
    if not keys:
        return []
    checks = []
    for layer in range(1, LAYERS + 1):
        pairs = [penalties(results[k], layer, plan[k].M) for k in keys]
        theory, network = (float(sum(p[i] for p in pairs)) for i in (0, 1))
        channels = sum(len(results[k][f"audit_gamma_layer{layer}"]) for k in keys)
        checks.append(Check(
            f"cnn.gamma_decay.layer{layer}", "2.4.1", theory, network, 0.0, RELATIVE_BOUND * abs(theory),
            f"sum of zeta_c gamma_c^2 over {channels} audited channels of {len(keys)} PN + gamma-decay runs: the "
            "network's zeta against theory.zeta of the same measured pre-activations (exact computation, no SE); "
            f"bias bound {RELATIVE_BOUND:g} relative for the float32 population statistics",
            samples=channels, kind="cnn.gamma_decay"))
    return checks
