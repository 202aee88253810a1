"""Tests of inspector.capture.formats.files: a file is written whole or not at all."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from inspector.capture.formats.files import atomic_text_file


def test_the_file_appears_only_when_complete(tmp_path: Path) -> None:
    path = tmp_path / "out.txt"
    with atomic_text_file(path) as out:
        out.write("é\n")
        assert not path.exists()
    assert path.read_bytes() == "é\n".encode()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert os.listdir(tmp_path) == ["out.txt"]


def test_a_failed_write_leaves_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "keep.txt"
    path.write_text("the old file\n")
    with pytest.raises(RuntimeError), atomic_text_file(path) as out:
        out.write("half")
        raise RuntimeError("disk full")
    assert path.read_text() == "the old file\n"
    assert os.listdir(tmp_path) == ["keep.txt"]
    with pytest.raises(UnicodeEncodeError), atomic_text_file(path) as out:
        out.write("\ud800")
    assert path.read_text() == "the old file\n"
