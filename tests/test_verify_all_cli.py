"""``python -m verify.all`` answers bad input with one line on stderr, exit status 2, no files."""

import subprocess
import sys

import pytest


@pytest.mark.parametrize("args", [
    ["--seed", "-1"], ["--seed", "abc"], ["--backend", "tpu"], ["--parts", "verify.nope"],
    ["--report", "out.txt"], ["--quick", "--full"], ["--backend", "cupy"], ["--workers", "0"],
    ["--executor", "threads"], ["--scheduler", "tcp://127.0.0.1:1"], ["--html", "page.txt"],
    ["--html", "no/such/folder/page.html"], ["--html", "page.html", "--no-html"],
])
def test_bad_input(args, tmp_path):
    from sim import cuda_status

    if args == ["--backend", "cupy"] and cuda_status()[0]:
        pytest.skip("a CUDA device is present")
    run = subprocess.run([sys.executable, "-m", "verify.all", *args, "--report", str(tmp_path / "r.json")]
                         if "--report" not in args else [sys.executable, "-m", "verify.all", *args],
                         capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert run.returncode == 2, run.stderr
    assert len(run.stderr.strip().splitlines()) == 1 and "Traceback" not in run.stderr
    assert not list(tmp_path.iterdir())
