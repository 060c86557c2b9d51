"""A seeded sample of mutmut's mutant names over theory/ and sim/ (docs/mutation.md).

Run after ``mutmut run`` has generated ``mutants/`` (its ``*.py.meta`` files list every mutant):
``python docs/mutation_sample.py --size 150 --seed 20261207`` prints one name per line, sorted, for
``mutmut run $(python docs/mutation_sample.py ...)``.  The sample is drawn without replacement, uniformly over all
mutants of all modules, from ``numpy.random.SeedSequence(seed)``, so the same seed and the same mutants give the same
names on any machine.

``--formulas`` draws from one stratum instead: the *formula mutants*, those of :data:`FORMULA_MODULES` whose change
is a number (a constant nudged) or an operator (``+`` and ``-``, ``*`` and ``/``, a comparison, ``and`` and ``or``,
a sign or a ``not`` dropped),
found by comparing each mutant's syntax tree with its original's (:func:`change_kind`).
"""

import argparse
import ast
import json
import re
from pathlib import Path

import numpy as np

#: the modules that turn the seed's formulas into numbers (derivations, their evaluation, their series)
FORMULA_MODULES = ("theory.normalization_error", "theory.batch_statistics", "theory.gamma_decay", "theory.bn_student",
                   "theory.teacher_student", "theory.network_regularizer", "theory._part1_formulas",
                   "theory._curvature_moments", "theory._moments", "theory._marchenko_pastur", "theory._bn_hajek",
                   "theory._exp_poly", "theory.pn_wn")
_OPERATORS = (ast.operator, ast.cmpop, ast.boolop, ast.unaryop)


def mutant_names(root: Path) -> list[str]:
    """Every mutant name mutmut generated under ``root`` (``mutants/``), sorted."""
    names: list[str] = []
    for meta in sorted(root.glob("*/*.py.meta")):
        names.extend(json.loads(meta.read_text())["exit_code_by_key"])
    return sorted(names)


def _first_difference(a, b):
    """The first pair of nodes (or values) where two syntax trees differ, or None."""
    if type(a) is not type(b):
        return a, b
    if isinstance(a, list):
        if len(a) != len(b):
            return a, b
        return next((d for d in map(_first_difference, a, b) if d is not None), None)
    if isinstance(a, ast.AST):
        fields = [f for f in a._fields if not (f == "name" and isinstance(a, ast.FunctionDef))]
        return next((d for d in (_first_difference(getattr(a, f, None), getattr(b, f, None)) for f in fields)
                     if d is not None), None)
    return None if a == b else (a, b)


def change_kind(original: ast.FunctionDef, mutant: ast.FunctionDef) -> str:
    """What a mutant changes: ``"number"``, ``"operator"`` or ``"other"`` (a string, None, an argument dropped)."""
    a, b = _first_difference(original, mutant) or (None, None)
    if isinstance(a, _OPERATORS) or isinstance(a, ast.UnaryOp):  # an operator swapped, or a sign or a not dropped
        return "operator"
    if isinstance(a, ast.Constant):
        a, b = a.value, getattr(b, "value", b)
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (a, b))
    return "number" if numbers else "other"


def formula_mutants(root: Path) -> list[str]:
    """The names of the formula mutants under ``root``: in :data:`FORMULA_MODULES`, changing a number or an operator."""
    names: list[str] = []
    for module in FORMULA_MODULES:
        path = root / (module.replace(".", "/") + ".py")
        functions = {n.name: n for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.FunctionDef)}
        for name, node in functions.items():
            match = re.fullmatch(r"(.*)__mutmut_(\d+)", name)
            if match and change_kind(functions[match[1] + "__mutmut_orig"], node) != "other":
                names.append(f"{module}.{name}")
    return sorted(names)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--mutants", type=Path, default=Path("mutants"))
    parser.add_argument("--formulas", action="store_true", help="only the formula mutants (module docstring)")
    args = parser.parse_args()
    names = formula_mutants(args.mutants) if args.formulas else mutant_names(args.mutants)
    rng = np.random.default_rng(np.random.SeedSequence(args.seed))
    picked = rng.choice(len(names), size=args.size, replace=False)
    print("\n".join(sorted(names[i] for i in picked)))


if __name__ == "__main__":
    main()
