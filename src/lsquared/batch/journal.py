"""The batch journal: which outputs are finished, made from which input bytes, recipe and
lsquared version, so that a rerun skips them and redoes what changed.

``OUTDIR/.lsq-journal.jsonl`` holds one JSON object per finished output, appended and
flushed to disk after the output was renamed into place; the last entry for an output wins
and a line cut short by a kill is ignored. Hashes are SHA-256 (FIPS 180-4). An input or
output whose size and modification time equal the journal's is taken to hold the hashed
bytes (as rsync and make do); otherwise it is hashed again.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from lsquared.errors import OutputError

JOURNAL_NAME = ".lsq-journal.jsonl"
LOCK_NAME = ".lsq-batch.lock"


def file_sha256(path: str | Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Stamp:
    """A file's identity: its bytes' hash, and the size and mtime it had when hashed."""

    sha256: str
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, path: str | Path) -> Stamp:
        st = os.stat(path)
        return cls(file_sha256(path), st.st_size, st.st_mtime_ns)

    def matches(self, path: str | Path) -> bool:
        """Does ``path`` still hold these bytes?"""
        try:
            st = os.stat(path)
        except OSError:
            return False
        if st.st_size != self.size:
            return False
        return st.st_mtime_ns == self.mtime_ns or file_sha256(path) == self.sha256


@dataclass(frozen=True)
class Entry:
    output: str  # relative to the output folder
    source: str
    source_stamp: Stamp
    output_stamp: Stamp
    settings_sha256: str
    version: str

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, line: str) -> Entry:
        d = json.loads(line)
        return cls(
            d["output"], d["source"], Stamp(**d["source_stamp"]), Stamp(**d["output_stamp"]),
            d["settings_sha256"], d["version"],
        )  # fmt: skip


class Journal:
    """The finished outputs of an output folder (see the module docstring)."""

    def __init__(self, outdir: Path) -> None:
        self.path = outdir / JOURNAL_NAME
        self.entries: dict[str, Entry] = {}
        text = self.path.read_text(errors="replace") if self.path.exists() else ""
        for line in text.splitlines():
            with contextlib.suppress(ValueError, KeyError, TypeError):
                entry = Entry.from_json(line)
                self.entries[entry.output] = entry
        if text and not text.endswith("\n"):  # a kill cut the last line: end it
            with open(self.path, "a", encoding="utf-8") as f:
                f.write("\n")

    def is_done(self, output: str, source: str, settings_sha256: str, version: str) -> bool:
        """Is ``output`` finished from this input's current bytes, these settings and this
        version, and still intact?"""
        entry = self.entries.get(output)
        return (
            entry is not None
            and entry.settings_sha256 == settings_sha256
            and entry.version == version
            and entry.source_stamp.matches(source)
            and entry.output_stamp.matches(self.path.parent / output)
        )

    def record(self, entry: Entry) -> None:
        """Append one finished output and flush it to disk."""
        self.entries[entry.output] = entry
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(entry.to_json() + "\n")
            f.flush()
            os.fsync(f.fileno())


@contextlib.contextmanager
def exclusive(outdir: Path) -> Iterator[None]:
    """Hold the output folder's batch lock: two batches never write one folder at once.

    The lock is ``flock(2)`` on ``OUTDIR/.lsq-batch.lock``, removed again when the batch
    ends (a kill leaves it, and the next batch takes it over). Removing a lock file races
    with a batch that opened it just before: that batch then holds a lock on a file no
    longer in the folder. So after locking, the file locked must still be the one at the
    path; if not, it is opened again.
    """
    path = outdir / LOCK_NAME
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise OutputError(outdir, "another lsq batch is writing to this folder") from None
        if _same_inode(fd, path):
            break
        os.close(fd)  # the batch before us removed it between our open and lock
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            path.unlink()  # still locked: nobody can have locked the file at the path now
        os.close(fd)


def _same_inode(fd: int, path: Path) -> bool:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (held.st_dev, held.st_ino) == (st.st_dev, st.st_ino)
