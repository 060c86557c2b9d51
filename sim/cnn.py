"""The CNN of seed §2.4 with one normalization choice per run, trained on real images.

This module does not import PyTorch: :func:`train_cnn` imports the trainer (and with it torch)
when it is first called, so ``import sim`` stays light.  Install the extra with
``pip install 'bnreg[cnn]'``.

Variants (normalization after each conv and the hidden fc layer):

=================  ===============================================================
``plain``          none (the seed's "plain SGD")
``bn``             batch normalization
``pn_gd``          population normalization + gamma decay :math:`\\sum_c\\zeta_c\\gamma_c^2`
``wn``             weight normalization
``wn_mean_bn``     WN + mean-only BN (:math:`\\mathbf w^T\\mathbf x-\\mu_B`)
``wn_var_bn``      WN + variance-only BN (:math:`\\mathbf w^T\\mathbf x/\\sigma_B`)
``bn_dropout``     BN + dropout 0.125 after each BN
``wn_dropout``     WN + dropout 0.25 after each WN layer
``bn_layer<k>``    BN in layer k only (1-4: the convs, 5: the hidden fc), the others plain
=================  ===============================================================
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from theory.errors import BadInput

from ._cnn_data import DATA_SETS as DATA_SETS
from ._cnn_data import ImageData as ImageData
from ._cnn_data import load_images as load_images
from ._cnn_data import parse_cifar10_bin as parse_cifar10_bin
from ._cnn_data import parse_mnist_csv as parse_mnist_csv

LAYERS = 5  #: normalized layers: four convolutions and the hidden fc layer
LR_REFERENCE_BATCH = 256  #: the learning rate is ``base_lr * M / LR_REFERENCE_BATCH`` (linear scaling)
MOMENTUM = 0.9
DEVICES: tuple[str, ...] = ("cpu", "cuda")


@dataclass(frozen=True)
class Variant:
    """The normalization of each of the five layers, and the dropout rate after each of them."""

    norms: tuple[str, ...]
    dropout: float
    label: str


_FIXED = {
    "plain": Variant(("none",) * LAYERS, 0.0, "plain SGD"),
    "bn": Variant(("bn",) * LAYERS, 0.0, "BN"),
    "pn_gd": Variant(("pn",) * LAYERS, 0.0, "PN + gamma decay"),
    "wn": Variant(("wn",) * LAYERS, 0.0, "WN"),
    "wn_mean_bn": Variant(("wn_mean",) * LAYERS, 0.0, "WN + mean-only BN"),
    "wn_var_bn": Variant(("wn_var",) * LAYERS, 0.0, "WN + variance-only BN"),
    "bn_dropout": Variant(("bn",) * LAYERS, 0.125, "BN + dropout 0.125"),
    "wn_dropout": Variant(("wn",) * LAYERS, 0.25, "WN + dropout 0.25"),
}
VARIANT_NAMES: tuple[str, ...] = (*_FIXED, *(f"bn_layer{k}" for k in range(1, LAYERS + 1)))


def variant(name: str) -> Variant:
    """The :class:`Variant` called ``name`` (one of :data:`VARIANT_NAMES`)."""
    if name in _FIXED:
        return _FIXED[name]
    match = re.fullmatch(r"bn_layer([1-9])", name)
    if match and int(match.group(1)) <= LAYERS:
        k = int(match.group(1))
        norms = tuple("bn" if i == k else "none" for i in range(1, LAYERS + 1))
        return Variant(norms, 0.0, f"BN in layer {k} only")
    raise BadInput(f"CNN variant must be one of {', '.join(VARIANT_NAMES)}, got {name!r}")


@dataclass(frozen=True)
class CNNRun:
    """One training run: variant, batch size ``M``, seed index and the training setup.

    The random streams (initialisation, minibatch order, dropout masks) come from
    ``SeedSequence(root_seed, spawn_key=(seed,))``; they do not depend on the variant or ``M``,
    so runs with the same ``seed`` are paired (same initial weights where the layers agree).

    Parameters
    ----------
    variant : str
        The network variant (BN, PN + gamma decay, ...).
    M : int
        Batch size.
    seed : int
        Seed index (the spawn key under ``root_seed``).
    root_seed : int, default 20190506
        Root of the random streams.
    epochs : int, default 10
        Training epochs.
    base_lr : float, default 0.1
        Learning rate at the reference batch size.
    pn_sample : int, default 4000
        Training images behind the population statistics.
    pn_refresh : int, default 16
        Steps between refreshes of the population statistics.
    eval_train : int, default 1000
        Training images of the per-epoch training loss.
    device : str, default "cpu"
        The torch device.
    """

    variant: str
    M: int
    seed: int
    root_seed: int = 20190506
    epochs: int = 10
    base_lr: float = 0.1  #: learning rate at M = LR_REFERENCE_BATCH; cosine decay to 0 over the run
    pn_sample: int = 4000  #: training images behind the population statistics (PN + gamma decay)
    pn_refresh: int = 16  #: steps between refreshes of the population statistics and zeta
    eval_train: int = 1000  #: training images on which the per-epoch training loss is measured
    device: str = "cpu"

    def __post_init__(self) -> None:
        variant(self.variant)
        for name in ("M", "epochs", "pn_sample", "pn_refresh", "eval_train"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < (2 if name == "M" else 1):
                raise BadInput(f"{name} must be an integer >= {2 if name == 'M' else 1}, got {value!r}")
        if not isinstance(self.seed, int) or self.seed < 0 or not isinstance(self.root_seed, int) or self.root_seed < 0:
            raise BadInput("seed and root_seed must be non-negative integers")
        if not (np.isfinite(self.base_lr) and self.base_lr > 0):
            raise BadInput(f"base_lr must be positive and finite, got {self.base_lr!r}")
        if self.device not in DEVICES:
            raise BadInput(f"device must be one of {', '.join(DEVICES)}, got {self.device!r}")

    @property
    def lr(self) -> float:
        """The peak learning rate, scaled linearly with M (seed §2.4)."""
        return self.base_lr * self.M / LR_REFERENCE_BATCH

    @property
    def key(self) -> str:
        """The run's key, ``<variant>-M<M>-s<seed>``."""
        return f"{self.variant}-M{self.M}-s{self.seed}"

    def to_dict(self) -> dict:
        """The run as a JSON-ready dict.

        Returns
        -------
        dict
            The fields.
        """
        return asdict(self)


def torch_status() -> tuple[bool, str]:
    """Whether PyTorch can be imported (without importing it), with the reason when not."""
    if importlib.util.find_spec("torch") is None:
        return False, "PyTorch is not installed: pip install 'bnreg[cnn]'"
    return True, "PyTorch is installed"


def check_device(device: str) -> None:
    """ValueError unless PyTorch is installed and ``device`` (``cpu`` or ``cuda``) can run the CNN."""
    ok, reason = torch_status()
    if not ok:
        raise BadInput(reason)
    if device not in DEVICES:
        raise BadInput(f"device must be one of {', '.join(DEVICES)}, got {device!r}")
    from ._cnn_train import configure  # noqa: PLC0415 - torch is imported only here

    configure(device)


def train_cnn_model(run: CNNRun, data: ImageData) -> Any:
    """The :class:`torch.nn.Module` of ``run`` trained on ``data`` (for the network audit,
    :func:`sim.network_audit.audit_network`); BadInput without PyTorch."""
    ok, reason = torch_status()
    if not ok:
        raise BadInput(reason)
    from ._cnn_train import trained_model  # noqa: PLC0415 - torch is imported only here

    return trained_model(run, data)


def train_cnn(run: CNNRun, data: ImageData) -> tuple[dict[str, np.ndarray], dict]:
    """Train ``run`` on ``data``: per-epoch and final metrics, γ² per layer and, for PN + gamma
    decay, zeta per layer and an audit sample of channel statistics (arrays), plus metadata.

    Parameters
    ----------
    run : CNNRun
        What to train.
    data : ImageData
        The images.

    Returns
    -------
    arrays : dict of str to ndarray
        The metrics and per-layer quantities.
    meta : dict
        Metadata of the run.

    Raises
    ------
    BadInput
        If PyTorch or the requested device is not available.
    """
    ok, reason = torch_status()
    if not ok:
        raise BadInput(reason)
    from ._cnn_train import train_run  # noqa: PLC0415 - torch is imported only here

    return train_run(run, data)
