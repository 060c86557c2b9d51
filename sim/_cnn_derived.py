r"""PN + the *derived* gamma decay in the CNN (seed §1.3, §2.4.1): the penalty that BN adds to a layer
according to :mod:`theory.network_regularizer`, refreshed on PN's schedule.

At a refresh, per PN layer with :class:`~sim._cnn_layers.DerivedPopulationNorm`:

* the unit covariance (2C x 2C) of :math:`(u,v)` over the images of the PN sample (an image of a conv
  layer is one unit, :math:`u,v` its means over positions of :math:`n,n^2`; an fc unit is one image
  with one position), :func:`sim._cnn_population.unit_moments`;
* the PN training loss's Hessian :math:`H` over the layer's :math:`(\beta,\gamma)` on a fixed training
  subsample (the first ``pn_hessian`` images of the PN sample), population statistics held fixed.
  With PN everywhere the logits are piecewise linear in one layer's :math:`(\beta,\gamma)` (ReLU,
  max-pool, conv, fc and PN with frozen statistics are all piecewise linear), so autograd's Hessian
  is exactly the Gauss-Newton form :math:`H=\frac1N\sum_u J_u^{\top}(\operatorname{diag}p_u-p_up_u^{\top})J_u`,
  :math:`J_u` the unit's logit Jacobian over :math:`(\beta,\gamma)`.  :math:`J` of every layer at once
  costs one forward and ``classes`` backward passes of the subsample (:data:`JACOBIAN_DTYPE`), instead of the 2C
  double-backward passes per layer of :func:`sim.network_audit.layer_hessian` (the same matrix: a
  test compares them).  Like every autograd Hessian it misses the ReLU and max-pool kinks'
  contribution (delta functions); :func:`derived_audit` measures how much that is;
* :math:`Z` = :func:`theory.network_regularizer.gamma_decay_matrix` at :math:`M` = images per batch;
* :math:`T_{1,c}` = :func:`theory.network_regularizer.first_order_term` (the PN gradient against the
  mean shift and the batch's gradient against its own statistics: :math:`O(1/M)`, the order of the
  quadratic term), with the per-unit gradients and :math:`u,v` of the subsample;

and the penalty :math:`\gamma^{\top}Z\gamma+\tau^{\top}\gamma`, :math:`\tau_c=T_{1,c}/\gamma_c`, is held
fixed until the next refresh (as :math:`\zeta` is for the seed's reading).  :math:`T_1` is linear in
:math:`\gamma` at fixed moments and gradients (:func:`theory.network_regularizer.mean_shift` is
proportional to :math:`\gamma`, and so is the self-statistics term), so the frozen :math:`\tau` carries
its :math:`\gamma`-dependence; its dependence on the weights through the gradients is frozen as
:math:`Z`'s dependence through :math:`H` is.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from theory import network_regularizer as nr

from ._audit_population import gradient_covariance, unit_covariance
from ._cnn_layers import PopulationNorm
from ._cnn_models import SeedCNN
from ._cnn_population import refresh_population

CHUNK = 256  #: images per forward pass of the Jacobian
#: precision of the Jacobian pass: the float32 network's own (3x faster than float64 on a CPU; its
#: relative rounding, ~1e-6, is far below the Monte-Carlo noise of any use); H, Z, T1 are float64
JACOBIAN_DTYPE = torch.float32


@dataclass
class LayerJacobian:
    """Per unit of the subsample and one layer: the logit Jacobian over :math:`(\\beta,\\gamma)` (units,
    classes, 2C) and :math:`u,v` (units, C)."""

    jacobian: np.ndarray
    u: np.ndarray
    v: np.ndarray


def _frozen_copy(model: SeedCNN) -> SeedCNN:
    net = copy.deepcopy(model).to(JACOBIAN_DTYPE).eval()
    for p in net.parameters():
        p.requires_grad_(False)
    return net


def _jacobian_chunk(net: SeedCNN, x: torch.Tensor, indices: list[int]) -> tuple[torch.Tensor, dict[int, tuple]]:
    """Logits of ``x`` and, per layer in ``indices``, (J of shape (units, classes, 2C), u, v)."""
    leaves: dict[int, torch.Tensor] = {}
    normalized: dict[int, torch.Tensor] = {}
    for i, block in enumerate(net._block_list()):
        h = block.pre(net.before_block(i, x))
        out = block.norm(h)
        if i in indices:
            norm = block.norm
            assert isinstance(norm, PopulationNorm)
            normalized[i] = norm.standardize(h.detach())
            leaves[i] = torch.zeros_like(out, requires_grad=True)
            out = out + leaves[i]
        x = block.dropout(F.relu(out))
    logits = net.head(x)
    per_class = [torch.autograd.grad(logits[:, j].sum(), [leaves[i] for i in indices], retain_graph=True)
                 for j in range(logits.shape[1])]
    result = {}
    for position, i in enumerate(indices):
        n = normalized[i]
        rows = [torch.cat([_over_positions(g[position], torch.sum), _over_positions(g[position] * n, torch.sum)], dim=1)
                for g in per_class]  # d logit_j / d(beta_c, gamma_c) = sum over positions of (1, n) d logit_j / d h-hat
        result[i] = (torch.stack(rows, dim=1), _over_positions(n, torch.mean), _over_positions(n * n, torch.mean))
    return logits.detach(), result


def _over_positions(t: torch.Tensor, reduce) -> torch.Tensor:
    """``reduce`` over the positions of a (units, C, *positions) tensor (none for an fc layer's (units, C))."""
    dims = tuple(range(2, t.dim()))
    return reduce(t, dim=dims) if dims else t


def jacobians(model: SeedCNN, x: torch.Tensor, indices: list[int]) -> tuple[np.ndarray, dict[int, LayerJacobian]]:
    """Softmax probabilities of ``x`` and every listed layer's :class:`LayerJacobian` (float64 arrays
    from a :data:`JACOBIAN_DTYPE` copy of ``model``, PN statistics as set).

    Parameters
    ----------
    model : SeedCNN
        A network whose listed blocks are PN layers.
    x : torch.Tensor
        Images (units).
    indices : list of int
        Block indices of the layers.

    Returns
    -------
    probs : ndarray of shape (units, classes)
    layers : dict of int to LayerJacobian
    """
    net = _frozen_copy(model)
    x = x.to(JACOBIAN_DTYPE)
    probs, parts = [], []
    for start in range(0, x.shape[0], CHUNK):
        logits, result = _jacobian_chunk(net, x[start:start + CHUNK], indices)
        probs.append(torch.softmax(logits, dim=1))
        parts.append(result)
    out = {i: LayerJacobian(*(torch.cat([p[i][k] for p in parts]).double().cpu().numpy() for k in range(3)))
           for i in indices}
    return torch.cat(probs).double().cpu().numpy(), out


def gauss_newton(jac: np.ndarray, probs: np.ndarray) -> np.ndarray:
    r""":math:`\frac1N\sum_u J_u^{\top}(\operatorname{diag}p_u-p_up_u^{\top})J_u` (cross-entropy's Hessian
    of a model piecewise linear in the parameters), float64.

    Parameters
    ----------
    jac : ndarray of shape (units, classes, P)
        Per-unit logit Jacobians.
    probs : ndarray of shape (units, classes)
        Softmax probabilities.

    Returns
    -------
    ndarray of shape (P, P)
    """
    weighted = (jac * np.sqrt(probs)[:, :, None]).reshape(-1, jac.shape[2])
    mean_row = np.einsum("uj,ujp->up", probs, jac)
    return (weighted.T @ weighted - mean_row.T @ mean_row) / jac.shape[0]


def first_order(layer: LayerJacobian, probs: np.ndarray, targets: np.ndarray, gamma: np.ndarray,
                unit_cov: np.ndarray, M: float) -> np.ndarray:
    """:math:`T_{1,c}` of every channel from the subsample's per-unit gradients (``J^T (p - y)``) and
    :math:`u,v` (:func:`theory.network_regularizer.first_order_term`)."""
    residual = probs.copy()
    residual[np.arange(len(targets)), targets] -= 1.0
    per_unit = np.einsum("uj,ujp->up", residual, layer.jacobian)  # (units, 2C): d loss_u / d(beta, gamma)
    c = gamma.shape[0]
    grad_beta, grad_gamma = per_unit[:, :c], per_unit[:, c:]
    grad_cov = gradient_covariance(grad_beta, grad_gamma, layer.u, layer.v)
    grad = np.stack([grad_beta.mean(axis=0), grad_gamma.mean(axis=0)])
    return nr.first_order_term(gamma, unit_cov, M, grad, grad_cov)


def layer_terms(layer: LayerJacobian, probs: np.ndarray, targets: np.ndarray, gamma: np.ndarray,
                unit_cov: np.ndarray, M: float) -> tuple[np.ndarray, np.ndarray]:
    """:math:`Z` (C, C) and :math:`T_1` (C,) of one layer (see the module docstring)."""
    z = nr.gamma_decay_matrix(gauss_newton(layer.jacobian, probs), gamma, unit_cov, M)
    return z, first_order(layer, probs, targets, gamma, unit_cov, M)


def _tau(first: np.ndarray, gamma: np.ndarray) -> np.ndarray:
    """:math:`T_{1,c}/\\gamma_c` (0 where :math:`\\gamma_c` = 0: the term then vanishes with it)."""
    safe = np.where(gamma != 0, gamma, 1.0)
    return np.where(gamma != 0, first / safe, 0.0)


@torch.no_grad()
def _set_terms(norm, z: np.ndarray, tau: np.ndarray) -> None:
    norm.gamma_decay.copy_(torch.as_tensor(z, dtype=norm.gamma_decay.dtype))
    norm.tau.copy_(torch.as_tensor(tau, dtype=norm.tau.dtype))


def refresh_derived(model: SeedCNN, population: torch.Tensor, subsample: torch.Tensor, targets: np.ndarray,
                    M: float) -> dict[int, dict[str, np.ndarray]]:
    """Refresh PN's statistics and :math:`\\zeta` (:func:`~sim._cnn_population.refresh_population`), then
    every derived layer's :math:`Z` and :math:`\\tau` (module docstring).

    Parameters
    ----------
    model : SeedCNN
        The network (its derived layers' buffers are set).
    population : torch.Tensor
        PN's sample of training images (statistics and unit covariances).
    subsample : torch.Tensor
        Training images of the Hessian and per-unit gradients.
    targets : ndarray
        Their labels.
    M : float
        Images per batch.

    Returns
    -------
    dict of int to dict
        :func:`~sim._cnn_population.refresh_population`'s records by block index; a derived layer's
        also holds ``"quadratic"`` (:math:`\\gamma^{\\top}Z\\gamma`) and ``"first_order"`` (:math:`\\sum_cT_{1,c}`).
    """
    records = refresh_population(model, population, M, units=True)
    derived = [i for i, _ in model.derived_norms()]
    if not derived:
        return records
    probs, layers = jacobians(model, subsample, derived)
    for index, norm in model.derived_norms():
        record = records[index]
        gamma = norm.weight.detach().double().cpu().numpy()
        unit_cov = unit_covariance(record.pop("u"), record.pop("v"))
        z, first = layer_terms(layers[index], probs, targets, gamma, unit_cov, M)
        _set_terms(norm, z, _tau(first, gamma))
        record.update(quadratic=np.array(gamma @ z @ gamma), first_order=np.array(first.sum()))
    return records


def bn_twin(model: SeedCNN) -> SeedCNN:
    """The same network with ``torch.nn.BatchNorm`` modules in place of the PN layers (same weights,
    affine parameters and ``eps``), for :func:`sim.network_audit.audit_network`.

    Parameters
    ----------
    model : SeedCNN
        A network with PN (or derived PN) in every normalized layer.

    Returns
    -------
    SeedCNN
        Its BN twin (running statistics unset: the audit uses its own population's).

    Raises
    ------
    RuntimeError
        If a parameter of the twin has no counterpart in ``model``.
    """
    twin = SeedCNN(model.input_shape, ("bn",) * len(model.blocks), 0.0, model.head.out_features, torch.Generator())
    state = {k: v for k, v in model.state_dict().items() if k in twin.state_dict() and "running" not in k}
    missing = [k for k in twin.state_dict() if k not in state and "running" not in k and "num_batches" not in k]
    if missing:
        raise RuntimeError(f"cannot copy {missing} into the BN twin")
    twin.load_state_dict(state, strict=False)
    return twin.to(model.head.weight.device)


def _penalty_terms(model: SeedCNN) -> dict[str, np.ndarray]:
    """Per derived layer, the network's own :math:`\\gamma^{\\top}Z\\gamma` and :math:`\\tau^{\\top}\\gamma`
    (as trained: the last refresh's :math:`Z,\\tau`)."""
    quad, lin = [], []
    for _, norm in model.derived_norms():
        gamma = norm.weight.detach().double()
        quad.append(float(gamma @ (norm.gamma_decay.double() @ gamma)))
        lin.append(float(torch.dot(norm.tau.double(), gamma)))
    return {"derived_quadratic_network": np.array(quad), "derived_first_order_network": np.array(lin)}


def _autograd_quadratic(model: SeedCNN, x: torch.Tensor, gammas: list[np.ndarray],
                        unit_covs: list[np.ndarray], M: int) -> np.ndarray:
    """Per derived layer, :math:`\\gamma^{\\top}Z\\gamma` with the autograd (Gauss-Newton) Hessian over the
    whole population ``x`` and the audit's own unit covariance: the audit's measured quadratic term
    minus this is the kinks' contribution (plus Monte-Carlo noise).  The labels do not enter: the
    Gauss-Newton form of the cross-entropy, :math:`J^{\\top}(\\operatorname{diag}p-pp^{\\top})J`, has none."""
    indices = [i for i, _ in model.derived_norms()]
    probs, layers = jacobians(model, x, indices)
    return np.array([g @ nr.gamma_decay_matrix(gauss_newton(layers[i].jacobian, probs), g, cov, M) @ g
                     for i, g, cov in zip(indices, gammas, unit_covs)])


def derived_audit(model: SeedCNN, x: torch.Tensor, y: torch.Tensor, M: int, batches: int,
                  seed: np.random.SeedSequence) -> dict[str, np.ndarray]:
    """The network audit of a trained PN + derived-decay network (PN statistics set from ``x``) as
    its BN twin (:func:`bn_twin`), with ``x, y`` as the population: per layer the measured BN gap,
    the audit's :math:`T_1+\\tfrac12\\operatorname{tr}(H\\Sigma)` (second differences), the remainder
    and its value at ``M // 4``, the autograd :math:`\\gamma^{\\top}Z\\gamma` (kinks missing) and the
    network's own penalty; and the whole network's BN gap.

    Parameters
    ----------
    model : SeedCNN
        The trained network, its PN statistics set from ``x``.
    x, y : torch.Tensor
        The population (PN's sample) and its labels.
    M : int
        Images per batch.
    batches : int
        Monte-Carlo batches at ``M`` and at ``M // 4``.
    seed : numpy.random.SeedSequence
        The audit's random stream.

    Returns
    -------
    dict of str to ndarray
        Arrays named ``derived_*`` (per layer, or scalars for the whole network).
    """
    from torch import nn  # noqa: PLC0415

    from .network_audit import audit_network  # noqa: PLC0415

    audit = audit_network(bn_twin(model), x, y, nn.CrossEntropyLoss(reduction="none"), M, batches=batches,
                          scaling_batches=batches, seed=seed, device=x.device.type)
    layers = audit.layers
    quarter = [la.remainder_quarter for la in layers]
    assert all(q is not None for q in quarter)
    out = {
        "derived_gap": [la.gap.value for la in layers], "derived_gap_se": [la.gap.stderr for la in layers],
        "derived_predicted": [la.predicted for la in layers],
        "derived_remainder_se": [la.gap_minus_quadratic.stderr for la in layers],
        "derived_remainder_quarter": [q.value for q in quarter if q is not None],
        "derived_remainder_quarter_se": [q.stderr for q in quarter if q is not None],
        "derived_quadratic_measured": [la.quadratic.value for la in layers],
        "derived_quadratic_measured_se": [la.quadratic.stderr for la in layers],
        "derived_first_order_audit": [la.first_order for la in layers],
        "derived_quadratic_autograd": _autograd_quadratic(model, x, [la.gamma for la in layers],
                                                          [la.unit_cov for la in layers], M),
        "derived_network_gap": audit.network_gap.value, "derived_network_gap_se": audit.network_gap.stderr,
        "derived_network_minus_layers": audit.network_minus_layers.value,
        "derived_network_minus_layers_se": audit.network_minus_layers.stderr,
        "derived_audit_batches": batches,
    }
    return {k: np.asarray(v, dtype=np.float64) for k, v in out.items()} | _penalty_terms(model)
