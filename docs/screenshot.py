"""Regenerate the screenshots in docs/ from a real session.

    python docs/screenshot.py            (offscreen unless QT_QPA_PLATFORM says otherwise)

Starts the demo echo server in this process, opens the window at its default size,
sends real traffic (text, JSON, binary, a fragmented message, ping/pong and a
deliberately malformed frame that the server answers), selects an interesting row
and saves ``screenshot-main.png`` and ``screenshot-handshake.png`` next to this file.
Settings and the data folder (live journals) go to temporary directories, so the
user's are not touched: no journal of this session is left to be offered for recovery,
and the user's journals do not show up in the pictures.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import asyncio
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from shots import run_in_window  # noqa: E402

from inspector.app import run_demo  # noqa: E402
from inspector.capture.events import Direction  # noqa: E402
from inspector.gui.window.main_window import MainWindow  # noqa: E402
from inspector.protocol.constants import Opcode  # noqa: E402
from inspector.protocol.frames import FrameSpec  # noqa: E402

ORDER = """{
  "type": "order",
  "id": 4711,
  "side": "buy",
  "symbol": "ETH-USD",
  "qty": 0.25,
  "limit": 3120.5,
  "flags": ["post-only"]
}"""


async def wait_for(predicate: object, timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():  # type: ignore[operator]
        if loop.time() > deadline:
            raise TimeoutError("the demo traffic did not arrive in time")
        await asyncio.sleep(0.02)


async def make_screenshots(window: MainWindow, out: Path) -> None:
    server = await run_demo(window, pause=0.05)
    try:
        panel = window.current_panel()
        assert panel is not None
        c = panel.controller
        compose = panel.compose
        compose.send_entry("text", "TEXT  order JSON", lambda: c.send_text(ORDER))
        await asyncio.sleep(0.05)
        compose.send_entry("ping", "PING  'rtt?'", lambda: c.send_ping(b"rtt?"))
        await asyncio.sleep(0.05)
        # A text frame that is not UTF-8: the server echoes the bytes back, and our
        # side flags the violation (RFC 6455 section 8.1) on the echoed frame.
        bad = FrameSpec(Opcode.TEXT, b"caf\xc3 au lait \xff\xfe", mask=True)
        compose.send_entry("frame", "FRAME  0x1 TEXT  invalid UTF-8", lambda: c.send_frames([bad]))
        store = c.store
        assert store is not None
        await wait_for(lambda: store.counters(Direction.IN).frames >= 10)
        await asyncio.sleep(0.3)  # a few drain ticks: timeline, status bar, RTT

        # Select the echoed malformed frame: the timeline marks it, the detail pane
        # names the rule it breaks and the RFC section.
        await wait_for(lambda: any(store.direction(r) is Direction.IN for r in store.violations))
        flagged = [r for r in sorted(store.violations) if store.direction(r) is Direction.IN]
        target = flagged[-1]
        panel.timeline.select_store_row(target)
        compose.tabs.setCurrentIndex(compose.TAB_FRAME)
        compose.frame.payload_edit.setPlainText("Hello")
        compose.tabs.setCurrentIndex(compose.TAB_TEXT)
        await asyncio.sleep(0.2)
        window.grab().save(str(out / "screenshot-main.png"))

        panel.side_tabs.setCurrentWidget(panel.handshake)
        await asyncio.sleep(0.1)
        window.grab().save(str(out / "screenshot-handshake.png"))

        compose.tabs.setCurrentIndex(compose.TAB_FRAME)
        compose.frame.rsv_checks[1].setChecked(True)
        compose.frame.length_form_combo.setCurrentIndex(2)
        panel.side_tabs.setCurrentWidget(panel.detail)
        await asyncio.sleep(0.1)
        if os.environ.get("WS_INSPECTOR_ALL_SHOTS"):
            window.grab().save(str(out / "screenshot-compose-frame.png"))
    finally:
        await window.aclose_all(2.0)
        await server.close()


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE
    run_in_window(lambda window: make_screenshots(window, out), 30)
    print(f"saved {out / 'screenshot-main.png'} and {out / 'screenshot-handshake.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
