"""The payload pane: Hex, Text and JSON tabs, offered only when they can show the
payload, filled only when shown, and capped for big payloads."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from _detail_samples import BIG, make_detail
from conftest import Capture
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextOption
from pytestqt.qtbot import QtBot

from inspector.capture.events import Direction
from inspector.gui.detail import JSON_CAP, JSON_TEXT_CAP, TEXT_CAP
from inspector.protocol.frames import FrameSpec

pytestmark = pytest.mark.gui


def test_json_tab_only_for_json(qtbot: QtBot, capture: Callable[..., Capture]) -> None:
    c = capture()
    doc = {"type": "welcome", "id": 42, "ok": True, "items": [1, 2.5, None]}
    c.receive(FrameSpec(1, json.dumps(doc).encode()))
    c.receive(FrameSpec(1, b"not { json"))
    c.receive(FrameSpec(1, b"{broken json"))
    c.receive(FrameSpec(2, json.dumps([1, 2]).encode()))
    view = make_detail(qtbot)
    pane = view.payload
    view.show_frame(c.store, 0)
    assert pane.has_json and pane.tabs.isTabVisible(2)
    pane.tabs.setCurrentIndex(2)
    assert json.loads(pane.json_edit.toPlainText()) == doc
    assert '  "type": "welcome"' in pane.json_edit.toPlainText()
    # The highlighter coloured the key.
    block = pane.json_edit.document().findBlockByNumber(1)
    formats = block.layout().formats()
    assert formats, "JSON is highlighted"
    view.show_frame(c.store, 1)
    assert not pane.has_json and not pane.tabs.isTabVisible(2)
    assert pane.tabs.isTabVisible(pane.tabs.currentIndex()), "a hidden tab is never current"
    view.show_frame(c.store, 2)
    assert not pane.tabs.isTabVisible(2)
    view.show_frame(c.store, 3)
    assert pane.has_json, "binary payloads that parse as JSON get the tab too"


def test_json_is_capped(qtbot: QtBot, capture: Callable[..., Capture]) -> None:
    c = capture()
    big = json.dumps(["x" * 1000] * (JSON_CAP // 1000 + 10)).encode()
    assert len(big) > JSON_CAP
    c.store.append_frame(
        0.1, Direction.IN, 0, 0, bytes([0x81, 127]) + len(big).to_bytes(8, "big"), big
    )
    view = make_detail(qtbot)
    view.show_frame(c.store, 0)
    assert not view.payload.has_json


def test_long_json_is_cut_and_long_lines_wrap_anywhere(
    qtbot: QtBot, capture: Callable[..., Capture]
) -> None:
    c = capture()
    doc = json.dumps([{"id": i, "name": f"item {i}"} for i in range(20000)]).encode()
    assert len(doc) < JSON_CAP
    line = b"A" * TEXT_CAP  # one line, no break opportunity
    for i, payload in enumerate((doc, line)):
        c.store.append_frame(
            0.1, Direction.IN, i, 0, bytes([0x81, 127]) + len(payload).to_bytes(8, "big"), payload
        )
    view = make_detail(qtbot)
    pane = view.payload
    view.show_frame(c.store, 0)
    pane.tabs.setCurrentIndex(2)
    assert len(pane.json_edit.toPlainText()) <= JSON_TEXT_CAP
    assert pane.json_notice.isVisibleTo(pane) and "lines of the pretty-printed" in (
        pane.json_notice.text()
    )
    view.show_frame(c.store, 1)
    pane.tabs.setCurrentIndex(1)
    pane.grab()
    assert pane.text_edit.wordWrapMode() == QTextOption.WrapMode.WrapAnywhere


def test_text_tab_is_capped_with_load_all(qtbot: QtBot, capture: Callable[..., Capture]) -> None:
    c = capture()
    text = ("0123456789abcde\n" * (TEXT_CAP // 16 * 3)).encode()
    c.store.append_frame(
        0.1, Direction.IN, 0, 0, bytes([0x81, 127]) + len(text).to_bytes(8, "big"), text
    )
    c.receive(FrameSpec(2, bytes(range(32))))
    c.receive(FrameSpec(2, b"plain words in a binary frame"))
    view = make_detail(qtbot)
    pane = view.payload
    view.show_frame(c.store, 0)
    view.show_tab("Payload")
    pane.tabs.setCurrentIndex(1)
    assert len(pane.text_edit.toPlainText()) == TEXT_CAP
    assert pane.text_notice.isVisibleTo(pane) and pane.load_all_button.isVisibleTo(pane)
    qtbot.mouseClick(pane.load_all_button, Qt.MouseButton.LeftButton)
    assert len(pane.text_edit.toPlainText()) == len(text)
    assert not pane.load_all_button.isVisibleTo(pane)
    view.show_frame(c.store, 1)
    assert not pane.tabs.isTabVisible(1), "binary that is not text has no Text tab"
    view.show_frame(c.store, 2)
    assert pane.tabs.isTabVisible(1)


def test_a_64_mib_frame_opens_without_decoding(
    qtbot: QtBot, capture: Callable[..., Capture]
) -> None:
    c = capture()
    big = b"A" * BIG
    c.store.append_frame(
        0.1, Direction.IN, 0, 0, bytes([0x81, 127]) + len(big).to_bytes(8, "big"), big
    )
    view = make_detail(qtbot)
    view.show_tab("Payload")
    view.show_frame(c.store, 0)
    view.repaint()
    assert view.payload.hex_view.data() is c.store.payloads[0], "shown without a copy"
    assert view.payload.hex_view.line_count() == BIG // view.payload.hex_view.bytes_per_line
    assert view.payload.text_edit.toPlainText() == "", "Text is filled only when shown"
