"""What every bnreg command line shares: bad input gives ONE line on stderr and exit status 2
(never a traceback, a hang or a half-written file).  It lives in :mod:`theory`, the bottom layer,
so that every entry point (``theory.latex``, ``verify.all``, ``verify.activation``, ``bench``) can
use it without an import running up the layers.

* :class:`Parser` -- an :class:`argparse.ArgumentParser` whose errors are one line,
  ``prog: error: ...``, and exit status 2;
* :func:`run_main` -- runs ``main(argv)``; bad input -- a :class:`theory.errors.BadInput` (a
  :class:`theory.FormulaError` included) or an :class:`OSError` -- becomes one line and 2; any
  other exception is a bug in bnreg: one line saying so and :data:`EXIT_INTERNAL_ERROR` (3), with
  the traceback under ``--debug`` (an option of every :class:`Parser`) or ``BNREG_DEBUG=1``;
* :func:`atomic_write` -- a file is either written whole or not touched;
* :func:`atomic_write_folder` -- the same for a folder of files;
* :func:`save_npz` -- ``numpy.savez`` / ``numpy.savez_compressed`` of named arrays, typed;
* :func:`int_in`, :func:`finite_float` -- argparse types with bounds (``float`` alone takes
  ``nan`` and ``inf``).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import shutil
import signal
import sys
import tempfile
import threading
import traceback
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, BinaryIO, NoReturn

from .errors import BadInput

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

EXIT_BAD_INPUT = 2
#: exit status of an internal error: an exception that is not bad input, i.e. a bug in bnreg
EXIT_INTERNAL_ERROR = 3
#: the environment variable that, set to 1, prints the traceback of an error as ``--debug`` does
DEBUG_ENV = "BNREG_DEBUG"
_MAX_MESSAGE = 300  # characters of a message kept, so echoed user input cannot flood stderr


def one_line(message: str) -> str:
    """``message`` on one line: whitespace runs become one space, control characters are
    escaped, and it is cut to a sane length."""
    text = " ".join(str(message).split())
    text = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 3] + "..."


_debug_requested = False  # set by a parsed --debug, read by run_main


class _DebugAction(argparse.Action):
    """``--debug``: recorded for :func:`run_main`, not stored in the parsed namespace."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, nargs=0, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        global _debug_requested
        _debug_requested = True


def debug_requested() -> bool:
    """Whether ``--debug`` was parsed by a :class:`Parser` or ``BNREG_DEBUG=1`` is set."""
    return _debug_requested or os.environ.get(DEBUG_ENV, "").strip() not in ("", "0")


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr with exit status 2; ``hint`` is
    appended to each (default: ``see --help``).  Every such parser has ``--debug`` (see
    :func:`run_main`)."""

    def __init__(self, *args: Any, hint: str = "see --help", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.hint = hint
        self.add_argument("--debug", action=_DebugAction,
                          help=f"on an error, print its traceback (also: {DEBUG_ENV}=1)")

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {one_line(message)} ({self.hint})\n")


class Terminated(BaseException):
    """Raised in the main thread when the process receives SIGTERM (a job scheduler's time limit,
    ``kill``): like Ctrl-C it unwinds every ``with`` block, so worker processes are ended."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _terminate(signum: int, frame: object) -> NoReturn:
    raise Terminated(signum)


def run_main(main: Callable[[Sequence[str] | None], int], argv: Sequence[str] | None = None, *, prog: str) -> int:
    """``main(argv)``'s exit status; bad input (:class:`~theory.errors.BadInput`, OSError) is
    reported as one line on stderr with status 2, an interrupt (SIGINT) as one line with status 130
    and SIGTERM as one line with status 143 — both after the run's ``with`` blocks have ended its
    workers.  Any other exception (a plain ValueError from NumPy or SymPy, a KeyError, a failed
    assertion...) is a bug in bnreg: one line naming it, status :data:`EXIT_INTERNAL_ERROR`.  With
    ``--debug`` or ``BNREG_DEBUG=1`` the traceback of either kind of error comes first."""
    global _debug_requested
    _debug_requested = False
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if main_thread else None
    try:
        return main(argv)
    except (BadInput, OSError) as exc:
        if debug_requested():
            traceback.print_exc(file=sys.stderr)
        print(f"{prog}: error: {one_line(str(exc) or type(exc).__name__)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as exc:
        debug = debug_requested()
        if debug:
            traceback.print_exc(file=sys.stderr)
        what = one_line(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
        hint = "the traceback is above" if debug else "run again with --debug for the traceback"
        print(f"{prog}: internal error (a bug in bnreg, not in your input): {what}; {hint}", file=sys.stderr)
        return EXIT_INTERNAL_ERROR
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except Terminated as exc:
        print(f"{prog}: terminated (signal {exc.signum})", file=sys.stderr)
        return 128 + exc.signum
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


def atomic_write(path: str | os.PathLike[str], data: str | bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all: a temporary file in the same folder is
    written, flushed to disk, then renamed over ``path``; on any error it is removed."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def atomic_write_folder(path: str | os.PathLike[str], files: Mapping[str, str | bytes], marker: str) -> None:
    """Write the folder ``path`` holding exactly ``files`` (name -> content) and an empty file
    ``marker``, whole or not at all: it is built in a temporary folder beside ``path`` and
    renamed into place.  An existing ``path`` is replaced only if it holds ``marker`` (a folder
    this function wrote before); anything else there is a ``ValueError`` and stays untouched."""
    path = os.path.abspath(os.fspath(path))
    if os.path.lexists(path) and not os.path.isfile(os.path.join(path, marker)):
        raise BadInput(f"refusing to replace {path!r}: not a folder written by this command (no {marker})")
    for name in files:
        if os.path.basename(name) != name or name in ("", ".", "..", marker):
            raise ValueError(f"bad file name for the folder: {name!r}")
    parent, base = os.path.split(path)
    temporary = tempfile.mkdtemp(dir=parent, prefix=f".{base}.", suffix=".tmp")
    old = None
    try:
        for name, data in {**files, marker: b""}.items():
            with open(os.path.join(temporary, name), "wb") as handle:
                handle.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.chmod(temporary, 0o777 & ~_umask())
        if os.path.lexists(path):
            old = tempfile.mkdtemp(dir=parent, prefix=f".{base}.", suffix=".old")
            os.replace(path, os.path.join(old, base))
        os.replace(temporary, path)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        if old is not None and not os.path.lexists(path):
            os.replace(os.path.join(old, base), path)  # put the previous folder back
        raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def save_npz(file: str | os.PathLike[str] | BinaryIO, arrays: Mapping[str, ArrayLike], *,
             compressed: bool = False) -> None:
    """``numpy.savez`` of ``arrays`` by name (``numpy.savez_compressed`` when ``compressed``).

    NumPy's stubs take the names as ``**kwds: ArrayLike`` beside ``allow_pickle: bool``, so a type
    checker reads ``**`` of a ``dict[str, ndarray]`` as possibly filling ``allow_pickle``; the names
    pass here through a ``dict[str, Any]``, once for every caller."""
    import numpy as np  # noqa: PLC0415 -- the command-line helpers need NumPy only here

    named: dict[str, Any] = dict(arrays)
    (np.savez_compressed if compressed else np.savez)(file, **named)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def int_in(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: an integer in ``[low, high]``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low} and {high}, got {value}")
        return value

    return parse


def finite_float(low: float = -math.inf, high: float = math.inf) -> Callable[[str], float]:
    """An argparse type: a finite number in ``[low, high]``."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not math.isfinite(value) or not low <= value <= high:
            where = "" if (low, high) == (-math.inf, math.inf) else f" in [{low:g}, {high:g}]"
            raise argparse.ArgumentTypeError(f"must be a finite number{where}, got {text!r}")
        return value

    return parse
