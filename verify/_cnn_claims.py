"""The statements of seed §2.4 as claims, each judged from the CNN runs.

Every comparison is paired by seed (runs with the same seed share their initial weights where the
layers agree, and their minibatch order at the same M): the per-seed difference ``A - B`` is
averaged over the seeds and its standard error is the seeds' standard deviation / sqrt(seeds).
:class:`verify.claim.Direction` decides: the difference beyond ``k`` SE in the claimed direction
is confirmed, beyond ``k`` SE the other way contradicted, otherwise not supported at this scale.

``k`` is the Student-t 97.5% quantile with seeds - 1 degrees of freedom (4.30 for 3 seeds, 2.78
for 5): the SE comes from a handful of seeds, and a one-sided 2.5% error rate per direction is
the conventional level of an empirical finding (the z of every comparison is in the evidence, so
a stricter reader can apply another threshold).

Reading of the seed's words: "generalization error" (泛化误差, §2.4.2) is the seed's own measure,
validation loss - training loss ("gap"); "generalizes better/worse" (§2.4.1, 泛化能力/泛化性能)
needs both a smaller gap and a smaller test error (a network that underfits has a small gap);
"test error" and "accuracy" are judged by the test error rate.  Losses and errors are those of the trained
network in test mode on the whole training and test sets.

Learning-rate protocols: every claim is judged with the learning rate linear in M (the study's default);
each claim that compares batch sizes (§2.4.1's BN at 64 vs 256, §2.4.3, §2.4.4) is judged again with
the rate of M = 64 at every M (id suffix ``.fixed_lr``), both with equal epochs, and both claims note
whether their verdicts differ.  §2.4.1's "PN + gamma decay" is judged twice: the seed's reading
(``pn_gd``) and the derived matrix gamma decay (``pn_derived``), each with what its penalty adds to
PN alone (``pn``) in the evidence.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np

from sim import mean_se
from sim.cnn import LAYERS, LR_PROTOCOLS, run_key

from ._cnn_plan import BATCHES_243, LARGE, SMALL, protocol_text
from .check import student_k, z_score
from .claim import AllOf, Claim, Direction, Number, Rule

LEVEL = 0.975  #: one-sided confidence level of a verdict (see the module docstring)
Results = dict[str, dict[str, np.ndarray]]


def key(variant: str, M: int, seed: int, protocol: str = "linear") -> str:
    return run_key(variant, M, seed, protocol)


def per_seed(results: Results, variant: str, M: int, metric: str, seeds: int, protocol: str = "linear") -> np.ndarray:
    """``metric`` of (variant, M) at each seed (NaN where it does not exist, e.g. a diverged run)."""
    return np.array([float(results[key(variant, M, s, protocol)][metric]) for s in range(seeds)])


def slope(values: Sequence[float] | np.ndarray, Ms: Sequence[int]) -> float:
    """Least-squares slope of ``values`` against log2 M."""
    return float(np.polyfit(np.log2(np.asarray(Ms, dtype=float)), np.asarray(values, dtype=float), 1)[0])


class Judge:
    """Builds the paired comparisons of one study: ``results`` by run key, ``seeds`` per configuration,
    the runs of learning-rate protocol ``protocol`` (``base_lr`` only names it in the scale)."""

    def __init__(self, results: Results, seeds: int, scale: str, protocol: str = "linear",
                 base_lr: float = 0.1) -> None:
        self.results, self.seeds, self.protocol = results, seeds, protocol
        self.scale = f"{scale}; {protocol_text(protocol, base_lr)}"
        self.k = student_k(seeds, level=LEVEL)

    def values(self, variant: str, M: int, metric: str) -> np.ndarray:
        return per_seed(self.results, variant, M, metric, self.seeds, self.protocol)

    def number(self, label: str, values: np.ndarray) -> Number:
        mean, se = mean_se(values)
        return Number(label, None if math.isnan(mean) else mean, None if math.isnan(se) else se)

    def direction(self, what: str, differences: np.ndarray) -> Direction:
        mean, se = mean_se(differences)
        return Direction(mean, se, self.k, what)

    def compare(self, metric: str, larger: tuple[str, int], smaller: tuple[str, int], label: str) -> Direction:
        """``metric`` of ``larger`` minus that of ``smaller``, paired by seed."""
        return self.direction(f"{label}: {larger[0]} at M = {larger[1]} minus {smaller[0]} at M = {smaller[1]}",
                              self.values(*larger, metric) - self.values(*smaller, metric))

    def slope_over_m(self, variant: str, metric: str) -> np.ndarray:
        """Per seed, the slope of ``metric`` against log2 M over §2.4.3's batch sizes."""
        table = np.array([self.values(variant, M, metric) for M in BATCHES_243])  # M x seeds
        return np.array([slope(table[:, s], BATCHES_243) for s in range(self.seeds)])

    def claim(self, id_: str, section: str, printed: str, rule, evidence: Sequence[Number], notes: Sequence[str] = ()):
        id_ = id_ if self.protocol == LR_PROTOCOLS[0] else f"{id_}.{self.protocol}_lr"
        return Claim(id_, section, printed, rule, evidence=tuple(evidence), correction=correction(rule),
                     scale=self.scale, notes=tuple(notes))


def _direction_text(rule: Rule) -> str:
    assert isinstance(rule, Direction), "the rules of §2.4 are Directions and AllOf of Directions"
    if not (math.isfinite(rule.difference) and math.isfinite(rule.stderr)):
        return f"{rule.what}: does not exist (a run diverged)"
    z = z_score(rule.difference, rule.stderr)
    return f"{rule.what} = {rule.difference:.4g} ± {rule.stderr:.2g} (z = {z:+.2f}, k = {rule.k:.2f})"


def correction(rule: Direction | AllOf) -> str | None:
    """What the runs show instead, for a rule that does not confirm (None when it does)."""
    verdict = rule.verdict()
    if verdict == "confirmed":
        return None
    parts = rule.rules if isinstance(rule, AllOf) else (rule,)
    failing = [r for r in parts if r.verdict() != "confirmed"]
    lead = "the runs show the opposite" if verdict == "contradicted" else "not shown at this scale"
    return f"{lead}: " + "; ".join(f"{_direction_text(r)} [{r.verdict()}]" for r in failing)


# ------------------------------------------------------------------------------------------ §2.4.1
def _generalization(j: Judge, worse: tuple[str, int], better: tuple[str, int]) -> AllOf:
    """"``better`` generalizes better than ``worse``": a smaller gap *and* a smaller test error."""
    return AllOf((j.compare("gap", worse, better, "generalization gap"),
                  j.compare("test_error", worse, better, "test error")),
                 f"{better[0]} at M = {better[1]} has both a smaller generalization gap and a smaller test error "
                 f"than {worse[0]} at M = {worse[1]} (paired by seed)")


def _derived_evidence(j: Judge) -> list[Number]:
    """PN + derived decay at M = 64: its test error against BN's (paired), its penalty against its own BN
    gap, and per layer the audit's measured quadratic term over the autograd one (the kinks' share)."""
    pn = ("pn_derived", SMALL)
    out = [j.number(f"pn_derived M={SMALL} {m}", j.values(*pn, m)) for m in ("gap", "test_error")]
    for a, b in (("pn_derived", "bn"), ("pn", "bn")):
        out.append(j.number(f"{a} - {b} at M={SMALL}: test error (paired)",
                            j.values(a, SMALL, "test_error") - j.values(b, SMALL, "test_error")))
    out += _decay_evidence(j, "pn_derived")
    runs = [j.results[key(*pn, s)] for s in range(j.seeds)]
    if not all("derived_gap" in r for r in runs):
        return out
    penalty = np.array([np.sum(r["derived_quadratic_network"]) + np.sum(r["derived_first_order_network"])
                        for r in runs])
    out.append(j.number("pn_derived: training penalty sum_l gamma^T Z gamma + tau^T gamma", penalty))
    out.append(j.number("pn_derived: its own BN gap L_BN - L_PN (network audit)",
                        np.array([float(r["derived_network_gap"]) for r in runs])))
    for layer in range(LAYERS):
        out.append(j.number(f"pn_derived layer {layer + 1}: measured 1/2 tr(H Sigma) / autograd gamma^T Z gamma",
                            np.array([r["derived_quadratic_measured"][layer] / r["derived_quadratic_autograd"][layer]
                                      for r in runs])))
    return out


def _decay_evidence(j: Judge, decayed: str) -> list[Number]:
    """What the penalty of ``decayed`` adds to PN alone at M = 64: its gap and test error minus PN's (paired)."""
    return [j.number(f"{decayed} - pn at M={SMALL}: {m} (paired)",
                     j.values(decayed, SMALL, m) - j.values("pn", SMALL, m)) for m in ("gap", "test_error")]


def claims_241(j: Judge) -> list[Claim]:
    bn_small, bn_large, pn = ("bn", SMALL), ("bn", LARGE), ("pn_gd", SMALL)
    evidence = [j.number(f"{v} M={M} {m}", j.values(v, M, m)) for v, M in (bn_small, bn_large, ("pn", SMALL), pn)
                for m in ("gap", "test_error")]
    evidence.append(j.number(f"pn_gd M={SMALL} gamma^2 (mean of the 5 layers)", np.array(
        [float(np.mean(j.results[key("pn_gd", SMALL, s)]["gamma2"])) for s in range(j.seeds)])))
    return [
        j.claim("seed.2.4.1.bn_batch_size", "2.4.1",
                "Here BN is trained with M = 64. The figure below shows that generalization weakens as M "
                "increases from 64 to 256.", _generalization(j, bn_large, bn_small), evidence),
        j.claim("seed.2.4.1.pn_gamma_decay", "2.4.1",
                "The figure below shows that PN with gamma decay obtains better generalization than BN.",
                _generalization(j, bn_small, pn), evidence + _decay_evidence(j, "pn_gd"),
                notes=("the seed's reading: PN + gamma decay at M = 64, population statistics of a fixed training "
                       "sample (the gradient flowing through them, estimated on the batch), zeta from bnreg's theory "
                       "per channel (A'' = Heaviside: the seed's ReLU reading), M = images per batch; the control "
                       "'pn' is PN alone",)),
        j.claim("seed.2.4.1.pn_derived_decay", "2.4.1",
                "The figure below shows that PN with gamma decay obtains better generalization than BN.",
                _generalization(j, bn_small, ("pn_derived", SMALL)), _derived_evidence(j),
                notes=("the derived reading: PN + the matrix gamma decay gamma^T Z gamma + tau^T gamma per layer "
                       "(theory.network_regularizer: Z from the PN loss's autograd Hessian over the layer's (beta, "
                       "gamma) and the covariance of its batch statistics over images, tau = T1/gamma the "
                       "first-order term), refreshed with PN's statistics, M = 64 images per batch",)),
    ]


# ------------------------------------------------------------------------------------------ §2.4.2
VARIANTS_242 = ("plain", "bn", "wn", "wn_mean_bn", "wn_var_bn")


def claims_242(j: Judge) -> list[Claim]:
    evidence = [j.number(f"{v} M={SMALL} gap", j.values(v, SMALL, "gap")) for v in VARIANTS_242]

    def gap(a: str, b: str) -> Direction:
        return j.compare("gap", (a, SMALL), (b, SMALL), "generalization gap")

    smallest = AllOf(tuple(gap(v, "bn") for v in VARIANTS_242 if v != "bn"),
                     "BN's gap is smaller than each other method's (paired by seed)")
    between = AllOf((gap("wn", "wn_mean_bn"), gap("wn_mean_bn", "bn"), gap("wn", "wn_var_bn"), gap("wn_var_bn", "bn")),
                    "each of WN + mean-only BN and WN + variance-only BN has a gap below WN's and above BN's")
    return [
        j.claim("seed.2.4.2.bn_best", "2.4.2",
                "The figure shows that BN suppresses the generalization error (validation loss - train loss) "
                "clearly better than the other methods.", smallest, evidence),
        j.claim("seed.2.4.2.partial_bn_between", "2.4.2",
                "At the same time, the generalization of 'WN + mean BN' and 'WN + variance BN' both lies between BN "
                "and WN, which shows that mu_B and sigma_B bring different generalization abilities.", between,
                evidence),
    ]


# ------------------------------------------------------------------------------------------ §2.4.3
def claims_243(j: Judge) -> list[Claim]:
    layers = [f"bn_layer{k}" for k in range(1, LAYERS + 1)]
    gamma_slopes = {v: j.slope_over_m(v, "gamma2_switched") for v in layers}
    gamma_rules = tuple(j.direction(f"slope of layer {k}'s gamma^2 against log2 M", gamma_slopes[v])
                        for k, v in enumerate(layers, 1))
    error_slopes = np.mean([j.slope_over_m(v, "test_error") for v in layers], axis=0)
    evidence = [j.number(f"layer {k}: d gamma^2 / d log2 M", gamma_slopes[v]) for k, v in enumerate(layers, 1)]
    evidence += [j.number(f"layer {k}: d test error / d log2 M", j.slope_over_m(v, "test_error"))
                 for k, v in enumerate(layers, 1)]
    ms = ", ".join(map(str, BATCHES_243))
    return [
        j.claim("seed.2.4.3.gamma2_grows", "2.4.3",
                "When the BN of one layer is switched on, that layer's gamma^2 increases with the batch size. "
                "This holds for all layers.",
                AllOf(gamma_rules, f"for each layer (BN there only), the per-seed slope of gamma^2 (mean over "
                                   f"channels, end of training) against log2 M over M = {ms} is positive"),
                evidence),
        j.claim("seed.2.4.3.test_error_grows", "2.4.3",
                "The test error also increases with the batch size, because the regularization weakens.",
                j.direction(f"slope of the test error against log2 M over M = {ms}, averaged over the five "
                            "one-layer-BN networks", error_slopes), evidence),
    ]


# ------------------------------------------------------------------------------------------ §2.4.4
def claims_244(j: Judge) -> list[Claim]:
    rows = [(v, M) for v in ("bn", "bn_dropout", "wn", "wn_dropout") for M in (SMALL, LARGE)]
    evidence = [j.number(f"{v} M={M} test error", j.values(v, M, "test_error")) for v, M in rows]
    return [
        j.claim("seed.2.4.4.bn_large_batch", "2.4.4",
                "The figure shows that in CIFAR-10 training, if the batch increases from 64 to 256, the model's test "
                "error increases markedly and its top-1 accuracy drops markedly.",
                j.compare("test_error", ("bn", LARGE), ("bn", SMALL), "test error"), evidence,
                notes=("the seed's data set is CIFAR-10; the data set judged here is in the scale",)),
        j.claim("seed.2.4.4.bn_dropout", "2.4.4",
                "But if a dropout layer (ratio = 0.125) is added after every BN layer, the accuracy on the test set "
                "even recovers to exceed the original accuracy at M = 64.",
                j.compare("test_error", ("bn", SMALL), ("bn_dropout", LARGE), "test error"), evidence),
        j.claim("seed.2.4.4.wn_dropout", "2.4.4",
                "As the figure shows, when dropout (ratio = 0.25) is added to WN, its top-1 accuracy rises "
                "substantially from 0.73 to 0.80, even comparable to the result of BN trained with M = 64.",
                j.compare("test_error", ("wn", LARGE), ("wn_dropout", LARGE), "test error"), evidence,
                notes=("judged: WN + dropout has a lower test error than WN at the large batch M = 256; the printed "
                       "accuracies 0.73 and 0.80 are CIFAR-10's and are not compared; 'comparable to BN at M = 64' "
                       "has no stated margin and is shown in the evidence only",)),
    ]


def _protocol_claims(j: Judge) -> list[Claim]:
    """The claims that compare batch sizes (§2.4.1's BN at 64 vs 256, §2.4.3, §2.4.4)."""
    return [c for c in claims_241(j) if c.id.startswith("seed.2.4.1.bn_batch_size")] + claims_243(j) + claims_244(j)


def _paired(linear: list[Claim], fixed: list[Claim]) -> list[Claim]:
    """Each fixed-rate claim after its linear-rate one, both noting the two verdicts and whether they differ."""
    by_id = {c.id.rsplit(".", 1)[0]: c for c in fixed}
    out = []
    for claim in linear:
        other = by_id.get(claim.id)
        if other is None:
            out.append(claim)
            continue
        differ = claim.verdict != other.verdict
        note = (f"learning-rate protocols (equal epochs): linear in M -> {claim.verdict}, fixed -> {other.verdict}"
                + (": THE VERDICTS DIFFER" if differ else " (the same verdict)"))
        out += [dataclasses.replace(c, notes=(*c.notes, note)) for c in (claim, other)]
    return out


def all_claims(results: Results, seeds: int, scale: str, base_lr: float = 0.1) -> list[Claim]:
    """The claims of §2.4.1-2.4.4 judged from ``results`` (run key -> arrays): every claim with the linear
    learning rate and, where the fixed-rate runs are there, each claim that compares batch sizes again with
    the fixed rate (id suffix ``.fixed_lr``), the two noting whether their verdicts differ."""
    judge = Judge(results, seeds, scale, LR_PROTOCOLS[0], base_lr)
    claims = claims_241(judge) + claims_242(judge) + claims_243(judge) + claims_244(judge)
    if key("bn", LARGE, 0, LR_PROTOCOLS[1]) not in results:
        return claims
    return _paired(claims, _protocol_claims(Judge(results, seeds, scale, LR_PROTOCOLS[1], base_lr)))
