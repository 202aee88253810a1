"""The main window's menus (File, View, Tools, Help) and their actions, with their
object names and shortcuts: the window's own code stays about tabs and sessions."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence

if TYPE_CHECKING:
    from .main_window import MainWindow

__all__ = ["RFC_LINKS", "build_menus", "make_action"]

RFC_LINKS = (
    ("RFC 6455 — The WebSocket Protocol", "https://www.rfc-editor.org/rfc/rfc6455"),
    (
        "RFC 7692 — Compression Extensions (permessage-deflate)",
        "https://www.rfc-editor.org/rfc/rfc7692",
    ),
    ("RFC 8441 — WebSockets over HTTP/2", "https://www.rfc-editor.org/rfc/rfc8441"),
    ("IANA WebSocket registries", "https://www.iana.org/assignments/websocket/websocket.xhtml"),
)


def open_link(url: str) -> None:
    """Open ``url`` in the desktop's browser (QUrl and QDesktopServices load with the
    first link opened: PySide6 makes their enums on first use)."""
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QDesktopServices

    QDesktopServices.openUrl(QUrl(url))


def make_action(
    window: MainWindow,
    text: str,
    name: str,
    shortcut: str | QKeySequence.StandardKey | None,
    slot: Callable[[], object],
    tip: str = "",
) -> QAction:
    action = QAction(text, window)
    action.setObjectName(name)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    if tip:
        action.setStatusTip(tip)
        action.setToolTip(tip)
    action.triggered.connect(lambda *_: slot())
    window.addAction(action)
    return action


def build_menus(window: MainWindow) -> None:
    """The window's menus and their actions (the actions are the window's attributes:
    tests and the tabs reach them by name)."""
    bar = window.menuBar()
    bar.setObjectName("menuBar")
    bar.setAccessibleName("Menu bar")
    file_menu = bar.addMenu("&File")
    file_menu.setObjectName("fileMenu")
    window.new_action = make_action(
        window,
        "&New connection",
        "newConnectionAction",
        "Ctrl+T",
        lambda: window.new_session(),
        "Open a new connection tab",
    )
    window.open_action = make_action(
        window,
        "&Open capture…",
        "openCaptureAction",
        "Ctrl+O",
        window.choose_capture_to_open,
        "Open a capture file (.jsonl) read-only",
    )
    window.save_action = make_action(
        window,
        "&Save capture as…",
        "saveCaptureAction",
        "Ctrl+S",
        window.choose_capture_to_save,
        "Save this tab's frames and events as a capture file (.jsonl)",
    )
    window.close_tab_action = make_action(
        window,
        "&Close tab",
        "closeTabAction",
        "Ctrl+W",
        lambda: window.close_tab(window.tabs.currentIndex()),
        "Close this connection tab",
    )
    window.quit_action = make_action(
        window,
        "&Quit",
        "quitAction",
        "Ctrl+Q",
        window.request_quit,
        "Close all connections and quit",
    )
    window.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
    file_menu.addAction(window.new_action)
    window.proxies.add_to(file_menu)
    window.servers.add_to(file_menu)
    file_menu.addAction(window.open_action)
    file_menu.addAction(window.save_action)
    window.export_har_action = make_action(
        window,
        "&Export HAR…",
        "exportHarAction",
        "Ctrl+Shift+E",
        window.captures.choose_har_export,
        "Export this tab's session as HAR (messages only; secrets left out by default)",
    )
    file_menu.addAction(window.export_har_action)
    file_menu.addSeparator()
    file_menu.addAction(window.close_tab_action)
    file_menu.addSeparator()
    file_menu.addAction(window.quit_action)

    view_menu = bar.addMenu("&View")
    view_menu.setObjectName("viewMenu")
    window.focus_url_action = make_action(
        window,
        "Focus &URL",
        "focusUrlAction",
        "Ctrl+L",
        window.focus_url,
        "Type a URL to connect to",
    )
    window.find_action = make_action(
        window,
        "&Find in frames",
        "findAction",
        "Ctrl+F",
        window.focus_filter,
        "Search and filter the timeline",
    )
    window.compose_action = make_action(
        window,
        "&Compose",
        "composeAction",
        "Ctrl+E",
        window.focus_compose,
        "Write a message to send",
    )
    window.handshake_action = make_action(
        window,
        "&Handshake",
        "handshakeAction",
        "Ctrl+Shift+H",
        window.show_handshake,
        "Show the opening handshake",
    )
    window.next_tab_action = make_action(
        window, "&Next tab", "nextTabAction", "Ctrl+PgDown", lambda: window._step_tab(1)
    )
    window.prev_tab_action = make_action(
        window, "&Previous tab", "previousTabAction", "Ctrl+PgUp", lambda: window._step_tab(-1)
    )
    for a in (
        window.focus_url_action,
        window.find_action,
        window.compose_action,
        window.handshake_action,
    ):
        view_menu.addAction(a)
    window.library.add_to(view_menu)
    view_menu.addSeparator()
    view_menu.addAction(window.next_tab_action)
    view_menu.addAction(window.prev_tab_action)

    tools_menu = bar.addMenu("&Tools")
    tools_menu.setObjectName("toolsMenu")
    window.check_server_action = make_action(
        window,
        "&Check server…",
        "checkServerAction",
        "Ctrl+Shift+K",
        window.check_server,
        "Check the current URL's server against RFC 6455 (a battery of cases)",
    )
    tools_menu.addAction(window.check_server_action)
    window.replay_action = make_action(
        window,
        "&Replay against…",
        "replayAction",
        "Ctrl+Shift+R",
        lambda: window.automation().replay(),
        "Send this tab's captured client messages again to a URL and compare the answers",
    )
    window.scripts_action = make_action(
        window,
        "&Scripts…",
        "scriptsAction",
        None,
        lambda: window.automation().open_scripts(),
        "Attach a Python hook script to the connections",
    )
    tools_menu.addAction(window.replay_action)
    tools_menu.addAction(window.scripts_action)

    help_menu = bar.addMenu("&Help")
    help_menu.setObjectName("helpMenu")
    for i, (title, url) in enumerate(RFC_LINKS):
        act = make_action(
            window,
            title,
            f"rfcLink{i}",
            None,
            lambda u=url: open_link(u),  # type: ignore[misc]
        )
        help_menu.addAction(act)
    help_menu.addSeparator()
    window.about_action = make_action(
        window, "&About ws-inspector", "aboutAction", None, window.about
    )
    window.about_action.setMenuRole(QAction.MenuRole.AboutRole)
    help_menu.addAction(window.about_action)
