"""The proxy between real clients and servers: bytes forwarded exactly, both sides
recorded, faults told to the other side in its own terms."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from inspector.capture.events import (
    ConnectionState,
    Direction,
    ErrorCaptured,
    HandshakeCaptured,
    HandshakeLeg,
)
from inspector.protocol.constants import Opcode, Role
from inspector.protocol.frames import FrameSpec, encode_frame
from inspector.protocol.violations import Rule

from .._engine_support import (
    BIG,
    MAX_SIZE,
    SUBPROTOCOL,
    AiohttpPeer,
    OurPeer,
    Peer,
    TornadoPeer,
    WebsocketsPeer,
    free_port,
    run_async,
)
from ._proxy_support import RawServer, frames_of, raw_client, reverse_proxy, store, wire


def _frame(opcode: int, payload: bytes, sender: Role, **spec: Any) -> bytes:
    header, body = encode_frame(FrameSpec(opcode, payload, **spec), sender)
    return header + body


def _handshakes(conn: Any) -> list[HandshakeCaptured]:
    return [e for e in store(conn).events if isinstance(e, HandshakeCaptured)]


def test_bytes_pass_unchanged_both_ways_and_each_side_is_checked_against_its_role() -> None:
    # The server breaks rules (a masked frame, RSV2, a 16-bit length for 3 bytes); the
    # client sends an unmasked frame. Every byte must arrive as sent, and each side's
    # violations are its own.
    script = (
        _frame(Opcode.TEXT, b"masked", Role.SERVER, mask=True, mask_key=b"\x01\x02\x03\x04")
        + _frame(Opcode.BINARY, b"rsv", Role.SERVER, rsv2=True)
        + _frame(Opcode.TEXT, b"abc", Role.SERVER, length_form=16)
        + _frame(Opcode.TEXT, b"frag", Role.SERVER, fin=False)
        + _frame(Opcode.PING, b"p", Role.SERVER)
        + _frame(Opcode.CONT, b"ment", Role.SERVER)
    )
    sent = (
        _frame(Opcode.TEXT, b"plain", Role.CLIENT, mask=False)
        + _frame(Opcode.BINARY, b"\x00\xff", Role.CLIENT, mask_key=b"\xaa\xbb\xcc\xdd")
        + _frame(Opcode.CLOSE, b"\x03\xe8bye", Role.CLIENT)
    )

    async def main() -> None:
        async with (
            RawServer(script) as server,
            reverse_proxy(f"ws://127.0.0.1:{server.port}") as px,
        ):
            reader, writer, head = await raw_client(px.port, "/raw?q=1")
            assert head.startswith(b"HTTP/1.1 101 ")
            got = await asyncio.wait_for(reader.readexactly(len(script)), 5)
            writer.write(sent)
            await writer.drain()
            await asyncio.wait_for(_until(lambda: len(server.received) >= len(sent)), 5)
            writer.close()
            conn = await px.closed()
        assert got == script
        assert bytes(server.received) == sent
        assert server.request.startswith(b"GET /raw?q=1 HTTP/1.1\r\n")
        client_frames = frames_of(conn, Direction.OUT)
        server_frames = frames_of(conn, Direction.IN)
        assert wire(client_frames) == sent
        assert wire(server_frames) == script
        assert [f.mask_key for f in client_frames] == [
            None,
            b"\xaa\xbb\xcc\xdd",
            client_frames[2].mask_key,
        ]
        assert Rule.UNMASKED_CLIENT_FRAME in {v.rule for v in client_frames[0].violations}
        server_rules = [{v.rule for v in f.violations} for f in server_frames]
        assert Rule.MASKED_SERVER_FRAME in server_rules[0]
        assert Rule.RESERVED_BIT in server_rules[1]
        assert Rule.NON_MINIMAL_LENGTH in server_rules[2]
        assert not any(
            v.rule is Rule.MASKED_SERVER_FRAME for f in client_frames for v in f.violations
        )
        row = store(conn).row_of(Direction.IN, 5)
        assert row is not None
        message = store(conn).messages[row].message
        assert message.text == "fragment"

    run_async(main)


async def _until(predicate: Any) -> None:
    while not predicate():
        await asyncio.sleep(0.005)


PEERS = [WebsocketsPeer, AiohttpPeer, TornadoPeer, OurPeer]


@pytest.mark.parametrize("deflate", [True, False], ids=["deflate", "plain"])
@pytest.mark.parametrize("peer_kind", PEERS, ids=lambda k: k.name)
def test_websockets_client_through_reverse_proxy(peer_kind: type[Peer], deflate: bool) -> None:
    from websockets.asyncio.client import connect
    from websockets.typing import Subprotocol

    async def main() -> None:
        async with peer_kind() as peer, reverse_proxy(peer.url) as px:
            async with connect(
                f"{px.url}/chat/room?id=7",
                compression="deflate" if deflate else None,
                subprotocols=[Subprotocol(SUBPROTOCOL)],
                max_size=MAX_SIZE,
                proxy=None,
                ping_interval=None,
            ) as ws:
                await ws.send("héllo")
                assert await ws.recv() == "héllo"
                await ws.send(b"\x00\x01" * 1000)
                assert await ws.recv() == b"\x00\x01" * 1000
                await ws.send(["frag", "mented"])
                assert await ws.recv() == "fragmented"
                pong = await ws.ping(b"hb")
                await asyncio.wait_for(pong, 5)
                await ws.send("!close 4001 done")
                await asyncio.wait_for(ws.wait_closed(), 5)
                assert ws.close_code == 4001
                assert ws.subprotocol == SUBPROTOCOL
            conn = await px.closed()
        assert peer.state.requests[0].path == "/chat/room?id=7"
        halves = _handshakes(conn)
        assert [(h.dir, h.leg) for h in halves] == [
            (Direction.OUT, HandshakeLeg.CLIENT),
            (Direction.OUT, HandshakeLeg.UPSTREAM),
            (Direction.IN, HandshakeLeg.UPSTREAM),
            (Direction.IN, HandshakeLeg.CLIENT),
        ]
        # Only Host changes on the way up; the client's extensions and subprotocols go as sent.
        up_headers = [h for h in halves[1].headers if h[0].lower() != "host"]
        assert up_headers == [h for h in halves[0].headers if h[0].lower() != "host"]
        assert (
            dict((k.lower(), v) for k, v in halves[1].headers)["host"] == f"127.0.0.1:{peer.port}"
        )
        assert halves[2].raw == halves[3].raw
        assert (store(conn).deflate_negotiated is True) == (deflate and peer.deflate)
        ours = frames_of(conn, Direction.OUT)
        theirs = frames_of(conn, Direction.IN)
        assert all(f.mask_key is not None for f in ours)
        assert all(f.mask_key is None for f in theirs)
        assert not any(f.violations for f in ours + theirs)
        assert Opcode.PING in {f.opcode for f in ours}
        assert Opcode.PONG in {f.opcode for f in theirs}
        texts = [m.message.text for m in store(conn).messages.values()]
        plain = [f.text for f in ours + theirs if f.fin and f.opcode == Opcode.TEXT]
        assert "fragmented" in texts
        assert "héllo" in texts + plain
        close = [f for f in theirs if f.opcode == Opcode.CLOSE]
        assert close and close[0].close_code == 4001
        assert conn.final_state is not None and conn.final_state.clean
        assert conn.final_state.code == 4001

    run_async(main)


@pytest.mark.parametrize("code", [1000, 1001, 1003, 1007, 1008, 1011, 1012, 3000, 4999])
def test_close_codes_pass_both_ways(code: int) -> None:
    from websockets.asyncio.client import connect

    async def main() -> None:
        async with WebsocketsPeer() as peer, reverse_proxy(peer.url) as px:
            async with connect(px.url, proxy=None) as ws:
                await ws.send(f"!close {code} server says {code}")
                await asyncio.wait_for(ws.wait_closed(), 5)
                assert (ws.close_code, ws.close_reason) == (code, f"server says {code}")
            conn = await px.closed()
        server_close = [f for f in frames_of(conn, Direction.IN) if f.opcode == Opcode.CLOSE]
        client_close = [f for f in frames_of(conn, Direction.OUT) if f.opcode == Opcode.CLOSE]
        assert [f.close_code for f in server_close] == [code]
        assert [f.close_code for f in client_close] == [code]  # websockets echoes the code
        assert conn.final_state is not None and conn.final_state.code == code

    run_async(main)


def test_aiohttp_and_tornado_clients_through_the_proxy() -> None:
    import aiohttp
    import tornado.websocket

    async def main() -> None:
        async with WebsocketsPeer() as peer, reverse_proxy(peer.url) as px:
            async with (
                aiohttp.ClientSession() as session,
                session.ws_connect(f"{px.url}/a", compress=15) as ws,
            ):
                await ws.send_str("from aiohttp")
                msg = await ws.receive(timeout=5)
                assert msg.data == "from aiohttp"
            first = await px.closed(0)
            tc = await tornado.websocket.websocket_connect(f"{px.url}/t")
            await tc.write_message(b"from tornado", binary=True)
            assert await asyncio.wait_for(tc.read_message(), 5) == b"from tornado"
            tc.close(1000)
            second = await px.closed(1)
        assert store(first).deflate_negotiated
        assert [m.message.text for m in store(first).messages.values()] == ["from aiohttp"] * 2
        assert [f.payload for f in frames_of(second, Direction.IN) if f.opcode == 2] == [
            b"from tornado"
        ]

    run_async(main)


def test_refused_upstream_reaches_the_client_as_502_with_the_reason() -> None:
    async def main() -> None:
        port = free_port()
        async with reverse_proxy(f"ws://127.0.0.1:{port}") as px:
            reader, writer, head = await raw_client(px.port)
            body = await asyncio.wait_for(reader.read(), 5)
            writer.close()
            conn = await px.closed()
        assert head.startswith(b"HTTP/1.1 502 ")
        assert b"refused" in body
        errors = [e for e in store(conn).events if isinstance(e, ErrorCaptured)]
        assert errors and errors[0].step == "tcp"
        assert conn.final_state is not None and conn.final_state.state is ConnectionState.CLOSED

    run_async(main)


def test_a_refusal_by_the_server_is_passed_through_as_it_was() -> None:
    answer = b"HTTP/1.1 403 Forbidden\r\nContent-Length: 8\r\nX-Why: nope\r\n\r\nno entry"

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(answer)
        await writer.drain()
        writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with reverse_proxy(f"ws://127.0.0.1:{port}") as px:
            reader, writer, head = await raw_client(px.port)
            rest = await asyncio.wait_for(reader.read(), 5)
            writer.close()
            conn = await px.closed()
        server.close()
        await server.wait_closed()
        assert head + rest == answer
        assert _handshakes(conn)[-1].raw == answer

    run_async(main)


def test_server_that_vanishes_after_the_101_is_closed_to_the_client_with_1011() -> None:
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    async def main() -> None:
        async with (
            RawServer(close_after=True) as server,
            reverse_proxy(f"ws://127.0.0.1:{server.port}") as px,
        ):
            async with connect(px.url, proxy=None) as ws:
                with pytest.raises(ConnectionClosed):
                    await asyncio.wait_for(ws.recv(), 5)
                code = ws.close_code
            conn = await px.closed()
        assert code == 1011
        assert any(isinstance(e, ErrorCaptured) and "1011" in e.message for e in store(conn).events)
        assert conn.final_state is not None and not conn.final_state.clean

    run_async(main)


def test_client_that_vanishes_is_closed_to_the_server_with_1001() -> None:
    async def main() -> None:
        async with WebsocketsPeer() as peer, reverse_proxy(peer.url) as px:
            reader, writer, head = await raw_client(px.port)
            assert head.startswith(b"HTTP/1.1 101")
            writer.write(_frame(Opcode.TEXT, b"bye", Role.CLIENT))
            await writer.drain()
            await asyncio.wait_for(reader.readexactly(5), 5)  # the echo
            writer.transport.abort()
            conn = await px.closed()
            await asyncio.wait_for(_until(lambda: peer.state.closes), 5)
        assert peer.state.closes == [(1001, "the client went away")]
        assert frames_of(conn, Direction.IN)[-1].close_code == 1001

    run_async(main)


@pytest.mark.slow
def test_16_mib_messages_both_ways() -> None:
    from websockets.asyncio.client import connect

    async def main() -> None:
        async with WebsocketsPeer() as peer, reverse_proxy(peer.url) as px:
            async with connect(px.url, max_size=MAX_SIZE, proxy=None, compression=None) as ws:
                data = bytes(range(256)) * (BIG // 256)
                await ws.send(data)
                assert await asyncio.wait_for(ws.recv(), 30) == data
            conn = await px.closed(timeout=30)
        big = [
            f
            for f in frames_of(conn, Direction.OUT) + frames_of(conn, Direction.IN)
            if f.length == BIG
        ]
        assert len(big) == 2

    run_async(main, timeout=60)


@pytest.mark.slow
def test_200_concurrent_connections_lose_no_frame() -> None:
    from websockets.asyncio.client import connect

    async def one(url: str, n: int) -> None:
        async with connect(f"{url}/c{n}", proxy=None) as ws:
            for i in range(20):
                await ws.send(f"{n}:{i}")
            for i in range(20):
                assert await asyncio.wait_for(ws.recv(), 20) == f"{n}:{i}"

    async def main() -> None:
        async with WebsocketsPeer() as peer, reverse_proxy(peer.url) as px:
            await asyncio.gather(*(one(px.url, n) for n in range(200)))
            conns = [await px.closed(i, timeout=30) for i in range(200)]
        for conn in conns:
            texts = [m.message.text for m in store(conn).messages.values()]
            out = [t for t in texts if t is not None]
            assert len(out) == 40  # compressed: every message is kept, 20 each way
            assert conn.final_state is not None and conn.final_state.clean
            assert not any(isinstance(e, ErrorCaptured) for e in store(conn).events)

    run_async(main, timeout=120)
