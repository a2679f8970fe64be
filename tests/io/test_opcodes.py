"""io.opcodes: every opcode of DNG 1.7.1 chapter 7 parses from bytes packed here from the
specification (not by the module's own encoder) and applies; a wrong length, an area outside
the image, a non-finite gain or any random or mutated list is a clear ``LsqError``, never a
crash (hypothesis); opcodes lsquared cannot apply warn when optional and fail otherwise."""

from __future__ import annotations

import struct
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lsquared.errors import InputError, LsqError, LsqWarning, UnsupportedError
from lsquared.io import opcodes
from tests import dngfiles as d

H, W = 24, 32


def _params() -> dict[int, bytes]:
    """Valid parameters for each opcode ID, for a 24 x 32 image (DNG 1.7.1, 7.2-7.3)."""
    box = d.area(2, 4, H, W, 0, 1, 1, 2)
    return {
        1: d.warp_rectilinear([(1.0, 0.0, 0.01, 0.0, 0.0, 0.0)] * 3, (0.5, 0.5)),
        3: struct.pack(">7d", 0.1, 0.01, 0, 0, 0, 0.5, 0.5),
        4: struct.pack(">2I", 0, 1),
        5: struct.pack(">3I2I4I", 1, 1, 1, 5, 6, 10, 10, 12, 14),
        6: struct.pack(">4I", 1, 2, H - 1, W - 2),
        7: box + struct.pack(">I4H", 4, 0, 20000, 40000, 65535),
        8: box + struct.pack(">I3d", 2, 0.0, 1.1, -0.1),
        9: d.gain_map(box, np.full((3, 4), 1.2)),
        10: box + struct.pack(f">I{H - 2}f", H - 2, *np.full(H - 2, 30.0)),
        11: box + struct.pack(f">I{(W - 4) // 2}f", (W - 4) // 2, *np.full((W - 4) // 2, -30.0)),
        12: box + struct.pack(f">I{H - 2}f", H - 2, *np.full(H - 2, 0.9)),
        13: box + struct.pack(f">I{(W - 4) // 2}f", (W - 4) // 2, *np.full((W - 4) // 2, 1.1)),
        14: struct.pack(">I", 1)
        + struct.pack(">15d", 1.0, 0, 0.01, *[0.0] * 12)
        + struct.pack(">4d", 0, 0, 0, 1)
        + struct.pack(">2dI", 0.5, 0.5, 0),
    }


PARAMS = _params()
#: where each opcode can be applied (list number): bad pixels before demosaic, warps in 3
LIST_OF = {1: 3, 3: 2, 4: 1, 5: 1, 14: 3}


def _image(planes: int = 1) -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.uniform(0.05, 0.6, (H, W, planes)).astype(np.float32)


@pytest.mark.parametrize("op_id", sorted(PARAMS))
def test_every_opcode_parses_and_applies(op_id):
    (op,) = opcodes.decode(d.opcode_list(d.opcode(op_id, PARAMS[op_id])))
    assert op.id == op_id and isinstance(op.params, dict)
    list_number = LIST_OF.get(op_id, 2)
    (kept,) = opcodes.usable([op], list_number, "test")
    if op_id in opcodes.LENS_IDS and list_number == 3:
        return  # the lens stage applies these (tests/integration/s0008)
    image = _image()
    image[5, 7] = 0.0  # FixBadPixelsConstant's marker (constant 0)
    before = image.copy()
    out = opcodes.apply_list(image, [kept], "test", 65535.0, list_number)
    assert out.dtype == np.float32 and np.all(np.isfinite(out))
    assert out.min() >= 0 and out.max() <= 1
    assert out.shape != before.shape or np.abs(out - before).max() > 0  # it did something


@pytest.mark.parametrize("op_id", sorted(PARAMS))
@pytest.mark.parametrize("change", [-4, -1, 1, 8])
def test_a_wrong_parameter_length_is_an_input_error(op_id, change):
    params = PARAMS[op_id]
    params = params[:change] if change < 0 else params + bytes(change)
    with pytest.raises(InputError):
        opcodes.decode(d.opcode_list(d.opcode(op_id, params)))


@pytest.mark.parametrize("op_id", [7, 8, 9, 10, 11, 12, 13])
def test_an_area_outside_the_image_is_an_input_error(op_id):
    (op,) = opcodes.decode(d.opcode_list(d.opcode(op_id, PARAMS[op_id])))
    with pytest.raises(InputError, match="outside"):
        opcodes.apply_list(np.zeros((H - 4, W, 1), np.float32), [op], "small.dng")


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -1.0])
def test_non_finite_or_negative_gains_are_an_input_error(bad):
    gains = np.full((3, 4), 1.0)
    gains[1, 2] = bad
    record = d.opcode(9, d.gain_map(d.area(0, 0, H, W), gains))
    with pytest.raises(InputError, match="GainMap"):
        opcodes.decode(d.opcode_list(record), "nan.dng")


def test_nan_warp_coefficients_are_an_input_error():
    params = d.warp_rectilinear([(1.0, float("nan"), 0, 0, 0, 0)])
    with pytest.raises(InputError, match="not finite"):
        opcodes.decode(d.opcode_list(d.opcode(1, params)))


def test_a_non_optional_unknown_opcode_is_an_error_naming_it():
    ops = opcodes.decode(d.opcode_list(d.opcode(99, b"\x00" * 8)))
    with pytest.raises(UnsupportedError, match="opcode 99"):
        opcodes.usable(ops, 3, "file.dng")


def test_an_optional_unknown_opcode_is_skipped_with_a_warning():
    ops = opcodes.decode(d.opcode_list(d.opcode(99, b"", optional=True), d.opcode(12, PARAMS[12])))
    with pytest.warns(LsqWarning, match="opcode 99 skipped"):
        kept = opcodes.usable(ops, 2, "file.dng")
    assert [op.id for op in kept] == [12]


def test_a_warp_outside_list_3_and_a_fisheye_are_refused():
    warp = opcodes.decode(d.opcode_list(d.opcode(1, PARAMS[1])))
    with pytest.raises(UnsupportedError, match="WarpRectilinear"):
        opcodes.usable(warp, 2, "file.dng")
    fisheye = d.opcode(2, struct.pack(">I4d2d", 1, 1, 0, 0, 0, 0.5, 0.5), optional=True)
    with pytest.warns(LsqWarning, match="WarpFisheye"):
        assert opcodes.usable(opcodes.decode(d.opcode_list(fisheye)), 3, "f.dng") == ()


def _apply_all(data: bytes, planes: int) -> None:
    """Decode, keep what is usable in list 2 (or 3), apply: LsqError or success only."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LsqWarning)
        try:
            ops = opcodes.decode(data, "fuzz.dng")
            kept = opcodes.usable(ops, 2 if planes == 1 else 3, "fuzz.dng", planes == 1)
            kept = [op for op in kept if op.id not in opcodes.LENS_IDS]
            out = opcodes.apply_list(_image(planes), kept, "fuzz.dng")
        except LsqError:
            return
    assert np.all(np.isfinite(out))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ids=st.lists(st.sampled_from([*sorted(PARAMS), 2, 15, 99]), min_size=1, max_size=4),
    cut=st.integers(0, 40),
    flips=st.lists(st.tuples(st.integers(0, 400), st.integers(0, 255)), max_size=4),
    planes=st.sampled_from([1, 3]),
)
def test_mutated_opcode_lists_never_crash(ids, cut, flips, planes):
    data = bytearray(d.opcode_list(*(d.opcode(i, PARAMS.get(i, b"\x00" * 16)) for i in ids)))
    for pos, byte in flips:
        if pos < len(data):
            data[pos] = byte
    if cut:
        data = data[:-cut]
    _apply_all(bytes(data), planes)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300), st.sampled_from([1, 3]))
def test_random_bytes_never_crash(data, planes):
    _apply_all(data, planes)
