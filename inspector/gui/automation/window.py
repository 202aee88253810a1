"""The window's automation: its replays and its script, made on first use."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from shiboken6 import isValid

from ..window.session_panel import SessionPanel
from .replay import ReplayLauncher
from .replay_dialog import ReplayDialog
from .scripts import ScriptHost
from .scripts_dialog import ScriptsDialog

if TYPE_CHECKING:
    from ..window.main_window import MainWindow

__all__ = ["WindowAutomation"]


class WindowAutomation(QObject):
    """``replays`` (Replay against…) and ``scripts`` (Tools > Scripts…)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.setObjectName("windowAutomation")
        self.window = window
        self.replays = ReplayLauncher(window)
        self.scripts = ScriptHost(window)
        self.scripts_dialog: ScriptsDialog | None = None

    def replay(self, panel: SessionPanel | None = None) -> ReplayDialog | None:
        return self.replays.open_dialog(panel)

    def open_scripts(self) -> ScriptsDialog:
        dialog = self.scripts_dialog
        if dialog is None or not isValid(dialog):
            dialog = self.scripts_dialog = ScriptsDialog(self.scripts, self.window)
        dialog.show()
        dialog.raise_()
        return dialog

    def panel_added(self, panel: SessionPanel) -> None:
        self.scripts.panel_added(panel)

    async def aclose(self, timeout: float = 2.0) -> None:
        """Stop the replays (their connections close with the tabs) and detach the
        script, bounded."""
        self.replays.stop_all()
        tasks = [j.task for j in self.replays.jobs() if j.task is not None and not j.task.done()]
        if tasks:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    asyncio.gather(*tasks, return_exceptions=True), timeout + 0.5
                )
        await self.scripts.aclose(min(timeout, 1.0))
