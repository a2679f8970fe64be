"""Batch over a card dump: simulated DNGs from two bodies, the real samples when present,
generated clips and three corrupt files; killed and resumed; run on a Dask cluster.

References: single-file ``lsq develop`` of the same input, ffprobe (FFmpeg's own count of
decoded frames), byte comparison between runs, the inputs' SHA-256 before and after.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import tifffile

from lsquared.pipeline import recipe as rc
from lsquared.simulate import simulate
from tests.conftest import make_clip, run_lsq, samples_dir, sha256

pytestmark = pytest.mark.slow

ARGS = ("--look", "warm-classic", "--input", "vlog", "--videos", "h264", "--json")
CORRUPT = ("DCIM/100_PANA/P1000099.DNG", "DCIM/101_PANA/P1010099.RW2", "PRIVATE/CLIP/C0099.MOV")


def _truncate(src: Path, dst: Path, fraction: float) -> None:
    data = src.read_bytes()
    dst.write_bytes(data[: int(len(data) * fraction)])


@pytest.fixture(scope="module")
def card(tmp_path_factory) -> Path:
    """At least 20 inputs: 8 + 6 simulated DNGs (two bodies), 3 clips (10-bit H.265 with
    audio, ProRes, 8-bit H.264), the real sample RAWs, and 3 corrupt files."""
    card = tmp_path_factory.mktemp("card")
    for folder in ("DCIM/100_PANA", "DCIM/101_PANA", "PRIVATE/CLIP"):
        (card / folder).mkdir(parents=True)
    for i in range(8):
        simulate(card / f"DCIM/100_PANA/P10000{i:02d}.DNG", width=300, height=200, seed=i)
    for i in range(6):
        simulate(
            card / f"DCIM/101_PANA/P10100{i:02d}.DNG", width=240, height=160, seed=10 + i,
            model="LUMIX S1R (lsquared simulator)", illuminant="A",
        )  # fmt: skip
    make_clip(card / "PRIVATE/CLIP/C0001.MOV", frames=8, w=192, h=108)
    make_clip(card / "PRIVATE/CLIP/C0002.MOV", frames=6, w=192, h=108, codec="prores_ks",
              pix_fmt="yuv422p10le", audio=False)  # fmt: skip
    make_clip(card / "PRIVATE/CLIP/C0003.MP4", frames=6, w=192, h=108, codec="libx264",
              pix_fmt="yuv420p", bits=8)  # fmt: skip
    for raw in sorted((samples_dir() / "raw").glob("*")) if samples_dir() else []:
        shutil.copy(raw, card / "DCIM/101_PANA" / raw.name)
    _truncate(card / "DCIM/100_PANA/P1000000.DNG", card / CORRUPT[0], 0.3)
    (card / CORRUPT[1]).write_text("this is not a raw file\n")
    _truncate(card / "PRIVATE/CLIP/C0001.MOV", card / CORRUPT[2], 0.4)
    return card


def _inputs(card: Path) -> list[Path]:
    return sorted(p for p in card.rglob("*") if p.is_file())


def _events(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


def _outputs(outdir: Path) -> dict[str, str]:
    """Every output file (not the journal, lock or report) and its SHA-256."""
    keep = {".tif", ".mp4"}
    return {
        p.relative_to(outdir).as_posix(): sha256(p)
        for p in sorted(outdir.rglob("*"))
        if p.is_file() and p.suffix in keep
    }


def _files(report: dict) -> list[dict]:
    return [{k: v for k, v in f.items() if k != "seconds"} for f in report["files"]]


def _ffprobe_frames(path: Path) -> int:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
         "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", str(path)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return int(out.strip())


@pytest.fixture(scope="module")
def uninterrupted(card, tmp_path_factory):
    """The reference run: two local workers, never interrupted."""
    before = {p: sha256(p) for p in _inputs(card)}
    out = tmp_path_factory.mktemp("batch") / "out"
    result = run_lsq("batch", card, "-o", out, "--workers", "2", *ARGS, timeout=600)
    assert {p: sha256(p) for p in _inputs(card)} == before, "an input was modified"
    return out, result


def test_mixed_card_exactly_the_corrupt_files_fail_and_all_others_are_complete(card, uninterrupted):
    out, result = uninterrupted
    assert len(_inputs(card)) >= 20
    assert result.returncode == 1, result.stderr  # some failed
    report = json.loads((out / "report.json").read_text())
    failed = {
        Path(f["input"]).relative_to(card).as_posix(): f["reason"]
        for f in report["files"]
        if f["status"] == "failed"
    }
    assert sorted(failed) == sorted(CORRUPT)
    assert all(failed.values()), failed
    assert "truncated" in failed[CORRUPT[0]] and "RAW" in failed[CORRUPT[1]], failed
    assert report["counts"] == {"done": len(_inputs(card)) - 3, "skipped": 0, "failed": 3}
    assert [e["event"] for e in _events(result.stdout)].count("failed") == 3
    for f in report["files"]:
        if f["status"] != "done":
            continue
        output, source = out / f["output"], Path(f["input"])
        if f["kind"] == "photo":
            assert tifffile.imread(output).shape[2] == 3
        else:
            assert _ffprobe_frames(output) == _ffprobe_frames(source)
    assert not list(out.rglob(".lsq-tmp-*"))
    saved = rc.loads((out / "recipe.toml").read_text().split("\n", 1)[1])
    assert saved.look.name == "warm-classic"


def test_batch_output_equals_single_file_develop(card, uninterrupted, tmp_path):
    out, _ = uninterrupted
    source = card / "DCIM/101_PANA/P1010003.DNG"
    single = tmp_path / "single.tif"
    result = run_lsq("develop", source, "-o", single, "--look", "warm-classic")
    assert result.returncode == 0, result.stderr
    assert sha256(single) == sha256(out / "P1010003.tif")


def test_processors_are_compiled_once_per_key_not_per_file(card, tmp_path, monkeypatch):
    """One worker, 14 simulated DNGs from two bodies under two lights, 3 clips of one
    size: 2 photo keys + 1 clip key (+1 per sample camera). The bake cache starts empty (a
    bake kept on disk by an earlier test would spare the clip key its compile)."""
    monkeypatch.setenv("LSQ_BAKE_CACHE", str(tmp_path / "bakes"))
    result = run_lsq(
        "batch",
        card / "DCIM",
        card / "PRIVATE",
        "-o",
        tmp_path / "one",
        "--workers",
        "1",
        *ARGS,
        timeout=600,
    )
    report = json.loads((tmp_path / "one" / "report.json").read_text())
    samples = len(list((samples_dir() / "raw").glob("*"))) if samples_dir() else 0
    assert report["counts"]["done"] >= 17, result.stderr
    assert report["run"]["processors_compiled"] == 3 + samples


def test_killed_batch_resumes_to_identical_outputs_without_redoing_finished_work(
    card, uninterrupted, tmp_path
):
    reference, _ = uninterrupted
    out = tmp_path / "out"
    cmd = [
        sys.executable,
        "-m",
        "lsquared",
        "batch",
        str(card),
        "-o",
        str(out),
        "--workers",
        "2",
        *ARGS,
    ]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True
    )
    done = 0
    deadline = time.monotonic() + 300
    for line in proc.stdout:
        done += json.loads(line)["event"] == "done"
        if done >= 6 or time.monotonic() > deadline:
            break
    os.killpg(proc.pid, signal.SIGKILL)  # the coordinator and its workers, mid-batch
    proc.wait()
    assert done >= 6
    journal = [
        json.loads(line)
        for line in (out / ".lsq-journal.jsonl").read_text().splitlines()
        if line.endswith("}")
    ]
    # an entry whose output the kill kept from its rename is not finished: it is redone
    finished = {
        e["output"]: os.stat(out / e["output"]).st_mtime_ns
        for e in journal
        if (out / e["output"]).exists()
    }
    assert len(finished) < len(_outputs(reference)), "the kill came too late to test resuming"

    result = run_lsq("batch", card, "-o", out, "--workers", "2", *ARGS, timeout=600)
    assert result.returncode == 1
    events = _events(result.stdout)
    redone = {e["output"] for e in events if e["event"] == "begin"}
    assert not redone & set(finished), "finished outputs were processed again"
    assert {e["output"] for e in events if e["event"] == "skipped"} == set(finished)
    assert all(os.stat(out / name).st_mtime_ns == ns for name, ns in finished.items())
    assert _outputs(out) == _outputs(reference)
    assert not list(out.rglob(".lsq-tmp-*"))
    report = json.loads((out / "report.json").read_text())
    assert report["counts"]["skipped"] == len(finished)
    assert report["counts"]["done"] + len(finished) == len(_outputs(reference))


def test_dask_cluster_gives_byte_identical_outputs_and_the_same_report(
    card, uninterrupted, tmp_path
):
    distributed = pytest.importorskip("distributed")
    reference, _ = uninterrupted
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        result = run_lsq(
            "batch",
            card,
            "-o",
            tmp_path / "out",
            "--scheduler",
            cluster.scheduler_address,
            *ARGS,
            timeout=600,
        )
    assert result.returncode == 1, result.stderr
    assert _outputs(tmp_path / "out") == _outputs(reference)
    dask_report = json.loads((tmp_path / "out" / "report.json").read_text())
    local_report = json.loads((reference / "report.json").read_text())
    assert dask_report["counts"] == local_report["counts"]
    assert _files(dask_report) == _files(local_report)
    assert dask_report["run"]["scheduler"] == cluster.scheduler_address


def test_usage_errors_exit_2_with_one_line(card, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "P1.DNG").write_bytes(b"x")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "P1.DNG").write_bytes(b"x")
    cases = [
        (("batch", tmp_path / "missing", "-o", tmp_path / "o"), "no such file"),
        (("batch", tmp_path / "a", tmp_path / "b", "-o", tmp_path / "o"), "would write it"),
        (("batch", card, "-o", tmp_path / "o", "--name", "{stem}_{iso}"), "unknown: iso"),
        (("batch", card, "-o", tmp_path / "o", "--videos", "vp9"), "--videos"),
        (("batch", card, "-o", tmp_path / "o", "--look", "nope"), "nope"),
    ]
    for args, message in cases:
        result = run_lsq(*args)
        assert result.returncode == 2, (args, result.stderr)
        assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1, (
            result.stderr
        )
        assert "Traceback" not in result.stderr
    assert not (tmp_path / "o").exists()
