"""Reserved opcodes (RFC 6455 §5.2, §11.8): 3-7 and 11-15 fail the connection."""

from __future__ import annotations

from ..model import Fail, Frames
from .kit import PING, TEXT, Registry, frame

__all__ = ["add"]


def add(r: Registry) -> None:
    c = "opcodes"
    for opcode in (3, 4, 5, 6, 7, 11, 12, 13, 14, 15):
        kind = "non-control" if opcode < 8 else "control"
        r.add(
            f"4.1.{opcode}",
            c,
            f"Frame with reserved {kind} opcode {opcode}, empty",
            [Frames((frame(opcode),))],
            Fail(),
        )
        r.add(
            f"4.2.{opcode}",
            c,
            f"Frame with reserved {kind} opcode {opcode} and a payload",
            [Frames((frame(opcode, b"reserved opcode"),))],
            Fail(),
        )
        r.add(
            f"4.3.{opcode}",
            c,
            f"Valid text message, then reserved opcode {opcode}, then a ping",
            [Frames((frame(TEXT, b"valid"), frame(opcode, b"reserved"), frame(PING, b"ping")))],
            Fail(before=((TEXT, b"valid"),)),
        )
