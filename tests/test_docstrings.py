"""The public API is documented like scipy's: every public function and class of theory, sim and verify
has a numpydoc docstring whose ``Parameters`` match its signature and that has a ``Returns`` section
when it returns something, checked with :func:`numpydoc.validate.validate`.

The public API is every function or class named in ``__all__`` of the packages and of their public
(non-underscore) modules that define one (``theory.network_regularizer``, ``sim.kernels``, ...);
for a class, its docstring (whose ``Parameters`` numpydoc checks against ``__init__``) and its public
methods and properties defined in bnreg.  Modules that import PyTorch at their top are skipped
without it.  Only the errors in :data:`CHECKED` fail: a summary on one line (SS0x), an extended
summary (ES01), examples (EX01) or See Also (SA01) are not required.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import pkgutil
import warnings
from pathlib import Path

import pytest

numpydoc_validate = pytest.importorskip("numpydoc.validate")

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("theory", "sim", "verify")
#: the numpydoc errors that fail: no docstring, a parameter not documented, a documented parameter
#: that does not exist, no Returns section in a function that returns a value (numpydoc's own rule:
#: a ``return <value>`` in its body)
CHECKED = ("GL08", "PR01", "PR02", "RT01")


def _defines_all(path: Path) -> bool:
    """Whether the module at ``path`` assigns ``__all__`` at its top level."""
    for node in ast.parse(path.read_text(), str(path)).body:
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
            return True
    return False


def _imports_torch(path: Path) -> bool:
    """Whether the module at ``path`` imports torch at its top level."""
    for node in ast.parse(path.read_text(), str(path)).body:
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "torch" for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "torch" and not node.level:
            return True
    return False


def _api_modules() -> list[str]:
    """The packages and their public modules that define ``__all__``."""
    names = list(PACKAGES)
    for package in PACKAGES:
        for info in pkgutil.iter_modules([str(ROOT / package)]):
            path = ROOT / package / f"{info.name}.py"
            if not info.name.startswith("_") and not info.ispkg and path.exists() and _defines_all(path):
                names.append(f"{package}.{info.name}")
    return names


def _ours(obj: object) -> bool:
    module = getattr(obj, "__module__", None) or ""
    return module.split(".")[0] in PACKAGES


def _members(cls: type, name: str) -> list[str]:
    """The public methods and properties that ``cls`` itself defines, as qualified names."""
    out = []
    for attr, value in vars(cls).items():
        if attr.startswith("_"):
            continue
        func = value.__func__ if isinstance(value, (staticmethod, classmethod)) else value
        if isinstance(func, property):
            func = func.fget
        if inspect.isfunction(func) and _ours(func):
            out.append(f"{name}.{attr}")
    return out


def public_api() -> tuple[list[str], list[str]]:
    """``(qualified names, skipped modules)``: every public function, class and class member, once."""
    names, skipped, seen = [], [], set()
    for module_name in _api_modules():
        path = ROOT / Path(*module_name.split("."))
        path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
        if _imports_torch(path) and importlib.util.find_spec("torch") is None:
            skipped.append(module_name)
            continue
        module = importlib.import_module(module_name)
        for attr in module.__all__:
            obj = getattr(module, attr)
            # functions behind a decorator (functools.lru_cache, ...) count: numpydoc reads them unwrapped
            if not (inspect.isfunction(inspect.unwrap(obj)) or inspect.isclass(obj)) or not _ours(inspect.unwrap(obj)):
                continue
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            name = f"{module_name}.{attr}"
            names.append(name)
            if inspect.isclass(obj):
                names += _members(obj, name)
    return names, skipped


def _errors(name: str) -> list[tuple[str, str]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # docscrape's warnings on unknown sections: not in CHECKED
        result = numpydoc_validate.validate(name)
    return [(code, message) for code, message in result["errors"] if code in CHECKED]


def test_public_api_is_found():
    names, _ = public_api()
    assert "theory.zeta" in names and "sim.simulate_batch_noise" in names and "verify.run" in names
    assert len(names) > 100


def test_public_api_docstrings():
    names, skipped = public_api()
    failures = []
    for name in names:
        errors = _errors(name)
        if errors:
            failures.append(f"{name}: " + "; ".join(f"{code} {message}" for code, message in errors))
    if skipped:
        print(f"skipped without torch: {', '.join(skipped)}")
    assert not failures, f"{len(failures)} of {len(names)} public objects:\n" + "\n".join(failures)
