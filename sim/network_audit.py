r"""BN's implicit regularizer in a user's PyTorch model, layer by layer (seed §1.3, §2.4.1).

:func:`audit_network` takes a model whose normalization layers are the standard
``torch.nn.BatchNorm1d/2d/3d`` (unmodified), a population (inputs and targets) and a per-sample loss,
and measures, for every BN layer with the others in population mode, the gap
:math:`L_{BN}-L_{PN}=\mathbb E_{\mathcal B}[L_{\mathcal B}(\theta+\Delta\theta_{\mathcal B})-L_{\mathcal B}(\theta)]`
over random batches of ``M`` units, beside the derived prediction :math:`T_1+\tfrac12\operatorname{tr}(H\Sigma)`
of :mod:`theory.network_regularizer`, its diagonal-only part, the seed's per-channel reading
:math:`\sum_c\zeta_c\gamma_c^2` (the one-neuron :math:`\zeta` with :math:`M` = units per batch), and each
channel's effective batch size.  The whole network in BN mode is measured against the sum of its layers.

Needs the ``cnn`` extra (PyTorch); the core of :mod:`sim` never imports this module.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace

import numpy as np
import torch
from torch import nn

from theory import network_regularizer as nr
from theory.errors import BadInput, batch_size

from ._audit_batches import BatchEstimates, LayerPopulation, run_batches
from ._audit_population import (
    LayerUnits,
    LossFn,
    chunks,
    gradient_covariance,
    per_unit_loss,
    set_population_statistics,
    unit_covariance,
    unit_quantities,
)
from ._audit_switch import install_switches, set_modes
from ._cnn_population import zeta_from_moments
from ._seeds import SeedLike, as_seed_sequence
from ._streaming import Estimate

__all__ = ["LayerAudit", "NetworkAudit", "audit_network", "layer_hessian"]

#: the bound on the remainder at M assumes it shrinks at least like M^(-3/2) from M/4 (a smooth
#: network gives M^(-2); -3/2 leaves room for the kinks of ReLU and max-pool): a factor 4^(3/2)
REMAINDER_SCALING = 8.0


@dataclass(frozen=True)
class LayerAudit:
    r"""One BN layer's audit at batch size ``M`` (all values per population unit's loss).

    Parameters
    ----------
    name : str
        The module's name in ``model.named_modules()``.
    channels, positions : int
        Channels, and positions per unit a channel's statistic averages (1 for BatchNorm1d on (N, C)).
    gap : Estimate
        Measured :math:`L_{BN}-L_{PN}` with this layer in BN mode (mean ± SE over batches).
    first_order : float
        :math:`T_1`, derived from the population (:func:`theory.network_regularizer.first_order`).
    quadratic, diagonal : Estimate
        :math:`\tfrac12\operatorname{tr}(H\Sigma)`, and its channels' own blocks only.
    gap_minus_quadratic : Estimate
        Paired per batch: its mean minus ``first_order`` is the expansion's remainder.
    seed_reading : float
        :math:`\sum_c\zeta_c\gamma_c^2`, the seed's one-neuron :math:`\zeta` per channel (GLM reading,
        :math:`A''=g'` of ``activation``, :math:`M` = units per batch).
    m_eff_derived, m_eff_measured : ndarray
        Per channel :math:`rM/C_{uu}` and :math:`r/\widehat{\operatorname{Var}}a` over the batches.
    var_a_derived : float
        Mean over channels of :math:`\operatorname{Var}a_c=C_{uu,c}/M` (exact for batches drawn with
        replacement), the diagonal of :math:`\Sigma/\gamma^2` that the batches measure as ``var_a``.
    var_a : Estimate
        Mean over channels of :math:`a_c^2`, measured over the batches.
    gamma : ndarray
        The layer's scales.
    unit_cov : ndarray of shape (2C, 2C)
        Covariance over the population's units of :math:`(u_1..u_C,v_1..v_C)`.
    M : int
        Units per batch.
    remainder_quarter : Estimate or None
        The remainder measured at ``M // 4`` (None when the scaling run was not asked for).
    """

    name: str
    channels: int
    positions: int
    gap: Estimate
    first_order: float
    quadratic: Estimate
    diagonal: Estimate
    gap_minus_quadratic: Estimate
    seed_reading: float
    m_eff_derived: np.ndarray
    m_eff_measured: np.ndarray
    var_a_derived: float
    var_a: Estimate
    gamma: np.ndarray
    unit_cov: np.ndarray
    M: int
    remainder_quarter: Estimate | None = None

    @property
    def sigma(self) -> np.ndarray:
        r""":math:`\Sigma=\mathbb E[\Delta\theta\Delta\theta^{\top}]` derived from the population's moments
        (:func:`theory.network_regularizer.shift_covariance`), ordered :math:`(\beta,\gamma)`."""
        return nr.shift_covariance(self.gamma, self.unit_cov, self.M)

    @property
    def predicted(self) -> float:
        r""":math:`T_1+\tfrac12\operatorname{tr}(H\Sigma)`."""
        return self.first_order + self.quadratic.value

    @property
    def remainder(self) -> Estimate:
        """Measured gap minus the prediction, paired (mean ± SE)."""
        d = self.gap_minus_quadratic
        return Estimate(d.value - self.first_order, d.stderr, d.units)

    def remainder_bound(self, k: float) -> float:
        """A bound on the remainder at ``M`` from the one at ``M // 4``.

        Parameters
        ----------
        k : float
            Standard errors of the remainder measured at ``M // 4`` added to its size.

        Returns
        -------
        float
            ``(|R| + k SE) / 8`` (:data:`REMAINDER_SCALING`); infinite without the scaling run.
        """
        r = self.remainder_quarter
        return np.inf if r is None else (abs(r.value) + k * r.stderr) / REMAINDER_SCALING


@dataclass(frozen=True)
class NetworkAudit:
    """The audit of every BN layer of a model at batch size ``M``, and of the whole network.

    Parameters
    ----------
    layers : list of LayerAudit
        One per BN module, in ``named_modules`` order.
    network_gap : Estimate
        :math:`L_{BN}-L_{PN}` with every layer in BN mode.
    network_minus_layers : Estimate
        The whole network's gap minus the sum of the layers' gaps, paired (0 if layers are additive).
    M, batches, population : int
        Units per batch, batches, units in the population.
    settings : dict
        The remaining settings of the run (scaling batches, device, activation, dtype).
    """

    layers: list[LayerAudit]
    network_gap: Estimate
    network_minus_layers: Estimate
    M: int
    batches: int
    population: int
    settings: dict = field(default_factory=dict)


def _count(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise BadInput(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _prepared(model: nn.Module, inputs: object, targets: object, device: str) -> tuple[nn.Module, torch.Tensor,
                                                                                         torch.Tensor]:
    if not isinstance(model, nn.Module):
        raise BadInput(f"model must be a torch.nn.Module, got {type(model).__name__}")
    x, y = torch.as_tensor(inputs), torch.as_tensor(targets)
    if x.dim() < 1 or y.dim() < 1 or x.shape[0] != y.shape[0] or x.shape[0] < 2:
        raise BadInput(f"inputs and targets must have the same number (>= 2) of rows, got {tuple(x.shape)} and "
                       f"{tuple(y.shape)}")
    if device == "cuda" and not torch.cuda.is_available():
        raise BadInput("device 'cuda': PyTorch sees no CUDA device")
    if device not in ("cpu", "cuda"):
        raise BadInput(f"device must be 'cpu' or 'cuda', got {device!r}")
    copy_ = copy.deepcopy(model).to(device=device, dtype=torch.float64).eval()
    for p in copy_.parameters():
        p.requires_grad_(False)
    x = x.to(device=device, dtype=torch.float64) if x.is_floating_point() else x.to(device)
    y = y.to(device=device, dtype=torch.float64) if y.is_floating_point() else y.to(device)
    return copy_, x, y


def _summary(units: LayerUnits, gamma: np.ndarray, M: int) -> tuple[LayerPopulation, np.ndarray, np.ndarray]:
    """The layer's batch inputs, the (u, v) covariance over units and the gradient covariances."""
    unit_cov = unit_covariance(units.u, units.v)
    grad_cov = gradient_covariance(units.grad_beta, units.grad_gamma, units.u, units.v)
    control = nr.first_order_term(gamma, unit_cov, M, np.zeros((2, gamma.shape[0])), grad_cov)
    layer = LayerPopulation(gamma, units.u, units.v, units.v.mean(axis=0), units.grad_beta, units.grad_gamma,
                            float(control.sum()))
    return layer, unit_cov, grad_cov


def _layer_audit(name: str, units: LayerUnits, pop: LayerPopulation, unit_cov: np.ndarray, grad_cov: np.ndarray,
                 est: BatchEstimates, k: int, M: int) -> LayerAudit:
    grad = np.stack([units.grad_beta.mean(axis=0), units.grad_gamma.mean(axis=0)])
    first = float(nr.first_order_term(pop.gamma, unit_cov, M, grad, grad_cov).sum())
    seed = float(np.sum(zeta_from_moments(units.moments, M) * pop.gamma**2))
    c = pop.gamma.shape[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        measured = pop.variance / est.var_a[k]
    return LayerAudit(name, c, units.positions, est.gap[k], first, est.quadratic[k], est.diagonal[k],
                      est.gap_minus_quadratic[k], seed, nr.effective_batch_size(pop.variance, np.diag(unit_cov)[:c], M),
                      measured, float(np.mean(np.diag(unit_cov)[:c])) / M, est.mean_a2[k], pop.gamma, unit_cov, M)


def _audit_at(model: nn.Module, switches, x: torch.Tensor, y: torch.Tensor, loss_fn: LossFn, pn_losses: np.ndarray,
              units: list[LayerUnits], M: int, batches: int, seq: np.random.SeedSequence) -> NetworkAudit:
    summaries = [_summary(u, s.module.weight.detach().double().cpu().numpy(), M) for u, s in zip(units, switches)]
    est = run_batches(model, switches, [s[0] for s in summaries], x, y, loss_fn, pn_losses, M, batches,
                      np.random.Generator(np.random.PCG64(seq)))
    layers = [_layer_audit(s.name, u, *summ, est, k, M) for k, (s, u, summ) in enumerate(zip(switches, units,
                                                                                             summaries))]
    return NetworkAudit(layers, est.network_gap, est.network_minus_layers, M, batches, x.shape[0])


def audit_network(model: nn.Module, inputs: object, targets: object, loss: LossFn, M: int, *, batches: int = 1000,
                  seed: SeedLike = 0, scaling_batches: int = 0, device: str = "cpu", chunk: int = 500,
                  activation: str = "relu") -> NetworkAudit:
    r"""Audit every BN layer of ``model`` at batch size ``M`` (see the module docstring).

    Parameters
    ----------
    model : torch.nn.Module
        Any model with ``torch.nn.BatchNorm1d/2d/3d`` layers (``affine=True``); it is deep-copied to
        float64 in evaluation mode (dropout off) and never modified.  A BN module's ``eps`` is used as
        the module defines it; ``track_running_stats`` and the running statistics are not used: the
        population statistics are computed from ``inputs``.
    inputs, targets : tensor or array
        The population (e.g. the training set), one unit per row; batches are drawn from it i.i.d.
        with replacement, and its statistics define PN.
    loss : callable
        ``loss(outputs, targets)`` returning one loss per row (e.g. ``CrossEntropyLoss(reduction="none")``).
    M : int
        Units per batch (>= 2; images for a conv layer, whose statistics also average positions).
    batches : int
        Random batches of the Monte Carlo (>= 2).
    seed : int or numpy.random.SeedSequence
        Root of every random draw; the same seed gives the same audit.
    scaling_batches : int
        Batches of a second run at ``M // 4`` that measures the remainder there, from which
        :meth:`LayerAudit.remainder_bound` bounds it at ``M``; 0 skips it.
    device : {"cpu", "cuda"}
        Where the float64 copy runs.
    chunk : int
        Units per forward pass over the population.
    activation : str
        The activation after the BN layers, for the seed's reading only (its :math:`A''=g'`).

    Returns
    -------
    NetworkAudit

    Raises
    ------
    BadInput
        A model without BN layers, a BN layer with ``affine=False`` or used twice in one pass, a loss
        that is not per row, mismatched inputs, a bad ``M``/``batches``/``device``.
    """
    M, batches, chunk = batch_size(M), _count("batches", batches, 2), _count("chunk", chunk, 1)
    scaling_batches = _count("scaling_batches", scaling_batches, 0)
    if scaling_batches == 1:
        raise BadInput("scaling_batches must be 0 (no scaling run) or >= 2")
    if scaling_batches and M // 4 < 2:
        raise BadInput(f"the scaling run needs M // 4 >= 2, got M = {M}")
    main_seq, quarter_seq = as_seed_sequence(seed).spawn(2)
    net, x, y = _prepared(model, inputs, targets, device)
    switches = install_switches(net)
    set_population_statistics(net, switches, x, chunk)
    pn_losses, units = unit_quantities(net, switches, x, y, loss, chunk, activation)
    set_modes(switches, "pn")
    audit = _audit_at(net, switches, x, y, loss, pn_losses, units, M, batches, main_seq)
    settings = {"batches": batches, "scaling_batches": scaling_batches, "device": device, "activation": activation,
                "dtype": "float64"}
    layers = audit.layers
    if scaling_batches:
        quarter = _audit_at(net, switches, x, y, loss, pn_losses, units, M // 4, scaling_batches, quarter_seq)
        layers = [replace(layer, remainder_quarter=q.remainder) for layer, q in zip(layers, quarter.layers)]
    return replace(audit, layers=layers, settings=settings)


def layer_hessian(model: nn.Module, inputs: object, targets: object, loss: LossFn, layer: int, *,
                  device: str = "cpu", chunk: int = 500) -> np.ndarray:
    r"""The PN training loss's Hessian over one BN layer's :math:`(\beta,\gamma)`, by autograd.

    Exact for the smooth part of the loss (autograd differentiates ReLU and max-pool as piecewise
    linear, so the kinks' contributions are not in it; :func:`audit_network` measures
    :math:`\tfrac12\operatorname{tr}(H\Sigma)` by second differences, which include them).
    Costs :math:`2C` backward passes over the population: for small layers and cross-checks.

    Parameters
    ----------
    model, inputs, targets, loss, device, chunk
        As in :func:`audit_network`.
    layer : int
        Index of the BN module among the model's BN modules (``named_modules`` order).

    Returns
    -------
    ndarray of shape (2C, 2C)
        Ordered :math:`(\beta_1..\beta_C,\gamma_1..\gamma_C)`, the mean over the population.

    Raises
    ------
    BadInput
        As :func:`audit_network`, or ``layer`` out of range.
    """
    net, x, y = _prepared(model, inputs, targets, device)
    switches = install_switches(net)
    if isinstance(layer, bool) or not isinstance(layer, int) or not 0 <= layer < len(switches):
        raise BadInput(f"layer must be an index in [0, {len(switches)}), got {layer!r}")
    chunk = _count("chunk", chunk, 1)
    set_population_statistics(net, switches, x, chunk)
    switch = switches[layer]
    theta0 = torch.cat([switch.module.bias.detach(), switch.module.weight.detach()])
    total = torch.zeros(theta0.shape[0], theta0.shape[0], dtype=torch.float64, device=theta0.device)

    def chunk_loss(theta: torch.Tensor, rows: slice) -> torch.Tensor:
        set_modes(switches, "pn")
        switch.theta = theta
        return per_unit_loss(loss, net(x[rows]), y[rows]).sum()

    for rows in chunks(x.shape[0], chunk):
        total += torch.autograd.functional.hessian(lambda t, r=rows: chunk_loss(t, r), theta0)
    switch.theta = None
    return (total / x.shape[0]).cpu().numpy()
