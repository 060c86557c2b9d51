"""``python -m bench`` answers bad input with one line on stderr and exit status 2, before any
benchmark runs (the benchmarks themselves are in ``bench/``, run by ``pytest bench/``)."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("args", [["--only", "nope"], ["--json", "/nonexistent/folder/x.json"], ["--dtype", "half"],
                                  ["--backend", "tpu"], ["--threads", "0"]])
def test_bad_input(args):
    run = subprocess.run([sys.executable, "-m", "bench", *args], capture_output=True, text=True, cwd=ROOT,
                         timeout=60)
    assert run.returncode == 2, run.stderr
    assert len(run.stderr.strip().splitlines()) == 1 and "Traceback" not in run.stderr
    assert not run.stdout
