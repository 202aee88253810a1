"""The main window: one tab per connection, menus, shortcuts and a status bar with the
current tab's frame and byte counters and last round-trip time."""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeGuard

from PySide6.QtCore import QByteArray, QPoint, QPointF, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QColor,
    QIcon,
    QPainter,
    QPixmap,
)
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QMenu,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ...views.text import format_bytes
from ..captures.manager import CaptureManager
from ..captures.tabs import open_store_tab
from ..copyout.menu import install_copy_menu
from ..library.window import WindowLibrary
from ..proxy.tabs import ProxyTabs
from ..server.tabs import ServerTabs
from ..session.support import SessionStats, spawn
from ..widgets import theme
from .connection_bar import state_color, state_text
from .menus import RFC_LINKS, build_menus
from .session_panel import SessionPanel

if TYPE_CHECKING:
    import asyncio

    # The dialogs load when first opened (PySide6 builds each class's enums on first
    # use: QFileDialog's and QMessageBox's cost the start ~3 ms, measured).
    from PySide6.QtWidgets import QFileDialog

    from ..automation import WindowAutomation
    from ..probe.view import ProbeView
    from ..proxy.view import ProxyView
    from ..server.view import ServerView

__all__ = ["MainWindow"]

log = logging.getLogger(__name__)

# The Check server and proxy tabs: their modules (the probe battery; the engine's
# proxy and its CA's cryptography) load with the first such tab, not with the window.
_TOOL_TAB_CLASSES = (
    ("inspector.gui.probe.view", "ProbeView"),
    ("inspector.gui.proxy.view", "ProxyView"),
    ("inspector.gui.server.view", "ServerView"),
)

APP_TITLE = "ws-inspector"
DEFAULT_SIZE = (1280, 800)
ERROR_SHOW_MS = 20_000
OPEN_FILTER = (
    "Captures and HAR files (*.jsonl *.har);;Captures (*.jsonl);;HAR files (*.har);;All files (*)"
)


def _is_tool_tab(widget: QWidget | None) -> TypeGuard[ProbeView | ProxyView | ServerView]:
    """A Check server, proxy or server tab (none exists while its module is not
    loaded)."""
    for module_name, cls_name in _TOOL_TAB_CLASSES:
        module = sys.modules.get(module_name)
        if module is not None and isinstance(widget, getattr(module, cls_name)):
            return True
    return False


#: The status bar's tooltips (sent, received, the third label) for one session...
_ONE_SESSION_TIPS = (
    "Frames and bytes we sent (frame headers + payloads)",
    "Frames and bytes received from the peer",
    "Last ping → pong round-trip time",
)
#: ...and for a server's tab.
_SERVER_TIPS = (
    "Frames and bytes the server sent, over all its clients (closed ones too)",
    "Frames and bytes all its clients sent (closed ones too)",
    "Clients connected now",
)


def _dot_icon(color: str) -> QIcon:
    pix = QPixmap(12, 12)
    pix.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pix)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(color))
    painter.drawEllipse(QPointF(6, 6), 4.5, 4.5)
    painter.end()
    return QIcon(pix)


class MainWindow(QMainWindow):
    """Tabs of :class:`SessionPanel`. ``quitRequested`` is emitted by File > Quit and
    by closing the window when :attr:`quit_handler` is set (the application then
    closes the connections and quits); without one the window just closes."""

    # Made by build_menus (menus.py).
    about_action: QAction
    check_server_action: QAction
    close_tab_action: QAction
    compose_action: QAction
    export_har_action: QAction
    find_action: QAction
    focus_url_action: QAction
    handshake_action: QAction
    new_action: QAction
    next_tab_action: QAction
    open_action: QAction
    prev_tab_action: QAction
    quit_action: QAction
    replay_action: QAction
    save_action: QAction
    scripts_action: QAction

    quitRequested = Signal()

    def __init__(self, parent: QWidget | None = None, *, offer_recovery: bool = True) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setAccessibleName("ws-inspector")
        self.setWindowTitle(APP_TITLE)
        self.quit_handler: Callable[[], None] | None = None
        self._closing_for_real = False
        self._closing_tasks: set[asyncio.Task[None]] = set()
        self._dialog: QFileDialog | None = None
        #: Replays and scripts (gui.automation), made on first use.
        self._automation: WindowAutomation | None = None

        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("sessionTabs")
        self.tabs.setAccessibleName("Connections")
        self.tabs.setTabsClosable(True)
        self.tabs.setMovable(True)
        self.tabs.setDocumentMode(True)
        self.tabs.tabCloseRequested.connect(self.close_tab)
        self.tabs.currentChanged.connect(self._on_current_changed)
        self.tabs.tabBar().setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tabs.tabBar().customContextMenuRequested.connect(self._on_tab_menu)
        self.tab_menu: QMenu | None = None
        plus = QToolButton(self.tabs)
        plus.setObjectName("newTabButton")
        plus.setAccessibleName("New connection")
        plus.setText("+")
        plus.setToolTip("New connection (Ctrl+T)")
        plus.setAutoRaise(True)
        plus.clicked.connect(lambda: self.new_session())
        self.tabs.setCornerWidget(plus, Qt.Corner.TopRightCorner)
        #: Journals, recovery, unsaved captures, HAR (see captures.py).
        self.captures = CaptureManager(self)
        self.proxies = ProxyTabs(self)  # File > New proxy…, the proxy tabs
        self.servers = ServerTabs(self)  # File > New server…, the server tabs
        self.library = WindowLibrary(self)  # the message library's dock
        central = QWidget(self)
        central.setObjectName("centralArea")
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(self.captures.banner)
        column.addWidget(self.tabs, 1)
        self.setCentralWidget(central)
        self._central = central

        self._build_status_bar()
        self._build_menus()
        self._restore_geometry()
        self.new_session()
        # The command starts without (offer_recovery=False) and offers right after
        # the first paint: looking for journals loads their reader and the format.
        if offer_recovery:
            self.captures.recovery.offer()

    # -------------------------------------------------------------- building
    def _build_menus(self) -> None:
        build_menus(self)

    def _build_status_bar(self) -> None:
        status = self.statusBar()
        status.setObjectName("statusBar")
        self.error_label = QLabel(self)
        self.error_label.setObjectName("statusError")
        self.error_label.setAccessibleName("Last error")
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.hide()
        status.addWidget(self.error_label, 1)
        self.closing_label = QLabel(self)
        self.closing_label.setObjectName("statusClosing")
        self.closing_label.setAccessibleName("Closing the connections")
        self.closing_label.hide()
        status.addWidget(self.closing_label)
        self.out_label = QLabel(self)
        self.out_label.setObjectName("statsOut")
        self.out_label.setAccessibleName("Sent frames and bytes")
        self.in_label = QLabel(self)
        self.in_label.setObjectName("statsIn")
        self.in_label.setAccessibleName("Received frames and bytes")
        self.rtt_label = QLabel(self)
        self.rtt_label.setObjectName("statsRtt")
        self.rtt_label.setAccessibleName("Round-trip time, or a server's clients")
        for label in (self.out_label, self.in_label, self.rtt_label):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            status.addPermanentWidget(label)
        self._error_timer = QTimer(self)
        self._error_timer.setSingleShot(True)
        self._error_timer.timeout.connect(self.error_label.hide)
        self.show_stats(SessionStats())

    # -------------------------------------------------------------- settings
    def _restore_geometry(self) -> None:
        settings = QSettings()
        geometry = settings.value("window/geometry")
        if not (isinstance(geometry, QByteArray) and self.restoreGeometry(geometry)):
            width, height = DEFAULT_SIZE
            screen = self.screen()
            if screen is not None:  # a small screen: fit into it
                available = screen.availableGeometry()
                width = min(width, available.width())
                height = min(height, available.height())
            self.resize(width, height)
        state = settings.value("window/state")
        if isinstance(state, QByteArray):
            self.restoreState(state)

    def save_settings(self) -> None:
        settings = QSettings()
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/state", self.saveState())
        panel = self.current_panel()
        if panel is not None:
            panel._save_splitters()

    def automation(self) -> WindowAutomation:
        """Replays and scripts; imported on first use (start-up stays fast)."""
        if self._automation is None:
            from ..automation import WindowAutomation

            self._automation = WindowAutomation(self)
        return self._automation

    # ----------------------------------------------------------------- tabs
    def panels(self) -> list[SessionPanel]:
        out = []
        for i in range(self.tabs.count()):
            w = self.tabs.widget(i)
            if isinstance(w, SessionPanel):
                out.append(w)
        return out

    def current_panel(self) -> SessionPanel | None:
        w = self.tabs.currentWidget()
        return w if isinstance(w, SessionPanel) else None

    def new_session(
        self,
        url: str | None = None,
        *,
        connect: bool = False,
        index: int | None = None,
        select: bool = True,
    ) -> SessionPanel:
        """Open a tab (at ``index``, default: the end) with the user's default
        options, never another tab's; optionally connect."""
        panel = SessionPanel(None, self.tabs)
        if index is None:
            index = self.tabs.addTab(panel, panel.title)
        else:
            index = self.tabs.insertTab(index, panel, panel.title)
        self.tabs.setTabIcon(index, _dot_icon(state_color(None)))
        self.tabs.setTabToolTip(index, "not connected")
        if select:
            self.tabs.setCurrentIndex(index)
        panel.titleChanged.connect(lambda _t, p=panel: self._update_tab(p))
        panel.stateChanged.connect(lambda _e, p=panel: self._update_tab(p))
        panel.statsChanged.connect(lambda s, p=panel: self._on_stats(p, s))
        panel.bar.checkRequested.connect(lambda p=panel: self.check_server(p))
        self.captures.attach(panel)
        install_copy_menu(panel)
        self.library.attach(panel)
        if self._automation is not None:
            self._automation.panel_added(panel)
        panel.controller.errorOccurred.connect(
            lambda step, msg, fatal, p=panel: self._on_panel_error(p, step, msg, fatal)
        )
        if url:
            panel.bar.set_url(url)
            if connect:
                panel.connect_to(url)
        elif select:
            panel.focus_url()
        return panel

    def close_tab(self, index: int, *, confirmed: bool = False) -> None:
        """Close the tab at ``index``; a capture that was not saved is asked about
        first (Save / Discard / Cancel) unless ``confirmed``."""
        w = self.tabs.widget(index)
        if _is_tool_tab(w):
            self.tabs.removeTab(index)
            w.shutdown()
            w.deleteLater()
            if self.tabs.count() == 0:
                self.new_session()
            return
        if not isinstance(w, SessionPanel):
            return
        if not confirmed:
            panel = w

            def close_it() -> None:
                self.close_tab(self.tabs.indexOf(panel), confirmed=True)

            self.captures.confirm([panel], close_it)
            return
        self.tabs.removeTab(index)
        w.hide()
        try:
            task = spawn(self._close_panel(w), "closing a tab")
        except RuntimeError:  # no event loop: close at once
            w.shutdown()
            self.captures.release(w, discard=False)
            w.deleteLater()
        else:
            self._closing_tasks.add(task)
            task.add_done_callback(self._closing_tasks.discard)
        if self.tabs.count() == 0:
            self.new_session()

    async def _close_panel(self, panel: SessionPanel) -> None:
        try:
            await panel.aclose(2.0)
        finally:
            panel.shutdown()
            self.captures.release(panel, discard=False)
            panel.deleteLater()

    def build_tab_menu(self, index: int) -> QMenu | None:
        """The context menu of the session tab at ``index`` (None for other tabs)."""
        panel = self.tabs.widget(index)
        if not isinstance(panel, SessionPanel):
            return None
        from ..automation.replay import replay_problem

        menu = QMenu(self)
        menu.setObjectName("tabContextMenu")
        menu.setAccessibleName("Tab")
        replay = menu.addAction("&Replay against…")
        replay.setObjectName("tabReplayAction")
        problem = replay_problem(panel)
        replay.setEnabled(problem is None)
        replay.setToolTip(problem or "Send this capture's client messages again to a URL")
        replay.triggered.connect(lambda *_: self.automation().replay(panel))
        menu.addSeparator()
        close = menu.addAction("&Close tab")
        close.setObjectName("tabCloseAction")
        close.triggered.connect(lambda *_: self.close_tab(self.tabs.indexOf(panel)))
        return menu

    def _on_tab_menu(self, pos: QPoint) -> None:
        bar = self.tabs.tabBar()
        menu = self.build_tab_menu(bar.tabAt(pos))
        if menu is None:
            return
        if self.tab_menu is not None:
            self.tab_menu.deleteLater()
        self.tab_menu = menu
        menu.popup(bar.mapToGlobal(pos))  # never exec(): no nested event loop

    def _step_tab(self, delta: int) -> None:
        n = self.tabs.count()
        if n:
            self.tabs.setCurrentIndex((self.tabs.currentIndex() + delta) % n)

    def _update_tab(self, panel: SessionPanel) -> None:
        index = self.tabs.indexOf(panel)
        if index < 0:
            return
        state = panel.bar.state
        self.tabs.setTabText(index, panel.title)
        # A file or a recovered capture is not a connection: no "open" dot for it.
        shown = None if panel.controller.read_only else state
        self.tabs.setTabIcon(index, _dot_icon(state_color(shown)))
        url = panel.controller.url or panel.bar.url
        self.tabs.setTabToolTip(index, f"{url}\n{state_text(state)}" if url else "not connected")
        if panel is self.current_panel():
            self._update_title()

    def _update_title(self) -> None:
        panel = self.current_panel()
        if panel is not None and panel.controller.url:
            self.setWindowTitle(f"{panel.controller.url} — {APP_TITLE}")
        else:
            self.setWindowTitle(APP_TITLE)

    def _on_current_changed(self, _index: int) -> None:
        panel = self.current_panel()
        widget = self.tabs.currentWidget()
        totals = self.servers.totals(widget)
        if totals is not None:  # a server's tab: the totals over its clients
            self.show_stats(totals)
        else:
            self.show_stats(panel.stats if panel is not None else SessionStats())
        # Otherwise the counters are one connection's: a proxy or check tab (many
        # connections, each with its own tab and row) would show zeros while its
        # connections talked, so there they are hidden. No tab at all still reads
        # "0 frames".
        shown = panel is not None or widget is None or totals is not None
        for label in (self.out_label, self.in_label, self.rtt_label):
            label.setVisible(shown)
        self._update_title()

    # ---------------------------------------------------------------- status
    def _on_stats(self, panel: SessionPanel, stats: SessionStats) -> None:
        if panel is self.current_panel():
            self.show_stats(stats)

    def show_stats(self, stats: SessionStats) -> None:
        """Show one session's counters, or a server's totals over its clients."""
        self.out_label.setText(f"↑ {stats.frames_out:,} frames · {format_bytes(stats.bytes_out)}")
        self.in_label.setText(f"↓ {stats.frames_in:,} frames · {format_bytes(stats.bytes_in)}")
        if stats.clients is None:
            rtt = "—" if stats.rtt is None else f"{stats.rtt * 1000:.2f} ms"
            self.rtt_label.setText(f"RTT {rtt}")
            tips = _ONE_SESSION_TIPS
        else:
            n = stats.clients
            self.rtt_label.setText(f"{n:,} client{'' if n == 1 else 's'} connected")
            tips = _SERVER_TIPS
        for label, tip in zip((self.out_label, self.in_label, self.rtt_label), tips, strict=True):
            label.setToolTip(tip)

    # ------------------------------------------------------------ check server
    def probe_views(self) -> list[ProbeView]:
        module = sys.modules.get(_TOOL_TAB_CLASSES[0][0])
        if module is None:  # no Check server tab was ever opened
            return []
        cls = module.ProbeView
        return [w for i in range(self.tabs.count()) if isinstance(w := self.tabs.widget(i), cls)]

    def check_server(self, panel: SessionPanel | None = None) -> ProbeView:
        """Open a "Check server" tab for the URL of ``panel`` (default: the current
        tab), with its headers and TLS options; an idle check tab for the same URL is
        reused."""
        panel = panel if panel is not None else self.current_panel()
        url = ""
        options = None
        if panel is not None:
            url = panel.controller.url if panel.controller.read_only else panel.bar.url
            options = panel.controller.options
        for view in self.probe_views():
            if view.url == url and not view.running:
                view.options = options
                self.tabs.setCurrentWidget(view)
                return view
        from ..probe.view import ProbeView

        view = ProbeView(url, options, self.tabs)
        index = self.tabs.addTab(view, view.title)
        self.tabs.setTabToolTip(index, "Server check: RFC 6455 cases")
        view.titleChanged.connect(lambda title, v=view: self._retitle(v, title))
        view.captureRequested.connect(self._open_case_capture)
        self.tabs.setCurrentIndex(index)
        view.url_edit.setFocus(Qt.FocusReason.OtherFocusReason)
        return view

    def _retitle(self, widget: QWidget, title: str) -> None:
        index = self.tabs.indexOf(widget)
        if index >= 0:
            self.tabs.setTabText(index, title)

    def _open_case_capture(self, result: object) -> SessionPanel | None:
        store = getattr(result, "store", None)
        case_id = getattr(result, "id", "?")
        if store is None:
            self.show_error(f"case {case_id} has no capture")
            return None
        return open_store_tab(self, store, f"case {case_id}", kind="probe")

    def _on_panel_error(self, panel: SessionPanel, step: str, message: str, fatal: bool) -> None:
        if step == "send" and panel is self.current_panel():
            self.show_error(message)

    def show_error(self, text: str) -> None:
        """Show an error in the status bar for a while (the application routes
        unexpected exceptions here too)."""
        color = theme.current().violation.name()
        first = text.strip().splitlines()[0] if text.strip() else "error"
        self.error_label.setText(f"⚠ {first}")
        self.error_label.setToolTip(text)
        self.error_label.setStyleSheet(f"color: {color};")
        self.error_label.show()
        self._error_timer.start(ERROR_SHOW_MS)

    # ---------------------------------------------------------- capture files
    def choose_capture_to_open(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        dialog = QFileDialog(self, "Open a capture", "", OPEN_FILTER)
        dialog.setObjectName("openCaptureDialog")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._dialog = dialog
        dialog.fileSelected.connect(self.open_capture)
        dialog.open()  # never exec(): it would nest an event loop under qasync

    def choose_capture_to_save(self) -> None:
        panel = self.current_panel()
        if panel is None or panel.controller.store is None:
            self.show_error("nothing to save yet: connect or open a capture first")
            return
        from ..captures.dialogs import capture_save_dialog, suggested_name

        dialog = capture_save_dialog(self, suggested_name(panel))
        self._dialog = dialog
        dialog.fileSelected.connect(lambda path, p=panel: self.save_capture(path, p))
        dialog.open()

    def open_capture(self, path: str) -> asyncio.Task[bool]:
        """Open ``path`` read-only (a capture, or each WebSocket session of a HAR
        file): in this tab when it is still empty, else a new one."""
        return spawn(self.captures.open_file(path), "opening a capture")

    def save_capture(self, path: str, panel: SessionPanel | None = None) -> bool:
        """Save the capture of ``panel`` (default: the current tab) to ``path``."""
        panel = panel if panel is not None else self.current_panel()
        if panel is None:
            return False
        try:
            frames = panel.save_capture(path)
        except OSError as exc:
            self.show_error(f"cannot save {path}: {exc.strerror or exc}")
            return False
        self.captures.mark_saved(panel)
        self.statusBar().showMessage(
            f"Saved {frames:,} frame{'' if frames == 1 else 's'} to {path}", 8000
        )
        return True

    # --------------------------------------------------------------- actions
    def focus_url(self) -> None:
        panel = self.current_panel()
        if panel is not None:
            panel.focus_url()

    def focus_filter(self) -> None:
        panel = self.current_panel()
        if panel is not None:
            panel.focus_filter()

    def focus_compose(self) -> None:
        panel = self.current_panel()
        if panel is not None:
            panel.compose.tabs.setCurrentIndex(0)
            panel.compose.text_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def show_handshake(self) -> None:
        panel = self.current_panel()
        if panel is not None:
            panel.side_tabs.setCurrentWidget(panel.handshake)

    def about(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        links = "".join(f'<li><a href="{url}">{title}</a></li>' for title, url in RFC_LINKS)
        box = QMessageBox(self)
        box.setObjectName("aboutBox")
        box.setAccessibleName("About ws-inspector")
        box.setWindowTitle("About ws-inspector")
        box.setTextFormat(Qt.TextFormat.RichText)
        box.setText(
            f"<h3>{APP_TITLE}</h3><p>A WebSocket protocol inspector: see and shape every "
            "RFC 6455 frame on the wire.</p>"
            f"<p>The specifications:</p><ul>{links}</ul>"
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    # ------------------------------------------------------------------ quit
    def request_quit(self) -> None:
        """Quit (File > Quit, closing the window): captures that were not saved are
        asked about first, then the quit handler (or the window) closes."""
        self.captures.confirm(self.panels(), self._quit_confirmed, quitting=True)

    def _quit_confirmed(self) -> None:
        if self.quit_handler is not None:
            self.quitRequested.emit()
            self.quit_handler()
        else:  # not from inside closeEvent: Qt ignores a close() nested in one
            QTimer.singleShot(0, self, self.close_now)

    async def aclose_all(self, timeout: float = 2.0) -> None:
        """Close every connection (close frame 1001), waiting at most ``timeout``.
        While it waits the window says so and takes no input."""
        import asyncio

        panels = self.panels()
        live = sum(1 for p in panels if p.controller.busy or p.controller.can_send_frames)
        if live:
            self.closing_label.setText(
                f"Closing {live} connection{'s' if live > 1 else ''}… (at most {timeout:g} s)"
            )
            self.closing_label.show()
            self._central.setEnabled(False)
            self.menuBar().setEnabled(False)
        if panels:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    asyncio.gather(
                        *(p.aclose(timeout, quitting=True) for p in panels),
                        return_exceptions=True,
                    ),
                    timeout + 0.5,
                )
        if self._closing_tasks:
            await asyncio.wait(list(self._closing_tasks), timeout=timeout)
        if self._automation is not None:
            await self._automation.aclose(timeout)
        for p in panels:
            p.shutdown()
        for view in self.probe_views():
            await view.aclose(timeout)
        await self.proxies.aclose(timeout)
        await self.servers.aclose(timeout)
        await self.captures.aclose(timeout)

    def close_now(self) -> None:
        """Close without asking the quit handler (the application is quitting)."""
        self._closing_for_real = True
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_settings()
        if not self._closing_for_real and (
            self.quit_handler is not None or self.captures.unsaved(self.panels())
        ):
            event.ignore()
            self.request_quit()
            return
        for panel in self.panels():
            panel.shutdown()
        for view in self.probe_views():
            view.shutdown()
        self.proxies.shutdown()
        self.servers.shutdown()
        # Journals of captures nobody saved nor discarded stay, to be recovered.
        self.captures.release_all()
        event.accept()
