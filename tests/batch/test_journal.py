"""The batch journal: finished outputs are recognised only while input, settings, version
and the output itself are unchanged; a line cut short by a kill is ignored."""

from __future__ import annotations

import hashlib
import os

import pytest

from lsquared.batch.journal import LOCK_NAME, Entry, Journal, Stamp, exclusive
from lsquared.errors import OutputError


def _finished(tmp_path):
    src, out = tmp_path / "in.dng", tmp_path / "out"
    out.mkdir()
    src.write_bytes(b"raw bytes")
    (out / "in.tif").write_bytes(b"developed")
    journal = Journal(out)
    journal.record(Entry("in.tif", str(src), Stamp.of(src), Stamp.of(out / "in.tif"), "s1", "v1"))
    return src, out


def test_stamp_hash_is_sha256_of_the_bytes(tmp_path):
    (tmp_path / "f").write_bytes(b"abc")
    assert Stamp.of(tmp_path / "f").sha256 == hashlib.sha256(b"abc").hexdigest()


def test_done_until_input_settings_version_or_output_change(tmp_path):
    src, out = _finished(tmp_path)
    assert Journal(out).is_done("in.tif", str(src), "s1", "v1")
    assert not Journal(out).is_done("in.tif", str(src), "s2", "v1")
    assert not Journal(out).is_done("in.tif", str(src), "s1", "v2")
    assert not Journal(out).is_done("other.tif", str(src), "s1", "v1")
    os.utime(src, ns=(1, 1))  # touched, same bytes: still done (rehashed)
    assert Journal(out).is_done("in.tif", str(src), "s1", "v1")
    src.write_bytes(b"RAW BYTES")  # same size, new bytes
    assert not Journal(out).is_done("in.tif", str(src), "s1", "v1")


def test_truncated_or_removed_output_is_not_done(tmp_path):
    src, out = _finished(tmp_path)
    (out / "in.tif").write_bytes(b"develop")
    assert not Journal(out).is_done("in.tif", str(src), "s1", "v1")
    (out / "in.tif").unlink()
    assert not Journal(out).is_done("in.tif", str(src), "s1", "v1")


def test_a_line_cut_by_a_kill_is_ignored_and_later_entries_still_read(tmp_path):
    src, out = _finished(tmp_path)
    path = out / ".lsq-journal.jsonl"
    line = path.read_text()
    path.write_text(line + line[: len(line) // 2])
    journal = Journal(out)
    assert journal.is_done("in.tif", str(src), "s1", "v1")
    (out / "b.tif").write_bytes(b"b")
    journal.record(Entry("b.tif", str(src), Stamp.of(src), Stamp.of(out / "b.tif"), "s1", "v1"))
    assert Journal(out).is_done("b.tif", str(src), "s1", "v1")


def test_the_lock_excludes_a_second_batch_and_is_removed_when_the_batch_ends(tmp_path):
    with exclusive(tmp_path):
        assert (tmp_path / LOCK_NAME).exists()
        with pytest.raises(OutputError, match="another lsq batch"), exclusive(tmp_path):
            pass
    assert not (tmp_path / LOCK_NAME).exists()
    (tmp_path / LOCK_NAME).write_text("")  # left by a killed batch: unlocked, taken over
    with exclusive(tmp_path):
        pass
    assert list(tmp_path.iterdir()) == []


def test_a_lock_file_removed_between_open_and_lock_is_opened_again(tmp_path, monkeypatch):
    """The race of removing a lock file: this batch opens it, the batch that held it
    removes it and ends, this batch locks the removed file. It must not take that as the
    lock (a third batch could lock a new file at the path at the same time): it opens the
    path again."""
    path, real_open, opened = tmp_path / LOCK_NAME, os.open, []

    def open_and_lose_the_race(name, flags, mode=0o777):
        fd = real_open(name, flags, mode)
        if not opened:
            os.unlink(name)  # the batch before removes it between our open and our lock
        opened.append(name)
        return fd

    monkeypatch.setattr(os, "open", open_and_lose_the_race)
    with exclusive(tmp_path):
        monkeypatch.undo()
        assert path.exists() and len(opened) == 2
    assert not path.exists()
