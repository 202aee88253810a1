"""The RTT pane: the session's round-trip times as a small plot and one summary line
(the status bar shows only the last one). The numbers come from :mod:`.rtt`."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from ...capture.store import CaptureStore
from ..widgets import theme
from .rtt import RttSeries, format_ms

__all__ = ["RttPane"]

_MARGIN = 8.0


class _Plot(QWidget):
    def __init__(self, series: RttSeries, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.series = series
        self.setObjectName("rttPlot")
        self.setAccessibleName("Round-trip times over the session")
        self.setMinimumHeight(90)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:
        return QSize(320, 160)

    def paintEvent(self, event: QPaintEvent) -> None:
        colors = theme.current(self.palette())
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), colors.base)
        metrics = painter.fontMetrics()
        label_h = metrics.height()
        box = QRectF(
            _MARGIN,
            _MARGIN + label_h,
            max(0.0, self.width() - 2 * _MARGIN),
            max(0.0, self.height() - 2 * _MARGIN - 2 * label_h),
        )
        painter.setPen(QPen(colors.grid, 1))
        painter.drawLine(box.bottomLeft(), box.bottomRight())
        painter.drawLine(box.topLeft(), box.topRight())
        painter.setPen(colors.muted)
        points = self.series.polyline(box.width(), box.height())
        if not points:
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, "no samples")
            painter.end()
            return
        top = self.series.scale_top(box.width())
        painter.drawText(QPointF(box.left(), box.top() - 3), format_ms(top))
        # Under the bottom line: its value (the plot starts at 0, not at the least
        # sample) and which samples the evenly spaced points are.
        under = QRectF(box.left(), box.bottom() + 2, box.width(), label_h)
        painter.drawText(under, Qt.AlignmentFlag.AlignLeft, "0 ms")
        painter.drawText(under, Qt.AlignmentFlag.AlignRight, self.series.span(box.width()))
        corners = [QPointF(box.left() + x, box.top() + y) for x, y in points]
        painter.setPen(QPen(colors.outgoing, 1.5))
        painter.drawPolyline(QPolygonF(corners))
        last = corners[-1]
        painter.setBrush(colors.outgoing)
        painter.drawEllipse(last, 2.5, 2.5)
        painter.end()


class RttPane(QWidget):
    """Round-trip times of the session shown: :meth:`set_store` when the session's
    capture changes, :meth:`refresh` after each tick (it reads only new events)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("rttPane")
        self.setAccessibleName("Round-trip times")
        self.series = RttSeries()
        self.plot = _Plot(self.series, self)
        self.summary = QLabel(self)
        self.summary.setObjectName("rttSummary")
        self.summary.setAccessibleName("Round-trip time summary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.plot, 1)
        self._show()

    def set_store(self, store: CaptureStore | None) -> None:
        self.series.reset(store)
        self._show()

    def refresh(self) -> None:
        if self.series.update():
            self._show()

    def _show(self) -> None:
        self.summary.setText(self.series.summary())
        self.plot.update()
