"""Regenerate ``docs/screenshot-probe.png``: the "Check server" tab after a real run.

    python docs/screenshot_probe.py [OUT_DIR]   (offscreen unless QT_QPA_PLATFORM says otherwise)

Starts our echo server in this process in strict mode (a reference peer that fails
the connection on a violation), opens the window at its default size, runs the whole
battery from Tools > Check server and selects the first case graded non-strict.
Settings and the data folder go to temporary directories, so the user's are not touched.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import asyncio
import logging
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from shots import run_in_window  # noqa: E402

from inspector.engine.server import EchoServer  # noqa: E402
from inspector.gui.probe import ProbeView  # noqa: E402
from inspector.gui.window.main_window import MainWindow  # noqa: E402
from inspector.probe import Grade  # noqa: E402


async def make_screenshot(window: MainWindow, out: Path) -> Path:
    server = EchoServer("127.0.0.1", 0, strict=True)  # a reference peer: fails on violations
    await server.start()
    try:
        panel = window.current_panel()
        assert panel is not None
        panel.bar.set_url(server.url)
        view = window.check_server(panel)
        assert isinstance(view, ProbeView)
        task = view.run()
        assert task is not None
        await asyncio.wait_for(asyncio.shield(task), 60)
        # The first non-strict case in the table's order: its amber badge and the
        # expected vs observed words show what the grade means.
        shown = view.proxy.visible_results()
        case = next((r for r in shown if r.grade is Grade.NON_STRICT), shown[-1])
        view.select_case(case.id)
        await asyncio.sleep(0.2)
        path = out / "screenshot-probe.png"
        window.grab().save(str(path))
        return path
    finally:
        await window.aclose_all(2.0)
        await server.close()


def main() -> int:
    logging.getLogger("inspector").setLevel(logging.CRITICAL)
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE
    path = run_in_window(lambda window: make_screenshot(window, out), 90)
    print(f"saved {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
