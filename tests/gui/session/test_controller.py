"""The session controller (the one door between GUI and engine) and the application
entry point."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication

from inspector import app as app_module
from inspector.capture.events import ConnectionState, Direction, ErrorCaptured, StateChanged
from inspector.gui.session.controller import SessionController
from inspector.gui.session.support import SessionStats
from inspector.gui.window.main_window import MainWindow

pytestmark = pytest.mark.gui


class Recorder:
    """Counts every signal the controller emits."""

    def __init__(self, controller: SessionController) -> None:
        self.updates: list[int] = []
        self.states: list[StateChanged] = []
        self.handshakes: list[Any] = []
        self.errors: list[tuple[str, str, bool]] = []
        self.stats: list[SessionStats] = []
        self.stores: list[Any] = []
        controller.captureUpdated.connect(self.updates.append)
        controller.stateChanged.connect(self.states.append)
        controller.handshakeCaptured.connect(self.handshakes.append)
        controller.errorOccurred.connect(lambda *a: self.errors.append(a))
        controller.statsChanged.connect(self.stats.append)
        controller.storeChanged.connect(self.stores.append)

    @property
    def state(self) -> ConnectionState | None:
        return self.states[-1].state if self.states else None


@pytest.fixture
def controller(loop: Any) -> Iterator[SessionController]:
    c = SessionController()
    yield c
    loop.run_until_complete(asyncio.wait_for(c.aclose(2.0), 5))
    c.detach()


def test_a_flood_is_coalesced_into_few_ticks(
    controller: SessionController, echo_server: Any, arun: Any, until: Any
) -> None:
    rec = Recorder(controller)
    n = 5000

    async def scenario() -> None:
        controller.connect_to(echo_server.url)
        await until(lambda: rec.state is ConnectionState.OPEN, 5, "open")
        for i in range(n):
            assert controller.send_text(f"message {i}", compress=False)
            if i % 500 == 499:
                await asyncio.sleep(0)  # let the echoes flow while sending
        store = controller.store
        assert store is not None
        await until(lambda: store.counters(Direction.IN).frames >= n, 20, "all echoes")
        await until(lambda: rec.stats and rec.stats[-1].frames_in >= n, 2, "last tick")

    arun(scenario(), 40)
    frames = sum(rec.updates)
    assert frames == 2 * n
    # One refresh per ~40 ms tick, never one per frame or per message.
    assert len(rec.updates) < frames / 20, (len(rec.updates), frames)
    assert len(rec.stats) == len(rec.updates)
    assert [s.state for s in rec.states] == [ConnectionState.CONNECTING, ConnectionState.OPEN]
    assert len(rec.handshakes) == 2
    assert rec.errors == []
    assert rec.stats[-1].frames_out == n and rec.stats[-1].bytes_out > 10 * n
    assert rec.stats[-1].bytes_in > 0  # the echoes come compressed (context takeover)


def test_connect_failure_is_one_error_with_its_step(
    controller: SessionController, arun: Any, until: Any
) -> None:
    rec = Recorder(controller)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]

    async def scenario() -> None:
        task = controller.connect_to(f"ws://127.0.0.1:{port}/")
        await asyncio.wait_for(task, 5)
        await until(lambda: rec.state is ConnectionState.CLOSED, 2, "closed")

    arun(scenario(), 10)
    assert len(rec.stores) == 1
    assert [(step, fatal) for step, _, fatal in rec.errors] == [("tcp", True)]
    assert "refused" in rec.errors[0][1]
    store = controller.store
    assert store is rec.stores[0]
    assert any(isinstance(e, ErrorCaptured) for e in store.events)


def test_bad_url_through_the_controller(
    controller: SessionController, arun: Any, until: Any
) -> None:
    rec = Recorder(controller)

    async def scenario() -> None:
        await asyncio.wait_for(controller.connect_to("wss://"), 5)
        await until(lambda: rec.errors, 2, "the error")

    arun(scenario(), 10)
    assert rec.errors[0][0] == "url"


def test_sending_while_not_connected_reports_instead_of_raising(
    controller: SessionController,
) -> None:
    rec = Recorder(controller)
    assert not controller.send_text("x")
    assert not controller.send_ping(b"")
    assert not controller.send_frames([])
    assert [e[0] for e in rec.errors] == ["send"] * 3
    assert all(fatal is False for *_, fatal in rec.errors)
    assert "not connected" in rec.errors[0][1]


def test_cancel_while_connecting(
    controller: SessionController, loop: Any, arun: Any, until: Any
) -> None:
    rec = Recorder(controller)
    held: list[asyncio.StreamWriter] = []

    async def silent(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)  # accept TCP, never answer the handshake

    server = arun(asyncio.start_server(silent, "127.0.0.1", 0), 5)
    port = server.sockets[0].getsockname()[1]

    async def scenario() -> None:
        task = controller.connect_to(f"ws://127.0.0.1:{port}/")
        await until(lambda: held, 3, "the TCP connection")
        assert controller.busy
        controller.close_connection()  # the button reads "Cancel" now
        with pytest.raises(asyncio.CancelledError):
            await task
        await until(lambda: rec.state is ConnectionState.CLOSED, 2, "closed")

    try:
        arun(scenario(), 10)
    finally:
        for w in held:
            w.close()
        server.close()
        arun(server.wait_closed(), 5)
    assert not controller.busy


def test_aclose_sends_going_away(
    controller: SessionController, echo_server: Any, arun: Any, until: Any
) -> None:
    rec = Recorder(controller)

    async def scenario() -> None:
        controller.connect_to(echo_server.url)
        await until(lambda: rec.state is ConnectionState.OPEN, 5, "open")
        await controller.aclose(2.0)
        await until(lambda: rec.state is ConnectionState.CLOSED, 2, "closed")

    arun(scenario(), 10)
    assert rec.states[-1].code == 1001
    assert rec.states[-1].clean


def test_reconnecting_starts_a_new_store(
    controller: SessionController, echo_server: Any, arun: Any, until: Any
) -> None:
    rec = Recorder(controller)

    async def scenario() -> None:
        controller.connect_to(echo_server.url)
        await until(lambda: rec.state is ConnectionState.OPEN, 5, "open")
        controller.send_text("first")
        first = rec.stores[0]
        controller.connect_to(echo_server.url)  # drops the first connection
        assert len(rec.stores) == 2
        await until(lambda: controller.is_open, 5, "open again")
        await until(
            lambda: first.state is not None and first.state.state is ConnectionState.CLOSED,
            2,
            "the first one closed",
        )
        await until(lambda: len(rec.handshakes) == 4, 2, "the second handshake shown")

    arun(scenario(), 10)
    assert rec.stores[0] is not rec.stores[1]
    assert rec.stores[0].counters(Direction.OUT).frames == 1
    assert controller.store is rec.stores[1]


# ------------------------------------------------------------------ the app
def _run_main(argv: list[str], **kwargs: Any) -> int:
    """Run ``app.main`` with the test's QApplication (no ``loop`` fixture: main makes
    its own qasync loop and removes it when it returns)."""
    sigint = signal.getsignal(signal.SIGINT)
    code = app_module.main(argv, **kwargs)
    assert signal.getsignal(signal.SIGINT) is sigint  # the previous handler is back
    with pytest.raises(RuntimeError):
        asyncio.get_event_loop_policy().get_event_loop()  # main left no loop behind
    return code


@pytest.fixture
def no_loop_left(qapp: Any) -> Iterator[None]:
    yield
    asyncio.set_event_loop(None)


def test_main_demo_reuses_the_application_and_quits_by_itself(
    qapp: Any, monkeypatch: pytest.MonkeyPatch, no_loop_left: None
) -> None:
    monkeypatch.setenv(app_module.QUIT_AFTER_ENV, "1500")
    seen: dict[str, Any] = {}

    def ready(window: MainWindow) -> None:
        panel = window.current_panel()
        assert panel is not None
        seen["app"] = QApplication.instance()
        seen["panel"] = panel
        seen["history"] = panel.compose.history.list.count()
        seen["open"] = panel.controller.is_open

    code = _run_main(["--demo"], on_ready=ready)
    assert code == 0
    assert seen["app"] is qapp
    assert QApplication.instance() is qapp
    assert seen["open"] is True
    assert seen["history"] == 5  # text, JSON, binary, fragments, ping


def test_main_connects_to_a_url_routes_errors_and_quits_on_ctrl_c(
    qapp: Any, no_loop_left: None
) -> None:
    from websockets.sync.server import serve

    def echo(ws: Any) -> None:
        for message in ws:
            ws.send(message)

    with serve(echo, "127.0.0.1", 0) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        port = server.socket.getsockname()[1]
        seen: dict[str, Any] = {}

        async def ready(window: MainWindow) -> None:
            panel = window.current_panel()
            assert panel is not None
            loop = asyncio.get_running_loop()
            for _ in range(300):
                if panel.controller.is_open:
                    break
                await asyncio.sleep(0.01)
            seen["open"] = panel.controller.is_open
            # An exception in a plain loop callback ends up in the status bar.
            loop.call_soon(lambda: 1 / 0)
            await asyncio.sleep(0.05)
            seen["error"] = window.error_label.text()
            # Ctrl+C in the terminal quits (closing the connection first).
            seen["store"] = panel.controller.store
            seen["interrupted"] = time.monotonic()
            os.kill(os.getpid(), signal.SIGINT)

        code = _run_main([f"ws://127.0.0.1:{port}/"], on_ready=ready, quit_after_ms=10_000)
        quit_after = time.monotonic() - seen["interrupted"]
        server.shutdown()
        thread.join(5)
    assert code == 0
    assert seen["open"] is True
    assert "ZeroDivisionError" in seen["error"]
    # It was Ctrl+C that quit, not the 10 s fallback, and it closed with "going away".
    assert quit_after < 5, quit_after
    state = seen["store"].state
    assert state is not None and state.state is ConnectionState.CLOSED
    assert state.code == 1001 and state.clean


def test_a_rejected_certificate_is_kept_for_its_error_only(
    controller: SessionController, arun: Any, tmp_path: Any
) -> None:
    """The certificate of a failed wss:// attempt is there when its error is shown,
    and gone for the next attempt or a capture file shown in the same tab."""
    import ssl

    trustme = pytest.importorskip("trustme")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    trustme.CA().issue_cert("127.0.0.1").configure_cert(context)

    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    async def scenario() -> None:
        server = await asyncio.start_server(hang_up, "127.0.0.1", 0, ssl=context)
        port = server.sockets[0].getsockname()[1]
        try:
            await asyncio.wait_for(controller.connect_to(f"wss://127.0.0.1:{port}/"), 5)
        finally:
            server.close()

    arun(scenario(), 10)
    cert = controller.rejected_certificate
    assert cert is not None and cert.sans == ("IP:127.0.0.1",)
    store = controller.store
    assert store is not None
    controller.show_store(store)
    assert controller.rejected_certificate is None
