"""The Header tab: the bit figure, the header's bytes and the field table."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QMargins, QObject
from PySide6.QtWidgets import QApplication, QFrame, QScrollArea, QVBoxLayout, QWidget

from ...protocol.frames import Frame
from .bits import HeaderBitsWidget
from .common import make_label
from .field_table import make_field_table, show_fields

__all__ = ["HeaderTab"]


class HeaderTab(QScrollArea):
    """The header of one frame, scrolling vertically when the pane is short; the
    figure always fits the pane's width (down to its legible minimum)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("headerScroll")
        self.setAccessibleName("Header")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        page = QWidget(self)
        page.setObjectName("headerPage")
        v = QVBoxLayout(page)
        v.setContentsMargins(4, 4, 4, 4)
        self.bits = HeaderBitsWidget(page)
        v.addWidget(self.bits)
        self.header_hex = make_label(page, "headerHex", "Header bytes", mono=True)
        v.addWidget(self.header_hex)
        self.header_text = make_field_table(page)
        v.addWidget(self.header_text)
        v.addStretch(1)
        self.setWidget(page)
        self._page = page
        self.viewport().installEventFilter(self)

    def show_frame(self, frame: Frame | None) -> None:
        self.bits.set_frame(frame)
        if frame is None:
            self.header_hex.clear()
        else:
            self.header_hex.setText(f"Header ({len(frame.header)} bytes): {frame.header.hex(' ')}")
        show_fields(self.header_text, self.bits.fields)
        self.relayout()

    def recolour(self) -> None:
        show_fields(self.header_text, self.bits.fields)

    def relayout(self) -> None:
        # The figure's height depends on the header's length; lay the page out now
        # (and let the scroll area see its new minimum size) instead of a few event
        # loop turns later, so a grab right after show_frame() is already right.
        QApplication.sendEvent(self._page, QEvent(QEvent.Type.LayoutRequest))
        QApplication.sendEvent(self, QEvent(QEvent.Type.LayoutRequest))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and watched is self.viewport():
            layout = self._page.layout()
            margins = layout.contentsMargins() if layout is not None else QMargins()
            width = self.viewport().width() - margins.left() - margins.right()
            self.bits.setMaximumWidth(max(self.bits.minimumSizeHint().width(), width))
        return super().eventFilter(watched, event)
