"""Pings and pongs (RFC 6455 §5.5.2, §5.5.3): answered with the same payload, unsolicited
pongs ignored, control payloads at most 125 bytes."""

from __future__ import annotations

from ..model import Blob, Chopped, Echo, Fail, Frames, Pause, SendMessage
from .kit import BINARY, PING, PONG, TEXT, Registry, frame

__all__ = ["add"]


def add(r: Registry) -> None:
    c = "pings"
    binary = b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff"
    r.add("2.1", c, "Ping with an empty payload", [Frames((frame(PING),))], Echo(pongs=(b"",)))
    r.add(
        "2.2",
        c,
        "Ping with a short text payload",
        [Frames((frame(PING, b"Hello, world!"),))],
        Echo(pongs=(b"Hello, world!",)),
    )
    r.add(
        "2.3",
        c,
        "Ping with a binary payload",
        [Frames((frame(PING, binary),))],
        Echo(pongs=(binary,)),
    )
    p125 = bytes(range(125))
    r.add(
        "2.4",
        c,
        "Ping with a 125-byte payload",
        [Frames((frame(PING, p125),))],
        Echo(pongs=(p125,)),
    )
    r.add(
        "2.5",
        c,
        "Ping with a 126-byte payload (control frames carry at most 125)",
        [Frames((frame(PING, bytes(126)),))],
        Fail(),
    )
    r.add(
        "2.6",
        c,
        "Ping with a 125-byte payload written 1 byte at a time",
        [Chopped((frame(PING, p125),), chunk=1, delay=0.001)],
        Echo(pongs=(p125,)),
    )
    r.add(
        "2.7",
        c,
        "Unsolicited pong with an empty payload, then a text message",
        [Frames((frame(PONG), frame(TEXT, b"after pong")))],
        Echo(((TEXT, b"after pong"),)),
        expected="Ignore the unsolicited pong (section 5.5.3); echo the text message",
    )
    r.add(
        "2.8",
        c,
        "Unsolicited pong with a payload, then a text message",
        [Frames((frame(PONG, b"unsolicited"), frame(TEXT, b"after pong")))],
        Echo(((TEXT, b"after pong"),)),
        expected="Ignore the unsolicited pong (section 5.5.3); echo the text message",
    )
    r.add(
        "2.9",
        c,
        "Unsolicited pong, then a ping",
        [Frames((frame(PONG, b"unsolicited"), frame(PING, b"ping after pong")))],
        Echo(pongs=(b"ping after pong",)),
    )
    pings = tuple(f"ping {i}".encode() for i in range(10))
    r.add(
        "2.10",
        c,
        "Burst of 10 pings in one write",
        [Chopped(tuple(frame(PING, p) for p in pings), chunk=1 << 20)],
        Echo(pongs=pings, some_pongs_ok=True),
    )
    r.add(
        "2.11",
        c,
        "10 pings, 10 ms apart, each written 1 byte at a time",
        [s for p in pings for s in (Chopped((frame(PING, p),), chunk=1), Pause(0.01))],
        Echo(pongs=pings, some_pongs_ok=True),
    )
    r.add(
        "2.12",
        c,
        "Unsolicited pong with a 126-byte payload",
        [Frames((frame(PONG, bytes(126)),))],
        Fail(),
    )
    r.add(
        "2.13",
        c,
        "Ping between two text messages",
        [Frames((frame(TEXT, b"first"), frame(PING, b"between"), frame(TEXT, b"second")))],
        Echo(((TEXT, b"first"), (TEXT, b"second")), pongs=(b"between",)),
    )
    bad = b"\xff\xfe not UTF-8 \xc0\xaf"
    r.add(
        "2.14",
        c,
        "Ping whose payload is not UTF-8 (control payloads are binary)",
        [Frames((frame(PING, bad),))],
        Echo(pongs=(bad,)),
    )
    r.add(
        "2.15",
        c,
        "Ping masked with the all-zero key",
        [Frames((frame(PING, b"zero key", mask_key=bytes(4)),))],
        Echo(pongs=(b"zero key",)),
    )
    r.add(
        "2.16",
        c,
        "Ping, then a 64 KiB binary message, then a ping",
        [
            Frames((frame(PING, b"before"),)),
            SendMessage(BINARY, Blob(65536, text=False)),
            Frames((frame(PING, b"after"),)),
        ],
        Echo(((BINARY, Blob(65536, text=False)),), pongs=(b"before", b"after")),
    )
