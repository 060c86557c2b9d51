"""The web page of a report (``python -m verify.report``, ``verify.all``'s ``results/report.html``) and of
one activation (``verify.activation --html``): one file, nothing external, no raw LaTeX, the same
rows as README's tables, and bad input answered with one line, status 2 and no file.  What a browser
makes of the pages is tested in tests/test_report_browser.py."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from theory.cli import run_main
from theory.errors import BadInput
from theory.latex import all_formulas
from verify import activation, report
from verify._mathml import UntypesetLatex, latex_text, mathml
from verify._report_rows import ROW_FIELDS, claim_rows, detectable_rows, read_report
from verify.all import main as all_main

ROOT = Path(__file__).resolve().parent.parent
FULL = ROOT / "figures" / "report_full.json"


@pytest.fixture(scope="module")
def full() -> dict:
    return json.loads(FULL.read_text())


@pytest.fixture(scope="module")
def full_page(full) -> str:
    return report.report_page(full, figures_near=FULL.parent)


def test_the_page_fetches_nothing_and_embeds_every_figure(full, full_page):
    assert not re.search(r"https?:", full_page)
    assert not re.search(r"<script[^>]*\bsrc=|<link\b|@import|url\(", full_page)
    images = re.findall(r'<img src="([^"]*)" alt="([^"]+)"', full_page)
    assert len(images) == len(full["figures"]) and all(src.startswith("data:image/png;base64,") for src, _ in images)
    assert len(full_page.encode()) < 3 * 2**20


def test_no_latex_source_reaches_the_page(full_page):
    assert "\\" not in full_page and "$" not in full_page
    assert full_page.count("<math") > 2 * len(all_formulas())


def test_formulas_have_the_labels_of_the_latex_export(full_page):
    ids = re.findall(r'<section class="formula" id="([^"]+)">', full_page)
    assert ids == [f.tex_label for f in all_formulas()]


def test_claims_and_checks_are_the_rows_readme_renders(full, full_page):
    text = html.unescape(full_page)
    for row in claim_rows(full):
        assert f'id="claim-{row.claim["id"]}"' in full_page
        assert row.holds_instead in text and row.printed in text
    for row in detectable_rows(full):
        assert f"<td><code>{row.kind}</code></td><td class=\"num\">{row.instances}</td><td>{row.span}</td>" in text
    assert len(re.findall(r'<tr id="check-\d+"', full_page)) == len(full["checks"])
    contradicted = [r.claim["id"] for r in claim_rows(full) if r.verdict == "contradicted"]
    findings = full_page[full_page.index('id="findings"'):full_page.index('id="claims"')]
    assert re.findall(r'href="#claim-([^"]+)"', findings) == contradicted


def test_a_failed_check_is_linked_from_the_summary(full):
    failed = dict(full, checks=[dict(full["checks"][0], holds=False)] + full["checks"][1:], figures=[])
    page = report.report_page(failed)
    summary = page[:page.index('id="claims"')]
    assert "1 failed" in summary and 'href="#check-0"' in summary and 'data-show-status="failed"' in summary
    assert '<tr id="check-0" data-kind="Var mu_B" data-status="failed"' in page


def test_latex_text_and_math():
    assert latex_text(r"H\'ajek weight, $u=1/M$ -- see \texttt{theory.x}") == (
        f"Hájek weight, {mathml('u=1/M')} – see <code>theory.x</code>")
    assert mathml(r"\frac{1}{M}").startswith('<math display="inline">')
    with pytest.raises(UntypesetLatex, match="foo"):
        mathml(r"\foo x")
    with pytest.raises(UntypesetLatex, match="emph"):
        latex_text(r"an \emph{emphasis}")


def _cli(main, argv, capsys, prog):
    try:
        code = run_main(main, argv, prog=prog)
    except SystemExit as exit_:
        code = exit_.code
    return code, capsys.readouterr()


def test_the_command_writes_the_page(tmp_path, capsys, full_page):
    out = tmp_path / "page.html"
    code, captured = _cli(report.main, [str(FULL), "-o", str(out)], capsys, report.PROG)
    assert code == 0 and out.read_text() == full_page and captured.out == ""


@pytest.mark.parametrize(("make", "argv", "message"), [
    (None, ["missing.json", "-o", "p.html"], "No such file"),
    ("{not json", ["r.json", "-o", "p.html"], "is not a JSON report"),
    ('{"checks": 1}', ["r.json", "-o", "p.html"], "is not a report of python -m verify.all"),
    ("[]", ["r.json", "-o", "p.html"], "is not a report of python -m verify.all"),
    ('{"checks": [], "claims": [1]}', ["r.json", "-o", "p.html"], "entry 0 of 'claims' lacks 'every field'"),
    ('{"checks": [{"name": "a"}], "claims": []}', ["r.json", "-o", "p.html"], "entry 0 of 'checks' lacks 'kind'"),
    ("{}", ["r.json", "-o", "p.txt"], "-o must end in .html"),
    ("{}", ["r.json", "-o", "no/such/p.html"], "does not exist"),
    ("{}", ["r.json", "-o", "."], "must end in .html"),
    ("{}", ["r.json"], "the following arguments are required: -o"),
])
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, monkeypatch, capsys, make, argv, message):
    monkeypatch.chdir(tmp_path)
    if make is not None:
        (tmp_path / "r.json").write_text(make)
    before = sorted(tmp_path.iterdir())
    code, captured = _cli(report.main, argv, capsys, report.PROG)
    assert code == 2 and captured.out == "" and "Traceback" not in captured.err
    assert len(captured.err.splitlines()) == 1 and message in captured.err
    assert sorted(tmp_path.iterdir()) == before


@pytest.mark.parametrize("key", ["checks", "claims"])
def test_a_report_edited_by_hand_is_bad_input_naming_the_missing_field(tmp_path, full, key):
    assert read_report(FULL, report.PAGE_FIELDS) == full  # the committed report has every field the page indexes
    assert set(ROW_FIELDS[key]) <= set(report.PAGE_FIELDS[key])
    for field in report.PAGE_FIELDS[key]:
        edited = json.loads(json.dumps(full))
        del edited[key][-1][field]
        (tmp_path / "r.json").write_text(json.dumps(edited))
        with pytest.raises(BadInput, match=f"entry {len(full[key]) - 1} of '{key}' lacks '{field}'"):
            read_report(tmp_path / "r.json", report.PAGE_FIELDS)
        if field in ROW_FIELDS[key]:  # README's tables need it too
            with pytest.raises(BadInput, match=f"lacks '{field}'"):
                read_report(tmp_path / "r.json")


@pytest.mark.parametrize("key", ["checks", "claims"])
def test_no_field_deleted_by_hand_reaches_a_reader_as_an_internal_error(tmp_path, full, key):
    """Each field of a check or a claim, deleted: either the reader's fields refuse the report as bad input, or
    the page and README's tables render without it (a KeyError would be reported as a bug of ours)."""
    from verify.markdown import blocks  # noqa: PLC0415

    small = dict(full, checks=full["checks"][-1:], claims=full["claims"][-1:], figures=[])
    readers = {"page": (report.PAGE_FIELDS, report.report_page), "tables": (ROW_FIELDS, blocks)}
    refused: dict[str, set[str]] = {name: set() for name in readers}
    for field in sorted(small[key][0]):
        edited = json.loads(json.dumps(small))
        del edited[key][0][field]
        (tmp_path / "r.json").write_text(json.dumps(edited))
        for name, (fields, render) in readers.items():
            try:
                read_report(tmp_path / "r.json", fields)
            except BadInput:
                refused[name].add(field)
                continue
            assert render(edited)  # rendered without the field: no KeyError, and not empty
    for name, (fields, _) in readers.items():  # refused exactly for the fields that reader needs
        assert refused[name] == set(fields[key]), name


def test_a_failed_render_leaves_no_file(tmp_path, monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(report, "report_page", broken)
    code, captured = _cli(report.main, [str(FULL), "-o", str(tmp_path / "p.html")], capsys, report.PROG)
    assert code == 2 and "disk full" in captured.err and not list(tmp_path.iterdir())


def test_verify_all_writes_the_page_beside_its_report(tmp_path, capsys):
    argv = ["--quick", "--parts", "pn_wn", "--executor", "serial", "--figures", str(tmp_path / "f")]
    assert all_main([*argv, "--report", str(tmp_path / "r.json")]) == 0
    saved = json.loads((tmp_path / "r.json").read_text())
    assert (tmp_path / "r.html").read_text() == report.report_page(saved, figures_near=tmp_path / "f")
    assert 'id="claim-pn-wn"' in (tmp_path / "r.html").read_text() and "finished" in saved
    assert all_main([*argv, "--report", str(tmp_path / "s.json"), "--no-html"]) == 0
    assert not (tmp_path / "s.html").exists() and (tmp_path / "s.json").exists()


def test_activation_page(tmp_path, capsys):
    page = tmp_path / "relu.html"
    code, captured = _cli(activation.main, ["relu", "--samples", "20000", "--html", str(page)], capsys, activation.PROG)
    assert code == 0, captured.err
    text = page.read_text()
    assert "holds" in text and "<math" in text and "\\" not in text and not re.search(r"https?:", text)
    for section in ("verdict", "curvature", "zeta", "check"):
        assert f'<section id="{section}">' in text


def test_readme_shows_the_page_and_the_commands_that_make_it():
    readme = (ROOT / "README.md").read_text()
    assert "python -m verify.report figures/report_full.json -o results/report_full.html" in readme
    assert "--screenshot=figures/report_screenshot.png" in readme
    assert "](figures/report_screenshot.png)" in readme and (ROOT / "figures" / "report_screenshot.png").is_file()
