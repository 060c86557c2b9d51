r"""Population normalization against weight normalization, simulated (seed §1.5).

Inputs :math:`x\sim\mathcal N(m, aI)` in ``dim`` dimensions, a random weight :math:`w`; PN's
output :math:`\gamma(h-\mu_P)/\sigma_P+\beta` with :math:`h=w^\top x` and the sample's own mean and
standard deviation (``samples`` large) is compared with WN outputs :math:`v\,w^\top x/\lVert w\rVert`
for candidate scales :math:`v`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from theory.errors import BadInput

from ._backend import default_rng
from ._seeds import SeedLike, as_seed_sequence


@dataclass(frozen=True)
class PNWNFit:
    """The least-squares slope of PN on :math:`w^\\top x/\\lVert w\\rVert`, and for each candidate
    ``v`` the rms of PN minus WN after removing the mean (0 when ``v`` is PN's scale).

    Parameters
    ----------
    slope : float
        The least-squares slope.
    rms : tuple of float
        The rms per candidate scale.
    """

    slope: float
    rms: tuple[float, ...]


def simulate_pn_wn(a: float, gamma: float, beta: float, scales: tuple[float, ...], *, dim: int = 16,
                   samples: int = 200_000, seed: SeedLike) -> PNWNFit:
    """Draw ``w, m ~ N(0, I)`` and ``samples`` inputs ``x ~ N(m, a I)``; fit PN against WN.

    Parameters
    ----------
    a : float
        Input variance, > 0.
    gamma : float
        PN's scale, > 0.
    beta : float
        PN's shift, finite.
    scales : tuple of float
        The candidate scales ``v`` of WN.
    dim : int, default 16
        Input dimension.
    samples : int, default 200000
        Number of inputs.
    seed : numpy.random.SeedSequence or int
        The root of every random stream (a non-negative integer is ``SeedSequence(seed)``).

    Returns
    -------
    PNWNFit
        The fit.

    Raises
    ------
    BadInput
        If ``a`` or ``gamma`` is not > 0 or ``beta`` is not finite.
    """
    if not (np.isfinite(a) and a > 0 and np.isfinite(gamma) and gamma > 0 and np.isfinite(beta)):
        raise BadInput(f"need a > 0, gamma > 0 and finite beta, got a={a!r}, gamma={gamma!r}, beta={beta!r}")
    rng = default_rng(as_seed_sequence(seed))
    w, m = rng.standard_normal(dim), rng.standard_normal(dim)
    xs = m + np.sqrt(a) * rng.standard_normal((samples, dim))
    h = xs @ w
    pn = gamma * (h - h.mean()) / h.std() + beta
    u = h / np.linalg.norm(w)
    rms = []
    for v in scales:
        resid = pn - float(v) * u
        rms.append(float(np.sqrt(np.mean((resid - resid.mean()) ** 2))))
    return PNWNFit(float(np.polyfit(u, pn, 1)[0]), tuple(rms))
