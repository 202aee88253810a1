"""Framing (RFC 6455 §5.2, §5.3): every length form, masking, and frames cut anyhow by TCP."""

from __future__ import annotations

from ..model import MIB, Blob, Chopped, Echo, Fail, Frames, Observe, Pause, SendMessage
from ..wording import kind_words, size_words
from .kit import BINARY, PING, TEXT, Registry, frame

__all__ = ["add"]


def add(r: Registry) -> None:
    c = "framing"
    sizes = (0, 125, 126, 127, 128, 65535, 65536, MIB, 16 * MIB)
    for group, opcode in ((1, TEXT), (2, BINARY)):
        for i, n in enumerate(sizes, 1):
            payload = Blob(n, opcode == TEXT)
            form = "7-bit" if n < 126 else "16-bit" if n < 65536 else "64-bit"
            r.add(
                f"1.{group}.{i}",
                c,
                f"{kind_words(opcode).capitalize()} message of {size_words(n)} ({form} length)",
                [SendMessage(opcode, payload)],
                Echo(((opcode, payload),), limit_ok=n > 65536),
            )
    hello = b"Hello, world!"
    r.add(
        "1.3.1",
        c,
        "Text message of 13 bytes with its length in the 16-bit form",
        [Frames((frame(TEXT, hello, length_form=16),))],
        Observe(
            "Section 5.2 says the minimal length form MUST be used but gives the receiver no "
            "rule: echoing or failing with 1002 are both reported",
            ((TEXT, hello),),
        ),
    )
    r.add(
        "1.3.2",
        c,
        "Text message of 13 bytes with its length in the 64-bit form",
        [Frames((frame(TEXT, hello, length_form=64),))],
        Observe(
            "A non-minimal 64-bit length: echoing or failing with 1002 are both reported",
            ((TEXT, hello),),
        ),
    )
    data = Blob(300, text=False).make()
    r.add(
        "1.3.3",
        c,
        "Binary message of 300 bytes with its length in the 64-bit form",
        [Frames((frame(BINARY, data, length_form=64),))],
        Observe(
            "A non-minimal 64-bit length: echoing or failing with 1002 are both reported",
            ((BINARY, data),),
        ),
    )
    r.add(
        "1.3.4",
        c,
        "Ping of 13 bytes with its length in the 16-bit form",
        [Frames((frame(PING, hello, length_form=16),))],
        Observe("A non-minimal length on a control frame: a pong or a failure are reported"),
    )
    r.add(
        "1.4.1",
        c,
        "Frame whose 64-bit length has its most significant bit set",
        [Frames((frame(BINARY, b"12345", declared_length=2**63 + 5, length_form=64),))],
        Fail((1002, 1009)),
        wait=1.0,
        expected="Fail the connection: the most significant bit of a 64-bit length MUST be "
        "0 (a close frame with 1002, or 1009 for a frame too large to accept); dropping TCP "
        "without a close frame is non-strict",
    )
    r.add(
        "1.5.1",
        c,
        "Unmasked text frame from the client",
        [Frames((frame(TEXT, hello, mask=False),))],
        Fail(),
    )
    r.add(
        "1.5.2",
        c,
        "Unmasked binary frame from the client",
        [Frames((frame(BINARY, b"\x00\x01\x02\x03", mask=False),))],
        Fail(),
    )
    r.add(
        "1.5.3",
        c,
        "Unmasked ping from the client",
        [Frames((frame(PING, b"ping", mask=False),))],
        Fail(),
    )
    r.add(
        "1.5.4",
        c,
        "Unmasked empty text frame after a valid message",
        [Frames((frame(TEXT, hello), frame(TEXT, b"", mask=False)))],
        Fail(before=((TEXT, hello),)),
    )
    r.add(
        "1.5.5",
        c,
        "Text frame masked with the all-zero key",
        [Frames((frame(TEXT, hello, mask_key=b"\x00\x00\x00\x00"),))],
        Echo(((TEXT, hello),)),
    )
    spec = frame(TEXT, Blob(256).make())
    r.add(
        "1.6.1",
        c,
        "Text frame of 256 bytes written 1 byte at a time",
        [Chopped((spec,), chunk=1, delay=0.001)],
        Echo(((TEXT, spec.payload),)),
    )
    r.add(
        "1.6.2",
        c,
        "Frame header split after its first byte, the rest 100 ms later",
        [Chopped((spec,), upto=1), Pause(0.1), Chopped((spec,), start=1)],
        Echo(((TEXT, spec.payload),)),
    )
    many = tuple(frame(TEXT, f"message {i}".encode()) for i in range(20))
    r.add(
        "1.6.3",
        c,
        "Twenty small text frames in one TCP write",
        [Chopped(many, chunk=1 << 20)],
        Echo(tuple((TEXT, f.payload) for f in many)),
    )
    r.add(
        "1.6.4",
        c,
        "Binary frame of 64 KiB written in 1000-byte chunks",
        [Chopped((frame(BINARY, Blob(65536, text=False).make()),), chunk=1000)],
        Echo(((BINARY, Blob(65536, text=False)),)),
    )
