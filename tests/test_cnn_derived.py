"""PN + the derived matrix gamma decay (``pn_derived``): its Hessian is autograd's, its penalty is
theory's Z and T1 (computed independently by the network audit), one step follows the penalty's
gradient, and the two after-training checks hold and fail for planted errors."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from sim._cnn_derived import bn_twin, gauss_newton, jacobians  # noqa: E402
from sim._cnn_train import _Trainer, configure  # noqa: E402
from sim.cnn import CNNRun, train_cnn, variant  # noqa: E402
from sim.network_audit import layer_hessian  # noqa: E402
from verify._cnn_audit import derived_layer_checks, derived_penalty_check  # noqa: E402

from ._cnn_images import synthetic_images  # noqa: E402
from .helpers import plant  # noqa: E402


@pytest.fixture(autouse=True)
def _deterministic():
    configure("cpu")


def _trained(steps: int = 3, **settings) -> _Trainer:
    data = synthetic_images(128, 40, 12, 0)
    trainer = _Trainer(CNNRun("pn_derived", 32, 0, epochs=1, pn_sample=96, pn_hessian=96, eval_train=64, **settings),
                       data)
    for b in range(steps):
        trainer.train_step(np.arange(32 * b, 32 * b + 32) % 128)
    trainer.refresh()
    return trainer


def test_variants_are_labelled_as_readings():
    assert "seed's reading" in variant("pn_gd").label and "one-neuron" in variant("pn_gd").label
    assert variant("pn_derived").label == "PN + derived matrix gamma decay"
    with pytest.raises(ValueError, match="pn_hessian"):
        CNNRun("pn_derived", 32, 0, pn_hessian=0)


@pytest.mark.parametrize("layer", [0, 3, 4])
def test_gauss_newton_hessian_is_the_autograd_hessian(layer):
    """With PN everywhere the logits are piecewise linear in one layer's (beta, gamma): the Gauss-Newton
    form from the per-unit Jacobians (float32 pass) is sim.network_audit.layer_hessian's double-backward
    Hessian (float64 BN twin in population mode) to the float32 rounding of the statistics and Jacobian."""
    trainer = _trained()
    x, y = trainer.population, trainer.population_y
    probs, layers = jacobians(trainer.model, x, [layer])
    ours = gauss_newton(layers[layer].jacobian, probs)
    autograd = layer_hessian(bn_twin(trainer.model), x, y, torch.nn.CrossEntropyLoss(reduction="none"), layer)
    np.testing.assert_allclose(ours, autograd, rtol=0, atol=2e-5 * np.abs(autograd).max())
    assert np.abs(autograd).max() > 0


def test_penalty_is_the_audits_independent_z_and_first_order_term():
    """Hessian sample = PN sample = the audit's population: the network's gamma^T Z gamma equals the audit's
    autograd one (its own float64 unit covariance) and its tau^T gamma the audit's T1 (its own per-unit
    gradients, sim._audit_population), layer by layer."""
    from sim._cnn_derived import derived_audit

    trainer = _trained()
    arrays = derived_audit(trainer.model, trainer.population, trainer.population_y, 32, 4, np.random.SeedSequence(1))
    np.testing.assert_allclose(arrays["derived_quadratic_network"], arrays["derived_quadratic_autograd"], rtol=2e-4)
    np.testing.assert_allclose(arrays["derived_first_order_network"], arrays["derived_first_order_audit"], rtol=2e-3,
                               atol=1e-3 * np.abs(arrays["derived_first_order_audit"]).max())
    total = sum(float(n.penalty().detach()) for _, n in trainer.model.derived_norms())
    np.testing.assert_allclose(float(trainer.model.penalty().detach()), total, rtol=1e-6)
    expected = arrays["derived_quadratic_network"].sum() + arrays["derived_first_order_network"].sum()
    np.testing.assert_allclose(total, expected, rtol=1e-5)


def test_one_step_follows_the_penalty_gradient():
    """With Z, tau set, one step's change of gamma is the loss's change minus lr (2 Z gamma + tau)."""
    steps = {}
    for scale in (1.0, 0.0):
        trainer = _trained(steps=1)
        norm = trainer.model.derived_norms()[1][1]
        with torch.no_grad():
            for _, n in trainer.model.derived_norms():
                n.gamma_decay.mul_(scale * 1e3)  # large enough to stand out of float32 rounding
                n.tau.mul_(scale * 1e3)
        trainer.since_refresh = 0
        z, tau, gamma0 = norm.gamma_decay.clone(), norm.tau.clone(), norm.weight.detach().clone()
        trainer.train_step(np.arange(32))  # the momentum buffers of both runs are equal (same first step)
        steps[scale] = (norm.weight.detach() - gamma0, z, tau, gamma0)
    lr = trainer.optimizer.param_groups[0]["lr"]
    decay = steps[1.0][0] - steps[0.0][0]
    _, z, tau, gamma0 = steps[1.0]
    torch.testing.assert_close(decay, -lr * (2 * z @ gamma0 + tau), rtol=2e-3, atol=1e-7)


def test_derived_checks_hold_and_fail_for_planted_errors():
    """A trained pn_derived run's audit: every layer's T1 + tr(H Sigma)/2 and the whole network's training
    penalty agree with the measured BN gaps; an error of twice the check's detectable size fails it, and
    that size is stated: under 70 % of the gap for every layer, under 2x for the penalty (the whole
    network's gap is noisier: no per-layer control variate; 64 batches of 32 on 96 synthetic 12x12 images)."""
    run = CNNRun("pn_derived", 32, 0, epochs=2, pn_sample=96, pn_hessian=96, eval_train=64,
                 derived_audit_batches=64)
    arrays, _ = train_cnn(run, synthetic_images(128, 40, 12, 0))
    checks = derived_layer_checks({run.key: arrays}, {run.key: run}) + derived_penalty_check({run.key: arrays},
                                                                                           {run.key: run})
    assert len(checks) == 6
    for check in checks:
        assert check.holds, check
        assert not plant(check, 2 * check.detectable_relative_error).holds
        assert not plant(check, -2 * check.detectable_relative_error).holds
    sizes = [c.detectable_relative_error for c in checks]
    assert max(sizes[:5]) < 0.7 and sizes[5] < 2, sizes


def test_first_step_refreshes_statistics_zeta_and_the_derived_terms():
    trainer = _Trainer(CNNRun("pn_derived", 32, 0, epochs=1, pn_sample=64, pn_hessian=64, eval_train=64),
                       synthetic_images(128, 40, 12, 0))
    buffers = {k: b.clone() for k, b in trainer.model.named_buffers()}
    trainer.train_step(np.arange(32))
    changed = {k for k, b in trainer.model.named_buffers() if not torch.equal(buffers[k], b)}
    assert changed == set(buffers)  # population statistics, zeta, Z and tau of every layer
    for _, norm in trainer.model.derived_norms():
        torch.testing.assert_close(norm.gamma_decay, norm.gamma_decay.T, rtol=1e-5, atol=1e-9)  # Z symmetric
        assert float(norm.weight.detach() @ norm.gamma_decay @ norm.weight.detach()) > 0  # H and Sigma PSD
