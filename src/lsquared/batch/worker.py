"""One job, run inside a worker process (local pool or Dask worker).

A worker writes its output under a temporary name beside the final one (``.lsq-tmp-``,
which every run sweeps away) and never renames it into place: the coordinator does, after
journalling it, so a worker that outlives a killed coordinator adds no output that the
journal does not know. Local pool workers also die with their parent
(:mod:`lsquared.batch.lifeline`).

Each worker process keeps one :class:`~lsquared.engine.ProcessorCache`, so a Processor is
compiled once per distinct (recipe, camera, lens, settings) in that process and reused for
every later file that shares it.
"""

from __future__ import annotations

import os
import secrets
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from lsquared import engine
from lsquared.batch.journal import Stamp
from lsquared.batch.lifeline import die_with_parent
from lsquared.batch.plan import BatchSettings, Job
from lsquared.errors import InputError, LsqError, LsqWarning
from lsquared.io import heap, raw
from lsquared.io.atomic import TEMP_PREFIX

_CACHE = engine.ProcessorCache()


@dataclass(frozen=True)
class Outcome:
    job: Job
    status: str  # "done" or "failed"
    reason: str = ""
    seconds: float = 0.0
    source_stamp: Stamp | None = None
    output_stamp: Stamp | None = None
    compiled: bool = False  # this job compiled a new Processor (a cache miss)
    warnings: tuple[str, ...] = field(default=())
    staged: str = ""  # the finished output's temporary name, relative to the output folder


def init_worker() -> None:
    """Local pool initializer: the worker ends with its parent, uses one core
    (``--workers`` counts cores, as a Dask worker slot is one thread), and keeps freed
    image buffers for the next file."""
    import numba

    die_with_parent()
    numba.set_num_threads(1)
    raw.limit_decode_threads(1)
    heap.reuse_freed_buffers()


def run_job(job: Job, settings: BatchSettings, outdir: str) -> Outcome:
    """Develop or grade one input into a temporary file beside ``outdir/job.output`` (the
    Outcome's ``staged``); never raises for a bad input, it returns a failed Outcome with
    the reason."""
    start = time.perf_counter()
    compiled_before = _CACHE.compiled
    final = Path(outdir) / job.output
    target = final.with_name(f"{TEMP_PREFIX}{secrets.token_hex(4)}-{final.name}")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", LsqWarning)
        try:
            stamp = _process(job, settings, target)
            status, reason = "done", ""
        except LsqError as e:
            stamp, status, reason = None, "failed", e.problem
        except Exception as e:  # a library's own error on a bad file: still one line
            stamp, status, reason = None, "failed", f"{type(e).__name__}: {e}".splitlines()[0]
    notes = tuple(str(w.message) for w in caught if issubclass(w.category, LsqWarning))
    return Outcome(
        job, status, reason, time.perf_counter() - start,
        stamp[0] if stamp else None, stamp[1] if stamp else None,
        _CACHE.compiled > compiled_before, notes,
        target.relative_to(outdir).as_posix() if stamp else "",
    )  # fmt: skip


def _process(job: Job, settings: BatchSettings, target: Path) -> tuple[Stamp, Stamp]:
    source = Path(job.source)
    if job.kind == "unknown":
        kind = source.suffix or "no suffix"
        raise InputError(source, f"not a RAW or a clip lsquared knows ({kind})")
    source_stamp = Stamp.of(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    if job.kind == "photo":
        engine.develop_file(source, target, settings.photo_recipe, cache=_CACHE)
    else:
        recipe = settings.video_recipe
        video = recipe.video
        engine.grade_file(
            source, target, recipe, recipe.input.encoding, video.codec, video.crf, video.preset,
            cache=_CACHE, fast=video.fast,
        )  # fmt: skip
    after = os.stat(source)
    if (after.st_size, after.st_mtime_ns) != (source_stamp.size, source_stamp.mtime_ns):
        os.unlink(target)
        raise InputError(source, "the input changed while it was being processed; output removed")
    return source_stamp, Stamp.of(target)
