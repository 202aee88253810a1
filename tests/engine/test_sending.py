"""The engine's send path (inspector/engine/sending.py): writes of one event-loop turn
joined, sent frames held for one bulk record, and what reaches the wire. Each test
runs our client against the websockets library's server through a relay that keeps
every byte the client wrote, so that the bytes on the wire are compared with what
the capture says, and the independent server says what it understood."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

from inspector.capture.events import Direction
from inspector.engine.client import connect
from inspector.engine.connection import Connection
from inspector.engine.options import ConnectOptions
from inspector.protocol.constants import Opcode
from inspector.protocol.frames import Frame, FrameSpec

from ._engine_support import (
    HostileConn,
    HostileServer,
    Peer,
    WebsocketsPeer,
    eventually,
    run_async,
    store_frames,
    tcp_server,
)


class Relay:
    """A TCP relay to ``port`` that keeps what the client wrote (``up``)."""

    def __init__(self) -> None:
        self.up = bytearray()
        self.port = 0


@contextlib.asynccontextmanager
async def relay_to(port: int) -> AsyncIterator[Relay]:
    relay = Relay()

    async def pump(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, keep: bytearray | None
    ) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await reader.read(65536):
                if keep is not None:
                    keep += data
                writer.write(data)
                await asyncio.wait_for(writer.drain(), 5)
        with contextlib.suppress(ConnectionError, OSError):
            writer.write_eof()

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            await asyncio.wait_for(
                asyncio.gather(pump(reader, up_writer, relay.up), pump(up_reader, writer, None)),
                10,
            )
        finally:
            up_writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(up_writer.wait_closed(), 2)

    async with tcp_server(handler) as (_server, relay_port):
        relay.port = relay_port
        yield relay


def options() -> ConnectOptions:
    return ConnectOptions(deflate=False, open_timeout=5, close_timeout=2)


def wire_of(frames: list[Frame]) -> bytes:
    """The bytes these frames put on the wire: each header, then its payload masked
    with the key the header carries."""
    out = bytearray()
    for frame in frames:
        out += frame.header + frame.masked_payload
    return bytes(out)


def frames_written(relay: Relay) -> bytes:
    """What the client wrote after its handshake request."""
    _request, _, frames = bytes(relay.up).partition(b"\r\n\r\n")
    return frames


def through_relay(body: Callable[[Peer, Relay], Awaitable[None]]) -> None:
    async def main() -> None:
        async with WebsocketsPeer() as peer, relay_to(peer.port) as relay:
            await body(peer, relay)

    run_async(main, 20)


async def closed(conn: Connection) -> None:
    await conn.close()
    assert conn.final_state is not None and conn.final_state.clean, conn.final_state


def test_mixed_frames_of_one_turn_go_out_in_order_and_as_captured() -> None:
    """Fast-path sends, a ping, a crafted frame and binary messages queued in one
    turn reach the server in the order they were made, each exactly as recorded."""

    async def body(peer: Peer, relay: Relay) -> None:
        conn = await connect(f"ws://127.0.0.1:{relay.port}/", options())
        returned: list[Frame] = []
        returned += conn.send_text("one")
        returned += conn.send_text("two")
        returned += conn.send_ping(b"p")
        returned += conn.send_binary(b"\x00\x01three")
        returned += conn.send_frame(FrameSpec(Opcode.TEXT, b"crafted"))
        returned += conn.send_text("four" * 100)  # a 16-bit length
        returned += conn.send_text("")
        await eventually(lambda: len(peer.state.received) >= 6, what="the six messages")
        assert peer.state.received == ["one", "two", b"\x00\x01three", "crafted", "four" * 100, ""]
        await closed(conn)
        out = store_frames(conn, Direction.OUT)
        assert out[: len(returned)] == returned
        assert [f.seq for f in out] == list(range(len(out)))
        assert [f.offset for f in out[1:]] == [f.offset + f.wire_size for f in out[:-1]]
        assert out[-1].opcode == Opcode.CLOSE
        assert frames_written(relay) == wire_of(out)

    through_relay(body)


def test_a_crafted_frame_between_two_plain_sends_keeps_its_place_and_violations() -> None:
    """A crafted frame breaking a rule (RSV2 set) between two plain messages: the
    capture keeps its place and its violation; the plain ones around it none."""

    async def body(peer: Peer, relay: Relay) -> None:
        conn = await connect(f"ws://127.0.0.1:{relay.port}/", options())
        conn.send_text("before")
        conn.send_text("before, too")
        (crafted,) = conn.send_frame(FrameSpec(Opcode.TEXT, b"odd", rsv2=True))
        conn.send_text("after")
        assert crafted.violations and all(v.deliberate for v in crafted.violations)
        # websockets fails the connection on RSV2 (1002): the frame reached it whole.
        await asyncio.wait_for(conn.wait_closed(), 5)
        assert conn.final_state is not None and conn.final_state.code == 1002
        assert peer.state.received == ["before", "before, too"][: len(peer.state.received)]
        out = store_frames(conn, Direction.OUT)
        assert [f.payload for f in out[:4]] == [b"before", b"before, too", b"odd", b"after"]
        assert [bool(f.violations) for f in out[:4]] == [False, False, True, False]
        assert frames_written(relay).startswith(wire_of(out[:4]))

    through_relay(body)


def test_close_after_queued_data_goes_after_all_of_it() -> None:
    """A close started in the turn that queued many messages goes out after them:
    a server that reads everything (parsed by the websockets library) sees them all,
    then the close frame, exactly the bytes the capture records."""

    async def script(hs: HostileConn) -> tuple[bytes, list[tuple[int, bytes]]]:
        from websockets.server import ServerProtocol

        await hs.read_request()
        server = ServerProtocol(max_size=None)
        server.receive_data(hs.request)
        (handshake,) = server.events_received()
        await hs.send(hs.response())
        raw = bytearray()
        read: list[tuple[int, bytes]] = []
        while not read or read[-1][0] != Opcode.CLOSE:
            data = await asyncio.wait_for(hs.reader.read(65536), 5)
            assert data, "the client closed before its close frame"
            raw += data
            server.receive_data(data)
            read += [(int(f.opcode), bytes(f.data)) for f in server.events_received()]  # type: ignore[union-attr]
        await hs.send(hs.close(1000))
        del handshake
        return bytes(raw), read

    async def main() -> None:
        async with HostileServer(script) as server:
            conn = await connect(server.url, options())
            texts = [f"message {i}" for i in range(2000)]
            for text in texts:
                conn.send_text(text)
            await closed(conn)
            ((raw, read),) = await server.done()
        out = store_frames(conn, Direction.OUT)
        assert [f.opcode for f in out] == [Opcode.TEXT] * len(texts) + [Opcode.CLOSE]
        assert raw == wire_of(out)
        assert read[:-1] == [(Opcode.TEXT, t.encode()) for t in texts]
        assert read[-1] == (Opcode.CLOSE, (1000).to_bytes(2, "big"))

    run_async(main, 20)


def test_a_burst_past_the_limit_is_written_in_order_and_recorded_whole() -> None:
    """More than the burst limit queued in one turn (written before the turn ends),
    messages of every length form, all recorded and on the wire in order."""

    async def body(peer: Peer, relay: Relay) -> None:
        conn = await connect(f"ws://127.0.0.1:{relay.port}/", options())
        sizes = [0, 1, 125, 126, 65535, 65536, 70_000] * 8  # ~1.7 MB in one turn
        payloads = [bytes([i % 256]) * n for i, n in enumerate(sizes)]
        for payload in payloads:
            conn.send_binary(payload)
        await eventually(lambda: len(peer.state.received) >= len(payloads), what="echoes")
        assert peer.state.received == payloads
        await closed(conn)
        out = store_frames(conn, Direction.OUT)
        assert [f.payload for f in out[:-1]] == payloads
        assert frames_written(relay) == wire_of(out)

    through_relay(body)


def test_the_store_read_mid_turn_has_every_frame_sent_so_far() -> None:
    """Frames held for the end of the turn are in the store for any reader before."""

    async def body(peer: Peer, relay: Relay) -> None:
        conn = await connect(f"ws://127.0.0.1:{relay.port}/", options())
        store = conn.store
        assert store is not None
        before = len(store)
        conn.send_text("a")
        conn.send_text("b")
        conn.send_text("c")
        assert len(store) == before + 3
        assert [store.frame(r).payload for r in range(before, before + 3)] == [b"a", b"b", b"c"]
        conn.send_binary(b"d")
        assert store.counters(Direction.OUT).frames == 4
        await eventually(lambda: len(peer.state.received) >= 4, what="the echoes")
        await closed(conn)

    through_relay(body)


def test_sends_from_on_message_go_out_with_the_read_and_as_captured() -> None:
    """Echo after echo answered from on_message (the round-trip path): every answer
    reaches the server, in order, exactly as recorded."""

    async def body(peer: Peer, relay: Relay) -> None:
        conn = await connect(f"ws://127.0.0.1:{relay.port}/", options())
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        count = 0

        def on_message(_message: object) -> None:
            nonlocal count
            count += 1
            if count < 200:
                conn.send_text(f"n{count}")
                if count % 50 == 0:
                    conn.send_ping(str(count).encode())
            elif not done.done():
                done.set_result(None)

        conn.on_message = on_message  # type: ignore[assignment]
        conn.send_text("n0")
        await asyncio.wait_for(done, 10)
        assert peer.state.received == [f"n{i}" for i in range(200)]
        await closed(conn)
        out = store_frames(conn, Direction.OUT)
        assert [f.payload for f in out if f.opcode == Opcode.TEXT] == [
            f"n{i}".encode() for i in range(200)
        ]
        assert frames_written(relay) == wire_of(out)

    through_relay(body)


def test_writing_paused_says_when_drain_would_wait() -> None:
    """writing_paused is true exactly while the transport is over its high-water
    mark: a loop that awaits drain() only then still never overfills it."""

    async def body(peer: Peer, relay: Relay) -> None:
        conn = await connect(f"ws://127.0.0.1:{relay.port}/", options())
        assert conn.transport is not None
        assert not conn.writing_paused
        payload = b"z" * 65536
        paused = 0
        for _ in range(200):
            conn.send_binary(payload)
            if conn.writing_paused:
                paused += 1
                await asyncio.wait_for(conn.drain(), 5)
                assert not conn.writing_paused
        assert paused, "13 MB never paused writing"
        await eventually(lambda: len(peer.state.received) >= 200, timeout=10, what="echoes")
        await closed(conn)

    through_relay(body)


def test_a_message_breaking_off_a_crafted_fragment_is_recorded_as_breaking_it() -> None:
    """A crafted first fragment left open, then a plain message in the same turn
    (where sends take the fast path): the message's record names the rule it breaks,
    as when sent alone."""

    async def body(peer: Peer, relay: Relay) -> None:
        conn = await connect(f"ws://127.0.0.1:{relay.port}/", options())
        conn.send_text("first")  # the turn's first write: later sends are joined
        conn.send_frame(FrameSpec(Opcode.TEXT, b"open", fin=False))
        (breaking,) = conn.send_text("breaks it off")
        assert breaking.violations and all(v.deliberate for v in breaking.violations)
        await asyncio.wait_for(conn.wait_closed(), 5)
        out = store_frames(conn, Direction.OUT)
        assert [f.payload for f in out[:3]] == [b"first", b"open", b"breaks it off"]
        assert out[2].violations == breaking.violations
        assert frames_written(relay).startswith(wire_of(out[:3]))

    through_relay(body)
