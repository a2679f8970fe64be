"""The looks: built-in recipe files in ``looks/builtin/`` (authored in the scene-referred
working space: an ASC CDL in ACEScct and the display rendering's contrast), and the user's
own in :func:`user_dir` (made by ``lsq look import``: a grade like the built-in ones, or a
LUT file beside the TOML, named in its ``[look]`` section)."""

from __future__ import annotations

import os
import re
import shutil
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from lsquared.errors import RecipeError
from lsquared.io.atomic import atomic_output

NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


@dataclass(frozen=True)
class Look:
    name: str
    description: str
    text: str
    folder: Path | None = None  # a user look's folder (its LUT file lives there)

    def table(self) -> dict[str, Any]:
        return tomllib.loads(self.text)

    def lut_path(self) -> Path | None:
        """The LUT file a user look applies, or None."""
        lut = self.table().get("look", {}).get("lut")
        return (self.folder or Path()) / lut if lut else None


def _files():
    return resources.files("lsquared.looks") / "builtin"


def user_dir() -> Path:
    """``LSQ_LOOKS``, else ``$XDG_CONFIG_HOME/lsquared/looks`` (``~/.config`` by default)."""
    chosen = os.environ.get("LSQ_LOOKS")
    if chosen:
        return Path(chosen)
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "lsquared/looks"


def _builtin_names() -> list[str]:
    return sorted(p.name[: -len(".toml")] for p in _files().iterdir() if p.name.endswith(".toml"))


def names() -> list[str]:
    """Built-in looks, then the user's."""
    folder = user_dir()
    users = sorted(p.stem for p in folder.glob("*.toml")) if folder.is_dir() else []
    return _builtin_names() + [n for n in users if n not in _builtin_names()]


def _look(name: str, text: str, folder: Path | None) -> Look:
    first = next((ln for ln in text.splitlines() if ln.startswith("#")), "# ")
    return Look(name, first.lstrip("# ").strip(), text, folder)


def get(name: str) -> Look:
    """A look by name, in any case (built-in first); RecipeError lists the valid names."""
    name = name.lower()
    path = _files() / f"{name}.toml"
    if path.is_file():
        return _look(name, path.read_text(encoding="utf-8"), None)
    user = user_dir() / f"{name}.toml"
    if NAME.fullmatch(name) and user.is_file():
        return _look(name, user.read_text(encoding="utf-8"), user_dir())
    raise RecipeError(f"look {name!r}", f"unknown look; looks: {', '.join(names())}")


def _checked_name(name: str) -> str:
    if not NAME.fullmatch(name):
        raise RecipeError("--name", f"{name!r}: use lower-case letters, digits, - and _")
    if name in _builtin_names():
        raise RecipeError("--name", f"{name!r} is a built-in look; choose another name")
    return name


def import_lut(lut_file: Path, name: str, lut_input: str) -> Path:
    """Make the user look ``name`` from a LUT file (copied beside its TOML) that expects
    ``lut_input``; returns the TOML's path."""
    folder = user_dir()
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / f"{_checked_name(name)}{lut_file.suffix.lower()}"
    with atomic_output(copy, [lut_file]) as tmp:
        shutil.copyfile(lut_file, tmp)
    text = (
        f"# User look {name}: {lut_file.name} (expects {lut_input}), imported by lsq look import\n"
        f'schema = 1\n\n[look]\nlut = "{copy.name}"\nlut_input = "{lut_input}"\n'
    )
    return _write(folder / f"{name}.toml", text)


def import_recipe(recipe_file: Path, name: str) -> Path:
    """Make the user look ``name`` from a recipe's ``[grade]`` and ``[display]``."""
    table = tomllib.loads(recipe_file.read_text(encoding="utf-8"))
    lines = [f"# User look {name}: from {recipe_file.name}, imported by lsq look import",
             "schema = 1"]  # fmt: skip
    for section in ("grade", "display"):
        if section in table:
            lines.append(f"\n[{section}]")
            lines.extend(f"{key} = {_toml_value(v)}" for key, v in table[section].items())
    return _write(user_dir() / f"{_checked_name(name)}.toml", "\n".join(lines) + "\n")


def _toml_value(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return repr(value) if not isinstance(value, str) else f'"{value}"'


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path
