"""SIGTERM (a job scheduler's time limit, ``kill``) and SIGINT (Ctrl-C, sent to the whole process
group) end a running ``python -m verify.all`` within seconds, with no process of it left behind,
and the rerun resumes from the sweep tasks it had saved."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads the process tree from /proc")


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def _descendants(pid: int) -> set[int]:
    tree, out, todo = _children(), set(), [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            out.add(child)
            todo.append(child)
    return out


def _alive(pids: set[int]) -> set[int]:
    return {p for p in pids if Path(f"/proc/{p}").exists() and "(Z)" not in _state(p)}


def _state(pid: int) -> str:
    try:
        return "(Z)" if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z" else ""
    except OSError:
        return ""


def _written_tasks(folder: Path) -> list[Path]:
    """Tasks whose ``.npz`` is in place (the earliest sign of progress; ``*.tmp.npz`` is one being written)."""
    return [p for p in folder.glob("sweeps-*/*/*.npz") if not p.name.endswith(".tmp.npz")]


def _saved_tasks(folder: Path) -> list[Path]:
    """Finished tasks: those a store's manifest lists (a task's ``.npz`` is renamed into place first and
    listed right after, so a signal in between leaves a file that the rerun rightly computes again)."""
    out = []
    for manifest in folder.glob("sweeps-*/*/sweep.json"):
        try:
            points = json.loads(manifest.read_text())["points"]
        except (OSError, ValueError, KeyError):
            continue  # being replaced right now (os.replace): read again on the next poll
        out += [p for key in points if (p := manifest.parent / f"{key}.npz").exists()]
    return sorted(out)


def _as_from_a_terminal() -> None:
    """Ctrl-C's default action in the run, as a terminal gives it: a shell without job control starts
    a background job (``cmd &``, ``nohup``) with SIGINT ignored, which its children inherit, and a run
    started so rightly ignores Ctrl-C — the suite may itself run that way."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture
def launch():
    """Start runs in their own sessions; whatever a failed assertion leaves running is killed."""
    started: list[subprocess.Popen] = []

    def start(command: list[str]) -> subprocess.Popen:
        started.append(subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                        text=True, start_new_session=True, preexec_fn=_as_from_a_terminal))
        return started[-1]

    yield start
    for run in started:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
        run.communicate()


def _command(folder: Path, part: str) -> list[str]:
    return [sys.executable, "-m", "verify.all", "--quick", "--parts", part, "--workers", "2",
            "--report", str(folder / "report.json"), "--figures", str(folder / "figures")]


#: the linear solvers' sweep (many short tasks) and the BN student's (tasks of about a second: the
#: workers are ended in the middle of one, and must leave nothing behind, not even a semaphore)
CASES = [(signal.SIGTERM, "teacher_student"), (signal.SIGINT, "teacher_student"), (signal.SIGTERM, "bn_student"),
         (signal.SIGINT, "bn_student")]


@pytest.mark.parametrize(("signum", "part"), CASES, ids=[f"{s.name}-{p}" for s, p in CASES])
def test_a_signal_ends_the_run_and_its_workers_and_the_rerun_resumes(tmp_path, launch, signum, part):
    status = 130 if signum == signal.SIGINT else 128 + signum
    run = launch(_command(tmp_path, part))
    deadline = time.monotonic() + 600
    while len(_written_tasks(tmp_path)) < 3 and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert run.poll() is None, "the run ended before it could be signalled"
    family = _descendants(run.pid)
    assert family, "the run has no worker processes"
    saved = {p: p.stat().st_mtime_ns for p in _saved_tasks(tmp_path)}
    if signum == signal.SIGINT:
        os.killpg(run.pid, signum)  # Ctrl-C reaches the whole group
    else:
        run.send_signal(signum)
    _, err = run.communicate(timeout=30)
    assert run.returncode == status and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    deadline = time.monotonic() + 10
    while _alive(family) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(family), "processes of the run were left behind"
    again = subprocess.run(_command(tmp_path, part), cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert again.returncode == 0, again.stderr[-2000:]
    assert all(p.stat().st_mtime_ns == t for p, t in saved.items()), "saved tasks were computed again"
