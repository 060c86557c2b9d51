"""One self-contained HTML page: its style and script inline, images as ``data:`` URIs, nothing
fetched from a network (no fonts, scripts or style sheets from elsewhere)."""

from __future__ import annotations

import base64
import html
import math
import mimetypes
from pathlib import Path

from theory.errors import BadInput

#: verdict -> CSS class of its badge (the verdict's text is always shown too: never colour alone)
_VERDICT_CLASS = {"confirmed": "ok", "leading-order": "lead", "contradicted": "bad", "not supported": "warn"}

_STYLE = """
:root { color-scheme: light; --ok: #116329; --ok-bg: #dafbe1; --bad: #a40e26; --bad-bg: #ffebe9;
  --lead: #0a3069; --lead-bg: #ddf4ff; --warn: #7d4e00; --warn-bg: #fff8c5; --line: #d0d7de; }
body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 84rem; padding: 0 1.2rem 3rem;
  color: #1f2328; }
h1 { font-size: 1.6rem; margin: 1.2rem 0 .4rem; } h2 { border-bottom: 1px solid var(--line); margin-top: 2.2rem; }
h4 { margin: 1.2rem 0 .3rem; }
nav ul { display: flex; flex-wrap: wrap; gap: .3rem 1.2rem; list-style: none; padding: 0; }
table { border-collapse: collapse; width: 100%; margin: .6rem 0; }
th, td { border: 1px solid var(--line); padding: .3rem .5rem; text-align: left; vertical-align: top; }
td { overflow-wrap: anywhere; }
table.claims { table-layout: fixed; }
table.claims th:nth-child(1) { width: 4.5rem; } table.claims th:nth-child(3) { width: 9rem; }
table.claims th:nth-child(2) { width: 30%; }
thead th { background: #f6f8fa; position: sticky; top: 0; }
th button { font: inherit; font-weight: bold; background: none; border: 0; padding: 0; cursor: pointer; }
th[aria-sort=ascending] button::after { content: " ▲"; } th[aria-sort=descending] button::after { content: " ▼"; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.badge { display: inline-block; padding: 0 .45rem; border-radius: .7rem; font-weight: 600; white-space: nowrap; }
.ok { color: var(--ok); background: var(--ok-bg); } .bad { color: var(--bad); background: var(--bad-bg); }
.lead { color: var(--lead); background: var(--lead-bg); } .warn { color: var(--warn); background: var(--warn-bg); }
tr.finding > td:first-child { border-left: 4px solid var(--bad); }
tr:target, section:target { outline: 3px solid #bf8700; }
tr, section { scroll-margin-top: 3rem; }
math { font-size: 1.15em; }
.findings { border: 1px solid var(--line); border-radius: .4rem; padding: .2rem 1rem; background: #f6f8fa; }
.filters { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; }
.formula { border-top: 1px solid var(--line); }
.display { overflow-x: auto; padding: .4rem 0; }
.label { font-family: ui-monospace, monospace; color: #59636e; }
figure { margin: 1.2rem 0; } figure img { max-width: 100%; height: auto; border: 1px solid var(--line); }
figcaption { color: #59636e; }
details > summary { cursor: pointer; }
dl.settings { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem; }
dl.settings dt { font-weight: 600; } dl.settings dd { margin: 0; }
"""

_SCRIPT = """
(function () {
  function key(row, column, numeric) {
    var cell = row.cells[column], value = cell.getAttribute("data-v");
    var text = value === null ? cell.textContent : value;
    if (!numeric) { return text.toLowerCase(); }
    var x = parseFloat(text);
    return isNaN(x) ? Infinity : x;
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    table.querySelectorAll("thead th button").forEach(function (button) {
      button.addEventListener("click", function () {
        var th = button.parentElement, column = th.cellIndex, numeric = th.getAttribute("data-type") === "number";
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        table.querySelectorAll("thead th").forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = key(a, column, numeric), y = key(b, column, numeric);
          return (x < y ? -1 : x > y ? 1 : 0) * (ascending ? 1 : -1);
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  });
  var table = document.getElementById("checks-table");
  if (!table) { return; }
  var kind = document.getElementById("filter-kind"), status = document.getElementById("filter-status");
  var minimum = document.getElementById("filter-z"), count = document.getElementById("checks-shown");
  function apply() {
    var rows = table.tBodies[0].rows, z = parseFloat(minimum.value), shown = 0;
    Array.prototype.forEach.call(rows, function (row) {
      var keep = (!kind.value || row.getAttribute("data-kind") === kind.value) &&
        (!status.value || row.getAttribute("data-status") === status.value) &&
        (isNaN(z) || parseFloat(row.getAttribute("data-absz")) >= z);
      row.hidden = !keep;
      if (keep) { shown += 1; }
    });
    count.textContent = shown + " of " + rows.length + " checks shown";
  }
  [kind, status, minimum].forEach(function (control) { control.addEventListener("input", apply); });
  document.querySelectorAll("[data-show-status]").forEach(function (link) {
    link.addEventListener("click", function () {
      kind.value = ""; minimum.value = ""; status.value = link.getAttribute("data-show-status"); apply();
    });
  });
  apply();
})();
"""


def esc(text: object) -> str:
    """``text`` escaped for HTML text and attribute values."""
    return html.escape(str(text), quote=True)


def page(title: str, body: str) -> str:
    """A whole HTML document: ``body`` (HTML) with the shared style and script, nothing external."""
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{esc(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n{body}\n"
            f"<script>{_SCRIPT}</script>\n</body>\n</html>\n")


def data_uri(path: Path) -> str:
    """The file at ``path`` as a ``data:`` URI (base64), its type guessed from its name."""
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{kind};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def verdict_badge(verdict: str) -> str:
    """A verdict as a coloured badge that says the verdict in words."""
    return f'<span class="badge {_VERDICT_CLASS.get(verdict, "warn")}">{esc(verdict)}</span>'


def status_badge(holds: bool) -> str:
    """A check's status as a coloured badge in words: held or FAILED."""
    return '<span class="badge ok">held</span>' if holds else '<span class="badge bad">FAILED</span>'


def number(value: float | None, spec: str = ".6g") -> str:
    """A number for a table cell: ``spec`` formatting, ∞/NaN spelled out, None as n/a."""
    if value is None:
        return "n/a"
    value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    return format(value, spec)


def anchor(prefix: str, name: str) -> str:
    """An element id from ``name``: characters other than letters, digits, ``.``, ``_``, ``-`` become ``-``."""
    return prefix + "".join(ch if ch.isascii() and (ch.isalnum() or ch in "._-") else "-" for ch in name)


def checked_page_path(option: str, path: Path) -> Path:
    """``path`` if a page can be written there: it ends in ``.html``, is not a folder, and its folder
    exists (BadInput otherwise, before any work is done)."""
    if path.suffix != ".html":
        raise BadInput(f"{option} must end in .html, got {str(path)!r}")
    if path.is_dir():
        raise BadInput(f"{option} is a folder: {str(path)!r}")
    if not path.parent.is_dir():
        raise BadInput(f"{option}: the folder {str(path.parent)!r} does not exist")
    return path
