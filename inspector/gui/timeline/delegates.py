"""The timeline's item delegate for search hits: the matches in a payload preview are
marked, so that a user sees why a row is in the results.

It is installed on the Payload column only while a search is active: a delegate in
Python is called for every painted cell, which a flood of frames with no search
should not pay for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6 import QtWidgets
from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QStyledItemDelegate, QWidget

from ...views.preview import match_spans
from ..widgets import theme

if TYPE_CHECKING:
    from PySide6.QtGui import QPainter
    from PySide6.QtWidgets import QStyleOptionViewItem

__all__ = ["SearchHighlightDelegate"]

#: Characters kept before a hit that had to be scrolled into view.
_LEAD = 12


class SearchHighlightDelegate(QStyledItemDelegate):
    """Paints an item's text with the spans that match the search highlighted."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._pattern = ""
        self._regex = False
        self._case = False
        #: Items painted with at least one highlighted match (for tests and tools).
        self.highlighted = 0

    def set_search(self, pattern: str, *, regex: bool, case: bool) -> None:
        self._pattern, self._regex, self._case = pattern, regex, case

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Where the current search matches ``text``."""
        return match_spans(text, self._pattern, regex=self._regex, case=self._case)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        # QStyle and the style options are reached through the module when a search
        # first paints: PySide6 makes a class (QStyle's enums: ~8 ms) on first use,
        # and the first screen paints no search.
        QStyle = QtWidgets.QStyle
        opt = QtWidgets.QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        text = opt.text  # type: ignore[attr-defined]
        spans = self.spans(text) if text else []
        if not spans:
            super().paint(painter, option, index)
            return
        widget = opt.widget  # type: ignore[attr-defined]
        style = widget.style() if widget is not None else QApplication.style()
        # The background, selection and icon as usual, then the text by hand.
        opt.text = ""  # type: ignore[attr-defined]
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        rect = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, opt, widget)
        margin = style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, widget) + 1
        rect = rect.adjusted(margin, 0, -margin, 0)
        fm = opt.fontMetrics  # type: ignore[attr-defined]
        shown = fm.elidedText(text, Qt.TextElideMode.ElideRight, rect.width())
        # An elided text ends in "…": only the characters before it are drawn as is.
        keep = len(shown) - 1 if shown != text else len(shown)
        if spans[0][0] >= keep:
            # The first hit is past the cut: show the text from a little before it,
            # so that the row says why it matched.
            skip = max(0, spans[0][0] - _LEAD)
            text = "\u2026" + text[skip:]
            spans = [(a - skip + 1, b - skip + 1) for a, b in spans if a >= skip]
            shown = fm.elidedText(text, Qt.TextElideMode.ElideRight, rect.width())
            keep = len(shown) - 1 if shown != text else len(shown)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)  # type: ignore[attr-defined]
        pal = opt.palette  # type: ignore[attr-defined]
        mark = QColor(255, 200, 0, 170) if not theme.current().dark else QColor(255, 190, 0, 120)
        painter.save()
        painter.setClipRect(rect)
        for start, end in spans:
            if start >= keep:
                break
            end = min(end, keep)
            x0 = rect.left() + fm.horizontalAdvance(shown[:start])
            x1 = rect.left() + fm.horizontalAdvance(shown[:end])
            painter.fillRect(QRect(x0, rect.top() + 1, x1 - x0, rect.height() - 2), mark)
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        painter.setPen(pal.color(role))
        painter.setFont(opt.font)  # type: ignore[attr-defined]
        painter.drawText(
            rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), shown
        )
        painter.restore()
        self.highlighted += 1
