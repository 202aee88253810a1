"""The frame detail pane: header bits, masking, close, message, violations; its
tabs, its names for assistive technology, and how it sits beside the timeline."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from _detail_samples import fields_by_name, make_detail
from conftest import MASK_KEY, TIMEOUT_FACTOR, Capture
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QWidget
from pytestqt.qtbot import QtBot

from inspector.capture.events import Direction, HandshakeCaptured
from inspector.gui.detail import MASK_ROWS, PAYLOAD_FIELD, FrameDetailView
from inspector.gui.timeline import TimelineView
from inspector.protocol.constants import Role
from inspector.protocol.deflate import DeflateParams, PerMessageDeflate
from inspector.protocol.frames import FrameSpec, LengthForm, apply_mask
from inspector.protocol.violations import Rule

pytestmark = pytest.mark.gui


# ------------------------------------------------------------------ built on first use
def test_tabs_are_built_with_the_first_frame(qtbot: QtBot, capture: Callable[..., Capture]) -> None:
    c = capture()
    c.send(lambda p: p.send_text("Hello"))
    view = make_detail(qtbot)
    assert view.findChild(QWidget, "detailTabs") is None  # only the hint so far
    view.clear()
    assert view.findChild(QWidget, "detailTabs") is None
    view.show_frame(c.store, 0)
    assert view.findChild(QWidget, "detailTabs") is view.tabs
    assert view.stack.currentWidget() is view.tabs
    assert view.visible_tabs() == ["Header", "Masking", "Payload"]
    view.clear()
    assert view.stack.currentWidget() is view.empty


def test_reaching_for_a_part_builds_the_tabs(qtbot: QtBot) -> None:
    view = make_detail(qtbot)
    assert view.bits.fields == []  # no frame: nothing laid out, but there to read
    assert view.findChild(QWidget, "detailTabs") is view.tabs
    assert view.visible_tabs() == ["Header", "Payload"]
    assert view.stack.currentWidget() is view.empty
    with pytest.raises(AttributeError):
        _ = view.no_such_part  # type: ignore[attr-defined]


# ------------------------------------------------------------------ header bits
def test_bits_of_a_small_masked_text_frame(qtbot: QtBot, capture: Callable[..., Capture]) -> None:
    c = capture()
    c.send(lambda p: p.send_text("Hello"))
    view = make_detail(qtbot)
    view.show_frame(c.store, 0)
    f = fields_by_name(view)
    assert f["FIN"] == ("1", 1, "final fragment", 0, 1)
    assert f["RSV1"][:2] == ("0", 0) and f["RSV2"][:2] == ("0", 0) and f["RSV3"][:2] == ("0", 0)
    assert f["opcode"] == ("0001", 1, "0x1 TEXT", 4, 4)
    assert f["MASK"][:2] == ("1", 1)
    assert f["Payload len"] == ("0000101", 5, "5 bytes", 9, 7)
    assert "Extended payload length" not in f
    key = int.from_bytes(MASK_KEY, "big")
    assert f["Masking-key"] == (format(key, "032b"), key, "37 fa 21 3d", 16, 32)
    assert f[PAYLOAD_FIELD][3] == 48
    # The bits, in order, are exactly the header's bits.
    bits = "".join(x.bits for x in view.bits.fields)
    header = c.store.header(0)
    assert bits == "".join(format(b, "08b") for b in header)
    assert view.header_hex.text().endswith(header.hex(" "))
    assert "0x1 TEXT" in view.header_text.text()
    assert view.tab_visible("Masking")
    assert not view.tab_visible("Violations")


def test_masking_side_by_side(qtbot: QtBot, capture: Callable[..., Capture]) -> None:
    c = capture()
    payload = bytes(range(256)) + b"tail" * 10
    c.send(lambda p: p.send_binary(payload))
    view = make_detail(qtbot)
    view.show_frame(c.store, 0)
    wire = apply_mask(payload, MASK_KEY)
    assert len(view.masking_rows) == MASK_ROWS
    for i, masked, key, unmasked in view.masking_rows[:20] + view.masking_rows[-3:]:
        assert masked == wire[i]
        assert key == MASK_KEY[i % 4]
        assert unmasked == payload[i] == masked ^ key
    text = view.mask_table.toPlainText()
    assert "XOR  k1 fa" in text and "40 more bytes" in text
    assert "37 fa 21 3d" in view.mask_key_label.text()

    c.receive(FrameSpec(1, b"from server"))
    view.show_frame(c.store, 1)
    assert not view.tab_visible("Masking")
    assert view.masking_rows == []


def test_close_frames(qtbot: QtBot, capture: Callable[..., Capture]) -> None:
    c = capture(auto_close=False)
    c.receive(FrameSpec(8, b"\x03\xe9server going down"))
    c.receive(FrameSpec(8, b"\x03\xed"))
    c.receive(FrameSpec(8, b"\x0f\xa0app code"))
    c.receive(FrameSpec(8, b""))
    c.receive(FrameSpec(8, b"\x03"))
    view = make_detail(qtbot)
    view.show_frame(c.store, 0)
    assert view.tab_visible("Close")
    f = view.close_fields
    assert f["code"] == "1001" and f["name"] == "Going away"
    assert f["meaning"].startswith("Going away") and f["reason"] == "server going down"
    assert f["valid"] == "yes" and f["violations"] == "none"
    view.show_frame(c.store, 1)
    f = view.close_fields
    assert f["code"] == "1005" and f["valid"].startswith("no")
    assert "RFC 6455 \u00a77.4" in f["violations"]
    assert view.close_labels["violations"].text() == f["violations"]
    view.show_frame(c.store, 2)
    assert view.close_fields["name"] == "(not registered)"
    assert view.close_fields["meaning"].startswith("Private use")
    view.show_frame(c.store, 3)
    assert view.close_fields["code"] == "none" and view.close_fields["reason"] == "(none)"
    view.show_frame(c.store, 4)
    assert "1-byte" in view.close_fields["code"]
    assert "RFC 6455 \u00a75.5.1" in view.close_fields["violations"]

    c.receive(FrameSpec(1, b"after"))
    view.show_frame(c.store, len(c.store) - 1)
    assert not view.tab_visible("Close") and view.close_fields == {}


# -------------------------------------------------------------------- message
def test_fragment_shows_its_message(qtbot: QtBot, capture: Callable[..., Capture]) -> None:
    c = capture()
    c.receive(
        FrameSpec(1, b"part one ", fin=False),
        FrameSpec(9, b"ping"),
        FrameSpec(0, b"part two ", fin=False),
        FrameSpec(0, b"end"),
    )
    view = make_detail(qtbot)
    requested: list[int] = []
    view.frameRequested.connect(requested.append)
    view.show_frame(c.store, 2)
    assert view.tab_visible("Message")
    assert view.message_rows == [0, 2, 3]
    assert view.message is not None and view.message.text == "part one part two end"
    assert view.message_frames.count() == 3
    assert "this frame" in view.message_frames.item(1).text()
    assert "3 frames" in view.message_info.text()
    view.message_payload.ensure_loaded()
    assert view.message_payload.text_edit.toPlainText() == "part one part two end"
    item = view.message_frames.item(2)
    view.message_frames.itemClicked.emit(item)
    assert requested == [3]
    view.show_frame(c.store, 1)
    assert not view.tab_visible("Message"), "a control frame belongs to no message"


def test_unfinished_message(qtbot: QtBot, capture: Callable[..., Capture]) -> None:
    c = capture()
    c.receive(FrameSpec(1, b"abc", fin=False), FrameSpec(0, b"def", fin=False))
    view = make_detail(qtbot)
    view.show_frame(c.store, 1)
    assert view.message is None and view.message_rows == [0, 1]
    assert "unfinished" in view.message_info.text()
    assert view.message_payload.data() == b"abcdef"


def test_compressed_message_sizes(qtbot: QtBot, capture: Callable[..., Capture]) -> None:
    params = DeflateParams()
    c = capture(deflate=PerMessageDeflate(params, Role.CLIENT))
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
    text = b'{"msg": "' + b"compress me " * 200 + b'"}'
    wire = server.compress(text)
    half = len(wire) // 2
    c.receive(FrameSpec(1, wire[:half], fin=False, rsv1=True), FrameSpec(0, wire[half:]))
    view = make_detail(qtbot)
    view.show_frame(c.store, 0)
    assert "compressed" in view.summary.text()
    assert "Message tab" in view.payload.info.text()
    assert not view.payload.has_text
    assert view.message is not None and view.message.compressed
    info = view.message_info.text()
    assert f"{len(wire):,} bytes compressed" in info
    assert f"{len(text):,} bytes inflated" in info
    assert view.message_payload.has_json
    view.message_payload.ensure_loaded()
    assert json.loads(view.message_payload.json_edit.toPlainText())["msg"].startswith("compress")


# ------------------------------------------------------------------ violations
def test_violations_tab_links_the_rfc(qtbot: QtBot, capture: Callable[..., Capture]) -> None:
    c = capture()
    c.receive(FrameSpec(1, b"masked", mask=True, mask_key=b"\x01\x02\x03\x04", rsv2=True))
    view = make_detail(qtbot)
    view.show_frame(c.store, 0)
    html = view.violations_view.toHtml()
    assert Rule.MASKED_SERVER_FRAME.url in html and Rule.RESERVED_BIT.url in html
    assert "server frame is masked with key 01020304" in view.violations_view.toPlainText()
    assert "RFC 6455 \u00a75.1" in view.violations_view.toPlainText()
    assert view.violations_view.openExternalLinks()
    assert "2 violations" in view.summary.text()


def test_clear_and_bad_rows(qtbot: QtBot, capture: Callable[..., Capture]) -> None:
    c = capture()
    c.receive(FrameSpec(1, b"x"))
    view = make_detail(qtbot)
    view.show_frame(c.store, 0)
    view.show_tab("Payload")
    view.show_frame(c.store, 0)
    assert view.tabs.currentIndex() == FrameDetailView.TAB_PAYLOAD, "the tab is kept"
    view.clear()
    assert view.frame is None and view.bits.fields == []
    assert view.visible_tabs() == ["Header", "Payload"]
    view.show_frame(c.store, 5)
    assert view.frame is None
    view.show_frame(c.store, -1)
    assert view.row == -1


def test_detail_controls_have_names(qtbot: QtBot, capture: Callable[..., Capture]) -> None:
    view = make_detail(qtbot)
    for w in view.findChildren(QWidget):
        if isinstance(w, QAbstractButton) or w.objectName() in (
            "headerBits",
            "payloadHex",
            "payloadText",
            "payloadJson",
            "maskTable",
            "violationsList",
            "messageFrames",
            "detailSummary",
        ):
            if w.metaObject().className() in ("QTabBar", "QToolButton") and not w.objectName():
                continue  # the tab bars' own scroll buttons
            assert w.objectName(), w
            assert w.accessibleName(), w.objectName()


def test_timeline_and_detail_render(
    qtbot: QtBot,
    capture: Callable[..., Capture],
    tmp_path: Path,
) -> None:
    from PySide6.QtWidgets import QSplitter

    c = capture()
    c.send(lambda p: p.send_text("hello"))
    c.receive(FrameSpec(1, b'{"a": 1}'), FrameSpec(1, b"bad", rsv1=True))
    splitter = QSplitter(Qt.Orientation.Vertical)
    timeline = TimelineView(c.store)
    detail = FrameDetailView()
    splitter.addWidget(timeline)
    splitter.addWidget(detail)
    qtbot.addWidget(splitter)
    timeline.frameSelected.connect(lambda row: detail.show_frame(c.store, row))
    splitter.resize(1000, 800)
    splitter.show()
    timeline.refresh()
    assert timeline.select_store_row(2)
    assert detail.row == 2
    QApplication.processEvents()
    path = tmp_path / "timeline.png"
    assert splitter.grab().save(str(path))
    assert path.stat().st_size > 10_000


def test_the_header_figure_fits_the_pane_whatever_the_text_below(
    qtbot: QtBot, capture: Callable[..., Capture]
) -> None:
    # The text under the figure has long lines (a 64-bit length, a rule a field
    # breaks): all 32 columns of the figure stay in view.
    c = capture()
    c.send_frames([FrameSpec(2, bytes(300), length_form=LengthForm.LONG)])
    c.receive(FrameSpec(1, b"masked", mask=True, mask_key=b"\x01\x02\x03\x04", rsv2=True))
    view = FrameDetailView()
    qtbot.addWidget(view)
    view.resize(500, 600)
    view.show()
    qtbot.waitExposed(view, timeout=int(2000 * TIMEOUT_FACTOR))
    viewport = view._header_scroll.viewport()
    for row in (0, 1):
        view.show_frame(c.store, row)
        QApplication.processEvents()
        # The text below (a 64-bit length, a broken rule) wraps in the pane now.
        assert view.header_text.geometry().right() < viewport.width()
        assert view._header_scroll.horizontalScrollBar().maximum() == 0
        figure = view.bits.geometry()
        assert figure.left() >= 0 and figure.right() < viewport.width(), (row, figure)
        # ...and the figure uses it: bit 31's cell ends inside the widget.
        cw, *_ = view.bits._geometry()
        assert view.bits.BITS_PER_ROW * cw <= view.bits.width()


def test_a_frame_clicked_in_the_message_tab_is_selected_in_the_timeline(
    qtbot: QtBot, capture: Callable[..., Capture]
) -> None:
    from inspector.gui.window.session_panel import SessionPanel

    c = capture()
    c.receive(
        FrameSpec(1, b"part one ", fin=False),
        FrameSpec(9, b"ping"),
        FrameSpec(0, b"part two ", fin=False),
        FrameSpec(0, b"end"),
    )
    panel = SessionPanel()
    qtbot.addWidget(panel)
    panel.resize(1200, 700)
    panel.show()
    qtbot.waitExposed(panel, timeout=int(2000 * TIMEOUT_FACTOR))
    panel.controller.show_store(c.store)
    detail, timeline = panel.detail, panel.timeline
    assert timeline.select_store_row(0)
    detail.show_tab("Message")
    rows = detail.message_rows
    assert rows == [0, 2, 3]

    def click(index: int) -> None:
        frames = detail.message_frames
        rect = frames.visualItemRect(frames.item(index))
        qtbot.mouseClick(frames.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())

    click(2)
    assert timeline.selected_store_row() == 3
    assert detail.row == 3
    assert detail.tabs.currentIndex() == FrameDetailView.TAB_MESSAGE, "the tab is kept"
    assert "this frame" in detail.message_frames.item(2).text()

    # A frame the timeline's filter hides is shown in the detail pane all the same.
    timeline.model.set_filter(kinds=["text"])
    assert timeline.select_store_row(0)
    detail.show_tab("Message")
    click(1)
    assert detail.row == 2
    assert timeline.selected_store_row() == 0
