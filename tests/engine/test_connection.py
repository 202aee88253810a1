"""Tests of the asyncio connection (inspector.engine.connection): what it reads when the
connection dies, how it reports the end, and what it leaves behind."""

from __future__ import annotations

import asyncio
import functools
import gc
import itertools
import logging
import weakref
from typing import Any

import pytest

from inspector.capture.events import CaptureEvent, Direction, ErrorStep
from inspector.capture.store import CaptureStore
from inspector.engine.client import connect, new_client_connection
from inspector.engine.connection import Connection
from inspector.engine.options import ConnectOptions
from inspector.engine.publishing import MessageFilter
from inspector.engine.server import EchoServer
from inspector.protocol.constants import Opcode, Role
from inspector.protocol.events import Message
from inspector.protocol.frames import Frame, FrameSpec
from inspector.protocol.violations import Rule

from ._engine_support import (
    HostileConn,
    HostileServer,
    Recorder,
    close_frames,
    eventually,
    finish,
    run_async,
    until_reset,
)


def test_what_the_peer_sent_before_a_reset_is_read_when_a_write_fails() -> None:
    """The server sends its close frame and resets the connection; our next write fails
    (ECONNRESET) before the event loop read the close frame. The frame is still in the
    socket buffer: it must be read, parsed and recorded, and the server not blamed for
    dropping TCP without a close frame (issue 9 item 2)."""
    ready = asyncio.Event()

    async def script(hs: HostileConn) -> None:
        await hs.handshake()
        await asyncio.wait_for(ready.wait(), 5)
        await hs.send(hs.close(1002, "bad frame"))
        hs.reset()

    async def main() -> None:
        async with HostileServer(script) as server:
            rec = Recorder()
            conn = await connect(server.url, listeners=[rec])
            assert conn.transport is not None
            # The race made certain: the write runs before the loop sees the frame.
            conn.transport.pause_reading()
            ready.set()
            await server.done()
            await until_reset(conn.transport.get_extra_info("socket"))
            conn.send_text("too late")
            await finish(conn)
        (close,) = close_frames(rec.frames(Direction.IN))
        assert (close.close_code, close.close_reason) == (1002, "bad frame")
        final = conn.final_state
        assert final is not None and final.code == 1002 and final.clean is False
        assert "without a close frame" not in final.detail
        # The write that failed was tried; the close reply could not be written at
        # all, so it is not recorded as sent.
        assert [f.opcode for f in rec.frames(Direction.OUT)] == [Opcode.TEXT]

    run_async(main)


# ----------------------------------------------------------------- clean or not
@pytest.mark.parametrize(
    ("payload", "rule", "reply"),
    [
        ((42381).to_bytes(2, "big"), Rule.INVALID_CLOSE_CODE, 1002),
        ((999).to_bytes(2, "big"), Rule.INVALID_CLOSE_CODE, 1002),
        ((1005).to_bytes(2, "big"), Rule.INVALID_CLOSE_CODE, 1002),
        (b"\x03", Rule.CLOSE_PAYLOAD_ONE_BYTE, 1002),
        ((1000).to_bytes(2, "big") + b"\xff\xfe", Rule.INVALID_CLOSE_REASON, 1007),
    ],
    ids=["42381", "999", "1005-on-the-wire", "1-byte", "non-utf8-reason"],
)
def test_a_bad_close_frame_is_not_a_clean_close(payload: bytes, rule: Rule, reply: int) -> None:
    """Issue 9 item 5 (contract 4): the closing handshake completes, but the peer's close
    frame broke a close rule and we answered with a protocol-error code."""

    async def script(hs: HostileConn) -> Frame | None:
        await hs.handshake()
        await hs.send(hs.frame(Opcode.CLOSE, payload))
        return await hs.read_client()

    async def main() -> None:
        async with HostileServer(script) as server:
            conn = await connect(server.url, ConnectOptions(deflate=False))
            (answer,) = await server.done()
            await finish(conn)
        assert answer is not None and answer.close_code == reply
        assert conn.close_received and conn.close_sent
        final = conn.final_state
        assert final is not None and final.clean is False
        assert final.detail.startswith("the peer's close frame broke a rule: ")
        assert rule.rfc in final.detail

    run_async(main)


@pytest.mark.parametrize(
    ("theirs", "ours", "detail"),
    [
        (1000, None, ""),
        (1002, None, "the peer closed with 1002 (protocol error) 'no'"),
        (1007, None, "the peer closed with 1007 (invalid frame payload data) 'no'"),
        (None, 1002, "we closed with 1002 (protocol error) 'no'"),
        (None, 1000, ""),
    ],
)
def test_a_protocol_error_code_on_either_side_is_not_clean(
    theirs: int | None, ours: int | None, detail: str
) -> None:
    async def script(hs: HostileConn) -> Frame | None:
        await hs.handshake()
        if theirs is not None:
            await hs.send(hs.close(theirs, "no"))
            return await hs.read_client()
        closing = await hs.read_client()
        assert closing is not None
        await hs.send(hs.close(closing.close_code or 1000))
        return closing

    async def main() -> None:
        async with HostileServer(script) as server:
            conn = await connect(server.url, ConnectOptions(deflate=False))
            if ours is not None:
                conn.send_close(ours, "no")
            await server.done()
            await finish(conn)
        final = conn.final_state
        assert final is not None and (final.clean, final.detail) == (not detail, detail)

    run_async(main)


# ---------------------------------------------------- what the close timer says
def test_a_peer_that_never_answers_our_close_is_told_as_such() -> None:
    """Issue 9 item 8: not "did not close the TCP connection after the closing
    handshake" when there was no closing handshake: the peer never answered."""

    async def script(hs: HostileConn) -> None:
        await hs.handshake()
        await hs.read_client()  # our close frame, never answered
        await hs.reader.read()  # hold TCP open until the client gives up

    async def main() -> None:
        async with HostileServer(script) as server:
            rec = Recorder()
            options = ConnectOptions(deflate=False, close_timeout=0.2)
            conn = await connect(server.url, options, listeners=[rec])
            conn.send_close(1000)
            await server.done()
            await finish(conn)
        (late,) = rec.errors()
        assert late.step == "close" and not late.fatal
        assert late.message == (
            "the peer did not answer our close frame within 0.2 s; closing it here"
        )
        final = conn.final_state
        assert final is not None and final.clean is False
        assert final.detail == "the TCP connection closed before the peer answered our close frame"

    run_async(main)


# ------------------------------------------------------------ nothing left behind
def test_closed_connections_are_freed_without_the_garbage_collector() -> None:
    """Issue 9 item 9: a closed Connection is in no reference cycle, so a long-running
    server frees each one as it ends, not at the next full collection."""
    refs: list[weakref.ReferenceType[Connection]] = []

    def on_event(conn: Connection, event: CaptureEvent) -> None:
        if not any(r() is conn for r in refs):
            refs.append(weakref.ref(conn))

    async def main() -> None:
        async with EchoServer(on_event=on_event, keep_captures=True) as server:
            for _ in range(50):
                conn = await connect(server.url, ConnectOptions(keepalive_interval=30))
                refs.append(weakref.ref(conn))
                conn.send_text("hello")
                await conn.close()
                await finish(conn)
                del conn
            await eventually(lambda: not server.connections, what="the server to let go")
            # Let the event loop drop its last handles (transports' close callbacks).
            for _ in range(5):
                await asyncio.sleep(0)

    gc.collect()
    gc.disable()
    try:
        run_async(main, collect=False)
        alive = [r() for r in refs if r() is not None]
        assert len(refs) == 100
        assert alive == [], f"{len(alive)} connections are kept alive by reference cycles"
    finally:
        gc.enable()


# ------------------------------------------------------------- capture budget
def test_the_capture_budget_reaches_the_store_and_is_reported_once_as_an_error() -> None:
    """Issue 9 item 4, the engine's side: ConnectOptions.max_capture_bytes becomes the
    store's budget, and the store's one call of on_capped becomes one ErrorCaptured."""

    async def main() -> None:
        conn = Connection(Role.CLIENT, "ws://example.test/", max_capture_bytes=2**20)
        rec = Recorder()
        conn.subscribe(rec)
        store = conn.store
        assert store is not None and store.max_payload_bytes == 2**20
        assert store.on_capped is not None
        store.capped_at_row = 17
        store.on_capped()
        (error,) = rec.errors()
        assert (error.step, error.fatal) == (ErrorStep.CAPTURE, False)
        assert error.message == (
            "capture budget of 1 MiB reached at frame 17: later frames keep their headers "
            "and the first 4 KiB of payload"
        )
        assert conn.error is None  # not fatal: the connection goes on
        client = new_client_connection("ws://example.test/", ConnectOptions(max_capture_bytes=None))
        assert client.store is not None and client.store.max_payload_bytes is None

    run_async(main)


# ------------------------------------------------------------ our own frames
def test_a_crafted_frame_is_captured_with_its_deliberate_violation() -> None:
    """Contract 1: the FramesCaptured(OUT) event and the store carry the rules a frame
    we sent on purpose breaks, marked deliberate."""

    async def main() -> None:
        async with EchoServer() as server:
            rec = Recorder()
            conn = await connect(server.url, ConnectOptions(deflate=False), listeners=[rec])
            conn.send_frame(FrameSpec(Opcode.TEXT, b"odd", rsv2=True))
            conn.send_text("plain")
            await conn.close()
            await finish(conn)
        crafted, plain, _close = rec.frames(Direction.OUT)
        assert [(v.rule, v.deliberate) for v in crafted.violations] == [(Rule.RESERVED_BIT, True)]
        assert plain.violations == ()
        store = conn.store
        assert store is not None
        rows = [row for row in range(len(store)) if store.direction(row) is Direction.OUT]
        assert store.frame(rows[0]).violations == crafted.violations

    run_async(main)


def test_subscribe_takes_a_message_filter() -> None:
    async def main() -> None:
        async with EchoServer() as server:
            everything, composite, none = Recorder(), Recorder(), Recorder()
            conn = await connect(server.url, ConnectOptions(deflate=False))
            conn.subscribe(everything, messages=MessageFilter.ALL)
            conn.subscribe(composite, messages=MessageFilter.COMPOSITE)
            conn.subscribe(none, messages=MessageFilter.NONE)
            conn.send_text("one frame")
            conn.send_text("two frames", fragments=2)
            await eventually(lambda: len(everything.messages()) == 2, what="both echoes")
            await conn.close()
            await finish(conn)
        assert [m.text for m in everything.messages()] == ["one frame", "two frames"]
        assert [m.text for m in composite.messages()] == ["two frames"]
        assert none.messages() == [] and none.frames(Direction.IN)
        with pytest.raises(ValueError):
            conn.subscribe(none, messages="some")

    run_async(main)


def test_state_changes_are_logged_at_debug_level(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> None:
        async with EchoServer() as server:
            conn = await connect(server.url, ConnectOptions(deflate=False))
            await conn.close()
            await finish(conn)

    with caplog.at_level(logging.DEBUG, logger="inspector.engine.connection"):
        run_async(main)
    lines = [r.getMessage() for r in caplog.records if r.name == "inspector.engine.connection"]
    assert any(line.startswith("state open (ws://127.0.0.1:") for line in lines)
    assert any(line.startswith("state closed code=1000 clean=True (") for line in lines)


# --------------------------------------------------------- sending in bursts
def test_a_burst_of_sends_in_one_turn_reaches_the_peer_whole_and_in_order() -> None:
    """Sends after the first of an event-loop turn are joined into one socket write
    at its end (issue 13): the peer still gets every message, in order, a large one
    among them, with the close frame last; the store has every sent frame in its
    columns at the offsets it had on the wire."""
    import websockets.asyncio.server as ws_server

    received: list[str | bytes] = []
    big = bytes(range(256)) * 1200  # 300 KiB: written alone, not joined

    async def handler(ws: ws_server.ServerConnection) -> None:
        async for message in ws:
            received.append(message)

    async def main() -> Connection:
        async with ws_server.serve(handler, "127.0.0.1", 0, max_size=None) as server:
            port = server.sockets[0].getsockname()[1]
            conn = await connect(f"ws://127.0.0.1:{port}/", ConnectOptions(deflate=False))
            for i in range(3000):  # no await in between: one turn
                conn.send_text(f"message {i}")
            conn.send_binary(big)
            conn.send_text("after the large one")
            await conn.close()
            await finish(conn)
            return conn

    conn = run_async(main)
    assert received == [f"message {i}" for i in range(3000)] + [big, "after the large one"]
    store = conn.store
    assert store is not None
    out = [row for row in range(len(store)) if store.direction(row) is Direction.OUT]
    frames = [store.frame(row) for row in out]
    assert [f.seq for f in frames] == list(range(3003))
    assert all(b.offset == a.offset + a.wire_size for a, b in itertools.pairwise(frames))
    assert frames[3000].payload == big and frames[-1].opcode == Opcode.CLOSE
    assert all(f.masked and not f.violations for f in frames)
    assert conn.final_state is not None and conn.final_state.clean


def test_a_servers_echoes_of_a_burst_all_precede_its_close() -> None:
    """Our server answers a read of many messages with a burst of echoes and then
    the close reply, and closes TCP: what was held for the end of the turn is written
    before the transport closes."""

    async def main() -> tuple[Recorder, Connection]:
        async with EchoServer() as server:
            rec = Recorder()
            conn = await connect(server.url, ConnectOptions(deflate=False), listeners=[rec])
            for i in range(500):
                conn.send_text(f"echo {i}")
            await conn.close()
            await finish(conn)
            return rec, conn

    rec, conn = run_async(main)
    frames = rec.frames(Direction.IN)
    assert [f.text for f in frames[:-1]] == [f"echo {i}" for i in range(500)]
    assert frames[-1].opcode == Opcode.CLOSE
    assert conn.final_state is not None and conn.final_state.clean


def test_messages_are_made_again_once_someone_asks_for_them() -> None:
    """With no message listener and no on_message the protocol makes no Message per
    plain frame; subscribing one (or setting on_message) after the open brings them
    back, and the frames were captured either way."""

    async def main() -> tuple[list[str | None], Recorder, Connection]:
        async with EchoServer() as server:
            conn = await connect(server.url, ConnectOptions(deflate=False))
            assert conn.protocol is not None and not conn.protocol.record_plain_messages
            conn.send_text("unseen")
            store = conn.store
            assert store is not None
            await eventually(lambda: len(store) == 2, what="the first echo")
            texts: list[str | None] = []
            assert not conn.protocol.record_plain_sent
            conn.on_message = lambda m: texts.append(m.text)
            assert conn.protocol.record_plain_messages
            assert not conn.protocol.record_plain_sent  # on_message takes received ones
            rec = Recorder()
            conn.subscribe(rec, messages=MessageFilter.ALL)
            conn.on_message = None
            assert conn.protocol.record_plain_messages  # the listener still wants them
            assert conn.protocol.record_plain_sent
            conn.on_message = lambda m: texts.append(m.text)
            conn.send_text("seen")
            await eventually(lambda: len(texts) == 1, what="the second echo")
            await conn.close()
            await finish(conn)
            return texts, rec, conn

    texts, rec, conn = run_async(main)
    assert texts == ["seen"]
    assert [m.text for m in rec.messages(Direction.IN)] == ["seen"]
    assert [m.text for m in rec.messages(Direction.OUT)] == ["seen"]
    store = conn.store
    assert store is not None
    assert [store.frame(r).text for r in range(4)] == ["unseen", "unseen", "seen", "seen"]


def test_what_a_read_makes_us_send_goes_out_after_it_in_order() -> None:
    """Writes made while a read is handled (here: on_message answering each echo)
    wait for the read's end and go out together, in order, before anything later."""
    import websockets.asyncio.server as ws_server

    async def echo(ws: ws_server.ServerConnection) -> None:
        async for message in ws:
            await ws.send(message)

    async def main() -> tuple[list[str | None], Connection]:
        async with ws_server.serve(echo, "127.0.0.1", 0) as server:
            port = server.sockets[0].getsockname()[1]
            conn = await connect(f"ws://127.0.0.1:{port}/", ConnectOptions(deflate=False))
            loop = asyncio.get_running_loop()
            done: asyncio.Future[None] = loop.create_future()
            seen: list[str | None] = []

            def answer(message: Message) -> None:
                seen.append(message.text)
                if len(seen) < 200:
                    conn.send_text(f"reply {len(seen)}")
                    conn.send_text(f"and {len(seen)}")
                elif not done.done():
                    done.set_result(None)

            conn.on_message = answer
            conn.send_text("start")
            await asyncio.wait_for(done, 10)
            await conn.close()
            await finish(conn)
            return seen, conn

    seen, conn = run_async(main)
    expected = ["start"] + [w for i in range(1, 200) for w in (f"reply {i}", f"and {i}")]
    assert seen[:200] == expected[:200]  # the echoes come back in the order sent
    store = conn.store
    assert store is not None
    sent = [store.frame(r) for r in range(len(store)) if store.direction(r) is Direction.OUT]
    assert [f.text for f in sent[:-1]] == expected and sent[-1].opcode == Opcode.CLOSE


def test_a_flood_of_sends_is_in_the_store_as_each_send_returns() -> None:
    """Frames sent with no other frame listener reach the store in bulk at the end of
    the event-loop turn; whoever reads the store before that (its length, counters,
    events) sees every one already, in order with what came in and what happened."""

    async def main() -> Connection:
        async with EchoServer() as server:
            conn = await connect(server.url, ConnectOptions(deflate=False))
            store = conn.store
            assert store is not None
            before = len(store)
            for i in range(300):
                conn.send_text(f"m{i}")
                assert len(store) == before + i + 1
            assert store.counters(Direction.OUT).frames == 300
            conn.send_ping(b"p")
            conn.send_binary(b"\x00" * 200)
            assert store.frame(len(store) - 1).length == 200
            await eventually(lambda: store.counters(Direction.IN).frames >= 302, what="echoes")
            for i in range(3):  # a turn's sends, then a read: the read's frames after
                conn.send_text(f"late {i}")
            await conn.close()
            await finish(conn)
            return conn

    conn = run_async(main)
    store = conn.store
    assert store is not None
    out = [store.frame(r) for r in range(len(store)) if store.dir[r] == 0]
    assert [f.payload for f in out][:300] == [f"m{i}".encode() for i in range(300)]
    assert [f.seq for f in out] == list(range(len(out)))
    assert [f.payload for f in out][300:] == [b"p", b"\x00" * 200] + [
        f"late {i}".encode() for i in range(3)
    ] + [out[-1].payload]  # then the close frame
    assert list(store.t) == sorted(store.t)
    rows_of_events = [rows for rows, _ in store.iter_events()]
    assert rows_of_events == sorted(rows_of_events)


# Frames a read may hold alone: whole messages (which the store takes straight from
# the read when nothing else listens to frames) and every kind it hands on.
_READS: list[tuple[int, bytes, dict[str, Any]]] = [
    (Opcode.TEXT, b"plain text", {}),
    (Opcode.BINARY, b"\x00\x01" * 40, {}),
    (Opcode.PING, b"p", {}),
    (Opcode.TEXT, b"frag-", {"fin": False}),
    (Opcode.CONT, b"ment", {}),
    (Opcode.TEXT, b"\xff not utf-8", {}),
    (Opcode.BINARY, b"x" * 124, {"length_form": 16}),
    (Opcode.TEXT, b"rsv", {"rsv2": True}),
    (Opcode.BINARY, b"b" * 300, {}),
]


def _has_more_frames_than(store: CaptureStore, n: int) -> bool:
    return store.counters(Direction.IN).frames > n


@pytest.mark.parametrize("other_listener", [False, True])
def test_frames_read_one_at_a_time_are_captured_whatever_listens(other_listener: bool) -> None:
    """Each server frame in a read of its own: the store keeps every one exactly, with
    its violations and its message, whether it takes the read itself (nothing else
    listens to frames) or as a published event (a listener does)."""
    sent = [HostileConn.frame(op, payload, **spec) for op, payload, spec in _READS]
    read: list[asyncio.Event] = []

    async def script(hs: HostileConn) -> None:
        await hs.handshake()
        for frame, got in zip(sent, read, strict=True):
            await hs.send(frame)
            await asyncio.wait_for(got.wait(), 5)  # one read per frame
        await hs.send(hs.close())
        await hs.read_client()

    async def main() -> None:
        async with HostileServer(script) as server:
            rec = Recorder()
            read.extend(asyncio.Event() for _ in sent)
            conn = await connect(server.url, listeners=[rec] if other_listener else [])
            store = conn.store
            assert store is not None

            def on_message(_message: Message) -> None:
                pass

            conn.on_message = on_message  # messages made too: the path a round trip takes
            for i, got_it in enumerate(read):
                await eventually(functools.partial(_has_more_frames_than, store, i))
                got_it.set()
            await finish(conn)
            got = [store.frame(r) for r in range(len(store)) if store.direction(r) is Direction.IN]
            assert [f.header + f.masked_payload for f in got[: len(sent)]] == sent
            if other_listener:
                assert got == rec.frames(Direction.IN)
            rules = {i: [v.rule for v in f.violations] for i, f in enumerate(got) if f.violations}
            assert rules == {
                5: [Rule.INVALID_UTF8],
                6: [Rule.NON_MINIMAL_LENGTH],
                7: [Rule.RESERVED_BIT],
            }
            last_fragment = store.row_of(Direction.IN, 4)
            assert last_fragment is not None
            fragmented = store.message_for(last_fragment)
            assert fragmented is not None and fragmented.text == "frag-ment"
            assert store.counters(Direction.IN).wire_bytes == sum(map(len, sent)) + 4

    run_async(main)
