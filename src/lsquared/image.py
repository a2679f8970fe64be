"""The value object that flows through the engine: float32 pixels plus their encoding."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from lsquared.metadata import Metadata

PRIMARIES = ("camera", "xyz", "rec709", "p3", "rec2020", "ap0", "ap1", "vgamut")
TRANSFERS = (
    "linear", "srgb", "rec709", "bt1886", "vlog", "llog", "acescct", "pq", "hlg",
)  # fmt: skip


@dataclass(frozen=True)
class Encoding:
    """How pixel values are to be read: primaries, transfer function and white point."""

    primaries: str
    transfer: str = "linear"
    white: str = "D65"

    def __post_init__(self) -> None:
        if self.primaries not in PRIMARIES:
            raise ValueError(f"unknown primaries {self.primaries!r}; valid: {PRIMARIES}")
        if self.transfer not in TRANSFERS:
            raise ValueError(f"unknown transfer {self.transfer!r}; valid: {TRANSFERS}")

    @property
    def is_linear(self) -> bool:
        return self.transfer == "linear"


@dataclass(frozen=True)
class Image:
    """An H x W x 3 float32 image, its :class:`Encoding` and its :class:`Metadata`."""

    pixels: np.ndarray
    encoding: Encoding
    metadata: Metadata = field(default_factory=Metadata)

    def __post_init__(self) -> None:
        p = self.pixels
        if p.ndim != 3 or p.shape[2] != 3:
            raise ValueError(f"pixels must be H x W x 3, got shape {p.shape}")
        if p.dtype != np.float32:
            raise ValueError(f"pixels must be float32, got {p.dtype}")

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    def with_pixels(self, pixels: np.ndarray, encoding: Encoding | None = None) -> Image:
        """A new image with other pixels (and optionally another encoding)."""
        return replace(self, pixels=pixels, encoding=encoding or self.encoding)
