"""The client engine against real servers: our EchoServer, the websockets library,
aiohttp and tornado. Each test drives a real TCP connection on 127.0.0.1 through a
fresh, bounded event loop and checks that nothing (task, transport, socket) is left
behind (see ``run_async``)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable

import pytest

from inspector.capture.events import (
    ConnectionState,
    Direction,
    ErrorCaptured,
    RttSample,
    StateChanged,
)
from inspector.engine.client import connect, new_client_connection
from inspector.engine.options import ConnectError, ConnectOptions
from inspector.protocol.constants import Opcode
from inspector.protocol.violations import Rule

from ._engine_support import (
    BIG,
    PEERS,
    SUBPROTOCOL,
    TIMEOUT_FACTOR,
    OurPeer,
    Peer,
    Recorder,
    close_frames,
    connected,
    eventually,
    free_port,
    ipv6_available,
    run_async,
    store_frames,
    tcp_server,
)

PEER_NAMES = list(PEERS)


def with_peer(kind: str, body: Callable[[Peer], Awaitable[None]], *, timeout: float = 15.0) -> None:
    async def main() -> None:
        async with PEERS[kind]() as peer:
            await body(peer)

    run_async(main, timeout)


def plain(deflate: bool = False, **kwargs: object) -> ConnectOptions:
    return ConnectOptions(deflate=deflate, open_timeout=5, close_timeout=2, **kwargs)  # type: ignore[arg-type]


# ------------------------------------------------------------------ messages
@pytest.mark.parametrize("deflate", [True, False], ids=["deflate", "no-deflate"])
@pytest.mark.parametrize("kind", PEER_NAMES)
def test_text_and_binary_echo(kind: str, deflate: bool) -> None:
    text = "héllo wörld ✓ " * 20
    data = bytes(range(256)) * 4

    async def body(peer: Peer) -> None:
        async with connected(peer.url, plain(deflate)) as (conn, rec):
            compressed = deflate and peer.deflate
            request = rec.handshake(Direction.OUT)
            response = rec.handshake(Direction.IN)
            offered = dict((k.lower(), v) for k, v in request.headers)
            assert ("sec-websocket-extensions" in offered) is deflate
            if compressed:
                assert response.extensions is not None
                assert response.extensions.startswith("permessage-deflate")
            else:
                assert response.extensions is None
            assert response.accept is not None and response.accept.ok
            assert [name for name, _ in response.timings] == ["dns", "tcp", "handshake"]

            sent = conn.send_text(text)
            assert len(sent) == 1 and sent[0].rsv1 is compressed and sent[0].masked
            sent = conn.send_binary(data)
            assert sent[0].rsv1 is compressed
            await eventually(lambda: len(rec.messages()) >= 2, what="two echoes")
            got_text, got_binary = rec.messages()
            assert got_text.opcode == Opcode.TEXT and got_text.text == text
            assert got_binary.opcode == Opcode.BINARY and got_binary.data == data
            assert got_text.compressed is compressed and got_binary.compressed is compressed
            if compressed:
                assert got_text.wire_size < len(text.encode())
            incoming = store_frames(conn, Direction.IN)
            assert [f.rsv1 for f in incoming[:2]] == [compressed, compressed]
            assert all(not f.masked for f in incoming)
            assert not any(f.violations for f in store_frames(conn))
            await conn.close()
        assert conn.final_state is not None and conn.final_state.clean
        assert peer.state.received[:2] == [text, data]

    with_peer(kind, body)


@pytest.mark.slow
@pytest.mark.parametrize("kind", PEER_NAMES)
def test_16_mib_messages_both_ways(kind: str) -> None:
    payload = os.urandom(BIG)

    async def body(peer: Peer) -> None:
        options = plain(max_message_size=BIG, max_frame_size=BIG)
        async with connected(peer.url, options) as (conn, rec):
            conn.send_binary(payload)
            await eventually(lambda: rec.messages(), timeout=20, what="the 16 MiB echo")
            (echo,) = rec.messages()
            assert echo.data == payload and not echo.truncated
            store = conn.store
            assert store is not None
            assert store.counters(Direction.OUT).payload_bytes == BIG
            assert store.counters(Direction.IN).payload_bytes == BIG
            await conn.close()
        assert peer.state.received[0] == payload

    with_peer(kind, body, timeout=40)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["ours", "websockets", "aiohttp"])
def test_16_mib_text_compressed(kind: str) -> None:
    text = ("the quick brown fox jumps over the lazy dog " * 400_000)[:BIG]

    async def body(peer: Peer) -> None:
        options = plain(deflate=True, max_message_size=BIG)
        async with connected(peer.url, options) as (conn, rec):
            (frame,) = conn.send_text(text)
            assert frame.rsv1 and frame.length < BIG // 50
            await eventually(lambda: rec.messages(), timeout=20, what="the 16 MiB echo")
            (echo,) = rec.messages()
            assert echo.compressed and echo.text == text
            assert echo.wire_size < BIG // 50
            await conn.close()

    with_peer(kind, body, timeout=40)


@pytest.mark.parametrize("kind", PEER_NAMES)
def test_fragmented_message(kind: str) -> None:
    text = "fragment me " * 100

    async def body(peer: Peer) -> None:
        async with connected(peer.url, plain()) as (conn, rec):
            sent = conn.send_text(text, fragments=5)
            assert [f.opcode for f in sent] == [Opcode.TEXT] + [Opcode.CONT] * 4
            assert [f.fin for f in sent] == [False] * 4 + [True]
            assert b"".join(f.payload for f in sent) == text.encode()
            sent = conn.send_binary(b"\x00\x01\x02" * 50, fragments=3)
            assert [f.opcode for f in sent] == [Opcode.BINARY, Opcode.CONT, Opcode.CONT]
            await eventually(lambda: len(rec.messages()) >= 2, what="the echoes")
            assert rec.messages()[0].text == text
            assert rec.messages()[1].data == b"\x00\x01\x02" * 50
            # The store groups our outgoing fragments into one message.
            store = conn.store
            assert store is not None
            out_rows = [r for r in range(len(store)) if store.direction(r) is Direction.OUT]
            assert list(store.message_frames(out_rows[0])) == out_rows[:5]
            message = store.message_for(out_rows[4])
            assert message is not None and message.text == text and message.fragments == 5
            await conn.close()
        assert peer.state.received[:2] == [text, b"\x00\x01\x02" * 50]

    with_peer(kind, body)


# ------------------------------------------------------------------------ pings
@pytest.mark.parametrize("kind", PEER_NAMES)
def test_server_ping_gets_our_automatic_pong(kind: str) -> None:
    async def body(peer: Peer) -> None:
        async with connected(peer.url, plain()) as (conn, rec):
            conn.send_text("!ping are-you-there")
            await eventually(
                lambda: any(m.text == "pong are-you-there" for m in rec.messages()),
                what="the server to see our pong",
            )
            pings = [f for f in store_frames(conn, Direction.IN) if f.opcode == Opcode.PING]
            pongs = [f for f in store_frames(conn, Direction.OUT) if f.opcode == Opcode.PONG]
            assert [f.payload for f in pings] == [b"are-you-there"]
            assert [f.payload for f in pongs] == [b"are-you-there"]
            assert pongs[0].masked
            await conn.close()
        assert peer.state.pongs == [b"are-you-there"]

    with_peer(kind, body)


@pytest.mark.parametrize("kind", PEER_NAMES)
def test_our_ping_measures_rtt(kind: str) -> None:
    async def body(peer: Peer) -> None:
        async with connected(peer.url, plain()) as (conn, rec):
            assert conn.last_rtt is None
            conn.send_ping(b"rtt-1")
            await eventually(lambda: conn.last_rtt is not None, what="an RTT sample")
            assert conn.last_rtt is not None and 0 <= conn.last_rtt < 5
            (sample,) = rec.rtts()
            assert sample.payload == b"rtt-1" and sample.rtt == conn.last_rtt
            store = conn.store
            assert store is not None
            assert any(isinstance(e, RttSample) for e in store.events)
            await conn.close()

    with_peer(kind, body)


def test_keepalive_pings_measure_rtt() -> None:
    async def body(peer: Peer) -> None:
        async with connected(peer.url, plain(keepalive_interval=0.05)) as (conn, rec):
            await eventually(lambda: len(rec.rtts()) >= 2, what="two keepalive RTT samples")
            assert [s.payload for s in rec.rtts()[:2]] == [b"ka-1", b"ka-2"]
            await conn.close()
        assert conn.timekeeper is not None and conn.timekeeper.keepalive is not None
        assert conn.timekeeper.keepalive.done()

    with_peer("ours", body)


def test_auto_pong_off() -> None:
    async def body(peer: Peer) -> None:
        async with connected(peer.url, plain(auto_pong=False)) as (conn, _rec):
            conn.send_text("!ping nobody-home")
            await eventually(
                lambda: any(f.opcode == Opcode.PING for f in store_frames(conn, Direction.IN)),
                what="the server's ping",
            )
            await asyncio.sleep(0.05)
            assert not [f for f in store_frames(conn, Direction.OUT) if f.opcode == Opcode.PONG]
            await conn.close()
        assert peer.state.pongs == []

    with_peer("ours", body)


# ------------------------------------------------------------------------ close
@pytest.mark.parametrize("code", [1000, 3000, 4999])
@pytest.mark.parametrize("kind", PEER_NAMES)
def test_we_close_with_code_and_reason(kind: str, code: int) -> None:
    async def body(peer: Peer) -> None:
        async with connected(peer.url, plain()) as (conn, _rec):
            conn.send_text("hi")
            await eventually(lambda: peer.state.received, what="the server to get our message")
            await conn.close(code, "bye now")
            final = conn.final_state
            assert final is not None
            assert final.state is ConnectionState.CLOSED and final.clean is True
            (ours,) = close_frames(store_frames(conn, Direction.OUT))
            assert (ours.close_code, ours.close_reason) == (code, "bye now")
            (theirs,) = close_frames(store_frames(conn, Direction.IN))
            assert final.code == theirs.close_code
            # RFC 6455 §5.5.1: the reply usually echoes the code (aiohttp answers 1000).
            assert theirs.close_code in (code, 1000)
            assert conn.error is None
        await eventually(lambda: peer.state.closes, what="the server to see the close")
        assert peer.state.closes[0][0] == code
        if kind != "aiohttp":  # aiohttp does not hand the reason to the application
            assert peer.state.closes[0][1] == "bye now"

    with_peer(kind, body)


@pytest.mark.parametrize("kind", PEER_NAMES)
def test_server_closes_and_we_echo_its_code(kind: str) -> None:
    async def body(peer: Peer) -> None:
        async with connected(peer.url, plain()) as (conn, _rec):
            conn.send_text("!close 4001 going away")
            await asyncio.wait_for(conn.wait_closed(), 5)
            final = conn.final_state
            assert final is not None
            assert (final.code, final.reason, final.clean) == (4001, "going away", True)
            (ours,) = close_frames(store_frames(conn, Direction.OUT))
            assert ours.close_code == 4001
            states = [e.state for e in _rec.events if hasattr(e, "state")]
            assert states == [
                ConnectionState.CONNECTING,
                ConnectionState.OPEN,
                ConnectionState.CLOSING,
                ConnectionState.CLOSED,
            ]

    with_peer(kind, body)


def test_close_after_peer_vanishes_is_bounded() -> None:
    """close() on a connection whose peer never answers the close frame gives up after
    close_timeout and reports an unclean end."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        from inspector.protocol.handshake import compute_accept

        head = await reader.readuntil(b"\r\n\r\n")
        key = next(
            line.split(b":", 1)[1].strip()
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"sec-websocket-key:")
        )
        writer.write(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Accept: "
            + compute_accept(key.decode()).encode()
            + b"\r\n\r\n"
        )
        await reader.read()  # read until we close: never answer the close frame

    async def main() -> None:
        async with tcp_server(handler) as (_, port):
            options = ConnectOptions(deflate=False, close_timeout=0.2)
            async with connected(f"ws://127.0.0.1:{port}/", options) as (conn, _rec):
                # Bounded by close_timeout, not by the peer.
                await asyncio.wait_for(conn.close(1000), 2 * TIMEOUT_FACTOR)
                assert conn.final_state is not None and conn.final_state.clean is False
                assert conn.final_state.code == 1006

    run_async(main)


# -------------------------------------------------------------- negotiation
@pytest.mark.parametrize("kind", PEER_NAMES)
def test_subprotocol_negotiation(kind: str) -> None:
    async def body(peer: Peer) -> None:
        options = plain(subprotocols=("chat.v2", SUBPROTOCOL))
        async with connected(peer.url, options) as (_conn, rec):
            request = rec.handshake(Direction.OUT)
            assert ("Sec-WebSocket-Protocol", "chat.v2, chat.v1") in request.headers
            assert rec.handshake(Direction.IN).subprotocol == SUBPROTOCOL
        await eventually(lambda: peer.state.requests, what="the request")
        assert peer.state.requests[0].subprotocol == SUBPROTOCOL

    with_peer(kind, body)


@pytest.mark.parametrize("kind", PEER_NAMES)
def test_headers_origin_path_and_query_reach_the_server(kind: str) -> None:
    headers = [("X-Zeta", "last letter"), ("X-Alpha", "first"), ("X-Mid", "a, b; c=1")]

    async def body(peer: Peer) -> None:
        url = peer.url + "chat/room%201?user=ann&x=%2F"
        options = plain(headers=headers, origin="https://app.example.test")
        async with connected(url, options):
            pass
        await eventually(lambda: peer.state.requests, what="the request")
        seen = peer.state.requests[0]
        assert seen.path == "/chat/room%201?user=ann&x=%2F"
        assert seen.header("Origin") == "https://app.example.test"
        for name, value in headers:
            assert seen.header(name) == value
        names = [n for n in seen.names() if n.startswith("x-")]
        assert names == ["x-zeta", "x-alpha", "x-mid"]
        # Our headers come after the generated ones, in the user's order.
        assert seen.names().index("sec-websocket-version") < seen.names().index("x-zeta")

    with_peer(kind, body)


@pytest.mark.parametrize("kind", ["ours", "websockets", "aiohttp"])
def test_duplicate_and_overriding_headers_keep_their_order(kind: str) -> None:
    headers = [("X-Dup", "1"), ("User-Agent", "wsi-test"), ("X-Dup", "2")]

    async def body(peer: Peer) -> None:
        async with connected(peer.url, plain(headers=headers)):
            pass
        await eventually(lambda: peer.state.requests, what="the request")
        seen = peer.state.requests[0]
        mine = [(k, v) for k, v in seen.headers if k.lower() in ("x-dup", "user-agent")]
        assert mine == headers

    with_peer(kind, body)


@pytest.mark.skipif(not ipv6_available(), reason="no IPv6 loopback on this machine")
def test_ipv6_loopback() -> None:
    async def main() -> None:
        from inspector.engine.server import EchoServer

        async with EchoServer("::1", 0) as server:
            assert server.url.startswith("ws://[::1]:")
            async with connected(server.url, plain()) as (conn, rec):
                request = rec.handshake(Direction.OUT)
                assert ("Host", f"[::1]:{server.port}") in request.headers
                conn.send_text("over v6")
                await eventually(lambda: rec.messages(), what="the echo")
                assert rec.messages()[0].text == "over v6"
                assert conn.transport is not None
                assert conn.transport.get_extra_info("peername")[0] == "::1"
                await conn.close()

    run_async(main)


def test_our_server_without_deflate_and_the_capture_of_a_session() -> None:
    async def main() -> None:
        async with OurPeer(deflate=False) as peer:
            async with connected(peer.url, plain(deflate=True)) as (conn, rec):
                assert rec.handshake(Direction.IN).extensions is None
                (frame,) = conn.send_text("not compressed")
                assert not frame.rsv1
                await eventually(lambda: rec.messages(), what="the echo")
                assert not rec.messages()[0].compressed
                info = conn.info()
                assert info["state"] == "open" and info["bytes_out"] > 0
                await conn.close()
            store = conn.store
            assert store is not None and store.session.role == "client"
            assert store.session.url == peer.url
            assert store.handshake(Direction.OUT) is not None
            assert store.state is not None and store.state.state is ConnectionState.CLOSED

    run_async(main)


# ------------------------------------------------------------------------ URLs
@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("", "no URL given"),
        ("example.test/chat", "has no scheme"),
        ("ftp://example.test/", "unknown scheme 'ftp'"),
        ("http://example.test/", "starts with ws://"),
        ("https://example.test/", "starts with wss://"),
        ("ws://example.test/#frag", "#fragment"),
        ("ws:///path", "has no host"),
        ("ws://[::1/", "not a valid URL"),
        ("ws://example.test:99999/", "not a valid URL"),
        ("ws://example.test:port/", "not a valid URL"),
        ("ws://user:pw@example.test/", "credentials"),
        ("ws://example.test/a b", "white space"),
        ("ws://exa mple.test/", "not a valid host"),
        ("ws://[fe80::zz]/", "not a valid URL"),
        ("ws://example.test/caf\u00e9", "non-ASCII"),
    ],
)
def test_malformed_urls_fail_at_the_url_step(url: str, words: str) -> None:
    async def main() -> None:
        conn = new_client_connection(url)
        with pytest.raises(ConnectError) as info:
            await connect(url, ConnectOptions(open_timeout=2), connection=conn)
        assert info.value.step == "url"
        assert words in info.value.message
        assert str(info.value).startswith("url: ")
        # The failure is in the capture too, and the connection is closed.
        assert conn.error is not None and conn.error.step == "url"
        assert conn.final_state is not None and conn.final_state.clean is False
        assert conn.final_state.detail == info.value.message
        assert conn.closed.done()
        # One CONNECTING, one CLOSED: listeners see the attempt and its end once.
        store = conn.store
        assert store is not None
        states = [e.state for e in store.events if isinstance(e, StateChanged)]
        assert states == [ConnectionState.CONNECTING, ConnectionState.CLOSED]

    run_async(main)


# ---------------------------------------------------------------------- errors
def test_dns_failure() -> None:
    async def main() -> None:
        conn = new_client_connection("ws://no-such-host.invalid/")
        with pytest.raises(ConnectError) as info:
            await connect(
                "ws://no-such-host.invalid/", ConnectOptions(open_timeout=5), connection=conn
            )
        assert info.value.step in ("dns", "timeout")
        if info.value.step == "dns":
            assert "cannot resolve host 'no-such-host.invalid'" in info.value.message
        store = conn.store
        assert store is not None
        errors = [e for e in store.events if isinstance(e, ErrorCaptured)]
        assert [e.step for e in errors] == [info.value.step]

    run_async(main)


def test_connection_refused() -> None:
    port = free_port()

    async def main() -> None:
        conn = new_client_connection(f"ws://127.0.0.1:{port}/")
        with pytest.raises(ConnectError) as info:
            await connect(
                f"ws://127.0.0.1:{port}/", ConnectOptions(open_timeout=5), connection=conn
            )
        assert info.value.step == "tcp"
        assert "refused" in info.value.message
        assert f"127.0.0.1:{port}" in info.value.message
        assert f"nothing is listening on port {port}" in info.value.message
        store = conn.store
        assert store is not None
        states = [(e.state, e.detail) for e in store.events if isinstance(e, StateChanged)]
        assert states == [
            (ConnectionState.CONNECTING, f"ws://127.0.0.1:{port}/"),
            (ConnectionState.CLOSED, info.value.message),
        ]

    run_async(main)


def test_timeout_when_the_server_never_answers() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # accept TCP, read the request, answer nothing

    async def main() -> None:
        async with tcp_server(silent) as (_, port):
            conn = new_client_connection(f"ws://127.0.0.1:{port}/")
            with pytest.raises(ConnectError) as info:
                await asyncio.wait_for(
                    connect(
                        f"ws://127.0.0.1:{port}/", ConnectOptions(open_timeout=0.3), connection=conn
                    ),
                    2 * TIMEOUT_FACTOR,
                )
            assert info.value.step == "timeout"
            assert "timed out after 0.3 s" in info.value.message
            assert "handshake response" in info.value.message
            # Our request was captured before the timeout.
            store = conn.store
            assert store is not None
            request = store.handshake(Direction.OUT)
            assert request is not None and request.raw.startswith(b"GET / HTTP/1.1\r\n")
            assert conn.final_state is not None and conn.final_state.clean is False

    run_async(main)


def test_a_response_cut_short_by_the_timeout_is_kept() -> None:
    """Issue 9 item 8: a server that sends one header line at a time and never ends its
    header block; the bytes it did send are in the capture, with the reason."""

    async def trickle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        for line in (b"HTTP/1.1 101 Switching Protocols\r\n", b"Upgrade: websocket\r\n"):
            writer.write(line)
            await writer.drain()
        await reader.read()  # and nothing more, until the client gives up

    async def main() -> None:
        async with tcp_server(trickle) as (_, port):
            rec = Recorder()
            conn = new_client_connection(f"ws://127.0.0.1:{port}/")
            conn.subscribe(rec)
            with pytest.raises(ConnectError) as info:
                await connect(
                    f"ws://127.0.0.1:{port}/", ConnectOptions(open_timeout=0.3), connection=conn
                )
            assert info.value.step == "timeout"
        response = rec.handshake(Direction.IN)
        assert response.raw == b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
        assert response.start_line == "HTTP/1.1 101 Switching Protocols"
        (problem,) = response.problems
        assert problem.rule is Rule.HANDSHAKE_INCOMPLETE
        assert "but not the end of its header block" in problem.message
        assert [name for name, _ in response.timings][-1] == "handshake"
        assert conn.store is not None and conn.store.handshake(Direction.IN) == response

    run_async(main)


def test_timeout_during_tls_handshake() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()

    async def main() -> None:
        async with tcp_server(silent) as (_, port):
            with pytest.raises(ConnectError) as info:
                await connect(f"wss://127.0.0.1:{port}/", ConnectOptions(open_timeout=0.3))
            assert info.value.step in ("timeout", "tls")
            assert "TLS handshake" in info.value.message or "SSL handshake" in info.value.message

    run_async(main)


def test_handshake_rejected_with_status() -> None:
    async def refuse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(
            b"HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 14\r\n"
            b"\r\nno entry here\n"
        )
        await writer.drain()

    async def main() -> None:
        async with tcp_server(refuse) as (_, port):
            conn = new_client_connection(f"ws://127.0.0.1:{port}/")
            with pytest.raises(ConnectError) as info:
                await connect(f"ws://127.0.0.1:{port}/", plain(), connection=conn)
            assert info.value.step == "handshake"
            # One line, the body quoted in a few plain words, not its bytes.
            assert info.value.message == (
                "the server answered 403 Forbidden, not 101 Switching Protocols; "
                "body (14 B, text/plain): “no entry here”"
            )
            assert (info.value.status, info.value.body) == (403, b"no entry here\n")
            store = conn.store
            assert store is not None
            response = store.handshake(Direction.IN)
            assert response is not None and response.start_line == "HTTP/1.1 403 Forbidden"
            assert response.raw.endswith(b"\r\n\r\nno entry here\n")

    run_async(main)


def test_cancelling_connect_cleans_up() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()

    async def main() -> None:
        async with tcp_server(silent) as (_, port):
            conn = new_client_connection(f"ws://127.0.0.1:{port}/")
            task = asyncio.ensure_future(
                connect(f"ws://127.0.0.1:{port}/", plain(), connection=conn)
            )
            await eventually(
                lambda: conn.store is not None and conn.store.handshake(Direction.OUT),
                what="the request to go out",
            )
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            await asyncio.wait_for(conn.wait_closed(), 2)
            assert conn.final_state is not None and conn.final_state.clean is False

    run_async(main)


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (ConnectOptions(headers=[("X-Bad", "a\r\nInjected: 1")]), "contains CR, LF or NUL"),
        (ConnectOptions(headers=[("Bad Name", "x")]), "is not an HTTP token"),
        (ConnectOptions(subprotocols=["chat v1"]), "is not a token"),
    ],
)
def test_options_that_cannot_be_sent_fail_before_connecting(
    options: ConnectOptions, words: str
) -> None:
    accepted: list[int] = []

    async def count(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(1)

    async def main() -> None:
        async with tcp_server(count) as (_, port):
            conn = new_client_connection(f"ws://127.0.0.1:{port}/")
            with pytest.raises(ConnectError) as info:
                await connect(f"ws://127.0.0.1:{port}/", options, connection=conn)
            assert info.value.step == "handshake"
            assert "cannot build the opening handshake" in info.value.message
            assert words in info.value.message
            assert conn.closed.done() and conn.transport is None
        assert accepted == []

    run_async(main)


def test_sending_before_open_or_after_close_raises_locally() -> None:
    from inspector.protocol.violations import LocalProtocolError

    async def body(peer: Peer) -> None:
        conn = new_client_connection(peer.url)
        with pytest.raises(LocalProtocolError):
            conn.send_text("too early")
        await connect(peer.url, plain(), connection=conn)
        await conn.close()
        with pytest.raises(LocalProtocolError):
            conn.send_text("too late")

    with_peer("ours", body)
