"""The web page of ``python -m verify.activation EXPR --html PAGE``: one activation's curvature, the
parts of its gamma decay ζ, the Monte-Carlo check and the verdict, typeset and self-contained."""

from __future__ import annotations

from typing import Any

from ._html import esc, number, page
from ._mathml import mathml

#: the check's status -> the CSS class of its badge (the status is always said in words too)
_STATUS_CLASS = {"holds": "ok", "disagrees": "bad", "undefined": "warn", "unverifiable": "warn"}
_CURVATURE = r"A^{\prime\prime}(x) = g^{\prime}(x) = "
_PARTS = (("F_gamma", "F_γ (Fisher information of γ)"), ("mu_d2A", "μ_{d²A} (mean curvature)"),
          ("rho", "ρ (excess kurtosis of h)"), ("sigma_term", "σ_B term (ρ+2)/(8M)·F_γ"),
          ("mu_term", "μ_B term μ_{d²A}/(2M)"), ("skew_term", "skewness term"), ("zeta", "ζ"))


def _table(caption: str, rows: list[tuple[str, str]]) -> str:
    body = "".join(f'<tr><th scope="row">{k}</th><td>{v}</td></tr>' for k, v in rows)
    return f"<table><caption>{esc(caption)}</caption><tbody>{body}</tbody></table>"


def activation_page(report: dict[str, Any], verdict: str) -> str:
    """The page of one activation from the report ``verify.activation --json`` prints and the
    verdict's sentence."""
    parameters = report["parameters"]
    setting = ", ".join(f"{k} = {esc(v)}" for k, v in parameters.items())
    zeta = (mathml(r"\zeta(h) = " + report["latex"], display=True) if report["latex"]
            else "<p>No closed form: the moments are evaluated by quadrature.</p>")
    deltas = "".join(f"<li>Dirac term {number(w)}·δ(x − {number(b)}): g jumps by {number(w)} at x = {number(b)}</li>"
                     for b, w in report["deltas"])
    mc = report["mc"]
    check = ("<p>No Monte-Carlo check was run.</p>" if mc["value"] is None else _table("Monte-Carlo check", [
        ("simulated", f"{number(mc['value'])} ± {number(mc['stderr'], '.2g')} ({mc['samples']} samples)"),
        ("theory ζ + ζ₂ (the derived M⁻² term added)", number(mc["theory"])),
        ("z", number(mc["z"], "+.2f")), ("tolerance (4.5 SE + bias bound)", number(mc["tolerance"], ".2g"))]))
    notes = "".join(f"<li>{esc(w)}</li>" for w in report["warnings"])
    reason = f"<p>{esc(report['reason'])}</p>" if report["reason"] else ""
    status = report["status"]
    body = (
        f"<header><h1>Gamma decay of g(x) = {esc(report['activation'])}</h1><p>{setting}</p></header>\n"
        f'<section id="verdict"><h2>Verdict</h2><p><span class="badge {_STATUS_CLASS[status]}">{esc(status)}</span> '
        f"{esc(verdict)}</p>{reason}</section>\n"
        f'<section id="curvature"><h2>Activation and curvature</h2>'
        f'<div class="display">{mathml("g(x) = " + report["activation_latex"], display=True)}</div>'
        f'<div class="display">{mathml(_CURVATURE + report["derivative_latex"], display=True)}'
        f"</div><ul>{deltas}</ul></section>\n"
        f'<section id="zeta"><h2>The gamma decay ζ and its parts</h2><div class="display">{zeta}</div>'
        + _table(f"ζ's parts ({report['method']})", [(esc(label), number(report[key])) for key, label in _PARTS])
        + "</section>\n"
        f'<section id="check"><h2>Monte-Carlo check</h2>{check}'
        + (f"<h3>Limits</h3><ul>{notes}</ul>" if notes else "") + "</section>")
    return page(f"bnreg: gamma decay of {report['activation']}", body)
