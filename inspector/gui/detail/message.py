"""The Message tab: the frames of the message a fragment belongs to, and the message
reassembled (and inflated)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QSplitter, QVBoxLayout, QWidget

from ...capture.store import CaptureStore
from ...protocol.constants import Opcode, opcode_name
from ...protocol.events import Message
from ...views.conversation import Conversation
from ...views.frame_fields import message_info
from .common import esc, make_label
from .payload import PayloadPane

__all__ = ["MessageTab"]


class MessageTab(QWidget):
    """``frameRequested(int)``: a frame of the message was clicked (its store row)."""

    frameRequested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messagePage")
        v = QVBoxLayout(self)
        v.setContentsMargins(4, 4, 4, 4)
        self.info = make_label(self, "messageInfo", "Message summary", rich=True)
        v.addWidget(self.info)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.setObjectName("messageSplitter")
        self.frames = QListWidget(split)
        self.frames.setObjectName("messageFrames")
        self.frames.setAccessibleName("Frames of the message")
        self.frames.itemActivated.connect(self._on_item)
        self.frames.itemClicked.connect(self._on_item)
        self.payload = PayloadPane("messagePayload", split, decoded_first=True)
        self.payload.setAccessibleName("Reassembled message")
        split.addWidget(self.frames)
        split.addWidget(self.payload)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 3)
        v.addWidget(split, 1)
        self.message: Message | None = None
        self.rows: list[int] = []
        self._row = -1

    def show_message(
        self,
        store: CaptureStore,
        row: int,
        compressed: bool,
        conversation: Conversation | None = None,
    ) -> bool:
        """Show the message the frame at ``row`` belongs to; False when there is
        nothing to show (a frame that is a whole plain message, a control frame).
        With ``conversation``, a finished message is also shown decoded (its views)."""
        rows = list(store.message_frames(row))
        last = rows[-1]
        message = store.message_for(last)
        show = len(rows) > 1 or message is not None
        self._row = row
        self.message = message
        self.rows = rows if show else []
        self.frames.clear()
        if not show:
            self.payload.set_payload(b"")
            self.info.clear()
            return False
        parts = message_info(store, rows, message)
        self.info.setText(
            " \u00b7 ".join([f"<b>{esc(parts[0])}</b>", *(esc(p) for p in parts[1:])])
        )
        bold = QFont(self.frames.font())
        bold.setBold(True)
        for r in rows:
            b0 = store.b0[r]
            text = (
                f"row {r} \u00b7 #{store.seq[r]} \u00b7 {opcode_name(b0)} \u00b7 "
                f"FIN {b0 >> 7} \u00b7 {store.length[r]:,} bytes"
            )
            if r == row:
                text += "   \u25c0 this frame"
            item = QListWidgetItem(text, self.frames)
            item.setData(Qt.ItemDataRole.UserRole, r)
            if r == row:
                item.setFont(bold)
        kind_op = store.b0[rows[0]] & 0x0F
        self.payload.set_source(conversation if message is not None else None, last)
        if message is not None:
            self.payload.set_payload(
                message.data,
                is_text=message.opcode == Opcode.TEXT,
                note="inflated" if message.compressed else "reassembled",
            )
        elif compressed:
            self.payload.set_payload(b"", note="not inflated yet: the message is unfinished")
        else:
            data = b"".join(store.payloads[r] for r in rows)
            self.payload.set_payload(data, is_text=kind_op == Opcode.TEXT, note="fragments so far")
        return True

    def clear(self) -> None:
        self.message = None
        self.rows = []
        self.frames.clear()
        self.info.clear()
        self.payload.set_payload(b"")

    @Slot(QListWidgetItem)
    def _on_item(self, item: QListWidgetItem) -> None:
        r = item.data(Qt.ItemDataRole.UserRole)
        if isinstance(r, int) and r != self._row:
            self.frameRequested.emit(r)
