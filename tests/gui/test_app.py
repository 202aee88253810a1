"""inspector/app.py: the window's startup says what it swallows, and routes Qt's
messages into logging only while it runs."""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import Any

import pytest
from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler

from inspector import app
from inspector.gui.qtlog import qt_message_to_log
from inspector.gui.window.main_window import MainWindow


@pytest.fixture
def no_loop_left(qapp: Any) -> Any:
    yield
    asyncio.set_event_loop(None)


def test_a_failure_while_quitting_is_logged_and_quitting_goes_on(
    qapp: Any, caplog: pytest.LogCaptureFixture, no_loop_left: None
) -> None:
    seen: list[Any] = []

    def keep(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
        seen.append(message)

    async def failing_close(timeout: float = 2.0) -> None:
        raise RuntimeError("the connections would not close")

    def ready(window: MainWindow) -> None:
        # Qt's messages go to our handler while the window runs.
        seen.append(qInstallMessageHandler(qt_message_to_log))
        window.aclose_all = failing_close  # type: ignore[method-assign]
        assert window.quit_handler is not None
        window.quit_handler()

    qInstallMessageHandler(keep)
    try:
        with caplog.at_level(logging.WARNING, logger="inspector.app"):
            code = app.run_window(on_ready=ready, quit_after_ms=10_000)
    finally:
        restored = qInstallMessageHandler(None)
    assert code == 0
    assert seen[0] is qt_message_to_log
    assert restored is keep  # the handler from before is back
    (record,) = [r for r in caplog.records if r.name == "inspector.app"]
    assert record.levelno == logging.WARNING
    assert record.getMessage() == "closing the connections on quit failed"
    assert record.exc_info is not None and "would not close" in str(record.exc_info[1])


def test_the_window_offers_journals_left_by_an_earlier_run(
    qapp: Any, capture: Any, _private_data: Any, no_loop_left: None
) -> None:
    # The command looks for journals after the first paint, not while building.
    from inspector.capture.formats.journal import JournalWriter
    from inspector.protocol.constants import Opcode
    from inspector.protocol.frames import FrameSpec

    cap = capture()
    cap.receive(FrameSpec(Opcode.TEXT, b"before the crash"))
    writer = JournalWriter.create(_private_data / "journal", cap.store.session)
    writer.replay(cap.store)
    writer.flush()
    writer.abandon()  # no end line: the process was killed
    seen: list[tuple[bool, str]] = []

    def ready(window: MainWindow) -> None:
        banner = window.captures.banner
        seen.append((banner.isHidden(), banner.label.text()))
        assert window.quit_handler is not None
        window.quit_handler()

    assert app.run_window(on_ready=ready, quit_after_ms=10_000) == 0
    ((hidden, text),) = seen
    assert not hidden and "did not finish" in text
    assert writer.path.exists()  # offered, not recovered nor discarded


def test_main_parses_with_the_commands_parser(
    qapp: Any, monkeypatch: pytest.MonkeyPatch, no_loop_left: None
) -> None:
    calls: list[tuple[Any, ...]] = []

    def run_window(*args: Any, **kwargs: Any) -> int:
        calls.append((args, kwargs))
        return 0

    monkeypatch.setattr(app, "run_window", run_window)
    assert app.main(["ws://127.0.0.1:9/", "--log-level", "info"], quit_after_ms=5) == 0
    assert calls == [
        (("ws://127.0.0.1:9/",), {"demo": False, "quit_after_ms": 5, "on_ready": None})
    ]


_HEAP_CHILD = r"""
import ctypes, json, sys

class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost"
    ).split()]

libc = ctypes.CDLL(None)
libc.mallinfo2.restype = MallInfo2
if sys.argv[1] == "fixed":
    from inspector.app import fix_mmap_threshold
    assert fix_mmap_threshold()
from inspector.capture.events import Direction, FramesCaptured, SessionInfo
from inspector.capture.store import CaptureStore
from inspector.protocol.constants import Role
from inspector.protocol.parser import FrameParser

# A server's flood of small text frames, parsed from 16 KiB reads into a store.
frames = b"".join(b"\x81\x20" + b"%032d" % i for i in range(600_000))
reads = [frames[i : i + 16384] for i in range(0, len(frames), 16384)]
del frames
store = CaptureStore(SessionInfo("ws://127.0.0.1:9/", "client", "", 0.0))
parser = FrameParser(Role.SERVER)
for i, data in enumerate(reads):
    store.add(FramesCaptured(i * 1e-3, Direction.IN, parser.feed(data)))
assert len(store) == 600_000
info = libc.mallinfo2()
print(json.dumps({"frames": len(store), "free_in_heap": info.fordblks}))
"""


def _heap_after_growth(mode: str) -> dict[str, int]:
    import json
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", _HEAP_CHILD, mode],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result: dict[str, int] = json.loads(out.stdout)
    return result


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_growing_columns_leave_no_holes_in_the_heap_once_the_threshold_is_fixed() -> None:
    default = _heap_after_growth("default")
    fixed = _heap_after_growth("fixed")
    assert default["frames"] == fixed["frames"]
    # Without the fixed threshold the columns' old buffers, left behind by each
    # realloc that moved one, stay in the heap, free but resident (~36 B a frame
    # here); with it they are mapped and grow by mremap (~7 B a frame left: small
    # blocks).
    assert default["free_in_heap"] > 20 * default["frames"]
    assert fixed["free_in_heap"] < default["free_in_heap"] // 4
