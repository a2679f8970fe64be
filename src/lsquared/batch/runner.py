"""Run a planned batch on a local process pool or a Dask cluster, journalled and reported.

The coordinator (this module) is the only writer of the journal and the report, and the
only process that names outputs: workers write each output under a temporary name, and
the coordinator journals it, then renames it into place. An output therefore never appears
without its journal entry, even when the coordinator is killed (an entry whose output is
missing is redone by the next run). A worker process that dies (a library crashing
on a corrupt file, the out-of-memory killer) takes its in-flight jobs with it: those are
rerun one at a time, so that only the file that kills a worker on its own is failed.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from pathlib import Path

from lsquared import __version__
from lsquared.batch.journal import Entry, Journal, exclusive, text_sha256
from lsquared.batch.plan import BatchSettings, Job
from lsquared.batch.worker import Outcome, init_worker, run_job
from lsquared.errors import LsqError
from lsquared.io.atomic import TEMP_PREFIX, atomic_output

REPORT_NAME = "report.json"
Event = dict
CRASHED = "the worker process died while processing this file (crash or out of memory)"


@dataclass
class BatchReport:
    """What a batch did, file by file (sorted by input), and how long it took."""

    outdir: str
    files: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    workers: int = 0
    scheduler: str = "local"
    processors_compiled: int = 0

    def count(self, status: str) -> int:
        return sum(f["status"] == status for f in self.files)

    @property
    def counts(self) -> dict[str, int]:
        return {s: self.count(s) for s in ("done", "skipped", "failed")}

    @property
    def exit_code(self) -> int:
        """0 when every file is done or skipped, 1 when some failed."""
        return 1 if self.count("failed") else 0

    def to_dict(self) -> dict:
        return {
            "lsquared": __version__,
            "counts": self.counts,
            "files": self.files,
            "run": {
                "seconds": round(self.seconds, 3),
                "workers": self.workers,
                "scheduler": self.scheduler,
                "processors_compiled": self.processors_compiled,
            },
        }


class _LocalPool:
    """A process pool, one core per worker. Workers are forked from a fork server that has
    imported the engine once (numba, colour-science, OpenColorIO), so starting or
    restarting them is quick, and no worker inherits the coordinator's threads. The server
    and the workers end with the coordinator (:mod:`lsquared.batch.lifeline`)."""

    def __init__(self, workers: int) -> None:
        self.capacity = workers
        self._executor = self._start()

    def _start(self):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["lsquared.batch.preload"])
        return ProcessPoolExecutor(self.capacity, mp_context=context, initializer=init_worker)

    def submit(self, *args) -> Future:
        return self._executor.submit(run_job, *args)

    def restart(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
        self._executor = self._start()

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


class _DaskPool:
    """The workers of an existing Dask distributed cluster."""

    def __init__(self, address: str) -> None:
        from distributed import Client

        try:
            self._client = Client(address, timeout="15s")
        except (OSError, TimeoutError) as e:
            raise LsqError(address, f"cannot reach the Dask scheduler ({e})") from None
        workers = self._client.scheduler_info()["workers"].values()
        self.capacity = max(1, sum(w.get("nthreads", 1) for w in workers))
        self._executor = self._client.get_executor(pure=False)

    def submit(self, *args) -> Future:
        return self._executor.submit(run_job, *args)

    def restart(self) -> None:  # Dask reschedules a dead worker's tasks itself
        pass

    def close(self) -> None:
        self._client.close()


@contextlib.contextmanager
def _pool(workers: int, scheduler: str | None) -> Iterator[_LocalPool | _DaskPool]:
    pool = _DaskPool(scheduler) if scheduler else _LocalPool(workers)
    try:
        yield pool
    finally:
        pool.close()


def _remove_temporaries(outdir: Path) -> None:
    """Remove what killed runs left: lsquared's temporary files (the lock says none is ours
    to keep)."""
    for tmp in outdir.rglob(f"{TEMP_PREFIX}*"):
        with contextlib.suppress(OSError):
            tmp.unlink()


def _save_recipes(outdir: Path, settings: BatchSettings, jobs: list[Job]) -> None:
    """``recipe.toml`` (photos) and, for clips, ``recipe-video.toml`` beside the outputs."""
    kinds = {job.kind for job in jobs}
    for kind, name in (("photo", "recipe.toml"), ("video", "recipe-video.toml")):
        if kind in kinds:
            header = f"# lsquared {__version__} batch recipe for {kind}s\n"
            with atomic_output(outdir / name) as tmp:
                tmp.write_text(header + settings.describe(kind))


def _file_entry(job: Job, status: str, outcome: Outcome | None = None, reason: str = "") -> dict:
    return {
        "input": job.source,
        "kind": job.kind,
        "output": job.output,
        "status": status,
        "reason": outcome.reason if outcome else reason,
        "warnings": list(outcome.warnings) if outcome else [],
        "seconds": round(outcome.seconds, 3) if outcome else 0.0,
    }


def run_batch(
    jobs: list[Job],
    settings: BatchSettings,
    outdir: Path,
    workers: int | None = None,
    scheduler: str | None = None,
    on_event: Callable[[Event], None] = lambda event: None,
) -> BatchReport:
    """Run ``jobs`` into ``outdir``: skip those the journal says are finished, run the rest
    (``workers`` local processes, or the Dask cluster at ``scheduler``), journal each
    finished output, write ``report.json`` and return the report."""
    start = time.perf_counter()
    workers = workers or os.cpu_count() or 1
    with _pool(workers, scheduler) as pool:  # an unreachable scheduler fails before any write
        outdir.mkdir(parents=True, exist_ok=True)
        with exclusive(outdir):
            _remove_temporaries(outdir)
            _save_recipes(outdir, settings, jobs)
            journal = Journal(outdir)
            report = BatchReport(str(outdir), workers=pool.capacity, scheduler=scheduler or "local")
            on_event({"event": "start", "total": len(jobs), "outdir": str(outdir)})
            digests = {kind: text_sha256(settings.describe(kind)) for kind in ("photo", "video")}
            entries: dict[str, dict] = {}

            def finish(job: Job, outcome: Outcome | None, reason: str = "") -> None:
                status = outcome.status if outcome else "failed"
                if outcome and outcome.status == "done":
                    report.processors_compiled += outcome.compiled
                    journal.record(
                        Entry(job.output, job.source, outcome.source_stamp, outcome.output_stamp,
                              digests[job.kind], __version__)
                    )  # fmt: skip
                    try:  # journalled first: a kill between the two leaves an entry to redo
                        os.replace(outdir / outcome.staged, outdir / job.output)
                    except OSError as e:
                        status = "failed"
                        outcome = replace(outcome, status=status, reason=f"cannot rename the "
                                          f"output into place: {e.strerror}")  # fmt: skip
                entries[job.source] = entry = _file_entry(job, status, outcome, reason)
                on_event({"event": status, **{k: entry[k] for k in entry if k != "kind"}})

            todo = []
            for job in jobs:
                if job.kind != "unknown" and journal.is_done(
                    job.output, job.source, digests[job.kind], __version__
                ):
                    entries[job.source] = _file_entry(job, "skipped")
                    on_event({"event": "skipped", "input": job.source, "output": job.output})
                else:
                    todo.append(job)
            _run(todo, pool, settings, outdir, finish, on_event)
            _remove_temporaries(outdir)
            report.files = [entries[job.source] for job in jobs]
            report.seconds = time.perf_counter() - start
            with atomic_output(outdir / REPORT_NAME) as tmp:
                tmp.write_text(json.dumps(report.to_dict(), indent=2) + "\n")
            on_event({"event": "end", **report.counts, "seconds": round(report.seconds, 3)})
    return report


def _run(todo: list[Job], pool, settings: BatchSettings, outdir: Path, finish, on_event) -> None:
    """Keep the pool full; after a worker died, rerun its jobs alone to find the culprit."""
    pending, suspects = deque(todo), deque()
    running: dict[Future, Job] = {}
    alone: set[str] = set()  # suspects now running by themselves
    while pending or suspects or running:
        while (suspects and not running) or (
            not suspects and pending and len(running) < pool.capacity
        ):
            job = suspects.popleft() if suspects else pending.popleft()
            running[pool.submit(job, settings, str(outdir))] = job
            on_event({"event": "begin", "input": job.source, "output": job.output})
        done, _ = wait(running, return_when=FIRST_COMPLETED)
        crashed = False
        for future in done:
            job = running.pop(future)
            try:
                finish(job, future.result())
            except BrokenProcessPool:
                crashed = True
                if job.source in alone:
                    finish(job, None, CRASHED)
                else:
                    suspects.append(job)
            except Exception as e:  # e.g. Dask's KilledWorker after its own retries
                finish(job, None, f"{CRASHED}: {type(e).__name__}: {e}".splitlines()[0])
        if crashed:
            for future, job in running.items():  # the pool is broken: all of them are lost
                future.cancel()
                suspects.append(job)
            running.clear()
            pool.restart()
            alone.update(job.source for job in suspects)
