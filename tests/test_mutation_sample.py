"""The formula stratum of the mutation run (docs/mutation_sample.py): which mutants change a number or an operator."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest

_SPEC = importlib.util.spec_from_file_location("mutation_sample", Path(__file__).parent.parent / "docs" /
                                               "mutation_sample.py")
assert _SPEC is not None and _SPEC.loader is not None
mutation_sample = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(mutation_sample)

ORIGINAL = "def f__mutmut_orig(x, y=2):\n    if x > 0 and y:\n        return -x * 2.5 + y\n    raise ValueError('x')\n"


@pytest.mark.parametrize(("old", "new", "kind"), [
    ("y=2", "y=3", "number"), ("2.5", "3.5", "number"), ("x > 0", "x >= 0", "operator"), (" and ", " or ", "operator"),
    ("x * 2.5", "x / 2.5", "operator"), ("+ y", "- y", "operator"), ("-x", "x", "operator"),
    ("'x'", "'XXxXX'", "other"), ("'x'", "None", "other"), ("('x')", "()", "other"), ("-x * 2.5 + y", "None", "other"),
    ("and y", "and True", "other"),
])
def test_a_mutant_is_a_formula_mutant_when_it_changes_a_number_or_an_operator(old, new, kind):
    mutant = ORIGINAL.replace("f__mutmut_orig", "f__mutmut_1").replace(old, new, 1)
    original, changed = (ast.parse(s).body[0] for s in (ORIGINAL, mutant))
    assert mutation_sample.change_kind(original, changed) == kind
    assert mutation_sample.change_kind(original, original) == "other"  # no change is no formula mutant


def test_the_stratum_lists_the_formula_mutants_of_the_formula_modules(tmp_path):
    module = tmp_path / "theory" / "gamma_decay.py"
    module.parent.mkdir()
    module.write_text(ORIGINAL + "def f__mutmut_1(x, y=2):\n    if x > 0 and y:\n        return -x * 2.5 - y\n"
                      "    raise ValueError('x')\ndef f__mutmut_2(x, y=2):\n    return None\n")
    for other in set(mutation_sample.FORMULA_MODULES) - {"theory.gamma_decay"}:
        path = tmp_path / (other.replace(".", "/") + ".py")
        path.parent.mkdir(exist_ok=True)
        path.write_text("")
    assert mutation_sample.formula_mutants(tmp_path) == ["theory.gamma_decay.f__mutmut_1"]
