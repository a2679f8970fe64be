"""The one place that imports colour-science (lazily, without its matplotlib warning and
without its plotting package)."""

from __future__ import annotations

import functools
import sys
import warnings
from types import ModuleType


@functools.cache
def colour() -> ModuleType:
    """Import colour-science once, silencing its optional-dependency warnings.

    colour's ``__init__`` imports ``colour.plotting`` and with it matplotlib, about as long
    as the rest of colour, for nothing lsquared computes: an empty module stands in for it
    while colour loads and is taken out after, so ``import colour.plotting`` still loads
    the real one."""
    placeholder = "colour" not in sys.modules and "colour.plotting" not in sys.modules
    if placeholder:
        sys.modules["colour.plotting"] = ModuleType("colour.plotting")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import colour as colour_science
    finally:
        if placeholder:
            del sys.modules["colour.plotting"]

    return colour_science
