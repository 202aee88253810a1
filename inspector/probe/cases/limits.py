"""Limits (RFC 6455 §10.4): large and many messages, many pings, a lying length."""

from __future__ import annotations

from ..model import KIB, MIB, Blob, Chopped, Echo, Frames, Observe, SendMessage
from .kit import BINARY, PING, TEXT, Registry, frame

__all__ = ["add"]


def add(r: Registry) -> None:
    c = "limits"
    big_text = Blob(4 * MIB)
    r.add(
        "9.1.1",
        c,
        "Text message of 4 MiB in 64 KiB fragments",
        [SendMessage(TEXT, big_text, fragment_size=64 * KIB)],
        Echo(((TEXT, big_text),), limit_ok=True),
    )
    big_binary = Blob(4 * MIB, text=False)
    r.add(
        "9.1.2",
        c,
        "Binary message of 4 MiB in 4 KiB fragments",
        [SendMessage(BINARY, big_binary, fragment_size=4 * KIB)],
        Echo(((BINARY, big_binary),), limit_ok=True),
    )
    r.add(
        "9.1.3",
        c,
        "Binary message of 8 MiB in one frame",
        [SendMessage(BINARY, Blob(8 * MIB, text=False))],
        Echo(((BINARY, Blob(8 * MIB, text=False)),), limit_ok=True),
    )
    r.add(
        "9.2.1",
        c,
        "Text message of 100 KB in 1000 fragments of 100 bytes",
        [SendMessage(TEXT, Blob(100_000), fragment_size=100)],
        Echo(((TEXT, Blob(100_000)),), limit_ok=True),
    )
    r.add(
        "9.2.2",
        c,
        "Binary message of 10 KB in 10000 fragments of 1 byte",
        [SendMessage(BINARY, Blob(10_000, text=False), fragment_size=1)],
        Echo(((BINARY, Blob(10_000, text=False)),), limit_ok=True),
    )
    small = tuple(frame(TEXT, f"message {i:04d}".encode()) for i in range(1000))
    r.add(
        "9.3.1",
        c,
        "1000 small text messages in one write",
        [Chopped(small, chunk=1 << 20)],
        Echo(tuple((TEXT, f.payload) for f in small)),
    )
    r.add(
        "9.3.2",
        c,
        "1000 binary messages of 1 KiB",
        [Frames(tuple(frame(BINARY, i.to_bytes(2, "big") * 512) for i in range(1000)))],
        Echo(tuple((BINARY, i.to_bytes(2, "big") * 512) for i in range(1000))),
    )
    pings = tuple(f"ping {i:03d}".encode() for i in range(100))
    r.add(
        "9.4.1",
        c,
        "100 pings in one write",
        [Chopped(tuple(frame(PING, p) for p in pings), chunk=1 << 20)],
        Echo(pongs=pings, some_pongs_ok=True),
    )
    r.add(
        "9.5.1",
        c,
        "Frame that declares 1 GiB and sends 16 bytes",
        [Frames((frame(BINARY, b"0123456789abcdef", declared_length=2**30),))],
        Observe(
            "No rule: a server may wait for the rest (answering nothing, as the ping that "
            "follows is read as payload), or refuse the frame as too big (1009)"
        ),
        wait=1.0,
    )
