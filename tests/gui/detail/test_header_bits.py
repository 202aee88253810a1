"""The bit figure of the Header tab: fields in wire order, broken rules marked, and
its geometry (the field under a point, for tooltips)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from _detail_samples import make_detail
from conftest import MASK_KEY, Capture
from PySide6.QtCore import QPoint
from pytestqt.qtbot import QtBot

from inspector.gui.detail import PAYLOAD_FIELD, FrameDetailView, HeaderBitsWidget, header_fields
from inspector.protocol.constants import Role
from inspector.protocol.frames import FrameSpec, encode_frame
from inspector.protocol.violations import Rule

pytestmark = pytest.mark.gui


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


def test_labels_wrap_between_words_and_elide_only_what_still_does_not_fit(
    qtbot: QtBot,
) -> None:
    from PySide6.QtGui import QFontMetrics

    from inspector.gui.detail.bits import wrap_label

    widget = HeaderBitsWidget()
    qtbot.addWidget(widget)
    fm = QFontMetrics(widget.font())
    word = fm.horizontalAdvance("CLOSE") + 2
    assert wrap_label("0x8 CLOSE", fm, word, 3) == ["0x8", "CLOSE"]
    assert wrap_label("0x8 CLOSE", fm, 10 * word, 3) == ["0x8 CLOSE"]
    lines = wrap_label("one two three four", fm, word, 2)
    assert len(lines) == 2 and lines[0] == "one" and lines[1].endswith("\u2026")


def test_a_narrow_figure_folds_to_16_bits_a_line(qtbot: QtBot) -> None:
    widget = HeaderBitsWidget()
    qtbot.addWidget(widget)
    header = bytes([0x81, 0x80 | 126]) + (300).to_bytes(2, "big") + MASK_KEY
    widget.set_fields(header_fields(header))
    wide = widget.sizeHint()
    widget.resize(wide)
    assert widget.per_row() == 32 and widget.heightForWidth(wide.width()) == wide.height()
    narrow = widget.minimumSizeHint().width()
    assert narrow < wide.width() // 2 + 20
    widget.resize(narrow, widget.heightForWidth(narrow))
    assert widget.per_row() == 16
    assert widget.heightForWidth(narrow) > wide.height(), "more lines"
    # Bit 16 (the extended length) starts the second line; the key the third.
    assert widget.field_at(widget._cell_rect(1, 0, 1).center()).name == (  # type: ignore[union-attr]
        "Extended payload length"
    )
    assert widget.field_at(widget._cell_rect(2, 3, 1).center()).name == "Masking-key"  # type: ignore[union-attr]
    assert not widget.grab().toImage().isNull()
