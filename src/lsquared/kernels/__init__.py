"""Renderers of compiled Programs: ``reference`` (numpy, the oracle) and ``cpu`` (numba,
one fused parallel pass). A GPU renderer would be a third module with the same ``run``."""

from __future__ import annotations

from lsquared.pipeline.ops import Renderer

RENDERERS = ("cpu", "reference")


def get_renderer(name: str = "cpu") -> Renderer:
    """The renderer called ``name``; no silent fallback to another one."""
    if name == "cpu":
        from lsquared.kernels.cpu import CpuRenderer

        return CpuRenderer()
    if name == "reference":
        from lsquared.kernels.reference import ReferenceRenderer

        return ReferenceRenderer()
    raise ValueError(f"unknown renderer {name!r}; valid: {', '.join(RENDERERS)}")
