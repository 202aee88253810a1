"""The proxy tab in forward mode, with a websockets client configured to use it as
its HTTP proxy: the CA it intercepts with is shown, an excluded host is listed as a
tunnel, the listening URL is copied."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from websockets.asyncio.client import connect

from inspector.gui.proxy.view import ProxyView
from inspector.gui.session.proxy import ProxyOptions, ProxyRunner

pytestmark = pytest.mark.gui


def test_forward_proxy_tab(
    loop: Any,
    arun: Callable[..., Any],
    ws_server: str,
    qtbot: Any,
    tmp_path: Path,
    until: Callable[..., Any],
) -> None:
    runner = ProxyRunner(
        "127.0.0.1",
        0,
        ProxyOptions(forward=True, proxy="", exclude=("localhost",), ca_dir=str(tmp_path / "ca")),
    )
    view = ProxyView(runner)
    qtbot.addWidget(view)
    port = ws_server.split(":")[2].split("/")[0]

    async def scenario() -> None:
        assert await view.start()
        proxy = runner.url.replace("ws://", "http://", 1)
        assert view.mode_label.text() == "Forward proxy"
        assert str(tmp_path / "ca" / "ws-inspector-ca.pem") in view.ca_label.text()
        assert "excluded hosts: localhost" in view.ca_label.text()
        async with connect(f"ws://127.0.0.1:{port}/seen", proxy=proxy) as ws:
            await ws.send("through")
            assert await ws.recv() == "through"
            async with connect(f"ws://localhost:{port}/hidden", proxy=proxy) as hidden:
                await hidden.send("tunnelled")
                assert await hidden.recv() == "tunnelled"
                await until(lambda: view.model.rowCount() == 2, what="both rows")
                await until(lambda: view.model.row(1).bytes > 0, what="the tunnel's bytes")
        await until(
            lambda: all(view.model.row(i).closed for i in range(2)), what="both rows closed"
        )
        seen, tunnel = view.model.row(0), view.model.row(1)
        assert seen.path == "/seen" and not seen.tunnel and seen.frames >= 4
        assert tunnel.tunnel and tunnel.path == f"localhost:{port}"
        assert view.model.index(1, 2).data().startswith("⇄ tunnel to localhost:")
        assert "2 connections, 0 open" in view.status_label.text()
        qtbot.mouseClick(view.forget_button, Qt.MouseButton.LeftButton)
        assert view.model.rowCount() == 0 and not runner.server.connections
        assert "0 connections" in view.status_label.text()
        view.copy_url()
        clipboard = QGuiApplication.clipboard()
        assert clipboard is not None and clipboard.text() == runner.url
        task = view.stop()
        assert task is not None
        await task
        assert view.stop_button.text() == "Stopped" and "(stopped)" in view.title
        assert view.stop() is None  # already stopped

    arun(scenario(), 20)
