"""Where the points of a sweep run: in this process, in local worker processes, or on a Dask cluster.

``make_executor(kind)`` returns a context manager whose ``map_unordered(fn, items)`` yields
``(item, fn(item))`` as each item finishes, so the caller can save every point at once.  For the
``"process"`` and ``"dask"`` kinds ``fn`` and the items are pickled: pass a module-level function
or a :func:`functools.partial` of one.  Workers limit their BLAS threads so that workers × threads
stays within the cores.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, Self, TypeVar

from threadpoolctl import threadpool_limits
from tqdm import tqdm

from theory.errors import BadInput

__all__ = ["CONNECT_TIMEOUT", "KINDS", "Executor", "make_executor"]

KINDS = ("serial", "process", "dask")
CONNECT_TIMEOUT = 10.0  # seconds to reach a Dask scheduler before giving up
_BLAS_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
             "VECLIB_MAXIMUM_THREADS")

T = TypeVar("T")
R = TypeVar("R")


def _cores() -> int:
    return os.cpu_count() or 1


class Executor:
    """Runs ``fn`` over items in this process, in order; the base of the parallel executors."""

    name = "serial"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: object, *exc_info: object) -> None:
        if exc_type is None:
            self.close()
        else:  # an error, an interrupt or a termination signal: stop now, do not finish the queue
            self.terminate()

    def close(self) -> None:
        """Release the workers once their work is done (nothing to release here)."""

    def terminate(self) -> None:
        """Stop at once: cancel what has not started and end the workers (nothing to end here)."""
        self.close()

    def map_unordered(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[tuple[T, R]]:
        """``(item, fn(item))`` for every item as it finishes; a worker's exception is raised here
        and the items not yet started are cancelled.

        Parameters
        ----------
        fn : callable
            The function, picklable for the parallel executors.
        items : iterable
            Its arguments.

        Yields
        ------
        tuple
            ``(item, fn(item))``.
        """
        for item in items:
            yield item, fn(item)


def _exit_when_orphaned(parent: int) -> None:
    """End this worker as soon as the process that started it is gone (killed, even by SIGKILL):
    a worker left behind would hold the pool's queues and the resource tracker open for ever."""
    while os.getppid() == parent:
        time.sleep(0.25)
    os._exit(1)


def _init_process(threads: int, parent: int) -> None:
    # Libraries loaded later read the environment; those already loaded are limited now.
    for var in _BLAS_ENV:
        os.environ[var] = str(threads)
    threadpool_limits(threads)
    # Ctrl-C reaches the whole process group: the main process handles it and ends the workers
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # tqdm's default lock is a multiprocessing RLock: a named semaphore that a worker ended in the
    # middle of a task could never release, and the resource tracker would report it as leaked
    tqdm.set_lock(threading.RLock())
    threading.Thread(target=_exit_when_orphaned, args=(parent,), daemon=True).start()


def _call_limited(fn: Callable[[T], R], threads: int, item: T) -> R:
    threadpool_limits(threads)  # also covers libraries loaded while unpickling ``fn``
    return fn(item)


class _ProcessExecutor(Executor):
    name = "process"

    def __init__(self, workers: int) -> None:
        self._threads = max(1, _cores() // workers)
        self._pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                         initializer=_init_process, initargs=(self._threads, os.getpid()))

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def terminate(self) -> None:
        processes = list(getattr(self._pool, "_processes", {}).values())  # the pool's own worker table
        self._pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        for process in processes:
            process.join(timeout=5)
            if process.is_alive():
                process.kill()

    def map_unordered(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[tuple[T, R]]:
        # workers are started while tasks are submitted: with SIGINT blocked meanwhile, they start
        # with it blocked (a Ctrl-C meant for this process never interrupts a worker's start-up),
        # and a Ctrl-C that came in between is delivered here once it is unblocked
        blocked = hasattr(signal, "pthread_sigmask")
        if blocked:
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            futures = {self._pool.submit(_call_limited, fn, self._threads, item): item for item in items}
        finally:
            if blocked:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        try:
            for future in as_completed(futures):
                yield futures[future], future.result()
        finally:
            for future in futures:
                future.cancel()  # no-op on finished and running ones


class _DaskExecutor(Executor):
    name = "dask"

    def __init__(self, workers: int | None, scheduler: str | None) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise BadInput("the dask executor needs dask.distributed: pip install 'bnreg[dask]'") from None
        self._cluster: Any = None
        if scheduler is None:
            n = workers or _cores()
            self._threads = max(1, _cores() // n)
            # the dashboard on a free port: ``None`` means distributed's default 8787, which a second cluster on
            # the machine (another run, a concurrent test suite) finds taken, and then warns
            self._cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0")
            self._client = Client(self._cluster, set_as_default=False)
            return
        self._threads = 1  # a remote worker's share of its host is unknown here: Dask's own default
        try:
            self._client = Client(scheduler, timeout=CONNECT_TIMEOUT, set_as_default=False)
        except Exception as err:  # unreachable (OSError after the timeout), or not a Dask scheduler at all
            raise BadInput(f"cannot reach a Dask scheduler at {scheduler!r} within {CONNECT_TIMEOUT:g} s: "
                             f"{err}") from err

    def close(self) -> None:
        self._client.close()
        if self._cluster is not None:  # only the cluster made here; never a scheduler we were given
            self._cluster.close()

    def map_unordered(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[tuple[T, R]]:
        from distributed import as_completed as dask_as_completed

        items = list(items)
        futures = [self._client.submit(_call_limited, fn, self._threads, item, pure=False) for item in items]
        item_of = {future.key: item for future, item in zip(futures, items)}
        try:
            for future in dask_as_completed(futures, loop=self._client.loop):
                yield item_of[future.key], future.result()
        finally:
            self._client.cancel([future for future in futures if not future.done()])


def make_executor(kind: str = "process", *, workers: int | None = None, scheduler: str | None = None) -> Executor:
    """An executor of ``kind`` (``"serial"``, ``"process"`` or ``"dask"``) with ``workers`` workers
    (default: one per core).  ``"dask"`` connects to ``scheduler`` (an address such as
    ``"tcp://host:8786"``) or, without one, starts a LocalCluster that is closed on exit.

    Parameters
    ----------
    kind : {"serial", "process", "dask"}, default "process"
        The executor.
    workers : int, optional
        Number of workers, >= 1 (default: one per core).
    scheduler : str, optional
        A Dask scheduler's address (``"dask"`` only).

    Returns
    -------
    Executor
        The executor.

    Raises
    ------
    BadInput
        If ``kind`` is unknown, ``workers`` < 1, or ``scheduler`` comes with another kind or with
        ``workers``.
    """
    if kind not in KINDS:
        raise BadInput(f"executor kind must be one of {', '.join(KINDS)}, got {kind!r}")
    if workers is not None and workers < 1:
        raise BadInput(f"workers must be at least 1, got {workers}")
    if scheduler is not None and kind != "dask":
        raise BadInput(f"a scheduler address needs the dask executor, not {kind!r}")
    if scheduler is not None and workers is not None:
        raise BadInput("workers cannot be set with a scheduler address: the cluster has its own workers")
    if kind == "dask":
        return _DaskExecutor(workers, scheduler)
    n = workers or _cores()
    if kind == "serial" or n == 1:
        return Executor()
    return _ProcessExecutor(n)
