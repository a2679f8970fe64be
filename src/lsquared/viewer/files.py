"""What the viewer may read: the files and folders named on the command line, nothing else.

Each readable file gets an opaque id; the API takes only ids, never paths, so a request
cannot name a file (``../``, absolute paths). A folder lists its own regular files whose
real path stays inside the folder's real path (a symlink out of it is left out).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lsquared.batch.plan import VIDEO_SUFFIXES
from lsquared.engine import STILL_SUFFIXES
from lsquared.errors import InputError
from lsquared.io.raw import RAW_SUFFIXES
from lsquared.looks.files import FORMATS as LUT_SUFFIXES

KINDS = ("raw", "still", "clip", "lut")


@dataclass(frozen=True)
class Entry:
    id: str
    path: Path  # the real path, resolved once
    kind: str  # one of KINDS

    def describe(self) -> dict:
        return {"id": self.id, "name": self.path.name, "kind": self.kind}


def kind_of(path: Path) -> str | None:
    """raw, still, clip or lut by suffix; None for a file the viewer does not show."""
    suffix = path.suffix.lower()
    if suffix in RAW_SUFFIXES:
        return "raw"
    if suffix in STILL_SUFFIXES:
        return "still"
    if suffix in VIDEO_SUFFIXES:
        return "clip"
    return "lut" if suffix in LUT_SUFFIXES else None


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _folder_files(folder: Path) -> list[Path]:
    real = folder.resolve()
    found = []
    for child in sorted(folder.iterdir()):
        if child.name.startswith(".") or kind_of(child) is None:
            continue
        target = child.resolve()
        if _inside(target, real) and target.is_file():
            found.append(target)
    return found


def collect(paths: list[Path]) -> list[Entry]:
    """The entries for the command line's paths, in order, each real file once; an unknown
    or missing named file is an :class:`InputError`."""
    real_files: list[Path] = []
    for path in paths:
        if path.is_dir():
            real_files += _folder_files(path)
        elif not path.is_file():
            raise InputError(path, "file not found")
        elif kind_of(path) is None:
            raise InputError(path, f"unknown file type {path.suffix or '(none)'}")
        else:
            real_files.append(path.resolve())
    unique = list(dict.fromkeys(real_files))
    return [Entry(f"f{n}", p, kind_of(p) or "") for n, p in enumerate(unique)]
