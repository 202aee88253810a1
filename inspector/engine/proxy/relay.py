"""The relay between the two legs of a proxied connection, once the 101 is through.

Every chunk read from one side is written to the other at once, then shown to the
connection's passive parsers. A side that vanishes without a close frame is closed on
the other side in WebSocket terms: 1001 (going away) to the server when the client
went, 1011 (the server's stream ended) or 1014 (its connection failed) to the client
when the server went; never in the middle of a frame the vanished side left unfinished.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Callable

from ...capture.events import Direction, ErrorStep
from ...protocol.constants import CloseCode, Opcode, Role
from ...protocol.frames import FrameSpec, encode_frame
from .controls import Controls
from .intercept import Interceptor
from .legs import Leg
from .session import ProxiedConnection

__all__ = ["close_frame", "relay"]


def close_frame(code: int, reason: str, sender: Role) -> bytes:
    """A close frame of ours, as ``sender`` sends it (masked from a client)."""
    payload = code.to_bytes(2, "big") + reason.encode()
    header, wire = encode_frame(FrameSpec(Opcode.CLOSE, payload), sender)
    return header + wire


def _frame_by_frame(conn: ProxiedConnection) -> Callable[[Direction, bytes], None]:
    """``conn.observe``, with a read that ends a large frame and goes on past it shown
    to the parser in two parts: the frame's end fills its buffer (which the payload
    is taken from), the rest is parsed on its own. In one part, the parser would copy
    the whole frame once more to join it to the rest (a 1 MiB message pipelined
    behind another ends inside nearly every read)."""
    observe = conn.observe
    parser = conn.parser

    def observe_frames(side: Direction, data: bytes) -> None:
        proto = parser(side)
        room = proto.receive_buffer() if proto is not None else None
        if room is None:
            observe(side, data)
            return
        rest = len(room)
        room.release()
        if rest >= len(data):
            observe(side, data)
            return
        view = memoryview(data)
        observe(side, view[:rest])
        observe(side, view[rest:])

    return observe_frames


def relay(
    conn: ProxiedConnection,
    client: Leg,
    upstream: Leg,
    *,
    close_timeout: float,
    done: Callable[[], None],
    controls: Controls | None = None,
) -> None:
    """From now on every byte is forwarded as it arrives, then recorded; ``done`` is
    called once both legs are gone and the connection's end is published. With
    ``controls``, a direction whose pipe is engaged goes through the interception
    pipeline (:mod:`.intercept`) instead."""
    client.peer = upstream
    upstream.peer = client
    conn.legs = (client, upstream)
    for sock_leg in (client, upstream):
        transport = sock_leg.transport
        sock = transport.get_extra_info("socket") if transport is not None else None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    observe = _frame_by_frame(conn)
    up_write = upstream.transport.write if upstream.transport else None
    cl_write = client.transport.write if client.transport else None
    assert up_write is not None and cl_write is not None

    icpt = (
        Interceptor(conn, controls, client, upstream)
        if controls is not None and not conn.tunnel
        else None
    )
    conn.interceptor = icpt
    # The fast path costs one attribute read per socket read when nothing is on.
    out_pipe, in_pipe = icpt.pipes if icpt is not None else (None, None)

    def from_client(data: bytes) -> None:
        if out_pipe is not None and out_pipe.engaged:
            out_pipe.feed(data)
            return
        if not upstream.gone:
            up_write(data)
        observe(Direction.OUT, data)

    def from_server(data: bytes) -> None:
        if in_pipe is not None and in_pipe.engaged:
            in_pipe.feed(data)
            return
        if not client.gone:
            cl_write(data)
        observe(Direction.IN, data)

    ended = [0]
    loop = asyncio.get_running_loop()

    def both_gone() -> None:
        ended[0] += 1
        if ended[0] == 2:
            if icpt is not None:
                icpt.finished()
            conn.finish()
            conn.legs = None
            done()

    def client_gone(exc: Exception | None) -> None:
        if icpt is not None:
            icpt.ended(Direction.OUT)
        conn.ended(Direction.OUT)
        client_close, _ = conn.close_frames()
        if upstream.open and conn.is_open and not conn.tunnel and client_close is None:
            if not conn.mid_frame(Direction.OUT):
                upstream.write(
                    close_frame(CloseCode.GOING_AWAY, "the client went away", Role.CLIENT)
                )
            conn.record_error(
                ErrorStep.READ,
                "the client's connection ended without a close frame"
                + (f" ({exc})" if exc else "")
                + "; the server was sent 1001 (going away)",
                fatal=False,
            )
            loop.call_later(close_timeout, upstream.close)
        else:
            upstream.close()
        both_gone()

    def upstream_gone(exc: Exception | None) -> None:
        if icpt is not None:
            icpt.ended(Direction.IN)
        conn.ended(Direction.IN)
        _, server_close = conn.close_frames()
        if client.open and conn.is_open and not conn.tunnel and server_close is None:
            code = CloseCode.BAD_GATEWAY if exc is not None else CloseCode.INTERNAL_ERROR
            if not conn.mid_frame(Direction.IN):
                client.write(close_frame(code, "the server went away", Role.SERVER))
            conn.record_error(
                ErrorStep.READ,
                "the server's connection ended without a close frame"
                + (f" ({exc})" if exc else "")
                + f"; the client was sent {int(code)}",
                fatal=False,
            )
        client.close()
        both_gone()

    client.relay(from_client, client_gone)
    upstream.relay(from_server, upstream_gone)
