"""Transfer functions against their published tables (doctests) and colour-science."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

from lsquared.color import camera, icc, scene, spaces, transfer
from lsquared.color._colour import colour


@pytest.mark.parametrize("module", [transfer, spaces, camera, scene, icc])
def test_doctests_reproduce_published_values(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


X = np.concatenate([np.linspace(0, 1, 2001), np.geomspace(1e-6, 16, 500)])

COLOUR_PAIRS = {
    "srgb": (lambda c, x: c.cctf_encoding(x, "sRGB"), lambda c, v: c.cctf_decoding(v, "sRGB")),
    "rec709": (lambda c, x: c.models.oetf_BT709(x), lambda c, v: c.models.oetf_inverse_BT709(v)),
    "vlog": (
        lambda c, x: c.models.log_encoding_VLog(x),
        lambda c, v: c.models.log_decoding_VLog(v),
    ),
    "llog": (
        lambda c, x: c.models.log_encoding_LLog(x),
        lambda c, v: c.models.log_decoding_LLog(v),
    ),
    "acescct": (
        lambda c, x: c.models.log_encoding_ACEScct(x),
        lambda c, v: c.models.log_decoding_ACEScct(v),
    ),
    "hlg": (
        lambda c, x: c.models.oetf_BT2100_HLG(x),
        lambda c, v: c.models.oetf_inverse_BT2100_HLG(v),
    ),
}


@pytest.mark.parametrize("name", sorted(COLOUR_PAIRS))
def test_agrees_with_colour_science(name):
    encode, decode = transfer.TRANSFER_FUNCTIONS[name]
    ref_encode, ref_decode = COLOUR_PAIRS[name]
    c = colour()
    x = X[X <= 1] if name == "hlg" else X
    np.testing.assert_allclose(encode(x), ref_encode(c, x), atol=2e-7)
    v = encode(x)
    np.testing.assert_allclose(decode(v), ref_decode(c, v), atol=2e-7, rtol=1e-7)


def test_pq_agrees_with_colour_science_st2084():
    c = colour()
    nits = np.geomspace(0.01, 10000, 300)
    np.testing.assert_allclose(
        transfer.pq_encode(nits / 100), c.models.eotf_inverse_ST2084(nits), atol=1e-7
    )


@pytest.mark.parametrize("name", ["srgb", "rec709", "bt1886", "vlog", "acescct", "pq", "hlg"])
def test_decode_inverts_encode(name):
    encode, decode = transfer.TRANSFER_FUNCTIONS[name]
    x = X[X <= 1] if name == "hlg" else X
    # V-Log's published segments meet to within 6e-8 at its cut, hence atol 1e-7
    np.testing.assert_allclose(decode(encode(x)), x, rtol=1e-9, atol=1e-7)


def test_llog_inverse_is_exact_outside_its_published_gap():
    x = X
    gap = (x > transfer.LLOG_CUT1) & (transfer.llog_encode(x) <= transfer.LLOG_CUT2)
    np.testing.assert_allclose(
        transfer.llog_decode(transfer.llog_encode(x[~gap])), x[~gap], rtol=1e-9, atol=1e-12
    )
    # the published step at the break: the log segment starts ~0.9 10-bit codes below 0.138
    step = transfer.LLOG_CUT2 - transfer.llog_encode(np.nextafter(transfer.LLOG_CUT1, 1))
    assert 0.0008 < step < 0.001


def test_tone_curve_keeps_grey_and_rolls_off_monotonically():
    x = np.geomspace(1e-4, 1e4, 2000)
    y = transfer.tone_curve(x)
    assert np.all(np.diff(y) > 0) and y[-1] < 1.0
    assert transfer.tone_curve(0.18) == pytest.approx(0.18, abs=1e-12)
