"""Captures in the window: journals, unsaved captures, files, HAR.

:class:`CaptureManager` (one per window, ``window.captures``) looks after the
captures of the window's tabs:

* every live connection is journaled to disk while it runs (the controller's
  :attr:`~inspector.gui.session.controller.SessionController.journal_dir` points into the data
  folder: ``$WS_INSPECTOR_DATA_DIR``, else the XDG data folder, as for the CLI);
  a journal is deleted only once its capture was saved or explicitly discarded, or
  when the session held nothing (no frame, no handshake);
* journals left over from an earlier run are offered back (:mod:`.recovery`);
* connecting again in a tab that holds frames keeps the old capture in a tab of its
  own (:meth:`CaptureManager.keep_capture`), still unsaved, still journaled;
* closing a tab or quitting with captures that were not saved asks once
  (:class:`~.dialogs.UnsavedPrompt`: Save / Discard / Cancel for one tab, Save all /
  Discard all / Cancel for several). ``$WS_INSPECTOR_UNSAVED`` (or
  :attr:`CaptureManager.policy`) answers by itself (:mod:`inspector.capture.unsaved`);
* File > Open reads ``.jsonl`` captures and ``.har`` files (each WebSocket entry in a
  tab of its own), and a damaged file as far as it can be read, saying where it
  stopped; File > Export HAR… writes the current tab as HAR.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer

from ...capture.formats.folders import data_dir, journal_dir
from ...capture.formats.sniff import looks_like_har
from ...capture.naming import capture_title
from ...capture.unsaved import Answer, UnsavedPolicy, policy_from_env, worth_keeping
from ...protocol.constants import ConnectionState
from ...views.problems import problems_text
from ..session.support import spawn
from ..window.session_panel import SessionPanel
from .recovery import JournalRecovery
from .tabs import open_store_tab, target_panel

if TYPE_CHECKING:
    import asyncio

    from PySide6.QtWidgets import QFileDialog

    from ...capture.formats.har import HarSession
    from ...capture.store import CaptureStore
    from ..window.main_window import MainWindow

    # The dialogs load when first opened: their Qt classes (QMessageBox, QFileDialog,
    # QDialogButtonBox) cost the window's start their enums.
    from .dialogs import HarExportDialog, UnsavedPrompt

__all__ = ["CaptureManager", "gui_data_dir"]

log = logging.getLogger(__name__)


def gui_data_dir() -> str:
    """The data folder the command line uses too (``$WS_INSPECTOR_DATA_DIR``, else the
    XDG data folder), so that the window offers to recover a killed ``capture``."""
    return str(data_dir())


def _resolve(future: asyncio.Future[Any], value: Any) -> None:
    if not future.done():
        future.set_result(value)


class CaptureManager(QObject):
    """The window's captures: journals, unsaved prompts, files."""

    def __init__(self, window: MainWindow, data_dir: str | None = None) -> None:
        super().__init__(window)
        self.setObjectName("captureManager")
        self.window = window
        self.data_dir = data_dir if data_dir is not None else gui_data_dir()
        self.journal_dir: str | None = str(journal_dir(self.data_dir)) if self.data_dir else None
        #: See :class:`~inspector.capture.unsaved.UnsavedPolicy` (tests set a word).
        self.policy: UnsavedPolicy | str = policy_from_env()
        #: The prompt on screen, if any (tests answer it).
        self.prompt: UnsavedPrompt | None = None
        self.save_dialog: QFileDialog | None = None
        self.export_dialog: HarExportDialog | None = None
        self.recovery = JournalRecovery(window, self.journal_dir)
        self.banner = self.recovery.banner
        self._saved: dict[int, tuple[int, int]] = {}
        self._stores: dict[int, CaptureStore] = {}
        self._asking = False
        self._tasks: set[asyncio.Task[Any]] = set()

    # ------------------------------------------------------------- journals
    def attach(self, panel: SessionPanel) -> None:
        """Journal the live connections of ``panel``."""
        panel.controller.journal_dir = self.journal_dir
        panel.controller.storeChanged.connect(lambda s, p=panel: self._on_store(p, s))
        panel.captureToKeep.connect(lambda p=panel: self.keep_capture(p))

    def _on_store(self, panel: SessionPanel, store: CaptureStore) -> None:
        # A new capture in the tab: what was saved or recovered before is gone.
        self._saved.pop(id(panel), None)
        self._stores[id(panel)] = store  # kept: a tab shutting down shows none
        self.recovery.store_changed(panel, store)
        c = panel.controller
        if c.journal_error:
            self.window.show_error(c.journal_error)

    def keep_capture(self, panel: SessionPanel) -> SessionPanel:
        """``panel`` connects again: its connection, capture and journal move to a
        new tab next to it (named after the URL and the start time), closed there
        (close frame 1000) if still open; ``panel`` starts afresh."""
        store = panel.controller.store
        assert store is not None
        index = self.window.tabs.indexOf(panel)
        kept = self.window.new_session(index=index + 1, select=False)
        kept.title_override = capture_title(store.session.url, store.session.started_unix)
        saved = self._saved.pop(id(panel), None)
        panel.controller.hand_over(kept.controller)
        if saved is not None:
            self._saved[id(kept)] = saved
        kept.bar.set_url(kept.controller.url)
        kept.titleChanged.emit(kept.title)
        self.window.statusBar().showMessage(
            f"The previous capture ({len(store):,} frames) is kept in the tab “{kept.title}”",
            8000,
        )
        return kept

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
        if not self.recovery.shows(panel) and (panel.controller.read_only or len(store) == 0):
            return False
        return self._saved.get(id(panel)) != self._mark(store)

    def mark_saved(self, panel: SessionPanel) -> None:
        store = self._store_of(panel)
        if store is None:
            return
        self._saved[id(panel)] = self._mark(store)
        self.recovery.retire(panel, delete=True)  # it is in the saved file now
        if panel.controller.state is ConnectionState.CLOSED:
            panel.controller.close_journal()  # ended and saved: nothing to recover

    def release(self, panel: SessionPanel, *, discard: bool) -> None:
        """The tab is going away: delete its journal (``discard``, nothing unsaved,
        or a session that held nothing), else keep it for recovery at the next
        start."""
        store = self._store_of(panel)
        keep = not discard and self.is_unsaved(panel) and store is not None and worth_keeping(store)
        panel.controller.close_journal(keep=keep)
        self.recovery.retire(panel, delete=not keep)
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
        """Ask once about the unsaved captures among ``panels``, then call ``then``
        unless the answer was Cancel (or a save did not happen). Returns True when
        ``then`` was called at once (nothing to ask, or the policy answered)."""
        if self._asking:
            if self.prompt is not None:
                self.prompt.raise_()
            return False
        targets = self.unsaved(panels)
        policy = UnsavedPolicy(self.policy)
        if not targets or policy is UnsavedPolicy.KEEP:
            then()
            return True
        if policy is UnsavedPolicy.CANCEL:
            return False
        if policy is UnsavedPolicy.DISCARD:
            for panel in targets:
                self.release(panel, discard=True)
            then()
            return True
        task = spawn(self._ask_about(targets, then, quitting), "asking to save")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return False

    async def _ask_about(
        self, targets: Sequence[SessionPanel], then: Callable[[], None], quitting: bool
    ) -> None:
        self._asking = True
        try:
            if len(targets) == 1:
                self.window.tabs.setCurrentWidget(targets[0])
            answer = await self._ask(targets, quitting)
            if answer is Answer.CANCEL:
                return
            for panel in targets:
                if self.window.tabs.indexOf(panel) < 0 or not self.is_unsaved(panel):
                    continue
                if answer in (Answer.SAVE, Answer.SAVE_ALL):
                    self.window.tabs.setCurrentWidget(panel)
                    path = await self._choose_path(panel)
                    if not path or not self.window.save_capture(path, panel):
                        return
                else:
                    self.release(panel, discard=True)
        finally:
            self._asking = False
            self.prompt = None
        then()

    async def _ask(self, targets: Sequence[SessionPanel], quitting: bool) -> Answer:
        import asyncio

        from .dialogs import UnsavedPrompt

        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        prompt = UnsavedPrompt(targets, quitting=quitting, parent=self.window)
        prompt.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        prompt.answered.connect(lambda a: _resolve(future, a))
        self.prompt = prompt
        prompt.open()  # never exec(): it would nest an event loop under qasync
        try:
            return Answer(await future)
        finally:
            self.prompt = None

    async def _choose_path(self, panel: SessionPanel) -> str | None:
        import asyncio

        from .dialogs import capture_save_dialog, suggested_name

        future: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
        dialog = capture_save_dialog(self.window, suggested_name(panel))
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
    def offer_recovery(self) -> None:
        self.recovery.offer()

    # ---------------------------------------------------------------- files
    async def open_file(self, path: str) -> bool:
        """Open a capture (``.jsonl``) or a HAR file read-only; never raises for the
        file's content: what went wrong is said in the tab's banner."""
        try:
            if looks_like_har(path):
                return await self._open_har(path)
            panel = target_panel(self.window)
            return await panel.open_capture(path)
        except Exception as exc:  # a reader bug must not become a traceback
            log.exception("opening %s failed", path)
            panel = target_panel(self.window)
            panel.banner.show_error("open", f"cannot open {path}: {exc}")
            return False

    async def _open_har(self, path: str) -> bool:
        import asyncio

        from ...capture.formats.har import HarFormatError, read_har  # HAR loads when used

        loop = asyncio.get_running_loop()
        name = os.path.basename(path)
        try:
            sessions: list[HarSession] = await loop.run_in_executor(None, read_har, path)
        except (OSError, HarFormatError, ValueError, RecursionError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            panel = target_panel(self.window)
            panel.banner.show_error("open", f"cannot open {path}: {reason}")
            return False
        for i, session in enumerate(sessions):
            badge = name + (f" #{i + 1}" if len(sessions) > 1 else "")
            message = ""
            if session.problems:
                message = f"{name} entry {session.entry_index + 1} was read with problems: "
                message += problems_text(session.problems)
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
        from .dialogs import HarExportDialog, suggested_name

        base = panel.controller.source_path or ""
        default = str(Path(base).with_suffix(".har")) if base else suggested_name(panel, "har")
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
        panel.controller.drain()
        from ...capture.formats.har import write_har  # HAR loads when used

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
        import asyncio

        tasks = [t for t in (*self._tasks, *self.recovery.tasks) if not t.done()]
        for t in tasks:
            t.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)
