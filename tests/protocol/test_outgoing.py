"""Tests of the checks of our own frames (protocol.outgoing, issue 9 item 13): what we
send on purpose against the rules of our role is recorded on the frame's record, as
deliberate, like a peer's violation; what the ordinary send methods make is clean."""

from __future__ import annotations

import pytest

from inspector.protocol.connection import Protocol
from inspector.protocol.constants import Opcode, Role
from inspector.protocol.deflate import DeflateParams, PerMessageDeflate
from inspector.protocol.frames import Frame, FrameSpec, encode_frame
from inspector.protocol.violations import Rule

KEY = bytes.fromhex("37fa213d")
TEXT, BINARY, CONT, PING, CLOSE = Opcode.TEXT, Opcode.BINARY, Opcode.CONT, Opcode.PING, Opcode.CLOSE


def client(*, deflate: bool = False) -> Protocol:
    pmd = PerMessageDeflate(DeflateParams(), Role.CLIENT) if deflate else None
    return Protocol(Role.CLIENT, mask_key_source=lambda: KEY, deflate=pmd)


def sent(proto: Protocol) -> list[Frame]:
    proto.data_to_send()
    return [e for e in proto.events_sent() if isinstance(e, Frame)]


def rules(frame: Frame) -> list[Rule]:
    assert all(v.deliberate for v in frame.violations)
    return [v.rule for v in frame.violations]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (FrameSpec(TEXT, b"x", rsv2=True), [Rule.RESERVED_BIT]),
        (FrameSpec(0x3, b"x"), [Rule.RESERVED_OPCODE]),
        (FrameSpec(0xB), [Rule.RESERVED_OPCODE]),
        (FrameSpec(TEXT, b"x", mask=False), [Rule.UNMASKED_CLIENT_FRAME]),
        (FrameSpec(TEXT, b"123456789", declared_length=100), [Rule.LENGTH_MISMATCH]),
        (FrameSpec(TEXT, b"x", length_form=16), [Rule.NON_MINIMAL_LENGTH]),
        (FrameSpec(TEXT, b"x", length_form=64), [Rule.NON_MINIMAL_LENGTH]),
        (FrameSpec(PING, b"p" * 126), [Rule.CONTROL_FRAME_TOO_LONG]),
        (FrameSpec(PING, b"p", fin=False), [Rule.FRAGMENTED_CONTROL_FRAME]),
        (FrameSpec(CONT, b"x"), [Rule.UNEXPECTED_CONTINUATION]),
        (FrameSpec(TEXT, b"\xff\xfe"), [Rule.INVALID_UTF8]),
        (FrameSpec(CLOSE, (999).to_bytes(2, "big")), [Rule.INVALID_CLOSE_CODE]),
        (FrameSpec(CLOSE, b"\x03"), [Rule.CLOSE_PAYLOAD_ONE_BYTE]),
        (FrameSpec(CLOSE, b"\x03\xe8\xff"), [Rule.INVALID_CLOSE_REASON]),
        (FrameSpec(TEXT, b"fine"), []),
        (FrameSpec(BINARY, b"\xff\xfe"), []),
        (FrameSpec(CLOSE, b"\x03\xe8bye"), []),
    ],
    ids=lambda v: v.name.lower() if isinstance(v, Rule) else None,
)
def test_a_crafted_frame_carries_the_rules_it_breaks(spec: FrameSpec, expected: list[Rule]) -> None:
    proto = client()
    frame = proto.send_frame(spec)
    assert rules(frame) == expected
    assert all(v.offset == frame.offset for v in frame.violations)
    (recorded,) = sent(proto)
    assert recorded == frame


def test_a_server_masking_its_frame_is_recorded() -> None:
    proto = Protocol(Role.SERVER)
    frame = proto.send_frame(FrameSpec(TEXT, b"x", mask=True, mask_key=KEY))
    assert rules(frame) == [Rule.MASKED_SERVER_FRAME]


def test_message_rules_follow_our_own_stream() -> None:
    proto = client()
    first = proto.send_frame(FrameSpec(TEXT, b"a", fin=False))
    ping = proto.send_frame(FrameSpec(PING, b"between"))  # control frames may interleave
    intruder = proto.send_frame(FrameSpec(BINARY, b"b", fin=False))
    end = proto.send_frame(FrameSpec(CONT, b"c"))
    stray = proto.send_frame(FrameSpec(CONT, b"d"))
    assert [rules(f) for f in (first, ping, intruder, end, stray)] == [
        [],
        [],
        [Rule.EXPECTED_CONTINUATION],
        [],
        [Rule.UNEXPECTED_CONTINUATION],
    ]
    assert "TEXT" in intruder.violations[0].message


def test_an_ordinary_message_inside_our_open_fragmented_one_is_recorded() -> None:
    proto = client()
    proto.send_frame(FrameSpec(TEXT, b"begun", fin=False))
    frames = proto.send_text("whole", fragments=2)
    assert rules(frames[0]) == [Rule.EXPECTED_CONTINUATION] and rules(frames[1]) == []
    # ... and the next one is clean again.
    (again,) = proto.send_text("next")
    assert again.violations == ()


def test_frames_after_our_close_frame() -> None:
    proto = client()
    close = proto.send_close(1000)
    late = proto.send_frame(FrameSpec(PING, b"late"))
    assert close.violations == ()
    assert rules(late) == [Rule.FRAME_AFTER_CLOSE]
    assert f"#{close.seq}" in late.violations[0].message


def test_send_close_with_a_code_that_may_not_be_sent() -> None:
    proto = client()
    frame = proto.send_close(1005)
    assert rules(frame) == [Rule.INVALID_CLOSE_CODE]


def test_the_ordinary_send_methods_make_clean_frames() -> None:
    proto = client(deflate=True)
    frames = [
        *proto.send_text("hello", fragments=3),
        *proto.send_binary(b"\x00" * 300, fragments=2, compress=False),
        proto.send_ping(b"p"),
        proto.send_pong(b"q"),
        proto.send_close(1000, "bye"),
    ]
    assert frames[0].rsv1  # compressed: RSV1 is what the extension defines
    assert [f.violations for f in frames] == [()] * len(frames)


def test_rsv1_with_permessage_deflate_is_checked_where_the_extension_forbids_it() -> None:
    proto = client(deflate=True)
    ping = proto.send_frame(FrameSpec(PING, b"z", rsv1=True))
    start = proto.send_frame(FrameSpec(TEXT, b"\x00", rsv1=True, fin=False))
    cont = proto.send_frame(FrameSpec(CONT, b"\x00", rsv1=True))
    assert [rules(f) for f in (ping, start, cont)] == [
        [Rule.COMPRESSED_CONTROL_FRAME],
        [],
        [Rule.COMPRESSED_CONTINUATION],
    ]


def test_raw_bytes_are_recorded_as_the_frames_they_make() -> None:
    proto = client()
    proto.send_text("first")
    header, wire = encode_frame(FrameSpec(TEXT, b"raw", rsv2=True, mask_key=KEY), Role.CLIENT)
    data = header + wire
    offset = proto.bytes_sent
    assert proto.send_raw(data[:3]) == []  # a frame begun, not finished
    (frame,) = proto.send_raw(data[3:] + b"\x82")  # finished, and another begun
    assert (frame.seq, frame.offset, frame.header, frame.payload) == (1, offset, header, b"raw")
    assert rules(frame) == [Rule.RESERVED_BIT]
    # Bytes sent another way end the raw frame: the peer reads them as its rest.
    (ping,) = [proto.send_ping(b"p")]
    assert ping.seq == 2 and ping.violations == ()
    frames = sent(proto)
    assert [f.seq for f in frames] == [0, 1, 2]


def test_raw_frames_follow_the_message_rules_too() -> None:
    proto = client()
    parts = [
        encode_frame(FrameSpec(CONT, b"no message", mask_key=KEY), Role.CLIENT),
        encode_frame(FrameSpec(CLOSE, b"\x03\xe8", mask_key=KEY), Role.CLIENT),
        encode_frame(FrameSpec(TEXT, b"after", mask_key=KEY), Role.CLIENT),
    ]
    cont, close, after = proto.send_raw(b"".join(h + w for h, w in parts))
    assert rules(cont) == [Rule.UNEXPECTED_CONTINUATION]
    assert rules(close) == []
    assert rules(after) == [Rule.FRAME_AFTER_CLOSE]
    assert proto.close_sent == close
