"""Tools > Scripts… in the window: one Python hook script at a time, attached to
the current tab's live connection and, as an option, to every connection started
later in any tab.

Each connection gets its own :class:`~inspector.gui.session.automation.ConnectionHooks`
reporting to its tab (:class:`PanelScript`): exceptions and slow hooks in the tab's
banner, everything in its Script page. A hook's failure never reaches the
connection; detaching leaves the connections open.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from shiboken6 import isValid

from ...capture.store import CaptureStore
from ..session.automation import (
    DEFAULT_SLOW_AFTER,
    ConnectionHooks,
    Script,
    ScriptError,
    live_connection,
)
from ..window.session_panel import SessionPanel
from .model import LogEntry
from .placement import add_to_panel
from .script_views import ScriptBanner, ScriptLogView, ScriptReports

if TYPE_CHECKING:
    from ..window.main_window import MainWindow

__all__ = ["PanelScript", "ScriptHost"]


class PanelScript(QObject):
    """A tab's side of the scripts: its reporter, banner, Script page and the hooks
    on its connections."""

    def __init__(self, host: ScriptHost, panel: SessionPanel) -> None:
        super().__init__(panel)
        self.setObjectName("panelScript")
        self.host = host
        self.panel = panel
        self.reports = ScriptReports(self)
        self.reports.reportsArrived.connect(self._on_reports)
        self.banner = ScriptBanner(self.show_log, panel)
        add_to_panel(panel, self.banner)
        self.log_view = ScriptLogView(panel)
        self.log_view.detachRequested.connect(host.detach)
        self.hooks: list[ConnectionHooks] = []

    @property
    def active(self) -> list[ConnectionHooks]:
        return [h for h in self.hooks if not h.ended]

    def attach(self, script: Script) -> ConnectionHooks | None:
        """Hook ``script`` to the tab's live connection (None: it has none, or it is
        hooked already)."""
        conn = live_connection(self.panel.controller)
        if conn is None or any(h.conn is conn for h in self.active):
            return None
        hooks = ConnectionHooks(script, conn, self.reports, slow_after=self.host.slow_after)
        hooks.on_end = lambda _h: self._update_title()
        self.hooks.append(hooks)
        self._show_page()
        self._update_title()
        return hooks

    def detach(self) -> None:
        for hooks in self.active:
            hooks.detach()
        self._update_title()

    def show_log(self) -> None:
        self._show_page()
        self.panel.side_tabs.setCurrentWidget(self.log_view)
        entry = self.banner.entry
        if entry is not None:
            self.log_view.select(entry)

    def _show_page(self) -> None:
        tabs = self.panel.side_tabs
        if tabs.indexOf(self.log_view) < 0:
            tabs.addTab(self.log_view, "Script")

    def _update_title(self) -> None:
        if not isValid(self.log_view):
            return
        active = self.active
        script = self.host.script
        name = os.path.basename(active[0].script.path) if active else ""
        if active:
            text = f"<b>{name}</b> is attached to this tab's connection"
        elif script is not None and self.host.follow_new:
            text = f"<b>{os.path.basename(script.path)}</b> attaches to this tab's next connection"
        else:
            text = "No script is attached to this tab's connection"
        self.log_view.set_title(f"{text} · {self.reports.log.summary()}", attached=bool(active))

    def _on_reports(self, entries: list[LogEntry]) -> None:
        if not isValid(self.panel):
            return
        self._show_page()
        self.log_view.add_entries(entries)
        problems = [e for e in entries if e.kind in ("error", "slow")]
        if problems:
            name = os.path.basename(self.hooks[-1].script.path) if self.hooks else "the script"
            self.banner.show_entry(name, problems[-1], len(problems) - 1)
        self._update_title()


class ScriptHost(QObject):
    """The window's script: :meth:`attach` loads and hooks it, :meth:`detach`
    unhooks it everywhere. ``changed`` tells the Scripts dialog."""

    changed = Signal()

    def __init__(self, window: MainWindow, *, slow_after: float = DEFAULT_SLOW_AFTER) -> None:
        super().__init__(window)
        self.setObjectName("scriptHost")
        self.window = window
        self.slow_after = slow_after
        self.script: Script | None = None
        self.follow_new = False
        self._panels: dict[int, PanelScript] = {}
        self._watched: set[int] = set()
        for panel in window.panels():
            self.panel_added(panel)

    # -------------------------------------------------------------- panels
    def panel_added(self, panel: SessionPanel) -> None:
        """Watch ``panel`` for new connections (the window calls this per new tab)."""
        if id(panel) in self._watched:
            return
        key = id(panel)
        self._watched.add(key)
        panel.controller.storeChanged.connect(lambda s, p=panel: self._on_store(p, s))
        panel.destroyed.connect(lambda *_: self._forget(key))

    def _forget(self, key: int) -> None:
        self._watched.discard(key)
        self._panels.pop(key, None)

    def panel_script(self, panel: SessionPanel) -> PanelScript:
        ps = self._panels.get(id(panel))
        if ps is None:
            ps = self._panels[id(panel)] = PanelScript(self, panel)
        return ps

    def _on_store(self, panel: SessionPanel, _store: CaptureStore) -> None:
        # Emitted synchronously when the tab starts a connection, before its first
        # event: the hooks see it open.
        if self.script is not None and self.follow_new:
            self.panel_script(panel).attach(self.script)

    # ------------------------------------------------------------- attaching
    def attach(self, path: str, *, follow_new: bool, panel: SessionPanel | None = None) -> str:
        """Load ``path`` and hook it to ``panel``'s (default: the current tab's) live
        connection, and with ``follow_new`` to every connection started later; a
        script attached before is detached first. Returns what was done, in words;
        raises ScriptError when the script cannot be used (or goes nowhere)."""
        script = Script.load(path)
        panel = panel if panel is not None else self.window.current_panel()
        live = panel is not None and live_connection(panel.controller) is not None
        if not live and not follow_new:
            raise ScriptError(
                "the current tab has no live connection: connect first, or attach the "
                "script to the connections started later"
            )
        self.detach()
        self.script = script
        self.follow_new = follow_new
        name = os.path.basename(path)
        done = []
        if live and panel is not None:
            self.panel_script(panel).attach(script)
            done.append(f"{name} is attached to {panel.title}")
        if follow_new:
            done.append(f"{'it' if done else name} attaches to every connection started later")
        for unknown in script.unknown:
            done.append(f"{unknown} is not a hook and is never called")
        self.changed.emit()
        return "; ".join(done)

    def detach(self) -> None:
        """Unhook the script from every connection (they stay open)."""
        for ps in list(self._panels.values()):
            if isValid(ps):
                ps.detach()
        self.script = None
        self.follow_new = False
        for ps in self._panels.values():
            if isValid(ps):
                ps._update_title()
        self.changed.emit()

    def attached(self) -> list[ConnectionHooks]:
        return [h for ps in self._panels.values() if isValid(ps) for h in ps.active]

    async def aclose(self, timeout: float = 1.0) -> None:
        """Detach, and let pending ``async`` hooks end (bounded)."""
        hooks = self.attached()
        self.script = None
        self.follow_new = False
        if hooks:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    asyncio.gather(*(h.aclose(timeout) for h in hooks), return_exceptions=True),
                    timeout * 2,
                )
