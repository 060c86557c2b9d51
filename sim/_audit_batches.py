r"""The Monte-Carlo side of the network audit: random batches, paired, per layer and whole network.

A batch is ``M`` units drawn i.i.d. *with replacement* from the population, so the batch means of
:math:`u,v` have exactly the population's mean and covariance/``M`` (the moments the theory uses).
For every batch and every BN layer k (the others in population mode) one forward pass of ``5M`` rows
gives the batch loss with BN in layer k, and with PN in layer k shifted by :math:`\pm\Delta\theta^{lin}`
and :math:`\pm S\Delta\theta^{lin}` (:math:`\Delta\theta^{lin}=-(\gamma a,\gamma\delta V/2)`, the
linear part of the exact shift; :math:`S` random signs per channel); per batch

* ``gap``: :math:`L_{\mathcal B}^{BN}-L_{\mathcal B}^{PN}` minus the control variate
  :math:`\nabla L_{\mathcal B}\cdot\Delta\theta^{lin}-\mathbb E[\cdot]` (its exact mean from the
  population's per-unit gradients, so the estimate stays unbiased);
* ``quadratic``: :math:`\tfrac12[L(\theta+\Delta\theta^{lin})+L(\theta-\Delta\theta^{lin})]-L(\theta)`,
  whose mean is :math:`\tfrac12\operatorname{tr}(H\Sigma)+O(M^{-2})` (symmetric second differences at
  the batch noise's own scale: the kinks of ReLU and max-pool included, which an autograd Hessian
  misses); ``diagonal``: the same with :math:`S`, whose mean keeps only the channels' own blocks of
  :math:`H` (cross-channel terms average out);
* the whole network with every layer in BN mode, against the sum of the layers' gaps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ._audit_population import LossFn, per_unit_loss
from ._audit_switch import Switch, set_modes
from ._streaming import Estimate, RunningMean

PROBES = 4  #: shifted groups per layer and batch: +lin, -lin, +signed, -signed


@dataclass
class LayerPopulation:
    """What the batches need of one layer: scales, per-unit u, v, gradients, and the exact mean of
    the control variate."""

    gamma: np.ndarray
    u: np.ndarray
    v: np.ndarray
    variance: np.ndarray
    grad_beta: np.ndarray
    grad_gamma: np.ndarray
    control_mean: float


@dataclass
class BatchEstimates:
    """Mean ± SE over the batches, per layer (lists) and for the whole network."""

    gap: list[Estimate]
    quadratic: list[Estimate]
    diagonal: list[Estimate]
    gap_minus_quadratic: list[Estimate]
    var_a: list[np.ndarray]
    mean_a2: list[Estimate]
    network_gap: Estimate
    network_minus_layers: Estimate
    batches: int


def linear_shift(layer: LayerPopulation, idx: np.ndarray) -> np.ndarray:
    """:math:`\\Delta\\theta^{lin}` of one batch, shape (2, C): rows beta, gamma."""
    a = layer.u[idx].mean(axis=0)
    dv = layer.v[idx].mean(axis=0) - layer.variance
    return np.stack([-layer.gamma * a, -layer.gamma * dv / 2])


def control_variate(layer: LayerPopulation, idx: np.ndarray, shift: np.ndarray) -> float:
    """:math:`\\nabla L_{\\mathcal B}\\cdot\\Delta\\theta^{lin}` minus its exact mean."""
    grad = np.stack([layer.grad_beta[idx].mean(axis=0), layer.grad_gamma[idx].mean(axis=0)])
    return float(np.sum(grad * shift)) - layer.control_mean


def _batch_losses(model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn: LossFn, groups: int,
                  expand: bool = False) -> np.ndarray:
    """Mean loss of each of ``groups`` groups of rows; the input is repeated per group, or (``expand``)
    given once and expanded by the audited layer."""
    rows = x.shape[0]
    with torch.no_grad():
        out = model(x if expand else x.repeat(groups, *([1] * (x.dim() - 1))))
        if out.shape[0] != groups * rows:
            raise RuntimeError(f"the model returned {out.shape[0]} rows for {groups} groups of {rows}")
        losses = per_unit_loss(loss_fn, out, y.repeat(groups, *([1] * (y.dim() - 1))))
    return losses.reshape(groups, rows).mean(dim=1).double().cpu().numpy()


def _expandable(model: nn.Module, switches: list[Switch], modes: list[str], k: int, x: torch.Tensor,
                y: torch.Tensor, loss_fn: LossFn) -> bool:
    """Whether the layers after switch ``k`` take the expanded batch and give, to roundoff, what the
    repeated input gives (a model that mixes rows from before the layer, e.g. a skip connection
    around it, does not: it then runs with the repeated input)."""
    set_modes(switches, modes)
    switches[k].expand = False
    repeated = _batch_losses(model, x, y, loss_fn, 1 + PROBES)
    set_modes(switches, modes)
    switches[k].expand = True
    try:
        expanded = _batch_losses(model, x, y, loss_fn, 1 + PROBES, expand=True)
    except (RuntimeError, ValueError, IndexError):
        expanded = np.full_like(repeated, np.nan)
    return bool(np.allclose(expanded, repeated, rtol=1e-10, atol=1e-13))


def run_batches(model: nn.Module, switches: list[Switch], layers: list[LayerPopulation], inputs: torch.Tensor,
                targets: torch.Tensor, loss_fn: LossFn, pn_losses: np.ndarray, M: int, batches: int,
                rng: np.random.Generator) -> BatchEstimates:
    """The paired Monte Carlo over ``batches`` random batches of ``M`` units (module docstring)."""
    count = len(switches)
    names = ("gap", "quadratic", "diagonal", "gap_minus_quadratic")
    acc = {name: [RunningMean() for _ in range(count)] for name in names}
    sum_a2 = [np.zeros(layer.gamma.shape[0]) for layer in layers]
    mean_a2 = [RunningMean() for _ in layers]
    network, additivity = RunningMean(), RunningMean()
    expand: list[bool | None] = [None] * count
    for _ in range(batches):
        idx = rng.integers(0, inputs.shape[0], size=M)
        rows = torch.from_numpy(idx).to(inputs.device)
        x, y, l_pn = inputs[rows], targets[rows], float(pn_losses[idx].mean())
        raw_gaps, controls = [], []
        for k, (switch, layer) in enumerate(zip(switches, layers)):
            shift = linear_shift(layer, idx)
            signs = rng.choice(np.array([-1.0, 1.0]), size=shift.shape[1])
            probes = np.stack([shift, -shift, shift * signs, -shift * signs])
            modes = ["audit" if j == k else "pn" for j in range(count)]
            switch.batch, switch.shifts = M, torch.from_numpy(probes).to(inputs.device)
            if expand[k] is None:
                expand[k] = _expandable(model, switches, modes, k, x, y, loss_fn)
            set_modes(switches, modes)
            switch.expand = bool(expand[k])
            losses = _batch_losses(model, x, y, loss_fn, 1 + PROBES, expand=switch.expand) - l_pn
            controls.append(control_variate(layer, idx, shift))
            raw_gaps.append(losses[0])
            gap, quad, diag = losses[0] - controls[-1], (losses[1] + losses[2]) / 2, (losses[3] + losses[4]) / 2
            for name, value in zip(names, (gap, quad, diag, gap - quad)):
                acc[name][k].add(np, np.array([value]))
            a2 = layer.u[idx].mean(axis=0) ** 2
            sum_a2[k] += a2
            mean_a2[k].add(np, np.array([a2.mean()]))
        set_modes(switches, "bn")
        whole = _batch_losses(model, x, y, loss_fn, 1)[0] - l_pn
        network.add(np, np.array([whole - sum(controls)]))
        additivity.add(np, np.array([whole - sum(raw_gaps)]))
    gaps, quadratics, diagonals, remainders = ([r.estimate() for r in acc[name]] for name in names)
    return BatchEstimates(gaps, quadratics, diagonals, remainders,
                          var_a=[s / batches for s in sum_a2], mean_a2=[r.estimate() for r in mean_a2],
                          network_gap=network.estimate(),
                          network_minus_layers=additivity.estimate(), batches=batches)
