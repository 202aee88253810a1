"""The virtualized hex view: any size opens at once (only visible lines are
formatted), the line format, selecting and copying."""

from __future__ import annotations

import pytest
from _detail_samples import BIG, WAIT_MS
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from inspector.gui.detail import BYTES_PER_LINE, HexView, format_line

pytestmark = pytest.mark.gui


def test_hexview_opens_64_mib_instantly(qtbot: QtBot) -> None:
    data = bytes(range(256)) * (BIG // 256)
    view = HexView()
    qtbot.addWidget(view)
    view.resize(700, 400)
    view.show()
    qtbot.waitExposed(view, timeout=WAIT_MS)
    view.set_data(data)
    view.viewport().grab()  # paints now (repaint() may wait for the first expose)
    assert view.data() is data, "the bytes are kept by reference, not copied"
    lines = BIG // BYTES_PER_LINE
    assert view.line_count() == lines
    bar = view.verticalScrollBar()
    assert bar.maximum() == lines - bar.pageStep()
    assert 0 < view.lines_painted <= 60, "only the visible lines are formatted"
    bar.setValue(bar.maximum())
    view.viewport().grab()
    assert view.lines_painted <= 60
    assert view.line_text(lines - 1) == format_line(data, lines - 1)
    assert view.line_text(lines - 1).startswith("03fffff0  f0 f1 f2 f3 f4 f5 f6 f7  f8 f9")
    assert view.visible_lines().stop == lines


def test_hexview_line_format_selection_copy(qtbot: QtBot) -> None:
    view = HexView()
    qtbot.addWidget(view)
    view.resize(700, 300)
    view.show()
    view.set_data(b"Hello world\n\x00\xff")
    hex_part = "48 65 6c 6c 6f 20 77 6f  72 6c 64 0a 00 ff"
    assert view.line_text(0) == f"00000000  {hex_part:<48} |Hello world...|"
    with pytest.raises(IndexError):
        view.line_text(1)
    view.set_selection(6, 11)
    assert view.selected_bytes() == b"world"
    view.copy()
    clipboard = QGuiApplication.clipboard()
    assert clipboard is not None and clipboard.text() == "77 6f 72 6c 64"
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert view.selection() == (0, 14)
    assert not view.grab().toImage().isNull()
    view.set_data(b"")
    assert view.line_count() == 0 and view.selection() == (0, 0)


def test_hexview_mouse_selects_bytes(qtbot: QtBot) -> None:
    view = HexView()
    qtbot.addWidget(view)
    view.resize(700, 300)
    view.show()
    view.set_data(bytes(range(64)))
    cw, lh, _ = view._metrics()
    hex_x = cw + (8 + 2) * cw
    y = lh + lh // 2  # second line
    start = QPoint(int(hex_x + 3 * cw * 2 + 1), y)  # byte 2 of the line
    end = QPoint(int(hex_x + 3 * cw * 5 + 1), y)  # byte 5
    qtbot.mousePress(view.viewport(), Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(view.viewport(), end)
    qtbot.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, pos=end)
    assert view.selection() in ((18, 22), (18, 21))
    assert view.selected_bytes()[:1] == bytes([18])


def test_a_narrow_hexview_takes_8_bytes_a_line(qtbot: QtBot) -> None:
    view = HexView()
    qtbot.addWidget(view)
    view.resize(700, 300)
    view.show()
    qtbot.waitExposed(view, timeout=WAIT_MS)
    data = bytes(range(256)) * 16
    view.set_data(data)
    view.scroll_to_offset(16)
    assert view.bytes_per_line == BYTES_PER_LINE and view.visible_lines().start == 1
    view.resize(380, 300)
    QApplication.processEvents()
    assert view.bytes_per_line == 8
    assert view.horizontalScrollBar().maximum() == 0, "the ASCII column is in view"
    assert view.line_count() == len(data) // 8
    assert view.visible_lines().start == 2, "the top line shows the same bytes"
    assert view.line_text(1) == "00000008  08 09 0a 0b  0c 0d 0e 0f |........|"
    assert view.line_text(1) == format_line(data, 1, per_line=8)
    view.set_selection(9, 12)
    assert view.selected_bytes() == bytes([9, 10, 11])
    assert not view.grab().toImage().isNull()
    view.resize(700, 300)
    QApplication.processEvents()
    assert view.bytes_per_line == BYTES_PER_LINE
