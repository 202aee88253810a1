"""What the session adapter's users share: step names in words, URL checks, the
server note, a task runner that reports failures, flood-time garbage collection, and
the status bar's numbers. No Qt here; the engine only for URL parsing."""

from __future__ import annotations

import gc
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, NamedTuple

from ...lazy import lazy_exports

if TYPE_CHECKING:
    # asyncio loads after the first paint, with the event loop (app.run_window): the
    # first screen makes no task; functions that do import it where they run.
    import asyncio

    from ...capture.events import ConnectionState, HandshakeCaptured
    from ...engine.options import parse_listen_address

__all__ = [
    "STEP_NAMES",
    "FloodGc",
    "SessionStats",
    "check_url",
    "parse_listen_address",
    "server_note",
    "spawn",
    "step_name",
]

# Re-exported for the dialogs, which load when first opened.
__getattr__ = lazy_exports(__name__, {"parse_listen_address": "...engine.options"})


#: Human names of the steps an :class:`ErrorCaptured` / ConnectError names.
STEP_NAMES = {
    "url": "URL",
    "dns": "DNS lookup",
    "tcp": "TCP connection",
    "tls": "TLS handshake",
    "handshake": "opening handshake",
    "timeout": "timeout",
    "read": "reading",
    "write": "writing",
    "close": "closing",
    "protocol": "protocol",
    "send": "sending",
    "connect": "connecting",
    "open": "opening the capture file",
    "reconnect": "reconnecting",
}


def step_name(step: str) -> str:
    return STEP_NAMES.get(step, step)


def check_url(url: str) -> str | None:
    """The reason ``url`` is not a usable WebSocket URL, or None when it is."""
    # The engine's options load with the first URL checked, not with the window.
    from ...engine.options import ConnectError, parse_url

    try:
        parse_url(url)
    except ConnectError as exc:
        return exc.message
    return None


def server_note(handshake: HandshakeCaptured) -> str | None:
    """What to tell about the server from its handshake response: our own echo
    server in observe mode is lenient on purpose (and ``serve --strict`` is not)."""
    if not handshake.start_line.startswith("HTTP/"):
        return None
    server = next((v for k, v in handshake.headers if k.lower() == "server"), None)
    # The probe package (and the server code it names) loads with the first handshake
    # answered, not with the window.
    from ...probe.results import lenient_server_note

    return lenient_server_note(server)


def spawn(coro: Coroutine[Any, Any, Any], what: str) -> asyncio.Task[Any]:
    """Run ``coro`` as a task whose failure goes to the loop's exception handler
    (which the application routes to the log and the window's status bar) at once,
    instead of "Task exception was never retrieved" at some later collection."""
    import asyncio

    task = asyncio.ensure_future(coro)

    def done(t: asyncio.Task[Any]) -> None:
        if t.cancelled():
            return
        exc = t.exception()
        if exc is not None:
            t.get_loop().call_exception_handler(
                {"message": f"{what} failed: {exc}", "exception": exc, "task": t}
            )

    task.add_done_callback(done)
    return task


class FloodGc:
    """No full garbage collection while any session is flooded.

    In a flood each socket read makes hundreds of short-lived objects (a message
    per frame); the young collections that run while they are alive promote some to
    the oldest generation, which sets off a full collection every ~250,000 frames.
    A full collection walks every live container, the store's payload list
    included: 25-50 ms, measured, a visible stall. While a flood lasts the oldest
    generation's threshold is raised (young collections still run); the thresholds
    are put back when the last flood ends and the next full collection, if one is
    due, runs then."""

    floods = 0
    saved: tuple[int, int, int] | None = None

    @classmethod
    def enter(cls) -> None:
        cls.floods += 1
        if cls.floods == 1:
            cls.saved = gc.get_threshold()
            young, middle, _ = cls.saved
            gc.set_threshold(young, middle, 1_000_000)

    @classmethod
    def leave(cls) -> None:
        cls.floods -= 1
        if cls.floods == 0 and cls.saved is not None:
            gc.set_threshold(*cls.saved)
            cls.saved = None


class SessionStats(NamedTuple):
    """What the status bar shows for one session, or for a server: the totals over
    its clients (then :attr:`clients` says how many are connected)."""

    frames_out: int = 0
    frames_in: int = 0
    bytes_out: int = 0  # wire bytes of frames (headers + payloads)
    bytes_in: int = 0
    rtt: float | None = None  # seconds, the last ping/pong round trip
    state: ConnectionState | None = None
    clients: int | None = None  # a server's open clients; None for one connection
