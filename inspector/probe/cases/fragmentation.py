"""Fragmentation (RFC 6455 §5.4): continuation frames, control frames between fragments,
and the fragmented control frames and stray continuations that break the rules."""

from __future__ import annotations

from ...protocol.frames import FrameSpec
from ..model import Blob, Chopped, CloseReply, Echo, Fail, Frames, Pause, Step
from .kit import (
    BINARY,
    CLOSE,
    CONT,
    PING,
    PONG,
    TEXT,
    Registry,
    bytewise,
    close_payload,
    frame,
    split,
)

__all__ = ["add"]


def add(r: Registry) -> None:
    c = "fragmentation"
    msg = b"fragmented message"
    r.add(
        "5.1",
        c,
        "Ping split into two fragments",
        [Frames((frame(PING, b"frag", fin=False), frame(CONT, b"ment")))],
        Fail(),
    )
    r.add(
        "5.2",
        c,
        "Pong split into two fragments",
        [Frames((frame(PONG, b"frag", fin=False), frame(CONT, b"ment")))],
        Fail(),
    )
    r.add(
        "5.3",
        c,
        "Close frame with FIN=0, then a continuation",
        [Frames((frame(CLOSE, close_payload(1000), fin=False), frame(CONT, b"")))],
        CloseReply((1002,), lenient=(None,), drop_ok=True),
    )
    r.add(
        "5.4",
        c,
        "Text message in 2 fragments",
        [Frames(split(TEXT, msg, [10]))],
        Echo(((TEXT, msg),)),
    )
    r.add(
        "5.5",
        c,
        "Text message in 2 fragments, 100 ms apart",
        [Frames(split(TEXT, msg, [10])[:1]), Pause(0.1), Frames(split(TEXT, msg, [10])[1:])],
        Echo(((TEXT, msg),)),
    )
    two = split(TEXT, msg, [10])
    r.add(
        "5.6",
        c,
        "Text message in 2 fragments with a ping between them",
        [Frames((two[0], frame(PING, b"between"), two[1]))],
        Echo(((TEXT, msg),), pongs=(b"between",)),
    )
    r.add(
        "5.7",
        c,
        "Text message in 2 fragments with a ping between, all written 1 byte at a time",
        [Chopped((two[0], frame(PING, b"between"), two[1]), chunk=1)],
        Echo(((TEXT, msg),), pongs=(b"between",)),
    )
    ten = split(TEXT, msg, range(2, 18, 2))
    with_pings: list[FrameSpec] = []
    for i, f in enumerate(ten):
        with_pings.append(f)
        if i < len(ten) - 1:
            with_pings.append(frame(PING, f"ping {i}".encode()))
    r.add(
        "5.8",
        c,
        f"Text message in {len(ten)} fragments with a ping after each but the last",
        [Frames(tuple(with_pings))],
        Echo(((TEXT, msg),), pongs=tuple(f"ping {i}".encode() for i in range(len(ten) - 1))),
    )
    r.add(
        "5.9",
        c,
        "Continuation frame (FIN=1) with nothing to continue",
        [Frames((frame(CONT, b"continuation"),))],
        Fail(),
    )
    r.add(
        "5.10",
        c,
        "Continuation frame (FIN=1) with nothing to continue, written 1 byte at a time",
        [Chopped((frame(CONT, b"continuation"),), chunk=1)],
        Fail(),
    )
    r.add(
        "5.11",
        c,
        "Continuation frame (FIN=0) with nothing to continue, then one with FIN=1",
        [Frames((frame(CONT, b"frag", fin=False), frame(CONT, b"ment")))],
        Fail(),
    )
    r.add(
        "5.12",
        c,
        "Continuation frame (FIN=0) with nothing to continue, then a text frame",
        [Frames((frame(CONT, b"frag", fin=False), frame(TEXT, b"text")))],
        Fail(),
    )
    r.add(
        "5.13",
        c,
        "Complete fragmented text message, then a stray continuation frame",
        [Frames((*two, frame(CONT, b"stray")))],
        Fail(before=((TEXT, msg),)),
    )
    r.add(
        "5.14",
        c,
        "New text message inside an unfinished fragmented one",
        [Frames((frame(TEXT, b"frag", fin=False), frame(TEXT, b"new message")))],
        Fail(),
    )
    r.add(
        "5.15",
        c,
        "Binary frame inside an unfinished fragmented text message",
        [Frames((frame(TEXT, b"frag", fin=False), frame(BINARY, b"\x01\x02")))],
        Fail(),
    )
    r.add(
        "5.16",
        c,
        "Fragmented binary message interrupted by a fragmented text message",
        [
            Frames(
                (
                    frame(BINARY, b"\x01", fin=False),
                    frame(TEXT, b"text", fin=False),
                    frame(CONT, b"end"),
                )
            )
        ],
        Fail(),
    )
    data = bytes(range(200))
    r.add(
        "5.17",
        c,
        "Binary message in 2 fragments",
        [Frames(split(BINARY, data, [100]))],
        Echo(((BINARY, data),)),
    )
    r.add(
        "5.18",
        c,
        "Binary message in 3 fragments, the middle one empty",
        [Frames(split(BINARY, data, [100, 100]))],
        Echo(((BINARY, data),)),
    )
    r.add(
        "5.19",
        c,
        "Text message whose first fragment is empty",
        [Frames(split(TEXT, msg, [0]))],
        Echo(((TEXT, msg),)),
    )
    r.add(
        "5.20",
        c,
        "Text message whose last fragment is empty",
        [Frames(split(TEXT, msg, [len(msg)]))],
        Echo(((TEXT, msg),)),
    )
    hundred = Blob(100).make()
    r.add(
        "5.21",
        c,
        "Text message of 100 bytes in 1-byte fragments",
        [Frames(bytewise(TEXT, hundred))],
        Echo(((TEXT, hundred),)),
    )
    r.add(
        "5.22",
        c,
        "Binary message of 100 bytes in 1-byte fragments",
        [Frames(bytewise(BINARY, data[:100]))],
        Echo(((BINARY, data[:100]),)),
    )
    five = split(TEXT, msg, [4, 8, 12, 16])
    steps: list[Step] = []
    for i, f in enumerate(five):
        steps.append(Frames((f,)))
        if i < 4:
            steps.append(Frames((frame(PING, f"ping {i}".encode()),)))
            steps.append(Pause(0.01))
    r.add(
        "5.23",
        c,
        "Text message in 5 fragments, 10 ms apart, with a ping after each but the last",
        steps,
        Echo(((TEXT, msg),), pongs=tuple(f"ping {i}".encode() for i in range(4))),
    )
    r.add(
        "5.24",
        c,
        "Close frame between the fragments of a text message",
        [Frames((frame(TEXT, b"frag", fin=False), frame(CLOSE, close_payload(1000))))],
        CloseReply((1000,), lenient=(None, 1002)),
        expected="Answer the close frame (a control frame may come between fragments) "
        "with 1000 (no status code, or 1002 for the unfinished message: non-strict); "
        "never deliver the unfinished message",
    )
    r.add(
        "5.25",
        c,
        "Fragmented ping inside a fragmented text message",
        [
            Frames(
                (frame(TEXT, b"frag", fin=False), frame(PING, b"pi", fin=False), frame(CONT, b"ng"))
            )
        ],
        Fail(),
    )
    r.add(
        "5.26",
        c,
        "Unsolicited pong between the fragments of a text message",
        [Frames((two[0], frame(PONG, b"unsolicited"), two[1]))],
        Echo(((TEXT, msg),)),
    )
    r.add(
        "5.27",
        c,
        "Unfinished fragmented text message, then a ping",
        [Frames((frame(TEXT, b"unfinished", fin=False), frame(PING, b"still there?")))],
        Echo(pongs=(b"still there?",)),
        expected="Answer the ping while waiting for the rest of the message; nothing is "
        "echoed; then a clean closing handshake",
    )
    r.add(
        "5.28",
        c,
        "Two fragmented messages, text then binary, back to back",
        [Frames((*two, *split(BINARY, data, [50, 150])))],
        Echo(((TEXT, msg), (BINARY, data))),
    )
