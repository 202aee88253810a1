"""Tests of inspector.capture.store: columns that give back every frame exactly,
fragment grouping, messages, events, search and filters, and the memory cost."""

from __future__ import annotations

import dataclasses
import gc
import re
import tracemalloc
from array import array
from typing import Any

import pytest

from capture.conftest import IN, OUT, received, session_info, wire
from inspector.capture.events import (
    ConnectionState,
    Direction,
    ErrorCaptured,
    ErrorStep,
    FramesCaptured,
    HandshakeCaptured,
    MessageCaptured,
    RawBytesSent,
    RttSample,
    SessionRole,
    StateChanged,
    ViolationCaptured,
)
from inspector.capture.live import BULK_FROM
from inspector.capture.store import (
    CAPPED_PAYLOAD,
    DEFAULT_MAX_CAPTURE_BYTES,
    CaptureStore,
    DirectionCounters,
)
from inspector.protocol.connection import Protocol
from inspector.protocol.constants import Opcode, Role
from inspector.protocol.events import Message
from inspector.protocol.frames import Frame, FrameBatch, FrameSpec, encode_frame
from inspector.protocol.parser import FrameParser
from inspector.protocol.violations import Rule, Violation

KEY = b"\x01\x02\x03\x04"


def add_batches(store: CaptureStore, batches: list[FrameBatch], d: Direction, t: float) -> None:
    for batch in batches:
        store.add(FramesCaptured(t, d, batch))


# Every shape of frame header: masked and not, all three length forms (minimal and
# not), RSV bits, reserved opcodes, control frames, fragments, 16- and 64-bit lengths.
ODD_SPECS = [
    FrameSpec(Opcode.TEXT, b"hello"),
    FrameSpec(Opcode.TEXT, b"short in 16 bits", length_form=16),
    FrameSpec(Opcode.BINARY, b"\x00\x01 in 64 bits", length_form=64),
    FrameSpec(Opcode.BINARY, bytes(range(256)) * 2),  # 512: the 16-bit form
    FrameSpec(Opcode.BINARY, b"\xab" * 70_000),  # the 64-bit form
    FrameSpec(Opcode.BINARY, b"\xab" * 300, length_form=64),
    FrameSpec(Opcode.TEXT, b"rsv", rsv1=True, rsv2=True, rsv3=True),
    FrameSpec(0x3, b"reserved opcode"),
    FrameSpec(0xB, b"reserved control"),
    FrameSpec(Opcode.PING, b"ping"),
    FrameSpec(Opcode.PONG, b""),
    FrameSpec(Opcode.TEXT, b"frag-", fin=False),
    FrameSpec(Opcode.CONT, b"ment"),
    FrameSpec(Opcode.CLOSE, b"\x03\xe8bye"),
]


def masked_variants() -> list[FrameSpec]:
    """ODD_SPECS masked with a fixed key, and one not masked at all."""
    import dataclasses

    out = [dataclasses.replace(s, mask=True, mask_key=KEY) for s in ODD_SPECS]
    out.append(FrameSpec(Opcode.TEXT, b"unmasked from a client", mask=False))
    out.append(FrameSpec(Opcode.TEXT, b"key ff", mask=True, mask_key=b"\xff\xff\xff\xff"))
    return out


@pytest.mark.parametrize(
    ("specs", "sender", "chunks"),
    [
        (ODD_SPECS, Role.SERVER, 1),
        (ODD_SPECS, Role.SERVER, 5),
        (masked_variants(), Role.CLIENT, 1),
        (masked_variants(), Role.CLIENT, 7),
    ],
)
def test_rows_give_back_every_frame_exactly(
    specs: list[FrameSpec], sender: Role, chunks: int
) -> None:
    batches = received(wire(*specs, sender=sender), sender=sender, chunks=chunks)
    expected = [frame for batch in batches for frame in batch]
    assert len(expected) == len(specs)
    assert any(f.violations for f in expected)
    store = CaptureStore(session_info())
    add_batches(store, batches, IN, 1.5)
    assert len(store) == len(expected)
    for row, frame in enumerate(expected):
        got = store.frame(row)
        assert got == frame
        assert got.header == frame.header  # exact, also non-minimal forms
        assert store.header(row) == frame.header
        assert got.length == frame.length and got.mask_key == frame.mask_key
        assert store.direction(row) is IN
        assert store.t[row] == 1.5
        assert store.opcode(row) == frame.opcode
    assert store.frame(-1) == expected[-1]
    with pytest.raises(IndexError):
        store.frame(len(expected))


@pytest.mark.parametrize("sender", [Role.SERVER, Role.CLIENT])
def test_flood_fast_paths_match_the_parser(sender: Role) -> None:
    """Batches of plain small frames take the bulk paths (unmasked, or masked with
    7-bit lengths); one odd frame sends a batch down the per-frame loop."""
    plain = wire(*(FrameSpec(Opcode.TEXT, b"tick %d" % i) for i in range(50)), sender=sender)
    odd = wire(FrameSpec(Opcode.BINARY, b"x" * 200), sender=sender)
    batches = received(plain + odd + plain, sender=sender, chunks=3)
    store = CaptureStore(session_info())
    add_batches(store, batches, IN, 0.0)
    expected = [f for b in batches for f in b]
    assert [store.frame(r) for r in range(len(store))] == expected
    assert list(store.msg_start) == list(range(len(store)))


def test_sent_frames_as_a_list() -> None:
    proto = Protocol(Role.CLIENT)
    proto.send_text("héllo", fragments=3)
    proto.send_ping(b"p")
    proto.send_frame(FrameSpec(Opcode.BINARY, b"16!", length_form=16))
    proto.send_close(1000, "done")
    sent = proto.events_sent()
    frames = [e for e in sent if isinstance(e, Frame)]
    store = CaptureStore(session_info())
    store.add(FramesCaptured(0.25, OUT, frames))
    for e in sent:
        if isinstance(e, Message):
            store.add(MessageCaptured(0.25, OUT, e))
    assert [store.frame(r) for r in range(len(store))] == frames
    assert all(store.direction(r) is OUT for r in range(len(store)))
    message = store.message_for(2)
    assert message is not None and message.text == "héllo" and message.fragments == 3
    assert list(store.message_frames(0)) == [0, 1, 2]
    assert store.counters(OUT) == DirectionCounters(
        len(frames), sum(f.wire_size for f in frames), sum(f.length for f in frames)
    )
    assert store.counters(IN) == DirectionCounters(0, 0, 0)


@pytest.mark.parametrize("budget", [None, 40])
def test_frames_sent_one_at_a_time_match_a_list(budget: int | None) -> None:
    # add_sent is the send path's one-frame add_frames: the same rows, counters,
    # grouping and budget cut, whatever the frame (plain, fragments, control, crafted).
    proto = Protocol(Role.CLIENT)
    proto.send_text("plain")
    proto.send_text("héllo", fragments=3)
    proto.send_binary(b"\x00" * 200)
    proto.send_ping(b"p")
    proto.send_frame(FrameSpec(Opcode.TEXT, b"rsv", rsv2=True))
    proto.send_frame(FrameSpec(Opcode.BINARY, b"16!", length_form=16))
    proto.send_text("a long way past the budget of forty bytes, cut")
    frames = [e for e in proto.events_sent() if isinstance(e, Frame)]
    listed = CaptureStore(session_info(), max_payload_bytes=budget)
    listed.add_frames(0.5, OUT, frames)
    one_by_one = CaptureStore(session_info(), max_payload_bytes=budget)
    for frame in frames:
        one_by_one.add_sent(0.5, frame)
    assert [one_by_one.frame(r) for r in range(len(one_by_one))] == [
        listed.frame(r) for r in range(len(listed))
    ]
    assert [list(c) for c in one_by_one._columns()] == [list(c) for c in listed._columns()]
    assert one_by_one.payloads == listed.payloads
    assert one_by_one.counters(OUT) == listed.counters(OUT)
    assert one_by_one.capped_at_row == listed.capped_at_row
    assert list(one_by_one.message_frames(1)) == [1, 2, 3]


def held_columns(
    frames: list[Frame], t: float = 0.5
) -> tuple[array[float], int, array[int], list[bytes], list[bytes]]:
    """The columns the engine holds a turn's sends in (times, first seq, offsets,
    headers, payloads)."""
    return (
        array("d", [t] * len(frames)),
        frames[0].seq,
        array("q", [f.offset for f in frames]),
        [f.header for f in frames],
        [f.payload for f in frames],
    )


@pytest.mark.parametrize("count", [5, BULK_FROM, 100])
@pytest.mark.parametrize("budget", [None, 200])
@pytest.mark.parametrize("size", [7, 200])
def test_sent_frames_held_as_columns_match_a_list(
    count: int, budget: int | None, size: int
) -> None:
    # add_sent_columns is how the engine records a turn's sends: one by one below
    # BULK_FROM, in bulk from it (7-bit lengths, or longer ones), one by one past the
    # budget: the same rows, counters and cut as add_frames of the frames.
    proto = Protocol(Role.CLIENT)
    proto.send_text("first")  # the held frames start past seq 0 and offset 0
    for i in range(count):
        proto.send_binary(bytes([i % 256]) * size)
    frames = [e for e in proto.events_sent() if isinstance(e, Frame)][1:]
    listed = CaptureStore(session_info(), max_payload_bytes=budget)
    listed.add_frames(0.5, OUT, frames)
    held = CaptureStore(session_info(), max_payload_bytes=budget)
    held.add_sent_columns(*held_columns(frames))
    assert [list(c) for c in held._columns()] == [list(c) for c in listed._columns()]
    assert held.payloads == listed.payloads
    assert held.counters(OUT) == listed.counters(OUT)
    assert held.capped_at_row == listed.capped_at_row
    if budget is None:
        assert [held.frame(r) for r in range(len(held))] == frames


def test_rows_held_back_are_added_before_any_read_or_add() -> None:
    proto = Protocol(Role.CLIENT)
    for i in range(5):
        proto.send_text(f"m{i}")
    frames = [e for e in proto.events_sent() if isinstance(e, Frame)]
    store = CaptureStore(session_info())
    calls: list[int] = []

    def add_held() -> None:
        calls.append(len(calls))
        store.add_sent_columns(*held_columns(frames, 0.1))

    store.hold(add_held)
    assert not store.payloads  # held
    assert len(store) == 5 and calls == [0]
    assert len(store) == 5 and calls == [0]  # once, then forgotten
    store.hold(add_held)
    store.add(StateChanged(1.0, ConnectionState.CLOSED))
    assert list(store.event_rows) == [10]  # the held rows came first
    store.hold(add_held)
    assert store.counters(OUT).frames == 15


def test_oversized_frame_keeps_its_declared_length() -> None:
    parser = FrameParser(Role.SERVER, max_frame_size=10)
    batch = parser.feed(wire(FrameSpec(Opcode.BINARY, b"z" * 300), FrameSpec(Opcode.TEXT, b"ok")))
    store = CaptureStore(session_info())
    store.add(FramesCaptured(0.0, IN, batch))
    big = store.frame(0)
    assert big == batch[0] and big.truncated and big.length == 300 and big.payload == b""
    assert store.violations[0][0].rule is Rule.FRAME_TOO_LARGE
    assert store.counters(IN) == DirectionCounters(2, 4 + 300 + 2 + 2, 302)


def conversation() -> tuple[CaptureStore, list[Frame], list[Message]]:
    """A client's view: our fragmented message, the server's fragmented reply with a
    ping in the middle, an abandoned message, a stray continuation, a close."""
    store = CaptureStore(session_info())
    client = Protocol(Role.CLIENT)
    server = Protocol(Role.SERVER)
    frames: list[Frame] = []
    messages: list[Message] = []

    def send(t: float) -> None:
        sent = client.events_sent()
        out = [e for e in sent if isinstance(e, Frame)]
        frames.extend(out)
        store.add(FramesCaptured(t, OUT, out))
        for e in sent:
            if isinstance(e, Message):
                store.add(MessageCaptured(t, OUT, e))
        server.receive_data(b"".join(client.data_to_send()))

    def receive(data: bytes, t: float) -> None:
        client.receive_data(data)
        for e in client.events_received():
            if isinstance(e, FrameBatch):
                frames.extend(e)
                store.add(FramesCaptured(t, IN, e))
            elif isinstance(e, Message):
                messages.append(e)
                store.add(MessageCaptured(t, IN, e))

    store.add(StateChanged(0.0, ConnectionState.OPEN))
    client.send_text("question?", fragments=2)  # rows 0, 1
    send(0.1)
    receive(
        wire(
            FrameSpec(Opcode.TEXT, b"ans", fin=False),  # row 2
            FrameSpec(Opcode.PING, b"mid"),  # row 3
            FrameSpec(Opcode.CONT, b"wer", fin=False),  # row 4
            FrameSpec(Opcode.CONT, b"!"),  # row 5
            FrameSpec(Opcode.BINARY, b"\x00abandoned", fin=False),  # row 6
            FrameSpec(Opcode.TEXT, b"single"),  # row 7: drops row 6's message
            FrameSpec(Opcode.CONT, b"stray"),  # row 8
        ),
        0.2,
    )
    send(0.3)  # the automatic pong: row 9
    store.add(ErrorCaptured(0.35, ErrorStep.READ, "slow peer", fatal=False))
    receive(wire(FrameSpec(Opcode.TEXT, b"tail", fin=False)), 0.4)  # row 10, unfinished
    return store, frames, messages


def test_fragments_group_like_the_connection_reassembles() -> None:
    store, frames, messages = conversation()
    assert [store.frame(r) for r in range(len(store))] == frames
    assert list(store.msg_start) == [0, 0, 2, -1, 2, 2, 6, 7, -1, -1, 10]
    assert list(store.message_frames(1)) == [0, 1]
    assert list(store.message_frames(4)) == [2, 4, 5]  # the ping is not part of it
    assert list(store.message_frames(3)) == [3]
    assert list(store.message_frames(6)) == [6]  # abandoned: a group of one
    assert list(store.message_frames(8)) == [8]
    assert list(store.message_frames(10)) == [10]  # unfinished so far
    answer = store.message_for(5)
    assert answer is not None and answer.text == "answer!" and answer.fragments == 3
    assert store.message_for(4) is None
    assert store.message_for(7) is None  # one plain frame: not kept
    assert store.message_for(1) is not None
    assert sorted(store.messages) == [1, 5]
    assert [m for m in messages if m.fragments > 1] == [answer]


def test_events_keep_their_place_among_rows() -> None:
    store, _, _ = conversation()
    assert [type(e) for e in store.events] == [StateChanged, ErrorCaptured]
    assert list(store.event_rows) == [0, 10]
    assert list(store.iter_events()) == list(zip([0, 10], store.events, strict=True))
    state = store.state
    assert state is not None and state.state is ConnectionState.OPEN
    hs = HandshakeCaptured(0.05, IN, b"HTTP/1.1 101\r\n\r\n", "HTTP/1.1 101", ())
    store.add(hs)
    store.add(StateChanged(0.5, ConnectionState.CLOSED, 1000, "bye", True))
    store.add(RttSample(0.6, 0.012, b"p"))
    store.add(RawBytesSent(0.7, b"\xff", 40))
    store.add(ViolationCaptured(0.8, IN, Violation(Rule.INVALID_UTF8, "cut", 3)))
    assert store.handshake(IN) is hs and store.handshake(OUT) is None
    state = store.state
    assert state is not None and state.state is ConnectionState.CLOSED
    assert list(store.event_rows) == [0, 10, 11, 11, 11, 11, 11]
    with pytest.raises(TypeError):
        store.add("not an event")  # type: ignore[arg-type]


def test_kept_messages_and_lookup_of_their_last_frame() -> None:
    store = CaptureStore(session_info())
    batch = received(wire(*(FrameSpec(Opcode.TEXT, b"m%d" % i) for i in range(20))))[0]
    store.add(FramesCaptured(0.0, IN, batch))
    other = received(wire(FrameSpec(Opcode.TEXT, b"x")) * 5)[0]
    store.add(FramesCaptured(0.1, OUT, other))
    trivial = Message(Opcode.TEXT, b"m3", "m3", 3, 3, 2)
    store.add(MessageCaptured(0.1, IN, trivial))
    assert not store.messages and not store.events
    # Not among the most recent rows of IN: found by the fallback scan.
    compressed = Message(Opcode.TEXT, b"inflated", "inflated", 3, 3, 2, compressed=True)
    truncated = Message(Opcode.BINARY, b"", None, 7, 7, 2, truncated=True)
    store.add(MessageCaptured(0.2, IN, compressed))
    store.add(MessageCaptured(0.2, IN, truncated))
    assert store.message_for(3) == compressed and store.message_for(7) == truncated
    assert store.row_of(IN, 19) == 19 and store.row_of(OUT, 4) == 24
    assert store.row_of(IN, 20) is None and store.row_of(OUT, 0) == 20
    # A message whose frames are not in the store is kept as an event, not lost.
    lost = MessageCaptured(0.3, IN, Message(Opcode.TEXT, b"ab", "ab", 40, 41, 2))
    store.add(lost)
    assert store.events == [lost]


def test_compressed_messages_are_kept_and_searchable() -> None:
    deflate = pytest.importorskip("inspector.protocol.deflate")
    params = deflate.DeflateParams()
    server = Protocol(Role.SERVER, deflate=deflate.PerMessageDeflate(params, Role.SERVER))
    client = Protocol(Role.CLIENT, deflate=deflate.PerMessageDeflate(params, Role.CLIENT))
    server.send_text("compressible " * 20)
    server.send_text("needle in a deflated haystack " * 3, fragments=2)
    client.receive_data(b"".join(server.data_to_send()))
    store = CaptureStore(session_info())
    for e in client.events_received():
        if isinstance(e, FrameBatch):
            store.add(FramesCaptured(1.0, IN, e))
        elif isinstance(e, Message):
            store.add(MessageCaptured(1.0, IN, e))
    assert store.b0[0] & 0x40  # RSV1: compressed
    first = store.message_for(0)
    assert first is not None and first.compressed and first.text == "compressible " * 20
    assert list(store.message_frames(2)) == [1, 2]
    assert list(store.search("needle")) == [2]
    assert list(store.search("needle", messages=False)) == []
    assert list(store.search("NEEDLE", case=True)) == []


def search_store() -> CaptureStore:
    payloads = [
        b"Hello World",
        b"hello world",
        "Grüße aus Köln".encode(),
        "GRÜSSE".encode(),
        b"\x00\x01binary\xff",
        b'{"price": 101.25}',
        b"",
        b"HELLO",
    ]
    store = CaptureStore(session_info())
    specs = [FrameSpec(Opcode.TEXT, p) for p in payloads]
    specs[4] = FrameSpec(Opcode.BINARY, payloads[4])
    specs[6] = FrameSpec(Opcode.PING, b"")
    store.add(FramesCaptured(0.0, IN, received(wire(*specs))[0]))
    return store


@pytest.mark.parametrize(
    ("pattern", "kwargs", "rows"),
    [
        ("hello", {}, [0, 1, 7]),
        ("hello", {"case": True}, [1]),
        ("HELLO", {"case": True}, [7]),
        ("köln", {}, [2]),
        ("köln", {"case": True}, []),
        ("grüße", {}, [2]),
        ("ÜSS", {"case": True}, [3]),
        (b"\x00\x01", {}, [4]),
        (b"BINARY", {}, [4]),
        (b"BINARY", {"case": True}, []),
        (r"\d+\.\d+", {"regex": True}, [5]),
        (r"^hello\b", {"regex": True, "case": True}, [1]),
        (r"K[öo]ln", {"regex": True}, [2]),
        ("", {}, list(range(8))),
        ("a.b", {}, []),  # plain text: the dot is not a wildcard
    ],
)
def test_search(pattern: str | bytes, kwargs: dict[str, Any], rows: list[int]) -> None:
    assert list(search_store().search(pattern, **kwargs)) == rows


def test_search_within_rows_and_bad_regex() -> None:
    store = search_store()
    assert list(store.search("hello", rows=array("q", [1, 2, 7]))) == [1, 7]
    assert list(store.search("hello", rows=[0])) == [0]
    assert isinstance(store.search("x"), array)
    with pytest.raises(re.error):
        store.search("(", regex=True)


def test_select() -> None:
    store, _, _ = conversation()
    every = list(range(len(store)))
    assert list(store.select()) == every
    assert list(store.select(dirs=[OUT])) == [0, 1, 9]
    assert list(store.select(dirs=[IN])) == [r for r in every if r not in (0, 1, 9)]
    assert list(store.select(dirs=[IN, OUT])) == every
    assert list(store.select(hide_ping_pong=True)) == [r for r in every if r not in (3, 9)]
    assert list(store.select(opcodes=[Opcode.CONT])) == [1, 4, 5, 8]
    assert list(store.select(opcodes=[Opcode.PING, Opcode.PONG], dirs=[OUT])) == [9]
    assert list(store.select(opcodes=[Opcode.PING], hide_ping_pong=True)) == []
    assert list(store.select(violations_only=True)) == sorted(store.violations) == [7, 8]
    assert list(store.select(violations_only=True, opcodes=[Opcode.CONT])) == [8]
    assert list(store.select(violations_only=True, dirs=[OUT])) == []


def test_append_frame_checks_and_keeps_columns_aligned() -> None:
    store = CaptureStore(session_info())
    header, _ = encode_frame(FrameSpec(Opcode.TEXT, b"abc", mask=True, mask_key=KEY), Role.CLIENT)
    assert store.append_frame(0.5, OUT, 0, 0, header, b"abc") == 0
    assert store.frame(0) == Frame(0, 0, header, b"abc")
    with pytest.raises(ValueError, match="not a frame header"):
        store.append_frame(0.5, OUT, 1, 9, header[:-1], b"abc")
    with pytest.raises(ValueError, match="declares 3"):
        store.append_frame(0.5, OUT, 1, 9, header, b"abcd")
    with pytest.raises(OverflowError):
        store.append_frame(0.5, OUT, 1, 2**70, header, b"abc")
    with pytest.raises(TypeError):
        store.append_frame("soon", OUT, 1, 9, header, b"abc")  # type: ignore[arg-type]
    assert len(store) == 1
    assert {len(col) for col in store._columns()} == {1}
    assert len(store.payloads) == 1


@pytest.mark.parametrize(("seq0", "base"), [(2**63, 0), (0, 2**63), (2**63 - 3, 0)])
def test_a_batch_that_does_not_fit_its_columns_keeps_them_aligned(seq0: int, base: int) -> None:
    store = CaptureStore(session_info())
    add_batches(store, received(wire(FrameSpec(Opcode.TEXT, b"kept"))), IN, 0.5)
    data = wire(*[FrameSpec(Opcode.TEXT, b"x")] * 5)
    batch = received(data)[0]
    with pytest.raises(OverflowError):
        store.add(
            FramesCaptured(
                1.0, OUT, FrameBatch(seq0, base, batch.src, batch.offsets, batch.payloads, {})
            )
        )
    assert len(store) == 1
    assert {len(col) for col in store._columns()} == {1}
    assert len(store.payloads) == 1
    add_batches(store, received(wire(FrameSpec(Opcode.TEXT, b"next"))), IN, 2.0)
    assert store.direction(1) is IN and store.t[1] == 2.0 and store.payloads[1] == b"next"


def flood(n: int, sender: Role = Role.SERVER) -> list[FrameBatch]:
    header, payload = encode_frame(FrameSpec(Opcode.TEXT, b'{"px": 101.25, "q": 7}'), sender)
    parser = FrameParser(sender)
    return [parser.feed((header + payload) * 1000) for _ in range(n // 1000)]


def test_no_container_object_per_frame() -> None:
    batches = flood(20_000)
    store = CaptureStore(session_info())
    gc.collect()
    before = len(gc.get_objects())
    add_batches(store, batches, IN, 0.0)
    gc.collect()
    # Batches, arrays and payload bytes are not new tracked objects per frame.
    assert len(gc.get_objects()) - before < 100
    assert not gc.is_tracked(store.payloads[0])


@pytest.mark.slow  # big data
def test_memory_per_frame() -> None:
    """200,000 small frames parsed into a store cost under 60 bytes each beyond the
    payload bytes (9 columns: 47 B, the arena's bounds: 8 B): the parser's payload
    objects are not kept (they cost ~50 B each beyond their data)."""
    gc.collect()
    tracemalloc.start()
    try:
        base, _ = tracemalloc.get_traced_memory()
        batches = flood(200_000)
        store = CaptureStore(session_info())
        add_batches(store, batches, IN, 0.0)
        expected = batches[123][456]
        del batches
        gc.collect()
        used = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    assert len(store) == 200_000
    assert (used - store.payloads.nbytes) / len(store) < 60
    assert store.frame(123_456) == expected


# ------------------------------------------------------------------ the budget


def held_bytes(store: CaptureStore) -> int:
    """Payload bytes the store keeps alive, counted from what it holds."""
    frames = sum(map(len, store.payloads))
    messages = sum(len(c.message.data) for c in store.messages.values())
    events = sum(len(e.message.data) for e in store.events if isinstance(e, MessageCaptured))
    return frames + messages + events


def endless_fragments(n: int, size: int, *, seq0: int = 0, chunk: int = 16) -> list[FrameBatch]:
    """A message that never ends: a TEXT frame without FIN, then continuation frames
    of ``size`` bytes, as a parser batches them (``chunk`` frames per socket read)."""
    parser = FrameParser(Role.SERVER, max_frame_size=size + 1)
    first = wire(FrameSpec(Opcode.TEXT, b"s" * size, fin=False))
    cont = wire(FrameSpec(Opcode.CONT, b"c" * size, fin=False))
    batches = [parser.feed(first)]
    sent = 1
    while sent < n:
        k = min(chunk, n - sent)
        batches.append(parser.feed(cont * k))
        sent += k
    return batches


@pytest.mark.slow  # big data
def test_an_endless_fragment_stream_stays_within_the_budget() -> None:
    budget = 2 * 2**20
    size = 64 * 1024
    store = CaptureStore(session_info(), max_payload_bytes=budget)
    calls: list[int | None] = []
    store.on_capped = lambda: calls.append(store.capped_at_row)
    total = 0
    for batch in endless_fragments(1000, size):  # 64 MiB offered
        store.add(FramesCaptured(0.5, IN, batch))
        total += sum(map(len, batch.payloads))
    assert len(store) == 1000 and total == 1000 * size
    assert store.capped_at_row == budget // size  # the first frame that did not fit
    assert calls == [store.capped_at_row]  # told once, when it happened
    held = held_bytes(store)
    assert held == store.held_payload_bytes
    assert held <= budget + (1000 - budget // size) * CAPPED_PAYLOAD
    assert held < total / 10
    # Headers are all there: every frame keeps its declared length and wire count.
    header = len(store.header(0))  # 10: 64 KiB needs the 64-bit length form
    assert store.counters(IN) == DirectionCounters(1000, 1000 * (size + header), 1000 * size)
    row = store.capped_at_row
    assert store.frame(row - 1).payload == b"c" * size and not store.frame(row - 1).truncated
    capped = store.frame(row)
    assert capped.truncated and capped.length == size
    assert capped.payload == b"c" * CAPPED_PAYLOAD
    assert store.header(row) == endless_fragments(2, size)[1][0].header


def test_frames_past_the_budget_keep_small_payloads_whole() -> None:
    store = CaptureStore(session_info(), max_payload_bytes=100)
    store.add(FramesCaptured(0.0, IN, received(wire(FrameSpec(Opcode.BINARY, b"a" * 90)))[0]))
    assert store.capped_at_row is None
    specs = [FrameSpec(Opcode.TEXT, b"b" * 20), FrameSpec(Opcode.BINARY, b"z" * 5000)]
    store.add(FramesCaptured(0.1, IN, received(wire(*specs))[0]))
    assert store.capped_at_row == 1
    small, big = store.frame(1), store.frame(2)
    assert small.payload == b"b" * 20 and not small.truncated
    assert big.truncated and big.payload == b"z" * CAPPED_PAYLOAD and big.length == 5000
    assert store.held_payload_bytes == 90 + 20 + CAPPED_PAYLOAD


def test_the_budget_applies_to_frames_given_one_by_one() -> None:
    client = Protocol(Role.CLIENT)
    for _ in range(3):
        client.send_binary(b"\x07" * 10_000)
    frames = [e for e in client.events_sent() if isinstance(e, Frame)]
    store = CaptureStore(session_info(), max_payload_bytes=15_000)
    calls: list[int] = []
    store.on_capped = lambda: calls.append(1)
    store.add(FramesCaptured(0.0, OUT, frames))
    row = store.append_frame(0.1, OUT, 3, 40_000, frames[0].header, frames[0].payload)
    assert store.capped_at_row == 1 and calls == [1]
    assert [len(store.payloads[r]) for r in range(4)] == [10_000] + [CAPPED_PAYLOAD] * 3
    assert store.frame(row).truncated and store.frame(row).header == frames[0].header
    assert store.frame(0) == frames[0]


def test_composite_messages_past_the_budget_keep_a_prefix() -> None:
    store = CaptureStore(session_info(), max_payload_bytes=10_000)
    text = "ü" * 6000  # 12,000 bytes of UTF-8 in two fragments
    data = text.encode()
    specs = [FrameSpec(Opcode.TEXT, data[:6000], fin=False), FrameSpec(Opcode.CONT, data[6000:])]
    store.add(FramesCaptured(0.0, IN, received(wire(*specs))[0]))
    assert store.capped_at_row == 1  # the second fragment did not fit
    whole = Message(Opcode.TEXT, data, text, 0, 1, len(data), frame_count=2)
    store.add(MessageCaptured(0.0, IN, whole))
    kept = store.message_for(1)
    assert kept is not None
    assert kept.truncated and kept.data == data[:CAPPED_PAYLOAD] and kept.text is None
    assert (kept.first_seq, kept.last_seq, kept.wire_size, kept.frame_count) == (0, 1, 12_000, 2)
    assert store.held_payload_bytes == held_bytes(store) == 6000 + 2 * CAPPED_PAYLOAD
    # Search and grouping still work on capped rows.
    assert list(store.message_frames(1)) == [0, 1]
    assert list(store.search("ü")) == [0, 1]
    # A message reaching the budget by itself starts the capping too.
    other = CaptureStore(session_info(), max_payload_bytes=10_000)
    other.add(FramesCaptured(0.0, IN, received(wire(*specs[:1]))[0]))
    other.add(MessageCaptured(0.0, IN, Message(Opcode.TEXT, b"x" * 9000, None, 0, 0, 10, True)))
    assert other.capped_at_row == 0
    capped = other.message_for(0)
    assert capped is not None and capped.truncated and len(capped.data) == CAPPED_PAYLOAD


def test_no_budget_keeps_everything() -> None:
    store = CaptureStore(session_info(), max_payload_bytes=None)
    for batch in endless_fragments(200, 64 * 1024):
        store.add(FramesCaptured(0.5, IN, batch))
    assert store.capped_at_row is None
    assert store.held_payload_bytes == 200 * 64 * 1024 == held_bytes(store)
    assert CaptureStore(session_info()).max_payload_bytes == DEFAULT_MAX_CAPTURE_BYTES


# ------------------------------------------------------- is this message compressed?


def handshake_response(extensions: str | None) -> HandshakeCaptured:
    headers = [("Upgrade", "websocket")]
    if extensions is not None:
        headers.append(("Sec-WebSocket-Extensions", extensions))
    return HandshakeCaptured(
        0.0, IN, b"HTTP/1.1 101 Switching Protocols\r\n\r\n", "HTTP/1.1 101 Switching Protocols",
        tuple(headers),
    )  # fmt: skip


def rsv1_frames(*, deflate: bool) -> list[FrameBatch]:
    """A compressed single frame, a fragmented compressed message with a ping between
    its fragments, a plain frame; parsed with or without permessage-deflate."""
    specs = [
        FrameSpec(Opcode.TEXT, b"\xf2H\xcd\xc9\xc9\x07\x00", rsv1=True),
        FrameSpec(Opcode.TEXT, b"\xf2H", rsv1=True, fin=False),
        FrameSpec(Opcode.PING, b"p"),
        FrameSpec(Opcode.CONT, b"\xcd\xc9\xc9\x07\x00"),
        FrameSpec(Opcode.TEXT, b"plain"),
    ]
    parser = FrameParser(Role.SERVER, rsv_allowed=0x40 if deflate else 0)
    return [parser.feed(wire(*specs))]


@pytest.mark.parametrize(
    ("events", "deflate", "expected"),
    [
        # The handshake says: permessage-deflate negotiated, or not.
        ([handshake_response("permessage-deflate; client_max_window_bits")], True, True),
        ([handshake_response("x-other, permessage-deflate")], True, True),
        ([handshake_response(None)], False, False),
        ([handshake_response("x-other")], False, False),
        # No handshake: RSV1 on the first frame says it, unless the receiver flagged
        # RSV1 as a reserved bit (it had no extension defining it).
        ([], True, True),
        ([], False, False),
    ],
)
def test_is_compressed_is_one_rule(
    events: list[HandshakeCaptured], deflate: bool, expected: bool
) -> None:
    store = CaptureStore(session_info())
    for e in events:
        store.add(e)
    for batch in rsv1_frames(deflate=deflate):
        store.add(FramesCaptured(0.1, IN, batch))
    assert [store.is_compressed(r) for r in range(5)] == [
        expected,
        expected,
        False,  # a control frame belongs to no message
        expected,  # a continuation: its message's first frame says
        False,
    ]
    assert store.is_compressed(-2) is expected
    assert list(store.compressed_rows()) == [store.is_compressed(r) for r in range(5)]


def test_compressed_rows_is_is_compressed_of_every_row(rich: CaptureStore) -> None:
    # Flagged and unflagged RSV1, RSV2 beside it, messages in fragments, control
    # frames between them, with and without a handshake.
    store = CaptureStore(session_info())
    for deflate in (True, False, True):
        for batch in rsv1_frames(deflate=deflate):
            store.add(FramesCaptured(0.1, IN, batch))
    odd = FrameParser(Role.SERVER).feed(wire(FrameSpec(Opcode.TEXT, b"x", rsv1=True, rsv2=True)))
    store.add(FramesCaptured(0.2, IN, odd))
    for each in (store, rich, CaptureStore(session_info())):
        assert list(each.compressed_rows()) == [each.is_compressed(r) for r in range(len(each))]
    assert any(store.compressed_rows()) and not all(store.compressed_rows())


def test_is_compressed_reads_the_handshake_headers_when_the_event_does_not_say() -> None:
    # A server's own response: the extension is in the headers it sent.
    store = CaptureStore(session_info(role=SessionRole.SERVER))
    response = dataclasses.replace(handshake_response("permessage-deflate"), dir=OUT)
    store.add(response)
    store.add(FramesCaptured(0.1, OUT, [encode_sent(FrameSpec(Opcode.TEXT, b"\x00", rsv1=True))]))
    assert store.is_compressed(0)


def encode_sent(spec: FrameSpec) -> Frame:
    header, payload = encode_frame(spec, Role.SERVER)
    return Frame(0, 0, header, payload)


def test_every_way_of_adding_a_row_fills_the_same_columns() -> None:
    # One definition of a row's columns (append one, extend many) serves the file
    # readers and the frames we send: the same frames give the same store each way.
    specs = [
        FrameSpec(Opcode.TEXT, b"abc", mask=True, mask_key=KEY),
        FrameSpec(Opcode.BINARY, b"\x00" * 130),
    ]
    frames = []
    for seq, spec in enumerate(specs):
        header, payload = encode_frame(spec, Role.CLIENT)
        frames.append(Frame(seq, seq * 200, header, payload))
    one_by_one = CaptureStore(session_info())
    for f in frames:
        one_by_one.append_frame(0.25, OUT, f.seq, f.offset, f.header, f.payload)
    sent = CaptureStore(session_info())
    sent.add_frames(0.25, OUT, frames)
    bulk = CaptureStore(session_info())
    assert bulk.extend_frames(
        array("d", [0.25] * len(frames)),
        bytes(len(frames)),
        array("q", [f.seq for f in frames]),
        array("q", [f.offset for f in frames]),
        [f.header for f in frames],
        [f.payload for f in frames],
    )
    for store in (sent, bulk):
        assert store._columns() == one_by_one._columns()
        assert [store.frame(r) for r in range(len(store))] == frames
