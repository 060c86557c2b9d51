r"""Population normalization as weight normalization (seed §1.5): :func:`theory.pn_as_wn` (PN is
WN with :math:`v=\gamma/\sqrt a`) against a simulated fit, and the seed's statement of it."""

from __future__ import annotations

import sympy as sp

from theory import pn_as_wn
from theory.notation import text
from theory.pn_wn import A_VAR, W_NORM
from theory.symbols import BETA, GAMMA, MU_P

from ._ladder import Ladder
from .claim import AllOf, Claim, Equality, Number
from .context import RunContext
from .requests import PNWNRequest

LADDER = Ladder("pn_wn", "PN as WN (§1.5)")

#: the simulated case: inputs N(m, a I) in 16 dimensions, gamma, beta
A, GAMMA_VALUE, BETA_VALUE = 4.0, 1.3, 0.2
PRINTED_V = GAMMA / A_VAR
PRINTED_B = -GAMMA * MU_P / (A_VAR * W_NORM) + BETA


def _scale(expr: sp.Expr) -> float:
    return float(expr.subs({GAMMA: GAMMA_VALUE, A_VAR: A}))


@LADDER.requests
def _requests(ctx: RunContext) -> dict[str, PNWNRequest]:
    return {"fit": PNWNRequest(A, GAMMA_VALUE, BETA_VALUE, (_scale(pn_as_wn()["v"]), _scale(PRINTED_V)))}


@LADDER.claim
def pn_wn(ctx: RunContext, sims) -> Claim:
    sol, fit = pn_as_wn(), sims["fit"]
    rule = AllOf((Equality(PRINTED_V, sol["v"]), Equality(PRINTED_B, sol["b"])),
                 "exact symbolic comparison of the printed v and b with the derived ones")
    return Claim(
        "pn-wn", "1.5", "v = γ/a, b = −γ μ_P/(a ‖w‖) + β (inputs N(m, a I))", rule,
        derived=f"v = {text(sol['v'])}, b = {text(sol['b'])} (a is a variance: σ_P = √a ‖w‖)",
        evidence=(Number(f"a = {A:g}, γ = {GAMMA_VALUE:g}: fitted slope of PN on wᵀx/‖w‖", fit.slope, exact=True),
                  Number("derived v", _scale(sol["v"]), exact=True), Number("printed v", _scale(PRINTED_V), exact=True),
                  Number("rms(PN − WN), derived v", fit.rms[0], exact=True),
                  Number("rms(PN − WN), printed v", fit.rms[1], exact=True)),
        correction="v = γ/√a, b = β − γ μ_P/(√a ‖w‖); with a non-isotropic diagonal covariance σ_P = √(Σ a_i w_i²) "
                   "and PN is WN only in that weighted norm",
        printed_expr=sp.Tuple(PRINTED_V, PRINTED_B), derived_expr=sp.Tuple(sol["v"], sol["b"]))
