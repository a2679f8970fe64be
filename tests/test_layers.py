"""The layer rule of docs/architecture.md, enforced by import-linter's contract."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path


def test_import_linter_layers_contract_holds():
    exe = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    root = Path(__file__).resolve().parents[1]
    result = subprocess.run(
        [exe, "--no-cache"], cwd=root, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "KEPT" in result.stdout
