"""Screenshots of the message library: the dock beside a connection to our echo
server, a few saved messages in folders, some sent; and the Save to library dialog.

    QT_QPA_PLATFORM=offscreen python docs/screenshot_library.py OUT_DIR
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from PySide6.QtCore import Qt
from shots import run_in_window

from inspector.capture.events import ConnectionState
from inspector.engine.server import EchoServer
from inspector.gui.library.window import DOCK_WIDTH
from inspector.gui.window.main_window import MainWindow
from inspector.library.items import FrameBits, ItemKind, LibraryItem

SAMPLES = [
    LibraryItem(
        "Login",
        ItemKind.JSON,
        text='{"op": "login", "id": "{{uuid}}", "token": "{{env:API_TOKEN}}"}',
        folder="Auth",
        view="json",
    ),
    LibraryItem("Logout", ItemKind.JSON, text='{"op": "logout"}', folder="Auth"),
    LibraryItem(
        "Say hello",
        ItemKind.TEXT,
        text='{"type": "chat", "n": {{counter}}, "at": "{{now}}"}',
        folder="Chat",
    ),
    LibraryItem(
        "Join lobby", ItemKind.TEXT, text='{"type": "join", "room": "lobby"}', folder="Chat/Rooms"
    ),
    LibraryItem(
        "Chat event",
        ItemKind.FORMAT,
        view="socket.io",
        fields=(("packet", "event"), ("event", "chat message"), ("args", '["hello #{{counter}}"]')),
        folder="Chat",
    ),
    LibraryItem("Keepalive", ItemKind.PING, text="keepalive"),
    LibraryItem(
        "MessagePack map",
        ItemKind.BINARY,
        data=bytes.fromhex("82a16101a162a3787978"),
        view="msgpack",
        folder="Binary",
    ),
    LibraryItem(
        "Reserved opcode 0x3",
        ItemKind.FRAME,
        text="?",
        bits=FrameBits(opcode=3),
        folder="Broken on purpose",
    ),
    LibraryItem("Going away", ItemKind.CLOSE, text="bye", close_code=1001),
]


async def shoot(window: MainWindow, out: Path) -> None:
    server = EchoServer("127.0.0.1", 0)
    await server.start()
    try:
        panel = window.current_panel()
        assert panel is not None
        panel.connect_to(server.url)
        for _ in range(200):
            if panel.controller.state is ConnectionState.OPEN:
                break
            await asyncio.sleep(0.02)
        lib = window.library
        stored = [lib.library.add(item) for item in SAMPLES]
        lib.panel.refresh()
        lib.show()
        for item in (stored[0], stored[2], stored[2], stored[3]):
            lib.panel.select(item.id)
            lib.panel.send_selected()
            await asyncio.sleep(0.05)
        lib.panel.select(stored[2].id)
        await asyncio.sleep(0.3)
        for w, h in ((1280, 800), (1024, 640)):
            window.resize(w, h)
            # The width the dock takes when first shown in a window of this size.
            width = min(DOCK_WIDTH, w * 3 // 10)
            window.resizeDocks([lib.dock], [width], Qt.Orientation.Horizontal)
            await asyncio.sleep(0.3)
            window.grab().save(str(out / f"library-{w}x{h}.png"))
        window.resize(1280, 800)
        panel.compose.text_edit.setPlainText(
            '{"type": "typing", "room": "lobby", "seq": {{counter}}}'
        )
        window.library.save_from(panel)
        await asyncio.sleep(0.3)
        dialog = lib.panel.dialog
        assert dialog is not None
        dialog.findChild(object, "libraryItemName").setText("Typing indicator")  # type: ignore[union-attr]
        dialog.findChild(object, "libraryItemFolder").setEditText("Chat/Rooms")  # type: ignore[union-attr]
        await asyncio.sleep(0.2)
        dialog.grab().save(str(out / "library-save-dialog.png"))
        dialog.close()
        await window.aclose_all(2.0)
    finally:
        await server.close()


if __name__ == "__main__":
    os.environ.setdefault("API_TOKEN", "demo-token")
    target = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    target.mkdir(parents=True, exist_ok=True)
    run_in_window(lambda w: shoot(w, target), 30)
