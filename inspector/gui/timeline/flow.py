"""A layout that lines its widgets up left to right and wraps them onto more lines
when the width runs out, so that a bar of controls never sets a wide minimum width
for its window (a window must be usable at 1024 px). Widgets whose horizontal size
policy expands share what is left of their line."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import QLayout, QLayoutItem, QWidget

__all__ = ["FlowLayout"]


class FlowLayout(QLayout):
    def __init__(self, parent: QWidget | None = None, spacing: int = 4) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._spacing = spacing

    # ------------------------------------------------------------ QLayout API
    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:  # type: ignore[override]
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:  # type: ignore[override]
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation.Horizontal

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._place(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._place(rect, move=True)

    def sizeHint(self) -> QSize:
        """Everything on one line."""
        m = self.contentsMargins()
        shown = [i for i in self._items if not i.isEmpty()]
        width = sum(i.sizeHint().width() for i in shown) + self._spacing * max(0, len(shown) - 1)
        height = max((i.sizeHint().height() for i in shown), default=0)
        return QSize(width + m.left() + m.right(), height + m.top() + m.bottom())

    def minimumSize(self) -> QSize:
        """As narrow as the widest single widget."""
        m = self.contentsMargins()
        size = QSize()
        for item in self._items:
            if not item.isEmpty():
                size = size.expandedTo(item.minimumSize())
        return size + QSize(m.left() + m.right(), m.top() + m.bottom())

    # ---------------------------------------------------------------- placing
    def _place(self, rect: QRect, *, move: bool) -> int:
        m = self.contentsMargins()
        area = rect.adjusted(m.left(), m.top(), -m.right(), -m.bottom())
        lines: list[list[tuple[QLayoutItem, int]]] = [[]]
        used = 0
        for item in self._items:
            if item.isEmpty():
                continue
            if item.expandingDirections() & Qt.Orientation.Horizontal:
                # An expanding widget claims its minimum and grows into what is left.
                w = item.minimumSize().width()
            else:
                w = min(item.sizeHint().width(), area.width())
            w = max(w, item.minimumSize().width())
            line = lines[-1]
            need = w if not line else used + self._spacing + w
            if line and need > area.width():
                lines.append([(item, w)])
                used = w
            else:
                line.append((item, w))
                used = need
        y = area.top()
        for line in lines:
            if not line:
                continue
            height = max(item.sizeHint().height() for item, _ in line)
            if move:
                self._lay_out_line(line, area, y, height)
            y += height + self._spacing
        return y - self._spacing - area.top() + m.top() + m.bottom()

    def _lay_out_line(
        self, line: list[tuple[QLayoutItem, int]], area: QRect, y: int, height: int
    ) -> None:
        spare = area.width() - sum(w for _, w in line) - self._spacing * (len(line) - 1)
        growing = [
            i
            for i, (item, _) in enumerate(line)
            if item.expandingDirections() & Qt.Orientation.Horizontal
        ]
        x = area.left()
        for i, (item, w) in enumerate(line):
            if spare > 0 and i in growing:
                w += spare // len(growing)
            item_h = min(height, item.sizeHint().height())
            item.setGeometry(QRect(QPoint(x, y + (height - item_h) // 2), QSize(w, item_h)))
            x += w + self._spacing
