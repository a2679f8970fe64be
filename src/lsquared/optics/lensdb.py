"""The lens database: lensfun's, as bundled with lensfunpy, plus upstream databases that
``lsq lens import-db`` converts into the user's data folder.

lensfunpy bundles lensfun 0.3.4, which reads database version 1. Upstream lensfun ships
version 2; lensfun's own converter (``tools/update_database/generate_database_tarballs.py``,
class ``From2To1``) only rewrites the ``version`` attribute, and we do the same, also dropping
the one version-2 attribute lensfun 0.3.4 refuses (``real-focal`` on ``<distortion>``; the
nominal focal length is what 0.3.4 interpolates on). The database is CC BY-SA 3.0 (the lensfun
contributors); an ATTRIBUTION file is written beside the imported files.
"""

from __future__ import annotations

import functools
import os
import re
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from lsquared.errors import LensError
from lsquared.io.atomic import atomic_output
from lsquared.io.native import native_stderr_silenced

MOUNT_ALIASES = {"L": "Leica L", "M": "Leica M", "MFT": "Micro 4/3 System"}
ATTRIBUTION = """Lens profiles from the lensfun database (https://lensfun.github.io),
by the lensfun contributors, licensed under Creative Commons Attribution-Share Alike 3.0
(CC BY-SA 3.0). Imported by lsquared from {source}: converted from database version 2 to 1
(version attribute set to 1; the version-2 attribute real-focal removed).
"""


def data_dir() -> Path:
    """The user's lsquared data folder: $LSQ_DATA_DIR, else $XDG_DATA_HOME/lsquared."""
    if os.environ.get("LSQ_DATA_DIR"):
        return Path(os.environ["LSQ_DATA_DIR"])
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "lsquared"


def user_db_dir() -> Path:
    return data_dir() / "lensfun"


def _lensfunpy():
    import lensfunpy

    return lensfunpy


@dataclass(frozen=True)
class ImportReport:
    files: int
    lenses: int
    folder: Path


def convert_v2_to_v1(path: Path) -> bytes:
    """One upstream XML file as lensfun 0.3.4 reads it; LensError names file and line."""
    try:
        tree = ET.parse(path)
    except ET.ParseError as e:
        line = e.position[0] if e.position else "?"
        raise LensError(
            path, f"line {line}: malformed lensfun XML ({e.msg if hasattr(e, 'msg') else e})"
        ) from None
    except OSError as e:
        raise LensError(path, f"cannot read: {e.strerror}") from None
    root = tree.getroot()
    if root.tag != "lensdatabase":
        raise LensError(path, f"line 1: not a lensfun database (root element <{root.tag}>)")
    version = int(root.get("version", "0") or 0)
    if version > 2:
        raise LensError(path, f"line 1: lensfun database version {version} is newer than 2")
    root.set("version", "1")
    for distortion in root.iter("distortion"):
        distortion.attrib.pop("real-focal", None)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def import_db(source: str | Path) -> ImportReport:
    """Convert every ``*.xml`` of an upstream lensfun database folder into the user's data
    folder (atomically, file by file), then check that lensfun loads the result."""
    source = Path(source)
    if not source.is_dir():
        raise LensError(source, "not a folder of lensfun XML files")
    files = sorted(source.glob("*.xml"))
    if not files:
        raise LensError(source, "no *.xml files: not a lensfun database folder")
    converted = {f.name: convert_v2_to_v1(f) for f in files}  # all parse before any write
    target = user_db_dir()
    target.mkdir(parents=True, exist_ok=True)
    for name, data in converted.items():
        with atomic_output(target / name, files) as tmp:
            tmp.write_bytes(data)
    with atomic_output(target / "ATTRIBUTION.txt") as tmp:
        tmp.write_text(ATTRIBUTION.format(source=source), encoding="utf-8")
    load_database.cache_clear()
    db = load_database()
    return ImportReport(len(files), len(db.lenses), target)


@functools.cache
def load_database():
    """lensfun's database: the bundled one plus what ``import_db`` put in the user folder
    (user files override bundled entries of the same lens, as lensfun does)."""
    lensfunpy = _lensfunpy()
    user = sorted(str(p) for p in user_db_dir().glob("*.xml")) if user_db_dir().is_dir() else []
    try:
        return lensfunpy.Database(paths=user, load_common=True, load_bundled=True)
    except lensfunpy.XMLFormatError:
        raise LensError(
            user_db_dir(), "lensfun could not load the imported database; import again"
        ) from None


def mount_name(mount: str) -> str:
    return MOUNT_ALIASES.get(mount, mount)


def lenses(mount: str | None = None) -> list:
    """All lenses, optionally only those for a mount (``L`` means Leica L), sorted, one
    entry per maker and model."""
    wanted = mount_name(mount) if mount else None
    seen: dict[tuple[str, str], object] = {}
    for lens in load_database().lenses:
        if wanted and wanted not in lens.mounts:
            continue
        seen.setdefault((lens.maker, lens.model), lens)
    return [seen[k] for k in sorted(seen)]


def tokens(name: str) -> list[str]:
    """Lens-name tokens: lower case, letters split from digits, punctuation dropped, so that
    EXIF's "EF24-105mm f/4L" and lensfun's "EF 24-105mm f/4L" give the same tokens."""
    return re.findall(r"[a-z]+|\d+(?:\.\d+)?", name.lower())


def find(text: str, mount: str | None = None) -> list:
    """Lenses whose maker + model contain every token of ``text``, closest first (fewest
    extra tokens)."""
    wanted = tokens(text)
    scored = []
    for lens in lenses(mount):
        have = tokens(f"{lens.maker} {lens.model}")
        if all(t in have for t in wanted):
            scored.append((len(have) - len(wanted), lens.maker, lens.model, lens))
    return [entry[-1] for entry in sorted(scored, key=lambda e: e[:3])]


def fixed_lens(make: str | None, model: str | None) -> object | None:
    """The built-in lens of a fixed-lens camera: lensfun gives such bodies a mount of their
    own with exactly one lens."""
    if not make or not model:
        return None
    cams = load_database().find_cameras(make, model, loose_search=False)
    if not cams:
        return None
    mount = cams[0].mount
    found = [lens for lens in load_database().lenses if mount in lens.mounts]
    return found[0] if len(found) == 1 else None


def camera_crop(make: str | None, model: str | None) -> float | None:
    """The crop factor lensfun records for a camera body, if it knows the body."""
    if not make or not model:
        return None
    return _camera_crop(load_database(), make, model)


@functools.lru_cache(maxsize=64)
def _camera_crop(db, make: str, model: str) -> float | None:
    """:func:`camera_crop`'s search in ``db``, remembered as :func:`_search` is."""
    cams = db.find_cameras(make, model, loose_search=True)
    return float(cams[0].crop_factor) if cams else None


def lookup_in_file(path: str | Path, model: str | None) -> object:
    """A lens from a user's lensfun XML profile file: the one matching ``model``, or the
    only lens in the file."""
    lensfunpy = _lensfunpy()
    path = Path(path)
    if not path.is_file():
        raise LensError(path, "lens profile file not found")
    data = convert_v2_to_v1(path)
    with tempfile.TemporaryDirectory() as tmp:
        converted = Path(tmp) / path.name
        converted.write_bytes(data)
        try:
            with native_stderr_silenced():  # lensfun's own warnings on entries it rejects
                db = lensfunpy.Database(
                    paths=[str(converted)], load_common=False, load_bundled=False
                )
        except lensfunpy.XMLFormatError:
            raise LensError(
                path, "lensfun rejected the profile (not a valid lens database)"
            ) from None
    found = [x for x in db.lenses if not model or x.model.lower() == model.lower()] or (
        db.lenses if len(db.lenses) == 1 else []
    )
    if not found:
        raise LensError(path, f"no lens {model!r} in the profile")
    return found[0]


def lookup(model: str, maker: str | None = None) -> object:
    """The lens for an EXIF lens model: an exact model match first, then the lens whose
    name contains every word of it. Raises LensError when nothing matches."""
    lens = _search(load_database(), model, maker)
    if lens is None:
        raise LensError(model, "lens not in the lensfun database (try `lsq lens find`)")
    return lens


@functools.lru_cache(maxsize=64)
def _search(db, model: str, maker: str | None) -> object | None:
    """:func:`lookup`'s search in ``db``, remembered (misses too): a compile asks it
    again for every recipe, and ``lsq view`` compiles one per control change. Keyed by the
    database object, so a reloaded database is searched afresh."""
    for lens in db.lenses:
        same_maker = not maker or lens.maker.lower() == maker.lower()
        if lens.model.lower() == model.lower() and same_maker:
            return lens
    found = find(model)
    return found[0] if found else None
