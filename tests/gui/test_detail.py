"""The frame detail pane: header bits, masking, payload views, close, message, violations."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import pytest
from conftest import MASK_KEY, TIMEOUT_FACTOR, Capture
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QGuiApplication, QTextOption
from PySide6.QtWidgets import QAbstractButton, QApplication, QWidget
from pytestqt.qtbot import QtBot

from inspector.capture.events import Direction, HandshakeCaptured
from inspector.gui.detail import (
    JSON_CAP,
    JSON_TEXT_CAP,
    MASK_ROWS,
    PAYLOAD_FIELD,
    TEXT_CAP,
    FrameDetailView,
    HeaderBitsWidget,
    header_fields,
)
from inspector.gui.hexview import BYTES_PER_LINE, HexView, format_line
from inspector.gui.timeline import TimelineView
from inspector.protocol.constants import Role
from inspector.protocol.deflate import DeflateParams, PerMessageDeflate
from inspector.protocol.frames import FrameSpec, LengthForm, apply_mask, encode_frame
from inspector.protocol.violations import Rule

pytestmark = pytest.mark.gui

BIG = 64 * 2**20


def make_detail(qtbot: QtBot) -> FrameDetailView:
    view = FrameDetailView()
    qtbot.addWidget(view)
    view.resize(900, 600)
    view.show()
    qtbot.waitExposed(view, timeout=int(2000 * TIMEOUT_FACTOR))
    return view


def fields_by_name(view: FrameDetailView) -> dict[str, tuple[str, int, str, int, int]]:
    return {f.name: (f.bits, f.value, f.text, f.start, f.width) for f in view.bits.fields}


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


def test_bits_of_16_and_64_bit_lengths() -> None:
    spec16 = FrameSpec(2, b"\xaa" * 300)
    header16, _ = encode_frame(spec16, Role.SERVER)
    f16 = {f.name: f for f in header_fields(header16)}
    assert f16["Payload len"].value == 126
    assert f16["Payload len"].text == "126 \u2192 16-bit length"
    ext = f16["Extended payload length"]
    assert (ext.start, ext.width, ext.value, ext.text) == (16, 16, 300, "300 bytes")
    assert ext.bits == format(300, "016b")
    assert f16[PAYLOAD_FIELD].start == 32 and "Masking-key" not in f16

    header64 = bytes([0x82, 0x80 | 127]) + (70000).to_bytes(8, "big") + b"\x01\x02\x03\x04"
    f64 = {f.name: f for f in header_fields(header64)}
    ext = f64["Extended payload length"]
    assert (ext.start, ext.width, ext.value) == (16, 64, 70000)
    assert f64["Masking-key"].start == 80 and f64["Masking-key"].text == "01 02 03 04"
    assert f64[PAYLOAD_FIELD].start == 112


def test_violations_highlight_their_fields(qtbot: QtBot, capture: Callable[..., Capture]) -> None:
    c = capture()
    c.receive(FrameSpec(1, b"odd", rsv1=True, rsv3=True, length_form=64))
    c.receive(FrameSpec(9, b"p" * 200, fin=False))
    view = make_detail(qtbot)
    view.show_frame(c.store, 0)
    bad = {f.name: {v.rule for v in f.violations} for f in view.bits.fields if f.violations}
    assert bad == {
        "RSV1": {Rule.RESERVED_BIT},
        "RSV3": {Rule.RESERVED_BIT},
        "Payload len": {Rule.NON_MINIMAL_LENGTH},
        "Extended payload length": {Rule.NON_MINIMAL_LENGTH},
    }
    assert "\u26a0 RFC 6455 \u00a75.2" in view.header_text.text()
    assert view.tab_visible("Violations")
    assert view.tabs.tabText(FrameDetailView.TAB_VIOLATIONS) == "Violations (2)"
    view.show_frame(c.store, 1)
    bad = {f.name: {v.rule for v in f.violations} for f in view.bits.fields if f.violations}
    assert bad == {
        "FIN": {Rule.FRAGMENTED_CONTROL_FRAME},
        "Payload len": {Rule.CONTROL_FRAME_TOO_LONG},
        "Extended payload length": {Rule.CONTROL_FRAME_TOO_LONG},
    }


def test_bits_widget_geometry_and_painting(qtbot: QtBot, capture: Callable[..., Capture]) -> None:
    widget = HeaderBitsWidget()
    qtbot.addWidget(widget)
    header = bytes([0x81, 0x80 | 127]) + (70000).to_bytes(8, "big") + MASK_KEY
    widget.set_fields(header_fields(header))
    hint = widget.sizeHint()
    assert hint.width() >= 32 * 20 and hint.height() > 4 * 40
    widget.resize(hint)
    image = widget.grab().toImage()
    assert not image.isNull()
    # The field under a point is known (for tooltips and tests).
    rect = widget._cell_rect(0, 4, 4)
    assert widget.field_at(rect.center()).name == "opcode"  # type: ignore[union-attr]
    rect = widget._cell_rect(1, 10, 1)
    assert widget.field_at(rect.center()).name == "Extended payload length"  # type: ignore[union-attr]
    assert widget.field_at(QPoint(0, 0)) is None
    assert "opcode" in widget.accessibleDescription()


# ----------------------------------------------------------------------- masking
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


# ----------------------------------------------------------------------- hexview
def test_hexview_opens_64_mib_instantly(qtbot: QtBot) -> None:
    data = bytes(range(256)) * (BIG // 256)
    view = HexView()
    qtbot.addWidget(view)
    view.resize(700, 400)
    view.show()
    qtbot.waitExposed(view, timeout=int(2000 * TIMEOUT_FACTOR))
    t0 = time.perf_counter()
    view.set_data(data)
    view.viewport().grab()  # paints now (repaint() may wait for the first expose)
    elapsed = time.perf_counter() - t0
    assert elapsed < 0.2 * TIMEOUT_FACTOR
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


# ----------------------------------------------------------------------- payload
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


def test_long_json_and_long_lines_stay_fast(qtbot: QtBot, capture: Callable[..., Capture]) -> None:
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
    t0 = time.perf_counter()
    pane.tabs.setCurrentIndex(2)
    assert time.perf_counter() - t0 < 2.0 * TIMEOUT_FACTOR
    assert len(pane.json_edit.toPlainText()) <= JSON_TEXT_CAP
    assert pane.json_notice.isVisibleTo(pane) and "lines of the pretty-printed" in (
        pane.json_notice.text()
    )
    view.show_frame(c.store, 1)
    t0 = time.perf_counter()
    pane.tabs.setCurrentIndex(1)
    pane.grab()
    assert time.perf_counter() - t0 < 1.5 * TIMEOUT_FACTOR
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


def test_a_64_mib_frame_opens_fast(qtbot: QtBot, capture: Callable[..., Capture]) -> None:
    c = capture()
    big = b"A" * BIG
    c.store.append_frame(
        0.1, Direction.IN, 0, 0, bytes([0x81, 127]) + len(big).to_bytes(8, "big"), big
    )
    view = make_detail(qtbot)
    view.show_tab("Payload")
    t0 = time.perf_counter()
    view.show_frame(c.store, 0)
    view.repaint()
    elapsed = time.perf_counter() - t0
    assert elapsed < 1.0 * TIMEOUT_FACTOR
    assert view.payload.hex_view.line_count() == BIG // 16
    assert view.payload.text_edit.toPlainText() == "", "Text is filled only when shown"


# -------------------------------------------------------------------- close
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
    tmp_path,  # type: ignore[no-untyped-def]
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
    # breaks); they may scroll, but all 32 columns of the figure stay in view.
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
        assert view.header_text.sizeHint().width() > viewport.width(), "a long line below"
        figure = view.bits.geometry()
        assert figure.left() >= 0 and figure.right() < viewport.width(), (row, figure)
        # ...and the figure uses it: bit 31's cell ends inside the widget.
        cw, *_ = view.bits._geometry()
        assert view.bits.BITS_PER_ROW * cw <= view.bits.width()


def test_a_frame_clicked_in_the_message_tab_is_selected_in_the_timeline(
    qtbot: QtBot, capture: Callable[..., Capture]
) -> None:
    from inspector.gui.session_panel import SessionPanel

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
