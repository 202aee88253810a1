"""The proxy in the real window, against real peers on loopback: a proxy started
from File > New proxy… (its fields found by accessible name), a websockets client
through it to a websockets echo server, the connection's row, its session tab with
both sides live, saving it, and stopping the proxy. Every wait is bounded."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from _gui_support import by_name
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QLineEdit
from websockets.asyncio.client import connect

from inspector.capture.events import Direction
from inspector.capture.formats.jsonl import read_jsonl
from inspector.gui.proxy import ProxyView
from inspector.gui.window.main_window import MainWindow
from inspector.gui.window.session_panel import SessionPanel

pytestmark = pytest.mark.gui


def _directions(panel: SessionPanel) -> list[Direction]:
    store = panel.controller.store
    assert store is not None
    return [store.direction(r) for r in range(len(store))]


async def _start_reverse(window: MainWindow, qtbot: Any, upstream: str) -> ProxyView:
    window.proxies.action.trigger()
    dialog = window.proxies.dialog
    assert dialog is not None and dialog.isVisible()
    listen = by_name(dialog, QLineEdit, "Listen address")
    listen.setText("127.0.0.1:0")
    by_name(dialog, QLineEdit, "Upstream URL").setText(upstream)
    qtbot.mouseClick(by_name(dialog, QAbstractButton, "Start proxy"), Qt.MouseButton.LeftButton)
    view = window.tabs.currentWidget()
    assert isinstance(view, ProxyView)
    return view


def test_proxy_tab_rows_session_tab_save_and_stop(
    window: MainWindow,
    arun: Callable[..., Any],
    ws_server: str,
    qtbot: Any,
    tmp_path: Path,
    until: Callable[..., Any],
) -> None:
    window.show()
    qtbot.waitExposed(window)

    async def scenario() -> None:
        view = await _start_reverse(window, qtbot, ws_server)
        await until(lambda: view.running, what="the proxy listening")
        assert view.url_edit.text() == view.runner.url
        assert view.runner.server.port != 0
        assert "(stopped)" not in window.tabs.tabText(window.tabs.indexOf(view))

        async with connect(view.runner.url + "chat?room=1") as ws:
            for i in range(30):
                await ws.send(f"message {i}")
                assert await ws.recv() == f"message {i}"
            await until(
                lambda: view.model.rowCount() == 1 and view.model.row(0).frames >= 60,
                what="the connection's row with its frames",
            )
            row = view.model.row(0)
            assert row.path == "/echo/chat?room=1"
            assert row.client.startswith("127.0.0.1:")
            assert row.state == "open"
            # One insert for the row, and far fewer updates than frames.
            assert view.model.inserts == 1
            assert view.model.changes < 60

            # Enter on the row opens the connection as a session tab.
            view.table.setFocus()
            view.table.setCurrentIndex(view.model.index(0, 0))
            qtbot.keyClick(view.table, Qt.Key.Key_Return)
            panel = window.current_panel()
            assert panel is not None and panel.controller.read_only
            dirs = _directions(panel)
            assert dirs.count(Direction.OUT) >= 30 and dirs.count(Direction.IN) >= 30
            assert panel.timeline.filter_bar.out_button.text() == "↑ Client→server"
            legs = panel.handshake.legs
            assert all(e is not None for e in legs.events)
            assert legs.views[1].toPlainText().startswith("GET /echo/chat?room=1 HTTP/1.1")

            # Live: what crosses now shows in the open tab.
            before = panel.timeline.model.rowCount()
            await ws.send(b"\x00\x01binary")
            assert await ws.recv() == b"\x00\x01binary"
            await until(
                lambda: panel.timeline.model.rowCount() >= before + 2,
                what="the new frames in the session tab",
            )

            # A second activation of the same connection shows the same tab.
            window.tabs.setCurrentWidget(view)
            await asyncio.sleep(0.05)  # the tab's table is laid out once shown
            rect = view.table.visualRect(view.model.index(0, 2))
            assert rect.isValid()
            viewport = view.table.viewport()
            qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=rect.center())
            qtbot.mouseDClick(viewport, Qt.MouseButton.LeftButton, pos=rect.center())
            assert window.current_panel() is panel

            path = tmp_path / "proxied.jsonl"
            assert window.save_capture(str(path), panel)
            saved = read_jsonl(str(path)).store
            saved_dirs = [saved.direction(r) for r in range(len(saved))]
            assert saved_dirs.count(Direction.OUT) >= 31
            assert saved_dirs.count(Direction.IN) >= 31
            assert saved.session.role.value == "proxy"

            # Stop: the client is sent 1001 and the tab says it stopped.
            window.tabs.setCurrentWidget(view)
            qtbot.mouseClick(
                by_name(view, QAbstractButton, "Stop the proxy"), Qt.MouseButton.LeftButton
            )
            await asyncio.wait_for(ws.wait_closed(), 5)
            assert ws.close_code == 1001
        await until(lambda: not view.running, what="the proxy stopped")
        await until(lambda: view.model.row(0).closed, what="the row closed")
        assert "(stopped)" in window.tabs.tabText(window.tabs.indexOf(view))
        assert not view.stop_button.isEnabled()
        await until(
            lambda: panel.bar.state is not None and panel.bar.state.state.value == "closed",
            what="the session tab closed",
        )

    arun(scenario(), timeout=30)


def test_a_bad_dialog_says_why_and_starts_nothing(
    window: MainWindow, arun: Callable[..., Any], qtbot: Any
) -> None:
    async def scenario() -> None:
        window.proxies.action.trigger()
        dialog = window.proxies.dialog
        assert dialog is not None
        by_name(dialog, QLineEdit, "Listen address").setText("127.0.0.1:0")
        start = by_name(dialog, QAbstractButton, "Start proxy")
        qtbot.mouseClick(start, Qt.MouseButton.LeftButton)
        assert dialog.isVisible()
        assert "upstream URL" in dialog.problem_label.text()
        by_name(dialog, QLineEdit, "Upstream URL").setText("http://example.com")
        qtbot.mouseClick(start, Qt.MouseButton.LeftButton)
        assert dialog.isVisible() and "upstream URL" in dialog.problem_label.text()
        assert not [
            w
            for w in map(window.tabs.widget, range(window.tabs.count()))
            if isinstance(w, ProxyView)
        ]
        dialog.reject()

    arun(scenario())


def test_a_port_in_use_shows_in_the_tab(
    window: MainWindow,
    arun: Callable[..., Any],
    ws_server: str,
    qtbot: Any,
    until: Callable[..., Any],
) -> None:
    async def scenario() -> None:
        first = await _start_reverse(window, qtbot, ws_server)
        await until(lambda: first.running, what="the first proxy")
        window.proxies.action.trigger()
        dialog = window.proxies.dialog
        assert dialog is not None
        by_name(dialog, QLineEdit, "Listen address").setText(
            f"127.0.0.1:{first.runner.server.port}"
        )
        by_name(dialog, QLineEdit, "Upstream URL").setText(ws_server)
        qtbot.mouseClick(by_name(dialog, QAbstractButton, "Start proxy"), Qt.MouseButton.LeftButton)
        second = window.tabs.currentWidget()
        assert isinstance(second, ProxyView) and second is not first
        await until(lambda: second.banner.isVisibleTo(second), what="the failure in the tab")
        assert "cannot listen" in second.banner.message
        assert not second.running and not second.stop_button.isEnabled()
        await first.aclose()

    arun(scenario())


def test_closing_the_proxy_tab_stops_it_and_quitting_too(
    window: MainWindow,
    arun: Callable[..., Any],
    ws_server: str,
    qtbot: Any,
    until: Callable[..., Any],
    _private_data: Path,
) -> None:
    async def scenario() -> None:
        first = await _start_reverse(window, qtbot, ws_server)
        second = await _start_reverse(window, qtbot, ws_server)
        await until(lambda: first.running and second.running, what="two proxies")
        async with connect(first.runner.url) as ws, connect(second.runner.url) as other:
            await ws.send("a")
            await ws.recv()
            await other.send("b")
            await other.recv()
            journals = _private_data / "journal"
            await until(lambda: len(list(journals.iterdir())) == 2, what="a journal each")
            window.close_tab(window.tabs.indexOf(first))  # while it runs
            assert window.tabs.indexOf(first) < 0
            await asyncio.wait_for(ws.wait_closed(), 5)
            assert ws.close_code == 1001
            await until(lambda: len(list(journals.iterdir())) == 1, what="its journal gone")
            await window.aclose_all(2.0)  # quitting: the other one stops too
            await asyncio.wait_for(other.wait_closed(), 5)
            assert other.close_code == 1001
        assert not second.running
        assert not list(journals.iterdir())

    arun(scenario(), 20)
