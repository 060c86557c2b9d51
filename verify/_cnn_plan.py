"""What the CNN study of seed §2.4 runs: the configurations of each section (shared where they
are the same), the sizes of each mode, and the list of runs."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sim.cnn import LAYERS, CNNRun
from theory.errors import BadInput

BATCHES_243 = (32, 64, 128, 256)  #: §2.4.3's batch sizes
SMALL, LARGE = 64, 256  #: the seed's "M = 64" and "M = 256"

#: (variant, M) of each section; a configuration named in two sections is run once
SECTIONS: dict[str, tuple[tuple[str, int], ...]] = {
    "2.4.1": (("bn", SMALL), ("bn", LARGE), ("pn_gd", SMALL)),
    "2.4.2": (("plain", SMALL), ("bn", SMALL), ("wn", SMALL), ("wn_mean_bn", SMALL), ("wn_var_bn", SMALL)),
    "2.4.3": tuple((f"bn_layer{k}", M) for k in range(1, LAYERS + 1) for M in BATCHES_243),
    "2.4.4": tuple((v, M) for v in ("bn", "bn_dropout", "wn", "wn_dropout") for M in (SMALL, LARGE)),
}


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

    def describe(self, data: str, train: int, test: int) -> str:
        return (f"{data}, {train} train / {test} test images, {self.epochs} epochs, {self.seeds} seeds, "
                f"lr {self.base_lr:g} x M/256 (warm-up 1 epoch, cosine), SGD momentum 0.9, float32")


#: sizes by mode and data set; CIFAR-10 uses all its images
SIZES: dict[str, dict[str, Size]] = {
    "mnist5k": {
        "quick": Size(train=1000, test=1000, epochs=4, seeds=3, pn_sample=1000, pn_refresh=16),
        "default": Size(train=4000, test=1000, epochs=6, seeds=3, pn_sample=2000, pn_refresh=31),
        "full": Size(train=4000, test=1000, epochs=10, seeds=5, pn_sample=2000, pn_refresh=31),
    },
    "cifar10": {
        "quick": Size(train=5000, test=2000, epochs=4, seeds=3, pn_sample=5000, pn_refresh=20),
        "default": Size(train=None, test=None, epochs=15, seeds=3, pn_sample=10000, pn_refresh=100),
        "full": Size(train=None, test=None, epochs=40, seeds=3, pn_sample=10000, pn_refresh=100),
    },
}


def size_for(data: str, mode: str, seeds: int | None = None) -> Size:
    """The :class:`Size` of ``mode`` on ``data``, with ``seeds`` seeds if given."""
    if data not in SIZES:
        raise BadInput(f"data set must be one of {', '.join(SIZES)}, got {data!r}")
    if mode not in SIZES[data]:
        raise BadInput(f"mode must be one of {', '.join(SIZES[data])}, got {mode!r}")
    size = SIZES[data][mode]
    return size if seeds is None else replace(size, seeds=seeds)


def configurations() -> tuple[tuple[str, int], ...]:
    """Every (variant, M) of the study, each once, in the order the sections name them."""
    return tuple(dict.fromkeys(c for section in SECTIONS.values() for c in section))


def runs(size: Size, root_seed: int, device: str) -> list[CNNRun]:
    """Every run of the study: each configuration at seeds 0 .. seeds-1 (seed-major order, so an
    interrupted study has whole seeds of every configuration first)."""
    return [CNNRun(variant=v, M=M, seed=s, root_seed=root_seed, epochs=size.epochs, base_lr=size.base_lr,
                   pn_sample=size.pn_sample, pn_refresh=size.pn_refresh, eval_train=size.eval_train, device=device)
            for s in range(size.seeds) for v, M in configurations()]
