"""The library in the real window, against real echo servers on loopback: a message
saved from the compose pane and sent from the library (its counter moving on, kept
in the data folder), and "Edit and resend" on a received frame, by the message or
as a crafted frame, in a file tab and through a proxy toward the server."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from _gui_support import by_name
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractButton,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)
from websockets.asyncio.client import connect

from inspector.capture.events import ConnectionState, Direction
from inspector.capture.store import CaptureStore
from inspector.gui.captures.tabs import open_store_tab
from inspector.gui.compose.pane import ComposePane
from inspector.gui.proxy import ProxyView
from inspector.gui.proxy.frame_dialog import FrameDialog
from inspector.gui.window.main_window import MainWindow
from inspector.gui.window.session_panel import SessionPanel
from inspector.library.store import Library
from inspector.protocol.constants import Opcode
from inspector.views.compose import json_as
from inspector.views.copyout import message_payload

pytestmark = pytest.mark.gui

W = TypeVar("W", bound=QWidget)
Until = Callable[..., Any]


def received_texts(store: CaptureStore) -> list[str]:
    return [
        message_payload(store, r).decode()
        for r in range(len(store))
        if store.direction(r) is Direction.IN and store.opcode(r) == Opcode.TEXT
    ]


async def connected(panel: SessionPanel, url: str, until: Until) -> CaptureStore:
    panel.connect_to(url)
    await until(lambda: panel.controller.state is ConnectionState.OPEN, what="open")
    store = panel.controller.store
    assert store is not None
    return store


def menu_action(panel: SessionPanel, row: int, name: str) -> QAction:
    menu: QMenu = panel.copy_menu.build_menu(row)  # type: ignore[attr-defined]
    actions = [a for a in menu.findChildren(QAction) if a.objectName() == name]
    assert len(actions) == 1, [a.objectName() for a in menu.findChildren(QAction)]
    return actions[0]


def test_save_a_message_then_send_it_from_the_library_to_an_echo_server(
    window: MainWindow,
    arun: Callable[..., Any],
    ws_server: str,
    qtbot: Any,
    until: Until,
    _private_data: Path,
) -> None:
    panel = window.current_panel()
    assert panel is not None
    lib = window.library

    async def scenario() -> None:
        store = await connected(panel, ws_server, until)
        compose = by_name(panel, QWidget, "Compose")
        assert isinstance(compose, ComposePane)
        compose.text_edit.setPlainText("hello #{{counter}}")
        qtbot.mouseClick(
            by_name(compose, QPushButton, "Save to library"), Qt.MouseButton.LeftButton
        )
        assert lib.dock.isVisibleTo(window)
        dialog = lib.panel.dialog
        assert dialog is not None
        by_name(dialog, QLineEdit, "Name").setText("Greeting")
        dialog.findChild(QWidget, "libraryItemFolder").setEditText("Chat/Hello")  # type: ignore[union-attr]
        qtbot.mouseClick(by_name(dialog, QAbstractButton, "Save"), Qt.MouseButton.LeftButton)
        item = lib.library.items[0]
        assert (item.name, item.folder, item.text) == (
            "Greeting",
            "Chat/Hello",
            "hello #{{counter}}",
        )

        tree = by_name(lib.panel, QWidget, "Saved messages")
        assert lib.panel.selected_item() == item
        tree.setFocus()
        qtbot.keyClick(tree, Qt.Key.Key_Return)  # Enter sends
        await until(lambda: "hello #1" in received_texts(store), what="the first echo")
        qtbot.mouseClick(
            by_name(lib.panel, QPushButton, "Send to the current connection"),
            Qt.MouseButton.LeftButton,
        )
        await until(lambda: "hello #2" in received_texts(store), what="the second echo")
        assert compose.history.list.item(0).text() == "TEXT  'hello #2'"

    arun(scenario())
    # The counter is in the data folder's library file: the next one sends 3.
    again = Library.open(_private_data / "library.json").library
    assert [(i.name, i.counter) for i in again.items] == [("Greeting", 3)]


def test_edit_and_resend_a_received_frame(
    window: MainWindow,
    arun: Callable[..., Any],
    echo_server: Any,
    qtbot: Any,
    until: Until,
) -> None:
    panel = window.current_panel()
    assert panel is not None
    compose = panel.compose

    async def scenario() -> None:
        store = await connected(panel, echo_server.url, until)
        assert compose.session.send_text("first", compress=False)
        await until(lambda: received_texts(store) == ["first"], what="the echo")
        row = next(r for r in range(len(store)) if store.direction(r) is Direction.IN)

        menu_action(panel, row, "editResend").trigger()
        assert compose.tabs.currentIndex() == compose.TAB_TEXT
        assert compose.text_edit.toPlainText() == "first"
        compose.text_edit.setPlainText("first, edited")
        assert compose.send_current()
        await until(lambda: "first, edited" in received_texts(store), what="edited echo")

        menu_action(panel, row, "editResendFrame").trigger()
        frame = compose.frame
        assert compose.tabs.currentIndex() == compose.TAB_FRAME
        assert frame.opcode_combo.currentData() == Opcode.TEXT and frame.fin_check.isChecked()
        assert frame.mask_check.isChecked()  # resent from the client's seat: masked
        # The bits are the received frame's: RSV1 when the server compressed it (the
        # payload then shown in hex, as it came).
        rsv1 = store.frame(row).rsv1
        assert frame.rsv_checks[0].isChecked() is rsv1
        assert frame.payload_format.currentIndex() == (frame.HEX if rsv1 else frame.TEXT)
        frame.rsv_checks[0].setChecked(False)
        frame.payload_format.setCurrentIndex(frame.TEXT)
        frame.payload_edit.setPlainText("as a frame")
        assert compose.send_current()
        await until(lambda: "as a frame" in received_texts(store), what="crafted echo")

    arun(scenario())


def test_edit_and_resend_from_a_file_tab_opens_a_new_connection_tab(
    window: MainWindow, capture: Callable[..., Any]
) -> None:
    session = capture()
    session.receive_bytes(bytes([0x82, 0x03, 1, 2, 3]))
    panel = open_store_tab(window, session.store, "saved.jsonl")
    assert not any(
        a.objectName() == "editResend"
        for a in panel.copy_menu.build_menu(0).findChildren(QAction)  # type: ignore[attr-defined]
    )
    menu_action(panel, 0, "editResendNew").trigger()
    new = window.current_panel()
    assert new is not None and new is not panel
    assert new.bar.url == session.store.session.url
    assert new.compose.tabs.currentIndex() == new.compose.TAB_BINARY
    assert new.compose.binary.payload() == b"\x01\x02\x03"


def test_edit_and_resend_through_a_proxy_toward_the_server(
    window: MainWindow,
    arun: Callable[..., Any],
    ws_server: str,
    qtbot: Any,
    until: Until,
) -> None:
    async def scenario() -> None:
        window.proxies.action.trigger()
        dialog = window.proxies.dialog
        assert dialog is not None
        by_name(dialog, QLineEdit, "Listen address").setText("127.0.0.1:0")
        by_name(dialog, QLineEdit, "Upstream URL").setText(ws_server)
        qtbot.mouseClick(by_name(dialog, QAbstractButton, "Start proxy"), Qt.MouseButton.LeftButton)
        view = window.tabs.currentWidget()
        assert isinstance(view, ProxyView)
        await until(lambda: view.running, what="the proxy listening")
        async with connect(view.runner.url, proxy=None) as ws:
            await ws.send("order 1")
            assert await asyncio.wait_for(ws.recv(), 5) == "order 1"
            await until(lambda: view.model.rowCount() == 1, what="the connection's row")
            panel = window.proxies.open_connection(view, view.model.row(0).conn)
            assert panel is not None
            store = panel.controller.store
            assert store is not None
            await until(lambda: len(store) >= 2, what="both frames in the tab")
            row = next(r for r in range(len(store)) if store.direction(r) is Direction.OUT)
            menu_action(panel, row, "editResendServer").trigger()
            inject = window.library.inject_dialog
            assert isinstance(inject, FrameDialog) and inject.to_server
            assert inject.payload.toPlainText() == "order 1"
            inject.payload.setPlainText("order 2")
            qtbot.mouseClick(by_name(inject, QAbstractButton, "Inject"), Qt.MouseButton.LeftButton)
            # The server got the injected text and echoed it back to the client.
            assert await asyncio.wait_for(ws.recv(), 5) == "order 2"

    arun(scenario())


def test_a_format_message_is_kept_as_its_source_and_built_when_sent(
    window: MainWindow,
    arun: Callable[..., Any],
    echo_server: Any,
    qtbot: Any,
    until: Until,
) -> None:
    panel = window.current_panel()
    assert panel is not None
    lib = window.library

    def received_binary(store: CaptureStore) -> list[bytes]:
        return [
            message_payload(store, r)
            for r in range(len(store))
            if store.direction(r) is Direction.IN and store.opcode(r) == Opcode.BINARY
        ]

    async def scenario() -> None:
        store = await connected(panel, echo_server.url, until)
        compose_pane = panel.compose
        compose_pane.tabs.setCurrentIndex(compose_pane.TAB_FORMAT)
        compose_pane.format.select("msgpack")
        form = compose_pane.format.form
        by_name(form, QPlainTextEdit, "JSON value to send as MessagePack").setPlainText(
            '{"seq": {{counter}}}'
        )
        qtbot.mouseClick(
            by_name(compose_pane, QPushButton, "Save to library"), Qt.MouseButton.LeftButton
        )
        dialog = lib.panel.dialog
        assert dialog is not None
        qtbot.mouseClick(by_name(dialog, QAbstractButton, "Save"), Qt.MouseButton.LeftButton)
        (item,) = lib.library.items
        assert (item.kind, item.view, item.fields) == (
            "format",
            "msgpack",
            (("value", '{"seq": {{counter}}}'),),
        )
        for _ in range(2):
            assert lib.panel.send_selected()
        expected = [json_as(f'{{"seq": {n}}}', "msgpack").payload for n in (1, 2)]
        await until(lambda: received_binary(store) == expected, what="both echoes")

    arun(scenario())
