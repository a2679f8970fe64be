"""Parsers of outside bytes: random and mutated input parses or raises the module's error."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lsquared.errors import InputError
from lsquared.io import opcodes

VALID = opcodes.encode(
    [
        opcodes.warp_rectilinear([(1.0, 0.01, -0.002, 0.0)] * 3),
        opcodes.fix_vignette_radial((0.3, 0.1, 0.0, 0.0, 0.0)),
    ]
)


def test_opcodes_round_trip():
    ops = opcodes.decode(VALID)
    assert [o.name for o in ops] == ["WarpRectilinear", "FixVignetteRadial"]
    assert ops[0].params["planes"][1][:4] == (1.0, 0.01, -0.002, 0.0)
    assert opcodes.encode(ops) == VALID


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes(data):
    try:
        opcodes.decode(data, "x.dng OpcodeList3")
    except InputError as e:
        assert "x.dng" in str(e)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, len(VALID) - 1), st.integers(0, 255), st.integers(0, len(VALID)))
def test_mutated_and_truncated(pos, byte, cut):
    data = bytearray(VALID)
    data[pos] = byte
    with contextlib.suppress(InputError):
        opcodes.decode(bytes(data[:cut]), "x")


def test_truncation_names_the_offset():
    with pytest.raises(InputError, match="truncated at byte"):
        opcodes.decode(VALID[:30], "x")


@pytest.fixture(scope="module")
def small_dng(tmp_path_factory):
    from lsquared.simulate import simulate

    return simulate(tmp_path_factory.mktemp("fz") / "s.dng", width=120, height=80).path


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 1999), st.integers(0, 255)), min_size=1, max_size=6),
    st.sampled_from([None, 0.9, 0.5, 0.1]),
)
def test_mutated_dng_header_decodes_or_raises_lsq_error(small_dng, tmp_path_factory, edits, keep):
    """TIFF/DNG headers (LibRaw and Exiv2 parse them): mutated or truncated files either
    decode or raise an LsqError naming the file, never another exception."""
    from lsquared.errors import LsqError
    from lsquared.io.raw import read_raw

    data = bytearray(small_dng.read_bytes())
    for pos, byte in edits:
        data[pos] = byte
    if keep is not None:
        data = data[: int(len(data) * keep)]
    path = tmp_path_factory.mktemp("m") / "m.dng"
    path.write_bytes(bytes(data))
    try:
        image = read_raw(path)
    except LsqError as e:
        assert str(path) in str(e)
    else:
        assert image.pixels.shape[2] == 3
