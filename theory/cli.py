"""What every bnreg command line shares: bad input gives ONE line on stderr and exit status 2
(never a traceback, a hang or a half-written file).  It lives in :mod:`theory`, the bottom layer,
so that every entry point (``theory.latex``, ``verify.all``, ``verify.activation``, ``bench``) can
use it without an import running up the layers.

* :class:`Parser` -- an :class:`argparse.ArgumentParser` whose errors are one line,
  ``prog: error: ...``, and exit status 2;
* :func:`run_main` -- runs ``main(argv)``; a :class:`ValueError` (a
  :class:`theory._parser.FormulaError` included) or :class:`OSError` becomes one line and 2;
* :func:`atomic_write` -- a file is either written whole or not touched;
* :func:`atomic_write_folder` -- the same for a folder of files;
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
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NoReturn

EXIT_BAD_INPUT = 2
_MAX_MESSAGE = 300  # characters of a message kept, so echoed user input cannot flood stderr


def one_line(message: str) -> str:
    """``message`` on one line: whitespace runs become one space, control characters are
    escaped, and it is cut to a sane length."""
    text = " ".join(str(message).split())
    text = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 3] + "..."


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr with exit status 2; ``hint`` is
    appended to each (default: ``see --help``)."""

    def __init__(self, *args: Any, hint: str = "see --help", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.hint = hint

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
    """``main(argv)``'s exit status; bad input (ValueError, OSError) is reported as one line on
    stderr with status 2, an interrupt (SIGINT) as one line with status 130 and SIGTERM as one line
    with status 143 — both after the run's ``with`` blocks have ended its workers."""
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if main_thread else None
    try:
        return main(argv)
    except (ValueError, OSError) as exc:
        print(f"{prog}: error: {one_line(str(exc) or type(exc).__name__)}", file=sys.stderr)
        return EXIT_BAD_INPUT
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
        raise ValueError(f"refusing to replace {path!r}: not a folder written by this command (no {marker})")
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
