"""The byte preview: exactly what a crafted frame puts on the wire, before it is sent.

Written by :func:`~inspector.protocol.crafting.preview_frames` (each header decoded,
its bytes, each fragment's own masking key, the payload as masked); above it, the
rules the frames break, or why they cannot be sent.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QPlainTextEdit, QVBoxLayout, QWidget

from ...protocol.constants import Role
from ...protocol.crafting import preview_frames
from ...protocol.frames import FrameSpec
from ..widgets import theme
from ..widgets.naming import named
from .tab import info_label, show

__all__ = ["BytePreview"]


class BytePreview(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("bytePreview")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.notes = info_label(self, "frameError", "Frame problem")
        layout.addWidget(self.notes)
        self.text = QPlainTextEdit(self)
        named(self.text, "framePreview", "Bytes that will be sent")
        self.text.setReadOnly(True)
        self.text.setFont(theme.monospace_font(-1))
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        layout.addWidget(self.text, 1)

    def show_frames(
        self, specs: Sequence[FrameSpec], broken: Sequence[str], sender: Role = Role.CLIENT
    ) -> None:
        """Show the bytes of ``specs`` and, in words, the rules they break."""
        self.text.setPlainText(preview_frames(list(specs), sender))
        if broken:
            show(self.notes, "⚠ breaks the rules: " + ", ".join(broken), "warn")
        else:
            show(self.notes, "")

    def show_error(self, message: str) -> None:
        """Nothing can be sent: say why."""
        self.text.setPlainText("")
        show(self.notes, message, "error")
