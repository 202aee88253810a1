"""The closing handshake (RFC 6455 §5.5.1, §7.4): valid codes echoed, invalid codes and
close payloads refused, nothing answered after a close frame."""

from __future__ import annotations

from ..model import MIB, Blob, CloseReply, Frames, SendMessage
from .kit import CLOSE, PING, TEXT, Registry, close_payload, frame

__all__ = ["add"]


_VALID_CODES: tuple[int, ...] = (
    *(1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014),
    *(3000, 3999, 4000, 4999),
)
_INVALID_CODES = (0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535)


def add(r: Registry) -> None:
    c = "close"
    for i, code in enumerate(_VALID_CODES, 1):
        r.add(
            f"7.7.{i}",
            c,
            f"Close with valid code {code}",
            [Frames((frame(CLOSE, close_payload(code)),))],
            CloseReply((code,), lenient=(1000, None) if code != 1000 else (None,)),
            expected=(
                f"A close frame echoing {code} (section 5.5.1: 'typically echos'); 1000 "
                "or no status code is non-strict; the server then closes TCP"
                if code != 1000
                else "A close frame with 1000 (no status code is non-strict); the server "
                "then closes TCP"
            ),
        )
    for i, code in enumerate(_INVALID_CODES, 1):
        r.add(
            f"7.9.{i}",
            c,
            f"Close with invalid code {code}",
            [Frames((frame(CLOSE, close_payload(code)),))],
            CloseReply((1002,), lenient=(None,), drop_ok=True),
            expected=f"Fail the connection: code {code} may not be sent (section 7.4), so a "
            "close frame with 1002; no status code, or a TCP drop, is non-strict",
        )
    r.add(
        "7.1.1",
        c,
        "Close with no payload",
        [Frames((frame(CLOSE),))],
        CloseReply((1000, None)),
        expected="A close frame with 1000 or with no payload (both allowed), then the server "
        "closes TCP",
    )
    r.add(
        "7.1.2",
        c,
        "Close with code 1000 and a reason",
        [Frames((frame(CLOSE, close_payload(1000, b"Goodbye, server")),))],
        CloseReply((1000,), lenient=(None,)),
    )
    r.add(
        "7.1.3",
        c,
        "Close, then a text message",
        [Frames((frame(CLOSE, close_payload(1000)), frame(TEXT, b"after close")))],
        CloseReply((1000,), lenient=(None,)),
        expected="A close frame with 1000; the text message after our close frame is "
        "ignored (never echoed)",
    )
    r.add(
        "7.1.4",
        c,
        "Close, then a ping",
        [Frames((frame(CLOSE, close_payload(1000)), frame(PING, b"after close")))],
        CloseReply((1000,), lenient=(None,), no_pongs=(b"after close",)),
    )
    r.add(
        "7.1.5",
        c,
        "Close, then a second close frame",
        [Frames((frame(CLOSE, close_payload(1000)), frame(CLOSE, close_payload(1001))))],
        CloseReply((1000,), lenient=(None,)),
    )
    r.add(
        "7.1.6",
        c,
        "Text message of 1 MiB, then a close at once",
        [SendMessage(TEXT, Blob(MIB)), Frames((frame(CLOSE, close_payload(1000)),))],
        CloseReply((1000,), lenient=(None, 1009)),
        expected="A close frame with 1000 (1009 if the message is over the server's "
        "limit, or no status code: non-strict); echoing the message first is allowed",
    )
    r.add(
        "7.3.1",
        c,
        "Close with a 1-byte payload",
        [Frames((frame(CLOSE, b"\x03"),))],
        CloseReply((1002,), lenient=(None,), drop_ok=True),
        expected="Fail the connection: a close payload has 0 or at least 2 bytes, so a "
        "close frame with 1002; no status code, or a TCP drop, is non-strict",
    )
    r.add(
        "7.3.2",
        c,
        "Close with code 1000 and a 123-byte reason (125-byte payload)",
        [Frames((frame(CLOSE, close_payload(1000, b"r" * 123)),))],
        CloseReply((1000,), lenient=(None,)),
    )
    r.add(
        "7.3.3",
        c,
        "Close with code 1000 and a 124-byte reason (126-byte payload, too long)",
        [Frames((frame(CLOSE, close_payload(1000, b"r" * 124)),))],
        CloseReply((1002,), lenient=(None,), drop_ok=True),
        expected="Fail the connection: a control frame carries at most 125 bytes, so a "
        "close frame with 1002; no status code, or a TCP drop, is non-strict",
    )
    r.add(
        "7.5.1",
        c,
        "Close with code 1000 and a reason that is not UTF-8",
        [
            Frames(
                (
                    frame(
                        CLOSE, close_payload(1000, b"bad \xce\xba\xe1\xbd\xb9\xcf\x83\xed\xa0\x80")
                    ),
                )
            )
        ],
        CloseReply((1007,), lenient=(1002, None), drop_ok=True),
        expected="Fail the connection with 1007 (the reason must be UTF-8); 1002, no "
        "status code, or a TCP drop, is non-strict",
    )
    r.add(
        "7.5.2",
        c,
        "Close with code 1000 and a reason in UTF-8 (multi-byte characters)",
        [Frames((frame(CLOSE, close_payload(1000, "au revoir, κόσμε 😀".encode())),))],
        CloseReply((1000,), lenient=(None,)),
    )
