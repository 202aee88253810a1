"""The Tools > Scripts… dialog: choose a hook script, attach it, detach it."""

from __future__ import annotations

import html
import os

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..session.automation import ScriptError
from ..widgets import theme
from .scripts import ScriptHost

__all__ = ["ScriptsDialog"]

HOOK_HELP = (
    "A Python file whose <code>on_open(conn)</code>, <code>on_message(conn, message)</code>, "
    "<code>on_frame(conn, frame)</code> and <code>on_close(conn, code, reason)</code> are "
    "called when present (see docs/scripting.md). Attached to an open connection, "
    "<code>on_open</code> has already passed. An exception or a slow hook is shown in "
    "the tab; the connection goes on."
)


class ScriptsDialog(QDialog):
    """Not modal: the tabs stay usable while it is open (opened with ``show()``)."""

    def __init__(self, host: ScriptHost, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("scriptsDialog")
        self.setAccessibleName("Scripts")
        self.setWindowTitle("Scripts")
        self.host = host
        self.file_dialog: QFileDialog | None = None

        help_label = QLabel(HOOK_HELP, self)
        help_label.setObjectName("scriptsHelp")
        help_label.setWordWrap(True)
        help_label.setTextFormat(Qt.TextFormat.RichText)

        self.path_edit = QLineEdit(self)
        self.path_edit.setObjectName("scriptPath")
        self.path_edit.setAccessibleName("Script file")
        self.path_edit.setPlaceholderText("a .py file")
        self.browse_button = QPushButton("Browse…", self)
        self.browse_button.setObjectName("scriptBrowse")
        self.browse_button.setAccessibleName("Choose a script file")
        self.browse_button.clicked.connect(self.browse)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(self.browse_button)

        self.follow_check = QCheckBox("Also attach to connections started later (any tab)", self)
        self.follow_check.setObjectName("scriptFollowNew")
        self.follow_check.setAccessibleName("Attach to new connections")

        self.attach_button = QPushButton("&Attach", self)
        self.attach_button.setObjectName("scriptAttach")
        self.attach_button.setAccessibleName("Attach the script")
        self.attach_button.setDefault(True)
        self.attach_button.clicked.connect(self.attach)
        self.detach_button = QPushButton("&Detach", self)
        self.detach_button.setObjectName("scriptDetach")
        self.detach_button.setAccessibleName("Detach the script")
        self.detach_button.clicked.connect(self.detach)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.addButton(self.attach_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.detach_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.close)

        self.status_label = QLabel(self)
        self.status_label.setObjectName("scriptStatus")
        self.status_label.setAccessibleName("Script status")
        self.status_label.setWordWrap(True)
        self.problem = QPlainTextEdit(self)
        self.problem.setObjectName("scriptProblem")
        self.problem.setAccessibleName("Script problem")
        self.problem.setReadOnly(True)
        self.problem.setFont(theme.monospace_font())
        self.problem.setMaximumHeight(140)
        self.problem.hide()

        layout = QVBoxLayout(self)
        layout.addWidget(help_label)
        layout.addLayout(path_row)
        layout.addWidget(self.follow_check)
        layout.addWidget(self.status_label)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)
        self.resize(600, self.sizeHint().height())
        host.changed.connect(self._refresh)
        self._refresh()

    def browse(self) -> None:
        start = os.path.dirname(self.path_edit.text()) if self.path_edit.text() else ""
        dialog = QFileDialog(self, "Choose a hook script", start, "Python files (*.py)")
        dialog.setObjectName("scriptFileDialog")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(self.path_edit.setText)
        self.file_dialog = dialog
        dialog.open()  # never exec(): it would nest an event loop under qasync

    def attach(self) -> bool:
        path = self.path_edit.text().strip()
        if not path:
            self._show_problem("choose a script file first")
            return False
        try:
            said = self.host.attach(path, follow_new=self.follow_check.isChecked())
        except ScriptError as exc:
            self._show_problem(str(exc), exc.detail)
            return False
        self.problem.hide()
        self._refresh(said)
        return True

    def detach(self) -> None:
        self.host.detach()

    def _show_problem(self, message: str, detail: str = "") -> None:
        color = theme.current().violation.name()
        self.status_label.setText(f'<b style="color:{color}">{html.escape(message)}</b>')
        self.problem.setPlainText(detail)
        self.problem.setVisible(bool(detail))

    def _refresh(self, said: str = "") -> None:
        host = self.host
        script = host.script
        attached = host.attached()
        if script is None:
            text = "No script is attached."
        else:
            n = len(attached)
            text = f"{os.path.basename(script.path)}: on {n} connection{'' if n == 1 else 's'}" + (
                "; attaches to new ones" if host.follow_new else ""
            )
        text = f"{html.escape(said)}.<br>{html.escape(text)}" if said else html.escape(text)
        self.status_label.setText(text)
        self.detach_button.setEnabled(script is not None)
