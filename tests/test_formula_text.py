"""The LaTeX export, pinned: every formula's title, seed section, left side, assumptions, note, the symbol it
defines, its layout, its printed right side and its ``equation`` environment are the ones in
``tests/data/formula_text.json``.

The text around a formula is typed by hand and printed in a paper, and a changed word (a title dropped, a note
upper-cased, ``\\lambda_{+}`` made ``XX\\lambda_{+}XX``) went unnoticed by every other test (docs/mutation.md).
The right side is what SymPy derived (pinned at 1.14.0; the print is the same under any hash seed): the round
trip of ``tests/test_latex.py`` checks that the print is the derivation, and the derivations are checked by their
own tests and, where the seed claims them, by ``python -m verify.all``'s simulations; this snapshot pins that the
derivation so checked is the one exported, so that a changed derivation (a coefficient, a sign, the wrong one of
two results) fails here at once and not only in the verifier's next run.
After an intended change, rewrite the file with ``python -m tests.test_formula_text``, review its diff and run
the verifier."""

from __future__ import annotations

import json
from pathlib import Path

from theory import notation
from theory._document import uses
from theory.latex import all_formulas, document

SNAPSHOT = Path(__file__).parent / "data" / "formula_text.json"


def formula_text() -> dict[str, dict[str, object]]:
    """The hand-typed fields and the printed equation of every exported formula, by label."""
    return {f.label: {"title": f.title, "section": f.section, "lhs": f.lhs, "assumptions": f.assumptions,
                      "note": f.note, "defines": None if f.defines is None else f.defines.name, "lines": f.lines,
                      "region": {k: list(v) for k, v in f.region.items()}, "latex": f.latex(),
                      "equation": f.equation()}
            for f in all_formulas()}


def test_the_export_says_what_the_snapshot_says():
    expected = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    actual = json.loads(json.dumps(formula_text()))
    changed = sorted(label for label in expected.keys() | actual.keys() if expected.get(label) != actual.get(label))
    assert not changed, f"formulas whose text changed: {changed} (python -m tests.test_formula_text rewrites the file)"


def test_the_document_says_where_each_used_symbol_comes_from():
    """A formula whose display uses another formula's symbol says, in the document, "with <symbol> from
    (<its equation>)" (seed §2.3's spectra are used this way by the ridge formulas)."""
    formulas = all_formulas()
    tex = document(formulas)
    clauses = {f.label: "with " + ", ".join(rf"${notation.latex(g.defines)}$ from~\eqref{{{g.tex_label}}}"
                                            for g in uses(f, formulas))
               for f in formulas if uses(f, formulas)}
    assert clauses
    missing = [label for label, clause in clauses.items() if clause not in tex]
    assert not missing, missing


if __name__ == "__main__":
    SNAPSHOT.write_text(json.dumps(formula_text(), indent=1, ensure_ascii=False, sort_keys=True) + "\n",
                        encoding="utf-8")
    print(f"wrote {SNAPSHOT}")
