"""A resumable sweep on disk: one ``.npz`` (no pickle) per finished point plus a JSON manifest.

A sweep interrupted midway restarts from the points already saved; a directory written with a
different configuration is refused, so stale points never mix with new ones.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
from tqdm import tqdm

from .executor import Executor


class SweepStore:
    """Points of one sweep under ``directory``; ``config`` must be JSON-serialisable."""

    def __init__(self, directory: str | os.PathLike, config: dict) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.manifest_path = self.directory / "sweep.json"
        config = json.loads(json.dumps(config))
        if self.manifest_path.exists():
            manifest = json.loads(self.manifest_path.read_text())
            if manifest["config"] != config:
                raise ValueError(f"directory {str(self.directory)!r} holds a sweep with another configuration")
            self.manifest = manifest
        else:
            self.manifest = {"config": config, "points": {}}
            self._write_manifest()

    def _write_manifest(self) -> None:
        tmp = self.manifest_path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.manifest, indent=1, sort_keys=True))
        os.replace(tmp, self.manifest_path)

    def done(self, key: str) -> bool:
        return key in self.manifest["points"] and (self.directory / f"{key}.npz").exists()

    def save(self, key: str, arrays: dict[str, np.ndarray], meta: dict) -> None:
        tmp = self.directory / f"{key}.tmp.npz"
        np.savez(tmp, **{k: np.asarray(v) for k, v in arrays.items()})
        os.replace(tmp, self.directory / f"{key}.npz")
        self.manifest["points"][key] = json.loads(json.dumps(meta))
        self._write_manifest()

    def load(self, key: str) -> tuple[dict[str, np.ndarray], dict]:
        with np.load(self.directory / f"{key}.npz", allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
        return arrays, self.manifest["points"][key]


def run_points(keys: Iterable[str], compute: Callable[[str], tuple[dict, dict]],
               store: SweepStore | None = None, *, progress: bool | None = None,
               executor: Executor | None = None) -> dict[str, dict[str, np.ndarray]]:
    """``compute(key) -> (arrays, meta)`` for every key not yet in ``store``, run by ``executor``
    (default: in this process, in order); all points returned in the order of ``keys``.  Each point
    is saved here as soon as it arrives, so an interrupted sweep resumes from the finished ones.
    A progress bar goes to stderr (``progress=None``: only on a TTY)."""
    keys = list(dict.fromkeys(keys))
    out: dict[str, dict[str, np.ndarray]] = {}
    for key in keys:
        if store is not None and store.done(key):
            out[key] = store.load(key)[0]
    missing = [key for key in keys if key not in out]
    show = sys.stderr.isatty() if progress is None else progress
    with tqdm(total=len(keys), initial=len(keys) - len(missing), desc="sweep", file=sys.stderr,
              disable=not show, leave=False) as bar:
        for key, (arrays, meta) in (executor or Executor()).map_unordered(compute, missing):
            if store is not None:
                store.save(key, arrays, meta)
            out[key] = {k: np.asarray(v) for k, v in arrays.items()}
            bar.update()
    return {key: out[key] for key in keys}
