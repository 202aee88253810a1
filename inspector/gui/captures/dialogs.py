"""The capture dialogs: the unsaved-capture question, the save-file dialog (with a
suggested name), and HAR export. Every one is opened with ``open()``, never
``exec()`` (that would nest an event loop under qasync)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractButton,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ...capture.naming import suggested_file_name
from ...capture.unsaved import Answer
from ..widgets import theme
from ..window.session_panel import SessionPanel

__all__ = [
    "CAPTURE_SAVE_FILTER",
    "HarExportDialog",
    "UnsavedPrompt",
    "capture_save_dialog",
    "suggested_name",
]

CAPTURE_SAVE_FILTER = "Captures (*.jsonl);;All files (*)"
#: How many tabs the question about several names before "and N more".
MAX_TABS_NAMED = 6


def suggested_name(panel: SessionPanel, suffix: str = "jsonl") -> str:
    """The file name the save dialog offers for ``panel``'s capture (host + start
    time), or "" when there is no capture."""
    store = panel.controller.store
    if store is None:
        return ""
    return suggested_file_name(store.session.url, store.session.started_unix, suffix)


def capture_save_dialog(parent: QWidget, suggested: str = "") -> QFileDialog:
    """A "Save the capture" dialog offering ``suggested`` as the file name."""
    dialog = QFileDialog(parent, "Save the capture", "", CAPTURE_SAVE_FILTER)
    dialog.setObjectName("saveCaptureDialog")
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setFileMode(QFileDialog.FileMode.AnyFile)
    dialog.setDefaultSuffix("jsonl")
    if suggested:
        dialog.selectFile(suggested)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    return dialog


def _frames(panel: SessionPanel) -> int:
    store = panel.controller.store
    return len(store) if store is not None else 0


class UnsavedPrompt(QMessageBox):
    """The question about captures that were not saved; opened with ``open()``.

    For one tab: Save / Discard / Cancel. For several, one question: Save all /
    Discard all / Cancel. ``answered(str)`` says an :class:`Answer` value."""

    answered = Signal(str)

    def __init__(self, panels: Sequence[SessionPanel], *, quitting: bool, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("unsavedPrompt")
        self.setAccessibleName("Save the capture?")
        self.setIcon(QMessageBox.Icon.Warning)
        what = "quitting" if quitting else "closing the tab"
        self._buttons: dict[QAbstractButton, Answer] = {}
        if len(panels) == 1:
            panel = panels[0]
            frames = _frames(panel)
            self.setWindowTitle("Save the capture?")
            self.setText(f"The capture of “{panel.title}” was not saved.")
            self.setInformativeText(
                f"{panel.controller.url}\n{frames:,} frame{'' if frames == 1 else 's'}. "
                f"Save it before {what}?"
            )
            choices = (
                (QMessageBox.StandardButton.Save, Answer.SAVE, "unsavedSave", "Save the capture"),
                (
                    QMessageBox.StandardButton.Discard,
                    Answer.DISCARD,
                    "unsavedDiscard",
                    "Discard the capture",
                ),
            )
        else:
            self.setWindowTitle("Save the captures?")
            self.setText(f"{len(panels)} captures were not saved.")
            named = [f"• {p.title} ({_frames(p):,} frames)" for p in panels[:MAX_TABS_NAMED]]
            if len(panels) > MAX_TABS_NAMED:
                named.append(f"and {len(panels) - MAX_TABS_NAMED} more")
            self.setInformativeText("\n".join(named) + f"\n\nSave them before {what}?")
            choices = (
                (
                    QMessageBox.StandardButton.SaveAll,
                    Answer.SAVE_ALL,
                    "unsavedSaveAll",
                    "Save all the captures",
                ),
                (
                    QMessageBox.StandardButton.Discard,
                    Answer.DISCARD_ALL,
                    "unsavedDiscardAll",
                    "Discard all the captures",
                ),
            )
        self.setStandardButtons(choices[0][0] | choices[1][0] | QMessageBox.StandardButton.Cancel)
        self.setDefaultButton(choices[0][0])
        self.setEscapeButton(QMessageBox.StandardButton.Cancel)
        for standard, answer, name, label in (
            *choices,
            (QMessageBox.StandardButton.Cancel, Answer.CANCEL, "unsavedCancel", "Cancel"),
        ):
            b = self.button(standard)
            if b is not None:
                b.setObjectName(name)
                b.setAccessibleName(label)
                if answer is Answer.DISCARD_ALL:
                    b.setText("Discard all")
                self._buttons[b] = answer
        self._answer = Answer.CANCEL
        self.buttonClicked.connect(self._on_clicked)
        self.finished.connect(self._on_finished)

    def _on_clicked(self, button: QAbstractButton) -> None:
        self._answer = self._buttons.get(button, Answer.CANCEL)

    def _on_finished(self, _result: int) -> None:
        self.answered.emit(str(self._answer))

    def answer(self, choice: str) -> None:
        """Answer as if the button was clicked (an :class:`Answer` value; ``save``
        and ``discard`` also answer the question about several tabs)."""
        wanted = Answer(choice)
        widened = {Answer.SAVE: Answer.SAVE_ALL, Answer.DISCARD: Answer.DISCARD_ALL}
        for button, answer in self._buttons.items():
            if answer is wanted or widened.get(wanted) is answer:
                button.click()
                return
        cancel = self.button(QMessageBox.StandardButton.Cancel)
        if cancel is not None:
            cancel.click()


class HarExportDialog(QDialog):
    """Where to write the HAR file, and whether secrets go in (off by default).
    Window-modal, opened with ``open()``."""

    def __init__(self, default_path: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("harExportDialog")
        self.setAccessibleName("Export HAR")
        self.setWindowTitle("Export HAR")
        self.path_edit = QLineEdit(default_path, self)
        self.path_edit.setObjectName("harPath")
        self.path_edit.setAccessibleName("HAR file")
        self.path_edit.setPlaceholderText("session.har")
        self.browse_button = QPushButton("Browse…", self)
        self.browse_button.setObjectName("harBrowse")
        self.browse_button.setAccessibleName("Choose the HAR file")
        self.browse_button.clicked.connect(self._browse)
        self.secrets_check = QCheckBox("Include secrets (Cookie, Authorization...)", self)
        self.secrets_check.setObjectName("harIncludeSecrets")
        self.secrets_check.setAccessibleName("Include secrets")
        self.secrets_check.setToolTip(
            "Off: the values of Cookie, Set-Cookie, Authorization and Proxy-Authorization "
            "are replaced by a placeholder"
        )
        self.secrets_check.setChecked(False)
        self.secrets_warning = QLabel(
            "The file will hold credentials: share it only with people you would give them to.",
            self,
        )
        self.secrets_warning.setObjectName("harSecretsWarning")
        self.secrets_warning.setAccessibleName("Warning about secrets")
        self.secrets_warning.setWordWrap(True)
        self.secrets_warning.setStyleSheet(f"color: {theme.current().violation.name()};")
        self.secrets_warning.hide()
        self.secrets_check.toggled.connect(self.secrets_warning.setVisible)
        self.control_check = QCheckBox("Also list control frames (ping, pong, close)", self)
        self.control_check.setObjectName("harControlFrames")
        self.control_check.setAccessibleName("Include control frames")
        note = QLabel(
            "HAR records messages, not frames: frame bits, masks and fragmentation are not kept.",
            self,
        )
        note.setWordWrap(True)
        note.setObjectName("harNote")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.setObjectName("harButtons")
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        if ok is not None:
            ok.setText("Export")
            ok.setObjectName("harExportButton")
            ok.setAccessibleName("Export")
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        if cancel is not None:
            cancel.setObjectName("harCancelButton")
            cancel.setAccessibleName("Cancel")
        self.buttons.accepted.connect(self._on_ok)
        self.buttons.rejected.connect(self.reject)
        self.path_edit.textChanged.connect(self._update_ok)
        row = QHBoxLayout()
        row.addWidget(QLabel("File", self))
        row.addWidget(self.path_edit, 1)
        row.addWidget(self.browse_button)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.secrets_check)
        layout.addWidget(self.secrets_warning)
        layout.addWidget(self.control_check)
        layout.addWidget(note)
        layout.addWidget(self.buttons)
        self.resize(520, self.sizeHint().height())
        self._file_dialog: QFileDialog | None = None
        self._update_ok()

    @property
    def path(self) -> str:
        return self.path_edit.text().strip()

    @property
    def include_secrets(self) -> bool:
        return self.secrets_check.isChecked()

    @property
    def control_frames(self) -> bool:
        return self.control_check.isChecked()

    def _update_ok(self, *_: object) -> None:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        if ok is not None:
            ok.setEnabled(bool(self.path))

    def _on_ok(self) -> None:
        if self.path:
            self.accept()

    def _browse(self) -> None:
        dialog = QFileDialog(self, "Export HAR", self.path, "HAR files (*.har);;All files (*)")
        dialog.setObjectName("harFileDialog")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("har")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(self.path_edit.setText)
        self._file_dialog = dialog
        dialog.open()
