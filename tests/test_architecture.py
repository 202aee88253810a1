"""The layers stay honest: import contracts (pyproject.toml) and lint, checked as tests."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    path = BIN / name
    if path.exists():
        return str(path)
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed")
    return found


def test_import_contracts_hold() -> None:
    result = subprocess.run(
        [_tool("lint-imports"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" not in result.stdout.split("Contracts:")[-1].split("kept")[0]


def test_ruff_is_clean() -> None:
    result = subprocess.run(
        [_tool("ruff"), "check", "--quiet", "inspector", "tests", "benchmarks"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_sans_io_layers_import_no_io() -> None:
    # A direct check besides import-linter: the sans-I/O packages must stay free of
    # asyncio, sockets and Qt even in code that import-linter cannot see (strings).
    for package in ("protocol", "capture", "views", "library"):
        for path in (ROOT / "inspector" / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            for banned in ("import asyncio", "import socket", "PySide6", "qasync"):
                assert banned not in text, f"{path.name} mentions {banned!r}"
