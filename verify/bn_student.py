r"""The BN student of the teacher–student model (seed §2.3): :math:`\gamma(w^\top x-\mu_B)/\sigma_B`
trained by minibatch SGD, tested with population statistics (:math:`\sigma_P=\lVert w\rVert`), against
its derivation (:mod:`theory.bn_student`): at convergence BN is PN with :math:`\gamma` shrunk by
:math:`c_M=\mathbb E\sigma_B/\sigma_P`, plus an :math:`O(M^{-2})` direction term.

Every replica carries paired predictions from its own data (:func:`sim.bn_point`): the exact
stationary point of its expected batch loss and the leading-order closed form.  Two ladders of
checks follow, each on paired differences (SE over input matrices, the teachers of one averaged):

* **derivation** (no SGD): stationary point minus closed form against the derived direction term —
  a 10 % error in the derived shrinkage :math:`1-c_M` fails it;
* **training**: SGD minus the stationary point against 0, with SGD's measured stationary bias.

The seed's claims are judged by the derivation; the checks are its evidence and can fail a run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import sympy as sp

from sim import BNConfig, paired_drift, paired_mean
from theory import bn_chi_factor, bn_student_error, bn_student_gamma, effective_ridge_zeta
from theory import bn_student as bs
from theory import teacher_student as ts
from theory.notation import text

from ._ladder import Ladder
from .check import Check, student_k
from .claim import Claim, Derived, Number
from .context import RunContext
from .requests import SweepRequest
from .teacher_student import DELTA, SECTION, M

LADDER = Ladder("bn_student", "The BN student (§2.3)")


@dataclass(frozen=True)
class BNStudentSize:
    """Replicas are ``datasets`` input matrices x ``teachers`` teachers each; SEs are over matrices."""

    N: int
    datasets: int
    teachers: int
    above: tuple[float, ...]  #: alpha > 1, checked (sgd_epochs(alpha) epochs)
    slow: tuple[float, ...]  #: near alpha = 1: the slowest mode does not settle in the budget; drawn, drift reported
    below: tuple[float, ...]  #: alpha < 1 from a small start (w_init 0.1), checked
    w0: tuple[float, ...]  #: alpha < 1 from w_0 ~ N(0, I/N): the conserved component
    sweep_N: int
    sweep_alphas: tuple[float, ...]
    sweep_Ms: tuple[int, ...]  #: with paired predictions
    sweep_datasets: int
    sweep_teachers: int
    prediction_epochs: int = 200  #: batch epochs behind the stationary point (its bias: SOLVER_BIAS / epochs)
    unpaired_Ms: tuple[int, ...] = ()  #: drawn without predictions (M = 4: the stationary solver is slow there)


SIZES = {
    # quick: every kind of check once, at M = 32 (the batch-size sweep, alpha = 3, 4 and the conserved-w_0 start
    # at the default size and --full)
    "quick": BNStudentSize(256, 12, 1, (2.0,), (), (0.5,), (), 256, (), (), 12, 1, 50),
    "default": BNStudentSize(512, 12, 4, (2.0, 3.0, 4.0), (0.75, 1.0, 1.5), (0.25, 0.5), (0.5,),
                             256, (2.0, 4.0), (8, 16, 32, 64, 128), 8, 2, unpaired_Ms=(4,)),
    # N = 4096 for every checked alpha, 6 matrices x 3 teachers (a BN step reads its batch once for all the teachers
    # of a matrix, so the cost grows with the matrices); the stationary point over 50 batch epochs; the batch-size
    # sweep at N = 256: N = 1024 does not fit --full's 25 minutes on two cores (measured: 80 CPU-s for one
    # N = 4096, alpha = 3 task with its stationary solve)
    "full": BNStudentSize(4096, 6, 3, (2.0, 3.0, 4.0), (), (0.25, 0.5), (0.5,),
                          256, (2.0, 4.0), (8, 16, 32, 64, 128), 8, 2, 50, unpaired_Ms=(4,)),
}
#: SGD's epochs up to alpha = 2 (above: sgd_epochs) and below alpha = 1, and its fewest steps
EPOCHS, LONG_EPOCHS, MIN_STEPS = 480, 1000, 4000
SMALL_INIT = 0.1  #: from w_init 1e-3 the first steps blow |w| up and freeze training (issue 11's trap)

#: SGD's stationary bias, paired with the stationary point of the same data (cosine schedule, sgd_epochs above
#: alpha = 1, 1000 epochs below): |gamma_SGD - gamma_stationary| <= 3.6e-4 at every alpha (N = 512-4096); eps sits
#: below the stationary point, at alpha = 2 by 1.3-1.7e-3 (N = 512, 1024, 4096), at 3 by 4.4e-4 +- 0.5e-4 and at 4
#: by 2.1e-4 +- 0.2e-4 (N = 4096; 3.9e-4 and 1.5e-4 with 480 epochs there), below 1 by <= 3.6e-4.  The bounds
#: round these up by at least 2 SE; they are the size of SGD's finite-step bias, not of the theory.
SGD_GAMMA_BIAS = 5e-4
SGD_EPS_BIAS = {2.0: 2.0e-3, 3.0: 6e-4, 4.0: 3e-4, "below": 5e-4}
#: finite-N shift of the stationary gamma over the closed form on the same data (measured 0.40-0.45/N at
#: alpha = 2, 0.2/N at alpha = 4, N = 512-4096; not derived): bound 0.6/N; below alpha = 1, where every
#: batch is drawn without replacement from P samples, measured 0.75 gamma/P at N = 512: bound gamma/P.
FINITE_N_GAMMA = 0.6
#: the O(M^-3) remainder of the direction term (measured: 10-13 % at M = 32, up to 35 % at M = 8, 16;
#: not resolved at M = 4, where the series in 1/M is not small: no derivation check there)
REMAINDER = {8: 0.4, 16: 0.4, 32: 0.15, 64: 0.15, 128: 0.15}
#: the stationary solver's finite number E of batch epochs adds ~4.7e-3/E to 1 - cos (measured, E = 100
#: vs 400): about 1e-2/E in eps
SOLVER_BIAS = 1e-2


def sgd_epochs(alpha: float) -> int:
    r"""SGD's epochs above :math:`\alpha = 1`: :data:`EPOCHS` up to :math:`\alpha = 2`, above it as many
    steps as at :math:`\alpha = 2` (:math:`2\,\mathrm{EPOCHS}/\alpha` epochs of :math:`P/M` steps).

    With equal steps, :math:`\gamma`'s batch noise (step :math:`\eta_\gamma` per step) is averaged over as
    many steps, and the slowest direction mode relaxes further than at :math:`\alpha = 2`: a step of size
    :math:`\eta M/N` moves a mode of :math:`X^\top X/P` with eigenvalue :math:`\lambda` by
    :math:`\propto\lambda`, and the slowest sits at the Marchenko–Pastur edge
    :math:`\lambda_- = (1-\alpha^{-1/2})^2`, 2.1x that of :math:`\alpha = 2` at 3 and 2.9x at 4.  A scaling
    rule, not a derivation: SGD's stationary bias under it is measured (:data:`SGD_EPS_BIAS`)."""
    return EPOCHS if alpha <= 2 else math.ceil(2 * EPOCHS / alpha)


def _config(M_value: int, epochs: int = EPOCHS, w_init: float = 1.0) -> BNConfig:
    return BNConfig(M=M_value, epochs=epochs, min_steps=MIN_STEPS, w_init=w_init)


def _points(ctx: RunContext) -> list[tuple[str, float]]:
    """Every (group, alpha) this run simulates, one request each (SGD's epochs depend on alpha)."""
    s = ctx.pick(SIZES)
    alphas = {"above": s.above + s.slow, "below": s.below, "w0": s.w0,
              "sweep": s.sweep_alphas if s.sweep_Ms else (), "unpaired": s.sweep_alphas if s.unpaired_Ms else ()}
    return [(g, a) for g, values in alphas.items() for a in values]


def _request(ctx: RunContext, group: str, alpha: float) -> SweepRequest:
    s = ctx.pick(SIZES)
    if group in ("sweep", "unpaired"):
        paired = group == "sweep"
        return SweepRequest("bn", s.sweep_N, (alpha,), s.sweep_datasets, s.sweep_teachers, DELTA,
                            config=_config(M, sgd_epochs(alpha)), Ms=s.sweep_Ms if paired else s.unpaired_Ms,
                            predict=s.prediction_epochs if paired else False)
    config = {"above": _config(M, sgd_epochs(alpha)), "below": _config(M, LONG_EPOCHS, SMALL_INIT),
              "w0": _config(M, LONG_EPOCHS)}[group]
    return SweepRequest("bn", s.N, (alpha,), s.datasets, s.teachers, DELTA, config=config,
                        predict=s.prediction_epochs)


def _request_config(ctx: RunContext, group: str, alpha: float) -> BNConfig:
    """The BN configuration of :func:`_request` (which always gives one)."""
    config = _request(ctx, group, alpha).config
    assert config is not None, "every request of this ladder carries its BN configuration"
    return config


@LADDER.requests
def _requests(ctx: RunContext) -> dict[tuple[str, float], SweepRequest]:
    return {(g, a): _request(ctx, g, a) for g, a in _points(ctx)}


@dataclass(frozen=True)
class Run:
    """One simulated point: its group, N, M, alpha and the replica arrays of :func:`sim.bn_point`."""

    group: str
    N: int
    M: int
    alpha: float
    arrays: dict

    @property
    def label(self) -> str:
        start = {"below": ", w_init 0.1", "w0": ", w_0 ~ N(0, I/N)"}.get(self.group, "")
        return f"N={self.N}.M={self.M}.alpha={self.alpha:g}{start}"

    def paired(self, key: str) -> tuple[float, float, int]:
        """Mean, SE and units of a per-replica array over input matrices."""
        value = self.arrays[key]
        return paired_mean(value[-1] if value.ndim == 2 else value, self.arrays["dataset"])

    def mean(self, key: str) -> float:
        return float(np.mean(self.arrays[key]))


def runs(sims) -> list[Run]:
    """Every simulated point, by group, batch size and then alpha in request order."""
    every = [Run(g, p.N, p.M, p.alpha, arrays) for (g, _), grid in sims.items() for p, arrays in grid.items()]
    groups = list(dict.fromkeys(g for g, _ in sims))
    return sorted(every, key=lambda r: (groups.index(r.group), r.M))


def _checked(run: Run, ctx: RunContext) -> bool:
    return run.group != "unpaired" and run.alpha not in ctx.pick(SIZES).slow


def converged(run: Run) -> tuple[bool, tuple[float, float, int]]:
    """The paired convergence criterion: the drift of (BN - stationary) from 3/4 of training to the
    end is within k SE of its paired standard error (k: Student-t over input matrices)."""
    drift = paired_drift(run.arrays["paired_eps"], run.arrays["dataset"], start=-2, end=-1)
    return abs(drift[0]) <= student_k(drift[2]) * drift[1], drift


def _shrinkage(run: Run) -> float:
    """The derived shrinkage of gamma, :math:`\\gamma(1-c_M)/c_M`: the scale a planted error is measured in."""
    c = float(bn_chi_factor(run.M))
    return run.mean("closed_gamma") * (1 - c) / c


def _direction(run: Run) -> tuple[float, float]:
    """The derived direction terms :math:`(\\Delta\\gamma, \\Delta\\epsilon)` at the run's alpha and M
    (0 below alpha = 1)."""
    args = (run.alpha, run.M, DELTA)
    return (float(bn_student_gamma(*args)) - float(bn_student_gamma(*args, direction_term=False)),
            float(bn_student_error(*args)) - float(bn_student_error(*args, direction_term=False)))


def _finite_n_gamma(run: Run) -> float:
    P = round(run.alpha * run.N)
    return run.mean("closed_gamma") / P if run.alpha < 1 else FINITE_N_GAMMA / run.N


def _derivation_checks(run: Run, epochs: int) -> list[Check]:
    """Stationary point minus the closed form on the same data against the derived direction term."""
    if run.M not in REMAINDER:
        return []
    d_gamma, d_eps = _direction(run)
    n_gamma, r = _finite_n_gamma(run), REMAINDER[run.M]
    gap = abs(run.mean("closed_gamma") - float(np.mean(run.arrays["closed_overlap"])))
    common = "SE over input matrices of the paired difference, k: Student-t"
    g_mean, g_se, units = _paired_diff(run, "pred_gamma", "closed_gamma")
    e_mean, e_se, _ = _paired_diff(run, "pred_eps", "closed_eps")
    k = student_k(units)
    return [
        Check(f"bn.derivation_gamma.{run.label}", SECTION, d_gamma, g_mean, g_se, n_gamma + r * abs(d_gamma),
              f"stationary gamma - closed form c_M sigma_T on the same data vs the derived O(M^-2) term; bias: "
              f"finite-N shift (measured <= {FINITE_N_GAMMA:g}/N; 1/P below alpha = 1) + {r:.0%} O(M^-3) remainder; "
              + common, k=k, samples=units, scale=_shrinkage(run), kind="bn.derivation_gamma"),
        Check(f"bn.derivation_eps.{run.label}", SECTION, d_eps, e_mean, e_se,
              2 * gap * n_gamma + r * abs(d_eps) + SOLVER_BIAS / epochs,
              "stationary eps - closed form on the same data vs the derived direction term; bias: the finite-N "
              "gamma shift through d eps/d gamma = 2(gamma - u'w*), the O(M^-3) remainder, the solver's "
              f"{epochs} batch epochs ({SOLVER_BIAS:g}/epochs); " + common, k=k, samples=units,
              scale=float(bn_student_error(run.alpha, run.M, DELTA)), kind="bn.derivation_eps"),
    ]


def _paired_diff(run: Run, a: str, b: str) -> tuple[float, float, int]:
    return paired_mean(run.arrays[a] - run.arrays[b], run.arrays["dataset"])


def _sgd_eps_bias(run: Run) -> float | None:
    return SGD_EPS_BIAS["below"] if run.alpha < 1 else SGD_EPS_BIAS.get(run.alpha)


def _training_checks(run: Run) -> list[Check]:
    """SGD (final checkpoint) minus the stationary point of the same data, paired, against 0."""
    g_mean, g_se, units = run.paired("paired_gamma")
    k = student_k(units)
    common = "; SE over input matrices of the paired difference, k: Student-t"
    out = [Check(f"bn.sgd_gamma.{run.label}", SECTION, 0.0, g_mean, g_se, SGD_GAMMA_BIAS,
                 f"SGD |gamma| - the stationary gamma of the same data; bias {SGD_GAMMA_BIAS:g}: SGD's measured "
                 "stationary bias (cosine schedule)" + common, k=k, samples=units, scale=_shrinkage(run),
                 kind="bn.sgd_gamma")]
    bias, (ok, _) = _sgd_eps_bias(run), converged(run)
    if bias is not None and ok:
        e_mean, e_se, _ = run.paired("paired_eps")
        out.append(Check(f"bn.sgd_eps.{run.label}", SECTION, 0.0, e_mean, e_se, bias,
                         f"SGD eps - the stationary eps of the same data; bias {bias:g}: SGD's measured "
                         "stationary bias at this alpha (N-independent)" + common, k=k, samples=units,
                         scale=float(bn_student_error(run.alpha, run.M, DELTA)), kind="bn.sgd_eps"))
    return out


@LADDER.checks
def bn_checks(ctx: RunContext, sims) -> list[Check]:
    out: list[Check] = []
    for run in runs(sims):
        if _checked(run, ctx):
            out += _derivation_checks(run, ctx.pick(SIZES).prediction_epochs) + _training_checks(run)
    return out


# ----------------------------------------------------------------------------- claims
def _main_runs(ctx: RunContext, sims) -> list[Run]:
    return [r for r in runs(sims) if r.group in ("above", "below") and _checked(r, ctx)]


def _scale(ctx: RunContext) -> str:
    s = ctx.pick(SIZES)
    return (f"N = {s.N}, {s.datasets} input matrices x {s.teachers} teachers, M = {M}; batch-size sweep at "
            f"N = {s.sweep_N}, M in {list(s.sweep_Ms)}")


def _alphas(ctx: RunContext) -> list[float]:
    s = ctx.pick(SIZES)
    return sorted(s.below + s.above)


def _sim_numbers(ctx: RunContext, sims) -> tuple[Number, ...]:
    out = []
    for run in _main_runs(ctx, sims):
        mean, se, _ = paired_mean(run.arrays["bn"], run.arrays["dataset"])
        out.append(Number(f"α = {run.alpha:g}: BN simulated (SGD)", mean, se))
        out.append(Number(f"α = {run.alpha:g}: BN - its stationary point (paired)", *run.paired("paired_eps")[:2]))
    return tuple(out)


@LADDER.claim
def bn_matches_wn(ctx: RunContext, sims) -> Claim:
    alphas = _alphas(ctx)
    derived = {a: float(bn_student_error(a, M, DELTA)) for a in alphas}
    seed = {a: float(ts.wn_error(a, 1 / (2 * M), DELTA)) for a in alphas}
    gap = max(abs(derived[a] - seed[a]) for a in alphas)
    return Claim(
        "seed.2.3.bn_matches_wn", SECTION, "BN (M = 32, SGD) matches ε_wn at ζ = 1/(2M) (seed's G convention)",
        Derived(gap < 1e-9, "the derived BN error (theory.bn_student_error) against ε_wn(α, ζ_R = 1/(2M)) at every α"),
        derived="BN = PN with γ shrunk by c_M plus an O(M⁻²) direction term: not a ridge on the direction",
        evidence=tuple(Number(f"α = {a:g}: derived BN", derived[a], exact=True) for a in alphas)
        + tuple(Number(f"α = {a:g}: seed's WN + gamma decay, ζ_R = 1/(2M)", seed[a], exact=True) for a in alphas)
        + tuple(Number(f"α = {a:g}: PN", float(bs.pn_student_error(a, DELTA)), exact=True) for a in alphas)
        + _sim_numbers(ctx, sims),
        correction=None if gap < 1e-9 else
        f"BN's error is theory.bn_student_error, e.g. {derived[2.0]:.4f} at α = 2 vs the seed's {seed[2.0]:.4f} and "
        f"PN's {float(bs.pn_student_error(2.0, DELTA)):.4f}; for α < 1 BN interpolates (γ = c_M σ_T(y)) and is worse "
        "than least squares; the largest difference from the seed's curve over the checked α is "
        f"{gap:.3g}", scale=_scale(ctx),
        notes=(f"not converged by the paired drift criterion (their SGD-vs-stationary eps check is left out): "
               f"{', '.join(r.label for r in _main_runs(ctx, sims) if not converged(r)[0]) or 'none'}",))


@LADDER.claim
def bn_equivalent_zeta(ctx: RunContext, sims) -> Claim:
    grid = np.array([0.75, 1.25, 1.5, 2.0, 3.0, 4.0])
    weak = effective_ridge_zeta(grid, M, DELTA)
    target = 1 / (2 * M)
    holds = bool(np.all(np.isfinite(weak)) and np.allclose(weak, target, rtol=1e-6))
    ok = weak[np.isfinite(weak)]
    return Claim(
        "seed.2.3.bn_equivalent_zeta", SECTION, "ζ = 1/(2M) for the BN student (ρ = 0)",
        Derived(holds, "the derived ζ_eff(α) (ridge convention) that makes ε_wn equal the derived BN error, "
                "at every α"),
        derived="ζ_eff(α) from theory.effective_ridge_zeta: no constant BN-equivalent ζ exists",
        evidence=tuple(Number(f"α = {a:g}: ζ_eff (ridge)", None if not math.isfinite(z) else float(z), exact=True)
                       for a, z in zip(grid, weak))
        + (Number("1/(2M)", target, exact=True), Number("3/(2M)", 3 / (2 * M), exact=True)),
        correction=None if holds else
        f"ζ_eff varies with α from {ok.min():.4g} to {ok.max():.4g} (ridge convention; ζ_L = ζ_R/α "
        f"{(ok / grid[np.isfinite(weak)]).min():.3g}-{(ok / grid[np.isfinite(weak)]).max():.3g}); below α = 1 BN is "
        "worse than least squares and no weak-branch ζ exists", notes=("derived; the simulation checks the BN error "
                                                                        "it is computed from",))


@LADDER.claim
def bn_no_divergence(ctx: RunContext, sims) -> Claim:
    below, above, clean = bs.alpha_one_limit()
    value = float(below.subs({bs.C_CHI: bn_chi_factor(M), ts.delta2: DELTA**2}))
    slow = [r for r in runs(sims) if r.group == "above" and r.alpha == 1.0]
    evidence = [Number("derived limit α → 1, both sides: 1 + c_M²(1+δ²)", value, exact=True)]
    for run in slow:
        mean, se, _ = paired_mean(run.arrays["bn"], run.arrays["dataset"])
        evidence.append(Number(f"α = 1, N = {run.N}: BN simulated at the end of training", mean, se))
        evidence += [Number(f"paired gap to the stationary point at {c:g} of training", float(t), exact=True)
                     for c, t in zip(run.arrays["checkpoints"], run.arrays["paired_eps"].mean(axis=1))]
    return Claim(
        "seed.2.3.bn_no_divergence", SECTION, "at α = 1 BN no longer diverges (γ stays bounded)",
        Derived(math.isfinite(value) and sp.simplify(below - above) == 0,
                "both branches of the derived BN error tend to the same finite limit at α = 1"),
        derived="γ → c_M √(1+δ²) while the overlap → 0: ε → 1 + c_M²(1+δ²), finite but above the zero predictor's 1",
        evidence=tuple(evidence), scale=_scale(ctx),
        notes=("plain SGD does not reach the stationary point at α = 1 in the budget (the slowest mode); the "
               "checkpoints show the gap closing", f"at δ = 0 the limit is {text(clean)} instead"))


@LADDER.claim
def gamma_decay_cancels(ctx: RunContext, sims) -> Claim:
    p1 = bs.part1_difference()
    holds = bool(p1["exact_cancels"]) and bs.part1_matches_batch_loss()
    return Claim(
        "bn-student-gamma-decay-cancels", SECTION,
        "for the BN student (squared loss) the seed's gamma decay ζγ² is cancelled: BN's O(1/M) regularizer "
        "is linear in γ",
        Derived(holds, "Part 1's O(1/M) difference: ζγ² + the first-order term through E[ĥ - h̄ | n̄]; the γ² parts "
                "cancel to all orders (Σ_B n̂² = M), and for linear labels it equals the exact batch loss"),
        derived="E ℓ(ĥ) - ℓ(h̄) = -(2γ/M) E[m(n̄) b₁(n̄)] at O(1/M): linear in γ for every label law",
        evidence=(Number("ζ = E(ĥ - h̄)²/γ² at O(1/M), times M", float(p1["zeta"] * bs.M), exact=True),
                  Number("E[n̄ b₁(n̄)]", float(p1["E_n_b1"]), exact=True)),
        derived_expr=p1["total"],
        notes=("the seed's ζγ² has the right value only where E[(h̄ - m) b₁] = 0 (e.g. γ = κ_y for well-specified "
               "linear labels), and even there twice the true γ-derivative: gamma decay predicts the shrinkage "
               "1 - 3/(2M), BN does 1 - 3/(4M)",))


@LADDER.claim
def shrunk_pn(ctx: RunContext, sims) -> Claim:
    one, shrink = bs.chi_factor_limits()
    holds = bs.least_squares_maximises_correlation() and one == 1 and shrink == sp.Rational(3, 4)
    evidence = []
    for run in _main_runs(ctx, sims):
        mean, se, _ = paired_mean(np.abs(run.arrays["gamma"]) / run.arrays["closed_gamma"] * float(bn_chi_factor(M)),
                                  run.arrays["dataset"])
        evidence.append(Number(f"α = {run.alpha:g}: simulated |γ| / σ_T(h) on the run's data", mean, se))
    return Claim(
        "bn-student-shrunk-pn", SECTION, "at convergence the BN student is PN with γ shrunk by c_M = E σ_B/σ_P",
        Derived(holds, "the expected batch loss is stationary at γ = E_B C_B(w), maximised over w by the "
                "least-squares direction (Cauchy-Schwarz), where E_B σ_B = c_M σ_T (chi law; M(1 - c_M) → 3/4)"),
        derived="γ_BN = c_M σ_T(h) (α > 1: least-squares h; α < 1: the interpolant, σ_T(y)), "
        "c_M = √(2/M) Γ(M/2)/Γ((M-1)/2) = 1 - 3/(4M) + O(M⁻²); the direction adds O(M⁻²)",
        evidence=tuple(evidence) + (Number("c_M at M = 32", float(bn_chi_factor(M)), exact=True),),
        derived_expr=bs.chi_factor(), scale=_scale(ctx),
        notes=("the checks bn.derivation_* compare the exact stationary point with this closed form on the same "
               "data; bn.sgd_* compare SGD with the stationary point",))


# ----------------------------------------------------------------------------- arrays, info, figures
@LADDER.arrays
def bn_arrays(ctx: RunContext, sims) -> dict[str, np.ndarray]:
    out = {}
    for run in runs(sims):
        key = f"bn_{run.group}_N{run.N}_M{run.M}_alpha{run.alpha:g}"
        for name in ("bn", "gamma", "pred_eps", "pred_gamma", "closed_eps", "closed_gamma", "paired_eps",
                     "paired_gamma", "trajectory", "dataset"):
            if name in run.arrays:
                out[f"{key}_{name}"] = run.arrays[name]
    return out


@LADDER.info
def bn_info(ctx: RunContext, sims) -> dict:
    s = ctx.pick(SIZES)
    drifts = {r.label: dict(zip(("drift", "se", "units"), converged(r)[1])) | {"converged": converged(r)[0]}
              for r in runs(sims) if r.group != "unpaired"}
    return {"bn_student": {
        "size": {k: list(v) if isinstance(v, tuple) else v for k, v in s.__dict__.items()}, "delta2": DELTA**2,
        "configs": {f"{g} alpha={a:g}": _request_config(ctx, g, a).to_dict() for g, a in _points(ctx)},
        "paired_drift_0.75_to_1": drifts,
        "conventions": "zeta: ridge convention (X^TX/N + zeta); BN test error with sigma_P = ||w||, mu_P = 0",
    }}


@LADDER.figure
def bn_figures(ctx: RunContext, sims, folder) -> list:
    from ._bn_student_figures import draw_alpha, draw_batch_size  # noqa: PLC0415 - matplotlib only when drawing

    all_runs = runs(sims)
    swept = [r for r in all_runs if r.group in ("sweep", "unpaired")]
    main = [r for r in all_runs if r.group not in ("sweep", "unpaired")]
    return [draw_alpha(main, ctx.pick(SIZES).slow, M, DELTA, folder)] + (
        [draw_batch_size(swept, DELTA, folder)] if swept else [])
