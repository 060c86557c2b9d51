r"""``python -m theory.latex --out F.tex [--snippets DIR] [--json PATH]``: every derived formula as
LaTeX a researcher can paste into a paper.

* ``--out``: a standalone document (notation table, then each formula with its seed section,
  assumptions and a stable ``\label{eq:...}``);
* ``--snippets``: a folder with one ``<label>.tex`` per formula, to ``\input``;
* ``--json``: the listing (label, seed section, assumptions, SymPy ``srepr``, LaTeX, text).

Each formula is printed through :mod:`theory.notation` from the SymPy object its derivation
produced.  Before anything is written, every printed form is checked to equal the derived
expression (named intermediates substituted), so a wrong compact form can never be exported.

A module contributes formulas by having a ``formulas() -> list[Formula]`` function and being
listed in :data:`FORMULA_SOURCES`.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from . import notation
from ._document import document, listing, snippet
from ._formula import Formula
from ._identity import expand_definitions, same_function
from .errors import BadInput

#: modules whose ``formulas()`` the export prints, in this order (register a module here)
FORMULA_SOURCES: tuple[str, ...] = ("theory._part1_formulas", "theory.teacher_student", "theory.bn_student",
                                    "theory.network_regularizer")
SNIPPET_MARKER = ".bnreg-snippets"


def all_formulas() -> list[Formula]:
    """The formulas of every module in :data:`FORMULA_SOURCES`; labels are unique."""
    out: list[Formula] = []
    for name in FORMULA_SOURCES:
        out += importlib.import_module(name).formulas()
    seen: set[str] = set()
    for f in out:
        if f.label in seen:
            raise RuntimeError(f"two formulas share the label {f.label!r}")
        seen.add(f.label)
    return out


def definitions(formulas: Sequence[Formula]) -> dict[str, object]:
    """Symbol name -> the expression of the formula that defines it (its printed form)."""
    return {f.defines.name: f.printed for f in formulas if f.defines is not None}


def expanded(formula: Formula, formulas: Sequence[Formula]) -> object:
    """``formula``'s printed form with every named intermediate replaced by its definition."""
    return expand_definitions(formula.printed, definitions(formulas))


def unfaithful(formulas: Sequence[Formula]) -> list[str]:
    """Labels of the formulas whose printed form (intermediates substituted) is not their derived
    expression, or that print a symbol :mod:`theory.notation` does not know."""
    bad = []
    for f in formulas:
        if notation.missing(f.printed) or not same_function(expanded(f, formulas), f.rhs, f.region):
            bad.append(f.label)
    return bad


def _checked(formulas: Sequence[Formula]) -> list[Formula]:
    bad = unfaithful(formulas)
    if bad:  # a bug in a compact form, never the user's input
        raise RuntimeError(f"printed form differs from the derivation: {', '.join(bad)}")
    return list(formulas)


def _writable_parent(option: str, path: Path) -> None:
    if not path.parent.is_dir():
        raise BadInput(f"{option} folder does not exist: {str(path.parent)!r}")


def main(argv: Sequence[str] | None = None) -> int:
    from .cli import Parser, atomic_write, atomic_write_folder  # noqa: PLC0415

    p = Parser(prog="python -m theory.latex", description="Write every derived formula as LaTeX.")
    p.add_argument("--out", type=Path, required=True, help="the standalone document (.tex)")
    p.add_argument("--snippets", type=Path, help="folder for one <label>.tex per formula (replaced whole)")
    p.add_argument("--json", type=Path, help="machine-readable listing of the formulas (.json)")
    args = p.parse_args(argv)
    if args.out.suffix != ".tex":
        raise BadInput(f"--out must end in .tex, got {str(args.out)!r}")
    _writable_parent("--out", args.out)
    if args.json is not None:
        if args.json.suffix != ".json":
            raise BadInput(f"--json must end in .json, got {str(args.json)!r}")
        _writable_parent("--json", args.json)
    if args.snippets is not None:
        _writable_parent("--snippets", args.snippets)
        if args.snippets.exists() and not (args.snippets / SNIPPET_MARKER).is_file():
            raise BadInput(f"--snippets {str(args.snippets)!r} exists and was not written by this command")
    formulas = _checked(all_formulas())
    outputs = [(args.out, document(formulas))]
    if args.json is not None:
        outputs.append((args.json, json.dumps(listing(formulas), indent=1, ensure_ascii=False) + "\n"))
    if args.snippets is not None:
        atomic_write_folder(args.snippets, {f"{f.label}.tex": snippet(f, formulas) for f in formulas}, SNIPPET_MARKER)
    for path, text in outputs:
        atomic_write(path, text)
    print(f"wrote {', '.join(str(x) for x in (args.out, args.snippets, args.json) if x is not None)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    from theory.cli import run_main

    sys.exit(run_main(main, prog="python -m theory.latex"))
