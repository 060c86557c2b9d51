"""``python -m verify.report REPORT.json -o PAGE.html``: a report of ``python -m verify.all`` as one
self-contained web page a researcher can open offline and send to a colleague.

The page holds a summary (checks held and failed, verdict counts, run settings, seed, versions,
time) with a link to every failed check and every claim the seed gets wrong; the seed's claims by
part, verdict in colour and in words, the statement as printed and what holds instead, typeset,
with the evidence to expand; every check in a table to sort and filter (kind, status, |z|) with the
error it detects; the derived formulas typeset as MathML under the labels of the LaTeX export
(``python -m theory.latex``); the figures, embedded, with captions.  Nothing is fetched from a
network.  Claims and detectable errors are read by the same code as README's tables
(:mod:`verify.markdown`), so the page and README cannot disagree.  ``python -m verify.all`` writes
this page beside its report (``results/report.html``).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from theory.cli import Parser, atomic_write, run_main
from theory.latex import all_formulas

from ._html import anchor, checked_page_path, data_uri, esc, number, page, status_badge, verdict_badge
from ._mathml import latex_text, mathml
from ._report_rows import PARTS, ROW_FIELDS, ClaimRow, claim_rows, detectable_rows, parts, percent, read_report
from .claim import VERDICTS

__all__ = ["FIGURE_CAPTIONS", "report_page"]

PROG = "python -m verify.report"
#: the fields of a report's checks and claims the page indexes: the rows' and the check table's and claim links'
PAGE_FIELDS = {"checks": ROW_FIELDS["checks"] + ("name", "holds", "theory", "simulated", "stderr", "tolerance"),
               "claims": ROW_FIELDS["claims"] + ("id",)}
_FINDING = ' class="finding"'  # a failed check's or a wrong claim's row
#: captions of the figures ``verify.all`` draws, by file name without its suffix
FIGURE_CAPTIONS = {
    "normalization_error_vs_M": "Normalization error M·E[(ĥ − h̄)²]/γ² against the batch size M, Gaussian h (§1.1): "
                                "first order 3/(2M), the exact 2(1 − E σ_B), the seed's 3/(2M) + 3/(2M²) and "
                                "simulated BN (± 4.5 SE).",
    "conditional_error": "The normalization error conditional on n̄ (§1.3): the derived formula against binned "
                         "simulations.",
    "zeta_vs_M": "Gamma decay ζ against the batch size M (§1.3–1.4): derived and simulated.",
    "bn_student": "The BN student of §2.3 (δ² = 0.25): generalization error against α = P/N, derived and simulated, "
                  "with PN, least squares and the seed's WN + gamma decay; the BN-equivalent ridge strength; SGD "
                  "approaching its stationary point.",
    "bn_student_vs_M": "The BN student against the batch size M (§2.3): derived and simulated.",
}


def report_page(report: dict, *, figures_near: Path | None = None) -> str:
    """The web page of a ``verify.all`` report.

    Parameters
    ----------
    report : dict
        A report as ``python -m verify.all`` writes it (JSON, read back).
    figures_near : pathlib.Path or None, default None
        A folder to look for the report's figures in (by file name) when their recorded paths,
        relative to the folder the run ran in, do not exist from here (e.g. the report's folder).

    Returns
    -------
    str
        The whole HTML document: style, script, formulas and figures inline, nothing external.

    Raises
    ------
    KeyError
        If ``report`` lacks a field every report has (``checks``, ``claims``, ...).
    verify._mathml.UntypesetLatex
        If a formula's LaTeX cannot be typeset (a bug: the page is never written with LaTeX source).
    """
    body = [_header(report), _summary(report), _claims(report), _checks(report), _formulas(),
            _figures(report, figures_near)]
    return page("bnreg report: the seed's claims and their checks", "\n".join(body))


def _header(report: dict) -> str:
    links = [("summary", "Summary"), ("findings", "Findings"), ("claims", "Claims"), ("checks", "Checks"),
             ("formulas", "Derived formulas"), ("figures", "Figures")]
    nav = "".join(f'<li><a href="#{name}">{text}</a></li>' for name, text in links)
    return (f"<header><h1>bnreg: batch normalization's implicit regularization, checked</h1>\n"
            f"<p>Report of <code>python -m verify.all</code> ({esc(report.get('mode', '?'))} run): every claim "
            f"of the seed with its verdict, every theory-vs-simulation check, the derived formulas and the "
            f"figures.</p>\n<nav aria-label=\"sections\"><ul>{nav}</ul></nav></header>")


def _summary(report: dict) -> str:
    checks, rows = report["checks"], claim_rows(report)
    failed = [i for i, c in enumerate(checks) if not c["holds"]]
    counts = ", ".join(f"{verdict_badge(v)} {sum(r.verdict == v for r in rows)}" for v in VERDICTS)
    versions = ", ".join(f"{esc(k)} {esc(v)}" for k, v in report.get("versions", {}).items())
    total = report.get("timings_s", {}).get("total")
    settings = [
        ("checks", f"{len(checks) - len(failed)} held, {len(failed)} failed"
                   f" ({'every check holds' if not failed else 'the run failed'})"),
        ("claims of the seed", f"{len(rows)}: {counts}"),
        ("run", ", ".join(f"{k} {esc(report[k])}" for k in ("mode", "backend", "dtype", "executor") if k in report)),
        ("seed", esc(report.get("seed", "n/a"))),
        ("versions", versions or "n/a"),
        ("time", ("n/a" if total is None else f"{total:.1f} s")
         + (f", finished {esc(report['finished'])}" if "finished" in report else "")),
    ]
    dl = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in settings)
    failed_links = "".join(f'<li><a href="#{anchor("check-", str(i))}">{esc(checks[i]["name"])}</a></li>'
                           for i in failed)
    findings = [r for r in rows if r.is_finding]
    claim_links = "".join(f'<li><a href="#{_claim_id(r)}">§{esc(r.section)} {esc(r.claim["id"])}</a> '
                          f"{verdict_badge(r.verdict)}</li>" for r in findings)
    show_failed = (f'<p><a href="#checks" data-show-status="failed">Show only the {len(failed)} failed checks</a>'
                   f"</p><ul>{failed_links}</ul>" if failed else "<p>No check failed.</p>")
    return (f'<section id="summary"><h2>Summary</h2><dl class="settings">{dl}</dl>\n'
            f'<div class="findings" id="findings"><h3>Findings</h3>\n'
            f"<h4>Failed checks ({len(failed)})</h4>{show_failed}\n"
            f"<h4>Claims of the seed that do not hold as printed ({len(findings)})</h4>"
            f"<ul>{claim_links or '<li>none</li>'}</ul></div></section>")


def _claim_id(row: ClaimRow) -> str:
    return anchor("claim-", row.claim["id"])


def _claims(report: dict) -> str:
    out = ['<section id="claims"><h2>Claims of the seed</h2>'
           "<p>Each claim as the seed prints it, the verdict of derivation and simulation, and what holds "
           "instead; expand <em>evidence</em> for the numbers, the rule that judged and the notes.</p>"]
    for part in parts(report):
        out.append(f"<h3>{esc(PARTS.get(part, f'Part {part}'))}</h3><table class=\"claims\"><thead><tr>"
                   '<th scope="col">§</th><th scope="col">claim as printed</th><th scope="col">verdict</th>'
                   '<th scope="col">what holds instead / evidence</th></tr></thead><tbody>')
        out += [_claim_row(r) for r in claim_rows(report, part)]
        out.append("</tbody></table>")
    return "\n".join(out) + "</section>"


def _claim_row(row: ClaimRow) -> str:
    c = row.claim
    printed = esc(row.printed) + (f'<div class="display">compared as {mathml(c["printed_latex"], display=True)}</div>'
                                  if c.get("printed_latex") else "")
    derived = (f'<div class="display">derived: {mathml(c["derived_latex"], display=True)}</div>'
               if c.get("derived_latex") else "")
    return (f'<tr id="{_claim_id(row)}"{_FINDING if row.is_finding else ""}>'
            f"<td>{esc(row.section)}</td><td>{printed}</td><td>{verdict_badge(row.verdict)}</td>"
            f"<td><p>{esc(row.holds_instead)}</p>{derived}{_evidence(c)}</td></tr>")


def _evidence(claim: dict) -> str:
    items = "".join(
        f"<tr><td>{esc(e['label'])}</td><td class=\"num\">{number(e['value'])}</td>"
        f"<td class=\"num\">{'exact' if e.get('exact') else '± ' + number(e.get('stderr'), '.2g')}</td></tr>"
        for e in claim.get("evidence", []))
    table = ('<table><thead><tr><th scope="col">quantity</th><th scope="col">value</th>'
             f'<th scope="col">standard error</th></tr></thead><tbody>{items}</tbody></table>' if items else "")
    notes = "".join(f"<li>{esc(n)}</li>" for n in claim.get("notes", []))
    return (f"<details><summary>evidence ({esc(claim['id'])})</summary>"
            f"<p>derived: {esc(claim.get('derived') or 'n/a')}</p>{table}"
            f"<p>judged by: {esc(claim.get('rule_text', 'n/a'))}</p>"
            + (f"<ul>{notes}</ul>" if notes else "") + "</details>")


def _checks(report: dict) -> str:
    checks = report["checks"]
    kinds = "".join(f'<option value="{esc(k.kind)}">{esc(k.kind)} ({k.instances})</option>'
                    for k in detectable_rows(report))
    head = [("#", "number"), ("check", "text"), ("§", "text"), ("kind", "text"), ("theory", "number"),
            ("simulated ± SE", "number"), ("z", "number"), ("tolerance", "number"), ("status", "text"),
            ("detects", "number")]
    heads = "".join(f'<th scope="col" data-type="{t}"><button type="button">{esc(h)}</button></th>' for h, t in head)
    rows = "\n".join(_check_row(i, c) for i, c in enumerate(checks))
    detectable = "".join(f"<tr><td><code>{esc(r.kind)}</code></td><td class=\"num\">{r.instances}</td>"
                         f"<td>{esc(r.span)}</td></tr>" for r in detectable_rows(report))
    return (f'<section id="checks"><h2>Checks</h2>'
            f"<p>Every theory-vs-simulation check: it holds when |simulated − theory| ≤ tolerance (k standard "
            f"errors plus a bound on the bias); <em>detects</em> is the smallest relative error of the theory "
            f"it would catch. Click a column's name to sort.</p>"
            f'<div class="filters"><label>kind <select id="filter-kind"><option value="">all</option>{kinds}'
            f'</select></label><label>status <select id="filter-status"><option value="">all</option>'
            f'<option value="held">held</option><option value="failed">failed</option></select></label>'
            f'<label>|z| at least <input id="filter-z" type="number" min="0" step="0.5"></label>'
            f'<span id="checks-shown" aria-live="polite"></span></div>'
            f'<table id="checks-table" class="sortable"><thead><tr>{heads}</tr></thead><tbody>\n{rows}\n'
            f"</tbody></table><h3>What each kind of check detects</h3><table><thead><tr>"
            f'<th scope="col">check</th><th scope="col">instances</th><th scope="col">detects</th></tr></thead>'
            f"<tbody>{detectable}</tbody></table></section>")


def _check_row(i: int, c: dict) -> str:
    z, error = c.get("z"), c.get("detectable_relative_error")
    absz = "NaN" if z is None else repr(abs(float(z)))
    status = "held" if c["holds"] else "failed"
    return (f'<tr id="{anchor("check-", str(i))}" data-kind="{esc(c["kind"])}" data-status="{status}" '
            f'data-absz="{absz}"{"" if c["holds"] else _FINDING}>'
            f'<td class="num">{i}</td><td>{esc(c["name"])}<br><small>{esc(c.get("reason", ""))}</small></td>'
            f'<td>{esc(c.get("section", ""))}</td><td>{esc(c["kind"])}</td>'
            f'<td class="num" data-v="{c["theory"]}">{number(c["theory"])}</td>'
            f'<td class="num" data-v="{c["simulated"]}">{number(c["simulated"])} ± {number(c["stderr"], ".2g")}</td>'
            f'<td class="num" data-v="{absz}">{number(z, "+.2f")}</td>'
            f'<td class="num" data-v="{c["tolerance"]}">{number(c["tolerance"], ".2g")}</td>'
            f"<td>{status_badge(c['holds'])}</td>"
            f'<td class="num" data-v="{"Infinity" if error is None else error}">'
            f'{percent(float("inf") if error is None else error)}</td></tr>')


def _formulas() -> str:
    formulas = all_formulas()
    out = ['<section id="formulas"><h2>Derived formulas</h2><p>Every formula the derivations of this bnreg '
           "produce (SymPy), under the label it has in the LaTeX export (<code>python -m theory.latex</code>), "
           "typeset as MathML.</p>"]
    current = None
    for f in formulas:
        part = f.section[:1]
        if part != current:
            out.append(f"<h3>{esc(PARTS.get(part, f'Part {part}'))}</h3>")
            current = part
        note = f"<p>{latex_text(f.note)}</p>" if f.note else ""
        out.append(f'<section class="formula" id="{esc(f.tex_label)}"><h4>{latex_text(f.title)}</h4>'
                   f'<p><span class="label">{esc(f.tex_label)}</span> · seed §{esc(f.section)}</p>'
                   f'<div class="display">{mathml(f.latex(), display=True)}</div>'
                   f"<p>{latex_text(f.assumptions)}</p>{note}</section>")
    return "\n".join(out) + "</section>"


def _figure_file(recorded: str, near: Path | None) -> Path | None:
    """Where a figure the report names is: its recorded path, else a file of its name in ``near``."""
    candidates = [Path(recorded)] + ([near / Path(recorded).name] if near is not None else [])
    return next((p for p in candidates if p.is_file()), None)


def _figures(report: dict, near: Path | None) -> str:
    out = ['<section id="figures"><h2>Figures</h2>']
    for recorded in report.get("figures", []):
        stem = Path(recorded).stem
        caption = FIGURE_CAPTIONS.get(stem, stem.replace("_", " "))
        path = _figure_file(recorded, near)
        shown = (f'<img src="{data_uri(path)}" alt="{esc(caption)}">' if path is not None
                 else f"<p><strong>not found when this page was made: {esc(recorded)}</strong></p>")
        out.append(f'<figure id="{anchor("figure-", stem)}">{shown}'
                   f"<figcaption>{esc(caption)} <code>{esc(recorded)}</code></figcaption></figure>")
    if len(out) == 1:
        out.append("<p>This run drew no figures.</p>")
    return "\n".join(out) + "</section>"


def main(argv: Sequence[str] | None = None) -> int:
    p = Parser(prog=PROG, description="A verify.all report as one self-contained web page.")
    p.add_argument("report", type=Path, help="a report written by python -m verify.all (JSON)")
    p.add_argument("-o", "--out", type=Path, required=True, help="the page to write (.html)")
    args = p.parse_args(argv)
    out = checked_page_path("-o", args.out)
    report = read_report(args.report, PAGE_FIELDS)
    atomic_write(out, report_page(report, figures_near=args.report.parent))
    print(f"page: {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main, prog=PROG))
