"""io.video timecode arithmetic (SMPTE ST 12-1 non-drop-frame counting)."""

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from lsquared.io.video import shifted_timecode


def test_timecode_moves_by_whole_frames_and_wraps_at_24_hours():
    assert shifted_timecode("01:00:00:00", Fraction(25), 0.0) == "01:00:00:00"
    assert shifted_timecode("01:00:59:24", Fraction(25), 0.04) == "01:01:00:00"
    assert shifted_timecode("23:59:59:23", Fraction(24), 1 / 24) == "00:00:00:00"
    assert shifted_timecode("00:00:10:00", Fraction(30000, 1001), 1.0) == "00:00:11:00"


def test_drop_frame_timecode_is_not_moved_by_guesswork():
    assert shifted_timecode("01:00:00;00", Fraction(30000, 1001), 0.0) == "01:00:00;00"
    assert shifted_timecode("01:00:00;00", Fraction(30000, 1001), 2.0) is None


def test_a_malformed_timecode_tag_is_dropped_not_raised():
    for tag in ("", "01:00:00", "aa:bb:cc:dd", "01:00:00:00:00", "１２:00:00:00"):
        assert shifted_timecode(tag, Fraction(24), 1.0) is None


@given(
    st.text(max_size=20), st.floats(0, 1e4), st.sampled_from([Fraction(24), Fraction(30000, 1001)])
)
def test_any_tag_text_gives_a_timecode_or_none(tag, start, rate):
    """The tag is outside bytes: whatever it holds, the answer is a timecode or None."""
    result = shifted_timecode(tag, rate, start)
    assert result is None or isinstance(result, str)
