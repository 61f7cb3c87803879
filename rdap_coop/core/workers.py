"""Several serving processes on one port, under one small supervisor (``--workers N``).

One Python process saturates one core long before the replica or the network is the
limit, so a host serves with N processes that each bind the same addresses with
``SO_REUSEPORT``: the kernel spreads new connections among them, with no balancer of
ours and no socket handed down. The supervisor starts the workers, restarts one that
dies (giving up when they keep dying at start, e.g. a port already taken), forwards
SIGHUP (re-read the clients file), and on SIGTERM or SIGINT asks each worker to stop
gracefully, killing only those still running after the grace period.

Workers share no memory, so what must be one across them lives outside: rate limits
and the personal-data quota in Redis (the settings demand it), one paging-cursor
secret (drawn here, before the workers start), and metrics in prometheus-client's
multiprocess files; every worker binds the internal port too and answers
``/metrics`` with all workers' values merged.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from types import FrameType

from prometheus_client import multiprocess

from rdap_coop.core.config import Settings
from rdap_coop.core.cursor import new_secret

log = logging.getLogger(__name__)

MULTIPROCESS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
# A worker that dies sooner than this after starting failed to start; after
# FAILED_STARTS_TO_GIVE_UP of those the supervisor stops rather than loop forever.
FAILED_START_SECONDS = 3.0
FAILED_STARTS_TO_GIVE_UP = 3
STOP_GRACE_SECONDS = 15.0

Worker = Callable[[Settings], None]


@dataclass(slots=True)
class _Slot:
    process: BaseProcess
    started_at: float


def supervise(settings: Settings, worker: Worker) -> int:
    """Run ``settings.workers`` copies of ``worker(settings)`` until asked to stop.

    ``worker`` must be a module-level function (it is started in a fresh interpreter).
    Returns the exit status: 0 after a requested stop, 1 when workers kept failing.
    """
    with _metrics_directory() as directory:
        return _Supervisor(_shared_settings(settings, directory), worker, directory).run()


def _shared_settings(settings: Settings, metrics_directory: str) -> Settings:
    """One cursor secret for all workers, so a page link works whichever one answers,
    and the directory where their metrics meet."""
    secret = settings.rdap.cursor_secret or new_secret()
    return replace(
        settings,
        rdap=replace(settings.rdap, cursor_secret=secret),
        metrics=replace(settings.metrics, multiprocess_dir=Path(metrics_directory)),
    )


@contextlib.contextmanager
def _metrics_directory() -> Iterator[str]:
    """A fresh directory for this run's multiprocess metric files, removed at the end.

    Set in the environment before any worker starts: prometheus-client chooses its
    value storage when it is first imported, which in a worker happens after this.
    """
    with tempfile.TemporaryDirectory(prefix="rdap-coop-metrics-") as directory:
        previous = os.environ.get(MULTIPROCESS_DIR_VARIABLE)
        os.environ[MULTIPROCESS_DIR_VARIABLE] = directory
        try:
            yield directory
        finally:
            if previous is None:
                del os.environ[MULTIPROCESS_DIR_VARIABLE]
            else:
                os.environ[MULTIPROCESS_DIR_VARIABLE] = previous


def _run_worker(worker: Worker, settings: Settings) -> None:
    """In the worker: stop when the supervisor dies, however it dies, then serve."""
    _stop_with_parent()
    worker(settings)


PR_SET_PDEATHSIG = 1


def _stop_with_parent() -> None:
    """Linux: SIGTERM this process when its parent exits, so no worker is orphaned
    still holding the port (a killed supervisor cannot forward its own SIGTERM)."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() == 1:  # the supervisor died before prctl took effect
        os.kill(os.getpid(), signal.SIGTERM)


class _Supervisor:
    def __init__(self, settings: Settings, worker: Worker, metrics_directory: str) -> None:
        self.settings = settings
        self.worker = worker
        self.metrics_directory = metrics_directory
        self.context = multiprocessing.get_context("spawn")
        self.slots: list[_Slot] = []
        self.stopping = False
        self.failed_starts = 0

    def run(self) -> int:
        previous = {
            signum: signal.signal(signum, handler)
            for signum, handler in (
                (signal.SIGTERM, self._on_stop),
                (signal.SIGINT, self._on_stop),
                (signal.SIGHUP, self._on_reload),
            )
        }
        try:
            self.slots = [self._start(index) for index in range(self.settings.workers)]
            log.info("supervising %d workers: pids %s", len(self.slots),
                     [slot.process.pid for slot in self.slots])
            while not self.stopping:
                wait([slot.process.sentinel for slot in self.slots], timeout=0.5)
                self._replace_dead_workers()
            return 1 if self.failed_starts >= FAILED_STARTS_TO_GIVE_UP else 0
        finally:
            self._stop_all()
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def _start(self, index: int) -> _Slot:
        process = self.context.Process(
            target=_run_worker, args=(self.worker, self.settings), name=f"worker-{index}",
            daemon=False,
        )
        process.start()
        return _Slot(process, time.monotonic())

    def _replace_dead_workers(self) -> None:
        for index, slot in enumerate(self.slots):
            if slot.process.is_alive() or self.stopping:
                continue
            pid, status = slot.process.pid, slot.process.exitcode
            if pid is not None:
                multiprocess.mark_process_dead(pid, self.metrics_directory)  # type: ignore[no-untyped-call]
            if time.monotonic() - slot.started_at < FAILED_START_SECONDS:
                self.failed_starts += 1
            if self.failed_starts >= FAILED_STARTS_TO_GIVE_UP:
                log.error("worker %s exited with %s right after starting, %d times; stopping",
                          pid, status, self.failed_starts)
                self.stopping = True
                return
            log.error("worker %s exited with %s; starting another", pid, status)
            self.slots[index] = self._start(index)

    def _on_stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True

    def _on_reload(self, signum: int, frame: FrameType | None) -> None:
        for slot in self.slots:
            if slot.process.pid is not None and slot.process.is_alive():
                os.kill(slot.process.pid, signal.SIGHUP)

    def _stop_all(self) -> None:
        """SIGTERM to every worker (each drains in-flight requests), SIGKILL after the grace."""
        for slot in self.slots:
            if slot.process.is_alive():
                slot.process.terminate()
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for slot in self.slots:
            slot.process.join(max(0.0, deadline - time.monotonic()))
            if slot.process.is_alive():
                log.error("worker %s did not stop within %g s; killing it",
                          slot.process.pid, STOP_GRACE_SECONDS)
                slot.process.kill()
                slot.process.join()
