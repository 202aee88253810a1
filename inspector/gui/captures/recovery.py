"""Recovery: journals that no running session holds (a crash, a kill, a quit that
did not ask) are offered back at start in a non-modal :class:`RecoveryBanner`:
Recover (each in a read-only tab), Discard, Later. :class:`JournalRecovery` finds
them, opens them and remembers which tab shows which journal, so that saving or
discarding that tab's capture retires its journal."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QToolButton, QWidget

from ...capture.formats.folders import journal_names
from ...capture.naming import host_of
from ...views.problems import problems_text
from ..detail.common import esc
from ..session.support import spawn
from ..widgets import theme
from ..window.session_panel import SessionPanel
from .tabs import open_store_tab

if TYPE_CHECKING:
    import asyncio

    # The journal's reader and the capture format load with the first look for
    # journals (the window makes it after its first paint).
    from ...capture.formats.journal import RecoverableJournal
    from ...capture.formats.jsonl import LoadResult
    from ...capture.store import CaptureStore
    from ..window.main_window import MainWindow

__all__ = ["JournalRecovery", "RecoveryBanner"]

log = logging.getLogger(__name__)


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
            urls.append(esc(url))
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


class JournalRecovery(QObject):
    """The journals on offer, and the tabs that show a recovered one."""

    def __init__(self, window: MainWindow, journal_dir: str | None) -> None:
        super().__init__(window)
        self.setObjectName("journalRecovery")
        self.window = window
        self.journal_dir = journal_dir
        self.banner = RecoveryBanner(window)
        self.banner.recoverRequested.connect(self.recover_all)
        self.banner.discardRequested.connect(self.discard_all)
        self.recoverable: list[RecoverableJournal] = []
        #: Tabs showing a recovered journal: the journal, and the store read from it.
        self._shown: dict[int, tuple[RecoverableJournal, CaptureStore]] = {}
        self.tasks: set[asyncio.Task[list[SessionPanel]]] = set()

    def find_journals(self) -> list[RecoverableJournal]:
        if self.journal_dir is None:
            return []
        try:
            if not journal_names(self.journal_dir):
                return []  # none: the journal's reader and the capture format not loaded
            from ...capture.formats.journal import find_recoverable

            return find_recoverable(directory=self.journal_dir)
        except OSError as exc:
            log.warning("cannot look for journals in %s: %s", self.journal_dir, exc)
            return []

    def offer(self) -> list[RecoverableJournal]:
        """Look for journals to recover and, if there are any, show the banner."""
        self.recoverable = self.find_journals()
        self.banner.show_journals(self.recoverable)
        return self.recoverable

    def recover_all(self) -> asyncio.Task[list[SessionPanel]]:
        """Open every journal on offer, each read-only in its own tab."""
        journals, self.recoverable = self.recoverable, []
        self.banner.hide()
        task = spawn(self._recover(journals), "recovering sessions")
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def _recover(self, journals: Sequence[RecoverableJournal]) -> list[SessionPanel]:
        import asyncio

        from ...capture.formats.jsonl import CaptureFormatError

        loop = asyncio.get_running_loop()
        panels: list[SessionPanel] = []
        for i, journal in enumerate(journals):
            try:
                result = await loop.run_in_executor(None, journal.load)
            except (OSError, CaptureFormatError, ValueError) as exc:
                reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
                self.window.show_error(f"cannot recover {journal.path.name}: {reason}")
                continue
            panels.append(self._show(journal, result, reuse_empty=i == 0))
        return panels

    def _show(
        self, journal: RecoverableJournal, result: LoadResult, *, reuse_empty: bool
    ) -> SessionPanel:
        store = result.store
        name = f"Recovered {host_of(store.session.url) or journal.path.stem}"
        # That the session did not finish is the recovery note already (shown once,
        # in the notes line); the banner is for what else went wrong.
        from ...capture.formats.jsonl import JOURNAL_UNFINISHED

        problems = [p for p in result.problems if p != JOURNAL_UNFINISHED]
        message = ""
        if problems:
            message = f"Recovered {journal.path.name}: " + problems_text(problems)
        panel = open_store_tab(
            self.window,
            store,
            name,
            kind="recovered",
            badge=journal.path.name,
            message=message,
            reuse_empty=reuse_empty,
        )
        self._shown[id(panel)] = (journal, store)
        return panel

    def discard_all(self) -> None:
        """Delete every journal on offer."""
        journals, self.recoverable = self.recoverable, []
        for journal in journals:
            journal.discard()
        self.banner.hide()

    # ----------------------------------------------- tabs showing a journal
    def shows(self, panel: SessionPanel) -> bool:
        return id(panel) in self._shown

    def store_changed(self, panel: SessionPanel, store: CaptureStore | None) -> None:
        """The tab shows another capture now: it no longer shows its journal."""
        shown = self._shown.get(id(panel))
        if shown is not None and store is not shown[1]:
            self._shown.pop(id(panel), None)

    def retire(self, panel: SessionPanel, *, delete: bool) -> None:
        """The tab's capture was saved or discarded (``delete``), or the tab is
        going away with it unsaved (the journal stays, to be offered again)."""
        shown = self._shown.pop(id(panel), None)
        if shown is not None and delete:
            shown[0].discard()
