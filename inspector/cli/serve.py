"""``ws-inspector serve``: the built-in echo server, with a console of what happens.

The first line printed is the server's ``ws://`` URL (scripts read it to learn the
port); then, unless ``--quiet``, one line per request, frame, state change and
error, each prefixed with the connection's number. Runs until SIGINT or SIGTERM,
then closes every connection with a close frame; exit status 0 (1 when it cannot
listen).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..capture.events import (
    CaptureEvent,
    ConnectionState,
    Direction,
    ErrorCaptured,
    FramesCaptured,
    HandshakeCaptured,
    StateChanged,
)
from .automation import add_script_option, load_hooks
from .options import (
    UsageError,
    add_capture_budget,
    add_logging_options,
    add_pong_options,
    capture_budget,
    pong_options,
)
from .render import format_frame, peer_text

if TYPE_CHECKING:
    from ..engine.connection import Connection

__all__ = ["Console", "register", "run"]


def register(commands: Any) -> None:
    p = commands.add_parser(
        "serve",
        help="run the built-in echo server",
        description="Run the built-in echo server. It prints its ws:// URL first, then "
        "what happens on each connection, until Ctrl+C.",
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port")
    p.add_argument("--quiet", action="store_true", help="do not log frames")
    p.add_argument(
        "--strict",
        action="store_true",
        help="fail a connection on its first RFC 6455 violation, with the prescribed "
        "close code (default: record it and echo what can be echoed)",
    )
    add_capture_budget(p, what="each connection")
    add_pong_options(p)
    add_script_option(p)
    add_logging_options(p)
    p.set_defaults(run=run)


class Console:
    """The serve console: one line (or a few) per event, numbered by connection."""

    def __init__(self) -> None:
        self._ids: dict[int, int] = {}

    def lines(self, conn: Connection, event: CaptureEvent) -> list[str]:
        n = self._ids.setdefault(id(conn), len(self._ids) + 1)
        prefix = f"[{n}] "
        out: list[str] = []
        if isinstance(event, FramesCaptured):
            arrow = "-> " if event.dir is Direction.OUT else "<- "
            out.extend(prefix + format_frame(frame, arrow) for frame in event.frames)
        elif isinstance(event, HandshakeCaptured) and event.dir is Direction.IN:
            out.append(f"{prefix}<- {peer_text(event.start_line)}")
        elif isinstance(event, StateChanged):
            extra = (
                f" code={event.code} clean={event.clean}"
                if event.state is ConnectionState.CLOSED
                else ""
            )
            out.append(f"{prefix}** {event.state.value}{extra}")
        elif isinstance(event, ErrorCaptured):
            out.append(f"{prefix}!! {event.step}: {peer_text(event.message, 400)}")
        return out

    def __call__(self, conn: Connection, event: CaptureEvent) -> None:
        lines = self.lines(conn, event)
        if lines:
            print("\n".join(lines), flush=True)


def run(ns: argparse.Namespace) -> int:
    from ..engine.server import EchoServer

    console = None if ns.quiet else Console()
    try:
        hooks = load_hooks(ns, "serve")
        pongs = pong_options(ns)
    except UsageError as exc:
        print(f"ws-inspector serve: {exc}", file=sys.stderr)
        return 2
    on_event: Callable[[Connection, CaptureEvent], None] | None = console
    if hooks is not None:
        on_event = _both(console, hooks.server_listener())

    async def serve() -> int:
        server = EchoServer(
            ns.host,
            ns.port,
            on_event=on_event,
            strict=ns.strict,
            max_capture_bytes=capture_budget(ns),
            **pongs,
        )
        try:
            await server.start()
        except OSError as exc:
            print(
                f"ws-inspector serve: cannot listen on {ns.host}:{ns.port}: {exc.strerror or exc}",
                file=sys.stderr,
            )
            return 1
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        # The URL last: a script that read it may stop the server at once.
        print(server.url, flush=True)
        try:
            await stop.wait()
        finally:
            await server.close()
            if hooks is not None:
                await hooks.aclose()
        return 0

    return asyncio.run(serve())


def _both(
    console: Console | None, hooks: Callable[[Connection, CaptureEvent], None]
) -> Callable[[Connection, CaptureEvent], None]:
    """The console first (a hook's report follows the event it answers), then the hooks."""
    if console is None:
        return hooks

    def on_event(conn: Connection, event: CaptureEvent) -> None:
        console(conn, event)
        hooks(conn, event)

    return on_event
