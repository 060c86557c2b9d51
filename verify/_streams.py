"""The Monte-Carlo plan of Part 1 (seed §1.1–1.5): which streams of real BN a run draws, shared
by the batch-statistics, normalization-error and gamma-decay ladders (each asks for the streams it
checks; the runner draws every stream once, with the union of the heads asked for).

A :class:`Stream` is also the handle its ladders read its result by: each ladder's plan maps the
streams to their requests, and a claim names the streams it reads (the constants below), which the
plan checks before any simulation starts (:meth:`verify._ladder.Ladder.plan`)."""

from __future__ import annotations

from dataclasses import dataclass

from sim import GLM

from .context import RunContext
from .requests import GLM_ORDER, BatchNoiseRequest


@dataclass(frozen=True)
class MonteCarloSize:
    """Samples per stream and the batch sizes of the Gaussian streams."""

    samples: int
    gaussian_Ms: tuple[int, ...]


SIZES = {
    "quick": MonteCarloSize(2**22, (8, 32, 128)),
    "default": MonteCarloSize(2**24, (8, 16, 32, 64, 128)),
    "full": MonteCarloSize(2**26, (4, 8, 16, 32, 64, 128, 256)),
}


@dataclass(frozen=True)
class Stream:
    """One planned stream: input family, batch size, gamma, beta, mean subtraction, and the
    activations whose gamma decay it measures."""

    input: str
    M: int
    gamma: float = 1.0
    beta: float = 0.0
    bias: bool = True
    activations: tuple[str, ...] = GLM_ORDER

    @property
    def key(self) -> str:
        """The stream's name (its seed is keyed by it; it labels its checks)."""
        return BatchNoiseRequest(self.input, self.M, 0, self.gamma, self.beta, self.bias).key

    def request(self, ctx: RunContext, glms: tuple[tuple[str, GLM], ...] = ()) -> BatchNoiseRequest:
        """This stream at the run's size, with the given heads."""
        return BatchNoiseRequest(self.input, self.M, ctx.pick(SIZES).samples, self.gamma, self.beta, self.bias, glms)


#: the streams the seed's claims read by name (each in every mode's plan, or the plan refuses the run)
GAUSSIAN_8, GAUSSIAN_32 = Stream("gaussian", 8), Stream("gaussian", 32)
EXPONENTIAL_128 = Stream("exponential", 128, activations=("identity", "relu", "tanh"))
SHIFTED_32 = Stream("gaussian", 32, gamma=1.5, beta=0.5, activations=("relu", "softplus", "sigmoid", "tanh"))
NO_BIAS_32 = Stream("gaussian", 32, bias=False, activations=("identity", "squared_loss", "relu"))


def plan(ctx: RunContext) -> list[Stream]:
    """Every Part-1 stream of this run.

    Parameters
    ----------
    ctx : RunContext
        The run's settings (its mode picks the Gaussian batch sizes).

    Returns
    -------
    list of Stream
        The streams, in the order of the checks.
    """
    out = [Stream("gaussian", M) for M in ctx.pick(SIZES).gaussian_Ms]
    out += [Stream(f, 128, activations=("identity", "relu", "sigmoid", "tanh")) for f in ("laplace", "uniform")]
    return out + [EXPONENTIAL_128, SHIFTED_32, NO_BIAS_32]
