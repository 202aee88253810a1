"""The real main window against real peers on loopback: our EchoServer and an
independent server (the websockets library). Every wait is bounded."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from typing import Any

import pytest
from _gui_support import opened, state
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QLineEdit

from inspector.capture.events import ConnectionState, Direction, ErrorCaptured
from inspector.gui.window.connection_bar import ConnectionBar
from inspector.gui.window.main_window import MainWindow
from inspector.gui.window.session_panel import SessionPanel
from inspector.protocol.constants import Opcode

pytestmark = pytest.mark.gui


def _rows(panel: SessionPanel) -> list[tuple[Direction, int]]:
    store = panel.controller.store
    assert store is not None
    model = panel.timeline.model
    out = []
    for view_row in range(model.rowCount()):
        row = model.store_row(view_row)
        out.append((store.direction(row), store.opcode(row)))
    return out


async def _connect(qtbot: Any, panel: SessionPanel, url: str, until: Callable[..., Any]) -> None:
    line = panel.bar.url_combo.lineEdit()
    assert isinstance(line, QLineEdit)
    line.clear()
    qtbot.keyClicks(line, url)
    qtbot.mouseClick(panel.bar.connect_button, Qt.MouseButton.LeftButton)
    await until(lambda: state(panel) is ConnectionState.OPEN, 5, "state open")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


# ------------------------------------------------------------------ full sessions
def test_session_against_our_echo_server(
    window: MainWindow, echo_server: Any, arun: Any, until: Any, qtbot: Any
) -> None:
    panel = window.current_panel()
    assert panel is not None
    compose = panel.compose

    async def scenario() -> None:
        await _connect(qtbot, panel, echo_server.url, until)
        assert "open" in panel.bar.state_badge.text()
        assert panel.bar.connect_button.text() == "Disconnect"
        # The handshake pane: status line, accept check derived step by step.
        hs = panel.handshake
        await until(lambda: hs.response is not None, 2, "handshake response")
        assert "101" in hs.status_label.text()
        assert hs.accept_result.accessibleDescription() == "match"
        assert "✓" in hs.accept_result.text()
        assert hs.key_label.text() and hs.expected_label.text() == hs.received_label.text()
        assert hs.sha1_label.text() and len(hs.sha1_label.text()) == 40
        assert "permessage-deflate" in hs.extensions_label.text()
        assert "handshake" in hs.timing_label.text().lower()
        assert hs.request_view.table.rowCount() > 4
        assert hs.response_view.raw.toPlainText().startswith("HTTP/1.1 101")

        # Text, sent with Ctrl+Enter from the editor.
        compose.tabs.setCurrentIndex(compose.TAB_TEXT)
        qtbot.keyClicks(compose.text_edit, "hello inspector")
        assert compose.send_button.isEnabled()
        qtbot.keyClick(compose.text_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        await until(lambda: len(_rows(panel)) >= 2, 3, "text echoed")

        # Binary typed as hex.
        compose.tabs.setCurrentIndex(compose.TAB_BINARY)
        compose.binary.edit.setPlainText("de ad be ef 00 01")
        qtbot.mouseClick(compose.send_button, Qt.MouseButton.LeftButton)
        await until(lambda: len(_rows(panel)) >= 4, 3, "binary echoed")

        # Ping with a payload: the pong comes back, the RTT shows in the status bar.
        compose.tabs.setCurrentIndex(compose.TAB_CONTROL)
        compose.ping.payload_edit.setText("are you there")
        qtbot.mouseClick(compose.send_button, Qt.MouseButton.LeftButton)
        await until(lambda: len(_rows(panel)) >= 6, 3, "pong")
        await until(lambda: "ms" in window.rtt_label.text(), 2, "RTT in the status bar")

        # A fragmented text message, uncompressed: 3 frames out, echoed as 3 frames.
        compose.tabs.setCurrentIndex(compose.TAB_TEXT)
        compose.text_edit.setPlainText("one two three four five six")
        compose.text.fragments.setValue(3)
        compose.text.compress.setChecked(False)
        assert compose.send_current()
        await until(lambda: len(_rows(panel)) >= 12, 3, "fragments echoed")

        rows = _rows(panel)
        out_ops = [op for d, op in rows if d is Direction.OUT]
        in_ops = [op for d, op in rows if d is Direction.IN]
        assert out_ops[:3] == [Opcode.TEXT, Opcode.BINARY, Opcode.PING]
        assert out_ops[3:6] == [Opcode.TEXT, Opcode.CONT, Opcode.CONT]
        assert in_ops[:3] == [Opcode.TEXT, Opcode.BINARY, Opcode.PONG]
        assert in_ops[3:6] == [Opcode.TEXT, Opcode.CONT, Opcode.CONT]
        assert compose.history.list.count() == 4
        assert "↑ 6 frames" in window.out_label.text()
        assert "↓ 6 frames" in window.in_label.text()

        # Select the binary echo: the detail pane shows it.
        store = panel.controller.store
        assert store is not None
        binary_in = next(
            r
            for r in range(len(store))
            if store.direction(r) is Direction.IN and store.opcode(r) == Opcode.BINARY
        )
        assert panel.timeline.select_store_row(binary_in)
        await until(lambda: panel.detail.row == binary_in, 2, "detail shows the row")
        assert panel.side_tabs.currentWidget() is panel.detail
        assert panel.detail.frame is not None
        # permessage-deflate was negotiated: the frame is compressed, the message not.
        assert panel.detail.message is not None
        assert panel.detail.message.data == bytes.fromhex("deadbeef0001")

        # Filter: a search narrows the timeline; clearing it brings every row back.
        total = panel.timeline.model.rowCount()
        panel.timeline.search_edit.setText("hello")
        await until(lambda: 0 < panel.timeline.model.rowCount() < total, 2, "the search to filter")
        panel.timeline.search_edit.clear()
        await until(lambda: panel.timeline.model.rowCount() == total, 2, "filter cleared")

        # Resend from the history (double-click and the Resend button).
        compose.history.list.setCurrentRow(compose.history.list.count() - 1)  # the first text
        assert compose.resend_selected()
        await until(lambda: len(_rows(panel)) >= total + 2, 3, "resent text echoed")

        # Close with a code and reason from the Close tab: the badge shows the code.
        compose.tabs.setCurrentIndex(compose.TAB_CLOSE)
        compose.close_tab.code_box.setEditText("4000")
        compose.close_tab.reason.setText("bye now")
        qtbot.mouseClick(compose.send_button, Qt.MouseButton.LeftButton)
        await until(lambda: state(panel) is ConnectionState.CLOSED, 5, "closed")
        assert "closed 4000" in panel.bar.state_badge.text()
        assert panel.bar.connect_button.text() == "Connect"
        assert not compose.send_button.isEnabled()
        assert panel.banner.isHidden()
        # The capture stays for inspection after the close.
        closes = [op for _, op in _rows(panel) if op == Opcode.CLOSE]
        assert len(closes) == 2

    arun(scenario(), 20)
    # The URL went into the history, kept in QSettings for the next start.
    assert echo_server.url in ConnectionBar().history()


def test_session_against_websockets_server(
    window: MainWindow, ws_server: str, arun: Any, until: Any, qtbot: Any
) -> None:
    panel = window.current_panel()
    assert panel is not None

    async def scenario() -> None:
        # Offer a subprotocol through the options dialog (opened with open(), not exec()).
        panel.open_options()
        dialog = panel._options_dialog
        assert dialog is not None and dialog.isVisible()
        dialog.subprotocol_edit.setText("chat")
        dialog.subprotocol_edit.returnPressed.emit()
        dialog.add_header("X-Test", "yes")
        dialog.accept()
        await until(lambda: panel._options_dialog is None, 2, "dialog closed")
        assert panel.controller.options.subprotocols == ("chat",)
        assert panel.controller.options.headers == (("X-Test", "yes"),)

        await _connect(qtbot, panel, ws_server, until)
        hs = panel.handshake
        await until(lambda: hs.response is not None, 2, "handshake response")
        assert hs.accept_result.accessibleDescription() == "match"
        assert hs.subprotocol_label.text() == "chat"
        request_raw = hs.request_view.raw.toPlainText()
        assert "X-Test: yes" in request_raw
        assert "Sec-WebSocket-Protocol: chat" in request_raw

        c = panel.controller
        assert c.send_text("from the inspector")
        assert c.send_binary(b"\x00\x01\x02")
        assert c.send_text("in pieces, please", fragments=4, compress=False)
        assert c.send_ping(b"p1")
        await until(lambda: len(_rows(panel)) >= 7 + 3, 3, "echoes")
        rows = _rows(panel)
        in_ops = [op for d, op in rows if d is Direction.IN]
        assert Opcode.PONG in in_ops
        assert in_ops.count(Opcode.TEXT) == 2 and Opcode.BINARY in in_ops

        qtbot.mouseClick(panel.bar.connect_button, Qt.MouseButton.LeftButton)  # Disconnect
        await until(lambda: state(panel) is ConnectionState.CLOSED, 5, "closed")
        assert "closed 1000" in panel.bar.state_badge.text()

    arun(scenario(), 20)


# ------------------------------------------------------------------------ errors
def test_bad_url_is_explained_in_the_window(
    window: MainWindow, arun: Any, until: Any, qtbot: Any
) -> None:
    panel = window.current_panel()
    assert panel is not None
    line = panel.bar.url_combo.lineEdit()
    assert line is not None
    qtbot.keyClicks(line, "http://127.0.0.1:1/")
    qtbot.keyClick(line, Qt.Key.Key_Return)
    assert not panel.banner.isHidden()
    assert panel.banner.step == "url"
    assert "ws://" in panel.banner.message
    assert "URL" in panel.banner.label.text()
    assert panel.controller.store is None  # nothing was started

    line.clear()
    qtbot.keyClicks(line, "127.0.0.1:8000")
    qtbot.mouseClick(panel.bar.connect_button, Qt.MouseButton.LeftButton)
    assert panel.banner.step == "url"
    assert "no scheme" in panel.banner.message


def test_refused_port_names_the_tcp_step(
    window: MainWindow, arun: Any, until: Any, qtbot: Any
) -> None:
    panel = window.current_panel()
    assert panel is not None
    url = f"ws://127.0.0.1:{_free_port()}/"

    async def scenario() -> None:
        panel.connect_to(url)
        await until(lambda: not panel.banner.isHidden(), 5, "the error banner")
        await until(lambda: state(panel) is ConnectionState.CLOSED, 2, "closed")

    arun(scenario(), 10)
    assert panel.banner.step == "tcp"
    assert "refused" in panel.banner.message
    assert "TCP connection" in panel.banner.label.text()
    store = panel.controller.store
    assert store is not None and panel.timeline.model.store is store
    errors = [e for e in store.events if isinstance(e, ErrorCaptured)]
    assert errors and errors[0].step == "tcp"
    assert panel.bar.connect_button.text() == "Connect"


def test_http_200_is_a_handshake_error_and_the_capture_is_kept(
    window: MainWindow, loop: Any, arun: Any, until: Any, qtbot: Any
) -> None:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        body = b"<h1>not a websocket</h1>"
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        writer.close()

    server = arun(asyncio.start_server(answer, "127.0.0.1", 0), 5)
    port = server.sockets[0].getsockname()[1]
    panel = window.current_panel()
    assert panel is not None

    async def scenario() -> None:
        panel.connect_to(f"ws://127.0.0.1:{port}/chat")
        await until(lambda: not panel.banner.isHidden(), 5, "the error banner")
        await until(lambda: state(panel) is ConnectionState.CLOSED, 2, "closed")

    try:
        arun(scenario(), 10)
    finally:
        server.close()
        arun(server.wait_closed(), 5)
    assert panel.banner.step == "handshake"
    assert "200" in panel.banner.message
    assert "opening handshake" in panel.banner.label.text()
    # What was captured before the failure is all there: both handshake halves.
    hs = panel.handshake
    assert panel.side_tabs.currentWidget() is hs
    assert hs.request is not None and hs.response is not None
    assert "200" in hs.status_label.text()
    assert "GET /chat HTTP/1.1" in hs.request_view.raw.toPlainText()
    assert "Content-Type: text/html" in hs.response_view.raw.toPlainText()
    assert "not a websocket" in hs.response_view.raw.toPlainText()  # the body is kept
    store = panel.controller.store
    assert store is not None
    assert store.handshake(Direction.IN) is not None


# ------------------------------------------------------------------ tabs and keys
def test_several_tabs_at_once(
    window: MainWindow,
    echo_server: Any,
    ws_server: str,
    arun: Any,
    until: Any,
    qtbot: Any,
) -> None:
    first = window.current_panel()
    assert first is not None

    async def scenario() -> None:
        first.connect_to(echo_server.url)
        window.new_action.trigger()  # Ctrl+T
        second = window.current_panel()
        assert second is not None and second is not first
        assert window.tabs.count() == 2
        second.connect_to(ws_server)
        await until(
            lambda: state(first) is ConnectionState.OPEN and state(second) is ConnectionState.OPEN,
            5,
            "both open",
        )
        for _ in range(3):
            first.controller.send_text("one")
        second.controller.send_text("two")
        await until(lambda: first.stats.frames_in == 3 and second.stats.frames_in == 1, 3, "echoes")
        assert "↓ 1 frames" in window.in_label.text()  # the current tab's counters
        window.tabs.setCurrentWidget(first)
        assert "↓ 3 frames" in window.in_label.text()
        assert "127.0.0.1" in window.tabs.tabText(0)
        assert window.windowTitle().startswith(echo_server.url)

        window.tabs.setCurrentWidget(second)
        second_store = second.controller.store
        first_store = first.controller.store
        assert second_store is not None and first_store is not None
        window.close_tab_action.trigger()  # Ctrl+W closes the connection too
        assert window.tabs.count() == 1
        await until(lambda: not window._closing_tasks, 5, "tab closed")
        assert second_store.state is not None
        assert second_store.state.state is ConnectionState.CLOSED
        assert second_store.state.code == 1001  # a proper close frame, going away

        # Closing the last tab leaves a fresh empty one.
        window.close_tab(0)
        assert window.tabs.count() == 1
        assert window.current_panel() is not first
        await until(lambda: not window._closing_tasks, 5, "tab closed")
        assert first_store.state is not None
        assert first_store.state.state is ConnectionState.CLOSED

    arun(scenario(), 20)


def test_keyboard_shortcuts_and_remembered_geometry(
    window: MainWindow, loop: Any, qtbot: Any
) -> None:
    screen = window.screen().availableGeometry()
    # 1280x800 by default, made to fit a smaller screen (the offscreen one is 800x800).
    assert window.height() == min(800, screen.height())
    assert window.width() == min(1280, screen.width())
    window.show()
    handle = window.windowHandle()
    assert handle is not None
    handle.requestActivate()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    panel = window.current_panel()
    assert panel is not None

    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.focusWidget() is panel.timeline.search_edit
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.focusWidget() is panel.bar.url_combo  # (its line edit)
    qtbot.keyClick(window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.focusWidget() is panel.compose.text_edit
    qtbot.keyClick(window, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.count() == 2
    qtbot.keyClick(window, Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.count() == 1

    window.resize(window.width(), 650)
    window.save_settings()
    assert QSettings().value("window/geometry") is not None
    other = MainWindow()
    try:
        assert other.height() == 650
    finally:
        other.close_now()
        other.deleteLater()


def test_every_control_has_a_name_for_tests_and_screen_readers(window: MainWindow) -> None:
    from PySide6.QtWidgets import (
        QAbstractButton,
        QAbstractSpinBox,
        QComboBox,
        QLineEdit,
        QListWidget,
        QPlainTextEdit,
        QTabBar,
        QTableView,
        QWidget,
    )

    from inspector.gui.options.dialog import OptionsDialog

    panel = window.current_panel()
    assert panel is not None
    mine = [panel.bar, panel.banner, panel.handshake, panel.compose, OptionsDialog()]
    kinds = (
        QAbstractButton,
        QAbstractSpinBox,
        QComboBox,
        QLineEdit,
        QListWidget,
        QPlainTextEdit,
        QTableView,
    )
    missing = []
    for root in mine:
        for w in root.findChildren(QWidget):
            if not isinstance(w, kinds):
                continue
            parent = w.parentWidget()
            if isinstance(parent, QComboBox | QAbstractSpinBox | QTabBar | QLineEdit):
                continue  # parts of a combo, spin box, tab bar or line edit (clear button)
            if w.objectName().startswith("qt_") or (
                parent is not None and parent.objectName().startswith("qt_")
            ):
                continue  # Qt's own parts (tab bar scroll buttons, dialog internals)
            if not w.objectName() or not w.accessibleName():
                text = w.text() if isinstance(w, QAbstractButton) else ""
                missing.append(f"{type(w).__name__} {w.objectName()!r} {text!r}")
    assert not missing, missing


# --------------------------------------------------------------------------- TLS
def test_wss_shows_tls_details_and_names_the_tls_step_on_failure(
    window: MainWindow, loop: Any, arun: Any, until: Any, tmp_path: Any
) -> None:
    import ssl
    from dataclasses import replace

    trustme = pytest.importorskip("trustme")
    from websockets.asyncio.server import ServerConnection, serve

    from inspector.gui.session.controller import TlsOptions

    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_ctx)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))

    async def echo(ws: ServerConnection) -> None:
        async for message in ws:
            await ws.send(message)

    async def start() -> Any:
        return await serve(echo, "127.0.0.1", 0, ssl=server_ctx)

    server = arun(start(), 5)
    url = f"wss://127.0.0.1:{next(iter(server.sockets)).getsockname()[1]}/"
    panel = window.current_panel()
    assert panel is not None

    async def scenario() -> None:
        # Without the CA: the certificate is rejected, and the banner says so.
        panel.connect_to(url)
        await until(lambda: not panel.banner.isHidden(), 5, "the TLS error")
        assert panel.banner.step == "tls"
        assert "certificate" in panel.banner.message
        await until(lambda: state(panel) is ConnectionState.CLOSED, 2, "closed")

        # With the CA file from the options: verified, and the TLS box filled in.
        options = panel.controller.options
        panel.controller.options = replace(options, tls=TlsOptions(cafile=str(ca_file)))
        panel.connect_to(url)
        await until(lambda: state(panel) is ConnectionState.OPEN, 5, "open over TLS")
        assert panel.banner.isHidden()
        hs = panel.handshake
        await until(lambda: hs.response is not None, 2, "handshake")
        assert not hs.tls_box.isHidden()
        assert hs.tls_labels["version"].text().startswith("TLS")
        assert hs.tls_labels["verified"].text().startswith("✓")
        assert "TLS" in hs.timing_label.text()
        panel.close_connection()
        await until(lambda: state(panel) is ConnectionState.CLOSED, 5, "closed")

    try:
        arun(scenario(), 20)
    finally:
        server.close()
        arun(server.wait_closed(), 5)


# ------------------------------------------------------------------ capture files
def test_save_and_reopen_a_capture(
    window: MainWindow, echo_server: Any, arun: Any, until: Any, tmp_path: Any
) -> None:
    panel = window.current_panel()
    assert panel is not None
    path = str(tmp_path / "session.jsonl")

    async def scenario() -> None:
        await opened(panel, echo_server.url, until)
        panel.controller.send_text("keep me", fragments=2, compress=False)
        panel.controller.send_ping(b"p")
        await until(lambda: panel.stats.frames_in >= 3, 3, "echoes")
        assert window.save_capture(path)
        live_rows = _rows(panel)

        task = window.open_capture(path)  # the tab is in use: a new one opens
        assert await task
        loaded = window.current_panel()
        assert loaded is not None and loaded is not panel
        assert window.tabs.count() == 2
        assert loaded.controller.read_only
        assert _rows(loaded) == live_rows
        assert loaded.title == "📄 session.jsonl"
        assert "file session.jsonl" in loaded.bar.state_badge.text()
        assert loaded.bar.url == echo_server.url
        assert loaded.handshake.accept_result.accessibleDescription() == "match"
        assert not loaded.compose.send_button.isEnabled()
        assert "↓ 3 frames" in window.in_label.text()

        # A file that is not a capture: a plain message, nothing else breaks.
        junk = tmp_path / "junk.jsonl"
        junk.write_text("this is not json\n")
        assert not await loaded.open_capture(str(junk))
        assert loaded.banner.step == "open"
        assert "junk.jsonl" in loaded.banner.message

    arun(scenario(), 15)


# ----------------------------------------------------------------------- options
def test_options_dialog_round_trip(window: MainWindow, qtbot: Any) -> None:
    from inspector.gui.options.dialog import OptionsDialog
    from inspector.gui.session.controller import ConnectOptions, TlsOptions

    options = ConnectOptions(
        headers=(("Authorization", "Bearer x"), ("X-B", "2")),
        subprotocols=("v1", "v2"),
        deflate=False,
        origin="https://example.org",
        open_timeout=3.5,
        close_timeout=1.5,
        max_message_size=8 * 2**20,
        max_frame_size=None,
        auto_pong=False,
        keepalive_interval=15.0,
        strict=True,
        tls=TlsOptions(cafile="/tmp/ca.pem", insecure=True, server_hostname="example.org"),
    )
    dialog = OptionsDialog(options)
    qtbot.addWidget(dialog)
    assert dialog.options() == options
    assert not dialog.insecure_warning.isHidden()
    dialog.insecure_check.setChecked(False)
    assert dialog.insecure_warning.isHidden()

    # Header order is kept, and can be changed.
    dialog.headers_table.setCurrentCell(1, 0)
    dialog.up_header_button.click()
    assert dialog.headers() == [("X-B", "2"), ("Authorization", "Bearer x")]
    # A header name with a space cannot be sent: OK is disabled and the reason shown.
    dialog.add_header("Bad Name", "v")
    ok = dialog.buttons.button(dialog.buttons.StandardButton.Ok)
    assert ok is not None and not ok.isEnabled()
    assert "Bad Name" in dialog.problem_label.text()
    dialog.headers_table.setCurrentCell(2, 0)
    dialog.remove_header_button.click()
    assert ok.isEnabled()
    dialog.set_options(ConnectOptions())
    assert dialog.options() == ConnectOptions()


def test_splitter_sizes_are_remembered(window: MainWindow) -> None:
    panel = window.current_panel()
    assert panel is not None
    panel.top_splitter.setSizes([500, 700])
    panel._save_splitters()
    window.new_session()
    other = window.current_panel()
    assert other is not None and other is not panel
    assert other.top_splitter.saveState() == panel.top_splitter.saveState()


def test_the_options_labels_take_the_focus_to_their_fields(qtbot: Any) -> None:
    # A label's Alt+letter focuses its field, the file fields (line edit + Browse) too.
    from inspector.gui.options.dialog import OptionsDialog

    dialog = OptionsDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    handle = dialog.windowHandle()
    assert handle is not None
    handle.requestActivate()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=5000)
    dialog.tabs.setCurrentIndex(1)  # TLS
    for key, field in (
        (Qt.Key.Key_C, dialog.cafile.edit),
        (Qt.Key.Key_E, dialog.certfile.edit),
        (Qt.Key.Key_K, dialog.keyfile.edit),
        (Qt.Key.Key_N, dialog.sni_edit),
    ):
        qtbot.keyClick(dialog, key, Qt.KeyboardModifier.AltModifier)
        assert QApplication.focusWidget() is field, field.objectName()


def test_a_dismissed_error_banner_stays_dismissed(qtbot: Any) -> None:
    from PySide6.QtGui import QColor, QPalette

    from inspector.gui.window.session_panel import ErrorBanner

    banner = ErrorBanner()
    qtbot.addWidget(banner)
    banner.show_error("tcp", "connection refused")
    assert not banner.isHidden()
    qtbot.mouseClick(banner.close_button, Qt.MouseButton.LeftButton)
    assert banner.isHidden()
    dark = QPalette(banner.palette())
    dark.setColor(QPalette.ColorRole.Window, QColor("#202020"))
    banner.setPalette(dark)  # light <-> dark: restyled, not shown again
    assert banner.isHidden()
    assert "connection refused" in banner.label.text()


def test_state_colours_say_failure_only_for_an_unclean_end() -> None:
    from inspector.capture.events import StateChanged
    from inspector.gui.widgets import theme
    from inspector.gui.window.connection_bar import state_color

    t = theme.current()
    closed = ConnectionState.CLOSED
    assert state_color(StateChanged(0.0, closed, 1000, clean=True)) == t.muted.name()
    assert state_color(StateChanged(0.0, closed, 1006, clean=False)) == t.violation.name()
    assert state_color(StateChanged(0.0, closed, clean=False)) == t.violation.name()  # refused
    # A HAR import: the file does not say how the connection ended, which is no failure.
    assert state_color(StateChanged(0.0, closed)) == t.muted.name()
