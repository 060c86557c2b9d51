"""The shared CLI harness: bad input is one stderr line and exit status 2, files are whole or absent."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from theory import BadInput, FormulaError
from theory import cli as _cli
from theory.cli import Parser, atomic_write, finite_float, int_in, one_line, run_main

ROOT = Path(__file__).resolve().parents[1]

# A tiny CLI built on the harness: --out FILE --value V writes "value=V" atomically;
# V must be a finite float; --fail-write makes the disk "fail" half-way through the write.
SCRIPT = textwrap.dedent(
    """
    import os, sys
    from theory import cli as _cli

    def main(argv):
        parser = _cli.Parser(prog="toy")
        parser.add_argument("--out", required=True)
        parser.add_argument("--value", type=_cli.finite_float(), required=True)
        parser.add_argument("--formula", default="x")
        parser.add_argument("--fail-write", action="store_true")
        args = parser.parse_args(argv)
        from theory._parser import parse_expression
        parse_expression(args.formula)
        if args.fail_write:
            def broken_fsync(fd):
                raise OSError("No space left on device")
            os.fsync = broken_fsync
        _cli.atomic_write(args.out, "value=" + str(args.value) + "\\n" * 100000)
        return 0

    raise SystemExit(_cli.run_main(main, sys.argv[1:], prog="toy"))
    """
)


def _toy(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, *args],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "the following arguments are required: --out, --value"),
        (("--value", "1"), "required: --out"),
        (("--out", "OUT", "--value", "nan"), "argument --value: must be a finite number, got 'nan'"),
        (("--out", "OUT", "--value", "inf"), "must be a finite number"),
        (("--out", "OUT", "--value", "abc"), "expected a number, got 'abc'"),
        (("--out", "OUT", "--value", "1", "--bogus"), "unrecognized arguments: --bogus"),
        (("--out", "OUT", "--value", "1", "--formula", "__import__('os')"), "unknown function '__import__'"),
        (("--out", "OUT", "--value", "1", "--formula", "x +"), "syntax error"),
        (("--out", "OUT", "--value", "1", "--fail-write"), "No space left on device"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_no_file(tmp_path, args, message):
    out = tmp_path / "result.txt"
    done = _toy(*(str(out) if arg == "OUT" else arg for arg in args))
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("toy: error: ")
    assert message in lines[0]
    assert "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []  # neither the file nor a temporary left over


def test_good_input_writes_the_whole_file(tmp_path):
    out = tmp_path / "result.txt"
    done = _toy("--out", str(out), "--value", "2.5")
    assert done.returncode == 0 and done.stderr == ""
    assert out.read_text() == "value=2.5" + "\n" * 100000
    assert list(tmp_path.iterdir()) == [out]


def test_failed_write_leaves_the_old_file_untouched(tmp_path, monkeypatch):
    out = tmp_path / "result.json"
    atomic_write(out, "old")

    def broken_replace(src, dst):
        raise OSError("rename failed")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="rename failed"):
        atomic_write(out, "new")
    assert out.read_text() == "old"
    assert list(tmp_path.iterdir()) == [out]


def test_atomic_write_bytes_replace_and_mode(tmp_path):
    out = tmp_path / "a.npz"
    atomic_write(out, b"\x00\x01")
    atomic_write(str(out), b"\x02")
    assert out.read_bytes() == b"\x02"
    mask = os.umask(0)
    os.umask(mask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~mask


def test_atomic_write_into_a_missing_folder_is_an_os_error(tmp_path):
    with pytest.raises(OSError):
        atomic_write(tmp_path / "missing" / "x.json", "{}")
    assert list(tmp_path.iterdir()) == []


def test_run_main_maps_bad_input_to_one_line(capsys):
    def formula_error(argv):
        raise FormulaError("attribute access is not allowed (column 10)")

    def multi_line_value_error(argv):
        raise BadInput("first line\nsecond\x1b[31m line")

    def os_error(argv):
        raise FileNotFoundError(2, "No such file or directory", "out/x.json")

    assert run_main(formula_error, [], prog="p") == 2
    assert capsys.readouterr().err == "p: error: attribute access is not allowed (column 10)\n"
    assert run_main(multi_line_value_error, [], prog="p") == 2
    assert capsys.readouterr().err == "p: error: first line second\\x1b[31m line\n"
    assert run_main(os_error, [], prog="p") == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_run_main_reports_an_interrupt_in_one_line(capsys):
    def interrupted(argv):
        raise KeyboardInterrupt

    assert run_main(interrupted, [], prog="p") == 130
    assert capsys.readouterr().err == "p: interrupted\n"


def test_run_main_reports_a_bug_as_internal_not_as_bad_input(capsys, monkeypatch):
    """A planted internal error (a KeyError, or a plain ValueError from a library) is not bad input:
    it says it is a bug, exits 3, and shows its traceback only with --debug or BNREG_DEBUG=1."""
    monkeypatch.delenv(_cli.DEBUG_ENV, raising=False)
    assert run_main(lambda argv: 1, [], prog="p") == 1

    def bug(argv):
        raise KeyError("a broken invariant")

    def library_value_error(argv):
        raise ValueError("math domain error")

    for planted in (bug, library_value_error):
        assert run_main(planted, [], prog="p") == _cli.EXIT_INTERNAL_ERROR == 3
        err = capsys.readouterr().err
        assert "internal error (a bug in bnreg" in err and "--debug" in err and "Traceback" not in err
        assert err.count("\n") == 1
    monkeypatch.setenv(_cli.DEBUG_ENV, "1")
    assert run_main(bug, [], prog="p") == 3
    assert "Traceback (most recent call last)" in capsys.readouterr().err


def test_debug_option_shows_the_traceback(capsys, monkeypatch):
    monkeypatch.delenv(_cli.DEBUG_ENV, raising=False)

    def main(argv):
        Parser(prog="p").parse_args(argv)
        raise KeyError("a broken invariant")

    assert run_main(main, ["--debug"], prog="p") == 3
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "KeyError" in err
    assert run_main(main, [], prog="p") == 3
    assert "Traceback" not in capsys.readouterr().err


def test_parser_error_is_one_line(capsys):
    parser = Parser(prog="p", hint="see the manual")
    parser.add_argument("--n", type=int_in(1, 5))
    with pytest.raises(SystemExit) as exit_info:
        parser.parse_args(["--n", "7"])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == "p: error: argument --n: must be between 1 and 5, got 7 (see the manual)\n"


def test_one_line_cuts_long_messages():
    assert one_line("a\n\tb  c") == "a b c"
    assert len(one_line("x" * 10_000)) == _cli._MAX_MESSAGE


@pytest.mark.parametrize("text", ["0", "6", "1.5", "", "9" * 5000])
def test_int_in_rejects(text):
    with pytest.raises(argparse.ArgumentTypeError):
        int_in(1, 5)(text)


def test_number_types_accept():
    assert int_in(1, 5)(" 3 ") == 3
    assert finite_float(0.0, 1.0)("0.25") == 0.25
    with pytest.raises(argparse.ArgumentTypeError, match=r"in \[0, 1\]"):
        finite_float(0.0, 1.0)("2")
