"""The server's seat in the real window, against independent clients on loopback
(websockets and aiohttp): a server started from File > New server… (its fields found
by accessible name), its clients listed live, a client opened as a session tab with
its handshake, replies from that tab's compose pane to that client alone and from
the server tab to all, echo switched off live, a refusal, and stopping. Every wait
is bounded."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest
from _gui_support import by_name, click
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QCheckBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QRadioButton,
    QSpinBox,
    QWidget,
)
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus
from websockets.typing import Subprotocol

from inspector.capture.events import Direction
from inspector.gui.handshake.pane import HandshakePane
from inspector.gui.server import ServerView
from inspector.gui.session.support import SessionStats
from inspector.gui.window.main_window import MainWindow
from inspector.gui.window.session_panel import SessionPanel
from inspector.views.text import format_bytes

pytestmark = pytest.mark.gui


async def start_server(window: MainWindow, qtbot: Any, **fields: str) -> ServerView:
    """File > New server… with ``fields`` (accessible name -> text), then Start."""
    window.servers.action.trigger()
    dialog = window.servers.dialog
    assert dialog is not None and dialog.isVisible()
    by_name(dialog, QLineEdit, "Listen address").setText("127.0.0.1:0")
    for name, text in fields.items():
        by_name(dialog, QLineEdit, name).setText(text)
    click(qtbot, by_name(dialog, QAbstractButton, "Start server"))
    view = window.tabs.currentWidget()
    assert isinstance(view, ServerView)
    return view


def row_label(pane: HandshakePane, field: QWidget) -> str:
    """The words in front of ``field`` in the pane's accept check."""
    form = pane.accept_box.layout()
    assert isinstance(form, QFormLayout)
    label = form.labelForField(field)
    assert isinstance(label, QLabel)
    return label.text()


def send_from(qtbot: Any, panel_compose: QWidget, text: str) -> None:
    """Type ``text`` into a compose pane and press its Send button."""
    by_name(panel_compose, QPlainTextEdit, "Text message").setPlainText(text)
    send = by_name(panel_compose, QAbstractButton, "Send")
    assert send.isEnabled()
    click(qtbot, send)


def test_clients_listed_opened_and_answered_one_and_all(
    window: MainWindow,
    arun: Callable[..., Any],
    qtbot: Any,
    until: Callable[..., Any],
) -> None:
    window.show()
    qtbot.waitExposed(window)

    async def scenario() -> None:
        view = await start_server(
            window,
            qtbot,
            **{"Subprotocols to accept": "chat", "Message on connect": "welcome"},
        )
        await until(lambda: view.running, what="the server listening")
        assert view.url_edit.text() == view.runner.url and view.runner.server.port != 0
        assert "echo on" in view.answers_label.text()

        offer = [Subprotocol("v1"), Subprotocol("chat")]
        async with (
            connect(view.runner.url + "room?id=7", subprotocols=offer) as first,
            aiohttp.ClientSession() as session,
            session.ws_connect(view.runner.url + "other") as second,
        ):
            assert first.subprotocol == "chat"
            assert await asyncio.wait_for(first.recv(), 5) == "welcome"
            assert await asyncio.wait_for(second.receive_str(), 5) == "welcome"
            for i in range(20):
                await first.send(f"message {i}")
                assert await asyncio.wait_for(first.recv(), 5) == f"message {i}"
            await until(
                lambda: view.model.rowCount() == 2 and view.model.row(0).frames >= 41,
                what="both clients' rows with their frames",
            )
            row = view.model.row(0)
            assert (row.path, row.subprotocol, row.state) == ("/room?id=7", "chat", "open")
            assert row.client.startswith("127.0.0.1:")
            assert view.model.row(1).path == "/other" and view.model.row(1).subprotocol is None
            assert view.model.inserts <= 2 and view.model.changes < 40  # batches, not frames

            # Enter on the first row opens that client as a live tab after the server's.
            view.table.setFocus()
            view.table.setCurrentIndex(view.model.index(0, 0))
            qtbot.keyClick(view.table, Qt.Key.Key_Return)
            panel = window.current_panel()
            assert isinstance(panel, SessionPanel) and not panel.controller.read_only
            assert window.tabs.indexOf(panel) == window.tabs.indexOf(view) + 1
            assert panel.handshake.request is not None
            assert panel.handshake.request.start_line == "GET /room?id=7 HTTP/1.1"
            assert panel.handshake.response is not None
            assert panel.handshake.subprotocol_label.text() == "chat"
            assert "✓" in panel.handshake.status_label.accessibleDescription()
            assert panel.timeline.filter_bar.in_button.text() == "↓ From the client"

            # A reply from the client's compose pane goes to that client alone.
            send_from(qtbot, panel.compose, "just for you")
            assert await asyncio.wait_for(first.recv(), 5) == "just for you"

            # The status bar: the client's own counters in its tab, the totals over
            # every client in the server's (see test_a_server_tab_shows_...).
            assert window.out_label.isVisible() and "↑ 0 frames" not in window.out_label.text()
            assert window.rtt_label.text().startswith("RTT")
            # "To all" from the server tab: both get it; the second client's next
            # message is this one, so it never got the private reply.
            window.tabs.setCurrentWidget(view)
            assert window.out_label.isVisible() and window.in_label.isVisible()
            await until(lambda: "(2)" in view.compose_box.title(), what="two open clients")
            send_from(qtbot, view.compose, "everyone")
            assert await asyncio.wait_for(first.recv(), 5) == "everyone"
            assert await asyncio.wait_for(second.receive_str(), 5) == "everyone"

            # The client's tab shows what it sent and what we sent it, live.
            store = panel.controller.store
            assert store is not None
            await until(
                lambda: sum(store.direction(r) is Direction.OUT for r in range(len(store))) >= 23,
                what="our replies in the client's tab",
            )

            # Echo off, live: the next message is not sent back.
            echo = by_name(view, QCheckBox, "Echo messages")
            click(qtbot, echo)
            assert not echo.isChecked() and "echo off" in view.answers_label.text()
            await second.send_str("no echo please")
            send_from(qtbot, view.compose, "after")
            assert await asyncio.wait_for(second.receive_str(), 5) == "after"
            assert await asyncio.wait_for(first.recv(), 5) == "after"

            # New answers apply to the next clients; the open ones carry on.
            click(qtbot, by_name(view, QAbstractButton, "Change how the server answers"))
            editing = window.servers._editing[id(view)]
            assert by_name(editing, QLineEdit, "Listen address").isReadOnly()
            click(qtbot, by_name(editing, QCheckBox, "Echo messages"))  # back on
            click(qtbot, by_name(editing, QRadioButton, "Reject the handshake"))
            by_name(editing, QSpinBox, "Refusal status").setValue(429)
            click(qtbot, by_name(editing, QAbstractButton, "Apply to the next clients"))
            assert "rejects every handshake with 429" in view.answers_label.text()
            assert echo.isChecked()
            with pytest.raises(InvalidStatus) as refused:
                await connect(view.runner.url, open_timeout=5)
            assert refused.value.response.status_code == 429
            await first.send("still here")
            assert await asyncio.wait_for(first.recv(), 5) == "still here"  # echo is back on
            await until(lambda: view.model.rowCount() == 3, what="the refused client's row")

            # Stop: the clients get 1001.
            click(qtbot, by_name(view, QAbstractButton, "Stop the server"))
            await asyncio.wait_for(first.wait_closed(), 5)
            assert first.close_code == 1001
            closing = await asyncio.wait_for(second.receive(), 5)
            assert closing.type is aiohttp.WSMsgType.CLOSE and closing.data == 1001
        await until(lambda: not view.running, what="the server stopped")
        await until(lambda: all(view.model.row(i).closed for i in range(3)), what="rows closed")
        assert "(stopped)" in window.tabs.tabText(window.tabs.indexOf(view))
        await until(
            lambda: panel.bar.state is not None and panel.bar.state.state.value == "closed",
            what="the client's tab closed",
        )
        assert not panel.bar.connect_button.isEnabled()  # it cannot connect anywhere

    arun(scenario(), timeout=30)


def test_a_server_tab_shows_totals_over_its_clients(
    window: MainWindow, arun: Callable[..., Any], qtbot: Any, until: Callable[..., Any]
) -> None:
    """The status bar of a server's tab: frames and bytes each way summed over its
    clients (closed and cleared ones too) and how many are connected, updated once
    per tick at most, not per frame."""
    window.show()
    qtbot.waitExposed(window)

    async def scenario() -> None:
        view = await start_server(window, qtbot)
        await until(lambda: view.running, what="the server listening")
        emitted: list[SessionStats] = []
        view.runner.totalsChanged.connect(emitted.append)
        assert window.rtt_label.text() == "0 clients connected"
        assert window.in_label.text() == "↓ 0 frames · 0 B"

        def shown(totals: SessionStats) -> tuple[str, str]:
            return (
                f"↑ {totals.frames_out:,} frames · {format_bytes(totals.bytes_out)}",
                f"↓ {totals.frames_in:,} frames · {format_bytes(totals.bytes_in)}",
            )

        def sums() -> SessionStats:
            rows = [view.model.row(i) for i in range(view.model.rowCount())]
            return SessionStats(
                sum(r.frames_out for r in rows),
                sum(r.frames_in for r in rows),
                sum(r.bytes_out for r in rows),
                sum(r.bytes_in for r in rows),
            )

        async with connect(view.runner.url) as first, connect(view.runner.url) as second:
            for i in range(30):
                for ws in (first, second):
                    await ws.send(f"message {i}")
                    assert await asyncio.wait_for(ws.recv(), 5) == f"message {i}"
            await until(
                lambda: window.in_label.text().startswith("↓ 60 frames"),
                what="both clients' frames in the status bar",
            )
            totals = view.runner.totals()
            assert (totals.frames_in, totals.frames_out, totals.clients) == (60, 60, 2)
            assert totals.bytes_in > totals.bytes_out > 0  # (what a client sends is masked)
            assert (window.out_label.text(), window.in_label.text()) == shown(totals)
            assert window.rtt_label.text() == "2 clients connected"
            assert "all its clients" in window.in_label.toolTip()
            assert len(emitted) <= view.runner.batches + 2  # ticks, not frames

            # Another tab shows its own counters; back on the server's, its totals.
            window.new_session()
            assert window.rtt_label.text().startswith("RTT")
            assert window.in_label.text() == "↓ 0 frames · 0 B"
            window.tabs.setCurrentWidget(view)
            assert window.rtt_label.text() == "2 clients connected"
            await second.close()
            await until(
                lambda: window.rtt_label.text() == "1 client connected", what="one client left"
            )
        await until(lambda: window.rtt_label.text() == "0 clients connected", what="none left")
        await until(lambda: all(view.model.row(i).closed for i in range(2)), what="rows closed")
        await until(lambda: view.runner.totals().frames_in == sums().frames_in, what="last tick")
        before = view.runner.totals()
        assert before.frames_in == 62 and (before.frames_in, before.bytes_in) == (
            sums().frames_in,
            sums().bytes_in,
        )  # the two close frames too
        # Clearing the closed clients from the list does not take them out of the run.
        click(qtbot, by_name(view, QAbstractButton, "Clear closed clients"))
        assert view.model.rowCount() == 0
        view.runner.tick()
        assert view.runner.totals() == before
        assert (window.out_label.text(), window.in_label.text()) == shown(before)

    arun(scenario(), timeout=30)


def test_a_refusal_chosen_in_the_dialog(
    window: MainWindow, arun: Callable[..., Any], qtbot: Any, until: Callable[..., Any]
) -> None:
    async def scenario() -> None:
        window.servers.action.trigger()
        dialog = window.servers.dialog
        assert dialog is not None
        by_name(dialog, QLineEdit, "Listen address").setText("127.0.0.1:0")
        click(qtbot, by_name(dialog, QAbstractButton, "Reject the handshake"))
        by_name(dialog, QSpinBox, "Refusal status").setValue(451)
        by_name(dialog, QPlainTextEdit, "Refusal body").setPlainText("not here")
        by_name(dialog, QPlainTextEdit, "Response headers").setPlainText("X-Why: tests")
        click(qtbot, by_name(dialog, QAbstractButton, "Start server"))
        view = window.tabs.currentWidget()
        assert isinstance(view, ServerView)
        await until(lambda: view.running, what="the server listening")
        assert "rejects every handshake with 451" in view.answers_label.text()
        with pytest.raises(InvalidStatus) as caught:
            await connect(view.runner.url, open_timeout=5)
        response = caught.value.response
        assert (response.status_code, response.body) == (451, b"not here")
        assert response.headers["X-Why"] == "tests"
        await until(
            lambda: view.model.rowCount() == 1 and view.model.row(0).state == "refused 451",
            what="the refused row",
        )
        panel = window.servers.open_client(view, view.model.row(0).conn)
        assert panel is not None and panel.handshake.response is not None
        assert panel.handshake.response.start_line.startswith("HTTP/1.1 451")

    arun(scenario())


def test_a_bad_dialog_says_why_and_starts_nothing(
    window: MainWindow, arun: Callable[..., Any], qtbot: Any
) -> None:
    async def scenario() -> None:
        window.servers.action.trigger()
        dialog = window.servers.dialog
        assert dialog is not None
        start = by_name(dialog, QAbstractButton, "Start server")
        by_name(dialog, QLineEdit, "Listen address").setText("127.0.0.1:http")
        click(qtbot, start)
        assert dialog.isVisible() and "port" in dialog.problem_label.text()
        by_name(dialog, QLineEdit, "Listen address").setText("127.0.0.1:0")
        by_name(dialog, QPlainTextEdit, "Response headers").setPlainText("no colon here")
        click(qtbot, start)
        assert dialog.isVisible() and "header line 1" in dialog.problem_label.text()
        assert not window.servers.views()
        dialog.reject()

    arun(scenario())


def test_a_port_in_use_shows_in_the_tab(
    window: MainWindow, arun: Callable[..., Any], qtbot: Any, until: Callable[..., Any]
) -> None:
    async def scenario() -> None:
        first = await start_server(window, qtbot)
        await until(lambda: first.running, what="the first server")
        second = await start_server(
            window, qtbot, **{"Listen address": f"127.0.0.1:{first.runner.server.port}"}
        )
        assert second is not first
        await until(lambda: second.banner.isVisibleTo(second), what="the failure in the tab")
        assert "cannot listen" in second.banner.message
        assert not second.running and not second.stop_button.isEnabled()

    arun(scenario())


def test_manual_replies_wait_for_the_user(
    window: MainWindow, arun: Callable[..., Any], qtbot: Any, until: Callable[..., Any]
) -> None:
    async def scenario() -> None:
        window.servers.action.trigger()
        dialog = window.servers.dialog
        assert dialog is not None
        by_name(dialog, QLineEdit, "Listen address").setText("127.0.0.1:0")
        click(qtbot, by_name(dialog, QCheckBox, "Manual replies only"))
        click(qtbot, by_name(dialog, QAbstractButton, "Start server"))
        view = window.tabs.currentWidget()
        assert isinstance(view, ServerView)
        await until(lambda: view.running, what="the server listening")
        assert not by_name(view, QCheckBox, "Echo messages").isEnabled()
        async with connect(view.runner.url, ping_interval=None, compression=None) as ws:
            pong = asyncio.ensure_future(await ws.ping(b"hello?"))
            await ws.send("anyone")
            await until(lambda: view.model.rowCount() == 1, what="the client's row")
            await until(lambda: view.model.row(0).frames >= 2, what="its ping and message")
            panel = window.servers.open_client(view, 1)
            assert panel is not None
            send_from(qtbot, panel.compose, "a person answers")
            assert await asyncio.wait_for(ws.recv(), 5) == "a person answers"
            assert not pong.done()  # nothing answered the ping by itself
            compose = panel.compose
            compose.tabs.setCurrentIndex(compose.TAB_CONTROL)
            click(qtbot, by_name(compose, QRadioButton, "Pong"))
            by_name(compose, QLineEdit, "Ping or pong payload").setText("hello?")
            click(qtbot, by_name(compose, QAbstractButton, "Send"))
            await asyncio.wait_for(pong, 5)
            # Nor is a close answered by itself: the user closes from the client's tab.
            click(qtbot, by_name(panel.bar, QAbstractButton, "Disconnect"))
            await asyncio.wait_for(ws.wait_closed(), 5)
            assert ws.close_code == 1000

    arun(scenario())


def test_closing_a_client_tab_ends_that_client_as_the_server_would(
    window: MainWindow, arun: Callable[..., Any], qtbot: Any, until: Callable[..., Any]
) -> None:
    """The server goes on serving: the client is told a normal closure, not the
    1001 "going away" a stopping server (or a leaving client) sends."""

    async def scenario() -> None:
        view = await start_server(window, qtbot)
        await until(lambda: view.running, what="the server listening")
        async with connect(view.runner.url + "mine") as ws, connect(view.runner.url) as other:
            await until(lambda: view.model.rowCount() == 2, what="both clients' rows")
            panel = window.servers.open_client(view, 1)
            assert panel is not None
            window.close_tab(window.tabs.indexOf(panel), confirmed=True)
            await asyncio.wait_for(ws.wait_closed(), 5)
            assert (ws.close_code, ws.close_reason) == (1000, "closed by the server")
            await other.send("still served")
            assert await asyncio.wait_for(other.recv(), 5) == "still served"
            assert view.running

    arun(scenario())


def test_quitting_tells_a_client_with_an_open_tab_the_server_is_going_away(
    window: MainWindow, arun: Callable[..., Any], qtbot: Any, until: Callable[..., Any]
) -> None:
    """Closing one client's tab is a normal closure; quitting the application stops
    the server, and a client whose tab is open hears 1001 like every other one."""

    async def scenario() -> None:
        view = await start_server(window, qtbot)
        await until(lambda: view.running, what="the server listening")
        async with connect(view.runner.url + "mine") as ws:
            await until(lambda: view.model.rowCount() == 1, what="the client's row")
            assert window.servers.open_client(view, 1) is not None
            await asyncio.wait_for(window.aclose_all(2.0), 10)
            await asyncio.wait_for(ws.wait_closed(), 5)
            assert (ws.close_code, ws.close_reason) == (1001, "server shutting down")

    arun(scenario())


def test_a_client_tab_reads_the_handshake_from_the_servers_seat(
    window: MainWindow, arun: Callable[..., Any], qtbot: Any, until: Callable[..., Any]
) -> None:
    async def scenario() -> None:
        view = await start_server(window, qtbot)
        await until(lambda: view.running, what="the server listening")
        async with connect(view.runner.url + "seat") as ws:
            await until(lambda: view.model.rowCount() == 1, what="the client's row")
            panel = window.servers.open_client(view, 1)
            assert panel is not None
            pane = panel.handshake
            await until(lambda: pane.response is not None, what="both halves shown")
            assert pane.request is not None and pane.request.start_line.startswith("GET /seat")
            key = dict((n.lower(), v) for n, v in pane.request.headers)["sec-websocket-key"]
            assert ws.response is not None
            accept = ws.response.headers["Sec-WebSocket-Accept"]
            assert (row_label(pane, pane.key_label), pane.key_label.text()) == (
                "1. Key (received):",
                key,
            )
            assert (row_label(pane, pane.received_label), pane.received_label.text()) == (
                "5. Accept (sent):",
                accept,
            )
            assert pane.received_label.accessibleName() == "Sent accept value"
            result = pane.accept_result.text()
            assert "we computed the accept value from the client's key" in result
            assert "our key" not in result
        # A client's own tab keeps the client's words.
        mine = window.new_session()
        assert row_label(mine.handshake, mine.handshake.key_label) == "1. Key (sent):"
        assert row_label(mine.handshake, mine.handshake.received_label) == "5. Received:"

    arun(scenario())
