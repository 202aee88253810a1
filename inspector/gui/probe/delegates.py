"""The grade column's painting: the grade word on a coloured badge."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from ...probe import CaseResult
from .grades import GRADE_COLORS
from .model import RESULT_ROLE

__all__ = ["GradeBadgeDelegate"]


class GradeBadgeDelegate(QStyledItemDelegate):
    """The grade as a coloured badge: passed green, non-strict amber, failed red,
    info grey."""

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        result = index.data(RESULT_ROLE)
        if not isinstance(result, CaseResult):
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        widget = opt.widget  # type: ignore[attr-defined]
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        text = result.grade.value
        font = QFont(opt.font)  # type: ignore[attr-defined]
        font.setBold(True)
        fm = QFontMetrics(font)
        rect: QRect = opt.rect  # type: ignore[attr-defined]
        w = min(rect.width() - 6, fm.horizontalAdvance("non-strict") + 14)
        h = min(rect.height() - 4, fm.height() + 2)
        badge = QRect(rect.x() + 4, rect.y() + (rect.height() - h) // 2, w, h)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(GRADE_COLORS[result.grade]))
        painter.drawRoundedRect(badge, 3, 3)
        painter.setPen(QColor("white"))
        painter.setFont(font)
        painter.drawText(badge, int(Qt.AlignmentFlag.AlignCenter), text)
        painter.restore()
