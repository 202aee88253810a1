"""The item dialog: name a message saved from the compose pane, or edit one of the
library's (name, folder, payload view, payload, counter). Opened with ``open()``,
never ``exec()``; ``itemAccepted(LibraryItem)`` carries the result."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ...library.items import ItemError, ItemKind, LibraryItem
from ...protocol.crafting import format_hex, parse_hex
from ..widgets import theme
from ..widgets.naming import named

__all__ = ["ItemDialog"]

_AUTO_VIEW = "(automatic)"


class ItemDialog(QDialog):
    itemAccepted = Signal(object)  # LibraryItem

    def __init__(
        self,
        item: LibraryItem,
        folders: list[str],
        views: list[str],
        *,
        title: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        named(self, "libraryItemDialog", title)
        self.item = item
        self.name_edit = QLineEdit(item.name, self)
        named(self.name_edit, "libraryItemName", "Name")
        self.folder_box = QComboBox(self)
        named(
            self.folder_box, "libraryItemFolder", "Folder", "Type a new folder, a/b for a subfolder"
        )
        self.folder_box.setEditable(True)
        self.folder_box.addItems(["", *folders])
        self.folder_box.setEditText(item.folder)
        self.view_box = QComboBox(self)
        named(self.view_box, "libraryItemView", "Payload view")
        self.view_box.addItems([_AUTO_VIEW, *views])
        if item.view:
            self.view_box.setCurrentText(item.view)
        self.json_check = QCheckBox("JSON: refuse to send it when it does not parse", self)
        named(self.json_check, "libraryItemJson", "Check as JSON")
        self.json_check.setChecked(item.kind is ItemKind.JSON)
        self.json_check.setVisible(item.kind in (ItemKind.TEXT, ItemKind.JSON))
        self.counter_box = QSpinBox(self)
        named(self.counter_box, "libraryItemCounter", "Next counter value")
        self.counter_box.setRange(0, 2**31 - 1)
        self.counter_box.setValue(item.counter)
        self.payload_edit = QPlainTextEdit(self)
        named(self.payload_edit, "libraryItemPayload", "Payload")
        self.is_hex = item.text is None
        self.is_format = item.kind is ItemKind.FORMAT
        if self.is_format:
            # Its fields are the Format tab's: edited there (Compose), shown here.
            self.payload_edit.setReadOnly(True)
            self.payload_edit.setPlainText("\n".join(f"{k}: {v}" for k, v in item.fields))
            self.view_box.setEnabled(False)
        elif self.is_hex:
            self.payload_edit.setFont(theme.monospace_font())
            self.payload_edit.setPlainText(format_hex(item.data or b""))
        else:
            self.payload_edit.setPlainText(item.text or "")
        self.payload_edit.setTabChangesFocus(True)
        self.error = QLabel(self)
        named(self.error, "libraryItemError", "What is wrong")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {theme.current().violation.name()};")
        hint = QLabel(
            "Variables, expanded when sent: {{uuid}} {{now}} {{counter}} {{env:NAME}}", self
        )
        hint.setWordWrap(True)
        hint.setStyleSheet(f"color: {theme.current().muted.name()};")

        form = QFormLayout()
        form.addRow("&Name:", self.name_edit)
        form.addRow("&Folder:", self.folder_box)
        form.addRow("&View:", self.view_box)
        form.addRow("&Counter:", self.counter_box)
        form.addRow("", self.json_check)
        if self.is_format:
            payload_label = "Fields (change them in the Format tab: Compose, then Save):"
        elif self.is_hex:
            payload_label = "Payload (hex):"
        else:
            payload_label = "Reason:" if item.kind is ItemKind.CLOSE else "Payload:"
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        named(self.save_button, "libraryItemSave", "Save")
        buttons.accepted.connect(self.accept_item)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel(payload_label, self))
        layout.addWidget(self.payload_edit, 1)
        layout.addWidget(hint)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(520, 420)

    def result_item(self) -> LibraryItem:
        """The item as the fields say; ValueError says which field is wrong."""
        payload = self.payload_edit.toPlainText()
        kind = self.item.kind
        if kind in (ItemKind.TEXT, ItemKind.JSON):
            kind = ItemKind.JSON if self.json_check.isChecked() else ItemKind.TEXT
        view = self.view_box.currentText().strip()
        if self.is_format:
            return replace(
                self.item,
                name=self.name_edit.text().strip(),
                folder=self.folder_box.currentText(),
                counter=self.counter_box.value(),
            )
        return replace(
            self.item,
            name=self.name_edit.text().strip(),
            folder=self.folder_box.currentText(),
            view=None if view in ("", _AUTO_VIEW) else view,
            counter=self.counter_box.value(),
            kind=kind,
            text=None if self.is_hex else payload,
            data=parse_hex(payload) if self.is_hex else None,
        )

    def accept_item(self) -> None:
        try:
            item = self.result_item()
        except (ItemError, ValueError) as exc:
            self.error.setText(str(exc))
            return
        self.itemAccepted.emit(item)
        self.accept()
