"""Protocol.send_plain_into (inspector/protocol/sending.py), the engine's framing of
a whole plain message, and the one flag that says when it may be used: whatever the
protocol did before, the flag agrees with the state it stands for, and what
send_plain_into frames is on the wire and on the record as send_text would put it."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from hypothesis import given, settings
from hypothesis import strategies as st

from inspector.protocol.connection import Protocol
from inspector.protocol.constants import ConnectionState, Opcode, Role
from inspector.protocol.frames import Frame, FrameSpec
from inspector.protocol.parser import FrameParser
from inspector.protocol.sending import SentColumns
from inspector.protocol.violations import LocalProtocolError

from ._support import client, close_frame, frame


def _ready_in_full(proto: Protocol) -> bool:
    """What the flag stands for, worked out from the protocol's state on every call
    (the nine checks the flag replaces)."""
    return (
        not proto._out
        and not proto._sent
        and not proto.record_plain_sent
        and proto.close_sent is None
        and proto.deflate is None
        and proto._mask_key_source is None
        and proto.state is not ConnectionState.CLOSED
        and proto._outgoing.open_message is None
        and not proto._outgoing.raw_pending
    )


def _plain(proto: Protocol) -> Frame | None:
    return proto.send_plain_into(0x81, b"plain", [], SentColumns(), 0.0)


def _crafted(fin: bool, opcode: Opcode) -> Callable[[Protocol], object]:
    return lambda p: p.send_frame(FrameSpec(opcode, b"part", fin=fin))


#: Everything that may change what the flag stands for, and some that must not.
_STEPS: dict[str, Callable[[Protocol], object]] = {
    "text": lambda p: p.send_text("t"),
    "two fragments": lambda p: p.send_binary(b"bb", fragments=2),
    "ping": lambda p: p.send_ping(b"p"),
    "plain": _plain,
    "take the bytes": lambda p: p.data_to_send(),
    "take the records": lambda p: p.events_sent(),
    "crafted first fragment": _crafted(False, Opcode.TEXT),
    "crafted last fragment": _crafted(True, Opcode.CONT),
    "half a raw frame": lambda p: p.send_raw(b"\x81"),
    "rest of a raw frame": lambda p: p.send_raw(b"\x80\x00\x00\x00\x00"),
    "record messages": lambda p: setattr(p, "record_plain_sent", True),
    "record no messages": lambda p: setattr(p, "record_plain_sent", False),
    "peer pings": lambda p: p.receive_data(frame(Opcode.PING, b"x")),
    "peer closes": lambda p: p.receive_data(close_frame(1000)),
    "close": lambda p: p.send_close(1000),
    "eof": lambda p: p.receive_eof(),
}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(sorted(_STEPS)), max_size=30))
def test_the_flag_agrees_with_the_state_after_anything(steps: list[str]) -> None:
    proto = client()
    assert proto._plain_ready is _ready_in_full(proto)
    for step in steps:
        # Sending after a close frame or the end is refused, with nothing changed.
        with contextlib.suppress(LocalProtocolError):
            _STEPS[step](proto)
        assert proto._plain_ready is _ready_in_full(proto), (step, steps)
        # And what send_plain_into does says the same.
        if not proto._plain_ready:
            before = (proto.bytes_sent, list(proto._out), list(proto._sent))
            assert _plain(proto) is None
            assert (proto.bytes_sent, proto._out, proto._sent) == before


def test_a_plain_message_is_framed_and_recorded_as_send_text_would() -> None:
    ours, theirs = client(), client()
    ours.record_plain_sent = theirs.record_plain_sent = False
    out: list[bytes] = []
    held = SentColumns()
    returned = [
        ours.send_plain_into(0x81, "héllo".encode(), out, held, 1.5),
        ours.send_plain_into(0x82, b"\x00" * 300, out, held, 2.5),  # a 16-bit length
        ours.send_plain_into(0x82, b"", out, None, 3.5),  # recorded by the caller
    ]
    theirs.send_text("héllo")
    theirs.send_binary(b"\x00" * 300)
    theirs.send_binary(b"")
    expected = theirs.events_sent()
    wire = b"".join(out)
    # The same frames on the record (masking keys aside: each send draws a fresh one).
    assert [f and f._replace(header=f.header[:2]) for f in returned] == [
        f._replace(header=f.header[:2]) for f in expected if isinstance(f, Frame)
    ]
    parsed = list(FrameParser(Role.CLIENT).feed(wire))
    assert [(f.header, f.payload) for f in parsed] == [
        (f.header, f.payload) for f in returned if f is not None
    ]
    assert len(wire) == ours.bytes_sent == theirs.bytes_sent
    # The columns hold the first two, as sent, and nothing went to events_sent.
    assert (held.seq0, list(held.offsets), list(held.t)) == (0, [0, 12], [1.5, 2.5])
    assert held.headers == [f.header for f in returned[:2] if f is not None]
    assert held.payloads == ["héllo".encode(), b"\x00" * 300]
    assert ours.events_sent() == [] and ours.data_to_send() == []


def test_a_queued_pong_goes_first() -> None:
    proto = client()
    proto.record_plain_sent = False
    proto.receive_data(frame(Opcode.PING, b"x"))  # the automatic pong is queued
    assert _plain(proto) is None  # it would overtake the pong
    assert [f.opcode for f in proto.events_sent() if isinstance(f, Frame)] == [Opcode.PONG]
    proto.data_to_send()
    assert _plain(proto) is not None
