"""Training one CNN run of seed §2.4: SGD with momentum 0.9, learning rate scaled linearly with M
and decayed by a cosine to 0 over the run, no augmentation, no weight decay, float32.

Deterministic: one intra-op thread, ``torch.use_deterministic_algorithms``, every random draw
from a generator seeded by :class:`numpy.random.SeedSequence` (initial weights drawn on the CPU,
so they are the same on every device).  Same run -> same numbers on the same machine and build.
"""

from __future__ import annotations

import copy
import math
import os

from theory.errors import BadInput

os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # deterministic cuBLAS; read when CUDA starts

import numpy as np
import torch
import torch.nn.functional as F

from ._cnn_data import ImageData
from ._cnn_derived import derived_audit, refresh_derived
from ._cnn_models import SeedCNN
from ._cnn_population import refresh_population
from .cnn import MOMENTUM, CNNRun, variant

THREADS = 1  #: intra-op threads per run (parallelism comes from running several runs at once)
EVAL_CHUNK = 1000
AUDIT_IMAGES = 64  #: training images of the gamma-decay audit sample
AUDIT_CHANNELS = 3  #: channels per PN layer whose pre-activations are kept for the audit
AUDIT_STREAM = 3  #: spawn key of the derived-decay audit's stream (0-2: initialisation, order, dropout)


def configure(device: str) -> torch.device:
    """Threads and determinism flags; the torch device (ValueError if CUDA is asked and absent)."""
    torch.set_num_threads(THREADS)
    torch.use_deterministic_algorithms(True)
    if device == "cuda":
        if not torch.cuda.is_available():
            raise BadInput("--device cuda: PyTorch sees no CUDA device")
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    return torch.device(device)


def _torch_seed(seq: np.random.SeedSequence) -> int:
    return int(seq.generate_state(1, np.uint64)[0] >> np.uint64(1))


def build_model(run: CNNRun, data: ImageData, seq: np.random.SeedSequence) -> SeedCNN:
    v = variant(run.variant)
    generator = torch.Generator().manual_seed(_torch_seed(seq))
    return SeedCNN(data.shape, v.norms, v.dropout, data.classes, generator)


@torch.no_grad()
def evaluate(model: SeedCNN, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    """Mean cross-entropy and error rate in test mode."""
    was_training = model.training
    model.eval()
    loss = errors = 0.0
    for start in range(0, x.shape[0], EVAL_CHUNK):
        logits = model(x[start:start + EVAL_CHUNK]).double()
        target = y[start:start + EVAL_CHUNK]
        loss += float(F.cross_entropy(logits, target, reduction="sum"))
        errors += float((logits.argmax(1) != target).sum())
    model.train(was_training)
    return loss / x.shape[0], errors / x.shape[0]


def schedule(step: int, total: int, warmup: int) -> float:
    """The learning-rate factor at ``step`` of ``total``: linear warm-up over ``warmup`` steps
    (Goyal et al.'s companion of linear scaling), then a cosine decay to 0."""
    return min(1.0, (step + 1) / warmup) * 0.5 * (1.0 + math.cos(math.pi * step / total))


class _Trainer:
    """The state of one run: model, optimizer, data on the device, random streams."""

    def __init__(self, run: CNNRun, data: ImageData) -> None:
        self.run = run
        self.device = configure(run.device)
        init_seq, order_seq, dropout_seq = np.random.SeedSequence(run.root_seed, spawn_key=(run.seed,)).spawn(3)
        torch.manual_seed(_torch_seed(init_seq))  # nothing should draw from it; set for safety
        self.model = build_model(run, data, init_seq).to(self.device)
        dropout_gen = torch.Generator(device=self.device).manual_seed(_torch_seed(dropout_seq))
        for layer in self.model.dropouts():
            layer.generator = dropout_gen
        self.order = np.random.Generator(np.random.PCG64(order_seq))
        self.x = torch.from_numpy(data.x_train).to(self.device)
        self.y = torch.from_numpy(data.y_train).to(self.device)
        self.x_test = torch.from_numpy(data.x_test).to(self.device)
        self.y_test = torch.from_numpy(data.y_test).to(self.device)
        self.population = self.x[: run.pn_sample]
        self.population_y = self.y[: run.pn_sample]
        self.has_pn = bool(self.model.population_norms())
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=run.lr, momentum=MOMENTUM, weight_decay=0.0)
        self.steps_per_epoch = self.x.shape[0] // run.M
        if self.steps_per_epoch < 1:
            raise BadInput(f"batch size M={run.M} exceeds the {self.x.shape[0]} training images")
        self.total_steps = self.steps_per_epoch * run.epochs
        self.step = 0
        self.since_refresh: int | None = None  # steps since the population statistics were set
        self.diverged = False

    def refresh(self) -> dict:
        """Population statistics and zeta from the current weights (PN only)."""
        if not self.has_pn:
            return {}
        self.since_refresh = 0
        if self.model.derived_norms():
            rows = slice(0, self.run.pn_hessian)
            return refresh_derived(self.model, self.population, self.population[rows],
                                   self.population_y[rows].cpu().numpy(), self.run.M)
        return refresh_population(self.model, self.population, self.run.M)

    def train_step(self, idx: np.ndarray) -> float:
        if self.has_pn and (self.since_refresh is None or self.since_refresh >= self.run.pn_refresh):
            self.refresh()
        for group in self.optimizer.param_groups:
            group["lr"] = self.run.lr * schedule(self.step, self.total_steps, self.steps_per_epoch)
        batch = torch.from_numpy(idx).to(self.device)
        loss = F.cross_entropy(self.model(self.x[batch]), self.y[batch])
        total = loss + self.model.penalty() if self.has_pn else loss
        self.optimizer.zero_grad(set_to_none=True)
        total.backward()
        self.optimizer.step()
        self.step += 1
        if self.since_refresh is not None:
            self.since_refresh += 1
        return float(loss.detach())

    def epoch(self) -> float:
        """One pass over the training set in a fresh random order (the last partial batch is
        dropped); the mean minibatch loss, NaN once the run has diverged."""
        perm = self.order.permutation(self.x.shape[0])
        losses = []
        for b in range(self.steps_per_epoch):
            losses.append(self.train_step(perm[b * self.run.M:(b + 1) * self.run.M]))
            if not math.isfinite(losses[-1]):
                self.diverged = True
                return math.nan
        return float(np.mean(losses))


def _audit(trainer: _Trainer) -> dict[str, np.ndarray]:
    """Gamma-decay audit: on a copy of the model with PN's epsilon set to 0 (so that PN standardizes
    exactly as :func:`theory.zeta` does), refresh PN on the first AUDIT_IMAGES training images and
    keep, for the first AUDIT_CHANNELS channels of each PN layer with gamma > 0 and a non-zero
    variance, their pre-activations, gamma, beta and the network's zeta (recomputed by the verifier
    from theory)."""
    model = copy.deepcopy(trainer.model).eval()  # test mode, as the refresh reads it (PN trains differently)
    for _, norm in model.population_norms():
        norm.eps = 0.0
    sample = trainer.x[:AUDIT_IMAGES]
    records = refresh_population(model, sample, trainer.run.M)
    out: dict[str, np.ndarray] = {}
    with torch.no_grad():
        h_all = model.pre_activations(sample, set(records))
    for index, norm in model.population_norms():
        gamma = norm.weight.detach().double().cpu().numpy()
        usable = (gamma > 0) & (records[index]["population_var"] > 0)
        channels = np.flatnonzero(usable)[:AUDIT_CHANNELS]
        h = h_all[index].transpose(0, 1).reshape(h_all[index].shape[1], -1).double().cpu().numpy()
        layer = f"layer{index + 1}"
        out[f"audit_h_{layer}"] = h[channels]
        out[f"audit_gamma_{layer}"] = gamma[channels]
        out[f"audit_beta_{layer}"] = norm.bias.detach().double().cpu().numpy()[channels]
        out[f"audit_zeta_{layer}"] = records[index]["zeta"][channels]
    return out


def _pn_arrays(trainer: _Trainer) -> dict[str, np.ndarray]:
    records = trainer.refresh()
    zeta_mean = np.full(len(trainer.model.blocks), np.nan)
    for index, record in records.items():
        zeta_mean[index] = float(np.mean(record["zeta"]))
    out = {"zeta_mean": zeta_mean, "penalty": np.array(float(trainer.model.penalty().detach())), **_audit(trainer)}
    if trainer.model.derived_norms():  # the audit of the PN + derived-decay network as its BN twin
        run = trainer.run
        seq = np.random.SeedSequence(run.root_seed, spawn_key=(run.seed, AUDIT_STREAM))
        out.update(derived_audit(trainer.model, trainer.population, trainer.population_y, run.M,
                                 run.derived_audit_batches, seq))
    return out


def trained_model(run: CNNRun, data: ImageData) -> SeedCNN:
    """The network of ``run`` after training (no measurements); RuntimeError if it diverged."""
    trainer = _Trainer(run, data)
    for _ in range(run.epochs):
        trainer.epoch()
        if trainer.diverged:
            raise RuntimeError(f"run {run.key} diverged")
    return trainer.model


def train_run(run: CNNRun, data: ImageData) -> tuple[dict[str, np.ndarray], dict]:
    """Train ``run`` and measure it; see :func:`sim.cnn.train_cnn`."""
    trainer = _Trainer(run, data)
    eval_x, eval_y = trainer.x[: run.eval_train], trainer.y[: run.eval_train]
    names = ("batch_loss", "train_loss", "train_error", "test_loss", "test_error")
    curves: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(run.epochs):
        curves["batch_loss"].append(trainer.epoch())
        if trainer.diverged:
            break
        trainer.refresh()  # a PN network is evaluated with statistics of its current weights
        for prefix, (x, y) in (("train", (eval_x, eval_y)), ("test", (trainer.x_test, trainer.y_test))):
            loss, error = evaluate(trainer.model, x, y)
            curves[f"{prefix}_loss"].append(loss)
            curves[f"{prefix}_error"].append(error)
    arrays = {f"epoch_{k}": np.array(v, dtype=np.float64) for k, v in curves.items()}
    train_loss, train_error = evaluate(trainer.model, trainer.x, trainer.y)
    test_loss, test_error = evaluate(trainer.model, trainer.x_test, trainer.y_test)
    arrays.update(train_loss=np.array(train_loss), train_error=np.array(train_error), test_loss=np.array(test_loss),
                  test_error=np.array(test_error), gap=np.array(test_loss - train_loss),
                  gamma2=np.array(trainer.model.layer_gamma2()))
    if trainer.has_pn and not trainer.diverged:
        arrays.update(_pn_arrays(trainer))
    meta = {**run.to_dict(), "diverged": trainer.diverged, "steps": trainer.step, "lr": run.lr,
            "train_images": int(trainer.x.shape[0]), "test_images": int(trainer.x_test.shape[0]),
            "data": data.description, "threads": THREADS, "torch": torch.__version__, "dtype": "float32"}
    return arrays, meta
