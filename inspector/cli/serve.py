"""``ws-inspector serve``: the built-in echo server, with a console of what happens.

The first line printed is the server's ``ws://`` URL (scripts read it to learn the
port); then, unless ``--quiet``, one line per request, refusal, frame, state change
and error, each prefixed with the connection's number (frames and messages as
``capture`` prints them: a compressed or fragmented message also gets a line of its
own, and a payload an application view decodes its rendered text under its row).
Runs until SIGINT or SIGTERM, then closes every connection with a close frame; exit
status 0 (1 when it cannot listen, 2 for options that make no server).

To test a client, the handshake can be refused (``--reject STATUS``) or answered
late (``--delay-handshake S``), a subprotocol accepted (``--subprotocol NAME``),
echoing turned off (``--no-echo``) and a message sent first (``--on-connect TEXT``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
import weakref
from collections.abc import Callable
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from ..capture.events import (
    CaptureEvent,
    ConnectionState,
    Direction,
    ErrorCaptured,
    FramesCaptured,
    HandshakeCaptured,
    MessageCaptured,
    SessionRole,
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
from .render import ConnectionLines, PayloadRenderer, peer_text

if TYPE_CHECKING:
    from ..engine.connection import Connection
    from ..engine.server import ServerOptions

__all__ = ["Console", "register", "run", "server_options"]


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
    seat = p.add_argument_group("answering clients (to test a client)")
    seat.add_argument(
        "--reject",
        type=int,
        metavar="STATUS",
        help="refuse every opening handshake with this HTTP status (200-999), e.g. 403",
    )
    seat.add_argument(
        "--delay-handshake",
        type=float,
        default=0.0,
        metavar="S",
        help="wait S seconds before answering each opening handshake",
    )
    seat.add_argument(
        "--subprotocol",
        action="append",
        default=[],
        metavar="NAME",
        help="accept subprotocol NAME when a client offers it (repeatable; the "
        "client's order of preference wins)",
    )
    seat.add_argument(
        "--no-echo",
        action="store_true",
        help="do not send messages back (pings and close frames are still answered)",
    )
    seat.add_argument(
        "--on-connect",
        action="append",
        default=[],
        metavar="TEXT",
        help="send TEXT as a text message as soon as a connection opens (repeatable)",
    )
    add_capture_budget(p, what="each connection")
    add_pong_options(p)
    add_script_option(p)
    add_logging_options(p)
    p.set_defaults(run=run)


class Console:
    """The serve console: one line (or a few) per event, numbered by connection;
    frames and messages as ``capture`` prints them (:class:`ConnectionLines`)."""

    def __init__(self) -> None:
        # Weakly: a connection that is gone takes its lines with it (and its id()
        # cannot hand its number to a new one).
        self._conns: weakref.WeakKeyDictionary[Connection, tuple[str, ConnectionLines]] = (
            weakref.WeakKeyDictionary()
        )
        self._count = 0
        self._registry = PayloadRenderer().registry

    def lines(self, conn: Connection, event: CaptureEvent) -> list[str]:
        known = self._conns.get(conn)
        if known is None:  # each connection negotiates its own subprotocol
            self._count += 1
            renderer = PayloadRenderer(self._registry)
            known = self._conns[conn] = (
                f"[{self._count}] ",
                ConnectionLines(renderer, SessionRole.SERVER),
            )
        prefix, frames = known
        out: list[str] = []
        if isinstance(event, FramesCaptured):
            arrow = "-> " if event.dir is Direction.OUT else "<- "
            out.extend(frames.frames(event, prefix + arrow))
        elif isinstance(event, MessageCaptured):
            arrow = "-> " if event.dir is Direction.OUT else "<- "
            out.extend(frames.message(event, prefix + arrow))
        elif isinstance(event, HandshakeCaptured):
            frames.handshake(event)
            if event.dir is Direction.IN:
                out.append(f"{prefix}<- {peer_text(event.start_line)}")
            elif " 101 " not in event.start_line:
                out.append(f"{prefix}-> {peer_text(event.start_line)}")  # a refusal
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


def server_options(ns: argparse.Namespace) -> ServerOptions:
    """The server's answers and behaviour from the command line; raises UsageError
    naming the option that is wrong."""
    from ..engine.server import HandshakeAction, HandshakeDecision, ServerOptions

    def checked(option: str, **fields: Any) -> HandshakeDecision:
        try:
            return HandshakeDecision(**fields)
        except ValueError as exc:
            raise UsageError(f"{option}: {exc}") from None

    checked("--delay-handshake", delay=ns.delay_handshake)
    checked("--subprotocol", subprotocols=tuple(ns.subprotocol))
    if ns.reject is not None:
        checked("--reject", action=HandshakeAction.REJECT, status=ns.reject)
        try:
            phrase = HTTPStatus(ns.reject).phrase
        except ValueError:
            phrase = "refused"
        decision = HandshakeDecision(
            HandshakeAction.REJECT,
            status=ns.reject,
            body=f"{ns.reject} {phrase}: refused by ws-inspector serve --reject\n",
            delay=ns.delay_handshake,
        )
    else:
        decision = HandshakeDecision(subprotocols=tuple(ns.subprotocol), delay=ns.delay_handshake)
    return ServerOptions(
        decision, echo=not ns.no_echo, on_connect=tuple(ns.on_connect), strict=ns.strict
    )


def run(ns: argparse.Namespace) -> int:
    from ..engine.server import EchoServer

    console = None if ns.quiet else Console()
    try:
        hooks = load_hooks(ns, "serve")
        options = server_options(ns)
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
            options=options,
            on_event=on_event,
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
