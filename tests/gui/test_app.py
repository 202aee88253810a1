"""inspector/app.py: the window's startup says what it swallows, and routes Qt's
messages into logging only while it runs."""

from __future__ import annotations

import asyncio
import logging
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
