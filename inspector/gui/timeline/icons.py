"""The timeline's small pictures: fragment brackets, the marks of a broken rule (the
peer's, or ours on purpose) and of a compressed message; and the colours of a rule
we broke on purpose, which must not read as the peer's fault."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import QApplication

from ..widgets.theme import Theme, blend
from .fragments import FIRST_FRAGMENT, INSIDE_MESSAGE, LAST_FRAGMENT, MIDDLE_FRAGMENT

__all__ = [
    "compressed_icon",
    "deliberate_color",
    "deliberate_icon",
    "deliberate_tint",
    "fragment_icons",
    "warning_icon",
]


def deliberate_color(th: Theme) -> QColor:
    """Text and outline colour of a rule we broke on purpose: teal, apart from the
    red of the peer's violations and the other accents."""
    return QColor(0x4D, 0xC8, 0xBC) if th.dark else QColor(0x00, 0x79, 0x6B)


def deliberate_tint(th: Theme) -> QColor:
    """Row background of a frame we sent breaking a rule on purpose."""
    return blend(th.base, deliberate_color(th), 0.26 if th.dark else 0.13)


def fragment_icons(width: int, height: int, color: QColor) -> tuple[QIcon, ...]:
    """Icons for fragment positions (index 0: a blank one that keeps the text
    aligned): a bracket joining a fragmented message's frames from row to row,
    \u250c first, \u2502 middle, \u2514 last, dotted past a control frame sent in
    between. Drawn by Qt as decorations, so they cost no Python per painted cell."""
    icons = []
    x = width // 2
    mid = height // 2
    for pos in range(5):
        pixmap = QPixmap(width, height)
        pixmap.fill(Qt.GlobalColor.transparent)
        if pos:
            p = QPainter(pixmap)
            if pos == INSIDE_MESSAGE:
                p.setPen(QPen(color, 1, Qt.PenStyle.DotLine))
                p.drawLine(x, 0, x, height)
            else:
                p.setPen(QPen(color, 2))
                top = mid if pos == FIRST_FRAGMENT else 0
                bottom = mid if pos == LAST_FRAGMENT else height
                p.drawLine(x, top, x, bottom)
                if pos != MIDDLE_FRAGMENT:
                    p.drawLine(x, mid, width, mid)
            p.end()
        icons.append(QIcon(pixmap))
    return tuple(icons)


def warning_icon() -> QIcon:
    """The mark of a rule the peer broke: the style's warning sign."""
    # Imported here: PySide6 makes QStyle's class (~8 ms) on first use, and the first
    # screen shows no violation.
    from PySide6.QtWidgets import QStyle

    return QApplication.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)


def deliberate_icon(size: int, color: QColor) -> QIcon:
    """The mark of a rule we broke on purpose: a flag (\u2691), not a warning."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    p = QPainter(pixmap)
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    s = float(size)
    pen = QPen(color, max(1.0, s / 10))
    p.setPen(pen)
    p.drawLine(QPointF(s * 0.22, s * 0.08), QPointF(s * 0.22, s * 0.95))
    flag = QPainterPath(QPointF(s * 0.26, s * 0.1))
    flag.lineTo(s * 0.92, s * 0.3)
    flag.lineTo(s * 0.26, s * 0.55)
    flag.closeSubpath()
    p.fillPath(flag, color)
    p.end()
    return QIcon(pixmap)


def compressed_icon(
    width: int, height: int, color: QColor, font: QFont, selected: QColor | None = None
) -> QIcon:
    """The mark of a compressed message's frame: \u21f2 in the muted colour (in
    ``selected`` on a selected row, where the muted colour would not show)."""
    icon = QIcon()
    for mode, ink in ((QIcon.Mode.Normal, color), (QIcon.Mode.Selected, selected or color)):
        pixmap = QPixmap(width, height)
        pixmap.fill(Qt.GlobalColor.transparent)
        p = QPainter(pixmap)
        p.setPen(ink)
        p.setFont(font)
        p.drawText(QRectF(0, 0, width, height), Qt.AlignmentFlag.AlignCenter, "\u21f2")
        p.end()
        icon.addPixmap(pixmap, mode)
    return icon
