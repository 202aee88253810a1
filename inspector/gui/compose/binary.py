"""The Binary tab: bytes typed as hex or base64, or a file; in fragments, compressed."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ...protocol.crafting import format_hex, parse_base64, parse_hex
from ..session.controller import SessionController
from ..widgets import theme
from ..widgets.naming import named
from .entries import HistoryEntry, binary_label, byte_count
from .tab import ComposeTab, info_label, show
from .text import compress_box, fragments_box

__all__ = ["EDITABLE_FILE_LIMIT", "BinaryTab"]

#: Files up to this size are loaded into the hex editor; larger ones are kept aside.
EDITABLE_FILE_LIMIT = 256 * 1024
#: How much of a file kept aside is shown.
_SHOWN_OF_FILE = 1024


class BinaryTab(ComposeTab):
    HEX, BASE64 = range(2)

    def __init__(self, session: SessionController, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.setObjectName("binaryTab")
        self._file_data: tuple[str, bytes] | None = None
        self._file_dialog: QFileDialog | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 0)
        self.edit = QPlainTextEdit(self)
        named(self.edit, "binaryEdit", "Binary message")
        self.edit.setPlaceholderText("de ad be ef 00 01 …   (hex; or choose Base64)")
        self.edit.setFont(theme.monospace_font())
        self.edit.setTabChangesFocus(True)
        layout.addWidget(self.edit, 1)
        row = QHBoxLayout()
        self.format = QComboBox(self)
        named(self.format, "binaryFormat", "Binary input format")
        self.format.addItems(["Hex", "Base64"])
        row.addWidget(self.format)
        self.load_file_button = QPushButton("Load file…", self)
        named(self.load_file_button, "loadFileButton", "Load binary from file")
        self.load_file_button.clicked.connect(self._browse_file)
        row.addWidget(self.load_file_button)
        self.clear_file_button = QPushButton("Clear file", self)
        named(self.clear_file_button, "clearFileButton", "Clear loaded file")
        self.clear_file_button.clicked.connect(self.clear_file)
        self.clear_file_button.hide()
        row.addWidget(self.clear_file_button)
        row.addWidget(QLabel("Fragments:", self))
        self.fragments = fragments_box(self, "binaryFragments", "Binary fragments")
        row.addWidget(self.fragments)
        self.compress = compress_box(self, "binaryCompress", "Compress binary message")
        row.addWidget(self.compress)
        self.info = info_label(self, "binaryInfo", "Binary message size")
        row.addWidget(self.info, 1)
        layout.addLayout(row)
        self.edit.textChanged.connect(self._update)
        self.format.currentIndexChanged.connect(self._update)
        self.fragments.valueChanged.connect(self._update)
        self._update()

    def payload(self) -> bytes:
        """The bytes to send; ``ValueError`` when the text does not parse."""
        if self._file_data is not None:
            return self._file_data[1]
        text = self.edit.toPlainText()
        if self.format.currentIndex() == self.BASE64:
            return parse_base64(text)
        return parse_hex(text)

    def _update(self) -> None:
        if self._file_data is not None:
            name, data = self._file_data
            show(self.info, f"{byte_count(len(data))} from {name}", "muted")
        else:
            try:
                data = self.payload()
            except ValueError as exc:
                show(self.info, str(exc), "error")
            else:
                show(self.info, byte_count(len(data)), "muted")
        self.changed.emit()

    # ------------------------------------------------------------------ a file
    def _browse_file(self) -> None:
        dialog = QFileDialog(self, "Send a file as a binary message")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(self.load_file)
        self._file_dialog = dialog
        dialog.open()  # never exec(): no nested event loop

    def load_file(self, path: str) -> None:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            show(self.info, f"cannot read {path}: {exc.strerror or exc}", "error")
            return
        name = Path(path).name
        self.format.setCurrentIndex(self.HEX)
        if len(data) <= EDITABLE_FILE_LIMIT:
            self._file_data = None
            self.edit.setReadOnly(False)
            self.edit.setPlainText(format_hex(data))
            show(self.info, f"{byte_count(len(data))} from {name}", "muted")
        else:
            self._file_data = (name, data)
            self.edit.setPlainText(
                format_hex(data[:_SHOWN_OF_FILE])
                + f"\n… ({len(data) - _SHOWN_OF_FILE} more bytes of {name})"
            )
            self.edit.setReadOnly(True)
            self.clear_file_button.show()
            self._update()
        self.changed.emit()

    def clear_file(self) -> None:
        self._file_data = None
        self.edit.setReadOnly(False)
        self.edit.clear()
        self.clear_file_button.hide()
        self._update()

    # -------------------------------------------------------------------- send
    def send_label(self) -> str:
        return "Send binary"

    def entry(self) -> HistoryEntry:
        s = self.session
        data = self.payload()
        n = self.fragments.value()
        # None lets the engine compress when the extension is on; False never does.
        choice = None if self.compress.isChecked() else False
        deflated = choice is None and s.deflate_negotiated
        return HistoryEntry(
            "binary",
            binary_label(data, n, compress=deflated),
            lambda: s.send_binary(data, fragments=n, compress=choice),
        )

    def editors(self) -> list[QPlainTextEdit | QLineEdit]:
        return [self.edit]

    def session_opened(self) -> None:
        self.compress.setEnabled(self.session.deflate_negotiated)
