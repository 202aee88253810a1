"""Shared set-up for the GUI tests: offscreen Qt, and real capture stores.

``QT_QPA_PLATFORM`` must be set before anything imports Qt, hence at the very top.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import asyncio
import contextlib
import gc
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Iterator, Sequence
from typing import Any, TypeVar

import pytest
import qasync
from PySide6.QtCore import QCoreApplication, QEvent, QSettings

from inspector.capture.events import (
    Direction,
    FramesCaptured,
    MessageCaptured,
    SessionInfo,
    SessionRole,
)
from inspector.capture.store import CaptureStore
from inspector.protocol.connection import Protocol
from inspector.protocol.constants import Role
from inspector.protocol.events import Message
from inspector.protocol.frames import Frame, FrameBatch, FrameSpec, encode_frame

#: Timeouts in tests are multiplied by this (slow CI machines: set it to 3 or 5).
TIMEOUT_FACTOR = float(os.environ.get("WS_INSPECTOR_TIMEOUT_FACTOR", "1"))

MASK_KEY = bytes.fromhex("37fa213d")


class Capture:
    """A client-side session built from real frames: what the server sends is
    encoded with :func:`encode_frame`, parsed by a real :class:`Protocol` and put in
    the store the way the engine does (``FramesCaptured`` then ``MessageCaptured``);
    what we send goes through the same protocol's ``send_*`` methods."""

    def __init__(self, **protocol_options: object) -> None:
        self.store = CaptureStore(
            SessionInfo(
                url="ws://127.0.0.1:9/",
                role=SessionRole.CLIENT,
                started_at="2024-05-01T12:00:00+00:00",
                started_unix=1714564800.0,
            )
        )
        options: dict[str, object] = {"mask_key_source": lambda: MASK_KEY}
        options.update(protocol_options)
        self.protocol = Protocol(Role.CLIENT, **options)  # type: ignore[arg-type]
        self.t = 0.0

    def tick(self, dt: float = 0.001) -> float:
        self.t += dt
        return self.t

    # ------------------------------------------------------------- incoming
    def receive_bytes(self, data: bytes) -> None:
        self.protocol.receive_data(data)
        t = self.tick()
        for event in self.protocol.events_received():
            if isinstance(event, FrameBatch):
                self.store.add(FramesCaptured(t, Direction.IN, event))
            elif isinstance(event, Message):
                self.store.add(MessageCaptured(t, Direction.IN, event))
        self.flush()  # automatic pongs and close replies

    def receive(self, *specs: FrameSpec) -> None:
        """The server sends ``specs`` (in one read)."""
        data = b"".join(b"".join(encode_frame(s, Role.SERVER)) for s in specs)
        self.receive_bytes(data)

    # ------------------------------------------------------------- outgoing
    def flush(self) -> None:
        self.protocol.data_to_send()
        sent = self.protocol.events_sent()
        if not sent:
            return
        t = self.tick()
        frames = [e for e in sent if isinstance(e, Frame)]
        if frames:
            self.store.add(FramesCaptured(t, Direction.OUT, frames))
        for e in sent:
            if isinstance(e, Message):
                self.store.add(MessageCaptured(t, Direction.OUT, e))

    def send(self, action: Callable[[Protocol], object]) -> None:
        action(self.protocol)
        self.flush()

    def send_frames(self, specs: Iterable[FrameSpec]) -> None:
        for spec in specs:
            self.protocol.send_frame(spec)
        self.flush()


@pytest.fixture
def capture() -> Callable[..., Capture]:
    """A factory of :class:`Capture` sessions: ``capture()`` or ``capture(deflate=...)``."""
    return Capture


# --------------------------------------------------------------------------------------
# Live sessions: a qasync loop per test, isolated settings, real peers on loopback.
# --------------------------------------------------------------------------------------
T = TypeVar("T")

ORG_FOR_TESTS = "ws-inspector-tests"


def scaled(seconds: float) -> float:
    """A timeout scaled by ``WS_INSPECTOR_TIMEOUT_FACTOR``."""
    return seconds * TIMEOUT_FACTOR


@pytest.fixture(scope="session", autouse=True)
def _isolated_settings(qapp: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """QSettings of the tests live in a temporary directory, never the user's."""
    path = str(tmp_path_factory.mktemp("qsettings"))
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
            QSettings.setPath(fmt, scope, path)
    QCoreApplication.setOrganizationName(ORG_FOR_TESTS)
    QCoreApplication.setApplicationName(ORG_FOR_TESTS)
    # What exists now (modules, Qt's wrappers, the test session) lives to the end:
    # frozen, it is not walked by the collection after every GUI test, which stays
    # a matter of milliseconds.
    gc.freeze()
    yield


@pytest.fixture(autouse=True)
def _private_data(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Journals go to the test's own data folder, never the user's; a capture that
    was not saved is discarded without asking (a test of the question sets
    ``window.captures.policy = "ask"``). Yields the data folder."""
    data = tmp_path / "data"
    monkeypatch.setenv("WS_INSPECTOR_DATA_DIR", str(data))
    monkeypatch.setenv("WS_INSPECTOR_UNSAVED", "discard")
    yield data


@pytest.fixture(autouse=True)
def _fresh_settings(_isolated_settings: None) -> Iterator[None]:
    """Each test starts from empty settings (no URL history, default geometry)."""
    QSettings().clear()
    yield
    QSettings().clear()


@pytest.fixture(autouse=True)
def _qt_garbage_on_the_gui_thread() -> Iterator[None]:
    """Qt objects a GUI test leaves in reference cycles are freed at its end, on this
    thread. Left to chance, a later collection in some worker thread (a test's
    server thread, an executor) destroys them there and Qt crashes (SIGSEGV)."""
    yield
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()


@pytest.fixture
def loop(qapp: Any) -> Iterator[qasync.QEventLoop]:
    """A qasync loop on the test's QApplication. Errors that reach the loop's
    exception handler fail the test at teardown. Drive coroutines with
    ``loop.run_until_complete(asyncio.wait_for(coro, timeout))`` (or :func:`arun`);
    inside a coroutine await events or polls, never ``qtbot.waitSignal``."""
    from inspector.gui.gcpolicy import GuiThreadCollector

    ev_loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(ev_loop)
    collector = GuiThreadCollector()  # as the app does: no collection off the GUI thread
    collector.install()
    errors: list[dict[str, Any]] = []

    def handler(_loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        errors.append(context)

    ev_loop.set_exception_handler(handler)
    ev_loop.errors = errors  # type: ignore[attr-defined]
    try:
        yield ev_loop
    finally:
        pending = [t for t in asyncio.all_tasks(ev_loop) if not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            ev_loop.run_until_complete(asyncio.wait(pending, timeout=scaled(5)))
        ev_loop.run_until_complete(asyncio.sleep(0))
        collector.uninstall()
        ev_loop.close()
        asyncio.set_event_loop(None)
    if errors:
        described = "; ".join(f"{c.get('message')}: {c.get('exception')!r}" for c in errors)
        pytest.fail(f"errors reached the event loop's exception handler: {described}")


@pytest.fixture
def arun(loop: qasync.QEventLoop) -> Callable[..., Any]:
    """``arun(coro, timeout=10)``: run ``coro`` on the test loop, bounded."""

    def run(coro: Awaitable[T], timeout: float = 10.0) -> T:
        result: T = loop.run_until_complete(asyncio.wait_for(coro, scaled(timeout)))
        return result

    return run


async def wait_until(
    predicate: Callable[[], object], timeout: float = 5.0, what: str = "condition"
) -> None:
    """Poll ``predicate`` every 10 ms (the Qt loop keeps running) until it is true."""
    deadline = asyncio.get_running_loop().time() + scaled(timeout)
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {scaled(timeout):g} s waiting for {what}")
        await asyncio.sleep(0.01)


@pytest.fixture
def echo_server(loop: qasync.QEventLoop) -> Iterator[Any]:
    """Our own :class:`EchoServer` on 127.0.0.1, port chosen by the system."""
    from inspector.engine.server import EchoServer

    server = EchoServer("127.0.0.1", 0, subprotocols=("chat",))
    loop.run_until_complete(asyncio.wait_for(server.start(), scaled(5)))
    try:
        yield server
    finally:
        loop.run_until_complete(asyncio.wait_for(server.close(), scaled(10)))


@pytest.fixture
def ws_server(loop: qasync.QEventLoop) -> Iterator[str]:
    """An independent echo server (the websockets library); yields its URL."""
    from websockets.asyncio.server import ServerConnection, serve
    from websockets.typing import Subprotocol

    async def echo(ws: ServerConnection) -> None:
        async for message in ws:
            await ws.send(message)

    def select(_conn: ServerConnection, offered: Sequence[Subprotocol]) -> Subprotocol | None:
        return Subprotocol("chat") if "chat" in offered else None  # optional, unlike subprotocols=

    async def start() -> Any:
        return await serve(echo, "127.0.0.1", 0, select_subprotocol=select)

    server = loop.run_until_complete(asyncio.wait_for(start(), scaled(5)))
    port = next(iter(server.sockets)).getsockname()[1]
    try:
        yield f"ws://127.0.0.1:{port}/echo"
    finally:
        server.close()
        loop.run_until_complete(asyncio.wait_for(server.wait_closed(), scaled(10)))


@pytest.fixture
def shouting_server(loop: qasync.QEventLoop) -> Iterator[str]:
    """A websockets server that leaves "hello" unanswered and shouts the rest back
    (a peer that answers a replay differently); yields its URL."""
    from websockets.asyncio.server import ServerConnection, serve
    from websockets.exceptions import ConnectionClosed

    async def shout(ws: ServerConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for message in ws:
                if message != "hello":
                    await ws.send(message.upper() if isinstance(message, str) else message)

    async def start() -> Any:
        return await serve(shout, "127.0.0.1", 0)

    server = loop.run_until_complete(asyncio.wait_for(start(), scaled(5)))
    port = next(iter(server.sockets)).getsockname()[1]
    try:
        yield f"ws://127.0.0.1:{port}/"
    finally:
        server.close()
        loop.run_until_complete(asyncio.wait_for(server.wait_closed(), scaled(10)))


@pytest.fixture
def window(loop: qasync.QEventLoop, qtbot: Any) -> Iterator[Any]:
    """The real main window (not shown unless a test shows it); its connections are
    closed with a bounded wait at teardown."""
    from inspector.gui.window.main_window import MainWindow

    win = MainWindow()
    try:
        yield win
    finally:
        loop.run_until_complete(asyncio.wait_for(win.aclose_all(2.0), scaled(10)))
        win.close_now()
        win.deleteLater()


def run_coro(loop: qasync.QEventLoop, coro: Coroutine[Any, Any, T], timeout: float = 10) -> T:
    result: T = loop.run_until_complete(asyncio.wait_for(coro, scaled(timeout)))
    return result


@pytest.fixture
def until() -> Callable[..., Awaitable[None]]:
    """``await until(predicate, timeout=5, what="...")`` inside a test coroutine."""
    return wait_until


@pytest.fixture
def make_window(loop: qasync.QEventLoop, qtbot: Any) -> Iterator[Callable[[], Any]]:
    """More windows, each closed at teardown (the data folder is read when one opens)."""
    from inspector.gui.window.main_window import MainWindow

    made: list[MainWindow] = []

    def make() -> MainWindow:
        win = MainWindow()
        made.append(win)
        return win

    yield make
    for win in made:
        loop.run_until_complete(asyncio.wait_for(win.aclose_all(2.0), 10))
        win.close_now()
        win.deleteLater()


@pytest.fixture
def silent_server(loop: qasync.QEventLoop) -> Iterator[str]:
    """A peer that completes the opening handshake, then reads everything and never
    answers (not even a close frame); yields its URL."""
    from inspector.protocol.handshake.accept import compute_accept

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await reader.readuntil(b"\r\n\r\n")
        key = next(
            line.split(b":", 1)[1].strip().decode()
            for line in request.split(b"\r\n")
            if line.lower().startswith(b"sec-websocket-key:")
        )
        writer.write(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Accept: "
            + compute_accept(key).encode()
            + b"\r\n\r\n"
        )
        while await reader.read(65536):
            pass
        writer.close()

    server = loop.run_until_complete(
        asyncio.wait_for(asyncio.start_server(silent, "127.0.0.1", 0), scaled(5))
    )
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"ws://127.0.0.1:{port}/"
    finally:
        server.close()
        loop.run_until_complete(asyncio.wait_for(server.wait_closed(), scaled(10)))
