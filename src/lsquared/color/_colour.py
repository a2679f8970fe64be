"""The one place that imports colour-science (lazily, without its matplotlib warning)."""

from __future__ import annotations

import functools
import warnings
from types import ModuleType


@functools.cache
def colour() -> ModuleType:
    """Import colour-science once, silencing its optional-dependency warnings."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import colour as colour_science

    return colour_science
