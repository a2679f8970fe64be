"""One registry of the colour encodings lsquared names: for each name, what a source
declared with it holds, what an output in it holds, and where it may be used (input,
output, display, working space, LUT input, video with its H.273 tags).

Today the recipe, the compiler and the engine keep their own lists of these names;
``tests/color/test_encodings.py`` checks that they agree with this registry, and the
viewer reads its choices from here. The encodings follow the standards named in
``color/spaces.py`` and ``color/transfer.py`` (Rec.709 input: the BT.709 OETF; Rec.709
and Rec.2020 output: BT.1886 for display).
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


ACES = "ACES"
REGISTRY: tuple[NamedEncoding, ...] = (
    NamedEncoding("auto"),  # read from the file
    NamedEncoding("raw", source=Encoding("camera", "linear", "scene")),
    NamedEncoding("vlog", source=Encoding("vgamut", "vlog"), lut_input=True),
    NamedEncoding("llog", source=Encoding("rec2020", "llog"), lut_input=True),
    NamedEncoding(
        "rec709",
        source=Encoding("rec709", "rec709"),
        output=Encoding("rec709", "bt1886"),
        display=True,
        lut_input=True,
        video=("bt709", "bt709", "bt709"),
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

ROLES = ("input", "output", "display", "working", "lut_input", "video")


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
    }
    if role not in picks:
        raise ValueError(f"unknown role {role!r}; choose {', '.join(ROLES)}")
    return tuple(e.name for e in REGISTRY if picks[role](e))


def lut_input_encoding(name: str) -> Encoding:
    """What a LUT declared to expect ``name`` reads: the source encoding, else the output."""
    entry = BY_NAME[name]
    encoding = entry.source or entry.output
    if not entry.lut_input or encoding is None:
        raise ValueError(f"{name!r} is not a LUT input; choose {', '.join(names('lut_input'))}")
    return encoding
