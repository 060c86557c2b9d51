"""A resumable sweep on disk: one ``.npz`` (no pickle) per finished point plus a JSON manifest,
and the runner that sends the tasks of several sweeps to an executor as one queue.

A sweep interrupted midway restarts from the points already saved; a directory written with a
different configuration is refused, so stale points never mix with new ones.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from theory.cli import save_npz
from theory.errors import BadInput

from .executor import Executor


class SweepStore:
    """Points of one sweep under ``directory``; ``config`` must be JSON-serialisable.

    Parameters
    ----------
    directory : str or os.PathLike
        The folder (created if missing).
    config : dict
        The sweep's settings, JSON-serialisable.

    Raises
    ------
    BadInput
        If ``directory`` holds a sweep with another ``config``.
    """

    def __init__(self, directory: str | os.PathLike, config: dict) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.manifest_path = self.directory / "sweep.json"
        config = json.loads(json.dumps(config))
        if self.manifest_path.exists():
            manifest = json.loads(self.manifest_path.read_text())
            if manifest["config"] != config:
                raise BadInput(f"directory {str(self.directory)!r} holds a sweep with another configuration")
            self.manifest = manifest
        else:
            self.manifest = {"config": config, "points": {}}
            self._write_manifest()

    def _write_manifest(self) -> None:
        tmp = self.manifest_path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.manifest, indent=1, sort_keys=True))
        os.replace(tmp, self.manifest_path)

    def done(self, key: str) -> bool:
        """Whether the point ``key`` is stored.

        Parameters
        ----------
        key : str
            The point's key.

        Returns
        -------
        bool
            Whether it is saved.
        """
        return key in self.manifest["points"] and (self.directory / f"{key}.npz").exists()

    def save(self, key: str, arrays: dict[str, np.ndarray], meta: dict) -> None:
        """Save the point ``key`` (atomically).

        Parameters
        ----------
        key : str
            The point's key.
        arrays : dict of str to ndarray
            Its arrays.
        meta : dict
            Its metadata, JSON-serialisable.
        """
        tmp = self.directory / f"{key}.tmp.npz"
        save_npz(tmp, {k: np.asarray(v) for k, v in arrays.items()})
        os.replace(tmp, self.directory / f"{key}.npz")
        self.manifest["points"][key] = json.loads(json.dumps(meta))
        self._write_manifest()

    def load(self, key: str) -> tuple[dict[str, np.ndarray], dict]:
        """The stored point ``key``.

        Parameters
        ----------
        key : str
            The point's key.

        Returns
        -------
        arrays : dict of str to ndarray
            Its arrays.
        meta : dict
            Its metadata.
        """
        with np.load(self.directory / f"{key}.npz", allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
        return arrays, self.manifest["points"][key]


@dataclass(frozen=True)
class Job:
    """A set of keyed tasks: ``compute(key)`` for every key.  A sweep's ``compute`` returns
    ``(arrays, meta)`` (``sweep=True``): its result is the arrays, and with a ``store`` every
    finished task is saved there (a rerun computes only the missing ones).  ``compute`` must pickle
    for the parallel executors (a ``functools.partial`` of a module-level function).

    Parameters
    ----------
    keys : tuple
        The tasks' keys.
    compute : callable
        ``compute(key)``, picklable.
    store : SweepStore, optional
        Where finished tasks are saved.
    sweep : bool, default True
        Whether ``compute`` returns ``(arrays, meta)``.
    """

    keys: tuple[Any, ...]
    compute: Callable[[Any], Any]
    store: SweepStore | None = None
    sweep: bool = True


def _job_task(computes: tuple[Callable[[Any], Any], ...], item: tuple[int, Any]) -> Any:
    job, key = item
    return computes[job](key)


def run_jobs(jobs: Sequence[Job], *, executor: Executor | None = None,
             progress: bool | None = None) -> list[dict[Any, Any]]:
    """Every job's results, ``{key: result}`` in the order of its keys.  All the jobs' missing
    tasks go to ``executor`` (default: this process) as one queue, job after job: a worker that
    finishes one job's last tasks takes the next job's first instead of waiting for the other
    workers.  Each task is saved as soon as it arrives.  A progress bar goes to stderr
    (``progress=None``: only on a TTY).

    Parameters
    ----------
    jobs : sequence of Job
        The jobs.
    executor : Executor, optional
        Runs the tasks (default: this process).
    progress : bool or None, default None
        Progress bar on stderr; None: only on a TTY.

    Returns
    -------
    list of dict
        Per job, ``{key: result}``.
    """
    jobs = [replace(job, keys=tuple(dict.fromkeys(job.keys))) for job in jobs]
    out: list[dict[Any, Any]] = [{} for _ in jobs]
    missing = []
    for j, job in enumerate(jobs):
        for key in job.keys:
            if job.store is not None and job.store.done(key):
                out[j][key] = job.store.load(key)[0]
            else:
                missing.append((j, key))
    total = sum(len(job.keys) for job in jobs)
    show = sys.stderr.isatty() if progress is None else progress
    with tqdm(total=total, initial=total - len(missing), desc="tasks", file=sys.stderr, disable=not show,
              leave=False) as bar:
        run = partial(_job_task, tuple(job.compute for job in jobs))
        for (j, key), result in (executor or Executor()).map_unordered(run, missing):
            if jobs[j].sweep:
                arrays, meta = result
                store = jobs[j].store
                if store is not None:
                    store.save(key, arrays, meta)
                result = {k: np.asarray(v) for k, v in arrays.items()}
            out[j][key] = result
            bar.update()
    return [{key: done[key] for key in job.keys} for job, done in zip(jobs, out)]


def run_points(keys: Iterable[str], compute: Callable[[str], tuple[dict, dict]],
               store: SweepStore | None = None, *, progress: bool | None = None,
               executor: Executor | None = None) -> dict[str, dict[str, np.ndarray]]:
    """``compute(key) -> (arrays, meta)`` for every key not yet in ``store``, run by ``executor``;
    all points returned in the order of ``keys`` (:func:`run_jobs` with one job).

    Parameters
    ----------
    keys : iterable of str
        The points' keys.
    compute : callable
        ``compute(key) -> (arrays, meta)``.
    store : SweepStore, optional
        Where points are saved and found.
    progress : bool or None, default None
        Progress bar on stderr; None: only on a TTY.
    executor : Executor, optional
        Runs the tasks (default: this process).

    Returns
    -------
    dict of str to dict
        Every point's arrays.
    """
    return run_jobs([Job(tuple(keys), compute, store)], executor=executor, progress=progress)[0]
