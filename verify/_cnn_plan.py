"""What the CNN study of seed §2.4 runs: the configurations of each section (shared where they
are the same), the sizes of each mode, and the list of runs."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sim.cnn import LAYERS, LR_FIXED_BATCH, LR_PROTOCOLS, CNNRun
from theory.errors import BadInput

BATCHES_243 = (32, 64, 128, 256)  #: §2.4.3's batch sizes
SMALL, LARGE = 64, 256  #: the seed's "M = 64" and "M = 256"

#: (variant, M) of each section; a configuration named in two sections is run once
SECTIONS: dict[str, tuple[tuple[str, int], ...]] = {
    "2.4.1": (("bn", SMALL), ("bn", LARGE), ("pn", SMALL), ("pn_gd", SMALL), ("pn_derived", SMALL)),
    "2.4.2": (("plain", SMALL), ("bn", SMALL), ("wn", SMALL), ("wn_mean_bn", SMALL), ("wn_var_bn", SMALL)),
    "2.4.3": tuple((f"bn_layer{k}", M) for k in range(1, LAYERS + 1) for M in BATCHES_243),
    "2.4.4": tuple((v, M) for v in ("bn", "bn_dropout", "wn", "wn_dropout") for M in (SMALL, LARGE)),
}

#: the sections whose claims depend on M: judged under both learning-rate protocols (linear scaling and a
#: fixed rate, equal epochs); a fixed-rate configuration at M = 64 is the linear one (run once)
PROTOCOL_SECTIONS: tuple[str, ...] = ("2.4.1", "2.4.3", "2.4.4")


@dataclass(frozen=True)
class Size:
    """The scale of a study: data subset, epochs, seeds and the PN settings."""

    train: int | None  #: training images (None: all)
    test: int | None
    epochs: int
    seeds: int
    base_lr: float = 0.1
    pn_sample: int = 4000
    pn_refresh: int = 16
    eval_train: int = 1000
    pn_hessian: int = 512  #: pn_derived: images of the Hessian and per-unit gradients at a refresh
    derived_audit_batches: int = 64  #: pn_derived: batches of its network audit (at M and at M // 4)

    def describe(self, data: str, train: int, test: int) -> str:
        return (f"{data}, {train} train / {test} test images, {self.epochs} epochs, {self.seeds} seeds, "
                f"lr {self.base_lr:g} x M/256 (warm-up 1 epoch, cosine), SGD momentum 0.9, float32")


#: sizes by mode and data set; CIFAR-10 uses all its images
SIZES: dict[str, dict[str, Size]] = {
    "mnist5k": {
        "quick": Size(train=1000, test=1000, epochs=4, seeds=3, pn_sample=1000, pn_refresh=16, pn_hessian=256,
                      derived_audit_batches=16),
        "default": Size(train=1000, test=1000, epochs=10, seeds=3, pn_sample=1000, pn_refresh=16),
        "full": Size(train=1000, test=1000, epochs=20, seeds=5, pn_sample=1000, pn_refresh=16),
    },
    "cifar10": {
        "quick": Size(train=5000, test=2000, epochs=4, seeds=3, pn_sample=5000, pn_refresh=20),
        "default": Size(train=None, test=None, epochs=15, seeds=3, pn_sample=10000, pn_refresh=100),
        "full": Size(train=None, test=None, epochs=40, seeds=3, pn_sample=10000, pn_refresh=100),
    },
}


def protocol_text(protocol: str, base_lr: float) -> str:
    """The learning-rate protocol ``protocol`` (linear or fixed) at base rate ``base_lr``, in words."""
    if protocol == LR_PROTOCOLS[0]:
        return f"learning rate linear in M ({base_lr:g} x M/256), equal epochs"
    return (f"learning rate fixed at {base_lr * LR_FIXED_BATCH / 256:g} (that of M = {LR_FIXED_BATCH}) for every M, "
            "equal epochs")


def size_for(data: str, mode: str, seeds: int | None = None) -> Size:
    """The :class:`Size` of ``mode`` on ``data``, with ``seeds`` seeds if given."""
    if data not in SIZES:
        raise BadInput(f"data set must be one of {', '.join(SIZES)}, got {data!r}")
    if mode not in SIZES[data]:
        raise BadInput(f"mode must be one of {', '.join(SIZES[data])}, got {mode!r}")
    size = SIZES[data][mode]
    return size if seeds is None else replace(size, seeds=seeds)


def configurations() -> tuple[tuple[str, int, str], ...]:
    """Every (variant, M, learning-rate protocol) of the study, each once: the sections' configurations
    with the linear rate, then those of :data:`PROTOCOL_SECTIONS` at M != 64 with the fixed rate."""
    linear = [(v, M, LR_PROTOCOLS[0]) for section in SECTIONS.values() for v, M in section]
    fixed = [(v, M, LR_PROTOCOLS[1]) for name in PROTOCOL_SECTIONS for v, M in SECTIONS[name] if M != LR_FIXED_BATCH]
    return tuple(dict.fromkeys(linear + fixed))


def runs(size: Size, root_seed: int, device: str) -> list[CNNRun]:
    """Every run of the study: each configuration at seeds 0 .. seeds-1 (seed-major order, so an
    interrupted study has whole seeds of every configuration first)."""
    return [CNNRun(variant=v, M=M, seed=s, lr_protocol=protocol, root_seed=root_seed, epochs=size.epochs,
                   base_lr=size.base_lr,
                   pn_sample=size.pn_sample, pn_refresh=size.pn_refresh, eval_train=size.eval_train,
                   pn_hessian=size.pn_hessian, derived_audit_batches=size.derived_audit_batches, device=device)
            for s in range(size.seeds) for v, M, protocol in configurations()]
