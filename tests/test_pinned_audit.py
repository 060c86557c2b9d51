"""The network audit on a convolution, pinned where the sampled mutation run of sim/ found it unchecked
(docs/mutation.md): a conv channel's per-unit quantities average over positions, and the seed's reading
:math:`\\sum_c\\zeta_c\\gamma_c^2` takes each channel's :math:`\\zeta` from its pre-activations over images x
positions exactly as :func:`theory.zeta` does for that sample (seed §1.3, §2.4.1)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from sim.network_audit import audit_network  # noqa: E402
from theory import zeta  # noqa: E402

M = 8  #: images per batch


def test_seed_reading_of_a_conv_layer_is_theorys_zeta_per_channel():
    """Conv2d(2, 3, 3) -> BatchNorm2d(3) -> ReLU -> Linear on 40 random 6 x 6 images: the audit's seed reading
    equals sum_c gamma_c^2 zeta_c, with zeta_c = theory.zeta("relu", M, gamma_c, beta_c, input = the channel's
    pre-activations over all images and positions).  Kills F_gamma's moment E[A'' n^2] computed as
    E[A''] (``a2n * n`` made ``a2n / n``) and the per-unit mean over positions replaced by None."""
    generator = torch.Generator().manual_seed(3)
    model = nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3, eps=1e-12), nn.ReLU(), nn.Flatten(),
                          nn.Linear(3 * 4 * 4, 2)).double()
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=generator, dtype=torch.float64))
        model[1].weight.abs_()
    x = torch.randn(40, 2, 6, 6, generator=generator, dtype=torch.float64)
    y = torch.randint(0, 2, (40,), generator=generator)
    audit = audit_network(model, x, y, nn.CrossEntropyLoss(reduction="none"), M, batches=4, seed=1)
    (layer,) = audit.layers
    assert layer.positions == 16
    with torch.no_grad():
        h = model[0](x).transpose(0, 1).reshape(3, -1).numpy()
    gamma, beta = model[1].weight.detach().numpy(), model[1].bias.detach().numpy()
    expected = sum(g**2 * zeta("relu", M, gamma=float(g), beta=float(b), input=h_c).value
                   for g, b, h_c in zip(gamma, beta, h))
    assert layer.seed_reading == pytest.approx(expected, rel=1e-8)
    u = (h - h.mean(axis=1, keepdims=True)) / h.std(axis=1, keepdims=True)
    per_image_mean = u.reshape(3, 40, 16).mean(axis=2)
    np.testing.assert_allclose(np.diag(layer.unit_cov)[:3], per_image_mean.var(axis=1), rtol=1e-8)


def test_a_sequential_model_gets_the_expanded_batch(monkeypatch):
    """Where the layers after the audited one act row by row (a plain Sequential), the audited layer expands
    the batch itself (one forward of M rows in, 5M out) after its first batch checked that this gives what the
    repeated input gives; the results are the same either way, the repeated input costs five forwards of the
    layers before it.  Kills the check's own call made without ``expand=True`` (the check then always fails
    and every batch falls back to the repeated input)."""
    import sim._audit_batches as batches

    calls: list[bool] = []
    original = batches._batch_losses

    def recording(*args, **kwargs):
        calls.append(bool(kwargs.get("expand", False)))
        return original(*args, **kwargs)

    monkeypatch.setattr(batches, "_batch_losses", recording)
    generator = torch.Generator().manual_seed(4)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Tanh(), nn.Linear(4, 2))
    x = torch.randn(30, 3, generator=generator)
    y = torch.randint(0, 2, (30,), generator=generator)
    audit_network(model, x, y, nn.CrossEntropyLoss(reduction="none"), M, batches=3, seed=2)
    # the check (repeated, expanded), then per batch the layer expanded and the whole network in BN mode
    assert calls == [False, True] + [True, False] * 3


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"batches": 1}, "batches must be an integer >= 2, got 1"),
    ({"loss": lambda out, y: 0.5}, "the loss must return one value per sample (e.g. reduction='none'), shape (30,); "
                                   "got float"),
])
def test_the_audit_says_which_argument_is_wrong(kwargs, message):
    """Bad arguments of audit_network are named in the one-line message: the parameter ``batches`` as the user
    typed it, and the type a non-tensor loss returned.  Kills the name upper-cased and the type name read off
    None."""
    from theory.errors import BadInput

    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Tanh(), nn.Linear(4, 2))
    x, y = torch.randn(30, 3), torch.zeros(30, dtype=torch.long)
    args = {"loss": nn.CrossEntropyLoss(reduction="none"), "batches": 4, **kwargs}
    with pytest.raises(BadInput) as raised:
        audit_network(model, x, y, args.pop("loss"), M, seed=0, **args)
    assert str(raised.value) == message
