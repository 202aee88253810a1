"""Issue 9 in the detail pane: what a user saw going wrong (items 11, 13, 18, 21),
each with the behaviour that fixes it."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from _detail_samples import WAIT_MS
from conftest import MASK_KEY, Capture
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from inspector.capture.events import Direction, FramesCaptured
from inspector.gui.detail import FrameDetailView
from inspector.protocol.constants import Role
from inspector.protocol.frames import Frame, FrameSpec, LengthForm, encode_frame
from inspector.protocol.violations import Rule, Violation

pytestmark = pytest.mark.gui

#: The detail pane's width in a 1280x800 window.
PANE_AT_1280 = 490


def make_detail(qtbot: QtBot, width: int = PANE_AT_1280, height: int = 560) -> FrameDetailView:
    view = FrameDetailView()
    qtbot.addWidget(view)
    view.resize(width, height)
    view.show()
    qtbot.waitExposed(view, timeout=WAIT_MS)
    return view


# ------------------------------------------------------------------- item 11
def test_the_text_tab_is_filled_after_the_json_tab_was_in_use(
    qtbot: QtBot, capture: Callable[..., Capture]
) -> None:
    c = capture()
    c.receive(FrameSpec(1, json.dumps({"type": "welcome"}).encode()))
    c.receive(FrameSpec(1, b"just some plain text"))
    view = make_detail(qtbot)
    view.show_frame(c.store, 0)
    view.show_tab("Payload")
    pane = view.payload
    pane.tabs.setCurrentIndex(2)  # JSON
    pane.tabs.tabBarClicked.emit(2)  # as the user does
    assert "welcome" in pane.json_edit.toPlainText()
    view.show_frame(c.store, 1)  # no JSON tab for this one: Decoded becomes current
    assert pane.tabs.currentWidget() is pane.decoded.widget
    assert pane.decoded.edit.toPlainText() == "just some plain text"
    pane.tabs.setCurrentIndex(1)
    assert pane.text_edit.toPlainText() == "just some plain text"


# ------------------------------------------------------------------- item 13
def test_a_rule_we_broke_on_purpose_is_not_the_peers_fault(
    qtbot: QtBot, capture: Callable[..., Capture]
) -> None:
    c = capture()
    spec = FrameSpec(1, b"rsv2 on purpose", rsv2=True, mask=True, mask_key=MASK_KEY)
    header, _ = encode_frame(spec, Role.CLIENT)
    violation = Violation(Rule.RESERVED_BIT, "RSV2 set without an extension", deliberate=True)
    c.store.add(
        FramesCaptured(0.1, Direction.OUT, [Frame(0, 0, header, spec.payload, (violation,))])
    )
    c.receive(FrameSpec(1, b"bad", rsv2=True))
    view = make_detail(qtbot)
    view.show_frame(c.store, 0)
    assert "1 rule broken on purpose" in view.summary.text()
    assert "violation" not in view.summary.text()
    assert "sent on purpose" in view.violations_view.toPlainText()
    assert "sent on purpose" in view.header_text.text()
    ours_colour = view.tabs.tabBar().tabTextColor(FrameDetailView.TAB_VIOLATIONS)
    view.show_frame(c.store, 1)
    assert "1 violation" in view.summary.text() and "purpose" not in view.summary.text()
    assert "sent on purpose" not in view.violations_view.toPlainText()
    peer_colour = view.tabs.tabBar().tabTextColor(FrameDetailView.TAB_VIOLATIONS)
    assert ours_colour != peer_colour


# ------------------------------------------------------------------- item 21
def test_the_hex_views_ascii_column_is_in_view(
    qtbot: QtBot, capture: Callable[..., Capture]
) -> None:
    c = capture()
    c.receive(FrameSpec(2, b"Hello, WebSocket! " * 8))
    view = make_detail(qtbot)
    view.show_tab("Payload")
    view.show_frame(c.store, 0)
    view.payload.tabs.setCurrentIndex(0)  # Hex
    QApplication.processEvents()
    hex_view = view.payload.hex_view
    assert hex_view.horizontalScrollBar().maximum() == 0, "no scrolling to see the ASCII"
    line = hex_view.line_text(0)
    assert line.endswith("|") and "Hello" in line


def test_the_header_tables_meaning_column_is_in_view(
    qtbot: QtBot, capture: Callable[..., Capture]
) -> None:
    c = capture()
    c.send_frames([FrameSpec(2, bytes(300), length_form=LengthForm.LONG)])
    view = make_detail(qtbot)
    view.show_frame(c.store, 0)
    QApplication.processEvents()
    scroll = view._header_scroll
    assert scroll.horizontalScrollBar().maximum() == 0
    assert view.header_text.geometry().right() < scroll.viewport().width()
    assert "payload masked" in view.header_text.text()


@pytest.mark.parametrize("opcode", [0x8, 0x9, 0xA, 0x3])
def test_the_bit_figure_names_the_opcode_in_full(
    qtbot: QtBot, capture: Callable[..., Capture], opcode: int
) -> None:
    c = capture(auto_close=False)
    c.receive(FrameSpec(opcode, b"\x03\xe8" if opcode == 8 else b"x"))
    view = make_detail(qtbot)
    view.show_frame(c.store, 0)
    QApplication.processEvents()
    lines = view.bits.label_lines("opcode")
    assert not any(line.endswith("\u2026") for line in lines), lines
    assert " ".join(lines[1:]) == view.bits.field("opcode").text


def test_the_summary_is_one_line_so_the_tabs_stay_put(
    qtbot: QtBot, capture: Callable[..., Capture]
) -> None:
    c = capture()
    c.receive(FrameSpec(9, b"p"))
    c.receive(FrameSpec(1, b"x" * 70000, rsv1=True, rsv2=True, mask=True, mask_key=MASK_KEY))
    view = make_detail(qtbot)  # a ping's summary fits here, the text frame's does not
    view.show_frame(c.store, 0)
    QApplication.processEvents()
    top = view.tabs.mapTo(view, view.tabs.rect().topLeft()).y()
    assert c.store.opcode(2) == 1
    view.show_frame(c.store, 2)
    QApplication.processEvents()
    assert view.tabs.mapTo(view, view.tabs.rect().topLeft()).y() == top
    assert "2 violations" in view.summary.text(), "what does not fit is still said (tooltip)"
    assert "2 violations" in view.summary.toolTip()


def test_with_no_frame_the_pane_says_what_to_do(qtbot: QtBot) -> None:
    view = make_detail(qtbot)
    view.clear()
    assert not view.tabs.isVisible(), "no empty figure under empty tabs"
    hints = " ".join(w.text() for w in view.findChildren(QLabel) if w.isVisible())
    assert "Select a frame in the timeline" in hints


# ------------------------------------------------------------------- item 18
def test_the_pane_fits_a_1024_px_window(qtbot: QtBot, capture: Callable[..., Capture]) -> None:
    c = capture()
    c.send(lambda p: p.send_text("Hello"))
    view = make_detail(qtbot, width=330)
    assert view.minimumSizeHint().width() <= 300
    view.show_frame(c.store, 0)
    QApplication.processEvents()
    scroll = view._header_scroll
    assert scroll.horizontalScrollBar().maximum() == 0, "the figure folds instead"
    assert view.bits.geometry().right() < scroll.viewport().width()
