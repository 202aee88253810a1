"""Screenshots of the server's seat: File > New server…, three real clients (two
open, one closed) listed with their frames, at 1280x800 and 1024x640.

    QT_QPA_PLATFORM=offscreen python docs/screenshot_server.py OUT_DIR

``docs/screenshot-server.png`` is the 1280x800 one.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from PySide6.QtWidgets import QAbstractButton, QLineEdit, QWidget
from shots import run_in_window
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from inspector.gui.server import ServerView
from inspector.gui.window.main_window import MainWindow


def _named(root: QWidget, kind: type[QWidget], name: str) -> QWidget:
    found = [w for w in root.findChildren(kind) if w.accessibleName() == name]
    assert len(found) == 1, name
    return found[0]


async def _until(what: str, ok: object, seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if callable(ok) and ok():
            return
        await asyncio.sleep(0.02)
    raise TimeoutError(what)


async def shoot(window: MainWindow, out: Path) -> None:
    window.servers.action.trigger()
    dialog = window.servers.dialog
    assert dialog is not None
    fields = {"Listen address": "127.0.0.1:0", "Subprotocols to accept": "chat"}
    for name, text in fields.items():
        edit = _named(dialog, QLineEdit, name)
        assert isinstance(edit, QLineEdit)
        edit.setText(text)
    start = _named(dialog, QAbstractButton, "Start server")
    assert isinstance(start, QAbstractButton)
    start.click()
    view = window.tabs.currentWidget()
    assert isinstance(view, ServerView)
    await _until("the server listening", lambda: view.running)
    url = view.runner.url
    async with (
        connect(url + "chat?room=7", subprotocols=[Subprotocol("chat")]) as chat,
        connect(url + "feed") as feed,
    ):
        async with connect(url + "metrics") as metrics:
            await metrics.send('{"cpu": 0.42}')
            await metrics.recv()
        for text in ("hello", '{"type": "join", "room": 7}', "how is everyone?"):
            await chat.send(text)
            await chat.recv()
        await feed.send("subscribe ticks")
        await feed.recv()
        await _until("three clients listed", lambda: view.model.rowCount() == 3)
        await asyncio.sleep(0.4)  # a tick of the rows, then a paint
        for w, h in ((1280, 800), (1024, 640)):
            window.resize(w, h)
            await asyncio.sleep(0.3)
            window.grab().save(str(out / f"server-{w}x{h}.png"))


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    out.mkdir(parents=True, exist_ok=True)
    run_in_window(lambda window: shoot(window, out), 60)
    print(f"saved {out}/server-1280x800.png and server-1024x640.png")


if __name__ == "__main__":
    main()
