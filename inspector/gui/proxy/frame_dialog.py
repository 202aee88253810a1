"""A compact frame editor for the proxy tab: Edit a held item, Answer it, or Inject a
frame toward either side. Opened with :meth:`QDialog.open` (never ``exec``): its
``framed(FrameSpec)`` signal carries the frame when the user sends it."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ...protocol.constants import Opcode
from ...protocol.frames import FrameSpec
from ..widgets import theme
from ..widgets.naming import named
from .specs import FrameForm, PayloadFormat, frame_spec, payload_text

__all__ = ["FrameDialog"]

_OPCODES = [
    ("1 text", Opcode.TEXT),
    ("2 binary", Opcode.BINARY),
    ("0 continuation", Opcode.CONT),
    ("8 close", Opcode.CLOSE),
    ("9 ping", Opcode.PING),
    ("10 pong", Opcode.PONG),
]


class FrameDialog(QDialog):
    """``mode``: ``edit``, ``answer`` or ``inject`` (then a side to send toward)."""

    framed = Signal(object)  # FrameSpec

    def __init__(
        self,
        mode: str,
        *,
        payload: bytes = b"",
        opcode: int = Opcode.TEXT,
        fin: bool = True,
        rsv: tuple[bool, bool, bool] = (False, False, False),
        note: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.mode = mode
        titles = {
            "edit": "Edit the held item",
            "answer": "Answer the held item",
            "inject": "Inject a frame",
        }
        self.setWindowTitle(titles[mode])
        named(self, f"proxyFrameDialog_{mode}", titles[mode])
        self.side = QComboBox(self)
        named(self.side, "proxyInjectSide", "Send toward")
        self.side.addItems(["toward the server", "toward the client"])
        self.opcode = QComboBox(self)
        named(self.opcode, "proxyFrameOpcode", "Opcode")
        for label, value in _OPCODES:
            self.opcode.addItem(label, int(value))
        index = self.opcode.findData(int(opcode))
        self.opcode.setCurrentIndex(max(index, 0))
        self.format = QComboBox(self)
        named(self.format, "proxyFrameFormat", "Payload format")
        for f in PayloadFormat:
            self.format.addItem(f.value, f.value)
        self.payload = QPlainTextEdit(self)
        named(self.payload, "proxyFramePayload", "Payload")
        self.payload.setFont(theme.monospace_font())
        text, fmt = payload_text(payload, opcode)
        self.payload.setPlainText(text)
        self.format.setCurrentIndex(self.format.findData(fmt.value))
        self.fin = QCheckBox("FIN", self)
        named(self.fin, "proxyFrameFin", "FIN")
        self.fin.setChecked(fin)
        self.rsv = [QCheckBox(f"RSV{i}", self) for i in (1, 2, 3)]
        for i, box in enumerate(self.rsv):
            named(box, f"proxyFrameRsv{i + 1}", f"RSV{i + 1}")
            box.setChecked(rsv[i])
        self.close_code = QSpinBox(self)
        named(self.close_code, "proxyFrameCloseCode", "Close code (0: none)")
        self.close_code.setRange(0, 65535)
        self.close_reason = QLineEdit(self)
        named(self.close_reason, "proxyFrameCloseReason", "Close reason")
        if opcode == Opcode.CLOSE and len(payload) >= 2:
            self.close_code.setValue(int.from_bytes(payload[:2], "big"))
            self.close_reason.setText(payload[2:].decode("utf-8", "replace"))
        self.error = QLabel(self)
        named(self.error, "proxyFrameError", "What is wrong with the frame")
        self.error.setStyleSheet("color: #b00020")
        self.error.setWordWrap(True)
        self.note = QLabel(note, self)
        self.note.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText({"edit": "Send edited", "answer": "Send answer", "inject": "Inject"}[mode])
        named(ok, "proxyFrameSend", ok.text())
        self.buttons.accepted.connect(self._send)
        self.buttons.rejected.connect(self.reject)

        form = QFormLayout()
        if mode == "inject":
            form.addRow("Send", self.side)
        form.addRow("Opcode", self.opcode)
        flags = QHBoxLayout()
        flags.addWidget(self.fin)
        for box in self.rsv:
            flags.addWidget(box)
        flags.addStretch(1)
        form.addRow("Flags", flags)
        form.addRow("Format", self.format)
        close = QHBoxLayout()
        close.addWidget(self.close_code)
        close.addWidget(self.close_reason, 1)
        form.addRow("Close", close)
        layout = QVBoxLayout(self)
        if note:
            layout.addWidget(self.note)
        layout.addLayout(form)
        layout.addWidget(self.payload, 1)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.resize(560, 420)

    @property
    def to_server(self) -> bool:
        return self.side.currentIndex() == 0

    def form(self) -> FrameForm:
        code = self.close_code.value()
        return FrameForm(
            self.payload.toPlainText(),
            PayloadFormat(self.format.currentData()),
            int(self.opcode.currentData()),
            self.fin.isChecked(),
            (self.rsv[0].isChecked(), self.rsv[1].isChecked(), self.rsv[2].isChecked()),
            code if code else None,
            self.close_reason.text(),
        )

    def spec(self) -> FrameSpec:
        return frame_spec(self.form())

    def _send(self) -> None:
        try:
            spec = self.spec()
        except ValueError as exc:
            self.error.setText(str(exc))
            return
        self.framed.emit(spec)
        self.accept()
