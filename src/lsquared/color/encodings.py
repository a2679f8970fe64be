"""One registry of the colour encodings lsquared names: for each name, what a source
declared with it holds, what an output in it holds, and where it may be used (input,
output, display, working space, LUT input, video with its H.273 tags).

The recipe's choices, the compiler's encodings, the engine's input encodings and video
tags, the CLI's help texts and the viewer's lists all read this registry. The encodings
follow the standards named in ``color/spaces.py`` and ``color/transfer.py`` (Rec.709
input: the BT.709 OETF; Rec.709 and Rec.2020 output: BT.1886 for display).
"""

from __future__ import annotations

from dataclasses import dataclass

from lsquared.image import Encoding


@dataclass(frozen=True)
class NamedEncoding:
    name: str
    source: Encoding | None = None  # what pixels declared with this name hold (input)
    output: Encoding | None = None  # what an output in this space holds
    display: bool = False  # the output is display-referred (rendered for a screen)
    working: bool = False  # a scene-linear working space
    lut_input: bool = False  # a LUT may expect it (its source encoding, else its output)
    video: tuple[str, str, str] | None = None  # H.273 primaries, transfer, matrix of clips
    camera: bool = False  # L-Mount cameras record clips in it (the look/LUT commands' inputs)


ACES = "ACES"
REGISTRY: tuple[NamedEncoding, ...] = (
    NamedEncoding("auto"),  # read from the file
    NamedEncoding("raw", source=Encoding("camera", "linear", "scene")),
    NamedEncoding("vlog", source=Encoding("vgamut", "vlog"), lut_input=True, camera=True),
    NamedEncoding("llog", source=Encoding("rec2020", "llog"), lut_input=True, camera=True),
    NamedEncoding(
        "rec709",
        source=Encoding("rec709", "rec709"),
        output=Encoding("rec709", "bt1886"),
        display=True,
        lut_input=True,
        video=("bt709", "bt709", "bt709"),
        camera=True,
    ),
    NamedEncoding(
        "srgb",
        source=Encoding("rec709", "srgb"),
        output=Encoding("rec709", "srgb"),
        display=True,
        lut_input=True,
        video=("bt709", "srgb", "bt709"),
    ),
    NamedEncoding("p3", output=Encoding("p3", "srgb"), display=True, video=("p3", "srgb", "bt709")),
    NamedEncoding(
        "rec2020",
        output=Encoding("rec2020", "bt1886"),
        display=True,
        video=("bt2020", "bt2020", "bt2020nc"),
    ),
    NamedEncoding(
        "linear-srgb",
        source=Encoding("rec709", "linear"),
        output=Encoding("rec709", "linear"),
        lut_input=True,
    ),
    NamedEncoding(
        "linear-rec2020",
        source=Encoding("rec2020", "linear"),
        output=Encoding("rec2020", "linear"),
        working=True,
    ),
    NamedEncoding(
        "acescg",
        source=Encoding("ap1", "linear", ACES),
        output=Encoding("ap1", "linear", ACES),
        working=True,
        lut_input=True,
    ),
    NamedEncoding("acescct", output=Encoding("ap1", "acescct", ACES), lut_input=True),
)
BY_NAME = {e.name: e for e in REGISTRY}

ROLES = ("input", "output", "display", "working", "lut_input", "video", "camera")


def names(role: str) -> tuple[str, ...]:
    """The names usable in ``role`` (one of :data:`ROLES`), in the registry's order.
    ``input`` lists every name a source may be declared as, ``auto`` included;
    ``output`` the recipe's output spaces (``acescct`` is for LUTs only)."""
    picks = {
        "input": lambda e: e.name == "auto" or e.source is not None,
        "output": lambda e: e.output is not None and e.name != "acescct",
        "display": lambda e: e.display,
        "working": lambda e: e.working,
        "lut_input": lambda e: e.lut_input,
        "video": lambda e: e.video is not None,
        "camera": lambda e: e.camera,
    }
    if role not in picks:
        raise ValueError(f"unknown role {role!r}; choose {', '.join(ROLES)}")
    return tuple(e.name for e in REGISTRY if picks[role](e))


def _entry(name: str, role: str) -> NamedEncoding:
    """The registry's entry for ``name`` when it may be used in ``role``, else a
    ValueError naming the choices."""
    if name not in names(role):
        raise ValueError(f"{name!r} is not valid; choose one of {', '.join(names(role))}")
    return BY_NAME[name]


def source_encoding(name: str) -> Encoding:
    """What pixels declared as ``name`` hold (vlog, llog, rec709, raw, ...; not ``auto``)."""
    declared = tuple(n for n in names("input") if n != "auto")
    if name not in declared:
        raise ValueError(f"{name!r} is not valid; choose one of {', '.join(declared)}")
    encoding = BY_NAME[name].source
    assert encoding is not None  # every input but auto has one
    return encoding


def output_encoding(name: str) -> tuple[Encoding, bool]:
    """(encoding, display-referred?) of the output space ``name``."""
    entry = _entry(name, "output")
    assert entry.output is not None  # every output has one
    return entry.output, entry.display


def video_tags(name: str) -> tuple[str, str, str]:
    """The H.273 (primaries, transfer, matrix) names a clip graded into ``name`` is tagged
    with (the names ``io.video`` maps to FFmpeg's)."""
    tags = _entry(name, "video").video
    assert tags is not None  # every video space has them
    return tags


def lut_input_encoding(name: str) -> Encoding:
    """What a LUT declared to expect ``name`` reads: the source encoding, else the output."""
    entry = _entry(name, "lut_input")
    encoding = entry.source or entry.output
    assert encoding is not None  # every LUT input has one
    return encoding
