"""Each normalization of the CNN study has its defining property; the gamma-decay penalty is
theory's; one training step changes what it should; runs are deterministic."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from sim._cnn_layers import MeanOnlyBatchNorm, PopulationNorm, SeededDropout, VarianceOnlyBatchNorm, WeightNormalized  # noqa: E402
from sim._cnn_models import SeedCNN  # noqa: E402
from sim._cnn_population import refresh_population  # noqa: E402
from sim._cnn_train import _Trainer, build_model, configure  # noqa: E402
from sim.cnn import CNNRun, ImageData, train_cnn, variant  # noqa: E402
from theory import zeta  # noqa: E402

from ._cnn_images import synthetic_images  # noqa: E402


@pytest.fixture(autouse=True)
def _deterministic():
    configure("cpu")


def _images(n: int = 120, size: int = 12, seed: int = 0) -> ImageData:
    return synthetic_images(n, 40, size, seed)


def _batch(shape=(16, 4, 5, 5), seed=0):
    g = torch.Generator().manual_seed(seed)
    return 3.0 + 2.0 * torch.randn(*shape, generator=g)


def test_population_norm_output_of_a_sample_does_not_depend_on_its_batch():
    norm = PopulationNorm(4)
    norm.population_mean.copy_(torch.tensor([1.0, 2.0, 3.0, 4.0]))
    norm.population_var.copy_(torch.tensor([1.0, 4.0, 9.0, 0.25]))
    norm.train()
    x = _batch()
    alone = norm(x[:1])
    for others in (x[1:4], 10 * x[4:], torch.zeros_like(x[1:])):
        torch.testing.assert_close(norm(torch.cat([x[:1], others]))[:1], alone)
    expected = (x[:1] - 3.0) / torch.sqrt(torch.tensor(9.0 + norm.eps))
    torch.testing.assert_close(alone[:, 2], expected[:, 2])


def test_population_norm_trains_with_the_gradient_through_its_statistics():
    """PN's training gradient flows through the statistics, estimated on the batch: with the population
    statistics equal to the batch's own, output and every gradient are BN's; in test mode (statistics
    frozen) the gradient with respect to h is gamma / sigma_P alone."""
    x = _batch().requires_grad_(True)
    norm = PopulationNorm(4)
    with torch.no_grad():
        norm.weight.copy_(torch.tensor([0.5, 1.0, 1.5, 2.0]))
        norm.bias.copy_(torch.tensor([0.1, -0.2, 0.3, 0.0]))
        var, mean = torch.var_mean(x, dim=(0, 2, 3), correction=0)
        norm.population_mean.copy_(mean)
        norm.population_var.copy_(var)
    upstream = torch.randn(x.shape, generator=torch.Generator().manual_seed(1))
    norm.train()
    pn = torch.autograd.grad((norm(x) * upstream).sum(), (x, norm.weight, norm.bias))
    bn_out = torch.nn.functional.batch_norm(x, None, None, norm.weight, norm.bias, training=True, eps=norm.eps)
    bn = torch.autograd.grad((bn_out * upstream).sum(), (x, norm.weight, norm.bias))
    for a, b in zip(pn, bn):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)
    norm.eval()
    frozen = torch.autograd.grad((norm(x) * upstream).sum(), x)[0]
    scale = norm.weight.detach() / torch.sqrt(norm.population_var + norm.eps)
    torch.testing.assert_close(frozen, upstream * scale.view(1, -1, 1, 1))
    assert float((pn[0] - frozen).abs().max()) > 0.1  # the statistics' term is not small


def test_population_norm_without_decay_adds_no_penalty():
    norm = PopulationNorm(3, decay=False)
    norm.zeta.fill_(0.5)
    assert float(norm.penalty()) == 0.0
    decayed = PopulationNorm(3)
    decayed.zeta.fill_(0.5)
    assert float(decayed.penalty().detach()) == 1.5  # sum_c zeta_c gamma_c^2 with gamma = 1


def test_mean_only_bn_subtracts_the_batch_mean_and_does_not_rescale():
    norm = MeanOnlyBatchNorm(4).train()
    x = _batch()
    out = norm(x)
    torch.testing.assert_close(out, x - x.mean(dim=(0, 2, 3), keepdim=True))
    torch.testing.assert_close(norm(3 * x), 3 * out)  # no division by a batch scale
    norm.eval()  # test time: the moving average instead of the batch mean
    torch.testing.assert_close(norm(x), x - norm.running_mean.view(1, -1, 1, 1))


def test_variance_only_bn_rescales_and_does_not_centre():
    norm = VarianceOnlyBatchNorm(4).train()
    x = _batch()
    out = norm(x)
    std = torch.sqrt(x.var(dim=(0, 2, 3), correction=0, keepdim=True) + 1e-5)
    torch.testing.assert_close(out, x / std)  # gamma = 1, beta = 0 at initialisation
    assert torch.all(out.mean(dim=(0, 2, 3)) > 1.0)  # the mean (3/2 in units of sigma) is kept
    torch.testing.assert_close(norm(x + 0.0), norm(x))
    torch.testing.assert_close(norm(4 * x), out, rtol=1e-5, atol=1e-5)  # invariant to the scale of h


@pytest.mark.parametrize("conv", [True, False])
def test_weight_norm_output_is_invariant_to_the_scale_of_w(conv):
    g = torch.Generator().manual_seed(1)
    base = torch.nn.Conv2d(3, 5, 3, bias=True) if conv else torch.nn.Linear(7, 5)
    layer = WeightNormalized(base, gain=1.5)
    x = torch.randn(4, 3, 6, 6, generator=g) if conv else torch.randn(4, 7, generator=g)
    before = layer(x)
    with torch.no_grad():
        base.weight.mul_(torch.tensor([0.1, 2.0, 7.0, 1.0, 30.0]).view(-1, *([1] * (base.weight.dim() - 1))))
    torch.testing.assert_close(layer(x), before, rtol=1e-5, atol=1e-5)
    norms = torch.linalg.vector_norm(layer.weight().flatten(1), dim=1)
    torch.testing.assert_close(norms, torch.full((5,), 1.5))


def test_dropout_mask_comes_from_its_generator():
    layer = SeededDropout(0.25).train()
    x = torch.ones(1000)
    layer.generator = torch.Generator().manual_seed(5)
    a = layer(x)
    layer.generator = torch.Generator().manual_seed(5)
    torch.testing.assert_close(layer(x), a)
    assert set(torch.unique(a).tolist()) == {0.0, float(torch.tensor(4 / 3))}
    assert 0.2 < float((a == 0).float().mean()) < 0.3
    torch.testing.assert_close(layer.eval()(x), x)
    with pytest.raises(ValueError):
        SeededDropout(1.0)


def _pn_model(data: ImageData) -> SeedCNN:
    return build_model(CNNRun("pn_gd", 32, 0), data, np.random.SeedSequence(3))


def test_population_statistics_are_those_of_the_sample_and_chunking_does_not_matter():
    data = _images()
    model = _pn_model(data)
    x = torch.from_numpy(data.x_train)
    records = refresh_population(model, x, 32, chunk=7)
    again = refresh_population(_pn_model(data), x, 32, chunk=500)
    for index, norm in model.population_norms():
        np.testing.assert_allclose(records[index]["zeta"], again[index]["zeta"], rtol=1e-6)  # float32 maps
        with torch.no_grad():
            h = model.pre_activations(x, {index})[index].double()
        dims = (0, *range(2, h.dim()))
        torch.testing.assert_close(norm.population_mean.double(), h.mean(dim=dims), rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(norm.population_var.double(), h.var(dim=dims, correction=0), rtol=1e-5, atol=1e-6)


def test_gamma_decay_penalty_equals_sum_of_theory_zeta_gamma_squared():
    """The network's zeta_c against theory.zeta of each channel's measured pre-activations (its
    own standardization, moments and ReLU curvature), and its penalty against sum_c zeta_c gamma_c^2."""
    data = _images(n=60)
    model = _pn_model(data)
    with torch.no_grad():  # gammas and betas away from their initial values
        for _, norm in model.population_norms():
            norm.weight.uniform_(0.5, 1.5, generator=torch.Generator().manual_seed(7))
            norm.bias.uniform_(-0.5, 0.5, generator=torch.Generator().manual_seed(8))
            norm.eps = 0.0  # PN then standardizes exactly as theory.zeta does
    x = torch.from_numpy(data.x_train)
    refresh_population(model, x, 32)
    total = 0.0
    for index, norm in model.population_norms():
        with torch.no_grad():
            h = model.pre_activations(x, {index})[index]
        per_channel = h.transpose(0, 1).reshape(h.shape[1], -1).double().numpy()
        gamma, beta = norm.weight.detach().double().numpy(), norm.bias.detach().double().numpy()
        theory_zeta = [zeta("relu", 32, gamma=g, beta=b, input=row).value
                       for row, g, b in zip(per_channel[:4], gamma[:4], beta[:4])]
        np.testing.assert_allclose(norm.zeta[:4].double().numpy(), theory_zeta, rtol=1e-6)  # float32 mu_P, sigma_P
        expected = float(np.sum(norm.zeta.double().numpy() * gamma**2))
        np.testing.assert_allclose(float(norm.penalty().detach()), expected, rtol=1e-6)  # float32 sum
        total += expected
    np.testing.assert_allclose(float(model.penalty().detach()), total, rtol=1e-6)


def test_zeta_falls_as_one_over_m():
    data = _images(n=60)
    model = _pn_model(data)
    x = torch.from_numpy(data.x_train)
    z32 = refresh_population(model, x, 32)
    z128 = refresh_population(model, x, 128)
    for index in z32:
        np.testing.assert_allclose(z128[index]["zeta"], z32[index]["zeta"] / 4, rtol=1e-12)


def _params(model):
    return {name: p.detach().clone() for name, p in model.named_parameters()}


@pytest.mark.parametrize("name", ["plain", "bn", "pn", "pn_gd", "wn", "wn_mean_bn", "wn_var_bn", "bn_dropout",
                                  "bn_layer2"])
def test_one_training_step_changes_what_it_should(name):
    data = _images()
    trainer = _Trainer(CNNRun(name, 32, 0, epochs=1, pn_sample=64, eval_train=64), data)
    before = _params(trainer.model)
    buffers = {k: b.clone() for k, b in trainer.model.named_buffers()}
    trainer.train_step(np.arange(32))
    after = _params(trainer.model)
    unchanged = [k for k in before if torch.equal(before[k], after[k])]
    assert not unchanged
    changed = {k for k, b in trainer.model.named_buffers() if not torch.equal(buffers[k], b)}
    kinds = set(variant(name).norms)
    if kinds & {"bn", "wn_mean", "wn_var"}:
        assert any("running" in k for k in changed)  # BN-type layers update their moving averages
    if kinds & {"pn", "pn_gd"}:  # the first step refreshes the population statistics and zeta, nothing else
        assert changed == {k for k in buffers if "population" in k or k.endswith("zeta")}
        assert all(float(norm.zeta.min()) > 0 for _, norm in trainer.model.population_norms())
    if kinds <= {"none", "wn"}:
        assert not changed


def test_gamma_decay_shrinks_gamma_beyond_the_loss_gradient():
    """With zeta_c set, one step's change of gamma_c is the loss's change minus lr * 2 zeta_c gamma_c."""
    data = _images()
    run = CNNRun("pn_gd", 32, 0, epochs=1, pn_sample=64)
    steps = {}
    for scale in (1.0, 0.0):
        trainer = _Trainer(run, data)
        trainer.refresh()
        for _, norm in trainer.model.population_norms():
            norm.zeta.mul_(scale)
        trainer.since_refresh = 0
        norm = trainer.model.population_norms()[0][1]
        zeta_c, gamma0 = norm.zeta.clone(), norm.weight.detach().clone()
        trainer.train_step(np.arange(32))
        steps[scale] = (norm.weight.detach() - gamma0, zeta_c, gamma0)
    lr = run.lr * trainer.optimizer.param_groups[0]["lr"] / run.lr
    decay = steps[1.0][0] - steps[0.0][0]
    torch.testing.assert_close(decay, -lr * 2 * steps[1.0][1] * steps[1.0][2], rtol=1e-4, atol=1e-7)


def test_same_seed_same_numbers_and_seeds_differ():
    data = _images()
    a, _ = train_cnn(CNNRun("bn_dropout", 32, 0, epochs=1, eval_train=64), data)
    b, _ = train_cnn(CNNRun("bn_dropout", 32, 0, epochs=1, eval_train=64), data)
    c, _ = train_cnn(CNNRun("bn_dropout", 32, 1, epochs=1, eval_train=64), data)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    assert float(a["test_loss"]) != float(c["test_loss"])


def test_runs_with_the_same_seed_share_their_initial_weights():
    data = _images()
    seq = np.random.SeedSequence(9)
    plain, wn = build_model(CNNRun("plain", 32, 0), data, seq), build_model(CNNRun("wn", 32, 0), data, seq)
    for bp, bw in zip(plain.blocks, wn.blocks):
        torch.testing.assert_close(bp.base.weight, bw.base.weight)


def test_model_rejects_bad_settings():
    data = _images(size=8)
    with pytest.raises(ValueError, match="too small"):
        build_model(CNNRun("bn", 32, 0), data, np.random.SeedSequence(0))
    with pytest.raises(ValueError, match="variant"):
        CNNRun("bn_layer6", 32, 0)
    with pytest.raises(ValueError, match="exceeds"):
        _Trainer(CNNRun("bn", 256, 0), _images())


@pytest.mark.gpu
def test_cuda_run_is_deterministic_and_close_to_the_cpu_run():
    if not torch.cuda.is_available():
        pytest.skip("PyTorch sees no CUDA device")
    data = _images()
    runs = [CNNRun("pn_gd", 32, 0, epochs=1, pn_sample=64, eval_train=64, device=d) for d in ("cuda", "cuda", "cpu")]
    (a, _), (b, _), (c, _) = (train_cnn(r, data) for r in runs)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])  # same seed, same device: the same numbers
    # the initial weights are drawn on the CPU, so one epoch on either device starts alike
    np.testing.assert_allclose(a["test_loss"], c["test_loss"], rtol=0.05)
