"""Tests of inspector.protocol.connection: reassembly, UTF-8, the closing handshake,
automatic replies, observe and strict modes, limits, and what we send."""

from __future__ import annotations

import random
import struct
import tracemalloc
import zlib

import pytest

from inspector.protocol.connection import DEFAULT_MAX_MESSAGE_SIZE, Event, Protocol
from inspector.protocol.constants import ConnectionState, Opcode, Role
from inspector.protocol.events import Message
from inspector.protocol.frames import (
    Frame,
    FrameBatch,
)
from inspector.protocol.violations import LocalProtocolError, Rule, Violation

from ._support import (
    client,
    close_frame,
    failures_in,
    feed,
    frame,
    frames_in,
    messages_in,
    rules_in,
    sent,
)


# ---------------------------------------------------------------- reassembly
@pytest.mark.parametrize("chunk", [None, 1, 3])
def test_fragmented_text_with_control_frames_between(chunk: int | None) -> None:
    data = (
        frame(Opcode.TEXT, b"Hel", fin=False)
        + frame(Opcode.PING, b"are you there?")
        + frame(Opcode.CONT, b"lo, ", fin=False)
        + frame(Opcode.PONG, b"unsolicited")
        + frame(Opcode.CONT, "wörld".encode())
    )
    proto = client()
    chunks = [data] if chunk is None else [data[i : i + chunk] for i in range(0, len(data), chunk)]
    events = feed(proto, *chunks)
    frames = frames_in(events)
    assert [(f.seq, f.opcode, f.fin, f.payload) for f in frames] == [
        (0, Opcode.TEXT, False, b"Hel"),
        (1, Opcode.PING, True, b"are you there?"),
        (2, Opcode.CONT, False, b"lo, "),
        (3, Opcode.PONG, True, b"unsolicited"),
        (4, Opcode.CONT, True, "wörld".encode()),
    ]
    assert all(f.violations == () for f in frames)
    (message,) = messages_in(events)
    assert message.text == "Hello, wörld" and message.data == "Hello, wörld".encode()
    assert (message.opcode, message.first_seq, message.last_seq) == (Opcode.TEXT, 0, 4)
    assert message.wire_size == len("Hello, wörld".encode())
    assert not message.compressed and not message.truncated and message.is_text
    # The message event comes after the batch that completed it.
    assert isinstance(events[-1], Message)
    # The ping was answered with a masked pong carrying its payload.
    (pong,) = sent(proto)
    assert (pong.opcode, pong.payload, pong.masked) == (Opcode.PONG, b"are you there?", True)
    assert proto.violation_count == 0


def test_fragmented_binary_many_fragments() -> None:
    parts = [bytes([i]) * i for i in range(1, 40)]
    data = frame(Opcode.BINARY, parts[0], fin=False)
    data += b"".join(frame(Opcode.CONT, p, fin=False) for p in parts[1:-1])
    data += frame(Opcode.CONT, parts[-1])
    events = feed(client(), data)
    (message,) = messages_in(events)
    assert message.data == b"".join(parts) and message.text is None
    assert (message.first_seq, message.last_seq, message.fragments) == (0, 38, 39)
    assert str(message) == f"BINARY message, {len(message.data)} bytes in 39 frames"


def test_unfragmented_messages_in_one_batch() -> None:
    events = feed(client(), frame(Opcode.TEXT, b"a") + frame(Opcode.BINARY, b"b") + frame(1, b""))
    assert isinstance(events[0], FrameBatch) and len(events[0]) == 3
    assert [(m.opcode, m.data, m.text, m.first_seq) for m in messages_in(events)] == [
        (Opcode.TEXT, b"a", "a", 0),
        (Opcode.BINARY, b"b", None, 1),
        (Opcode.TEXT, b"", "", 2),
    ]


def test_empty_fragments() -> None:
    data = frame(Opcode.TEXT, b"", fin=False) + frame(0, b"", fin=False) + frame(0, b"")
    (message,) = messages_in(feed(client(), data))
    assert message.text == "" and message.fragments == 3


def test_continuation_with_nothing_to_continue() -> None:
    proto = client()
    events = feed(proto, frame(Opcode.CONT, b"orphan") + frame(Opcode.TEXT, b"ok"))
    orphan = frames_in(events)[0]
    assert [v.rule for v in orphan.violations] == [Rule.UNEXPECTED_CONTINUATION]
    assert orphan.violations[0].rfc == "RFC 6455 §5.4"
    assert orphan.violations[0].offset == 0
    assert [m.data for m in messages_in(events)] == [b"ok"]
    assert proto.violation_count == 1
    assert failures_in(events) == [] and proto.data_to_send() == []


def test_new_data_frame_inside_a_fragmented_message() -> None:
    data = frame(Opcode.TEXT, b"dropped", fin=False) + frame(Opcode.BINARY, b"new", fin=False)
    data += frame(Opcode.CONT, b"!")
    events = feed(client(), data)
    frames = frames_in(events)
    assert frames[0].violations == ()
    assert [v.rule for v in frames[1].violations] == [Rule.EXPECTED_CONTINUATION]
    assert "TEXT message begun at frame #0 is unfinished" in frames[1].violations[0].message
    (message,) = messages_in(events)
    assert (message.opcode, message.data, message.first_seq, message.last_seq) == (
        Opcode.BINARY,
        b"new!",
        1,
        2,
    )


# ---------------------------------------------------------------- UTF-8
def utf8_violation(events: list[Event]) -> tuple[Frame, Violation]:
    found = [(f, v) for f in frames_in(events) for v in f.violations]
    assert len(found) == 1, found
    assert found[0][1].rule is Rule.INVALID_UTF8
    assert found[0][1].rfc == "RFC 6455 §8.1"
    return found[0]


def test_invalid_utf8_single_frame() -> None:
    events = feed(client(), frame(Opcode.TEXT, b"ab\xffcd"))
    _, violation = utf8_violation(events)
    assert violation.message == (
        "invalid UTF-8 at byte 2 of the message (byte 2 of this frame): invalid start byte"
    )
    assert violation.offset == 2 + 2  # header, then byte 2 of the payload
    (message,) = messages_in(events)
    assert message.text is None and message.data == b"ab\xffcd"


def test_invalid_utf8_in_a_later_fragment() -> None:
    data = frame(Opcode.TEXT, b"abc", fin=False) + frame(Opcode.CONT, b"d\xffe")
    events = feed(client(), data)
    bad, violation = utf8_violation(events)
    assert bad.seq == 1
    assert violation.message.startswith("invalid UTF-8 at byte 4 of the message (byte 1 of this")
    assert violation.offset == bad.offset + 2 + 1
    assert messages_in(events)[0].text is None


def test_code_point_split_across_frames_is_valid() -> None:
    euro = "€".encode()  # e2 82 ac
    data = frame(Opcode.TEXT, b"a" + euro[:1], fin=False)
    data += frame(Opcode.PING, b"")
    data += frame(Opcode.CONT, euro[1:2], fin=False) + frame(Opcode.CONT, euro[2:] + b"z")
    events = feed(client(), data)
    assert rules_in(events) == []
    assert messages_in(events)[0].text == "a€z"


def test_code_point_split_across_frames_is_invalid() -> None:
    data = frame(Opcode.TEXT, b"ab\xe2\x82", fin=False) + frame(Opcode.CONT, b"\x28xyz")
    events = feed(client(), data)
    bad, violation = utf8_violation(events)
    assert bad.seq == 1
    assert violation.message == (
        "invalid UTF-8 at byte 2 of the message (a code point begun 2 byte(s) before this "
        "frame): invalid continuation byte"
    )
    assert violation.offset == bad.offset + 2


def test_invalid_code_point_reported_once_then_validation_stops() -> None:
    data = frame(Opcode.TEXT, b"\xff", fin=False) + frame(Opcode.CONT, b"\xfe")
    events = feed(client(), data)
    utf8_violation(events)  # exactly one


@pytest.mark.parametrize(
    ("parts", "at", "where"),
    [
        ([b"ab\xe2\x82"], 2, "byte 2 of this frame"),
        ([b"ab\xe2", b"\x82"], 2, "a code point begun 1 byte(s) before this frame"),
        ([b"ab\xf0\x9f", b"\x98"], 2, "a code point begun 2 byte(s) before this frame"),
        ([b"ab\xf0\x9f", b""], 2, "a code point begun 2 byte(s) before this frame"),
    ],
    ids=["one-frame", "split-2", "split-3", "empty-last"],
)
def test_truncated_code_point_at_message_end(parts: list[bytes], at: int, where: str) -> None:
    data = b"".join(
        frame(Opcode.TEXT if i == 0 else Opcode.CONT, p, fin=i == len(parts) - 1)
        for i, p in enumerate(parts)
    )
    bad, violation = utf8_violation(feed(client(), data))
    assert bad.fin
    assert violation.message == (
        f"invalid UTF-8 at byte {at} of the message ({where}): truncated code point"
    )


def test_binary_messages_are_not_decoded() -> None:
    events = feed(client(), frame(Opcode.BINARY, b"\xff", fin=False) + frame(0, b"\xfe"))
    assert rules_in(events) == [] and messages_in(events)[0].data == b"\xff\xfe"


# ---------------------------------------------------------------- close frames
def test_close_with_one_byte_payload() -> None:
    proto = client()
    events = feed(proto, frame(Opcode.CLOSE, b"\x03"))
    assert rules_in(events) == [Rule.CLOSE_PAYLOAD_ONE_BYTE]
    assert proto.close_code is None and proto.close_reason is None
    (reply,) = sent(proto)
    assert reply.opcode == Opcode.CLOSE and reply.close_code == 1002


@pytest.mark.parametrize("code", [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535])
def test_close_with_invalid_code(code: int) -> None:
    proto = client()
    events = feed(proto, close_frame(code, b"r"))
    assert rules_in(events) == [Rule.INVALID_CLOSE_CODE]
    violation = frames_in(events)[0].violations[0]
    assert violation.rfc == "RFC 6455 §7.4" and violation.message.startswith(f"close code {code}:")
    assert proto.close_code == code and proto.close_reason == "r"
    (reply,) = sent(proto)
    assert reply.close_code == 1002 and reply.close_reason == ""
    assert proto.state is ConnectionState.CLOSING


def test_close_with_invalid_utf8_reason() -> None:
    proto = client()
    events = feed(proto, close_frame(1000, b"bad \xc3\x28"))
    assert rules_in(events) == [Rule.INVALID_CLOSE_REASON]
    (reply,) = sent(proto)
    assert reply.close_code == 1007


@pytest.mark.parametrize("code", [1000, 1001, 1003, 1011, 1014, 3000, 3999, 4000, 4999])
def test_close_with_valid_code_is_echoed(code: int) -> None:
    proto = client()
    events = feed(proto, close_frame(code, "¡adiós!".encode()))
    assert rules_in(events) == []
    assert proto.close_code == code and proto.close_reason == "¡adiós!"
    (reply,) = sent(proto)
    assert (reply.close_code, reply.close_reason, reply.masked) == (code, "", True)


def test_peer_starts_the_closing_handshake() -> None:
    proto = client()
    assert proto.state is ConnectionState.OPEN
    feed(proto, close_frame(1000, b"bye"))
    assert proto.state is ConnectionState.CLOSING  # type: ignore[comparison-overlap]
    assert proto.close_received is not None and proto.close_received.seq == 0
    assert proto.close_sent is not None and proto.close_sent.close_code == 1000
    assert proto.close_handshake_done
    (reply,) = sent(proto)
    assert reply.header == proto.close_sent.header and reply.payload == b"\x03\xe8"
    proto.receive_eof()
    assert proto.state is ConnectionState.CLOSED and proto.incomplete_bytes == 0


def test_empty_close_is_answered_with_an_empty_close() -> None:
    proto = client()
    feed(proto, close_frame())
    assert proto.close_code is None
    (reply,) = sent(proto)
    assert reply.opcode == Opcode.CLOSE and reply.payload == b""


def test_we_start_the_closing_handshake() -> None:
    proto = client()
    ours = proto.send_close(1001, "going")
    assert proto.state is ConnectionState.CLOSING and proto.close_sent == ours
    assert not proto.close_handshake_done
    (on_wire,) = sent(proto)
    assert (on_wire.close_code, on_wire.close_reason) == (1001, "going")
    feed(proto, close_frame(1001))
    assert proto.close_handshake_done and proto.close_code == 1001
    assert proto.data_to_send() == []  # nothing more to say
    assert proto.state is ConnectionState.CLOSING  # until the TCP connection closes
    proto.receive_eof()
    assert proto.state is ConnectionState.CLOSED


def test_auto_close_off() -> None:
    proto = client(auto_close=False)
    feed(proto, close_frame(1000))
    assert proto.close_received is not None and proto.close_sent is None
    assert proto.data_to_send() == []
    assert proto.state is ConnectionState.CLOSING
    proto.send_close(1000)
    assert proto.close_handshake_done


def test_frames_after_close_are_flagged() -> None:
    proto = client()
    data = close_frame(1000) + frame(Opcode.TEXT, b"late") + frame(Opcode.PING, b"p")
    events = feed(proto, data)
    frames = frames_in(events)
    assert frames[0].violations == ()
    for late in frames[1:]:
        assert [v.rule for v in late.violations] == [Rule.FRAME_AFTER_CLOSE]
        assert late.violations[0].message.endswith("after the peer's close frame #0")
    assert [m.data for m in messages_in(events)] == [b"late"]  # still shown
    assert [f.opcode for f in sent(proto)] == [Opcode.CLOSE]  # no pong after our close
    # A second close frame is flagged and not answered again.
    events = feed(proto, close_frame(1000))
    assert rules_in(events) == [Rule.FRAME_AFTER_CLOSE]
    assert proto.data_to_send() == [] and proto.close_received.seq == 0  # type: ignore[union-attr]


def test_close_inside_a_fragmented_message_is_allowed() -> None:
    proto = client()
    events = feed(proto, frame(Opcode.TEXT, b"half", fin=False) + close_frame(1000))
    assert rules_in(events) == [] and messages_in(events) == []
    assert proto.close_code == 1000


# ---------------------------------------------------------------- pings
@pytest.mark.parametrize("payload", [b"", b"x", bytes(range(125))])
def test_auto_pong_echoes_payload(payload: bytes) -> None:
    proto = client()
    feed(proto, frame(Opcode.PING, payload))
    (pong,) = sent(proto)
    assert (pong.opcode, pong.payload) == (Opcode.PONG, payload)
    (record,) = proto.events_sent()
    assert isinstance(record, Frame)
    assert record.opcode == Opcode.PONG and record.payload == payload


def test_auto_pong_off() -> None:
    proto = client(auto_pong=False)
    events = feed(proto, frame(Opcode.PING, b"hello"))
    assert frames_in(events)[0].opcode == Opcode.PING
    assert proto.data_to_send() == [] and proto.events_sent() == []


def test_oversized_ping_in_observe_mode_gets_a_125_byte_pong() -> None:
    proto = client()
    events = feed(proto, frame(Opcode.PING, b"p" * 130))
    assert rules_in(events) == [Rule.CONTROL_FRAME_TOO_LONG]
    (pong,) = sent(proto)
    assert pong.payload == b"p" * 125


def test_pong_is_not_answered() -> None:
    proto = client()
    feed(proto, frame(Opcode.PONG, b"x"))
    assert proto.data_to_send() == []


# ---------------------------------------------------------------- strict mode
STRICT_CASES = [
    ("masked-server-frame", frame(Opcode.TEXT, b"x", mask=True), Rule.MASKED_SERVER_FRAME, 1002),
    ("reserved-opcode", frame(5), Rule.RESERVED_OPCODE, 1002),
    ("reserved-bit", frame(Opcode.TEXT, b"x", rsv2=True), Rule.RESERVED_BIT, 1002),
    ("fragmented-ping", frame(Opcode.PING, fin=False), Rule.FRAGMENTED_CONTROL_FRAME, 1002),
    ("long-ping", frame(Opcode.PING, b"p" * 126), Rule.CONTROL_FRAME_TOO_LONG, 1002),
    ("non-minimal", frame(Opcode.TEXT, b"x", length_form=16), Rule.NON_MINIMAL_LENGTH, 1002),
    ("orphan-continuation", frame(Opcode.CONT, b"x"), Rule.UNEXPECTED_CONTINUATION, 1002),
    (
        "expected-continuation",
        frame(Opcode.TEXT, b"a", fin=False) + frame(Opcode.TEXT, b"b"),
        Rule.EXPECTED_CONTINUATION,
        1002,
    ),
    ("bad-utf8", frame(Opcode.TEXT, b"\xc0\xaf"), Rule.INVALID_UTF8, 1007),
    (
        "bad-utf8-fragment",
        frame(Opcode.TEXT, b"ok", fin=False) + frame(Opcode.CONT, b"\xed\xa0\x80"),
        Rule.INVALID_UTF8,
        1007,
    ),
    ("frame-too-big", frame(Opcode.BINARY, b"b" * 2000), Rule.FRAME_TOO_LARGE, 1009),
    (
        "message-too-big",
        frame(Opcode.BINARY, b"b" * 800, fin=False) + frame(Opcode.CONT, b"b" * 800),
        Rule.MESSAGE_TOO_LARGE,
        1009,
    ),
]


@pytest.mark.parametrize(
    ("data", "rule", "code"), [c[1:] for c in STRICT_CASES], ids=[c[0] for c in STRICT_CASES]
)
def test_strict_mode_fails_with_the_rfc_close_code(data: bytes, rule: Rule, code: int) -> None:
    proto = client(strict=True, max_frame_size=1000, max_message_size=1000)
    events = feed(proto, data)
    (failure,) = failures_in(events)
    assert failure.violation.rule is rule and failure.close_code == code == rule.close_code
    assert proto.failure == failure
    assert str(failure).startswith(f"failing the connection with {code}: {rule.slug}")
    assert isinstance(events[0], FrameBatch) and events.index(failure) > 0
    (close,) = sent(proto)
    assert close.opcode == Opcode.CLOSE and close.close_code == code
    assert close.close_reason == rule.summary
    assert proto.close_sent is not None and proto.state is ConnectionState.CLOSING
    # Once failed, the connection answers nothing more and fails only once.
    events = feed(proto, frame(Opcode.PING, b"?") + frame(7) + close_frame(1000))
    assert failures_in(events) == []
    assert proto.data_to_send() == []
    assert proto.failure == failure


@pytest.mark.parametrize(
    ("data", "rule", "code"), [c[1:] for c in STRICT_CASES], ids=[c[0] for c in STRICT_CASES]
)
def test_observe_mode_goes_on(data: bytes, rule: Rule, code: int) -> None:
    proto = client(max_frame_size=1000, max_message_size=1000)
    events = feed(proto, data + frame(Opcode.TEXT, b"after") + frame(Opcode.PING, b"?"))
    assert rule in rules_in(events)
    assert failures_in(events) == [] and proto.failure is None
    assert messages_in(events)[-1].text == "after"
    pings = sum(f.opcode == Opcode.PING for f in frames_in(events))
    assert [f.opcode for f in sent(proto)] == [Opcode.PONG] * pings  # only automatic pongs
    assert proto.state is ConnectionState.OPEN
    assert proto.violation_count == len(rules_in(events))


def test_strict_close_with_bad_code_fails_once() -> None:
    proto = client(strict=True)
    events = feed(proto, close_frame(1005))
    (failure,) = failures_in(events)
    assert failure.close_code == 1002
    (close,) = sent(proto)  # the failure's close; no echo on top of it
    assert close.close_code == 1002
    assert proto.close_handshake_done


def test_server_strict_mode_unmasked_client_frame() -> None:
    proto = Protocol(Role.SERVER, strict=True)
    events = feed(proto, frame(Opcode.TEXT, b"hi", sender=Role.SERVER))
    (failure,) = failures_in(events)
    assert failure.violation.rule is Rule.UNMASKED_CLIENT_FRAME and failure.close_code == 1002
    (close,) = sent(proto)
    assert close.close_code == 1002 and not close.masked


def test_fail_called_by_the_application_is_reported() -> None:
    proto = client()
    feed(proto, frame(Opcode.TEXT, b"hi"))
    violation = Violation(Rule.MESSAGE_TOO_LARGE, "the application gave up")
    failure = proto.fail(violation)
    assert proto.events_received() == [failure]
    assert failure.close_code == 1009
    (close,) = sent(proto)
    assert close.close_code == 1009
    # A second failure is reported but sends no second close.
    again = proto.fail(Violation(Rule.INVALID_UTF8, "again"))
    assert proto.events_received() == [again] and proto.data_to_send() == []
    assert proto.failure == failure


# ---------------------------------------------------------------- limits
def test_max_message_size_truncates_and_keeps_going() -> None:
    proto = client(max_message_size=10)
    data = frame(Opcode.TEXT, b"abcdef", fin=False) + frame(Opcode.CONT, b"ghijkl", fin=False)
    data += frame(Opcode.CONT, b"mn") + frame(Opcode.TEXT, b"0123456789")
    events = feed(proto, data)
    frames = frames_in(events)
    assert [v.rule for v in frames[1].violations] == [Rule.MESSAGE_TOO_LARGE]
    assert frames[1].violations[0].message == (
        "message reaches 12 bytes; the limit is 10; the rest is not kept"
    )
    assert frames[2].violations == () and frames[3].violations == ()
    big, at_limit = messages_in(events)
    assert big.truncated and big.data == b"abcdef" and big.text is None and big.wire_size == 14
    assert not at_limit.truncated and at_limit.text == "0123456789"


def test_max_message_size_single_frame() -> None:
    events = feed(client(max_message_size=3), frame(Opcode.BINARY, b"abcd"))
    assert rules_in(events) == [Rule.MESSAGE_TOO_LARGE]
    (message,) = messages_in(events)
    assert message.truncated and message.data == b""


def test_no_message_limit() -> None:
    proto = client(max_message_size=None)
    payload = b"m" * (DEFAULT_MAX_MESSAGE_SIZE // 64)
    events = feed(proto, frame(Opcode.BINARY, payload, fin=False) + frame(0, payload))
    assert messages_in(events)[0].data == payload * 2


def deflating_client(**kwargs: object) -> Protocol:
    from inspector.protocol.deflate import DeflateParams, PerMessageDeflate

    return client(deflate=PerMessageDeflate(DeflateParams(), Role.CLIENT), **kwargs)


def deflated(data: bytes) -> bytes:
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return (c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH))[:-4]


def test_an_endless_compressed_message_is_not_kept_past_the_limit() -> None:
    # A compressed message is kept compressed until its last frame: without a bound
    # a peer that never ends one could make us hold any amount of memory.
    proto = deflating_client(max_message_size=2**20)
    feed(proto, frame(Opcode.BINARY, deflated(b"x" * 100), rsv1=True, fin=False))
    chunk = frame(Opcode.CONT, b"\0" * 60_000, fin=False)
    tracemalloc.start()
    for _ in range(100):
        events = feed(proto, chunk)
        del events
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 3 * 2**20
    events = feed(proto, frame(Opcode.CONT, b"\0") + frame(Opcode.TEXT, b"after"))
    big, after = messages_in(events)
    assert big.compressed and big.truncated
    assert after.text == "after"


def test_an_endless_text_message_keeps_neither_its_data_nor_its_text() -> None:
    # Past the message limit nothing of the message is kept; its UTF-8 check goes on
    # but keeps no text (it used to keep all of it: `capture` against an endless
    # stream of text fragments grew by a byte per byte received).
    proto = client(max_message_size=2**16)
    feed(proto, frame(Opcode.TEXT, b"x" * 1000, fin=False))
    chunk = frame(Opcode.CONT, b"x" * 60_000, fin=False)
    tracemalloc.start()
    for _ in range(100):
        events = feed(proto, chunk)
        del events
    current = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert current < 2**20
    events = feed(proto, frame(Opcode.CONT, b"\xff") + frame(Opcode.TEXT, b"after"))
    big, after = messages_in(events)
    assert big.truncated and big.text is None
    assert Rule.INVALID_UTF8 in rules_in(events)  # still checked past the limit
    assert after.text == "after"


def test_a_compressed_message_over_the_limit_is_flagged_once() -> None:
    proto = deflating_client(max_message_size=1000)
    data = frame(Opcode.BINARY, deflated(b"a"), rsv1=True, fin=False)
    data += frame(Opcode.CONT, b"\0" * 1500, fin=False) + frame(Opcode.CONT, b"\0" * 1500)
    events = feed(proto, data)
    assert rules_in(events) == [Rule.MESSAGE_TOO_LARGE]
    assert "compressed" in frames_in(events)[2].violations[0].message
    (message,) = messages_in(events)
    assert message.truncated and message.compressed
    strict = deflating_client(max_message_size=1000, strict=True)
    (failure,) = failures_in(feed(strict, data))
    assert failure.close_code == 1009


def test_a_compressed_message_not_inflated_leaves_no_stale_window() -> None:
    # With context takeover the peer's next message may refer to the one we could
    # not inflate; our window must not hold older data that would fill in for it.
    c = zlib.compressobj(6, zlib.DEFLATED, -15)

    def message(data: bytes) -> bytes:
        return frame(Opcode.BINARY, (c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH))[:-4], rsv1=True)

    proto = deflating_client(max_frame_size=40)
    events = feed(
        proto,
        message(b"A" * 100),
        message(random.Random(1).randbytes(60) + b"B" * 100),  # over the frame limit
        message(b"B" * 100),  # refers to the B's of the message not inflated
    )
    first, skipped, last = messages_in(events)
    assert first.data == b"A" * 100 and skipped.truncated
    assert last.data != b"A" * 100  # not the stale window's bytes passed off as data
    assert last.truncated and rules_in(events)[-1] is Rule.INFLATE_ERROR


def test_a_compressed_message_that_inflates_within_the_limit_is_kept() -> None:
    # Random bytes do not compress: their deflated form is a little longer than they
    # are, and must not be refused for it.
    data = random.Random(5).randbytes(100_000)
    wire = deflated(data)
    assert len(wire) > len(data)
    proto = deflating_client(max_message_size=len(data))
    third = len(wire) // 3
    events = feed(
        proto,
        frame(Opcode.BINARY, wire[:third], rsv1=True, fin=False),
        frame(Opcode.CONT, wire[third : 2 * third], fin=False),
        frame(Opcode.CONT, wire[2 * third :]),
    )
    assert rules_in(events) == []
    (message,) = messages_in(events)
    assert message.data == data and not message.truncated


def test_utf8_is_not_checked_past_a_skipped_frame() -> None:
    # The skipped frame ends inside a code point; what follows cannot be judged.
    proto = client(max_frame_size=10)
    text = "aaaaaaaaaaaé".encode()
    events = feed(proto, frame(Opcode.TEXT, text[:12], fin=False), frame(Opcode.CONT, text[12:]))
    assert rules_in(events) == [Rule.FRAME_TOO_LARGE]
    (message,) = messages_in(events)
    assert message.truncated and message.text is None


def test_skipped_frame_reported_while_its_payload_streams_in() -> None:
    proto = client(max_frame_size=100)
    header = b"\x82\x7f" + struct.pack("!Q", 2**40)
    events = feed(proto, header)
    assert rules_in(events) == [Rule.FRAME_TOO_LARGE]
    for _ in range(10):
        assert feed(proto, b"\x00" * 10_000) == []
    proto.receive_eof()
    assert proto.incomplete_bytes == len(header) + 100_000
    assert proto.bytes_received == len(header) + 100_000


@pytest.mark.parametrize("cut", [1, 2, 5, 9])
def test_receive_eof_mid_frame(cut: int) -> None:
    proto = client()
    data = frame(Opcode.TEXT, b"done") + frame(Opcode.BINARY, b"x" * 300)
    events = feed(proto, data[: 6 + cut])
    assert len(messages_in(events)) == 1
    proto.receive_eof()
    assert proto.eof_received and proto.state is ConnectionState.CLOSED
    assert proto.incomplete_bytes == cut
    assert proto.bytes_received == 6 + cut
    with pytest.raises(LocalProtocolError):
        proto.send_text("too late")


# ------------------------------------------------- no Message per plain frame
def _no_plain_messages() -> Protocol:
    proto = Protocol(Role.CLIENT)
    proto.record_plain_messages = False
    proto.record_plain_sent = False
    return proto


def test_without_plain_messages_a_flood_yields_its_frames_and_no_messages() -> None:
    proto = _no_plain_messages()
    stream = b"".join(frame(Opcode.TEXT, f"tick {i}".encode()) for i in range(100))
    stream += frame(Opcode.BINARY, bytes(range(256)))
    events = feed(proto, stream)
    assert messages_in(events) == []
    frames = frames_in(events)
    assert [f.payload for f in frames[:100]] == [f"tick {i}".encode() for i in range(100)]
    assert all(not f.violations for f in frames)


@pytest.mark.parametrize("mixed", [False, True])
def test_without_plain_messages_utf8_is_still_checked_on_every_text_frame(mixed: bool) -> None:
    """The bulk check takes ASCII as valid; anything else is decoded frame by frame."""
    proto = _no_plain_messages()
    parts = [frame(Opcode.TEXT, b"plain"), frame(Opcode.TEXT, "caf\u00e9".encode())]
    parts.append(frame(Opcode.TEXT, b"bad \xff here"))
    if mixed:
        parts.append(frame(Opcode.BINARY, b"\xff\xfe"))
    frames = frames_in(feed(proto, b"".join(parts)))
    rules = [[v.rule for v in f.violations] for f in frames]
    assert rules[:3] == [[], [], [Rule.INVALID_UTF8]]
    if mixed:
        assert rules[3] == []


def test_without_plain_messages_composite_ones_still_come() -> None:
    """A fragmented message is more than its frames show: it is always made."""
    proto = _no_plain_messages()
    events = feed(
        proto,
        frame(Opcode.TEXT, b"one ", fin=False)
        + frame(Opcode.CONT, b"two")
        + frame(Opcode.TEXT, b"alone"),
    )
    assert [(m.text, m.frame_count) for m in messages_in(events)] == [("one two", 2)]
    proto.send_text("plain")
    proto.send_text("in two", fragments=2)
    sent = proto.events_sent()
    assert [type(e).__name__ for e in sent] == ["Frame", "Frame", "Frame", "Message"]
    message = sent[-1]
    assert isinstance(message, Message) and message.text == "in two"


def test_mask_keys_come_from_a_pool_yet_differ_frame_to_frame() -> None:
    """One random fetch serves many frames (issue 13); each frame still has its own
    key, and the peer unmasks every payload right."""
    proto = Protocol(Role.CLIENT)
    for i in range(3000):
        proto.send_binary(i.to_bytes(4, "big") * 3)
    wire = b"".join(proto.data_to_send())
    server = Protocol(Role.SERVER)
    frames = frames_in(feed(server, wire))
    assert [f.payload for f in frames] == [i.to_bytes(4, "big") * 3 for i in range(3000)]
    keys = [f.mask_key for f in frames]
    assert all(f.masked and not f.violations for f in frames)
    assert len(set(keys)) > 2990  # 3000 random 32-bit keys: a repeat or two at most
