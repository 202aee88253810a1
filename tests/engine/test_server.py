"""Our EchoServer as a server: echoing, negotiation, refusals, timeouts, shutdown, the
events it reports, and that it leaves nothing open, also when closed mid-accept."""

from __future__ import annotations

import asyncio
import contextlib
import socket

import pytest
from websockets.typing import Subprotocol

from inspector.capture.events import (
    CaptureEvent,
    ConnectionState,
    Direction,
    ErrorCaptured,
    FramesCaptured,
    HandshakeCaptured,
    MessageCaptured,
    StateChanged,
    ViolationCaptured,
)
from inspector.engine.client import connect
from inspector.engine.connection import Connection
from inspector.engine.options import ConnectError, ConnectOptions
from inspector.engine.server import EchoServer, HandshakeAction, HandshakeDecision, ServerOptions
from inspector.protocol.constants import Opcode, Role
from inspector.protocol.frames import FrameSpec, encode_frame
from inspector.protocol.handshake import HandshakeRequest
from inspector.protocol.violations import Rule

from ._engine_support import (
    connected,
    eventually,
    finish,
    run_async,
    store_frames,
)


class Events:
    """on_event for EchoServer: every (connection, event) pair."""

    def __init__(self) -> None:
        self.pairs: list[tuple[Connection, CaptureEvent]] = []

    def __call__(self, conn: Connection, event: CaptureEvent) -> None:
        self.pairs.append((conn, event))

    def of(self, kind: type) -> list:  # type: ignore[type-arg]
        return [e for _, e in self.pairs if isinstance(e, kind)]


def opts(**kwargs: object) -> ConnectOptions:
    return ConnectOptions(open_timeout=5, close_timeout=2, **kwargs)  # type: ignore[arg-type]


async def raw_exchange(port: int, data: bytes, timeout: float = 3.0) -> bytes:
    """Send ``data`` on a raw TCP connection; return everything until the server closes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        await writer.drain()
        return await asyncio.wait_for(reader.read(), timeout)
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


def test_echo_keeps_fragmentation_and_compression() -> None:
    async def main() -> None:
        async with (
            EchoServer(keep_captures=True) as server,
            connected(server.url, opts()) as (conn, rec),
        ):
            conn.send_text("abcdefghij" * 10, fragments=4)
            conn.send_binary(b"\x00" * 1000, compress=False)
            await eventually(lambda: len(rec.messages()) == 2, what="two echoes")
            text, binary = rec.messages()
            assert text.fragments == 4 and text.compressed
            assert text.text == "abcdefghij" * 10
            assert binary.data == b"\x00" * 1000
            echoed = [f.opcode for f in store_frames(conn, Direction.IN)]
            assert echoed[:4] == [Opcode.TEXT, Opcode.CONT, Opcode.CONT, Opcode.CONT]
            (server_conn,) = server.connections
            assert server_conn.store is not None and len(server_conn.store) >= 5
            assert server.open_connections == 1
            await conn.close()
            await eventually(lambda: not server.connections, what="the server to forget it")
            assert server.accepted == 1 and server.open_connections == 0
            assert rec.errors() == []

    run_async(main)


def test_subprotocol_and_no_deflate() -> None:
    async def main() -> None:
        async with (
            EchoServer(deflate=False, subprotocols=("b", "a")) as server,
            connected(server.url, opts(subprotocols=("a", "b"))) as (conn, rec),
        ):
            response = rec.handshake(Direction.IN)
            # The client's order of preference wins among those the server supports.
            assert response.subprotocol == "a"
            assert response.extensions is None
            await conn.close()

    run_async(main)


def test_many_clients_at_once() -> None:
    async def main() -> None:
        async with EchoServer() as server:

            async def one(i: int) -> str | None:
                async with connected(server.url, opts(deflate=i % 2 == 0)) as (conn, rec):
                    conn.send_text(f"client {i}")
                    await eventually(lambda: rec.messages(), what="the echo")
                    await conn.close()
                    text: str | None = rec.messages()[0].text
                    return text

            results = await asyncio.gather(*(one(i) for i in range(50)))
            assert results == [f"client {i}" for i in range(50)]
            assert server.accepted == 50
            # keep_captures is off by default: a thousand connections cost little.
            await eventually(lambda: not server.connections, what="all connections to end")

    run_async(main)


@pytest.mark.parametrize(
    ("request_bytes", "status", "words"),
    [
        (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", b"426", b"no Upgrade"),
        (
            b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n",
            b"426",
            b"Sec-WebSocket-Version: 13",
        ),
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(40), b"400", b""),
    ],
    ids=["no-upgrade", "version-8", "tls-client-hello"],
)
def test_bad_handshakes_are_refused(request_bytes: bytes, status: bytes, words: bytes) -> None:
    events = Events()

    async def main() -> None:
        async with EchoServer(on_event=events) as server:
            answer = await raw_exchange(server.port, request_bytes)
            assert answer.startswith(b"HTTP/1.1 " + status)
            assert words in answer
            await eventually(lambda: events.of(StateChanged), what="the connection to end")
        (error,) = events.of(ErrorCaptured)
        assert error.step == "handshake" and error.message
        received, sent = events.of(HandshakeCaptured)
        assert received.dir is Direction.IN and received.problems
        assert sent.dir is Direction.OUT and sent.start_line.startswith(
            "HTTP/1.1 " + status.decode()
        )
        (closed,) = events.of(StateChanged)
        assert closed.state is ConnectionState.CLOSED and closed.clean is False

    run_async(main)


def test_handshake_timeout() -> None:
    events = Events()

    async def main() -> None:
        async with EchoServer(on_event=events, handshake_timeout=0.2) as server:
            answer = await raw_exchange(server.port, b"GET / HTTP/1.1\r\n")
            assert answer == b""
        (error,) = events.of(ErrorCaptured)
        assert error.step == "timeout"
        assert "no complete handshake in time" in error.message

    run_async(main)


def test_a_client_that_stops_reading_does_not_keep_its_connection() -> None:
    # After the closing handshake the server closes TCP, which waits for what it has
    # written to be read; a client that never reads must not hold the connection (and
    # the megabytes queued for it) for ever.
    events = Events()
    request = (
        b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    big = FrameSpec(Opcode.BINARY, b"x" * (16 * 2**20), mask_key=b"abcd")
    close = FrameSpec(Opcode.CLOSE, (1000).to_bytes(2, "big"), mask_key=b"abcd")

    async def main() -> None:
        async with EchoServer(
            on_event=events, deflate=False, max_message_size=None, close_timeout=0.3
        ) as server:
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            writer.write(request)
            await reader.readuntil(b"\r\n\r\n")
            transport = writer.transport
            assert isinstance(transport, asyncio.Transport)
            transport.pause_reading()  # and never read again
            for spec in (big, close):
                header, wire = encode_frame(spec, Role.CLIENT)
                writer.write(header + wire)
            await writer.drain()
            await eventually(lambda: events.of(MessageCaptured), what="the message")
            await eventually(lambda: not server.connections, timeout=3, what="the drop")
            writer.close()
        (error,) = events.of(ErrorCaptured)
        assert error.step == "close" and not error.fatal
        assert "not read" in error.message
        (closed,) = [e for e in events.of(StateChanged) if e.state is ConnectionState.CLOSED]
        assert closed.code == 1000 and closed.clean is True

    run_async(main)


def test_shutdown_closes_clients_with_1001() -> None:
    async def main() -> None:
        server = await EchoServer().start()
        try:
            async with connected(server.url, opts()) as (conn, rec):
                conn.send_text("hello")
                await eventually(lambda: rec.messages(), what="the echo")
                await server.close()
                await finish(conn)
                final = conn.final_state
                assert final is not None
                assert (final.code, final.reason, final.clean) == (
                    1001,
                    "server shutting down",
                    True,
                )
        finally:
            await server.close()

    run_async(main)


def test_closing_while_connections_are_being_accepted_leaks_nothing() -> None:
    request = (
        b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )

    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await EchoServer().start()
        # Blocking connects: the kernel completes them before the loop accepts any.
        socks = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(5)]
        try:
            while server.accepted < len(socks):
                await asyncio.sleep(0)
            # Close at once: the connections are made but their transports are not
            # attached yet (connection_made runs on the next loop iteration).
            await server.close()
            for s in socks:
                s.setblocking(False)
                await loop.sock_sendall(s, request)
                # A closed server answers nothing: no 101, no echo connection left over.
                answer = await asyncio.wait_for(loop.sock_recv(s, 1024), 2)
                assert answer == b""
            assert not server.connections
        finally:
            for s in socks:
                s.close()

    run_async(main)


def test_server_observes_client_violations_and_carries_on() -> None:
    events = Events()

    async def main() -> None:
        async with (
            EchoServer(on_event=events, keep_captures=True, deflate=False) as server,
            connected(server.url, opts(deflate=False)) as (conn, rec),
        ):
            conn.send_frame(FrameSpec(Opcode.TEXT, b"naked", mask=False))
            conn.send_frame(FrameSpec(Opcode.TEXT, b"odd", rsv3=True))
            conn.send_text("fine")
            await eventually(lambda: len(rec.messages()) == 3, what="three echoes")
            assert [m.text for m in rec.messages()] == ["naked", "odd", "fine"]
            await conn.close()
        rules = [
            v.rule
            for e in events.of(FramesCaptured)
            if e.dir is Direction.IN
            for f in e.frames
            for v in f.violations
        ]
        assert rules == [Rule.UNMASKED_CLIENT_FRAME, Rule.RESERVED_BIT]

    run_async(main)


def test_truncated_messages_are_not_echoed() -> None:
    async def main() -> None:
        async with (
            EchoServer(max_message_size=1000, deflate=False) as server,
            connected(server.url, opts()) as (conn, rec),
        ):
            conn.send_binary(b"x" * 600, fragments=2)
            conn.send_binary(b"y" * 1200, fragments=3)
            conn.send_text("small")
            await eventually(lambda: len(rec.messages()) == 2, what="two echoes")
            assert [len(m.data) for m in rec.messages()] == [600, 5]
            await conn.close()

    run_async(main)


def test_client_vanishing_mid_frame_is_reported_on_the_server() -> None:
    events = Events()

    async def main() -> None:
        async with EchoServer(on_event=events) as server:
            conn = await connect(server.url, opts(deflate=False))
            conn.send_raw(b"\x82\xfe\x10\x00" + b"\x00" * 100)  # 4096 announced, 104 sent
            await asyncio.sleep(0.05)
            conn.abort()
            await finish(conn)
            await eventually(
                lambda: any(e.state is ConnectionState.CLOSED for e in events.of(StateChanged)),
                what="the server to see the end",
            )
        (stray,) = events.of(ViolationCaptured)
        assert stray.violation.rule is Rule.INCOMPLETE_FRAME
        closed = [e for e in events.of(StateChanged) if e.state is ConnectionState.CLOSED]
        assert closed[0].code == 1006 and closed[0].clean is False

    run_async(main)


def test_port_in_use() -> None:
    async def main() -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            s.listen()
            port = s.getsockname()[1]
            server = EchoServer("127.0.0.1", port)
            with pytest.raises(OSError):
                await server.start()
            await server.close()

    run_async(main)


def test_messages_that_arrive_with_the_close_frame_are_echoed_first() -> None:
    """A close frame in the same read as messages: the echoes go out before the close
    reply (RFC 6455 §5.5.1 lets the reply wait for the messages being sent)."""

    async def main() -> None:
        async with EchoServer() as server, connected(server.url, opts()) as (conn, rec):
            proto = conn.protocol
            assert proto is not None
            proto.send_text("one")
            proto.send_binary(b"two", fragments=2)
            proto.send_close(4000, "bye")
            conn.flush()  # one write: the server reads all of it at once
            await finish(conn)
            assert [m.data for m in rec.messages()] == [b"one", b"two"]
            incoming = store_frames(conn, Direction.IN)
            assert incoming[-1].opcode == Opcode.CLOSE and incoming[-1].close_code == 4000
            assert conn.final_state is not None and conn.final_state.clean

    run_async(main)


# ------------------------------------------------------------ the server's seat
# What each handshake decision and behaviour looks like to independent clients: the
# websockets library and aiohttp.
async def _server_conn(server: EchoServer) -> Connection:
    await eventually(lambda: server.connections, what="the server's side of the connection")
    (conn,) = server.connections
    return conn


def _texts(conn: Connection, direction: Direction) -> list[bytes]:
    return [f.payload for f in store_frames(conn, direction) if f.opcode == Opcode.TEXT]


def test_a_rejection_is_seen_with_its_status_headers_and_body() -> None:
    from websockets.asyncio.client import connect as ws_connect
    from websockets.exceptions import InvalidStatus

    decision = HandshakeDecision(
        HandshakeAction.REJECT,
        status=418,
        headers=(("X-Reason", "teapot"),),
        body="no websockets here\n",
    )
    events = Events()

    async def main() -> None:
        async with EchoServer(options=ServerOptions(decision), on_event=events) as server:
            with pytest.raises(InvalidStatus) as caught:
                await ws_connect(server.url, open_timeout=5)
            response = caught.value.response
            assert response.status_code == 418
            assert response.headers["X-Reason"] == "teapot"
            assert response.body == b"no websockets here\n"

            import aiohttp

            async with aiohttp.ClientSession() as session:
                with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                    await session.ws_connect(server.url, timeout=aiohttp.ClientWSTimeout(5))
                assert refused.value.status == 418
            await eventually(lambda: not server.connections, what="both to end")
        sent = [e for e in events.of(HandshakeCaptured) if e.dir is Direction.OUT]
        assert [e.start_line for e in sent] == ["HTTP/1.1 418 I'm a Teapot"] * 2
        # A refusal chosen on purpose is no error of the client's.
        assert events.of(ErrorCaptured) == []

    run_async(main)


def test_the_chosen_subprotocol_extension_and_headers_reach_the_client() -> None:
    import aiohttp
    from websockets.asyncio.client import connect as ws_connect

    decision = HandshakeDecision(
        subprotocols=("chat",), deflate=False, headers=(("X-Seat", "server"),)
    )

    async def main() -> None:
        async with EchoServer(options=ServerOptions(decision)) as server:
            async with ws_connect(
                server.url, subprotocols=[Subprotocol("v2"), Subprotocol("chat")]
            ) as ws:
                assert ws.subprotocol == "chat"
                assert ws.response is not None
                assert ws.response.headers["X-Seat"] == "server"
                assert ws.protocol.extensions == []  # permessage-deflate was declined
                await ws.send("hi")
                assert await asyncio.wait_for(ws.recv(), 5) == "hi"
            async with (
                aiohttp.ClientSession() as session,
                session.ws_connect(server.url, protocols=("chat",), compress=15) as ws2,
            ):
                assert ws2.protocol == "chat"
                assert ws2.compress == 0
            # A client that offers none of them gets none.
            async with ws_connect(server.url, subprotocols=[Subprotocol("v2")]) as ws3:
                assert ws3.subprotocol is None

    run_async(main)


def test_a_forced_subprotocol_the_client_did_not_offer_is_refused_by_it() -> None:
    from websockets.asyncio.client import connect as ws_connect
    from websockets.exceptions import InvalidHandshake

    decision = HandshakeDecision(force_subprotocol="unasked")

    async def main() -> None:
        async with EchoServer(options=ServerOptions(decision)) as server:
            with pytest.raises(InvalidHandshake):
                await ws_connect(server.url, subprotocols=[Subprotocol("chat")], open_timeout=5)

    run_async(main)


def test_the_101_waits_for_the_delay() -> None:
    from websockets.asyncio.client import connect as ws_connect

    events = Events()
    delay = 0.4

    async def main() -> None:
        decision = HandshakeDecision(delay=delay)
        async with EchoServer(options=ServerOptions(decision), on_event=events) as server:
            attempt = asyncio.ensure_future(ws_connect(server.url, open_timeout=10))
            await eventually(lambda: events.of(HandshakeCaptured), what="the request")
            assert not attempt.done()  # the request is in, the answer is not
            ws = await asyncio.wait_for(attempt, 10)
            async with ws:
                await ws.send("late")
                assert await asyncio.wait_for(ws.recv(), 5) == "late"
        request, response = events.of(HandshakeCaptured)
        assert response.start_line.startswith("HTTP/1.1 101")
        assert response.t - request.t >= delay

    run_async(main)


def test_frames_sent_before_a_delayed_101_are_kept_for_the_protocol() -> None:
    request = (
        b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    header, wire = encode_frame(FrameSpec(Opcode.TEXT, b"early", mask_key=b"abcd"), Role.CLIENT)

    async def main() -> None:
        decision = HandshakeDecision(delay=0.2, deflate=False)
        async with EchoServer(options=ServerOptions(decision)) as server:
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            try:
                writer.write(request)
                await writer.drain()
                await asyncio.sleep(0.05)  # after the request, inside the delay
                writer.write(header + wire)
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
                assert head.startswith(b"HTTP/1.1 101")
                echo = await asyncio.wait_for(reader.readexactly(2 + 5), 5)
                assert echo == b"\x81\x05early"
            finally:
                writer.close()

    run_async(main)


def test_accept_and_close_at_once_with_the_chosen_code() -> None:
    import aiohttp
    from websockets.asyncio.client import connect as ws_connect
    from websockets.exceptions import ConnectionClosed

    decision = HandshakeDecision(HandshakeAction.CLOSE, close_code=4001, close_reason="go away")

    async def main() -> None:
        async with EchoServer(options=ServerOptions(decision)) as server:
            async with ws_connect(server.url) as ws:
                with pytest.raises(ConnectionClosed):
                    await asyncio.wait_for(ws.recv(), 5)
                assert (ws.close_code, ws.close_reason) == (4001, "go away")
            async with aiohttp.ClientSession() as session:
                ws2 = await session.ws_connect(server.url)
                msg = await asyncio.wait_for(ws2.receive(), 5)
                assert msg.type is aiohttp.WSMsgType.CLOSE
                assert (msg.data, msg.extra) == (4001, "go away")
                await ws2.close()

    run_async(main)


def test_no_echo_sends_nothing_back() -> None:
    from websockets.asyncio.client import connect as ws_connect

    async def main() -> None:
        async with (
            EchoServer(options=ServerOptions(echo=False), keep_captures=True) as server,
            ws_connect(server.url, compression=None) as ws,
        ):
            await ws.send("hi")
            await asyncio.wait_for(await ws.ping(b"p"), 5)  # pongs still come
            conn = await _server_conn(server)
            assert _texts(conn, Direction.IN) == [b"hi"]
            conn.send_text("marker")  # anything sent back would have come first
            assert await asyncio.wait_for(ws.recv(), 5) == "marker"

    run_async(main)


def test_messages_on_connect_come_first_then_echoes() -> None:
    import aiohttp

    options = ServerOptions(on_connect=("hello", "second"))

    async def main() -> None:
        async with (
            EchoServer(options=options) as server,
            aiohttp.ClientSession() as session,
            session.ws_connect(server.url) as ws,
        ):
            await ws.send_str("ping me")
            got = [await asyncio.wait_for(ws.receive_str(), 5) for _ in range(3)]
            assert got == ["hello", "second", "ping me"]

    run_async(main)


def test_manual_mode_answers_nothing_by_itself() -> None:
    from websockets.asyncio.client import connect as ws_connect

    async def main() -> None:
        options = ServerOptions(manual=True)
        async with EchoServer(options=options, keep_captures=True) as server:
            async with ws_connect(
                server.url, ping_interval=None, close_timeout=5, compression=None
            ) as ws:
                pong = asyncio.ensure_future(await ws.ping(b"anyone?"))
                await ws.send("hi")
                conn = await _server_conn(server)
                await eventually(lambda: _texts(conn, Direction.IN), what="the message")
                conn.send_text("by hand")
                assert await asyncio.wait_for(ws.recv(), 5) == "by hand"
                assert not pong.done()  # no automatic pong came before "by hand"
                conn.send_pong(b"anyone?")
                await asyncio.wait_for(pong, 5)
                closing = asyncio.ensure_future(ws.close(1000, "bye"))
                await eventually(lambda: conn.close_received, what="the client's close")
                assert not conn.close_sent  # not answered by itself
                conn.send_close(1000, "as you wish")
                await asyncio.wait_for(closing, 5)
            assert ws.close_code == 1000

    run_async(main)


def test_a_decision_per_connection() -> None:
    from websockets.asyncio.client import connect as ws_connect
    from websockets.exceptions import InvalidStatus

    def decide(conn: Connection, request: HandshakeRequest) -> HandshakeDecision:
        if request.target.startswith("/private"):
            return HandshakeDecision(HandshakeAction.REJECT, status=401)
        return HandshakeDecision(subprotocols=request.subprotocols[-1:])

    async def main() -> None:
        async with EchoServer(decide=decide) as server:
            with pytest.raises(InvalidStatus) as caught:
                await ws_connect(server.url + "private", open_timeout=5)
            assert caught.value.response.status_code == 401
            async with ws_connect(
                server.url + "public", subprotocols=[Subprotocol("a"), Subprotocol("b")]
            ) as ws:
                assert ws.subprotocol == "b"

    run_async(main)


def test_a_failing_decision_refuses_with_500_and_says_why() -> None:
    from websockets.asyncio.client import connect as ws_connect
    from websockets.exceptions import InvalidStatus

    def decide(conn: Connection, request: HandshakeRequest) -> HandshakeDecision:
        raise RuntimeError("no idea")

    events = Events()

    async def main() -> None:
        async with EchoServer(decide=decide, on_event=events) as server:
            with pytest.raises(InvalidStatus) as caught:
                await ws_connect(server.url, open_timeout=5)
            assert caught.value.response.status_code == 500
        (error,) = events.of(ErrorCaptured)
        assert "the handshake decision failed: no idea" in error.message

    run_async(main)


def test_echo_can_be_switched_while_clients_are_open() -> None:
    from websockets.asyncio.client import connect as ws_connect

    async def main() -> None:
        async with EchoServer() as server, ws_connect(server.url) as ws:
            await ws.send("one")
            assert await asyncio.wait_for(ws.recv(), 5) == "one"
            server.set_echo(False)
            await ws.send("two")
            await asyncio.wait_for(await ws.ping(), 5)
            server.set_echo(True)
            await ws.send("three")
            assert await asyncio.wait_for(ws.recv(), 5) == "three"

    run_async(main)


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"status": 101}, "200-999"),
        ({"delay": -1}, "negative"),
        ({"close_code": 70000}, "two bytes"),
        ({"close_code": None, "close_reason": "x"}, "needs a close code"),
        ({"close_reason": "é" * 62}, "123 bytes"),
        ({"headers": (("X-A", "a\r\nb"),)}, "header X-A"),
        ({"subprotocols": ("a,b",)}, "subprotocol"),
    ],
)
def test_bad_decisions_are_refused_when_made(kwargs: dict[str, object], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        HandshakeDecision(**kwargs)  # type: ignore[arg-type]


def test_the_old_keywords_still_apply_over_the_options() -> None:
    server = EchoServer(
        options=ServerOptions(HandshakeDecision(subprotocols=("x",)), strict=False),
        deflate=False,
        strict=True,
    )
    assert (server.deflate, server.subprotocols, server.strict) == (False, ("x",), True)
    assert server.options.handshake.deflate is False


def test_the_101_in_the_capture_carries_its_accept_check_and_extensions() -> None:
    events = Events()

    async def main() -> None:
        wrong = HandshakeDecision(headers=(("Sec-WebSocket-Accept", "bogus"),))
        async with EchoServer(on_event=events) as server:
            async with connected(server.url, opts()) as (conn, _rec):
                await conn.close()
            server.options = ServerOptions(wrong)  # a server that breaks §4.2.2
            with pytest.raises(ConnectError):
                await connect(server.url, opts())
        ours, broken = [e for e in events.of(HandshakeCaptured) if e.dir is Direction.OUT]
        assert ours.accept is not None and ours.accept.ok
        assert ours.extensions is not None and ours.extensions.startswith("permessage-deflate")
        assert broken.accept is not None and not broken.accept.ok
        assert broken.accept.received == "bogus"

    run_async(main)
