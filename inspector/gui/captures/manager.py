"""Captures in the window: journals, recovery, unsaved captures, HAR, read-only tabs.

:class:`CaptureManager` (one per window, ``window.captures``) looks after the
captures of the window's tabs:

* every live connection is journaled to disk while it runs (the controller's
  :attr:`~inspector.gui.session.controller.SessionController.journal_dir` points into the data
  folder: ``$WS_INSPECTOR_DATA_DIR``, else the XDG data folder, as for the CLI);
* at start, journals that no running session holds (a crash, a kill, a quit that did
  not ask) are offered back in a non-modal :class:`RecoveryBanner`: Recover (each in a
  read-only tab), Discard, Later;
* closing a tab or quitting with a capture that was not saved asks Save / Discard /
  Cancel (a :class:`UnsavedPrompt` opened with ``open()``, one tab after the other,
  never ``exec()``). ``$WS_INSPECTOR_UNSAVED`` (or :attr:`CaptureManager.policy`)
  answers by itself: ``discard``, ``keep`` (the journals stay, to be recovered at the
  next start), ``cancel``; ``ask`` is the default;
* File > Open reads ``.jsonl`` captures and ``.har`` files (each WebSocket entry in a
  tab of its own), and a damaged file as far as it can be read, saying where it
  stopped; File > Export HAR… writes the current tab as HAR (:class:`HarExportDialog`:
  secrets left out unless asked).

:func:`open_store_tab` shows a capture held in memory (a probe case, a HAR entry, a
recovered journal) read-only in a tab of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ...capture.events import ConnectionState
from ...capture.formats.har import HarFormatError, HarSession, read_har, write_har
from ...capture.formats.journal import RecoverableJournal, data_dir, find_recoverable, journal_dir
from ...capture.formats.jsonl import CaptureFormatError, LoadResult
from ...capture.store import CaptureStore
from ..session.controller import spawn
from ..widgets import theme
from ..window.session_panel import SessionPanel

if TYPE_CHECKING:
    from ..window.main_window import MainWindow

__all__ = [
    "POLICY_ENV",
    "CaptureManager",
    "HarExportDialog",
    "RecoveryBanner",
    "UnsavedPrompt",
    "gui_data_dir",
    "open_store_tab",
]

log = logging.getLogger("inspector.gui.captures.manager")

#: Answers the "save this capture?" question by itself: ask, discard, keep, cancel.
POLICY_ENV = "WS_INSPECTOR_UNSAVED"
POLICIES = ("ask", "discard", "keep", "cancel")
CAPTURE_SAVE_FILTER = "Captures (*.jsonl);;All files (*)"
#: How many problems a tab's banner lists before "and N more".
MAX_PROBLEMS_SHOWN = 3


def gui_data_dir() -> str:
    """The data folder the command line uses too (``$WS_INSPECTOR_DATA_DIR``, else the
    XDG data folder), so that the window offers to recover a killed ``capture``."""
    return str(data_dir())


def _policy_from_env() -> str:
    value = os.environ.get(POLICY_ENV, "").strip().lower()
    return value if value in POLICIES else "ask"


def _problems_text(problems: Sequence[str]) -> str:
    shown = "; ".join(problems[:MAX_PROBLEMS_SHOWN])
    more = len(problems) - MAX_PROBLEMS_SHOWN
    return shown + (f" (and {more} more)" if more > 0 else "")


def _host(url: str) -> str:
    try:
        return urlsplit(url).netloc or url
    except ValueError:
        return url


def _resolve(future: asyncio.Future[Any], value: Any) -> None:
    if not future.done():
        future.set_result(value)


def _looks_like_har(path: str) -> bool:
    """A ``.har`` name, or a JSON object that has a ``"log"`` early on (and is not
    a capture's session line)."""
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError:
        return path.lower().endswith(".har")
    head = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if head.startswith(b'{"type"'):
        return False
    if path.lower().endswith(".har"):
        return True
    return head.startswith(b"{") and b'"log"' in head


# ------------------------------------------------------------------ read-only tabs
def open_store_tab(
    window: MainWindow,
    store: CaptureStore,
    name: str,
    *,
    kind: str = "file",
    badge: str | None = None,
    path: str | None = None,
    message: str = "",
    fatal: bool = False,
    reuse_empty: bool = False,
) -> SessionPanel:
    """Show ``store`` read-only in a new tab titled ``name`` (or in the current tab
    when it is still empty and ``reuse_empty``). The state badge says ``kind``
    (``file``, ``probe``, ``recovered``) and ``badge`` (default: ``name``);
    ``message`` goes to the banner (as a failure when ``fatal``, else a warning)."""
    panel = window.current_panel()
    if not (reuse_empty and panel is not None and panel.controller.store is None):
        panel = window.new_session()
    panel.title_override = name
    panel.banner.clear()
    panel.handshake.clear()
    panel.detail.clear()
    panel.controller.show_store(store, path)
    panel.bar.set_url(panel.controller.url)
    panel.bar.set_source(badge if badge is not None else name, kind)
    if message:
        panel.banner.show_error("open", message, fatal=fatal)
    panel.titleChanged.emit(panel.title)
    return panel


def _target_panel(window: MainWindow) -> SessionPanel:
    """The current tab when it is still empty, else a new one."""
    panel = window.current_panel()
    if panel is None or panel.controller.store is not None:
        panel = window.new_session()
    return panel


# ---------------------------------------------------------------------- widgets
class UnsavedPrompt(QMessageBox):
    """Save / Discard / Cancel for one tab's capture; opened with ``open()``.
    ``answered(str)`` says ``"save"``, ``"discard"`` or ``"cancel"``."""

    answered = Signal(str)

    def __init__(self, panel: SessionPanel, *, quitting: bool, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("unsavedPrompt")
        self.setAccessibleName("Save the capture?")
        self.setIcon(QMessageBox.Icon.Warning)
        self.setWindowTitle("Save the capture?")
        title = panel.title
        url = panel.controller.url
        store = panel.controller.store
        frames = len(store) if store is not None else 0
        what = "quitting" if quitting else "closing the tab"
        self.setText(f"The capture of “{title}” was not saved.")
        self.setInformativeText(
            f"{url}\n{frames:,} frame{'' if frames == 1 else 's'}. Save it before {what}?"
        )
        self.setStandardButtons(
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel
        )
        self.setDefaultButton(QMessageBox.StandardButton.Save)
        self.setEscapeButton(QMessageBox.StandardButton.Cancel)
        for button, name, label in (
            (QMessageBox.StandardButton.Save, "unsavedSave", "Save the capture"),
            (QMessageBox.StandardButton.Discard, "unsavedDiscard", "Discard the capture"),
            (QMessageBox.StandardButton.Cancel, "unsavedCancel", "Cancel"),
        ):
            b = self.button(button)
            if b is not None:
                b.setObjectName(name)
                b.setAccessibleName(label)
        self._answer = ""
        self.buttonClicked.connect(self._on_clicked)
        self.finished.connect(self._on_finished)

    def _on_clicked(self, button: Any) -> None:
        role = self.standardButton(button)
        if role == QMessageBox.StandardButton.Save:
            self._answer = "save"
        elif role == QMessageBox.StandardButton.Discard:
            self._answer = "discard"
        else:
            self._answer = "cancel"

    def _on_finished(self, _result: int) -> None:
        self.answered.emit(self._answer or "cancel")

    def answer(self, choice: str) -> None:
        """Answer as if the button was clicked (``save``, ``discard``, ``cancel``)."""
        button = {
            "save": QMessageBox.StandardButton.Save,
            "discard": QMessageBox.StandardButton.Discard,
        }.get(choice, QMessageBox.StandardButton.Cancel)
        b = self.button(button)
        if b is not None:
            b.click()


class RecoveryBanner(QFrame):
    """A non-modal offer above the tabs: sessions that did not finish (or were not
    saved) can be recovered, discarded, or left for later."""

    recoverRequested = Signal()
    discardRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recoveryBanner")
        self.setAccessibleName("Sessions to recover")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.label = QLabel(self)
        self.label.setObjectName("recoveryText")
        self.label.setAccessibleName("Sessions to recover")
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.recover_button = QPushButton("Recover", self)
        self.recover_button.setObjectName("recoverButton")
        self.recover_button.setAccessibleName("Recover the sessions")
        self.recover_button.setToolTip("Open each session read-only, in a tab of its own")
        self.discard_button = QPushButton("Discard", self)
        self.discard_button.setObjectName("discardRecoveryButton")
        self.discard_button.setAccessibleName("Discard the sessions")
        self.discard_button.setToolTip("Delete their journals")
        self.later_button = QToolButton(self)
        self.later_button.setText("Later")
        self.later_button.setObjectName("laterButton")
        self.later_button.setAccessibleName("Decide later")
        self.later_button.setToolTip("Hide this; the sessions are offered again at the next start")
        self.recover_button.clicked.connect(self.recoverRequested)
        self.discard_button.clicked.connect(self.discardRequested)
        self.later_button.clicked.connect(self.hide)
        self._restyling = False
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 6, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.recover_button)
        layout.addWidget(self.discard_button)
        layout.addWidget(self.later_button)
        self.hide()

    def show_journals(self, journals: Sequence[RecoverableJournal]) -> None:
        if not journals:
            self.hide()
            return
        crashed = [j for j in journals if not j.finished]
        ended = [j for j in journals if j.finished]
        parts = []
        if crashed:
            n = len(crashed)
            parts.append(
                f"{n} session{'s' if n > 1 else ''} did not finish (the program stopped "
                f"while {'they were' if n > 1 else 'it was'} running)"
            )
        if ended:
            n = len(ended)
            parts.append(f"{n} ended without being saved")
        urls = []
        for j in journals[:3]:
            url = j.session.url if j.session is not None else j.path.name
            urls.append(html.escape(url))
        more = f" and {len(journals) - 3} more" if len(journals) > 3 else ""
        self._restyle()
        self.label.setText(
            f"<b>Captures to recover:</b> {'; '.join(parts)}: {', '.join(urls)}{more}."
        )
        self.setAccessibleDescription(self.label.text())
        self.show()

    def _restyle(self) -> None:
        t = theme.current()
        tint = theme.blend(t.base, t.control, 0.14)
        self._restyling = True  # our own style sheet must not bring us back here
        try:
            self.setStyleSheet(
                f"QFrame#recoveryBanner {{ background: {tint.name()}; border: 1px solid "
                f"{t.control.name()}; border-radius: 3px; }}"
            )
        finally:
            self._restyling = False

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        # Light <-> dark: the tint of the old palette would hide the new text colour.
        restyling = getattr(self, "_restyling", True)  # (no attribute while being built)
        if event.type() == QEvent.Type.PaletteChange and self.styleSheet() and not restyling:
            self._restyle()


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


# ---------------------------------------------------------------------- manager
class CaptureManager(QObject):
    """The window's captures: journals, recovery, unsaved prompts, files."""

    def __init__(self, window: MainWindow, data_dir: str | None = None) -> None:
        super().__init__(window)
        self.setObjectName("captureManager")
        self.window = window
        self.data_dir = data_dir if data_dir is not None else gui_data_dir()
        self.journal_dir: str | None = str(journal_dir(self.data_dir)) if self.data_dir else None
        #: ``ask`` (default), ``discard``, ``keep`` or ``cancel``: see the module doc.
        self.policy = _policy_from_env()
        #: The prompt on screen, if any (tests answer it).
        self.prompt: UnsavedPrompt | None = None
        self.save_dialog: QFileDialog | None = None
        self.export_dialog: HarExportDialog | None = None
        self.banner = RecoveryBanner(window)
        self.banner.recoverRequested.connect(self.recover_all)
        self.banner.discardRequested.connect(self.discard_all)
        self.recoverable: list[RecoverableJournal] = []
        self._saved: dict[int, tuple[int, int]] = {}
        self._stores: dict[int, CaptureStore] = {}
        #: Tabs showing a recovered journal: the journal, and the store read from it.
        self._recovered: dict[int, tuple[RecoverableJournal, CaptureStore]] = {}
        self._asking = False
        self._tasks: set[asyncio.Task[Any]] = set()

    # ------------------------------------------------------------- journals
    def attach(self, panel: SessionPanel) -> None:
        """Journal the live connections of ``panel``."""
        panel.controller.journal_dir = self.journal_dir
        panel.controller.storeChanged.connect(lambda _s, p=panel: self._on_store(p))

    def _on_store(self, panel: SessionPanel) -> None:
        # A new capture in the tab: what was saved or recovered before is gone.
        self._saved.pop(id(panel), None)
        c = panel.controller
        if c.store is not None:
            # Kept here too: a tab that is shutting down no longer shows its store.
            self._stores[id(panel)] = c.store
        recovered = self._recovered.get(id(panel))
        if recovered is not None and c.store is not recovered[1]:
            self._recovered.pop(id(panel), None)
        if c.journal_error:
            self.window.show_error(c.journal_error)

    def _store_of(self, panel: SessionPanel) -> CaptureStore | None:
        store = panel.controller.store
        return store if store is not None else self._stores.get(id(panel))

    @staticmethod
    def _mark(store: CaptureStore) -> tuple[int, int]:
        return (len(store), len(store.events))

    def is_unsaved(self, panel: SessionPanel) -> bool:
        """The tab holds a capture worth keeping (live frames, or a recovered
        session) that changed since it was last saved."""
        store = self._store_of(panel)
        if store is None:
            return False
        if id(panel) in self._recovered:
            return self._saved.get(id(panel)) != self._mark(store)
        if panel.controller.read_only or len(store) == 0:
            return False
        return self._saved.get(id(panel)) != self._mark(store)

    def mark_saved(self, panel: SessionPanel) -> None:
        store = self._store_of(panel)
        if store is None:
            return
        self._saved[id(panel)] = self._mark(store)
        recovered = self._recovered.pop(id(panel), None)
        if recovered is not None:
            recovered[0].discard()  # it is in the saved file now
        if panel.controller.state is ConnectionState.CLOSED:
            panel.controller.close_journal()  # ended and saved: nothing to recover

    def release(self, panel: SessionPanel, *, discard: bool) -> None:
        """The tab is going away: delete its journal (``discard``, or nothing
        unsaved), else keep it for recovery at the next start."""
        keep = not discard and self.is_unsaved(panel)
        panel.controller.close_journal(keep=keep)
        recovered = self._recovered.pop(id(panel), None)
        if recovered is not None and not keep:
            recovered[0].discard()
        self._saved.pop(id(panel), None)
        self._stores.pop(id(panel), None)

    def release_all(self, *, discard: bool = False) -> None:
        for panel in self.window.panels():
            self.release(panel, discard=discard)

    # -------------------------------------------------------------- unsaved
    def unsaved(self, panels: Sequence[SessionPanel]) -> list[SessionPanel]:
        return [p for p in panels if self.is_unsaved(p)]

    def confirm(
        self,
        panels: Sequence[SessionPanel],
        then: Callable[[], None],
        *,
        quitting: bool = False,
    ) -> bool:
        """Ask about each unsaved capture among ``panels`` (Save / Discard / Cancel),
        then call ``then`` unless one answer was Cancel. Returns True when ``then``
        was called at once (nothing to ask, or the policy answered)."""
        if self._asking:
            if self.prompt is not None:
                self.prompt.raise_()
            return False
        targets = self.unsaved(panels)
        if not targets or self.policy == "keep":
            then()
            return True
        if self.policy == "cancel":
            return False
        if self.policy == "discard":
            for panel in targets:
                self.release(panel, discard=True)
            then()
            return True
        task = spawn(self._ask_each(targets, then, quitting), "asking to save")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return False

    async def _ask_each(
        self, targets: Sequence[SessionPanel], then: Callable[[], None], quitting: bool
    ) -> None:
        self._asking = True
        try:
            for panel in targets:
                if self.window.tabs.indexOf(panel) < 0 or not self.is_unsaved(panel):
                    continue
                self.window.tabs.setCurrentWidget(panel)
                answer = await self._ask(panel, quitting)
                if answer == "cancel":
                    return
                if answer == "save":
                    path = await self._choose_path(panel)
                    if not path or not self.window.save_capture(path, panel):
                        return
                else:
                    self.release(panel, discard=True)
        finally:
            self._asking = False
            self.prompt = None
        then()

    async def _ask(self, panel: SessionPanel, quitting: bool) -> str:
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        prompt = UnsavedPrompt(panel, quitting=quitting, parent=self.window)
        prompt.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        prompt.answered.connect(lambda a: _resolve(future, a))
        self.prompt = prompt
        prompt.open()  # never exec(): it would nest an event loop under qasync
        try:
            return await future
        finally:
            self.prompt = None

    async def _choose_path(self, panel: SessionPanel) -> str | None:
        future: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
        dialog = QFileDialog(self.window, "Save the capture", "", CAPTURE_SAVE_FILTER)
        dialog.setObjectName("saveCaptureDialog")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setFileMode(QFileDialog.FileMode.AnyFile)
        dialog.setDefaultSuffix("jsonl")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(lambda p: _resolve(future, p))
        dialog.rejected.connect(lambda: _resolve(future, None))
        # Closed some other way: answered "no file" once fileSelected had its turn.
        dialog.finished.connect(lambda _r: QTimer.singleShot(0, lambda: _resolve(future, None)))
        self.save_dialog = dialog
        dialog.open()
        try:
            return await future
        finally:
            self.save_dialog = None

    # ------------------------------------------------------------- recovery
    def find_journals(self) -> list[RecoverableJournal]:
        if self.journal_dir is None:
            return []
        try:
            return find_recoverable(directory=self.journal_dir)
        except OSError as exc:
            log.warning("cannot look for journals in %s: %s", self.journal_dir, exc)
            return []

    def offer_recovery(self) -> list[RecoverableJournal]:
        """Look for journals to recover and, if there are any, show the banner."""
        self.recoverable = self.find_journals()
        self.banner.show_journals(self.recoverable)
        return self.recoverable

    def recover_all(self) -> asyncio.Task[list[SessionPanel]]:
        """Open every journal on offer, each read-only in its own tab."""
        journals, self.recoverable = self.recoverable, []
        self.banner.hide()
        task = spawn(self._recover(journals), "recovering sessions")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _recover(self, journals: Sequence[RecoverableJournal]) -> list[SessionPanel]:
        loop = asyncio.get_running_loop()
        panels: list[SessionPanel] = []
        for i, journal in enumerate(journals):
            try:
                result = await loop.run_in_executor(None, journal.load)
            except (OSError, CaptureFormatError, ValueError) as exc:
                reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
                self.window.show_error(f"cannot recover {journal.path.name}: {reason}")
                continue
            panel = self._show_recovered(journal, result, reuse_empty=i == 0)
            panels.append(panel)
        return panels

    def _show_recovered(
        self, journal: RecoverableJournal, result: LoadResult, *, reuse_empty: bool
    ) -> SessionPanel:
        store = result.store
        name = f"Recovered {_host(store.session.url) or journal.path.stem}"
        message = ""
        if result.problems:
            message = f"Recovered {journal.path.name}: " + _problems_text(result.problems)
        panel = open_store_tab(
            self.window,
            store,
            name,
            kind="recovered",
            badge=journal.path.name,
            message=message,
            reuse_empty=reuse_empty,
        )
        self._recovered[id(panel)] = (journal, store)
        return panel

    def discard_all(self) -> None:
        """Delete every journal on offer."""
        journals, self.recoverable = self.recoverable, []
        for journal in journals:
            journal.discard()
        self.banner.hide()

    # ---------------------------------------------------------------- files
    async def open_file(self, path: str) -> bool:
        """Open a capture (``.jsonl``) or a HAR file read-only; never raises for the
        file's content: what went wrong is said in the tab's banner."""
        try:
            if _looks_like_har(path):
                return await self._open_har(path)
            panel = _target_panel(self.window)
            return await panel.open_capture(path)
        except Exception as exc:  # a reader bug must not become a traceback
            log.exception("opening %s failed", path)
            panel = _target_panel(self.window)
            panel.banner.show_error("open", f"cannot open {path}: {exc}")
            return False

    async def _open_har(self, path: str) -> bool:
        loop = asyncio.get_running_loop()
        name = os.path.basename(path)
        try:
            sessions: list[HarSession] = await loop.run_in_executor(None, read_har, path)
        except (OSError, HarFormatError, ValueError, RecursionError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            panel = _target_panel(self.window)
            panel.banner.show_error("open", f"cannot open {path}: {reason}")
            return False
        for i, session in enumerate(sessions):
            badge = name + (f" #{i + 1}" if len(sessions) > 1 else "")
            message = ""
            if session.problems:
                message = f"{name} entry {session.entry_index + 1} was read with problems: "
                message += _problems_text(session.problems)
            open_store_tab(
                self.window,
                session.store,
                f"📄 {badge}",
                badge=badge,
                path=path,
                message=message,
                reuse_empty=i == 0,
            )
        self.window.statusBar().showMessage(
            f"Opened {len(sessions)} WebSocket session{'s' if len(sessions) != 1 else ''} "
            f"from {name}",
            8000,
        )
        return True

    def choose_har_export(self) -> HarExportDialog | None:
        panel = self.window.current_panel()
        if panel is None or panel.controller.store is None:
            self.window.show_error("nothing to export yet: connect or open a capture first")
            return None
        base = panel.controller.source_path or ""
        default = str(Path(base).with_suffix(".har")) if base else ""
        dialog = HarExportDialog(default, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(
            lambda: self.export_har(
                panel, dialog.path, dialog.include_secrets, control_frames=dialog.control_frames
            )
        )
        dialog.finished.connect(lambda _r: setattr(self, "export_dialog", None))
        self.export_dialog = dialog
        dialog.open()
        return dialog

    def export_har(
        self,
        panel: SessionPanel,
        path: str,
        include_secrets: bool = False,
        *,
        control_frames: bool = False,
    ) -> bool:
        store = panel.controller.store
        if store is None:
            self.window.show_error("nothing to export yet")
            return False
        with contextlib.suppress(Exception):
            panel.controller._drain()
        try:
            write_har(store, path, include_secrets=include_secrets, control_frames=control_frames)
        except (OSError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self.window.show_error(f"cannot export {path}: {reason}")
            return False
        secrets = "with secrets" if include_secrets else "secrets left out"
        self.window.statusBar().showMessage(f"Exported HAR to {path} ({secrets})", 8000)
        return True

    async def aclose(self, timeout: float = 2.0) -> None:
        tasks = [t for t in self._tasks if not t.done()]
        for t in tasks:
            t.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)
