r"""PN + gamma decay in the CNN (seed §1.3, §2.4.1): population statistics and :math:`\zeta_c`.

A refresh sends a fixed sample of training images through the network layer by layer (in chunks
of images, one forward pass in all): each PN layer's :math:`\mu_P,\sigma_P^2` are set from its
pre-activations (float64 sums, divisor :math:`n`) before its output is computed, and then, per
channel, pooled over images and positions,

.. math:: \rho=\mathbb E[\bar n^4]-3,\quad s=\mathbb E[\bar n^3],\quad
   F_\gamma=\mathbb E[A''(\bar h)\bar n^2],\quad \mu_{d^2A}=\mathbb E[A''(\bar h)],\quad
   \mathbb E[A''(\bar h)\bar n],\qquad \bar h=\gamma\bar n+\beta.

:math:`\zeta_c` is then :func:`theory.zeta_formula`'s
:math:`\frac{\rho+2}{8M}F_\gamma+\frac{\mu_{d^2A}}{2M}+\frac{s}{2M}\mathbb E[A''\bar n]`, and
:math:`A''` is :func:`theory.curvature` of ReLU, the Heaviside step (the seed's §1.4 reading:
softplus :math:`\to` ReLU, :math:`A''=f'=H`).  The penalty :math:`\sum_c\zeta_c\gamma_c^2`
is added to the mean training loss with :math:`\zeta_c` held fixed until the next refresh.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import sympy as sp
import torch

from theory import F_GAMMA, MU_D2A, ZETA_CROSS, activation_expression, curvature, zeta_formula
from theory.symbols import RHO, SKEW, X
from theory.symbols import M as M_SYM

from ._cnn_layers import PopulationNorm, channel_dims, per_channel

#: the moments of a channel that zeta needs, in the order they are accumulated
MOMENTS: tuple[str, ...] = ("n3", "n4", "d2a", "d2a_n", "d2a_n2")


def _torch_heaviside(x: torch.Tensor, h0: float = 0.5) -> torch.Tensor:
    return torch.heaviside(x, torch.tensor(h0, dtype=x.dtype, device=x.device))


@lru_cache(maxsize=None)
def d2a_function(activation: str = "relu"):
    """:math:`A''` of ``activation`` (theory's curvature) as a function of a torch tensor."""
    expr = curvature(activation_expression(activation))
    f = sp.lambdify(X, expr, modules=[{"heaviside": _torch_heaviside, "Heaviside": _torch_heaviside}, "torch"])

    def evaluate(x: torch.Tensor) -> torch.Tensor:
        return torch.broadcast_to(torch.as_tensor(f(x), dtype=x.dtype, device=x.device), x.shape)

    return evaluate


@lru_cache(maxsize=None)
def _zeta_function():
    total = sum(zeta_formula(True).values())
    return sp.lambdify((F_GAMMA, MU_D2A, ZETA_CROSS, RHO, SKEW, M_SYM), total, modules="numpy")


def zeta_from_moments(moments: dict[str, np.ndarray], M: float) -> np.ndarray:
    """Per-channel :math:`\\zeta` from the measured moments (arrays over channels) at batch size ``M``."""
    return np.asarray(_zeta_function()(moments["d2a_n2"], moments["d2a"], moments["d2a_n"], moments["n4"] - 3.0,
                                       moments["n3"], float(M)), dtype=np.float64)


def _chunks(images: torch.Tensor, chunk: int):
    for start in range(0, images.shape[0], chunk):
        yield images[start:start + chunk]


def _channel_moments(norm: PopulationNorm, h: torch.Tensor) -> torch.Tensor:
    """Sums over images and positions of :data:`MOMENTS` (rows) for each channel (columns), in
    float64 from the network's pre-activations."""
    n = norm.standardize(h.double())
    hbar = n * per_channel(norm.weight.detach().double(), h) + per_channel(norm.bias.detach().double(), h)
    a2 = d2a_function()(hbar)
    n2, a2n = n * n, a2 * n
    dims = channel_dims(h)
    return torch.stack([torch.sum(t, dim=dims) for t in (n2 * n, n2 * n2, a2, a2n, a2n * n)])


def _channel_sums(rows_of, h: torch.Tensor, chunk: int) -> torch.Tensor:
    """Float64 means over images and positions, per channel, of the rows of ``rows_of(h)``,
    computed over chunks of images."""
    total = sum(rows_of(part) for part in _chunks(h, chunk))
    return total / (h.numel() // h.shape[1])


def _set_population(norm: PopulationNorm, h: torch.Tensor, chunk: int) -> None:
    """:math:`\\mu_P` then :math:`\\sigma_P^2=\\mathbb E[(h-\\mu_P)^2]` (two passes: no cancellation)."""
    dims = channel_dims(h)
    mean = _channel_sums(lambda part: torch.sum(part, dim=dims, dtype=torch.float64), h, chunk)
    centre = per_channel(mean.to(h.dtype), h)
    var = _channel_sums(lambda part: torch.sum((part - centre) ** 2, dim=dims, dtype=torch.float64), h, chunk)
    norm.population_mean.copy_(mean.to(norm.population_mean.dtype))
    norm.population_var.copy_(var.to(norm.population_var.dtype))


def _set_zeta(norm: PopulationNorm, means: torch.Tensor, M: float) -> dict[str, np.ndarray]:
    record = dict(zip(MOMENTS, means.cpu().numpy()))
    record["zeta"] = zeta_from_moments(record, M)
    norm.zeta.copy_(torch.as_tensor(record["zeta"], dtype=norm.zeta.dtype))
    record["population_mean"] = norm.population_mean.double().cpu().numpy()
    record["population_var"] = norm.population_var.double().cpu().numpy()
    return record


def unit_moments(norm: PopulationNorm, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Per unit (an image; a sample of the fc layer) and channel, :math:`u,v`: the means over positions
    of :math:`n,n^2`, :math:`n=(h-\mu_P)/\sqrt{\sigma_P^2+\epsilon}` with the module's ``eps``
    (:mod:`theory.network_regularizer`'s convention), float64, shape (units, C) each."""
    n = norm.standardize(h.double())
    dims = tuple(range(2, n.dim()))
    return (n.mean(dim=dims), (n * n).mean(dim=dims)) if dims else (n, n * n)


@torch.no_grad()
def refresh_population(model, images: torch.Tensor, M: float, chunk: int = 500,
                       units: bool = False) -> dict[int, dict[str, np.ndarray]]:
    """Set every PN layer's :math:`\\mu_P,\\sigma_P^2` and :math:`\\zeta_c` at batch size ``M`` from
    ``images`` (a fixed training sample on the model's device); returns each PN layer's moments,
    ``zeta`` and population statistics by block index.

    The sample goes through the network layer by layer (one forward pass in all, computed in
    chunks of ``chunk`` images): a PN layer's statistics are set from its pre-activations before
    its output is computed, so each layer sees the final statistics of the layers below it.
    Memory: two of the sample's activation maps at a time.  With ``units``, each record also holds
    ``"u"``, ``"v"`` (:func:`unit_moments`, arrays of shape (images, C))."""
    was_training = model.training
    model.eval()
    out: dict[int, dict[str, np.ndarray]] = {}
    x = images
    for index, block in enumerate(model.blocks):
        x = torch.cat([block.pre(model.before_block(index, part)) for part in _chunks(x, chunk)])
        if isinstance(block.norm, PopulationNorm):
            _set_population(block.norm, x, chunk)
            moments = _channel_sums(lambda part: _channel_moments(block.norm, part), x, chunk)
            out[index] = _set_zeta(block.norm, moments, M)
            if units:
                pairs = [unit_moments(block.norm, part) for part in _chunks(x, chunk)]
                out[index]["u"], out[index]["v"] = (torch.cat([p[i] for p in pairs]).cpu().numpy() for i in (0, 1))
        x = torch.cat([block.post(part) for part in _chunks(x, chunk)])
    model.train(was_training)
    return out
