"""The one-line frame summary above the detail pane's tabs.

One line, always: a summary that wraps to two lines for some frames and one for
others makes the tabs below jump as the user moves through the timeline. What does
not fit is cut at the end with an ellipsis (the parts come most telling first; the
tooltip has all of it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from ..timeline.icons import deliberate_color
from ..widgets import theme
from .common import esc

if TYPE_CHECKING:
    from PySide6.QtGui import QTextDocument

    from ...views.frame_fields import SummaryPart

__all__ = ["SummaryLine", "summary_html"]

_SEPARATOR = " \u00b7 "


def summary_html(parts: Sequence[SummaryPart], widget: QWidget) -> str:
    """The summary parts as rich text in the widget's palette's colours."""
    th = theme.current(widget.palette())
    colours = {
        "in": th.incoming.name(),
        "out": th.outgoing.name(),
        "violation": th.violation.name(),
        "deliberate": deliberate_color(th).name(),
    }
    out = []
    for part in parts:
        text = esc(part.text)
        if part.role == "strong":
            out.append(f"<b>{text}</b>")
        elif part.role in colours:
            out.append(f"<span style='color:{colours[part.role]}'>{text}</span>")
        else:
            out.append(text)
    return _SEPARATOR.join(out)


class SummaryLine(QWidget):
    """Rich text on one line, elided at the end. :meth:`text` is the rich text, as a
    ``QLabel``'s would be."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("detailSummary")
        self.setAccessibleName("Frame summary")
        self._document: QTextDocument | None = None
        self._html = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(self.fontMetrics().height() + 4)

    @property
    def _doc(self) -> QTextDocument:
        """The rich text's layout, made with the first text that is not empty: the
        first screen shows no summary (QTextDocument loads with the first frame)."""
        if self._document is None:
            from PySide6.QtGui import QTextDocument

            self._document = QTextDocument(self)
            self._document.setDocumentMargin(0)
            self._document.setDefaultFont(self.font())
        return self._document

    def setText(self, html: str) -> None:  # (the QLabel name, for readers of one)
        self._html = html
        if html or self._document is not None:
            self._doc.setHtml(html)
        plain = self.plain_text()
        self.setToolTip(plain)
        self.setAccessibleDescription(plain)
        self.update()

    def text(self) -> str:
        return self._html

    def plain_text(self) -> str:
        return "" if self._document is None else self._document.toPlainText()

    def is_cut(self) -> bool:
        """True when the line does not fit and its end is not shown."""
        return self._document is not None and self._document.idealWidth() > self.width()

    def sizeHint(self) -> QSize:
        ideal = 0.0 if self._document is None else self._document.idealWidth()
        return QSize(int(ideal) + 2, self.height())

    def minimumSizeHint(self) -> QSize:
        return QSize(0, self.height())

    def changeEvent(self, event: object) -> None:
        super().changeEvent(event)  # type: ignore[arg-type]
        if self._document is not None:
            self._document.setDefaultFont(self.font())
        self.setFixedHeight(self.fontMetrics().height() + 4)

    def paintEvent(self, event: QPaintEvent) -> None:
        if self._document is None:
            return  # no text yet
        p = QPainter(self)
        top = (self.height() - self._doc.size().height()) / 2
        width = float(self.width())
        ellipsis = "\u2026"
        cut = self._doc.idealWidth() > width
        room = width - (self.fontMetrics().horizontalAdvance(ellipsis) + 2 if cut else 0)
        p.save()
        # The document's default text colour is the painter's pen colour.
        p.setPen(self.palette().color(self.foregroundRole()))
        p.translate(QPointF(0, top))
        self._doc.drawContents(p, QRectF(0, 0, max(0.0, room), self._doc.size().height()))
        p.restore()
        if cut:
            p.setPen(self.palette().color(self.foregroundRole()))
            p.drawText(
                QRectF(room, 0, width - room, self.height()),
                int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                ellipsis,
            )
        p.end()
