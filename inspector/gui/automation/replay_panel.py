"""The replay's panel in its tab: how the replay goes, and the differences between
the server's answers and the capture's, each linked to its rows."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..widgets import theme

__all__ = ["DifferenceLink", "ReplayPanel"]

#: (text, captured row, replayed row) of one difference.
DifferenceLink = tuple[str, int | None, int | None]

ROW_ROLE = Qt.ItemDataRole.UserRole
#: Differences shown without scrolling.
SHOWN_LINES = 4


class ReplayPanel(QFrame):
    """A headline, a Stop button while the replay runs, and the list of differences.
    Activating a difference shows its row in the replay (or, for a missing message,
    in the capture): ``show_replayed`` / ``show_captured`` do that."""

    def __init__(
        self,
        show_replayed: Callable[[int], None],
        show_captured: Callable[[int], None],
        stop: Callable[[], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("replayPanel")
        self.setAccessibleName("Replay")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._show_replayed = show_replayed
        self._show_captured = show_captured

        self.headline = QLabel(self)
        self.headline.setObjectName("replayHeadline")
        self.headline.setAccessibleName("Replay status")
        self.headline.setWordWrap(True)
        self.headline.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.stop_button = QPushButton("Stop", self)
        self.stop_button.setObjectName("replayStop")
        self.stop_button.setAccessibleName("Stop the replay")
        self.stop_button.setToolTip("Send nothing more and close the connection")
        self.stop_button.clicked.connect(stop)
        self.close_button = QToolButton(self)
        self.close_button.setObjectName("replayPanelClose")
        self.close_button.setAccessibleName("Dismiss the replay panel")
        self.close_button.setText("\u2715")
        self.close_button.setAutoRaise(True)
        self.close_button.setToolTip("Dismiss")
        self.close_button.clicked.connect(self.hide)
        self.close_button.setEnabled(False)
        top = QHBoxLayout()
        top.addWidget(self.headline, 1)
        top.addWidget(self.stop_button, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)

        self.list = QListWidget(self)
        self.list.setObjectName("replayDifferences")
        self.list.setAccessibleName("Differences from the capture")
        self.list.setAlternatingRowColors(True)
        self.list.itemActivated.connect(self._activated)
        self.list.itemClicked.connect(self._activated)
        self.list.currentItemChanged.connect(lambda *_: self._update_buttons())
        self.received_button = QPushButton("Show received", self)
        self.received_button.setObjectName("replayShowReceived")
        self.received_button.setAccessibleName("Show the received frame")
        self.received_button.clicked.connect(lambda: self._show(replayed=True))
        self.captured_button = QPushButton("Show captured", self)
        self.captured_button.setObjectName("replayShowCaptured")
        self.captured_button.setAccessibleName("Show the captured frame")
        self.captured_button.clicked.connect(lambda: self._show(replayed=False))
        side = QVBoxLayout()
        side.addWidget(self.received_button)
        side.addWidget(self.captured_button)
        side.addStretch(1)
        body = QHBoxLayout()
        body.addWidget(self.list, 1)
        body.addLayout(side)
        self.body = QWidget(self)
        self.body.setLayout(body)
        body.setContentsMargins(0, 0, 0, 0)
        self.body.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addWidget(self.body)
        self._color(theme.current().outgoing)
        self._update_buttons()

    def _color(self, color: QColor) -> None:
        tint = theme.blend(theme.current().base, color, 0.10)
        self.setStyleSheet(
            f"QFrame#replayPanel {{ background: {tint.name()}; border: 1px solid "
            f"{color.name()}; border-radius: 3px; }}"
        )

    # ------------------------------------------------------------- showing
    def set_running(self, text: str) -> None:
        self.headline.setText(text)
        self.stop_button.show()
        self.close_button.setEnabled(False)
        self.show()

    def set_done(self, text: str, links: Sequence[DifferenceLink], *, failed: bool) -> None:
        """The replay ended: ``links`` are its differences (empty: none, or not
        compared); ``failed`` colours the panel as a problem."""
        self.headline.setText(text)
        self.setAccessibleDescription(text)
        self.stop_button.hide()
        self.close_button.setEnabled(True)
        self.list.clear()
        for line, captured, replayed in links:
            item = QListWidgetItem(line)
            item.setData(ROW_ROLE, (captured, replayed))
            item.setToolTip(line)
            self.list.addItem(item)
        self.body.setVisible(bool(links))
        if links:
            # As tall as its lines, up to SHOWN_LINES (then it scrolls): the timeline
            # below keeps the room.
            shown = min(len(links), SHOWN_LINES)
            frame = 2 * self.list.frameWidth()
            self.list.setFixedHeight(self.list.sizeHintForRow(0) * shown + frame + 2)
        t = theme.current()
        self._color(t.violation if failed or links else t.incoming)
        if links:
            self.list.setCurrentRow(0)
        self._update_buttons()
        self.show()

    def differences(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    # ------------------------------------------------------------- linking
    def _rows(self, item: QListWidgetItem | None) -> tuple[int | None, int | None]:
        if item is None:
            return None, None
        rows = item.data(ROW_ROLE)
        return rows if isinstance(rows, tuple) else (None, None)

    def _update_buttons(self) -> None:
        captured, replayed = self._rows(self.list.currentItem())
        self.received_button.setEnabled(replayed is not None)
        self.captured_button.setEnabled(captured is not None)

    def _activated(self, item: QListWidgetItem) -> None:
        captured, replayed = self._rows(item)
        if replayed is not None:
            self._show_replayed(replayed)
        elif captured is not None:
            self._show_captured(captured)

    def _show(self, *, replayed: bool) -> None:
        captured_row, replayed_row = self._rows(self.list.currentItem())
        if replayed and replayed_row is not None:
            self._show_replayed(replayed_row)
        elif not replayed and captured_row is not None:
            self._show_captured(captured_row)
