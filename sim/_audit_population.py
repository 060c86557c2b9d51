r"""The population side of the network audit: statistics, per-unit quantities, the PN loss.

:func:`set_population_statistics` sets every BN layer's :math:`\mu_{\mathcal P},\sigma^2_{\mathcal P}`
(divisor = count, float64) from the stated population, layer by layer with the layers before it
already in population mode.  :func:`unit_quantities` then runs the population through the PN network
once (in chunks) and keeps, per unit (a row of the input: a sample, or an image), its PN loss and,
for every layer and channel, :math:`u,v` (means of :math:`n,n^2` over positions), the per-unit
gradients :math:`\partial\ell/\partial\beta_c=\sum_p\partial\ell/\partial\hat h_p` and
:math:`\partial\ell/\partial\gamma_c=\sum_p n_p\,\partial\ell/\partial\hat h_p`, and the sums the
seed's per-channel :math:`\zeta_c` needs (its GLM reading, :mod:`sim._cnn_population`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from theory.errors import BadInput

from ._audit_switch import Stop, Switch, channel_view, positions_dims, set_modes
from ._cnn_population import MOMENTS, d2a_function

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def chunks(count: int, size: int) -> list[slice]:
    return [slice(start, min(start + size, count)) for start in range(0, count, size)]


def set_population_statistics(model: nn.Module, switches: list[Switch], inputs: torch.Tensor, chunk: int) -> None:
    """Every switch's population mean and variance from ``inputs`` (see the module docstring)."""
    for k, switch in enumerate(switches):
        switch.recorded = None
        for rows in chunks(inputs.shape[0], chunk):
            set_modes(switches, ["pn"] * k + ["record"] + ["pn"] * (len(switches) - k - 1))
            try:
                model(inputs[rows])
            except Stop:
                continue
            raise BadInput(f"BN layer {switch.name!r} is not used in the model's forward pass")
        count, mean, m2 = _recorded(switch)
        switch.mean, switch.var = mean, m2 / count
        switch.recorded = None


def _recorded(switch: Switch) -> tuple[int, torch.Tensor, torch.Tensor]:
    """What ``switch`` recorded in "record" mode (a function: the caller's ``switch.recorded = None``
    would otherwise narrow the attribute to None across the forward passes that set it)."""
    assert switch.recorded is not None
    return switch.recorded


@dataclass
class LayerUnits:
    """Per-unit arrays of one layer (rows: units of the population, columns: channels) and the
    seed reading's moment sums per channel."""

    u: np.ndarray
    v: np.ndarray
    grad_beta: np.ndarray
    grad_gamma: np.ndarray
    moments: dict[str, np.ndarray]
    positions: int


def unit_covariance(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Covariance over units (divisor: units) of :math:`(u_1..u_C,v_1..v_C)`, shape (2C, 2C): the ``unit_cov``
    of :func:`theory.network_regularizer.shift_covariance` (rows of ``u``, ``v``: units, columns: channels)."""
    uv = np.concatenate([u, v], axis=1)
    return np.cov(uv, rowvar=False, bias=True).reshape(uv.shape[1], uv.shape[1])


def gradient_covariance(grad_beta: np.ndarray, grad_gamma: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    r"""``[p, x, c]``: covariance over units (divisor: units) of the per-unit gradient in :math:`p\in(\beta,\gamma)`
    of channel c with :math:`x\in(u,v)` of channel c, shape (2, 2, C): the ``grad_cov`` of
    :func:`theory.network_regularizer.first_order_term`."""
    centred = [a - a.mean(axis=0) for a in (grad_beta, grad_gamma, u, v)]
    return np.array([[np.mean(g * x, axis=0) for x in centred[2:]] for g in centred[:2]])


def per_unit_loss(loss_fn: LossFn, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """``loss_fn(outputs, targets)`` checked to be one loss per row (``reduction="none"``)."""
    losses = loss_fn(outputs, targets)
    if not isinstance(losses, torch.Tensor) or losses.shape != (outputs.shape[0],):
        shape = tuple(losses.shape) if isinstance(losses, torch.Tensor) else type(losses).__name__
        raise BadInput(f"the loss must return one value per sample (e.g. reduction='none'), shape "
                       f"({outputs.shape[0]},); got {shape}")
    return losses


def _seed_moment_sums(switch: Switch, n: torch.Tensor, activation: str) -> torch.Tensor:
    """Sums over units and positions of :data:`~sim._cnn_population.MOMENTS` for each channel, with
    :math:`\\bar n` standardized without ``eps`` (the seed's reading) and :math:`A''` at :math:`\\hat h`."""
    positions = n.dim() - 2
    var = switch.var
    assert var is not None, "n comes from switch.standardize, which needs the population variance"
    n0 = n * channel_view(torch.sqrt((var + switch.eps) / var), positions)
    hbar = n * channel_view(switch.module.weight.detach(), positions) + channel_view(switch.module.bias.detach(),
                                                                                     positions)
    a2 = d2a_function(activation)(hbar)
    n2, a2n = n0 * n0, a2 * n0
    dims = (0, *positions_dims(n))
    return torch.stack([torch.sum(t, dim=dims) for t in (n2 * n0, n2 * n2, a2, a2n, a2n * n0)])


def unit_quantities(model: nn.Module, switches: list[Switch], inputs: torch.Tensor, targets: torch.Tensor,
                    loss_fn: LossFn, chunk: int, activation: str) -> tuple[np.ndarray, list[LayerUnits]]:
    """The population's per-unit PN losses and every layer's :class:`LayerUnits` (moments as means
    over units and positions)."""
    losses: list[torch.Tensor] = []
    per_layer: list[dict[str, list[torch.Tensor]]] = [{"u": [], "v": [], "gb": [], "gg": []} for _ in switches]
    sums = [torch.zeros(len(MOMENTS), s.channels, dtype=torch.float64, device=inputs.device) for s in switches]
    positions = [1] * len(switches)
    for rows in chunks(inputs.shape[0], chunk):
        set_modes(switches, "grad")
        loss = per_unit_loss(loss_fn, model(inputs[rows]), targets[rows])
        loss.sum().backward()
        losses.append(loss.detach())
        for k, switch in enumerate(switches):
            n, grad = switch.normalized, switch.leaf.grad if switch.leaf is not None else None
            if n is None or grad is None:
                raise BadInput(f"BN layer {switch.name!r} does not reach the loss")
            dims = positions_dims(n)
            for key, value in (("u", n), ("v", n * n), ("gb", grad), ("gg", grad * n)):
                reduce = torch.mean if key in "uv" else torch.sum
                per_layer[k][key].append(reduce(value, dim=dims) if dims else value)
            sums[k] += _seed_moment_sums(switch, n, activation)
            positions[k] = int(n[0, 0].numel())
            switch.leaf = switch.normalized = None
    layers = []
    for k in range(len(switches)):
        arrays = {key: torch.cat(parts).cpu().numpy() for key, parts in per_layer[k].items()}
        means = sums[k].cpu().numpy() / (inputs.shape[0] * positions[k])
        layers.append(LayerUnits(arrays["u"], arrays["v"], arrays["gb"], arrays["gg"],
                                 {m: means[i] for i, m in enumerate(MOMENTS)}, positions[k]))
    return torch.cat(losses).cpu().numpy(), layers
