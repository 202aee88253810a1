"""Shared helpers of the protocol tests: frames as a peer puts them on the wire, and
what a Protocol makes of them."""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator

from inspector.protocol.connection import Event, Protocol
from inspector.protocol.constants import Opcode, Role
from inspector.protocol.events import Failure, Message
from inspector.protocol.frames import Frame, FrameBatch, FrameSpec, encode_frame
from inspector.protocol.parser import FrameParser
from inspector.protocol.violations import Rule

KEY = bytes.fromhex("37fa213d")  # the masking key of the RFC 6455 section 5.7 examples


def frame(
    opcode: int, payload: bytes = b"", *, fin: bool = True, sender: Role = Role.SERVER, **kw: object
) -> bytes:
    """A frame as ``sender`` would put it on the wire (a server's, by default)."""
    header, on_wire = encode_frame(FrameSpec(opcode, payload, fin=fin, **kw), sender)  # type: ignore[arg-type]
    return header + on_wire


def close_frame(code: int | None = None, reason: bytes = b"", sender: Role = Role.SERVER) -> bytes:
    payload = b"" if code is None else struct.pack("!H", code) + reason
    return frame(Opcode.CLOSE, payload, sender=sender)


def feed(proto: Protocol, *chunks: bytes) -> list[Event]:
    for chunk in chunks:
        proto.receive_data(chunk)
    return proto.events_received()


def frames_in(events: Iterable[Event]) -> list[Frame]:
    return [f for e in events if isinstance(e, FrameBatch) for f in e]


def messages_in(events: Iterable[Event]) -> list[Message]:
    return [e for e in events if isinstance(e, Message)]


def failures_in(events: Iterable[Event]) -> list[Failure]:
    return [e for e in events if isinstance(e, Failure)]


def rules_in(events: Iterable[Event]) -> list[Rule]:
    return [v.rule for f in frames_in(events) for v in f.violations]


def sent(proto: Protocol) -> list[Frame]:
    """Parse what ``proto`` queued, as its peer would."""
    frames = list(FrameParser(proto.role).feed(b"".join(proto.data_to_send())))
    assert all(f.violations == () for f in frames) or proto.role is Role.SERVER
    return frames


def client(**kwargs: object) -> Protocol:
    return Protocol(Role.CLIENT, **kwargs)  # type: ignore[arg-type]


def chunked(data: bytes, size: int) -> Iterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


def parse(
    data: bytes | Iterable[bytes], sender: Role, **kwargs: int | None
) -> tuple[list[Frame], FrameParser]:
    parser = FrameParser(sender, **kwargs)  # type: ignore[arg-type]
    out: list[Frame] = []
    for chunk in [data] if isinstance(data, bytes) else data:
        out.extend(parser.feed(chunk))
    return out, parser


def parse_one(data: bytes, sender: Role, **kwargs: int | None) -> Frame:
    frames, parser = parse(data, sender, **kwargs)
    assert len(frames) == 1, frames
    assert parser.pending == 0
    return frames[0]


def wire(spec: FrameSpec, sender: Role) -> bytes:
    header, payload = encode_frame(spec, sender)
    return header + payload


def rules(frame: Frame) -> list[Rule]:
    return [v.rule for v in frame.violations]
