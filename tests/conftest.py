"""Shared fixtures: the real samples (skipped when LSQ_SAMPLES is unset), simulated DNGs,
the CLI run as a user runs it, and file hashes to prove inputs stay unchanged."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest


def samples_dir() -> Path | None:
    value = os.environ.get("LSQ_SAMPLES")
    return Path(value) if value and Path(value).is_dir() else None


@pytest.fixture
def samples() -> Path:
    folder = samples_dir()
    if folder is None:
        pytest.skip("LSQ_SAMPLES is not set (real sample files)")
    return folder


def sample_raws() -> list[Path]:
    """Every developable RAW under $LSQ_SAMPLES/raw (header-only files are elsewhere)."""
    folder = samples_dir()
    if folder is None:
        return []
    return sorted(p for p in (folder / "raw").rglob("*") if p.is_file())


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture(scope="session")
def sim_dng(tmp_path_factory):
    """A simulated D65 chart DNG (600 x 400) and its truth, shared by a session."""
    from lsquared.simulate import simulate

    path = tmp_path_factory.mktemp("sim") / "chart.dng"
    return simulate(path, width=600, height=400)


def run_lsq(
    *args: str, cwd: Path | None = None, timeout: float = 300
) -> subprocess.CompletedProcess:
    """Run ``lsq`` as a user would, in a separate process."""
    return subprocess.run(
        [sys.executable, "-m", "lsquared", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        check=False,
    )
