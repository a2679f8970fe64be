"""The built-in looks: recipe files in ``looks/builtin/`` (authored in the scene-referred
working space: an ASC CDL in ACEScct and the display rendering's contrast)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Any

from lsquared.errors import RecipeError


@dataclass(frozen=True)
class Look:
    name: str
    description: str
    text: str

    def table(self) -> dict[str, Any]:
        return tomllib.loads(self.text)


def _files():
    return resources.files("lsquared.looks") / "builtin"


def names() -> list[str]:
    return sorted(p.name[: -len(".toml")] for p in _files().iterdir() if p.name.endswith(".toml"))


def get(name: str) -> Look:
    """A built-in look by name; RecipeError lists the valid names."""
    path = _files() / f"{name}.toml"
    if not path.is_file():
        raise RecipeError(f"look {name!r}", f"unknown look; built-in looks: {', '.join(names())}")
    text = path.read_text(encoding="utf-8")
    first = next((ln for ln in text.splitlines() if ln.startswith("#")), "# ")
    return Look(name, first.lstrip("# ").strip(), text)
