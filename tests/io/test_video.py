"""io.video timecode arithmetic (SMPTE ST 12-1 non-drop-frame counting)."""

from fractions import Fraction

from lsquared.io.video import shifted_timecode


def test_timecode_moves_by_whole_frames_and_wraps_at_24_hours():
    assert shifted_timecode("01:00:00:00", Fraction(25), 0.0) == "01:00:00:00"
    assert shifted_timecode("01:00:59:24", Fraction(25), 0.04) == "01:01:00:00"
    assert shifted_timecode("23:59:59:23", Fraction(24), 1 / 24) == "00:00:00:00"
    assert shifted_timecode("00:00:10:00", Fraction(30000, 1001), 1.0) == "00:00:11:00"


def test_drop_frame_timecode_is_not_moved_by_guesswork():
    assert shifted_timecode("01:00:00;00", Fraction(30000, 1001), 0.0) == "01:00:00;00"
    assert shifted_timecode("01:00:00;00", Fraction(30000, 1001), 2.0) is None
