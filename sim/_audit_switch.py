r"""How the network audit drives a user's standard ``torch.nn.BatchNorm1d/2d/3d`` modules.

The audit works on a float64 deep copy of the user's model (the model itself is never touched):
each BN module of the copy gets an instance ``forward`` (:class:`Switch`) that normalizes in one of
these modes, always with the module's own ``eps``, ``weight`` and ``bias``:

* ``"pn"`` -- population statistics :math:`\mu_{\mathcal P},\sigma^2_{\mathcal P}` set by the audit;
* ``"bn"`` -- the batch's own statistics (biased variance, as BN's training mode normalizes), without
  touching ``running_mean``/``running_var``;
* ``"record"`` -- accumulate the input's per-channel mean and variance (float64, Chan's pairwise
  update) and stop the forward pass (:class:`Stop`): the population statistics, layer by layer;
* ``"grad"`` -- PN, plus a zero leaf added to the output whose gradient is :math:`\partial\ell/
  \partial\hat h` per unit, and the unit means :math:`u,v` of :math:`n,n^2` over positions;
* ``"audit"`` -- rows in groups of ``M``: group 0 normalized with its batch statistics (BN), group
  ``g`` >= 1 with population statistics and the affine parameters shifted by ``shifts[g - 1]``;
  with ``expand`` the input is one group and the output all of them (the layers before this one
  run once per batch instead of once per group, where the model allows it: see
  :func:`sim._audit_batches.run_batches`).

A module called twice in one forward pass (a shared BN layer) is refused: its batch statistics
would not be those of one layer.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from theory.errors import BadInput

MODES = ("pn", "bn", "record", "grad", "audit")


class Stop(Exception):
    """Raised by a ``"record"`` switch once it has its layer's input: the rest of the pass is not needed."""


def channel_view(values: torch.Tensor, positions: int) -> torch.Tensor:
    """``values`` of shape (..., C) with ``positions`` trailing unit dimensions, to broadcast against
    a tensor of shape (..., C, *positions)."""
    return values.reshape(*values.shape, *([1] * positions))


def positions_dims(x: torch.Tensor) -> tuple[int, ...]:
    """The dimensions of ``x`` (N, C, *positions) that a channel's batch statistic averages besides N."""
    return tuple(range(2, x.dim()))


class Switch:
    """The replacement ``forward`` of one BN module of the audited copy (see the module docstring)."""

    def __init__(self, module: nn.modules.batchnorm._BatchNorm, name: str) -> None:
        if not module.affine:
            raise BadInput(f"BN layer {name!r} has affine=False: it has no gamma and beta to shift, so BN's "
                           "implicit regularizer of its scale is not defined")
        self.module, self.name = module, name
        self.mode = "pn"
        self.mean: torch.Tensor | None = None
        self.var: torch.Tensor | None = None
        self.calls = 0
        self.shifts: torch.Tensor | None = None  # (groups, 2, C): rows beta, gamma
        self.batch = 0  # rows per group in "audit" mode
        self.expand = False  # "audit" mode: the input is group 0 only, the output every group
        self.recorded: tuple[int, torch.Tensor, torch.Tensor] | None = None  # count, mean, M2
        self.leaf: torch.Tensor | None = None
        self.normalized: torch.Tensor | None = None  # n of the last "grad" pass
        self.theta: torch.Tensor | None = None  # "pn" mode: (beta, gamma) in place of the module's, if set
        module.forward = self.forward  # type: ignore[method-assign]

    @property
    def channels(self) -> int:
        return int(self.module.num_features)

    @property
    def eps(self) -> float:
        return float(self.module.eps)

    def standardize(self, x: torch.Tensor) -> torch.Tensor:
        """:math:`n=(h-\\mu_{\\mathcal P})/\\sqrt{\\sigma^2_{\\mathcal P}+\\epsilon}`."""
        if self.mean is None or self.var is None:
            raise RuntimeError(f"BN layer {self.name!r} has no population statistics yet")
        positions = x.dim() - 2
        return (x - channel_view(self.mean, positions)) / channel_view(torch.sqrt(self.var + self.eps), positions)

    def _affine(self, n: torch.Tensor, positions: int, shift: torch.Tensor | None = None) -> torch.Tensor:
        weight: torch.Tensor = self.module.weight
        bias: torch.Tensor = self.module.bias
        if shift is not None:  # (groups, 1, 2, C) against n of shape (groups, rows, C, *positions)
            bias, weight = bias + shift[..., 0, :], weight + shift[..., 1, :]
        return n * channel_view(weight, positions) + channel_view(bias, positions)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        if self.calls > 1:
            raise BadInput(f"BN layer {self.name!r} is called more than once in one forward pass; the audit "
                           "needs each BN module to normalize one layer")
        if input.dim() < 2 or input.shape[1] != self.channels:
            raise BadInput(f"BN layer {self.name!r} expects (N, {self.channels}, ...) inputs, got {tuple(input.shape)}")
        return getattr(self, f"_{self.mode}")(input)

    def _pn(self, x: torch.Tensor) -> torch.Tensor:
        if self.theta is None:
            return self._affine(self.standardize(x), x.dim() - 2)
        beta, gamma = self.theta[: self.channels], self.theta[self.channels:]
        positions = x.dim() - 2
        return self.standardize(x) * channel_view(gamma, positions) + channel_view(beta, positions)

    def _bn(self, x: torch.Tensor) -> torch.Tensor:
        return F.batch_norm(x, None, None, self.module.weight, self.module.bias, True, 0.0, self.eps)

    def _record(self, x: torch.Tensor) -> torch.Tensor:
        flat = x.detach().to(torch.float64).transpose(0, 1).reshape(self.channels, -1)
        count, mean = flat.shape[1], flat.mean(dim=1)
        m2 = ((flat - mean[:, None]) ** 2).sum(dim=1)
        if self.recorded is None:
            self.recorded = (count, mean, m2)
        else:
            total_count, total_mean, total_m2 = self.recorded
            total = total_count + count
            delta = mean - total_mean
            self.recorded = (total, total_mean + delta * count / total,
                             total_m2 + m2 + delta**2 * total_count * count / total)
        raise Stop

    def _grad(self, x: torch.Tensor) -> torch.Tensor:
        n = self.standardize(x.detach())
        self.normalized = n
        self.leaf = torch.zeros_like(n, requires_grad=True)
        return self._affine(self.standardize(x), x.dim() - 2) + self.leaf

    def _audit(self, x: torch.Tensor) -> torch.Tensor:
        shifts = self.shifts
        groups = 0 if shifts is None else shifts.shape[0]
        if shifts is None or x.shape[0] != self.batch * (1 if self.expand else 1 + groups) or not groups:
            raise RuntimeError(f"audit rows {x.shape[0]} do not match batch {self.batch} and {groups} shifts")
        bn = self._bn(x[: self.batch])
        if self.expand:
            n = self.standardize(x).repeat(groups, *([1] * (x.dim() - 1)))
        else:
            n = self.standardize(x[self.batch:])
        grouped = n.reshape(groups, self.batch, *n.shape[1:])
        shifted = self._affine(grouped, x.dim() - 2, shifts[:, None])
        return torch.cat([bn, shifted.reshape(n.shape)], dim=0)


def install_switches(model: nn.Module) -> list[Switch]:
    """A :class:`Switch` on every BN module of ``model`` (in :meth:`~torch.nn.Module.named_modules`
    order); :class:`~theory.errors.BadInput` if there is none or one has ``affine=False``."""
    switches = [Switch(m, name or type(m).__name__) for name, m in model.named_modules()
                if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not switches:
        raise BadInput("the model has no torch.nn.BatchNorm1d/2d/3d layer to audit")
    return switches


def set_modes(switches: list[Switch], modes: list[str] | str) -> None:
    """Set every switch's mode (one mode for all, or one each) and reset its call count."""
    modes = [modes] * len(switches) if isinstance(modes, str) else modes
    for switch, mode in zip(switches, modes, strict=True):
        if mode not in MODES:
            raise RuntimeError(f"unknown switch mode {mode!r}")
        switch.mode, switch.calls = mode, 0
