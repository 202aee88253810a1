"""A script's reports in its tab: the banner (the last exception or slow hook, its
traceback one click away) and the Script page beside the frame detail (every log
line and report, and the selected one's traceback)."""

from __future__ import annotations

import contextlib
import html
import threading
from collections.abc import Callable, Sequence

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..session.automation import HookReport
from ..widgets import theme
from ..widgets.banner import DismissibleBanner
from .model import LogEntry, ScriptLog

__all__ = ["ScriptBanner", "ScriptLogView", "ScriptReports"]

ENTRY_ROLE = Qt.ItemDataRole.UserRole


class ScriptReports(QObject):
    """A tab's :data:`~inspector.automation.hooks.Reporter`: callable from any
    thread (the hook watchdog reports from its own); what arrives is handed to the
    GUI in one :attr:`reportsArrived` per :attr:`TICK_MS` at most, never one signal
    per report (a script may log on every message)."""

    TICK_MS = 50
    reportsArrived = Signal(list)  # list[LogEntry]
    _wake = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("scriptReports")
        self.log = ScriptLog()
        self._lock = threading.Lock()
        self._queue: list[HookReport] = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(self.TICK_MS)
        self._timer.timeout.connect(self.flush)
        # Queued even on the GUI thread: a report in the middle of a hook call waits.
        self._wake.connect(self._arm, Qt.ConnectionType.QueuedConnection)

    def __call__(self, report: HookReport) -> None:
        with self._lock:
            first = not self._queue
            self._queue.append(report)
        if first:
            # RuntimeError: the tab went away while a hook still reported.
            with contextlib.suppress(RuntimeError):
                self._wake.emit()

    def _arm(self) -> None:
        if not self._timer.isActive():
            self._timer.start()

    def flush(self) -> list[LogEntry]:
        with self._lock:
            reports, self._queue = self._queue, []
        entries = [self.log.add(str(r.kind), r.hook, r.text, r.detail, r.label) for r in reports]
        if entries:
            self.reportsArrived.emit(entries)
        return entries


def show_traceback(parent: QWidget, entry: LogEntry, script: str) -> QMessageBox:
    """A message box with ``entry``'s traceback under Details (opened, not exec'd)."""
    box = QMessageBox(parent)
    box.setObjectName("scriptTracebackBox")
    box.setAccessibleName("Script exception")
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(f"Script {script}")
    box.setText(entry.text)
    box.setDetailedText(entry.detail or "(no traceback)")
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box


class ScriptBanner(DismissibleBanner):
    """The last exception or slow hook of the tab's script; Details… shows its
    traceback, Log the Script page."""

    def __init__(self, show_log: Callable[[], None], parent: QWidget | None = None) -> None:
        super().__init__(
            "scriptBanner",
            accessible="Script problem",
            text_accessible="Script problem message",
            close_accessible="Dismiss the script problem",
            parent=parent,
        )
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.entry: LogEntry | None = None
        self.script = ""
        self.box: QMessageBox | None = None
        self.details_button = QPushButton("Details…", self)
        self.details_button.setObjectName("scriptBannerDetails")
        self.details_button.setAccessibleName("Show the traceback")
        self.details_button.clicked.connect(self.show_details)
        self.log_button = QPushButton("Log", self)
        self.log_button.setObjectName("scriptBannerLog")
        self.log_button.setAccessibleName("Show the script's log")
        self.log_button.clicked.connect(show_log)
        layout = self.layout()
        assert isinstance(layout, QHBoxLayout)
        layout.insertWidget(1, self.details_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.insertWidget(2, self.log_button, 0, Qt.AlignmentFlag.AlignTop)

    def show_entry(self, script: str, entry: LogEntry, more: int = 0) -> None:
        self.script, self.entry = script, entry
        self._render(more)
        self.show()

    def _render(self, more: int = 0) -> None:
        entry = self.entry
        if entry is None:
            return
        t = theme.current()
        color = t.violation if entry.kind == "error" else t.control
        title = "Script exception" if entry.kind == "error" else "Slow script hook"
        extra = f" ({more} more in the log)" if more else ""
        self.label.setText(
            f'<b style="color:{color.name()}">{title} in {html.escape(self.script)}:</b> '
            f"{html.escape(entry.text)}{html.escape(extra)} — the connection goes on."
        )
        self.setAccessibleDescription(f"{title} in {self.script}: {entry.text}")
        self.details_button.setEnabled(bool(entry.detail))
        self._style(color, 0.14)

    def text(self) -> str:
        return self.entry.text if self.entry is not None else ""

    def show_details(self) -> None:
        if self.entry is not None:
            self.box = show_traceback(self, self.entry, self.script)

    def _has_content(self) -> bool:
        return self.entry is not None

    def _restyle(self) -> None:
        self._render()


class ScriptLogView(QWidget):
    """The Script page: which script, its counts, Detach, every entry, and the
    selected entry's text and traceback."""

    detachRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("scriptLogView")
        self.setAccessibleName("Script log")
        self.title = QLabel(self)
        self.title.setObjectName("scriptLogTitle")
        self.title.setAccessibleName("Script attached")
        self.title.setWordWrap(True)
        self.detach_button = QToolButton(self)
        self.detach_button.setObjectName("scriptLogDetach")
        self.detach_button.setAccessibleName("Detach the script")
        self.detach_button.setText("Detach")
        self.detach_button.clicked.connect(self.detachRequested)
        self.list = QListWidget(self)
        self.list.setObjectName("scriptLogList")
        self.list.setAccessibleName("Script log lines")
        self.list.setUniformItemSizes(True)
        self.list.currentItemChanged.connect(lambda item, _old: self._show(item))
        self.detail = QPlainTextEdit(self)
        self.detail.setObjectName("scriptLogDetail")
        self.detail.setAccessibleName("Script log entry")
        self.detail.setReadOnly(True)
        self.detail.setFont(theme.monospace_font())
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.detach_button)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.setObjectName("scriptLogSplitter")
        split.addWidget(self.list)
        split.addWidget(self.detail)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(split, 1)

    def set_title(self, text: str, *, attached: bool) -> None:
        self.title.setText(text)
        self.detach_button.setEnabled(attached)

    def add_entries(self, entries: Sequence[LogEntry], limit: int = ScriptLog.LIMIT) -> None:
        t = theme.current()
        follow = self.list.currentRow() in (-1, self.list.count() - 1)
        for entry in entries:
            item = QListWidgetItem(entry.line())
            item.setData(ENTRY_ROLE, entry)
            if entry.kind == "error":
                item.setForeground(t.violation)
            elif entry.kind == "slow":
                item.setForeground(t.control)
            self.list.addItem(item)
        excess = self.list.count() - limit
        for _ in range(max(excess, 0)):
            self.list.takeItem(0)
        if follow and self.list.count():
            self.list.setCurrentRow(self.list.count() - 1)

    def lines(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    def select(self, entry: LogEntry) -> None:
        for i in range(self.list.count() - 1, -1, -1):
            if self.list.item(i).data(ENTRY_ROLE) is entry:
                self.list.setCurrentRow(i)
                return

    def _show(self, item: QListWidgetItem | None) -> None:
        entry = item.data(ENTRY_ROLE) if item is not None else None
        if not isinstance(entry, LogEntry):
            self.detail.clear()
            return
        text = entry.line()
        if entry.detail:
            text += "\n\n" + entry.detail
        self.detail.setPlainText(text)
