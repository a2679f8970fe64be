"""A fast sample of the fuzz campaign in the default test run: the seeds are valid, and a
few mutated cases of every parser end in a result or one clean error."""

from __future__ import annotations

import pytest

from tests.fuzz import seeds
from tests.fuzz.campaign import run
from tests.fuzz.targets import TARGETS, run_case


def _seed(target) -> bytes:
    return {
        "cube": lambda: seeds.cube_text().encode(),
        "vlt": lambda: seeds.vlt_text().encode(),
        "recipe": lambda: seeds.RECIPE.encode(),
        "lensfun-xml": lambda: seeds.LENSFUN_XML.encode(),
        "dng-opcodes": seeds.opcode_bytes,
        "rw2-distortion": lambda: seeds.rw2_blob(seeds.RW2_VALUES),
        "exif-rationals": lambda: b"7546/10000 -1435/10000 3",
        "raw-metadata": seeds.dng_bytes,
        "raw-decode": seeds.dng_bytes,
        "mp4": lambda: seeds.clip_bytes(".mp4"),
        "mov": lambda: seeds.clip_bytes(".mov"),
    }[target.name]()


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.name)
def test_seed_parses(target, tmp_path):
    """Mutations start from inputs the parser accepts, so they reach its deeper checks."""
    pytest.importorskip("lensfunpy")
    outcome = run_case(target, _seed(target), tmp_path)
    assert outcome.status == "ok", outcome.detail


def test_opcode_seed_matches_the_writer():
    from lsquared.io import opcodes

    ops = opcodes.decode(seeds.opcode_bytes())
    assert opcodes.encode(ops) == seeds.opcode_bytes()
    assert ops[0].params["planes"][0][:2] == (1.0, 0.01)


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.name)
def test_fuzz_sample(target):
    pytest.importorskip("lensfunpy")
    summary = run(target.name, 12, seed=1)
    assert summary.cases >= 1
    assert not summary.failures, summary.failures
