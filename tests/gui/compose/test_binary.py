"""The Binary tab: hex, base64, files; fragments and compression."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from inspector.gui.compose.pane import ComposePane

pytestmark = pytest.mark.gui

Level = Callable[[Any], str]


def test_binary_input_errors_are_shown(pane: ComposePane, level: Level) -> None:
    pane.tabs.setCurrentIndex(pane.TAB_BINARY)
    tab = pane.binary
    tab.edit.setPlainText("de ad zz")
    assert level(tab.info) == "error"
    assert "'z' at character 7" in tab.info.text()
    assert not pane._current_valid()
    tab.edit.setPlainText("de:ad:be:ef")
    assert tab.info.text() == "4 bytes"
    tab.format.setCurrentIndex(tab.BASE64)  # ':' is not in its alphabet
    assert level(tab.info) == "error"
    tab.edit.setPlainText("3q2+7w==")
    assert tab.info.text() == "4 bytes"
    assert tab.payload() == b"\xde\xad\xbe\xef"


def test_binary_from_a_file(pane: ComposePane, tmp_path: Path, level: Level) -> None:
    tab = pane.binary
    small = tmp_path / "small.bin"
    small.write_bytes(bytes(range(40)))
    tab.load_file(str(small))
    assert tab.payload() == bytes(range(40))
    assert "small.bin" in tab.info.text()
    big = tmp_path / "big.bin"
    big.write_bytes(b"\x01" * (300 * 1024))
    tab.load_file(str(big))
    assert tab.payload() == b"\x01" * (300 * 1024)
    assert tab.edit.isReadOnly() and tab.clear_file_button.isVisibleTo(tab)
    tab.clear_file()
    assert tab.payload() == b""
    tab.load_file(str(tmp_path / "missing.bin"))
    assert level(tab.info) == "error"


def test_binary_has_a_compress_box_like_text(pane: ComposePane) -> None:
    tab = pane.binary
    assert tab.compress.isChecked() and tab.compress.accessibleName()
    assert tab.fragments.maximum() == pane.text.fragments.maximum()
    assert "own key" in tab.fragments.toolTip()
