"""The SymPy symbols every derivation of :mod:`theory` shares: bnreg's one symbol table.

Every named symbol of :mod:`theory` is defined here, once, with one name per quantity (a name is
how :mod:`theory.notation` prints it); a variable local to one derivation (a substitution or
integration variable that never leaves it) is an ``sp.Dummy`` there instead.
"""

from __future__ import annotations

import sympy as sp

M = sp.Symbol("M", positive=True)  #: batch size
U = sp.Symbol("u", positive=True)  #: 1/M, the expansion parameter
SQRT_U = sp.Symbol("sqrt_u", positive=True)  #: sqrt(u) = M^(-1/2), the Hajek expansion's variable
#: the standardized variable (mean 0, variance 1) whose moments are ``theory._moments.moment_symbol(j)``
Z = sp.Symbol("z", real=True)
#: skewness and excess kurtosis of the standardized variable
SKEW = sp.Symbol("s", real=True)
RHO = sp.Symbol("rho", real=True)
T_MGF = sp.Symbol("t", real=True)  #: the argument of a moment-generating function E[exp(t z)]
#: the Hajek projection's fluctuations: the standardized chi^2_{M-2} (over sqrt u) and the sample's own term
VARRHO, TAU = sp.symbols("varrho tau", real=True)
N_BAR = sp.Symbol(r"\bar{n}", real=True)  #: standardized pre-activation (h - mu_P)/sigma_P
X = sp.Symbol("x", real=True)  #: the argument of an activation g(x)
GAMMA = sp.Symbol("gamma", positive=True)
BETA = sp.Symbol("beta", real=True)
MU_P = sp.Symbol(r"\mu_{\mathcal{P}}", real=True)
SIGMA_P = sp.Symbol(r"\sigma_{\mathcal{P}}", positive=True)
T = sp.Symbol("t", positive=True)  #: softplus temperature

# the network audit (theory.network_regularizer): one BN layer's batch noise as a shift of its affine
# parameters, for a channel c and a second channel c' of the same layer
ETA = sp.Symbol("eta", positive=True)  #: M^(-1/2), the size of a batch statistic's error
R_VAR = sp.Symbol("r", positive=True)  #: sigma_P^2 / (sigma_P^2 + eps), the variance of n
A_STD = sp.Symbol("a_B", real=True)  #: batch mean of n, (mu_B - mu_P) / sqrt(sigma_P^2 + eps)
DV_STD = sp.Symbol("delta_V", real=True)  #: batch mean of n^2 minus its population mean r
GAMMA_D = sp.Symbol("gamma'", positive=True)  #: the scale of channel c'
#: sqrt(M) times the batch means of u = mean over positions of n and of v - r (v = mean of n^2), channels c, c'
FLUCT_U, FLUCT_V = sp.symbols("U V", real=True)
FLUCT_U_D, FLUCT_V_D = sp.symbols("U' V'", real=True)
#: sqrt(M) times the batch mean of the per-unit gradients of the loss in beta_c, gamma_c, centred
FLUCT_G_BETA, FLUCT_G_GAMMA = sp.symbols("G_beta G_gamma", real=True)
#: PN training loss's gradient in beta_c and gamma_c
GRAD_BETA, GRAD_GAMMA = sp.symbols("g_beta g_gamma", real=True)
#: number of positions a conv channel averages per image, and their mean pairwise correlation
POSITIONS = sp.Symbol("K", positive=True)
POS_CORR = sp.Symbol("rho_pos", real=True)

#: covariances over units (a sample; an image for a conv layer) of u and v: one channel, then channels c, c'
COV_UU, COV_UV, COV_VV = sp.symbols("C_uu C_uv C_vv", real=True)
COV_UU_D, COV_UV_D, COV_VU_D, COV_VV_D = sp.symbols("C_uu' C_uv' C_vu' C_vv'", real=True)
#: covariances over units of the per-unit gradients in beta_c, gamma_c with u and v of channel c
COV_GB_U, COV_GB_V, COV_GG_U, COV_GG_V = sp.symbols("K_betau K_betav K_gammau K_gammav", real=True)
#: the PN training loss's Hessian between (beta_c or gamma_c) and (beta_c' or gamma_c')
HESS_BB, HESS_BG, HESS_GB, HESS_GG = sp.symbols("H_betabeta' H_betagamma' H_gammabeta' H_gammagamma'", real=True)

__all__ = ["A_STD", "BETA", "COV_GB_U", "COV_GB_V", "COV_GG_U", "COV_GG_V", "COV_UU", "COV_UU_D", "COV_UV",
           "COV_UV_D", "COV_VU_D", "COV_VV", "COV_VV_D", "DV_STD", "ETA", "FLUCT_G_BETA", "FLUCT_G_GAMMA", "FLUCT_U",
           "FLUCT_U_D", "FLUCT_V", "FLUCT_V_D", "GAMMA", "GAMMA_D", "GRAD_BETA", "GRAD_GAMMA", "HESS_BB", "HESS_BG",
           "HESS_GB", "HESS_GG", "M", "MU_P", "N_BAR", "POS_CORR", "POSITIONS", "R_VAR", "RHO", "SIGMA_P", "SKEW",
           "SQRT_U", "T", "TAU", "T_MGF", "U", "VARRHO", "X", "Z"]
