"""The fuzz targets: per parser, a hypothesis strategy of input files and the call that
parses them as lsquared does, and the check every case must pass."""

from __future__ import annotations

import hashlib
import math
import signal
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hypothesis import strategies as st

from tests.fuzz import seeds

#: a case taking longer than this is a failure (the issue's bound for one file)
CASE_SECONDS = 60
ODD_NUMBERS = ["nan", "inf", "-inf", "1e999", "-0", "", "-", "0x10", "1e-400", "99999999999"]


@st.composite
def mutated_bytes(draw, seed: bytes, spans: list[tuple[int, int]] | None = None) -> bytes:
    """``seed`` with bytes replaced, inserted or removed, maybe a box/tag size rewritten
    (``spans``: (offset, size) of the boxes), maybe truncated."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(0, 6))):
        if not data:
            break
        pos = draw(st.integers(0, len(data) - 1))
        kind = draw(st.sampled_from(["set", "insert", "delete", "word"]))
        if kind == "set":
            data[pos] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=16))
        elif kind == "delete":
            del data[pos : pos + draw(st.integers(1, 64))]
        else:  # a 32-bit field (a size, a count, an offset) set to an edge value
            edge = draw(st.sampled_from([0, 1, 7, 8, 0x7FFFFFFF, 0xFFFFFFFF, len(data)]))
            data[pos : pos + 4] = edge.to_bytes(4, draw(st.sampled_from(["big", "little"])))
    if spans and draw(st.booleans()):
        offset, size = draw(st.sampled_from(spans))
        if offset + 8 <= len(data):
            new = draw(st.sampled_from([0, 1, 8, size - 1, size + 1, 2 * size, 0xFFFFFFFF]))
            data[offset : offset + 4] = (new & 0xFFFFFFFF).to_bytes(4, "big")
    if draw(st.integers(0, 3)) == 0:
        data = data[: draw(st.integers(0, len(data)))]
    return bytes(data)


@st.composite
def mutated_text(draw, seed: str) -> str:
    """``seed`` with lines dropped, repeated, swapped or with a token replaced by an odd
    number or random text."""
    lines = seed.split("\n")
    for _ in range(draw(st.integers(0, 5))):
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        kind = draw(st.sampled_from(["drop", "repeat", "token", "text", "swap"]))
        if kind == "drop":
            del lines[i]
        elif kind == "repeat":
            lines.insert(i, lines[i])
        elif kind == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif kind == "token":
            words = lines[i].split(" ")
            k = draw(st.integers(0, len(words) - 1))
            words[k] = draw(st.sampled_from(ODD_NUMBERS) | st.text(max_size=8))
            lines[i] = " ".join(words)
        else:
            lines[i] = draw(st.text(max_size=40))
    return "\n".join(lines)


def _toml_scalar() -> st.SearchStrategy:
    return (
        st.booleans()
        | st.integers(-(2**63), 2**63 - 1)
        | st.floats()
        | st.text(max_size=12)
        | st.sampled_from(["srgb", "P3", "AHD", "kelvin", "exr", "auto", "profile", "vlog"])
    )


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return (
            "nan"
            if math.isnan(value)
            else ("inf" if value > 0 else "-inf")
            if math.isinf(value)
            else repr(value)
        )
    if isinstance(value, str):
        return '"' + value.encode("unicode_escape").decode("ascii").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return repr(value)


SECTIONS = ["input", "demosaic", "white_balance", "highlights", "lens", "exposure", "working",
            "look", "grade", "display", "output", "extra"]  # fmt: skip
KEYS = ["encoding", "algorithm", "mode", "kelvin", "tint", "multipliers", "source", "profile",
        "scale", "filter", "ev", "space", "name", "lut", "lut_input", "slope", "offset", "power",
        "saturation", "contrast", "format", "quality", "distortion", "bogus"]  # fmt: skip


@st.composite
def recipe_text(draw) -> str:
    """Recipe TOML: known and unknown sections and keys with values of any type, or the
    valid example mutated line by line."""
    if draw(st.booleans()):
        return draw(mutated_text(seeds.RECIPE))
    lines = []
    if draw(st.booleans()):
        schema = draw(st.sampled_from(["1", "2", "0", '"1"', "1.0"]))
        lines.append(f"schema = {schema}")
    for section in draw(st.lists(st.sampled_from(SECTIONS), max_size=4, unique=True)):
        lines.append(f"[{section}]")
        for key in draw(st.lists(st.sampled_from(KEYS), max_size=4, unique=True)):
            value = draw(_toml_scalar() | st.lists(_toml_scalar(), max_size=4))
            lines.append(f"{key} = {_toml_value(value)}")
    return "\n".join(lines) + "\n"


# --- the calls -------------------------------------------------------------------------


def parse_lut(path: Path):
    from lsquared.looks.files import read_lut

    lut = read_lut(path)
    assert lut.table is not None or lut.shaper is not None
    return lut


def parse_recipe(path: Path):
    from lsquared.pipeline import recipe as rc

    recipe = rc.load(path)
    assert rc.loads(recipe.to_toml()) == recipe  # what loads also saves and reloads
    return recipe


def parse_lensfun(path: Path):
    from lsquared.optics import lensdb

    return lensdb.lookup_in_file(path, None)


def parse_opcodes(path: Path):
    from lsquared.io import opcodes

    return opcodes.decode(path.read_bytes(), str(path))


def parse_rw2_info(path: Path):
    from lsquared.io import rw2

    return rw2.parse(path.read_bytes(), str(path))


def parse_exif_rationals(path: Path):
    from lsquared.io import meta

    values = meta.rationals(path.read_text(encoding="utf-8", errors="replace"))
    assert all(isinstance(v, float) for v in values)
    return values


def parse_raw_metadata(path: Path):
    """What ``lsq lens identify`` and every develop read first: EXIF, DNG opcodes, RW2 tags."""
    from lsquared import engine

    return engine.identify_lens(path)


def decode_raw(path: Path):
    from lsquared.io import raw

    image = raw.read_raw(path)
    assert image.pixels.ndim == 3 and image.pixels.shape[2] == 3
    return image


def parse_video(path: Path):
    from lsquared.io import video

    info = video.probe(path)
    frames = video.read_frames(path)
    for _ in zip(range(2), frames, strict=False):
        pass
    frames.close()
    return info


@dataclass(frozen=True)
class Target:
    name: str
    suffix: str
    strategy: Callable[[], st.SearchStrategy]  # made lazily: seeds may be slow to build
    call: Callable[[Path], object]


def _rw2_info() -> st.SearchStrategy:
    values = st.lists(st.integers(-32768, 32767), min_size=16, max_size=16)
    valid = values.map(seeds.rw2_blob)
    return valid | valid.flatmap(mutated_bytes) | st.binary(max_size=40)


def _raw_headers() -> st.SearchStrategy:
    dng = mutated_bytes(seeds.dng_bytes())
    header = seeds.rw2_header_bytes()
    return dng if header is None else dng | mutated_bytes(header)


def _clip(suffix: str) -> Callable[[], st.SearchStrategy]:
    def strategy() -> st.SearchStrategy:
        data = seeds.clip_bytes(suffix)
        return mutated_bytes(data, seeds.boxes(data))

    return strategy


def _text(strategy: st.SearchStrategy) -> st.SearchStrategy:
    return strategy.map(lambda t: t.encode("utf-8", "surrogatepass"))


TARGETS = [
    Target("cube", ".cube", lambda: _text(mutated_text(seeds.cube_text()))
           | mutated_bytes(seeds.cube_text().encode()), parse_lut),
    Target("vlt", ".vlt", lambda: _text(mutated_text(seeds.vlt_text()))
           | mutated_bytes(seeds.vlt_text().encode()), parse_lut),
    Target("recipe", ".toml", lambda: _text(recipe_text()), parse_recipe),
    Target("lensfun-xml", ".xml", lambda: _text(mutated_text(seeds.LENSFUN_XML))
           | mutated_bytes(seeds.LENSFUN_XML.encode()), parse_lensfun),
    Target("dng-opcodes", ".bin", lambda: mutated_bytes(seeds.opcode_bytes())
           | st.binary(max_size=200), parse_opcodes),
    Target("rw2-distortion", ".bin", _rw2_info, parse_rw2_info),
    Target("exif-rationals", ".txt", lambda: _text(st.lists(
        st.sampled_from(["1/2", "-7/3", "0/0", "1/0", "x", "", "nan", "1e9/1", "3"])
        | st.text(max_size=6), max_size=6).map(" ".join)), parse_exif_rationals),
    Target("raw-metadata", ".dng", _raw_headers, parse_raw_metadata),
    Target("raw-decode", ".dng", lambda: mutated_bytes(seeds.dng_bytes()), decode_raw),
    Target("mp4", ".mp4", _clip(".mp4"), parse_video),
    Target("mov", ".mov", _clip(".mov"), parse_video),
]  # fmt: skip
BY_NAME = {t.name: t for t in TARGETS}


# --- one case --------------------------------------------------------------------------


@dataclass
class Outcome:
    target: str
    status: str  # "ok", "error" (a clean LsqError) or "failure"
    seconds: float
    detail: str = ""


class _Timeout(BaseException):
    pass


def _alarm(signum, frame):
    raise _Timeout()


def run_case(target: Target, data: bytes, folder: Path) -> Outcome:
    """Write ``data`` to a file in the empty ``folder``, parse it, and judge: a result or one
    LsqError with a one-line message; the input unchanged, nothing else written, and within
    :data:`CASE_SECONDS`."""
    from lsquared.errors import LsqError

    path = folder / f"input{target.suffix}"
    path.write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    start = time.perf_counter()
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(CASE_SECONDS)
    status, detail = "ok", ""
    try:
        with warnings.catch_warnings():  # an LsqWarning is a fine outcome, not noise
            warnings.simplefilter("ignore")
            target.call(path)
    except LsqError as e:
        status, detail = "error", e.one_line()
        if "\n" in detail or not detail.strip():
            status, detail = "failure", f"LsqError message is not one line: {detail!r}"
    except _Timeout:
        status, detail = "failure", f"took over {CASE_SECONDS} s"
    except Exception as e:
        status, detail = "failure", f"{type(e).__name__}: {e}"[:300]
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    seconds = time.perf_counter() - start
    if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != digest:
        status, detail = "failure", "the input file was changed"
    left = sorted(p.name for p in folder.iterdir() if p != path)
    if left:
        status, detail = "failure", f"files left behind: {left}"
    for p in folder.iterdir():
        p.unlink()
    return Outcome(target.name, status, seconds, detail)
