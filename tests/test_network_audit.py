"""The network audit (sim.network_audit): on one batch its "audit" switch makes BN exactly PN with the
batch's affine shifts (BatchNorm1d on (N, C) and (N, C, L), BatchNorm2d, any eps, with or without running
statistics); models and losses it cannot audit are refused as BadInput; the user's model is never touched
and a seed fixes the audit; on a tiny trained MLP the measured gap matches the derived prediction."""

from __future__ import annotations

import copy

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from sim._audit_batches import control_variate, linear_shift  # noqa: E402
from sim._audit_population import LayerUnits, set_population_statistics  # noqa: E402
from sim._audit_switch import Switch, install_switches, set_modes  # noqa: E402
from sim.network_audit import _prepared, _summary, audit_network  # noqa: E402
from theory.errors import BadInput  # noqa: E402

M = 16  #: rows of the batch in the exact-identity tests
POPULATION = 200  #: units of the random population in the exact-identity tests


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Tiny float64 models: one intra-op thread (a second one only spins when the other core is busy)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _randomize_affine(model: nn.Module, generator: torch.Generator) -> None:
    """Non-trivial gamma (positive) and beta on every BN module, so a wrong shift cannot hide."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.weight.copy_(0.5 + torch.rand(m.weight.shape, generator=generator))
                m.bias.copy_(torch.randn(m.bias.shape, generator=generator))


def _mlp_1d(eps: float, track: bool) -> tuple[nn.Module, tuple[int, ...]]:
    return nn.Sequential(nn.Linear(5, 4), nn.BatchNorm1d(4, eps=eps, track_running_stats=track), nn.Tanh(),
                         nn.Linear(4, 3)), (5,)


def _conv_1d(eps: float, track: bool) -> tuple[nn.Module, tuple[int, ...]]:
    return nn.Sequential(nn.Conv1d(2, 3, 3), nn.BatchNorm1d(3, eps=eps, track_running_stats=track), nn.ReLU(),
                         nn.Flatten(), nn.Linear(3 * 5, 2)), (2, 7)


def _conv_2d(eps: float, track: bool) -> tuple[nn.Module, tuple[int, ...]]:
    return nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3, eps=eps, track_running_stats=track), nn.ReLU(),
                         nn.Flatten(), nn.Linear(3 * 3 * 4, 2)), (2, 5, 6)


def _exact_shifts(switch: Switch, h: torch.Tensor, ignore_eps: bool = False) -> torch.Tensor:
    """(1, 2, C): the batch's exact (delta beta, delta gamma) from its layer input ``h`` (rows: the batch):
    a = batch mean of n, 1 + b = sqrt(1 + mean(n^2) - r - a^2), r = var / (var + eps) with the module's eps
    (r = 1 with ``ignore_eps``, the wrong reading)."""
    n = switch.standardize(h)
    dims = (0, *range(2, n.dim()))
    a, mean_n2 = n.mean(dim=dims), (n * n).mean(dim=dims)
    r = torch.ones_like(switch.var) if ignore_eps else switch.var / (switch.var + switch.eps)
    one_plus_b = torch.sqrt(1 + mean_n2 - r - a * a)
    gamma = switch.module.weight.detach()
    return torch.stack([-gamma * a / one_plus_b, -gamma * (one_plus_b - 1) / one_plus_b])[None]


def _layer_input(net: nn.Module, switches: list[Switch], x: torch.Tensor) -> torch.Tensor:
    """The BN layer's input for rows ``x`` (a forward pre-hook during one PN pass)."""
    seen = []
    handle = switches[0].module.register_forward_pre_hook(lambda _m, args: seen.append(args[0].detach().clone()))
    try:
        set_modes(switches, "pn")
        with torch.no_grad():
            net(x)
    finally:
        handle.remove()
    assert len(seen) == 1
    return seen[0]


@pytest.mark.parametrize("track", [True, False], ids=["running-stats", "no-running-stats"])
@pytest.mark.parametrize("eps", [1e-5, 0.1])
@pytest.mark.parametrize("build", [_mlp_1d, _conv_1d, _conv_2d], ids=["bn1d-NC", "bn1d-NCL", "bn2d"])
def test_audit_switch_makes_bn_exactly_shifted_pn(build, eps, track):
    """On one batch, BN (rows 0..M-1 of the "audit" pass) equals PN with gamma, beta shifted by the
    batch's exact (delta beta, delta gamma) (rows M..2M-1), to roundoff, for every layer shape and eps;
    the population statistics are the population's (divisor N, over rows and positions); the "audit" BN
    rows are torch's own training-mode BatchNorm; and ignoring eps (r = 1) breaks the identity."""
    torch.manual_seed(1)
    generator = torch.Generator().manual_seed(7)
    model, shape = build(eps, track)
    _randomize_affine(model, generator)
    population = 1.5 + 2.0 * torch.randn(POPULATION, *shape, generator=generator)
    net, x_pop, _ = _prepared(model, population, torch.zeros(POPULATION), "cpu")
    switches = install_switches(net)
    assert len(switches) == 1
    set_population_statistics(net, switches, x_pop, 64)
    switch = switches[0]
    assert switch.eps == pytest.approx(eps, rel=1e-6)
    h_pop = _layer_input(net, switches, x_pop)  # the population statistics: divisor N, over rows and positions
    flat = h_pop.transpose(0, 1).reshape(switch.channels, -1)
    torch.testing.assert_close(switch.mean, flat.mean(dim=1), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(switch.var, flat.var(dim=1, correction=0), rtol=1e-12, atol=1e-12)
    x = x_pop[torch.from_numpy(np.random.default_rng(np.random.SeedSequence(3)).integers(0, POPULATION, M))]
    x = x + 0.3 * torch.randn(x.shape, generator=generator, dtype=torch.float64)  # a batch off the population mean
    shifts = _exact_shifts(switch, _layer_input(net, switches, x))

    set_modes(switches, "audit")
    switch.batch, switch.shifts = M, shifts
    with torch.no_grad():
        out = net(torch.cat([x, x]))
    assert out.dtype == torch.float64
    bn, shifted = out[:M], out[M:]
    scale = bn.abs().max().item()
    assert (bn - shifted).abs().max().item() <= 1e-12 * scale

    reference = copy.deepcopy(model).to(torch.float64).train()  # torch's BN on this batch (a copy: stats move)
    with torch.no_grad():
        assert torch.allclose(reference(x), bn, rtol=1e-12, atol=1e-12 * scale)

    if eps == 0.1:  # the module's eps matters: with r = 1 (eps assumed away) the identity fails visibly
        switch.shifts = _exact_shifts(switch, _layer_input(net, switches, x), ignore_eps=True)
        set_modes(switches, "audit")
        with torch.no_grad():
            out = net(torch.cat([x, x]))
        assert (out[:M] - out[M:]).abs().max().item() > 1e-4 * scale


# -- inputs the audit refuses -----------------------------------------------------------------------


class _Shared(nn.Module):
    """One BN module applied twice in the forward pass."""

    def __init__(self) -> None:
        super().__init__()
        self.a, self.b, self.bn = nn.Linear(4, 3), nn.Linear(3, 3), nn.BatchNorm1d(3)

    def forward(self, x):
        return self.bn(self.b(torch.relu(self.bn(self.a(x)))))


def _data(rows: int = 40, features: int = 4, classes: int = 3, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(rows, features, generator=g), torch.randint(0, classes, (rows,), generator=g)


def _small_model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 5), nn.BatchNorm1d(5), nn.ReLU(), nn.Linear(5, 3))


PER_ROW = nn.CrossEntropyLoss(reduction="none")


@pytest.mark.parametrize(("model", "loss", "rows", "M", "message"), [
    (lambda: nn.Sequential(nn.Linear(4, 3), nn.ReLU()), PER_ROW, 40, 8,
     r"^the model has no torch\.nn\.BatchNorm1d/2d/3d layer to audit$"),
    (lambda: nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3, affine=False)), PER_ROW, 40, 8, "affine=False"),
    (_Shared, PER_ROW, 40, 8, "more than once"),
    (_small_model, nn.CrossEntropyLoss(reduction="mean"), 40, 8, "one value per sample"),
    (_small_model, PER_ROW, 39, 8, "same number"),
    (_small_model, PER_ROW, 40, 1, "M must be"),
], ids=["no-bn", "affine-false", "shared-bn", "mean-loss", "rows-mismatch", "M-1"])
def test_bad_models_and_inputs_are_bad_input(model, loss, rows, M, message):
    """A model without BN, a BN without affine parameters, a BN used twice in one pass, a loss that is
    not one value per row, inputs and targets of different rows, and M = 1 are the user's errors
    (BadInput, a ValueError) whose message names the problem."""
    x, y = _data()
    with pytest.raises(BadInput, match=message) as info:
        audit_network(model(), x, y[:rows], loss, M, batches=4)
    assert isinstance(info.value, ValueError)


# -- the user's model is untouched, the audit is reproducible ---------------------------------------

def _snapshot(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _numbers(audit) -> list[float]:
    out = [audit.network_gap.value, audit.network_gap.stderr, audit.network_minus_layers.value]
    for layer in audit.layers:
        out += [layer.gap.value, layer.gap.stderr, layer.first_order, layer.quadratic.value, layer.diagonal.value,
                layer.gap_minus_quadratic.value, layer.seed_reading, *layer.m_eff_measured, *layer.m_eff_derived]
        if layer.remainder_quarter is not None:
            out += [layer.remainder_quarter.value, layer.remainder_quarter.stderr]
    return out


@pytest.mark.parametrize("training", [True, False])
def test_audit_leaves_the_model_alone_and_a_seed_fixes_it(training):
    """audit_network changes nothing of the user's model (state_dict incl. running statistics, float32,
    train/eval flag, its BN modules' forward) and the same seed gives identical numbers (another seed
    other numbers)."""
    model = nn.Sequential(nn.Linear(4, 5), nn.BatchNorm1d(5), nn.ReLU(), nn.Linear(5, 6), nn.BatchNorm1d(6),
                          nn.Tanh(), nn.Linear(6, 3))
    _randomize_affine(model, torch.Generator().manual_seed(2))
    with torch.no_grad():
        model[1].running_mean.copy_(torch.arange(5.0))
    model.train(training)
    before = _snapshot(model)
    x, y = _data(60)
    first = audit_network(model, x, y, PER_ROW, 8, batches=20, seed=5, scaling_batches=10)
    after = _snapshot(model)
    assert before.keys() == after.keys()
    assert all(torch.equal(before[k], after[k]) and before[k].dtype == after[k].dtype for k in before)
    assert all(p.dtype == torch.float32 for p in model.parameters())
    assert model.training is training and all(m.training is training for m in model.modules())
    assert all("forward" not in m.__dict__ for m in model.modules())
    again = audit_network(model, x, y, PER_ROW, 8, batches=20, seed=5, scaling_batches=10)
    assert _numbers(again) == _numbers(first)
    assert len(first.layers) == 2 and [layer.name for layer in first.layers] == ["1", "4"]
    other = audit_network(model, x, y, PER_ROW, 8, batches=20, seed=6, scaling_batches=10)
    assert other.network_gap.value != first.network_gap.value


# -- end to end on a tiny trained MLP ---------------------------------------------------------------

@pytest.fixture(scope="module")
def trained_mlp():
    """Linear(6, 8) -> BatchNorm1d(8) -> ReLU -> Linear(8, 3), briefly trained by SGD on 600 samples of a
    noisy linear teacher; (model, inputs, targets)."""
    torch.manual_seed(0)
    x = torch.randn(600, 6)
    teacher = torch.randn(6, 3)
    y = torch.argmax(x @ teacher + 0.5 * torch.randn(600, 3), dim=1)
    model = nn.Sequential(nn.Linear(6, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    loss = nn.CrossEntropyLoss()
    model.train()
    for _ in range(5):
        for rows in torch.randperm(600).split(32):
            if rows.numel() < 2:
                continue
            opt.zero_grad()
            loss(model(x[rows]), y[rows]).backward()
            opt.step()
    return model, x, y


def test_tiny_mlp_gap_matches_the_derived_prediction(trained_mlp):
    """On a tiny trained MLP at M = 32: the measured gap minus T1 + tr(H Sigma)/2 is within 4 SE plus the
    remainder bound from M/4 (and under 20% of the gap); the measured effective batch size is within 30%
    of rM/C_uu; with one BN layer the whole network's gap is the layer's (to roundoff)."""
    model, x, y = trained_mlp
    audit = audit_network(model, x, y, PER_ROW, 32, batches=400, seed=11, scaling_batches=400)
    assert audit.M == 32 and audit.batches == 400 and audit.population == 600 and len(audit.layers) == 1
    layer = audit.layers[0]
    assert layer.channels == 8 and layer.positions == 1
    remainder = layer.remainder
    assert layer.remainder_quarter is not None and np.isfinite(layer.remainder_bound(4))
    assert abs(remainder.value) <= 4 * remainder.stderr + layer.remainder_bound(4)
    assert abs(remainder.value) < 0.2 * layer.gap.value  # the prediction carries the gap
    assert layer.gap.value > 0 and np.isfinite(layer.gap.stderr)  # BN's batch noise costs loss here
    np.testing.assert_allclose(layer.m_eff_measured, layer.m_eff_derived, rtol=0.3)
    assert abs(audit.network_minus_layers.value) <= 1e-12
    assert audit.network_gap.value == pytest.approx(layer.gap.value, abs=1e-10)


def test_control_variate_has_exactly_mean_zero_over_every_batch():
    """The gap's control variate, grad L_B . dtheta_lin minus its derived mean (-gamma (K_bu + K_gv / 2) / M
    per channel, from theory's first-order term), averages to 0 exactly over all N^M batches drawn with
    replacement (enumerated for N = 5, M = 3): the gap estimate stays unbiased; the mean's sign planted
    wrong does not."""
    rng = np.random.default_rng(np.random.SeedSequence(21))
    n_units, channels, M = 5, 2, 3
    u = rng.standard_normal((n_units, channels))
    u -= u.mean(axis=0)  # population mean of n is 0 by construction of mu_P
    v = rng.exponential(size=(n_units, channels))
    units = LayerUnits(u, v, rng.standard_normal((n_units, channels)), rng.standard_normal((n_units, channels)),
                       {}, 1)
    layer, _, _ = _summary(units, np.array([0.7, 1.3]), M)
    batches = np.array(np.meshgrid(*[np.arange(n_units)] * M, indexing="ij")).reshape(M, -1).T
    exact = np.mean([control_variate(layer, idx, linear_shift(layer, idx)) for idx in batches])
    assert abs(layer.control_mean) > 1e-3
    assert abs(exact) < 1e-12
    assert abs(exact + 2 * layer.control_mean) > 1e-3  # what a flipped sign of the mean would average to
