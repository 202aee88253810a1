"""Reserved bits (RFC 6455 §5.2): RSV1-3 set without an extension that defines them."""

from __future__ import annotations

from ..model import CloseReply, Fail, Frames
from .kit import BINARY, CLOSE, CONT, PING, TEXT, Registry, close_payload, frame, rsv_name

__all__ = ["add"]


def add(r: Registry) -> None:
    c = "reserved-bits"
    for rsv in range(1, 8):
        name = rsv_name(rsv)
        r.add(
            f"3.1.{rsv}",
            c,
            f"Text message with {name} set",
            [Frames((frame(TEXT, b"Hello", rsv=rsv),))],
            Fail(),
        )
        r.add(
            f"3.2.{rsv}",
            c,
            f"Binary message with {name} set",
            [Frames((frame(BINARY, b"\x00\xff\x10", rsv=rsv),))],
            Fail(),
        )
        r.add(
            f"3.3.{rsv}",
            c,
            f"Ping with {name} set",
            [Frames((frame(PING, b"ping", rsv=rsv),))],
            Fail(),
        )
        r.add(
            f"3.4.{rsv}",
            c,
            f"Valid text message, then one with {name} set, then a ping",
            [Frames((frame(TEXT, b"valid"), frame(TEXT, b"Hello", rsv=rsv), frame(PING, b"ping")))],
            Fail(before=((TEXT, b"valid"),)),
        )
    for i, rsv in enumerate((4, 2, 1), 1):
        r.add(
            f"3.5.{i}",
            c,
            f"Fragmented text message whose continuation frame has {rsv_name(rsv)} set",
            [Frames((frame(TEXT, b"frag", fin=False), frame(CONT, b"ment", rsv=rsv)))],
            Fail(),
        )
    r.add(
        "3.6.1",
        c,
        "Close frame with RSV1 set",
        [Frames((frame(CLOSE, close_payload(1000), rsv=4),))],
        CloseReply((1002,), lenient=(None,), drop_ok=True),
    )
