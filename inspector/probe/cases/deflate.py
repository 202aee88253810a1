"""permessage-deflate (RFC 7692): compressed messages, RSV1 rules and the negotiation
parameters."""

from __future__ import annotations

from ..model import KIB, Blob, Deflated, Echo, Fail, Frames, SendMessage
from .kit import BINARY, PING, TEXT, Registry, frame

__all__ = ["add"]


_DEFAULT_OFFER = ""


def add(r: Registry) -> None:
    c = "deflate"
    text = ("Hello, compressed world! " * 20).encode()
    r.add(
        "12.1.1",
        c,
        "Compressed text message",
        [SendMessage(TEXT, text, compress=True)],
        Echo(((TEXT, text),)),
        deflate=_DEFAULT_OFFER,
    )
    data = Blob(4096, text=False).make()
    r.add(
        "12.1.2",
        c,
        "Compressed binary message of 4 KiB",
        [SendMessage(BINARY, data, compress=True)],
        Echo(((BINARY, data),)),
        deflate=_DEFAULT_OFFER,
    )
    r.add(
        "12.1.3",
        c,
        "Compressed empty text message",
        [SendMessage(TEXT, b"", compress=True)],
        Echo(((TEXT, b""),)),
        deflate=_DEFAULT_OFFER,
    )
    big = Blob(256 * KIB)
    r.add(
        "12.1.4",
        c,
        "Compressed text message of 256 KiB in 4 KiB fragments",
        [SendMessage(TEXT, big, fragment_size=4 * KIB, compress=True)],
        Echo(((TEXT, big),)),
        deflate=_DEFAULT_OFFER,
    )
    r.add(
        "12.1.5",
        c,
        "Uncompressed text message on a compressed connection (RSV1 clear)",
        [SendMessage(TEXT, text, compress=False)],
        Echo(((TEXT, text),)),
        deflate=_DEFAULT_OFFER,
    )
    msgs = [f"message {i}: {'abc' * i}".encode() for i in range(10)]
    r.add(
        "12.1.6",
        c,
        "10 compressed text messages in a row (context takeover)",
        [SendMessage(TEXT, m, compress=True) for m in msgs],
        Echo(tuple((TEXT, m) for m in msgs)),
        deflate=_DEFAULT_OFFER,
    )
    r.add(
        "12.1.7",
        c,
        "Compressed and uncompressed messages alternating",
        [SendMessage(TEXT, m, compress=i % 2 == 0) for i, m in enumerate(msgs[:6])],
        Echo(tuple((TEXT, m) for m in msgs[:6])),
        deflate=_DEFAULT_OFFER,
    )
    r.add(
        "12.2.1",
        c,
        "Compressed message split in 3 frames, RSV1 on the first only",
        [Deflated(TEXT, text, splits=(3, 10))],
        Echo(((TEXT, text),)),
        deflate=_DEFAULT_OFFER,
    )
    r.add(
        "12.2.2",
        c,
        "Compressed message whose continuation frame has RSV1 set",
        [Deflated(TEXT, text, splits=(5,), rsv1=(True, True))],
        Fail(),
        deflate=_DEFAULT_OFFER,
    )
    r.add(
        "12.2.3",
        c,
        "Compressed ping (RSV1 on a control frame)",
        [Deflated(PING, b"ping ping ping ping")],
        Fail(),
        deflate=_DEFAULT_OFFER,
    )
    r.add(
        "12.2.4",
        c,
        "Text frame with RSV1 whose payload is not DEFLATE data",
        [Frames((frame(TEXT, b"\xff\xff\xff\xff not deflate data", rsv=4),))],
        Fail((1007, 1002)),
        expected="Fail the connection (RFC 7692 §6.2): a close frame with 1007 or 1002; "
        "dropping TCP without a close frame is non-strict",
        deflate=_DEFAULT_OFFER,
    )
    r.add(
        "12.2.5",
        c,
        "Compressed text that inflates to invalid UTF-8",
        [Deflated(TEXT, b"not \xff UTF-8")],
        Fail((1007,)),
        deflate=_DEFAULT_OFFER,
    )
    offers = (
        ("client_no_context_takeover", "permessage-deflate; client_no_context_takeover"),
        ("server_no_context_takeover", "permessage-deflate; server_no_context_takeover"),
        (
            "both no_context_takeover",
            "permessage-deflate; client_no_context_takeover; server_no_context_takeover",
        ),
        ("server_max_window_bits=10", "permessage-deflate; server_max_window_bits=10"),
        ("client_max_window_bits=9", "permessage-deflate; client_max_window_bits=9"),
        (
            "server_max_window_bits=9 with no context takeover",
            "permessage-deflate; server_max_window_bits=9; server_no_context_takeover",
        ),
    )
    repeated = [("The same words again and again. " * 8).encode()] * 4
    for i, (name, offer) in enumerate(offers, 1):
        r.add(
            f"12.3.{i}",
            c,
            f"Offer {name}; 4 compressed text messages",
            [SendMessage(TEXT, m, compress=True) for m in repeated],
            Echo(tuple((TEXT, m) for m in repeated)),
            expected=f"Accept the offer ({offer}) or decline it (info); if accepted, answer "
            "within RFC 7692 §7 and echo the 4 messages",
            deflate=offer,
        )
