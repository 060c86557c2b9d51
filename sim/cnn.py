"""The CNN of seed §2.4 with one normalization choice per run, trained on real images.

This module does not import PyTorch: :func:`train_cnn` imports the trainer (and with it torch)
when it is first called, so ``import sim`` stays light.  Install the extra with
``pip install 'bnreg[cnn]'``.

Variants (normalization after each conv and the hidden fc layer):

=================  ===============================================================
``plain``          none (the seed's "plain SGD")
``bn``             batch normalization
``pn``             population normalization alone (no penalty): the control of the two below
``pn_gd``          population normalization + gamma decay :math:`\\sum_c\\zeta_c\\gamma_c^2` (the seed's
                   reading: the one-neuron :math:`\\zeta` per channel, M = images per batch)
``pn_derived``     population normalization + the derived matrix gamma decay
                   :math:`\\gamma^T Z\\gamma+\\tau^T\\gamma` per layer (:mod:`sim._cnn_derived`)
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
LR_FIXED_BATCH = 64  #: ``lr_protocol="fixed"``: every M trains at the linear rate of this batch size
LR_PROTOCOLS: tuple[str, ...] = ("linear", "fixed")
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
    "pn": Variant(("pn",) * LAYERS, 0.0, "PN alone (no penalty)"),
    "pn_gd": Variant(("pn_gd",) * LAYERS, 0.0, "PN + gamma decay (seed's reading: one-neuron ζ, M = images)"),
    "pn_derived": Variant(("pn_derived",) * LAYERS, 0.0, "PN + derived matrix gamma decay"),
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
    pn_hessian : int, default 512
        ``pn_derived``: images of the PN sample (its first ones) on which the PN loss's Hessian and
        the per-unit gradients of the derived penalty are computed at each refresh.
    derived_audit_batches : int, default 64
        ``pn_derived``: batches of the network audit after training (at M and at M // 4).
    lr_protocol : {"linear", "fixed"}, default "linear"
        The peak learning rate: ``base_lr * M / 256`` (linear scaling), or that of M = 64 for every M
        (fixed).  Both train the same number of epochs.  At M = 64 they coincide, and a fixed run is
        stored as the linear one (``lr_protocol`` is set to "linear"), so the two share their runs there.
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
    pn_hessian: int = 512  #: pn_derived: images of the Hessian and gradients at a refresh
    derived_audit_batches: int = 64  #: pn_derived: batches of the network audit after training
    lr_protocol: str = "linear"  #: "linear" (lr proportional to M) or "fixed" (the rate of M = 64 for every M)
    device: str = "cpu"

    def __post_init__(self) -> None:
        variant(self.variant)
        for name in ("M", "epochs", "pn_sample", "pn_refresh", "eval_train", "pn_hessian", "derived_audit_batches"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < (2 if name == "M" else 1):
                raise BadInput(f"{name} must be an integer >= {2 if name == 'M' else 1}, got {value!r}")
        if not isinstance(self.seed, int) or self.seed < 0 or not isinstance(self.root_seed, int) or self.root_seed < 0:
            raise BadInput("seed and root_seed must be non-negative integers")
        if not (np.isfinite(self.base_lr) and self.base_lr > 0):
            raise BadInput(f"base_lr must be positive and finite, got {self.base_lr!r}")
        if self.device not in DEVICES:
            raise BadInput(f"device must be one of {', '.join(DEVICES)}, got {self.device!r}")
        if self.lr_protocol not in LR_PROTOCOLS:
            raise BadInput(f"lr_protocol must be one of {', '.join(LR_PROTOCOLS)}, got {self.lr_protocol!r}")
        if self.lr_protocol == "fixed" and self.M == LR_FIXED_BATCH:  # the same run as the linear one
            object.__setattr__(self, "lr_protocol", "linear")

    @property
    def lr(self) -> float:
        """The peak learning rate: scaled linearly with M (seed §2.4), or that of M = 64 (fixed)."""
        return self.base_lr * (self.M if self.lr_protocol == "linear" else LR_FIXED_BATCH) / LR_REFERENCE_BATCH

    @property
    def key(self) -> str:
        """The run's key, :func:`run_key` of its variant, M, seed and learning-rate protocol."""
        return run_key(self.variant, self.M, self.seed, self.lr_protocol)

    def to_dict(self) -> dict:
        """The run as a JSON-ready dict.

        Returns
        -------
        dict
            The fields.
        """
        return asdict(self)


def run_key(variant: str, M: int, seed: int, lr_protocol: str = "linear") -> str:
    """``<variant>-M<M>-s<seed>`` (linear learning rate, and any run at M = 64), or
    ``<variant>-M<M>-fixed-s<seed>`` (fixed learning rate at another M).

    Parameters
    ----------
    variant : str
        The variant's name.
    M : int
        Batch size.
    seed : int
        Seed index.
    lr_protocol : {"linear", "fixed"}
        The learning-rate protocol.

    Returns
    -------
    str
    """
    tag = "" if lr_protocol == "linear" or M == LR_FIXED_BATCH else f"-{lr_protocol}"
    return f"{variant}-M{M}{tag}-s{seed}"


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
