"""Issue 9 in the timeline: what a user saw going wrong (items 13, 18, 21), each with
the behaviour that fixes it. These use only the timeline's public names."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from _timeline_samples import WAIT_MS, cell, make_view, sample, store_rows
from conftest import MASK_KEY, Capture
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QIcon, QImage
from PySide6.QtWidgets import QApplication
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from inspector.capture.events import Direction, FramesCaptured, HandshakeCaptured
from inspector.gui.detail import FrameDetailView
from inspector.gui.timeline import (
    COL_LENGTH,
    COL_PAYLOAD,
    COL_ROW,
    FrameTableModel,
    TimelineView,
)
from inspector.gui.widgets import theme
from inspector.protocol.constants import Role
from inspector.protocol.deflate import DeflateParams, PerMessageDeflate
from inspector.protocol.frames import Frame, FrameSpec, encode_frame
from inspector.protocol.violations import Rule, Violation

pytestmark = pytest.mark.gui


def deflate_session(capture: Callable[..., Capture], *, handshake: bool) -> Capture:
    """A client session receiving a compressed text message in two fragments and a
    compressed frame on its own; with or without the handshake in the capture."""
    params = DeflateParams()
    c = capture(deflate=PerMessageDeflate(params, Role.CLIENT))
    if handshake:
        c.store.add(
            HandshakeCaptured(
                0.0,
                Direction.IN,
                b"HTTP/1.1 101\r\n\r\n",
                "HTTP/1.1 101 Switching Protocols",
                (),
                extensions="permessage-deflate",
            )
        )
    server = PerMessageDeflate(params, Role.SERVER)
    wire = server.compress(b"This message travels in two fragments")
    half = len(wire) // 2
    c.receive(FrameSpec(1, wire[:half], fin=False, rsv1=True), FrameSpec(0, wire[half:]))
    c.receive(FrameSpec(1, server.compress(b"Hello, WebSocket!"), rsv1=True))
    return c


def sent_on_purpose(c: Capture) -> None:
    """Two frames we crafted breaking rules, recorded as the engine does (contract 1:
    their violations travel with the frames, ``deliberate=True``)."""
    frames: list[Frame] = []
    for spec, violation in (
        (
            FrameSpec(1, b"rsv2 on purpose", rsv2=True, mask=True, mask_key=MASK_KEY),
            Violation(Rule.RESERVED_BIT, "RSV2 set without an extension", deliberate=True),
        ),
        (
            FrameSpec(3, b"reserved", mask=True, mask_key=MASK_KEY),
            Violation(Rule.RESERVED_OPCODE, "opcode 0x3 is reserved", deliberate=True),
        ),
    ):
        header, _ = encode_frame(spec, Role.CLIENT)
        frames.append(Frame(100 + len(frames), 0, header, spec.payload, (violation,)))
    c.store.add(FramesCaptured(c.tick(), Direction.OUT, frames))


def press_return(qtbot: QtBot, view: TimelineView) -> None:
    """Apply the search as typed, the way a user does."""
    qtbot.keyClick(view.search_edit, Qt.Key.Key_Return)


# ------------------------------------------------------------------- item 21
def test_the_preview_of_a_compressed_message_starts_with_its_payload(
    capture: Callable[..., Capture],
) -> None:
    c = deflate_session(capture, handshake=True)
    model = FrameTableModel(c.store)
    assert cell(model, 1, COL_PAYLOAD) == "This message travels in two fragments"
    assert cell(model, 2, COL_PAYLOAD) == "Hello, WebSocket!"
    tip = str(cell(model, 2, COL_PAYLOAD, Qt.ItemDataRole.ToolTipRole))
    assert "17 bytes once inflated" in tip, "how it travelled is told beside it"


def test_timeline_and_detail_agree_on_compression_without_a_handshake(
    qtbot: QtBot, capture: Callable[..., Capture]
) -> None:
    # The capture has no handshake (decode output, a capture started late): the
    # timeline said "not compressed" of the first fragment, the detail pane said
    # "compressed". One rule now: RSV1 that the receiver accepted means compressed.
    c = deflate_session(capture, handshake=False)
    model = FrameTableModel(c.store)
    detail = FrameDetailView()
    qtbot.addWidget(detail)
    for row in (0, 1, 2):
        tip = str(cell(model, row, COL_PAYLOAD, Qt.ItemDataRole.ToolTipRole))
        detail.show_frame(c.store, row)
        timeline_says = "compressed" in tip or "(deflate)" in tip
        detail_says = "compressed" in detail.summary.text()
        assert timeline_says == detail_says is True, row


def test_a_filter_or_escape_keeps_the_selected_frame(
    qtbot: QtBot, capture: Callable[..., Capture]
) -> None:
    c = sample(capture)
    view = make_view(qtbot, c, height=500)
    view.refresh()
    selected: list[int] = []
    view.frameSelected.connect(selected.append)
    assert view.select_store_row(14)
    assert selected == [14]
    # A filter that hides the frame: the detail pane keeps it.
    view.violations_button.setChecked(True)
    assert store_rows(view.model) == [9, 10]
    assert selected == [14] and view.selected_store_row() == 14
    assert "hidden by the filter" in view.hidden_label.text()
    # Released: the frame is selected in the table again.
    view.violations_button.setChecked(False)
    rows = view.table.selectionModel().selectedRows()
    assert [view.model.store_row(i.row()) for i in rows] == [14]
    # Escape in the search field clears the search, not the frame.
    view.search_edit.setText("welcome")
    press_return(qtbot, view)
    assert store_rows(view.model) == [1] and view.selected_store_row() == 14
    view.search_edit.setFocus()
    qtbot.keyClick(view.search_edit, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: view.model.rowCount() == 16, timeout=WAIT_MS)
    rows = view.table.selectionModel().selectedRows()
    assert [view.model.store_row(i.row()) for i in rows] == [14]
    assert selected == [14], "the frame was never deselected"
    assert not view.hidden_label.isVisibleTo(view)


def test_a_bad_regex_marks_the_field_and_shows_no_stale_results(
    qtbot: QtBot, capture: Callable[..., Capture], qtmodeltester: ModelTester
) -> None:
    c = sample(capture)
    view = make_view(qtbot, c)
    view.refresh()
    view.search_edit.setText("part")
    press_return(qtbot, view)
    assert store_rows(view.model) == [2, 4, 5]
    view.regex_button.setChecked(True)
    view.search_edit.setText("part(")
    press_return(qtbot, view)
    assert view.model.rowCount() == 0, "the old rows would pass for results"
    assert view.search_edit.property("invalid") is True
    assert "Invalid regular expression" in view.error_label.text()
    assert "Invalid regular expression" in view.table.accessibleDescription()
    qtmodeltester.check(view.model)
    view.search_edit.setText("part( ?two")
    press_return(qtbot, view)
    assert view.model.rowCount() == 0 and view.search_edit.property("invalid") is True
    view.search_edit.setText("part.two")
    press_return(qtbot, view)
    assert store_rows(view.model) == [4, 5]
    assert view.search_edit.property("invalid") is False
    assert not view.error_label.isVisibleTo(view)


def _marked(image: QImage, x0: int, x1: int, y0: int, y1: int) -> int:
    """Pixels of the search-hit marker (a strong yellow) in the rectangle."""
    n = 0
    for y in range(y0, y1):
        for x in range(x0, x1):
            c = image.pixelColor(x, y)
            if c.red() > 200 and c.green() > 150 and c.blue() < 150:
                n += 1
    return n


def test_search_hits_are_highlighted_in_the_preview(
    qtbot: QtBot, capture: Callable[..., Capture]
) -> None:
    c = capture()
    c.receive(FrameSpec(1, b"an ALERT here"), FrameSpec(1, b"nothing"))
    c.receive(FrameSpec(1, b"x" * 90 + b" alert at the far end"))
    view = make_view(qtbot, c, width=700)
    view.refresh()
    view.search_edit.setText("alert")
    press_return(qtbot, view)
    assert store_rows(view.model) == [0, 2]
    image = view.table.viewport().grab().toImage()
    for store_row in (0, 2):
        view_row = view.model.view_row(store_row)
        assert view_row is not None
        rect = view.table.visualRect(view.model.index(view_row, COL_PAYLOAD))
        hits = _marked(image, rect.left(), rect.right(), rect.top(), rect.bottom())
        assert hits > 20, f"row {store_row}: the match is marked (also past the cut)"
    # With no search, the column is painted as Qt paints it (no Python per cell).
    view.search_edit.clear()
    press_return(qtbot, view)
    assert view.table.itemDelegateForColumn(COL_PAYLOAD) is None


def test_empty_states_say_what_to_do(qtbot: QtBot, capture: Callable[..., Capture]) -> None:
    c = capture()
    view = make_view(qtbot, c)
    assert "No frames yet" in view.table.accessibleDescription()
    c.receive(FrameSpec(1, b"hello"))
    view.refresh()
    assert view.table.accessibleDescription() == ""
    view.search_edit.setText("absent")
    press_return(qtbot, view)
    assert "No frame matches the filter" in view.table.accessibleDescription()


def _mean(image: QImage) -> tuple[float, float, float]:
    total = [0.0, 0.0, 0.0]
    n = 0
    for y in range(2, image.height() - 2):
        for x in range(2, image.width() - 2):
            c = image.pixelColor(x, y)
            total[0] += c.red()
            total[1] += c.green()
            total[2] += c.blue()
            n += 1
    return total[0] / n, total[1] / n, total[2] / n


def test_a_pressed_filter_button_stands_out(qtbot: QtBot, capture: Callable[..., Capture]) -> None:
    view = make_view(qtbot, capture())
    button = view.ping_button
    released = _mean(button.grab().toImage())
    button.setChecked(True)
    QApplication.processEvents()
    pressed = _mean(button.grab().toImage())
    assert sum(abs(a - b) for a, b in zip(released, pressed, strict=True)) > 90
    assert max(pressed) - min(pressed) > 20, "pressed is coloured, not a shade of grey"


# ------------------------------------------------------------------- item 13
def test_frames_we_broke_on_purpose_are_shown_apart_and_filtered_as_violations(
    qtbot: QtBot, capture: Callable[..., Capture]
) -> None:
    c = sample(capture)
    sent_on_purpose(c)
    model = FrameTableModel(c.store)
    ours, peer = 16, 9
    icon_ours = cell(model, ours, COL_ROW, Qt.ItemDataRole.DecorationRole)
    icon_peer = cell(model, peer, COL_ROW, Qt.ItemDataRole.DecorationRole)
    assert isinstance(icon_ours, QIcon) and isinstance(icon_peer, QIcon)
    assert icon_ours.cacheKey() != icon_peer.cacheKey(), "a different mark than the peer's"
    bg = cell(model, ours, COL_LENGTH, Qt.ItemDataRole.BackgroundRole)
    assert isinstance(bg, QBrush) and bg.color() != theme.current().violation_tint
    tip = str(cell(model, ours, COL_ROW, Qt.ItemDataRole.ToolTipRole))
    assert "on purpose" in tip and "RSV2 set without an extension" in tip
    assert "on purpose" not in str(cell(model, peer, COL_ROW, Qt.ItemDataRole.ToolTipRole))
    assert "purpose" in str(cell(model, ours, COL_ROW, Qt.ItemDataRole.AccessibleTextRole))
    assert model.set_filter(violations_only=True) is None
    assert store_rows(model) == [9, 10, 16, 17], "Violations only includes them"
    view = make_view(qtbot, c)
    view.refresh()
    view.violations_button.setChecked(True)
    assert store_rows(view.model) == [9, 10, 16, 17]


# ------------------------------------------------------------------- item 18
def test_the_timeline_fits_a_1024_px_window(qtbot: QtBot, capture: Callable[..., Capture]) -> None:
    c = sample(capture)
    view = make_view(qtbot, c, width=900)
    view.refresh()
    assert view.minimumSizeHint().width() <= 400
    one_line = view.filter_bar.height()
    view.resize(380, 300)
    QApplication.processEvents()
    bar = view.filter_bar
    assert bar.height() > one_line, "the filter bar wraps instead of widening the window"
    assert all(
        b.geometry().right() <= bar.width() for b in (view.case_button, view.violations_button)
    )
    # The Payload column keeps room: the masking columns step aside.
    assert view.table.columnWidth(COL_PAYLOAD) >= 120
    view.resize(1200, 300)
    QApplication.processEvents()
    assert not any(view.table.isColumnHidden(col) for col in range(10))
