"""The proxy tab's controls driven by their accessible names, with a websockets client
and server through the proxy: a breakpoint holds a message, Edit changes it, Drop
drops one, the rules editor replaces text, Inject sends a frame to the client."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from _gui_support import by_name
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLineEdit, QPlainTextEdit, QPushButton, QWidget
from websockets.asyncio.client import connect

from inspector.gui.proxy.controls import DEFLATE_NOTE, parse_opcodes
from inspector.gui.proxy.specs import FrameForm, PayloadFormat, frame_spec, payload_text
from inspector.gui.proxy.view import ProxyView
from inspector.gui.session.proxy import ProxyOptions, ProxyRunner

pytestmark = pytest.mark.gui


def test_the_frame_form() -> None:
    assert frame_spec(FrameForm('{"a": 1}', PayloadFormat.JSON)).payload == b'{"a":1}'
    assert frame_spec(FrameForm("00 ff", PayloadFormat.HEX, opcode=2)).payload == b"\x00\xff"
    close = frame_spec(FrameForm("", opcode=8, close_code=4000, close_reason="bye"))
    assert close.payload == b"\x0f\xa0bye"
    spec = frame_spec(FrameForm("x", fin=False, rsv=(True, False, True)))
    assert (spec.fin, spec.rsv1, spec.rsv2, spec.rsv3) == (False, True, False, True)
    with pytest.raises(ValueError, match="not JSON"):
        frame_spec(FrameForm("{", PayloadFormat.JSON))
    assert payload_text(b'{"a":1}', 1) == ('{\n  "a": 1\n}', PayloadFormat.JSON)
    assert payload_text(b"\xff", 1)[1] is PayloadFormat.HEX
    assert parse_opcodes("text, 8") == {1, 8} and parse_opcodes("") == frozenset()
    with pytest.raises(ValueError, match="not an opcode"):
        parse_opcodes("shout")


def test_a_breakpoint_edit_drop_rules_and_inject_by_accessible_names(
    loop: Any,
    arun: Callable[..., Any],
    ws_server: str,
    qtbot: Any,
    tmp_path: Path,
    until: Callable[..., Any],
) -> None:
    runner = ProxyRunner("127.0.0.1", 0, ProxyOptions(upstream=ws_server, proxy=""))
    view = ProxyView(runner)
    qtbot.addWidget(view)
    view.resize(1280, 800)
    view.show()

    def click(name: str) -> None:
        qtbot.mouseClick(by_name(view, QPushButton, name), Qt.MouseButton.LeftButton)

    async def scenario() -> None:
        assert await view.start()
        assert by_name(view, QWidget, "About compression").property("text") == DEFLATE_NOTE
        by_name(view, QComboBox, "Breakpoint side").setCurrentIndex(1)  # client -> server
        by_name(view, QLineEdit, "Breakpoint regex").setText("^secret")
        click("Add breakpoint")
        assert runner.controls.breakpoints[0].describe() == "client, /^secret/"
        async with connect(runner.url, proxy=None) as ws:
            assert not ws.protocol.extensions  # a breakpoint is on: no permessage-deflate
            await ws.send("secret one")
            held = by_name(view, QWidget, "Held items")
            await until(lambda: view.controls.held.rowCount() == 1, what="the held row")
            assert held is view.controls.held
            cells = [view.controls.held.item(0, c) for c in (2, 4)]
            assert [c.text() if c else None for c in cells] == ["client → server", "secret one"]
            for size in ((1280, 800), (1024, 640)):
                view.resize(*size)
                assert view.grab().save(str(tmp_path / f"held-{size[0]}.png"))
            click("Edit")
            dialog = view.controls.dialog
            assert dialog is not None and dialog.isVisible()
            by_name(dialog, QPlainTextEdit, "Payload").setPlainText("edited one")
            qtbot.mouseClick(by_name(dialog, QPushButton, "Send edited"), Qt.MouseButton.LeftButton)
            assert await asyncio.wait_for(ws.recv(), 5) == "edited one"
            await until(lambda: view.controls.held.rowCount() == 0, what="the row gone")

            await ws.send("secret two")
            await until(lambda: view.controls.held.rowCount() == 1, what="held again")
            click("Drop")
            await ws.send("plain")
            assert await asyncio.wait_for(ws.recv(), 5) == "plain"  # two never came back

            view.controls.setCurrentIndex(1)
            by_name(view, QPlainTextEdit, "Rules").setPlainText("replace client:cat=>dog")
            click("Apply rules")
            assert "1 rule in force" in by_name(view, QWidget, "Rules status").property("text")
            await ws.send("cat")
            assert await asyncio.wait_for(ws.recv(), 5) == "dog"

            view.table.selectRow(0)
            click("Inject")
            dialog = view.controls.dialog
            assert dialog is not None
            by_name(dialog, QComboBox, "Send toward").setCurrentIndex(1)  # the client
            by_name(dialog, QPlainTextEdit, "Payload").setPlainText("from the proxy")
            qtbot.mouseClick(by_name(dialog, QPushButton, "Inject"), Qt.MouseButton.LeftButton)
            assert await asyncio.wait_for(ws.recv(), 5) == "from the proxy"
        task = view.stop()
        assert task is not None
        await task

    arun(scenario(), 30)
