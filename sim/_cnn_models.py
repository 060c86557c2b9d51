"""The CNN of seed §2.4, ``conv(3,32)-conv(3,32)-conv(3,64)-conv(3,64)-pool(2,2)-fc(512)-fc(10)``
with ReLU and one normalization choice per normalized layer (the four convolutions and the hidden
fc layer); convolutions are 3x3 without padding (the seed does not state padding; "valid" is the
cheaper reading).  Every weight is drawn from an explicit generator (He-normal, fan-in); biases
and shifts start at 0, scales at 1 (BN, PN, and WN + variance-only BN, whose scale follows
:math:`1/\\sigma_B`: :math:`\\gamma\\,\\hat{\\mathbf w}^T\\mathbf x/\\sigma_B+\\beta`) or at the He gain sqrt(2)
(WN and WN + mean-only BN, whose outputs are not rescaled by a batch statistic).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from theory.errors import BadInput

from ._cnn_layers import (
    HE_GAIN,
    DerivedPopulationNorm,
    MeanOnlyBatchNorm,
    PopulationNorm,
    SeededDropout,
    VarianceOnlyBatchNorm,
    WeightNormalized,
)

CONV_WIDTHS = (32, 32, 64, 64)
HIDDEN = 512
NORMS: tuple[str, ...] = ("none", "bn", "pn", "pn_gd", "pn_derived", "wn", "wn_mean", "wn_var")
_BIASED = {"none", "wn"}  # the others carry the shift beta in the normalization
_WN_GAIN = {"wn": HE_GAIN, "wn_mean": HE_GAIN, "wn_var": None}  # wn_var: the scale gamma follows 1/sigma_B


def _norm(kind: str, channels: int, conv: bool) -> nn.Module:
    if kind == "bn":
        return nn.BatchNorm2d(channels) if conv else nn.BatchNorm1d(channels)
    if kind in ("pn", "pn_gd"):  # PN alone, PN + the seed's gamma decay
        return PopulationNorm(channels, decay=kind == "pn_gd")
    if kind == "pn_derived":
        return DerivedPopulationNorm(channels)
    if kind == "wn_mean":
        return MeanOnlyBatchNorm(channels)
    if kind == "wn_var":
        return VarianceOnlyBatchNorm(channels)
    return nn.Identity()


class Block(nn.Module):
    """``op -> normalization -> ReLU -> dropout``; ``pre`` is the op alone (the ``h`` that the
    normalization sees), ``post`` the rest."""

    def __init__(self, op: nn.Conv2d | nn.Linear, kind: str, dropout: float) -> None:
        super().__init__()
        if kind not in NORMS:
            raise BadInput(f"normalization must be one of {', '.join(NORMS)}, got {kind!r}")
        self.kind = kind
        self.op = WeightNormalized(op, _WN_GAIN[kind]) if kind in _WN_GAIN else op
        self.norm = _norm(kind, op.weight.shape[0], isinstance(op, nn.Conv2d))
        self.dropout = SeededDropout(dropout) if dropout > 0 else nn.Identity()

    @property
    def base(self) -> nn.Conv2d | nn.Linear:
        """The conv or fc map (inside the weight normalization for the WN kinds)."""
        return self.op.base if isinstance(self.op, WeightNormalized) else self.op

    def pre(self, x: torch.Tensor) -> torch.Tensor:
        return self.op(x)

    def post(self, h: torch.Tensor) -> torch.Tensor:
        return self.dropout(F.relu(self.norm(h)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.post(self.pre(x))


class SeedCNN(nn.Module):
    """The seed's CNN for ``shape = (channels, height, width)`` images; ``norms`` gives the
    normalization of each of the five normalized layers, ``dropout`` the rate after each of them."""

    def __init__(self, shape: tuple[int, int, int], norms: tuple[str, ...], dropout: float, classes: int,
                 generator: torch.Generator) -> None:
        super().__init__()
        if len(norms) != len(CONV_WIDTHS) + 1:
            raise BadInput(f"norms must name {len(CONV_WIDTHS) + 1} layers, got {len(norms)}")
        self.input_shape: tuple[int, int, int] = (int(shape[0]), int(shape[1]), int(shape[2]))
        channels, height, width = shape
        if min(height, width) < 2 * len(CONV_WIDTHS) + 2:
            raise BadInput(f"images of {height}x{width} are too small for four 3x3 convolutions and a 2x2 pool")
        blocks = []
        for kind, out in zip(norms, CONV_WIDTHS):
            blocks.append(Block(nn.Conv2d(channels, out, 3, bias=kind in _BIASED), kind, dropout))
            channels, height, width = out, height - 2, width - 2
        flat = channels * (height // 2) * (width // 2)
        blocks.append(Block(nn.Linear(flat, HIDDEN, bias=norms[-1] in _BIASED), norms[-1], dropout))
        self.blocks = nn.ModuleList(blocks)
        self.head = nn.Linear(HIDDEN, classes)
        self._initialise(generator)

    def _block_list(self) -> list[Block]:
        """The blocks, typed (iterating an :class:`~torch.nn.ModuleList` gives plain modules)."""
        return [block for block in self.blocks if isinstance(block, Block)]

    def _initialise(self, generator: torch.Generator) -> None:
        with torch.no_grad():
            for op in [b.base for b in self._block_list()] + [self.head]:
                gain = 1.0 if op is self.head else HE_GAIN
                fan_in = op.weight[0].numel()
                op.weight.normal_(0.0, gain / fan_in**0.5, generator=generator)
                if op.bias is not None:
                    op.bias.zero_()

    def before_block(self, index: int, x: torch.Tensor) -> torch.Tensor:
        """What enters block ``index``: the 2x2 max pool and flattening before the fc layer."""
        return torch.flatten(F.max_pool2d(x, 2), 1) if index == len(CONV_WIDTHS) else x

    def pre_activations(self, x: torch.Tensor, indices: set[int]) -> dict[int, torch.Tensor]:
        """The ``h`` (op output) of each block in ``indices`` for input images ``x``; the forward
        pass stops after the last of them."""
        out: dict[int, torch.Tensor] = {}
        for i, block in enumerate(self._block_list()):
            h = block.pre(self.before_block(i, x))
            if i in indices:
                out[i] = h
                if len(out) == len(indices):
                    return out
            x = block.post(h)
        raise IndexError(f"no block {sorted(set(indices) - set(out))}")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i, block in enumerate(self.blocks):
            x = block(self.before_block(i, x))
        return self.head(x)

    def population_norms(self) -> list[tuple[int, PopulationNorm]]:
        return [(i, b.norm) for i, b in enumerate(self.blocks) if isinstance(b.norm, PopulationNorm)]

    def derived_norms(self) -> list[tuple[int, DerivedPopulationNorm]]:
        return [(i, n) for i, n in self.population_norms() if isinstance(n, DerivedPopulationNorm)]

    def penalty(self) -> torch.Tensor:
        r"""The gamma-decay penalty :math:`\sum_{\text{PN layers}}\sum_c\zeta_c\gamma_c^2` (0 without PN)."""
        terms = [norm.penalty() for _, norm in self.population_norms()]
        return torch.stack(terms).sum() if terms else torch.zeros((), device=self.head.weight.device)

    def layer_gamma2(self) -> list[float]:
        """Mean over channels of the squared scale of each normalized layer (NaN where it has none)."""
        out = []
        for block in self.blocks:
            scale = getattr(block.norm, "weight", None)
            if scale is None and isinstance(block.op, WeightNormalized) and block.op.g is not None:
                scale = block.op.g
            out.append(float(torch.mean(scale.detach().double() ** 2)) if scale is not None else float("nan"))
        return out

    def dropouts(self) -> list[SeededDropout]:
        return [b.dropout for b in self.blocks if isinstance(b.dropout, SeededDropout)]
