"""The layers cannot decay: theory imports nothing from sim, verify or bench; sim nothing from verify
or bench; verify nothing from bench; and no package imports another package's private ``_x``
modules or names.  Read from the source with :mod:`ast` (imports inside functions included)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: each package may import the packages below it, never one above
LAYERS = ("theory", "sim", "verify", "bench")


def _imports(path: Path, package: str) -> list[tuple[int, str, str]]:
    """``(line, module, name)`` for every import in ``path`` (``name`` empty for ``import m``),
    relative imports resolved against ``package``."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name, "") for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, module] if module else base)
            out += [(node.lineno, module, alias.name) for alias in node.names]
    return out


def violations(root: Path = ROOT) -> list[str]:
    """Every import of the four packages that runs up the layers or into another package's privates."""
    found = []
    for rank, package in enumerate(LAYERS):
        for path in sorted((root / package).rglob("*.py")):
            for line, module, name in _imports(path, package):
                top = module.split(".")[0]
                if top not in LAYERS or top == package:
                    continue
                where = f"{path.relative_to(root)}:{line}"
                if LAYERS.index(top) > rank:
                    found.append(f"{where} {package} imports {module} from the layer above")
                parts = module.split(".")[1:] + ([name] if name else [])
                if any(p.startswith("_") and not p.startswith("__") for p in parts):
                    found.append(f"{where} imports {module}{'.' + name if name else ''}, private to {top}")
    return found


def test_no_upward_or_private_imports():
    assert violations() == []


@pytest.mark.parametrize(("package", "source", "expected"), [
    ("theory", "from sim import GLM\n", "from the layer above"),
    ("theory", "def f():\n    from verify.check import Check\n", "from the layer above"),
    ("sim", "import verify.all\n", "from the layer above"),
    ("verify", "from theory._moments import RHO\n", "private to theory"),
    ("verify", "from theory import _moments\n", "private to theory"),
    ("bench", "from sim._ts_bn import train_bn\n", "private to sim"),
])
def test_a_planted_violation_is_found(tmp_path, package, source, expected):
    for p in LAYERS:
        (tmp_path / p).mkdir()
        (tmp_path / p / "__init__.py").write_text("")
    (tmp_path / package / "planted.py").write_text(source)
    (tmp_path / package / "fine.py").write_text(f"from . import _helper\nfrom {package}._x import y\n")
    found = violations(tmp_path)
    assert len(found) == 1 and expected in found[0] and "planted.py" in found[0]
