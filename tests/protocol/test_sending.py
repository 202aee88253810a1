"""The sending half of the sans-I/O protocol (inspector/protocol/sending.py): what
we queue, how it is masked and recorded, and what our own crafted frames break."""

from __future__ import annotations

import itertools

import pytest

from inspector.protocol.connection import Protocol
from inspector.protocol.constants import ConnectionState, Opcode, Role
from inspector.protocol.events import Message
from inspector.protocol.frames import Frame, FrameSpec, apply_mask
from inspector.protocol.parser import FrameParser
from inspector.protocol.violations import LocalProtocolError, Rule

from ._support import KEY, client, feed, frame, messages_in, sent


# ---------------------------------------------------------------- sending
def test_sent_records_match_the_bytes() -> None:
    keys = itertools.cycle([KEY, b"\x00\x01\x02\x03", b"\xff" * 4])
    proto = client(mask_key_source=lambda: next(keys))
    proto.send_text("héllo")
    proto.send_binary(b"\x00" * 300, fragments=3)
    proto.send_ping(b"pi")
    proto.send_pong(b"po")
    proto.send_frame(FrameSpec(Opcode.TEXT, b"raw-ish", rsv3=True))
    proto.send_close(1000, "bye")
    records = proto.events_sent()
    frames = [r for r in records if isinstance(r, Frame)]
    messages = [r for r in records if isinstance(r, Message)]
    data = b"".join(proto.data_to_send())
    assert data == b"".join(f.header + apply_mask(f.payload, f.mask_key or KEY) for f in frames)
    parsed = list(FrameParser(Role.CLIENT).feed(data))
    assert [f._replace(violations=()) for f in parsed] == [
        f._replace(violations=()) for f in frames
    ]
    # The crafted frame's record carries the rule it breaks, as sent on purpose.
    assert [(v.rule, v.deliberate) for v in frames[6].violations] == [(Rule.RESERVED_BIT, True)]
    assert [f for f in frames if f.violations] == [frames[6]]
    assert [f.seq for f in frames] == list(range(8))
    assert [f.mask_key for f in frames] == [KEY, b"\x00\x01\x02\x03", b"\xff" * 4] * 2 + [
        KEY,
        b"\x00\x01\x02\x03",
    ]
    assert [v.rule for v in parsed[6].violations] == [Rule.RESERVED_BIT]
    assert proto.bytes_sent == len(data)
    assert [(m.opcode, m.data, m.text, m.first_seq, m.last_seq) for m in messages] == [
        (Opcode.TEXT, "héllo".encode(), "héllo", 0, 0),
        (Opcode.BINARY, b"\x00" * 300, None, 1, 3),
    ]
    # Records are in the order they went out: a message's frames, then the message.
    assert records.index(messages[1]) == records.index(frames[3]) + 1
    assert proto.events_sent() == [] and proto.data_to_send() == []


def test_client_masks_with_a_fresh_key_per_frame_and_server_does_not() -> None:
    proto = client()
    for _ in range(20):
        proto.send_binary(b"same")
    keys = [f.mask_key for f in sent(proto)]
    assert None not in keys and len(set(keys)) == 20
    server = Protocol(Role.SERVER)
    server.send_text("x", fragments=1)
    server.send_frame(FrameSpec(Opcode.PING))
    assert [f.masked for f in sent(server)] == [False, False]


@pytest.mark.parametrize(
    ("size", "fragments", "sizes"),
    [
        (10, 1, [10]),
        (10, 3, [3, 3, 4]),
        (10, 4, [2, 3, 2, 3]),
        (10, 6, [1, 2, 2, 1, 2, 2]),
        (5, 4, [1, 1, 1, 2]),
        (5, 5, [1, 1, 1, 1, 1]),
        (3, 10, [1, 1, 1]),  # never an empty fragment
        (0, 3, [0]),
    ],
)
def test_send_fragments(size: int, fragments: int, sizes: list[int]) -> None:
    proto = Protocol(Role.SERVER)
    payload = bytes(range(size))
    out = proto.send_binary(payload, fragments=fragments)
    assert [len(f.payload) for f in out] == sizes
    assert [f.opcode for f in out] == [Opcode.BINARY] + [Opcode.CONT] * (len(sizes) - 1)
    assert [f.fin for f in out] == [False] * (len(sizes) - 1) + [True]
    assert b"".join(f.payload for f in out) == payload
    peer = client()
    (message,) = messages_in(feed(peer, *proto.data_to_send()))
    assert message.data == payload and message.fragments == len(sizes)


def test_fragmented_text_splits_code_points_and_is_reassembled() -> None:
    proto = Protocol(Role.SERVER)
    out = proto.send_text("ü€😀", fragments=9)
    assert len(out) == 9
    (message,) = messages_in(feed(client(), *proto.data_to_send()))
    assert message.text == "ü€😀"


def test_send_frame_past_close_and_on_purpose_broken() -> None:
    proto = client()
    proto.send_close()
    proto.data_to_send()
    proto.send_frame(FrameSpec(Opcode.TEXT, b"after close", mask=False))
    proto.send_raw(b"\x81")
    data = b"".join(proto.data_to_send())
    assert data == b"\x81\x0bafter close\x81"
    assert proto.bytes_sent == 8 + len(data)
    last = proto.events_sent()[-1]
    assert isinstance(last, Frame)
    assert last._replace(violations=()) == Frame(1, 8, b"\x81\x0b", b"after close")
    assert [(v.rule, v.deliberate) for v in last.violations] == [
        (Rule.UNMASKED_CLIENT_FRAME, True),
        (Rule.FRAME_AFTER_CLOSE, True),
    ]


def test_send_frame_close_starts_the_handshake() -> None:
    proto = client()
    proto.send_frame(FrameSpec(Opcode.CLOSE, b"\x03\xe8"))
    assert proto.close_sent is not None and proto.state is ConnectionState.CLOSING
    with pytest.raises(LocalProtocolError):
        proto.send_text("no")


@pytest.mark.parametrize(
    "call",
    [
        lambda p: p.send_ping(b"x" * 126),
        lambda p: p.send_pong(b"x" * 126),
        lambda p: p.send_close(1000, "r" * 124),
        lambda p: p.send_close(None, "reason"),
        lambda p: p.send_message(Opcode.PING, b""),
        lambda p: p.send_message(Opcode.CONT, b""),
        lambda p: p.send_binary(b"x", fragments=0),
    ],
    ids=["ping-126", "pong-126", "close-126", "reason-no-code", "ping-msg", "cont-msg", "frag-0"],
)
def test_local_protocol_errors(call: object) -> None:
    proto = client()
    with pytest.raises(LocalProtocolError):
        call(proto)  # type: ignore[operator]
    assert proto.data_to_send() == [] and proto.state is ConnectionState.OPEN


@pytest.mark.parametrize(
    "call",
    [
        lambda p: p.send_text("x"),
        lambda p: p.send_binary(b"x"),
        lambda p: p.send_ping(),
        lambda p: p.send_pong(),
        lambda p: p.send_close(),
    ],
    ids=["text", "binary", "ping", "pong", "close"],
)
def test_sending_after_close_is_our_mistake(call: object) -> None:
    proto = client()
    proto.send_close(1000)
    proto.data_to_send()
    with pytest.raises(LocalProtocolError):
        call(proto)  # type: ignore[operator]
    assert proto.data_to_send() == []


def test_limits_on_sending_are_inclusive() -> None:
    proto = client()
    proto.send_ping(b"x" * 125)
    proto.send_pong(b"y" * 125)
    proto.send_close(1000, "r" * 123)
    assert [len(f.payload) for f in sent(proto)] == [125, 125, 125]


def test_counters() -> None:
    proto = client()
    data = frame(Opcode.TEXT, b"a") + frame(Opcode.PING, b"") + b"\x81"
    feed(proto, data)
    assert proto.frames_received == 2
    assert proto.bytes_received == len(data)
