"""A read-only value that wraps anywhere, for strings without spaces (Base64, hex,
fingerprints): a word-wrapping QLabel cannot break them, so it grows as wide as the
string and the pane around it is cut off or scrolls sideways."""

from __future__ import annotations

import math

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QResizeEvent, QTextOption
from PySide6.QtWidgets import QFrame, QSizePolicy, QTextEdit, QWidget

__all__ = ["WrappingValue"]

#: The narrowest a value gets, in average characters.
_MIN_CHARS = 8


class WrappingValue(QTextEdit):
    """Looks and reads like a selectable QLabel (``setText``/``text``; rich text
    through :meth:`setRichText`), but breaks lines between any two characters when a
    word does not fit. The text is never changed to make it wrap (no zero-width
    spaces), so what is selected and copied is the value itself; its height follows
    its width, as a word-wrapping label's does."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._text = ""
        self.setReadOnly(True)
        self.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.setLineWrapMode(QTextEdit.LineWrapMode.WidgetWidth)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # a label's: never tabbed into
        self.setAutoFillBackground(False)
        self.viewport().setAutoFillBackground(False)  # the pane's background shows
        self.document().setDocumentMargin(0)
        policy = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        self.document().contentsChanged.connect(self.updateGeometry)

    # ------------------------------------------------------------ QLabel's API
    def text(self) -> str:
        """What was set, as set (the markup of rich text)."""
        return self._text

    def setText(self, text: str) -> None:
        """Show ``text`` as plain text (a peer's value is never read as markup)."""
        self._text = text
        self.setPlainText(text)

    def setRichText(self, markup: str) -> None:
        self._text = markup
        self.setHtml(markup)

    # ----------------------------------------------------------------- sizing
    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        doc = self.document().clone()
        margins = self.contentsMargins()
        doc.setTextWidth(max(1, width - margins.left() - margins.right()))
        return math.ceil(doc.size().height()) + margins.top() + margins.bottom()

    def sizeHint(self) -> QSize:
        doc = self.document().clone()
        doc.setTextWidth(-1)  # on one line: as wide as it would like to be
        margins = self.contentsMargins()
        width = math.ceil(doc.idealWidth()) + margins.left() + margins.right()
        return QSize(width, self.heightForWidth(width))

    def minimumSizeHint(self) -> QSize:
        fm = self.fontMetrics()
        margins = self.contentsMargins()
        return QSize(
            fm.averageCharWidth() * _MIN_CHARS + margins.left() + margins.right(),
            fm.lineSpacing() + margins.top() + margins.bottom(),
        )

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        # A new width is a new height: the layout asks again.
        if self.height() != self.heightForWidth(self.width()):
            self.updateGeometry()
