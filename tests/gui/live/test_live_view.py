"""What the proxy's and the server's tabs share (:class:`LiveView`), on our server's
tab with websockets clients on loopback: Enter on a row asks for that connection,
the status counts rows and open ones, Clear closed drops the ended, Stop stops."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from _gui_support import by_name
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QHeaderView, QLabel, QLineEdit
from websockets.asyncio.client import connect

from inspector.gui.live.view import LiveView
from inspector.gui.proxy.view import ProxyView
from inspector.gui.server.view import ServerView
from inspector.gui.session.proxy import ProxyOptions, ProxyRunner
from inspector.gui.session.server import ServerOptions, ServerRunner

pytestmark = pytest.mark.gui


def _views() -> list[LiveView]:
    proxy = ProxyRunner("127.0.0.1", 0, ProxyOptions(upstream="ws://127.0.0.1:9/", proxy=""))
    return [ProxyView(proxy), ServerView(ServerRunner("127.0.0.1", 0, ServerOptions()))]


def test_each_tab_names_the_shared_controls_from_its_seat(qtbot: Any) -> None:
    for view, (prefix, what, noun) in zip(
        _views(), [("proxy", "proxy", "connections"), ("server", "server", "clients")], strict=True
    ):
        qtbot.addWidget(view)
        found = {
            by_name(view, QAbstractButton, f"Clear closed {noun}").objectName(),
            by_name(view, QAbstractButton, f"Stop the {what}").objectName(),
            by_name(view, QAbstractButton, "Copy the listening URL").objectName(),
            by_name(view, QLineEdit, "Listening URL").objectName(),
            by_name(view, QLabel, f"{what.capitalize()} status").objectName(),
            by_name(view, QLabel, f"How to read the {what} tab").objectName(),
        }
        assert found == {
            f"{prefix}{n}" for n in ("ForgetClosed", "Stop", "CopyUrl", "Url", "Status", "Legend")
        }
        header = view.table.horizontalHeader()
        assert header.count() == len(view.WIDEST)
        # Fixed widths for the live columns, the third one stretches.
        assert header.sectionResizeMode(2) is QHeaderView.ResizeMode.Stretch
        assert header.sectionSize(0) < header.sectionSize(1)


def test_rows_status_clear_and_stop(
    loop: Any, arun: Callable[..., Any], qtbot: Any, until: Callable[..., Any]
) -> None:
    view = ServerView(ServerRunner("127.0.0.1", 0, ServerOptions()))
    qtbot.addWidget(view)
    asked: list[int] = []
    view.connectionActivated.connect(asked.append)
    assert by_name(view, QLineEdit, "Listening URL").objectName() == "serverUrl"
    stop = by_name(view, QAbstractButton, "Stop the server")
    assert not stop.isEnabled() and view.title.endswith("(stopped)")

    async def scenario() -> None:
        assert await view.start()
        assert stop.isEnabled() and not view.title.endswith("(stopped)")
        async with connect(view.runner.url + "first"):
            async with connect(view.runner.url + "second"):
                await until(lambda: view.model.rowCount() == 2, what="both rows")
                assert view.status_label.text() == "listening · 2 clients, 2 open"
            await until(lambda: view.open_count() == 1, what="the second gone")
            await until(lambda: view.model.row(1).closed, what="its row closed")
            view.table.setCurrentIndex(view.model.index(1, 0))
            qtbot.keyClick(view.table, Qt.Key.Key_Return)
            assert asked == [2] and view.selected_conn() == 2
            assert view.forget_closed() == [2]
            assert view.model.rowCount() == 1 and view.conn_id_at(0) == 1
            assert view.status_label.text() == "listening · 1 client, 1 open"
            task = view.stop()
            assert task is not None and view.status_label.text().startswith("Stopping")
            await task
        assert stop.text() == "Stopped" and view.title.endswith("(stopped)")

    arun(scenario(), 20)
