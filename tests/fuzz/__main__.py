"""``python -m tests.fuzz --cases N [--jobs J] [--only NAME ...]``: N cases spread over the
parsers, in J processes; prints cases, clean errors, mean and slowest case per parser and
every failure (its input kept in ``--keep``). Exit 1 when anything failed."""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from tests.fuzz.campaign import Summary, run
from tests.fuzz.targets import TARGETS

CHUNK = 250  # cases per task handed to a worker process


def _tasks(names: list[str], cases: int, seed: int) -> list[tuple[str, int, int]]:
    per = max(1, cases // len(names))
    tasks = []
    for name in names:
        for n, start in enumerate(range(0, per, CHUNK)):
            tasks.append((name, min(CHUNK, per - start), seed * 1_000_003 + n))
    return tasks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__)
    parser.add_argument("--cases", type=int, default=1000, help="total cases (default 1000)")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", nargs="*", choices=[t.name for t in TARGETS])
    parser.add_argument("--keep", type=Path, default=Path("fuzz-failures"))
    args = parser.parse_args(argv)
    names = args.only or [t.name for t in TARGETS]
    start = time.perf_counter()
    totals = {name: Summary(name) for name in names}
    with ProcessPoolExecutor(args.jobs) as pool:
        futures = [
            pool.submit(run, *task, args.keep) for task in _tasks(names, args.cases, args.seed)
        ]
        for future in futures:
            part = future.result()
            totals[part.target].merge(part)
    print(f"{'parser':16s} {'cases':>8s} {'errors':>8s} {'mean ms':>8s} {'slowest s':>9s} "
          f"{'failures':>8s}")  # fmt: skip
    for s in totals.values():
        mean = 1000 * s.seconds / max(s.cases, 1)
        print(f"{s.target:16s} {s.cases:8d} {s.errors:8d} {mean:8.1f} {s.slowest:9.2f} "
              f"{len(s.failures):8d}")  # fmt: skip
    failures = [(s.target, f) for s in totals.values() for f in s.failures]
    for target, failure in failures:
        print(f"FAIL {target}: {failure}")
    cases = sum(s.cases for s in totals.values())
    print(f"{cases} cases, {len(failures)} failures, {time.perf_counter() - start:.0f} s "
          f"with {args.jobs} process(es)")  # fmt: skip
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
