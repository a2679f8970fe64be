"""``kill -9`` of the batch coordinator alone, as a user kills one PID: within seconds no
process it started is left (the fork server, the resource tracker, the workers), every
output in the folder is one the journal records, and a rerun completes the batch.

References: psutil's view of the process tree, the journal read as plain JSON lines.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from lsquared.simulate import simulate
from tests.conftest import make_clip, run_lsq

pytestmark = pytest.mark.slow

ARGS = ("--input", "vlog", "--videos", "h264", "--json")
SECONDS_TO_DIE = 5.0
IN_FLIGHT_S = 20.0  # more than any one job of this card takes


def _card(card: Path) -> int:
    card.mkdir()
    for i in range(3):
        simulate(card / f"P10000{i:02d}.DNG", width=480, height=320, seed=i)
    for i in range(2):
        make_clip(card / f"C000{i}.MOV", frames=24, w=320, h=180, audio=False)
    return 5


def _journalled(out: Path) -> set[str]:
    lines = (out / ".lsq-journal.jsonl").read_text().splitlines()
    return {json.loads(line)["output"] for line in lines if line.endswith("}")}


def _outputs(out: Path) -> set[str]:
    """The outputs under their final names (not the temporary files a kill leaves)."""
    return {p.name for p in out.iterdir() if p.suffix in (".tif", ".mp4") and p.name[0] != "."}


def _kill_after_first_output(card: Path, out: Path, *args: str) -> list[psutil.Process]:
    """Start ``lsq batch``, ``kill -9`` it (the coordinator only, not its process group)
    once one output is finished and others are in flight; the processes it had started."""
    cmd = [sys.executable, "-m", "lsquared", "batch", str(card), "-o", str(out), *ARGS, *args]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        start_new_session=True,
    )  # fmt: skip
    for line in proc.stdout:
        if json.loads(line)["event"] == "done":
            break
    started = psutil.Process(proc.pid).children(recursive=True)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return started


def test_kill_9_leaves_no_process_and_no_output_unknown_to_the_journal(tmp_path):
    total = _card(tmp_path / "card")
    out = tmp_path / "out"
    started = _kill_after_first_output(tmp_path / "card", out, "--workers", "2")
    _, alive = psutil.wait_procs(started, timeout=SECONDS_TO_DIE)
    for p in alive:  # leave no orphan behind this test, whatever it finds
        p.kill()
    assert len(started) >= 3, started  # fork server, resource tracker, workers
    assert not alive, f"still running {SECONDS_TO_DIE} s after the kill: {alive}"
    assert 1 <= len(_outputs(out)) < total, "the kill did not come mid-batch"
    assert _outputs(out) <= _journalled(out)

    result = run_lsq("batch", tmp_path / "card", "-o", out, *ARGS, timeout=600)
    assert result.returncode == 0, result.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["counts"]["done"] + report["counts"]["skipped"] == total
    assert report["counts"]["skipped"] >= 1
    assert len(_outputs(out)) == total and _outputs(out) == _journalled(out)
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == [".lsq-journal.jsonl"]


def test_kill_9_on_a_dask_cluster_adds_no_output_unknown_to_the_journal(tmp_path):
    """``--scheduler`` starts no process; the cluster's workers finish the jobs they were
    running after the kill, and those outputs must not appear under their names."""
    distributed = pytest.importorskip("distributed")
    total = _card(tmp_path / "card")
    out = tmp_path / "out"
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        started = _kill_after_first_output(
            tmp_path / "card", out, "--scheduler", cluster.scheduler_address
        )
        time.sleep(IN_FLIGHT_S)  # the workers finish what they were running
    assert started == []
    assert 1 <= len(_outputs(out)) < total, "the kill did not come mid-batch"
    assert _outputs(out) <= _journalled(out)
