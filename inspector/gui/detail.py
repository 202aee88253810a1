"""The frame detail pane: every bit of one frame, explained.

:class:`FrameDetailView` shows the frame at a store row in tabs: the header laid out
like the figure in RFC 6455 section 5.2 with this frame's bits (:class:`HeaderBitsWidget`),
how masking turned the wire bytes into the payload, the payload as hex / text / JSON,
a close frame's code and reason, the message a fragment belongs to, and the rules the
frame breaks. Everything is read-only and selectable; nothing here is proportional
to the payload's size except what the user explicitly asks to load.
"""

from __future__ import annotations

import codecs
import json
import re
from typing import Any, NamedTuple

from PySide6.QtCore import QEvent, QMargins, QObject, QPoint, QRect, QSize, Qt, Signal, Slot
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QHelpEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextDocument,
    QTextOption,
)
from PySide6.QtWidgets import (
    QApplication,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QTabWidget,
    QTextBrowser,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from ..capture.store import CaptureStore
from ..protocol.constants import (
    CloseCode,
    Opcode,
    close_code_meaning,
    is_valid_close_code,
    opcode_name,
)
from ..protocol.events import Message
from ..protocol.frames import Frame, apply_mask, parse_close_payload
from ..protocol.violations import Rule, Violation
from . import theme
from .hexview import HexView
from .timeline import deflate_negotiated

__all__ = [
    "JSON_CAP",
    "JSON_TEXT_CAP",
    "MASK_ROWS",
    "TEXT_CAP",
    "TEXT_MAX",
    "BitField",
    "FrameDetailView",
    "HeaderBitsWidget",
    "JsonHighlighter",
    "PayloadPane",
    "header_fields",
]

#: Bytes decoded into the Text tab before the user asks for more (~0.1-0.2 s to lay out).
TEXT_CAP = 256 * 1024
#: The most "Load all" decodes; past that the Hex tab is the way to read a payload.
TEXT_MAX = 16 * 1024 * 1024
#: Lines longer than this are wrapped anywhere: word-boundary wrapping of a long line
#: with no break opportunity is quadratic in Qt (measured: 2 s for 256 KiB).
LONG_LINE = 8 * 1024
#: Characters of pretty-printed JSON shown (and highlighted).
JSON_TEXT_CAP = 256 * 1024
#: Largest payload the JSON tab parses and pretty-prints.
JSON_CAP = 2 * 1024 * 1024
#: Bytes shown in the masking table.
MASK_ROWS = 256

_SELECTABLE = Qt.TextInteractionFlag.TextSelectableByMouse | (
    Qt.TextInteractionFlag.TextSelectableByKeyboard
)


def _size(n: int) -> str:
    if n < 1024:
        return f"{n:,} bytes"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KiB"
    return f"{n / 1024 / 1024:.1f} MiB"


_WHITESPACE = {9: None, 10: None, 13: None}


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# --------------------------------------------------------------------------- bits
class BitField(NamedTuple):
    """One field of a frame header as the bit figure shows it.

    ``start`` is the first bit counted from the header's first bit (bit 0 is the most
    significant bit of byte 0, as in RFC 6455 section 5.2); ``bits`` is the field's
    bits as a "0"/"1" string (empty for the payload marker); ``text`` its decoded
    value; ``violations`` the rules this frame breaks in this field.
    """

    name: str
    label: str
    start: int
    width: int
    bits: str
    value: int
    text: str
    violations: tuple[Violation, ...] = ()


PAYLOAD_FIELD = "Payload data"

#: Which header fields each rule is about (RESERVED_BIT: the RSV bits that are set).
_RULE_FIELDS: dict[Rule, tuple[str, ...]] = {
    Rule.UNMASKED_CLIENT_FRAME: ("MASK",),
    Rule.MASKED_SERVER_FRAME: ("MASK",),
    Rule.RESERVED_OPCODE: ("opcode",),
    Rule.NON_MINIMAL_LENGTH: ("Payload len", "Extended payload length"),
    Rule.LENGTH_TOP_BIT: ("Extended payload length",),
    Rule.CONTROL_FRAME_TOO_LONG: ("Payload len", "Extended payload length"),
    Rule.FRAGMENTED_CONTROL_FRAME: ("FIN",),
    Rule.COMPRESSED_CONTROL_FRAME: ("RSV1",),
    Rule.COMPRESSED_CONTINUATION: ("RSV1",),
    Rule.FRAME_TOO_LARGE: ("Payload len", "Extended payload length"),
    Rule.UNEXPECTED_CONTINUATION: ("opcode",),
    Rule.EXPECTED_CONTINUATION: ("opcode",),
}


def _bits(value: int, width: int) -> str:
    return format(value, f"0{width}b")


def header_fields(
    header: bytes, violations: tuple[Violation, ...] = (), payload_length: int | None = None
) -> list[BitField]:
    """The fields of ``header`` in wire order, then a payload marker."""
    b0, b1 = header[0], header[1]
    n7 = b1 & 0x7F
    op = b0 & 0x0F
    masked = bool(b1 & 0x80)
    fields = [
        BitField(
            "FIN",
            "FIN",
            0,
            1,
            _bits(b0 >> 7, 1),
            b0 >> 7,
            "final fragment" if b0 & 0x80 else "more fragments follow",
        ),
    ]
    for i, bit in ((1, 0x40), (2, 0x20), (3, 0x10)):
        on = int(bool(b0 & bit))
        fields.append(BitField(f"RSV{i}", f"RSV{i}", i, 1, str(on), on, "set" if on else "clear"))
    fields.append(
        BitField("opcode", "opcode", 4, 4, _bits(op, 4), op, f"0x{op:X} {opcode_name(op)}")
    )
    fields.append(
        BitField(
            "MASK",
            "MASK",
            8,
            1,
            str(int(masked)),
            int(masked),
            "payload masked" if masked else "not masked",
        )
    )
    if n7 < 126:
        length_text = f"{n7} bytes"
    elif n7 == 126:
        length_text = "126 \u2192 16-bit length"
    else:
        length_text = "127 \u2192 64-bit length"
    fields.append(BitField("Payload len", "Payload len", 9, 7, _bits(n7, 7), n7, length_text))
    pos = 16
    declared = n7
    if n7 >= 126:
        width = 16 if n7 == 126 else 64
        raw = header[2 : 2 + width // 8]
        declared = int.from_bytes(raw, "big")
        fields.append(
            BitField(
                "Extended payload length",
                f"Extended payload length ({width})",
                16,
                width,
                _bits(declared, width),
                declared,
                f"{declared:,} bytes",
            )
        )
        pos += width
    if masked:
        key = header[pos // 8 : pos // 8 + 4]
        fields.append(
            BitField(
                "Masking-key",
                "Masking-key",
                pos,
                32,
                _bits(int.from_bytes(key, "big"), 32),
                int.from_bytes(key, "big"),
                key.hex(" "),
            )
        )
        pos += 32
    text = f"{declared:,} bytes"
    if payload_length is not None and payload_length < declared:
        text += f" ({payload_length:,} kept)"
    fields.append(BitField(PAYLOAD_FIELD, PAYLOAD_FIELD, pos, 0, "", declared, text))
    if violations:
        by_name: dict[str, list[Violation]] = {}
        for v in violations:
            names: tuple[str, ...]
            if v.rule is Rule.RESERVED_BIT:
                names = tuple(f.name for f in fields[1:4] if f.value)
            else:
                names = _RULE_FIELDS.get(v.rule, ())
            for name in names:
                by_name.setdefault(name, []).append(v)
        fields = [f._replace(violations=tuple(by_name.get(f.name, ()))) for f in fields]
    return fields


def describe_fields(fields: list[BitField]) -> str:
    """The fields as plain text, one per line (for copying and screen readers)."""
    lines = []
    # Columns only as wide as their longest entry, so the text fits beside the figure.
    name_w = max((len(f.name) for f in fields), default=0) + 1
    bits_w = max((min(len(f.bits), 33) for f in fields if f.name != PAYLOAD_FIELD), default=0) + 1
    for f in fields:
        if f.name == PAYLOAD_FIELD:
            lines.append(f"{f.name:<{name_w}} {f.text}")
            continue
        bits = f.bits if len(f.bits) <= 32 else f.bits[:32] + "\u2026"
        lines.append(f"{f.name:<{name_w}} {bits:<{bits_w}} {f.text}")
        for v in f.violations:
            lines.append(f"  \u26a0 {v.rule.rfc}: {v.message}")
    return "\n".join(lines)


class HeaderBitsWidget(QWidget):
    """The frame header drawn like the figure in RFC 6455 section 5.2: 32 bits per
    line under a 0..31 ruler, a box per field holding this frame's bits, the field's
    name and decoded value; fields that break a rule are red (hover for the rule).

    :attr:`fields` is what is drawn (:class:`BitField` records), for tests and tools.
    """

    BITS_PER_ROW = 32

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("headerBits")
        self.setAccessibleName("Header bits")
        self.fields: list[BitField] = []
        self._bit_font = theme.monospace_font(1.0)
        self._label_font = QFont(self.font())
        if self._label_font.pointSizeF() > 0:
            self._label_font.setPointSizeF(max(7.0, self._label_font.pointSizeF() - 1))
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.setMouseTracking(True)

    def set_fields(self, fields: list[BitField]) -> None:
        self.fields = fields
        self.setAccessibleDescription(describe_fields(fields))
        self.updateGeometry()
        self.update()

    def set_frame(self, frame: Frame | None) -> None:
        if frame is None:
            self.set_fields([])
        else:
            self.set_fields(header_fields(frame.header, frame.violations, len(frame.payload)))

    def field(self, name: str) -> BitField:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    # -------------------------------------------------------------- geometry
    def _geometry(self, fit: bool = True) -> tuple[int, int, int, int, int]:
        """(cell width, ruler height, bit band height, label band height, margin)."""
        bfm = QFontMetrics(self._bit_font)
        lfm = QFontMetrics(self._label_font)
        natural = max(20, bfm.horizontalAdvance("0") * 2 + 6, lfm.horizontalAdvance("W") + 8)
        least = max(13, bfm.horizontalAdvance("0") + 4, lfm.horizontalAdvance("W") + 3)
        # Shrink the cells to the pane's width (down to a legible minimum) so that the
        # 32-bit rows of the RFC figure are never cut off at the right.
        avail = (self.width() - 16) // self.BITS_PER_ROW if fit else 0
        cw = max(least, min(natural, avail)) if avail > 0 else natural
        ruler = 2 * lfm.height() + 4
        bit_h = bfm.height() + 8
        label_h = 4 * lfm.height() + 6
        return cw, ruler, bit_h, label_h, 8

    def _rows(self) -> int:
        if not self.fields:
            return 1
        end = self.fields[-1].start  # the payload marker starts where the header ends
        return end // self.BITS_PER_ROW + 1

    def sizeHint(self) -> QSize:
        cw, ruler, bit_h, label_h, m = self._geometry(fit=False)
        return QSize(
            2 * m + self.BITS_PER_ROW * cw, 2 * m + ruler + self._rows() * (bit_h + label_h)
        )

    def minimumSizeHint(self) -> QSize:
        bfm = QFontMetrics(self._bit_font)
        lfm = QFontMetrics(self._label_font)
        least = max(13, bfm.horizontalAdvance("0") + 4, lfm.horizontalAdvance("W") + 3)
        hint = self.sizeHint()
        return QSize(16 + self.BITS_PER_ROW * least, hint.height())

    def _segments(self) -> list[tuple[BitField, int, int, int, bool]]:
        """(field, row, first column, columns, is first segment) for each box."""
        out = []
        per = self.BITS_PER_ROW
        for f in self.fields:
            start = f.start
            end = f.start + f.width if f.name != PAYLOAD_FIELD else (start // per + 1) * per
            first = True
            while start < end:
                row, col = divmod(start, per)
                n = min(end - start, per - col)
                out.append((f, row, col, n, first))
                first = False
                start += n
        return out

    def _cell_rect(self, row: int, col: int, n: int) -> QRect:
        cw, ruler, bit_h, label_h, m = self._geometry()
        x0 = m + max(0, (self.width() - 2 * m - self.BITS_PER_ROW * cw) // 2)
        return QRect(x0 + col * cw, m + ruler + row * (bit_h + label_h), n * cw, bit_h + label_h)

    def field_at(self, pos: QPoint) -> BitField | None:
        for f, row, col, n, _ in self._segments():
            if self._cell_rect(row, col, n).contains(pos):
                return f
        return None

    # -------------------------------------------------------------- painting
    def paintEvent(self, event: QPaintEvent) -> None:
        th = theme.current(self.palette())
        cw, ruler, bit_h, label_h, m = self._geometry()
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        x0 = m + max(0, (self.width() - 2 * m - self.BITS_PER_ROW * cw) // 2)
        lfm = QFontMetrics(self._label_font)
        # The ruler, as in the RFC: tens above, units below.
        p.setFont(self._label_font)
        p.setPen(th.muted)
        for i in range(self.BITS_PER_ROW):
            r_units = QRect(x0 + i * cw, m + lfm.height(), cw, lfm.height())
            p.drawText(r_units, Qt.AlignmentFlag.AlignCenter, str(i % 10))
            if i % 10 == 0:
                r_tens = QRect(x0 + i * cw, m, cw, lfm.height())
                p.drawText(r_tens, Qt.AlignmentFlag.AlignCenter, str(i // 10))
        if not self.fields:
            p.drawText(
                QRect(x0, m + ruler, self.BITS_PER_ROW * cw, bit_h),
                Qt.AlignmentFlag.AlignCenter,
                "No frame selected",
            )
            p.end()
            return
        bold_bit = QFont(self._bit_font)
        bold_bit.setBold(True)
        label_bold = QFont(self._label_font)
        label_bold.setBold(True)
        for f, row, col, n, first in self._segments():
            rect = self._cell_rect(row, col, n)
            rect.moveLeft(x0 + col * cw)
            bad = bool(f.violations)
            payload = f.name == PAYLOAD_FIELD
            fill = th.violation_tint if bad else (th.base if payload else th.field_fill)
            p.fillRect(rect, fill)
            # Bits, one per cell, with ticks between cells.
            offset = (row * self.BITS_PER_ROW + col) - f.start
            if not payload:
                p.setPen(QPen(th.grid, 1))
                for k in range(1, n):
                    x = rect.left() + k * cw
                    p.drawLine(x, rect.top(), x, rect.top() + 4)
                    p.drawLine(x, rect.top() + bit_h - 4, x, rect.top() + bit_h)
                for k in range(n):
                    bit = f.bits[offset + k]
                    cell = QRect(rect.left() + k * cw, rect.top(), cw, bit_h)
                    if bit == "1":
                        p.setFont(bold_bit)
                        p.setPen(th.violation if bad else th.bit_one)
                    else:
                        p.setFont(self._bit_font)
                        p.setPen(th.muted)
                    p.drawText(cell, Qt.AlignmentFlag.AlignCenter, bit)
            # The label band.
            band = QRect(rect.left() + 2, rect.top() + bit_h, rect.width() - 4, label_h - 2)
            p.setPen(th.violation if bad else th.text)
            if f.width == 1:
                p.setFont(label_bold)
                letters = f.label
                lh = lfm.height()
                top = band.top() + max(0, (band.height() - lh * len(letters)) // 2)
                for k, ch in enumerate(letters):
                    p.drawText(
                        QRect(band.left(), top + k * lh, band.width(), lh),
                        Qt.AlignmentFlag.AlignCenter,
                        ch,
                    )
            else:
                lines: list[tuple[str, QFont, QColor]] = []
                if payload:
                    lines.append((f.label, label_bold, th.muted))
                    lines.append((f.text, self._label_font, th.muted))
                elif first:
                    lines.append(
                        (
                            ("\u26a0 " if bad else "") + f.label,
                            label_bold,
                            th.violation if bad else th.text,
                        )
                    )
                    lines.append((f.text, self._label_font, th.violation if bad else th.text))
                else:
                    lines.append((f.label + " (continued)", self._label_font, th.muted))
                lh = lfm.height()
                top = band.top() + max(0, (band.height() - lh * len(lines)) // 2)
                for k, (text, font, color) in enumerate(lines):
                    p.setFont(font)
                    p.setPen(color)
                    fm = QFontMetrics(font)
                    p.drawText(
                        QRect(band.left(), top + k * lh, band.width(), lh),
                        Qt.AlignmentFlag.AlignCenter,
                        fm.elidedText(text, Qt.TextElideMode.ElideRight, band.width()),
                    )
            # The box.
            if payload:
                pen = QPen(th.grid, 1, Qt.PenStyle.DashLine)
            elif bad:
                pen = QPen(th.violation, 2)
            else:
                pen = QPen(th.grid, 1)
            p.setPen(pen)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(rect.adjusted(0, 0, -1, -1))
        p.end()

    def event(self, e: QEvent) -> bool:
        if e.type() == QEvent.Type.ToolTip:
            assert isinstance(e, QHelpEvent)
            f = self.field_at(e.pos())
            if f is None:
                QToolTip.hideText()
                e.ignore()
                return True
            lines = [f"{f.name}: {f.text}"]
            if f.bits:
                lines.append(f"bits {f.bits}" if len(f.bits) <= 32 else f"{f.width} bits")
            lines.extend(f"\u26a0 {v.rule.rfc} {v.rule.slug}: {v.message}" for v in f.violations)
            QToolTip.showText(e.globalPos(), "\n".join(lines), self)
            return True
        return super().event(e)


# ---------------------------------------------------------------------- JSON
class JsonHighlighter(QSyntaxHighlighter):
    """Colours pretty-printed JSON: keys, strings, numbers, true/false/null."""

    _TOKEN = re.compile(
        r'(?P<str>"(?:[^"\\]|\\.)*")(?P<colon>\s*:)?'
        r"|(?P<num>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)"
        r"|(?P<kw>\btrue\b|\bfalse\b|\bnull\b)"
    )

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)
        self._formats: dict[str, QTextCharFormat] = {}
        self._make_formats()

    def update_theme(self) -> None:
        """Colour the document again with the current palette's colours."""
        self._make_formats()
        self.rehighlight()

    def _make_formats(self) -> None:
        th = theme.current()
        for name, color in (
            ("key", th.json_key),
            ("str", th.json_string),
            ("num", th.json_number),
            ("kw", th.json_keyword),
        ):
            fmt = QTextCharFormat()
            fmt.setForeground(color)
            if name == "key":
                fmt.setFontWeight(QFont.Weight.DemiBold)
            self._formats[name] = fmt

    def highlightBlock(self, text: str) -> None:
        if len(text) > 20000:  # a monster line: leave it plain rather than stall
            return
        for m in self._TOKEN.finditer(text):
            if m.group("str") is not None:
                kind = "key" if m.group("colon") else "str"
                self.setFormat(m.start("str"), len(m.group("str")), self._formats[kind])
            elif m.group("num") is not None:
                self.setFormat(m.start(), m.end() - m.start(), self._formats["num"])
            else:
                self.setFormat(m.start(), m.end() - m.start(), self._formats["kw"])


def _looks_like_json(data: bytes) -> bool:
    head = data[:64].lstrip()
    return head[:1] in (b"{", b"[")


def _plain_edit(parent: QWidget, name: str, accessible: str) -> QPlainTextEdit:
    edit = QPlainTextEdit(parent)
    edit.setObjectName(name)
    edit.setAccessibleName(accessible)
    edit.setReadOnly(True)
    edit.setTextInteractionFlags(_SELECTABLE)
    edit.setFont(theme.monospace_font())
    edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
    edit.setUndoRedoEnabled(False)
    return edit


class PayloadPane(QWidget):
    """A payload as Hex (virtualized), Text (capped, "Load all" for the rest) and
    JSON (pretty-printed and highlighted; only when the payload parses as JSON).

    The Text and JSON tabs are filled when first shown, so selecting frames with the
    Hex tab open costs nothing per byte.
    """

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setAccessibleName(name)
        self._data = b""
        self._is_text = False
        self._text_loaded = False
        self._json_loaded = False
        self._json_value: Any = None
        self.has_json = False
        self.has_text = False

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.info = QLabel(self)
        self.info.setObjectName(f"{name}Info")
        self.info.setAccessibleName("Payload size")
        self.info.setTextInteractionFlags(_SELECTABLE)
        layout.addWidget(self.info)

        self.tabs = QTabWidget(self)
        self.tabs.setObjectName(f"{name}Tabs")
        self.tabs.setAccessibleName("Payload views")
        self.tabs.setDocumentMode(True)
        self.hex_view = HexView(self.tabs)
        self.hex_view.setObjectName(f"{name}Hex")
        self.hex_view.setAccessibleName("Payload as hex")

        self.text_page = QWidget(self.tabs)
        text_layout = QVBoxLayout(self.text_page)
        text_layout.setContentsMargins(0, 0, 0, 0)
        text_layout.setSpacing(2)
        notice_row = QHBoxLayout()
        self.text_notice = QLabel(self.text_page)
        self.text_notice.setObjectName(f"{name}TextNotice")
        self.text_notice.setAccessibleName("Text size notice")
        self.load_all_button = QPushButton("Load all", self.text_page)
        self.load_all_button.setObjectName(f"{name}LoadAll")
        self.load_all_button.setAccessibleName("Load the whole text")
        self.load_all_button.clicked.connect(self.load_all_text)
        notice_row.addWidget(self.text_notice, 1)
        notice_row.addWidget(self.load_all_button)
        text_layout.addLayout(notice_row)
        self.text_edit = _plain_edit(self.text_page, f"{name}Text", "Payload as text")
        text_layout.addWidget(self.text_edit, 1)

        self.json_page = QWidget(self.tabs)
        json_layout = QVBoxLayout(self.json_page)
        json_layout.setContentsMargins(0, 0, 0, 0)
        json_layout.setSpacing(2)
        self.json_notice = QLabel(self.json_page)
        self.json_notice.setObjectName(f"{name}JsonNotice")
        self.json_notice.setAccessibleName("JSON size notice")
        json_layout.addWidget(self.json_notice)
        self.json_edit = _plain_edit(self.json_page, f"{name}Json", "Payload as JSON")
        self.json_edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        json_layout.addWidget(self.json_edit, 1)
        self._highlighter = JsonHighlighter(self.json_edit.document())

        self.tabs.addTab(self.hex_view, "Hex")
        self.tabs.addTab(self.text_page, "Text")
        self.tabs.addTab(self.json_page, "JSON")
        self.tabs.currentChanged.connect(self._load_current)
        layout.addWidget(self.tabs, 1)
        self.set_payload(b"")

    # ------------------------------------------------------------------ data
    def set_payload(
        self, data: bytes, *, is_text: bool = False, declared: int | None = None, note: str = ""
    ) -> None:
        """Show ``data``. ``is_text``: decode as UTF-8 with replacement characters
        even where it does not decode cleanly (a text frame, or a fragment of one).
        ``declared``: the size the frame announced, when more than was kept."""
        self._data = data
        self._is_text = is_text
        self._text_loaded = self._json_loaded = False
        self._json_value = None
        self.hex_view.set_data(data)
        head = data[:TEXT_CAP]
        if is_text:
            self.has_text = bool(data)
        else:
            # Binary data gets a Text tab only when it reads as text: UTF-8, and no
            # control characters but tab, line feed and carriage return.
            try:
                text = codecs.getincrementaldecoder("utf-8")().decode(
                    head, final=len(data) <= TEXT_CAP
                )
                self.has_text = bool(data) and text.translate(_WHITESPACE).isprintable()
            except UnicodeDecodeError:
                self.has_text = False
        self.has_json = False
        if data and len(data) <= JSON_CAP and _looks_like_json(data):
            try:
                self._json_value = json.loads(data)
                self.has_json = True
            except (ValueError, RecursionError):
                self.has_json = False
        info = _size(len(data)) if data else "empty"
        if declared is not None and declared > len(data):
            info = f"{_size(len(data))} kept of {declared:,} bytes declared"
        if note:
            info += " \u00b7 " + note
        self.info.setText(info)
        tabs = self.tabs
        tabs.setTabVisible(1, self.has_text)
        tabs.setTabVisible(2, self.has_json)
        if not tabs.isTabVisible(tabs.currentIndex()):
            tabs.setCurrentIndex(0)
        self.text_edit.clear()
        self.json_edit.clear()
        self._load_current(tabs.currentIndex())

    def data(self) -> bytes:
        return self._data

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        highlighter = getattr(self, "_highlighter", None)  # (None while being built)
        if event.type() == QEvent.Type.PaletteChange and highlighter is not None:
            highlighter.update_theme()  # light <-> dark

    @Slot(int)
    def _load_current(self, index: int) -> None:
        if index == 1 and not self._text_loaded:
            self._fill_text(TEXT_CAP)
        elif index == 2 and not self._json_loaded:
            self._fill_json()

    def ensure_loaded(self) -> None:
        """Fill the Text and JSON tabs now (they are otherwise filled when shown)."""
        if self.has_text and not self._text_loaded:
            self._fill_text(TEXT_CAP)
        if self.has_json and not self._json_loaded:
            self._fill_json()

    def _fill_text(self, cap: int) -> None:
        data = self._data
        head = data[:cap]
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        text = decoder.decode(head, final=len(head) == len(data))
        longest = max(map(len, text.split("\n")), default=0)
        self.text_edit.setWordWrapMode(
            QTextOption.WrapMode.WrapAnywhere
            if longest > LONG_LINE
            else QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere
        )
        self.text_edit.setPlainText(text)
        self._text_loaded = True
        cut = len(head) < len(data)
        if cut and cap >= TEXT_MAX:
            notice = (
                f"Showing the first {_size(len(head))} of {_size(len(data))}; "
                "the Hex tab shows all of it."
            )
        elif cut:
            notice = f"Showing the first {_size(len(head))} of {_size(len(data))}."
        else:
            notice = ""
        self.text_notice.setText(notice)
        self.text_notice.setVisible(cut)
        can_load = cut and cap < TEXT_MAX
        self.load_all_button.setVisible(can_load)
        more = min(len(data), TEXT_MAX)
        self.load_all_button.setText(
            f"Load all {_size(more)}" if more == len(data) else f"Load {_size(more)}"
        )

    @Slot()
    def load_all_text(self) -> None:
        """Decode and show the payload, up to :data:`TEXT_MAX` (the user asked)."""
        self._fill_text(TEXT_MAX)

    def _fill_json(self) -> None:
        text = json.dumps(self._json_value, indent=2, ensure_ascii=False)
        cut = len(text) > JSON_TEXT_CAP
        if cut:
            shown = text[: text.rfind("\n", 0, JSON_TEXT_CAP) + 1 or JSON_TEXT_CAP]
            self.json_notice.setText(
                f"Showing the first {shown.count(chr(10)):,} of {text.count(chr(10)) + 1:,} "
                "lines of the pretty-printed JSON."
            )
            text = shown
        self.json_notice.setVisible(cut)
        self.json_edit.setPlainText(text)
        self._json_loaded = True


# --------------------------------------------------------------------- detail
def _label(parent: QWidget, name: str, accessible: str, *, mono: bool = False) -> QLabel:
    label = QLabel(parent)
    label.setObjectName(name)
    label.setAccessibleName(accessible)
    label.setTextInteractionFlags(_SELECTABLE)
    label.setWordWrap(True)
    if mono:
        label.setFont(theme.monospace_font())
    return label


class FrameDetailView(QWidget):
    """Everything about the frame at one store row.

    ``frameRequested(int)`` asks for another store row to be selected (a frame
    clicked in the Message tab's list).
    """

    frameRequested = Signal(int)

    TAB_HEADER, TAB_MASKING, TAB_PAYLOAD, TAB_CLOSE, TAB_MESSAGE, TAB_VIOLATIONS = range(6)
    TAB_NAMES = ("Header", "Masking", "Payload", "Close", "Message", "Violations")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("frameDetail")
        self.setAccessibleName("Frame detail")
        self._store: CaptureStore | None = None
        self._row = -1
        self.frame: Frame | None = None
        self.message: Message | None = None
        self.message_rows: list[int] = []
        #: (offset, byte on the wire, key byte, unmasked byte) of the masking table.
        self.masking_rows: list[tuple[int, int, int, int]] = []
        #: What the Close tab shows: code, name, meaning, reason, valid.
        self.close_fields: dict[str, str] = {}

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        self.summary = _label(self, "detailSummary", "Frame summary")
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.summary)
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("detailTabs")
        self.tabs.setAccessibleName("Frame detail sections")
        layout.addWidget(self.tabs, 1)

        self._build_header_tab()
        self._build_masking_tab()
        self.payload = PayloadPane("payload", self.tabs)
        self.tabs.addTab(self.payload, "Payload")
        self._build_close_tab()
        self._build_message_tab()
        self.violations_view = QTextBrowser(self.tabs)
        self.violations_view.setObjectName("violationsList")
        self.violations_view.setAccessibleName("Violations")
        self.violations_view.setOpenExternalLinks(True)
        self.violations_view.setReadOnly(True)
        self.tabs.addTab(self.violations_view, "Violations")
        self.clear()

    # -------------------------------------------------------------- building
    def _build_header_tab(self) -> None:
        page = QWidget(self.tabs)
        page.setObjectName("headerPage")
        v = QVBoxLayout(page)
        v.setContentsMargins(4, 4, 4, 4)
        self.bits = HeaderBitsWidget(page)
        v.addWidget(self.bits)
        self.header_hex = _label(page, "headerHex", "Header bytes", mono=True)
        v.addWidget(self.header_hex)
        self.header_text = _label(page, "headerFields", "Header fields", mono=True)
        self.header_text.setWordWrap(False)
        v.addWidget(self.header_text)
        v.addStretch(1)
        scroll = QScrollArea(self.tabs)
        scroll.setObjectName("headerScroll")
        scroll.setAccessibleName("Header")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(page)
        self._header_page = page
        self._header_scroll = scroll
        # A long line of the text (a 64-bit length, a violation) may make the page
        # wider than the pane; the figure still fits what is on screen (see eventFilter).
        scroll.viewport().installEventFilter(self)
        self.tabs.addTab(scroll, "Header")

    def _build_masking_tab(self) -> None:
        page = QWidget(self.tabs)
        page.setObjectName("maskingPage")
        v = QVBoxLayout(page)
        v.setContentsMargins(4, 4, 4, 4)
        self.mask_key_label = _label(page, "maskKey", "Masking key", mono=True)
        v.addWidget(self.mask_key_label)
        self.mask_explain = _label(page, "maskExplanation", "How masking works")
        self.mask_explain.setText(
            "A client masks every payload byte it sends (RFC 6455 \u00a75.3): byte <i>i</i> "
            "on the wire is the payload byte XOR key byte <i>i</i> mod 4. XOR undoes "
            "itself, so the receiver applies the same key to get the payload back. "
            "Masking is not encryption (the key travels in the header): it stops a "
            "browser page from writing predictable bytes that could poison a proxy's cache."
        )
        v.addWidget(self.mask_explain)
        self.mask_table = _plain_edit(page, "maskTable", "Masked and unmasked bytes")
        self.mask_table.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        v.addWidget(self.mask_table, 1)
        self.tabs.addTab(page, "Masking")

    def _build_close_tab(self) -> None:
        page = QWidget(self.tabs)
        page.setObjectName("closePage")
        form = QFormLayout(page)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.close_labels: dict[str, QLabel] = {}
        for key, title in (
            ("code", "Code"),
            ("name", "Name"),
            ("meaning", "Meaning"),
            ("reason", "Reason"),
            ("valid", "On the wire"),
            ("violations", "Problems"),
        ):
            label = _label(page, f"close_{key}", f"Close {title.lower()}")
            form.addRow(f"{title}:", label)
            self.close_labels[key] = label
        self.tabs.addTab(page, "Close")

    def _build_message_tab(self) -> None:
        page = QWidget(self.tabs)
        page.setObjectName("messagePage")
        v = QVBoxLayout(page)
        v.setContentsMargins(4, 4, 4, 4)
        self.message_info = _label(page, "messageInfo", "Message summary")
        v.addWidget(self.message_info)
        split = QSplitter(Qt.Orientation.Vertical, page)
        split.setObjectName("messageSplitter")
        self.message_frames = QListWidget(split)
        self.message_frames.setObjectName("messageFrames")
        self.message_frames.setAccessibleName("Frames of the message")
        self.message_frames.itemActivated.connect(self._on_message_frame)
        self.message_frames.itemClicked.connect(self._on_message_frame)
        self.message_payload = PayloadPane("messagePayload", split)
        self.message_payload.setAccessibleName("Reassembled message")
        split.addWidget(self.message_frames)
        split.addWidget(self.message_payload)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 3)
        v.addWidget(split, 1)
        self.tabs.addTab(page, "Message")

    # ------------------------------------------------------------ public API
    @property
    def row(self) -> int:
        return self._row

    def visible_tabs(self) -> list[str]:
        return [self.TAB_NAMES[i] for i in range(self.tabs.count()) if self.tabs.isTabVisible(i)]

    def tab_visible(self, name: str) -> bool:
        return self.tabs.isTabVisible(self.TAB_NAMES.index(name))

    def show_tab(self, name: str) -> None:
        self.tabs.setCurrentIndex(self.TAB_NAMES.index(name))

    @Slot()
    def clear(self) -> None:
        self._store = None
        self._row = -1
        self.frame = None
        self.message = None
        self.message_rows = []
        self.masking_rows = []
        self.close_fields = {}
        self.summary.setText("<i>Select a frame to see its header, payload and any problems.</i>")
        self.bits.set_frame(None)
        self.header_hex.clear()
        self.header_text.clear()
        self._relayout_header()
        self.payload.set_payload(b"")
        for i in range(1, self.tabs.count()):
            self.tabs.setTabVisible(i, i == self.TAB_PAYLOAD)
        self.tabs.setTabVisible(self.TAB_HEADER, True)

    def show_frame(self, store: CaptureStore, row: int) -> None:
        """Show the frame at ``row`` of ``store`` (a negative row: :meth:`clear`)."""
        if row < 0 or row >= len(store):
            self.clear()
            return
        current = self.TAB_NAMES[self.tabs.currentIndex()]
        self._store = store
        self._row = row
        frame = store.frame(row)
        self.frame = frame
        th = theme.current(self.palette())
        op = frame.opcode
        kind_op, compressed = self._message_kind(store, row)
        self._fill_summary(store, row, frame, compressed)

        # Header
        self.bits.set_frame(frame)
        self.header_hex.setText(f"Header ({len(frame.header)} bytes): {frame.header.hex(' ')}")
        self.header_text.setText(describe_fields(self.bits.fields))

        # Masking
        key = frame.mask_key
        self.tabs.setTabVisible(self.TAB_MASKING, key is not None)
        if key is not None:
            self._fill_masking(frame.payload, key)
        else:
            self.masking_rows = []
            self.mask_table.clear()

        # Payload
        is_text = (kind_op == Opcode.TEXT and not compressed) or op in (Opcode.PING, Opcode.PONG)
        note = ""
        if compressed:
            note = "compressed with permessage-deflate; the Message tab shows it inflated"
        elif frame.truncated:
            note = "over the frame size limit: the payload was not kept"
        if op == Opcode.CLOSE:
            self.payload.set_payload(frame.payload, is_text=False, declared=frame.length)
        else:
            self.payload.set_payload(
                frame.payload, is_text=is_text, declared=frame.length, note=note
            )

        # Close
        self.tabs.setTabVisible(self.TAB_CLOSE, op == Opcode.CLOSE)
        if op == Opcode.CLOSE:
            self._fill_close(frame)
        else:
            self.close_fields = {}

        # Message
        self._fill_message(store, row, compressed)

        # Violations
        self.tabs.setTabVisible(self.TAB_VIOLATIONS, bool(frame.violations))
        self.tabs.setTabText(
            self.TAB_VIOLATIONS,
            f"Violations ({len(frame.violations)})" if frame.violations else "Violations",
        )
        self.tabs.tabBar().setTabTextColor(self.TAB_VIOLATIONS, th.violation)
        self._fill_violations(frame.violations)

        index = self.TAB_NAMES.index(current)
        if not self.tabs.isTabVisible(index):
            index = self.TAB_HEADER
        self.tabs.setCurrentIndex(index)
        self._relayout_header()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and getattr(self, "frame", None) is not None:
            self._recolour()  # light <-> dark

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and watched is self._header_scroll.viewport():
            layout = self._header_page.layout()
            margins = layout.contentsMargins() if layout is not None else QMargins()
            width = self._header_scroll.viewport().width() - margins.left() - margins.right()
            self.bits.setMaximumWidth(max(self.bits.minimumSizeHint().width(), width))
        return super().eventFilter(watched, event)

    def _fill_summary(self, store: CaptureStore, row: int, frame: Frame, compressed: bool) -> None:
        th = theme.current(self.palette())
        incoming = store.dir[row] == 1
        arrow = "\u2193 received" if incoming else "\u2191 sent"
        color = (th.incoming if incoming else th.outgoing).name()
        parts = [
            f"<b>Row {row}</b>",
            f"<span style='color:{color}'>{arrow}</span>",
            f"frame #{frame.seq} at byte {frame.offset:,}",
            f"t = {store.t[row]:.6f} s",
            f"<b>{_esc(frame.opcode_name)}</b>",
            f"{frame.length:,} bytes",
        ]
        if compressed:
            parts.append("compressed")
        if frame.violations:
            n = len(frame.violations)
            parts.append(
                f"<span style='color:{th.violation.name()}'>\u26a0 {n} violation"
                f"{'s' if n > 1 else ''}</span>"
            )
        self.summary.setText(" \u00b7 ".join(parts))

    def _recolour(self) -> None:
        """Colour what :meth:`show_frame` coloured again, from the current palette."""
        store, frame, row = self._store, self.frame, self._row
        if store is None or frame is None:
            return
        self._fill_summary(store, row, frame, self._message_kind(store, row)[1])
        th = theme.current(self.palette())
        self.tabs.tabBar().setTabTextColor(self.TAB_VIOLATIONS, th.violation)
        self._fill_violations(frame.violations)
        if frame.opcode == Opcode.CLOSE:
            self._fill_close(frame)

    def _relayout_header(self) -> None:
        # The figure's height depends on the header's length; lay the page out now
        # (and let the scroll area see its new minimum size) instead of a few event
        # loop turns later, so a grab right after show_frame() is already right.
        QApplication.sendEvent(self._header_page, QEvent(QEvent.Type.LayoutRequest))
        QApplication.sendEvent(self._header_scroll, QEvent(QEvent.Type.LayoutRequest))

    # ------------------------------------------------------------- sections
    @staticmethod
    def _message_kind(store: CaptureStore, row: int) -> tuple[int, bool]:
        """The opcode of the message the frame belongs to, and whether it is compressed
        (RSV1 on the message's first frame)."""
        b0 = store.b0[row]
        op = b0 & 0x0F
        if op >= 8:
            return op, False
        start = store.msg_start[row]
        if start < 0:
            return op, False
        first = store.b0[start]
        if not first & 0x40:
            return first & 0x0F, False
        # RSV1 means "compressed" only under permessage-deflate (RFC 7692 section 6).
        last = store.message_frames(row)[-1]
        message = store.message_for(last)
        compressed = deflate_negotiated(store) or (message is not None and message.compressed)
        return first & 0x0F, compressed

    def _fill_masking(self, payload: bytes, key: bytes) -> None:
        head = payload[:MASK_ROWS]
        wire = apply_mask(head, key)
        rows = [(i, wire[i], key[i % 4], head[i]) for i in range(len(head))]
        self.masking_rows = rows
        self.mask_key_label.setText(
            f"Masking key: {key.hex(' ')}   (k0={key[0]:02x} k1={key[1]:02x} "
            f"k2={key[2]:02x} k3={key[3]:02x})"
        )
        out = [
            "  byte  on the wire           key          payload              char",
            "  ----  ------------------    ----------   ------------------   ----",
        ]
        for i, w, k, u in rows:
            ch = chr(u) if 0x20 <= u < 0x7F else "."
            out.append(
                f"{i:6d}  {w:02x} {w:08b}  XOR  k{i % 4} {k:02x}  =  {u:02x} {u:08b}     {ch}"
            )
        if len(payload) > MASK_ROWS:
            out.append(f"  \u2026 {len(payload) - MASK_ROWS:,} more bytes, masked the same way")
        if not payload:
            out.append("  (empty payload: the key is sent but masks nothing)")
        self.mask_table.setPlainText("\n".join(out))

    def _fill_close(self, frame: Frame) -> None:
        code, reason, problems = parse_close_payload(frame.payload)
        f: dict[str, str] = {}
        if code is None:
            f["code"] = "none" if not frame.payload else "invalid (1-byte payload)"
            f["name"] = ""
            f["meaning"] = (
                "A close frame without a code; the receiver reports 1005 (no status received)"
                if not frame.payload
                else "A close payload must be empty or start with a 2-byte code"
            )
            f["valid"] = "yes" if not frame.payload else "no"
        else:
            f["code"] = str(code)
            try:
                f["name"] = CloseCode(code).name.replace("_", " ").capitalize()
            except ValueError:
                f["name"] = "(not registered)"
            f["meaning"] = close_code_meaning(code)
            f["valid"] = (
                "yes" if is_valid_close_code(code) else "no: this code may not be sent in a frame"
            )
        f["reason"] = reason if reason else "(none)"
        relevant = [
            v
            for v in frame.violations
            if v.rule
            in (
                Rule.CLOSE_PAYLOAD_ONE_BYTE,
                Rule.INVALID_CLOSE_CODE,
                Rule.INVALID_CLOSE_REASON,
                Rule.CONTROL_FRAME_TOO_LONG,
                Rule.FRAGMENTED_CONTROL_FRAME,
            )
        ]
        extra = [msg for _, msg in problems if not any(v.message == msg for v in relevant)]
        issues = [f"\u26a0 {v.rule.rfc}: {v.message}" for v in relevant] + [
            f"\u26a0 {m}" for m in extra
        ]
        f["violations"] = "\n".join(issues) if issues else "none"
        self.close_fields = f
        for key, label in self.close_labels.items():
            label.setText(f.get(key, ""))
        th = theme.current(self.palette())
        self.close_labels["violations"].setStyleSheet(
            f"color: {th.violation.name()};" if issues else ""
        )

    def _fill_message(self, store: CaptureStore, row: int, compressed: bool) -> None:
        rows = list(store.message_frames(row))
        last = rows[-1]
        message = store.message_for(last)
        show = len(rows) > 1 or message is not None
        self.tabs.setTabVisible(self.TAB_MESSAGE, show)
        self.message = message
        self.message_rows = rows if show else []
        self.message_frames.clear()
        if not show:
            self.message_payload.set_payload(b"")
            self.message_info.clear()
            return
        kind_op = store.b0[rows[0]] & 0x0F
        wire = sum(store.length[r] for r in rows)
        complete = bool(store.b0[last] & 0x80)
        info = [
            f"<b>{opcode_name(kind_op)} message</b> in {len(rows)} frame"
            f"{'s' if len(rows) > 1 else ''}"
            + ("" if complete else " so far (unfinished: no FIN yet)"),
            f"{wire:,} payload bytes on the wire",
        ]
        if message is not None:
            if message.compressed:
                ratio = f" ({message.wire_size / len(message.data):.0%})" if message.data else ""
                info.append(
                    f"permessage-deflate: {message.wire_size:,} bytes compressed \u2192 "
                    f"{len(message.data):,} bytes inflated{ratio}"
                )
            else:
                info.append(f"{len(message.data):,} bytes reassembled")
            if message.truncated:
                info.append("truncated by a size limit")
        self.message_info.setText(" \u00b7 ".join(info))
        bold = QFont(self.message_frames.font())
        bold.setBold(True)
        for r in rows:
            b0 = store.b0[r]
            text = (
                f"row {r} \u00b7 #{store.seq[r]} \u00b7 {opcode_name(b0)} \u00b7 "
                f"FIN {b0 >> 7} \u00b7 {store.length[r]:,} bytes"
            )
            if r == row:
                text += "   \u25c0 this frame"
            item = QListWidgetItem(text, self.message_frames)
            item.setData(Qt.ItemDataRole.UserRole, r)
            if r == row:
                item.setFont(bold)
        if message is not None:
            self.message_payload.set_payload(
                message.data,
                is_text=message.opcode == Opcode.TEXT,
                note="inflated" if message.compressed else "reassembled",
            )
        elif compressed:
            self.message_payload.set_payload(
                b"", note="not inflated yet: the message is unfinished"
            )
        else:
            data = b"".join(store.payloads[r] for r in rows)
            self.message_payload.set_payload(
                data, is_text=kind_op == Opcode.TEXT, note="fragments so far"
            )

    def _fill_violations(self, violations: tuple[Violation, ...]) -> None:
        if not violations:
            self.violations_view.setHtml("<p><i>This frame breaks no rule.</i></p>")
            return
        th = theme.current(self.palette())
        red = th.violation.name()
        items = []
        for v in violations:
            rule = v.rule
            where = f" at byte {v.offset:,}" if v.offset is not None else ""
            items.append(
                f"<li><p><span style='color:{red}'>\u26a0</span> "
                f"<a href='{rule.url}'>{_esc(rule.rfc)}</a> "
                f"<code>{_esc(rule.slug)}</code>{where}<br>"
                f"<b>{_esc(v.message)}</b><br>"
                f"<span>Rule: {_esc(rule.summary)}. Close code when failing: "
                f"{rule.close_code}.</span></p></li>"
            )
        self.violations_view.setHtml("<ul>" + "".join(items) + "</ul>")

    @Slot(QListWidgetItem)
    def _on_message_frame(self, item: QListWidgetItem) -> None:
        r = item.data(Qt.ItemDataRole.UserRole)
        if isinstance(r, int) and r != self._row:
            self.frameRequested.emit(r)
