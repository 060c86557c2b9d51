r"""The normalization layers of the CNN study (seed §2.4), in PyTorch.

For a pre-activation :math:`h` of channel :math:`c` (statistics over the batch and, in a
convolution, the spatial positions):

* BN: :math:`\gamma\frac{h-\mu_B}{\sigma_B}+\beta` (PyTorch's batch norm; moving averages at test);
* PN: :math:`\gamma\frac{h-\mu_P}{\sigma_P}+\beta` with population statistics held in buffers
  (set by :mod:`sim._cnn_population`), so a sample's output does not depend on its batch; in training
  its gradient also flows through the statistics (estimated on the batch, as batch renormalization
  does), because the PN loss the derivation expands, :math:`L_{PN}(w)`, depends on the weights also
  through :math:`\mu_P(w),\sigma_P(w)`;
* mean-only BN: :math:`h-\mu_B+\beta` (Salimans & Kingma's "WN + mean-only BN", the seed's
  :math:`\mathbf w^T\mathbf x-\mu_B`);
* variance-only BN: :math:`\gamma h/\sigma_B+\beta` (the seed's :math:`\mathbf w^T\mathbf x/\sigma_B`),
  :math:`\sigma_B` the batch standard deviation about the batch mean, which is *not* subtracted;
* WN: the weight :math:`g\,\mathbf v/\lVert\mathbf v\rVert` per output channel (conv or fc).

Dropout draws its mask from an explicit :class:`torch.Generator` (never the global RNG).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from theory.errors import BadInput

EPS = 1e-5  #: added to variances before the square root (PyTorch's batch-norm default)
MOMENTUM = 0.1  #: moving-average rate of the test-time statistics (PyTorch's default)


def channel_dims(x: torch.Tensor) -> tuple[int, ...]:
    """The dimensions a channel's statistics run over: batch, and spatial ones for a conv map."""
    return (0, *range(2, x.dim()))


def per_channel(v: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """``v`` (C,) shaped to broadcast against ``x`` (N, C, ...)."""
    return v.view(1, -1, *([1] * (x.dim() - 2)))


class _Affine(nn.Module):
    """Holds the per-channel shift beta (and, with ``scale``, the scale gamma, initialised at 1)."""

    def __init__(self, channels: int, scale: bool) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels)) if scale else None
        self.bias = nn.Parameter(torch.zeros(channels))


class PopulationNorm(_Affine):
    r""":math:`\gamma\frac{h-\mu_P}{\sigma_P}+\beta` with :math:`\mu_P,\sigma_P^2` in buffers, and
    ``zeta`` (per channel) for the gamma-decay penalty :math:`\sum_c\zeta_c\gamma_c^2`.

    In training mode the output is the same, written as batch renormalization writes it (Ioffe 2017),
    :math:`\frac{h-\mu_B}{\sigma_B}r+d` with :math:`r=\sigma_B/\sigma_P`, :math:`d=(\mu_B-\mu_P)/\sigma_P`
    held constant, so that the gradient also flows through the statistics: its mean over batches is
    the gradient of :math:`L_{PN}(w)` with :math:`\mu_P(w),\sigma_P(w)` (to :math:`O(1/M)`).  With the
    statistics frozen instead, as plain buffers, the gradient lacks that :math:`O(1)` term, and PN
    trails BN whatever penalty is added (README §2.4.1 gives the numbers).

    Parameters
    ----------
    channels : int
        Channels :math:`C` of the layer.
    decay : bool, default True
        Whether :meth:`penalty` adds the gamma decay (False: PN alone, ``zeta`` still measured).
    """

    weight: nn.Parameter  # always scaled (``scale=True``)
    population_mean: torch.Tensor  # buffers (registered in __init__)
    population_var: torch.Tensor
    zeta: torch.Tensor

    def __init__(self, channels: int, decay: bool = True) -> None:
        super().__init__(channels, scale=True)
        self.register_buffer("population_mean", torch.zeros(channels))
        self.register_buffer("population_var", torch.ones(channels))
        self.register_buffer("zeta", torch.zeros(channels))
        self.eps = EPS
        self.decay = decay

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return F.batch_norm(h, self.population_mean, self.population_var, self.weight, self.bias,
                                training=False, eps=self.eps)
        var, mean = torch.var_mean(h, dim=channel_dims(h), correction=0)
        sd = torch.sqrt(var + self.eps)
        population_sd = torch.sqrt(self.population_var + self.eps)
        r = (sd / population_sd).detach()
        d = ((mean - self.population_mean) / population_sd).detach()
        n = (h - per_channel(mean, h)) * per_channel(r / sd, h) + per_channel(d, h)
        return n * per_channel(self.weight, h) + per_channel(self.bias, h)

    def standardize(self, h: torch.Tensor) -> torch.Tensor:
        r""":math:`\bar n=(h-\mu_P)/\sqrt{\sigma_P^2+\epsilon}` in the precision of ``h``."""
        mean, var = self.population_mean.to(h.dtype), self.population_var.to(h.dtype)
        return (h - per_channel(mean, h)) / per_channel(torch.sqrt(var + self.eps), h)

    def penalty(self) -> torch.Tensor:
        r""":math:`\sum_c\zeta_c\gamma_c^2` (``zeta`` held fixed between refreshes); 0 without ``decay``."""
        if not self.decay:
            return torch.zeros((), device=self.weight.device)
        return torch.sum(self.zeta * self.weight**2)


class DerivedPopulationNorm(PopulationNorm):
    r"""PN with the derived penalty of :mod:`theory.network_regularizer`: the matrix gamma decay
    :math:`\gamma^{\top}Z\gamma` plus the first-order term :math:`\tau^{\top}\gamma`
    (``gamma_decay`` = :math:`Z`, ``tau`` = :math:`T_{1,c}/\gamma_c`, both set by
    :mod:`sim._cnn_derived` and held fixed between refreshes; ``zeta`` is still set, for comparison).

    Parameters
    ----------
    channels : int
        Channels :math:`C` of the layer.
    """

    gamma_decay: torch.Tensor  # buffers (registered in __init__)
    tau: torch.Tensor

    def __init__(self, channels: int) -> None:
        super().__init__(channels)
        self.register_buffer("gamma_decay", torch.zeros(channels, channels))
        self.register_buffer("tau", torch.zeros(channels))

    def penalty(self) -> torch.Tensor:
        r""":math:`\gamma^{\top}Z\gamma+\tau^{\top}\gamma` with :math:`Z,\tau` held fixed."""
        return self.weight @ (self.gamma_decay @ self.weight) + torch.dot(self.tau, self.weight)


class _PartialBatchNorm(_Affine):
    """Shared by mean-only and variance-only BN: batch statistics in training (moving averages
    updated), the moving averages at test; variance-only BN carries the scale (WN's g would
    cancel in :math:`h/\\sigma_B`)."""

    centre = False
    rescale = False
    running_mean: torch.Tensor  # buffers (registered in __init__)
    running_var: torch.Tensor

    def __init__(self, channels: int) -> None:
        super().__init__(channels, scale=self.rescale)
        self.register_buffer("running_mean", torch.zeros(channels))
        self.register_buffer("running_var", torch.ones(channels))

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        dims = channel_dims(h)
        if self.training:
            var, mean = torch.var_mean(h, dim=dims, correction=0)
            with torch.no_grad():
                n = h.numel() // h.shape[1]
                self.running_mean.lerp_(mean, MOMENTUM)
                self.running_var.lerp_(var * n / max(n - 1, 1), MOMENTUM)
        else:
            mean, var = self.running_mean, self.running_var
        out = h - per_channel(mean, h) if self.centre else h
        if self.weight is not None:  # the scale gamma: there exactly when ``rescale``
            out = out * per_channel(self.weight / torch.sqrt(var + EPS), h)
        return out + per_channel(self.bias, h)


class MeanOnlyBatchNorm(_PartialBatchNorm):
    r""":math:`h-\mu_B+\beta`: centres, never rescales."""

    centre = True


class VarianceOnlyBatchNorm(_PartialBatchNorm):
    r""":math:`\gamma h/\sigma_B+\beta`: rescales by the batch standard deviation, never centres."""

    rescale = True


class WeightNormalized(nn.Module):
    r"""A conv (3x3, no padding) or fully connected map ``base`` with weight
    :math:`g\,\mathbf v/\lVert\mathbf v\rVert` per output channel (its bias kept); ``gain=None``:
    unit-norm weights without :math:`g` (a scale after the layer takes its place)."""

    def __init__(self, base: nn.Conv2d | nn.Linear, gain: float | None) -> None:
        super().__init__()
        self.base = base
        out = base.weight.shape[0]
        self.g = None if gain is None else nn.Parameter(torch.full((out,), float(gain)))

    def weight(self) -> torch.Tensor:
        v = self.base.weight
        scale = 1.0 / torch.linalg.vector_norm(v.flatten(1), dim=1)
        if self.g is not None:
            scale = scale * self.g
        return v * scale.view(-1, *([1] * (v.dim() - 1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if isinstance(self.base, nn.Conv2d):
            return F.conv2d(x, self.weight(), self.base.bias)
        return F.linear(x, self.weight(), self.base.bias)


class SeededDropout(nn.Module):
    """Inverted dropout with rate ``p``; the mask comes from ``generator`` (set by the trainer)."""

    def __init__(self, p: float) -> None:
        super().__init__()
        if not 0 <= p < 1:
            raise BadInput(f"dropout rate must be in [0, 1), got {p!r}")
        self.p = float(p)
        self.generator: torch.Generator | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0:
            return x
        keep = torch.empty_like(x).bernoulli_(1 - self.p, generator=self.generator)
        return x * keep / (1 - self.p)


HE_GAIN = math.sqrt(2.0)  #: He et al.'s gain for ReLU: keeps the second moment through a layer
