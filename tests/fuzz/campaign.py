"""Run fuzz cases of the targets with hypothesis and gather a summary."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed

from tests.fuzz.targets import BY_NAME, Outcome, run_case


@dataclass
class Summary:
    """What a batch of cases of one target found."""

    target: str
    cases: int = 0
    errors: int = 0  # clean one-line LsqErrors
    seconds: float = 0.0
    slowest: float = 0.0
    failures: list[str] = field(default_factory=list)

    def add(self, outcome: Outcome, saved: Path | None) -> None:
        self.cases += 1
        self.errors += outcome.status == "error"
        self.seconds += outcome.seconds
        self.slowest = max(self.slowest, outcome.seconds)
        if outcome.status == "failure":
            self.failures.append(f"{outcome.detail} (input: {saved})")

    def merge(self, other: Summary) -> None:
        self.cases += other.cases
        self.errors += other.errors
        self.seconds += other.seconds
        self.slowest = max(self.slowest, other.slowest)
        self.failures += other.failures


@contextlib.contextmanager
def _native_stderr_quiet() -> Iterator[None]:
    """Keep what C libraries print about bad input (Exiv2, lensfun, FFmpeg) out of the
    campaign's report; the cases' outcomes are judged from exceptions, not from that."""
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def run(target_name: str, cases: int, seed: int, keep: Path | None = None) -> Summary:
    """``cases`` hypothesis-generated cases of one target (random generation only: no
    example database, no shrinking, so a failure is kept as found, under ``keep``)."""
    target = BY_NAME[target_name]
    summary = Summary(target_name)
    strategy = target.strategy()
    with tempfile.TemporaryDirectory(prefix="lsq-fuzz-") as work, _native_stderr_quiet():

        @hypothesis_seed(seed)
        @settings(
            max_examples=cases,
            database=None,
            deadline=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(strategy)
        def case(data: bytes) -> None:
            outcome = run_case(target, data, Path(work))
            saved = None
            if outcome.status == "failure" and keep is not None:
                keep.mkdir(parents=True, exist_ok=True)
                name = hashlib.sha256(data).hexdigest()[:16]
                saved = keep / f"{target_name}-{name}{target.suffix}"
                saved.write_bytes(data)
            summary.add(outcome, saved)

        case()
    return summary
