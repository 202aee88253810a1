"""A virtualized hex dump: paints only the lines on screen, straight from the bytes.

A 64 MiB payload is 4 Mi lines; building that as text (or a ``QTextDocument``) would
take seconds and hundreds of MiB. :class:`HexView` keeps a reference to the bytes,
sets its scroll range from the line count and formats the ~40 visible lines per
paint, so opening any payload costs the same.

A line holds 16 bytes when the view is wide enough for them and their ASCII column,
8 when it is not: the ASCII column is never cut off in a narrow pane.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPoint, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QFontMetricsF,
    QGuiApplication,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QRegion,
    QResizeEvent,
)
from PySide6.QtWidgets import QAbstractScrollArea, QWidget

from ..widgets import theme

__all__ = ["BYTES_PER_LINE", "NARROW_BYTES_PER_LINE", "HexView", "format_line"]

#: Bytes per line when the view is wide enough, and when it is not.
BYTES_PER_LINE = 16
NARROW_BYTES_PER_LINE = 8
#: The most a copy puts on the clipboard, so Ctrl+A Ctrl+C on 64 MiB stays responsive.
COPY_LIMIT = 1 << 20

_CTRL = Qt.KeyboardModifier.ControlModifier
_ASCII = bytes(b if 0x20 <= b < 0x7F else 0x2E for b in range(256))


def _hex_chars(per_line: int) -> int:
    return per_line * 3  # "xx " per byte, plus one gap in the middle, less the last space


def _hex_part(chunk: bytes, per_line: int = BYTES_PER_LINE) -> str:
    h = chunk.hex(" ")
    half = per_line // 2
    if len(chunk) > half:
        cut = half * 3 - 1
        h = h[:cut] + " " + h[cut:]
    return h


def format_line(
    data: bytes | memoryview, line: int, offset_digits: int = 8, per_line: int = BYTES_PER_LINE
) -> str:
    """One line of the dump as text, the way it is painted:
    ``00000010  48 65 6c 6c 6f 20 77 6f  72 6c 64 0a           |Hello world.|``"""
    start = line * per_line
    chunk = bytes(data[start : start + per_line])
    return (
        f"{start:0{offset_digits}x}  {_hex_part(chunk, per_line):<{_hex_chars(per_line)}} "
        f"|{chunk.translate(_ASCII).decode('ascii')}|"
    )


class HexView(QAbstractScrollArea):
    """Read-only hex dump of a byte string: offset, 16 bytes in hex, ASCII.

    Select bytes with the mouse (or Shift+click), copy with Ctrl+C (as hex, capped at
    1 MiB), select everything with Ctrl+A. ``selectionChanged(start, end)`` reports
    the selected byte range, end exclusive (``start == end``: nothing selected).
    """

    selectionChanged = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._data: bytes | memoryview = b""
        self._offset_digits = 8
        self._sel_anchor = -1
        self._sel_start = 0
        self._sel_end = 0
        self._base_offset = 0
        self._per_line = BYTES_PER_LINE
        #: How many lines the last paint formatted; tests check painting stays bounded.
        self.lines_painted = 0
        self.setObjectName("hexView")
        self.setAccessibleName("Hex dump")
        self.setFont(theme.monospace_font())
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.viewport().setCursor(Qt.CursorShape.IBeamCursor)
        self.viewport().setBackgroundRole(QPalette.ColorRole.Base)
        self.viewport().setAutoFillBackground(True)
        self._update_scrollbars()

    # ------------------------------------------------------------------ data
    def set_data(self, data: bytes | bytearray | memoryview, base_offset: int = 0) -> None:
        """Show ``data`` (kept by reference; a bytearray is copied once).
        ``base_offset`` is added to the offsets shown (e.g. a position in a stream)."""
        self._data = bytes(data) if isinstance(data, bytearray) else data
        self._base_offset = base_offset
        last = max(0, base_offset + len(data) - 1)
        self._offset_digits = max(8, len(f"{last:x}"))
        self._fit_line_length()
        self._sel_anchor = -1
        self._sel_start = self._sel_end = 0
        self.verticalScrollBar().setValue(0)
        self.horizontalScrollBar().setValue(0)
        self._update_scrollbars()
        self.setAccessibleDescription(f"{len(data):,} bytes in {self.line_count():,} lines")
        self.viewport().update()

    def clear(self) -> None:
        self.set_data(b"")

    def data(self) -> bytes | memoryview:
        return self._data

    def line_count(self) -> int:
        per = self._per_line
        return (len(self._data) + per - 1) // per

    @property
    def bytes_per_line(self) -> int:
        """16, or 8 when the view is too narrow for 16 bytes and their ASCII column."""
        return self._per_line

    def line_text(self, line: int) -> str:
        """The text of dump line ``line`` (what the view paints there)."""
        if not 0 <= line < self.line_count():
            raise IndexError(line)
        text = format_line(self._data, line, self._offset_digits, self._per_line)
        if self._base_offset:
            off = self._base_offset + line * self._per_line
            text = f"{off:0{self._offset_digits}x}" + text[self._offset_digits :]
        return text

    def visible_lines(self) -> range:
        """The dump lines currently on screen."""
        first = self.verticalScrollBar().value()
        return range(first, min(self.line_count(), first + self._page_lines() + 1))

    def scroll_to_offset(self, offset: int) -> None:
        self.verticalScrollBar().setValue(offset // self._per_line)

    # ------------------------------------------------------------- selection
    def selection(self) -> tuple[int, int]:
        return self._sel_start, self._sel_end

    def set_selection(self, start: int, end: int) -> None:
        n = len(self._data)
        start, end = max(0, min(start, n)), max(0, min(end, n))
        if end < start:
            start, end = end, start
        if (start, end) != (self._sel_start, self._sel_end):
            self._sel_start, self._sel_end = start, end
            self.viewport().update()
            self.selectionChanged.emit(start, end)

    def selected_bytes(self) -> bytes:
        return bytes(self._data[self._sel_start : self._sel_end])

    def copy(self) -> None:
        start, end = self._sel_start, self._sel_end
        if end <= start:
            return
        chunk = bytes(self._data[start : min(end, start + COPY_LIMIT)])
        clipboard = QGuiApplication.clipboard()
        if clipboard is not None:
            clipboard.setText(chunk.hex(" "))

    # --------------------------------------------------------------- geometry
    def _metrics(self) -> tuple[float, int, int]:
        """(character width, line height, ascent). The width is fractional: rounding
        it would drift the columns apart over a line of 78 characters."""
        fm = QFontMetricsF(self.font())
        cw = fm.horizontalAdvance("0" * 64) / 64
        return max(1.0, cw), max(1, math.ceil(fm.height())), round(fm.ascent())

    def _line_chars(self, per_line: int | None = None) -> int:
        per = self._per_line if per_line is None else per_line
        return self._offset_digits + 2 + _hex_chars(per) + 1 + per + 2

    def _fit_line_length(self) -> None:
        """16 bytes a line when they fit the viewport, else 8; the top line keeps
        showing the same bytes."""
        cw, _, _ = self._metrics()
        wide = math.ceil((self._line_chars(BYTES_PER_LINE) + 2) * cw)
        per = BYTES_PER_LINE if self.viewport().width() >= wide else NARROW_BYTES_PER_LINE
        if per != self._per_line:
            top = self.verticalScrollBar().value() * self._per_line
            self._per_line = per
            self._update_scrollbars()
            self.verticalScrollBar().setValue(top // per)
            self.viewport().update()

    def _page_lines(self) -> int:
        _, lh, _ = self._metrics()
        return max(1, self.viewport().height() // lh)

    def _update_scrollbars(self) -> None:
        cw, _, _ = self._metrics()
        page = self._page_lines()
        vbar = self.verticalScrollBar()
        vbar.setRange(0, max(0, self.line_count() - page))
        vbar.setPageStep(page)
        vbar.setSingleStep(1)
        hbar = self.horizontalScrollBar()
        width = math.ceil((self._line_chars() + 2) * cw)
        hbar.setRange(0, max(0, width - self.viewport().width()))
        hbar.setPageStep(self.viewport().width())
        hbar.setSingleStep(math.ceil(cw))

    def sizeHint(self) -> QSize:
        cw, lh, _ = self._metrics()
        bar = self.verticalScrollBar().sizeHint().width()
        width = math.ceil((self._line_chars(BYTES_PER_LINE) + 2) * cw)
        return QSize(width + bar + 2 * self.frameWidth(), 16 * lh)

    def minimumSizeHint(self) -> QSize:
        cw, lh, _ = self._metrics()
        return QSize(math.ceil(24 * cw), 4 * lh)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._update_scrollbars()
        self._fit_line_length()

    def changeEvent(self, event: object) -> None:
        super().changeEvent(event)  # type: ignore[arg-type]
        self._update_scrollbars()
        self._fit_line_length()

    # ---------------------------------------------------------------- painting
    def paintEvent(self, event: QPaintEvent) -> None:
        cw, lh, ascent = self._metrics()
        vp = self.viewport()
        painter = QPainter(vp)
        th = theme.current(self.palette())
        pal = self.palette()
        painter.setFont(self.font())
        x0 = cw - self.horizontalScrollBar().value()
        digits = self._offset_digits
        hex_x = x0 + (digits + 2) * cw
        per = self._per_line
        half = per // 2
        ascii_x = hex_x + (_hex_chars(per) + 1) * cw
        data = self._data
        sel_start, sel_end = self._sel_start, self._sel_end
        sel_brush = pal.brush(QPalette.ColorGroup.Active, QPalette.ColorRole.Highlight)
        sel_pen = pal.color(QPalette.ColorGroup.Active, QPalette.ColorRole.HighlightedText)
        clip = event.rect()
        painted = 0
        base = self._base_offset
        lines = self.visible_lines()
        width = vp.width()
        for i, line in enumerate(lines):
            y = i * lh
            if y > clip.bottom():
                break
            if y + lh < clip.top():
                continue
            start = line * per
            chunk = bytes(data[start : start + per])
            painted += 1
            selected = QRegion()
            if sel_end > start and sel_start < start + len(chunk):
                a = max(sel_start, start) - start
                b = min(sel_end, start + len(chunk)) - start
                hx0 = hex_x + (a * 3 + (a >= half)) * cw
                hx1 = hex_x + ((b - 1) * 3 + 2 + (b - 1 >= half)) * cw
                rects = (
                    QRectF(hx0, y, hx1 - hx0, lh).toAlignedRect(),
                    QRectF(ascii_x + (1 + a) * cw, y, (b - a) * cw, lh).toAlignedRect(),
                )
                for rect in rects:
                    painter.fillRect(rect, sel_brush)
                    selected += QRegion(rect)
            baseline = y + ascent
            hex_text = _hex_part(chunk, per)
            ascii_text = chunk.translate(_ASCII).decode("ascii")
            if not selected.isEmpty():
                painter.save()
                painter.setClipRegion(QRegion(QRect(0, y, width, lh)) - selected)
            painter.setPen(th.muted)
            painter.drawText(QPointF(x0, baseline), f"{base + start:0{digits}x}")
            painter.drawText(QPointF(ascii_x, baseline), "|")
            painter.drawText(QPointF(ascii_x + (1 + len(chunk)) * cw, baseline), "|")
            painter.setPen(th.text)
            painter.drawText(QPointF(hex_x, baseline), hex_text)
            painter.drawText(QPointF(ascii_x + cw, baseline), ascii_text)
            if not selected.isEmpty():
                painter.setClipRegion(selected)
                painter.setPen(sel_pen)
                painter.drawText(QPointF(hex_x, baseline), hex_text)
                painter.drawText(QPointF(ascii_x + cw, baseline), ascii_text)
                painter.restore()
        if not data:
            painter.setPen(th.muted)
            painter.drawText(QPointF(x0, ascent), "(no payload)")
        painter.end()
        self.lines_painted = painted

    # ------------------------------------------------------------------ input
    def _byte_at(self, pos: QPoint) -> int:
        cw, lh, _ = self._metrics()
        x0 = cw - self.horizontalScrollBar().value()
        hex_x = x0 + (self._offset_digits + 2) * cw
        per = self._per_line
        ascii_x = hex_x + (_hex_chars(per) + 1) * cw
        line = self.verticalScrollBar().value() + max(0, pos.y()) // lh
        x = pos.x()
        if x >= ascii_x + cw:
            col = int((x - ascii_x - cw) // cw)
        else:
            c = int(max(0.0, x - hex_x) // cw)
            if c >= (per // 2) * 3:
                c -= 1
            col = c // 3
        col = max(0, min(per - 1, col))
        return max(0, min(len(self._data) - 1, line * per + col))

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton or not self._data:
            super().mousePressEvent(event)
            return
        at = self._byte_at(event.position().toPoint())
        if event.modifiers() & Qt.KeyboardModifier.ShiftModifier and self._sel_anchor >= 0:
            self._extend_to(at)
        else:
            self._sel_anchor = at
            self.set_selection(at, at + 1)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton and self._sel_anchor >= 0:
            pos = event.position().toPoint()
            if pos.y() < 0:
                self.verticalScrollBar().setValue(self.verticalScrollBar().value() - 1)
            elif pos.y() > self.viewport().height():
                self.verticalScrollBar().setValue(self.verticalScrollBar().value() + 1)
            self._extend_to(self._byte_at(pos))
        else:
            super().mouseMoveEvent(event)

    def _extend_to(self, at: int) -> None:
        a = self._sel_anchor
        self.set_selection(min(a, at), max(a, at) + 1)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.matches(QKeySequence.StandardKey.Copy):
            self.copy()
        elif event.matches(QKeySequence.StandardKey.SelectAll):
            self._sel_anchor = 0
            self.set_selection(0, len(self._data))
        elif event.key() == Qt.Key.Key_Home and event.modifiers() & _CTRL:
            self.verticalScrollBar().setValue(0)
        elif event.key() == Qt.Key.Key_End and event.modifiers() & _CTRL:
            self.verticalScrollBar().setValue(self.verticalScrollBar().maximum())
        else:
            super().keyPressEvent(event)
