"""The .cube LUT format: Adobe "Cube LUT Specification" 1.0 (2013) and DaVinci Resolve's
flavour (a ``LUT_1D_SIZE`` shaper followed by a ``LUT_3D_SIZE`` table in one file, with
``LUT_1D_INPUT_RANGE`` / ``LUT_3D_INPUT_RANGE``). Data rows are "R G B"; in a 3D table red
changes fastest. Parsing is strict: every problem names the file and the line.

Files as Windows tools write them are read: a UTF-8 byte-order mark, CRLF (or lone CR) line
ends, tabs between numbers, keywords in any order before the data (``TITLE`` included), and
``#`` comments after values. ``DOMAIN_MIN``/``DOMAIN_MAX`` (Adobe) and the ``*_INPUT_RANGE``
keywords (Resolve) are not mixed in one file: which table a domain would belong to is then
ambiguous, so such a file is refused at the line that mixes them.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from lsquared.errors import LutError
from lsquared.looks.lut import Lut

MAX_3D, MAX_1D = 256, 65536
KEYWORDS = (
    "TITLE", "LUT_1D_SIZE", "LUT_3D_SIZE", "DOMAIN_MIN", "DOMAIN_MAX",
    "LUT_1D_INPUT_RANGE", "LUT_3D_INPUT_RANGE",
)  # fmt: skip


def _floats(parts: list[str], count: int, where: str, line_no: int, source: str) -> list[float]:
    if len(parts) != count:
        raise LutError(source, f"line {line_no}: {where} needs {count} numbers, got {len(parts)}")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise LutError(
            source, f"line {line_no}: {where}: not a number in {' '.join(parts)!r}"
        ) from None
    if not all(math.isfinite(v) for v in values):
        raise LutError(source, f"line {line_no}: {where}: values must be finite")
    return values


def _size(parts: list[str], keyword: str, limit: int, line_no: int, source: str) -> int:
    if len(parts) != 1 or not parts[0].isdigit():
        raise LutError(source, f"line {line_no}: {keyword} needs one whole number")
    n = int(parts[0])
    if not 2 <= n <= limit:
        raise LutError(source, f"line {line_no}: {keyword} {n} is out of range 2..{limit}")
    return n


def _strip_comment(line: str) -> str:
    """The line without a trailing ``# comment`` (a TITLE's quoted text may hold ``#``)."""
    if line.startswith("TITLE") and line.count('"') >= 2:
        end = line.index('"', line.index('"') + 1)
        return line[: end + 1] + line[end + 1 :].split("#", 1)[0].rstrip()
    return line.split("#", 1)[0].rstrip()


def _data_rows(rows: list[tuple[int, str]], source: str) -> np.ndarray:
    """The data rows as an N x 3 array: all at once when every row is three finite
    numbers (a 65^3 table in a fraction of a second), else row by row to name the line."""
    words = [r.split() for _, r in rows]
    if all(len(w) == 3 for w in words):
        try:
            data = np.array([v for w in words for v in w], dtype=np.float64).reshape(-1, 3)
        except ValueError:
            data = None
        if data is not None and np.isfinite(data).all():
            return data
    numbered = zip(words, rows, strict=True)
    return np.array([_floats(w, 3, "data row", n, source) for w, (n, _) in numbered])


def _words_per_line(block: bytes) -> np.ndarray | None:
    """How many space- or tab-separated words each line of an ASCII block holds, or None
    when it holds another control character (then ``str.split`` would count differently)."""
    b = np.frombuffer(block, np.uint8)
    newline, blank = b == 10, (b == 32) | (b == 9)
    if ((b < 32) & ~newline & ~blank).any():
        return None
    gap = newline | blank
    starts = ~gap & np.concatenate(([True], gap[:-1]))
    ends = np.flatnonzero(newline)
    return np.bincount(np.searchsorted(ends, np.flatnonzero(starts)), minlength=ends.size + 1)


def _plain_block(lines: list[str], expected: int) -> np.ndarray | None:
    """The data block, from its first row to the end of the file, as an N x 3 array at
    once when it is exactly ``expected`` rows of three finite numbers (blank lines allowed,
    no comments); else None, and the line-by-line parser finds and names the faulty line."""
    block = "\n".join(lines)
    if not expected or not block.isascii():
        return None
    counts = _words_per_line(block.encode("ascii"))
    if counts is None or ((counts != 0) & (counts != 3)).any() or (counts == 3).sum() != expected:
        return None
    try:
        data = np.fromiter(map(float, block.split()), np.float64, 3 * expected)
    except ValueError:
        return None
    return data.reshape(-1, 3) if np.isfinite(data).all() else None


def _checked_rows(
    rows: list[tuple[int, str]], expected: int, line_count: int, source: str
) -> np.ndarray:
    """The data rows after checking their count (errors name the line)."""
    last_line = rows[-1][0] if rows else line_count
    if len(rows) < expected:
        raise LutError(
            source, f"line {last_line}: truncated: {len(rows)} data rows, expected {expected}"
        )
    if len(rows) > expected:
        raise LutError(
            source,
            f"line {rows[expected][0]}: extra data: expected {expected} rows, found {len(rows)}",
        )
    return _data_rows(rows, source)


def parse(text: str, source: str = "<cube>") -> Lut:
    """Parse .cube text into a :class:`Lut`."""
    text = text.removeprefix("\ufeff")
    title = ""
    comments: list[str] = []
    size1 = size3 = 0
    dmin, dmax = [0.0] * 3, [1.0] * 3
    domain_line = 0
    range1 = range3 = None
    rows: list[tuple[int, str]] = []
    seen: set[str] = set()
    lines = text.splitlines()
    data = None
    for line_no, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            if not rows:
                comments.append(line)
            continue
        line = _strip_comment(line)
        word, *parts = line.split()
        rest = line[len(word) :].strip()
        if word[:1].isalpha() or word[:1] == "_":
            if rows:
                raise LutError(source, f"line {line_no}: keyword {word} after the data started")
            if word not in KEYWORDS:
                raise LutError(
                    source, f"line {line_no}: unknown keyword {word}; known: {', '.join(KEYWORDS)}"
                )
            if word in seen:
                raise LutError(source, f"line {line_no}: {word} given twice")
            seen.add(word)
            if seen & {"DOMAIN_MIN", "DOMAIN_MAX"} and seen & {
                "LUT_1D_INPUT_RANGE",
                "LUT_3D_INPUT_RANGE",
            }:
                raise LutError(
                    source,
                    f"line {line_no}: {word} mixed with Adobe's DOMAIN_MIN and Resolve's "
                    "*_INPUT_RANGE: which table the domain belongs to is ambiguous",
                )
            if word == "TITLE":
                title = rest.strip('"')
            elif word == "LUT_3D_SIZE":
                size3 = _size(parts, word, MAX_3D, line_no, source)
            elif word == "LUT_1D_SIZE":
                size1 = _size(parts, word, MAX_1D, line_no, source)
            elif word == "DOMAIN_MIN":
                dmin = _floats(parts, 3, word, line_no, source)
                domain_line = line_no
            elif word == "DOMAIN_MAX":
                dmax = _floats(parts, 3, word, line_no, source)
                domain_line = line_no
            elif word == "LUT_1D_INPUT_RANGE":
                range1 = _floats(parts, 2, word, line_no, source)
            else:
                range3 = _floats(parts, 2, word, line_no, source)
            continue
        if not rows and (data := _plain_block(lines[line_no - 1 :], size1 + size3**3)) is not None:
            break
        rows.append((line_no, line))
    if not size1 and not size3:
        raise LutError(source, "no LUT_1D_SIZE or LUT_3D_SIZE line: not a .cube LUT")
    if data is None:
        data = _checked_rows(rows, size1 + size3**3, len(lines), source)
    for i in range(3):
        if not dmax[i] > dmin[i]:
            raise LutError(
                source, f"line {domain_line}: DOMAIN_MAX must exceed DOMAIN_MIN on every channel"
            )
    shaper = table = None
    shaper_min, shaper_max = tuple(dmin), tuple(dmax)
    table_min, table_max = tuple(dmin), tuple(dmax)
    if size1:
        shaper = data[:size1]
        if range1:
            shaper_min, shaper_max = (range1[0],) * 3, (range1[1],) * 3
    if size3:
        flat = data[size1:]
        table = flat.reshape(size3, size3, size3, 3).transpose(2, 1, 0, 3).copy()  # [r, g, b]
        if range3:
            table_min, table_max = (range3[0],) * 3, (range3[1],) * 3
        if size1:  # Resolve: the shaper's output feeds the 3D table on [0, 1] unless ranged
            table_min = (range3[0],) * 3 if range3 else (0.0, 0.0, 0.0)
            table_max = (range3[1],) * 3 if range3 else (1.0, 1.0, 1.0)
    return Lut(
        table=table, domain_min=table_min, domain_max=table_max, shaper=shaper,
        shaper_min=shaper_min, shaper_max=shaper_max, title=title, comments=tuple(comments),
        source=source,
    )  # fmt: skip


def read(path: str | Path) -> Lut:
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig", errors="strict")
    except FileNotFoundError:
        raise LutError(path, "LUT file not found") from None
    except UnicodeDecodeError as e:
        raise LutError(path, f"not a text .cube file (byte {e.start} is not UTF-8)") from None
    except OSError as e:
        raise LutError(path, f"cannot read: {e.strerror}") from None
    return parse(text, str(path))


def _row(v) -> str:
    return " ".join(f"{x:.8f}" for x in v)


def dumps(lut: Lut) -> str:
    """Write a LUT as .cube text (Resolve flavour when it has a shaper). Comments are kept.

    A .vlt's 17 nodes are written node for node as a 17-point uniform lattice: they are the
    12-bit encoding of that lattice (k * 256, the last clipped from 4096 to 4095), so the
    nodes move by at most 2.4e-4 of the input range and a .vlt -> .cube -> .vlt round trip
    is exact."""
    lines = []
    if lut.title:
        lines.append(f'TITLE "{lut.title}"')
    lines.extend(lut.comments)
    if lut.shaper is not None:
        lines.append(f"LUT_1D_SIZE {lut.shaper.shape[0]}")
        if lut.shaper_min != (0.0,) * 3 or lut.shaper_max != (1.0,) * 3:
            if len(set(lut.shaper_min)) > 1 or len(set(lut.shaper_max)) > 1:
                raise LutError(lut.source, "a .cube shaper range must be the same on all channels")
            lines.append(f"LUT_1D_INPUT_RANGE {lut.shaper_min[0]:.8f} {lut.shaper_max[0]:.8f}")
    if lut.table is not None:
        lines.append(f"LUT_3D_SIZE {lut.size}")
        if lut.shaper is None and (lut.domain_min != (0.0,) * 3 or lut.domain_max != (1.0,) * 3):
            lines.append("DOMAIN_MIN " + _row(lut.domain_min))
            lines.append("DOMAIN_MAX " + _row(lut.domain_max))
    lines.append("")
    body = []
    if lut.shaper is not None:
        body.extend(_row(v) for v in lut.shaper)
    if lut.table is not None:
        flat = lut.table.transpose(2, 1, 0, 3).reshape(-1, 3)  # red fastest
        body.extend(_row(v) for v in flat)
    return "\n".join(lines + body) + "\n"
