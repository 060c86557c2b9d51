"""The report's page in a real browser: headless Chromium (Debian's package; .ci/run installs it where
missing) loads the page of the committed full report from disk with the network off.  Nothing is
requested, nothing is logged as an error, every claim, check, formula and figure is there, the
formulas are laid out as math (boxes measured), sorting and filtering work, the structure is
accessible, and a screenshot at one width has no horizontal overflow."""

from __future__ import annotations

import io
import json
from pathlib import Path

import matplotlib.image
import pytest

from theory.latex import all_formulas
from verify import activation, report

from ._chromium import CHROMIUM, Chromium

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs a Chromium binary (apt-get install chromium; "
                                                         ".ci/run installs it)")

ROOT = Path(__file__).resolve().parent.parent
FULL = ROOT / "figures" / "report_full.json"
WIDTH, HEIGHT = 1280, 900


@pytest.fixture(scope="module")
def full() -> dict:
    return json.loads(FULL.read_text())


@pytest.fixture(scope="module")
def page_file(full, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("page") / "report.html"
    path.write_text(report.report_page(full, figures_near=FULL.parent))
    return path


@pytest.fixture(scope="module")
def browser(page_file):
    with Chromium(WIDTH, HEIGHT) as b:
        b.open(page_file)
        yield b


def test_it_opens_offline_with_no_console_error(browser):
    assert browser.evaluate("document.readyState") == "complete"
    assert browser.console_errors == [] and browser.requests == []


def test_every_claim_check_formula_and_figure_is_there(browser, full):
    claims = browser.evaluate("[...document.querySelectorAll('#claims tbody tr[id^=claim-]')].map(r => r.id)")
    assert claims == [f"claim-{c['id']}" for c in full["claims"]]
    assert browser.evaluate("document.querySelectorAll('#checks-table tbody tr').length") == len(full["checks"])
    labels = browser.evaluate("[...document.querySelectorAll('section.formula')].map(s => s.id)")
    assert labels == [f.tex_label for f in all_formulas()]
    decoded = browser.evaluate("[...document.querySelectorAll('#figures img')].map(i => i.complete && i.naturalWidth)")
    assert len(decoded) == len(full["figures"]) and all(w and w > 100 for w in decoded)


def test_formulas_are_laid_out_as_math(browser):
    boxes = browser.evaluate("""[...document.querySelectorAll('math')].map(m => {
        const r = m.getBoundingClientRect(); return [r.width, r.height]; })""")
    assert len(boxes) > 2 * len(all_formulas()) and all(w > 0 and h > 0 for w, h in boxes)
    # a fraction is typeset with its numerator above its denominator, not as a line of text
    fractions = browser.evaluate("""[...document.querySelectorAll('#formulas mfrac')].map(f => {
        const n = f.children[0].getBoundingClientRect(), d = f.children[1].getBoundingClientRect();
        return n.bottom <= d.top + 1 && n.height > 0 && d.height > 0; })""")
    assert len(fractions) > 50 and all(fractions)
    text = browser.evaluate("document.body.innerText")
    assert "\\frac" not in text and "\\mathcal" not in text


def test_a_wrong_claim_is_one_click_from_the_top(browser, full):
    first = next(c for c in full["claims"] if c["verdict"] == "contradicted")
    href = browser.evaluate("document.querySelector('#findings a[href^=\"#claim-\"]').getAttribute('href')")
    assert href == f"#claim-{first['id']}"
    assert browser.evaluate(f"document.getElementById('claim-{first['id']}').textContent.includes('contradicted')")


def test_checks_sort_and_filter(browser, page_file, full):
    try:
        shown = "[...document.querySelectorAll('#checks-table tbody tr')].filter(r => !r.hidden)"
        browser.evaluate("(() => { const s = document.getElementById('filter-status'); s.value = 'failed';"
                         " s.dispatchEvent(new Event('input')); })()")
        assert browser.evaluate(f"{shown}.length") == sum(not c["holds"] for c in full["checks"])
        browser.evaluate("(() => { const s = document.getElementById('filter-status'); s.value = '';"
                         " const k = document.getElementById('filter-kind'); k.value = 'zeta';"
                         " k.dispatchEvent(new Event('input')); })()")
        assert browser.evaluate(f"{shown}.length") == sum(c["kind"] == "zeta" for c in full["checks"])
        browser.evaluate("(() => { const z = document.getElementById('filter-z'); z.value = '2';"
                         " z.dispatchEvent(new Event('input')); })()")
        expected = sum(c["kind"] == "zeta" and abs(c["z"]) >= 2 for c in full["checks"])
        assert browser.evaluate(f"{shown}.length") == expected
        browser.evaluate("[...document.querySelectorAll('#checks-table th')].find(t => t.textContent === 'z')"
                         ".querySelector('button').click()")
        order = browser.evaluate("[...document.querySelectorAll('#checks-table tbody tr')]"
                                 ".map(r => parseFloat(r.getAttribute('data-absz')))")
        assert order == sorted(abs(c["z"]) for c in full["checks"])
    finally:
        browser.open(page_file)


def test_structure_is_accessible(browser):
    levels = browser.evaluate("[...document.querySelectorAll('h1,h2,h3,h4,h5,h6')].map(h => +h.tagName[1])")
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:])), levels
    assert browser.evaluate("[...document.querySelectorAll('table')].every(t => t.querySelector('th'))")
    assert browser.evaluate("[...document.querySelectorAll('img')].every(i => i.alt.trim().length > 20)")
    assert browser.evaluate("document.documentElement.lang") == "en"


def test_screenshot_at_one_width(browser):
    assert browser.evaluate("document.documentElement.scrollWidth") <= WIDTH
    image = matplotlib.image.imread(io.BytesIO(browser.screenshot()), format="png")
    assert image.shape[:2] == (HEIGHT, WIDTH)
    assert image[..., :3].std() > 0.05  # text and badges, not a blank page


def test_the_activation_page_renders(tmp_path, capsys):
    page = tmp_path / "relu.html"
    assert activation.main(["relu", "--samples", "20000", "--html", str(page)]) == 0
    with Chromium(WIDTH, HEIGHT) as b:
        b.open(page)
        assert b.console_errors == [] and b.requests == []
        heights = b.evaluate("[...document.querySelectorAll('math')].map(m => m.getBoundingClientRect().height)")
        assert len(heights) >= 3 and all(h > 0 for h in heights)
        assert b.evaluate("document.querySelector('#verdict .badge').textContent") == "holds"
