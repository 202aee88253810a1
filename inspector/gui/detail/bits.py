"""The frame header drawn like the figure in RFC 6455 section 5.2, with this frame's
bits in it."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QHelpEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from ...protocol.frames import Frame
from ...views.frame_fields import (
    DELIBERATE_MARK,
    PAYLOAD_FIELD,
    VIOLATION_MARK,
    BitField,
    describe_fields,
    header_fields,
    violation_line,
)
from ..timeline.icons import deliberate_color, deliberate_tint
from ..widgets import theme

__all__ = ["HeaderBitsWidget", "wrap_label"]


def wrap_label(text: str, fm: QFontMetrics, width: int, max_lines: int) -> list[str]:
    """``text`` in at most ``max_lines`` lines of ``width`` pixels, broken between
    words; only what still does not fit is elided (a 4-bit box holds "0x8" over
    "CLOSE", where one line showed "0x8 CL…")."""
    words = text.split(" ")
    lines: list[str] = []
    current = ""
    for i, word in enumerate(words):
        candidate = f"{current} {word}" if current else word
        if not current or fm.horizontalAdvance(candidate) <= width:
            current = candidate
            continue
        if len(lines) == max_lines - 1:
            current = " ".join([current, *words[i:]])
            break
        lines.append(current)
        current = word
    lines.append(current)
    return [fm.elidedText(line, Qt.TextElideMode.ElideRight, width) for line in lines]


class HeaderBitsWidget(QWidget):
    """The frame header drawn like the figure in RFC 6455 section 5.2: 32 bits per
    line under a 0..31 ruler, a box per field holding this frame's bits, the field's
    name and decoded value; fields that break a rule are red (hover for the rule),
    those we broke on purpose teal. In a pane too narrow for 32 legible bits a line
    holds 16 (the header's fields are whole bytes, so the figure folds cleanly).

    :attr:`fields` is what is drawn (:class:`BitField` records), for tests and tools.
    """

    BITS_PER_ROW = 32
    NARROW_BITS_PER_ROW = 16

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("headerBits")
        self.setAccessibleName("Header bits")
        self.fields: list[BitField] = []
        self._bit_font = theme.monospace_font(1.0)
        self._label_font = QFont(self.font())
        if self._label_font.pointSizeF() > 0:
            self._label_font.setPointSizeF(max(7.0, self._label_font.pointSizeF() - 1))
        policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
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
    def _least(self) -> int:
        """The narrowest legible cell."""
        bfm = QFontMetrics(self._bit_font)
        lfm = QFontMetrics(self._label_font)
        return max(13, bfm.horizontalAdvance("0") + 4, lfm.horizontalAdvance("W") + 3)

    def per_row(self, width: int | None = None) -> int:
        """Bits per line at ``width`` (default: the widget's)."""
        w = self.width() if width is None else width
        return (
            self.BITS_PER_ROW
            if w >= 16 + self.BITS_PER_ROW * self._least()
            else (self.NARROW_BITS_PER_ROW)
        )

    def _geometry(self, fit: bool = True) -> tuple[int, int, int, int, int]:
        """(cell width, ruler height, bit band height, label band height, margin)."""
        bfm = QFontMetrics(self._bit_font)
        lfm = QFontMetrics(self._label_font)
        natural = max(20, bfm.horizontalAdvance("0") * 2 + 6, lfm.horizontalAdvance("W") + 8)
        least = self._least()
        # Shrink the cells to the pane's width (down to a legible minimum) so that the
        # rows of the RFC figure are never cut off at the right.
        avail = (self.width() - 16) // self.per_row() if fit else 0
        cw = max(least, min(natural, avail)) if avail > 0 else natural
        ruler = 2 * lfm.height() + 4
        bit_h = bfm.height() + 8
        label_h = 4 * lfm.height() + 6
        return cw, ruler, bit_h, label_h, 8

    def _rows(self, per: int) -> int:
        if not self.fields:
            return 1
        end = self.fields[-1].start  # the payload marker starts where the header ends
        return end // per + 1

    def _height(self, per: int) -> int:
        _, ruler, bit_h, label_h, m = self._geometry(fit=False)
        return 2 * m + ruler + self._rows(per) * (bit_h + label_h)

    def sizeHint(self) -> QSize:
        cw, _, _, _, m = self._geometry(fit=False)
        return QSize(2 * m + self.BITS_PER_ROW * cw, self._height(self.BITS_PER_ROW))

    def minimumSizeHint(self) -> QSize:
        return QSize(16 + self.NARROW_BITS_PER_ROW * self._least(), self._height(self.per_row()))

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._height(self.per_row(width))

    def _segments(self) -> list[tuple[BitField, int, int, int, bool]]:
        """(field, row, first column, columns, is first segment) for each box."""
        out = []
        per = self.per_row()
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
        x0 = m + max(0, (self.width() - 2 * m - self.per_row() * cw) // 2)
        return QRect(x0 + col * cw, m + ruler + row * (bit_h + label_h), n * cw, bit_h + label_h)

    def field_at(self, pos: QPoint) -> BitField | None:
        for f, row, col, n, _ in self._segments():
            if self._cell_rect(row, col, n).contains(pos):
                return f
        return None

    # ---------------------------------------------------------------- labels
    def _label_lines(
        self,
        f: BitField,
        first: bool,
        width: int,
        max_lines: int,
        style: tuple[str, QColor, QColor],
    ) -> list[tuple[str, bool, QColor]]:
        """The lines of a box's label band as drawn: (text, bold, colour). ``style``
        is (the mark of a broken rule or "", the ink, the muted colour)."""
        mark, ink, muted = style
        bold_fm = QFontMetrics(self._bold_label_font())
        fm = QFontMetrics(self._label_font)
        if f.width == 1:
            return [(ch, True, ink) for ch in f.label]
        if f.name == PAYLOAD_FIELD:
            return [
                (bold_fm.elidedText(f.label, Qt.TextElideMode.ElideRight, width), True, muted),
                (fm.elidedText(f.text, Qt.TextElideMode.ElideRight, width), False, muted),
            ]
        if not first:
            text = fm.elidedText(f.label + " (continued)", Qt.TextElideMode.ElideRight, width)
            return [(text, False, muted)]
        title = (mark + " " if mark else "") + f.label
        head = wrap_label(title, bold_fm, width, max(1, max_lines - 1))
        body = wrap_label(f.text, fm, width, max(1, max_lines - len(head)))
        return [(t, True, ink) for t in head] + [(t, False, ink) for t in body]

    def _bold_label_font(self) -> QFont:
        font = QFont(self._label_font)
        font.setBold(True)
        return font

    def label_lines(self, name: str) -> list[str]:
        """What the label band of field ``name`` (its first box) says, line by line,
        as painted at the widget's present width."""
        cw, _, _, label_h, _ = self._geometry()
        lh = QFontMetrics(self._label_font).height()
        for f, _row, _col, n, first in self._segments():
            if f.name == name and first:
                plain = QColor()
                lines = self._label_lines(
                    f, first, n * cw - 4, max(1, (label_h - 2) // lh), ("", plain, plain)
                )
                return [text for text, _, _ in lines]
        raise KeyError(name)

    # -------------------------------------------------------------- painting
    def paintEvent(self, event: QPaintEvent) -> None:
        th = theme.current(self.palette())
        cw, _, bit_h, label_h, m = self._geometry()
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        per = self.per_row()
        x0 = m + max(0, (self.width() - 2 * m - per * cw) // 2)
        lfm = QFontMetrics(self._label_font)
        # The ruler, as in the RFC: tens above, units below.
        p.setFont(self._label_font)
        p.setPen(th.muted)
        for i in range(per):
            r_units = QRect(x0 + i * cw, m + lfm.height(), cw, lfm.height())
            p.drawText(r_units, Qt.AlignmentFlag.AlignCenter, str(i % 10))
            if i % 10 == 0:
                r_tens = QRect(x0 + i * cw, m, cw, lfm.height())
                p.drawText(r_tens, Qt.AlignmentFlag.AlignCenter, str(i // 10))
        if not self.fields:
            p.end()
            return
        bold_bit = QFont(self._bit_font)
        bold_bit.setBold(True)
        label_bold = QFont(self._label_font)
        label_bold.setBold(True)
        alert = (th.violation, th.violation_tint)
        ours = (deliberate_color(th), deliberate_tint(th))
        for f, row, col, n, first in self._segments():
            rect = self._cell_rect(row, col, n)
            rect.moveLeft(x0 + col * cw)
            bad = bool(f.violations)
            # A rule we broke on purpose is drawn in its own colour, not the peer's red.
            on_purpose = bad and all(v.deliberate for v in f.violations)
            mark_color, mark_tint = ours if on_purpose else alert
            mark = DELIBERATE_MARK if on_purpose else VIOLATION_MARK
            payload = f.name == PAYLOAD_FIELD
            fill = mark_tint if bad else (th.base if payload else th.field_fill)
            p.fillRect(rect, fill)
            ink = mark_color if bad else th.text
            # Bits, one per cell, with ticks between cells.
            offset = (row * per + col) - f.start
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
                        p.setPen(mark_color if bad else th.bit_one)
                    else:
                        p.setFont(self._bit_font)
                        p.setPen(th.muted)
                    p.drawText(cell, Qt.AlignmentFlag.AlignCenter, bit)
            # The label band.
            band = QRect(rect.left() + 2, rect.top() + bit_h, rect.width() - 4, label_h - 2)
            lh = lfm.height()
            max_lines = max(1, band.height() // lh)
            lines = [
                (text, label_bold if bold else self._label_font, color)
                for text, bold, color in self._label_lines(
                    f, first, band.width(), max_lines, (mark if bad else "", ink, th.muted)
                )
            ]
            top = band.top() + max(0, (band.height() - lh * len(lines)) // 2)
            for k, (text, font, color) in enumerate(lines):
                p.setFont(font)
                p.setPen(color)
                p.drawText(
                    QRect(band.left(), top + k * lh, band.width(), lh),
                    Qt.AlignmentFlag.AlignCenter,
                    text,
                )
            # The box.
            if payload:
                pen = QPen(th.grid, 1, Qt.PenStyle.DashLine)
            elif bad:
                pen = QPen(mark_color, 2)
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
            lines.extend(violation_line(v) for v in f.violations)
            QToolTip.showText(e.globalPos(), "\n".join(lines), self)
            return True
        return super().event(e)
